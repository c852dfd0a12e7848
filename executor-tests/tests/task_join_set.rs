//! `JoinSet`: results in completion order, `None` when empty, `abort_all`,
//! aborting on drop, `detach_all`, `try_join_next`, `join_all`, `shutdown`.

use bobbin::task::JoinSet;
use executor_tests::{DropCounter, LIMIT, panic_message_of, runtime, wait_until, with_timeout};
use futures::channel::oneshot;
use std::future::pending;
use std::sync::mpsc;
use std::thread;

#[test]
fn results_come_in_completion_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut gates = Vec::new();
            for i in 0..5u32 {
                let (tx, rx) = oneshot::channel::<()>();
                gates.push(Some(tx));
                set.spawn(async move {
                    rx.await.unwrap();
                    i
                });
            }
            assert_eq!(set.len(), 5);
            for i in [3, 1, 4, 0, 2] {
                gates[i].take().unwrap().send(()).unwrap();
                let result = set.join_next().await.expect("the set is not empty");
                assert_eq!(result.unwrap(), i as u32);
            }
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
        });
    });
}

#[test]
fn join_next_on_an_empty_set_is_none() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "joinset");
        rt.block_on(async {
            let mut set = JoinSet::<u8>::new();
            assert!(set.is_empty());
            assert_eq!(set.len(), 0);
            assert!(set.join_next().await.is_none());
            assert!(set.try_join_next().is_none());
            set.spawn(async { 1 });
            assert_eq!(set.join_next().await.unwrap().unwrap(), 1);
            assert!(set.join_next().await.is_none());
            assert!(set.join_next().await.is_none());
        });
    });
}

#[test]
fn many_tasks_all_joined() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let sum = rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..10_000u64 {
                set.spawn(async move {
                    if i % 3 == 0 {
                        bobbin::task::yield_now().await;
                    }
                    i
                });
            }
            let mut sum = 0;
            let mut count = 0;
            while let Some(result) = set.join_next().await {
                sum += result.unwrap();
                count += 1;
            }
            assert_eq!(count, 10_000);
            sum
        });
        assert_eq!(sum, (0..10_000u64).sum::<u64>());
    });
}

#[test]
fn abort_all_cancels_every_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let counter = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..100 {
                let guard = counter.guard();
                set.spawn(async move {
                    let _guard = guard;
                    pending::<()>().await
                });
            }
            set.abort_all();
            // They stay in the set until joined.
            assert_eq!(set.len(), 100);
            let mut cancelled = 0;
            while let Some(result) = set.join_next().await {
                assert!(result.unwrap_err().is_cancelled());
                cancelled += 1;
            }
            assert_eq!(cancelled, 100);
        });
        assert_eq!(counter.dropped(), 100);
    });
}

#[test]
fn a_finished_task_keeps_its_output_through_abort_all() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        rt.block_on(async {
            let mut set = JoinSet::new();
            let done = set.spawn(async { 1 });
            set.spawn(async {
                pending::<()>().await;
                2
            });
            while !done.is_finished() {
                bobbin::task::yield_now().await;
            }
            set.abort_all();
            let mut outcomes = Vec::new();
            while let Some(result) = set.join_next().await {
                outcomes.push(result.map_err(|err| err.is_cancelled()));
            }
            outcomes.sort();
            assert_eq!(outcomes, [Ok(1), Err(true)]);
        });
    });
}

#[test]
fn the_abort_handle_from_spawn_aborts_one_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        rt.block_on(async {
            let mut set = JoinSet::new();
            let (tx, rx) = oneshot::channel::<()>();
            set.spawn(async move {
                rx.await.unwrap();
                "kept"
            });
            let doomed = set.spawn(async {
                pending::<()>().await;
                "never"
            });
            doomed.abort();
            let err = set.join_next().await.unwrap().unwrap_err();
            assert!(err.is_cancelled());
            assert_eq!(err.id(), doomed.id());
            tx.send(()).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), "kept");
        });
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let counter = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let mut set = JoinSet::new();
        for _ in 0..50 {
            let guard = counter.guard();
            let polled = polled_tx.clone();
            set.spawn_on(
                async move {
                    let _guard = guard;
                    polled.send(()).unwrap();
                    pending::<()>().await
                },
                &rt.handle(),
            );
        }
        for _ in 0..50 {
            polled_rx.recv_timeout(LIMIT).unwrap();
        }
        drop(set);
        counter.wait_all_dropped(LIMIT);
        assert_eq!(counter.dropped(), 50);
        // The runtime itself is fine.
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    });
}

