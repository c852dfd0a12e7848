//! The runtime: worker threads, the handle that reaches them, the current
//! runtime of a thread, and the global runtime. It sits above every other
//! layer but `net/` and `compat/`.
//!
//! Three layers, each importing only those below it (checked by
//! `tests/layers.rs`):
//! - the façade: `Runtime` owns the threads (`rt.rs`), `Builder`
//!   configures them (`builder.rs`), `Handle` reaches them from anywhere
//!   (`handle.rs`), `global.rs` starts the global runtime on first use,
//!   `block_on.rs` runs a future on the calling thread, `spawn/` is the
//!   spawning API (`bobbin::spawn`, `spawn_blocking`, `block_in_place`,
//!   `task::Builder`, `JoinSet`), and `macro_support.rs` what the
//!   attributes expand to;
//! - the engine: `scheduler/` (the work-stealing scheduler, its spare
//!   cores, the monitor, and which runtime a thread is in) and `pool.rs`
//!   (the blocking pool, which serves any `PoolHost`);
//! - what a runtime tells about itself: `metrics.rs` (the counters
//!   `Handle::metrics` reads), `report/` (the task dump, long polls, the
//!   shutdown report), `panic.rs` (the `UnhandledPanic` policy), and
//!   `wait.rs` (how the runtime's own threads wait for each other).
//!
//! `docs/debugging.md` shows the metrics, the dump and the reports on a
//! real program.
//!
//! Why a global runtime: Go programs never thread a scheduler through their
//! calls, and Rust libraries that spawn should not have to either. Inside a
//! runtime (on a worker, in `block_on`, under `Handle::enter`) spawns go to
//! that runtime; anywhere else, to the global one. Nothing panics with
//! "no runtime".

#![deny(unsafe_code)]

mod block_on;
mod builder;
mod global;
mod handle;
#[doc(hidden)]
pub mod macro_support;
pub(crate) mod metrics;
pub(crate) mod panic;
pub(crate) mod pool;
pub(crate) mod report;
mod rt;
pub(crate) mod scheduler;
mod settle;
pub(crate) mod spawn;
#[cfg(all(test, not(loom)))]
pub(crate) mod test_support;
mod wait;

pub use builder::Builder;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::{RuntimeMetrics, WorkerMetrics};
pub use panic::{PanicCallback, TaskPanic, UnhandledPanic};
pub use report::{
    LocalThread, LongPoll, PinnedTask, ShutdownReport, TaskDump, TaskSnapshot, TaskState,
    Unfinished,
};
pub use rt::Runtime;
pub use settle::Settle;
pub use spawn::{block_in_place, block_on, spawn, spawn_blocking};

pub(crate) use handle::{spawn_at, spawn_current};
pub(crate) use scheduler::is_worker_of;

use crate::driver::DriverHandle;
use crate::loom::Arc;

/// The driver of the current runtime, or the global one's (for
/// `driver::current`, the one place below that asks).
#[track_caller]
pub(crate) fn current_driver() -> Arc<DriverHandle> {
    Handle::with_current(|shared| shared.driver_handle().clone())
}

/// The global runtime's driver, starting the global runtime if needed.
/// The driver of the runtime entered on this thread (no fallback).
pub(crate) fn try_current_driver() -> Option<Arc<DriverHandle>> {
    scheduler::context::with_current(|shared| shared.map(|shared| shared.driver_handle().clone()))
}

/// True if `driver` is the global runtime's (never starts it).
pub(crate) fn is_global_driver(driver: &Arc<DriverHandle>) -> bool {
    global::try_handle().is_some_and(|global| Arc::ptr_eq(global.shared.driver_handle(), driver))
}

/// Counts this thread's `block_on`, if any, in its runtime's idleness
/// check.
pub(crate) fn count_this_block_on() {
    block_on::count_this_thread();
}

/// The clock reading of the runtime entered on this thread, if any.
pub(crate) fn current_clock_now() -> Option<std::time::Instant> {
    scheduler::context::with_current(|shared| {
        shared.map(|shared| shared.driver_handle().timers.clock.now())
    })
}

/// The global runtime's handle (it never shuts down), starting it if
/// needed: for work that must outlive whichever runtime started it (the
/// reaping of an orphaned child).
#[track_caller]
pub(crate) fn global_handle() -> &'static Handle {
    global::handle()
}

#[track_caller]
pub(crate) fn global_driver() -> Arc<DriverHandle> {
    global::handle().shared.driver_handle().clone()
}
