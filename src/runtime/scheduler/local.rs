//! Local tasks: `!Send` futures pinned to the thread that spawned them.
//!
//! A thread that runs a runtime's core (a worker, or the `block_on` thread
//! of a current-thread runtime) gets a `LocalQueue` at its first
//! `spawn_local`; so does a thread in a multi-threaded runtime's
//! `block_on`, whose poll loop runs the queue between polls of its future
//! (`run_ready`) and cancels what is left when it returns (`cancel_all`).
//! Local tasks are made by `task::new_local_task` with a `LocalScheduler`
//! (one `Arc` to the queue, so a local task's cell is the size of any
//! other): a wake from any thread pushes the task into the queue and wakes
//! the thread (its core's parker, or its `block_on` waker); only that
//! thread takes tasks out, and no thief ever looks at the queue.
//!
//! A cancel on another thread (an `abort`, another worker's shutdown
//! sweep) never drops a local future there: `shutdown_here` is false off
//! the owner thread, so the task core marks the task and schedules it, and
//! the owner drops the future when it runs it. The owner's own shutdown
//! sweep cancels its local tasks on its thread.
//!
//! The queues are std `Arc`s (a `Weak` registry per thread, and one per
//! runtime for the reports), not loom's: they are not part of the loom
//! models.
//!
//! Invariants: a `LocalQueue` is only drained (tasks run) by its owner
//! thread; its tasks were all made by `new_local_task` on that thread; its
//! `own` side is touched only on the owner thread (`LocalQueue::mine`
//! checks), so pushes from the owner (spawns, its own wakes and yields)
//! take no lock and no atomic; pushes from other threads go through the
//! mutex of `ready`, and the owner moves them over in a batch.

use super::Shared;
use crate::loom::Arc;
use crate::task::park::ThreadWaker;
use crate::task::{Header, LocalOwner, Notified, Schedule};
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

// SAFETY: `own`, the one field that is not `Sync`, is touched only on the
// owner thread (`LocalQueue::mine` asserts it); the rest is atomics and a
// mutex.
unsafe impl Sync for LocalQueue {}

/// The buffer a queue keeps once it empties; more is released.
const RETAINED_CAPACITY: usize = 1024;

/// One thread's local tasks that are ready to run.
pub(crate) struct LocalQueue {
    /// The owner thread, as reports show it (`info.thread` is its id).
    info: LocalOwner,
    shared: Arc<Shared>,
    /// What a wake from another thread wakes.
    home: Home,
    /// Tasks pushed from other threads that wait in `ready` (read without
    /// the lock).
    len: AtomicUsize,
    /// The owner thread's side: tasks it queued itself (a spawn, a wake or
    /// yield from one of its polls), and the ones moved over from `ready`.
    /// No lock: only the owner touches it (`mine`).
    own: std::cell::UnsafeCell<Own>,
    /// Local tasks spawned and not yet freed (metrics, reports, and
    /// whether a `block_on`'s end has anything to cancel).
    alive: AtomicUsize,
    ready: Mutex<Ready>,
}

/// Where the owner thread waits for work.
enum Home {
    /// A worker (or a current-thread runtime's `block_on`) running core
    /// `index`: its parker.
    Core(usize),
    /// A thread in a multi-threaded runtime's `Runtime::block_on`: its
    /// waker, which makes the loop poll again and run the queue.
    BlockOn(std::sync::Arc<ThreadWaker>),
}

/// The owner's side of a queue.
struct Own {
    tasks: VecDeque<Notified>,
    /// Set with `Ready::closed`, by the owner.
    closed: bool,
}

