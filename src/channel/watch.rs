//! `watch`: one value that senders replace and receivers observe: each
//! receiver sees the latest value, and can wait until it changes (tokio's
//! `sync::watch`).
//!
//! How it is built: the value sits behind a read-write lock; a version
//! counter, bumped by every change, tells a receiver whether it has seen
//! the current value (its own copy of the version). A receiver that waits
//! for a change queues a waker in the crate's wait list; a change bumps the
//! version, then wakes every queued receiver. A receiver checks the version
//! under the wait list's lock before it queues, so of "bump, then wake all"
//! and "check, then queue" one always sees the other: no change is slept
//! through. Closing (the last sender gone) sets a bit in the same word and
//! wakes everyone too.
//!
//! Why not a `Notify`: it lives in `sync/`, which the channels do not import
//! (they stand on the task core only). The list here is the same one
//! `Notify` and the other channels queue in.
//!
//! Tested by the unit tests below and `executor-tests/tests/channel_watch.rs`.

use super::error::{RecvError, SendError};
use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use crate::task::coop;
use crate::task::wait_list::{WaitList, WakeList, set_waker};
use futures_core::Stream;
use std::fmt;
use std::future::{Future, poll_fn};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::{RwLock, RwLockReadGuard};
use std::task::{Context, Poll, Waker};

/// The version word: bit 0 is "closed", the rest count changes.
const CLOSED: usize = 1;
const STEP: usize = 2;

/// Makes a watch channel holding `initial`.
///
/// Receivers see the latest value at any time ([`Receiver::borrow`]) and
/// can wait for it to change ([`Receiver::changed`]); a receiver that
/// falls behind skips the values in between (it sees only the latest).
/// [`Sender`] and [`Receiver`] are both `Clone`; the channel closes when
/// the last sender goes.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, mut rx) = bobbin::channel::watch("starting");
/// let watcher = bobbin::spawn(async move {
///     rx.changed().await.unwrap();
///     *rx.borrow_and_update()
/// });
/// tx.send("ready").unwrap();
/// assert_eq!(watcher.await.unwrap(), "ready");
/// # });
/// ```
pub fn watch<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(initial),
        version: AtomicUsize::new(0),
        waiters: Mutex::new(WaitList::new()),
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
        sender_waiters: Mutex::new(WaitList::new()),
    });
    let receiver = Receiver {
        shared: shared.clone(),
        seen: 0,
        waiting: None,
        streamed: false,
    };
    (Sender { shared }, receiver)
}

struct Shared<T> {
    value: RwLock<T>,
    /// Changes times `STEP`, plus `CLOSED` once the last sender is gone.
    version: AtomicUsize,
    /// Receivers waiting for a change.
    waiters: Mutex<WaitList<Option<Waker>>>,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// Senders waiting for the last receiver to go (`Sender::closed`).
    sender_waiters: Mutex<WaitList<Option<Waker>>>,
}

impl<T> Shared<T> {
    /// Reads the value, ignoring poisoning: a panic while a sender's
    /// `send_modify` closure held the lock leaves the value as the closure
    /// left it, which is what the channel promises to show.
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Bumps the version (a change, or `CLOSED`) and wakes every waiting
    /// receiver.
    fn announce(&self, bump: usize) {
        // AcqRel: Release publishes the new value (written under the
        // value's lock before this) to a receiver that sees the version.
        self.version.fetch_add(bump, AcqRel);
        wake_all(&self.waiters);
    }

    fn version(&self) -> usize {
        // Acquire: pairs with `announce`.
        self.version.load(Acquire)
    }
}

/// Wakes (and unlinks) every waker in `list`; their futures free their
/// entries.
fn wake_all(list: &Mutex<WaitList<Option<Waker>>>) {
    let mut wake = WakeList::new();
    lock(list).drain(|waker| wake.push(waker.take()));
    wake.wake_all();
}

