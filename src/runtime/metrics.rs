//! The counters a runtime keeps about itself (`Handle::metrics`): each
//! worker's (`WorkerCounts`, counted by its core in `scheduler/stats.rs`),
//! the injector's, the blocking pool's, the driver's, and the long polls
//! the monitor found.

use super::report::{LocalThread, LongPoll};
use std::fmt;

/// A snapshot of a runtime's counters, from
/// [`Handle::metrics`](super::Handle::metrics).
///
/// Counts are totals since the runtime started; depths and thread counts
/// are what they were when the snapshot was taken. Reading them costs the
/// runtime nothing it would notice: each worker counts in plain integers
/// of its own and publishes them every few dozen turns of its loop (a turn
/// runs up to four polls) and whenever it goes idle, so a snapshot of a
/// busy worker's counters (polls, spawns, completions, LIFO hits, steals,
/// parks) lags by a few hundred polls at most, and is exact once the
/// worker is idle.
/// The other figures are read live, each on its own, so figures read at
/// different moments may disagree a little (a completion counted before
/// the spawn that preceded it is published). The `Display` form is a short
/// report for people, with one line per worker.
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
/// rt.block_on(async {
///     let tasks: Vec<_> = (0..100).map(|i| bobbin::spawn(async move { i })).collect();
///     for task in tasks {
///         task.await.unwrap();
///     }
/// });
/// // The workers publish their counters when they go idle, just after.
/// let mut metrics = rt.handle().metrics();
/// for _ in 0..1000 {
///     if metrics.tasks_completed() == 100 {
///         break;
///     }
///     std::thread::sleep(std::time::Duration::from_millis(1));
///     metrics = rt.handle().metrics();
/// }
/// assert_eq!(metrics.num_workers(), 2);
/// assert_eq!(metrics.tasks_spawned(), 100);
/// assert_eq!(metrics.tasks_completed(), 100);
/// assert_eq!(metrics.long_polls(), 0);
/// println!("{metrics}");
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    pub(crate) num_workers: usize,
    pub(crate) workers: Vec<WorkerMetrics>,
    /// The spare cores' counters, summed.
    pub(crate) spares: WorkerMetrics,
    pub(crate) active_spares: usize,
    pub(crate) tasks_alive: usize,
    pub(crate) remote_spawns: u64,
    pub(crate) remote_schedules: u64,
    pub(crate) injector_depth: usize,
    pub(crate) long_polls: u64,
    pub(crate) recent_long_polls: Vec<LongPoll>,
    pub(crate) blocking_threads: usize,
    pub(crate) idle_blocking_threads: usize,
    pub(crate) blocking_queue_depth: usize,
    pub(crate) blocking_jobs_spawned: u64,
    pub(crate) blocking_jobs_completed: u64,
    pub(crate) io_sources: usize,
    pub(crate) io_events: u64,
    pub(crate) timers_pending: usize,
    /// Each thread holding local tasks, with how many are alive.
    pub(crate) local_threads: Vec<(LocalThread, usize)>,
}

/// One worker's counters in a [`RuntimeMetrics`] snapshot.
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
/// rt.block_on(rt.spawn(async {})).unwrap();
/// // Published when the worker goes idle, or within a few dozen turns of its loop.
/// std::thread::sleep(std::time::Duration::from_millis(100));
/// let metrics = rt.handle().metrics();
/// let polls: u64 = metrics.workers().iter().map(|worker| worker.polls()).sum();
/// assert_eq!(polls, metrics.polls());
/// assert_eq!(polls, 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct WorkerMetrics {
    /// The counters the worker publishes (`scheduler/stats.rs`).
    pub(crate) counts: WorkerCounts,
    pub(crate) overflows: u64,
    pub(crate) queue_depth: usize,
    /// Local tasks pinned to it, alive.
    pub(crate) local_tasks: usize,
}

impl WorkerMetrics {
    /// Task polls it ran.
    ///
    /// # Examples
    /// See [`WorkerMetrics`].
    pub fn polls(&self) -> u64 {
        self.counts.polls
    }

    /// Tasks spawned by tasks running on it.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::tasks_spawned`].
    pub fn spawned(&self) -> u64 {
        self.counts.spawned
    }

