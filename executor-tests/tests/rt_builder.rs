//! `runtime::Builder`: worker count (zero is an error), thread names
//! `{name}-{index}`, stack size, and the start/stop hooks (once per worker).

use bobbin::Runtime;
use bobbin::runtime::Builder;
use executor_tests::{LIMIT, thread_name, with_timeout};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::sync::{Arc, Mutex};

#[test]
fn zero_workers_is_an_invalid_input_error_that_says_what_is_accepted() {
    with_timeout(LIMIT, || {
        let err = Runtime::builder().worker_threads(0).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let message = err.to_string();
        assert!(message.contains("at least 1"), "{message}");
        assert!(message.contains("got 0"), "{message}");

        let err = Builder::new().worker_threads(1 << 20).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn the_default_builder_and_runtime_new_work() {
    with_timeout(LIMIT, || {
        let rt = Runtime::new().unwrap();
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
        let rt = Builder::default().build().unwrap();
        let name = rt.block_on(rt.spawn(async { thread_name() })).unwrap();
        assert!(name.starts_with("bobbin-worker-"), "{name}");
        assert!(format!("{:?}", Builder::new().worker_threads(3)).contains('3'));
    });
}

/// Builds a runtime whose start hook records each worker's thread name.
fn runtime_recording_names(
    workers: usize,
    name: Option<&str>,
) -> (Runtime, Arc<Mutex<Vec<String>>>) {
    let names: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = names.clone();
    let mut builder = Runtime::builder();
    builder
        .worker_threads(workers)
        .on_thread_start(move || record.lock().unwrap().push(thread_name()));
    if let Some(name) = name {
        builder.thread_name(name);
    }
    (builder.build().unwrap(), names)
}

#[test]
fn worker_threads_are_named_name_dash_index() {
    with_timeout(LIMIT, || {
        let (rt, names) = runtime_recording_names(4, Some("app"));
        drop(rt);
        let names: BTreeSet<String> = names.lock().unwrap().iter().cloned().collect();
        let expected: BTreeSet<String> = (0..4).map(|i| format!("app-{i}")).collect();
        assert_eq!(names, expected);

        let (rt, names) = runtime_recording_names(2, None);
        drop(rt);
        let names: BTreeSet<String> = names.lock().unwrap().iter().cloned().collect();
        let expected: BTreeSet<String> = (0..2).map(|i| format!("bobbin-worker-{i}")).collect();
        assert_eq!(names, expected);
    });
}

#[test]
fn tasks_run_on_the_named_workers() {
    with_timeout(LIMIT, || {
        let (rt, _names) = runtime_recording_names(3, Some("pool"));
        let seen: BTreeSet<String> = rt.block_on(async {
            let handles: Vec<_> = (0..300)
                .map(|_| {
                    bobbin::spawn(async {
                        bobbin::task::yield_now().await;
                        thread_name()
                    })
                })
                .collect();
            let mut seen = BTreeSet::new();
            for handle in handles {
                seen.insert(handle.await.unwrap());
            }
            seen
        });
        let allowed: BTreeSet<String> = (0..3).map(|i| format!("pool-{i}")).collect();
        assert!(!seen.is_empty());
        assert!(seen.is_subset(&allowed), "tasks ran on {seen:?}");
    });
}

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

#[test]
fn start_and_stop_hooks_run_once_per_worker_on_that_worker() {
    with_timeout(LIMIT, || {
        let starts: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let stops: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let (on_start, on_stop) = (starts.clone(), stops.clone());
        let rt = Runtime::builder()
            .worker_threads(3)
            .thread_name("hooks")
            .on_thread_start(move || {
                STARTED.with(|started| started.set(true));
                *on_start.lock().unwrap().entry(thread_name()).or_default() += 1;
            })
            .on_thread_stop(move || {
                assert!(STARTED.with(Cell::get), "stop hook before start hook");
                *on_stop.lock().unwrap().entry(thread_name()).or_default() += 1;
            })
            .build()
            .unwrap();
        // The start hook has run on a worker before any task runs there.
        let all_started = rt.block_on(async {
            let handles: Vec<_> = (0..100)
                .map(|_| bobbin::spawn(async { STARTED.with(Cell::get) }))
                .collect();
            let mut all = true;
            for handle in handles {
                all &= handle.await.unwrap();
            }
            all
        });
        assert!(all_started, "a task ran on a worker before its start hook");
        assert!(
            stops.lock().unwrap().is_empty(),
            "a stop hook ran before shutdown"
        );
        drop(rt);
        let expected: BTreeMap<String, usize> = (0..3).map(|i| (format!("hooks-{i}"), 1)).collect();
        assert_eq!(*starts.lock().unwrap(), expected);
        assert_eq!(*stops.lock().unwrap(), expected);
    });
}

#[test]
fn hooks_of_a_runtime_that_never_ran_a_task_still_run() {
    with_timeout(LIMIT, || {
        let counts = Arc::new(Mutex::new((0, 0)));
        let (a, b) = (counts.clone(), counts.clone());
        let rt = Runtime::builder()
            .worker_threads(2)
            .on_thread_start(move || a.lock().unwrap().0 += 1)
            .on_thread_stop(move || b.lock().unwrap().1 += 1)
            .build()
            .unwrap();
        rt.shutdown_timeout(LIMIT);
        assert_eq!(*counts.lock().unwrap(), (2, 2));
    });
}

/// Uses about `depth` MiB of stack.
#[inline(never)]
fn deep(depth: usize) -> u64 {
    let buffer = std::hint::black_box([depth as u8; 1 << 20]);
    if depth == 0 {
        u64::from(buffer[0])
    } else {
        deep(depth - 1) + u64::from(buffer[buffer.len() - 1])
    }
}

#[test]
fn thread_stack_size_sets_the_workers_stack() {
    with_timeout(LIMIT, || {
        // 8 MiB of frames: far past the 2 MiB a spawned thread gets by
        // default, within the 32 MiB asked for.
        let rt = Runtime::builder()
            .worker_threads(1)
            .thread_stack_size(32 << 20)
            .build()
            .unwrap();
        let sum = rt.block_on(rt.spawn(async { deep(8) })).unwrap();
        assert_eq!(sum, (0..=8).sum::<u64>());
    });
}

#[test]
fn a_builder_can_build_several_runtimes() {
    with_timeout(LIMIT, || {
        let mut builder = Runtime::builder();
        builder.worker_threads(1).thread_name("again");
        let first = builder.build().unwrap();
        let second = builder.build().unwrap();
        let a = first
            .block_on(first.spawn(async { thread_name() }))
            .unwrap();
        let b = second
            .block_on(second.spawn(async { thread_name() }))
            .unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("again-0", "again-0"));
    });
}

#[test]
fn runtimes_are_isolated_from_each_other() {
    with_timeout(LIMIT, || {
        let a = Runtime::builder()
            .worker_threads(1)
            .thread_name("iso-a")
            .build()
            .unwrap();
        let b = Runtime::builder()
            .worker_threads(1)
            .thread_name("iso-b")
            .build()
            .unwrap();
        let names = a.block_on(async {
            bobbin::spawn(async {
                // A spawn inside a task of `a` stays on `a`.
                bobbin::spawn(async { thread_name() }).await.unwrap()
            })
            .await
            .unwrap()
        });
        assert_eq!(names, "iso-a-0");
        // Dropping one leaves the other working.
        drop(a);
        assert_eq!(
            b.block_on(b.spawn(async { thread_name() })).unwrap(),
            "iso-b-0"
        );
    });
}

#[test]
fn a_panicking_start_hook_does_not_leave_the_runtime_without_its_worker() {
    with_timeout(LIMIT, || {
        let rt = Runtime::builder()
            .worker_threads(1)
            .on_thread_start(|| panic!("the start hook fails"))
            .build()
            .unwrap();
        // The hook's panic is reported on the worker, which runs anyway.
        assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
    });
}

#[test]
fn enter_guards_dropped_out_of_order_panic_and_say_what_to_do() {
    with_timeout(LIMIT, || {
        let first = Runtime::builder().worker_threads(1).build().unwrap();
        let second = Runtime::builder().worker_threads(1).build().unwrap();
        let message = executor_tests::panic_message_of(|| {
            let older = first.enter();
            let newer = second.enter();
            drop(older);
            drop(newer);
        });
        assert!(message.contains("dropped out of order"), "{message}");
        assert!(message.contains("reverse order"), "{message}");
    });
}
