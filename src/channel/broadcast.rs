//! `broadcast`: a bounded channel where every receiver sees every value
//! (tokio's `sync::broadcast`).
//!
//! How it is built: a ring of `capacity` slots (rounded up to a power of
//! two), each behind a mutex and stamped with the position it holds; a `Tail` behind a mutex with the next position to write, the
//! number of receivers, the closed flag and the receivers waiting for a
//! value (in the crate's wait list). A send takes the tail lock, writes the
//! slot, advances the tail and wakes every waiting receiver. A receiver
//! keeps the position it reads next and reads the slot under its lock:
//! a slot stamped with that position holds its value; an older stamp means
//! the value is not sent yet (it queues, under the tail lock, after looking
//! at the tail again); a newer stamp means the ring went round it, and the
//! receiver *lagged*: it is told how many values it missed and resumes at
//! the oldest value still kept.
//!
//! Why this way: senders are serialized anyway (a position each), and a
//! receiver's fast path is one short lock and a clone. A mutex, not a
//! read-write lock, per slot: receivers clone the value one at a time, so
//! a value that is `Send` but not `Sync` can be broadcast (as with
//! tokio's). Values stay in their slot until a later send overwrites it
//! (or the channel goes), as in tokio, which frees a value once every
//! receiver has read it; here a counter per slot would cost every receive a
//! write.
//!
//! Tested by the unit tests below and
//! `executor-tests/tests/channel_broadcast.rs`.

use super::error::SendError;
use crate::loom::{Arc, Mutex, lock};
use crate::task::coop;
use crate::task::wait_list::{WaitList, WakeList, set_waker};
use crossbeam_utils::CachePadded;
use futures_core::Stream;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Makes a broadcast channel that keeps the last `capacity` values
/// (rounded up to a power of two) for receivers that fall behind.
///
/// Every [`Receiver`] gets every value sent after it subscribed, unless it
/// falls more than the capacity behind: then it gets
/// [`RecvError::Lagged`] with the number it missed, and resumes at the
/// oldest value still kept. [`Sender`]s are `Clone`; more receivers come
/// from [`Sender::subscribe`] or [`Receiver::resubscribe`]. The channel
/// closes when the last sender goes; receivers then drain what is kept.
///
/// # Panics
/// If `capacity` is 0 (nothing could ever be received), or larger than
/// `usize::MAX / 2`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, mut rx1) = bobbin::channel::broadcast(16);
/// let mut rx2 = tx.subscribe();
/// tx.send("hello").unwrap();
/// assert_eq!(rx1.recv().await.unwrap(), "hello");
/// assert_eq!(rx2.recv().await.unwrap(), "hello");
/// # });
/// ```
#[track_caller]
pub fn broadcast<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "a broadcast channel needs a capacity of at least 1 (it keeps that many values for \
         receivers that fall behind); use broadcast(1) or more"
    );
    assert!(
        capacity <= usize::MAX / 2,
        "a broadcast channel's capacity must be at most usize::MAX / 2, got {capacity}"
    );
    let capacity = capacity.next_power_of_two();
    let buffer = (0..capacity)
        .map(|_| {
            Mutex::new(Slot {
                pos: None,
                value: None,
            })
        })
        .collect();
    let shared = Arc::new(Shared {
        buffer,
        mask: capacity as u64 - 1,
        tail: CachePadded::new(Mutex::new(Tail {
            pos: 0,
            receivers: 1,
            senders: 1,
            closed: false,
            waiters: WaitList::new(),
        })),
    });
    let receiver = Receiver {
        shared: shared.clone(),
        next: 0,
        waiting: None,
    };
    (Sender { shared }, receiver)
}

struct Shared<T> {
    buffer: Box<[Mutex<Slot<T>>]>,
    mask: u64,
    /// On a line of its own: every send writes it, and every receive reads
    /// `buffer` and `mask`.
    tail: CachePadded<Mutex<Tail>>,
}

