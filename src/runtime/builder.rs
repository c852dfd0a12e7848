//! `Builder`: configure and start a runtime.

use super::Runtime;
use std::fmt;
use std::io;
use std::sync::Arc;

/// A hook run on each worker thread as it starts or stops.
pub(crate) type ThreadHook = Arc<dyn Fn() + Send + Sync + 'static>;

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
    thread_name: String,
    thread_stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<ThreadHook>,
    pub(crate) on_thread_stop: Option<ThreadHook>,
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
        }
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

    /// Starts the runtime's worker threads.
    ///
    /// # Errors
    /// `InvalidInput` if the worker count is zero or above 32767; the
    /// operating system's error if a thread cannot be started (the threads
    /// already started are shut down).
    ///
    /// # Examples
    /// ```
    /// let err = bobbin::Runtime::builder().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// assert!(err.to_string().contains("at least 1"));
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let workers = match self.worker_threads {
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
            .finish_non_exhaustive()
    }
}
