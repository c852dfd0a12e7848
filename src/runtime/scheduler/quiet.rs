//! Knowing when the whole runtime is idle: what moves a paused clock
//! (auto-advance) and what `Handle::settle` waits for.
//!
//! Quiet means: every worker is parked, no spare core runs (nobody is in
//! `block_in_place`), no task is queued anywhere (rings, LIFO slots, the
//! injector), no blocking-pool job is queued or running, every `block_on`
//! thread of the runtime sleeps with no wake pending, and a poll of the
//! reactor that does not block delivers nothing. Tasks waiting on a
//! channel, a lock, a timer or a socket are blocked, and do not count.
//!
//! Who checks: the worker that holds the driver, each time it is about to
//! block in it (`park_driver`). Quiet, it first wakes the `settle` callers;
//! with none, and the clock paused, it moves the clock to the next
//! deadline and fires it. Not quiet, it blocks as usual, and whatever may
//! make the runtime quiet later pulls it out to look again: a worker
//! parking, a blocking job ending, a `block_on` thread going to sleep, a
//! new deadline (`quiet_changed`).
//!
//! The checks cost nothing until the runtime is *watched*: from the first
//! pause of its clock (or `start_paused`) or the first `settle`. The flag
//! never clears.
//!
//! What does not hold the clock back: threads outside the runtime (a plain
//! thread about to send on a channel, a peer process about to write to a
//! socket). To the runtime they are I/O or wakes that have not come yet; a
//! paused clock jumps past them. A `block_on` thread that began before the
//! runtime was watched is counted from its next wait on.

use super::Shared;
use crate::driver::Driver;
use crate::task::park::ThreadWaker;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::Duration;

/// A runtime's idleness bookkeeping (std types: it is not part of the
/// loom models, whose drivers never block).
#[derive(Default)]
pub(crate) struct Quiet {
    /// Bumped (while watched) just before anything goes idle: a worker
    /// parking, a pool job ending, a `block_on` thread sleeping or
    /// leaving, a spare retiring. The check reads it before and after
    /// looking at everything, and looks again if it moved, so it never
    /// acts on a picture in which something went idle after another thing
    /// it woke was seen idle.
    epoch: AtomicU64,
    /// The `block_on` threads of the runtime, once watched.
    block_ons: Mutex<Vec<Arc<ThreadWaker>>>,
    /// The `settle` calls waiting for quiet.
    settlers: Mutex<Vec<Arc<Settler>>>,
}

/// One `settle` call's state, shared with the driver's holder.
#[derive(Default)]
pub(crate) struct Settler {
    done: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Settler {
    /// True once the runtime was found quiet after this call began.
    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Acquire)
    }

    /// Keeps `waker` to be woken when the runtime is quiet.
    pub(crate) fn set_waker(&self, waker: &Waker) {
        let mut slot = lock(&self.waker);
        match &*slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}

impl Shared {
    /// True once the runtime is watched (see the module docs).
    #[inline]
    pub(crate) fn is_watched(&self) -> bool {
        self.driver_handle.is_watched()
    }

    /// Something is about to go idle (see `Quiet::epoch`).
    pub(crate) fn going_idle(&self) {
        if self.is_watched() {
            self.quiet.epoch.fetch_add(1, SeqCst);
        }
    }

    /// Something that may have made the runtime quiet happened: the
    /// driver's holder looks again (only while watched).
    pub(crate) fn quiet_changed(&self) {
        if self.is_watched() {
            self.driver_handle.unpark();
        }
    }

    /// Counts a `block_on` thread (its waker) in the quiet check.
    pub(crate) fn register_block_on(&self, waker: &Arc<ThreadWaker>) {
        let mut block_ons = lock(&self.quiet.block_ons);
        if !block_ons.iter().any(|other| Arc::ptr_eq(other, waker)) {
            block_ons.push(waker.clone());
        }
    }

    /// The `block_on` thread of `waker` leaves.
    pub(crate) fn deregister_block_on(&self, waker: &Arc<ThreadWaker>) {
        self.going_idle();
        lock(&self.quiet.block_ons).retain(|other| !Arc::ptr_eq(other, waker));
        self.quiet_changed();
    }

    /// A new `settle` call, woken once the runtime is quiet. The runtime
    /// is watched until it is done or dropped.
    pub(crate) fn settler(&self) -> Arc<Settler> {
        let settler = Arc::new(Settler::default());
        if self.is_shutdown() {
            // Nothing will run again: settled.
            settler.done.store(true, Release);
            return settler;
        }
        lock(&self.quiet.settlers).push(settler.clone());
        self.driver_handle.watch();
        settler
    }

    /// A `settle` call went away before it was done.
    pub(crate) fn forget_settler(&self, settler: &Arc<Settler>) {
        let mut settlers = lock(&self.quiet.settlers);
        let before = settlers.len();
        settlers.retain(|other| !Arc::ptr_eq(other, settler));
        let removed = settlers.len() < before;
        drop(settlers);
        if removed {
            self.driver_handle.unwatch();
        }
    }

    /// Wakes every `settle` call (quiet, or shut down); true if any.
    pub(crate) fn wake_settlers(&self) -> bool {
        let settlers = std::mem::take(&mut *lock(&self.quiet.settlers));
        for settler in &settlers {
            settler.done.store(true, Release);
            let waker = lock(&settler.waker).take();
            self.driver_handle.unwatch();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        !settlers.is_empty()
    }

    /// True if nothing in the runtime can make progress by itself (the
    /// module docs), the caller (a parked worker holding the driver)
    /// excepted. The reactor is polled by the caller.
    fn is_quiet(&self) -> bool {
        if self.active_spares() > 0 || self.idle.num_parked() < self.num_workers {
            return false;
        }
        if !self.inject.is_empty() || self.remotes.iter().any(|remote| remote.has_queued()) {
            return false;
        }
        if self.blocking.outstanding() > 0 || self.local_ready.load(SeqCst) > 0 {
            return false;
        }
        lock(&self.quiet.block_ons)
            .iter()
            .all(|waker| waker.is_asleep())
    }

    /// The driver's holder is about to block in it: on a watched runtime,
    /// settles, moves a paused clock, or blocks (module docs). `unparked`
    /// says whether the holder's parker was unparked meanwhile (its
    /// wake-up may have been consumed by a poll here).
    pub(super) fn park_driver(&self, driver: &mut Driver, unparked: &dyn Fn() -> bool) {
        if !self.is_watched() {
            driver.park(None);
            return;
        }
        loop {
            let epoch = self.quiet.epoch.load(SeqCst);
            // What is ready now first: I/O, due timers.
            if driver.park(Some(Duration::ZERO)) > 0 || unparked() {
                return;
            }
            if !self.is_quiet() {
                break;
            }
            if self.quiet.epoch.load(SeqCst) != epoch {
                // Something went idle while we looked: look again.
                continue;
            }
            if self.wake_settlers() {
                return;
            }
            let timers = &self.driver_handle.timers;
            if !timers.clock.is_paused() {
                break;
            }
            match timers.next_deadline() {
                // Quiet, paused, a deadline ahead: time jumps to it, and
                // the next turn fires it. (One not ahead fired nothing
                // just now: wait rather than spin.)
                Some(deadline) if deadline > timers.clock.now() => {
                    timers.clock.advance_to(deadline);
                }
                _ => break,
            }
        }
        driver.park(None);
    }
}
