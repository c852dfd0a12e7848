//! `task::spawn_local` through the public API: `!Send` tasks sharing an
//! `Rc`, woken from other threads, pinned to their worker, aborted from
//! another thread and dropped at shutdown on their own thread; misuse.

use bobbin::runtime::Builder;
use bobbin::task::spawn_local;
use executor_tests::{LIMIT, panic_message_of, with_timeout};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

#[test]
fn a_thousand_local_tasks_share_an_rc() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let total = rt.block_on(async {
            let shared = Rc::new(RefCell::new(0u64));
            let tasks: Vec<_> = (1..=1000u64)
                .map(|i| {
                    let shared = shared.clone();
                    spawn_local(async move {
                        bobbin::task::yield_now().await;
                        *shared.borrow_mut() += i;
                        Rc::strong_count(&shared)
                    })
                })
                .collect();
            for task in tasks {
                assert!(task.await.unwrap() >= 1);
            }
            shared.take()
        });
        assert_eq!(total, 500_500);
    });
}

#[test]
fn local_tasks_stay_on_their_worker_and_are_woken_from_other_threads() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(4).build().unwrap();
        let mismatches = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = bobbin::channel::unbounded::<u32>();
        let spawners: Vec<_> = (0..16)
            .map(|_| {
                let (mismatches, polls, rx) = (mismatches.clone(), polls.clone(), rx.clone());
                rt.spawn(async move {
                    let owner = std::thread::current().id();
                    let local = spawn_local(async move {
                        let marker = Rc::new(());
                        let mut got = 0;
                        loop {
                            polls.fetch_add(1, SeqCst);
                            if std::thread::current().id() != owner {
                                mismatches.fetch_add(1, SeqCst);
                            }
                            match rx.recv().await {
                                Ok(_) => got += 1,
                                Err(_) => break,
                            }
                            bobbin::time::sleep(std::time::Duration::from_micros(100)).await;
                        }
                        drop(marker);
                        got
                    });
                    local.await.unwrap()
                })
            })
            .collect();
        // A plain thread feeds them.
        let feeder = std::thread::spawn(move || {
            for n in 0..1000 {
                tx.send_blocking(n).unwrap();
            }
        });
        feeder.join().unwrap();
        let got: u32 = rt.block_on(async {
            let mut total = 0;
            for spawner in spawners {
                total += spawner.await.unwrap();
            }
            total
        });
        assert_eq!(got, 1000);
        assert!(polls.load(SeqCst) >= 1000);
        assert_eq!(
            mismatches.load(SeqCst),
            0,
            "a local task was polled off its thread"
        );
    });
}

/// Records the thread it is dropped on.
struct DropRecord {
    owner: ThreadId,
    wrong: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

impl Drop for DropRecord {
    fn drop(&mut self) {
        if std::thread::current().id() != self.owner {
            self.wrong.fetch_add(1, SeqCst);
        }
        self.dropped.fetch_add(1, SeqCst);
    }
}

#[test]
fn shutdown_and_aborts_from_other_threads_drop_local_tasks_on_their_own_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(4).build().unwrap();
        let wrong = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let aborts = Arc::new(Mutex::new(Vec::new()));
        let spawners: Vec<_> = (0..40)
            .map(|i| {
                let (wrong, dropped, aborts) = (wrong.clone(), dropped.clone(), aborts.clone());
                rt.spawn(async move {
                    let record = DropRecord {
                        owner: std::thread::current().id(),
                        wrong,
                        dropped,
                    };
                    let local = spawn_local(async move {
                        let _record = record;
                        let _not_send = Rc::new(());
                        std::future::pending::<()>().await;
                    });
                    if i % 2 == 0 {
                        aborts.lock().unwrap().push(local.abort_handle());
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for spawner in spawners {
                spawner.await.unwrap();
            }
        });
        // Half are aborted from a plain thread.
        let to_abort = std::mem::take(&mut *aborts.lock().unwrap());
        std::thread::spawn(move || {
            for handle in to_abort {
                handle.abort();
            }
        })
        .join()
        .unwrap();
        executor_tests::wait_until(std::time::Duration::from_secs(10), "aborts done", || {
            dropped.load(SeqCst) >= 20
        });
        // The rest go with the runtime.
        drop(rt);
        assert_eq!(dropped.load(SeqCst), 40);
        assert_eq!(
            wrong.load(SeqCst),
            0,
            "a local task was dropped off its thread"
        );
    });
}

#[test]
fn spawn_local_off_a_runtime_thread_says_where_it_may_be_called() {
    with_timeout(LIMIT, || {
        let message = panic_message_of(|| spawn_local(async {}));
        assert!(message.contains("current-thread"), "{message}");
        assert!(message.contains("Runtime::block_on"), "{message}");
    });
}

#[test]
fn a_not_send_output_comes_back_through_the_join_handle() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let value = rt.block_on(async {
            let handle = spawn_local(async { Rc::new(RefCell::new(5)) });
            let rc = handle.await.unwrap();
            *rc.borrow_mut() += 1;
            rc.take()
        });
        assert_eq!(value, 6);
    });
}

