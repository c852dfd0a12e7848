//! `Instant`: a moment on the runtime's clock.

use crate::driver::current;
use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A moment on the current runtime's clock: real time, or virtual time
/// while the clock is paused ([`pause`](super::pause),
/// [`Builder::start_paused`](crate::runtime::Builder::start_paused)).
///
/// The same line as `std::time::Instant` (it wraps one), so the two
/// convert freely ([`from_std`](Instant::from_std),
/// [`into_std`](Instant::into_std), `From`), compare with each other, and
/// every function that takes a deadline takes either. Only
/// [`now`](Instant::now) and [`elapsed`](Instant::elapsed) differ: they read
/// the runtime's clock, which a paused runtime moves by itself.
///
/// # Examples
/// ```
/// use bobbin::time::Instant;
/// use std::time::Duration;
/// # bobbin::block_on(async {
/// let start = Instant::now();
/// bobbin::time::sleep(Duration::from_millis(5)).await;
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// let std: std::time::Instant = start.into();
/// assert_eq!(Instant::from_std(std), start);
/// // The two kinds mix in comparisons and differences.
/// let later = std + Duration::from_millis(1);
/// assert!(later > start && later - start == Duration::from_millis(1));
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The current runtime's clock now (std's clock outside any runtime).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::builder().start_paused(true).build().unwrap();
    /// rt.block_on(async {
    ///     let before = bobbin::time::Instant::now();
    ///     std::thread::sleep(Duration::from_millis(5));
    ///     assert_eq!(bobbin::time::Instant::now(), before, "a paused clock stands still");
    /// });
    /// ```
    pub fn now() -> Instant {
        Instant(current::now())
    }

    /// The `Instant` at `std`.
    ///
    /// # Examples
    /// ```
    /// let std = std::time::Instant::now();
    /// assert_eq!(bobbin::time::Instant::from_std(std).into_std(), std);
    /// ```
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant(std)
    }

    /// The same moment as a `std::time::Instant`.
    ///
    /// # Examples
    /// ```
    /// let now = bobbin::time::Instant::now();
    /// let std: std::time::Instant = now.into_std();
    /// assert_eq!(bobbin::time::Instant::from(std), now);
    /// ```
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let a = bobbin::time::Instant::now();
    /// let b = a + Duration::from_secs(1);
    /// assert_eq!(b.duration_since(a), Duration::from_secs(1));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// The time from `earlier` to `self`, `None` if `earlier` is later.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let a = bobbin::time::Instant::now();
    /// let b = a + Duration::from_secs(1);
    /// assert_eq!(b.checked_duration_since(a), Some(Duration::from_secs(1)));
    /// assert_eq!(a.checked_duration_since(b), None);
    /// ```
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let a = bobbin::time::Instant::now();
    /// assert_eq!(a.saturating_duration_since(a + Duration::from_secs(1)), Duration::ZERO);
    /// ```
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// The time since `self` on the current runtime's clock (virtual time
    /// while it is paused).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let rt = bobbin::Runtime::builder().start_paused(true).build().unwrap();
    /// rt.block_on(async {
    ///     let start = bobbin::time::Instant::now();
    ///     bobbin::time::advance(Duration::from_secs(5)).await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(5));
    /// });
    /// ```
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + duration`, `None` past the range of `Instant`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let now = bobbin::time::Instant::now();
    /// assert!(now.checked_add(Duration::from_secs(1)).is_some());
    /// assert!(now.checked_add(Duration::MAX).is_none());
    /// ```
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, `None` before the range of `Instant`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let now = bobbin::time::Instant::now();
    /// assert!(now.checked_sub(Duration::MAX).is_none());
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

impl PartialEq<std::time::Instant> for Instant {
    fn eq(&self, other: &std::time::Instant) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Instant> for std::time::Instant {
    fn eq(&self, other: &Instant) -> bool {
        *self == other.0
    }
}

impl PartialOrd<std::time::Instant> for Instant {
    fn partial_cmp(&self, other: &std::time::Instant) -> Option<Ordering> {
        self.0.partial_cmp(other)
    }
}

impl PartialOrd<Instant> for std::time::Instant {
    fn partial_cmp(&self, other: &Instant) -> Option<Ordering> {
        self.partial_cmp(&other.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    /// Past the range of `Instant` (as std's).
    fn add(self, duration: Duration) -> Instant {
        Instant(self.0 + duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        self.0 += duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, duration: Duration) -> Instant {
        Instant(self.0 - duration)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        self.0 -= duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Zero if `earlier` is later (as std's since 1.60).
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

impl Sub<std::time::Instant> for Instant {
    type Output = Duration;

    /// Zero if `earlier` is later.
    fn sub(self, earlier: std::time::Instant) -> Duration {
        self.0.saturating_duration_since(earlier)
    }
}

impl Sub<Instant> for std::time::Instant {
    type Output = Duration;

    /// Zero if `earlier` is later: a std tick or deadline minus a
    /// [`time::Instant`](Instant).
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier.0)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
