//! `Handle`: a cloneable reference to a runtime, to spawn onto it from
//! anywhere.

use super::report::LocalThread;
use super::scheduler::Shared;
use super::scheduler::{self, context};
use super::{RuntimeMetrics, TaskDump, block_on, global};
use crate::loom::Arc;
use crate::task::JoinHandle;
use crate::task::Notified;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

/// A reference to a runtime: spawn onto it, block on it, or enter it, from
/// any thread. Cheap to clone; `Send` and `Sync`.
///
/// A handle does not keep the runtime's workers alive: once the
/// [`Runtime`](crate::Runtime) is dropped, tasks spawned through a handle
/// are cancelled at once (their `JoinHandle` reports
/// [`is_cancelled`](crate::task::JoinError::is_cancelled)).
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
/// let handle = rt.handle();
/// let answer = std::thread::spawn(move || handle.block_on(async { 42 })).join().unwrap();
/// assert_eq!(answer, 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// Returned by [`Handle::try_current`] on a thread that has not entered a
/// runtime.
///
/// # Examples
/// ```
/// let err = bobbin::runtime::Handle::try_current().unwrap_err();
/// assert!(err.to_string().contains("no bobbin runtime"));
/// ```
#[derive(Debug)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no bobbin runtime is entered on this thread; use Handle::current() to fall back to the global runtime")
    }
}

impl std::error::Error for TryCurrentError {}

