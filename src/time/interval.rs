//! `Interval`: ticks at a fixed period.

use super::sleep::{Sleep, sleep_until};
use crate::driver::current;
use futures_core::Stream;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// `at + period`, or about 30 years from `at` if that overflows `Instant`
/// (a period of `Duration::MAX`).
fn add(at: Instant, period: Duration) -> Instant {
    at.checked_add(period)
        .unwrap_or_else(|| super::sleep::far_future(at))
}

/// How late a tick may be before it counts as missed.
const MISSED_AFTER: Duration = Duration::from_millis(5);

/// An interval that ticks now, then every `period`.
///
/// # Panics
/// If `period` is zero, which would tick in a busy loop.
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// # bobbin::block_on(async {
/// let mut interval = bobbin::time::interval(Duration::from_millis(10));
/// let first = interval.tick().await; // at once
/// let second = interval.tick().await;
/// assert!(second - first >= Duration::from_millis(10));
/// # });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(current::now(), period)
}

/// An interval that ticks at `start`, then every `period`.
///
/// # Panics
/// If `period` is zero, which would tick in a busy loop.
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// # bobbin::block_on(async {
/// let start = Instant::now() + Duration::from_millis(5);
/// let mut interval = bobbin::time::interval_at(start, Duration::from_millis(5));
/// assert_eq!(interval.tick().await, start);
/// # });
/// ```
#[track_caller]
pub fn interval_at(start: impl Into<super::Instant>, period: Duration) -> Interval {
    let start = start.into().into_std();
    assert!(
        !period.is_zero(),
        "bobbin::time::interval was given a zero period, which would tick in a busy loop; \
         give it a positive period (one under 100 µs works, but its ticks come in \
         bursts: the timer counts 100 µs ticks)"
    );
    Interval {
        delay: sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::Burst,
    }
}

/// What an [`Interval`] does when ticks were missed (its task was busy or
/// not polled for more than a period).
///
/// # Examples
/// ```
/// use bobbin::time::MissedTickBehavior;
/// use std::time::Duration;
/// let mut interval = bobbin::time::interval(Duration::from_millis(10));
/// interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
/// assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Skip);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Tick as fast as possible until caught up, then keep the original
    /// schedule (the default).
    #[default]
    Burst,
    /// Tick once now, then every period from now on: the schedule shifts.
    Delay,
    /// Tick once now, then at the next tick of the original schedule: the
    /// missed ones are dropped.
    Skip,
}

impl MissedTickBehavior {
    /// The next deadline after a tick due at `due` was taken late, at `now`.
    fn next(self, due: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => add(due, period),
            MissedTickBehavior::Delay => add(now, period),
            MissedTickBehavior::Skip => {
                let late = now.duration_since(due).as_nanos() % period.as_nanos();
                add(now, period - Duration::from_nanos(late as u64))
            }
        }
    }
}

/// Ticks at a fixed period. Made by [`interval`] and [`interval_at`]; also a
/// `futures::Stream` of the instants it was due at.
///
/// # Examples
/// ```
/// use futures::StreamExt;
/// use std::time::Duration;
/// # bobbin::block_on(async {
/// let ticks: Vec<_> = bobbin::time::interval(Duration::from_millis(2)).take(3).collect().await;
/// assert_eq!(ticks.len(), 3);
/// # });
/// ```
pub struct Interval {
    delay: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due at.
    ///
    /// # Cancel safety
    /// Cancel safe: a tick is consumed only when this returns it.
    ///
    /// # Panics
    /// The first tick awaited outside any runtime starts the global
    /// runtime, which panics if `BOBBIN_WORKER_THREADS` is malformed or its
    /// threads cannot be started.
    ///
    /// # Examples
    /// ```
    /// use std::time::{Duration, Instant};
    /// # bobbin::block_on(async {
    /// let mut interval = bobbin::time::interval(Duration::from_millis(1));
    /// let due = interval.tick().await;
    /// assert!(due <= Instant::now());
    /// # });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// The `Poll` form of [`tick`](Interval::tick).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// # bobbin::block_on(async {
    /// let mut interval = bobbin::time::interval(Duration::from_millis(1));
    /// std::future::poll_fn(|cx| interval.poll_tick(cx)).await;
    /// # });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.delay).poll(cx));
        let due = self.delay.deadline();
        let now = current::now();
        let next = if now.saturating_duration_since(due) > MISSED_AFTER {
            self.missed_tick_behavior.next(due, now, self.period)
        } else {
            add(due, self.period)
        };
        Pin::new(&mut self.delay).reset(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// # Examples
    /// ```
    /// use std::time::{Duration, Instant};
    /// # bobbin::block_on(async {
    /// let mut interval = bobbin::time::interval(Duration::from_millis(5));
    /// interval.tick().await;
    /// interval.reset();
    /// let start = Instant::now();
    /// interval.tick().await;
    /// assert!(start.elapsed() >= Duration::from_millis(4));
    /// # });
    /// ```
    pub fn reset(&mut self) {
        self.reset_at(add(current::now(), self.period));
    }

    /// Makes the next tick due at once.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// # bobbin::block_on(async {
    /// let mut interval = bobbin::time::interval(Duration::from_secs(60));
    /// interval.tick().await;
    /// interval.reset_immediately();
    /// interval.tick().await; // does not wait a minute
    /// # });
    /// ```
    pub fn reset_immediately(&mut self) {
        self.reset_at(current::now());
    }

    /// Makes the next tick due at `deadline`; the period then continues
    /// from there.
    ///
    /// # Examples
    /// ```
    /// use std::time::{Duration, Instant};
    /// # bobbin::block_on(async {
    /// let mut interval = bobbin::time::interval(Duration::from_secs(60));
    /// let soon = Instant::now() + Duration::from_millis(2);
    /// interval.reset_at(soon);
    /// assert_eq!(interval.tick().await, soon);
    /// # });
    /// ```
    pub fn reset_at(&mut self, deadline: impl Into<super::Instant>) {
        let deadline = deadline.into().into_std();
        Pin::new(&mut self.delay).reset(deadline);
    }

    /// The period.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(bobbin::time::interval(Duration::from_secs(2)).period(), Duration::from_secs(2));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What the interval does about missed ticks.
    ///
    /// # Examples
    /// ```
    /// use bobbin::time::MissedTickBehavior;
    /// use std::time::Duration;
    /// let interval = bobbin::time::interval(Duration::from_secs(1));
    /// assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what the interval does about missed ticks.
    ///
    /// # Examples
    /// ```
    /// use bobbin::time::MissedTickBehavior;
    /// use std::time::Duration;
    /// let mut interval = bobbin::time::interval(Duration::from_secs(1));
    /// interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("period", &self.period)
            .field("next", &self.delay.deadline())
            .field("missed_tick_behavior", &self.missed_tick_behavior)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn missed_tick_policies() {
        let due = current::now();
        let period = Duration::from_millis(10);
        let now = due + Duration::from_millis(35);
        assert_eq!(
            MissedTickBehavior::Burst.next(due, now, period),
            due + period
        );
        assert_eq!(
            MissedTickBehavior::Delay.next(due, now, period),
            now + period
        );
        assert_eq!(
            MissedTickBehavior::Skip.next(due, now, period),
            due + Duration::from_millis(40)
        );
    }
}
