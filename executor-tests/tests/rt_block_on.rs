//! `block_on`: runs a future on the calling thread, with its runtime
//! current; refuses (with a message that says what to do) on a worker and
//! when nested.

use bobbin::runtime::Handle;
use executor_tests::{LIMIT, panic_message, panic_message_of, runtime, thread_name, with_timeout};
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;
use std::thread;

#[test]
fn runtime_block_on_returns_the_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo");
        assert_eq!(rt.block_on(async { 40 + 2 }), 42);
        assert_eq!(rt.handle().block_on(async { "handle" }), "handle");
        assert_eq!(bobbin::block_on(async { vec![1, 2, 3] }), [1, 2, 3]);
    });
}

#[test]
fn block_on_runs_the_future_on_the_calling_thread_and_not_as_a_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-thread");
        let me = thread::current().id();
        let (thread, task_id) =
            rt.block_on(async { (thread::current().id(), bobbin::task::try_id()) });
        assert_eq!(thread, me);
        assert_eq!(task_id, None, "the future given to block_on is not a task");
    });
}

#[test]
fn block_on_parks_until_woken_from_a_foreign_thread() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-wake");
        // 1000 round trips: each wakes the parked block_on thread from a
        // std thread.
        for round in 0..1_000u32 {
            let (tx, rx) = futures::channel::oneshot::channel();
            let sender = thread::spawn(move || tx.send(round).unwrap());
            assert_eq!(rt.block_on(rx).unwrap(), round);
            sender.join().unwrap();
        }
    });
}

#[test]
fn block_on_survives_spurious_and_repeated_wakes() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-spurious");
        let polls = AtomicUsize::new(0);
        let output = rt.block_on(poll_fn(|cx| {
            let n = polls.fetch_add(1, SeqCst);
            if n == 100 {
                return Poll::Ready(n);
            }
            // Wake several times per poll: the thread must not lose or
            // accumulate wakes in a way that hangs.
            cx.waker().wake_by_ref();
            cx.waker().wake_by_ref();
            #[allow(clippy::waker_clone_wake, reason = "the by-value wake is under test")]
            cx.waker().clone().wake();
            Poll::Pending
        }));
        assert_eq!(output, 100);
    });
}

#[test]
fn block_on_waits_for_spawned_tasks_on_its_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "bo-spawn");
        let name = rt.block_on(async { bobbin::spawn(async { thread_name() }).await.unwrap() });
        assert!(name.starts_with("bo-spawn-"), "{name}");
    });
}

#[test]
fn handle_block_on_from_many_threads_at_once() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "bo-many");
        let threads: Vec<_> = (0..8u64)
            .map(|t| {
                let handle = rt.handle();
                thread::spawn(move || {
                    handle.block_on(async move {
                        let mut sum = 0;
                        for i in 0..100u64 {
                            sum += bobbin::spawn(async move { t + i }).await.unwrap();
                        }
                        sum
                    })
                })
            })
            .collect();
        for (t, thread) in threads.into_iter().enumerate() {
            assert_eq!(thread.join().unwrap(), 100 * t as u64 + 4950);
        }
    });
}

#[test]
fn block_on_restores_the_previously_entered_runtime() {
    with_timeout(LIMIT, || {
        let outer = runtime(1, "bo-outer");
        let inner = runtime(1, "bo-inner");
        let _guard = outer.enter();
        let in_inner =
            inner.block_on(async { bobbin::spawn(async { thread_name() }).await.unwrap() });
        assert_eq!(in_inner, "bo-inner-0");
        let after = bobbin::spawn(async { thread_name() });
        assert_eq!(outer.block_on(after).unwrap(), "bo-outer-0");
    });
}

#[test]
fn block_on_in_a_task_panics_and_says_to_await() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-worker");
        let other = runtime(1, "bo-other");
        let other_handle = other.handle();
        let (global, own, foreign) = rt.block_on(async move {
            let global = bobbin::spawn(async { bobbin::block_on(async { 1 }) }).await;
            let own = bobbin::spawn(async { Handle::current().block_on(async { 2 }) }).await;
            let foreign = bobbin::spawn(async move { other_handle.block_on(async { 3 }) }).await;
            (global, own, foreign)
        });
        for result in [global, own, foreign] {
            let err = result.expect_err("block_on on a worker must panic");
            assert!(err.is_panic());
            let message = panic_message(err.into_panic().as_ref());
            assert!(message.contains("worker thread"), "{message}");
            assert!(message.contains("`.await` the future instead"), "{message}");
            assert!(message.contains("block_in_place"), "{message}");
        }
        // What the message offers works: block_on inside block_in_place.
        let inside = rt.block_on(rt.spawn(async {
            bobbin::task::block_in_place(|| Handle::current().block_on(async { 4 }))
        }));
        assert_eq!(inside.unwrap(), 4);
        // The worker went on.
        assert_eq!(
            rt.block_on(rt.spawn(async { thread_name() })).unwrap(),
            "bo-worker-0"
        );
    });
}

#[test]
#[should_panic(expected = "`.await` the future instead")]
fn nested_block_on_panics() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-nested");
        rt.block_on(async { bobbin::block_on(async {}) });
    });
}

#[test]
fn nested_block_on_message_names_the_problem_and_the_thread_recovers() {
    with_timeout(LIMIT, || {
        let a = runtime(1, "bo-a");
        let b = runtime(1, "bo-b");
        let message = panic_message_of(|| a.block_on(async { b.block_on(async { 1 }) }));
        assert!(message.contains("inside another block_on"), "{message}");
        assert!(message.contains("`.await` the future instead"), "{message}");
        // The panic unwound out of both: this thread may block_on again.
        assert_eq!(a.block_on(async { 5 }), 5);
        assert_eq!(b.block_on(async { 6 }), 6);
        assert!(
            Handle::try_current().is_err(),
            "the panic left a runtime entered"
        );
    });
}

#[test]
fn block_on_from_a_thread_started_by_a_task_is_allowed() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-escape");
        let handle = rt.handle();
        let value = rt.block_on(async move {
            bobbin::spawn(async move {
                // A thread of its own may block_on too.
                let (tx, rx) = futures::channel::oneshot::channel();
                thread::spawn(move || {
                    let value =
                        handle.block_on(async { bobbin::spawn(async { 7 }).await.unwrap() });
                    tx.send(value).unwrap();
                });
                rx.await.unwrap()
            })
            .await
            .unwrap()
        });
        assert_eq!(value, 7);
    });
}

#[test]
fn a_panic_in_the_block_on_future_reaches_the_caller() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-panic");
        let message = panic_message_of(|| rt.block_on(async { panic!("from the future") }));
        assert_eq!(message, "from the future");
        assert_eq!(rt.block_on(async { 1 }), 1);
    });
}

#[test]
fn block_on_drops_the_future_before_returning() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "bo-drop");
        let counter = executor_tests::DropCounter::new();
        let guard = counter.guard();
        let value = rt.block_on(async move {
            let _guard = guard;
            3
        });
        assert_eq!(value, 3);
        assert_eq!(counter.dropped(), 1);
        // Also when the future is still pending at the end of a panic.
        let guard = counter.guard();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move {
                let _guard = guard;
                bobbin::task::yield_now().await;
                panic!("after a yield");
            })
        }));
        assert_eq!(counter.dropped(), 2);
    });
}
