//! `JoinHandle`: the output, `is_finished`, `id` (and `task::id()` inside
//! the task), detaching on drop, awaiting from anywhere, `AbortOnDrop`.

use bobbin::task::{self, JoinHandle};
use executor_tests::{DropCounter, LIMIT, panic_message_of, runtime, wait_until, with_timeout};
use std::collections::HashSet;
use std::future::{Future, pending};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

#[test]
fn awaiting_gives_the_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let handle = rt.spawn(async { (1u8, "two", 3.0f64) });
        assert_eq!(rt.block_on(handle).unwrap(), (1, "two", 3.0));
    });
}

#[test]
fn is_finished_turns_true_once_the_task_is_done() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let (tx, rx) = futures::channel::oneshot::channel::<u32>();
        let handle = rt.spawn(async move { rx.await.unwrap() });
        assert!(!handle.is_finished());
        tx.send(9).unwrap();
        wait_until(LIMIT, "the task to finish", || handle.is_finished());
        assert_eq!(rt.block_on(handle).unwrap(), 9);
    });
}

#[test]
fn task_id_inside_the_task_equals_the_handle_id() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let handles: Vec<_> = (0..1_000).map(|_| rt.spawn(async { task::id() })).collect();
        let mut seen = HashSet::new();
        for handle in handles {
            let id = handle.id();
            assert_eq!(rt.block_on(handle).unwrap(), id);
            assert!(seen.insert(id), "id {id} given to two tasks");
        }
        // try_id agrees, and the id survives across awaits and workers.
        let handle = rt.spawn(async {
            let before = task::try_id();
            task::yield_now().await;
            bobbin::spawn(async {}).await.unwrap();
            (before, task::try_id(), task::id())
        });
        let id = handle.id();
        assert_eq!(rt.block_on(handle).unwrap(), (Some(id), Some(id), id));
    });
}

#[test]
fn ids_are_unique_across_threads_and_runtimes() {
    with_timeout(LIMIT, || {
        let rt_a = runtime(1, "join");
        let rt_b = runtime(1, "join");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let handle = if t % 2 == 0 {
                    rt_a.handle()
                } else {
                    rt_b.handle()
                };
                thread::spawn(move || {
                    (0..2_000)
                        .map(|_| handle.spawn(async { task::id() }))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen = HashSet::new();
        for thread in threads {
            for handle in thread.join().unwrap() {
                let id = handle.id();
                assert!(id.as_u64() > 0);
                assert_eq!(id.to_string(), id.as_u64().to_string());
                assert!(seen.insert(id), "duplicate id {id}");
                assert_eq!(futures::executor::block_on(handle).unwrap(), id);
            }
        }
        assert_eq!(seen.len(), 8_000);
    });
}

#[test]
fn task_id_outside_a_task_panics_and_try_id_is_none() {
    with_timeout(LIMIT, || {
        assert_eq!(task::try_id(), None);
        let rt = runtime(1, "join");
        assert_eq!(rt.block_on(async { task::try_id() }), None);
        let message = panic_message_of(task::id);
        assert!(message.contains("outside a task"), "{message}");
        assert!(message.contains("try_id"), "{message}");
    });
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let (go_tx, go_rx) = futures::channel::oneshot::channel::<u32>();
        let (done_tx, done_rx) = mpsc::channel();
        let handle = rt.spawn(async move {
            let value = go_rx.await.unwrap();
            done_tx.send(value * 2).unwrap();
        });
        drop(handle);
        // The task goes on without its handle.
        go_tx.send(21).unwrap();
        assert_eq!(done_rx.recv_timeout(LIMIT).unwrap(), 42);
    });
}

#[test]
fn a_detached_task_drops_its_output_when_it_finishes() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let outputs = DropCounter::new();
        let futures_counter = DropCounter::new();
        for _ in 0..100 {
            let output = outputs.clone();
            let guard = futures_counter.guard();
            drop(rt.spawn(async move {
                let _guard = guard;
                task::yield_now().await;
                output.guard()
            }));
        }
        futures_counter.wait_all_dropped(LIMIT);
        wait_until(LIMIT, "100 outputs", || outputs.made() == 100);
        outputs.wait_all_dropped(LIMIT);
    });
}

#[test]
fn dropping_the_handle_after_completion_drops_the_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "join");
        let outputs = DropCounter::new();
        let output = outputs.clone();
        let handle = rt.spawn(async move { output.guard() });
        wait_until(LIMIT, "the task to finish", || handle.is_finished());
        assert_eq!(outputs.made(), 1);
        assert_eq!(
            outputs.dropped(),
            0,
            "the output was dropped before it was read"
        );
        drop(handle);
        assert_eq!(outputs.dropped(), 1);
    });
}

