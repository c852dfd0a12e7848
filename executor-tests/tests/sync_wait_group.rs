//! `WaitGroup` with Go's semantics: thousands of tasks, `add`/`done` by
//! hand, tokens (counted out by a panic or an abort too), `spawn` (Go
//! 1.25's `WaitGroup.Go`), `wait` at zero, reuse, and the panic on more
//! `done` than `add`.

use bobbin::sync::WaitGroup;
use executor_tests::{LIMIT, join, panic_message_of, runtime, with_timeout};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Waker};

#[test]
fn spawn_thousands_then_wait() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-wait-group");
        let finished = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let wg = WaitGroup::new();
            for _ in 0..5_000 {
                let finished = finished.clone();
                wg.spawn(async move {
                    bobbin::task::yield_now().await;
                    finished.fetch_add(1, SeqCst);
                });
            }
            wg.wait().await;
            assert_eq!(finished.load(SeqCst), 5_000);
        });
    });
}

#[test]
fn add_and_done_by_hand_with_many_waiters() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-wait-group");
        let wg = WaitGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        wg.add(2_000);
        let waiters: Vec<_> = (0..50)
            .map(|_| {
                let (wg, finished) = (wg.clone(), finished.clone());
                rt.spawn(async move {
                    wg.wait().await;
                    finished.load(SeqCst)
                })
            })
            .collect();
        for _ in 0..2_000 {
            let (wg, finished) = (wg.clone(), finished.clone());
            rt.spawn(async move {
                finished.fetch_add(1, SeqCst);
                wg.done();
            });
        }
        for waiter in waiters {
            assert_eq!(
                join(waiter).unwrap(),
                2_000,
                "every done happened before wait returned"
            );
        }
    });
}

#[test]
fn tokens_count_out_on_panic_and_abort() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-wait-group");
        let wg = WaitGroup::new();
        let panicking = wg.spawn(async { panic!("a task that fails") });
        let token = wg.token();
        let stuck = rt.spawn(async move {
            let _token = token;
            std::future::pending::<()>().await
        });
        let spawned_stuck = wg.spawn(std::future::pending::<()>());
        let cloned = {
            let token = wg.token();
            let clone = token.clone();
            drop(token);
            clone
        };
        assert!(join(panicking).unwrap_err().is_panic());
        stuck.abort();
        spawned_stuck.abort();
        assert!(join(stuck).unwrap_err().is_cancelled());
        cloned.done();
        rt.block_on(wg.wait());
    });
}

#[test]
fn wait_at_zero_completes_at_once_and_the_group_is_reusable() {
    with_timeout(LIMIT, || {
        let wg = WaitGroup::new();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Box::pin(wg.wait()).as_mut().poll(&mut cx).is_ready());
        for round in 0..3 {
            wg.add(1);
            let mut waiting = Box::pin(wg.wait());
            assert!(waiting.as_mut().poll(&mut cx).is_pending(), "round {round}");
            wg.done();
            assert!(waiting.as_mut().poll(&mut cx).is_ready(), "round {round}");
        }
    });
}

#[test]
fn more_done_than_add_panics_saying_what_to_do() {
    with_timeout(LIMIT, || {
        let wg = WaitGroup::new();
        wg.add(1);
        wg.done();
        let message = panic_message_of(|| wg.done());
        assert!(
            message.contains("WaitGroup::done was called more times than WaitGroup::add counted"),
            "{message}"
        );
        assert!(
            message.contains("call add(n) before starting the n tasks"),
            "{message}"
        );
        assert!(
            message.contains("WaitGroup::token or WaitGroup::spawn"),
            "{message}"
        );
        // The count stayed at zero: the group still works.
        wg.add(1);
        wg.done();
        bobbin::block_on(wg.wait());
        assert!(format!("{wg:?}").contains("count: 0"));
    });
}
