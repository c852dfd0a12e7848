//! The multi-threaded work-stealing scheduler.
//!
//! ```text
//!            spawn / wake                     steal (half)
//!   Handle ───────────────► [injector] ◄───────────────┐
//!                                │                      │
//!   worker 0: [LIFO slot][local ring] ── poll task ── worker 1: [LIFO slot][local ring] ...
//!        │ no work: search (steal), then park
//! ```
//!
//! What lives here: `Shared` (what every worker and every task of one
//! runtime can reach: the other workers' stealable ends, the injector, the
//! idle bookkeeping, the owned-task list), and the scheduling decisions that
//! a wake or spawn makes. `worker.rs` is the worker thread's loop, `queue.rs`
//! the local ring, `inject.rs` the injector, `idle.rs` who searches and who
//! sleeps, `park.rs` the sleeping itself.
//!
//! Where a woken task goes:
//! - woken on one of this runtime's workers while it polls: into that
//!   worker's LIFO slot, so a message's receiver runs next, while the
//!   message is hot in cache. Pushing into an empty slot wakes nobody (the
//!   slot's task will run right after the current poll); a task pushed out of
//!   the slot goes to the ring, and that may wake an idle worker to steal.
//!   The slot is bounded: after three LIFO polls in a row the next task from
//!   the slot goes to the back of the ring, so two tasks waking each other
//!   cannot starve the ring.
//! - woken during its own poll (`yield_now`): to the back of the ring.
//! - woken anywhere else: into the injector, and a parked worker is woken if
//!   nobody is searching.
//!
//! The LIFO slot can be stolen, but only as a thief's last resort, and only
//! a task that stayed in the slot for the thief's whole search (Go treats
//! `runnext` the same way; tokio made its slot stealable, paid for it in
//! wake-ups and reverted).

mod idle;
mod inject;
mod lifo;
pub(crate) mod monitor;
mod park;
pub(crate) mod queue;
pub(crate) mod stats;
mod worker;

#[cfg(all(test, loom))]
mod tests;

pub(crate) use worker::{Core, Launch, enter_block_in_place, is_worker_of, launch, run, run_spare};

use crate::driver::DriverHandle;
use crate::loom::{Arc, AtomicBool, AtomicU64, AtomicUsize, Mutex, fence, lock};
use crate::runtime::blocking::{Job, Pool};
use crate::runtime::metrics::WorkerMetrics;
use crate::task::OwnedTasks;
use crate::task::{Header, Meta, Notified, new_task};
use crate::task::{Id, JoinHandle, Schedule};
use crossbeam_utils::CachePadded;
use idle::Idle;
use inject::Injector;
use lifo::LifoSlot;
use park::Unparker;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

/// What all workers and tasks of one runtime share.
pub(crate) struct Shared {
    /// Padded: each worker's LIFO slot is written on every wake, and two on
    /// one cache line made the workers' wakes contend (seen in the
    /// 1000-pair ping-pong profile). The first `num_workers` are the
    /// workers'; the rest are spare cores (see `spare` below).
    remotes: Box<[CachePadded<Remote>]>,
    num_workers: usize,
    /// Spare cores not running: one is handed the queue of a worker that
    /// blocks (`block_in_place`, or a poll the monitor finds stuck) and runs
    /// on a blocking-pool thread until that worker is back. An inactive
    /// spare counts as unparked in `Idle` and is in no sleeper list.
    spares: Mutex<worker::Spares>,
    /// How many remotes a thief looks at: the workers, plus every spare that
    /// has ever run (a high-water mark, so it only grows).
    searchable: AtomicUsize,
    /// The blocking pool (spawn_blocking jobs and running spares).
    pub(crate) blocking: Pool,
    /// The monitor thread's shared half.
    pub(crate) monitor: monitor::Monitor,
    inject: Injector,
    idle: Idle,
    pub(crate) owned: OwnedTasks,
    is_shutdown: AtomicBool,
    /// The I/O driver, held by whichever worker parks on it (a try-lock).
    driver: park::DriverSlot,
    /// The driver's shared half: registration, unparking, timers.
    driver_handle: Arc<DriverHandle>,
    /// The `UnhandledPanic` policy and its state.
    pub(crate) panics: crate::runtime::panic::Panics,
}

/// The parts of a worker that other threads touch.
#[repr(C)]
struct Remote {
    /// The stealing end of the core's ring; set when the core is made (a
    /// spare's on its first use).
    steal: std::sync::OnceLock<queue::Steal>,
    lifo: LifoSlot,
    unparker: Unparker,
    /// Odd while the core's thread polls a task: bumped before and after
    /// every poll, so the monitor sees a poll that lasts (Go's sysmon reads
    /// `schedtick` the same way). Two plain stores per poll.
    seq: AtomicU64,
    /// The id of the task being polled, written before `seq` turns odd.
    task: AtomicU64,
    /// Set while the core's thread runs `block_in_place` (its queue was
    /// handed off; the monitor leaves it alone).
    blocking: AtomicBool,
    /// Spares: running on a pool thread.
    active: AtomicBool,
    /// Spares: asked to stop once the worker they stand in for is back.
    retire: AtomicBool,
    /// The core's counters as last published (`stats.rs`), on a 64-byte
    /// line of their own (`repr(C)` keeps them last, their alignment starts
    /// a line), apart from the LIFO slot and ring that thieves read. Free in
    /// memory: the fields above take 56 bytes, so `Remote` stays within the
    /// 128 its padding takes.
    stats: stats::CoreStats,
}

