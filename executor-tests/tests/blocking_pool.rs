//! The blocking pool: spawn_blocking runs jobs on threads that start on
//! demand and exit when idle; panics reach the JoinHandle; shutdown waits
//! only up to its timeout and names what still runs.

use bobbin::Runtime;
use executor_tests::with_timeout;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_job_runs_and_returns_its_value() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let value = rt.block_on(async { bobbin::spawn_blocking(|| 6 * 7).await.unwrap() });
    assert_eq!(value, 42);
}

#[test]
fn the_pool_grows_under_a_burst_and_shrinks_after_keep_alive() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .thread_keep_alive(Duration::from_millis(200))
        .build()
        .unwrap();
    let gate = Arc::new(std::sync::Barrier::new(9));
    let jobs: Vec<_> = (0..8)
        .map(|_| {
            let gate = gate.clone();
            rt.spawn_blocking(move || {
                gate.wait();
            })
        })
        .collect();
    // Eight jobs that all wait for each other can only finish if eight
    // threads run at once.
    wait_until("8 blocking threads run", Duration::from_secs(10), || {
        rt.handle().metrics().blocking_threads() >= 8
    });
    gate.wait();
    rt.block_on(async {
        for job in jobs {
            job.await.unwrap();
        }
    });
    assert_eq!(rt.handle().metrics().blocking_threads(), 8);
    wait_until("the idle threads exit", Duration::from_secs(10), || {
        rt.handle().metrics().blocking_threads() == 0
    });
    // And it grows again.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 1)).unwrap(), 1);
}

#[test]
fn the_pool_never_exceeds_its_limit_and_runs_every_job() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .max_blocking_threads(3)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let jobs: Vec<_> = (0..200)
        .map(|i| {
            let running = running.clone();
            let most = most.clone();
            rt.spawn_blocking(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_micros(200));
                running.fetch_sub(1, Ordering::SeqCst);
                i
            })
        })
        .collect();
    let sum: usize = rt.block_on(async {
        let mut sum = 0;
        for job in jobs {
            sum += job.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..200).sum());
    assert!(most.load(Ordering::SeqCst) <= 3);
    assert!(rt.handle().metrics().blocking_threads() <= 3);
}

#[test]
fn jobs_submitted_from_many_threads_all_run() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let submitters: Vec<_> = (0..8)
        .map(|_| {
            let handle = rt.handle();
            let done = done.clone();
            std::thread::spawn(move || {
                let jobs: Vec<_> = (0..500)
                    .map(|_| {
                        let done = done.clone();
                        handle.spawn_blocking(move || {
                            done.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                handle.block_on(async {
                    for job in jobs {
                        job.await.unwrap();
                    }
                });
            })
        })
        .collect();
    for submitter in submitters {
        submitter.join().unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 4000);
}

#[test]
fn a_panic_is_caught_into_the_join_handle() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let err = rt
        .block_on(bobbin::spawn_blocking(|| -> u32 { panic!("boom") }))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
    // The pool still works.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 3)).unwrap(), 3);
}

#[test]
fn a_job_can_spawn_tasks_and_block_on_the_runtime() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let value = rt.block_on(bobbin::spawn_blocking(|| {
        let task = bobbin::spawn(async { 20 });
        bobbin::runtime::Handle::current().block_on(task).unwrap() + 22
    }));
    assert_eq!(value.unwrap(), 42);
}

#[test]
fn shutdown_with_a_stuck_job_returns_after_the_timeout_and_names_it() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let release = Arc::new(std::sync::Barrier::new(2));
    let started = Arc::new(AtomicUsize::new(0));
    let (gate, flag) = (release.clone(), started.clone());
    let job = bobbin::task::Builder::new()
        .name("stuck-export")
        .spawn_blocking_on(
            move || {
                flag.store(1, Ordering::SeqCst);
                gate.wait();
            },
            &rt.handle(),
        );
    wait_until("the job starts", Duration::from_secs(10), || {
        started.load(Ordering::SeqCst) == 1
    });
    let queued = rt.spawn_blocking(|| ());
    let began = Instant::now();
    let report = rt.shutdown_timeout(Duration::from_millis(200));
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(200),
        "returned early: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "waited too long: {took:?}");
    let unfinished = report.unfinished();
    assert_eq!(unfinished.len(), 1, "{report}");
    assert_eq!(unfinished[0].name(), Some("stuck-export"));
    assert!(unfinished[0].is_blocking());
    assert!(
        unfinished[0]
            .location()
            .file()
            .ends_with("blocking_pool.rs")
    );
    assert!(report.to_string().contains("stuck-export"), "{report}");
    release.wait();
    // The stuck job finishes on its own thread; its handle resolves.
    futures::executor::block_on(job).unwrap();
    // The job queued behind it never started: it was dropped unrun.
    assert!(
        futures::executor::block_on(queued)
            .unwrap_err()
            .is_cancelled()
    );
}

#[test]
fn blocking_forms_inside_a_job_are_not_limited_by_the_budget() {
    // More than a poll's budget of channel operations inside one blocking
    // job (one task poll, as far as the harness knows) and inside
    // block_in_place: each must complete, not spin on a spent budget.
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let (tx, rx) = bobbin::channel::unbounded();
    let producer = rt.spawn_blocking(move || {
        for i in 0..1_000u32 {
            tx.send_blocking(i).unwrap();
        }
    });
    let consumer = rt.spawn_blocking(move || {
        let mut sum = 0u64;
        while let Ok(i) = rx.recv_blocking() {
            sum += u64::from(i);
        }
        sum
    });
    rt.block_on(producer).unwrap();
    assert_eq!(rt.block_on(consumer).unwrap(), 499_500);
    let total = rt.block_on(bobbin::spawn(async {
        bobbin::task::block_in_place(|| {
            bobbin::runtime::Handle::current().block_on(async {
                let (tx, rx) = bobbin::channel::bounded(4);
                let feeder = bobbin::spawn(async move {
                    for i in 0..1_000u64 {
                        tx.send(i).await.unwrap();
                    }
                });
                let mut sum = 0;
                while let Ok(i) = rx.recv().await {
                    sum += i;
                }
                feeder.await.unwrap();
                sum
            })
        })
    }));
    assert_eq!(total.unwrap(), 499_500);
}

/// max_blocking_threads(1): a pool thread that decided to exit (keep-alive)
/// counted against the limit until its very last statement, so a job
/// submitted in that window started no thread and sat in the channel after
/// the thread had gone. `on_thread_stop` widens the window to make it
/// deterministic; without a hook it is the few instructions before
/// `threads.fetch_sub`.
#[test]
fn a_job_submitted_while_the_last_pool_thread_exits_still_runs() {
    with_timeout(Duration::from_secs(5), || {
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
    });
}
