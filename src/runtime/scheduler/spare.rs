//! Spare cores: stand-ins for a worker that blocks. A worker's thread can
//! be stuck in one poll (the monitor notices) or inside
//! `block_in_place`; its queued tasks must not wait for it. A spare core
//! takes them and runs as a full worker (stealing, parking on the driver)
//! on a blocking-pool thread until that worker is back; then it moves what
//! it holds to the injector and returns to the free list.
//!
//! Why spares and not moving the worker's own core (tokio's
//! `block_in_place`): the monitor cannot take a core away from a thread
//! that is inside a poll (its wakes use the core with no lock, which is
//! what keeps them cheap), so the tasks move instead. A runtime keeps a
//! place (a `Remote`) for as many spares as its pool may have threads, up
//! to `MAX_SPARES`; a spare gets its ring and parker on first use. An
//! inactive spare counts as unparked in `Idle` and is in no sleeper list,
//! so the idle protocol needs no state of its own for them.

use super::shared::{Remote, Shared};
use super::worker::{Core, WORKER, WorkerContext, WorkerGuard, set_worker};
use super::{park::Parker, queue};
use crate::loom::{Arc, lock};
use crate::runtime::pool::Job;
use crate::task::Notified;
use crate::task::park::set_runs_tasks;
use crossbeam_utils::CachePadded;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering::{AcqRel, Relaxed, Release};

/// The spare cores not running, and the means to make more.
pub(crate) struct Spares {
    /// Made, not running. Boxed: a core moves to a pool thread and back
    /// without copying.
    #[allow(clippy::vec_box)]
    pub(super) free: Vec<Box<Core>>,
    /// The parker of each spare not made yet (index - num_workers).
    pub(super) parkers: Vec<Option<Parker>>,
    pub(super) num_workers: usize,
    pub(super) num_cores: usize,
    /// The runtime's seed, for the spares' search order.
    pub(super) seed: Option<u64>,
}

impl Spares {
    /// A spare core: a free one, or a new one in the lowest unused place.
    pub(super) fn take(&mut self, remotes: &[CachePadded<Remote>]) -> Option<Box<Core>> {
        if let Some(core) = self.free.pop() {
            return Some(core);
        }
        let slot = self.parkers.iter().position(Option::is_some)?;
        let parker = self.parkers[slot].take()?;
        let index = self.num_workers + slot;
        let (ring, run_queue) = queue::local();
        if remotes[index].steal.set(ring).is_err() {
            unreachable!("a spare's ring is set once, when the spare is made");
        }
        Some(Box::new(Core::new(
            index,
            run_queue,
            parker,
            self.num_cores,
            true,
            self.seed,
        )))
    }
}

impl Shared {
    /// An inactive spare core, if any is left.
    pub(super) fn take_spare(&self) -> Option<Box<Core>> {
        lock(&self.spares).take(&self.remotes)
    }

    /// A retired spare goes back to the list.
    pub(super) fn return_spare(&self, core: Box<Core>) {
        lock(&self.spares).free.push(core);
    }

    /// Runs `core` (a spare, its ring already filled) on a pool thread.
    pub(super) fn launch_spare(this: &Arc<Shared>, core: Box<Core>) -> usize {
        let index = core.index;
        let remote = &this.remotes[index];
        // Relaxed: the pool's channel hands the core over with the flags.
        remote.retire.store(false, Relaxed);
        remote.active.store(true, Relaxed);
        // AcqRel: thieves that read the new bound see the spare's ring.
        this.searchable.fetch_max(index + 1, AcqRel);
        let shared = this.clone();
        this.blocking
            .submit(this, Job::Spare(Box::new(move || run_spare(shared, core))));
        index
    }

    /// Asks the spare at `index` to stop once it is between tasks.
    pub(super) fn retire_spare(&self, index: usize) {
        self.remotes[index].retire.store(true, Release);
        self.remotes[index].unparker.unpark();
    }

