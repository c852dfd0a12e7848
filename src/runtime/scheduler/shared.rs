//! `Shared`: what every worker and every task of one runtime reach (the
//! cores' stealable ends, the injector, the idle bookkeeping, the owned
//! tasks, the blocking pool, the driver, the panic policy), where a woken
//! or spawned task goes (see the module docs of `scheduler`), and
//! `launch`, which builds it with one core per worker.

use super::spare::Spares;
use super::worker::{self, Core};
use super::{Idle, Injector, LifoSlot, context, inject, monitor, park, queue, stats};
use crate::driver::{Driver, DriverHandle};
use crate::loom::{Arc, AtomicBool, AtomicU64, AtomicUsize, Mutex, fence};
use crate::runtime::metrics::WorkerMetrics;
use crate::runtime::panic::{Panics, UnhandledPanic};
use crate::runtime::pool::{Pool, PoolConfig, PoolHost};
use crate::task::{Header, Id, JoinHandle, Meta, Notified, OwnedTasks, Schedule, new_task};
use crossbeam_utils::CachePadded;
use park::Unparker;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::sync::atomic::Ordering::{Acquire, Relaxed, SeqCst};

/// What all workers and tasks of one runtime share.
pub(crate) struct Shared {
    /// Padded: each worker's LIFO slot is written on every wake, and two on
    /// one cache line made the workers' wakes contend (seen in the
    /// 1000-pair ping-pong profile). The first `num_workers` are the
    /// workers'; the rest are spare cores (see `spare.rs`).
    pub(super) remotes: Box<[CachePadded<Remote>]>,
    pub(super) num_workers: usize,
    /// Spare cores not running: one is handed the queue of a worker that
    /// blocks (`block_in_place`, or a poll the monitor finds stuck) and runs
    /// on a blocking-pool thread until that worker is back. An inactive
    /// spare counts as unparked in `Idle` and is in no sleeper list.
    pub(super) spares: Mutex<Spares>,
    /// How many remotes a thief looks at: the workers, plus every spare that
    /// has ever run (a high-water mark, so it only grows).
    pub(super) searchable: AtomicUsize,
    /// The blocking pool (spawn_blocking jobs and running spares).
    pub(crate) blocking: Pool,
    /// The monitor thread's shared half.
    pub(crate) monitor: monitor::Monitor,
    pub(super) inject: Injector,
    pub(super) idle: Idle,
    pub(crate) owned: OwnedTasks,
    pub(super) is_shutdown: AtomicBool,
    /// The I/O driver, held by whichever worker parks on it (a try-lock).
    pub(super) driver: park::DriverSlot,
    /// The driver's shared half: registration, unparking, timers.
    pub(super) driver_handle: Arc<DriverHandle>,
    /// The `UnhandledPanic` policy and its state.
    pub(crate) panics: Panics,
    /// Auto-advance and `settle` (`quiet.rs`).
    pub(super) quiet: super::quiet::Quiet,
    /// `Builder::rng_seed`: where every random choice starts.
    pub(crate) seed: Option<u64>,
    /// A current-thread runtime: no worker thread; `block_on` runs the
    /// one core (`current.rs`), which waits here between calls.
    pub(super) current_thread: bool,
    pub(super) current_core: super::current::CoreSlot,
    /// Local tasks queued on any thread (`local.rs`), for the quiet check.
    pub(super) local_ready: AtomicUsize,
    /// Every thread's local queue (weak), for the metrics and reports.
    pub(super) local_queues: std::sync::Mutex<Vec<std::sync::Weak<super::local::LocalQueue>>>,
}

/// The parts of a worker that other threads touch.
#[repr(C)]
pub(super) struct Remote {
    /// The stealing end of the core's ring; set when the core is made (a
    /// spare's on its first use).
    pub(super) steal: std::sync::OnceLock<queue::Steal>,
    pub(super) lifo: LifoSlot,
    pub(super) unparker: Unparker,
    /// Odd while the core's thread polls a task: bumped before and after
    /// every poll, so the monitor sees a poll that lasts (Go's sysmon reads
    /// `schedtick` the same way). Two plain stores per poll.
    pub(super) seq: AtomicU64,
    /// The id of the task being polled, written before `seq` turns odd.
    pub(super) polling_task_id: AtomicU64,
    /// Set while the core's thread runs `block_in_place` (its queue was
    /// handed off; the monitor leaves it alone).
    pub(super) blocking: AtomicBool,
    /// Spares: running on a pool thread.
    pub(super) active: AtomicBool,
    /// Spares: asked to stop once the worker they stand in for is back.
    pub(super) retire: AtomicBool,
    /// The core's counters as last published (`stats.rs`), on a 64-byte
    /// line of their own (`repr(C)` keeps them last, their alignment starts
    /// a line), apart from the LIFO slot and ring that thieves read. Free in
    /// memory: the fields above take 56 bytes, so `Remote` stays within the
    /// 128 its padding takes.
    pub(super) stats: stats::CoreStats,
}

