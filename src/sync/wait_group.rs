//! `WaitGroup`: wait for a set of tasks to finish, as Go's
//! `sync.WaitGroup`.
//!
//! A counter and the waiters of the current generation (`generation.rs`).
//! Counting up and down between non-zero values is one atomic
//! compare-exchange; the two transitions that cross zero (0 to n, 1 to 0)
//! happen with the waiters' mutex held, and the one to zero ends the
//! generation. So a waiter, which checks the counter under the mutex, is
//! released exactly when the count it saw reaches zero, even if the group
//! is reused at once (a later `add` starts a new generation instead of
//! releasing or stranding anyone).
//!
//! Tested by the unit tests below and
//! `executor-tests/tests/sync_wait_group.rs`.

use super::generation::{Generation, Place};
use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use crate::task::coop;
use std::fmt;
use std::future::poll_fn;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::task::{Context, Poll};

/// The largest count: room to spare below `usize::MAX`.
const MAX_COUNT: usize = isize::MAX as usize;

/// Waits for a set of tasks to finish: Go's `sync.WaitGroup`.
///
/// [`add`](WaitGroup::add) counts tasks in, [`done`](WaitGroup::done)
/// counts one out, and [`wait`](WaitGroup::wait) completes once the count
/// is zero (at once if it already is). Two forms pair `add` and `done` for
/// you: [`token`](WaitGroup::token), whose drop is the `done` (so a task
/// that panics or is cancelled still counts out), and
/// [`spawn`](WaitGroup::spawn), Go 1.25's `WaitGroup.Go`.
///
/// `WaitGroup` is a cheap handle: clones refer to the same group (cloning
/// does not count anything), so it can move into spawned tasks.
///
/// Works in any task of any runtime, under any executor, and `add`/`done`
/// from any thread: it only stores and wakes wakers.
///
/// # Memory ordering
/// Everything a task did before its `done` (or its token's drop)
/// happens-before a `wait` that completes because the count reached zero.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// # bobbin::block_on(async {
/// let wg = bobbin::sync::WaitGroup::new();
/// let finished = Arc::new(AtomicUsize::new(0));
/// for _ in 0..100 {
///     let finished = finished.clone();
///     wg.spawn(async move {
///         finished.fetch_add(1, SeqCst);
///     });
/// }
/// wg.wait().await;
/// assert_eq!(finished.load(SeqCst), 100);
/// # });
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

/// One count in a [`WaitGroup`], given back (a `done`) when dropped.
///
/// Cloning a token counts one more. Made by [`WaitGroup::token`].
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let wg = bobbin::sync::WaitGroup::new();
/// let token = wg.token();
/// bobbin::spawn(async move {
///     let _token = token; // done when the task ends, however it ends
/// });
/// wg.wait().await;
/// # });
/// ```
#[must_use = "the count is given back at once if the token is not kept"]
pub struct WaitGroupToken {
    inner: Arc<Inner>,
}

struct Inner {
    count: Count,
    waiters: Mutex<Generation>,
}

/// The counter and its transitions.
struct Count(AtomicUsize);

/// What [`Count::add_nonzero`] did.
#[must_use]
enum Add {
    Added,
    /// The count is zero: add under the mutex.
    FromZero,
}

/// What [`Count::sub_one`] did.
#[must_use]
enum Sub {
    Done,
    /// The count is one: take it to zero under the mutex.
    ToZero,
    /// The count is zero: more `done` than `add`.
    Negative,
}

