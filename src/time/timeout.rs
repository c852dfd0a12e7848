//! `timeout`: give a future a deadline.

use super::Instant;
use super::error::Elapsed;
use super::sleep::{Sleep, deadline_after, sleep_until};
use crate::task::coop;
use pin_project_lite::pin_project;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] if the
/// time ran out first (the future is then dropped with the `Timeout`).
///
/// A future that is ready at its first poll never touches the timer wheel.
///
/// # Cancel safety
/// Dropping the `Timeout` drops the future; whatever that loses is lost.
///
/// # Panics
/// Its timer is a [`Sleep`], with the same runtime rules: polled outside
/// any runtime, it starts the global runtime, which panics if
/// `BOBBIN_WORKER_THREADS` is malformed.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// # bobbin::block_on(async {
/// assert_eq!(bobbin::time::timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
/// let slow = bobbin::time::timeout(Duration::from_millis(5), std::future::pending::<()>());
/// assert!(slow.await.is_err());
/// # });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    timeout_at(deadline_after(duration), future)
}

/// As [`timeout`], with a deadline instead of a duration.
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// # bobbin::block_on(async {
/// let deadline = Instant::now() + Duration::from_millis(5);
/// assert!(bobbin::time::timeout_at(deadline, std::future::pending::<()>()).await.is_err());
/// # });
/// ```
pub fn timeout_at<F: IntoFuture>(
    deadline: impl Into<Instant>,
    future: F,
) -> Timeout<F::IntoFuture> {
    Timeout {
        value: future.into_future(),
        delay: sleep_until(deadline),
    }
}

pin_project! {
    /// A future with a deadline. Made by [`timeout`] and [`timeout_at`].
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// # bobbin::block_on(async {
    /// let timed = bobbin::time::timeout(Duration::from_secs(1), async { "done" });
    /// assert_eq!(timed.await, Ok("done"));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Timeout<F> {
        #[pin]
        value: F,
        delay: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The inner future.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let timed = bobbin::time::timeout(Duration::from_secs(1), std::future::ready(1));
    /// let _inner: &std::future::Ready<i32> = timed.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.value
    }

    /// The inner future, mutably.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let mut timed = bobbin::time::timeout(Duration::from_secs(1), std::future::ready(1));
    /// let _inner: &mut std::future::Ready<i32> = timed.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.value
    }

    /// The inner future, without the deadline.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// # bobbin::block_on(async {
    /// let timed = bobbin::time::timeout(Duration::from_millis(1), async { 2 });
    /// assert_eq!(timed.into_inner().await, 2);
    /// # });
    /// ```
    pub fn into_inner(self) -> F {
        self.value
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    /// The inner future first, so one that is ready completes the
    /// `Timeout` whatever the budget. Only the deadline spends (its
    /// `Sleep`); and if the inner future spent the last of the task's
    /// budget in this poll, the deadline is looked at unconstrained (as
    /// tokio does), or a future that always spends the whole budget would
    /// keep its `Timeout` from ever firing.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(output) = this.value.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let mut delay = Pin::new(this.delay);
        let elapsed = if had_budget && !coop::has_budget_remaining() {
            coop::with_unconstrained(|| delay.as_mut().poll(cx))
        } else {
            delay.as_mut().poll(cx)
        };
        match elapsed {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: fmt::Debug> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("value", &self.value)
            .field("delay", &self.delay)
            .finish()
    }
}
