//! `abort`: an idle or queued task's future is dropped at once on the
//! calling thread; a running one after its current poll; a finished one
//! keeps its output. Abort racing completion never loses, duplicates or
//! leaks anything.

use executor_tests::{DropCounter, DropGuard, LIMIT, join, runtime, wait_until, with_timeout};
use std::future::pending;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, ThreadId};

/// Records the thread that dropped it.
struct DroppedOn(Arc<Mutex<Option<ThreadId>>>);

impl Drop for DroppedOn {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(thread::current().id());
    }
}

#[test]
fn abort_of_an_idle_task_drops_its_future_at_once_on_the_calling_thread() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "abort-idle");
        let dropped_on = Arc::new(Mutex::new(None));
        let (polled_tx, polled_rx) = mpsc::channel();
        let probe = DroppedOn(dropped_on.clone());
        let handle = rt.spawn(async move {
            let _probe = probe;
            polled_tx.send(()).unwrap();
            pending::<()>().await
        });
        polled_rx.recv_timeout(LIMIT).unwrap();
        // On a one-worker runtime, a second task finishing means the first
        // one's poll has returned: it is idle now.
        rt.block_on(rt.spawn(async {})).unwrap();
        assert_eq!(*dropped_on.lock().unwrap(), None);
        handle.abort();
        assert_eq!(
            *dropped_on.lock().unwrap(),
            Some(thread::current().id()),
            "abort of an idle task must drop its future before returning, on the aborting thread"
        );
        assert!(handle.is_finished());
        assert!(join(handle).unwrap_err().is_cancelled());
    });
}

#[test]
fn abort_of_a_queued_task_drops_it_unpolled() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "abort-queued");
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        // Holds the only worker, so the next task stays queued.
        let blocker = rt.spawn(async move {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        started_rx.recv_timeout(LIMIT).unwrap();
        let polled = Arc::new(AtomicBool::new(false));
        let dropped_on = Arc::new(Mutex::new(None));
        let queued = {
            let polled = polled.clone();
            let probe = DroppedOn(dropped_on.clone());
            rt.spawn(async move {
                let _probe = probe;
                polled.store(true, SeqCst);
            })
        };
        queued.abort();
        assert_eq!(*dropped_on.lock().unwrap(), Some(thread::current().id()));
        release_tx.send(()).unwrap();
        rt.block_on(blocker).unwrap();
        assert!(rt.block_on(queued).unwrap_err().is_cancelled());
        assert!(!polled.load(SeqCst), "an aborted queued task was polled");
    });
}

#[test]
fn abort_of_a_running_task_takes_effect_after_its_poll_returns() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-run");
        let dropped_on = Arc::new(Mutex::new(None));
        let (running_tx, running_rx) = mpsc::channel();
        let aborted = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicUsize::new(0));
        let handle = {
            let probe = DroppedOn(dropped_on.clone());
            let aborted = aborted.clone();
            let polls = polls.clone();
            rt.spawn(async move {
                let _probe = probe;
                polls.fetch_add(1, SeqCst);
                running_tx.send(thread::current().id()).unwrap();
                while !aborted.load(SeqCst) {
                    std::hint::spin_loop();
                }
                // Woken during this poll: without the abort, it would be
                // polled again.
                bobbin::task::yield_now().await;
                polls.fetch_add(1, SeqCst);
                pending::<()>().await
            })
        };
        let worker = running_rx.recv_timeout(LIMIT).unwrap();
        handle.abort();
        // The future is in the middle of its poll: it must not be dropped.
        assert_eq!(*dropped_on.lock().unwrap(), None);
        aborted.store(true, SeqCst);
        assert!(join(handle).unwrap_err().is_cancelled());
        assert_eq!(
            *dropped_on.lock().unwrap(),
            Some(worker),
            "dropped by its worker"
        );
        assert_eq!(polls.load(SeqCst), 1, "polled again after the abort");
    });
}

#[test]
fn a_running_task_that_completes_in_the_poll_it_was_aborted_in_keeps_its_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-done");
        let (running_tx, running_rx) = mpsc::channel();
        let aborted = Arc::new(AtomicBool::new(false));
        let handle = {
            let aborted = aborted.clone();
            rt.spawn(async move {
                running_tx.send(()).unwrap();
                while !aborted.load(SeqCst) {
                    std::hint::spin_loop();
                }
                "finished"
            })
        };
        running_rx.recv_timeout(LIMIT).unwrap();
        handle.abort();
        aborted.store(true, SeqCst);
        // The future completed: its output is not thrown away (as tokio).
        assert_eq!(join(handle).unwrap(), "finished");
    });
}

#[test]
fn abort_after_completion_keeps_the_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-after");
        let handle = rt.spawn(async { vec![1, 2, 3] });
        wait_until(LIMIT, "the task to finish", || handle.is_finished());
        handle.abort();
        handle.abort_handle().abort();
        assert_eq!(rt.block_on(handle).unwrap(), [1, 2, 3]);
    });
}