struct Slot<T> {
    /// The position whose value this slot holds, once written.
    pos: Option<u64>,
    value: Option<T>,
}

struct Tail {
    /// The next position to write.
    pos: u64,
    receivers: usize,
    senders: usize,
    closed: bool,
    /// Receivers waiting for the next value.
    waiters: WaitList<Option<Waker>>,
}

impl<T> Shared<T> {
    fn capacity(&self) -> u64 {
        self.mask + 1
    }

    fn slot(&self, pos: u64) -> &Mutex<Slot<T>> {
        &self.buffer[(pos & self.mask) as usize]
    }
}

/// The sending half of a [`broadcast`] channel. Cloneable; the channel
/// closes when the last clone goes.
///
/// # Examples
/// ```
/// let (tx, mut rx) = bobbin::channel::broadcast(4);
/// assert_eq!(tx.send(1), Ok(1), "one receiver got it");
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver; returns how many there are. Never
    /// waits: a receiver that falls behind loses the oldest values instead
    /// (it is told, [`RecvError::Lagged`]).
    ///
    /// # Errors
    /// [`SendError`] with the value if there is no receiver.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::broadcast(4);
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().0, 5);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut wake = WakeList::new();
        let (receivers, old) = {
            let mut tail = lock(&self.shared.tail);
            if tail.receivers == 0 {
                return Err(SendError(value));
            }
            let pos = tail.pos;
            let old = {
                let mut slot = lock(self.shared.slot(pos));
                slot.pos = Some(pos);
                slot.value.replace(value)
            };
            tail.pos = pos + 1;
            tail.waiters.drain(|waker| wake.push(waker.take()));
            (tail.receivers, old)
        };
        wake.wake_all();
        // The overwritten value is dropped outside every lock.
        drop(old);
        Ok(receivers)
    }

    /// A new receiver, which gets every value sent from now on.
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = bobbin::channel::broadcast(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        subscribe(&self.shared)
    }

    /// How many receivers there are.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::broadcast::<()>(1);
    /// let _rx2 = rx.resubscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.tail).receivers
    }

    /// True if both senders belong to the same channel.
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = bobbin::channel::broadcast::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

fn subscribe<T>(shared: &Arc<Shared<T>>) -> Receiver<T> {
    let mut tail = lock(&shared.tail);
    tail.receivers += 1;
    Receiver {
        shared: shared.clone(),
        next: tail.pos,
        waiting: None,
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        lock(&self.shared.tail).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut wake = WakeList::new();
        {
            let mut tail = lock(&self.shared.tail);
            tail.senders -= 1;
            if tail.senders > 0 {
                return;
            }
            tail.closed = true;
            tail.waiters.drain(|waker| wake.push(waker.take()));
        }
        wake.wake_all();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").finish_non_exhaustive()
    }
}

/// The receiving half of a [`broadcast`] channel: gets every value sent
/// after it subscribed. Not `Clone` (each receiver has its own place in
/// the stream); [`resubscribe`](Receiver::resubscribe) makes another.
///
/// As a [`Stream`] it yields `Ok(value)`, or
/// `Err(RecvError::Lagged(n))` when it fell behind, and ends when the
/// channel is closed and drained.
///
/// # Examples
/// ```
/// use futures::StreamExt;
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::broadcast(8);
/// for n in 0..3 {
///     tx.send(n).unwrap();
/// }
/// drop(tx);
/// let got: Vec<_> = rx.map(Result::unwrap).collect().await;
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The position this receiver reads next.
    next: u64,
    /// Its entry in the tail's wait list, while it waits.
    waiting: Option<usize>,
}

