//! The global injector: tasks scheduled from outside the workers, and the
//! overflow of full local rings.
//!
//! Why sharded `VecDeque`s: remote spawns must not serialise on one mutex,
//! so each pushing thread has a home shard (workers their index, other
//! threads one picked round-robin when they first push) and poppers scan
//! from their own shard; order is FIFO within a shard, not across. A
//! `VecDeque` reuses its buffer, so passing through the injector allocates
//! nothing per task and costs no bytes in the task. Two alternatives were
//! tried and rejected: crossbeam-deque's `Injector` allocates a block per 63
//! tasks that the popping worker frees, and under glibc those cross-thread
//! frees contended on the spawning thread's malloc arena lock and
//! dominated the spawn profile; an intrusive list through the task header
//! avoided that but cost every task eight bytes for its link.
//!
//! Invariants: `len` mirrors the deque's length; it is written only under
//! the shard's lock and read without it as a hint.

use crate::loom::{AtomicUsize, Mutex, lock};
use crate::task::Notified;
use crossbeam_utils::CachePadded;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering::Relaxed};

/// The buffer a shard keeps once it empties; more is released.
const RETAINED_CAPACITY: usize = 1024;

/// A multi-producer, multi-consumer queue of scheduled tasks.
pub(crate) struct Injector {
    shards: Box<[CachePadded<Shard>]>,
    mask: usize,
}

struct Shard {
    queue: Mutex<VecDeque<Notified>>,
    len: AtomicUsize,
    /// Tasks pushed from outside the workers (`push_remote`), and how many
    /// of those were spawns. Written under `queue`'s lock (so a load and a
    /// store suffice), read without it for the metrics. Std atomics even
    /// under loom: counters, not protocol.
    remote_schedules: StdAtomicU64,
    remote_spawns: StdAtomicU64,
}

/// The home shard of a thread that is not a worker: picked round-robin when
/// the thread first pushes, so remote spawners spread over the shards.
pub(crate) fn thread_home() -> usize {
    use std::sync::atomic::AtomicUsize as StdAtomicUsize;
    // A hint, not part of any protocol: std's atomic even under loom.
    static NEXT: StdAtomicUsize = StdAtomicUsize::new(0);
    thread_local! {
        static HOME: usize = NEXT.fetch_add(1, Relaxed);
    }
    HOME.try_with(|home| *home).unwrap_or(0)
}

impl Injector {
    /// An injector with shards enough for `workers` workers.
    pub(crate) fn new(workers: usize) -> Injector {
        let count = workers.next_power_of_two().clamp(2, 64);
        let shards = (0..count)
            .map(|_| {
                CachePadded::new(Shard {
                    queue: Mutex::new(VecDeque::new()),
                    len: AtomicUsize::new(0),
                    remote_schedules: StdAtomicU64::new(0),
                    remote_spawns: StdAtomicU64::new(0),
                })
            })
            .collect();
        Injector {
            shards,
            mask: count - 1,
        }
    }

    /// Pushes one task into shard `home` (modulo the shard count).
    pub(crate) fn push(&self, home: usize, task: Notified) {
        self.push_batch(home, std::iter::once(task));
    }

    /// Pushes a task woken (or, if `spawn`, spawned) away from the
    /// workers, and counts it.
    pub(crate) fn push_remote(&self, home: usize, task: Notified, spawn: bool) {
        let shard = &self.shards[home & self.mask];
        let mut queue = lock(&shard.queue);
        queue.push_back(task);
        shard.len.store(queue.len(), Relaxed);
        let bump = |counter: &StdAtomicU64| counter.store(counter.load(Relaxed) + 1, Relaxed);
        bump(&shard.remote_schedules);
        if spawn {
            bump(&shard.remote_spawns);
        }
    }

    /// How many tasks were pushed from outside the workers, and how many
    /// of those were spawns.
    pub(crate) fn remote_counts(&self) -> (u64, u64) {
        self.shards
            .iter()
            .fold((0, 0), |(schedules, spawns), shard| {
                (
                    schedules + shard.remote_schedules.load(Relaxed),
                    spawns + shard.remote_spawns.load(Relaxed),
                )
            })
    }