/// The sending half of a [`watch`] channel: replaces the value and tells
/// the receivers. Cloneable; the channel closes when the last clone goes.
///
/// # Examples
/// ```
/// let (tx, rx) = bobbin::channel::watch(0);
/// tx.send_modify(|value| *value += 1);
/// assert_eq!(*rx.borrow(), 1);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Replaces the value and wakes the receivers waiting for a change.
    ///
    /// # Errors
    /// [`SendError`] with the value if every receiver is gone (the value
    /// is not stored; [`send_replace`](Sender::send_replace) stores it
    /// anyway).
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::watch(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// drop(rx);
    /// assert_eq!(tx.send(3).unwrap_err().0, 3);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value (whether or not anyone watches) and returns the
    /// old one.
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = bobbin::channel::watch("a");
    /// assert_eq!(tx.send_replace("b"), "a");
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut value = value;
        self.send_modify(|current| std::mem::swap(current, &mut value));
        value
    }

    /// Changes the value in place and wakes the receivers waiting for a
    /// change (whether or not anyone watches).
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::watch(vec![1]);
    /// tx.send_modify(|list| list.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Changes the value in place; if `modify` returns true, wakes the
    /// receivers waiting for a change (false: it left the value as it was,
    /// and nobody is told). Returns what `modify` returned.
    ///
    /// # Panics
    /// If `modify` panics, the panic goes on; the value stays as `modify`
    /// left it, and receivers are told of a change.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = bobbin::channel::watch(5);
    /// assert!(!tx.send_if_modified(|value| false));
    /// assert!(!rx.has_changed().unwrap());
    /// assert!(tx.send_if_modified(|value| { *value = 6; true }));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        /// Bumps the version while the value's lock is held (made after the
        /// lock's guard, it drops first, unwinding too), so a receiver
        /// holding the read lock reads the version of the value it sees.
        struct Bump<'a> {
            version: &'a AtomicUsize,
            modified: bool,
        }
        impl Drop for Bump<'_> {
            fn drop(&mut self) {
                if self.modified {
                    // AcqRel: Release publishes the new value to a receiver
                    // that sees the version without the lock.
                    self.version.fetch_add(STEP, AcqRel);
                }
            }
        }
        /// Wakes the waiting receivers once the lock is released, even if
        /// `modify` unwinds.
        struct Wake<'a, T> {
            shared: &'a Shared<T>,
            modified: bool,
        }
        impl<T> Drop for Wake<'_, T> {
            fn drop(&mut self) {
                if self.modified {
                    wake_all(&self.shared.waiters);
                }
            }
        }
        let mut wake = Wake {
            shared: &self.shared,
            modified: true,
        };
        {
            let mut value = self
                .shared
                .value
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut bump = Bump {
                version: &self.shared.version,
                modified: true,
            };
            bump.modified = modify(&mut value);
            wake.modified = bump.modified;
        }
        wake.modified
    }

    /// The current value (a read lock: hold it briefly, and never across
    /// an `.await`).
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = bobbin::channel::watch(4);
    /// assert_eq!(*tx.borrow(), 4);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver, which has seen the current value.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::watch(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Relaxed);
        Receiver {
            shared: self.shared.clone(),
            seen: self.shared.version() & !CLOSED,
            waiting: None,
            streamed: false,
        }
    }

    /// How many receivers there are.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::watch(());
    /// let rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Acquire)
    }

    /// True once every receiver is gone.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::watch(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let (tx, rx) = bobbin::channel::watch(());
    /// bobbin::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// # });
    /// ```
    pub async fn closed(&self) {
        let mut wait = ClosedWait {
            shared: &self.shared,
            key: None,
        };
        std::future::poll_fn(|cx| wait.poll(cx)).await;
    }
}

/// A sender waiting for the last receiver to go; frees its wait entry when
/// dropped.
struct ClosedWait<'a, T> {
    shared: &'a Shared<T>,
    key: Option<usize>,
}

impl<T> ClosedWait<'_, T> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut waiters = lock(&self.shared.sender_waiters);
        // Under the list's lock: the last receiver's drop wakes the list
        // after its count reaches zero, so one of the two sees the other.
        if self.shared.receivers.load(Acquire) == 0 {
            if let Some(key) = self.key.take() {
                waiters.remove(key);
            }
            return Poll::Ready(());
        }
        match self.key {
            Some(key) if waiters.is_linked(key) => set_waker(waiters.get_mut(key), cx.waker()),
            // Woken, and a receiver was subscribed since: wait again.
            Some(key) => {
                waiters.remove(key);
                self.key = Some(waiters.push_back(Some(cx.waker().clone())));
            }
            None => self.key = Some(waiters.push_back(Some(cx.waker().clone()))),
        }
        Poll::Pending
    }
}

impl<T> Drop for ClosedWait<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.shared.sender_waiters).remove(key);
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.senders.fetch_add(1, Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last sender's close is ordered after every other
        // sender's changes.
        if self.shared.senders.fetch_sub(1, AcqRel) == 1 {
            self.shared.announce(CLOSED);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("value", &*self.borrow())
            .finish()
    }
}

