//! The blocking pool: threads that run `spawn_blocking` jobs (and the
//! spare cores that stand in for a blocked worker, see
//! `scheduler/spare.rs`).
//!
//! What it knows of the runtime is what its [`PoolHost`] tells it (the
//! scheduler's `Shared` is one): how a new thread enters the runtime, and
//! where the pool is. A job is a task's notification (`spawn_blocking`
//! jobs are task cells, `runtime/spawn/blocking.rs`) or a closure (a
//! spare core's run).
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
//! it starts and the owned-task list (shutdown, reports) come for free
//! (`runtime/spawn/blocking.rs` makes them).

use super::wait::{ExitLatch, lock};
use crate::loom::Arc;
use crate::task::{Id, Notified, Ran, clock};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::any::Any;
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::fence;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize};
use std::thread;
use std::time::{Duration, Instant};

/// What the pool's threads run.
pub(crate) enum Job {
    /// A `spawn_blocking` task.
    Task(Notified),
    /// A spare core standing in for a blocked worker: runs until that
    /// worker is back.
    Spare(Box<dyn FnOnce() + Send>),
    /// Shutdown: the idle thread that takes it exits.
    Stop,
}

/// A user's hook around a pool (or worker) thread's life
/// (`Builder::on_thread_start`, `on_thread_stop`).
pub(crate) type ThreadHook = std::sync::Arc<dyn Fn() + Send + Sync + 'static>;

/// What the pool needs from the runtime it serves.
pub(crate) trait PoolHost: Send + Sync + 'static {
    /// The pool (which the host owns).
    fn pool(&self) -> &Pool;

    /// Makes the runtime current on a new pool thread, for the thread's
    /// whole life (the guard drops when it exits): `spawn` and
    /// `Handle::current` in a blocking job reach this runtime.
    fn enter_thread(this: &Arc<Self>) -> Box<dyn Any>;

    /// A `spawn_blocking` job is about to be counted as finished.
    fn job_finishing(&self) {}

    /// A `spawn_blocking` job finished (a watched runtime may be quiet
    /// now).
    fn job_done(&self) {}
}