    /// Tasks that completed in a poll on it.
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn completed(&self) -> u64 {
        self.counts.completed
    }

    /// Tasks it took from its LIFO slot (a task woken by the task it had
    /// just polled, run next while its data is hot in cache).
    ///
    /// # Examples
    /// See [`RuntimeMetrics::lifo_hits`].
    pub fn lifo_hits(&self) -> u64 {
        self.counts.lifo_hits
    }

    /// Times it stole work from another worker.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::steals`].
    pub fn steals(&self) -> u64 {
        self.counts.steals
    }

    /// Tasks those steals moved to it.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::steals`].
    pub fn stolen_tasks(&self) -> u64 {
        self.counts.stolen
    }

    /// Times it went to sleep for want of work.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::parks`].
    pub fn parks(&self) -> u64 {
        self.counts.parks
    }

    /// Times it woke up to work.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::parks`].
    pub fn unparks(&self) -> u64 {
        self.counts.unparks
    }

    /// Times its local queue was full and moved half its tasks to the
    /// injector (see [`RuntimeMetrics::overflows`]).
    ///
    /// # Examples
    /// See [`RuntimeMetrics::overflows`].
    pub fn overflows(&self) -> u64 {
        self.overflows
    }

    /// Tasks in its local queue and LIFO slot now.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::local_queue_depth`].
    pub fn queue_depth(&self) -> usize {
        self.queue_depth
    }

    /// Local tasks (from [`task::spawn_local`](crate::task::spawn_local))
    /// pinned to it and alive: spawned and not yet freed.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::local_tasks_alive`].
    pub fn local_tasks(&self) -> usize {
        self.local_tasks
    }

    pub(crate) fn add(&mut self, other: &WorkerMetrics) {
        self.counts.add(&other.counts);
        self.overflows += other.overflows;
        self.queue_depth += other.queue_depth;
    }
}

impl RuntimeMetrics {
    /// The number of worker threads.
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn num_workers(&self) -> usize {
        self.num_workers
    }

    /// Each worker's counters, by worker index. (Spare cores, which stand
    /// in for blocked workers, are in the totals but not in this list.)
    ///
    /// # Examples
    /// See [`WorkerMetrics`].
    pub fn workers(&self) -> &[WorkerMetrics] {
        &self.workers
    }

    fn total(&self, f: impl Fn(&WorkerMetrics) -> u64) -> u64 {
        self.workers.iter().map(&f).sum::<u64>() + f(&self.spares)
    }

    /// Tasks alive: spawned and not yet freed (finished tasks whose
    /// JoinHandle is still held included, blocking jobs too).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// assert_eq!(rt.handle().metrics().tasks_alive(), 1);
    /// drop(rt);
    /// drop(task);
    /// ```
    pub fn tasks_alive(&self) -> usize {
        self.tasks_alive
    }

    /// Local tasks alive (from [`task::spawn_local`](crate::task::spawn_local),
    /// spawned and not yet freed), on every thread; they count in
    /// [`tasks_alive`](RuntimeMetrics::tasks_alive) too.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
    /// let (worker, metrics) = rt.block_on(rt.spawn(async {
    ///     let _pinned = bobbin::task::spawn_local(std::future::pending::<()>());
    ///     let worker = bobbin::runtime::Handle::current().dump().tasks()
    ///         .iter()
    ///         .find_map(|task| task.local_thread()?.worker())
    ///         .unwrap();
    ///     (worker, bobbin::runtime::Handle::current().metrics())
    /// })).unwrap();
    /// assert_eq!(metrics.local_tasks_alive(), 1);
    /// assert_eq!(metrics.workers()[worker].local_tasks(), 1);
    /// assert_eq!(metrics.local_threads()[0].0.worker(), Some(worker));
    /// ```
    pub fn local_tasks_alive(&self) -> usize {
        self.local_threads.iter().map(|(_, alive)| alive).sum()
    }

    /// Each thread that holds local tasks (a worker, a thread in
    /// `block_on`), with how many are alive there.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::local_tasks_alive`].
    pub fn local_threads(&self) -> &[(LocalThread, usize)] {
        &self.local_threads
    }

