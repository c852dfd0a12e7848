//! `Builder`: configure and start a runtime.

use super::pool::ThreadHook;
use super::{LongPoll, Runtime, UnhandledPanic};
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// The most workers a runtime can have (the idle bookkeeping packs counts in
/// 16 bits).
const MAX_WORKERS: usize = 32_767;

/// Configures a [`Runtime`] before starting it.
///
/// # Examples
/// ```
/// let rt = bobbin::Runtime::builder()
///     .worker_threads(2)
///     .thread_name("app-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[must_use = "a Builder does nothing until you call build"]
pub struct Builder {
    worker_threads: Option<usize>,
    pub(crate) thread_name: String,
    pub(crate) thread_stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<ThreadHook>,
    pub(crate) on_thread_stop: Option<ThreadHook>,
    pub(crate) max_blocking_threads: usize,
    pub(crate) thread_keep_alive: Duration,
    pub(crate) long_poll_threshold: Duration,
    pub(crate) on_long_poll: Option<super::scheduler::monitor::LongPollHook>,
    pub(crate) unhandled_panic: UnhandledPanic,
    pub(crate) start_paused: bool,
    pub(crate) rng_seed: Option<u64>,
    pub(crate) current_thread: bool,
}

impl Builder {
    /// A builder with the defaults: one worker per available CPU, threads
    /// named `bobbin-worker-{index}`, the platform's stack size.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::runtime::Builder::new().build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: "bobbin-worker".to_owned(),
            thread_stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
            max_blocking_threads: 512,
            thread_keep_alive: Duration::from_secs(10),
            long_poll_threshold: Duration::from_millis(10),
            on_long_poll: None,
            unhandled_panic: UnhandledPanic::Ignore,
            start_paused: false,
            rng_seed: None,
            current_thread: false,
        }
    }

    /// Sets the most threads the blocking pool may run
    /// [`spawn_blocking`](crate::spawn_blocking) jobs on at once; 512 by
    /// default. Jobs beyond it wait for a thread. It also bounds how many
    /// spare cores may stand in for blocked workers at once (up to 1024),
    /// but a spare's thread does not count against the limit while it runs.
    /// Zero is rejected by [`build`](Builder::build).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().max_blocking_threads(4).build().unwrap();
    /// let jobs: Vec<_> = (0..16).map(|i| rt.spawn_blocking(move || i * 2)).collect();
    /// let total: i32 = rt.block_on(async {
    ///     let mut total = 0;
    ///     for job in jobs {
    ///         total += job.await.unwrap();
    ///     }
    ///     total
    /// });
    /// assert_eq!(total, 240);
    /// assert!(rt.handle().metrics().blocking_threads() <= 4);
    /// ```
    pub fn max_blocking_threads(&mut self, count: usize) -> &mut Builder {
        self.max_blocking_threads = count;
        self
    }

    /// Sets how long a blocking-pool thread waits for a job before it exits;
    /// 10 seconds by default.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::builder()
    ///     .thread_keep_alive(Duration::from_millis(50))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// std::thread::sleep(Duration::from_millis(500));
    /// assert_eq!(rt.handle().metrics().blocking_threads(), 0);
    /// ```
    pub fn thread_keep_alive(&mut self, keep_alive: Duration) -> &mut Builder {
        self.thread_keep_alive = keep_alive;
        self
    }

    /// Sets how long one poll of a task may run before the monitor counts
    /// it as a long poll (reported through
    /// [`on_long_poll`](Builder::on_long_poll) and
    /// [`RuntimeMetrics::recent_long_polls`](super::RuntimeMetrics::recent_long_polls))
    /// and, if no other core can run tasks, starts a spare core in the
    /// blocked worker's place; 10 ms by default. It also paces the monitor:
    /// it samples the workers once per threshold while all is calm (and
    /// every twentieth of it while a poll is stuck), so tasks queued behind
    /// a poll that runs long move to other workers within about one
    /// threshold. A lower threshold rescues sooner at the price of more
    /// wake-ups. Zero is rejected by [`build`](Builder::build).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::builder()
    ///     .long_poll_threshold(Duration::from_millis(50))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn long_poll_threshold(&mut self, threshold: Duration) -> &mut Builder {
        self.long_poll_threshold = threshold;
        self
    }

    /// Calls `hook` (on the monitor thread) for each poll that runs past the
    /// [long-poll threshold](Builder::long_poll_threshold), while the poll
    /// is still running: log it, count it, dump the task list.
    ///
    /// # Examples
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// let (tx, rx) = mpsc::channel();
    /// let tx = std::sync::Mutex::new(tx);
    /// let rt = bobbin::Runtime::builder()
    ///     .long_poll_threshold(Duration::from_millis(20))
    ///     .on_long_poll(move |long_poll| {
    ///         let _ = tx.lock().unwrap().send(long_poll.to_string());
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.spawn(async { std::thread::sleep(Duration::from_millis(200)) });
    /// let report = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    /// assert!(report.contains("blocked core"));
    /// ```
    pub fn on_long_poll(
        &mut self,
        hook: impl Fn(&LongPoll) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.on_long_poll = Some(Arc::new(hook));
        self
    }

    /// Sets how many worker threads run tasks. Zero is rejected by
    /// [`build`](Builder::build).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(3).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn worker_threads(&mut self, count: usize) -> &mut Builder {
        self.worker_threads = Some(count);
        self
    }

    /// Names the worker threads `{name}-{index}` (as debuggers, `top -H` and
    /// panic messages show them; Linux keeps the first 15 bytes).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).thread_name("app").build().unwrap();
    /// let name = rt.block_on(async {
    ///     bobbin::spawn(async { std::thread::current().name().map(str::to_owned) }).await.unwrap()
    /// });
    /// assert_eq!(name.as_deref(), Some("app-0"));
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// Sets the stack size of worker threads, in bytes.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().thread_stack_size(4 << 20).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// Runs `hook` on each worker thread when it starts, before any task.
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let counter = started.clone();
    /// let rt = bobbin::Runtime::builder()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || { counter.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// drop(rt); // joins the workers
    /// assert_eq!(started.load(Ordering::SeqCst), 2);
    /// ```
    pub fn on_thread_start(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_start = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on each worker thread just before it exits (at shutdown).
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let stopped = Arc::new(AtomicUsize::new(0));
    /// let counter = stopped.clone();
    /// let rt = bobbin::Runtime::builder()
    ///     .worker_threads(2)
    ///     .on_thread_stop(move || { counter.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// drop(rt);
    /// assert_eq!(stopped.load(Ordering::SeqCst), 2);
    /// ```
    pub fn on_thread_stop(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_stop = Some(Arc::new(hook));
        self
    }

    /// What to do with a task's panic that no `JoinHandle` observes (the
    /// task was detached, or its handle dropped unawaited): ignore it (the
    /// default), shut the runtime down and re-raise it from `block_on`, or
    /// call a function with it. See [`UnhandledPanic`].
    ///
    /// # Examples
    /// ```
    /// use bobbin::runtime::UnhandledPanic;
    /// use std::panic::{AssertUnwindSafe, catch_unwind};
    ///
    /// let rt = bobbin::Runtime::builder()
    ///     .unhandled_panic(UnhandledPanic::ShutdownRuntime)
    ///     .build()
    ///     .unwrap();
    /// let ended = catch_unwind(AssertUnwindSafe(|| {
    ///     rt.block_on(async {
    ///         bobbin::spawn(async { panic!("boom") });
    ///         bobbin::time::sleep(std::time::Duration::from_secs(60)).await;
    ///     })
    /// }));
    /// let payload = ended.unwrap_err();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// ```
    pub fn unhandled_panic(&mut self, policy: UnhandledPanic) -> &mut Builder {
        self.unhandled_panic = policy;
        self
    }

    /// A builder of a current-thread runtime (tokio's
    /// `Builder::new_current_thread`): no worker threads; the thread that
    /// calls [`block_on`](crate::Runtime::block_on) runs the runtime's
    /// tasks, its reactor and its timers while `block_on` runs. Between
    /// `block_on` calls the tasks stay parked, and resume at the next call.
    /// The blocking pool and the monitor work as usual (the monitor reports
    /// a long poll; there is no other worker to move tasks to).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::runtime::Builder::new_current_thread().build().unwrap();
    /// let here = std::thread::current().id();
    /// let ran_on = rt.block_on(async {
    ///     bobbin::spawn(async { std::thread::current().id() }).await.unwrap()
    /// });
    /// assert_eq!(ran_on, here, "the task ran on the block_on thread");
    /// ```
    pub fn new_current_thread() -> Builder {
        let mut builder = Builder::new();
        builder.current_thread = true;
        builder
    }

    /// Starts the runtime with its clock paused (for tests and
    /// simulations): time stands still until [`time::advance`] moves it,
    /// or jumps to the next timer when the whole runtime is idle (see
    /// [`time::pause`], which this is the same as at the first instant).
    ///
    /// [`time::advance`]: crate::time::advance
    /// [`time::pause`]: crate::time::pause
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::builder().start_paused(true).build().unwrap();
    /// let wall = std::time::Instant::now();
    /// rt.block_on(async {
    ///     let start = bobbin::time::Instant::now();
    ///     bobbin::time::sleep(Duration::from_secs(3600)).await;
    ///     assert!(start.elapsed() >= Duration::from_secs(3600));
    /// });
    /// assert!(wall.elapsed() < Duration::from_secs(60), "an hour passed virtually");
    /// ```
    pub fn start_paused(&mut self, paused: bool) -> &mut Builder {
        self.start_paused = paused;
        self
    }

    /// Seeds every random choice the runtime makes: where a worker's
    /// search for work starts, and the order in which a
    /// [`select!`](crate::select) on the runtime's threads tries its
    /// branches. With one worker and a paused clock, the same program and
    /// seed poll tasks in the same order on every run. Without a seed,
    /// each `select!` starts from a per-thread random state.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder()
    ///     .worker_threads(1)
    ///     .rng_seed(42)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.handle().rng_seed(), Some(42));
    /// ```
    pub fn rng_seed(&mut self, seed: u64) -> &mut Builder {
        self.rng_seed = Some(seed);
        self
    }

    /// Starts the runtime's worker threads.
    ///
    /// # Errors
    /// `InvalidInput` if the worker count is zero or above 32767, if
    /// `max_blocking_threads` or `long_poll_threshold` is zero; the operating
    /// system's error if a thread cannot be started (the threads already
    /// started are shut down).
    ///
    /// # Examples
    /// ```
    /// let err = bobbin::Runtime::builder().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// assert!(err.to_string().contains("at least 1"));
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let workers = match self.worker_threads {
            _ if self.current_thread => {
                if self.worker_threads.is_some_and(|count| count != 1) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "a current-thread runtime runs its tasks on the thread that calls \
                         block_on, with no worker threads: drop worker_threads, or use \
                         Builder::new() for a multi-threaded runtime",
                    ));
                }
                1
            }
            Some(count) if (1..=MAX_WORKERS).contains(&count) => count,
            Some(count) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "worker_threads must be a whole number of at least 1 and at most {MAX_WORKERS}, got {count}"
                    ),
                ));
            }
            None => std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(MAX_WORKERS),
        };
        if self.max_blocking_threads == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "max_blocking_threads must be at least 1: spawn_blocking jobs and the spare \
                 cores that stand in for blocked workers need a thread",
            ));
        }
        if self.long_poll_threshold.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "long_poll_threshold must be above zero (every poll would be a long poll); \
                 use a large value such as Duration::from_secs(3600) to silence the reports",
            ));
        }
        Runtime::start(self, workers)
    }

    pub(crate) fn worker_thread(&self, index: usize) -> std::thread::Builder {
        let builder = std::thread::Builder::new().name(format!("{}-{index}", self.thread_name));
        match self.thread_stack_size {
            Some(bytes) => builder.stack_size(bytes),
            None => builder,
        }
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.thread_keep_alive)
            .field("long_poll_threshold", &self.long_poll_threshold)
            .field("unhandled_panic", &self.unhandled_panic)
            .finish_non_exhaustive()
    }
}