/// The receiving half of a [`watch`] channel. Cloneable: each clone
/// keeps its own note of which value it has seen.
///
/// As a [`Stream`] (for `T: Clone`) it yields the
/// current value at its first poll, then each new value; it ends when the
/// channel closes.
///
/// # Examples
/// ```
/// use futures::StreamExt;
/// # bobbin::block_on(async {
/// let (tx, mut rx) = bobbin::channel::watch(0);
/// assert_eq!(rx.next().await, Some(0));
/// tx.send(1).unwrap();
/// assert_eq!(rx.next().await, Some(1));
/// drop(tx);
/// assert_eq!(rx.next().await, None);
/// # });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version of the last value this receiver marked seen.
    seen: usize,
    /// Its entry in the wait list, from its first wait until it is
    /// dropped: queued while it waits; a change unqueues it (the receiver
    /// then finds the change without the list's lock), and the next wait
    /// queues it again.
    waiting: Option<usize>,
    /// As a `Stream`: the first value has been yielded.
    streamed: bool,
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen (a read lock: hold it
    /// briefly, and never across an `.await`).
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::watch("a");
    /// tx.send("b").unwrap();
    /// let value = rx.borrow();
    /// assert_eq!(*value, "b");
    /// assert!(!value.has_changed(), "borrow reports no change");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// The current value, marked seen: [`changed`](Receiver::changed)
    /// then waits for the next one.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = bobbin::channel::watch(1);
    /// tx.send(2).unwrap();
    /// let value = rx.borrow_and_update();
    /// assert!(value.has_changed());
    /// assert_eq!(*value, 2);
    /// drop(value);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        // Under the read lock the version is the value's (a change bumps it
        // under the write lock).
        let guard = self.shared.read();
        let version = self.shared.version() & !CLOSED;
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// True if the value changed since this receiver last marked it seen.
    ///
    /// # Errors
    /// [`RecvError`] once the channel is closed (the value can still be
    /// borrowed).
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::watch(0);
    /// assert!(!rx.has_changed().unwrap());
    /// tx.send(1).unwrap();
    /// assert!(rx.has_changed().unwrap());
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let version = self.shared.version();
        if version & CLOSED != 0 {
            return Err(RecvError);
        }
        Ok(version != self.seen)
    }

    /// Marks the current value seen.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = bobbin::channel::watch(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version() & !CLOSED;
    }

    /// Marks the current value unseen: the next [`changed`](Receiver::changed)
    /// returns at once.
    ///
    /// # Examples
    /// ```
    /// let (_tx, mut rx) = bobbin::channel::watch(0);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = (self.shared.version() & !CLOSED).wrapping_sub(STEP);
    }

    /// Waits until the value changes (at once if it changed since this
    /// receiver last marked it seen), and marks it seen.
    ///
    /// # Errors
    /// [`RecvError`] once the channel is closed (every sender gone) and
    /// this receiver has seen the last value.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future marks nothing seen.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let (tx, mut rx) = bobbin::channel::watch(0);
    /// bobbin::spawn(async move { tx.send(1).unwrap() });
    /// rx.changed().await.unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// # });
    /// ```
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed { receiver: self }
    }

    /// Waits until `predicate` holds for the value (checking the current
    /// one first), marks it seen and returns it borrowed.
    ///
    /// # Errors
    /// [`RecvError`] if the channel closes before the predicate holds.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let (tx, mut rx) = bobbin::channel::watch(0);
    /// bobbin::spawn(async move {
    ///     for n in 1..=5 {
    ///         tx.send(n).unwrap();
    ///     }
    /// });
    /// let value = rx.wait_for(|n| *n >= 3).await.unwrap();
    /// assert!(*value >= 3);
    /// # });
    /// ```
    pub async fn wait_for(
        &mut self,
        mut predicate: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        // Field by field, so the returned guard (a borrow of `shared`) and
        // the waits (which write `seen` and `waiting`) do not conflict.
        let Receiver {
            shared,
            seen,
            waiting,
            ..
        } = self;
        let shared: &Shared<T> = shared;
        loop {
            {
                // The value the predicate sees is the one returned, and
                // the version read under the same read lock is its own.
                let guard = shared.read();
                let version = shared.version();
                *seen = version & !CLOSED;
                if predicate(&guard) {
                    return Ok(Ref {
                        guard,
                        has_changed: true,
                    });
                }
                if version & CLOSED != 0 {
                    return Err(RecvError);
                }
            }
            poll_fn(|cx| poll_changed(shared, seen, waiting, cx)).await?;
        }
    }

    /// True if both receivers watch the same channel.
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = bobbin::channel::watch(());
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Ready once the value changed (marking it seen), or the channel
    /// closed with nothing unseen; otherwise queues `cx` to be woken.
    fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RecvError>> {
        poll_changed(&self.shared, &mut self.seen, &mut self.waiting, cx)
    }
}