    /// Tasks spawned (not counting blocking jobs), from tasks and from
    /// outside the runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     // From a task: counted on the worker that ran it.
    ///     bobbin::spawn(async { bobbin::spawn(async {}).await }).await
    /// }).unwrap().unwrap();
    /// let metrics = rt.handle().metrics();
    /// assert_eq!(metrics.remote_spawns(), 1); // the one from block_on, at once
    /// // The worker's own count is published when it goes idle.
    /// let mut metrics = metrics;
    /// for _ in 0..1000 {
    ///     if metrics.tasks_spawned() == 2 {
    ///         break;
    ///     }
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    ///     metrics = rt.handle().metrics();
    /// }
    /// let on_workers: u64 = metrics.workers().iter().map(|w| w.spawned()).sum();
    /// assert_eq!(on_workers, 1);
    /// ```
    pub fn tasks_spawned(&self) -> u64 {
        self.total(|worker| worker.counts.spawned) + self.remote_spawns
    }

    /// Tasks that completed: returned or panicked in a poll (a task
    /// cancelled is not counted).
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn tasks_completed(&self) -> u64 {
        self.total(|worker| worker.counts.completed)
    }

    /// Tasks spawned from outside the runtime's workers (a plain thread,
    /// `block_on`, a blocking job).
    ///
    /// # Examples
    /// See [`RuntimeMetrics::tasks_spawned`].
    pub fn remote_spawns(&self) -> u64 {
        self.remote_spawns
    }

    /// Tasks queued from outside the runtime's workers: remote spawns, and
    /// wakes from threads that are not this runtime's workers (a plain
    /// thread, `block_on`, a blocking job, another runtime).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// assert!(rt.handle().metrics().remote_schedules() >= 1);
    /// ```
    pub fn remote_schedules(&self) -> u64 {
        self.remote_schedules
    }

    /// Task polls, on every worker.
    ///
    /// # Examples
    /// See [`WorkerMetrics`].
    pub fn polls(&self) -> u64 {
        self.total(|worker| worker.counts.polls)
    }

    /// Tasks run from a LIFO slot, on every worker.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn(async {
    ///     // Each message wakes the other task, which runs next from the slot.
    ///     let (tx, rx) = bobbin::channel::bounded::<u32>(0);
    ///     let echo = bobbin::spawn(async move { while rx.recv().await.is_ok() {} });
    ///     for i in 0..100 {
    ///         tx.send(i).await.unwrap();
    ///     }
    ///     drop(tx);
    ///     echo.await.unwrap();
    /// })).unwrap();
    /// // Published when the worker goes idle, just after.
    /// let published = (0..1000).any(|_| {
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    ///     rt.handle().metrics().lifo_hits() > 0
    /// });
    /// assert!(published);
    /// ```
    pub fn lifo_hits(&self) -> u64 {
        self.total(|worker| worker.counts.lifo_hits)
    }

    /// Steals, on every worker: times an idle worker took tasks from a busy
    /// one's queue.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(2).build().unwrap();
    /// rt.block_on(rt.spawn(async {
    ///     // Spawned from a task: they queue on this worker, and the other
    ///     // one steals some while this one is busy.
    ///     let tasks: Vec<_> = (0..64)
    ///         .map(|_| bobbin::spawn(async { std::thread::sleep(std::time::Duration::from_millis(1)) }))
    ///         .collect();
    ///     for task in tasks {
    ///         task.await.unwrap();
    ///     }
    /// })).unwrap();
    /// // Published when the thief goes idle, just after.
    /// let published = (0..1000).any(|_| {
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    ///     rt.handle().metrics().steals() >= 1
    /// });
    /// assert!(published);
    /// let metrics = rt.handle().metrics();
    /// assert!(metrics.stolen_tasks() >= metrics.steals());
    /// ```
    pub fn steals(&self) -> u64 {
        self.total(|worker| worker.counts.steals)
    }

    /// Tasks moved by steals.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::steals`].
    pub fn stolen_tasks(&self) -> u64 {
        self.total(|worker| worker.counts.stolen)
    }

