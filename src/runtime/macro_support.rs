//! What `#[bobbin::main]` and `#[bobbin::test]` expand to call. Not part
//! of the API: the attributes' expansions are, and these may change with
//! them.

use super::{Builder, Runtime};
use std::future::Future;
use std::time::Duration;

/// The runtime of a `#[bobbin::main]`: `workers` threads, or as many as
/// `BOBBIN_WORKER_THREADS` says (as the global runtime), or one per CPU.
///
/// # Panics
/// If `BOBBIN_WORKER_THREADS` is malformed or the threads cannot start,
/// with the reason.
pub fn main_runtime(workers: Option<usize>) -> Runtime {
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
    builder
        .build()
        .unwrap_or_else(|err| panic!("#[bobbin::main] cannot start its runtime: {err}"))
}

/// The runtime of one `#[bobbin::test]`: `workers` threads named after
/// the test.
///
/// # Panics
/// If the threads cannot start, with the reason.
pub fn test_runtime(workers: usize, test: &str) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .thread_name(format!("{test}-worker"))
        .build()
        .unwrap_or_else(|err| panic!("#[bobbin::test] cannot start the runtime of `{test}`: {err}"))
}

/// Runs a test's body with a deadline: its output, or a panic that names
/// the test and the limit.
pub async fn with_timeout<F: Future>(test: &str, millis: u64, body: F) -> F::Output {
    match crate::time::timeout(Duration::from_millis(millis), body).await {
        Ok(output) => output,
        Err(_) => {
            eprintln!("{}", super::Handle::current().dump());
            panic!(
                "test `{test}` did not finish within {millis} ms (#[bobbin::test(timeout_ms = \
             {millis})]): it waits for something that never happens; a dump of what its tasks \
             were doing is printed above"
            )
        }
    }
}
