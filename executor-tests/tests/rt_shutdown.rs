//! Shutdown: dropping a runtime cancels every task (their `Drop` runs, their
//! JoinHandles resolve cancelled) and joins the workers, whether the tasks
//! are idle, queued or running; spawning afterwards gives a cancelled task;
//! wakers that outlive the runtime are harmless.

use bobbin::Runtime;
use executor_tests::{DropCounter, LIMIT, join, runtime, wait_until, with_timeout};
use std::cell::RefCell;
use std::future::{pending, poll_fn};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// Stays pending forever holding `guard`; reports its first poll on
/// `polled`.
async fn idle_task(guard: executor_tests::DropGuard, polled: mpsc::Sender<()>) {
    let _guard = guard;
    let _ = polled.send(());
    pending::<()>().await
}

#[test]
fn drop_cancels_idle_tasks_and_runs_their_drop() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "shutdown");
        let counter = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let tasks: Vec<_> = (0..100)
            .map(|_| rt.spawn(idle_task(counter.guard(), polled_tx.clone())))
            .collect();
        for _ in 0..100 {
            polled_rx
                .recv_timeout(LIMIT)
                .expect("a task was never polled");
        }
        assert_eq!(counter.dropped(), 0);
        drop(rt);
        // Drop returned: every future is already gone.
        assert_eq!(counter.dropped(), 100);
        for task in tasks {
            assert!(task.is_finished());
            assert!(join(task).unwrap_err().is_cancelled());
        }
    });
}

thread_local! {
    static EXIT_PROBE: RefCell<Option<ExitProbe>> = const { RefCell::new(None) };
}

/// Counts its thread's exit when the thread's locals are destroyed.
struct ExitProbe(Arc<AtomicUsize>);

impl Drop for ExitProbe {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn drop_joins_every_worker_thread() {
    with_timeout(LIMIT, || {
        let exited = Arc::new(AtomicUsize::new(0));
        let probe = exited.clone();
        let rt = Runtime::builder()
            .worker_threads(3)
            .on_thread_start(move || {
                EXIT_PROBE.with(|slot| *slot.borrow_mut() = Some(ExitProbe(probe.clone())));
            })
            .build()
            .unwrap();
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
        drop(rt);
        // Thread-local destructors run as a thread exits, before a join of it
        // returns: all three have run, so all three threads were joined.
        assert_eq!(exited.load(SeqCst), 3);
    });
}

#[test]
fn drop_cancels_queued_tasks_that_never_ran() {
    with_timeout(LIMIT, || {
        // One worker, held by a blocked task: everything spawned after it
        // stays queued until the runtime shuts down.
        let (stopped_tx, stopped_rx) = mpsc::channel();
        let rt = Runtime::builder()
            .worker_threads(1)
            .on_thread_stop(move || stopped_tx.send(()).unwrap())
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let release = Arc::new(AtomicBool::new(false));
        let blocker = {
            let release = release.clone();
            rt.spawn(async move {
                started_tx.send(()).unwrap();
                // Hold the only worker (spinning in this poll) until released.
                while !release.load(SeqCst) {
                    std::hint::spin_loop();
                }
                pending::<()>().await
            })
        };
        started_rx
            .recv_timeout(LIMIT)
            .expect("the blocker never ran");
        let counter = DropCounter::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let queued: Vec<_> = (0..1_000)
            .map(|_| {
                let guard = counter.guard();
                let ran = ran.clone();
                rt.spawn(async move {
                    let _guard = guard;
                    ran.fetch_add(1, SeqCst);
                })
            })
            .collect();
        // Start the shutdown without waiting for the stuck worker, then let
        // its poll return: it must see the shutdown and cancel the rest.
        rt.shutdown_timeout(Duration::from_millis(10));
        release.store(true, SeqCst);
        stopped_rx
            .recv_timeout(LIMIT)
            .expect("the worker never stopped");
        assert_eq!(
            ran.load(SeqCst),
            0,
            "a queued task ran after shutdown began"
        );
        assert_eq!(counter.dropped(), 1_000);
        for task in queued {
            assert!(join(task).unwrap_err().is_cancelled());
        }
        assert!(join(blocker).unwrap_err().is_cancelled());
    });
}

#[test]
fn drop_waits_for_a_running_poll_then_cancels_that_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "shutdown");
        let idle = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let idle_tasks: Vec<_> = (0..50)
            .map(|_| rt.spawn(idle_task(idle.guard(), polled_tx.clone())))
            .collect();
        for _ in 0..50 {
            polled_rx.recv_timeout(LIMIT).unwrap();
        }
        let runner = DropCounter::new();
        let (started_tx, started_rx) = mpsc::channel();
        let saw_cancellation = Arc::new(AtomicBool::new(false));
        let running = {
            let guard = runner.guard();
            let idle = idle.clone();
            let saw = saw_cancellation.clone();
            rt.spawn(async move {
                let _guard = guard;
                started_tx.send(()).unwrap();
                // Spin in this poll while the other worker shuts down and
                // cancels the idle tasks.
                let deadline = Instant::now() + Duration::from_secs(30);
                while idle.dropped() < 50 && Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                saw.store(idle.dropped() == 50, SeqCst);
                pending::<()>().await
            })
        };
        started_rx.recv_timeout(LIMIT).unwrap();
        drop(rt);
        assert!(
            saw_cancellation.load(SeqCst),
            "the idle tasks were not cancelled while another task was running"
        );
        assert_eq!(runner.dropped(), 1, "the running task was not cancelled");
        assert_eq!(idle.dropped(), 50);
        assert!(join(running).unwrap_err().is_cancelled());
        for task in idle_tasks {
            assert!(join(task).unwrap_err().is_cancelled());
        }
    });
}

