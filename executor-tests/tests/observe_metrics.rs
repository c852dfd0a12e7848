//! `Handle::metrics` against scripted workloads: each counter is checked
//! against what the script did (exactly where the script fixes it).

use bobbin::Runtime;
use executor_tests::{LIMIT, runtime, wait_until, with_timeout};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[test]
fn spawned_completed_and_alive_count_every_task_once() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "metrics-spawn");
        let handle = rt.handle();
        let outer = rt.block_on(async {
            // 100 spawns from outside the workers (block_on's thread)...
            let outside: Vec<_> = (0..100u64)
                .map(|i| bobbin::spawn(async move { i }))
                .collect();
            // ...and one task that spawns 1000 from a worker.
            let inner = bobbin::spawn(async {
                let tasks: Vec<_> = (0..1000u64)
                    .map(|i| bobbin::spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for task in tasks {
                    sum += task.await.unwrap();
                }
                sum
            });
            let mut sum = inner.await.unwrap();
            for task in outside {
                sum += task.await.unwrap();
            }
            sum
        });
        assert_eq!(outer, 999 * 1000 / 2 + 99 * 100 / 2);
        // Workers publish their counters when they go idle (or every 61
        // polls), so wait until both counts are in.
        wait_until(LIMIT, "all 1101 spawns and completions published", || {
            let metrics = handle.metrics();
            metrics.tasks_completed() == 1101 && metrics.tasks_spawned() == 1101
        });
        let metrics = handle.metrics();
        assert_eq!(metrics.remote_spawns(), 101);
        let on_workers: u64 = metrics.workers().iter().map(|w| w.spawned()).sum();
        assert_eq!(on_workers, 1000);
        assert!(metrics.polls() >= 1101, "{metrics}");
        assert!(metrics.remote_schedules() >= 101);
        assert_eq!(metrics.tasks_alive(), 0, "every JoinHandle was consumed");
        // The two lists agree: per-worker polls sum to the total.
        let polls: u64 = metrics.workers().iter().map(|w| w.polls()).sum();
        assert_eq!(polls, metrics.polls());
        drop(rt);
    });
}

#[test]
fn a_task_held_by_its_handle_is_alive_until_the_handle_goes() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "metrics-alive");
        let handle = rt.handle();
        let task = rt.spawn(async { 5 });
        wait_until(LIMIT, "the task finished", || task.is_finished());
        assert_eq!(handle.metrics().tasks_alive(), 1, "finished, output unread");
        drop(task);
        // Freed once the worker that completed it lets go too.
        wait_until(LIMIT, "the task is freed", || {
            handle.metrics().tasks_alive() == 0
        });
    });
}

#[test]
fn a_steal_is_counted_on_the_worker_that_took_the_work() {
    with_timeout(LIMIT, || {
        // A long threshold keeps the monitor from moving the queue itself:
        // the other worker can only get these tasks by stealing.
        let rt = Runtime::builder()
            .worker_threads(2)
            .thread_name("metrics-steal")
            .long_poll_threshold(Duration::from_secs(30))
            .build()
            .unwrap();
        let ran_on = Arc::new(Mutex::new(Vec::new()));
        let log = ran_on.clone();
        let spawner = rt
            .block_on(rt.spawn(async move {
                let me = std::thread::current().name().unwrap().to_owned();
                let tasks: Vec<_> = (0..16)
                    .map(|_| {
                        let log = log.clone();
                        bobbin::spawn(async move {
                            let name = std::thread::current().name().unwrap().to_owned();
                            log.lock().unwrap().push(name);
                            std::thread::sleep(Duration::from_millis(2));
                        })
                    })
                    .collect();
                // Keep this worker busy until the other one took something.
                let deadline = Instant::now() + Duration::from_secs(20);
                while Instant::now() < deadline && !log.lock().unwrap().iter().any(|n| *n != me) {
                    std::hint::spin_loop();
                }
                for task in tasks {
                    task.await.unwrap();
                }
                me
            }))
            .unwrap();
        let thieves: HashSet<String> = ran_on
            .lock()
            .unwrap()
            .iter()
            .filter(|name| **name != spawner)
            .cloned()
            .collect();
        assert_eq!(thieves.len(), 1, "the other worker ran some of the tasks");
        let thief = thieves.into_iter().next().unwrap();
        let index: usize = thief.rsplit('-').next().unwrap().parse().unwrap();
        // Published when the thief goes idle.
        wait_until(LIMIT, "the thief's counters are published", || {
            rt.handle().metrics().workers()[index].steals() >= 1
        });
        let metrics = rt.handle().metrics();
        let worker = &metrics.workers()[index];
        assert!(worker.steals() >= 1, "{metrics}");
        assert!(worker.stolen_tasks() >= worker.steals());
        // The spawner may steal some back once its own ring is empty (a
        // race the test cannot rule out); the thief's steals are its own.
        assert!(metrics.steals() >= worker.steals(), "{metrics}");
    });
}

