//! A channel for exactly one value: the reply half of a request.
//!
//! Made by [`oneshot()`](fn@super::oneshot). The [`Sender`] is consumed by
//! its one `send`; the [`Receiver`] is a future of the value.
//!
//! # Examples
//! ```
//! # bobbin::block_on(async {
//! let (reply, answer) = bobbin::channel::oneshot();
//! bobbin::spawn(async move {
//!     reply.send(6 * 7).unwrap();
//! });
//! assert_eq!(answer.await, Ok(42));
//! # });
//! ```

use super::error::{RecvError, TryRecvError};
use crate::loom::{Arc, Mutex, lock};
use crate::task::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

struct Inner<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    /// The sender sent or was dropped: nothing more will come.
    sender_done: bool,
    /// The receiver was dropped or closed: a send fails.
    receiver_done: bool,
    /// The receiver took the value, or returned `RecvError` from a poll:
    /// polling it again is a bug. Kept here rather than in the `Receiver`
    /// so the receiver (which a waiting task's future holds) is one word.
    receiver_finished: bool,
    receiver_waker: Option<Waker>,
    sender_waker: Option<Waker>,
}

/// Sends the one value. Dropping it unsent makes the receiver fail with
/// [`RecvError`].
///
/// # Examples
/// ```
/// let (tx, rx) = bobbin::channel::oneshot::<u8>();
/// drop(tx);
/// assert_eq!(bobbin::block_on(rx), Err(bobbin::channel::RecvError));
/// ```
pub struct Sender<T> {
    inner: Arc<Inner<T>>,
}

/// A future of the one value, or [`RecvError`] if the sender was dropped
/// without sending.
///
/// Cancel safety: dropping it drops the value if one was sent; a later
/// `send` fails.
///
/// # Examples
/// ```
/// let (tx, rx) = bobbin::channel::oneshot();
/// tx.send("done").unwrap();
/// assert_eq!(bobbin::block_on(rx), Ok("done"));
/// ```
pub struct Receiver<T> {
    inner: Arc<Inner<T>>,
}

pub(super) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            value: None,
            sender_done: false,
            receiver_done: false,
            receiver_finished: false,
            receiver_waker: None,
            sender_waker: None,
        }),
    });
    (
        Sender {
            inner: inner.clone(),
        },
        Receiver { inner },
    )
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Sender<T> {
    /// Sends the value, without waiting.
    ///
    /// # Errors
    /// The value comes back if the receiver was dropped or closed.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::oneshot();
    /// drop(rx);
    /// assert_eq!(tx.send(5), Err(5));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut state = lock(&self.inner.state);
            if state.receiver_done {
                return Err(value);
            }
            state.value = Some(value);
            state.sender_done = true;
            state.receiver_waker.take()
        };
        wake(waker);
        Ok(())
    }

    /// True if the receiver was dropped or closed: a send would fail.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = bobbin::channel::oneshot::<u8>();
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.inner.state).receiver_done
    }

    /// Waits until the receiver is dropped or closed: a worker can stop
    /// computing a reply nobody will read.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let (tx, rx) = bobbin::channel::oneshot::<u8>();
    /// bobbin::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&self) {
        std::future::poll_fn(|cx| {
            let mut state = lock(&self.inner.state);
            if state.receiver_done {
                return Poll::Ready(());
            }
            if !state
                .sender_waker
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
            {
                state.sender_waker = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.inner.state);
            if state.sender_done {
                return;
            }
            state.sender_done = true;
            state.receiver_waker.take()
        };
        wake(waker);
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if not sent yet, [`TryRecvError::Closed`] if
    /// the sender was dropped without sending (or the value was taken).
    ///
    /// # Examples
    /// ```
    /// use bobbin::channel::TryRecvError;
    /// let (tx, mut rx) = bobbin::channel::oneshot();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.inner.state);
        match state.value.take() {
            Some(value) => {
                state.receiver_finished = true;
                Ok(value)
            }
            None if state.sender_done => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses the value: a later `send` fails and hands it back. A value
    /// sent before is still there for `try_recv` or `.await`.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = bobbin::channel::oneshot();
    /// rx.close();
    /// assert_eq!(tx.send(3), Err(3));
    /// assert!(bobbin::block_on(rx).is_err());
    /// ```
    pub fn close(&mut self) {
        let waker = {
            let mut state = lock(&self.inner.state);
            state.receiver_done = true;
            state.sender_waker.take()
        };
        wake(waker);
    }

    /// Waits for the value on a plain thread.
    ///
    /// # Errors
    /// [`RecvError`] if the sender was dropped without sending.
    ///
    /// # Panics
    /// On a runtime worker thread; `.await` the receiver in tasks.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::oneshot();
    /// std::thread::spawn(move || tx.send(9).unwrap());
    /// assert_eq!(rx.recv_blocking(), Ok(9));
    /// ```
    #[track_caller]
    pub fn recv_blocking(self) -> Result<T, RecvError> {
        crate::task::park::park_on("oneshot::Receiver::recv_blocking", self)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = lock(&self.inner.state);
        if state.receiver_finished {
            drop(state);
            panic!(
                "a oneshot Receiver was polled after it returned its value; a oneshot delivers \
                 one value, so await it once (use a bounded or unbounded channel for a stream of \
                 values)"
            );
        }
        // Checked before the value is looked at: a budget `Pending` takes
        // nothing (see `task/coop.rs`).
        let restore = ready!(coop::poll_proceed(cx));
        let result = match state.value.take() {
            Some(value) => Ok(value),
            None if state.sender_done => Err(RecvError),
            None => {
                if !state
                    .receiver_waker
                    .as_ref()
                    .is_some_and(|waker| waker.will_wake(cx.waker()))
                {
                    state.receiver_waker = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
        };
        state.receiver_finished = true;
        drop(state);
        restore.made_progress();
        Poll::Ready(result)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (value, waker) = {
            let mut state = lock(&self.inner.state);
            state.receiver_done = true;
            (state.value.take(), state.sender_waker.take())
        };
        drop(value);
        wake(waker);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finished = lock(&self.inner.state).receiver_finished;
        f.debug_struct("oneshot::Receiver")
            .field("finished", &finished)
            .finish_non_exhaustive()
    }
}