/// [`Receiver::poll_changed`] on the receiver's parts: `seen` is the
/// version it last marked seen, `waiting` its wait-list entry.
fn poll_changed<T>(
    shared: &Shared<T>,
    seen: &mut usize,
    waiting: &mut Option<usize>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), RecvError>> {
    // A change is seen without the list's lock. An entry that is still
    // queued (the change's wake-up has not reached it yet) stays: that
    // wake-up unqueues it, spuriously waking this task once.
    if let Some(ready) = seen_change(seen, shared.version()) {
        return Poll::Ready(ready);
    }
    let mut waiters = lock(&shared.waiters);
    // Again under the list's lock: a change after this read wakes us.
    if let Some(ready) = seen_change(seen, shared.version()) {
        return Poll::Ready(ready);
    }
    match *waiting {
        Some(key) if waiters.is_linked(key) => set_waker(waiters.get_mut(key), cx.waker()),
        Some(key) => {
            // Woken by an earlier change: queue the same entry again.
            set_waker(waiters.get_mut(key), cx.waker());
            waiters.link_back(key);
        }
        None => *waiting = Some(waiters.push_back(Some(cx.waker().clone()))),
    }
    Poll::Pending
}

/// What a wait ends with at `version`: `Ok` if the value changed since the
/// receiver last marked it `seen` (marking it seen now), `Err` if the
/// channel closed with nothing unseen, `None` if it goes on.
fn seen_change(seen: &mut usize, version: usize) -> Option<Result<(), RecvError>> {
    if version & !CLOSED != *seen {
        *seen = version & !CLOSED;
        Some(Ok(()))
    } else if version & CLOSED != 0 {
        Some(Err(RecvError))
    } else {
        None
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Relaxed);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
            waiting: None,
            streamed: self.streamed,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiting.take() {
            lock(&self.shared.waiters).remove(key);
        }
        // Release: a sender that sees the count reach zero sees this
        // receiver done.
        if self.shared.receivers.fetch_sub(1, Release) == 1 {
            wake_all(&self.shared.sender_waiters);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("value", &*self.borrow())
            .finish()
    }
}

impl<T: Clone> Stream for Receiver<T> {
    type Item = T;

    /// Spends a unit of the task's budget for each value, like `changed`.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        if !this.streamed {
            this.streamed = true;
            return Poll::Ready(Some(this.borrow_and_update().clone()));
        }
        coop::poll_budgeted(cx, |cx| match this.poll_changed(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Some(this.borrow_and_update().clone())),
            Poll::Ready(Err(RecvError)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
    }
}

/// The future of [`Receiver::changed`].
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, mut rx) = bobbin::channel::watch(0);
/// tx.send(1).unwrap();
/// let changed: bobbin::channel::watch::Changed<'_, i32> = rx.changed();
/// changed.await.unwrap();
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Changed<'a, T> {
    receiver: &'a mut Receiver<T>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    /// Spends a unit of the task's budget when it completes.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let receiver = &mut *self.receiver;
        coop::poll_budgeted(cx, |cx| receiver.poll_changed(cx))
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed").finish_non_exhaustive()
    }
}

/// A borrowed value of a [`watch`] channel (a read lock, released when
/// dropped).
///
/// # Examples
/// ```
/// let (_tx, rx) = bobbin::channel::watch(String::from("hi"));
/// let value: bobbin::channel::watch::Ref<'_, String> = rx.borrow();
/// assert_eq!(value.len(), 2);
/// ```
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// True if [`Receiver::borrow_and_update`] found the value unseen.
    ///
    /// # Examples
    /// See [`Receiver::borrow_and_update`].
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as StdAtomicUsize;
    use std::sync::atomic::Ordering::SeqCst;
    use std::task::Wake;

    struct Count(StdAtomicUsize);

    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn a_change_wakes_every_waiting_receiver_once() {
        let (tx, mut rx1) = watch(0);
        let mut rx2 = rx1.clone();
        let count = std::sync::Arc::new(Count(StdAtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(rx1.poll_changed(&mut cx).is_pending());
        assert!(rx2.poll_changed(&mut cx).is_pending());
        tx.send(1).unwrap();
        assert_eq!(count.0.load(SeqCst), 2);
        assert_eq!(rx1.poll_changed(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(rx2.poll_changed(&mut cx), Poll::Ready(Ok(())));
        assert!(rx1.poll_changed(&mut cx).is_pending());
        drop(rx1);
        drop(rx2);
        assert!(lock(&tx.shared.waiters).is_empty());
        assert_eq!(
            lock(&tx.shared.waiters).slots(),
            0,
            "dropped receivers free their entries"
        );
    }

    #[test]
    fn the_last_sender_closes_after_the_last_value_is_seen() {
        let (tx, mut rx) = watch(0);
        tx.send(1).unwrap();
        drop(tx);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert_eq!(
            rx.poll_changed(&mut cx),
            Poll::Ready(Ok(())),
            "the last value first"
        );
        assert_eq!(rx.poll_changed(&mut cx), Poll::Ready(Err(RecvError)));
        assert_eq!(*rx.borrow(), 1, "the value stays readable");
    }
}
