//! Spawning: the free functions users call (`bobbin::spawn`,
//! `spawn_blocking`, `block_in_place`, `block_on`), the task
//! [`Builder`](crate::task::Builder) and [`JoinSet`](crate::task::JoinSet).
//! They reach the current runtime (or the global one) and are re-exported
//! under `bobbin::task` and the crate root, where users look for them.

mod blocking;
mod builder;
mod join_set;

pub use builder::Builder;
pub use join_set::JoinSet;

pub(crate) use blocking::spawn_blocking_on;

use super::{Handle, scheduler, spawn_current};
use crate::sync::WaitGroup;
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

/// Spawns a `!Send` future as a local task of this thread: it runs on this
/// thread only, never moved or stolen, woken onto it from any thread. The
/// [`JoinHandle`] is `Send` only if the output is.
///
/// Where it may be called, and how long the task lives:
/// - inside a task on a worker of the multi-threaded runtime: pinned to
///   that worker until it ends, or until that worker's shutdown sweep
///   drops it at the runtime's shutdown;
/// - inside a current-thread runtime's `block_on` (on the thread that runs
///   its core): it runs there while a `block_on` runs the runtime, and is
///   kept parked between calls; dropped by the thread that drops the
///   runtime, if that is its thread;
/// - inside a multi-threaded runtime's [`Runtime::block_on`](crate::Runtime::block_on)
///   (or `Handle::block_on`, `bobbin::block_on`), also on a blocking-pool
///   thread or in `block_in_place`: it runs on the calling thread between
///   polls of the `block_on` future, and the tasks left when that
///   `block_on` returns are dropped there (a scope: unlike tokio's
///   `LocalSet`, nothing waits for a later call). The `block_on` future
///   must not block its thread waiting for one of them (a
///   `recv_blocking`, a std lock): they run only while it is pending.
///
/// A local task of a thread that never runs the runtime again (a
/// current-thread runtime dropped on another thread) is not dropped: its
/// future may not leave its thread.
///
/// # Panics
/// Anywhere else, with where it may be called: on a thread that runs no
/// runtime's tasks and is in no `block_on`; on a spare core (a pool thread
/// standing in for a blocked worker, which would strand the task); in a
/// current-thread runtime's `block_on` that waits while another thread
/// runs the core.
///
/// # Examples
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// let rt = bobbin::runtime::Builder::new_current_thread().build().unwrap();
/// let total = rt.block_on(async {
///     let shared = Rc::new(RefCell::new(0));
///     let tasks: Vec<_> = (1..=10)
///         .map(|i| {
///             let shared = shared.clone();
///             bobbin::task::spawn_local(async move { *shared.borrow_mut() += i })
///         })
///         .collect();
///     for task in tasks {
///         task.await.unwrap();
///     }
///     shared.take()
/// });
/// assert_eq!(total, 55);
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_local_inner(future, None, std::panic::Location::caller())
}

/// `spawn_local` with a name (also `task::Builder::spawn_local`).
#[track_caller]
pub(crate) fn spawn_local_inner<F>(
    future: F,
    name: Option<Box<str>>,
    location: &'static std::panic::Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match scheduler::local::spawn_local(future, name, location) {
        Ok(handle) => handle,
        Err(refused) => super::block_on::spawn_local(refused),
    }
}

/// Runs blocking code on the blocking pool of the current runtime (or the
/// global one), and gives its result through the returned [`JoinHandle`].
///
/// For code that blocks its thread: file I/O, a blocking client library,
/// a long computation. Running it inside a task would stall every task
/// queued on that worker. The pool starts threads on demand (up to
/// [`Builder::max_blocking_threads`](crate::runtime::Builder::max_blocking_threads), 512 by default) and stops them after
/// [`Builder::thread_keep_alive`](crate::runtime::Builder::thread_keep_alive) without work. A panic in `func` is caught
/// and given to the `JoinHandle` ([`JoinError::is_panic`]). A job cannot be
/// cancelled once it has started; `abort` before then drops it unrun.
///
/// [`JoinError::is_panic`]: crate::task::JoinError::is_panic
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let text = bobbin::spawn_blocking(|| std::fs::read_to_string("Cargo.toml"))
///     .await
///     .unwrap()
///     .unwrap();
/// assert!(text.contains("[package]"));
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, T>(func: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let location = std::panic::Location::caller();
    Handle::with_current(|shared| spawn_blocking_on(shared, func, None, location))
}

/// Runs blocking code right here, on a worker, without stalling the tasks
/// queued behind it: the worker's queue (its LIFO slot included) goes to a
/// spare core that runs on a blocking-pool thread until `func` returns.
///
/// Use it where the blocking call needs the task's borrowed state (which
/// [`spawn_blocking`] cannot take, being `'static`). While `func` runs the
/// thread is not a worker, so [`Handle::block_on`] may be called inside it.
/// Outside a worker it simply calls `func`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let mut log = Vec::new();
/// let handle = bobbin::spawn(async move {
///     let written = bobbin::task::block_in_place(|| {
///         log.extend_from_slice(b"flushed"); // imagine a blocking write
///         log.len()
///     });
///     written
/// });
/// assert_eq!(handle.await.unwrap(), 7);
/// # });
/// ```
pub fn block_in_place<F, R>(func: F) -> R
where
    F: FnOnce() -> R,
{
    let _handed_off = scheduler::enter_block_in_place();
    // The closure is not cooperative: no budget (blocking forms and
    // `block_on` inside it budget their own polls).
    crate::task::coop::with_unconstrained(func)
}

/// Runs a future to completion on this thread, and returns its output.
///
/// The current runtime (or, outside any runtime, the global one) is current
/// while it runs, so `bobbin::spawn` inside it spawns there. This is the
/// entry point from `main`. As [`Runtime::block_on`](crate::Runtime::block_on),
/// it runs the `!Send` tasks that `task::spawn_local` spawns inside it.
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
    Handle::current().block_on(future)
}

/// Spawning into a [`WaitGroup`]: here rather than in `sync/`, which
/// knows nothing of runtimes.
impl WaitGroup {
    /// Spawns `future` as a task counted in this group (Go 1.25's
    /// `WaitGroup.Go`): `add(1)` now, `done()` when the future finishes,
    /// panics or is cancelled. The task goes to the current runtime, or
    /// the global one (as [`bobbin::spawn`](crate::spawn)).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// # bobbin::block_on(async {
    /// let wg = bobbin::sync::WaitGroup::new();
    /// let hits = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..10 {
    ///     let hits = hits.clone();
    ///     wg.spawn(async move { hits.fetch_add(1, SeqCst) });
    /// }
    /// wg.spawn(async { panic!("a panic still counts out") });
    /// wg.wait().await;
    /// assert_eq!(hits.load(SeqCst), 10);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let token = self.token();
        crate::spawn(async move {
            let _token = token;
            future.await
        })
    }
}
