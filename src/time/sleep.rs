//! `Sleep`: a future that completes at a deadline.

use super::Instant;
use crate::driver::timers::{Armed, Key};
use crate::driver::{DriverHandle, current};
use crate::loom::Arc;
use crate::task::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Waits until `duration` has passed.
///
/// Never completes early. A zero duration completes at the first poll;
/// `Duration::MAX` (or any deadline past `Instant`'s range) means "about 30
/// years from now" and does not overflow.
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// # bobbin::block_on(async {
/// let start = Instant::now();
/// bobbin::time::sleep(Duration::from_millis(20)).await;
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(deadline_after(duration))
}

/// Waits until `deadline`.
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// # bobbin::block_on(async {
/// let deadline = Instant::now() + Duration::from_millis(10);
/// bobbin::time::sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # });
/// ```
pub fn sleep_until(deadline: impl Into<Instant>) -> Sleep {
    Sleep {
        deadline: deadline.into().into_std(),
        timer: None,
    }
}

/// The runtime's `now + duration`, or about 30 years from now if that does
/// not fit in an `Instant`.
pub(crate) fn deadline_after(duration: Duration) -> std::time::Instant {
    let now = current::now();
    now.checked_add(duration).unwrap_or_else(|| far_future(now))
}

pub(crate) fn far_future(now: std::time::Instant) -> std::time::Instant {
    // 30 years, or the longest span that fits (halving): never `now`,
    // which would make "forever" complete at once.
    let mut span = Duration::from_secs(86_400 * 365 * 30);
    while span > Duration::from_millis(1) {
        if let Some(deadline) = now.checked_add(span) {
            return deadline;
        }
        span /= 2;
    }
    now.checked_add(Duration::from_millis(1)).unwrap_or(now)
}

/// A future that completes at its deadline. Made by [`sleep`] and
/// [`sleep_until`].
///
/// The timer is registered with the runtime the `Sleep` is first polled in
/// (the current runtime, or the global one); until then a `Sleep` costs
/// nothing, so a `timeout` whose future is ready at once never touches the
/// timer wheel. Creating, resetting and dropping a registered `Sleep` are
/// O(1), from any thread.
///
/// # Cancel safety
/// Dropping a `Sleep` cancels its timer; nothing else is lost.
///
/// # Runtime shutdown
/// If its runtime shuts down while the `Sleep` is pending, it is woken; a
/// task of that runtime is being cancelled, and there it stays pending.
/// Anywhere else (a plain thread, a task of another runtime) it moves to
/// the current runtime, or the global one, and still completes at its
/// deadline: never early, never hanging.
///
/// # Panics
/// The first poll outside any runtime starts the global runtime, which
/// panics if `BOBBIN_WORKER_THREADS` is malformed or its threads cannot be
/// started.
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// # bobbin::block_on(async {
/// let sleep = bobbin::time::sleep(Duration::from_millis(5));
/// let deadline = sleep.deadline();
/// sleep.await;
/// assert!(Instant::now() >= deadline);
/// # });
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Sleep {
    deadline: std::time::Instant,
    /// The runtime's timers and this sleep's entry, once it registered.
    timer: Option<(Arc<DriverHandle>, Option<Key>)>,
}

impl Sleep {
    /// The instant this sleep completes at.
    ///
    /// # Examples
    /// ```
    /// use std::time::{Duration, Instant};
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(bobbin::time::sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> std::time::Instant {
        self.deadline
    }

    /// True once the deadline has passed.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// assert!(bobbin::time::sleep(Duration::ZERO).is_elapsed());
    /// assert!(!bobbin::time::sleep(Duration::from_secs(60)).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.now() >= self.deadline
    }

    /// Its runtime's clock (the current one's before it registered).
    fn now(&self) -> std::time::Instant {
        match &self.timer {
            Some((driver, _)) => driver.timers.clock.now(),
            None => current::now(),
        }
    }

    /// Moves the deadline (earlier or later); the sleep can be awaited again
    /// even if it completed.
    ///
    /// # Examples
    /// ```
    /// use std::time::{Duration, Instant};
    /// # bobbin::block_on(async {
    /// let mut sleep = std::pin::pin!(bobbin::time::sleep(Duration::from_secs(60)));
    /// let soon = Instant::now() + Duration::from_millis(5);
    /// sleep.as_mut().reset(soon);
    /// sleep.await;
    /// assert!(Instant::now() >= soon);
    /// # });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: impl Into<Instant>) {
        let this = self.get_mut();
        this.cancel();
        this.deadline = deadline.into().into_std();
    }

    fn cancel(&mut self) {
        if let Some((driver, key)) = &mut self.timer
            && let Some(key) = key.take()
        {
            driver.timers.cancel(key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    /// Spends a unit of the task's budget when it completes (a loop of
    /// `sleep(Duration::ZERO)` is always ready); with the budget spent it
    /// returns `Pending` before it looks at the clock or the wheel.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        coop::poll_budgeted(cx, |cx| this.poll_deadline(cx))
    }
}

impl Sleep {
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.now() >= self.deadline {
            // Drop an entry that has not fired yet (the deadline fell
            // between two driver turns).
            self.cancel();
            return Poll::Ready(());
        }
        let (driver, key) = self.timer.get_or_insert_with(|| (current::current(), None));
        // Still queued: just keep the waker current. Gone (fired early, at
        // a clamp or by rounding): queue again.
        if let Some(queued) = *key
            && driver.timers.update(queued, cx.waker())
        {
            return Poll::Pending;
        }
        // A runtime that shut down has no clock left: the sleep moves to
        // the current runtime, then to the global one (which never shuts
        // down), so it still completes at its deadline and never early.
        let mut moves = 0;
        loop {
            match driver.timers.register(self.deadline, cx.waker().clone()) {
                Armed::Queued {
                    key: queued,
                    unpark,
                } => {
                    *key = Some(queued);
                    if unpark {
                        driver.unpark();
                    }
                    return Poll::Pending;
                }
                Armed::Due => {
                    *key = None;
                    return Poll::Ready(());
                }
                Armed::Shutdown if current::is_worker_of(driver) => {
                    // A task of the dead runtime, still running on one of
                    // its workers (not joined: a timeout, or the runtime was
                    // dropped inside a task): it is cancelled once this poll
                    // returns. Completing would let a loop of sleeps spin
                    // inside this poll.
                    *key = None;
                    return Poll::Pending;
                }
                Armed::Shutdown => {
                    *key = None;
                    *driver = match moves {
                        0 => current::current(),
                        1 => current::global(),
                        // The global runtime is never shut down.
                        _ => unreachable!("the global runtime's timers are shut down"),
                    };
                    moves += 1;
                }
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
