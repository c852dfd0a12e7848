//! The task dump: every live task of a runtime, like Go's goroutine dump.
//!
//! `Handle::dump` walks the owned-task list (`task/list.rs`) one shard lock
//! at a time and reads each header's state word and `Stats`: atomics and
//! fields that never change, so a task stuck in a poll is listed like any
//! other and the dump never waits for one. Which core runs a task comes
//! from the cores' `(seq, polling_task_id)` words the monitor reads too; times come
//! from the coarse clock (`task/clock.rs`).

use super::{Human, LocalThread};
use crate::task::{Ending, Header, Id, OwnedTasks, StatsSnapshot, TaskInfo, clock};
use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::time::Duration;

/// A snapshot of every live task of a runtime, from
/// [`Handle::dump`](crate::runtime::Handle::dump): every task not finished, and
/// every finished one whose [`JoinHandle`](crate::task::JoinHandle) has
/// not taken the output yet (a forgotten result is a leak too). A task
/// that finished and whose output was taken or dropped is not listed, even
/// while a waker or an `AbortHandle` keeps its memory.
///
/// Its `Display` form reads like Go's goroutine dump, one task per
/// paragraph, idle tasks first and the longest idle on top (a task idle for
/// much longer than the others is the usual sign of a leak):
///
/// ```text
/// task 42 "conn-7" [idle, 3m12s] spawned at src/server.rs:88
///     17 polls, age 3m15s
/// ```
///
/// Times are measured on a coarse clock: they are right to within about
/// the runtime's long-poll threshold (10 ms by default; see
/// [`Builder::long_poll_threshold`](crate::runtime::Builder::long_poll_threshold)).
///
/// # Examples
/// ```
/// use bobbin::runtime::TaskState;
/// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
/// let (tx, rx) = bobbin::channel::bounded::<()>(1);
/// let waiter = bobbin::task::Builder::new()
///     .name("waiter")
///     .spawn_on(async move { rx.recv().await }, &rt.handle());
/// std::thread::sleep(std::time::Duration::from_millis(50));
/// let dump = rt.handle().dump();
/// let task = dump.tasks().iter().find(|task| task.name() == Some("waiter")).unwrap();
/// assert_eq!(task.state(), TaskState::Idle);
/// assert_eq!(task.polls(), 1);
/// println!("{dump}");
/// drop(tx);
/// rt.block_on(waiter).unwrap().unwrap_err();
/// ```
#[derive(Clone, Debug)]
pub struct TaskDump {
    tasks: Vec<TaskSnapshot>,
    num_workers: usize,
}

/// One task in a [`TaskDump`].
///
/// # Examples
/// See [`TaskDump`].
#[derive(Clone, Debug)]
pub struct TaskSnapshot {
    info: TaskInfo,
    state: TaskState,
    blocking: bool,
    local: Option<LocalThread>,
    polls: u32,
    age: Duration,
    since_last_poll: Duration,
}

/// What a task was doing when the dump was taken.
///
/// # Examples
/// See [`TaskDump`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting to be woken (its last poll returned `Pending`).
    Idle,
    /// Woken, and queued to be polled.
    Scheduled,
    /// Inside a poll now: on core `worker` (a worker index below the
    /// worker count, a spare core's above it), or `None` for a blocking
    /// job on a pool thread, or a poll seen just as it began or ended. The
    /// cores are read just before the task list, so a task that moved
    /// meanwhile may show its previous core.
    Running {
        /// The core running the poll, if known.
        worker: Option<usize>,
    },
    /// Returned its output, which its
    /// [`JoinHandle`](crate::task::JoinHandle) has not taken yet.
    Completed,
    /// Panicked; its `JoinHandle` has not taken the panic yet.
    Panicked,
    /// Cancelled (aborted, or its runtime shut down); its `JoinHandle` has
    /// not been told yet.
    Cancelled,
}

impl TaskState {
    /// True for [`TaskState::Running`], on any worker.
    ///
    /// # Examples
    /// ```
    /// use bobbin::runtime::TaskState;
    /// assert!(TaskState::Running { worker: Some(1) }.is_running());
    /// assert!(!TaskState::Idle.is_running());
    /// ```
    pub fn is_running(self) -> bool {
        matches!(self, TaskState::Running { .. })
    }
}

