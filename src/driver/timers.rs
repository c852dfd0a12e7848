//! The runtime's timers: the timing wheel (`wheel/`) behind a mutex, in
//! ticks of 100 µs (`TICK`) since the driver started, as the driver sees it,
//! each entry also keeping its exact deadline. The driver's timer fd
//! (`timer_fd.rs`) wakes `poll` at the earliest exact deadline of the slot
//! that comes due next (`epoll_wait` alone counts whole milliseconds), and
//! `fire_due` fires the entries of the coming tick whose exact deadline has
//! passed as well as every whole tick that has: a deadline off the tick
//! grid is not rounded up to it (a 1 ms ticker's mean lateness went from
//! 0.09-0.13 ms to 0.07-0.08, issue 19).
//!
//! How it is driven: the driver asks `Timers` for the next deadline before
//! it blocks (`park_timeout`: that deadline is the `epoll_wait` timeout, so
//! an idle runtime with a pending timer sleeps in the kernel until it is
//! due and uses no CPU), and fires what is due after every `poll`
//! (`fire_due`). A deadline registered while the driver sleeps past it
//! pulls the driver out of `poll` (`register` tells the caller to unpark
//! it).
//!
//! Never early: a deadline is rounded up to the next whole tick and "now"
//! down, so the wheel never fires an entry before its tick; within the
//! coming tick, an entry fires only once "now" has passed its exact
//! deadline.
//!
//! Whose "now": the runtime's [`Clock`](super::clock::Clock). While it is
//! paused, no deadline bounds the driver's wait (virtual time does not pass
//! by waiting), and every registration pulls the driver out of `poll` so
//! the scheduler can decide whether to move the clock (`next_deadline`).

use super::clock::Clock;
use super::wheel::{EntryKey, Wheel};
use crate::loom::{AtomicUsize, Mutex, lock};
use std::sync::atomic::Ordering::Relaxed;
use std::task::Waker;
use std::time::{Duration, Instant};

/// The wheel's tick: a deadline's slot is the tick it rounds up to. 100
/// µs: the six levels still span 79 days (a
/// longer sleep is queued again when it reaches the end of the span,
/// `wheel::MAX_TICKS`). 50 µs was tried: the burst of 100k sleeps of
/// `--bench timers` then woke the driver twice as often and its p99
/// lateness rose by a quarter; at 100 µs it is level with 1 ms ticks.
/// A whole millisecond is a whole number of ticks, so the paused clock's
/// millisecond grid (`clock.rs`) stays on the tick grid.
pub(crate) const TICK: Duration = Duration::from_micros(100);

/// How many entries of the next slot `park_timeout` walks for their exact
/// deadlines, and `fire_due` for those that passed; a fuller slot is
/// waited for, and fired, at its tick.
const EXACT_WALK: usize = 16;
const TICK_NANOS: u128 = TICK.as_nanos();

/// The runtime's pending deadlines.
pub(crate) struct Timers {
    state: Mutex<State>,
    /// How many deadlines are queued (written under `state`, read without
    /// it), so a driver with none skips the lock and the clock.
    pending: AtomicUsize,
    /// Tick 0 of the wheel.
    origin: Instant,
    /// The runtime's clock: real, or paused for tests.
    pub(crate) clock: Clock,
}

struct State {
    wheel: Wheel,
    /// When the driver's holder will return from `poll` by itself (in
    /// nanoseconds since the origin): `None` if nobody is in `poll`,
    /// `Some(None)` if it waits without a deadline.
    parked_until: Option<Option<u64>>,
    is_shutdown: bool,
}

/// A deadline's place in the wheel.
pub(crate) type Key = EntryKey;

/// What `Timers::register` tells its caller.
#[must_use]
#[derive(Debug)]
pub(crate) enum Armed {
    /// Queued; `unpark` says whether the driver must be pulled out of a
    /// `poll` that would sleep past the new deadline.
    Queued { key: Key, unpark: bool },
    /// The deadline's tick has already been processed: it is due now.
    Due,
    /// The runtime is gone: the deadline will never fire.
    Shutdown,
}

impl Timers {
    pub(crate) fn new(paused: bool) -> Timers {
        let clock = Clock::new(paused);
        Timers {
            pending: AtomicUsize::new(0),
            origin: clock.now(),
            clock,
            state: Mutex::new(State {
                wheel: Wheel::new(),
                parked_until: None,
                is_shutdown: false,
            }),
        }
    }

