//! The runtime: worker threads, the handle that reaches them, the current
//! runtime of a thread, and the global runtime.
//!
//! `Runtime` owns the threads (`rt.rs`), `Builder` configures them
//! (`builder.rs`), `Handle` reaches them from anywhere (`handle.rs`).
//! `context.rs` records which runtime a thread is in; `global.rs` starts the
//! global runtime on first use; `block_on.rs` runs a future on the calling
//! thread; `scheduler/` is the work-stealing scheduler itself.
//!
//! Why a global runtime: Go programs never thread a scheduler through their
//! calls, and Rust libraries that spawn should not have to either. Inside a
//! runtime (on a worker, in `block_on`, under `Handle::enter`) spawns go to
//! that runtime; anywhere else, to the global one. Nothing panics with
//! "no runtime".

mod block_on;
mod builder;
mod context;
mod global;
mod handle;
mod rt;
pub(crate) mod scheduler;

pub use builder::Builder;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use rt::Runtime;

pub(crate) use block_on::park_on;
pub(crate) use global::handle as global_handle;
pub(crate) use handle::spawn_current;
pub(crate) use scheduler::is_worker_of;

use crate::task::JoinHandle;
use std::future::Future;

/// Spawns a task: a future that runs concurrently with the caller, on the
/// current runtime's workers (or the global runtime's, outside any runtime).
///
/// The returned [`JoinHandle`] gives the task's output when awaited;
/// dropping it detaches the task, which keeps running. A panic in the task
/// is caught and reported through the handle; the worker goes on.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::spawn(async { 1 + 2 });
/// assert_eq!(handle.await.unwrap(), 3);
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_current(future, None)
}

/// Runs a future to completion on this thread, and returns its output.
///
/// The current runtime (or, outside any runtime, the global one) is current
/// while it runs, so `bobbin::spawn` inside it spawns there. This is the
/// entry point from `main`.
///
/// # Panics
/// On a runtime worker thread, and inside another `block_on` on the same
/// thread: both would stall or deadlock. `.await` the future there.
///
/// # Examples
/// ```
/// let sum = bobbin::block_on(async {
///     let a = bobbin::spawn(async { 20 });
///     let b = bobbin::spawn(async { 22 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 42);
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    Handle::with_current(Handle::clone).block_on(future)
}