impl Count {
    /// Adds `n` unless the count is zero.
    #[track_caller]
    fn add_nonzero(&self, n: usize) -> Add {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            if current == 0 {
                return Add::FromZero;
            }
            // Relaxed: counting up publishes nothing; the waiters care
            // about the `done`s.
            match self.0.compare_exchange_weak(
                current,
                Count::checked(current, n),
                Relaxed,
                Relaxed,
            ) {
                Ok(_) => return Add::Added,
                Err(actual) => current = actual,
            }
        }
    }

    /// With the mutex held: adds `n` to whatever the count is.
    #[track_caller]
    fn add_locked(&self, n: usize) {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            // Relaxed: as in `add_nonzero`.
            match self.0.compare_exchange_weak(
                current,
                Count::checked(current, n),
                Relaxed,
                Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    #[track_caller]
    fn checked(current: usize, n: usize) -> usize {
        match current.checked_add(n) {
            Some(next) if next <= MAX_COUNT => next,
            _ => panic!(
                "WaitGroup::add({n}) would take the counter past {MAX_COUNT}; add fewer \
                 (the count is {current})"
            ),
        }
    }

    /// Subtracts one; with `to_zero`, also from one (the caller holds the
    /// mutex).
    fn sub_one(&self, to_zero: bool) -> Sub {
        // Relaxed: a guess for the compare-exchange.
        let mut current = self.0.load(Relaxed);
        loop {
            match current {
                0 => return Sub::Negative,
                1 if !to_zero => return Sub::ToZero,
                _ => {}
            }
            // AcqRel: Release publishes this task's work to the waiter
            // that sees zero (its Acquire load in `is_zero`, or through
            // the mutex); Acquire takes in the earlier `done`s, so the
            // last one passes them all on through the mutex. Relaxed on
            // failure: we retry.
            match self
                .0
                .compare_exchange_weak(current, current - 1, AcqRel, Relaxed)
            {
                Ok(_) => return Sub::Done,
                Err(actual) => current = actual,
            }
        }
    }

    fn is_zero(&self) -> bool {
        // Acquire: pairs with the Release of the last `sub_one`.
        self.0.load(Acquire) == 0
    }

    fn get(&self) -> usize {
        // Relaxed: a snapshot for display.
        self.0.load(Relaxed)
    }
}

impl Inner {
    #[track_caller]
    fn add(&self, n: usize) {
        if n == 0 {
            return;
        }
        match self.count.add_nonzero(n) {
            Add::Added => {}
            Add::FromZero => {
                let _waiters = lock(&self.waiters);
                self.count.add_locked(n);
            }
        }
    }

    #[track_caller]
    fn done(&self) {
        match self.count.sub_one(false) {
            Sub::Done => {}
            Sub::Negative => negative(),
            Sub::ToZero => {
                let mut waiters = lock(&self.waiters);
                match self.count.sub_one(true) {
                    Sub::Done => {}
                    Sub::ToZero => unreachable!("sub_one(true) takes one to zero"),
                    Sub::Negative => {
                        drop(waiters);
                        negative()
                    }
                }
                if self.count.is_zero() {
                    let wake = waiters.end();
                    drop(waiters);
                    wake.wake_all();
                }
            }
        }
    }
}

#[track_caller]
fn negative() -> ! {
    panic!(
        "WaitGroup::done was called more times than WaitGroup::add counted (the counter \
         would go below zero); call add(n) before starting the n tasks that each call \
         done once, or let WaitGroup::token or WaitGroup::spawn pair them for you"
    )
}

impl WaitGroup {
    /// A group with a count of zero.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let wg = bobbin::sync::WaitGroup::new();
    /// wg.wait().await; // zero: completes at once
    /// # });
    /// ```
    pub fn new() -> WaitGroup {
        WaitGroup {
            inner: Arc::new(Inner {
                count: Count(AtomicUsize::new(0)),
                waiters: Mutex::new(Generation::new()),
            }),
        }
    }

    /// Counts `n` more tasks in. Call it before starting them (not inside
    /// them), so a `wait` cannot see zero before they are counted.
    ///
    /// # Panics
    /// If the count would pass `isize::MAX`.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let wg = bobbin::sync::WaitGroup::new();
    /// wg.add(2);
    /// for _ in 0..2 {
    ///     let wg = wg.clone();
    ///     bobbin::spawn(async move { wg.done() });
    /// }
    /// wg.wait().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn add(&self, n: usize) {
        self.inner.add(n);
    }

    /// Counts one task out; when the count reaches zero, every waiting
    /// [`wait`](WaitGroup::wait) completes.
    ///
    /// # Panics
    /// If the count is already zero: more `done` than `add` is a bug in
    /// the caller (Go panics too). The count stays zero.
    ///
    /// # Examples
    /// ```
    /// let wg = bobbin::sync::WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// let misuse = std::panic::catch_unwind(|| wg.done());
    /// assert!(misuse.is_err());
    /// ```
    #[track_caller]
    pub fn done(&self) {
        self.inner.done();
    }

    /// Counts one task in and returns a token whose drop counts it out:
    /// `add(1)` now, `done()` whenever the token goes, including when the
    /// task holding it panics or is cancelled.
    ///
    /// # Panics
    /// As [`add`](WaitGroup::add).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let wg = bobbin::sync::WaitGroup::new();
    /// for _ in 0..3 {
    ///     let token = wg.token();
    ///     bobbin::spawn(async move {
    ///         drop(token);
    ///     });
    /// }
    /// wg.wait().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn token(&self) -> WaitGroupToken {
        self.inner.add(1);
        WaitGroupToken {
            inner: self.inner.clone(),
        }
    }

    /// Waits until the count is zero; at once if it is zero now.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future only stops the waiting.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let wg = bobbin::sync::WaitGroup::new();
    /// let token = wg.token();
    /// let waiter = {
    ///     let wg = wg.clone();
    ///     bobbin::spawn(async move { wg.wait().await })
    /// };
    /// drop(token);
    /// waiter.await.unwrap();
    /// # });
    /// ```
    pub async fn wait(&self) {
        let mut waiting = Waiting {
            inner: &self.inner,
            place: None,
        };
        poll_fn(|cx| waiting.poll(cx)).await
    }
}

