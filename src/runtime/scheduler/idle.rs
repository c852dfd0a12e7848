//! Who is searching and who is parked: the bookkeeping that lets a wake
//! find a sleeping worker without waking them all, and never lose a wake.
//!
//! The counts of searching and unparked workers share one atomic word, so a
//! waker decides with one read whether anybody needs waking: nobody does
//! while a worker is searching (it will find the new task) or while every
//! worker is awake. At most half the workers search at once, so a burst of
//! wakes does not make every thread spin on the same queues.
//!
//! No lost wake-up: a waker makes its task visible (queue push), then runs a
//! SeqCst fence and reads the counts (`worker_to_notify`); the last searcher
//! to park updates the counts with a SeqCst read-modify-write, runs a SeqCst
//! fence and re-checks every queue (`Shared::notify_if_work_pending`). By
//! the fences' total order either the waker sees the searcher still
//! counted (and the searcher then sees the task), or the searcher sees the
//! task. The loom model `idle_parks_without_losing_a_wake` checks it.
//!
//! The sleeper list is a mutex-protected `Vec`: it is touched only when a
//! worker parks or is woken, never on the path that finds work.

use crate::loom::{AtomicUsize, Mutex, fence, lock};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;
const UNPARK_ONE: usize = 1 << UNPARK_SHIFT;

pub(crate) struct Idle {
    /// `num_unparked << 16 | num_searching`.
    state: AtomicUsize,
    /// Every core, spares included: an inactive spare counts as unparked
    /// and is never in `sleepers`, so "fewer unparked than cores" still
    /// means "somebody sleeps".
    num_cores: usize,
    /// The workers (spares excluded): at most half of them search.
    num_workers: usize,
    sleepers: Mutex<Vec<usize>>,
}

impl Idle {
    pub(crate) fn new(num_cores: usize, num_workers: usize) -> Idle {
        assert!(num_cores < SEARCH_MASK, "too many cores for the idle word");
        Idle {
            state: AtomicUsize::new(num_cores << UNPARK_SHIFT),
            num_cores,
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_cores)),
        }
    }

    /// How many cores are parked (a snapshot).
    pub(crate) fn num_parked(&self) -> usize {
        // SeqCst: the monitor's side of its sleep hand-shake
        // (`Monitor::worker_unparked`).
        self.num_cores - (self.state.load(SeqCst) >> UNPARK_SHIFT)
    }

    /// After making work visible: the index of a parked worker to wake, if
    /// one should be woken (it is then counted as unparked and searching).
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        // SeqCst fence: orders the caller's queue push before this read, in
        // the total order shared with `transition_worker_to_parked` (module
        // docs).
        fence(SeqCst);
        if !self.should_wake(self.state.load(SeqCst)) {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        // Re-check under the lock: another waker may have woken one.
        if !self.should_wake(self.state.load(SeqCst)) {
            return None;
        }
        let worker = sleepers.pop()?;
        // SeqCst: part of the same total order as the parking side.
        self.state.fetch_add(UNPARK_ONE | 1, SeqCst);
        Some(worker)
    }

    /// A cheap read that may be stale: false means a wake is very likely
    /// not needed (somebody searches, or nobody sleeps). Only for callers
    /// that do not depend on the wake for progress (`notify_parked_local`).
    pub(crate) fn may_want_wake(&self) -> bool {
        // Relaxed: a hint; see the caller.
        self.should_wake(self.state.load(Relaxed))
    }

    fn should_wake(&self, state: usize) -> bool {
        state & SEARCH_MASK == 0 && (state >> UNPARK_SHIFT) < self.num_cores
    }

    /// A worker out of local work wants to search others. False if enough
    /// workers search already (about half of them).
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * (state & SEARCH_MASK) >= self.num_workers {
            return false;
        }
        // SeqCst: a waker that reads the count afterwards must see us
        // searching, or it would wake a second worker for nothing (harmless
        // but wasteful); the exact cap is not important.
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work (or gives up). True if it was the last
    /// searcher: then it must wake another if work remains, because wakers
    /// skipped waking while it searched.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        // SeqCst: see `transition_worker_to_parked`.
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(
            prev & SEARCH_MASK > 0,
            "a worker stopped searching that was not searching"
        );
        prev & SEARCH_MASK == 1
    }

    /// A worker is about to park. True if it was the last searcher: the
    /// caller must then re-check the queues (module docs).
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let dec = UNPARK_ONE | usize::from(is_searching);
        // SeqCst RMW then fence: the parking half of the protocol.
        let prev = self.state.fetch_sub(dec, SeqCst);
        fence(SeqCst);
        sleepers.push(worker);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// True if `worker` is still in the sleeper list.
    #[cfg(test)]
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        lock(&self.sleepers).contains(&worker)
    }

    /// A parked worker woke up. `Some(true)`: a waker took it off the
    /// sleeper list and counted it as searching. `Some(false)`: nobody did,
    /// but it has tasks (the I/O driver gave them), so it takes itself off
    /// and counts itself unparked. `None`: a spurious wake-up; it stays
    /// parked.
    pub(crate) fn transition_from_parked(&self, worker: usize, has_tasks: bool) -> Option<bool> {
        let mut sleepers = lock(&self.sleepers);
        let Some(position) = sleepers.iter().position(|&sleeper| sleeper == worker) else {
            return Some(true);
        };
        if !has_tasks {
            return None;
        }
        sleepers.swap_remove(position);
        // SeqCst: as in `worker_to_notify`.
        self.state.fetch_add(UNPARK_ONE, SeqCst);
        Some(false)
    }

    /// How many workers are searching.
    #[cfg(test)]
    pub(crate) fn num_searching(&self) -> usize {
        self.state.load(SeqCst) & SEARCH_MASK
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4, 4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(
            !idle.transition_worker_to_searching(),
            "two of four already search"
        );
        assert_eq!(idle.num_searching(), 2);
    }

    #[test]
    fn wakes_only_when_nobody_searches_and_someone_sleeps() {
        let idle = Idle::new(2, 2);
        assert_eq!(idle.worker_to_notify(), None, "everybody is awake");
        assert!(!idle.transition_worker_to_parked(1, false));
        assert_eq!(idle.worker_to_notify(), Some(1));
        assert_eq!(idle.num_searching(), 1, "the woken worker searches");
        assert_eq!(
            idle.worker_to_notify(),
            None,
            "a searcher will find the work"
        );
        assert!(!idle.is_parked(1));
    }

    #[test]
    fn last_searcher_to_park_is_told() {
        let idle = Idle::new(2, 2);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_parked(0, true));
    }
}
