//! Timers under the global runtime: `bobbin::block_on` and `bobbin::spawn`
//! with sleeps, timeouts and intervals and no runtime of the test's own;
//! and a sleep awaited by another executor (on a thread in no runtime),
//! which registers with the global runtime.

use bobbin::time::{interval, sleep, sleep_until, timeout};
use executor_tests::{LIMIT, join, with_timeout};
use futures::StreamExt;
use std::future::pending;
use std::time::{Duration, Instant};

#[test]
fn sleep_timeout_and_interval_under_bobbin_block_on() {
    with_timeout(LIMIT, || {
        let start = Instant::now();
        bobbin::block_on(sleep(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));

        bobbin::block_on(async {
            let deadline = Instant::now() + Duration::from_micros(7_500);
            sleep_until(deadline).await;
            assert!(Instant::now() >= deadline);

            let start = Instant::now();
            assert!(
                timeout(Duration::from_millis(15), pending::<()>())
                    .await
                    .is_err()
            );
            assert!(start.elapsed() >= Duration::from_millis(15));
            assert_eq!(
                timeout(Duration::from_secs(3_600), async { 4 }).await,
                Ok(4)
            );

            let period = Duration::from_millis(5);
            let ticks: Vec<Instant> = interval(period).take(4).collect().await;
            for pair in ticks.windows(2) {
                assert_eq!(pair[1] - pair[0], period);
            }
            assert!(Instant::now() >= ticks[3]);
        });
    });
}

/// Tasks of the global runtime sleep, spawned from inside `block_on` and
/// from a plain thread.
#[test]
fn tasks_of_the_global_runtime_sleep() {
    with_timeout(LIMIT, || {
        let sleeper = |i: u64| async move {
            let deadline = Instant::now() + Duration::from_micros(1_000 + i * 433);
            sleep_until(deadline).await;
            assert!(Instant::now() >= deadline, "task {i} woke early");
            i
        };
        let total = bobbin::block_on(async {
            let tasks: Vec<_> = (0..200).map(|i| bobbin::spawn(sleeper(i))).collect();
            let mut total = 0;
            for task in tasks {
                total += task.await.unwrap();
            }
            total
        });
        assert_eq!(total, (0..200).sum());
        let tasks: Vec<_> = (0..50).map(|i| bobbin::spawn(sleeper(i))).collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(join(task).unwrap(), i as u64);
        }
    });
}

/// A sleep awaited by `futures::executor::block_on`, on a thread in no
/// runtime: it registers with the global runtime, whose workers fire it.
#[test]
fn a_sleep_awaited_by_another_executor_uses_the_global_runtime() {
    with_timeout(LIMIT, || {
        let start = Instant::now();
        futures::executor::block_on(sleep(Duration::from_millis(15)));
        assert!(start.elapsed() >= Duration::from_millis(15));
        let start = Instant::now();
        let result =
            futures::executor::block_on(timeout(Duration::from_millis(10), pending::<()>()));
        assert!(result.is_err());
        assert!(start.elapsed() >= Duration::from_millis(10));
    });
}