/// A `wait` in progress: leaves its generation if dropped early.
struct Waiting<'a> {
    inner: &'a Inner,
    place: Option<Place>,
}

impl Waiting<'_> {
    /// Spends a unit of the task's budget when it completes, even at once
    /// (a loop waiting on a group at zero is always ready); with the budget
    /// spent it returns `Pending` before looking at the count.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        coop::poll_budgeted(cx, |cx| {
            // At zero before waiting: done, without the lock.
            if self.place.is_none() && self.inner.count.is_zero() {
                return Poll::Ready(());
            }
            self.poll_count(cx)
        })
    }

    fn poll_count(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut waiters = lock(&self.inner.waiters);
        if let Some(place) = self.place
            && waiters.has_ended(place)
        {
            self.place = None;
            return Poll::Ready(());
        }
        // Under the mutex, the count crosses zero only here or never.
        if self.inner.count.is_zero() {
            if let Some(place) = self.place.take() {
                waiters.leave(place);
            }
            return Poll::Ready(());
        }
        waiters.wait(&mut self.place, cx.waker());
        Poll::Pending
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(place) = self.place {
            lock(&self.inner.waiters).leave(place);
        }
    }
}

impl Default for WaitGroup {
    fn default() -> WaitGroup {
        WaitGroup::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.inner.count.get())
            .field("waiters", &lock(&self.inner.waiters).len())
            .finish()
    }
}

impl WaitGroupToken {
    /// Counts out now (the same as dropping the token).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let wg = bobbin::sync::WaitGroup::new();
    /// wg.token().done();
    /// wg.wait().await;
    /// # });
    /// ```
    pub fn done(self) {}
}

impl Clone for WaitGroupToken {
    /// One more count in the same group.
    #[track_caller]
    fn clone(&self) -> WaitGroupToken {
        self.inner.add(1);
        WaitGroupToken {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for WaitGroupToken {
    fn drop(&mut self) {
        self.inner.done();
    }
}

impl fmt::Debug for WaitGroupToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroupToken")
            .field("count", &self.inner.count.get())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::Waker;

    #[test]
    fn reuse_starts_a_new_generation() {
        let wg = WaitGroup::new();
        let mut cx = Context::from_waker(Waker::noop());
        wg.add(1);
        let mut first = pin!(wg.wait());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        wg.done();
        wg.add(1); // reused before the first waiter ran again
        let mut second = pin!(wg.wait());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert!(
            first.as_mut().poll(&mut cx).is_ready(),
            "its count reached zero"
        );
        assert!(second.as_mut().poll(&mut cx).is_pending());
        wg.done();
        assert!(second.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn a_dropped_wait_leaves_nothing_behind() {
        let wg = WaitGroup::new();
        let token = wg.token();
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..100 {
            let mut waiting = Box::pin(wg.wait());
            assert!(waiting.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(lock(&wg.inner.waiters).len(), 0);
        let clone = token.clone();
        drop(token);
        assert_eq!(wg.inner.count.get(), 1);
        clone.done();
        assert_eq!(wg.inner.count.get(), 0);
    }

    #[test]
    fn too_many_done_panics_and_keeps_the_count_at_zero() {
        let wg = WaitGroup::new();
        let message = std::panic::catch_unwind(|| wg.done()).unwrap_err();
        let message = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| {
                message
                    .downcast_ref::<&str>()
                    .map(|m| m.to_string())
                    .unwrap_or_default()
            });
        assert!(message.contains("call add(n) before"), "{message}");
        assert_eq!(wg.inner.count.get(), 0);
        wg.add(1);
        wg.done();
    }
}