#[test]
fn local_tasks_inside_a_multi_threaded_block_on_run_on_the_calling_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let caller = std::thread::current().id();
        let wrong = Arc::new(AtomicUsize::new(0));
        // Capacity 1: the feeder waits for the tasks, so they wait for it
        // too and their wakes come from its thread.
        let (tx, rx) = bobbin::channel::bounded::<u32>(1);
        let feeder = std::thread::spawn(move || {
            for i in 0..1000 {
                tx.send_blocking(i).unwrap();
            }
        });
        let total = rt.block_on(async {
            let shared = Rc::new(RefCell::new(0u64));
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let (shared, rx, wrong) = (shared.clone(), rx.clone(), wrong.clone());
                    spawn_local(async move {
                        loop {
                            if std::thread::current().id() != caller {
                                wrong.fetch_add(1, SeqCst);
                            }
                            match rx.recv().await {
                                Ok(value) => *shared.borrow_mut() += u64::from(value),
                                Err(_) => break,
                            }
                        }
                    })
                })
                .collect();
            drop(rx);
            for task in tasks {
                task.await.unwrap();
            }
            shared.take()
        });
        feeder.join().unwrap();
        assert_eq!(total, 499_500);
        assert_eq!(
            wrong.load(SeqCst),
            0,
            "a local task was polled off its thread"
        );
    });
}

#[test]
fn the_end_of_a_block_on_drops_its_local_tasks_on_its_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let dropped_on = Arc::new(Mutex::new(Vec::new()));
        let handles = rt.block_on(async {
            (0..10)
                .map(|_| {
                    let guard = DropThread::new(&dropped_on);
                    spawn_local(async move {
                        let _guard = guard;
                        std::future::pending::<()>().await
                    })
                })
                .collect::<Vec<_>>()
        });
        let dropped = dropped_on.lock().unwrap().clone();
        assert_eq!(
            dropped.len(),
            10,
            "every local task is dropped when block_on returns"
        );
        assert!(dropped.iter().all(|id| *id == std::thread::current().id()));
        for handle in handles {
            assert!(rt.block_on(handle).unwrap_err().is_cancelled());
        }
        // The next block_on starts with no local task, and can spawn again.
        let value = rt.block_on(async { spawn_local(async { Rc::new(7) }).await.unwrap() });
        assert_eq!(*value, 7);
    });
}

#[test]
fn a_block_on_that_panics_still_drops_its_local_tasks() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let dropped_on = Arc::new(Mutex::new(Vec::new()));
        let guard = DropThread::new(&dropped_on);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move {
                let _task = spawn_local(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
                bobbin::task::yield_now().await;
                panic!("the block_on future fails");
            })
        }));
        assert!(result.is_err());
        assert_eq!(
            *dropped_on.lock().unwrap(),
            vec![std::thread::current().id()]
        );
    });
}