#[test]
fn abort_is_idempotent_and_works_from_other_threads() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-thread");
        let counter = DropCounter::new();
        let handles: Vec<_> = (0..100)
            .map(|_| {
                let guard = counter.guard();
                rt.spawn(async move {
                    let _guard = guard;
                    pending::<()>().await
                })
            })
            .collect();
        let aborters: Vec<_> = handles
            .iter()
            .map(|handle| {
                let abort = handle.abort_handle();
                thread::spawn(move || {
                    abort.abort();
                    abort.abort();
                })
            })
            .collect();
        for aborter in aborters {
            aborter.join().unwrap();
        }
        for handle in &handles {
            handle.abort();
        }
        counter.wait_all_dropped(LIMIT);
        for handle in handles {
            assert!(rt.block_on(handle).unwrap_err().is_cancelled());
        }
    });
}

#[test]
fn an_aborted_task_does_not_disturb_the_others() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-others");
        let handles: Vec<_> = (0..1_000u32)
            .map(|i| {
                rt.spawn(async move {
                    bobbin::task::yield_now().await;
                    i
                })
            })
            .collect();
        for handle in handles.iter().step_by(2) {
            handle.abort();
        }
        for (i, handle) in handles.into_iter().enumerate() {
            match rt.block_on(handle) {
                Ok(value) => assert_eq!(value, i as u32),
                Err(err) => {
                    assert!(err.is_cancelled());
                    assert_eq!(i % 2, 0, "task {i} was not aborted but got cancelled");
                }
            }
        }
    });
}

/// One round of the race: what the output holds, so a lost or duplicated
/// output shows in the counts.
struct Output {
    value: usize,
    _guard: DropGuard,
}

#[test]
fn abort_racing_completion_drops_everything_exactly_once() {
    const TASKS: usize = 20_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-race");
        let futures_made = DropCounter::new();
        let outputs = DropCounter::new();
        let (mut completed, mut cancelled) = (0, 0);
        for batch in 0..(TASKS / 1_000) {
            let mut handles = Vec::with_capacity(1_000);
            for i in 0..1_000 {
                let n = batch * 1_000 + i;
                let guard = futures_made.guard();
                let outputs = outputs.clone();
                let handle = rt.spawn(async move {
                    let _guard = guard;
                    for _ in 0..(n % 3) {
                        bobbin::task::yield_now().await;
                    }
                    Output {
                        value: n,
                        _guard: outputs.guard(),
                    }
                });
                // Vary how far the task gets before the abort lands.
                for _ in 0..(n % 97) {
                    std::hint::spin_loop();
                }
                handle.abort();
                handles.push((n, handle));
            }
            for (n, handle) in handles {
                match join(handle) {
                    Ok(output) => {
                        assert_eq!(output.value, n);
                        completed += 1;
                    }
                    Err(err) => {
                        assert!(err.is_cancelled(), "task {n}: {err}");
                        cancelled += 1;
                    }
                }
            }
        }
        assert_eq!(completed + cancelled, TASKS);
        assert_eq!(futures_made.made(), TASKS);
        assert_eq!(
            futures_made.dropped(),
            TASKS,
            "a future was leaked or dropped twice"
        );
        // Every output made was handed to its JoinHandle (never lost to a
        // cancellation), and has been dropped once.
        assert_eq!(
            outputs.made(),
            completed,
            "an output was lost or made twice"
        );
        assert_eq!(outputs.dropped(), completed);
        eprintln!("abort race: {completed} completed, {cancelled} cancelled");
    });
}

#[test]
fn abort_from_another_thread_racing_completion_and_a_detach() {
    const TASKS: usize = 10_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-detach");
        let futures_made = DropCounter::new();
        let outputs = DropCounter::new();
        let (abort_tx, abort_rx) = mpsc::channel::<bobbin::task::AbortHandle>();
        let aborter = thread::spawn(move || {
            for abort in abort_rx {
                abort.abort();
            }
        });
        for n in 0..TASKS {
            let guard = futures_made.guard();
            let outputs = outputs.clone();
            let handle = rt.spawn(async move {
                let _guard = guard;
                if n % 2 == 0 {
                    bobbin::task::yield_now().await;
                }
                outputs.guard()
            });
            abort_tx.send(handle.abort_handle()).unwrap();
            // Detached while the abort and the completion race.
            drop(handle);
        }
        drop(abort_tx);
        aborter.join().unwrap();
        futures_made.wait_all_dropped(LIMIT);
        outputs.wait_all_dropped(LIMIT);
        assert_eq!(futures_made.made(), TASKS);
        assert!(outputs.made() <= TASKS);
    });
}

#[test]
fn abort_racing_a_wake_from_another_thread() {
    const TASKS: usize = 5_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "abort-wake");
        let futures_made = DropCounter::new();
        let mut results = Vec::with_capacity(TASKS);
        for n in 0..TASKS {
            let (tx, rx) = futures::channel::oneshot::channel::<usize>();
            let guard = futures_made.guard();
            let handle = rt.spawn(async move {
                let _guard = guard;
                rx.await.unwrap_or(usize::MAX)
            });
            let abort = handle.abort_handle();
            let waker = thread::spawn(move || {
                let _ = tx.send(n);
            });
            abort.abort();
            waker.join().unwrap();
            results.push((n, handle));
        }
        for (n, handle) in results {
            match join(handle) {
                Ok(value) => assert!(value == n || value == usize::MAX),
                Err(err) => assert!(err.is_cancelled(), "{err}"),
            }
        }
        assert_eq!(futures_made.dropped(), TASKS);
    });
}