impl TaskDump {
    /// The tasks, in the order of the `Display` form: idle (longest idle
    /// first), scheduled, running (longest poll first), panicked,
    /// completed, cancelled.
    ///
    /// # Examples
    /// See [`TaskDump`].
    pub fn tasks(&self) -> &[TaskSnapshot] {
        &self.tasks
    }

    /// How many tasks are in `state`; `TaskState::Running { .. }` with any
    /// worker counts every running task.
    ///
    /// # Examples
    /// ```
    /// use bobbin::runtime::TaskState;
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let _task = rt.spawn(std::future::pending::<()>());
    /// std::thread::sleep(std::time::Duration::from_millis(50));
    /// assert_eq!(rt.handle().dump().count(TaskState::Idle), 1);
    /// ```
    pub fn count(&self, state: TaskState) -> usize {
        let kind = std::mem::discriminant(&state);
        self.tasks
            .iter()
            .filter(|task| std::mem::discriminant(&task.state) == kind)
            .count()
    }
}

impl TaskSnapshot {
    /// The task's id.
    ///
    /// # Examples
    /// See [`TaskDump`].
    pub fn id(&self) -> Id {
        self.info.id
    }

    /// Its name, if it was spawned with one
    /// ([`task::Builder::name`](crate::task::Builder::name)).
    ///
    /// # Examples
    /// See [`TaskDump`].
    pub fn name(&self) -> Option<&str> {
        self.info.name.as_deref()
    }

    /// Where it was spawned.
    ///
    /// # Examples
    /// See [`TaskDump`].
    pub fn location(&self) -> &'static Location<'static> {
        self.info.location
    }

    /// What it was doing.
    ///
    /// # Examples
    /// See [`TaskDump`].
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// True for a [`spawn_blocking`](crate::spawn_blocking) job.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let job = rt.spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(100)));
    /// std::thread::sleep(std::time::Duration::from_millis(30));
    /// let dump = rt.handle().dump();
    /// assert!(dump.tasks()[0].is_blocking());
    /// rt.block_on(job).unwrap();
    /// ```
    pub fn is_blocking(&self) -> bool {
        self.blocking
    }

    /// For a local task (from [`task::spawn_local`](crate::task::spawn_local)),
    /// the thread it is pinned to; `None` for a task any worker may run.
    ///
    /// # Examples
    /// See [`LocalThread`].
    pub fn local_thread(&self) -> Option<&LocalThread> {
        self.local.as_ref()
    }

    /// How many polls it has begun (saturating at `u32::MAX`).
    ///
    /// # Examples
    /// See [`TaskDump`].
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// How long ago it was spawned.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let _task = rt.spawn(std::future::pending::<()>());
    /// std::thread::sleep(std::time::Duration::from_millis(100));
    /// assert!(rt.handle().dump().tasks()[0].age() >= std::time::Duration::from_millis(50));
    /// ```
    pub fn age(&self) -> Duration {
        self.age
    }

    /// How long ago its last poll began (its spawn, if it was never
    /// polled). For a running task, how long the current poll has lasted.
    ///
    /// # Examples
    /// See [`TaskSnapshot::poll_duration`].
    pub fn since_last_poll(&self) -> Duration {
        self.since_last_poll
    }

    /// For a running task, how long the current poll has lasted.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let task = rt.spawn(async { std::thread::sleep(Duration::from_millis(300)) });
    /// std::thread::sleep(Duration::from_millis(150));
    /// let dump = rt.handle().dump();
    /// assert!(dump.tasks()[0].poll_duration().unwrap() >= Duration::from_millis(100));
    /// rt.block_on(task).unwrap();
    /// ```
    pub fn poll_duration(&self) -> Option<Duration> {
        self.state.is_running().then_some(self.since_last_poll)
    }
}

