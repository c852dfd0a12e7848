//! Panics in tasks: caught and handed to the JoinHandle, described by
//! `JoinError`'s Display, and never taking down a worker, including panics
//! in a future's `Drop` (during abort, shutdown, or after completion) and in
//! an output's `Drop`.

use bobbin::Runtime;
use bobbin::task::Builder;
use executor_tests::{
    DropCounter, LIMIT, join, panic_message, panic_message_of, runtime, thread_name, wait_until,
    with_timeout,
};
use std::future::{Future, pending};
use std::panic;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::thread;

/// Panics when dropped (unless the thread is already panicking).
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

#[test]
fn a_panic_is_caught_and_given_to_the_join_handle() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "panic");
        let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");

        let err = rt
            .block_on(rt.spawn(async {
                let n = 7;
                panic!("formatted {n}")
            }))
            .unwrap_err();
        assert_eq!(
            *err.into_panic().downcast::<String>().unwrap(),
            "formatted 7"
        );

        let err = rt
            .block_on(rt.spawn(async { panic::panic_any(42u32) }))
            .unwrap_err();
        assert!(err.to_string().ends_with(" panicked"), "{err}");
        assert_eq!(*err.into_panic().downcast::<u32>().unwrap(), 42);
    });
}

#[test]
fn a_panic_after_an_await_is_caught_too() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "panic-late");
        let handle = rt.spawn(async {
            bobbin::task::yield_now().await;
            bobbin::spawn(async {}).await.unwrap();
            panic!("late")
        });
        let err = rt.block_on(handle).unwrap_err();
        assert_eq!(panic_message(err.into_panic().as_ref()), "late");
    });
}

#[test]
fn the_worker_survives_many_panicking_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "survivor");
        let handles: Vec<_> = (0..1_000u32)
            .map(|i| {
                rt.spawn(async move {
                    if i % 2 == 0 {
                        panic!("task {i}");
                    }
                    i
                })
            })
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            match rt.block_on(handle) {
                Ok(value) => assert_eq!(value as usize, i),
                Err(err) => {
                    assert_eq!(i % 2, 0);
                    assert_eq!(
                        panic_message(err.into_panic().as_ref()),
                        format!("task {i}")
                    );
                }
            }
        }
        // Still the same, single worker thread.
        assert_eq!(
            rt.block_on(rt.spawn(async { thread_name() })).unwrap(),
            "survivor-0"
        );
    });
}

/// Checks that `text` says `(spawned at <this file>:<line>:<column>)` with
/// `first < line < last`.
fn assert_spawned_between(text: &str, first: u32, last: u32) {
    let prefix = format!("(spawned at {}:", file!());
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no spawn location in {text:?}"))
        + prefix.len();
    let line: u32 = text[start..]
        .split(':')
        .next()
        .and_then(|line| line.parse().ok())
        .unwrap_or_else(|| panic!("no line number in {text:?}"));
    assert!(
        first < line && line < last,
        "spawn location line {line} not in {first}..{last}: {text}"
    );
}

#[test]
fn join_error_display_names_the_task_id_name_and_spawn_location() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "display");
        let handle = rt.handle();
        let before = line!();
        let named = Builder::new()
            .name("conn-42")
            .spawn_on(async { panic!("boom") }, &handle);
        let id = named.id();
        let err = join(named).unwrap_err();
        assert_eq!(err.id(), id);
        let text = err.to_string();
        assert!(text.contains(&format!("task {id}")), "{text}");
        assert!(text.contains("\"conn-42\""), "{text}");
        assert_spawned_between(&text, before, line!());
        assert!(text.contains("panicked with message \"boom\""), "{text}");
        let debug = format!("{err:?}");
        assert!(debug.contains("boom"), "{debug}");

        let before = line!();
        let cancelled = rt.spawn(pending::<()>());
        let id = cancelled.id();
        cancelled.abort();
        let err = join(cancelled).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("task {id}")), "{text}");
        assert_spawned_between(&text, before, line!());
        assert!(text.ends_with("was cancelled"), "{text}");
        // An io::Error made from it keeps the description.
        let io: std::io::Error = err.into();
        assert!(io.to_string().contains(&format!("task {id}")));
    });
}

#[test]
fn into_panic_on_a_cancelled_task_panics_with_advice() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "into-panic");
        let handle = rt.spawn(pending::<()>());
        handle.abort();
        let err = join(handle).unwrap_err();
        assert!(err.is_cancelled() && !err.is_panic());
        let err = err
            .try_into_panic()
            .expect_err("a cancellation has no payload");
        let message = panic_message_of(move || err.into_panic());
        assert!(message.contains("check is_panic() first"), "{message}");
    });
}

#[test]
fn a_panic_in_drop_during_abort_is_caught() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "drop-abort");
        let (polled_tx, polled_rx) = mpsc::channel();
        let handle = rt.spawn(async move {
            let _bomb = PanicOnDrop("drop during abort");
            polled_tx.send(()).unwrap();
            pending::<()>().await
        });
        polled_rx.recv_timeout(LIMIT).unwrap();
        rt.block_on(rt.spawn(async {})).unwrap();
        // The task is idle: abort drops it here, and the panic must not
        // escape into this thread.
        handle.abort();
        let err = join(handle).unwrap_err();
        assert!(err.is_panic(), "{err}");
        assert_eq!(
            panic_message(err.into_panic().as_ref()),
            "drop during abort"
        );
        assert_eq!(
            rt.block_on(rt.spawn(async { thread_name() })).unwrap(),
            "drop-abort-0"
        );
    });
}

