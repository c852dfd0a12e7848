//! `Runtime`: owns the worker threads; dropping it shuts everything down.

use super::pool::PoolConfig;
use super::report::{ShutdownReport, Unfinished};
use super::scheduler::{self, Launch, monitor};
use super::wait::ExitLatch;
use super::{Builder, EnterGuard, Handle};
use crate::task::JoinHandle;
use crate::task::TaskInfo;
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A runtime: worker threads that run tasks, and the handle to reach them.
///
/// Dropping it (or [`shutdown_timeout`](Runtime::shutdown_timeout)) shuts
/// it down: every task's future is dropped (its `Drop` runs), every
/// [`JoinHandle`] resolves as cancelled, and the worker threads are joined.
/// Wakers that outlive the runtime are harmless; spawning through a
/// [`Handle`] afterwards gives a task that is cancelled at once.
///
/// Dropping a runtime blocks until its workers exit; do it from plain code,
/// not inside a task of another runtime, whose worker would stall meanwhile.
/// (A runtime dropped inside one of its own tasks does not wait for that
/// task's worker, which exits as soon as the task's poll returns.)
///
/// Most programs need no `Runtime` of their own: [`bobbin::block_on`] and
/// [`bobbin::spawn`] use the global runtime.
///
/// [`bobbin::block_on`]: crate::block_on
/// [`bobbin::spawn`]: crate::spawn
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::new().unwrap();
/// let total = rt.block_on(async {
///     let tasks: Vec<_> = (0..100u64).map(|i| bobbin::spawn(async move { i })).collect();
///     let mut total = 0;
///     for task in tasks {
///         total += task.await.unwrap();
///     }
///     total
/// });
/// assert_eq!(total, 4950);
/// ```
pub struct Runtime {
    handle: Handle,
    /// Set by the first shutdown (`shutdown_timeout`, then drop).
    shut_down: bool,
    workers: Vec<thread::JoinHandle<()>>,
    monitor: Option<thread::JoinHandle<()>>,
    exits: Arc<ExitLatch>,
}

/// Counts its thread's exit when dropped, even by a panic.
struct ExitGuard(Arc<ExitLatch>);

impl Drop for ExitGuard {
    fn drop(&mut self) {
        self.0.exited();
    }
}

