//! The LIFO slot: one task that a worker runs next, which a thief may take
//! as a last resort (see the scheduler's module docs for when).
//!
//! The one `unsafe` of the scheduler outside the ring: the slot holds a
//! notification as a raw pointer in an `AtomicPtr` (so a thief can take
//! it with one compare-exchange), and turns it back with
//! `Notified::from_ptr`, whose contract the invariant below keeps.

use crate::loom::AtomicPtr;
use crate::task::{Header, Notified};
use std::ptr::{self, NonNull};
use std::sync::atomic::Ordering::{AcqRel, Relaxed, Release};

/// One task slot that the owning worker fills and empties, and a thief may
/// empty (see the module docs).
///
/// # Invariants
/// A non-null pointer in `task` came from `Notified::into_ptr`: a counted
/// notification owned by the slot. Whoever swaps it out owns it, and turns
/// it back into a `Notified` exactly once (`wrap`).
pub(crate) struct LifoSlot {
    task: AtomicPtr<Header>,
}

impl LifoSlot {
    pub(super) fn new() -> LifoSlot {
        LifoSlot {
            task: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The notification a pointer swapped out of the slot stands for.
    ///
    /// # Safety
    /// `ptr` must have been swapped out of `task` by the caller (so the
    /// slot's ownership of it passed to the caller alone).
    unsafe fn wrap(ptr: *mut Header) -> Option<Notified> {
        // SAFETY: non-null pointers in the slot come from
        // `Notified::into_ptr` in `push` (invariant), and the swap that
        // returned this one made the caller its only owner.
        NonNull::new(ptr).map(|ptr| unsafe { Notified::from_ptr(ptr) })
    }

    /// Puts `task` in the slot; returns the task it displaced. Only the
    /// owning worker calls this.
    pub(super) fn push(&self, task: Notified) -> Option<Notified> {
        let ptr = task.into_ptr().as_ptr();
        // Relaxed: only the owner fills the slot, so an empty slot stays
        // empty until our store; thieves only empty it.
        if self.task.load(Relaxed).is_null() {
            // Release: hands the task to a thief's Acquire take.
            self.task.store(ptr, Release);
            return None;
        }
        // AcqRel: as above, and Acquire takes ownership of the displaced
        // task, which a thief may be taking at the same moment.
        let displaced = self.task.swap(ptr, AcqRel);
        // SAFETY: swapped out by us.
        unsafe { LifoSlot::wrap(displaced) }
    }

    /// Empties the slot.
    pub(super) fn take(&self) -> Option<Notified> {
        // Relaxed peek first: the slot is usually empty, and a plain load
        // keeps the cache line shared. The swap below does the real
        // synchronisation.
        if self.task.load(Relaxed).is_null() {
            return None;
        }
        // AcqRel: Acquire pairs with the Release of `push`.
        let taken = self.task.swap(ptr::null_mut(), AcqRel);
        // SAFETY: swapped out by us.
        unsafe { LifoSlot::wrap(taken) }
    }

    /// The task in the slot, for a thief to compare later; not owned.
    pub(super) fn peek(&self) -> *mut Header {
        // Relaxed: only compared with a later CAS, which synchronises.
        self.task.load(Relaxed)
    }

    /// Takes the task only if it is still the one seen by `peek`.
    pub(super) fn take_if(&self, seen: *mut Header) -> Option<Notified> {
        if seen.is_null() {
            return None;
        }
        // AcqRel on success: see `take`. Relaxed on failure: nothing taken.
        let taken = self
            .task
            .compare_exchange(seen, ptr::null_mut(), AcqRel, Relaxed);
        // SAFETY: on success the exchange swapped `seen` out, for us alone.
        taken.ok().and_then(|ptr| unsafe { LifoSlot::wrap(ptr) })
    }
}

impl Drop for LifoSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}
