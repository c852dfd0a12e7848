//! Spawning: from outside the runtime, from inside it, from foreign threads,
//! in trees, and by the million.

use bobbin::runtime::Handle;
use executor_tests::{LIMIT, runtime, thread_name, with_timeout};
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::thread;

#[test]
fn spawn_from_outside_runs_on_a_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "spawn-out");
        let task = rt.spawn(async { (thread_name(), 6 * 7) });
        let (name, value) = rt.block_on(task).unwrap();
        assert_eq!(value, 42);
        assert!(name.starts_with("spawn-out-"), "task ran on {name:?}");
    });
}

#[test]
fn spawn_inside_a_task_uses_the_same_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "spawn-in");
        let names = rt.block_on(async {
            bobbin::spawn(async {
                let outer = thread_name();
                let inner = bobbin::spawn(async { thread_name() }).await.unwrap();
                (outer, inner)
            })
            .await
            .unwrap()
        });
        assert!(names.0.starts_with("spawn-in-"), "{names:?}");
        assert!(names.1.starts_with("spawn-in-"), "{names:?}");
    });
}

#[test]
fn spawn_in_block_on_uses_that_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "spawn-bo");
        let name = rt.block_on(async { bobbin::spawn(async { thread_name() }).await.unwrap() });
        assert_eq!(name, "spawn-bo-0");
    });
}

#[test]
fn spawn_under_enter_uses_the_entered_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "spawn-enter");
        let task = {
            let _guard = rt.enter();
            bobbin::spawn(async { thread_name() })
        };
        assert_eq!(rt.block_on(task).unwrap(), "spawn-enter-0");
    });
}

#[test]
fn handle_spawn_from_foreign_threads() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "spawn-foreign");
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let handle = rt.handle();
                thread::spawn(move || {
                    (0..1_000u64)
                        .map(|i| handle.spawn(async move { t * 1_000 + i }))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let tasks: Vec<_> = threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect();
        let total = rt.block_on(async {
            let mut total = 0;
            for task in tasks {
                total += task.await.unwrap();
            }
            total
        });
        assert_eq!(total, (0..4_000u64).sum::<u64>());
    });
}

#[test]
fn handle_is_usable_from_a_task_on_another_runtime() {
    with_timeout(LIMIT, || {
        let rt_a = runtime(1, "rt-a");
        let rt_b = runtime(1, "rt-b");
        let handle_b = rt_b.handle();
        let name = rt_a.block_on(async move {
            bobbin::spawn(async move { handle_b.spawn(async { thread_name() }).await.unwrap() })
                .await
                .unwrap()
        });
        assert_eq!(name, "rt-b-0");
    });
}

#[test]
fn outputs_that_own_memory_arrive_intact() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "spawn-owned");
        let tasks: Vec<_> = (0..100usize)
            .map(|i| rt.spawn(async move { (format!("task-{i}"), vec![i; i]) }))
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let (label, items) = rt.block_on(task).unwrap();
            assert_eq!(label, format!("task-{i}"));
            assert_eq!(items, vec![i; i]);
        }
    });
}

const MILLION: u64 = 1_000_000;

#[test]
fn a_million_tasks_spawned_from_inside() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "million-in");
        let total = rt.block_on(async {
            bobbin::spawn(async {
                let tasks: Vec<_> = (0..MILLION)
                    .map(|i| bobbin::spawn(async move { i * 2 }))
                    .collect();
                let mut total = 0u64;
                for (i, task) in tasks.into_iter().enumerate() {
                    let output = task.await.unwrap();
                    assert_eq!(output, i as u64 * 2);
                    total += output;
                }
                total
            })
            .await
            .unwrap()
        });
        assert_eq!(total, MILLION * (MILLION - 1));
    });
}

#[test]
fn a_million_tasks_spawned_from_outside() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "million-out");
        let tasks: Vec<_> = (0..MILLION)
            .map(|i| rt.spawn(async move { i + 1 }))
            .collect();
        let total = rt.block_on(async {
            let mut total = 0u64;
            for (i, task) in tasks.into_iter().enumerate() {
                let output = task.await.unwrap();
                assert_eq!(output, i as u64 + 1);
                total += output;
            }
            total
        });
        assert_eq!(total, MILLION * (MILLION + 1) / 2);
    });
}

/// Spawns `fanout` children that each spawn a subtree, and returns how many
/// leaves the tree has (checked against fanout^depth).
fn tree(depth: u32, fanout: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        if depth == 0 {
            return 1;
        }
        let children: Vec<_> = (0..fanout)
            .map(|_| bobbin::spawn(tree(depth - 1, fanout)))
            .collect();
        let mut leaves = 0;
        for child in children {
            leaves += child.await.unwrap();
        }
        leaves
    })
}

#[test]
fn nested_spawn_trees_are_all_joined() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "tree");
        // 8^5 = 32768 leaves, 37449 tasks in all.
        let leaves = rt.block_on(tree(5, 8));
        assert_eq!(leaves, 8u64.pow(5));
        // A deep, narrow tree too: 200 levels of one child each.
        assert_eq!(rt.block_on(rt.spawn(tree(200, 1))).unwrap(), 1);
    });
}

#[test]
fn spawned_tasks_run_concurrently_with_block_on() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "spawn-conc");
        let (tx, rx) = mpsc::channel();
        // The task runs while the test thread is not in block_on.
        let task = rt.spawn(async move { tx.send(thread_name()).unwrap() });
        let name = rx.recv_timeout(LIMIT).expect("the task never ran");
        assert!(name.starts_with("spawn-conc-"));
        rt.block_on(task).unwrap();
    });
}

#[test]
fn handle_current_inside_a_task_is_its_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "cur");
        let name = rt.block_on(async {
            bobbin::spawn(async {
                let handle = Handle::current();
                handle.spawn(async { thread_name() }).await.unwrap()
            })
            .await
            .unwrap()
        });
        assert_eq!(name, "cur-0");
    });
}