/// A new runtime's shared state and the cores to start workers with.
pub(crate) struct Launch {
    pub(crate) shared: Arc<Shared>,
    pub(crate) cores: Vec<Core>,
}

/// What makes a runtime's runs repeatable (`Builder::start_paused`,
/// `Builder::rng_seed`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Determinism {
    pub(crate) start_paused: bool,
    pub(crate) seed: Option<u64>,
    /// The current-thread flavour (one core, run by `block_on`).
    pub(crate) current_thread: bool,
}

/// Builds the shared state and one core per worker. Spare cores, as many
/// as the blocking pool may have threads (at most `MAX_SPARES`), get their
/// place in `Shared::remotes` now and their ring when first used.
pub(crate) fn launch(
    num_workers: usize,
    pool: PoolConfig,
    monitor: monitor::Config,
    unhandled_panic: UnhandledPanic,
    determinism: Determinism,
) -> io::Result<Launch> {
    let driver = Driver::new(determinism.start_paused)?;
    let driver_handle = driver.handle().clone();
    // A current-thread runtime has no spares: its tasks run on the
    // `block_on` thread only.
    let num_spares = if determinism.current_thread {
        0
    } else {
        pool.max_threads.min(MAX_SPARES)
    };
    let num_cores = num_workers + num_spares;
    let mut remotes = Vec::with_capacity(num_cores);
    let mut cores = Vec::with_capacity(num_workers);
    let mut parkers = Vec::with_capacity(num_spares);
    for index in 0..num_cores {
        let (parker, unparker) = park::pair(driver_handle.clone());
        let steal = std::sync::OnceLock::new();
        if index < num_workers {
            let (ring, run_queue) = queue::local();
            let _ = steal.set(ring);
            cores.push(Core::new(
                index,
                run_queue,
                parker,
                num_cores,
                false,
                determinism.seed,
            ));
        } else {
            parkers.push(Some(parker));
        }
        remotes.push(CachePadded::new(Remote {
            steal,
            lifo: LifoSlot::new(),
            unparker,
            seq: AtomicU64::new(0),
            polling_task_id: AtomicU64::new(0),
            blocking: AtomicBool::new(false),
            active: AtomicBool::new(index < num_workers),
            retire: AtomicBool::new(false),
            stats: Default::default(),
        }));
    }
    let shared = Arc::new(Shared {
        remotes: remotes.into_boxed_slice(),
        num_workers,
        spares: Mutex::new(Spares {
            free: Vec::new(),
            parkers,
            num_workers,
            num_cores,
            seed: determinism.seed,
        }),
        searchable: AtomicUsize::new(num_workers),
        blocking: Pool::new(pool),
        monitor: monitor::Monitor::new(monitor, num_cores),
        inject: Injector::new(num_workers),
        idle: Idle::new(num_cores, num_workers),
        owned: OwnedTasks::new(num_workers),
        is_shutdown: AtomicBool::new(false),
        driver: park::DriverSlot::new(driver),
        driver_handle,
        panics: Panics::new(unhandled_panic),
        quiet: Default::default(),
        seed: determinism.seed,
        current_thread: determinism.current_thread,
        current_core: Default::default(),
        local_ready: AtomicUsize::new(0),
        local_queues: Default::default(),
    });
    if determinism.current_thread {
        for core in cores.drain(..) {
            shared.current_core.put(Box::new(core));
        }
    }
    Ok(Launch { shared, cores })
}

/// The most spare cores a runtime keeps places for (128 bytes each, plus
/// a ring of 2 KiB once used): more concurrent `block_in_place` sections
/// than this run without a stand-in.
const MAX_SPARES: usize = 1024;

/// `launch` with the default pool and monitor settings (for the models).
#[cfg(all(test, loom))]
pub(crate) fn launch_default(num_workers: usize) -> io::Result<Launch> {
    // Two spares: enough for the models, and few loom objects.
    let pool = PoolConfig {
        max_threads: 2,
        keep_alive: std::time::Duration::from_secs(10),
        thread_name: "bobbin-test".to_owned(),
        stack_size: None,
        on_thread_start: None,
        on_thread_stop: None,
    };
    let monitor = monitor::Config {
        threshold: std::time::Duration::from_millis(10),
        on_long_poll: None,
    };
    launch(
        num_workers,
        pool,
        monitor,
        Default::default(),
        Default::default(),
    )
}

