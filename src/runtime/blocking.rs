//! The blocking pool: threads that run `spawn_blocking` jobs (and the
//! spare workers that stand in for a blocked one, see `scheduler/spare.rs`).
//!
//! Jobs go through a crossbeam channel, so submitting from many threads
//! takes no common mutex. Threads start on demand, up to
//! `max_blocking_threads`, and exit after `thread_keep_alive` without work.
//!
//! Who starts a thread: one signed counter, `spare`, is the number of idle
//! threads minus the jobs nobody has claimed. A thread going idle adds one;
//! a submitter sends its job, then takes one away. If the counter was
//! positive, an idle thread will receive the job; otherwise the job is
//! unclaimed, and the submitter starts a thread for it (below the limit) or
//! leaves it for the next thread to finish its job. A thread whose wait
//! times out may exit only by taking one away from a positive counter;
//! at zero or below, a job was counted against it and it waits again. So
//! a job never sits in the channel while every thread has exited.
//!
//! A blocking job is a task cell like any other (its future calls the
//! closure once), so its `JoinHandle`, panic capture, cancellation before
//! it starts and the owned-task list (shutdown, reports) come for free.

use super::scheduler::{Core, Shared};
use super::{Handle, context};
use crate::loom::Arc;
use crate::task::list::TaskInfo;
use crate::task::raw::{Header, Meta, Notified, RawTask};
use crate::task::{Id, JoinHandle, Schedule};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

/// What the pool's threads run.
pub(crate) enum Job {
    /// A `spawn_blocking` task.
    Task(Notified),
    /// A spare worker core standing in for a blocked worker.
    Core(Box<Core>),
}

/// How the pool is configured (from the `Builder`).
#[derive(Clone)]
pub(crate) struct PoolConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<super::builder::ThreadHook>,
    pub(crate) on_thread_stop: Option<super::builder::ThreadHook>,
}

/// The pool of one runtime.
pub(crate) struct Pool {
    jobs: Sender<Job>,
    queue: Receiver<Job>,
    /// Idle threads minus unclaimed jobs (module docs).
    spare: AtomicIsize,
    /// Live threads.
    threads: AtomicUsize,
    config: PoolConfig,
    is_shutdown: AtomicBool,
    /// Dropped at shutdown, which wakes every idle thread's `select!`.
    shutdown_signal: Mutex<Option<Sender<()>>>,
    shutdown_wait: Receiver<()>,
    /// One slot per live thread: what it runs now, for reports.
    slots: Mutex<Vec<std::sync::Arc<ThreadSlot>>>,
    /// Counts exits so shutdown can wait with a deadline.
    exited: Mutex<usize>,
    exit_condvar: Condvar,
    started: AtomicUsize,
    /// Thread names: `{thread_name}-blocking-{n}`.
    next_name: AtomicUsize,
}

/// Locks a pool mutex, ignoring poisoning (the guarded lists and counts
/// are consistent between statements).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What one pool thread is running: a task id (0 when idle, `u64::MAX`
/// while it runs a spare worker).
struct ThreadSlot {
    current: AtomicU64,
}

const RUNNING_WORKER: u64 = u64::MAX;

impl Pool {
    pub(crate) fn new(config: PoolConfig) -> Pool {
        let (jobs, queue) = crossbeam_channel::unbounded();
        let (signal, shutdown_wait) = crossbeam_channel::bounded(0);
        Pool {
            jobs,
            queue,
            spare: AtomicIsize::new(0),
            threads: AtomicUsize::new(0),
            config,
            is_shutdown: AtomicBool::new(false),
            shutdown_signal: Mutex::new(Some(signal)),
            shutdown_wait,
            slots: Mutex::new(Vec::new()),
            exited: Mutex::new(0),
            exit_condvar: Condvar::new(),
            started: AtomicUsize::new(0),
            next_name: AtomicUsize::new(0),
        }
    }

