//! Which driver a thread's I/O resources and timers register with: the
//! driver of the runtime entered on this thread (a worker's, or the one a
//! `block_on` or `Handle::enter` made current), else the global runtime's,
//! started on first use.
//!
//! This is the one place below the runtime that asks the runtime anything,
//! and the one call that goes up the layers on purpose: the global runtime
//! starts on first use, and that first use may be a `sleep` polled by
//! another executor or an `Async::new` on a plain thread, before any code
//! of the runtime has run. A hook the runtime installed would be missing
//! then; so `io/` and `time/` ask here, and only here is the runtime
//! named. They get back the narrow handle, `DriverHandle`, and nothing
//! else of the runtime.

use super::DriverHandle;
use crate::loom::Arc;

/// The driver of the current runtime (or the global one).
///
/// # Panics
/// Outside any runtime, if the global runtime cannot start (a malformed
/// `BOBBIN_WORKER_THREADS`, or no thread can be started); the message says
/// what is accepted.
#[track_caller]
pub(crate) fn current() -> Arc<DriverHandle> {
    crate::runtime::current_driver()
}

/// The driver of the runtime entered on this thread, if any (no fallback
/// to the global runtime).
pub(crate) fn try_current() -> Option<Arc<DriverHandle>> {
    crate::runtime::try_current_driver()
}

/// The clock of the runtime entered on this thread, or std's outside any.
pub(crate) fn now() -> std::time::Instant {
    // Until some clock is paused, every runtime's time is std's.
    if !super::clock::any_paused() {
        return std::time::Instant::now();
    }
    crate::runtime::current_clock_now().unwrap_or_else(std::time::Instant::now)
}

/// True if `driver` is the global runtime's (without starting it).
pub(crate) fn is_global(driver: &Arc<DriverHandle>) -> bool {
    crate::runtime::is_global_driver(driver)
}

/// If this thread is in a `block_on` of its current runtime, counts it in
/// that runtime's idleness check now (it is polling).
pub(crate) fn count_this_block_on() {
    crate::runtime::count_this_block_on();
}

/// The global runtime's driver (which never shuts down), starting the
/// global runtime if needed.
#[track_caller]
pub(crate) fn global() -> Arc<DriverHandle> {
    crate::runtime::global_driver()
}

/// True on a worker thread of the runtime that owns `driver`: only those
/// threads poll that runtime's tasks.
pub(crate) fn is_worker_of(driver: &Arc<DriverHandle>) -> bool {
    crate::runtime::is_worker_of(driver)
}
