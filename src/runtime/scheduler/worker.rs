//! The worker thread: find a task, poll it, repeat; search others, then park.
//!
//! Each turn of the loop (a tick; a renewal of a poll's cooperative budget
//! counts as one too, `renew_budget`) takes the next task from, in order: the
//! injector every `GLOBAL_POLL_INTERVAL` ticks (so remote spawns never
//! starve behind a busy ring), the LIFO slot, the local ring, and the
//! injector (a fair share of it moved to the ring at once). With nothing
//! found the worker becomes a searcher (if fewer than half are) and steals
//! half of another ring, then looks at the injector, then at LIFO slots as a
//! last resort; then it parks. `Core` is what a worker owns and could hand
//! to another thread; `WorkerContext` is what its thread-local holds so
//! that a wake on this thread can reach the core.

use super::Shared;
use super::context;
use super::park::{self, Parker};
use super::queue::{self, CAPACITY};
use crate::driver::DriverHandle;
use crate::loom::Arc;
use crate::runtime::metrics::WorkerCounts;
use crate::task::Notified;
use crate::task::Ran;
use crate::task::clock;
use crate::task::coop;
use crate::task::park::set_runs_tasks;
use std::cell::RefCell;
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::Ordering::{Relaxed, Release};
use std::time::{Duration, Instant};

/// Every this many ticks a worker looks at the injector before its own
/// queues (Go uses 61 too: a prime, so it does not beat with other periods).
pub(crate) const GLOBAL_POLL_INTERVAL: u32 = 61;

/// How many tasks in a row a worker may take from its LIFO slot; the next
/// one goes to the back of the ring.
pub(crate) const MAX_LIFO_POLLS: u32 = 3;

/// A renewed budget that took longer than the long-poll threshold divided
/// by this (156 µs of the default 10 ms) is not renewed again: a budget of
/// channel operations takes a few microseconds, so a slower one means real
/// work between the operations (or a `consume_budget` loop), and that poll
/// yields as it did before the renewal, one budget later, rather than run
/// many times as long and turn into a long poll.
const RENEWED_BUDGET_SHARE: u32 = 64;

/// A poll stops renewing once the long-poll threshold divided by this (312
/// µs of the default 10 ms) has passed since its first renewal, however
/// quick each budget: what this poll woke, and the injector and the
/// driver's periodic look, wait at most that long for this worker.
const RENEWED_POLL_SHARE: u32 = 32;

/// What one worker owns: its ring and its scheduling state.
pub(crate) struct Core {
    pub(super) index: usize,
    tick: u32,
    pub(super) run_queue: queue::Local,
    /// Counted in `Idle` as a searcher.
    is_searching: bool,
    rand: FastRand,
    /// Taken out while the worker parks or polls the driver, which is how
    /// a wake on this thread knows the worker is not running a task.
    pub(super) parker: Option<Parker>,
    /// Per victim, the LIFO task seen at the start of a search (as an
    /// address), so only a task that sat there all along is stolen.
    lifo_seen: Box<[usize]>,
    /// Set while a busy worker polls the driver between tasks: the tasks it
    /// wakes are collected in `deferred` and go to the injector, not behind
    /// this worker's backlog.
    pub(super) polling_busy: bool,
    pub(super) deferred: Vec<Notified>,
    /// The value of this core's `Remote::seq`: even between polls.
    seq: u64,
    /// A spare core (runs on a pool thread while a worker is blocked).
    pub(super) is_spare: bool,
    /// The counters, published to `Remote::stats` now and then
    /// (`stats.rs`).
    pub(super) stats: WorkerCounts,
    /// When the task being polled first and last renewed its budget;
    /// valid for the poll whose `seq` is `renewals_in`, so a poll that
    /// renews nothing never touches them.
    renewals_in: u64,
    last_renewal: Option<Instant>,
    first_renewal: Option<Instant>,
    /// The ring's push count when that poll began (`Local::pushed`): the
    /// tasks that were waiting then must not wait for a renewal.
    ring_at_poll: u32,
}

