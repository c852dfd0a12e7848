//! `Barrier`: thousands of tasks over several generations (nobody passes
//! before everyone of its generation arrived, one leader per generation),
//! `n == 0`, and a cancelled wait withdrawing its arrival.

use bobbin::sync::Barrier;
use executor_tests::{LIMIT, join, runtime, with_timeout};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Waker};

#[test]
fn thousands_of_tasks_over_several_generations() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-barrier");
        const TASKS: usize = 2_000;
        const GENERATIONS: usize = 5;
        let barrier = Arc::new(Barrier::new(TASKS));
        let arrived = Arc::new(AtomicUsize::new(0));
        let leaders = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (barrier, arrived, leaders) =
                    (barrier.clone(), arrived.clone(), leaders.clone());
                rt.spawn(async move {
                    for generation in 0..GENERATIONS {
                        arrived.fetch_add(1, SeqCst);
                        let result = barrier.wait().await;
                        let seen = arrived.load(SeqCst);
                        assert!(
                            seen >= TASKS * (generation + 1),
                            "passed generation {generation} after only {seen} arrivals"
                        );
                        if result.is_leader() {
                            leaders.fetch_add(1, SeqCst);
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            join(task).unwrap();
        }
        assert_eq!(
            leaders.load(SeqCst),
            GENERATIONS,
            "one leader per generation"
        );
    });
}

#[test]
fn many_small_groups_share_one_barrier() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-barrier");
        let barrier = Arc::new(Barrier::new(4));
        let leaders = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..4_000)
            .map(|_| {
                let (barrier, leaders) = (barrier.clone(), leaders.clone());
                rt.spawn(async move {
                    if barrier.wait().await.is_leader() {
                        leaders.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            join(task).unwrap();
        }
        assert_eq!(leaders.load(SeqCst), 1_000);
    });
}

#[test]
fn zero_behaves_as_one() {
    with_timeout(LIMIT, || {
        let barrier = Barrier::new(0);
        for _ in 0..3 {
            assert!(bobbin::block_on(barrier.wait()).is_leader());
        }
    });
}

#[test]
fn a_cancelled_wait_withdraws_its_arrival() {
    with_timeout(LIMIT, || {
        let barrier = Barrier::new(2);
        let mut cx = Context::from_waker(Waker::noop());
        let mut gone = Box::pin(barrier.wait());
        assert!(gone.as_mut().poll(&mut cx).is_pending());
        drop(gone);
        let mut first = Box::pin(barrier.wait());
        assert!(
            first.as_mut().poll(&mut cx).is_pending(),
            "one arrival, not two"
        );
        let second = bobbin::block_on(barrier.wait());
        assert!(second.is_leader());
        assert!(first.as_mut().poll(&mut cx).is_ready());
        assert!(format!("{barrier:?}").contains("arrived: 0"));
    });
}
