//! Each core's counters for `Handle::metrics`.
//!
//! A core's counters are written only by the thread running that core (a
//! worker, or a pool thread running a spare), so a bump is a relaxed load
//! and store, not a locked read-modify-write: about as cheap as a plain
//! `+= 1`, and readable from any thread. They sit on their own cache line,
//! apart from the fields thieves and wakers touch. Std atomics even under
//! loom: counters are reports, not part of any protocol.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A counter with a single writer at a time.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`. Only the counter's writer (the core's thread) calls this;
    /// a core changes threads only through a synchronising hand-off.
    pub(crate) fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// What one core counts: 64 bytes, aligned to start a cache line (see
/// `Remote::stats`).
#[derive(Default)]
#[repr(align(64))]
pub(crate) struct CoreStats {
    /// Task polls run.
    pub(crate) polls: Counter,
    /// Tasks spawned by a task running on this core.
    pub(crate) spawned: Counter,
    /// Tasks that completed in a poll on this core.
    pub(crate) completed: Counter,
    /// Tasks taken from the core's own LIFO slot.
    pub(crate) lifo_hits: Counter,
    /// Successful steals from another core (each moves one or more tasks).
    pub(crate) steals: Counter,
    /// Tasks moved by those steals.
    pub(crate) stolen: Counter,
    /// Times the core's thread went to sleep.
    pub(crate) parks: Counter,
    /// Times it woke up with work to do (a wake, or the driver's events).
    pub(crate) unparks: Counter,
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_counter_adds() {
        let counter = Counter::default();
        counter.add(2);
        counter.add(3);
        assert_eq!(counter.get(), 5);
    }
}