impl Core {
    pub(super) fn new(
        index: usize,
        run_queue: queue::Local,
        parker: Parker,
        num_cores: usize,
        is_spare: bool,
        seed: Option<u64>,
    ) -> Core {
        Core {
            index,
            tick: 0,
            run_queue,
            is_searching: false,
            // Each core its own sequence; from the runtime's seed if set.
            rand: FastRand::new(seed.map_or(index as u64, |seed| seed.wrapping_add(index as u64))),
            parker: Some(parker),
            lifo_seen: vec![0; num_cores].into_boxed_slice(),
            polling_busy: false,
            deferred: Vec::new(),
            seq: 0,
            is_spare,
            stats: WorkerCounts::default(),
            renewals_in: 0,
            last_renewal: None,
            first_renewal: None,
            ring_at_poll: 0,
        }
    }
}

/// The thread-local view of the worker running on this thread.
pub(super) struct WorkerContext {
    pub(super) shared: Arc<Shared>,
    /// The core, present while a task is polled so its wakes can use it.
    pub(super) core: RefCell<Option<Box<Core>>>,
    /// On a current-thread runtime: set when the `block_on` future is
    /// woken, which makes the loop return to poll it (`current.rs`).
    pub(super) stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// This thread's local tasks, once it spawned one (`local.rs`).
    pub(super) local: RefCell<Option<std::sync::Arc<super::local::LocalQueue>>>,
}

thread_local! {
    /// Set while this thread runs a core: a worker thread for its whole
    /// life, a pool thread while it runs a spare. Cleared during
    /// `block_in_place`, when the thread is not a worker.
    pub(super) static WORKER: RefCell<Option<Rc<WorkerContext>>> = const { RefCell::new(None) };
}

/// Makes this thread run `cx`'s core until the guard drops (and marks it,
/// for `task::park`, as a thread that runs tasks).
pub(super) fn set_worker(cx: Rc<WorkerContext>) -> WorkerGuard {
    let previous = WORKER.with(|worker| worker.replace(Some(cx)));
    let runs_tasks = set_runs_tasks(true);
    let renewal = coop::set_renewal(Some(renew_budget));
    WorkerGuard {
        previous,
        runs_tasks,
        renewal,
    }
}

pub(super) struct WorkerGuard {
    pub(super) previous: Option<Rc<WorkerContext>>,
    pub(super) runs_tasks: bool,
    pub(super) renewal: Option<fn() -> bool>,
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = WORKER.try_with(|worker| worker.replace(previous));
        set_runs_tasks(self.runs_tasks);
        coop::set_renewal(self.renewal);
    }
}

/// Asked by a task's spent cooperative budget (`coop::set_renewal`): true
/// lets the task go on with a fresh budget when nothing waits for this
/// worker but what this poll woke, which other workers can take. That
/// needs another worker (it may be busy too: then what this poll woke
/// waits up to 60 more budgets, a few hundred microseconds at most with
/// the default long-poll threshold); no local task ready on this thread
/// (only this thread runs those); no shutdown; and none of the tasks that
/// were in the ring when the poll began still there (so a task that was
/// waiting its turn, a yielder say, waits one budget as before; one that
/// an overflow moved to the injector is out of this count). Three bounds
/// end the renewals of a poll: the loop's periodic tick (each renewal
/// counts as a tick, so the injector and the driver are still looked at
/// every `GLOBAL_POLL_INTERVAL` budgets, and a poll completes at most 61:
/// one begun on the periodic tick renews up to the tick before the next),
/// a renewed budget that was slow (`RENEWED_BUDGET_SHARE`), and renewals
/// that have lasted their share of the long-poll threshold
/// (`RENEWED_POLL_SHARE`).
/// What this poll woke into the ring can be stolen; the LIFO slot's task,
/// which thieves take only as a last resort, moves to the ring, and a
/// parked worker is woken if nobody searches (architecture.md, "Renewal").
fn renew_budget() -> bool {
    WORKER
        .try_with(|worker| {
            let worker = worker.borrow();
            let Some(cx) = worker.as_ref() else {
                return false;
            };
            if cx.shared.num_workers() < 2 || cx.has_local() || cx.shared.is_shutdown() {
                return false;
            }
            let Ok(mut core) = cx.core.try_borrow_mut() else {
                return false;
            };
            let Some(core) = core.as_mut() else {
                return false;
            };
            if core.renewals_in != core.seq {
                core.renewals_in = core.seq;
                core.last_renewal = None;
                core.first_renewal = None;
            }
            // A renewal counts as a tick, and the periodic one is the loop's
            // own: the injector and the driver are looked at every 61
            // budgets, as every 61 polls of one budget each without the
            // renewal, and a poll completes at most 61 budgets.
            let periodic_next = core
                .tick
                .wrapping_add(1)
                .is_multiple_of(GLOBAL_POLL_INTERVAL);
            if periodic_next || !core.run_queue.gone_before(core.ring_at_poll) {
                return false;
            }
            let now = Instant::now();
            let threshold = cx.shared.monitor.threshold();
            let slow_budget = core
                .last_renewal
                .is_some_and(|last| now.duration_since(last) >= threshold / RENEWED_BUDGET_SHARE);
            let long_poll = core
                .first_renewal
                .is_some_and(|first| now.duration_since(first) >= threshold / RENEWED_POLL_SHARE);
            if slow_budget || long_poll {
                return false;
            }
            core.tick = core.tick.wrapping_add(1);
            core.first_renewal.get_or_insert(now);
            core.last_renewal = Some(now);
            if let Some(task) = cx.shared.remotes[core.index].lifo.take() {
                core.run_queue
                    .push_back_or_overflow(task, &cx.shared.inject, core.index);
            }
            // The full protocol, not the local hint: this worker may not get
            // to these tasks for up to 60 more budgets.
            if core.run_queue.has_tasks() {
                cx.shared.notify_parked();
            }
            true
        })
        .unwrap_or(false)
}

