//! A worker blocked inside a poll (by `block_in_place`, or by a task that
//! blocks without saying so) does not stall what is queued behind it: the
//! queue moves to another core, timers and sockets keep being driven, and
//! the monitor reports the long poll with the task's name.

use bobbin::Runtime;
use executor_tests::{runtime, with_timeout};
use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(20);

/// Spawns a task that queues `behind` on its own worker (the LIFO slot:
/// spawned from inside the task) and then blocks that worker for `block`
/// inside its poll, with `block_in_place` or without. Returns when `behind`
/// finished, with how long after the block began that was, and the time the
/// blocker finished.
fn queued_behind_a_blocker(
    workers: usize,
    block: Duration,
    in_place: bool,
) -> (Duration, Duration) {
    let rt = runtime(workers, "monitor");
    let (tx, rx) = mpsc::channel();
    let start = Arc::new(Mutex::new(None::<Instant>));
    let blocker_start = start.clone();
    let behind_tx = tx.clone();
    rt.spawn(async move {
        let behind_start = blocker_start.clone();
        bobbin::spawn(async move {
            let began = behind_start.lock().unwrap().expect("set before blocking");
            behind_tx.send(("behind", began.elapsed())).unwrap();
        });
        let began = Instant::now();
        *blocker_start.lock().unwrap() = Some(began);
        if in_place {
            bobbin::task::block_in_place(|| std::thread::sleep(block));
        } else {
            std::thread::sleep(block);
        }
        tx.send(("blocker", began.elapsed())).unwrap();
    });
    let (first, first_at) = rx.recv_timeout(LIMIT).expect("a task finished");
    let (second, second_at) = rx.recv_timeout(LIMIT).expect("both tasks finished");
    assert_eq!(
        (first, second),
        ("behind", "blocker"),
        "the task queued behind the blocker ran only after it ({first_at:?}, {second_at:?})"
    );
    (first_at, second_at)
}

#[test]
fn block_in_place_hands_the_queue_to_another_core() {
    for workers in [1, 2] {
        let (behind, blocker) = queued_behind_a_blocker(workers, Duration::from_millis(500), true);
        assert!(blocker >= Duration::from_millis(500));
        // Handed off before the closure ran: well before the block ends.
        assert!(
            behind < Duration::from_millis(400),
            "{workers} workers: {behind:?}"
        );
    }
}

#[test]
fn a_task_queued_behind_a_blocking_poll_still_runs() {
    for workers in [1, 2] {
        let (behind, blocker) = queued_behind_a_blocker(workers, Duration::from_millis(500), false);
        assert!(blocker >= Duration::from_millis(500));
        // The monitor moves it within about one threshold (10 ms); allow
        // a loaded CI machine ample room.
        assert!(
            behind < Duration::from_millis(400),
            "{workers} workers: {behind:?}"
        );
    }
}

#[test]
fn timers_and_sockets_keep_working_while_every_worker_is_blocked() {
    let rt = runtime(1, "monitor");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    let timer_tx = tx.clone();
    let read_tx = tx.clone();
    rt.spawn(async move {
        // A timer and a socket read, both waiting before the block starts.
        bobbin::spawn(async move {
            bobbin::time::sleep(Duration::from_millis(100)).await;
            timer_tx.send("timer").unwrap();
        });
        bobbin::spawn(async move {
            use futures::AsyncReadExt;
            let mut stream = bobbin::net::TcpStream::connect(addr).await.unwrap();
            ready_tx.send(()).unwrap();
            let mut byte = [0u8];
            stream.read_exact(&mut byte).await.unwrap();
            read_tx.send("read").unwrap();
        });
    });
    let (mut server, _) = listener.accept().unwrap();
    ready_rx.recv_timeout(LIMIT).expect("the client connected");
    let blocker_tx = tx.clone();
    rt.spawn(async move {
        std::thread::sleep(Duration::from_millis(600));
        blocker_tx.send("blocker").unwrap();
    });
    std::thread::sleep(Duration::from_millis(150));
    server.write_all(b"x").unwrap();
    let mut order = Vec::new();
    for _ in 0..3 {
        order.push(rx.recv_timeout(LIMIT).expect("every task finished"));
    }
    assert_eq!(order.last(), Some(&"blocker"), "{order:?}");
    let mut rest = server;
    let mut buf = [0u8; 1];
    rest.set_read_timeout(Some(Duration::from_millis(10)))
        .unwrap();
    let _ = rest.read(&mut buf);
}