impl Remote {
    /// True if a task waits in this core's LIFO slot or ring.
    pub(super) fn has_queued(&self) -> bool {
        !self.lifo.peek().is_null() || !self.ring_is_empty()
    }

    pub(super) fn ring_is_empty(&self) -> bool {
        self.steal.get().is_none_or(queue::Steal::is_empty)
    }

    /// Steals half of the core's ring into `dst` (see `queue::Steal`).
    pub(super) fn steal_into(&self, dst: &mut queue::Local) -> Option<Notified> {
        self.steal.get()?.steal_into(dst)
    }
}

impl Shared {
    /// Spawns a task. Returns its JoinHandle, and the task's first
    /// notification if the runtime is shut down: the caller must then
    /// cancel it (`Notified::cancel`) outside any borrow, since that runs
    /// the future's `Drop`.
    pub(crate) fn spawn<F>(
        this: &Arc<Shared>,
        future: F,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
    ) -> (JoinHandle<F::Output>, Option<Notified>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = Meta {
            id: Id::next(),
            location,
            name,
            blocking: false,
        };
        let (task, join) = new_task(future, this.clone(), meta);
        if !this.owned.bind(&task) {
            return (join, Some(task));
        }
        let task = worker::with_current_core(this, task, |core, task| {
            core.stats.spawned += 1;
            this.schedule_local(core, task, false);
        });
        if let Some(task) = task {
            // From outside a worker, the coarse clock may be stale.
            task.header().stats.stamp_spawn_precisely();
            this.schedule_remote(task, true);
        }
        (join, None)
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        // Acquire: pairs with `begin_shutdown`'s store, so what was done
        // before the shutdown began (an unhandled panic recorded by
        // `UnhandledPanic::ShutdownRuntime`) is seen by the worker that
        // cancels the tasks, and through their wakes by whoever awaits them.
        // A plain load on x86; checked once per loop turn.
        self.is_shutdown.load(Acquire)
    }

    pub(super) fn schedule_task(&self, task: Notified, is_yield: bool) {
        let task = worker::with_current_core(self, task, |core, task| {
            self.schedule_local(core, task, is_yield)
        });
        if let Some(task) = task {
            self.schedule_remote(task, false);
        }
    }

    pub(super) fn schedule_local(&self, core: &mut worker::Core, task: Notified, is_yield: bool) {
        if core.parker.is_none() {
            // The worker is parked in, or polling, the driver. Idle, it woke
            // from a blocking park with an empty ring: the tasks go there,
            // and it shares them when it returns. Busy (a poll between
            // tasks): they are collected for the injector (`poll_driver`).
            if core.polling_busy {
                core.deferred.push(task);
            } else {
                core.run_queue
                    .push_back_or_overflow(task, &self.inject, core.index);
            }
            return;
        }
        let displaced = if is_yield {
            Some(task)
        } else {
            self.remotes[core.index].lifo.push(task)
        };
        // An empty LIFO slot took the task: it runs after this poll, so
        // nobody needs waking.
        if let Some(task) = displaced {
            core.run_queue
                .push_back_or_overflow(task, &self.inject, core.index);
            self.notify_parked_local();
        }
    }

    /// Queues a task woken (or, if `spawn`, spawned) away from this
    /// runtime's workers.
    pub(super) fn schedule_remote(&self, task: Notified, spawn: bool) {
        self.inject.push_remote(inject::thread_home(), task, spawn);
        // SeqCst fence: pairs with the one in `begin_shutdown`; either the
        // shutdown's drain sees our push or we see its flag (and drain).
        fence(SeqCst);
        if self.is_shutdown.load(SeqCst) {
            self.drain_injector();
            return;
        }
        self.notify_parked();
    }

