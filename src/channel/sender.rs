//! The sending half.

use super::chan::{Chan, SendOp};
use super::error::{SendError, TrySendError};
use crate::loom::Arc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The sending half of a channel. Clone it for more producers; when the
/// last clone is dropped the channel closes, and receivers get
/// [`RecvError`](super::RecvError) once they have drained it.
///
/// As a [`futures_sink::Sink`] it holds one value in flight:
/// `poll_ready` and `poll_flush` drive it into the channel, `poll_close`
/// flushes (the channel itself closes when the last sender goes, or on
/// [`close`](Sender::close)).
/// The sink's wait lives in the sender, which may not be polled again, so
/// it does not queue for a turn: a slot that frees meanwhile stays
/// available to the other sends.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::bounded(8);
/// for producer in 0..3u32 {
///     let tx = tx.clone();
///     bobbin::spawn(async move { tx.send(producer).await.unwrap() });
/// }
/// drop(tx);
/// let mut got = Vec::new();
/// while let Ok(value) = rx.recv().await {
///     got.push(value);
/// }
/// got.sort();
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
pub struct Sender<T> {
    pub(super) chan: Arc<Chan<T>>,
    /// The value a `Sink` user started sending, if any. Reached only
    /// through `&mut self`, so a `Sender` is `Sync` whenever `T: Send`
    /// (as tokio's, crossbeam's and flume's are).
    sink: Exclusive<Option<SendOp<T>>>,
}

/// A value reached only through `&mut`: `Sync` whenever `T: Send`, since a
/// shared reference gives no access to it (std's unstable `Exclusive`).
/// Made of a `Mutex` that is never locked: `get_mut` borrows through
/// `&mut` without touching the lock, so it costs nothing but the lock
/// word.
struct Exclusive<T>(std::sync::Mutex<T>);

impl<T> Exclusive<T> {
    fn new(value: T) -> Exclusive<T> {
        Exclusive(std::sync::Mutex::new(value))
    }

    fn get_mut(&mut self) -> &mut T {
        // Never locked, so never poisoned.
        self.0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// The value in flight is never pinned: a `Sender` may move freely.
impl<T> Unpin for Sender<T> {}

impl<T> Sender<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Sender<T> {
        Sender {
            chan,
            sink: Exclusive::new(None),
        }
    }

    /// Sends `value`, waiting for room in a full bounded channel, and for a
    /// receiver to take it on a rendezvous (`bounded(0)`). Fails, handing
    /// the value back, if the channel is closed. An unbounded channel never
    /// makes it wait.
    ///
    /// Senders that wait are woken in order; one arriving while none waits
    /// unwoken may go ahead of a woken one, until that one has been passed
    /// over across a millisecond (see the [module docs](crate::channel)).
    ///
    /// Cancel safety: dropping the future before it completes sends
    /// nothing, and a wake-up it was given (room freed for it) goes on to
    /// the next waiting sender. The value is dropped with the future. (On a
    /// rendezvous, a send that is dropped at the very instant a receiver
    /// takes its value has sent it; see the module docs.)
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let (tx, rx) = bobbin::channel::bounded(1);
    /// tx.send("hello").await.unwrap();
    /// assert_eq!(rx.recv().await, Ok("hello"));
    /// drop(rx);
    /// assert_eq!(tx.send("bye").await.unwrap_err().0, "bye");
    /// # });
    /// ```
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            chan: &self.chan,
            op: SendOp::new(value),
        }
    }

    /// Sends `value` if that can be done now: there is room (a bounded or
    /// unbounded channel) or a receiver is waiting (a rendezvous, as Go's
    /// `select` with a `default`).
    ///
    /// # Errors
    /// [`TrySendError::Full`] if it would have to wait,
    /// [`TrySendError::Closed`] if the channel is closed; both hand the
    /// value back.
    ///
    /// # Examples
    /// ```
    /// use bobbin::channel::TrySendError;
    /// let (tx, rx) = bobbin::channel::bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// rx.close();
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value)
    }

    /// Sends `value` from a plain thread, blocking it as [`send`](Self::send)
    /// would make a task wait: the bridge from threads to tasks.
    ///
    /// # Errors
    /// [`SendError`] with the value if the channel is closed.
    ///
    /// # Panics
    /// On a runtime worker thread, where blocking would stall every task
    /// queued there; use `send(value).await` in tasks.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::bounded(0);
    /// let producer = std::thread::spawn(move || tx.send_blocking(42));
    /// assert_eq!(bobbin::block_on(rx.recv()), Ok(42));
    /// producer.join().unwrap().unwrap();
    /// ```
    #[track_caller]
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        crate::task::park::park_on("Sender::send_blocking", self.send(value))
    }
}

