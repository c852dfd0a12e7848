//! The owned-task list: every task of a runtime from its spawn until its
//! cell is freed, so shutdown can cancel them all and the task dump can list
//! them (finished-but-unjoined tasks included).
//!
//! Why intrusive and sharded by id block: linking a task costs no
//! allocation (the links live in its header), and task ids come in
//! per-thread blocks of 1024, so a thread's spawns land in one shard (its
//! lock stays in that core's cache) and different threads rarely share one.
//! A task is unlinked when its cell is freed, which for a joined task
//! happens where its JoinHandle is dropped: usually the spawning thread, so
//! the common spawn-then-join pattern never contends. A slab under one
//! mutex was the rejected alternative: every spawn and every free in the
//! runtime would take the same lock. Unlinking at completion (as tokio
//! does) was the other: the completing worker is often not the spawning
//! one, so the lock would bounce between cores.
//!
//! Invariants:
//! 1. A task's `links` are touched only under the lock of its shard
//!    (`shard_of(id)`).
//! 2. The list holds no reference: a linked cell is alive because its
//!    free unlinks it first, under the shard lock. A walker that wants to
//!    use a task beyond the lock takes a reference with `ref_inc_if_alive`
//!    (which fails once the count reached zero and the free is under way).
//! 3. Once a shard is closed, `bind` fails, so a spawn racing shutdown is
//!    cancelled at once instead of being missed by the sweep.

use super::raw::{Header, Notified, RawTask};
use crate::loom::{Mutex, lock};
use crossbeam_utils::CachePadded;
use std::ptr::NonNull;

/// What a report says about a task: its id, name and spawn location.
/// Shared by the shutdown report, the dump and the unhandled-panic report;
/// its `Display` is their common head: `42 "conn-7"`.
#[derive(Clone, Debug)]
pub(crate) struct TaskInfo {
    pub(crate) id: super::Id,
    pub(crate) name: Option<String>,
    pub(crate) location: &'static std::panic::Location<'static>,
}

impl TaskInfo {
    /// The header's id, name and location (which never change).
    pub(crate) fn of(header: &Header) -> TaskInfo {
        TaskInfo {
            id: header.id,
            name: header.origin.name().map(str::to_owned),
            location: header.origin.location(),
        }
    }
}

impl std::fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        Ok(())
    }
}

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
// their atomic state; the pointers are followed only under the shard's lock
// (invariant 1) and only while the cells are alive (invariant 2).
unsafe impl Send for Shard {}

