//! Regression tests from the review of issue 6: each scenario once hung or
//! misreported (the doc comment of each test says how), and now must not.
//! Each runs on its own thread under a watchdog, so a hang fails the test
//! instead of hanging the suite.

use bobbin::Runtime;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `f` on a thread; panics if it does not return within `limit`.
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(_) => panic!("hang: {what} did not finish within {limit:?}"),
    }
}

/// Two concurrent `block_in_place` sections on a one-worker runtime. With
/// one spare per worker, the second found no spare left, so no core was
/// left to drive timers (or run tasks), and both waited on a timer inside
/// `block_on` that nobody fired. Spares are now made on demand.
#[test]
fn two_block_in_place_sections_on_one_worker_both_finish() {
    within(
        Duration::from_secs(5),
        "two block_in_place + block_on(sleep)",
        || {
            let rt = Runtime::builder().worker_threads(1).build().unwrap();
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    rt.spawn(async {
                        bobbin::task::block_in_place(|| {
                            bobbin::block_on(bobbin::time::sleep(Duration::from_millis(20)))
                        })
                    })
                })
                .collect();
            rt.block_on(async {
                for task in tasks {
                    task.await.unwrap();
                }
            });
            // Do not join a possibly stuck runtime here.
            rt.shutdown_background();
        },
    );
}

/// max_blocking_threads(1): a pool thread that decided to exit (keep-alive)
/// counted against the limit until its very last statement, so a job
/// submitted in that window started no thread and sat in the channel after
/// the thread had gone. `on_thread_stop` widens the window to make it
/// deterministic; without a hook it is the few instructions before
/// `threads.fetch_sub`.
#[test]
fn a_job_submitted_while_the_last_pool_thread_exits_still_runs() {
    within(
        Duration::from_secs(5),
        "spawn_blocking after a keep-alive exit",
        || {
            let rt = Runtime::builder()
                .worker_threads(1)
                .max_blocking_threads(1)
                .thread_keep_alive(Duration::from_millis(20))
                .on_thread_stop(|| {
                    let name = std::thread::current().name().unwrap_or("").to_owned();
                    if name.contains("-blocking-") {
                        std::thread::sleep(Duration::from_millis(300));
                    }
                })
                .build()
                .unwrap();
            rt.block_on(rt.spawn_blocking(|| ())).unwrap();
            // The thread times out at ~20 ms and is in its stop hook until ~320 ms.
            std::thread::sleep(Duration::from_millis(100));
            let (tx, rx) = mpsc::channel();
            let _job = rt.spawn_blocking(move || tx.send(7).unwrap());
            let got = rx.recv_timeout(Duration::from_secs(2));
            rt.shutdown_background();
            assert_eq!(got, Ok(7), "the job never ran");
        },
    );
}

/// A runtime dropped inside one of its own tasks is documented to work.
/// If that task happens to be polled by a spare core (a blocking-pool
/// thread), `Runtime::drop` waited for every pool thread to exit,
/// including the one it runs on.
#[test]
fn a_runtime_dropped_inside_a_task_on_a_spare_core_returns() {
    within(
        Duration::from_secs(5),
        "drop(Runtime) on a spare core",
        || {
            let rt = Runtime::builder().worker_threads(1).build().unwrap();
            let slot = Arc::new(Mutex::new(None::<Runtime>));
            let (tx, rx) = mpsc::channel();
            // Both land in the injector; the worker takes A (B goes to its ring),
            // A's block_in_place hands B to the spare.
            rt.spawn(async {
                bobbin::task::block_in_place(|| std::thread::sleep(Duration::from_millis(200)));
            });
            let dropper_slot = slot.clone();
            let _b = rt.spawn(async move {
                let on = std::thread::current().name().unwrap_or("").to_owned();
                let rt = dropper_slot.lock().unwrap().take();
                drop(rt);
                tx.send(on).unwrap();
            });
            *slot.lock().unwrap() = Some(rt);
            rx.recv().unwrap()
        },
    );
}

/// Same, from a `spawn_blocking` job of the runtime.
#[test]
fn a_runtime_dropped_inside_its_own_blocking_job_returns() {
    within(
        Duration::from_secs(5),
        "drop(Runtime) in spawn_blocking",
        || {
            let rt = Runtime::builder().worker_threads(1).build().unwrap();
            let slot = Arc::new(Mutex::new(None::<Runtime>));
            let (tx, rx) = mpsc::channel();
            let job_slot = slot.clone();
            let handle = rt.handle();
            *slot.lock().unwrap() = Some(rt);
            let _job = handle.spawn_blocking(move || {
                drop(job_slot.lock().unwrap().take());
                tx.send(()).unwrap();
            });
            rx.recv().unwrap()
        },
    );
}

