//! Task-local values through the public API: seen across awaits on any
//! worker, private to their scope, restored by nested scopes, inherited
//! only when asked, and a clear panic outside a scope.

use bobbin::task::Builder;
use executor_tests::{LIMIT, panic_message_of, runtime, with_timeout};
use std::time::Duration;

bobbin::task_local! {
    static REQUEST: u32;
    static NAME: String;
}

#[test]
fn a_value_is_seen_across_awaits_whichever_worker_polls() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "local-awaits");
        let tasks: Vec<_> = (0..20u32)
            .map(|i| {
                rt.spawn(REQUEST.scope(i, async move {
                    for _ in 0..10 {
                        assert_eq!(REQUEST.get(), i);
                        bobbin::task::yield_now().await;
                        bobbin::time::sleep(Duration::from_micros(50)).await;
                    }
                    REQUEST.get()
                }))
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(rt.block_on(task).unwrap(), i as u32);
        }
    });
}

#[test]
fn nested_scopes_shadow_and_restore_the_outer_value() {
    with_timeout(LIMIT, || {
        bobbin::block_on(REQUEST.scope(1, async {
            let inner = REQUEST.scope(2, async { REQUEST.get() }).await;
            assert_eq!(inner, 2);
            assert_eq!(REQUEST.get(), 1, "the outer value is back");
            assert_eq!(REQUEST.sync_scope(3, || REQUEST.get()), 3);
            assert_eq!(REQUEST.get(), 1);
        }));
        assert!(REQUEST.try_with(|_| ()).is_err());
    });
}

#[test]
fn spawned_tasks_and_jobs_inherit_only_when_asked() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "local-inherit");
        let (plain, inherited, job) = rt.block_on(NAME.scope("parent".into(), async {
            let plain = bobbin::spawn(async { NAME.try_with(String::clone).ok() });
            let inherited = Builder::new()
                .inherit(&NAME)
                .spawn(async { NAME.try_with(String::clone).ok() });
            let job = Builder::new()
                .inherit(&NAME)
                .spawn_blocking(|| NAME.try_with(String::clone).ok());
            (
                plain.await.unwrap(),
                inherited.await.unwrap(),
                job.await.unwrap(),
            )
        }));
        assert_eq!(plain, None);
        assert_eq!(inherited.as_deref(), Some("parent"));
        assert_eq!(job.as_deref(), Some("parent"));
        // Outside any scope there is nothing to inherit.
        let orphan = rt.block_on(
            Builder::new()
                .inherit(&NAME)
                .spawn(async { NAME.try_with(String::clone).ok() }),
        );
        assert_eq!(orphan.unwrap(), None);
    });
}

#[test]
fn reading_outside_a_scope_panics_saying_where_a_value_is_set() {
    let message = panic_message_of(|| REQUEST.with(|value| *value));
    assert!(message.contains("outside any scope"), "{message}");
    assert!(message.contains("KEY.scope(value, future)"), "{message}");
}

#[test]
fn a_scope_s_future_is_dropped_with_its_value_set() {
    struct ReadsOnDrop(std::sync::mpsc::Sender<Option<u32>>);
    impl Drop for ReadsOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(REQUEST.try_with(|value| *value).ok());
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let guard = ReadsOnDrop(tx);
    let scoped = REQUEST.scope(9, async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    drop(scoped);
    assert_eq!(rx.recv().unwrap(), Some(9));
}

#[test]
fn a_scope_s_future_dropped_where_the_slot_is_unreachable_is_dropped_outside_it() {
    with_timeout(LIMIT, || {
        // Inside a `with` of the same key: the slot is borrowed.
        let inner = REQUEST.scope(2, async { REQUEST.get() });
        REQUEST.sync_scope(1, || REQUEST.with(|_| drop(inner)));

        // While the thread's thread-locals are destroyed (a panic there
        // would abort the process).
        thread_local! {
            static HELD: std::cell::RefCell<Vec<std::pin::Pin<Box<dyn Future<Output = u32>>>>> =
                const { std::cell::RefCell::new(Vec::new()) };
        }
        std::thread::spawn(|| {
            HELD.with(|held| {
                held.borrow_mut()
                    .push(Box::pin(REQUEST.scope(3, async { REQUEST.get() })))
            });
        })
        .join()
        .expect("the thread exits without a panic");
    });
}
