//! The owned-task list: every live task of a runtime, so shutdown can cancel
//! them all (and the task dump can list them).
//!
//! Why intrusive and sharded: linking a task costs no allocation (the links
//! live in its header), and spawns from different workers rarely meet on a
//! lock because the list is split into shards chosen by task id (ids come in
//! per-thread blocks, so a thread's consecutive spawns spread over shards).
//! A slab under one mutex was the rejected alternative: every spawn and every
//! completion in the runtime would take the same lock.
//!
//! Invariants: a task's `links` are touched only under the lock of shard
//! `id & mask`; a task is in at most one list, and while it is linked the
//! list holds one of its references (taken over at `bind`, given back by
//! `remove` or by the shutdown sweep). Once a shard is closed, `bind` fails,
//! so a spawn racing shutdown is cancelled at once instead of being lost.

use super::raw::{Header, RawTask};
use crate::loom::{Mutex, lock};
use crossbeam_utils::CachePadded;
use std::ptr::NonNull;

/// The intrusive links stored in each task header.
#[derive(Default)]
pub(crate) struct Links {
    prev: Option<NonNull<Header>>,
    next: Option<NonNull<Header>>,
}

/// All live tasks of one runtime.
pub(crate) struct OwnedTasks {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    mask: usize,
}

struct Shard {
    head: Option<NonNull<Header>>,
    len: usize,
    closed: bool,
}

// SAFETY: the shard holds pointers to task headers, which are `Sync` through
// their atomic state; the pointers are followed only under the shard's lock.
unsafe impl Send for Shard {}

impl OwnedTasks {
    /// A list with enough shards that `workers` threads rarely collide.
    pub(crate) fn new(workers: usize) -> OwnedTasks {
        let count = (workers * 4).next_power_of_two().clamp(4, 256);
        let shards = (0..count).map(|_| CachePadded::new(Mutex::new(Shard { head: None, len: 0, closed: false }))).collect();
        OwnedTasks { shards, mask: count - 1 }
    }

    fn shard(&self, header: &Header) -> &Mutex<Shard> {
        &self.shards[header.id.as_u64() as usize & self.mask]
    }

    /// Links a new task, taking over its list reference. False if the list
    /// is closed; the caller then still owns that reference.
    pub(crate) fn bind(&self, task: RawTask) -> bool {
        let mut shard = lock(self.shard(task.header()));
        if shard.closed {
            return false;
        }
        shard.push_front(task.as_ptr());
        true
    }

    /// Unlinks a task; true if it was linked, and its list reference now
    /// belongs to the caller.
    pub(crate) fn remove(&self, header: &Header) -> bool {
        lock(self.shard(header)).remove(NonNull::from(header))
    }

    /// Closes every shard (later binds fail), then cancels every task,
    /// visiting shards from `start` so workers sweeping at once spread out.
    pub(crate) fn close_and_shutdown_all(&self, start: usize) {
        for shard in self.shards.iter() {
            lock(shard).closed = true;
        }
        for i in 0..self.shards.len() {
            let shard = &self.shards[(start + i) & self.mask];
            // Pop under the lock, cancel outside it: cancelling completes the
            // task, which takes this lock again to unlink it.
            loop {
                // A statement of its own, so the guard is dropped before the
                // task is cancelled.
                let popped = lock(shard).pop_front();
                let Some(task) = popped else { break };
                // The popped list reference is consumed by `shutdown`.
                RawTask::from_raw(task).shutdown();
            }
        }
    }

    /// How many tasks are linked.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len).sum()
    }

}

impl Shard {
    fn links<R>(node: NonNull<Header>, f: impl FnOnce(&mut Links) -> R) -> R {
        // SAFETY: `node` is linked in (or being linked into) this shard, whose
        // lock the caller holds, so its links are ours (Header invariant 2);
        // the node is alive because the list holds a reference to it.
        unsafe { node.as_ref() }.links.with_mut(|ptr| f(unsafe { &mut *ptr }))
    }

    fn push_front(&mut self, node: NonNull<Header>) {
        let old_head = self.head;
        Shard::links(node, |links| {
            links.prev = None;
            links.next = old_head;
        });
        if let Some(old_head) = old_head {
            Shard::links(old_head, |links| links.prev = Some(node));
        }
        self.head = Some(node);
        self.len += 1;
    }

    fn remove(&mut self, node: NonNull<Header>) -> bool {
        let (prev, next) = Shard::links(node, |links| (links.prev, links.next));
        if prev.is_none() && self.head != Some(node) {
            return false;
        }
        match prev {
            Some(prev) => Shard::links(prev, |links| links.next = next),
            None => self.head = next,
        }
        if let Some(next) = next {
            Shard::links(next, |links| links.prev = prev);
        }
        Shard::links(node, |links| *links = Links::default());
        self.len -= 1;
        true
    }

    fn pop_front(&mut self) -> Option<NonNull<Header>> {
        let head = self.head?;
        let removed = self.remove(head);
        debug_assert!(removed, "the head of a shard is linked");
        Some(head)
    }
}
