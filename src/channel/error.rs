//! The errors of channel operations.

use std::fmt;

/// `send` on a channel that is closed (every receiver dropped, or `close`
/// called): the value comes back.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::bounded::<u32>(1);
/// drop(rx);
/// let err = tx.send(7).await.unwrap_err();
/// assert_eq!(err.0, 7);
/// assert_eq!(err.to_string(), "sending on a closed channel");
/// # });
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// `try_send` could not send now: the channel is full, or closed. The value
/// comes back either way.
///
/// # Examples
/// ```
/// use bobbin::channel::TrySendError;
/// let (tx, _rx) = bobbin::channel::bounded(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// No room (a bounded channel), or no receiver waiting (a rendezvous).
    Full(T),
    /// The channel is closed.
    Closed(T),
}

/// `recv` on a channel that is closed and empty.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::unbounded::<u32>();
/// drop(tx);
/// assert_eq!(rx.recv().await, Err(bobbin::channel::RecvError));
/// # });
/// ```
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct RecvError;

/// `try_recv` got nothing: the channel is empty, or closed and empty.
///
/// # Examples
/// ```
/// use bobbin::channel::TryRecvError;
/// let (_tx, rx) = bobbin::channel::unbounded::<u32>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// ```
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// Nothing buffered now.
    Empty,
    /// Closed, and everything buffered was received.
    Closed,
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = bobbin::channel::bounded(0);
    /// assert_eq!(tx.try_send("x").unwrap_err().into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }

    /// True if the channel was full.
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = bobbin::channel::bounded(0);
    /// assert!(tx.try_send(1).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// True if the channel was closed.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::bounded(1);
    /// drop(rx);
    /// assert!(tx.try_send(1).unwrap_err().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> std::error::Error for SendError<T> {}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Closed(_) => f.write_str("sending on a closed channel"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on a closed channel")
    }
}

impl std::error::Error for RecvError {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Closed => f.write_str("receiving on a closed channel"),
        }
    }
}

impl std::error::Error for TryRecvError {}