/// What [`Receiver::try_take`] found.
enum Take<T> {
    Value(T),
    Lagged(u64),
    /// Not sent yet.
    Empty,
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next value.
    ///
    /// # Errors
    /// [`RecvError::Lagged`] with how many values this receiver missed by
    /// falling more than the capacity behind (the next receive gets the
    /// oldest value still kept); [`RecvError::Closed`] once every sender is
    /// gone and the kept values are read.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future takes no value.
    ///
    /// # Examples
    /// ```
    /// use bobbin::channel::broadcast::RecvError;
    /// # bobbin::block_on(async {
    /// let (tx, mut rx) = bobbin::channel::broadcast(2);
    /// for n in 0..5 {
    ///     tx.send(n).unwrap();
    /// }
    /// assert_eq!(rx.recv().await, Err(RecvError::Lagged(3)));
    /// assert_eq!(rx.recv().await, Ok(3));
    /// # });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { receiver: self }
    }

    /// Takes the next value if it has been sent.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if it has not, [`TryRecvError::Lagged`] and
    /// [`TryRecvError::Closed`] as for [`recv`](Receiver::recv).
    ///
    /// # Examples
    /// ```
    /// use bobbin::channel::broadcast::TryRecvError;
    /// let (tx, mut rx) = bobbin::channel::broadcast(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.try_take() {
            Take::Value(value) => Ok(value),
            Take::Lagged(missed) => Err(TryRecvError::Lagged(missed)),
            Take::Empty => {
                if lock(&self.shared.tail).closed && self.is_caught_up() {
                    Err(TryRecvError::Closed)
                } else {
                    Err(TryRecvError::Empty)
                }
            }
        }
    }

    /// Reads the slot of the next position.
    fn try_take(&mut self) -> Take<T> {
        {
            // `lock` ignores poisoning: a slot is written in one assignment
            // and read by a clone, so a panicking clone leaves it whole.
            let slot = lock(self.shared.slot(self.next));
            match slot.pos {
                Some(pos) if pos == self.next => {
                    self.next += 1;
                    let value = slot
                        .value
                        .clone()
                        .expect("a slot stamped with a position holds its value");
                    return Take::Value(value);
                }
                Some(pos) if pos > self.next => {}
                _ => return Take::Empty,
            }
        }
        // Lapped: resume at the oldest value still kept.
        let tail = lock(&self.shared.tail);
        let oldest = tail.pos.saturating_sub(self.shared.capacity());
        let missed = oldest.saturating_sub(self.next);
        self.next = self.next.max(oldest);
        Take::Lagged(missed)
    }

    fn is_caught_up(&self) -> bool {
        lock(&self.shared.tail).pos <= self.next
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        loop {
            match self.try_take() {
                Take::Value(value) => {
                    self.unqueue();
                    return Poll::Ready(Ok(value));
                }
                Take::Lagged(missed) => {
                    self.unqueue();
                    return Poll::Ready(Err(RecvError::Lagged(missed)));
                }
                Take::Empty => {}
            }
            let mut tail = lock(&self.shared.tail);
            if tail.pos > self.next {
                // Sent between our look at the slot and the lock: read it.
                continue;
            }
            if tail.closed {
                let key = self.waiting.take();
                if let Some(key) = key {
                    tail.waiters.remove(key);
                }
                return Poll::Ready(Err(RecvError::Closed));
            }
            match self.waiting {
                Some(key) if tail.waiters.is_linked(key) => {
                    set_waker(tail.waiters.get_mut(key), cx.waker());
                }
                Some(key) => {
                    // Woken by a send another receiver's value came from:
                    // queue again.
                    tail.waiters.remove(key);
                    self.waiting = Some(tail.waiters.push_back(Some(cx.waker().clone())));
                }
                None => self.waiting = Some(tail.waiters.push_back(Some(cx.waker().clone()))),
            }
            return Poll::Pending;
        }
    }
}