/// True on a worker thread of the runtime whose I/O and timers are `io`:
/// only those threads poll that runtime's tasks.
pub(crate) fn is_worker_of(driver: &Arc<DriverHandle>) -> bool {
    WORKER
        .try_with(|worker| {
            worker
                .borrow()
                .as_ref()
                .is_some_and(|cx| Arc::ptr_eq(cx.shared.driver_handle(), driver))
        })
        .unwrap_or(false)
}

/// If this thread is a worker of `shared` holding its core, runs `f` with
/// the core and the task; otherwise gives the task back.
pub(super) fn with_current_core(
    shared: &Shared,
    task: Notified,
    f: impl FnOnce(&mut Core, Notified),
) -> Option<Notified> {
    let mut task = Some(task);
    // `try_with` fails only while the thread's locals are being destroyed;
    // the task then goes the remote way.
    let _ = WORKER.try_with(|worker| {
        if let Some(cx) = worker.borrow().as_ref()
            && ptr::eq(&*cx.shared, shared)
            && let Ok(mut core) = cx.core.try_borrow_mut()
            && let Some(core) = core.as_mut()
            && let Some(task) = task.take()
        {
            f(core, task);
        }
    });
    task
}

/// The body of a worker thread; returns when the runtime shuts down, after
/// cancelling the tasks and dropping the notifications it holds.
pub(crate) fn run(shared: Arc<Shared>, core: Core) {
    if let Some(seed) = shared.seed {
        crate::channel::select::__private::seed_thread(seed.wrapping_add(core.index as u64));
    }
    let _enter = context::enter(shared.clone());
    let cx = Rc::new(WorkerContext {
        shared,
        core: RefCell::new(None),
        stop: None,
        local: RefCell::new(None),
    });
    let _worker = set_worker(cx.clone());
    let mut core = cx.run(Box::new(core));
    cx.shutdown(&mut core);
}

impl WorkerContext {
    /// True while the core should keep running: not shut down, and for a
    /// spare, not asked to retire.
    pub(super) fn keeps_running(&self, core: &Core) -> bool {
        let retiring = core.is_spare && self.shared.remotes[core.index].retire.load(Relaxed);
        let stopping = self
            .stop
            .as_ref()
            .is_some_and(|stop| stop.load(std::sync::atomic::Ordering::Acquire));
        !(self.shared.is_shutdown() || retiring || stopping)
    }

