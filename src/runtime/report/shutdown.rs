//! `ShutdownReport`: what a shutdown with a deadline left running.

use crate::task::{Id, TaskInfo};
use std::fmt;
use std::panic::Location;

/// What a [`Runtime::shutdown_timeout`](crate::runtime::Runtime::shutdown_timeout)
/// left running when its time was up: blocking jobs still in their closure,
/// and tasks still inside one poll. Their threads are left to finish on
/// their own.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let rt = bobbin::Runtime::new().unwrap();
/// let _job = rt.spawn_blocking(|| std::thread::sleep(Duration::from_millis(300)));
/// std::thread::sleep(Duration::from_millis(50)); // let it start
/// let report = rt.shutdown_timeout(Duration::from_millis(10));
/// assert_eq!(report.unfinished().len(), 1);
/// assert!(report.to_string().contains("blocking job"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ShutdownReport {
    pub(crate) unfinished: Vec<Unfinished>,
}

/// One thing a shutdown did not wait for (see [`ShutdownReport`]).
///
/// # Examples
/// See [`ShutdownReport`].
#[derive(Clone, Debug)]
pub struct Unfinished {
    pub(crate) info: TaskInfo,
    pub(crate) blocking: bool,
}

impl Unfinished {
    /// A blocking job still in its closure.
    pub(crate) fn blocking(info: TaskInfo) -> Unfinished {
        Unfinished::new(info, true)
    }

    /// A task still in a poll.
    pub(crate) fn in_poll(info: TaskInfo) -> Unfinished {
        Unfinished::new(info, false)
    }

    fn new(info: TaskInfo, blocking: bool) -> Unfinished {
        Unfinished { info, blocking }
    }

    /// The task's id.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn id(&self) -> Id {
        self.info.id
    }

    /// The task's name, if it has one.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn name(&self) -> Option<&str> {
        self.info.name.as_deref()
    }

    /// Where it was spawned.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn location(&self) -> &'static Location<'static> {
        self.info.location
    }

    /// True for a `spawn_blocking` job, false for a task stuck in a poll.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn is_blocking(&self) -> bool {
        self.blocking
    }
}

impl fmt::Display for Unfinished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.blocking {
            "blocking job"
        } else {
            "task in a poll"
        };
        write!(f, "{kind} {} spawned at {}", self.info, self.info.location)
    }
}

impl ShutdownReport {
    /// What was still running, blocking jobs first.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn unfinished(&self) -> &[Unfinished] {
        &self.unfinished
    }

    /// True if everything finished in time.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// assert!(rt.shutdown_timeout(std::time::Duration::from_secs(1)).is_clean());
    /// ```
    pub fn is_clean(&self) -> bool {
        self.unfinished.is_empty()
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unfinished.is_empty() {
            return f.write_str("everything finished");
        }
        write!(f, "{} still running:", self.unfinished.len())?;
        for unfinished in &self.unfinished {
            write!(f, "\n  {unfinished}")?;
        }
        Ok(())
    }
}