/// The side other threads push into.
struct Ready {
    tasks: VecDeque<Notified>,
    /// Set by the owner's shutdown: nothing runs the queue any more, so a
    /// task pushed later (a cancel from another worker's sweep, racing the
    /// owner's) is dropped at once instead of kept, with the queue, by its
    /// own scheduler (a cycle that would keep the runtime alive). Dropping
    /// such a notification frees at most a completed cell: the owner's
    /// sweep has cancelled every local task.
    closed: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LocalQueue {
    /// A queue for this thread, registered with `shared`'s runtime.
    fn new(shared: Arc<Shared>, home: Home) -> std::sync::Arc<LocalQueue> {
        let queue = std::sync::Arc::new(LocalQueue {
            info: LocalOwner {
                thread: thread_mark().expect("a thread that spawns is alive"),
                thread_name: std::thread::current().name().map(str::to_owned),
                worker: match home {
                    Home::Core(index) => Some(index),
                    Home::BlockOn(_) => None,
                },
            },
            shared,
            home,
            len: AtomicUsize::new(0),
            own: std::cell::UnsafeCell::new(Own {
                tasks: VecDeque::new(),
                closed: false,
            }),
            alive: AtomicUsize::new(0),
            ready: Mutex::new(Ready {
                tasks: VecDeque::new(),
                closed: false,
            }),
        });
        if let Home::Core(_) = queue.home {
            // Found again by the thread's next turn at a current-thread
            // runtime's core (`thread_queue`).
            let _ = THREAD_QUEUES
                .try_with(|queues| queues.borrow_mut().push(std::sync::Arc::downgrade(&queue)));
        }
        let mut registry = lock(&queue.shared.local_queues);
        registry.retain(|queue| queue.strong_count() > 0);
        registry.push(std::sync::Arc::downgrade(&queue));
        drop(registry);
        queue
    }

    /// True if this is the owner thread.
    pub(super) fn is_owner(&self) -> bool {
        thread_mark() == Some(self.info.thread)
    }

    /// The owner thread, as reports show it.
    pub(crate) fn owner(&self) -> &LocalOwner {
        &self.info
    }

    /// Local tasks of this thread spawned and not yet freed.
    pub(crate) fn alive(&self) -> usize {
        self.alive.load(Relaxed)
    }

    /// The owner's side. Panics off the owner thread.
    #[allow(clippy::mut_from_ref, reason = "owner-thread only, checked here")]
    fn mine(&self) -> &mut Own {
        assert!(
            self.is_owner(),
            "a local queue's own side is touched by its owner thread only"
        );
        // SAFETY: only the owner thread gets here (checked above), and no
        // caller holds the reference across a call that could come back
        // here (each use below is one push, pop or drain, with no user
        // code run meanwhile), so this is the only reference.
        unsafe { &mut *self.own.get() }
    }

    /// True if tasks are ready (owner thread only).
    pub(super) fn has_tasks(&self) -> bool {
        !self.mine().tasks.is_empty() || self.len.load(Acquire) > 0
    }

    /// The next ready task (owner thread only). Tasks pushed from other
    /// threads are moved to the owner's side in one batch, behind the ones
    /// already there (first in, first out across both).
    pub(super) fn pop(&self) -> Option<Notified> {
        if self.len.load(Acquire) > 0 {
            self.take_remote();
        }
        let own = self.mine();
        let task = own.tasks.pop_front();
        if own.tasks.is_empty() && own.tasks.capacity() > RETAINED_CAPACITY {
            // A burst (a million spawns at once) does not keep its buffer:
            // eight bytes a task, as the injector does.
            own.tasks.shrink_to(RETAINED_CAPACITY);
        }
        task
    }

    /// Moves the tasks other threads pushed to the owner's side.
    fn take_remote(&self) {
        let moved = {
            let mut ready = lock(&self.ready);
            self.len.store(0, Release);
            let moved = ready.tasks.len();
            self.mine().tasks.extend(ready.tasks.drain(..));
            if ready.tasks.capacity() > RETAINED_CAPACITY {
                ready.tasks.shrink_to(RETAINED_CAPACITY);
            }
            moved
        };
        self.shared.local_ready.fetch_sub(moved, Release);
    }

    /// Queues a ready task and wakes the owner.
    fn push(&self, task: Notified) {
        if self.is_owner() {
            // From a poll or the driver on the owner thread, whose loop
            // looks at the queue before it parks: no wake, no count for the
            // quiet check (the owner is awake).
            let own = self.mine();
            if !own.closed {
                own.tasks.push_back(task);
            }
            return;
        }
        {
            let mut ready = lock(&self.ready);
            if ready.closed {
                drop(ready);
                drop(task);
                return;
            }
            // Counted before it is visible: the runtime's quiet check
            // (`quiet.rs`) sees queued local work.
            self.shared.local_ready.fetch_add(1, Release);
            ready.tasks.push_back(task);
            self.len.store(ready.tasks.len(), Release);
        }
        // From another thread the owner may be parked: wake it.
        match &self.home {
            Home::Core(index) => self.shared.remotes[*index].unparker.unpark(),
            Home::BlockOn(waker) => std::task::Wake::wake_by_ref(waker),
        }
    }

    /// A `block_on` loop's turn (owner thread only): runs up to `max`
    /// ready tasks; true if more are ready.
    pub(crate) fn run_ready(&self, max: usize) -> bool {
        for _ in 0..max {
            let Some(task) = self.pop() else {
                return false;
            };
            task.run();
        }
        self.has_tasks()
    }

    /// The end of the `block_on` that owns this queue (owner thread only):
    /// cancels its local tasks here, then closes the queue.
    pub(crate) fn cancel_all(&self) {
        if self.alive() > 0 {
            self.shared.owned.shutdown_where(|task| {
                task.local_owner()
                    .is_some_and(|owner| std::ptr::eq(owner, &self.info))
            });
        }
        self.close();
    }

    /// The owner's shutdown: drops every queued notification (the tasks
    /// themselves were cancelled by its sweep) and refuses later ones.
    pub(super) fn close(&self) {
        let drained: Vec<Notified> = {
            let mut ready = lock(&self.ready);
            ready.closed = true;
            self.len.store(0, Release);
            ready.tasks.drain(..).collect()
        };
        self.shared.local_ready.fetch_sub(drained.len(), Release);
        drop(drained);
        let own: VecDeque<Notified> = {
            let own = self.mine();
            own.closed = true;
            std::mem::take(&mut own.tasks)
        };
        // Dropped with the reference to the owner's side released: a
        // notification's drop may free a cell whose scheduler is this queue.
        drop(own);
    }
}

/// The scheduler of a local task: its owner's queue.
#[derive(Clone)]
pub(crate) struct LocalScheduler(pub(super) std::sync::Arc<LocalQueue>);

impl Schedule for LocalScheduler {
    fn schedule(&self, task: Notified) {
        self.0.push(task);
    }

