//! `task::Builder`: spawn a task with a name.

use crate::runtime::Handle;
use crate::task::JoinHandle;
use std::future::Future;

/// Configures a task before spawning it: for now, its name, which shows in
/// the task dump and in panic reports.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::task::Builder::new().name("conn-42").spawn(async { 1 });
/// assert_eq!(handle.await.unwrap(), 1);
/// # });
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a Builder does nothing until you call spawn"]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no name set.
    ///
    /// # Examples
    /// ```
    /// let builder = bobbin::task::Builder::new();
    /// # drop(builder);
    /// ```
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// Names the task.
    ///
    /// # Examples
    /// ```
    /// let builder = bobbin::task::Builder::new().name("worker");
    /// # drop(builder);
    /// ```
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    /// Spawns the task on the current runtime (or the global one), as
    /// [`bobbin::spawn`](crate::spawn).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::task::Builder::new().name("answer").spawn(async { 42 });
    /// assert_eq!(handle.await.unwrap(), 42);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        crate::runtime::spawn_current(future, self.name.map(Box::from))
    }

    /// Runs a blocking closure on the blocking pool of the current runtime
    /// (or the global one), as [`bobbin::spawn_blocking`](crate::spawn_blocking),
    /// with the name shown in shutdown reports and long-poll reports.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::task::Builder::new().name("checksum").spawn_blocking(|| 6 * 7);
    /// assert_eq!(handle.await.unwrap(), 42);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, T>(self, func: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let location = std::panic::Location::caller();
        Handle::with_current(|shared| {
            super::spawn_blocking_on(shared, func, self.name.map(Box::from), location)
        })
    }

    /// Runs a blocking closure on the blocking pool of `handle`'s runtime,
    /// with a name (see [`spawn_blocking`](Builder::spawn_blocking)).
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::new().unwrap();
    /// let job = bobbin::task::Builder::new()
    ///     .name("hash")
    ///     .spawn_blocking_on(|| 1 + 1, &rt.handle());
    /// assert_eq!(rt.block_on(job).unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn_blocking_on<F, T>(self, func: F, handle: &Handle) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        super::spawn_blocking_on(
            &handle.shared,
            func,
            self.name.map(Box::from),
            std::panic::Location::caller(),
        )
    }

    /// Spawns the task on the runtime of `handle`.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// let handle = bobbin::task::Builder::new().name("on-rt").spawn_on(async { 5 }, &rt.handle());
    /// assert_eq!(rt.block_on(handle).unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_inner(
            future,
            self.name.map(Box::from),
            std::panic::Location::caller(),
        )
    }
}