/// Makes a runtime current on this thread until dropped. Made by
/// [`Handle::enter`] and [`Runtime::enter`](crate::Runtime::enter).
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::new().unwrap();
/// let _guard = rt.enter();
/// let handle = bobbin::spawn(async { 1 }); // spawned on `rt`
/// assert_eq!(rt.block_on(handle).unwrap(), 1);
/// ```
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _guard: context::ContextGuard,
    _handle: PhantomData<&'a Handle>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl Handle {
    /// The handle of the current runtime: the one whose worker this is, or
    /// whose `block_on` or `enter` is under way here; on any other thread,
    /// the global runtime (started on first use). Never panics.
    ///
    /// # Examples
    /// ```
    /// let handle = bobbin::runtime::Handle::current(); // the global runtime here
    /// assert_eq!(handle.block_on(async { 2 + 2 }), 4);
    /// ```
    pub fn current() -> Handle {
        Handle::with_current(|shared| Handle {
            shared: shared.clone(),
        })
    }

    /// The handle of the current runtime, or an error if this thread is in
    /// none (this form does not fall back to the global runtime).
    ///
    /// # Errors
    /// [`TryCurrentError`] outside a worker, `block_on` or `enter`.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// assert!(bobbin::runtime::Handle::try_current().is_err());
    /// let _guard = rt.enter();
    /// assert!(bobbin::runtime::Handle::try_current().is_ok());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(|current| {
            current.map(|shared| Handle {
                shared: shared.clone(),
            })
        })
        .ok_or(TryCurrentError(()))
    }

    /// Runs `f` with the current runtime, or the global one.
    pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Shared>) -> R) -> R {
        let mut f = Some(f);
        let entered = context::with_current(|current| {
            current.map(|handle| (f.take().expect("called once"))(handle))
        });
        match entered {
            Some(result) => result,
            None => (f.take().expect("not called yet"))(&global::handle().shared),
        }
    }

    /// Spawns a task onto this runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let handle = rt.handle().spawn(async { "hi" });
    /// assert_eq!(rt.block_on(handle).unwrap(), "hi");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_inner(future, None, Location::caller())
    }

    pub(crate) fn spawn_inner<F>(
        &self,
        future: F,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_at(Some(self), future, name, location)
    }

    /// Runs blocking code on this runtime's blocking pool (see
    /// [`bobbin::spawn_blocking`](crate::spawn_blocking)).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let job = rt.handle().spawn_blocking(|| 2 + 2);
    /// assert_eq!(rt.block_on(job).unwrap(), 4);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, func: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        super::spawn::spawn_blocking_on(&self.shared, func, None, Location::caller())
    }

    /// Waits until every other task of the runtime is blocked (on a
    /// channel, a lock, a timer, I/O...), no task is runnable or in a poll,
    /// no [`spawn_blocking`](crate::spawn_blocking) job is queued or
    /// running, and no other `block_on` thread of the runtime is polling:
    /// Go's `synctest.Wait`. A test can then look at shared state without
    /// sleeping. Works with the clock paused or not; with it paused, the
    /// settle comes before any auto-advance (time does not move while a
    /// `settle` is waiting to return).
    ///
    /// A plain thread outside the runtime, or a peer across a socket,
    /// is not waited for: to the runtime, its wake or its bytes have not
    /// come yet.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// # bobbin::block_on(async {
    /// let (tx, rx) = bobbin::channel::bounded::<u32>(8);
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let counter = seen.clone();
    /// bobbin::spawn(async move {
    ///     while let Ok(_) = rx.recv().await {
    ///         counter.fetch_add(1, Ordering::SeqCst);
    ///     }
    /// });
    /// tx.send(1).await.unwrap();
    /// tx.send(2).await.unwrap();
    /// bobbin::runtime::Handle::current().settle().await;
    /// assert_eq!(seen.load(Ordering::SeqCst), 2, "the receiver is blocked again");
    /// # });
    /// ```
    pub fn settle(&self) -> super::Settle {
        super::Settle::new(self.shared.clone())
    }

    /// The seed the runtime was built with
    /// ([`Builder::rng_seed`](super::Builder::rng_seed)).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().rng_seed(7).build().unwrap();
    /// assert_eq!(rt.handle().rng_seed(), Some(7));
    /// assert_eq!(bobbin::Runtime::new().unwrap().handle().rng_seed(), None);
    /// ```
    pub fn rng_seed(&self) -> Option<u64> {
        self.shared.seed
    }

    /// A snapshot of this runtime's counters: tasks, polls, steals, queue
    /// depths, parks, blocking threads, I/O, timers and long polls (see
    /// [`RuntimeMetrics`]). Cheap, and callable from any thread, inside
    /// the runtime or not.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.handle().metrics().num_workers(), 3);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        let shared = &self.shared;
        let (mut workers, spares) = shared.core_metrics();
        // Each queue read once, so the per-worker counts add up to the
        // per-thread ones.
        let local_threads: Vec<(LocalThread, usize)> = scheduler::local::queues_of(shared)
            .iter()
            .map(|queue| (LocalThread::of(queue.owner()), queue.alive()))
            .filter(|(_, alive)| *alive > 0)
            .collect();
        for (thread, alive) in &local_threads {
            if let Some(worker) = thread.worker().and_then(|index| workers.get_mut(index)) {
                worker.local_tasks += alive;
            }
        }
        let (remote_schedules, remote_spawns, injector_depth) = shared.injector_metrics();
        let (blocking_threads, idle_blocking_threads) = shared.blocking.thread_counts();
        let (blocking_jobs_spawned, blocking_jobs_completed) = shared.blocking.job_counts();
        let (io_sources, io_events, timers_pending) = shared.driver_handle().counts();
        RuntimeMetrics {
            num_workers: shared.num_workers(),
            workers,
            spares,
            active_spares: shared.active_spares(),
            tasks_alive: shared.owned.len(),
            remote_spawns,
            remote_schedules,
            injector_depth,
            long_polls: shared.monitor.long_polls(),
            recent_long_polls: shared.monitor.recent_long_polls(),
            blocking_threads,
            idle_blocking_threads,
            blocking_queue_depth: shared.blocking.queue_depth(),
            blocking_jobs_spawned,
            blocking_jobs_completed,
            io_sources,
            io_events,
            timers_pending,
            local_threads,
        }
    }

    /// Every live task of this runtime: id, name, spawn location, state
    /// (idle, scheduled, running on which worker, or finished with its
    /// output not yet taken), polls, age and time since its last poll (see
    /// [`TaskDump`]). Like Go's goroutine dump, and on by default.
    ///
    /// Callable from any thread, inside a task too. It never waits for a
    /// task: one stuck in a poll is listed as running, with how long that
    /// poll has lasted. It takes each shard lock of the task list briefly,
    /// so spawns wait for it about as long as for a spawn on another
    /// thread; call it for diagnosis, not in a loop.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let _idle = bobbin::task::Builder::new()
    ///     .name("forever")
    ///     .spawn_on(std::future::pending::<()>(), &rt.handle());
    /// std::thread::sleep(std::time::Duration::from_millis(20));
    /// let dump = rt.handle().dump();
    /// assert_eq!(dump.tasks().len(), 1);
    /// assert!(dump.to_string().contains("\"forever\" [idle"));
    /// ```
    pub fn dump(&self) -> TaskDump {
        let shared = &self.shared;
        super::report::take_dump(&shared.owned, shared.tasks_in_poll(), shared.num_workers())
    }

    /// Runs `future` to completion on this thread, with this runtime
    /// current (so `bobbin::spawn` inside it spawns here), as
    /// [`Runtime::block_on`](crate::Runtime::block_on) does (local tasks
    /// included).
    ///
    /// # Panics
    /// On a runtime worker thread, and inside another `block_on` on the same
    /// thread: both would stall or deadlock. `.await` the future there.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// assert_eq!(handle.block_on(async { bobbin::spawn(async { 3 }).await.unwrap() }), 3);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on::block_on(self, future)
    }

    /// Makes this runtime current on this thread until the guard drops, so
    /// `bobbin::spawn` and `Handle::current` use it.
    ///
    /// # Panics
    /// Dropping guards out of order (the older before the newer) panics,
    /// since it would leave the wrong runtime current.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let _guard = handle.enter();
    /// let task = bobbin::spawn(async { 5 });
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::enter(self.shared.clone()),
            _handle: PhantomData,
        }
    }
}

/// Spawns on the current runtime (or the global one).
#[track_caller]
pub(crate) fn spawn_current<F>(future: F, name: Option<Box<str>>) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_at(None, future, name, Location::caller())
}

/// Spawns on `handle`'s runtime, or (with `None`) on the current one or
/// the global one.
pub(crate) fn spawn_at<F>(
    handle: Option<&Handle>,
    future: F,
    name: Option<Box<str>>,
    location: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (join, unbound) = match handle {
        Some(handle) => Shared::spawn(&handle.shared, future, name, location),
        None => Handle::with_current(|shared| Shared::spawn(shared, future, name, location)),
    };
    cancel_unbound(unbound);
    join
}

/// A task spawned on a shut-down runtime is cancelled at once (outside any
/// borrow of the context, since this runs its future's `Drop`).
fn cancel_unbound(unbound: Option<Notified>) {
    if let Some(task) = unbound {
        task.cancel();
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.shared.num_workers())
            .finish_non_exhaustive()
    }
}