#[test]
fn parks_unparks_timers_io_and_blocking_follow_the_script() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "metrics-misc");
        let handle = rt.handle();
        // Idle workers park.
        wait_until(LIMIT, "both workers parked", || {
            handle.metrics().parks() >= 2
        });
        // One pending timer.
        let sleeper = rt.spawn(bobbin::time::sleep(Duration::from_secs(60)));
        wait_until(LIMIT, "the timer is registered", || {
            handle.metrics().timers_pending() == 1
        });
        sleeper.abort();
        wait_until(LIMIT, "the aborted timer is gone", || {
            handle.metrics().timers_pending() == 0
        });
        // One listener, one connection each side: three sources, and the
        // accept and connect deliver events.
        rt.block_on(async {
            let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = bobbin::spawn(bobbin::net::TcpStream::connect(addr));
            let (server, _) = listener.accept().await.unwrap();
            let client = client.await.unwrap().unwrap();
            assert_eq!(handle.metrics().io_sources(), 3);
            drop((server, client, listener));
        });
        let metrics = handle.metrics();
        assert_eq!(metrics.io_sources(), 0);
        assert!(metrics.io_events() >= 1, "{metrics}");
        wait_until(LIMIT, "an unpark is published", || {
            handle.metrics().unparks() >= 1
        });
        // Blocking jobs.
        let jobs: Vec<_> = (0..3).map(|_| rt.spawn_blocking(|| 1)).collect();
        for job in jobs {
            assert_eq!(rt.block_on(job).unwrap(), 1);
        }
        wait_until(LIMIT, "three jobs counted complete", || {
            handle.metrics().blocking_jobs_completed() == 3
        });
        let metrics = handle.metrics();
        assert_eq!(metrics.blocking_jobs_spawned(), 3);
        assert!(metrics.blocking_threads() >= 1);
        assert_eq!(metrics.tasks_spawned(), 2, "blocking jobs are not tasks");
    });
}

#[test]
fn queue_depths_show_work_waiting_behind_a_busy_worker() {
    with_timeout(LIMIT, || {
        let rt = Runtime::builder()
            .worker_threads(1)
            .long_poll_threshold(Duration::from_secs(30))
            .build()
            .unwrap();
        let handle = rt.handle();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Mutex::new(rx);
        // The only worker blocks until told; 10 spawns from outside wait in
        // the injector, then the blocked task spawns 5 into its own queue.
        let blocker = rt.spawn(async move {
            let _ = rx.lock().unwrap().recv();
            let local: Vec<_> = (0..5).map(|_| bobbin::spawn(async {})).collect();
            let _ = rx.lock().unwrap().recv();
            local
        });
        wait_until(LIMIT, "the blocker runs", || {
            handle.metrics().polls() == 0 && {
                handle
                    .dump()
                    .tasks()
                    .iter()
                    .any(|t| t.poll_duration().is_some())
            }
        });
        let queued: Vec<_> = (0..10).map(|_| rt.spawn(async {})).collect();
        assert_eq!(handle.metrics().injector_depth(), 10);
        tx.send(()).unwrap();
        wait_until(LIMIT, "the local spawns are queued", || {
            handle.metrics().local_queue_depth() == 5
        });
        assert_eq!(handle.metrics().workers()[0].queue_depth(), 5);
        tx.send(()).unwrap();
        let local = rt.block_on(blocker).unwrap();
        for task in local.into_iter().chain(queued) {
            rt.block_on(task).unwrap();
        }
        let metrics = handle.metrics();
        assert_eq!(metrics.injector_depth() + metrics.local_queue_depth(), 0);
    });
}

#[test]
fn the_report_names_every_figure_and_every_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(3, "metrics-display");
        rt.block_on(rt.spawn(async {})).unwrap();
        let text = rt.handle().metrics().to_string();
        for needle in [
            "runtime: 3 workers",
            "tasks:",
            "polls:",
            "steals",
            "queues:",
            "parks",
            "blocking:",
            "I/O sources",
            "timers pending",
            "long polls: 0",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
        }
        let rows = text
            .lines()
            .skip_while(|l| !l.starts_with("worker"))
            .count();
        assert_eq!(rows, 4, "a header and one row per worker:\n{text}");
    });
}

#[test]
fn metrics_can_be_read_from_inside_a_task_and_while_work_runs() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "metrics-reader");
        let handle = rt.handle();
        let reader = std::thread::spawn(move || {
            let mut last = 0;
            for _ in 0..200 {
                let polls = handle.metrics().polls();
                assert!(polls >= last, "a counter went back: {polls} after {last}");
                last = polls;
            }
        });
        let inside = rt.block_on(rt.spawn(async {
            let tasks: Vec<_> = (0..2000).map(|_| bobbin::spawn(async {})).collect();
            let alive = bobbin::runtime::Handle::current().metrics().tasks_alive();
            for task in tasks {
                task.await.unwrap();
            }
            alive
        }));
        reader.join().unwrap();
        // Read from inside a task, while its 2000 children were held.
        assert!(inside.unwrap() >= 2001);
    });
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let done = POLLS.fetch_add(1, SeqCst);
        let published = bobbin::runtime::Handle::current().metrics().polls();
        MAX_GAP.fetch_max(done.saturating_sub(published), SeqCst);
        self.0.as_mut().poll(cx)
    }
}

/// Counts its polls, and how far the published poll count lags behind.
struct Counted<F>(Pin<Box<F>>);

static MAX_GAP: AtomicU64 = AtomicU64::new(0);

static POLLS: AtomicU64 = AtomicU64::new(0);

#[test]
fn published_polls_lag_by_at_most_what_the_docs_say() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "observe");
        let outer = Counted(Box::pin(async {
            let (tx, rx) = bobbin::channel::bounded::<u32>(0);
            let echo = bobbin::spawn(Counted(Box::pin(async move {
                while rx.recv().await.is_ok() {}
            })));
            for i in 0..5_000 {
                tx.send(i).await.unwrap();
            }
            drop(tx);
            echo.await.unwrap();
        }));
        rt.block_on(rt.spawn(outer)).unwrap();
        let gap = MAX_GAP.load(SeqCst);
        assert!(gap <= 244, "published polls lagged by {gap}");
    });
}
