//! `task::Builder`: spawn a task with a name, and with task-local values
//! it inherits from its spawner.

use crate::runtime::Handle;
use crate::task::JoinHandle;
use crate::task::local::{Inherited, InheritedValue, LocalKey, WithInherited, call_with_inherited};
use std::fmt;
use std::future::Future;
use std::panic::Location;

/// Configures a task before spawning it: its name, which shows in the
/// task dump and in panic reports, and the task-local values it inherits.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::task::Builder::new().name("conn-42").spawn(async { 1 });
/// assert_eq!(handle.await.unwrap(), 1);
/// # });
/// ```
#[derive(Default)]
#[must_use = "a Builder does nothing until you call spawn"]
pub struct Builder<'a> {
    name: Option<&'a str>,
    /// Task-local values the task gets (`inherit`).
    inherited: Vec<Box<dyn Inherited>>,
}

impl Clone for Builder<'_> {
    fn clone(&self) -> Self {
        Builder {
            name: self.name,
            inherited: self
                .inherited
                .iter()
                .map(|value| value.clone_box())
                .collect(),
        }
    }
}

impl fmt::Debug for Builder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("inherited", &self.inherited.len())
            .finish()
    }
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
        Builder::default()
    }

    /// Names the task.
    ///
    /// # Examples
    /// ```
    /// let builder = bobbin::task::Builder::new().name("worker");
    /// # drop(builder);
    /// ```
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder {
            name: Some(name),
            ..self
        }
    }

    /// Gives the task a clone of the spawner's value for `key`, as if its
    /// future ran inside `key.scope(value, ...)`. Task-local values do not
    /// pass to spawned tasks otherwise. A spawner outside any scope of
    /// `key` has no value to give: the task has none either. For a
    /// blocking job, the value is set while its closure runs.
    ///
    /// # Examples
    /// ```
    /// bobbin::task_local! { static TRACE: &'static str; }
    /// # bobbin::block_on(async {
    /// let (inherited, plain) = TRACE
    ///     .scope("req-7", async {
    ///         let inherited = bobbin::task::Builder::new()
    ///             .inherit(&TRACE)
    ///             .spawn(async { TRACE.get() });
    ///         let plain = bobbin::spawn(async { TRACE.try_with(|t| *t).is_ok() });
    ///         (inherited.await.unwrap(), plain.await.unwrap())
    ///     })
    ///     .await;
    /// assert_eq!(inherited, "req-7");
    /// assert!(!plain, "not inherited unless asked");
    /// # });
    /// ```
    pub fn inherit<T: Clone + Send + Sync + 'static>(
        mut self,
        key: &'static LocalKey<T>,
    ) -> Builder<'a> {
        if let Ok(value) = key.try_with(T::clone) {
            self.inherited.push(Box::new(InheritedValue {
                key,
                value: Some(value),
            }));
        }
        self
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
        self.spawn_inner(future, None, Location::caller())
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
        self.spawn_blocking_inner(func, None, Location::caller())
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
        self.spawn_blocking_inner(func, Some(handle), Location::caller())
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
        self.spawn_inner(future, Some(handle), Location::caller())
    }

    /// Spawns a `!Send` future as a local task of this thread, as
    /// [`task::spawn_local`](crate::task::spawn_local), with the name the
    /// dump and the reports show.
    ///
    /// # Panics
    /// Where [`task::spawn_local`](crate::task::spawn_local) panics (see
    /// there): outside a worker's task, a current-thread runtime's core
    /// and any `block_on`; on a spare core.
    ///
    /// # Examples
    /// ```
    /// use std::rc::Rc;
    /// let rt = bobbin::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async {
    ///     let shared = Rc::new(5);
    ///     let task = bobbin::task::Builder::new()
    ///         .name("ui")
    ///         .spawn_local(async move { *shared + 1 });
    ///     assert_eq!(task.await.unwrap(), 6);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let name = self.name.map(Box::from);
        let location = Location::caller();
        if self.inherited.is_empty() {
            super::spawn_local_inner(future, name, location)
        } else {
            let future = WithInherited::new(self.inherited, future);
            super::spawn_local_inner(future, name, location)
        }
    }

    /// Spawns on `handle`'s runtime, or the current one (or the global
    /// one), with the inherited values if there are any.
    fn spawn_inner<F>(
        self,
        future: F,
        handle: Option<&Handle>,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let name = self.name.map(Box::from);
        if self.inherited.is_empty() {
            crate::runtime::spawn_at(handle, future, name, location)
        } else {
            let future = WithInherited::new(self.inherited, future);
            crate::runtime::spawn_at(handle, future, name, location)
        }
    }

    fn spawn_blocking_inner<F, T>(
        self,
        func: F,
        handle: Option<&Handle>,
        location: &'static Location<'static>,
    ) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let name = self.name.map(Box::from);
        let inherited = self.inherited;
        let spawn = |shared: &_| {
            if inherited.is_empty() {
                super::spawn_blocking_on(shared, func, name, location)
            } else {
                let func = move || call_with_inherited(inherited, func);
                super::spawn_blocking_on(shared, func, name, location)
            }
        };
        match handle {
            Some(handle) => spawn(&handle.shared),
            None => Handle::with_current(spawn),
        }
    }
}