/// `shutdown_timeout` must name a task still in its poll. If that poll runs
/// on a spare core and every worker exited, the report was "clean".
#[test]
fn the_shutdown_report_names_a_poll_stuck_on_a_spare() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    rt.spawn(async {
        bobbin::task::block_in_place(|| std::thread::sleep(Duration::from_millis(200)));
    });
    let _stuck = bobbin::task::Builder::new()
        .name("stuck-on-spare")
        .spawn_on(
            async move {
                started_tx
                    .send(std::thread::current().name().unwrap_or("").to_owned())
                    .unwrap();
                std::thread::sleep(Duration::from_secs(3));
            },
            &rt.handle(),
        );
    let thread = started_rx.recv().unwrap();
    assert!(thread.contains("blocking"), "ran on {thread}, not a spare");
    let report = rt.shutdown_timeout(Duration::from_millis(800));
    let names: Vec<_> = report.unfinished().iter().map(|u| u.name()).collect();
    assert!(
        names.contains(&Some("stuck-on-spare")),
        "report omits the task stuck in a poll on a spare: {names:?} (clean: {})",
        report.is_clean()
    );
}

/// The monitor starts a spare (S3) in place of a stuck spare (S2). When S2's
/// poll ends and S2 retires (its worker is back) before the next sample,
/// the monitor skipped S2 (inactive) and never retired S3.
///
/// Two workers (spares 2 and 3). X on worker Wa queues B and enters
/// block_in_place (100 ms): spare S2 takes B. B blocks 30 ms, queues Y and
/// blocks 270 ms more; the monitor moves Y to worker Wb, which blocks in it
/// for 400 ms. Now nobody is available and B is the longest stuck: S3
/// starts for S2. At 100 ms S2 is asked to retire; at 300 ms B returns and
/// S2 retires at once, before the monitor's next sample.
#[test]
fn a_spare_started_for_a_stuck_spare_retires() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    let where_ = move |tag: &'static str| {
        (
            tag,
            format!(
                "{} at {:?}",
                std::thread::current().name().unwrap_or(""),
                t0.elapsed()
            ),
        )
    };
    rt.spawn(async move {
        tx.send(where_("X")).unwrap();
        bobbin::spawn(async move {
            tx.send(where_("B")).unwrap();
            // Stuck well before Y is, so the monitor picks this spare's core
            // as the longest-stuck one.
            std::thread::sleep(Duration::from_millis(30));
            let tx2 = tx.clone();
            bobbin::spawn(async move {
                tx2.send(where_("Y")).unwrap();
                std::thread::sleep(Duration::from_millis(400));
            });
            std::thread::sleep(Duration::from_millis(270));
        });
        bobbin::task::block_in_place(|| std::thread::sleep(Duration::from_millis(100)));
    });
    let start = Instant::now();
    let mut peak = 0;
    while start.elapsed() < Duration::from_millis(1500) {
        std::thread::sleep(Duration::from_millis(20));
        peak = peak.max(rt.handle().metrics().active_spares());
    }
    let placed: Vec<_> = rx.try_iter().collect();
    let spares = rt.handle().metrics().active_spares();
    rt.shutdown_background();
    assert_eq!(peak, 2, "scenario not reached (placement {placed:?})");
    assert_eq!(
        spares, 0,
        "a spare still runs 1 s after every block ended ({placed:?})"
    );
}

/// `shutdown_timeout` joined the monitor with no deadline; the monitor may
/// be inside the user's `on_long_poll` callback.
#[test]
fn shutdown_timeout_does_not_wait_for_a_slow_long_poll_callback() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .on_long_poll(|_| std::thread::sleep(Duration::from_secs(2)))
        .build()
        .unwrap();
    rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(50)) }))
        .unwrap();
    let start = Instant::now();
    let _ = rt.shutdown_timeout(Duration::from_millis(100));
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "shutdown_timeout(100ms) took {took:?}"
    );
}

/// max_blocking_threads(1): block_in_place's spare took the only pool
/// thread for the whole section, so a spawn_blocking awaited inside it
/// never started. A running spare no longer counts against the limit.
#[test]
fn block_in_place_waiting_on_spawn_blocking_with_a_one_thread_pool_finishes() {
    within(
        Duration::from_secs(5),
        "block_in_place(block_on(spawn_blocking))",
        || {
            let rt = Runtime::builder()
                .worker_threads(1)
                .max_blocking_threads(1)
                .build()
                .unwrap();
            let task = rt.spawn(async {
                bobbin::task::block_in_place(|| bobbin::block_on(bobbin::spawn_blocking(|| 5)))
            });
            let out = rt.block_on(task).unwrap().unwrap();
            rt.shutdown_background();
            out
        },
    );
}