    pub(super) fn run(&self, mut core: Box<Core>) -> Box<Core> {
        clock::refresh();
        while self.keeps_running(&core) {
            core.tick = core.tick.wrapping_add(1);
            if core.tick.is_multiple_of(GLOBAL_POLL_INTERVAL) {
                // Keeps the dump's clock fresh while polls are short; the
                // monitor does it while one is long (`task::clock`).
                clock::refresh();
                self.publish_stats(&core);
                core = self.poll_driver(core);
            }
            if let Some(task) = self.next_task(&mut core) {
                core = self.run_task(task, core);
            } else if let Some(task) = self.steal_work(&mut core) {
                core = self.run_task(task, core);
            } else {
                core = self.park(core);
            }
        }
        core
    }

    /// Runs up to `max` tasks, with the loop's periodic duties, and never
    /// parks (a current-thread runtime's turn, `current.rs`).
    pub(super) fn run_some(&self, mut core: Box<Core>, max: usize) -> Box<Core> {
        for _ in 0..max {
            if self.shared.is_shutdown() {
                break;
            }
            core.tick = core.tick.wrapping_add(1);
            if core.tick.is_multiple_of(GLOBAL_POLL_INTERVAL) {
                clock::refresh();
                self.publish_stats(&core);
                core = self.poll_driver(core);
            }
            let Some(task) = self.next_task(&mut core) else {
                break;
            };
            core = self.run_task(task, core);
        }
        core
    }

    /// Polls `task`, then whatever it put in the LIFO slot (up to the bound).
    fn run_task(&self, mut task: Notified, mut core: Box<Core>) -> Box<Core> {
        self.transition_from_searching(&mut core);
        let mut lifo_polls = 0;
        let remote = &self.shared.remotes[core.index];
        loop {
            // The monitor's view of this poll (`Remote::seq`). Relaxed for
            // the id: `seq`'s Release publishes it.
            core.seq += 1;
            remote
                .polling_task_id
                .store(task.header().id.as_u64(), Relaxed);
            remote.seq.store(core.seq, Release);
            core.ring_at_poll = core.run_queue.pushed();
            *self.core.borrow_mut() = Some(core);
            let ran = task.run();
            core = self
                .core
                .borrow_mut()
                .take()
                .expect("a worker's core is back in its context after every poll");
            core.seq += 1;
            remote.seq.store(core.seq, Release);
            core.stats.polls += u64::from(ran != Ran::Skipped);
            core.stats.completed += u64::from(ran == Ran::Completed);
            let Some(next) = remote.lifo.take() else {
                return core;
            };
            if lifo_polls >= MAX_LIFO_POLLS {
                // Fairness: the ring's tasks go first; this one waits its
                // turn at the back. An idle worker is woken only if the
                // ring now holds more than this worker runs next: two
                // tasks handing a value back and forth stay here (waking
                // a worker for the one task this one is about to pop cost
                // the two-task ping-pong a fifth of its time in eventfd
                // writes, and the woken worker found nothing, issue 19).
                core.run_queue
                    .push_back_or_overflow(next, &self.shared.inject, core.index);
                self.notify_if_many(&core);
                return core;
            }
            lifo_polls += 1;
            core.stats.lifo_hits += 1;
            task = next;
        }
    }

    /// A ready local task of this thread, if any.
    fn next_local(&self) -> Option<Notified> {
        self.local.borrow().as_ref()?.pop()
    }

    /// True if this thread has local tasks ready.
    pub(super) fn has_local(&self) -> bool {
        self.local
            .borrow()
            .as_ref()
            .is_some_and(|local| local.has_tasks())
    }

    fn next_task(&self, core: &mut Core) -> Option<Notified> {
        // Start the periodic look at a different shard each time, so a shard
        // that is nobody's home is served too.
        if core.tick.is_multiple_of(GLOBAL_POLL_INTERVAL)
            && let Some(task) = self
                .shared
                .inject
                .pop(core.index + (core.tick / GLOBAL_POLL_INTERVAL) as usize)
        {
            return Some(task);
        }
        // Local tasks get a periodic turn of their own (half a period off
        // the injector's), and run whenever the ring is empty.
        if core.tick % GLOBAL_POLL_INTERVAL == GLOBAL_POLL_INTERVAL / 2
            && let Some(task) = self.next_local()
        {
            return Some(task);
        }
        if let Some(task) = self.shared.remotes[core.index].lifo.take() {
            core.stats.lifo_hits += 1;
            return Some(task);
        }
        core.run_queue
            .pop()
            .or_else(|| self.next_local())
            .or_else(|| self.take_from_injector(core))
    }