impl OwnedTasks {
    /// A list with enough shards that `workers` threads rarely share one.
    pub(crate) fn new(workers: usize) -> OwnedTasks {
        let count = (workers * 4).next_power_of_two().clamp(4, 1024);
        let shards = (0..count)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    head: None,
                    len: 0,
                    closed: false,
                }))
            })
            .collect();
        OwnedTasks {
            shards,
            mask: count - 1,
        }
    }

    fn shard(&self, header: &Header) -> &Mutex<Shard> {
        &self.shards[super::id::block_of(header.id) & self.mask]
    }

    /// Links a new task (by its first notification, from
    /// [`new_task`](super::raw::new_task)). False if the list is closed
    /// (the runtime shut down); the caller must then cancel the task
    /// ([`Notified::cancel`]).
    pub(crate) fn bind(&self, task: &Notified) -> bool {
        let mut shard = lock(self.shard(task.header()));
        if shard.closed {
            return false;
        }
        shard.push_front(task.raw().as_ptr());
        true
    }

    /// Unlinks a task whose cell is about to be freed (a no-op if it was
    /// never linked).
    pub(crate) fn remove(&self, header: &Header) {
        lock(self.shard(header)).remove(NonNull::from(header));
    }

    /// Closes every shard (later binds fail), then cancels every task,
    /// visiting shards from `start` so workers sweeping at once spread out.
    pub(crate) fn close_and_shutdown_all(&self, start: usize) {
        for shard in self.shards.iter() {
            lock(shard).closed = true;
        }
        for i in 0..self.shards.len() {
            let shard = &self.shards[(start + i) & self.mask];
            // Take references under the lock, cancel outside it: cancelling
            // may free a task, which takes this lock to unlink it.
            let tasks = lock(shard).upgrade_all();
            for task in tasks {
                // The reference taken by `upgrade_all` is consumed here.
                task.shutdown();
            }
        }
    }

    /// Cancels every linked task `pick` chooses (a thread's local tasks
    /// when its `block_on` ends). `pick` runs under a shard lock, as in
    /// `for_each`.
    pub(crate) fn shutdown_where(&self, mut pick: impl FnMut(&Header) -> bool) {
        for shard in self.shards.iter() {
            let tasks = {
                let shard = lock(shard);
                let mut tasks = Vec::new();
                let mut cursor = shard.head;
                while let Some(node) = cursor {
                    // SAFETY: alive while linked, under the lock (invariant
                    // 2); the reference taken keeps it alive after the lock.
                    let task = unsafe { RawTask::from_raw(node) };
                    if pick(task.header()) && task.header().state.ref_inc_if_alive() {
                        tasks.push(task);
                    }
                    cursor = Shard::links(node, |links| links.next);
                }
                tasks
            };
            for task in tasks {
                // Consumes the reference taken above.
                task.shutdown();
            }
        }
    }

    /// The name and spawn location of the live task `id`, if it is still
    /// linked (a walk of one shard: for rare reports, not hot paths).
    pub(crate) fn describe(&self, id: super::Id) -> Option<TaskInfo> {
        let shard = lock(&self.shards[super::id::block_of(id) & self.mask]);
        let mut cursor = shard.head;
        while let Some(node) = cursor {
            // SAFETY: the cell is alive while linked (invariant 2) and we
            // hold the shard's lock; its id, location and name never change.
            let task = unsafe { RawTask::from_raw(node) };
            if task.header().id == id {
                return Some(TaskInfo::of(task.header()));
            }
            cursor = Shard::links(node, |links| links.next);
        }
        None
    }

    /// How many tasks are linked (spawned, not yet freed).
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len).sum()
    }

    /// Calls `f` with every linked task's header, one shard at a time under
    /// its lock: `f` must not block or touch the list (it reads the header's
    /// atomics and immutable fields, which is all a dump needs). Never waits
    /// for a task: a task stuck in a poll is visited like any other.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Header)) {
        for shard in self.shards.iter() {
            let shard = lock(shard);
            let mut cursor = shard.head;
            while let Some(node) = cursor {
                // SAFETY: the cell is alive while linked (invariant 2) and
                // we hold the shard's lock.
                f(unsafe { RawTask::from_raw(node) }.header());
                cursor = Shard::links(node, |links| links.next);
            }
        }
    }

    /// True if every linked task has completed or is being cancelled
    /// (after a shutdown, the tasks still linked are those a handle or waker
    /// keeps allocated, and those an `abort` on another thread is dropping).
    pub(crate) fn all_complete_or_cancelled(&self) -> bool {
        self.shards.iter().all(|shard| {
            let shard = lock(shard);
            let mut cursor = shard.head;
            while let Some(node) = cursor {
                // SAFETY: alive while linked, under the lock (invariant 2).
                let state = unsafe { RawTask::from_raw(node) }.header().state.load();
                if !state.is_complete() && !state.is_cancelled() {
                    return false;
                }
                cursor = Shard::links(node, |links| links.next);
            }
            true
        })
    }
}

impl Shard {
    fn links<R>(node: NonNull<Header>, f: impl FnOnce(&mut Links) -> R) -> R {
        // SAFETY: `node` is linked in (or being linked into) this shard, whose
        // lock the caller holds, so its links are ours (invariant 1); the cell
        // is alive (invariant 2).
        let header = unsafe { node.as_ref() };
        // SAFETY: as above: the shard lock makes this access exclusive.
        header.links.with_mut(|ptr| f(unsafe { &mut *ptr }))
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

    fn remove(&mut self, node: NonNull<Header>) {
        let (prev, next) = Shard::links(node, |links| (links.prev, links.next));
        if prev.is_none() && self.head != Some(node) {
            // Never linked: its spawn found the list closed.
            return;
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
    }

    /// A counted reference to every task whose count has not reached zero.
    fn upgrade_all(&self) -> Vec<RawTask> {
        let mut tasks = Vec::with_capacity(self.len);
        let mut cursor = self.head;
        while let Some(node) = cursor {
            // SAFETY: alive while linked, and we hold the lock (invariant
            // 2); the reference taken below keeps it alive after the lock.
            let task = unsafe { RawTask::from_raw(node) };
            if task.header().state.ref_inc_if_alive() {
                tasks.push(task);
            }
            cursor = Shard::links(node, |links| links.next);
        }
        tasks
    }
}
