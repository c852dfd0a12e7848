//! `LocalThread` and `PinnedTask`: how the reports show local tasks (the
//! `!Send` tasks of `task::spawn_local`), which stay on the thread that
//! spawned them.

use crate::task::{Id, LocalOwner, TaskInfo};
use std::fmt;
use std::panic::Location;
use std::thread::ThreadId;

/// The thread a local task (from
/// [`task::spawn_local`](crate::task::spawn_local)) is pinned to: a
/// runtime's worker, or a thread in
/// [`Runtime::block_on`](crate::Runtime::block_on). Shown by the
/// [`TaskDump`](crate::runtime::TaskDump) and counted by the
/// [`RuntimeMetrics`](crate::runtime::RuntimeMetrics).
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
/// rt.block_on(async {
///     let _task = bobbin::task::spawn_local(std::future::pending::<()>());
///     let dump = bobbin::runtime::Handle::current().dump();
///     let thread = dump.tasks()[0].local_thread().unwrap();
///     assert_eq!(thread.id(), std::thread::current().id());
///     assert_eq!(thread.worker(), None, "a block_on thread, not a worker");
///     println!("{thread}");
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalThread {
    id: ThreadId,
    name: Option<String>,
    worker: Option<usize>,
}

impl LocalThread {
    pub(crate) fn of(owner: &LocalOwner) -> LocalThread {
        LocalThread {
            id: owner.thread,
            name: owner.thread_name.clone(),
            worker: owner.worker,
        }
    }

    /// The thread's id.
    ///
    /// # Examples
    /// See [`LocalThread`].
    pub fn id(&self) -> ThreadId {
        self.id
    }

    /// The thread's name, if it has one (workers are named by
    /// [`Builder::thread_name`](crate::runtime::Builder::thread_name)).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// let thread = rt.block_on(rt.spawn(async {
    ///     let _task = bobbin::task::spawn_local(std::future::pending::<()>());
    ///     let dump = bobbin::runtime::Handle::current().dump();
    ///     let local = dump.tasks().iter().find(|task| task.local_thread().is_some()).unwrap();
    ///     local.local_thread().unwrap().clone()
    /// })).unwrap();
    /// assert_eq!(thread.worker(), Some(0));
    /// assert!(thread.name().is_some());
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The worker the thread runs (the index of its core), or `None` for a
    /// thread in `block_on`. A current-thread runtime's `block_on` thread
    /// runs its core, worker 0.
    ///
    /// # Examples
    /// See [`LocalThread::name`].
    pub fn worker(&self) -> Option<usize> {
        self.worker
    }
}

impl fmt::Display for LocalThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(worker) = self.worker {
            write!(f, "worker {worker}, ")?;
        }
        match &self.name {
            Some(name) => write!(f, "thread {name:?}")?,
            None => write!(f, "thread {:?}", self.id)?,
        }
        if self.worker.is_none() {
            f.write_str(" in block_on")?;
        }
        Ok(())
    }
}

/// A local task pinned to a core whose poll ran long: it cannot move to
/// another worker, so it waits for the poll to end. Listed by
/// [`LongPoll::pinned_tasks`](crate::runtime::LongPoll::pinned_tasks).
///
/// # Examples
/// See [`LongPoll::pinned_tasks`](crate::runtime::LongPoll::pinned_tasks).
#[derive(Clone, Debug)]
pub struct PinnedTask {
    pub(crate) info: TaskInfo,
}

impl PinnedTask {
    /// The task's id.
    ///
    /// # Examples
    /// See [`LongPoll::pinned_tasks`](crate::runtime::LongPoll::pinned_tasks).
    pub fn id(&self) -> Id {
        self.info.id
    }

    /// The task's name, if it has one.
    ///
    /// # Examples
    /// See [`LongPoll::pinned_tasks`](crate::runtime::LongPoll::pinned_tasks).
    pub fn name(&self) -> Option<&str> {
        self.info.name.as_deref()
    }

    /// Where it was spawned.
    ///
    /// # Examples
    /// See [`LongPoll::pinned_tasks`](crate::runtime::LongPoll::pinned_tasks).
    pub fn location(&self) -> &'static Location<'static> {
        self.info.location
    }
}

impl fmt::Display for PinnedTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} spawned at {}", self.info, self.info.location)
    }
}