#[test]
fn a_handle_can_be_awaited_from_another_task_and_another_executor() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let first = rt.spawn(async { 1 });
        let second = rt.spawn(async move { first.await.unwrap() + 1 });
        assert_eq!(rt.block_on(second).unwrap(), 2);
        // A JoinHandle is a plain future: any executor can drive it.
        let third = rt.spawn(async { 3 });
        assert_eq!(futures::executor::block_on(third).unwrap(), 3);
        let fourth = rt.spawn(async { 4 });
        assert_eq!(bobbin::block_on(fourth).unwrap(), 4);
    });
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn polling_with_a_new_waker_moves_the_wake_to_it() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "join");
        let (tx, rx) = futures::channel::oneshot::channel::<u8>();
        let mut handle = rt.spawn(async move { rx.await.unwrap() });
        let first = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let second = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let first_waker = Waker::from(first.clone());
        let second_waker = Waker::from(second.clone());
        let mut pin = Pin::new(&mut handle);
        assert!(
            pin.as_mut()
                .poll(&mut Context::from_waker(&first_waker))
                .is_pending()
        );
        assert!(
            pin.as_mut()
                .poll(&mut Context::from_waker(&second_waker))
                .is_pending()
        );
        tx.send(5).unwrap();
        wait_until(LIMIT, "the second waker to be woken", || {
            second.0.load(SeqCst) > 0
        });
        match pin.poll(&mut Context::from_waker(&second_waker)) {
            Poll::Ready(Ok(value)) => assert_eq!(value, 5),
            other => panic!("the handle is not ready after its wake: {other:?}"),
        }
    });
}

#[test]
fn polling_a_handle_again_after_it_returned_panics_with_advice() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "join");
        let mut handle = rt.spawn(async { 1 });
        wait_until(LIMIT, "the task to finish", || handle.is_finished());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            Pin::new(&mut handle).poll(&mut cx),
            Poll::Ready(Ok(1))
        ));
        let message = panic_message_of(|| Pin::new(&mut handle).poll(&mut cx));
        assert!(message.contains("polled again"), "{message}");
    });
}

#[test]
fn the_debug_form_names_the_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "join");
        let handle = task::Builder::new()
            .name("debugged")
            .spawn_on(pending::<()>(), &rt.handle());
        let text = format!("{handle:?}");
        assert!(text.contains(&handle.id().to_string()), "{text}");
        assert!(text.contains("debugged"), "{text}");
        handle.abort();
    });
}

#[test]
fn abort_on_drop_aborts_when_dropped_and_not_when_detached() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let counter = DropCounter::new();
        let guard = counter.guard();
        let aborting = rt
            .spawn(async move {
                let _guard = guard;
                pending::<()>().await
            })
            .abort_on_drop();
        let abort = aborting.abort_handle();
        assert_eq!(abort.id(), aborting.id());
        assert!(!aborting.is_finished());
        drop(aborting);
        wait_until(LIMIT, "the task to be aborted", || abort.is_finished());
        counter.wait_all_dropped(LIMIT);

        // Awaited, it gives the output.
        let guard = rt.spawn(async { 7 }).abort_on_drop();
        assert_eq!(rt.block_on(guard).unwrap(), 7);

        // Detached back into a JoinHandle, dropping no longer aborts.
        let (go_tx, go_rx) = futures::channel::oneshot::channel::<u8>();
        let plain: JoinHandle<u8> = rt
            .spawn(async move { go_rx.await.unwrap() })
            .abort_on_drop()
            .detach();
        go_tx.send(8).unwrap();
        assert_eq!(rt.block_on(plain).unwrap(), 8);

        // And its own abort cancels it.
        let guard = rt.spawn(pending::<()>()).abort_on_drop();
        guard.abort();
        assert!(rt.block_on(guard).unwrap_err().is_cancelled());
    });
}

#[test]
fn abort_handle_is_cloneable_and_reports_the_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let handle = rt.spawn(async { 3 });
        let abort = handle.abort_handle();
        let clone = abort.clone();
        assert_eq!(abort.id(), handle.id());
        assert_eq!(clone.id(), handle.id());
        assert!(format!("{abort:?}").contains(&handle.id().to_string()));
        assert_eq!(rt.block_on(handle).unwrap(), 3);
        assert!(abort.is_finished());
        assert!(clone.is_finished());
        // Aborting a finished task through it is a no-op.
        clone.abort();
    });
}

#[test]
fn handles_outlive_many_completed_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "join");
        let handles: Vec<_> = (0..10_000u32).map(|i| rt.spawn(async move { i })).collect();
        wait_until(LIMIT, "every task to finish", || {
            handles.iter().all(JoinHandle::is_finished)
        });
        let total: u64 = handles
            .into_iter()
            .map(|handle| u64::from(futures::executor::block_on(handle).unwrap()))
            .sum();
        assert_eq!(total, (0..10_000u64).sum::<u64>());
    });
}