#[test]
fn drop_cancels_tasks_woken_but_not_yet_polled() {
    with_timeout(LIMIT, || {
        // Tasks parked on a waker that another thread keeps waking while
        // the runtime goes away.
        for _ in 0..20 {
            let rt = runtime(2, "shutdown");
            let counter = DropCounter::new();
            let wakers: Arc<Mutex<Vec<Waker>>> = Arc::default();
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    let guard = counter.guard();
                    let wakers = wakers.clone();
                    rt.spawn(async move {
                        let _guard = guard;
                        poll_fn(|cx| {
                            wakers.lock().unwrap().push(cx.waker().clone());
                            Poll::<()>::Pending
                        })
                        .await
                    })
                })
                .collect();
            let stop = Arc::new(AtomicBool::new(false));
            let waker_thread = {
                let wakers = wakers.clone();
                let stop = stop.clone();
                thread::spawn(move || {
                    while !stop.load(SeqCst) {
                        let batch: Vec<Waker> = wakers.lock().unwrap().drain(..).collect();
                        batch.into_iter().for_each(Waker::wake);
                        thread::yield_now();
                    }
                })
            };
            drop(rt);
            stop.store(true, SeqCst);
            waker_thread.join().unwrap();
            assert_eq!(counter.dropped(), 50);
            for task in tasks {
                assert!(join(task).unwrap_err().is_cancelled());
            }
            // Wakers left over outlive the runtime: waking them is harmless.
            for waker in wakers.lock().unwrap().drain(..) {
                waker.wake();
            }
        }
    });
}

#[test]
fn completed_outputs_survive_shutdown() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "shutdown");
        let task = rt.spawn(async { String::from("kept") });
        wait_until(LIMIT, "the task to finish", || task.is_finished());
        drop(rt);
        assert_eq!(join(task).unwrap(), "kept");
    });
}

#[test]
fn spawn_on_a_shut_down_runtime_gives_a_cancelled_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "shutdown");
        let handle = rt.handle();
        drop(rt);
        let counter = DropCounter::new();
        let ran = Arc::new(AtomicBool::new(false));
        let task = {
            let guard = counter.guard();
            let ran = ran.clone();
            handle.spawn(async move {
                let _guard = guard;
                ran.store(true, SeqCst);
            })
        };
        // Cancelled at once: the future is already dropped, never polled.
        assert!(task.is_finished());
        assert_eq!(counter.dropped(), 1);
        assert!(join(task).unwrap_err().is_cancelled());
        assert!(!ran.load(SeqCst));

        // The same through every other way to spawn onto it.
        let _guard = handle.enter();
        assert!(join(bobbin::spawn(async { 1 })).unwrap_err().is_cancelled());
        let named = bobbin::task::Builder::new()
            .name("late")
            .spawn_on(async { 2 }, &handle);
        assert!(join(named).unwrap_err().is_cancelled());
        let mut set = bobbin::task::JoinSet::new();
        set.spawn_on(async { 3 }, &handle);
        let result = futures::executor::block_on(set.join_next()).unwrap();
        assert!(result.unwrap_err().is_cancelled());
        // A block_on on the handle still runs its own future, and a spawn
        // inside it is cancelled.
        drop(_guard);
        let inner = handle.block_on(async { bobbin::spawn(async { 4 }).await });
        assert!(inner.unwrap_err().is_cancelled());
    });
}

#[test]
fn shutdown_timeout_with_idle_tasks_returns_without_waiting_out_the_timeout() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "shutdown");
        let counter = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let tasks: Vec<_> = (0..10)
            .map(|_| rt.spawn(idle_task(counter.guard(), polled_tx.clone())))
            .collect();
        for _ in 0..10 {
            polled_rx.recv_timeout(LIMIT).unwrap();
        }
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_secs(120));
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "shutdown_timeout waited {:?} with nothing running",
            start.elapsed()
        );
        assert_eq!(counter.dropped(), 10);
        for task in tasks {
            assert!(join(task).unwrap_err().is_cancelled());
        }
    });
}

