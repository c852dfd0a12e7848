//! `Notify`: wake one waiting task, or all of them, without sending data.
//!
//! tokio's design, on a slab-backed wait list instead of an intrusive one.
//! One atomic word holds the state (no waiter and no permit; waiters
//! queued; a stored permit) and a count of `notify_waiters` calls. The
//! wait list sits behind a mutex.
//!
//! # The state word
//!
//! ```text
//!  bits 0..2   EMPTY (0), WAITING (1: the list holds waiters), NOTIFIED (2: a permit is stored)
//!  bits 2..    how many times notify_waiters was called (wrapping)
//! ```
//!
//! # Invariants
//! 1. `WAITING` is entered and left only with the mutex held, and holds
//!    exactly when the wait list is not empty (outside the mutex). So
//!    while it is set, nobody changes the word without the mutex.
//! 2. The lock-free paths only move between `EMPTY` and `NOTIFIED`
//!    (`notify_one` stores a permit, a first poll consumes it).
//! 3. The call count changes only with the mutex held, in the same
//!    critical section that marks every listed waiter notified. A
//!    `Notified` records the count when it is made; a first poll that
//!    finds it changed completes, and one that finds it unchanged queues
//!    before the mutex is let go. So a `notify_waiters` after the creation
//!    of a `Notified` is never missed.
//! 4. A waiter's entry is freed only by its own future.
//!
//! Tested by the unit tests below, the loom models in
//! `src/sync/tests/loom_notify.rs` and `executor-tests/tests/sync_notify.rs`.

use crate::loom::{AtomicUsize, Mutex, lock};
use crate::task::coop;
use crate::task::wait_list::{WaitList, WakeList, set_waker};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::task::{Context, Poll, Waker};

const EMPTY: usize = 0;
const WAITING: usize = 1;
const NOTIFIED: usize = 2;
const STATE_MASK: usize = 0b11;
const CALL_SHIFT: u32 = 2;

/// Which waiter a single notification goes to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    /// The one that has waited longest (`notify_one`).
    Front,
    /// The most recent (`notify_last`).
    Back,
}

/// The state word and its transitions (the only bit arithmetic on it).
struct State(AtomicUsize);

/// What [`State::store_permit`] found.
#[must_use]
enum StorePermit {
    /// A permit is stored now (it may have been already).
    Stored,
    /// Waiters are queued: wake one, under the mutex.
    Waiting,
}

/// What [`State::consume_or_wait`] did.
#[must_use]
enum ConsumeOrWait {
    /// As [`Consume::Notified`].
    Notified,
    /// Nothing there: `WAITING` is set; queue now.
    Wait,
}

/// What [`State::consume`] found.
#[must_use]
enum Consume {
    /// A stored permit was taken, or `notify_waiters` was called since the
    /// count `calls` was recorded.
    Notified,
    /// Neither.
    Nothing,
}

impl State {
    fn state(word: usize) -> usize {
        word & STATE_MASK
    }

    fn calls(word: usize) -> usize {
        word >> CALL_SHIFT
    }

    /// How many times `notify_waiters` was called.
    fn call_count(&self) -> usize {
        // Acquire: pairs with the AcqRel of `notify_all`, so a `Notified`
        // made after a `notify_waiters` call is ordered after it.
        State::calls(self.0.load(Acquire))
    }