impl Remote {
    /// True if a task waits in this core's LIFO slot or ring.
    fn has_queued(&self) -> bool {
        !self.lifo.peek().is_null() || !self.ring_is_empty()
    }

    fn ring_is_empty(&self) -> bool {
        self.steal.get().is_none_or(queue::Steal::is_empty)
    }

    /// Steals half of the core's ring into `dst` (see `queue::Steal`).
    fn steal_into(&self, dst: &mut queue::Local) -> Option<Notified> {
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

    fn schedule_task(&self, task: Notified, is_yield: bool) {
        let task = worker::with_current_core(self, task, |core, task| {
            self.schedule_local(core, task, is_yield)
        });
        if let Some(task) = task {
            self.schedule_remote(task, false);
        }
    }

    fn schedule_local(&self, core: &mut worker::Core, task: Notified, is_yield: bool) {
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
    fn schedule_remote(&self, task: Notified, spawn: bool) {
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
    fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].unparker.unpark();
        }
    }

    /// As `notify_parked`, for work pushed by a running worker onto its own
    /// ring. That worker will run the work itself if nobody steals it, so a
    /// stale "somebody is searching" costs parallelism, never progress; that
    /// lets the common case skip the fence with a plain load.
    fn notify_parked_local(&self) {
        if self.idle.may_want_wake() {
            self.notify_parked();
        }
    }

    /// The last searcher parks: wake another worker if work was pushed while
    /// it searched (LIFO slots excepted: their owners are awake).
    fn notify_if_work_pending(&self) {
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
                let task = remote.task.load(Relaxed);
                (seq % 2 == 1 && remote.seq.load(Acquire) == seq)
                    .then(|| Some((index, Id::from_u64(task)?)))
                    .flatten()
            })
            .collect()
    }

    /// How many remotes thieves and the monitor look at.
    fn num_searchable(&self) -> usize {
        // Acquire: pairs with `launch_spare`, which raises it before the
        // spare runs.
        self.searchable.load(Acquire)
    }

    fn searchable_remotes(&self) -> impl Iterator<Item = &Remote> {
        self.remotes[..self.num_searchable()]
            .iter()
            .map(|remote| &**remote)
    }

    /// An inactive spare core, if any is left.
    fn take_spare(&self) -> Option<Box<worker::Core>> {
        lock(&self.spares).take(&self.remotes)
    }

    /// A retired spare goes back to the list.
    fn return_spare(&self, core: Box<worker::Core>) {
        lock(&self.spares).free.push(core);
    }

    /// Runs `core` (a spare, its ring already filled) on a pool thread.
    fn launch_spare(this: &Arc<Shared>, core: Box<worker::Core>) -> usize {
        let index = core.index;
        let remote = &this.remotes[index];
        // Relaxed: the pool's channel hands the core over with the flags.
        remote.retire.store(false, Relaxed);
        remote.active.store(true, Relaxed);
        // AcqRel: thieves that read the new bound see the spare's ring.
        this.searchable.fetch_max(index + 1, AcqRel);
        this.blocking.submit(this, Job::Core(core));
        index
    }

    /// Asks the spare at `index` to stop once it is between tasks.
    fn retire_spare(&self, index: usize) {
        self.remotes[index].retire.store(true, Release);
        self.remotes[index].unparker.unpark();
    }

    /// Moves every task queued on core `index` (LIFO slot first, then the
    /// ring) into `dst`, or into the injector if `dst` is `None`, from any
    /// thread: what a thief does, until the ring is empty. `scratch` is a
    /// ring of the caller's own to steal into. Returns how many moved.
    fn evacuate(
        &self,
        index: usize,
        scratch: &mut queue::Local,
        dst: Option<&mut worker::Core>,
    ) -> usize {
        let remote = &self.remotes[index];
        let mut tasks: Vec<Notified> = remote.lifo.take().into_iter().collect();
        while let Some(task) = remote.steal_into(scratch) {
            tasks.push(task);
            while let Some(task) = scratch.pop() {
                tasks.push(task);
            }
        }
        let moved = tasks.len();
        match dst {
            Some(core) => {
                for task in tasks {
                    core.run_queue
                        .push_back_or_overflow(task, &self.inject, core.index);
                }
            }
            // One lock for the lot.
            None if moved > 0 => self.inject.push_batch(index, tasks.into_iter()),
            None => {}
        }
        moved
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