    /// The tick of `deadline`, rounded up (never early); saturating.
    fn tick_ceil(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.origin);
        u64::try_from(since.as_nanos().div_ceil(TICK_NANOS)).unwrap_or(u64::MAX)
    }

    /// When tick `tick` begins (saturating at `Instant`'s range).
    fn at(&self, tick: u64) -> Instant {
        let nanos = u128::from(tick) * TICK_NANOS;
        let since = Duration::new(
            u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
            (nanos % 1_000_000_000) as u32,
        );
        self.origin
            .checked_add(since)
            .unwrap_or_else(|| self.origin + Duration::from_secs(u64::from(u32::MAX)))
    }

    /// `instant` in nanoseconds since the origin (saturating): the wheel's
    /// exact deadlines.
    fn nanos(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.origin);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The tick `now` is in, rounded down.
    fn tick_floor(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.origin);
        u64::try_from(since.as_nanos() / TICK_NANOS).unwrap_or(u64::MAX)
    }

    /// When to end a wait for the slot of tick `tick`, whose earliest exact
    /// deadline is `exact` (if the slot was walked): that deadline, but
    /// never past the tick (a deadline clamped to the wheel's span,
    /// `wheel::MAX_TICKS`, keeps its real, later exact one).
    fn wake_at(&self, tick: u64, exact: Option<u64>) -> Instant {
        let at_tick = self.at(tick);
        exact
            .and_then(|exact| self.origin.checked_add(Duration::from_nanos(exact)))
            .map_or(at_tick, |exact| exact.min(at_tick))
    }

    /// The driver is about to `poll` for at most `timeout`: shortens it to
    /// the next deadline, and records when `poll` will return by itself
    /// (under the lock, so a racing `register` sees it).
    pub(crate) fn park_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
        let paused = self.clock.is_paused();
        let mut state = lock(&self.state);
        let now = self.clock.now();
        let timeout = match state.wheel.next_deadline() {
            None => timeout,
            // Virtual time does not pass by waiting: only I/O, an unpark or
            // a new deadline (which unparks, below) ends the wait.
            Some(_) if paused => timeout,
            Some(tick) => {
                // To the earliest exact deadline of the slot that comes due
                // next (if it is short enough to walk), else to its tick:
                // `fire_due` then fires the entries whose exact deadline
                // passed, before their tick is over. The driver's timer fd
                // wakes `poll` then (without one, mio rounds the wait up to
                // whole milliseconds, never short of the deadline).
                let until = self.wake_at(tick, state.wheel.next_exact(EXACT_WALK));
                let wait = until.saturating_duration_since(now);
                Some(timeout.map_or(wait, |t| t.min(wait)))
            }
        };
        // When `poll` returns (nanoseconds since the origin): a deadline
        // registered at or after it is served by the return itself and
        // needs no unpark; an earlier one does. A wait past `Instant`'s
        // range counts as no deadline.
        state.parked_until = if paused {
            Some(None)
        } else {
            Some(
                timeout
                    .and_then(|t| now.checked_add(t))
                    .map(|at| self.nanos(at)),
            )
        };
        timeout
    }

    /// The driver returned from `poll`.
    pub(crate) fn unparked(&self) {
        lock(&self.state).parked_until = None;
    }

    /// Moves the wakers of every deadline that has passed into `wake`.
    pub(crate) fn fire_due(&self, wake: &mut Vec<Waker>) {
        if !self.has_pending() {
            return;
        }
        let now = self.clock.now();
        let mut state = lock(&self.state);
        state.wheel.advance(self.tick_floor(now), wake);
        state
            .wheel
            .fire_within_tick(self.nanos(now), EXACT_WALK, wake);
        self.pending.store(state.wheel.len(), Relaxed);
    }

    /// Pauses the clock, on a millisecond grid (whole ticks).
    pub(crate) fn pause(&self) -> Result<(), super::clock::Misuse> {
        self.clock.pause(self.origin)
    }

    /// The earliest queued deadline (its tick's end), if any.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let tick = lock(&self.state).wheel.next_deadline()?;
        Some(self.at(tick))
    }

    /// How many deadlines are queued (a hint without the lock).
    pub(crate) fn pending(&self) -> usize {
        self.pending.load(Relaxed)
    }

    /// True if some deadline is queued (a hint without the lock).
    pub(crate) fn has_pending(&self) -> bool {
        // Relaxed: a hint. A deadline queued just after this read is
        // seen by the next poll; one that must interrupt a blocking poll
        // unparks the driver itself (`register`).
        self.pending.load(Relaxed) > 0
    }

    /// Queues `waker` to be woken at `deadline`. O(1).
    pub(crate) fn register(&self, deadline: Instant, waker: Waker) -> Armed {
        let tick = self.tick_ceil(deadline);
        let exact = self.nanos(deadline);
        let mut state = lock(&self.state);
        if state.is_shutdown {
            drop(state);
            drop(waker);
            return Armed::Shutdown;
        }
        let key = match state.wheel.insert(tick, exact, waker) {
            Ok(key) => key,
            Err(waker) => {
                // Dropped after the lock (see `Wheel::update_waker`).
                drop(state);
                drop(waker);
                return Armed::Due;
            }
        };
        self.pending.store(state.wheel.len(), Relaxed);
        let unpark = match state.parked_until {
            Some(None) => true,
            Some(Some(until)) => exact < until,
            None => false,
        };
        Armed::Queued { key, unpark }
    }

    /// Replaces the waker of a queued deadline; false if it already fired.
    pub(crate) fn update(&self, key: Key, waker: &Waker) -> bool {
        let result = lock(&self.state).wheel.update_waker(key, waker);
        // The replaced waker is dropped here, after the lock (see
        // `Wheel::update_waker`).
        result.is_ok()
    }

    /// Removes a deadline (its future was dropped or reset). O(1).
    pub(crate) fn cancel(&self, key: Key) {
        let waker = {
            let mut state = lock(&self.state);
            let waker = state.wheel.remove(key);
            self.pending.store(state.wheel.len(), Relaxed);
            waker
        };
        // Dropped after the lock (see `Wheel::update_waker`).
        drop(waker);
    }

    /// The runtime is gone: every waiting task is woken (and a deadline
    /// registered from now on is reported as unreachable).
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        let mut state = lock(&self.state);
        state.is_shutdown = true;
        state.wheel.drain(wake);
        self.pending.store(0, Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_wait_ends_at_the_exact_deadline_but_never_past_its_tick() {
        let timers = Timers::new(false);
        let exact = 950_000; // inside tick 10: (900_000, 1_000_000] ns
        assert_eq!(
            timers.wake_at(10, Some(exact)),
            timers.origin + Duration::from_nanos(exact)
        );
        assert_eq!(timers.wake_at(10, None), timers.at(10), "a slot not walked");
        // A far deadline clamped into an earlier slot keeps its real exact
        // deadline: the wait still ends at the slot's tick.
        assert_eq!(timers.wake_at(10, Some(u64::MAX)), timers.at(10));
    }
}