    /// Times a worker went to sleep.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// rt.block_on(async { bobbin::time::sleep(std::time::Duration::from_millis(20)).await });
    /// std::thread::sleep(std::time::Duration::from_millis(20));
    /// let metrics = rt.handle().metrics();
    /// assert!(metrics.parks() >= 1);
    /// assert!(metrics.unparks() <= metrics.parks());
    /// ```
    pub fn parks(&self) -> u64 {
        self.total(|worker| worker.counts.parks)
    }

    /// Times a worker woke up to work.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::parks`].
    pub fn unparks(&self) -> u64 {
        self.total(|worker| worker.counts.unparks)
    }

    /// Times a worker's local queue was full and half of it moved to the
    /// injector (or, while a thief was copying out of that full queue, the
    /// one task being pushed went there instead).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn(async {
    ///     // More spawns than a local queue holds (256).
    ///     let tasks: Vec<_> = (0..1000).map(|_| bobbin::spawn(async {})).collect();
    ///     for task in tasks {
    ///         task.await.unwrap();
    ///     }
    /// })).unwrap();
    /// assert!(rt.handle().metrics().overflows() >= 1);
    /// ```
    pub fn overflows(&self) -> u64 {
        self.total(|worker| worker.overflows)
    }

    /// Tasks in the workers' local queues and LIFO slots now.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().metrics().local_queue_depth(), 0);
    /// ```
    pub fn local_queue_depth(&self) -> usize {
        self.workers
            .iter()
            .map(|worker| worker.queue_depth)
            .sum::<usize>()
            + self.spares.queue_depth
    }

    /// Tasks in the injector (the queue of tasks scheduled from outside the
    /// workers, and of local-queue overflow) now.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::local_queue_depth`].
    pub fn injector_depth(&self) -> usize {
        self.injector_depth
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

    /// Blocking jobs spawned ([`spawn_blocking`](crate::spawn_blocking)).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// assert_eq!(rt.handle().metrics().blocking_jobs_spawned(), 1);
    /// // Counted just after the job's JoinHandle is woken.
    /// let counted = (0..1000).any(|_| {
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    ///     rt.handle().metrics().blocking_jobs_completed() == 1
    /// });
    /// assert!(counted);
    /// ```
    pub fn blocking_jobs_spawned(&self) -> u64 {
        self.blocking_jobs_spawned
    }

    /// Blocking jobs whose closure returned or panicked.
    ///
    /// # Examples
    /// See [`RuntimeMetrics::blocking_jobs_spawned`].
    pub fn blocking_jobs_completed(&self) -> u64 {
        self.blocking_jobs_completed
    }

    /// Spare cores running now in place of blocked workers (from
    /// [`block_in_place`](crate::task::block_in_place) or a long poll).
    ///
    /// # Examples
    /// See [`RuntimeMetrics`].
    pub fn active_spares(&self) -> usize {
        self.active_spares
    }

    /// Sockets and other I/O resources registered with the runtime now.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let listener = rt.block_on(bobbin::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    /// assert_eq!(rt.handle().metrics().io_sources(), 1);
    /// drop(listener);
    /// assert_eq!(rt.handle().metrics().io_sources(), 0);
    /// ```
    pub fn io_sources(&self) -> usize {
        self.io_sources
    }

    /// Readiness events the reactor has delivered.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = bobbin::spawn(bobbin::net::TcpStream::connect(addr));
    ///     listener.accept().await.unwrap();
    ///     client.await.unwrap().unwrap();
    /// });
    /// assert!(rt.handle().metrics().io_events() >= 1);
    /// ```
    pub fn io_events(&self) -> u64 {
        self.io_events
    }

    /// Timers (sleeps, timeouts, intervals) waiting for their deadline.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let sleeper = rt.spawn(bobbin::time::sleep(Duration::from_secs(60)));
    /// std::thread::sleep(Duration::from_millis(50));
    /// assert_eq!(rt.handle().metrics().timers_pending(), 1);
    /// sleeper.abort();
    /// ```
    pub fn timers_pending(&self) -> usize {
        self.timers_pending
    }
}

impl fmt::Display for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "runtime: {} workers", self.num_workers)?;
        match self.active_spares {
            0 => {}
            1 => f.write_str(" (1 spare core standing in for a blocked one)")?,
            spares => write!(f, " ({spares} spare cores standing in for blocked ones)")?,
        }
        writeln!(f)?;
        writeln!(
            f,
            "tasks:    {} alive, {} spawned ({} from outside), {} completed",
            self.tasks_alive,
            self.tasks_spawned(),
            self.remote_spawns,
            self.tasks_completed()
        )?;
        if !self.local_threads.is_empty() {
            write!(f, "local:    {} alive", self.local_tasks_alive())?;
            for (thread, alive) in &self.local_threads {
                write!(f, "; {alive} on {thread}")?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "polls:    {} ({} from a LIFO slot); {} steals moved {} tasks; {} overflows",
            self.polls(),
            self.lifo_hits(),
            self.steals(),
            self.stolen_tasks(),
            self.overflows()
        )?;
        writeln!(
            f,
            "queues:   {} local, {} in the injector; {} remote schedules",
            self.local_queue_depth(),
            self.injector_depth,
            self.remote_schedules
        )?;
        writeln!(
            f,
            "sleep:    {} parks, {} unparks",
            self.parks(),
            self.unparks()
        )?;
        writeln!(
            f,
            "blocking: {} threads ({} idle), {} queued, {} jobs spawned, {} completed",
            self.blocking_threads,
            self.idle_blocking_threads,
            self.blocking_queue_depth,
            self.blocking_jobs_spawned,
            self.blocking_jobs_completed
        )?;
        writeln!(
            f,
            "reactor:  {} I/O sources, {} events; {} timers pending",
            self.io_sources, self.io_events, self.timers_pending
        )?;
        write!(f, "long polls: {}", self.long_polls)?;
        if let Some(last) = self.recent_long_polls.last() {
            write!(f, " (last: {last})")?;
        }
        write!(
            f,
            "
worker      polls   spawned completed      lifo    steals    stolen     parks   unparks overflows queue"
        )?;
        for (index, worker) in self.workers.iter().enumerate() {
            write!(
                f,
                "
{index:>6} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>5}",
                worker.counts.polls,
                worker.counts.spawned,
                worker.counts.completed,
                worker.counts.lifo_hits,
                worker.counts.steals,
                worker.counts.stolen,
                worker.counts.parks,
                worker.counts.unparks,
                worker.overflows,
                worker.queue_depth
            )?;
        }
        Ok(())
    }
}