    /// Moves every task queued on core `index` (LIFO slot first, then the
    /// ring) into `dst`, or into the injector if `dst` is `None`, from any
    /// thread: what a thief does, until the ring is empty. `scratch` is a
    /// ring of the caller's own to steal into. Returns how many moved.
    pub(super) fn evacuate(
        &self,
        index: usize,
        scratch: &mut queue::Local,
        dst: Option<&mut Core>,
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

/// What `block_in_place` keeps while its thread is not a worker: the
/// context to restore, and the spare that took the queue.
pub(crate) struct BlockInPlace {
    cx: Rc<WorkerContext>,
    index: usize,
    spare: Option<usize>,
    _worker: WorkerGuard,
}

/// Starts a `block_in_place` on this thread: if it runs a core and is inside
/// a task's poll, the core's queued tasks (LIFO slot first) go to a spare
/// core that starts on a pool thread (or to the injector if no spare is
/// left), and the thread stops being a worker until the guard drops. `None`
/// elsewhere: the caller just runs its closure.
pub(crate) fn enter_block_in_place() -> Option<BlockInPlace> {
    let cx = WORKER.try_with(|worker| worker.borrow().clone()).ok()??;
    if cx.shared.is_current_thread() {
        panic!(
            "bobbin::task::block_in_place was called on a current-thread runtime, whose one \
             thread runs every task: there is no other thread to hand them to while this one \
             blocks; move the blocking work to bobbin::spawn_blocking and await its JoinHandle"
        );
    }
    let (index, spare) = {
        let mut slot = cx.core.try_borrow_mut().ok()?;
        let core = slot.as_mut()?;
        let shared = &cx.shared;
        let remote = &shared.remotes[core.index];
        let mut tasks: Vec<Notified> = remote.lifo.take().into_iter().collect();
        while let Some(task) = core.run_queue.pop() {
            tasks.push(task);
        }
        let spare = match shared.take_spare() {
            Some(mut spare) => {
                for task in tasks {
                    spare
                        .run_queue
                        .push_back_or_overflow(task, &shared.inject, spare.index);
                }
                let many = spare.run_queue.len() > 1;
                let index = Shared::launch_spare(shared, spare);
                if many {
                    shared.notify_parked();
                }
                Some(index)
            }
            None => {
                if !tasks.is_empty() {
                    shared.inject.push_batch(core.index, tasks.into_iter());
                    shared.notify_parked();
                }
                None
            }
        };
        // Marked only once the hand-off is done (it may panic if no
        // thread can be started), so a panic leaves no stale mark.
        remote.blocking.store(true, Release);
        (core.index, spare)
    };
    // Wakes on this thread go the remote way from now on, and `block_on`
    // is allowed here (the thread blocks no queue).
    let worker = set_worker_none();
    Some(BlockInPlace {
        cx,
        index,
        spare,
        _worker: worker,
    })
}

fn set_worker_none() -> WorkerGuard {
    let previous = WORKER.with(|worker| worker.replace(None));
    let runs_tasks = set_runs_tasks(false);
    let renewal = crate::task::coop::set_renewal(None);
    WorkerGuard {
        previous,
        runs_tasks,
        renewal,
    }
}

impl Drop for BlockInPlace {
    fn drop(&mut self) {
        // `_worker` restores the context after this body runs.
        let shared = &self.cx.shared;
        shared.remotes[self.index].blocking.store(false, Release);
        if let Some(spare) = self.spare {
            shared.retire_spare(spare);
        }
    }
}

/// The body of a spare core's pool job: runs it as a worker until it is
/// asked to retire (its worker is back) or the runtime shuts down.
fn run_spare(shared: Arc<Shared>, core: Box<Core>) {
    let cx = Rc::new(WorkerContext {
        shared,
        core: RefCell::new(None),
        stop: None,
        local: RefCell::new(None),
    });
    let _worker = set_worker(cx.clone());
    let mut core = cx.run(core);
    if cx.shared.is_shutdown() {
        cx.shutdown(&mut core);
    }
    cx.retire(core);
}

impl WorkerContext {
    /// A spare stops: it gives back its searcher count and its queued tasks
    /// (to the injector, for the workers), and returns to the spare list.
    fn retire(&self, mut core: Box<Core>) {
        self.transition_from_searching(&mut core);
        self.publish_stats(&core);
        let remote = &self.shared.remotes[core.index];
        let mut tasks: Vec<Notified> = remote.lifo.take().into_iter().collect();
        while let Some(task) = core.run_queue.pop() {
            tasks.push(task);
        }
        if !tasks.is_empty() && !self.shared.is_shutdown() {
            self.shared.inject.push_batch(core.index, tasks.into_iter());
            self.shared.notify_parked();
        }
        self.shared.going_idle();
        remote.active.store(false, Release);
        self.shared.return_spare(core);
        self.shared.quiet_changed();
    }
}