/// Generates the inspection methods `Sender` and `Receiver` share; `$h` is
/// the handle's name in the examples, `$other` the other half's.
macro_rules! channel_info {
    ($ty:ident, $h:literal, $other:literal) => {
        impl<T> $ty<T> {
            /// Closes the channel for every handle; true if this call closed
            /// it (false if it was closed already). Waiting senders fail and
            /// get their values back; receivers drain what is buffered, then
            /// get `RecvError`. Every waiting task is woken.
            ///
            /// # Examples
            /// ```
            /// # bobbin::block_on(async {
            /// let (tx, rx) = bobbin::channel::unbounded();
            /// tx.send(1).await.unwrap();
            #[doc = concat!("assert!(", $h, ".close());")]
            #[doc = concat!("assert!(!", $h, ".close());")]
            /// assert!(tx.send(2).await.is_err());
            /// assert_eq!(rx.recv().await, Ok(1));
            /// assert!(rx.recv().await.is_err());
            /// # });
            /// ```
            pub fn close(&self) -> bool {
                self.chan.close()
            }

            /// True once the channel is closed (by `close`, or because every
            /// sender or every receiver is gone).
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::bounded::<u8>(1);
            #[doc = concat!("assert!(!", $h, ".is_closed());")]
            #[doc = concat!("drop(", $other, ");")]
            #[doc = concat!("assert!(", $h, ".is_closed());")]
            /// ```
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed()
            }

            /// How many values are buffered now. A rendezvous channel holds
            /// none (only values handed back by cancelled receivers, which
            /// the next receiver takes).
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::bounded(4);
            /// tx.try_send(1).unwrap();
            /// tx.try_send(2).unwrap();
            #[doc = concat!("assert_eq!(", $h, ".len(), 2);")]
            /// ```
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// True if no value is buffered now.
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::unbounded::<u8>();
            #[doc = concat!("assert!(", $h, ".is_empty());")]
            /// ```
            pub fn is_empty(&self) -> bool {
                self.chan.len() == 0
            }

            /// True if a send would have to wait now: a bounded channel at
            /// capacity, or any rendezvous.
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::bounded(1);
            #[doc = concat!("assert!(!", $h, ".is_full());")]
            /// tx.try_send(()).unwrap();
            #[doc = concat!("assert!(", $h, ".is_full());")]
            /// ```
            pub fn is_full(&self) -> bool {
                self.chan.is_full()
            }

            /// The channel's capacity: `Some(n)` for `bounded(n)`, `None`
            /// for an unbounded channel.
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::bounded::<u8>(16);
            #[doc = concat!("assert_eq!(", $h, ".capacity(), Some(16));")]
            /// let (tx, rx) = bobbin::channel::unbounded::<u8>();
            #[doc = concat!("assert_eq!(", $h, ".capacity(), None);")]
            /// ```
            pub fn capacity(&self) -> Option<usize> {
                self.chan.capacity()
            }

            /// How many `Sender`s are alive.
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::unbounded::<u8>();
            /// let tx2 = tx.clone();
            #[doc = concat!("assert_eq!(", $h, ".sender_count(), 2);")]
            /// ```
            pub fn sender_count(&self) -> usize {
                self.chan.sender_count()
            }

            /// How many `Receiver`s are alive.
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::unbounded::<u8>();
            /// let rx2 = rx.clone();
            #[doc = concat!("assert_eq!(", $h, ".receiver_count(), 2);")]
            /// ```
            pub fn receiver_count(&self) -> usize {
                self.chan.receiver_count()
            }

            /// True if both handles belong to the same channel.
            ///
            /// # Examples
            /// ```
            /// let (tx, rx) = bobbin::channel::unbounded::<u8>();
            /// let (other_tx, other_rx) = bobbin::channel::unbounded::<u8>();
            #[doc = concat!("assert!(", $h, ".same_channel(&", $h, ".clone()));")]
            #[doc = concat!("assert!(!", $h, ".same_channel(&other_", $h, "));")]
            /// ```
            pub fn same_channel(&self, other: &$ty<T>) -> bool {
                Arc::ptr_eq(&self.chan, &other.chan)
            }
        }

        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("len", &self.chan.len())
                    .field("capacity", &self.chan.capacity())
                    .field("closed", &self.chan.is_closed())
                    .finish_non_exhaustive()
            }
        }
    };
}

pub(super) use channel_info;

channel_info!(Sender, "tx", "rx");

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.chan.add_sender();
        Sender::new(self.chan.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(mut op) = self.sink.get_mut().take() {
            self.chan.cancel_send(&mut op);
        }
        self.chan.drop_sender();
    }
}

/// The future of [`Sender::send`]: resolves once the value is in the
/// channel (or taken, on a rendezvous), or with the value back in a
/// [`SendError`] if the channel is closed.
///
/// Dropping it before it completes sends nothing (see [`Sender::send`]).
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::bounded(1);
/// let send: bobbin::channel::SendFuture<'_, u8> = tx.send(1);
/// send.await.unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    op: SendOp<T>,
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.chan.poll_send(&mut this.op, cx)
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_send(&mut self.op);
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}

impl<T> futures_sink::Sink<T> for Sender<T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        self.poll_flush(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), SendError<T>> {
        let sink = self.get_mut().sink.get_mut();
        assert!(
            sink.is_none(),
            "Sink::start_send was called on a bobbin Sender before poll_ready returned Ready; \
             call poll_ready first (SinkExt::send and feed do)"
        );
        *sink = Some(SendOp::held_by_handle(item));
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let this = self.get_mut();
        let sink = this.sink.get_mut();
        let Some(op) = sink else {
            return Poll::Ready(Ok(()));
        };
        let result = std::task::ready!(this.chan.poll_send(op, cx));
        *sink = None;
        Poll::Ready(result)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        self.poll_flush(cx)
    }
}