/// The counters of one core, as the core's thread keeps them.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct WorkerCounts {
    /// Task polls run.
    pub(crate) polls: u64,
    /// Tasks spawned by a task running on this core.
    pub(crate) spawned: u64,
    /// Tasks that completed in a poll on this core.
    pub(crate) completed: u64,
    /// Tasks taken from the core's own LIFO slot.
    pub(crate) lifo_hits: u64,
    /// Successful steals from another core (each moves one or more tasks).
    pub(crate) steals: u64,
    /// Tasks moved by those steals.
    pub(crate) stolen: u64,
    /// Times the core's thread went to sleep.
    pub(crate) parks: u64,
    /// Times it woke up with work to do (a wake, or the driver's events).
    pub(crate) unparks: u64,
}

impl WorkerCounts {
    /// The counters in a fixed order: the one place that lists them.
    pub(crate) fn to_array(self) -> [u64; 8] {
        [
            self.polls,
            self.spawned,
            self.completed,
            self.lifo_hits,
            self.steals,
            self.stolen,
            self.parks,
            self.unparks,
        ]
    }

    pub(crate) fn from_array(counts: [u64; 8]) -> WorkerCounts {
        let [
            polls,
            spawned,
            completed,
            lifo_hits,
            steals,
            stolen,
            parks,
            unparks,
        ] = counts;
        WorkerCounts {
            polls,
            spawned,
            completed,
            lifo_hits,
            steals,
            stolen,
            parks,
            unparks,
        }
    }

    /// Adds `other`'s counts to these (for the spare cores' sum).
    pub(crate) fn add(&mut self, other: &WorkerCounts) {
        let mut counts = self.to_array();
        for (count, more) in counts.iter_mut().zip(other.to_array()) {
            *count += more;
        }
        *self = WorkerCounts::from_array(counts);
    }
}