#[test]
fn a_panic_in_drop_of_a_running_task_aborted_mid_poll_is_caught_on_its_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "drop-running");
        let (running_tx, running_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let handle = rt.spawn(async move {
            let _bomb = PanicOnDrop("drop on the worker");
            running_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            pending::<()>().await
        });
        running_rx.recv_timeout(LIMIT).unwrap();
        handle.abort();
        go_tx.send(()).unwrap();
        let err = join(handle).unwrap_err();
        assert!(err.is_panic(), "{err}");
        assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
    });
}

#[test]
fn a_panic_in_drop_during_shutdown_does_not_stop_the_shutdown() {
    with_timeout(LIMIT, || {
        let stopped = Arc::new(AtomicUsize::new(0));
        let counter = stopped.clone();
        let rt = Runtime::builder()
            .worker_threads(2)
            .on_thread_stop(move || {
                counter.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap();
        let others = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let mut handles = Vec::new();
        for i in 0..20 {
            let polled = polled_tx.clone();
            let guard = others.guard();
            handles.push(rt.spawn(async move {
                let _guard = guard;
                let _bomb = (i % 2 == 0).then(|| PanicOnDrop("drop during shutdown"));
                polled.send(()).unwrap();
                pending::<()>().await
            }));
        }
        for _ in 0..20 {
            polled_rx.recv_timeout(LIMIT).unwrap();
        }
        drop(rt);
        assert_eq!(
            stopped.load(SeqCst),
            2,
            "a worker did not finish its shutdown"
        );
        assert_eq!(
            others.dropped(),
            20,
            "a panicking drop stopped the others' drops"
        );
        for (i, handle) in handles.into_iter().enumerate() {
            let err = join(handle).unwrap_err();
            if i % 2 == 0 {
                assert!(err.is_panic(), "{err}");
            } else {
                assert!(err.is_cancelled(), "{err}");
            }
        }
    });
}

#[test]
fn a_panic_in_drop_after_completion_is_caught() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "drop-done");
        // The future returns Ready, then panics as it is dropped.
        let handle = rt.spawn(async {
            let _bomb = PanicOnDrop("drop after completion");
            1
        });
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_panic(), "{err}");
        assert_eq!(
            panic_message(err.into_panic().as_ref()),
            "drop after completion"
        );
        // Detached, nobody sees it; the worker goes on.
        drop(rt.spawn(async {
            let _bomb = PanicOnDrop("detached drop after completion");
        }));
        assert_eq!(
            rt.block_on(rt.spawn(async { thread_name() })).unwrap(),
            "drop-done-0"
        );
    });
}

#[test]
fn a_panic_in_the_output_drop_is_contained() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "output-drop");
        // Dropped by the task itself (detached).
        let detached = rt.spawn(async { PanicOnDrop("output of a detached task") });
        drop(detached);
        // Dropped with the JoinHandle, after completion.
        let handle = rt.spawn(async { PanicOnDrop("output dropped with its handle") });
        wait_until(LIMIT, "the task to finish", || handle.is_finished());
        let dropped = panic::catch_unwind(panic::AssertUnwindSafe(|| drop(handle)));
        assert!(
            dropped.is_ok(),
            "dropping a JoinHandle let its output's panic escape"
        );
        assert_eq!(
            rt.block_on(rt.spawn(async { thread_name() })).unwrap(),
            "output-drop-0"
        );
    });
}

#[test]
fn a_future_that_panics_in_poll_and_then_in_drop_does_not_abort_the_process() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "double");
        /// Panics when polled, and again when dropped. (A hand-written
        /// future: an async block would drop its locals during the first
        /// unwind, and a panic there aborts any Rust process.)
        struct PanicTwice;
        impl Future for PanicTwice {
            type Output = ();
            fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
                panic!("first panic, from poll");
            }
        }
        impl Drop for PanicTwice {
            fn drop(&mut self) {
                if !thread::panicking() {
                    panic!("second panic, from drop");
                }
            }
        }
        let handle = rt.spawn(PanicTwice);
        let err = rt.block_on(handle).unwrap_err();
        assert_eq!(
            panic_message(err.into_panic().as_ref()),
            "first panic, from poll"
        );
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    });
}

#[test]
fn a_panicking_task_does_not_disturb_concurrent_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "neighbours");
        let handles: Vec<_> = (0..2_000u32)
            .map(|i| {
                rt.spawn(async move {
                    bobbin::task::yield_now().await;
                    assert!(i % 7 != 0, "unlucky {i}");
                    i
                })
            })
            .collect();
        let (mut ok, mut panicked) = (0, 0);
        for (i, handle) in handles.into_iter().enumerate() {
            match rt.block_on(handle) {
                Ok(value) => {
                    assert_eq!(value as usize, i);
                    ok += 1;
                }
                Err(err) => {
                    assert!(err.is_panic() && i % 7 == 0);
                    panicked += 1;
                }
            }
        }
        assert_eq!(panicked, (0..2_000).filter(|i| i % 7 == 0).count());
        assert_eq!(ok + panicked, 2_000);
    });
}