    fn yield_now(&self, task: Notified) {
        self.0.push(task);
    }

    fn release(&self, task: &Header) {
        self.0.alive.fetch_sub(1, Relaxed);
        self.0.shared.owned.remove(task);
    }

    fn shutdown_here(&self) -> bool {
        self.0.is_owner()
    }

    fn local_owner(&self) -> Option<&LocalOwner> {
        Some(&self.0.info)
    }

    fn unhandled_panic(&self, task: &Header, payload: Box<dyn std::any::Any + Send + 'static>) {
        if self.0.shared.panics.unhandled(task, payload) {
            self.0.shared.begin_shutdown();
        }
    }
}

thread_local! {
    /// This thread's id, kept: `thread::current()` clones an `Arc` each
    /// time, and panics while the thread's locals are torn down.
    static THREAD_ID: std::cell::Cell<Option<ThreadId>> = const { std::cell::Cell::new(None) };
}

/// This thread's id (never reused); `None` while its locals are torn down.
fn thread_mark() -> Option<ThreadId> {
    THREAD_ID
        .try_with(|id| {
            id.get().unwrap_or_else(|| {
                let current = std::thread::current().id();
                id.set(Some(current));
                current
            })
        })
        .ok()
}

thread_local! {
    /// This thread's local queues, one per runtime (weak: the tasks and
    /// the running core hold them).
    static THREAD_QUEUES: std::cell::RefCell<Vec<std::sync::Weak<LocalQueue>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// This thread's local queue for `shared`'s runtime, if it has one.
pub(super) fn thread_queue(shared: &Arc<Shared>) -> Option<std::sync::Arc<LocalQueue>> {
    THREAD_QUEUES
        .try_with(|queues| {
            let mut queues = queues.borrow_mut();
            queues.retain(|queue| queue.strong_count() > 0);
            queues
                .iter()
                .filter_map(std::sync::Weak::upgrade)
                .find(|queue| Arc::ptr_eq(&queue.shared, shared))
        })
        .ok()
        .flatten()
}

/// Why `spawn_local` could not place a future on this thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The thread runs no core of any runtime.
    NoCore,
    /// A spare core (a pool thread standing in for a blocked worker).
    Spare,
}

/// A future `spawn_local` gave back, with its name and why.
pub(crate) struct Refused<F> {
    pub(crate) future: F,
    pub(crate) name: Option<Box<str>>,
    pub(crate) why: Refusal,
}

/// Spawns the `!Send` `future` on this thread, which must run a core of
/// a runtime (a worker, or a current-thread runtime's `block_on`); gives
/// the future back elsewhere.
pub(crate) fn spawn_local<F>(
    future: F,
    name: Option<Box<str>>,
    location: &'static std::panic::Location<'static>,
) -> Result<crate::task::JoinHandle<F::Output>, Refused<F>>
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    let refuse = |future, name, why| Err(Refused { future, name, why });
    let Some(cx) = super::worker::WORKER
        .try_with(|worker| worker.borrow().clone())
        .ok()
        .flatten()
    else {
        return refuse(future, name, Refusal::NoCore);
    };
    let Some((index, is_spare)) = cx
        .core
        .borrow()
        .as_ref()
        .map(|core| (core.index, core.is_spare))
    else {
        // Between polls (a driver's wake, a shutdown sweep): no task runs.
        return refuse(future, name, Refusal::NoCore);
    };
    if is_spare {
        // A spare core runs on a pool thread only while a worker is
        // blocked: its local tasks would be stranded when it retires.
        return refuse(future, name, Refusal::Spare);
    }
    let queue = cx
        .local
        .borrow_mut()
        .get_or_insert_with(|| LocalQueue::new(cx.shared.clone(), Home::Core(index)))
        .clone();
    Ok(spawn_on(&queue, future, name, location))
}

