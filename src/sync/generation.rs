//! `Generation`: waiters released all together, as a `Barrier`'s or a
//! `WaitGroup`'s are.
//!
//! Each waiter has a key in a slab, tagged with the generation it waits
//! in. Ending a generation wakes every waiter, clears the slab and counts
//! the next generation; a waiter then knows it was released because its
//! generation is over, without touching its (now stale) key. So release is
//! one pass over the wakers, and a waiter that gives up before its
//! generation ends removes its own entry (no leftovers from cancelled
//! waits).
//!
//! The owner keeps a `Generation` behind its mutex; every method here runs
//! with that mutex held.

use crate::task::wait_list::WakeList;
use slab::Slab;
use std::task::Waker;

/// The waiters of the current generation.
pub(crate) struct Generation {
    number: u64,
    wakers: Slab<Waker>,
}

/// Where a waiter waits: its generation and its key in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    generation: u64,
    key: usize,
}

impl Generation {
    pub(crate) const fn new() -> Generation {
        Generation {
            number: 0,
            wakers: Slab::new(),
        }
    }

    /// Waits in the current generation, or keeps the waker of `place`
    /// current if it already does.
    pub(crate) fn wait(&mut self, place: &mut Option<Place>, waker: &Waker) {
        match place {
            Some(place) if place.generation == self.number => {
                let stored = &mut self.wakers[place.key];
                if !stored.will_wake(waker) {
                    *stored = waker.clone();
                }
            }
            _ => {
                *place = Some(Place {
                    generation: self.number,
                    key: self.wakers.insert(waker.clone()),
                })
            }
        }
    }

    /// True once the generation of `place` has ended.
    pub(crate) fn has_ended(&self, place: Place) -> bool {
        place.generation != self.number
    }

    /// A waiter gives up: removes its entry if its generation is still
    /// going. Returns whether it was (whether it left, rather than was
    /// released).
    pub(crate) fn leave(&mut self, place: Place) -> bool {
        if self.has_ended(place) {
            return false;
        }
        self.wakers.remove(place.key);
        true
    }

    /// Ends the current generation: its waiters are released. Returns
    /// their wakers, to wake once the owner's mutex is let go.
    pub(crate) fn end(&mut self) -> WakeList {
        self.number = self.number.wrapping_add(1);
        let mut wake = WakeList::new();
        for waker in self.wakers.drain() {
            wake.push(Some(waker));
        }
        if self.wakers.capacity() > 64 {
            self.wakers = Slab::new();
        }
        wake
    }

    /// How many wait in the current generation.
    pub(crate) fn len(&self) -> usize {
        self.wakers.len()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_released_by_generation_and_may_leave_before() {
        let mut generation = Generation::new();
        let (mut a, mut b) = (None, None);
        generation.wait(&mut a, Waker::noop());
        generation.wait(&mut b, Waker::noop());
        generation.wait(&mut a, Waker::noop());
        assert_eq!(generation.len(), 2, "a waits once");
        assert!(generation.leave(b.unwrap()));
        assert_eq!(generation.len(), 1);
        let place = a.unwrap();
        assert!(!generation.has_ended(place));
        let _ = generation.end();
        assert!(generation.has_ended(place));
        assert!(!generation.leave(place), "released, not left");
        let mut c = None;
        generation.wait(&mut c, Waker::noop());
        assert!(!generation.has_ended(c.unwrap()));
        assert_eq!(generation.len(), 1);
    }
}