#[test]
fn a_runtime_shut_down_from_another_thread_cancels_a_block_on_s_local_tasks_there() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let dropped_on = Arc::new(Mutex::new(Vec::new()));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let runner = {
            let (handle, dropped_on) = (rt.handle(), dropped_on.clone());
            std::thread::spawn(move || {
                handle.block_on(async move {
                    let guard = DropThread::new(&dropped_on);
                    let task = spawn_local(async move {
                        let _guard = guard;
                        std::future::pending::<()>().await
                    });
                    started_tx.send(std::thread::current().id()).unwrap();
                    task.await
                })
            })
        };
        let runner_id = started_rx.recv().unwrap();
        drop(rt);
        let result = runner.join().unwrap();
        assert!(result.unwrap_err().is_cancelled());
        assert_eq!(*dropped_on.lock().unwrap(), vec![runner_id]);
    });
}

/// Records the thread it is dropped on; `!Send`, as a local task's state.
struct DropThread {
    dropped_on: Arc<Mutex<Vec<ThreadId>>>,
    _not_send: Rc<()>,
}

impl DropThread {
    fn new(dropped_on: &Arc<Mutex<Vec<ThreadId>>>) -> DropThread {
        DropThread {
            dropped_on: dropped_on.clone(),
            _not_send: Rc::new(()),
        }
    }
}

impl Drop for DropThread {
    fn drop(&mut self) {
        self.dropped_on
            .lock()
            .unwrap()
            .push(std::thread::current().id());
    }
}

#[test]
fn the_dump_and_the_metrics_show_local_tasks_with_their_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(4).build().unwrap();
        // One named local task on each of 8 spawner tasks' workers.
        let spawners: Vec<_> = (0..8)
            .map(|i| {
                rt.spawn(async move {
                    let _task = bobbin::task::Builder::new()
                        .name(&format!("pinned-{i}"))
                        .spawn_local(std::future::pending::<()>());
                    std::thread::current().id()
                })
            })
            .collect();
        let threads: Vec<ThreadId> = spawners
            .into_iter()
            .map(|spawner| rt.block_on(spawner).unwrap())
            .collect();
        let caller = std::thread::current().id();
        rt.block_on(async {
            let _mine = bobbin::task::Builder::new()
                .name("on-the-caller")
                .spawn_local(std::future::pending::<()>());
            let handle = bobbin::runtime::Handle::current();
            let dump = handle.dump();
            for (i, spawner_thread) in threads.iter().enumerate() {
                let name = format!("pinned-{i}");
                let task = dump
                    .tasks()
                    .iter()
                    .find(|t| t.name() == Some(&name))
                    .unwrap();
                let thread = task.local_thread().expect("marked as local");
                assert_eq!(thread.id(), *spawner_thread);
                assert!(thread.worker().is_some_and(|worker| worker < 4));
            }
            let mine = dump
                .tasks()
                .iter()
                .find(|t| t.name() == Some("on-the-caller"))
                .unwrap();
            assert_eq!(mine.local_thread().unwrap().id(), caller);
            assert_eq!(mine.local_thread().unwrap().worker(), None);
            assert!(dump.to_string().contains("local to worker"), "{dump}");
            assert!(dump.to_string().contains("in block_on"), "{dump}");

            let metrics = handle.metrics();
            assert_eq!(metrics.local_tasks_alive(), 9);
            let on_workers: usize = metrics.workers().iter().map(|w| w.local_tasks()).sum();
            assert_eq!(on_workers, 8);
            let on_caller: usize = metrics
                .local_threads()
                .iter()
                .filter(|(thread, _)| thread.id() == caller)
                .map(|(_, alive)| alive)
                .sum();
            assert_eq!(on_caller, 1);
            assert!(
                metrics.to_string().contains("local:    9 alive"),
                "{metrics}"
            );
        });
        // The block_on's own local task is gone with it.
        assert_eq!(rt.handle().metrics().local_tasks_alive(), 8);
    });
}