/// A queue for this thread's `Runtime::block_on` on `shared`'s runtime
/// (multi-threaded): wakes of its tasks wake `waker`, the loop's.
pub(crate) fn block_on_queue(
    shared: &Arc<Shared>,
    waker: std::sync::Arc<ThreadWaker>,
) -> std::sync::Arc<LocalQueue> {
    LocalQueue::new(shared.clone(), Home::BlockOn(waker))
}

/// Spawns the `!Send` `future` as a local task of `queue`, whose owner
/// must be this thread.
pub(crate) fn spawn_on<F>(
    queue: &std::sync::Arc<LocalQueue>,
    future: F,
    name: Option<Box<str>>,
    location: &'static std::panic::Location<'static>,
) -> crate::task::JoinHandle<F::Output>
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    assert!(
        queue.is_owner(),
        "a local task is spawned by its own thread"
    );
    let meta = crate::task::Meta {
        id: crate::task::Id::next(),
        location,
        name,
        blocking: false,
    };
    // SAFETY: `LocalScheduler` runs the task only on this thread (its queue
    // is drained only by its owner, checked above: a worker's
    // `next_local`, or its `block_on` loop's `run_ready`) and says
    // `shutdown_here` false on every other thread.
    let (task, join) =
        unsafe { crate::task::new_local_task(future, LocalScheduler(queue.clone()), meta) };
    queue.alive.fetch_add(1, Relaxed);
    if !queue.shared.owned.bind(&task) {
        // Shut down: cancelled here, on its own thread.
        task.cancel();
        return join;
    }
    queue.push(task);
    join
}

/// The local tasks pinned to core `index` that have not finished (a
/// long-poll report): a walk of the task list, only if that core's thread
/// has local tasks alive.
pub(crate) fn pinned_to(shared: &Shared, index: usize) -> Vec<crate::task::TaskInfo> {
    let queues: Vec<_> = queues_of(shared)
        .into_iter()
        .filter(|queue| queue.info.worker == Some(index) && queue.alive() > 0)
        .collect();
    let mut pinned = Vec::new();
    if queues.is_empty() {
        return pinned;
    }
    shared.owned.for_each(|task| {
        let mine = task.local_owner().is_some_and(|owner| {
            queues
                .iter()
                .any(|queue| std::ptr::eq(owner, queue.owner()))
        });
        if mine && !task.state.load().is_complete() {
            pinned.push(crate::task::TaskInfo::of(task));
        }
    });
    pinned.sort_by_key(|info| info.id);
    pinned
}

/// The local queues of `shared`'s runtime that are still alive (metrics
/// and reports).
pub(crate) fn queues_of(shared: &Shared) -> Vec<std::sync::Arc<LocalQueue>> {
    lock(&shared.local_queues)
        .iter()
        .filter_map(std::sync::Weak::upgrade)
        .collect()
}