#[test]
fn shutdown_timeout_gives_up_on_a_stuck_worker_which_exits_later() {
    with_timeout(LIMIT, || {
        let (stopped_tx, stopped_rx) = mpsc::channel();
        let rt = Runtime::builder()
            .worker_threads(2)
            .on_thread_stop(move || stopped_tx.send(()).unwrap())
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let release = Arc::new(AtomicBool::new(false));
        let counter = DropCounter::new();
        let stuck = {
            let release = release.clone();
            let guard = counter.guard();
            rt.spawn(async move {
                let _guard = guard;
                started_tx.send(()).unwrap();
                while !release.load(SeqCst) {
                    std::hint::spin_loop();
                }
                pending::<()>().await
            })
        };
        started_rx.recv_timeout(LIMIT).unwrap();
        let timeout = Duration::from_millis(100);
        let start = Instant::now();
        rt.shutdown_timeout(timeout);
        let waited = start.elapsed();
        // Timing is the point here: it waited about the timeout, not forever.
        assert!(
            waited >= timeout,
            "returned after {waited:?}, before the timeout"
        );
        assert!(waited < Duration::from_secs(30), "waited {waited:?}");
        // The free worker stopped; the stuck one is still in its poll.
        stopped_rx
            .recv_timeout(LIMIT)
            .expect("the free worker never stopped");
        assert_eq!(
            counter.dropped(),
            0,
            "the running task's future was dropped mid-poll"
        );
        release.store(true, SeqCst);
        stopped_rx
            .recv_timeout(LIMIT)
            .expect("the stuck worker never stopped");
        assert_eq!(counter.dropped(), 1);
        assert!(join(stuck).unwrap_err().is_cancelled());
    });
}

#[test]
fn shutdown_background_returns_at_once_and_the_workers_finish_later() {
    with_timeout(LIMIT, || {
        let (stopped_tx, stopped_rx) = mpsc::channel();
        let rt = Runtime::builder()
            .worker_threads(1)
            .on_thread_stop(move || stopped_tx.send(()).unwrap())
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let release = Arc::new(AtomicBool::new(false));
        let counter = DropCounter::new();
        let task = {
            let release = release.clone();
            let guard = counter.guard();
            rt.spawn(async move {
                let _guard = guard;
                started_tx.send(()).unwrap();
                while !release.load(SeqCst) {
                    std::hint::spin_loop();
                }
                pending::<()>().await
            })
        };
        started_rx.recv_timeout(LIMIT).unwrap();
        // The only worker is stuck: a waiting shutdown would hang here.
        rt.shutdown_background();
        assert_eq!(counter.dropped(), 0);
        release.store(true, SeqCst);
        stopped_rx
            .recv_timeout(LIMIT)
            .expect("the worker never stopped");
        assert_eq!(counter.dropped(), 1);
        assert!(join(task).unwrap_err().is_cancelled());
    });
}

#[test]
fn spawn_racing_shutdown_runs_or_is_cancelled_and_never_hangs() {
    with_timeout(LIMIT, || {
        let counter = DropCounter::new();
        let (mut ran, mut cancelled) = (0, 0);
        for _ in 0..200 {
            let rt = runtime(2, "shutdown");
            let handle = rt.handle();
            let barrier = Arc::new(Barrier::new(2));
            let spawner = {
                let barrier = barrier.clone();
                let counter = counter.clone();
                thread::spawn(move || {
                    barrier.wait();
                    (0..50u32)
                        .map(|i| {
                            let guard = counter.guard();
                            handle.spawn(async move {
                                let _guard = guard;
                                bobbin::task::yield_now().await;
                                i
                            })
                        })
                        .collect::<Vec<_>>()
                })
            };
            barrier.wait();
            drop(rt);
            for (i, task) in spawner.join().unwrap().into_iter().enumerate() {
                match join(task) {
                    Ok(value) => {
                        assert_eq!(value, i as u32);
                        ran += 1;
                    }
                    Err(err) => {
                        assert!(err.is_cancelled(), "{err}");
                        cancelled += 1;
                    }
                }
            }
        }
        assert_eq!(ran + cancelled, 200 * 50);
        assert_eq!(counter.made(), 200 * 50);
        assert_eq!(
            counter.dropped(),
            counter.made(),
            "a future leaked or was dropped twice"
        );
    });
}

