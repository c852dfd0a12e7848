//! `LongPoll`: a poll the monitor saw run past the long-poll threshold
//! (`scheduler/monitor.rs` finds them; the metrics keep the recent ones).

use super::{Human, PinnedTask};
use crate::task::Id;
use std::fmt;
use std::panic::Location;
use std::time::Duration;

/// How many pinned tasks the `Display` form names (all are in
/// `pinned_tasks`).
const SHOWN_PINNED: usize = 10;

/// A poll that ran past the runtime's long-poll threshold, as the monitor
/// saw it: the task, the core it blocked, and how long the poll had lasted
/// (at least) when last seen.
///
/// Passed to [`Builder::on_long_poll`](crate::runtime::Builder::on_long_poll) when
/// the poll crosses the threshold, and kept among
/// [`RuntimeMetrics::recent_long_polls`](crate::runtime::RuntimeMetrics::recent_long_polls) (with its duration raised while the
/// poll goes on).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let rt = bobbin::Runtime::builder()
///     .worker_threads(2)
///     .long_poll_threshold(Duration::from_millis(20))
///     .build()
///     .unwrap();
/// rt.block_on(async {
///     let task = bobbin::task::Builder::new()
///         .name("cruncher")
///         .spawn(async { std::thread::sleep(Duration::from_millis(200)) });
///     task.await.unwrap();
/// });
/// let metrics = rt.handle().metrics();
/// let long_poll = &metrics.recent_long_polls()[0];
/// assert_eq!(long_poll.name(), Some("cruncher"));
/// assert!(long_poll.duration() >= Duration::from_millis(20));
/// println!("{long_poll}");
/// ```
#[derive(Clone, Debug)]
pub struct LongPoll {
    pub(crate) id: Option<Id>,
    pub(crate) name: Option<String>,
    pub(crate) location: Option<&'static Location<'static>>,
    pub(crate) worker: usize,
    pub(crate) duration: Duration,
    /// The local tasks pinned to the blocked core (they cannot move).
    pub(crate) pinned: Vec<PinnedTask>,
    /// Tells apart the entries of the recent list.
    pub(crate) serial: u64,
}

impl LongPoll {
    /// The task's id (`None` only if the task was freed before the report).
    ///
    /// # Examples
    /// See [`LongPoll`].
    pub fn id(&self) -> Option<Id> {
        self.id
    }

    /// The task's name, if it was spawned with one
    /// ([`task::Builder::name`](crate::task::Builder::name)).
    ///
    /// # Examples
    /// See [`LongPoll`].
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the task was spawned.
    ///
    /// # Examples
    /// See [`LongPoll`].
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }

    /// The core the poll blocked: a worker index below the worker count, a
    /// spare core's index above it.
    ///
    /// # Examples
    /// See [`LongPoll`].
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// How long the poll had lasted, at least, when the monitor last saw it.
    ///
    /// # Examples
    /// See [`LongPoll`].
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The local tasks (from [`task::spawn_local`](crate::task::spawn_local))
    /// pinned to the blocked core when the poll was reported: unlike the
    /// core's other tasks, which the monitor hands to another worker, they
    /// cannot move, and wait for the poll to end.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::builder()
    ///     .worker_threads(2)
    ///     .long_poll_threshold(Duration::from_millis(20))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn(async {
    ///     let _ui = bobbin::task::Builder::new()
    ///         .name("ui")
    ///         .spawn_local(std::future::pending::<()>());
    ///     std::thread::sleep(Duration::from_millis(200));
    /// }))
    /// .unwrap();
    /// let metrics = rt.handle().metrics();
    /// let long_poll = &metrics.recent_long_polls()[0];
    /// assert_eq!(long_poll.pinned_tasks()[0].name(), Some("ui"));
    /// assert!(long_poll.to_string().contains("\"ui\""));
    /// ```
    pub fn pinned_tasks(&self) -> &[PinnedTask] {
        &self.pinned
    }
}

impl fmt::Display for LongPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "task {id}")?,
            None => f.write_str("a task")?,
        }
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        if let Some(location) = self.location {
            write!(f, " spawned at {location}")?;
        }
        write!(
            f,
            " blocked core {} in one poll for {} or more",
            self.worker,
            Human(self.duration)
        )?;
        if !self.pinned.is_empty() {
            let tasks = if self.pinned.len() == 1 {
                "task"
            } else {
                "tasks"
            };
            write!(
                f,
                "; {} local {tasks} pinned to it cannot move and wait:",
                self.pinned.len()
            )?;
            for task in self.pinned.iter().take(SHOWN_PINNED) {
                write!(f, "\n    {task}")?;
            }
            if self.pinned.len() > SHOWN_PINNED {
                write!(f, "\n    and {} more", self.pinned.len() - SHOWN_PINNED)?;
            }
        }
        Ok(())
    }
}
