//! The fair FIFO semaphore every lock here stands on: [`Semaphore`],
//! `Mutex` (one permit), `RwLock` (a read is one permit, a write all of
//! them) and `OnceCell` (one initializer at a time).
//!
//! Waiters queue in arrival order. Released permits go to the head of the
//! queue first, directly (no barging: a task that arrives while others
//! wait queues behind them, even if a permit is free at that instant), and
//! a waiter asking for `n` permits collects them one release at a time
//! until it has all `n`, so it gets them atomically with respect to the
//! waiters behind it. Only what the queue does not need goes back to the
//! counter. A waiter whose future is dropped gives back what it was handed
//! (all of it, if it was granted but had not yet seen it), and those
//! permits go to the next waiters: no wake-up is lost. `close` wakes every
//! waiter with an error.
//!
//! The uncontended path touches one atomic word: with nobody queued, an
//! acquire is one compare-exchange and a release one compare-exchange.
//! The queue's mutex is taken only when someone waits, or to queue.
//!
//! # The state word
//!
//! ```text
//!  bit  0        CLOSED: no more acquisitions; waiters were woken with an error
//!  bit  1        QUEUED: the wait list holds at least one waiter
//!  bits 2..      the permits on the counter (free for the taking)
//! ```
//!
//! # Invariants
//! 1. `QUEUED` is set and cleared only with the queue's mutex held, and it
//!    is set exactly when the wait list is not empty (outside the mutex).
//! 2. `QUEUED` set implies no permit on the counter: a release that sees
//!    `QUEUED` hands its permits out under the mutex; a waiter queues only
//!    after taking every permit on the counter; the permits left when the
//!    last waiter leaves go to the counter in the same step that clears
//!    `QUEUED`. So the lock-free fast path (take from the counter) can
//!    never pass a queued waiter.
//! 3. Only the head of the queue holds permits handed to it while
//!    waiting; a waiter that leaves the queue unsatisfied returns them.
//! 4. A waiter's slab entry is freed only by its own future (when it sees
//!    the outcome, or is dropped), so its key is never reused under it.
//!
//! Tested by the unit tests below, the loom models in
//! `src/sync/tests/loom_semaphore.rs` and `executor-tests/tests/sync_semaphore.rs`.

use super::error::{AcquireError, TryAcquireError};
use crate::loom::{AtomicUsize, Mutex, fence, lock};
use crate::task::coop;
use crate::task::wait_list::{WaitList, WakeList, set_waker};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
// `Acquire` is also the future below, so that ordering is spelled
// `Ordering::Acquire` here.
use std::sync::atomic::Ordering::{self, Relaxed, Release};
use std::task::{Context, Poll, Waker};

const CLOSED: usize = 1;
const QUEUED: usize = 1 << 1;
const PERMIT_SHIFT: u32 = 2;

/// The most permits a semaphore holds. Three bits below `usize::MAX`, so
/// the sum of two valid counts never overflows the word before the check.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// The state word and its transitions (the only bit arithmetic on it).
struct State(AtomicUsize);

/// What [`State::try_take`] did.
#[must_use]
enum TryTake {
    Taken,
    /// Too few permits on the counter, or waiters ahead.
    Unavailable,
    Closed,
}

/// What [`State::take_or_queue`] did.
#[must_use]
enum TakeOrQueue {
    Taken,
    /// Took `took` permits (fewer than asked) and set `QUEUED`: the caller
    /// must queue now, before it lets go of the mutex.
    Queue {
        took: usize,
    },
    Closed,
}

/// What [`State::add_unqueued`] did.
#[must_use]
enum Add {
    Added,
    /// Waiters are queued: the permits go to them, under the mutex.
    Queued,
}

impl State {
    fn new(permits: usize) -> State {
        State(AtomicUsize::new(permits << PERMIT_SHIFT))
    }

    fn permits(word: usize) -> usize {
        word >> PERMIT_SHIFT
    }

