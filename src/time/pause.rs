//! Pausing the runtime's clock: `pause`, `resume`, `advance`.

use crate::driver::clock::Misuse;
use crate::driver::{DriverHandle, current};
use crate::loom::Arc;
use std::future::Future;
use std::time::Duration;

/// The current runtime's driver, or a panic that says where `operation`
/// may be called.
#[track_caller]
fn driver(operation: &str) -> Arc<DriverHandle> {
    current::try_current().unwrap_or_else(|| {
        panic!(
            "bobbin::time::{operation} was called outside a runtime: the clock it moves is a \
             runtime's; call it inside #[bobbin::test], Runtime::block_on or a task (or build \
             the runtime with Builder::start_paused(true))"
        )
    })
}

#[track_caller]
fn refused(operation: &str, misuse: Misuse) -> ! {
    match misuse {
        Misuse::AlreadyPaused => panic!(
            "bobbin::time::{operation}: the runtime's clock is already paused; call \
             bobbin::time::resume() before pausing it again"
        ),
        Misuse::NotPaused => panic!(
            "bobbin::time::{operation}: the runtime's clock is not paused; call \
             bobbin::time::pause() first, or build the runtime with \
             Builder::start_paused(true) (#[bobbin::test(start_paused)])"
        ),
    }
}

/// Stops the current runtime's clock. From now on time moves only when
/// [`advance`] moves it, or, whenever the whole runtime is idle, to the next
/// timer's deadline (auto-advance): a test that sleeps an hour takes
/// microseconds, and timers fire in deadline order, exactly at their
/// deadlines.
///
/// Idle means: no task is runnable or in a poll, no
/// [`spawn_blocking`](crate::spawn_blocking) job is queued or running, no
/// `block_on` thread of the runtime is polling, and the reactor has no
/// ready event. A task waiting for a socket is idle: a peer outside the
/// runtime (another process, a plain thread) does not hold the clock back,
/// so a virtual timeout around a read from a slow real server fires at
/// once. [`resume`] before such I/O.
///
/// Works on the multi-threaded runtime with any number of workers.
///
/// # Panics
/// Outside a runtime, on the global runtime (whose clock the whole
/// process shares), or if the clock is already paused, with what to do.
///
/// # Examples
/// ```
/// use bobbin::time::{self, Duration, Instant};
/// let rt = bobbin::Runtime::new().unwrap();
/// rt.block_on(async {
///     let wall = std::time::Instant::now();
///     time::pause();
///     let start = Instant::now();
///     time::sleep(Duration::from_secs(24 * 3600)).await; // auto-advance
///     assert_eq!(start.elapsed(), Duration::from_secs(24 * 3600));
///     time::resume();
///     assert!(wall.elapsed() < Duration::from_secs(60));
/// });
/// ```
#[track_caller]
pub fn pause() {
    let driver = driver("pause");
    if current::is_global(&driver) {
        panic!(
            "bobbin::time::pause was called on the global runtime, whose clock all code in the \
             process shares; pause a runtime of your own: #[bobbin::test(start_paused)], or \
             Runtime::builder().start_paused(true)"
        );
    }
    if let Err(misuse) = driver.timers.pause() {
        refused("pause", misuse);
    }
    driver.watch();
    // The caller's own thread, if it is a `block_on` of this runtime,
    // holds the clock from now on (it is polling).
    current::count_this_block_on();
}

/// Lets the current runtime's clock run with real time again, from where
/// it stands.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused, with what to do.
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::new().unwrap();
/// rt.block_on(async {
///     bobbin::time::pause();
///     bobbin::time::resume();
/// });
/// ```
#[track_caller]
pub fn resume() {
    let driver = driver("resume");
    if let Err(misuse) = driver.timers.clock.resume() {
        refused("resume", misuse);
    }
    // The driver's wait is bounded by real deadlines again (`unwatch`
    // unparks it).
    driver.unwatch();
}

/// Moves the current runtime's paused clock forward by `duration`, fires
/// every timer now due, and yields once. The tasks those timers woke may
/// still be running on other workers when it returns: await
/// [`Handle::settle`](crate::runtime::Handle::settle) to wait for them.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused, with what to do
/// (when called, not when awaited).
///
/// # Examples
/// ```
/// use bobbin::time::{self, Duration, Instant};
/// let rt = bobbin::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let timer = bobbin::spawn(time::sleep(Duration::from_secs(10)));
///     time::advance(Duration::from_secs(10)).await;
///     timer.await.unwrap();
///     assert_eq!(start.elapsed(), Duration::from_secs(10));
/// });
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
    let driver = driver("advance");
    if !driver.timers.clock.is_paused() {
        refused("advance", Misuse::NotPaused);
    }
    async move {
        if let Err(misuse) = driver.timers.clock.advance(duration) {
            refused("advance", misuse);
        }
        let mut wake = Vec::new();
        driver.timers.fire_due(&mut wake);
        for waker in wake {
            waker.wake();
        }
        crate::task::yield_now().await;
    }
}