impl Runtime {
    /// Starts a runtime with one worker per available CPU.
    ///
    /// # Errors
    /// The operating system's error if a thread cannot be started.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { 7 }), 7);
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn start(builder: &Builder, workers: usize) -> io::Result<Runtime> {
        let pool = PoolConfig {
            max_threads: builder.max_blocking_threads,
            keep_alive: builder.thread_keep_alive,
            thread_name: builder.thread_name.clone(),
            stack_size: builder.thread_stack_size,
            on_thread_start: builder.on_thread_start.clone(),
            on_thread_stop: builder.on_thread_stop.clone(),
        };
        let monitor = monitor::Config {
            threshold: builder.long_poll_threshold,
            on_long_poll: builder.on_long_poll.clone(),
        };
        let determinism = scheduler::Determinism {
            start_paused: builder.start_paused,
            seed: builder.rng_seed,
            current_thread: builder.current_thread,
        };
        let Launch { shared, cores } = scheduler::launch(
            workers,
            pool,
            monitor,
            builder.unhandled_panic.clone(),
            determinism,
        )?;
        let mut runtime = Runtime {
            handle: Handle {
                shared: shared.clone(),
            },
            shut_down: false,
            workers: Vec::with_capacity(workers),
            monitor: None,
            exits: Arc::default(),
        };
        let monitor_shared = shared.clone();
        runtime.monitor = Some(
            thread::Builder::new()
                .name(format!("{}-monitor", builder.thread_name))
                .spawn(move || monitor::run(monitor_shared))?,
        );
        for (index, core) in cores.into_iter().enumerate() {
            let shared = shared.clone();
            let exit = ExitGuard(runtime.exits.clone());
            let on_start = builder.on_thread_start.clone();
            let on_stop = builder.on_thread_stop.clone();
            let thread = builder.worker_thread(index).spawn(move || {
                let _exit = exit;
                // A panicking hook is reported (by the panic hook) and the
                // worker runs anyway: a runtime must not hang for want of a
                // worker.
                if let Some(hook) = on_start {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook()));
                }
                scheduler::run(shared, core);
                if let Some(hook) = on_stop {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook()));
                }
            });
            // On error, dropping `runtime` shuts down the threads started.
            runtime.workers.push(thread?);
        }
        Ok(runtime)
    }

    /// Runs `future` to completion on this thread, with this runtime
    /// current (so `bobbin::spawn` inside it spawns here). The future is not
    /// a task: it runs on the calling thread while the workers run tasks.
    /// [`task::spawn_local`](crate::task::spawn_local) inside it (on a
    /// multi-threaded runtime) runs `!Send` tasks on this thread between
    /// polls of the future; those left when it returns are dropped here.
    /// On a current-thread runtime, this thread runs every task.
    ///
    /// # Panics
    /// On a runtime worker thread, and inside another `block_on` on the same
    /// thread: both would stall or deadlock. `.await` the future there.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { 40 + 2 }), 42);
    /// // A !Send task on this thread, while block_on runs.
    /// let shared = std::rc::Rc::new(40);
    /// let answer = rt.block_on(async move {
    ///     bobbin::task::spawn_local(async move { *shared + 2 }).await.unwrap()
    /// });
    /// assert_eq!(answer, 42);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task onto this runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let task = rt.spawn(async { 9 });
    /// assert_eq!(rt.block_on(task).unwrap(), 9);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs blocking code on this runtime's blocking pool (see
    /// [`bobbin::spawn_blocking`](crate::spawn_blocking)).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let job = rt.spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    /// let name = rt.block_on(job).unwrap().unwrap();
    /// assert!(name.contains("blocking"));
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, func: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.handle.spawn_blocking(func)
    }

    /// A handle to this runtime, to spawn onto it from other threads.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async { 1 })).join().unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 1);
    /// ```
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    pub(crate) fn handle_ref(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard drops.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let task = bobbin::spawn(async { 2 });
    /// assert_eq!(rt.block_on(task).unwrap(), 2);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `timeout` for the workers and the
    /// blocking jobs to finish, and returns what was still running then.
    ///
    /// Every task is cancelled as in `drop`, and blocking jobs not yet
    /// started are dropped unrun. A worker stuck in a task's poll, or a
    /// blocking job still in its closure, past the timeout is left to finish
    /// on its own thread; the [`ShutdownReport`] names them (task id, name,
    /// spawn location), so an application can log what it did not wait for.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// let report = rt.shutdown_timeout(std::time::Duration::from_secs(1));
    /// assert!(task.is_finished());
    /// assert!(report.is_clean());
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> ShutdownReport {
        self.shutdown(Some(timeout))
    }

    /// Shuts down without waiting for the workers to exit.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// rt.shutdown_background();
    /// ```
    pub fn shutdown_background(mut self) {
        self.shutdown(Some(Duration::ZERO));
    }

    fn shutdown(&mut self, timeout: Option<Duration>) -> ShutdownReport {
        let shared = self.handle.shared.clone();
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        shared.begin_shutdown();
        if std::mem::replace(&mut self.shut_down, true) {
            // Shut down already (`shutdown_timeout`, then drop).
            return ShutdownReport::default();
        }
        let mut core_back = true;
        if shared.is_current_thread() {
            // No worker to cancel the tasks: this thread does, once a
            // `block_on` holding the core gives it back (at its next turn).
            core_back = scheduler::Shared::shutdown_current(&shared, deadline);
        }
        shared.monitor.shutdown();
        if let Some(monitor) = self.monitor.take()
            && monitor.thread().id() != thread::current().id()
            && shared.monitor.wait_exit(deadline)
        {
            // It exited (it wakes at once unless inside a slow
            // `on_long_poll` callback, which a deadline does not wait for);
            // a panic in it was reported on its thread already.
            let _ = monitor.join();
        }
        // Dropped inside one of its own tasks: that worker cannot be joined
        // from here; it exits as soon as the current poll returns.
        let me = thread::current().id();
        let own_worker = self.workers.iter().any(|worker| worker.thread().id() == me);
        if let Some(deadline) = deadline {
            let others = self.workers.len() - usize::from(own_worker);
            self.exits.wait(others, Some(deadline));
        }
        let mut all_joined = !own_worker && core_back;
        for worker in self.workers.drain(..) {
            if worker.thread().id() == me || (timeout.is_some() && !worker.is_finished()) {
                all_joined = false;
                continue;
            }
            // A worker catches task and hook panics, so this is Ok; an Err
            // would be a bug in the runtime, already reported on its thread.
            let _ = worker.join();
        }
        // Tasks still in a poll: on a worker not joined, or on a spare.
        let stuck_polls = shared.tasks_in_poll();
        // The jobs still running, described at once (as the pool saw them):
        // a job that finishes and is freed just after leaves its id in its
        // thread's slot for a moment, and must not count as running.
        let running_jobs = |deadline| -> Vec<TaskInfo> {
            (shared.blocking.shutdown(deadline).into_iter())
                .filter_map(|id| shared.owned.describe(id))
                .collect()
        };
        let blocking = match deadline {
            Some(deadline) => running_jobs(Some(deadline)),
            None => {
                // Drop waits for blocking jobs (their work is usually meant
                // to finish), but says what it waits for if that is long.
                let running = running_jobs(Some(Instant::now() + DROP_GRACE));
                if !running.is_empty() {
                    let report = ShutdownReport {
                        unfinished: running.into_iter().map(Unfinished::blocking).collect(),
                    };
                    eprintln!(
                        "bobbin: dropping the runtime waits for its blocking jobs (use \
                         Runtime::shutdown_timeout to bound the wait); {report}"
                    );
                }
                running_jobs(None)
            }
        };
        if all_joined && blocking.is_empty() {
            shared.drain_injector();
            debug_assert!(
                shared.owned.all_complete_or_cancelled(),
                "shutdown left a task running that nobody cancels"
            );
        }
        shared.finish_shutdown();
        let stuck = stuck_polls
            .into_iter()
            .filter_map(|(_, id)| shared.owned.describe(id))
            .map(Unfinished::in_poll);
        ShutdownReport {
            unfinished: blocking
                .into_iter()
                .map(Unfinished::blocking)
                .chain(stuck)
                .collect(),
        }
    }
}

/// How long dropping a runtime waits for blocking jobs before it says so.
const DROP_GRACE: Duration = Duration::from_secs(10);

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}