/// How the pool is configured (from the `Builder`).
#[derive(Clone)]
pub(crate) struct PoolConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<ThreadHook>,
    pub(crate) on_thread_stop: Option<ThreadHook>,
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
    /// One slot per live thread: what it runs now, for reports.
    slots: Mutex<Vec<std::sync::Arc<ThreadSlot>>>,
    /// Counts exits so shutdown can wait with a deadline.
    exits: ExitLatch,
    started: AtomicUsize,
    /// Thread names: `{thread_name}-blocking-{n}`.
    next_name: AtomicUsize,
    /// Jobs spawned, and jobs whose closure returned or panicked (for the
    /// metrics; a job costs a thread hand-off, so a shared counter is
    /// cheap beside it).
    spawned: AtomicU64,
    completed: AtomicU64,
    /// `spawn_blocking` jobs submitted and not yet finished (queued or
    /// running): a runtime with one is not quiet.
    outstanding: AtomicUsize,
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
        Pool {
            jobs,
            queue,
            spare: AtomicIsize::new(0),
            threads: AtomicUsize::new(0),
            config,
            is_shutdown: AtomicBool::new(false),
            slots: Mutex::new(Vec::new()),
            exits: ExitLatch::default(),
            started: AtomicUsize::new(0),
            next_name: AtomicUsize::new(0),
            spawned: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            outstanding: AtomicUsize::new(0),
        }
    }

    /// Jobs spawned and jobs completed so far.
    pub(crate) fn job_counts(&self) -> (u64, u64) {
        (self.spawned.load(Relaxed), self.completed.load(Relaxed))
    }

    /// Queues `job`, starting a thread for it if no idle one will take it.
    /// `host` is the runtime this pool belongs to.
    pub(crate) fn submit<H: PoolHost>(&self, host: &Arc<H>, job: Job) {
        if self.is_shutdown.load(SeqCst) {
            // Too late: the job is dropped (a task's notification; the
            // owned-task sweep cancels the task itself).
            drop(job);
            return;
        }
        if let Job::Spare(_) = job {
            // A spare must run now, whatever the pool is busy with (a
            // spare stuck behind the jobs it should make room for would
            // help nobody): an idle thread if one is free, else a thread
            // of its own, beyond the limit if need be.
            let claimed = self
                .spare
                .fetch_update(AcqRel, Acquire, |spare| (spare > 0).then_some(spare - 1))
                .is_ok();
            if !claimed {
                self.start_thread(host, Some(job), true);
                return;
            }
            self.send(job);
        } else {
            if let Job::Task(_) = job {
                // SeqCst: counted before the job is visible to a thread, so
                // a quiet check never finds it neither queued nor counted.
                self.outstanding.fetch_add(1, SeqCst);
            }
            self.send(job);
            // AcqRel: orders the send before the count an idle thread reads.
            if self.spare.fetch_sub(1, AcqRel) <= 0 {
                self.start_thread(host, None, false);
            }
        }
        // SeqCst fence: pairs with the one in `shutdown`; either its last
        // drain sees our job or we see its flag (and drain).
        fence(SeqCst);
        if self.is_shutdown.load(SeqCst) {
            self.drain();
        }
    }

    fn send(&self, job: Job) {
        if self.jobs.send(job).is_err() {
            unreachable!("the pool owns its receiver, so the channel cannot disconnect");
        }
    }

    /// Drops every queued job.
    fn drain(&self) {
        while let Ok(job) = self.queue.try_recv() {
            if let Job::Task(_) = job {
                self.outstanding.fetch_sub(1, SeqCst);
            }
            drop(job);
        }
    }

    /// `spawn_blocking` jobs queued or running.
    pub(crate) fn outstanding(&self) -> usize {
        self.outstanding.load(SeqCst)
    }

    /// Starts a thread that runs `first` (if any), then takes jobs from the
    /// channel. Below the limit only, unless `force` (for a spare, which is
    /// not counted while it runs).
    fn start_thread<H: PoolHost>(&self, host: &Arc<H>, first: Option<Job>, force: bool) {
        let reserved = force
            || self
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
        let thread_host = host.clone();
        let thread_slot = slot.clone();
        let spawned = builder.spawn(move || thread_main(thread_host, thread_slot, first));
        if let Err(err) = spawned {
            if !force {
                self.threads.fetch_sub(1, AcqRel);
            }
            self.started.fetch_sub(1, Relaxed);
            lock(&self.slots).retain(|other| !std::sync::Arc::ptr_eq(other, &slot));
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
    /// (forever with `None`) and returns the ids of the jobs still running.
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) -> Vec<Id> {
        self.is_shutdown.store(true, SeqCst);
        // SeqCst fence: see `submit`.
        fence(SeqCst);
        self.drain();
        // One stop per live thread wakes the idle ones (a busy one sees the
        // flag after its job; the stops left over are drained below). Not
        // a second channel to select on: 500 idle threads registering with
        // one more channel's waker list showed up as lock contention.
        let live = self
            .started
            .load(Acquire)
            .saturating_sub(self.exits.count());
        for _ in 0..live {
            self.send(Job::Stop);
        }
        // Shut down from one of our own threads (a runtime dropped in a
        // blocking job, or in a task polled by a spare): that thread
        // cannot be waited for here; it exits when its job returns.
        let own = POOL_THREAD.with(Cell::get) == self.id();
        let started = self.started.load(Acquire) - usize::from(own);
        self.exits.wait(started, deadline);
        self.drain();
        self.running()
    }

    /// Tells this pool apart from others (an address, never followed).
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// The ids of the blocking jobs running now.
    pub(crate) fn running(&self) -> Vec<Id> {
        lock(&self.slots)
            .iter()
            .map(|slot| slot.current.load(Acquire))
            .filter(|&id| id != RUNNING_WORKER)
            .filter_map(Id::from_u64)
            .collect()
    }

    /// Counts a job that is about to start (for the metrics).
    pub(crate) fn count_spawned(&self) {
        self.spawned.fetch_add(1, Relaxed);
    }

    /// True once the pool is shut down: a job submitted now is dropped.
    pub(crate) fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(Acquire)
    }
}

thread_local! {
    /// The pool this thread belongs to (its `Pool::id`), 0 on other threads.
    static POOL_THREAD: Cell<usize> = const { Cell::new(0) };
}

