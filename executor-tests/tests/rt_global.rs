//! The global runtime: used by `bobbin::spawn`/`block_on` outside any
//! runtime, never by code inside one; `Handle::current` falls back to it and
//! `Handle::try_current` does not; `BOBBIN_WORKER_THREADS` sets its size,
//! and a malformed value makes its first use panic with what is accepted
//! (checked in child processes, since the global runtime starts once per
//! process).

use bobbin::Runtime;
use bobbin::runtime::Handle;
use executor_tests::{LIMIT, is_child, run_this_test_as_child, thread_name, with_timeout};
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

#[test]
fn spawn_outside_any_runtime_uses_the_global_runtime() {
    with_timeout(LIMIT, || {
        let task = bobbin::spawn(async { thread_name() });
        let name = futures::executor::block_on(task).unwrap();
        assert!(name.starts_with("bobbin-global-"), "{name}");
    });
}

#[test]
fn block_on_outside_any_runtime_uses_the_global_runtime() {
    with_timeout(LIMIT, || {
        let (here, name) = bobbin::block_on(async {
            let name = bobbin::spawn(async { thread_name() }).await.unwrap();
            (thread::current().id(), name)
        });
        assert_eq!(
            here,
            thread::current().id(),
            "block_on ran the future elsewhere"
        );
        assert!(name.starts_with("bobbin-global-"), "{name}");
    });
}

#[test]
fn handle_current_falls_back_to_the_global_runtime_and_try_current_does_not() {
    with_timeout(LIMIT, || {
        let err = Handle::try_current().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("no bobbin runtime"), "{message}");
        assert!(message.contains("Handle::current()"), "{message}");
        let handle = Handle::current();
        let name = handle.block_on(async { bobbin::spawn(async { thread_name() }).await.unwrap() });
        assert!(name.starts_with("bobbin-global-"), "{name}");
        // Inside a global task, try_current finds the global runtime.
        let inside = bobbin::block_on(bobbin::spawn(async { Handle::try_current().is_ok() }));
        assert!(inside.unwrap());
    });
}

#[test]
fn try_current_sees_every_way_of_entering_a_runtime() {
    with_timeout(LIMIT, || {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        assert!(Handle::try_current().is_err());
        assert!(rt.block_on(async { Handle::try_current().is_ok() }));
        assert!(
            rt.block_on(rt.spawn(async { Handle::try_current().is_ok() }))
                .unwrap()
        );
        {
            let _guard = rt.enter();
            assert!(Handle::try_current().is_ok());
            {
                let _again = rt.handle().enter();
                assert!(Handle::try_current().is_ok());
            }
            assert!(
                Handle::try_current().is_ok(),
                "leaving a nested enter left the outer one"
            );
        }
        assert!(
            Handle::try_current().is_err(),
            "the guard did not leave the runtime"
        );
    });
}

#[test]
fn inside_a_runtime_spawn_never_goes_to_the_global_one() {
    with_timeout(LIMIT, || {
        let rt = Runtime::builder()
            .worker_threads(1)
            .thread_name("mine")
            .build()
            .unwrap();
        let names: BTreeSet<String> = rt.block_on(async {
            let mut names = BTreeSet::new();
            names.insert(bobbin::spawn(async { thread_name() }).await.unwrap());
            names.insert(
                bobbin::spawn(async { bobbin::spawn(async { thread_name() }).await.unwrap() })
                    .await
                    .unwrap(),
            );
            names.insert(
                Handle::current()
                    .spawn(async { thread_name() })
                    .await
                    .unwrap(),
            );
            names
        });
        assert_eq!(names, BTreeSet::from(["mine-0".to_owned()]));
    });
}

#[test]
fn the_global_runtime_serves_many_threads() {
    with_timeout(LIMIT, || {
        let threads: Vec<_> = (0..8u64)
            .map(|t| {
                thread::spawn(move || {
                    bobbin::block_on(async move {
                        let handles: Vec<_> = (0..1_000u64)
                            .map(|i| bobbin::spawn(async move { t + i }))
                            .collect();
                        let mut sum = 0;
                        for handle in handles {
                            sum += handle.await.unwrap();
                        }
                        sum
                    })
                })
            })
            .collect();
        for (t, thread) in threads.into_iter().enumerate() {
            assert_eq!(thread.join().unwrap(), 1_000 * t as u64 + 499_500);
        }
    });
}

const MALFORMED_MESSAGE: &str = "BOBBIN_WORKER_THREADS must be a whole number of at least 1, got";

/// In the child: the first use of the global runtime must panic. In the
/// parent: run the child with bad values and read its exit and stderr.
#[test]
fn malformed_worker_threads_env_makes_the_first_use_panic() {
    if is_child() {
        // Returning normally (exit status 0) tells the parent no panic came.
        let _ = bobbin::block_on(async { bobbin::spawn(async { 1 }).await });
        println!("CHILD: the global runtime started");
        return;
    }
    with_timeout(LIMIT, || {
        for value in ["abc", "0", "-2", "1.5", ""] {
            let output = run_this_test_as_child(
                "malformed_worker_threads_env_makes_the_first_use_panic",
                &[("BOBBIN_WORKER_THREADS", value)],
                LIMIT,
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !output.status.success(),
                "BOBBIN_WORKER_THREADS={value:?} was accepted; stdout: {}",
                String::from_utf8_lossy(&output.stdout)
            );
            let expected = format!("{MALFORMED_MESSAGE} {value:?}");
            assert!(
                stderr.contains(&expected),
                "no {expected:?} in the child's stderr:\n{stderr}"
            );
        }
    });
}

/// In the child: with BOBBIN_WORKER_THREADS=3, three tasks that wait for
/// each other on a barrier can only finish if the global runtime has (at
/// least) three workers, all named `bobbin-global-{0,1,2}`.
#[test]
fn worker_threads_env_sets_the_global_worker_count() {
    if is_child() {
        let barrier = Arc::new(Barrier::new(3));
        let names: BTreeSet<String> = bobbin::block_on(async move {
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let barrier = barrier.clone();
                    bobbin::spawn(async move {
                        // Blocks its worker until all three run at once.
                        barrier.wait();
                        thread_name()
                    })
                })
                .collect();
            let mut names = BTreeSet::new();
            for handle in handles {
                names.insert(handle.await.unwrap());
            }
            names
        });
        let expected: BTreeSet<String> = (0..3).map(|i| format!("bobbin-global-{i}")).collect();
        assert_eq!(names, expected);
        println!("CHILD: three workers");
        return;
    }
    with_timeout(LIMIT, || {
        let output = run_this_test_as_child(
            "worker_threads_env_sets_the_global_worker_count",
            &[("BOBBIN_WORKER_THREADS", " 3 ")],
            LIMIT,
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("CHILD: three workers"),
            "the child failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    });
}
