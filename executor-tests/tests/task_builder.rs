//! `task::Builder`: named tasks, spawned on the current runtime or on a
//! given handle.

use bobbin::task::{self, Builder};
use executor_tests::{LIMIT, runtime, thread_name, with_timeout};
use std::future::pending;

#[test]
fn a_named_task_runs_and_gives_its_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "named");
        let (id, output) = rt.block_on(async {
            let handle = Builder::new()
                .name("answer")
                .spawn(async { (task::id(), 42) });
            let id = handle.id();
            (id, handle.await.unwrap())
        });
        assert_eq!(output, (id, 42));
    });
}

#[test]
fn spawn_uses_the_current_runtime_and_spawn_on_the_given_one() {
    with_timeout(LIMIT, || {
        let here = runtime(1, "here");
        let there = runtime(1, "there");
        let there_handle = there.handle();
        let (current, given) = here.block_on(async move {
            let current = Builder::new().name("a").spawn(async { thread_name() });
            let given = Builder::new()
                .name("b")
                .spawn_on(async { thread_name() }, &there_handle);
            (current.await.unwrap(), given.await.unwrap())
        });
        assert_eq!(current, "here-0");
        assert_eq!(given, "there-0");
        // From outside any runtime, spawn_on reaches the runtime directly.
        let outside = Builder::new()
            .name("c")
            .spawn_on(async { thread_name() }, &there.handle());
        assert_eq!(there.block_on(outside).unwrap(), "there-0");
    });
}

#[test]
fn the_name_shows_in_errors_and_debug_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "names");
        let name = format!("conn-{}", 7);
        let handle = Builder::new()
            .name(&name)
            .spawn_on(pending::<()>(), &rt.handle());
        // The name is copied: the builder's borrow has ended.
        drop(name);
        assert!(format!("{handle:?}").contains("conn-7"));
        handle.abort();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.to_string().contains("\"conn-7\""), "{err}");

        // An unnamed task says nothing about a name.
        let unnamed = Builder::new().spawn_on(pending::<()>(), &rt.handle());
        unnamed.abort();
        let text = rt.block_on(unnamed).unwrap_err().to_string();
        assert!(!text.contains('"'), "{text}");
    });
}

#[test]
fn task_id_inside_a_named_task_equals_the_handle_id() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "named-id");
        let handles: Vec<_> = (0..100)
            .map(|i| {
                Builder::new()
                    .name(&format!("task-{i}"))
                    .spawn_on(async { task::id() }, &rt.handle())
            })
            .collect();
        for handle in handles {
            let id = handle.id();
            assert_eq!(rt.block_on(handle).unwrap(), id);
        }
    });
}

#[test]
fn a_builder_is_reusable_by_cloning_and_has_a_default() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "reuse");
        let builder = Builder::default().name("twin");
        let first = builder.clone().spawn_on(async { 1 }, &rt.handle());
        let second = builder.spawn_on(async { 2 }, &rt.handle());
        assert_ne!(first.id(), second.id());
        assert_eq!(
            rt.block_on(first).unwrap() + rt.block_on(second).unwrap(),
            3
        );
        assert!(format!("{:?}", Builder::new().name("dbg")).contains("dbg"));
    });
}
