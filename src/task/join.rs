//! Handles to a spawned task: `JoinHandle` (await the output, abort),
//! `AbortHandle` (abort only, cloneable) and `AbortOnDrop` (a JoinHandle
//! that aborts its task when dropped).

use super::error::JoinError;
use super::id::Id;
use super::raw::RawTask;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked
/// or was cancelled. Dropping it **detaches** the task: it keeps running,
/// like a goroutine, and its output is dropped when it finishes. To stop the
/// task when the handle goes away, use
/// [`abort_on_drop`](JoinHandle::abort_on_drop).
///
/// # Cancel safety
/// Dropping the handle while awaiting it loses nothing but the output; the
/// task is not affected.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves a `T` out of the task (needs `T: Send`) and
// touches the task through its atomic state.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only reads the state word (`is_finished`, `id`) or
// aborts, all of which are thread-safe; the output is only taken through
// `&mut`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Takes over the JoinHandle reference of a new task.
    pub(super) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Cancels the task.
    ///
    /// If the task is idle (waiting for a wake, or queued), its future is
    /// dropped at once, on this thread, and the handle gives `Err(e)` with
    /// `e.is_cancelled()`. If it is being polled, the future is dropped by
    /// its worker as soon as that poll returns `Pending`; a poll that
    /// returns `Ready` instead finishes the task, which keeps its output, as
    /// does a task that had already finished.
    ///
    /// # Caveats
    /// When the task is idle, its future's `Drop` runs on the thread that
    /// calls `abort`, so it must not need a lock that thread holds.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// True once the task has finished (with output, panic or
    /// cancellation); awaiting the handle then completes at once.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(async { 1 });
    /// while !handle.is_finished() {
    ///     bobbin::task::yield_now().await;
    /// }
    /// assert_eq!(handle.await.unwrap(), 1);
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let a = bobbin::spawn(async {});
    /// let b = bobbin::spawn(async {});
    /// assert_ne!(a.id(), b.id());
    /// # });
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }

    /// A handle that can abort the task but not await it; it can be cloned
    /// and shared.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(std::future::pending::<()>());
    /// let abort = handle.abort_handle();
    /// abort.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }

    /// Turns the handle into one that aborts the task when dropped, for
    /// tasks that must not outlive their owner.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let guard = bobbin::spawn(std::future::pending::<()>()).abort_on_drop();
    /// let abort = guard.abort_handle();
    /// drop(guard);
    /// while !abort.is_finished() {
    ///     bobbin::task::yield_now().await;
    /// }
    /// # });
    /// ```
    pub fn abort_on_drop(self) -> AbortOnDrop<T> {
        AbortOnDrop { handle: Some(self) }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut output: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `output` is a `Poll<Result<T, JoinError>>` and `T` is the
        // task's output type (the handle was made for it by `spawn`); we are
        // the JoinHandle.
        unsafe {
            self.raw.try_read_output(
                (&mut output as *mut Poll<Result<T, JoinError>>).cast(),
                cx.waker(),
            )
        };
        output
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.drop_join_handle();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = self.raw.header();
        f.debug_struct("JoinHandle")
            .field("id", &header.id)
            .field("name", &header.origin.name())
            .field("spawned_at", &header.origin.location())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A handle that can abort a task but not await it. Cheap to clone; `Send`
/// and `Sync` whatever the task's output.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// std::thread::spawn(move || abort.abort()).join().unwrap();
/// assert!(handle.await.unwrap_err().is_cancelled());
/// # });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

// SAFETY: an AbortHandle never touches the future or output; it only uses the
// atomic state word and the thread-safe shutdown transition.
unsafe impl Send for AbortHandle {}
// SAFETY: as for Send: every method takes `&self` and is thread-safe.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    /// Cancels the task, as [`JoinHandle::abort`].
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(std::future::pending::<()>());
    /// handle.abort_handle().abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// True once the task has finished.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(async {});
    /// let abort = handle.abort_handle();
    /// handle.await.unwrap();
    /// assert!(abort.is_finished());
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(async {});
    /// assert_eq!(handle.abort_handle().id(), handle.id());
    /// # });
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}

/// A [`JoinHandle`] that aborts its task when dropped. Made by
/// [`JoinHandle::abort_on_drop`]; awaiting it gives the task's output.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let guard = bobbin::spawn(async { 7 }).abort_on_drop();
/// assert_eq!(guard.await.unwrap(), 7);
/// # });
/// ```
#[must_use = "dropping an AbortOnDrop aborts the task at once"]
pub struct AbortOnDrop<T> {
    handle: Option<JoinHandle<T>>,
}

impl<T> AbortOnDrop<T> {
    fn handle(&self) -> &JoinHandle<T> {
        self.handle
            .as_ref()
            .expect("the handle is present until drop or detach")
    }

    /// Cancels the task now, as [`JoinHandle::abort`].
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let guard = bobbin::spawn(std::future::pending::<()>()).abort_on_drop();
    /// guard.abort();
    /// assert!(guard.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.handle().abort();
    }

    /// True once the task has finished.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let guard = bobbin::spawn(std::future::pending::<()>()).abort_on_drop();
    /// assert!(!guard.is_finished());
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.handle().is_finished()
    }

    /// The task's id.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(async {});
    /// let id = handle.id();
    /// assert_eq!(handle.abort_on_drop().id(), id);
    /// # });
    /// ```
    pub fn id(&self) -> Id {
        self.handle().id()
    }

    /// An [`AbortHandle`] for the task.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let guard = bobbin::spawn(std::future::pending::<()>()).abort_on_drop();
    /// let abort = guard.abort_handle();
    /// drop(guard);
    /// while !abort.is_finished() {
    ///     bobbin::task::yield_now().await;
    /// }
    /// # });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.handle().abort_handle()
    }

    /// Gives back the plain [`JoinHandle`]: the task is no longer aborted on
    /// drop.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let guard = bobbin::spawn(async { 1 }).abort_on_drop();
    /// let handle = guard.detach();
    /// assert_eq!(handle.await.unwrap(), 1);
    /// # });
    /// ```
    pub fn detach(mut self) -> JoinHandle<T> {
        self.handle
            .take()
            .expect("the handle is present until drop or detach")
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let handle = self
            .handle
            .as_mut()
            .expect("the handle is present until drop or detach");
        Pin::new(handle).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }
}

impl<T> fmt::Debug for AbortOnDrop<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortOnDrop")
            .field("handle", &self.handle)
            .finish()
    }
}
