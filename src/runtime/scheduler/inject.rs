//! The global injector: tasks scheduled from outside the workers, and the
//! overflow of full local rings.
//!
//! Why intrusive and sharded: a task passes through the injector linked by
//! the `queue_next` pointer in its own header, so pushing allocates nothing
//! (crossbeam-deque's `Injector`, tried first, allocates a block per 63
//! tasks; the block is freed by the popping worker, and under glibc those
//! cross-thread frees contended on the spawning thread's malloc arena lock
//! and dominated the spawn profile). A full ring's overflow (129 tasks)
//! links into a chain first and enters under one lock. Remote spawns do not
//! serialise on one mutex: each pushing thread has a home shard (workers
//! their index, other threads one picked when they first push), and poppers
//! scan from their own shard. Order is FIFO within a shard, not across.
//!
//! Invariants: a task is in at most one shard; its `queue_next` belongs to
//! that shard's lock while it is inside (Header invariant 4); `len` is
//! written only under the lock and read without it as a hint.

use crate::loom::{AtomicUsize, Mutex, lock};
use crate::task::raw::{Header, Notified, RawTask};
use crossbeam_utils::CachePadded;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::Relaxed;

/// A multi-producer, multi-consumer queue of scheduled tasks.
pub(crate) struct Injector {
    shards: Box<[CachePadded<Shard>]>,
    mask: usize,
}

struct Shard {
    list: Mutex<List>,
    len: AtomicUsize,
}

struct List {
    head: Option<NonNull<Header>>,
    tail: Option<NonNull<Header>>,
    len: usize,
}

// SAFETY: the list holds the `Notified` references of the tasks linked in
// it (which are `Send`); it is only touched under its mutex.
unsafe impl Send for List {}

/// Sets the `queue_next` link of a task whose `Notified` the caller holds
/// or whose shard lock the caller holds (Header invariant 4).
fn set_next(task: NonNull<Header>, next: Option<NonNull<Header>>) {
    // SAFETY: the caller holds the task's reference (so the cell is alive)
    // and the right to its link (Header invariant 4).
    let header = unsafe { task.as_ref() };
    // SAFETY: as above; the access is exclusive.
    header.queue_next.with_mut(|ptr| unsafe { *ptr = next });
}

fn next_of(task: NonNull<Header>) -> Option<NonNull<Header>> {
    // SAFETY: as in `set_next`.
    let header = unsafe { task.as_ref() };
    // SAFETY: as in `set_next`.
    header.queue_next.with(|ptr| unsafe { *ptr })
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
                    list: Mutex::new(List {
                        head: None,
                        tail: None,
                        len: 0,
                    }),
                    len: AtomicUsize::new(0),
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
        let ptr = task.into_raw().as_ptr();
        set_next(ptr, None);
        self.append(home, ptr, ptr, 1);
    }

    /// Pushes a batch into shard `home` under one lock.
    pub(crate) fn push_batch(&self, home: usize, tasks: impl Iterator<Item = Notified>) {
        let mut first = None;
        let mut last: Option<NonNull<Header>> = None;
        let mut count = 0;
        for task in tasks {
            let ptr = task.into_raw().as_ptr();
            set_next(ptr, None);
            match last {
                Some(last) => set_next(last, Some(ptr)),
                None => first = Some(ptr),
            }
            last = Some(ptr);
            count += 1;
        }
        if let (Some(first), Some(last)) = (first, last) {
            self.append(home, first, last, count);
        }
    }

    fn append(&self, home: usize, first: NonNull<Header>, last: NonNull<Header>, count: usize) {
        let shard = &self.shards[home & self.mask];
        let mut list = lock(&shard.list);
        match list.tail {
            Some(tail) => set_next(tail, Some(first)),
            None => list.head = Some(first),
        }
        list.tail = Some(last);
        list.len += count;
        // Relaxed: a hint for lock-free readers; the lock orders the links.
        shard.len.store(list.len, Relaxed);
    }

    /// Pops the oldest task of the first non-empty shard, scanning from
    /// `home`.
    pub(crate) fn pop(&self, home: usize) -> Option<Notified> {
        let mut popped = None;
        self.pop_n(home, 1, |task| popped = Some(task));
        popped
    }

    /// Pops up to `max` tasks from the first non-empty shard, scanning from
    /// `home`, handing each to `f`; returns how many.
    pub(crate) fn pop_n(&self, home: usize, max: usize, mut f: impl FnMut(Notified)) -> usize {
        for i in 0..self.shards.len() {
            let shard = &self.shards[(home + i) & self.mask];
            // Relaxed: a hint; an empty-looking shard is re-checked by the
            // caller's next look (and the idle protocol re-checks `len`
            // after its fence).
            if shard.len.load(Relaxed) == 0 {
                continue;
            }
            let mut list = lock(&shard.list);
            let mut taken = 0;
            while taken < max {
                let Some(head) = list.head else { break };
                list.head = next_of(head);
                if list.head.is_none() {
                    list.tail = None;
                }
                list.len -= 1;
                taken += 1;
                f(Notified::from_raw(RawTask::from_raw(head)));
            }
            shard.len.store(list.len, Relaxed);
            if taken > 0 {
                return taken;
            }
        }
        0
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

impl Drop for Injector {
    fn drop(&mut self) {
        for home in 0..self.shards.len() {
            while self.pop_n(home, usize::MAX, drop) > 0 {}
        }
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
    fn dropping_the_injector_drops_its_tasks() {
        let tracked = Tracked::new();
        let inject = Injector::new(4);
        for home in 0..8 {
            inject.push(home, tracked.task());
        }
        drop(inject);
        assert_eq!(tracked.live(), 0);
    }
}
