//! For the unit tests of the layers above the runtime (net, fs, process,
//! signal): run code bounded in time.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

/// Runs `future` with `block_on` on a thread of its own; fails the test if
/// it has not finished within 30 s (a lost wake-up hangs instead of
/// failing, otherwise).
pub(crate) fn run<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    bounded(|| crate::block_on(future))
}

/// Runs `f` on a thread of its own; fails the test if it has not returned
/// within 30 s.
pub(crate) fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match result.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(output)) => output,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the test did not finish within 30 s: a lost wake-up?"),
    }
}
