//! What `#[bobbin::main]` and `#[bobbin::test]` expand to call. Not part
//! of the API: the attributes' expansions are, and these may change with
//! them. The expansions pass the body straight in and bind no names of
//! their own, so nothing in the user's scope can collide with them.

use super::{Builder, Handle};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

/// Runs a `#[bobbin::main]` body on a runtime of its own: `workers`
/// threads, or as many as `BOBBIN_WORKER_THREADS` says (as the global
/// runtime), or one per CPU. The runtime shuts down when the body returns.
///
/// # Panics
/// If `BOBBIN_WORKER_THREADS` is malformed or the threads cannot start,
/// with the reason.
pub fn run_main<O, F: Future<Output = O>>(workers: Option<usize>, body: F) -> O {
    let workers = match workers {
        Some(workers) => Some(workers),
        None => super::global::worker_threads_from_env(std::env::var_os(
            super::global::WORKER_THREADS_VAR,
        ))
        .unwrap_or_else(|err| panic!("#[bobbin::main] cannot start its runtime: {err}")),
    };
    let mut builder = Builder::new();
    if let Some(workers) = workers {
        builder.worker_threads(workers);
    }
    let runtime = builder
        .build()
        .unwrap_or_else(|err| panic!("#[bobbin::main] cannot start its runtime: {err}"));
    runtime.block_on(body)
}

/// Runs a `#[bobbin::main(global)]` body on the global runtime.
pub fn run_main_global<O, F: Future<Output = O>>(body: F) -> O {
    crate::block_on(body)
}

/// Runs one `#[bobbin::test]` body on a fresh runtime of `workers` threads
/// named after the test.
///
/// With `timeout_ms`, the body fails at that deadline (after printing the
/// runtime's task dump), and the runtime's shutdown is bounded by it too:
/// a task stuck in a poll or a blocking job that never returns is left on
/// its thread and named, so the test fails instead of hanging in the
/// runtime's drop.
///
/// # Panics
/// If the threads cannot start; at the timeout; if the body panics (its
/// panic, re-raised); with a timeout, if the runtime could not shut down
/// within it after the body finished.
pub fn run_test<O, F: Future<Output = O>>(
    workers: usize,
    test: &str,
    timeout_ms: Option<u64>,
    body: F,
) -> O {
    let runtime = Builder::new()
        .worker_threads(workers)
        .thread_name(format!("{test}-worker"))
        .build()
        .unwrap_or_else(|err| {
            panic!("#[bobbin::test] cannot start the runtime of `{test}`: {err}")
        });
    let Some(millis) = timeout_ms else {
        return runtime.block_on(body);
    };
    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(deadline(test, millis, body))
    }));
    let report = runtime.shutdown_timeout(Duration::from_millis(millis));
    match ran {
        Err(payload) => {
            if !report.is_clean() {
                eprintln!("test `{test}`: left running after the runtime's shutdown: {report}");
            }
            panic::resume_unwind(payload)
        }
        Ok(output) if report.is_clean() => output,
        Ok(_) => panic!(
            "test `{test}` finished, but its runtime could not shut down within {millis} ms \
             (#[bobbin::test(timeout_ms = {millis})]): {report}"
        ),
    }
}

/// The body, or a panic that names the test and the limit at the
/// deadline.
async fn deadline<F: Future>(test: &str, millis: u64, body: F) -> F::Output {
    match crate::time::timeout(Duration::from_millis(millis), body).await {
        Ok(output) => output,
        Err(_) => {
            eprintln!("{}", Handle::current().dump());
            panic!(
                "test `{test}` did not finish within {millis} ms (#[bobbin::test(timeout_ms = \
                 {millis})]): it waits for something that does not happen, or a task never \
                 returns from a poll; the dump of its tasks is printed above"
            )
        }
    }
}
