//! What a runtime reports about itself: long polls found by the monitor,
//! blocking-pool threads, and what a shutdown left running.

use crate::task::Id;
use crate::task::list::TaskInfo;
use std::fmt;
use std::panic::Location;
use std::time::Duration;

/// A poll that ran past the runtime's long-poll threshold, as the monitor
/// saw it: the task, the core it blocked, and how long the poll had lasted
/// (at least) when last seen.
///
/// Passed to [`Builder::on_long_poll`](super::Builder::on_long_poll) when
/// the poll crosses the threshold, and kept among
/// [`RuntimeMetrics::recent_long_polls`] (with its duration raised while the
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
            " blocked core {} in one poll for {:?} or more",
            self.worker, self.duration
        )
    }
}

/// A snapshot of a runtime's counters, from
/// [`Handle::metrics`](super::Handle::metrics).
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
/// let metrics = rt.handle().metrics();
/// assert_eq!(metrics.num_workers(), 2);
/// assert_eq!(metrics.long_polls(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    pub(crate) num_workers: usize,
    pub(crate) long_polls: u64,
    pub(crate) recent_long_polls: Vec<LongPoll>,
    pub(crate) blocking_threads: usize,
    pub(crate) idle_blocking_threads: usize,
    pub(crate) blocking_queue_depth: usize,
    pub(crate) active_spares: usize,
}

impl RuntimeMetrics {
    /// The number of worker threads.
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn num_workers(&self) -> usize {
        self.num_workers
    }

    /// How many polls have run past the long-poll threshold.
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn long_polls(&self) -> u64 {
        self.long_polls
    }

    /// The most recent long polls (up to 16), oldest first.
    ///
    /// # Examples
    /// See [`LongPoll`].
    pub fn recent_long_polls(&self) -> &[LongPoll] {
        &self.recent_long_polls
    }

    /// Threads in the blocking pool, busy or idle.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// assert!(rt.handle().metrics().blocking_threads() >= 1);
    /// ```
    pub fn blocking_threads(&self) -> usize {
        self.blocking_threads
    }

    /// Blocking-pool threads waiting for a job.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// let metrics = rt.handle().metrics();
    /// assert!(metrics.idle_blocking_threads() <= metrics.blocking_threads());
    /// ```
    pub fn idle_blocking_threads(&self) -> usize {
        self.idle_blocking_threads
    }

    /// Blocking jobs queued that no thread has taken yet.
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn blocking_queue_depth(&self) -> usize {
        self.blocking_queue_depth
    }

    /// Spare cores running now in place of blocked workers (from
    /// [`block_in_place`](crate::task::block_in_place) or a long poll).
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn active_spares(&self) -> usize {
        self.active_spares
    }
}

/// What a [`Runtime::shutdown_timeout`](super::Runtime::shutdown_timeout)
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
    pub(crate) id: Id,
    pub(crate) name: Option<String>,
    pub(crate) location: &'static Location<'static>,
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
        Unfinished {
            id: info.id,
            name: info.name,
            location: info.location,
            blocking,
        }
    }

    /// The task's id.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn id(&self) -> Id {
        self.id
    }

    /// The task's name, if it has one.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where it was spawned.
    ///
    /// # Examples
    /// See [`ShutdownReport`].
    pub fn location(&self) -> &'static Location<'static> {
        self.location
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
        write!(f, "{kind} {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " spawned at {}", self.location)
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