    /// Takes `n` permits if nobody is queued and the counter has them.
    fn try_take(&self, n: usize) -> TryTake {
        // Relaxed: only a guess for the compare-exchange below, which
        // publishes nothing when it fails.
        let mut current = self.0.load(Relaxed);
        loop {
            if current & CLOSED != 0 {
                // Acquire: the load above was Relaxed; this pairs with the
                // Release in `close`, so a caller that sees the semaphore
                // closed sees what preceded the close (a `OnceCell`'s
                // value).
                fence(Ordering::Acquire);
                return TryTake::Closed;
            }
            if current & QUEUED != 0 || State::permits(current) < n {
                return TryTake::Unavailable;
            }
            // Acquire: pairs with the Release of the add that put these
            // permits on the counter, so the releasing holder's writes are
            // visible to the new one. Relaxed on failure: we retry.
            match self.0.compare_exchange_weak(
                current,
                current - (n << PERMIT_SHIFT),
                Ordering::Acquire,
                Relaxed,
            ) {
                Ok(_) => return TryTake::Taken,
                Err(actual) => current = actual,
            }
        }
    }

    /// With the queue's mutex held: takes `n` permits, or as many as the
    /// counter has and sets `QUEUED`.
    fn take_or_queue(&self, n: usize) -> TakeOrQueue {
        // Relaxed: a guess for the compare-exchange, as in `try_take`.
        let mut current = self.0.load(Relaxed);
        loop {
            if current & CLOSED != 0 {
                return TakeOrQueue::Closed;
            }
            let available = State::permits(current);
            let (next, verdict) = if available >= n {
                (current - (n << PERMIT_SHIFT), TakeOrQueue::Taken)
            } else {
                // Invariant 2: with QUEUED already set, `available` is 0.
                (
                    (current - (available << PERMIT_SHIFT)) | QUEUED,
                    TakeOrQueue::Queue { took: available },
                )
            };
            // Acquire: as in `try_take`. Relaxed on failure: we retry.
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::Acquire, Relaxed)
            {
                Ok(_) => return verdict,
                Err(actual) => current = actual,
            }
        }
    }

    /// Adds `n` permits to the counter unless waiters are queued.
    #[track_caller]
    fn add_unqueued(&self, n: usize) -> Add {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            if current & QUEUED != 0 {
                return Add::Queued;
            }
            let next = State::checked_add(current, n);
            // Release: pairs with the Acquire of the next `try_take` or
            // `take_or_queue`, publishing the holder's writes. Relaxed on
            // failure: we retry.
            match self
                .0
                .compare_exchange_weak(current, next, Release, Relaxed)
            {
                Ok(_) => return Add::Added,
                Err(actual) => current = actual,
            }
        }
    }

    /// With the queue's mutex held and the wait list empty: adds `n`
    /// permits to the counter and clears `QUEUED` in one step
    /// (invariant 2).
    #[track_caller]
    fn add_and_unqueue(&self, n: usize) {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            let next = State::checked_add(current, n) & !QUEUED;
            // Release: as in `add_unqueued`. Relaxed on failure: we retry
            // (lock-free takers may race us).
            match self
                .0
                .compare_exchange_weak(current, next, Release, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    #[track_caller]
    fn checked_add(current: usize, n: usize) -> usize {
        let available = State::permits(current);
        assert!(
            n <= MAX_PERMITS - available,
            "a semaphore holds at most {MAX_PERMITS} permits, and adding {n} to the \
             {available} available would pass that; add fewer permits"
        );
        current + (n << PERMIT_SHIFT)
    }

    /// With the queue's mutex held: sets `CLOSED` and clears `QUEUED` (the
    /// caller empties the wait list before it lets go of the mutex).
    fn close(&self) {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            // Release: pairs with the Acquire in `is_closed`, so a task
            // that sees the semaphore closed sees what preceded `close`.
            // Relaxed on failure: we retry.
            match self.0.compare_exchange_weak(
                current,
                (current & !QUEUED) | CLOSED,
                Release,
                Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release in `close`.
        self.0.load(Ordering::Acquire) & CLOSED != 0
    }

    fn available(&self) -> usize {
        // Relaxed: a snapshot for the caller, which orders nothing by it.
        State::permits(self.0.load(Relaxed))
    }
}

/// A fair FIFO counting semaphore whose waiters may ask for many permits
/// at once (see the module docs).
pub(crate) struct BatchSemaphore {
    state: State,
    waiters: Mutex<WaitList<Entry>>,
}

/// One queued acquisition, in the wait list.
struct Entry {
    /// Permits asked for.
    requested: usize,
    /// Permits still missing; 0 once granted.
    needed: usize,
    waker: Option<Waker>,
    /// Why it left the queue, once it has.
    state: WaiterState,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WaiterState {
    Waiting,
    Granted,
    Closed,
}

/// An acquisition in progress: what a future that acquires holds.
///
/// Give it back to [`BatchSemaphore::cancel`] if the future is dropped
/// before it completes (the [`Acquire`] future does).
#[derive(Debug)]
pub(crate) struct Waiter {
    requested: usize,
    /// The wait-list entry, while queued or not yet seen granted/closed.
    key: Option<usize>,
    /// The acquisition completed (with permits or an error).
    done: bool,
}

impl Waiter {
    pub(crate) fn new(permits: usize) -> Waiter {
        Waiter {
            requested: permits,
            key: None,
            done: false,
        }
    }
}

impl BatchSemaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` is more than [`MAX_PERMITS`].
    #[track_caller]
    pub(crate) fn new(permits: usize) -> BatchSemaphore {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most {MAX_PERMITS} permits, {permits} were asked for; \
             start with fewer"
        );
        BatchSemaphore {
            state: State::new(permits),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    pub(crate) fn available_permits(&self) -> usize {
        self.state.available()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// Takes `n` permits now, if nobody waits and they are free.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        match self.state.try_take(n) {
            TryTake::Taken => Ok(()),
            TryTake::Unavailable => Err(TryAcquireError::NoPermits),
            TryTake::Closed => Err(TryAcquireError::Closed),
        }
    }

    /// Gives `n` permits back (or adds new ones): to the queued waiters
    /// first, in order, then to the counter.
    ///
    /// # Panics
    /// If the semaphore would hold more than [`MAX_PERMITS`].
    #[track_caller]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        match self.state.add_unqueued(n) {
            Add::Added => {}
            Add::Queued => {
                let mut wake = WakeList::new();
                self.hand_out(&mut lock(&self.waiters), n, &mut wake);
                wake.wake_all();
            }
        }
    }

    /// With the mutex held: gives `n` permits to the waiters at the head of
    /// the queue, granting each that then has all it asked for, and puts
    /// what is left on the counter once the queue is empty.
    #[track_caller]
    fn hand_out(&self, waiters: &mut WaitList<Entry>, mut n: usize, wake: &mut WakeList) {
        while n > 0 {
            let Some(key) = waiters.front() else { break };
            let waiter = waiters.get_mut(key);
            let given = n.min(waiter.needed);
            waiter.needed -= given;
            n -= given;
            if waiter.needed == 0 {
                waiter.state = WaiterState::Granted;
                wake.push(waiter.waker.take());
                waiters.unlink(key);
            }
        }
        if waiters.is_empty() {
            self.state.add_and_unqueue(n);
        } else {
            debug_assert_eq!(n, 0, "permits left over while a waiter still needs some");
        }
    }

    /// Closes the semaphore: acquisitions fail from now on, and every
    /// queued waiter is woken with an error. Permits already held stay
    /// valid and may still be released.
    pub(crate) fn close(&self) {
        let mut wake = WakeList::new();
        {
            let mut waiters = lock(&self.waiters);
            self.state.close();
            waiters.drain(|waiter| {
                waiter.state = WaiterState::Closed;
                wake.push(waiter.waker.take());
            });
        }
        wake.wake_all();
    }

    /// Polls an acquisition: `Ready(Ok)` once it holds all its permits.
    /// With `waker` `None`, queues without a waker (nothing wakes it; the
    /// caller polls again).
    pub(crate) fn poll_acquire(
        &self,
        acquire: &mut Waiter,
        waker: Option<&Waker>,
    ) -> Poll<Result<(), AcquireError>> {
        assert!(
            !acquire.done,
            "an acquisition was polled after it completed"
        );
        let result = match acquire.key {
            None => self.start(acquire, waker),
            Some(key) => self.check(acquire, key, waker),
        };
        if result.is_ready() {
            acquire.done = true;
        }
        result
    }

    /// First poll: the fast path, else take what there is and queue.
    fn start(&self, acquire: &mut Waiter, waker: Option<&Waker>) -> Poll<Result<(), AcquireError>> {
        let n = acquire.requested;
        if n == 0 {
            return Poll::Ready(if self.is_closed() {
                Err(AcquireError(()))
            } else {
                Ok(())
            });
        }
        match self.state.try_take(n) {
            TryTake::Taken => return Poll::Ready(Ok(())),
            TryTake::Closed => return Poll::Ready(Err(AcquireError(()))),
            TryTake::Unavailable => {}
        }
        let mut waiters = lock(&self.waiters);
        match self.state.take_or_queue(n) {
            TakeOrQueue::Taken => Poll::Ready(Ok(())),
            TakeOrQueue::Closed => Poll::Ready(Err(AcquireError(()))),
            TakeOrQueue::Queue { took } => {
                acquire.key = Some(waiters.push_back(Entry {
                    requested: n,
                    needed: n - took,
                    waker: waker.cloned(),
                    state: WaiterState::Waiting,
                }));
                Poll::Pending
            }
        }
    }

    /// Later polls: granted, closed out, or still waiting.
    fn check(
        &self,
        acquire: &mut Waiter,
        key: usize,
        waker: Option<&Waker>,
    ) -> Poll<Result<(), AcquireError>> {
        let mut waiters = lock(&self.waiters);
        let waiter = waiters.get_mut(key);
        match waiter.state {
            WaiterState::Waiting => {
                if let Some(waker) = waker {
                    set_waker(&mut waiter.waker, waker);
                }
                Poll::Pending
            }
            WaiterState::Granted => {
                waiters.remove(key);
                acquire.key = None;
                Poll::Ready(Ok(()))
            }
            WaiterState::Closed => {
                let Entry {
                    requested, needed, ..
                } = waiters.remove(key);
                acquire.key = None;
                // The semaphore is closed, so the queue is empty: these go
                // to the counter.
                let mut wake = WakeList::new();
                self.hand_out(&mut waiters, requested - needed, &mut wake);
                drop(waiters);
                wake.wake_all();
                Poll::Ready(Err(AcquireError(())))
            }
        }
    }

    /// The future of `acquire` is gone before it completed: leave the
    /// queue and pass on whatever permits it was handed, so the waiters
    /// behind it lose no wake-up.
    pub(crate) fn cancel(&self, acquire: &mut Waiter) {
        let Some(key) = acquire.key.take() else {
            return;
        };
        let mut wake = WakeList::new();
        {
            let mut waiters = lock(&self.waiters);
            let Entry {
                requested, needed, ..
            } = waiters.remove(key);
            // Granted: all it asked for; waiting: what the head collected
            // so far; closed: what it had collected. Even 0 matters: if it
            // was the last waiter, `hand_out` clears QUEUED.
            self.hand_out(&mut waiters, requested - needed, &mut wake);
        }
        wake.wake_all();
    }

    /// How many waiters are queued (for Debug output and tests).
    pub(crate) fn waiters(&self) -> usize {
        lock(&self.waiters).len()
    }
}

impl fmt::Debug for BatchSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchSemaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A future that acquires `n` permits of a [`BatchSemaphore`]; dropped
/// before it completes, it passes on what it was handed.
pub(crate) struct Acquire<'a> {
    semaphore: &'a BatchSemaphore,
    waiter: Waiter,
}

impl<'a> Acquire<'a> {
    /// # Panics
    /// If `permits` is more than [`MAX_PERMITS`] (possible on 32-bit
    /// targets): no release could ever satisfy it, and it would block the
    /// queue behind it.
    #[track_caller]
    pub(crate) fn new(semaphore: &'a BatchSemaphore, permits: usize) -> Acquire<'a> {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most {MAX_PERMITS} permits, so acquiring {permits} could \
             never succeed; ask for fewer"
        );
        Acquire {
            semaphore,
            waiter: Waiter::new(permits),
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    /// Spends a unit of the task's budget when it completes; with the
    /// budget spent it returns `Pending` before touching the semaphore, so
    /// it neither takes permits nor queues (permits already handed to it
    /// wait for its next poll, or go on if it is dropped).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        coop::poll_budgeted(cx, |cx| {
            this.semaphore
                .poll_acquire(&mut this.waiter, Some(cx.waker()))
        })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.semaphore.cancel(&mut self.waiter);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("permits", &self.waiter.requested)
            .field("queued", &self.waiter.key.is_some())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn poll(semaphore: &BatchSemaphore, waiter: &mut Waiter) -> Poll<Result<(), AcquireError>> {
        semaphore.poll_acquire(waiter, Some(Waker::noop()))
    }

    #[test]
    fn uncontended_acquire_and_release_stay_on_the_counter() {
        let semaphore = BatchSemaphore::new(3);
        assert!(semaphore.try_acquire(2).is_ok());
        assert_eq!(semaphore.available_permits(), 1);
        assert_eq!(semaphore.try_acquire(2), Err(TryAcquireError::NoPermits));
        semaphore.release(2);
        assert_eq!(semaphore.available_permits(), 3);
        assert_eq!(semaphore.waiters(), 0);
    }

    #[test]
    fn a_queued_waiter_blocks_later_arrivals_even_with_free_permits() {
        let semaphore = BatchSemaphore::new(1);
        let mut big = Waiter::new(3);
        assert!(poll(&semaphore, &mut big).is_pending());
        assert_eq!(
            semaphore.available_permits(),
            0,
            "the head took the free permit"
        );
        semaphore.release(1);
        assert_eq!(semaphore.available_permits(), 0, "handed to the head");
        assert_eq!(semaphore.try_acquire(1), Err(TryAcquireError::NoPermits));
        let mut small = Waiter::new(1);
        assert!(poll(&semaphore, &mut small).is_pending(), "no barging");
        semaphore.release(1);
        assert!(matches!(poll(&semaphore, &mut big), Poll::Ready(Ok(()))));
        assert!(poll(&semaphore, &mut small).is_pending());
        semaphore.release(3);
        assert!(matches!(poll(&semaphore, &mut small), Poll::Ready(Ok(()))));
        assert_eq!(semaphore.available_permits(), 2);
        assert_eq!(semaphore.waiters(), 0);
        assert!(semaphore.try_acquire(2).is_ok(), "QUEUED was cleared");
    }

    #[test]
    fn a_cancelled_head_passes_on_what_it_was_handed() {
        let semaphore = BatchSemaphore::new(0);
        let mut first = Waiter::new(2);
        let mut second = Waiter::new(1);
        assert!(poll(&semaphore, &mut first).is_pending());
        assert!(poll(&semaphore, &mut second).is_pending());
        semaphore.release(1);
        semaphore.cancel(&mut first);
        assert!(matches!(poll(&semaphore, &mut second), Poll::Ready(Ok(()))));

        // Granted but never polled again: all of it is passed on.
        let mut third = Waiter::new(1);
        let mut fourth = Waiter::new(1);
        assert!(poll(&semaphore, &mut third).is_pending());
        assert!(poll(&semaphore, &mut fourth).is_pending());
        semaphore.release(1);
        semaphore.cancel(&mut third);
        assert!(matches!(poll(&semaphore, &mut fourth), Poll::Ready(Ok(()))));
        assert_eq!(semaphore.available_permits(), 0);
        assert_eq!(semaphore.waiters(), 0);
    }

    #[test]
    fn cancelling_the_last_waiter_unqueues() {
        let semaphore = BatchSemaphore::new(0);
        let mut waiter = Waiter::new(1);
        assert!(poll(&semaphore, &mut waiter).is_pending());
        semaphore.cancel(&mut waiter);
        semaphore.release(1);
        assert_eq!(
            semaphore.try_acquire(1),
            Ok(()),
            "the permit went to the counter"
        );
    }

    #[test]
    fn close_fails_every_waiter_and_keeps_their_permits() {
        let semaphore = BatchSemaphore::new(1);
        let mut first = Waiter::new(2);
        let mut second = Waiter::new(1);
        assert!(poll(&semaphore, &mut first).is_pending());
        assert!(poll(&semaphore, &mut second).is_pending());
        semaphore.close();
        assert!(matches!(poll(&semaphore, &mut first), Poll::Ready(Err(_))));
        assert!(matches!(poll(&semaphore, &mut second), Poll::Ready(Err(_))));
        assert_eq!(
            semaphore.available_permits(),
            1,
            "the head's permit is back"
        );
        assert_eq!(semaphore.try_acquire(1), Err(TryAcquireError::Closed));
        let mut late = Waiter::new(1);
        assert!(matches!(poll(&semaphore, &mut late), Poll::Ready(Err(_))));
    }

    #[test]
    #[should_panic(expected = "add fewer permits")]
    fn adding_past_the_maximum_panics() {
        let semaphore = BatchSemaphore::new(MAX_PERMITS);
        semaphore.release(1);
    }
}