#[test]
fn a_long_poll_is_reported_with_the_tasks_name_and_location() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let rt = Runtime::builder()
        .worker_threads(2)
        .long_poll_threshold(Duration::from_millis(20))
        .on_long_poll(move |long_poll| {
            let _ = tx.lock().unwrap().send(long_poll.clone());
        })
        .build()
        .unwrap();
    let task = bobbin::task::Builder::new().name("slow-hash").spawn_on(
        async { std::thread::sleep(Duration::from_millis(300)) },
        &rt.handle(),
    );
    let report = rx.recv_timeout(LIMIT).expect("the long poll was reported");
    assert_eq!(report.name(), Some("slow-hash"));
    assert_eq!(report.id(), Some(task.id()));
    let location = report.location().expect("the task is alive");
    assert!(
        location.file().ends_with("blocking_monitor.rs"),
        "{location}"
    );
    assert!(report.duration() >= Duration::from_millis(20));
    assert!(report.to_string().contains("slow-hash"), "{report}");
    rt.block_on(task).unwrap();
    let metrics = rt.handle().metrics();
    assert_eq!(metrics.long_polls(), 1);
    let recent = &metrics.recent_long_polls()[0];
    // Raised while the poll went on.
    assert!(recent.duration() >= Duration::from_millis(200), "{recent}");
    // Short polls are not reported.
    rt.block_on(async {
        for _ in 0..100 {
            bobbin::spawn(async {}).await.unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(rt.handle().metrics().long_polls(), 1);
}

#[test]
fn block_in_place_outside_a_worker_just_runs_the_closure() {
    assert_eq!(bobbin::task::block_in_place(|| 5), 5);
    let rt = runtime(1, "monitor");
    assert_eq!(rt.block_on(async { bobbin::task::block_in_place(|| 6) }), 6);
}

#[test]
fn block_on_works_inside_block_in_place() {
    let rt = runtime(2, "monitor");
    let value = rt.block_on(bobbin::spawn(async {
        bobbin::task::block_in_place(|| {
            let handle = bobbin::runtime::Handle::current();
            handle.block_on(async {
                bobbin::time::sleep(Duration::from_millis(5)).await;
                bobbin::spawn(async { 40 }).await.unwrap() + 2
            })
        })
    }));
    assert_eq!(value.unwrap(), 42);
}

#[test]
fn many_tasks_in_block_in_place_at_once_all_finish() {
    let rt = runtime(2, "monitor");
    let done = rt.block_on(async {
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                bobbin::spawn(async move {
                    bobbin::task::block_in_place(|| std::thread::sleep(Duration::from_millis(20)));
                    bobbin::time::sleep(Duration::from_millis(1)).await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        sum
    });
    assert_eq!(done, (0..32).sum::<i32>());
    // The spares retire once their workers are back.
    let deadline = Instant::now() + LIMIT;
    while rt.handle().metrics().active_spares() > 0 {
        assert!(Instant::now() < deadline, "spares stayed active");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_panic_inside_block_in_place_leaves_the_worker_usable() {
    let rt = runtime(1, "monitor");
    let err = rt
        .block_on(bobbin::spawn(async {
            bobbin::task::block_in_place(|| panic!("inside block_in_place"));
        }))
        .unwrap_err();
    assert!(err.is_panic());
    let value = rt.block_on(bobbin::spawn(async {
        bobbin::time::sleep(Duration::from_millis(1)).await;
        7
    }));
    assert_eq!(value.unwrap(), 7);
}

#[test]
fn shutdown_names_a_task_stuck_in_a_poll() {
    let rt = runtime(2, "monitor");
    let (tx, rx) = mpsc::channel();
    bobbin::task::Builder::new().name("spinner").spawn_on(
        async move {
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(400));
        },
        &rt.handle(),
    );
    rx.recv_timeout(LIMIT).unwrap();
    let report = rt.shutdown_timeout(Duration::from_millis(50));
    assert_eq!(report.unfinished().len(), 1, "{report}");
    assert_eq!(report.unfinished()[0].name(), Some("spinner"));
    assert!(!report.unfinished()[0].is_blocking());
}

/// Two concurrent `block_in_place` sections on a one-worker runtime. With
/// one spare per worker, the second found no spare left, so no core was
/// left to drive timers (or run tasks), and both waited on a timer inside
/// `block_on` that nobody fired. Spares are now made on demand.
#[test]
fn two_block_in_place_sections_on_one_worker_both_finish() {
    with_timeout(Duration::from_secs(5), || {
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
    });
}

/// A runtime dropped inside one of its own tasks is documented to work.
/// If that task happens to be polled by a spare core (a blocking-pool
/// thread), `Runtime::drop` waited for every pool thread to exit,
/// including the one it runs on.
#[test]
fn a_runtime_dropped_inside_a_task_on_a_spare_core_returns() {
    with_timeout(Duration::from_secs(5), || {
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
    });
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

/// max_blocking_threads(1): block_in_place's spare took the only pool
/// thread for the whole section, so a spawn_blocking awaited inside it
/// never started. A running spare no longer counts against the limit.
#[test]
fn block_in_place_waiting_on_spawn_blocking_with_a_one_thread_pool_finishes() {
    with_timeout(Duration::from_secs(5), || {
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
    });
}