#[test]
fn detach_all_lets_the_tasks_run_on() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let (done_tx, done_rx) = mpsc::channel();
        let mut gates = Vec::new();
        let mut set = JoinSet::new();
        for i in 0..20u32 {
            let (tx, rx) = oneshot::channel::<()>();
            gates.push(tx);
            let done = done_tx.clone();
            set.spawn_on(
                async move {
                    rx.await.unwrap();
                    done.send(i).unwrap();
                    i
                },
                &rt.handle(),
            );
        }
        set.detach_all();
        assert!(set.is_empty());
        assert!(set.try_join_next().is_none());
        // Dropping the (now empty) set aborts nothing.
        drop(set);
        for gate in gates {
            gate.send(()).unwrap();
        }
        let mut finished: Vec<u32> = (0..20)
            .map(|_| {
                done_rx
                    .recv_timeout(LIMIT)
                    .expect("a detached task never finished")
            })
            .collect();
        finished.sort_unstable();
        assert_eq!(finished, (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn try_join_next_never_waits() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let mut set = JoinSet::new();
        assert!(set.try_join_next().is_none());
        let (tx, rx) = oneshot::channel::<u8>();
        let task = set.spawn_on(async move { rx.await.unwrap() }, &rt.handle());
        // Not finished: nothing to take.
        assert!(set.try_join_next().is_none());
        assert_eq!(set.len(), 1);
        tx.send(4).unwrap();
        wait_until(LIMIT, "the task to finish", || task.is_finished());
        // Finished: taken without waiting (the finish may need a moment to
        // reach the set's queue).
        let mut result = None;
        wait_until(LIMIT, "try_join_next to return the result", || {
            result = set.try_join_next();
            result.is_some()
        });
        assert_eq!(result.unwrap().unwrap(), 4);
        assert!(set.is_empty());
        assert!(set.try_join_next().is_none());
    });
}

#[test]
fn join_all_returns_every_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let mut all = rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..1_000u32 {
                set.spawn(async move {
                    bobbin::task::yield_now().await;
                    i
                });
            }
            set.join_all().await
        });
        all.sort_unstable();
        assert_eq!(all, (0..1_000).collect::<Vec<_>>());
        let empty: Vec<u8> = rt.block_on(JoinSet::new().join_all());
        assert!(empty.is_empty());
    });
}

#[test]
fn join_all_resumes_a_task_panic_and_aborts_the_rest() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let counter = DropCounter::new();
        let message = panic_message_of(|| {
            rt.block_on(async {
                let mut set = JoinSet::new();
                for _ in 0..10 {
                    let guard = counter.guard();
                    set.spawn(async move {
                        let _guard = guard;
                        pending::<()>().await
                    });
                }
                set.spawn(async { panic!("one task failed") });
                set.join_all().await
            })
        });
        assert_eq!(message, "one task failed");
        counter.wait_all_dropped(LIMIT);
    });
}

#[test]
fn join_all_with_a_cancelled_task_panics_with_advice() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let message = panic_message_of(|| {
            rt.block_on(async {
                let mut set = JoinSet::new();
                set.spawn(async { 1 });
                set.spawn(pending::<u8>()).abort();
                set.join_all().await
            })
        });
        assert!(message.contains("was cancelled"), "{message}");
        assert!(message.contains("join_next"), "{message}");
    });
}

#[test]
fn shutdown_aborts_and_drains() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let counter = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..30 {
                let guard = counter.guard();
                set.spawn(async move {
                    let _guard = guard;
                    pending::<()>().await
                });
            }
            set.shutdown().await;
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            // Usable again afterwards.
            set.spawn(async {});
            assert!(set.join_next().await.unwrap().is_ok());
        });
        assert_eq!(counter.dropped(), 30);
    });
}

#[test]
fn join_next_is_woken_by_tasks_finishing_on_other_threads() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        let mut set = JoinSet::new();
        let mut senders = Vec::new();
        for i in 0..200u32 {
            let (tx, rx) = oneshot::channel::<u32>();
            senders.push(tx);
            set.spawn_on(async move { rx.await.unwrap() + i }, &rt.handle());
        }
        // Finish them from a foreign thread while block_on waits.
        let finisher = thread::spawn(move || {
            for tx in senders {
                tx.send(1).unwrap();
            }
        });
        let total = rt.block_on(async {
            let mut total = 0;
            while let Some(result) = set.join_next().await {
                total += result.unwrap();
            }
            total
        });
        finisher.join().unwrap();
        assert_eq!(total, (1..=200).sum::<u32>());
    });
}

#[test]
fn a_join_next_future_dropped_midway_loses_no_result() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "joinset");
        rt.block_on(async {
            let mut set = JoinSet::new();
            let (tx, rx) = oneshot::channel::<u8>();
            set.spawn(async move { rx.await.unwrap() });
            {
                // Poll join_next once, then drop it.
                let next = set.join_next();
                futures::pin_mut!(next);
                assert!(futures::poll!(next.as_mut()).is_pending());
            }
            tx.send(9).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), 9);
        });
    });
}
