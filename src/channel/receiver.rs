//! The receiving half.

use super::chan::{Chan, RecvOp};
use super::error::{RecvError, TryRecvError};
use super::sender::channel_info;
use crate::loom::Arc;
use futures_core::Stream;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The receiving half of a channel. Clone it for more consumers: each value
/// goes to exactly one receiver. When the last clone is dropped the channel
/// closes and sends fail.
///
/// It is a [`Stream`] of the values, which ends once the channel is closed
/// and drained. The stream's wait lives in the receiver, which may never be
/// polled again (a `next()` that lost a `select!`), so it does not queue
/// for a turn as `recv()` does: a value that arrives meanwhile stays
/// available to the other receives, and the stream competes for the next
/// one when it is polled. On a rendezvous channel a waiting stream can be
/// handed a value, which it returns at its next poll (or gives back to the
/// channel when the receiver is dropped).
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::unbounded();
/// let workers: Vec<_> = (0..4)
///     .map(|_| {
///         let rx = rx.clone();
///         bobbin::spawn(async move {
///             let mut sum = 0u64;
///             while let Ok(job) = rx.recv().await {
///                 sum += job;
///             }
///             sum
///         })
///     })
///     .collect();
/// for job in 1..=100 {
///     tx.send(job).await.unwrap();
/// }
/// drop(tx);
/// let mut total = 0;
/// for worker in workers {
///     total += worker.await.unwrap();
/// }
/// assert_eq!(total, 5050);
/// # });
/// ```
pub struct Receiver<T> {
    pub(super) chan: Arc<Chan<T>>,
    /// The `Stream`'s receive in progress.
    stream: RecvOp,
}

impl<T> Unpin for Receiver<T> {}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Receiver<T> {
        Receiver {
            chan,
            stream: RecvOp::held_by_handle(),
        }
    }

    /// Receives the next value, waiting until there is one. Fails once the
    /// channel is closed and everything buffered has been received.
    ///
    /// Receivers that wait are woken in order; one arriving while none waits
    /// unwoken may go ahead of a woken one, until that one has been passed
    /// over across a millisecond (see the [module docs](crate::channel)).
    ///
    /// Cancel safety: dropping the future before it completes takes no
    /// value; a wake-up it was given goes on to the next waiting receiver,
    /// and a value a rendezvous sender handed it goes back to the channel
    /// for the next receiver. `recv` can be a `select!` branch in a loop
    /// without losing anything.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let (tx, rx) = bobbin::channel::bounded(0);
    /// bobbin::spawn(async move { tx.send(7).await.unwrap() });
    /// assert_eq!(rx.recv().await, Ok(7));
    /// // The sender is gone: the channel is closed and empty.
    /// assert_eq!(rx.recv().await, Err(bobbin::channel::RecvError));
    /// # });
    /// ```
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            chan: &self.chan,
            op: RecvOp::new(),
        }
    }

    /// Receives a value if there is one now: buffered, or offered by a
    /// waiting sender on a rendezvous (as Go's `select` with a `default`).
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if it would have to wait,
    /// [`TryRecvError::Closed`] if the channel is closed and drained.
    ///
    /// # Examples
    /// ```
    /// use bobbin::channel::TryRecvError;
    /// let (tx, rx) = bobbin::channel::bounded(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives from a plain thread, blocking it as [`recv`](Self::recv)
    /// would make a task wait: the bridge from tasks to threads.
    ///
    /// # Errors
    /// [`RecvError`] once the channel is closed and drained.
    ///
    /// # Panics
    /// On a runtime worker thread, where blocking would stall every task
    /// queued there; use `recv().await` in tasks.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::unbounded();
    /// let consumer = std::thread::spawn(move || rx.recv_blocking());
    /// bobbin::block_on(async { tx.send("job").await.unwrap() });
    /// assert_eq!(consumer.join().unwrap(), Ok("job"));
    /// ```
    #[track_caller]
    pub fn recv_blocking(&self) -> Result<T, RecvError> {
        crate::task::park::park_on("Receiver::recv_blocking", self.recv())
    }
}

channel_info!(Receiver, "rx", "tx");

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.chan.add_receiver();
        Receiver::new(self.chan.clone())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.cancel_recv(&mut self.stream);
        self.chan.drop_receiver();
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.chan.poll_recv(&mut this.stream, cx).map(Result::ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.chan.len(), None)
    }
}

/// The future of [`Receiver::recv`]: resolves to the next value, or to
/// [`RecvError`] once the channel is closed and drained.
///
/// Dropping it before it completes takes no value (see
/// [`Receiver::recv`]).
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::bounded(1);
/// tx.send('a').await.unwrap();
/// let recv: bobbin::channel::RecvFuture<'_, char> = rx.recv();
/// assert_eq!(recv.await, Ok('a'));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RecvFuture<'a, T> {
    chan: &'a Chan<T>,
    op: RecvOp,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.chan.poll_recv(&mut this.op, cx)
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_recv(&mut self.op);
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}