/// Builds the dump of the tasks in `owned`, of a runtime with
/// `num_workers` workers whose cores are polling the tasks `in_poll`
/// (core index, task id).
pub(crate) fn take(owned: &OwnedTasks, in_poll: Vec<(usize, Id)>, num_workers: usize) -> TaskDump {
    let in_poll: HashMap<Id, usize> = in_poll.into_iter().map(|(core, id)| (id, core)).collect();
    let mut raw = Vec::new();
    owned.for_each(|header| raw.extend(read(header, &in_poll)));
    // Read the clock after the walk: every stamp read above was written
    // before, so none is later than `now` (`task/clock.rs`).
    let now = clock::refresh();
    let mut tasks: Vec<TaskSnapshot> = raw
        .into_iter()
        .map(|(snapshot, stats)| TaskSnapshot {
            age: clock::span(stats.spawned, now),
            since_last_poll: clock::span(stats.last_poll, now),
            ..snapshot
        })
        .collect();
    tasks.sort_by(|a, b| {
        rank(a.state)
            .cmp(&rank(b.state))
            .then(b.since_last_poll.cmp(&a.since_last_poll))
            .then(b.age.cmp(&a.age))
            .then(a.info.id.cmp(&b.info.id))
    });
    TaskDump { tasks, num_workers }
}

/// One header's snapshot, its times still raw ticks; `None` for a task
/// that is over for everyone: finished, and its output taken or dropped
/// (its cell only kept by a waker or an `AbortHandle`).
fn read(header: &Header, in_poll: &HashMap<Id, usize>) -> Option<(TaskSnapshot, StatsSnapshot)> {
    let stats = header.stats.snapshot();
    // Acquire (in `load`): a COMPLETE seen here shows the ending stored
    // before it.
    let state = header.state.load();
    let state = if state.is_complete() {
        if !state.is_join_interested() {
            return None;
        }
        match header.stats.ending() {
            Ending::Panicked => TaskState::Panicked,
            Ending::Cancelled => TaskState::Cancelled,
            _ => TaskState::Completed,
        }
    } else if state.is_running() {
        TaskState::Running {
            worker: in_poll.get(&header.id).copied(),
        }
    } else if state.is_notified() {
        TaskState::Scheduled
    } else {
        TaskState::Idle
    };
    let snapshot = TaskSnapshot {
        info: TaskInfo::of(header),
        state,
        blocking: header.stats.blocking,
        local: header.local_owner().map(LocalThread::of),
        polls: stats.polls,
        age: Duration::ZERO,
        since_last_poll: Duration::ZERO,
    };
    Some((snapshot, stats))
}

fn rank(state: TaskState) -> u8 {
    match state {
        TaskState::Idle => 0,
        TaskState::Scheduled => 1,
        TaskState::Running { .. } => 2,
        TaskState::Panicked => 3,
        TaskState::Completed => 4,
        TaskState::Cancelled => 5,
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskState::Idle => f.write_str("idle"),
            TaskState::Scheduled => f.write_str("scheduled"),
            TaskState::Running { worker: Some(core) } => write!(f, "running on worker {core}"),
            TaskState::Running { worker: None } => f.write_str("running"),
            TaskState::Completed => f.write_str("completed, not joined"),
            TaskState::Panicked => f.write_str("panicked, not joined"),
            TaskState::Cancelled => f.write_str("cancelled, not joined"),
        }
    }
}

impl fmt::Display for TaskSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.info)?;
        let since = Human(self.since_last_poll);
        match self.state {
            TaskState::Running { .. } if self.blocking => {
                write!(f, " [blocking job running, for {since}]")?
            }
            TaskState::Running { .. } => write!(f, " [{}, in a poll for {since}]", self.state)?,
            _ if self.blocking => write!(f, " [blocking job {}, {since}]", self.state)?,
            _ => write!(f, " [{}, {since}]", self.state)?,
        }
        write!(f, " spawned at {}", self.info.location)?;
        let polls = if self.polls == 1 { "poll" } else { "polls" };
        write!(f, "\n    {} {polls}, age {}", self.polls, Human(self.age))?;
        if let Some(thread) = &self.local {
            write!(f, ", local to {thread}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bobbin task dump: {} tasks ({} idle, {} scheduled, {} running, {} completed, \
             {} panicked, {} cancelled) on {} workers",
            self.tasks.len(),
            self.count(TaskState::Idle),
            self.count(TaskState::Scheduled),
            self.count(TaskState::Running { worker: None }),
            self.count(TaskState::Completed),
            self.count(TaskState::Panicked),
            self.count(TaskState::Cancelled),
            self.num_workers,
        )?;
        for task in &self.tasks {
            write!(f, "\n\n{task}")?;
        }
        Ok(())
    }
}