    /// One task from the injector, plus a fair share of the rest moved into
    /// the ring so the injector is not touched once per task.
    fn take_from_injector(&self, core: &mut Core) -> Option<Notified> {
        let inject = &self.shared.inject;
        let queued = inject.len();
        if queued == 0 {
            return None;
        }
        let share = queued / self.shared.num_workers();
        let max = share.clamp(1, core.run_queue.remaining_slots().min(CAPACITY / 2) + 1);
        let mut first = None;
        inject.pop_n(core.index, max, |task| {
            if first.is_none() {
                first = Some(task);
                return Ok(());
            }
            // `max` leaves room in the ring, so this never overflows into
            // the injector (whose lock we are under).
            core.run_queue.push_back(task)
        });
        first
    }

    fn steal_work(&self, core: &mut Core) -> Option<Notified> {
        if !core.is_searching {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.is_searching = true;
        }
        let remotes = &self.shared.remotes;
        let count = self.shared.num_searchable();
        let start = core.rand.below(count);
        for i in 0..count {
            let victim = (start + i) % count;
            if victim == core.index {
                continue;
            }
            core.lifo_seen[victim] = remotes[victim].lifo.peek() as usize;
            if let Some(task) = remotes[victim].steal_into(&mut core.run_queue) {
                core.stats.steals += 1;
                core.stats.stolen += 1 + core.run_queue.len() as u64;
                return Some(task);
            }
        }
        if let Some(task) = self.take_from_injector(core) {
            return Some(task);
        }
        // Last resort: a LIFO task that sat in its slot during our whole
        // search; its worker is busy with something else.
        let task = (0..count)
            .map(|i| (start + i) % count)
            .filter(|&victim| victim != core.index)
            .find_map(|victim| {
                remotes[victim]
                    .lifo
                    .take_if(core.lifo_seen[victim] as *mut _)
            })?;
        core.stats.steals += 1;
        core.stats.stolen += 1;
        Some(task)
    }

    pub(super) fn transition_from_searching(&self, core: &mut Core) {
        if !core.is_searching {
            return;
        }
        core.is_searching = false;
        // The last searcher found work: wakers skipped waking anyone while it
        // searched, so wake one now to look for more.
        if self.shared.idle.transition_worker_from_searching() {
            self.shared.notify_parked();
        }
    }

    fn park(&self, mut core: Box<Core>) -> Box<Core> {
        if core.run_queue.has_tasks() || self.has_local() {
            return core;
        }
        self.shared.going_idle();
        self.shared
            .idle
            .transition_worker_to_parked(core.index, core.is_searching);
        core.is_searching = false;
        // Every parker looks at the queues once more, after the SeqCst
        // update that counts it parked, not only the last searcher: a
        // worker refused the searcher role that was delayed between its
        // last look and this update was still counted awake by a spawner
        // that pushed meanwhile and woke nobody (two workers: one running
        // a long poll, this one about to sleep; the task waited forever).
        // Either that spawner sees this worker parked and wakes one, or
        // this look sees its task. The cost: a load per ring and the
        // injector's length, before a park's syscall.
        self.shared.notify_if_work_pending();
        // A watched runtime may be quiet now: the driver's holder looks.
        self.shared.quiet_changed();
        let mut woken = false;
        core.stats.parks += 1;
        // Readers see exact counts while this worker sleeps.
        self.publish_stats(&core);
        while self.keeps_running(&core) {
            let mut held_driver = false;
            core = self.with_parker(core, |parker| {
                held_driver = parker.park_with(&self.shared.driver, |driver, unparked| {
                    self.shared.park_driver(driver, unparked);
                })
            });
            let has_tasks = core.run_queue.has_tasks() || self.has_local();
            match self
                .shared
                .idle
                .transition_from_parked(core.index, has_tasks)
            {
                // Woken by `worker_to_notify`, which counted us as searching.
                Some(true) => {
                    core.is_searching = true;
                    if held_driver {
                        self.hand_off_driver();
                    }
                    woken = true;
                    break;
                }
                // The driver put tasks on our ring: we are awake without
                // anyone's wake; share them if there are several.
                Some(false) => {
                    if held_driver {
                        self.hand_off_driver();
                    }
                    self.notify_if_many(&core);
                    woken = true;
                    break;
                }
                // Spurious, or shutdown (which the loop condition sees).
                None => {}
            }
        }
        if woken {
            core.stats.unparks += 1;
            clock::refresh();
        }
        if !woken && !self.shared.is_shutdown() {
            // A spare asked to retire while parked: off the sleeper list, so
            // it counts as unparked again, as inactive spares do.
            if self.shared.idle.transition_from_parked(core.index, true) == Some(true) {
                core.is_searching = true;
            }
            self.hand_off_driver();
        }
        self.shared.monitor.worker_unparked();
        core
    }