    /// Pushes a batch into shard `home` under one lock.
    pub(crate) fn push_batch(&self, home: usize, tasks: impl Iterator<Item = Notified>) {
        let shard = &self.shards[home & self.mask];
        let mut queue = lock(&shard.queue);
        queue.extend(tasks);
        // Relaxed: a hint for lock-free readers; the lock orders the queue.
        shard.len.store(queue.len(), Relaxed);
    }

    /// Pops the oldest task of the first non-empty shard, scanning from
    /// `home`.
    pub(crate) fn pop(&self, home: usize) -> Option<Notified> {
        let mut popped = None;
        self.pop_n(home, 1, |task| {
            popped = Some(task);
            Ok(())
        });
        popped
    }

    /// Pops up to `max` tasks from the first non-empty shard, scanning from
    /// `home`, handing each to `f`; returns how many `f` took.
    ///
    /// `f` runs under the shard's lock: it must not touch the injector or
    /// run user code (dropping a task can). It hands a task back with
    /// `Err` to stop early; that task returns to the front of the shard.
    pub(crate) fn pop_n(
        &self,
        home: usize,
        max: usize,
        mut f: impl FnMut(Notified) -> Result<(), Notified>,
    ) -> usize {
        for i in 0..self.shards.len() {
            let shard = &self.shards[(home + i) & self.mask];
            // Relaxed: a hint; a shard that looks empty is looked at again on
            // the caller's next turn, and the idle protocol re-checks after its
            // fence.
            if shard.len.load(Relaxed) == 0 {
                continue;
            }
            let mut queue = lock(&shard.queue);
            let mut taken = 0;
            while taken < max {
                let Some(task) = queue.pop_front() else { break };
                if let Err(task) = f(task) {
                    queue.push_front(task);
                    break;
                }
                taken += 1;
            }
            if queue.is_empty() && queue.capacity() > RETAINED_CAPACITY {
                // A burst is over: give its buffer back (a million queued
                // spawns would otherwise keep 8 MB for the process's life).
                queue.shrink_to(RETAINED_CAPACITY);
            }
            shard.len.store(queue.len(), Relaxed);
            if taken > 0 {
                return taken;
            }
        }
        0
    }

    /// Takes every queued task out (at shutdown); they are dropped by the
    /// caller, outside the locks.
    pub(crate) fn take_all(&self) -> Vec<Notified> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let mut queue = lock(&shard.queue);
            all.extend(queue.drain(..));
            shard.len.store(0, Relaxed);
        }
        all
    }

    /// True if no shard holds a task (a hint without locks).
    pub(crate) fn is_empty(&self) -> bool {
        self.shards.iter().all(|shard| shard.len.load(Relaxed) == 0)
    }

    /// How many tasks are queued (a hint without locks).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.len.load(Relaxed))
            .sum()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::task::test_support::Tracked;

    #[test]
    fn fifo_within_a_shard_and_found_from_any_home() {
        let tracked = Tracked::new();
        let inject = Injector::new(2);
        let tasks: Vec<_> = (0..5).map(|_| tracked.task()).collect();
        let expected: Vec<_> = tasks.iter().map(|t| t.header().id).collect();
        inject.push_batch(1, tasks.into_iter());
        assert_eq!(inject.len(), 5);
        let popped: Vec<_> = std::iter::from_fn(|| inject.pop(0))
            .map(|t| t.header().id)
            .collect();
        assert_eq!(popped, expected);
        assert!(inject.is_empty());
        assert_eq!(tracked.live(), 0);
    }

    #[test]
    fn take_all_empties_every_shard() {
        let tracked = Tracked::new();
        let inject = Injector::new(4);
        for home in 0..8 {
            inject.push(home, tracked.task());
        }
        drop(inject.take_all());
        assert!(inject.is_empty());
        assert_eq!(tracked.live(), 0);
    }
}
