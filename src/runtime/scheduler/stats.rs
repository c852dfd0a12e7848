//! Each core's counters for `Handle::metrics`.
//!
//! A core counts in plain integers inside its `Core` (`LocalStats`), which
//! only the thread running it touches and which is hot in its cache anyway,
//! so counting costs a plain `+= 1`. It publishes them (`publish`) into
//! the shared `CoreStats`, which readers load, every `GLOBAL_POLL_INTERVAL`
//! (61) turns of its loop, before it parks, and when it stops. A turn runs
//! one task and up to three more from the LIFO slot, so a snapshot lags a
//! busy worker by at most 244 polls, and is exact for a parked one. Counting
//! straight into a shared word instead cost 12% on `chained_spawn`, from
//! the cache-line traffic with thieves (docs/benchmarks.md, "Observability
//! cost"). Tokio batches its worker metrics the same way.
//!
//! Std atomics even under loom: counters are reports, not protocol.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The counters of one core, as the core's thread keeps them.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct LocalStats {
    /// Task polls run.
    pub(crate) polls: u64,
    /// Tasks spawned by a task running on this core.
    pub(crate) spawned: u64,
    /// Tasks that completed in a poll on this core.
    pub(crate) completed: u64,
    /// Tasks taken from the core's own LIFO slot.
    pub(crate) lifo_hits: u64,
    /// Successful steals from another core (each moves one or more tasks).
    pub(crate) steals: u64,
    /// Tasks moved by those steals.
    pub(crate) stolen: u64,
    /// Times the core's thread went to sleep.
    pub(crate) parks: u64,
    /// Times it woke up with work to do (a wake, or the driver's events).
    pub(crate) unparks: u64,
}

/// The published copy of a core's counters: written by the core's thread
/// (`publish`), read by anyone (`read`). 64 bytes, aligned to start a
/// cache line (see `Remote::stats`).
#[derive(Default)]
#[repr(align(64))]
pub(crate) struct CoreStats {
    words: [AtomicU64; 8],
}

impl LocalStats {
    /// The counters in a fixed order: the one place that lists them.
    fn to_array(self) -> [u64; 8] {
        [
            self.polls,
            self.spawned,
            self.completed,
            self.lifo_hits,
            self.steals,
            self.stolen,
            self.parks,
            self.unparks,
        ]
    }

    fn from_array(counts: [u64; 8]) -> LocalStats {
        let [
            polls,
            spawned,
            completed,
            lifo_hits,
            steals,
            stolen,
            parks,
            unparks,
        ] = counts;
        LocalStats {
            polls,
            spawned,
            completed,
            lifo_hits,
            steals,
            stolen,
            parks,
            unparks,
        }
    }

    /// Adds `other`'s counts to these (for the spare cores' sum).
    pub(crate) fn add(&mut self, other: &LocalStats) {
        let mut counts = self.to_array();
        for (count, more) in counts.iter_mut().zip(other.to_array()) {
            *count += more;
        }
        *self = LocalStats::from_array(counts);
    }
}

impl CoreStats {
    /// Stores `local` for readers.
    pub(crate) fn publish(&self, local: &LocalStats) {
        for (word, value) in self.words.iter().zip(local.to_array()) {
            word.store(value, Relaxed);
        }
    }

    /// The counters as last published.
    pub(crate) fn read(&self) -> LocalStats {
        LocalStats::from_array(std::array::from_fn(|i| self.words[i].load(Relaxed)))
    }
}
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn what_is_published_is_what_is_read() {
        let local = LocalStats {
            polls: 1,
            spawned: 2,
            completed: 3,
            lifo_hits: 4,
            steals: 5,
            stolen: 6,
            parks: 7,
            unparks: 8,
        };
        let shared = CoreStats::default();
        assert_eq!(shared.read(), LocalStats::default());
        shared.publish(&local);
        assert_eq!(shared.read(), local);
    }

    #[test]
    fn adding_sums_each_counter() {
        let mut sum = LocalStats {
            polls: 1,
            unparks: 2,
            ..LocalStats::default()
        };
        sum.add(&LocalStats {
            polls: 10,
            steals: 3,
            ..LocalStats::default()
        });
        assert_eq!((sum.polls, sum.steals, sum.unparks), (11, 3, 2));
    }
}
