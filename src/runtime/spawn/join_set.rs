//! `JoinSet`: a set of tasks awaited in the order they finish.
//!
//! Each entry's JoinHandle is polled with a waker of its own that, when the
//! task completes, queues the entry's key and wakes the set's waiter; so
//! `join_next` touches only finished tasks (O(1) per task, not a scan of
//! the whole set).
//!
//! This module holds no unsafe code and no shared state beyond a mutex; the
//! entry wakers use std's `Arc` because `std::task::Wake` needs it. It is not
//! part of the loom models (its only concurrency is that mutex) and is
//! tested through the public API in `executor-tests/tests/task_join_set.rs`.

use crate::loom::{Mutex, lock};
use crate::runtime::Handle;
use crate::task::{AbortHandle, JoinError, JoinHandle};
use slab::Slab;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A set of spawned tasks whose outputs are awaited in completion order:
/// structured concurrency for a dynamic number of tasks.
///
/// Dropping the set aborts every task still in it.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let mut set = bobbin::task::JoinSet::new();
/// for i in 0..10u32 {
///     set.spawn(async move { i * i });
/// }
/// let mut sum = 0;
/// while let Some(result) = set.join_next().await {
///     sum += result.unwrap();
/// }
/// assert_eq!(sum, 285);
/// # });
/// ```
pub struct JoinSet<T> {
    entries: Slab<Entry<T>>,
    ready: Arc<Ready>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    waker: Waker,
}

/// Keys of entries whose task finished (or may have), and who waits.
struct Ready {
    state: Mutex<ReadyState>,
}

struct ReadyState {
    keys: VecDeque<usize>,
    waiter: Option<Waker>,
}

/// The waker given to one entry's JoinHandle.
struct EntryWaker {
    ready: Arc<Ready>,
    key: usize,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.push(self.key);
    }
}

impl Ready {
    fn push(&self, key: usize) {
        let waiter = {
            let mut state = lock(&self.state);
            state.keys.push_back(key);
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    /// ```
    /// let set = bobbin::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Slab::new(),
            ready: Arc::new(Ready {
                state: Mutex::new(ReadyState {
                    keys: VecDeque::new(),
                    waiter: None,
                }),
            }),
        }
    }

    /// How many tasks are in the set (finished ones count until
    /// [`join_next`](JoinSet::join_next) returns them).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn(async {});
    /// assert_eq!(set.len(), 1);
    /// set.join_next().await;
    /// assert_eq!(set.len(), 0);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the set holds no task.
    ///
    /// # Examples
    /// ```
    /// let set = bobbin::task::JoinSet::<u8>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Spawns a task into the set, on the current runtime (or the global
    /// one), and returns a handle that can abort it.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn(async { "done" });
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::runtime::spawn_current(future, None))
    }

    /// Spawns a `!Send` future into the set as a local task of this thread,
    /// as [`task::spawn_local`](crate::task::spawn_local).
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
    ///     let mut set = bobbin::task::JoinSet::new();
    ///     for n in 0..3 {
    ///         let n = Rc::new(n);
    ///         set.spawn_local(async move { *n * 2 });
    ///     }
    ///     let mut total = 0;
    ///     while let Some(result) = set.join_next().await {
    ///         total += result.unwrap();
    ///     }
    ///     assert_eq!(total, 6);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(super::spawn_local_inner(
            future,
            None,
            std::panic::Location::caller(),
        ))
    }

    /// Spawns a task into the set on the runtime of `handle`.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn_on(async { 3 }, &rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn_inner(future, None, std::panic::Location::caller()))
    }

    /// Runs blocking code on the blocking pool of the current runtime (or
    /// the global one), as [`bobbin::spawn_blocking`](crate::spawn_blocking),
    /// with its result joined through the set like a task's.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// for n in 0..3u64 {
    ///     set.spawn_blocking(move || n * n);
    /// }
    /// let mut total = 0;
    /// while let Some(result) = set.join_next().await {
    ///     total += result.unwrap();
    /// }
    /// assert_eq!(total, 5);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, func: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn_blocking(func))
    }

    /// As [`spawn_blocking`](JoinSet::spawn_blocking), on the runtime of
    /// `handle`.
    ///
    /// # Examples
    /// ```
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn_blocking_on(|| 7, &rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, func: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn_blocking(func))
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let entry = self.entries.vacant_entry();
        let key = entry.key();
        let waker = Waker::from(Arc::new(EntryWaker {
            ready: self.ready.clone(),
            key,
        }));
        entry.insert(Entry { handle, waker });
        // The first poll of the entry (in `poll_join_next`) registers its
        // waker with the task.
        self.ready.push(key);
        abort
    }

    /// Waits for the next task to finish and returns its result; `None`
    /// once the set is empty.
    ///
    /// # Cancel safety
    /// If the future is dropped before it completes, no task's result is
    /// lost: the next call returns it.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn(async { 1 });
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), 1);
    /// assert!(set.join_next().await.is_none());
    /// # });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The result of a task that has already finished, if any; never waits.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::<u8>::new();
    /// assert!(set.try_join_next().is_none());
    /// # });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        match self.poll_join_next(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(result) => result,
            Poll::Pending => None,
        }
    }

    /// The `Poll` form of [`join_next`](JoinSet::join_next).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn(async { 2 });
    /// let result = std::future::poll_fn(|cx| set.poll_join_next(cx)).await;
    /// assert_eq!(result.unwrap().unwrap(), 2);
    /// # });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        loop {
            if self.entries.is_empty() {
                return Poll::Ready(None);
            }
            let key = {
                let mut state = lock(&self.ready.state);
                match state.keys.pop_front() {
                    Some(key) => key,
                    None => {
                        state.waiter = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                }
            };
            // A key may be stale (queued twice, or its entry since replaced):
            // polling a live entry that is not finished just re-registers.
            let Some(entry) = self.entries.get_mut(key) else {
                continue;
            };
            let mut entry_cx = Context::from_waker(&entry.waker);
            if let Poll::Ready(result) = Pin::new(&mut entry.handle).poll(&mut entry_cx) {
                self.entries.remove(key);
                return Poll::Ready(Some(result));
            }
        }
    }

    /// Waits for every task and returns their outputs in completion order.
    ///
    /// # Panics
    /// If a task panicked, its panic is resumed here (after the other tasks
    /// are aborted, when the set is dropped).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// for i in 0..3 {
    ///     set.spawn(async move { i });
    /// }
    /// let mut all = set.join_all().await;
    /// all.sort();
    /// assert_eq!(all, [0, 1, 2]);
    /// # });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!(
                    "{err} while JoinSet::join_all waited for it; use join_next to handle cancellation"
                ),
            }
        }
        outputs
    }

    /// Aborts every task in the set. They stay in the set until
    /// `join_next` returns their (cancelled) results.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn(std::future::pending::<()>());
    /// set.abort_all();
    /// assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort_all(&mut self) {
        for (_, entry) in self.entries.iter() {
            entry.handle.abort();
        }
    }

    /// Aborts every task and waits until all have finished, discarding their
    /// results.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn(std::future::pending::<()>());
    /// set.shutdown().await;
    /// assert!(set.is_empty());
    /// # });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Removes every task from the set without aborting it: they run on,
    /// detached.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut set = bobbin::task::JoinSet::new();
    /// set.spawn(async {});
    /// set.detach_all();
    /// assert!(set.is_empty());
    /// # });
    /// ```
    pub fn detach_all(&mut self) {
        self.entries.clear();
        lock(&self.ready.state).keys.clear();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