    /// Makes the core's counters visible to `Handle::metrics`.
    pub(super) fn publish_stats(&self, core: &Core) {
        self.shared.remotes[core.index].stats.publish(&core.stats);
    }

    /// Runs `f` with the parker taken out of the core and the core in the
    /// context, so the wakes the driver delivers on this thread go to this
    /// worker's ring (`Shared::schedule_local`).
    fn with_parker(&self, mut core: Box<Core>, f: impl FnOnce(&mut Parker)) -> Box<Core> {
        let mut parker = core
            .parker
            .take()
            .expect("a worker's parker is in its core between parks");
        *self.core.borrow_mut() = Some(core);
        f(&mut parker);
        let mut core = self
            .core
            .borrow_mut()
            .take()
            .expect("a worker's core is back in its context after a park");
        core.parker = Some(parker);
        core
    }

    /// Polls the I/O driver without blocking, if nobody holds it: a busy
    /// worker does this now and then, so readiness and timers keep flowing
    /// while every worker computes.
    pub(super) fn poll_driver(&self, mut core: Box<Core>) -> Box<Core> {
        if !self.shared.driver_handle().has_work() {
            return core;
        }
        let Some(mut driver) = park::try_lock_driver(&self.shared.driver.driver) else {
            return core;
        };
        core.polling_busy = true;
        let mut core = self.with_parker(core, |_| {
            driver.park(Some(Duration::ZERO));
        });
        core.polling_busy = false;
        drop(driver);
        self.hand_off_driver();
        if !core.deferred.is_empty() {
            // Into this worker's injector shard, in the order they woke: a
            // busy worker's ring may hold a backlog, and tasks woken by I/O
            // or a timer must not wait behind it (timer lateness measured
            // both ways in docs/benchmarks.md). Any worker may take them;
            // this one looks at the injector within GLOBAL_POLL_INTERVAL
            // ticks.
            self.shared
                .inject
                .push_batch(core.index, core.deferred.drain(..));
            self.shared.notify_parked_local();
        }
        core
    }

    /// About to run tasks after holding the driver: if a parked worker
    /// wanted it meanwhile, wake one so that someone keeps polling for I/O
    /// even if a task here computes for long (see `park::DriverSlot`).
    fn hand_off_driver(&self) {
        if self.shared.driver.is_wanted() {
            self.shared.notify_parked();
        }
    }

    /// Wakes an idle worker to share the ring if it holds more than this
    /// worker is about to run.
    fn notify_if_many(&self, core: &Core) {
        if core.run_queue.len() > 1 {
            self.shared.notify_parked_local();
        }
    }

    /// Cancels every task of the runtime (all workers sweep, from different
    /// shards) and drops the notifications this worker holds.
    pub(super) fn shutdown(&self, core: &mut Core) {
        self.publish_stats(core);
        self.shared.owned.close_and_shutdown_all(core.index);
        // Our local tasks were cancelled by the sweep, here; drop their
        // queued notifications, and any pushed later.
        let local = self.local.borrow().clone();
        if let Some(local) = local {
            local.close();
        }
        drop(self.shared.remotes[core.index].lifo.take());
        while let Some(task) = core.run_queue.pop() {
            drop(task);
        }
        self.shared.drain_injector();
    }
}

/// A small xorshift generator: picks where a search starts, so thieves do
/// not all hit the same victim.
struct FastRand {
    state: u64,
}

impl FastRand {
    fn new(seed: u64) -> FastRand {
        FastRand {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state % n as u64) as usize
    }
}