    /// Queues `job`, starting a thread for it if no idle one will take it.
    pub(crate) fn submit(&self, shared: &Arc<Shared>, job: Job) {
        if self.is_shutdown.load(Acquire) {
            // Too late: the job is dropped (a task's notification; the
            // owned-task sweep cancels the task itself).
            drop(job);
            return;
        }
        if self.jobs.send(job).is_err() {
            unreachable!("the pool owns its receiver, so the channel cannot disconnect");
        }
        // AcqRel: orders the send before the count an idle thread reads.
        if self.spare.fetch_sub(1, AcqRel) > 0 {
            return;
        }
        self.start_thread(shared);
    }

    fn start_thread(&self, shared: &Arc<Shared>) {
        // Reserve a place below the limit.
        let reserved = self
            .threads
            .fetch_update(AcqRel, Acquire, |threads| {
                (threads < self.config.max_threads).then_some(threads + 1)
            })
            .is_ok();
        if !reserved {
            // At the limit: the job waits for a thread to finish its own.
            return;
        }
        let number = self.next_name.fetch_add(1, Relaxed);
        let mut builder =
            thread::Builder::new().name(format!("{}-blocking-{number}", self.config.thread_name));
        if let Some(bytes) = self.config.stack_size {
            builder = builder.stack_size(bytes);
        }
        let slot = std::sync::Arc::new(ThreadSlot {
            current: AtomicU64::new(0),
        });
        lock(&self.slots).push(slot.clone());
        self.started.fetch_add(1, Relaxed);
        let thread_shared = shared.clone();
        let spawned = builder.spawn(move || thread_main(thread_shared, slot));
        if let Err(err) = spawned {
            self.threads.fetch_sub(1, AcqRel);
            self.started.fetch_sub(1, Relaxed);
            lock(&self.slots).pop();
            if self.threads.load(Acquire) == 0 {
                // The job stays queued for whichever thread starts next,
                // but nothing may start now: say so rather than hang.
                panic!(
                    "bobbin could not start a blocking-pool thread ({err}) and none is running, \
                     so the job would never run; lower the number of threads the process uses \
                     or raise its limits (ulimit -u)"
                );
            }
        }
    }

    /// Live threads, and how many of them wait for a job.
    pub(crate) fn thread_counts(&self) -> (usize, usize) {
        let threads = self.threads.load(Acquire);
        let idle = usize::try_from(self.spare.load(Acquire).max(0)).unwrap_or(0);
        (threads, idle.min(threads))
    }

    /// Jobs queued and not yet taken by a thread.
    pub(crate) fn queue_depth(&self) -> usize {
        self.queue.len()
    }

    /// Stops the pool: idle threads exit, queued jobs are dropped, running
    /// jobs finish on their own. Waits for the threads until `deadline`
    /// (forever with `None`) and returns what was still running.
    pub(crate) fn shutdown(&self, shared: &Shared, deadline: Option<Instant>) -> Vec<TaskInfo> {
        self.is_shutdown.store(true, Release);
        drop(lock(&self.shutdown_signal).take());
        while let Ok(job) = self.queue.try_recv() {
            drop(job);
        }
        let started = self.started.load(Acquire);
        let mut exited = lock(&self.exited);
        while *exited < started {
            match deadline {
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                        break;
                    };
                    exited = match self.exit_condvar.wait_timeout(exited, left) {
                        Ok((guard, _)) => guard,
                        Err(poisoned) => poisoned.into_inner().0,
                    };
                }
                None => {
                    exited = match self.exit_condvar.wait(exited) {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                }
            }
        }
        drop(exited);
        // Jobs sent while we drained (a submit that passed its check just
        // before the flag) are dropped here.
        while let Ok(job) = self.queue.try_recv() {
            drop(job);
        }
        self.running(shared)
    }

    /// The blocking jobs running now.
    pub(crate) fn running(&self, shared: &Shared) -> Vec<TaskInfo> {
        let ids: Vec<u64> = lock(&self.slots)
            .iter()
            .map(|slot| slot.current.load(Acquire))
            .filter(|&id| id != 0 && id != RUNNING_WORKER)
            .collect();
        ids.into_iter()
            .filter_map(|id| shared.owned.describe(Id::from_u64(id)?))
            .collect()
    }

    fn thread_exited(&self) {
        *lock(&self.exited) += 1;
        self.exit_condvar.notify_all();
    }
}