    /// Wakes a parked worker if nobody is searching (the full protocol of
    /// `idle.rs`; needed when no worker may be awake to see the work).
    pub(super) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].unparker.unpark();
        }
    }

    /// As `notify_parked`, for work pushed by a running worker onto its own
    /// ring. That worker will run the work itself if nobody steals it, so a
    /// stale "somebody is searching" costs parallelism, never progress; that
    /// lets the common case skip the fence with a plain load.
    pub(super) fn notify_parked_local(&self) {
        if self.idle.may_want_wake() {
            self.notify_parked();
        }
    }

    /// The last searcher parks: wake another worker if work was pushed while
    /// it searched (LIFO slots excepted: their owners are awake).
    pub(super) fn notify_if_work_pending(&self) {
        let pending = self
            .searchable_remotes()
            .any(|remote| !remote.ring_is_empty())
            || !self.inject.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    /// Marks the runtime shut down and wakes every worker so it exits.
    pub(crate) fn begin_shutdown(&self) {
        self.is_shutdown.store(true, SeqCst);
        // Nothing will run again: every `settle` is done.
        self.wake_settlers();
        // SeqCst fence: see `schedule_remote`.
        fence(SeqCst);
        for remote in self.remotes.iter() {
            remote.unparker.unpark();
        }
    }

    /// Sockets and timers of this runtime fail from now on, and whoever
    /// still waits on one is woken to see it. `drop` calls this after the
    /// workers cancelled every task and exited; `shutdown_timeout` and
    /// `shutdown_background` at their end, when a worker may still be in a
    /// long poll: a `Sleep` polled on a worker of this runtime then stays
    /// pending (its task is cancelled after that poll), so a loop of sleeps
    /// cannot spin inside it.
    pub(crate) fn finish_shutdown(&self) {
        self.driver_handle.shutdown();
    }

    /// Drops every notification left in the injector (after the workers
    /// exited).
    pub(crate) fn drain_injector(&self) {
        drop(self.inject.take_all());
    }

    /// The driver's shared half (I/O resources and timers).
    pub(crate) fn driver_handle(&self) -> &Arc<DriverHandle> {
        &self.driver_handle
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.num_workers
    }

    /// Each worker's counters, and the spare cores' summed.
    pub(crate) fn core_metrics(&self) -> (Vec<WorkerMetrics>, WorkerMetrics) {
        let read = |remote: &Remote| {
            let ring = remote.steal.get();
            WorkerMetrics {
                counts: remote.stats.read(),
                overflows: ring.map_or(0, queue::Steal::overflows),
                queue_depth: ring.map_or(0, queue::Steal::len)
                    + usize::from(!remote.lifo.peek().is_null()),
                local_tasks: 0,
            }
        };
        let workers = self.remotes[..self.num_workers]
            .iter()
            .map(|remote| read(remote))
            .collect();
        let mut spares = WorkerMetrics::default();
        for remote in &self.remotes[self.num_workers..self.num_searchable()] {
            spares.add(&read(remote));
        }
        (workers, spares)
    }

    /// Tasks pushed from outside the workers, and how many were spawns;
    /// tasks in the injector now.
    pub(crate) fn injector_metrics(&self) -> (u64, u64, usize) {
        let (schedules, spawns) = self.inject.remote_counts();
        (schedules, spawns, self.inject.len())
    }

    /// Spare cores running now.
    pub(crate) fn active_spares(&self) -> usize {
        self.remotes[self.num_workers..]
            .iter()
            .filter(|remote| remote.active.load(Relaxed))
            .count()
    }

    /// The tasks in a poll on a core now, with the core's index (for the
    /// shutdown report and the dump).
    pub(crate) fn tasks_in_poll(&self) -> Vec<(usize, Id)> {
        self.remotes
            .iter()
            .enumerate()
            .filter_map(|(index, remote)| {
                // Acquire: pairs with the core's Release of `seq`.
                let seq = remote.seq.load(Acquire);
                let task = remote.polling_task_id.load(Relaxed);
                (seq % 2 == 1 && remote.seq.load(Acquire) == seq)
                    .then(|| Some((index, Id::from_u64(task)?)))
                    .flatten()
            })
            .collect()
    }

    /// How many remotes thieves and the monitor look at.
    pub(super) fn num_searchable(&self) -> usize {
        // Acquire: pairs with `launch_spare`, which raises it before the
        // spare runs.
        self.searchable.load(Acquire)
    }

    pub(super) fn searchable_remotes(&self) -> impl Iterator<Item = &Remote> {
        self.remotes[..self.num_searchable()]
            .iter()
            .map(|remote| &**remote)
    }
}

impl PoolHost for Shared {
    fn pool(&self) -> &Pool {
        &self.blocking
    }

    fn job_finishing(&self) {
        self.going_idle();
    }

    fn job_done(&self) {
        self.quiet_changed();
    }

    fn enter_thread(this: &Arc<Self>) -> Box<dyn std::any::Any> {
        Box::new(context::enter(this.clone()))
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        self.schedule_task(task, false);
    }

    fn yield_now(&self, task: Notified) {
        self.schedule_task(task, true);
    }

    fn release(&self, task: &Header) {
        self.owned.remove(task);
    }

    fn unhandled_panic(&self, task: &Header, payload: Box<dyn std::any::Any + Send + 'static>) {
        if self.panics.unhandled(task, payload) {
            self.begin_shutdown();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod layout_tests {
    use super::*;

    #[test]
    fn the_counters_sit_on_their_own_line_of_a_core_s_shared_part() {
        // The hot fields on the first 64-byte line, the counters on the
        // second, and nothing more than the padding already took.
        assert_eq!(std::mem::offset_of!(Remote, stats), 64);
        assert_eq!(std::mem::size_of::<CachePadded<Remote>>(), 128);
    }
}
