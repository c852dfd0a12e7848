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
pub fn run_main<O, F: Future<Output = O>>(
    workers: Option<usize>,
    start_paused: bool,
    current_thread: bool,
    body: F,
) -> O {
    let workers = match workers {
        _ if current_thread => None,
        Some(workers) => Some(workers),
        None => super::global::worker_threads_from_env(std::env::var_os(
            super::global::WORKER_THREADS_VAR,
        ))
        .unwrap_or_else(|err| panic!("#[bobbin::main] cannot start its runtime: {err}")),
    };
    let mut builder = if current_thread {
        Builder::new_current_thread()
    } else {
        Builder::new()
    };
    builder.start_paused(start_paused);
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
/// named after the test, its clock paused if `start_paused`, its random
/// choices seeded from `BOBBIN_SEED` or a fresh seed, which a failing test
/// prints.
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
    start_paused: bool,
    current_thread: bool,
    body: F,
) -> O {
    let seed = test_seed(test);
    let mut builder = if current_thread {
        Builder::new_current_thread()
    } else {
        let mut builder = Builder::new();
        builder.worker_threads(workers);
        builder
    };
    let runtime = builder
        .thread_name(format!("{test}-worker"))
        .start_paused(start_paused)
        .rng_seed(seed)
        .build()
        .unwrap_or_else(|err| {
            panic!("#[bobbin::test] cannot start the runtime of `{test}`: {err}")
        });
    // Prints the seed if the test fails (by any panic from here on).
    let _seed = SeedOnFailure { test, seed };
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

/// The environment variable that sets a `#[bobbin::test]`'s seed.
pub const SEED_VAR: &str = "BOBBIN_SEED";

/// `BOBBIN_SEED`, or a fresh seed.
fn test_seed(test: &str) -> u64 {
    match std::env::var(SEED_VAR) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| {
            panic!(
                "test `{test}`: {SEED_VAR}={text:?} is not a seed; give the whole number a \
                 failing test printed"
            )
        }),
        Err(_) => {
            use std::hash::BuildHasher;
            std::collections::hash_map::RandomState::new().hash_one(test)
        }
    }
}

/// Prints the test's seed when it is dropped by a panic.
struct SeedOnFailure<'a> {
    test: &'a str,
    seed: u64,
}

impl Drop for SeedOnFailure<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "test `{}` failed with seed {}; replay its runtime's choices with {SEED_VAR}={}",
                self.test, self.seed, self.seed
            );
        }
    }
}

/// The body, or a panic that names the test and the limit at the
/// deadline (in wall time: a paused clock does not move it).
async fn deadline<F: Future>(test: &str, millis: u64, body: F) -> F::Output {
    let alarm = Alarm::start(Duration::from_millis(millis));
    let mut body = std::pin::pin!(body);
    let finished = std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(output) = body.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(output));
        }
        alarm.poll_rang(cx).map(|()| None)
    })
    .await;
    match finished {
        Some(output) => output,
        None => {
            eprintln!("{}", Handle::current().dump());
            panic!(
                "test `{test}` did not finish within {millis} ms (#[bobbin::test(timeout_ms = \
                 {millis})]): it waits for something that does not happen, or a task never \
                 returns from a poll; the dump of its tasks is printed above"
            )
        }
    }
}

/// A wall-clock alarm on a thread of its own (the runtime's clock may be
/// paused); the thread is stopped and joined when the alarm is dropped.
struct Alarm {
    shared: std::sync::Arc<(std::sync::Mutex<AlarmState>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct AlarmState {
    rang: bool,
    stopped: bool,
    waker: Option<std::task::Waker>,
}

impl Alarm {
    fn start(after: Duration) -> Alarm {
        let shared = std::sync::Arc::new((
            std::sync::Mutex::new(AlarmState::default()),
            std::sync::Condvar::new(),
        ));
        let ringer = shared.clone();
        let thread = std::thread::Builder::new()
            .name("bobbin-test-alarm".to_owned())
            .spawn(move || {
                let (state, condvar) = &*ringer;
                let deadline = std::time::Instant::now() + after;
                let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                while !state.stopped {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        state.rang = true;
                        if let Some(waker) = state.waker.take() {
                            waker.wake();
                        }
                        return;
                    }
                    state = condvar
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            })
            .unwrap_or_else(|err| {
                panic!("#[bobbin::test] cannot start its timeout's thread: {err}")
            });
        Alarm {
            shared,
            thread: Some(thread),
        }
    }

    fn poll_rang(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        let mut state = self.shared.0.lock().unwrap_or_else(|e| e.into_inner());
        if state.rang {
            return std::task::Poll::Ready(());
        }
        state.waker = Some(cx.waker().clone());
        std::task::Poll::Pending
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        self.shared
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stopped = true;
        self.shared.1.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