/// The body of a pool thread.
fn thread_main(shared: Arc<Shared>, slot: std::sync::Arc<ThreadSlot>) {
    let pool = &shared.blocking;
    let _enter = context::enter(Handle {
        shared: shared.clone(),
    });
    if let Some(hook) = &pool.config.on_thread_start {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook()));
    }
    loop {
        // Idle: claim one job (the one our starter queued, or a later one).
        pool.spare.fetch_add(1, AcqRel);
        let job = loop {
            let received = crossbeam_channel::select! {
                recv(pool.queue) -> job => job.map_err(|_| RecvTimeoutError::Disconnected),
                recv(pool.shutdown_wait) -> _ => Err(RecvTimeoutError::Disconnected),
                default(pool.config.keep_alive) => Err(RecvTimeoutError::Timeout),
            };
            match received {
                Ok(job) => break Some(job),
                Err(RecvTimeoutError::Disconnected) => break None,
                Err(RecvTimeoutError::Timeout) => {
                    // Leave only if nobody counted a job against us.
                    let left = pool
                        .spare
                        .fetch_update(AcqRel, Acquire, |spare| (spare > 0).then_some(spare - 1))
                        .is_ok();
                    if left {
                        break None;
                    }
                }
            }
        };
        let Some(job) = job else { break };
        if pool.is_shutdown.load(Acquire) {
            drop(job);
            continue;
        }
        match job {
            Job::Task(task) => {
                slot.current.store(task.header().id.as_u64(), Release);
                task.run();
            }
            Job::Core(core) => {
                slot.current.store(RUNNING_WORKER, Release);
                super::scheduler::run_spare(shared.clone(), core);
            }
        }
        slot.current.store(0, Release);
    }
    if let Some(hook) = &pool.config.on_thread_stop {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook()));
    }
    lock(&pool.slots).retain(|other| !std::sync::Arc::ptr_eq(other, &slot));
    pool.threads.fetch_sub(1, AcqRel);
    pool.thread_exited();
}

/// The scheduler of blocking tasks: a wake (the first schedule, or an abort
/// before the job started) queues the task on the pool.
struct BlockingSchedule {
    shared: Arc<Shared>,
}

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified) {
        self.shared.blocking.submit(&self.shared, Job::Task(task));
    }

    fn yield_now(&self, task: Notified) {
        self.schedule(task);
    }

    fn release(&self, task: &Header) {
        self.shared.owned.remove(task);
    }
}

/// The future of a blocking task: calls the closure on its first poll.
struct BlockingTask<F> {
    func: Option<F>,
}

impl<F> Unpin for BlockingTask<F> {}

impl<F, T> Future for BlockingTask<F>
where
    F: FnOnce() -> T,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        let func = self
            .func
            .take()
            .expect("a blocking task is polled once: it completes in that poll");
        // Blocking code is not cooperative: no budget.
        Poll::Ready(crate::task::coop::with_unconstrained(func))
    }
}

/// Runs `func` on `handle`'s blocking pool.
pub(crate) fn spawn_blocking_on<F, T>(
    handle: &Handle,
    func: F,
    name: Option<Box<str>>,
    location: &'static Location<'static>,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let shared = &handle.shared;
    let meta = Meta {
        id: Id::next(),
        location,
        name,
    };
    let scheduler = BlockingSchedule {
        shared: shared.clone(),
    };
    let raw = RawTask::new(BlockingTask { func: Some(func) }, scheduler, meta);
    let join = JoinHandle::new(raw);
    if !shared.owned.bind(raw) || shared.blocking.is_shutdown.load(Acquire) {
        // The runtime is shut down: the job is cancelled, never run. (The
        // first Notified's reference goes to the cancellation.)
        raw.shutdown();
        return join;
    }
    shared
        .blocking
        .submit(shared, Job::Task(Notified::from_raw(raw)));
    join
}
