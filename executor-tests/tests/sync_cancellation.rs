//! CancellationToken through the public API: a tree of tokens, waits that
//! end on cancel (from a task or a plain thread), guards and
//! `run_until_cancelled`.

use bobbin::sync::CancellationToken;
use executor_tests::{DropCounter, LIMIT, runtime, with_timeout};
use std::time::Duration;

#[test]
fn cancelling_the_root_stops_every_task_below_it() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "cancel-tree");
        let root = CancellationToken::new();
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let parent = root.child_token();
                let token = if i % 2 == 0 {
                    parent.child_token()
                } else {
                    parent.clone()
                };
                drop(parent);
                rt.spawn(async move {
                    token.cancelled().await;
                    token.is_cancelled()
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        assert!(tasks.iter().all(|task| !task.is_finished()));
        root.cancel();
        for task in tasks {
            assert!(rt.block_on(task).unwrap());
        }
    });
}

#[test]
fn a_child_cancel_leaves_its_parent_and_siblings() {
    let root = CancellationToken::new();
    let a = root.child_token();
    let b = root.child_token();
    let a_child = a.child_token();
    a.cancel();
    assert!(a_child.is_cancelled());
    assert!(!root.is_cancelled() && !b.is_cancelled());
}

#[test]
fn a_plain_thread_cancels_a_waiting_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "cancel-thread");
        let token = CancellationToken::new();
        let waiter = {
            let token = token.clone();
            rt.spawn(async move { token.cancelled_owned().await })
        };
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            token.cancel();
        });
        rt.block_on(waiter).unwrap();
        canceller.join().unwrap();
    });
}

#[test]
fn run_until_cancelled_drops_the_unfinished_future() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "cancel-run");
        let drops = DropCounter::new();
        let token = CancellationToken::new();
        let guard = drops.guard();
        let task = {
            let token = token.clone();
            rt.spawn(async move {
                token
                    .run_until_cancelled(async move {
                        let _guard = guard;
                        std::future::pending::<()>().await
                    })
                    .await
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        token.cancel();
        assert_eq!(rt.block_on(task).unwrap(), None);
        assert_eq!(drops.dropped(), 1, "the future was dropped at the cancel");
    });
}

#[test]
fn a_drop_guard_cancels_when_its_scope_ends_unless_disarmed() {
    let token = CancellationToken::new();
    drop(token.clone().drop_guard().disarm());
    assert!(!token.is_cancelled());
    {
        let _guard = token.clone().drop_guard();
    }
    assert!(token.is_cancelled());
}

#[test]
fn a_wait_given_up_on_before_the_cancel_is_harmless() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "cancel-giveup");
        rt.block_on(async {
            let token = CancellationToken::new();
            for _ in 0..100 {
                let waited =
                    bobbin::time::timeout(Duration::from_micros(100), token.cancelled()).await;
                assert!(waited.is_err());
            }
            token.cancel();
            token.cancelled().await;
            token.child_token().cancelled().await;
        });
    });
}