#[test]
fn spawn_from_a_task_racing_shutdown_is_cancelled_or_runs() {
    with_timeout(LIMIT, || {
        let counter = DropCounter::new();
        for _ in 0..100 {
            let rt = runtime(2, "shutdown");
            let (started_tx, started_rx) = mpsc::channel();
            let results = Arc::new(Mutex::new(Vec::new()));
            let spawner = {
                let counter = counter.clone();
                let results = results.clone();
                rt.spawn(async move {
                    let _ = started_tx.send(());
                    loop {
                        let guard = counter.guard();
                        let child = bobbin::spawn(async move {
                            let _guard = guard;
                            bobbin::task::yield_now().await;
                        });
                        results.lock().unwrap().push(child);
                        bobbin::task::yield_now().await;
                    }
                })
            };
            started_rx.recv_timeout(LIMIT).unwrap();
            drop(rt);
            assert!(join(spawner).unwrap_err().is_cancelled());
            for child in results.lock().unwrap().drain(..) {
                if let Err(err) = join(child) {
                    assert!(err.is_cancelled(), "{err}");
                }
            }
        }
        assert_eq!(counter.dropped(), counter.made());
    });
}

#[test]
fn a_waker_that_outlives_its_runtime_is_harmless() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "shutdown");
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (polled_tx, polled_rx) = mpsc::channel();
        let task = {
            let slot = slot.clone();
            rt.spawn(async move {
                poll_fn(|cx| {
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    let _ = polled_tx.send(());
                    Poll::<()>::Pending
                })
                .await
            })
        };
        polled_rx.recv_timeout(LIMIT).unwrap();
        let waker = slot
            .lock()
            .unwrap()
            .take()
            .expect("the task stored its waker");
        drop(rt);
        assert!(join(task).unwrap_err().is_cancelled());
        // Every way to use it, on this thread and on others.
        waker.wake_by_ref();
        let clone = waker.clone();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let waker = waker.clone();
                thread::spawn(move || {
                    waker.wake_by_ref();
                    waker.wake();
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(clone.will_wake(&waker));
        clone.wake();
        waker.wake();
    });
}

#[test]
fn a_waker_of_a_finished_detached_task_outliving_the_runtime_is_harmless() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "shutdown");
        let (tx, rx) = mpsc::channel();
        drop(rt.spawn(poll_fn(move |cx| {
            tx.send(cx.waker().clone()).unwrap();
            Poll::Ready(())
        })));
        let waker = rx.recv_timeout(LIMIT).unwrap();
        drop(rt);
        waker.wake_by_ref();
        // The last reference to the task goes here, after its runtime.
        drop(waker);
        // A fresh runtime works as usual.
        let rt = runtime(1, "shutdown");
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    });
}

#[test]
fn drop_from_inside_one_of_its_own_tasks_does_not_deadlock() {
    with_timeout(LIMIT, || {
        let (stopped_tx, stopped_rx) = mpsc::channel();
        let rt = Runtime::builder()
            .worker_threads(2)
            .on_thread_stop(move || stopped_tx.send(()).unwrap())
            .build()
            .unwrap();
        let counter = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let idle = rt.spawn(idle_task(counter.guard(), polled_tx));
        polled_rx.recv_timeout(LIMIT).unwrap();
        let cell = Arc::new(Mutex::new(None::<Runtime>));
        let dropper = {
            let cell = cell.clone();
            rt.spawn(async move {
                // The runtime is put in the cell just after this spawn; wait
                // for it without blocking the worker.
                let rt = loop {
                    let stored = cell.lock().unwrap().take();
                    match stored {
                        Some(rt) => break rt,
                        None => bobbin::task::yield_now().await,
                    }
                };
                drop(rt);
                "dropped"
            })
        };
        *cell.lock().unwrap() = Some(rt);
        for _ in 0..2 {
            stopped_rx
                .recv_timeout(LIMIT)
                .expect("a worker never stopped");
        }
        assert_eq!(counter.dropped(), 1);
        assert!(join(idle).unwrap_err().is_cancelled());
        // The dropping task finished its poll; it completed or was cancelled.
        match join(dropper) {
            Ok(value) => assert_eq!(value, "dropped"),
            Err(err) => assert!(err.is_cancelled(), "{err}"),
        }
    });
}

#[test]
fn many_runtimes_built_and_dropped_in_a_row() {
    with_timeout(LIMIT, || {
        for i in 0..200u32 {
            let rt = runtime(2, "shutdown");
            let task = rt.spawn(async move { i });
            let _pending = rt.spawn(pending::<()>());
            assert_eq!(rt.block_on(task).unwrap(), i);
        }
    });
}

/// Same, from a `spawn_blocking` job of the runtime.
#[test]
fn a_runtime_dropped_inside_its_own_blocking_job_returns() {
    with_timeout(Duration::from_secs(5), || {
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
    });
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