#[test]
fn a_long_poll_names_the_local_tasks_stuck_behind_it() {
    with_timeout(LIMIT, || {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let rt = {
            let reports = reports.clone();
            Builder::new()
                .worker_threads(2)
                .long_poll_threshold(std::time::Duration::from_millis(20))
                .on_long_poll(move |long_poll| reports.lock().unwrap().push(long_poll.clone()))
                .build()
                .unwrap()
        };
        rt.block_on(rt.spawn(async {
            for i in 0..3 {
                drop(
                    bobbin::task::Builder::new()
                        .name(&format!("stuck-{i}"))
                        .spawn_local(std::future::pending::<()>()),
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        }))
        .unwrap();
        let reports = reports.lock().unwrap();
        let report = reports.first().expect("the long poll was reported");
        let names: Vec<_> = report
            .pinned_tasks()
            .iter()
            .map(|t| t.name().unwrap())
            .collect();
        assert_eq!(names, ["stuck-0", "stuck-1", "stuck-2"]);
        let text = report.to_string();
        assert!(
            text.contains("3 local tasks pinned to it cannot move"),
            "{text}"
        );
        assert!(text.contains("\"stuck-2\""), "{text}");
    });
}

#[test]
fn a_block_on_s_polled_local_task_woken_after_it_returns_was_dropped_on_its_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let dropped_on = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = bobbin::channel::bounded::<()>(1);
        let guard = DropThread::new(&dropped_on);
        rt.block_on(async move {
            let (polled_tx, polled_rx) = bobbin::channel::oneshot::<()>();
            // Detached: nothing joins it; its waker is held by the channel.
            drop(spawn_local(async move {
                let _guard = guard;
                polled_tx.send(()).unwrap();
                let _ = rx.recv().await;
            }));
            polled_rx.await.unwrap();
        });
        assert_eq!(
            *dropped_on.lock().unwrap(),
            vec![std::thread::current().id()]
        );
        // A wake from another thread after the block_on returned finds a
        // finished task: nothing runs, nothing breaks.
        std::thread::spawn(move || drop(tx)).join().unwrap();
        assert_eq!(rt.handle().metrics().local_tasks_alive(), 0);
    });
}

#[test]
fn builder_and_join_set_spawn_local_run_inside_a_multi_threaded_block_on() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let caller = std::thread::current().id();
        let total = rt.block_on(async move {
            let shared = Rc::new(RefCell::new(0));
            let named = {
                let shared = shared.clone();
                bobbin::task::Builder::new()
                    .name("local-named")
                    .spawn_local(async move {
                        *shared.borrow_mut() += 100;
                        std::thread::current().id()
                    })
            };
            let mut set = bobbin::task::JoinSet::new();
            for i in 0..10 {
                let shared = shared.clone();
                set.spawn_local(async move {
                    bobbin::task::yield_now().await;
                    *shared.borrow_mut() += i;
                    std::thread::current().id()
                });
            }
            assert_eq!(named.await.unwrap(), caller);
            while let Some(thread) = set.join_next().await {
                assert_eq!(thread.unwrap(), caller);
            }
            shared.take()
        });
        assert_eq!(total, 145);
    });
}

#[test]
fn block_on_in_a_blocking_job_and_in_block_in_place_runs_local_tasks() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let handle = rt.handle();
        let from_job = rt
            .block_on(rt.spawn_blocking(move || {
                handle.block_on(async {
                    let rc = Rc::new(2);
                    spawn_local(async move { *rc * 10 }).await.unwrap()
                })
            }))
            .unwrap();
        assert_eq!(from_job, 20);
        let from_worker = rt
            .block_on(rt.spawn(async {
                bobbin::task::block_in_place(|| {
                    bobbin::runtime::Handle::current().block_on(async {
                        let rc = Rc::new(3);
                        spawn_local(async move { *rc * 10 }).await.unwrap()
                    })
                })
            }))
            .unwrap();
        assert_eq!(from_worker, 30);
    });
}

#[test]
fn spawn_local_in_a_current_thread_block_on_waiting_for_the_core_says_so() {
    with_timeout(LIMIT, || {
        let rt = Arc::new(Builder::new_current_thread().build().unwrap());
        let (hold_tx, hold_rx) = bobbin::channel::bounded::<()>(1);
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let holder = {
            let rt = rt.clone();
            std::thread::spawn(move || {
                rt.block_on(async move {
                    held_tx.send(()).unwrap();
                    let _ = hold_rx.recv().await;
                })
            })
        };
        held_rx.recv().unwrap();
        let message = panic_message_of(|| {
            rt.block_on(async {
                spawn_local(async {});
            })
        });
        assert!(
            message.contains("another thread's block_on runs"),
            "{message}"
        );
        drop(hold_tx);
        holder.join().unwrap();
    });
}