impl<T> Receiver<T> {
    /// A new receiver at the end of the stream: it gets the values sent
    /// from now on (not those this one has yet to read).
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::broadcast(4);
    /// tx.send(1).unwrap();
    /// let mut again = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(again.try_recv(), Ok(2));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        subscribe(&self.shared)
    }

    /// How many values this receiver has yet to read (at most the
    /// capacity, even after it lagged).
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::broadcast(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let tail = lock(&self.shared.tail);
        let unread = tail
            .pos
            .saturating_sub(self.next)
            .min(self.shared.capacity());
        usize::try_from(unread).unwrap_or(usize::MAX)
    }

    /// True if this receiver has read every value sent.
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = bobbin::channel::broadcast::<()>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if both receivers belong to the same channel.
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = bobbin::channel::broadcast::<()>(1);
    /// assert!(rx.same_channel(&rx.resubscribe()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    fn unqueue(&mut self) {
        if let Some(key) = self.waiting.take() {
            lock(&self.shared.tail).waiters.remove(key);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut tail = lock(&self.shared.tail);
        if let Some(key) = self.waiting.take() {
            tail.waiters.remove(key);
        }
        tail.receivers -= 1;
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl<T: Clone> Stream for Receiver<T> {
    type Item = Result<T, RecvError>;

    /// Spends a unit of the task's budget for each item, like `recv`.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        coop::poll_budgeted(cx, |cx| match this.poll_recv(cx) {
            Poll::Ready(Err(RecvError::Closed)) => Poll::Ready(None),
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending => Poll::Pending,
        })
    }
}

/// The future of [`Receiver::recv`].
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, mut rx) = bobbin::channel::broadcast(1);
/// tx.send(1).unwrap();
/// let recv: bobbin::channel::broadcast::Recv<'_, i32> = rx.recv();
/// assert_eq!(recv.await, Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    /// Spends a unit of the task's budget when it completes.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let receiver = &mut *self.receiver;
        coop::poll_budgeted(cx, |cx| receiver.poll_recv(cx))
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

/// Why [`Receiver::recv`] gave no value.
///
/// # Examples
/// See [`Receiver::recv`].
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum RecvError {
    /// Every sender is gone and every kept value was read.
    Closed,
    /// The receiver fell more than the capacity behind and missed this
    /// many values; the next receive gets the oldest value still kept.
    Lagged(u64),
}

/// Why [`Receiver::try_recv`] gave no value.
///
/// # Examples
/// See [`Receiver::try_recv`].
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// The next value has not been sent yet.
    Empty,
    /// Every sender is gone and every kept value was read.
    Closed,
    /// The receiver fell behind and missed this many values (as
    /// [`RecvError::Lagged`]).
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("receiving on a closed broadcast channel"),
            RecvError::Lagged(missed) => write!(
                f,
                "the broadcast receiver fell behind and missed {missed} values; it resumes at \
                 the oldest value kept"
            ),
        }
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no value has been broadcast yet"),
            TryRecvError::Closed => RecvError::Closed.fmt(f),
            TryRecvError::Lagged(missed) => RecvError::Lagged(*missed).fmt(f),
        }
    }
}

impl std::error::Error for RecvError {}
impl std::error::Error for TryRecvError {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_lagging_receiver_resumes_at_the_oldest_kept_value() {
        let (tx, mut rx) = broadcast(3); // 4 slots
        for n in 0..10 {
            tx.send(n).unwrap();
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(6)));
        assert_eq!(rx.len(), 4);
        for n in 6..10 {
            assert_eq!(rx.try_recv(), Ok(n));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn a_waiting_receiver_is_woken_and_its_entry_freed() {
        let (tx, mut rx) = broadcast(2);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(rx.poll_recv(&mut cx).is_pending());
        assert_eq!(lock(&tx.shared.tail).waiters.len(), 1);
        tx.send(7).unwrap();
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(7)));
        assert_eq!(lock(&tx.shared.tail).waiters.slots(), 0);
        assert!(rx.poll_recv(&mut cx).is_pending());
        drop(rx);
        assert_eq!(
            lock(&tx.shared.tail).waiters.slots(),
            0,
            "a dropped receiver frees its entry"
        );
        assert_eq!(tx.send(8).unwrap_err().0, 8, "no receiver left");
    }

    #[test]
    #[should_panic(expected = "capacity of at least 1")]
    fn a_zero_capacity_is_refused_with_what_to_do() {
        let _ = broadcast::<()>(0);
    }
}
