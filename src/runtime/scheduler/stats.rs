//! Each core's counters for `Handle::metrics`.
//!
//! A core counts in plain integers inside its `Core` (`WorkerCounts`), which
//! only the thread running it touches and which is hot in its cache anyway,
//! so counting costs a plain `+= 1`. It publishes them (`publish`) into
//! the shared `CoreStats`, which readers load, every
//! `worker::GLOBAL_POLL_INTERVAL` turns of its loop, before it parks, and
//! when it stops. A turn runs one task and up to `MAX_LIFO_POLLS` more from
//! the LIFO slot, so a snapshot lags a busy worker by at most
//! `GLOBAL_POLL_INTERVAL * (1 + MAX_LIFO_POLLS)` polls, and is exact for a
//! parked one. Counting straight into a shared word instead cost
//! `chained_spawn` dearly, from the cache-line traffic with thieves
//! (docs/benchmarks.md, "Observability cost"). Tokio batches its worker
//! metrics the same way.
//!
//! Std atomics even under loom: counters are reports, not protocol.

use crate::runtime::metrics::WorkerCounts;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The published copy of a core's counters: written by the core's thread
/// (`publish`), read by anyone (`read`). 64 bytes, aligned to start a
/// cache line (see `Remote::stats`).
#[derive(Default)]
#[repr(align(64))]
pub(crate) struct CoreStats {
    words: [AtomicU64; 8],
}

impl CoreStats {
    /// Stores `local` for readers.
    pub(crate) fn publish(&self, local: &WorkerCounts) {
        for (word, value) in self.words.iter().zip(local.to_array()) {
            word.store(value, Relaxed);
        }
    }

    /// The counters as last published.
    pub(crate) fn read(&self) -> WorkerCounts {
        WorkerCounts::from_array(std::array::from_fn(|i| self.words[i].load(Relaxed)))
    }
}
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn what_is_published_is_what_is_read() {
        let local = WorkerCounts {
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
        assert_eq!(shared.read(), WorkerCounts::default());
        shared.publish(&local);
        assert_eq!(shared.read(), local);
    }

    #[test]
    fn adding_sums_each_counter() {
        let mut sum = WorkerCounts {
            polls: 1,
            unparks: 2,
            ..WorkerCounts::default()
        };
        sum.add(&WorkerCounts {
            polls: 10,
            steals: 3,
            ..WorkerCounts::default()
        });
        assert_eq!((sum.polls, sum.steals, sum.unparks), (11, 3, 2));
    }
}