    /// Stores a permit unless waiters are queued.
    fn store_permit(&self) -> StorePermit {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            if State::state(current) == WAITING {
                return StorePermit::Waiting;
            }
            // AcqRel: Release pairs with the Acquire of `consume`, so the
            // notifier's writes are visible to the task it lets through;
            // done even if a permit is already stored, for that ordering.
            // Relaxed on failure: we retry.
            let next = (current & !STATE_MASK) | NOTIFIED;
            match self.0.compare_exchange_weak(current, next, AcqRel, Relaxed) {
                Ok(_) => return StorePermit::Stored,
                Err(actual) => current = actual,
            }
        }
    }

    /// Takes a stored permit, or sees a `notify_waiters` call made since
    /// `calls`.
    fn consume(&self, calls: usize) -> Consume {
        // Acquire: pairs with the Release of `store_permit`/`notify_all`.
        let mut current = self.0.load(Acquire);
        loop {
            if State::calls(current) != calls {
                return Consume::Notified;
            }
            if State::state(current) != NOTIFIED {
                return Consume::Nothing;
            }
            let next = current & !STATE_MASK;
            // AcqRel: Acquire as above; Release keeps the RMW chain.
            // Acquire on failure: the retry reads the word's new value.
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return Consume::Notified,
                Err(actual) => current = actual,
            }
        }
    }

    /// With the mutex held: as [`consume`](State::consume), and if nothing
    /// was there, marks the list as holding waiters (the caller queues
    /// before it lets go of the mutex).
    fn consume_or_wait(&self, calls: usize) -> ConsumeOrWait {
        // Acquire: as in `consume`.
        let mut current = self.0.load(Acquire);
        loop {
            if State::calls(current) != calls {
                return ConsumeOrWait::Notified;
            }
            let (next, verdict) = match State::state(current) {
                NOTIFIED => (current & !STATE_MASK, ConsumeOrWait::Notified),
                _ => ((current & !STATE_MASK) | WAITING, ConsumeOrWait::Wait),
            };
            // AcqRel: Acquire as in `consume`; Release keeps the RMW chain.
            // A racing `store_permit` (EMPTY to NOTIFIED) makes this fail,
            // and the retry takes its permit. Acquire on failure: the retry
            // reads the new value.
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return verdict,
                Err(actual) => current = actual,
            }
        }
    }

    /// With the mutex held and the list just emptied: `WAITING` to `EMPTY`.
    fn set_empty(&self) {
        // Relaxed: while WAITING nobody else changes the word (invariant 1),
        // and the mutex publishes what matters.
        let current = self.0.load(Relaxed);
        debug_assert_eq!(State::state(current), WAITING);
        self.0.store(current & !STATE_MASK, Relaxed);
    }

    /// With the mutex held: counts a `notify_waiters` call and leaves
    /// `WAITING` (every waiter is about to be notified). A stored permit
    /// stays.
    fn notify_all(&self) {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            let state = match State::state(current) {
                WAITING => EMPTY,
                other => other,
            };
            let next = (current & !STATE_MASK).wrapping_add(1 << CALL_SHIFT) | state;
            // AcqRel: Release pairs with the Acquire of `call_count` and
            // `consume`. Relaxed on failure: we retry.
            match self.0.compare_exchange_weak(current, next, AcqRel, Relaxed) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

/// Wakes tasks waiting for an event: one at a time, in the order they
/// began to wait ([`notify_one`](Notify::notify_one)), or all those
/// waiting now ([`notify_waiters`](Notify::notify_waiters)).
///
/// `notify_one` with nobody waiting stores one permit (not a count: two
/// calls store one), which the next [`notified`](Notify::notified) takes
/// and completes at once. So "notify, then wait" does not lose the
/// notification, as a condition variable would; a loop that checks a
/// condition and then waits for the notification is race-free.
///
/// Works in any task of any runtime and under any executor: it only
/// stores and wakes wakers.
///
/// # Memory ordering
/// A `notify_one` happens-before the [`Notified`] it completes returns
/// `Ready`; a `notify_waiters` happens-before every `Notified` it
/// completes returns `Ready`.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use bobbin::sync::Notify;
/// # bobbin::block_on(async {
/// let notify = Arc::new(Notify::new());
/// let waiter = {
///     let notify = notify.clone();
///     bobbin::spawn(async move {
///         notify.notified().await;
///         "woken"
///     })
/// };
/// notify.notify_one(); // before or after the task waits: either works
/// assert_eq!(waiter.await.unwrap(), "woken");
/// # });
/// ```
pub struct Notify {
    state: State,
    waiters: Mutex<WaitList<Entry>>,
}

/// One waiting `Notified`.
struct Entry {
    waker: Option<Waker>,
    notified: Option<Notification>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Notification {
    /// Chosen by `notify_one` or `notify_last`: a `Notified` dropped
    /// before it saw it passes it on from the same end.
    One(End),
    All,
}

/// The future of [`Notify::notified`]: completes when the `Notify` wakes
/// it.
///
/// It receives a [`notify_waiters`](Notify::notify_waiters) sent at any
/// time after it was made, polled or not; it takes part in
/// [`notify_one`](Notify::notify_one)'s queue from its first poll, or from
/// [`enable`](Notified::enable). It is fused: once complete, it stays
/// complete.
///
/// # Cancel safety
/// If it is dropped after a `notify_one` chose it but before it completed,
/// that notification goes to the next waiter (or is stored as the permit),
/// so no wake-up is lost.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let notify = bobbin::sync::Notify::new();
/// let notified = notify.notified();
/// notify.notify_waiters(); // made before the call, so it is received
/// notified.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// `notify_waiters` calls counted when this was made.
    calls: usize,
    stage: Stage,
}

#[derive(Clone, Copy, Debug)]
enum Stage {
    /// Neither polled nor enabled.
    Init,
    /// In the wait list, under this key.
    Waiting(usize),
    Done,
}

impl Notify {
    /// A `Notify` with no waiter and no stored permit.
    ///
    /// # Examples
    /// ```
    /// let notify = bobbin::sync::Notify::new();
    /// notify.notify_one();
    /// ```
    pub fn new() -> Notify {
        Notify {
            state: State(AtomicUsize::new(EMPTY)),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// A future that completes when this `Notify` wakes it (see
    /// [`Notified`]).
    ///
    /// # Cancel safety
    /// Cancel-safe: a notification chosen for a dropped future is passed
    /// on (see [`Notified`]).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let notify = bobbin::sync::Notify::new();
    /// notify.notify_one(); // stored
    /// notify.notified().await; // taken: completes at once
    /// # });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            calls: self.state.call_count(),
            stage: Stage::Init,
        }
    }

    /// Wakes the task that has waited longest; with nobody waiting, stores
    /// a permit for the next [`notified`](Notify::notified) (one at most:
    /// permits do not add up).
    ///
    /// # Examples
    /// ```
    /// use std::future::Future;
    /// use std::task::{Context, Waker};
    /// let notify = bobbin::sync::Notify::new();
    /// notify.notify_one();
    /// notify.notify_one(); // still one permit
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(std::pin::pin!(notify.notified()).poll(&mut cx).is_ready());
    /// assert!(std::pin::pin!(notify.notified()).poll(&mut cx).is_pending());
    /// ```
    pub fn notify_one(&self) {
        self.notify(End::Front);
    }

    /// As [`notify_one`](Notify::notify_one), but wakes the task that has
    /// waited *least* (the most recent to queue): a stack of waiters, for
    /// when the latest is the warmest.
    ///
    /// # Examples
    /// ```
    /// use std::future::Future;
    /// use std::task::{Context, Waker};
    /// let notify = bobbin::sync::Notify::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut first = std::pin::pin!(notify.notified());
    /// let mut last = std::pin::pin!(notify.notified());
    /// assert!(first.as_mut().poll(&mut cx).is_pending());
    /// assert!(last.as_mut().poll(&mut cx).is_pending());
    /// notify.notify_last();
    /// assert!(last.as_mut().poll(&mut cx).is_ready());
    /// assert!(first.as_mut().poll(&mut cx).is_pending());
    /// ```
    pub fn notify_last(&self) {
        self.notify(End::Back);
    }

    /// Notifies the waiter at `end` of the queue, or stores a permit.
    fn notify(&self, end: End) {
        match self.state.store_permit() {
            StorePermit::Stored => {}
            StorePermit::Waiting => {
                let waker = {
                    let mut waiters = lock(&self.waiters);
                    self.notify_one_locked(&mut waiters, end)
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
        }
    }

    /// With the mutex held: notifies the waiter at `end`, or stores a
    /// permit if there is none (the list emptied before the mutex was
    /// taken).
    fn notify_one_locked(&self, waiters: &mut WaitList<Entry>, end: End) -> Option<Waker> {
        let popped = match end {
            End::Front => waiters.pop_front(),
            End::Back => waiters.pop_back(),
        };
        let Some(key) = popped else {
            // Not WAITING (invariant 1), so this cannot find waiters.
            match self.state.store_permit() {
                StorePermit::Stored => return None,
                StorePermit::Waiting => unreachable!("WAITING with an empty list"),
            }
        };
        if waiters.is_empty() {
            self.state.set_empty();
        }
        let entry = waiters.get_mut(key);
        entry.notified = Some(Notification::One(end));
        entry.waker.take()
    }

    /// Wakes every task waiting now (every [`Notified`] made before this
    /// call, polled or not). Stores no permit: a `notified` made later
    /// waits for the next notification.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let notify = bobbin::sync::Notify::new();
    /// let (a, b) = (notify.notified(), notify.notified());
    /// notify.notify_waiters();
    /// a.await;
    /// b.await;
    /// # });
    /// ```
    pub fn notify_waiters(&self) {
        let mut wake = WakeList::new();
        {
            let mut waiters = lock(&self.waiters);
            self.state.notify_all();
            waiters.drain(|entry| {
                entry.notified = Some(Notification::All);
                wake.push(entry.waker.take());
            });
        }
        wake.wake_all();
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Relaxed: a snapshot for display.
        let word = self.state.0.load(Relaxed);
        f.debug_struct("Notify")
            .field("permit", &(State::state(word) == NOTIFIED))
            .field("waiters", &lock(&self.waiters).len())
            .finish()
    }
}

impl Notified<'_> {
    /// Joins [`notify_one`](Notify::notify_one)'s queue without polling
    /// (no waker is stored; poll it later to wait). Polling does the same;
    /// this is for registering before the first poll, e.g. before checking
    /// a condition that a notifier changes and then notifies.
    ///
    /// Returns true if the future is already complete: `notify_waiters`
    /// was called since it was made, a stored permit was taken, or it was
    /// chosen since it joined.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let notify = bobbin::sync::Notify::new();
    /// let mut notified = std::pin::pin!(notify.notified());
    /// assert!(!notified.as_mut().enable());
    /// notify.notify_one(); // goes to the enabled future, not to a permit
    /// assert!(notified.as_mut().enable());
    /// notified.await;
    /// # });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().poll_notified(None).is_ready()
    }

    fn poll_notified(&mut self, waker: Option<&Waker>) -> Poll<()> {
        let notify = self.notify;
        match self.stage {
            Stage::Done => Poll::Ready(()),
            Stage::Init => {
                if let Consume::Notified = notify.state.consume(self.calls) {
                    self.stage = Stage::Done;
                    return Poll::Ready(());
                }
                let mut waiters = lock(&notify.waiters);
                // Look again under the mutex: a notify_waiters counted
                // since, or a permit stored since (invariant 3).
                if let ConsumeOrWait::Notified = notify.state.consume_or_wait(self.calls) {
                    self.stage = Stage::Done;
                    return Poll::Ready(());
                }
                let key = waiters.push_back(Entry {
                    waker: waker.cloned(),
                    notified: None,
                });
                self.stage = Stage::Waiting(key);
                Poll::Pending
            }
            Stage::Waiting(key) => {
                let mut waiters = lock(&notify.waiters);
                let entry = waiters.get_mut(key);
                if entry.notified.is_some() {
                    waiters.remove(key);
                    self.stage = Stage::Done;
                    return Poll::Ready(());
                }
                if let Some(waker) = waker {
                    set_waker(&mut entry.waker, waker);
                }
                Poll::Pending
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    /// Spends a unit of the task's budget when it completes; with the
    /// budget spent it returns `Pending` before taking the permit or
    /// queueing.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        coop::poll_budgeted(cx, |cx| this.poll_notified(Some(cx.waker())))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Stage::Waiting(key) = self.stage else {
            return;
        };
        let notify = self.notify;
        let waker = {
            let mut waiters = lock(&notify.waiters);
            let was_linked = waiters.is_linked(key);
            let entry = waiters.remove(key);
            match entry.notified {
                // Chosen by notify_one (or notify_last) but never saw it:
                // pass it on, from the same end.
                Some(Notification::One(end)) => notify.notify_one_locked(&mut waiters, end),
                Some(Notification::All) => None,
                None => {
                    if was_linked && waiters.is_empty() {
                        notify.state.set_empty();
                    }
                    None
                }
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::pin::pin;

    fn poll(notified: Pin<&mut Notified<'_>>) -> Poll<()> {
        notified.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn notify_one_goes_to_the_oldest_waiter() {
        let notify = Notify::new();
        let mut first = pin!(notify.notified());
        let mut second = pin!(notify.notified());
        assert!(poll(first.as_mut()).is_pending());
        assert!(poll(second.as_mut()).is_pending());
        notify.notify_one();
        assert!(poll(second.as_mut()).is_pending());
        assert!(poll(first.as_mut()).is_ready());
        notify.notify_one();
        assert!(poll(second.as_mut()).is_ready());
        assert!(poll(pin!(notify.notified())).is_pending(), "no permit left");
    }

    #[test]
    fn a_dropped_chosen_waiter_passes_the_notification_on() {
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        let mut second = pin!(notify.notified());
        assert!(poll(first.as_mut()).is_pending());
        assert!(poll(second.as_mut()).is_pending());
        notify.notify_one();
        drop(first);
        assert!(poll(second.as_mut()).is_ready());

        let mut alone = Box::pin(notify.notified());
        assert!(poll(alone.as_mut()).is_pending());
        notify.notify_one();
        drop(alone);
        assert!(
            poll(pin!(notify.notified())).is_ready(),
            "stored as the permit"
        );
    }

    #[test]
    fn a_dropped_waiter_chosen_by_notify_last_passes_it_to_the_next_newest() {
        let notify = Notify::new();
        let mut first = pin!(notify.notified());
        let mut second = pin!(notify.notified());
        let mut third = Box::pin(notify.notified());
        for waiter in [first.as_mut(), second.as_mut(), third.as_mut()] {
            assert!(poll(waiter).is_pending());
        }
        notify.notify_last();
        drop(third);
        assert!(poll(second.as_mut()).is_ready(), "the next newest");
        assert!(poll(first.as_mut()).is_pending());
    }

    #[test]
    fn notify_waiters_reaches_futures_made_before_it_only_and_stores_nothing() {
        let notify = Notify::new();
        let mut unpolled = pin!(notify.notified());
        let mut polled = pin!(notify.notified());
        assert!(poll(polled.as_mut()).is_pending());
        notify.notify_waiters();
        assert!(poll(unpolled.as_mut()).is_ready());
        assert!(poll(polled.as_mut()).is_ready());
        assert!(poll(pin!(notify.notified())).is_pending());
        assert_eq!(
            State::state(notify.state.0.load(Relaxed)),
            EMPTY,
            "the waiter that left unqueued"
        );
    }

    #[test]
    fn a_dropped_waiter_unqueues() {
        let notify = Notify::new();
        let mut waiter = Box::pin(notify.notified());
        assert!(poll(waiter.as_mut()).is_pending());
        drop(waiter);
        notify.notify_one();
        assert!(
            poll(pin!(notify.notified())).is_ready(),
            "the permit was stored, not given to the gone waiter"
        );
    }
}