/// Accounts for a pool thread's exit, even by a panic.
struct ThreadExit<'a> {
    pool: &'a Pool,
    slot: std::sync::Arc<ThreadSlot>,
    /// Already taken off `threads` (when it decided to leave).
    counted_out: bool,
}

impl Drop for ThreadExit<'_> {
    fn drop(&mut self) {
        let pool = self.pool;
        lock(&pool.slots).retain(|other| !std::sync::Arc::ptr_eq(other, &self.slot));
        if !self.counted_out {
            pool.threads.fetch_sub(1, AcqRel);
        }
        pool.exits.exited();
    }
}

/// Runs one job on a pool thread; `counted`: the thread counts against the
/// limit (it is not counted while it runs a spare).
fn run_job<H: PoolHost>(host: &Arc<H>, slot: &ThreadSlot, job: Job, counted: bool) {
    let pool = host.pool();
    match job {
        Job::Task(task) => {
            slot.current.store(task.header().id.as_u64(), Release);
            // The poll's stamp reads the coarse clock, which may be stale
            // while every worker sleeps.
            clock::refresh();
            if task.run() == Ran::Completed {
                pool.completed.fetch_add(1, Relaxed);
            }
            host.job_finishing();
            pool.outstanding.fetch_sub(1, SeqCst);
            host.job_done();
        }
        Job::Stop => {}
        Job::Spare(run) => {
            slot.current.store(RUNNING_WORKER, Release);
            // A running spare does not count against the limit: it stands
            // in for a worker, and a job it waits for must still get a
            // thread (`max_blocking_threads(1)` and `block_in_place` around
            // a `spawn_blocking` would deadlock otherwise).
            if counted {
                pool.threads.fetch_sub(1, AcqRel);
                // A job may have found the pool full just before: it gets
                // the place this thread leaves.
                if pool.spare.load(Acquire) < 0 {
                    pool.start_thread(host, None, false);
                }
            }
            run();
            pool.threads.fetch_add(1, AcqRel);
        }
    }
    slot.current.store(0, Release);
}

/// The body of a pool thread: `first`, then jobs from the channel.
fn thread_main<H: PoolHost>(host: Arc<H>, slot: std::sync::Arc<ThreadSlot>, first: Option<Job>) {
    let pool = host.pool();
    POOL_THREAD.with(|id| id.set(pool.id()));
    let mut exit = ThreadExit {
        pool,
        slot: slot.clone(),
        counted_out: false,
    };
    let _enter = H::enter_thread(&host);
    if let Some(hook) = &pool.config.on_thread_start {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook()));
    }
    match first {
        // Started for a spare, uncounted; counted from now on.
        Some(job @ Job::Spare(_)) => run_job(&host, &slot, job, false),
        Some(job) => run_job(&host, &slot, job, true),
        None => {}
    }
    loop {
        // A thread that starts or finishes a job after shutdown began may
        // have no stop job meant for it.
        if pool.is_shutdown.load(Acquire) {
            break;
        }
        // Idle: claim one job (the one our starter queued, or a later one).
        pool.spare.fetch_add(1, AcqRel);
        let job = loop {
            match pool.queue.recv_timeout(pool.config.keep_alive) {
                Ok(Job::Stop) => break None,
                Ok(job) => break Some(job),
                Err(RecvTimeoutError::Disconnected) => {
                    unreachable!("the pool owns its sender, so the channel cannot disconnect")
                }
                Err(RecvTimeoutError::Timeout) => {
                    // Leave only if nobody counted a job against us.
                    let left = pool
                        .spare
                        .fetch_update(AcqRel, Acquire, |spare| (spare > 0).then_some(spare - 1))
                        .is_ok();
                    if left {
                        // Off the count at once, so a submit meanwhile
                        // starts a thread rather than wait for us.
                        pool.threads.fetch_sub(1, AcqRel);
                        exit.counted_out = true;
                        break None;
                    }
                }
            }
        };
        let Some(job) = job else { break };
        if pool.is_shutdown.load(Acquire) {
            if let Job::Task(_) = job {
                pool.outstanding.fetch_sub(1, SeqCst);
            }
            drop(job);
            continue;
        }
        run_job(&host, &slot, job, true);
    }
    if let Some(hook) = &pool.config.on_thread_stop {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook()));
    }
    drop(exit);
}
