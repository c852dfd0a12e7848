//! The runtime's clock: real time, or virtual time while paused.
//!
//! Every deadline the runtime keeps (sleeps, timeouts, intervals, the
//! accept back-off) is an `Instant` on this clock's line, and the timers
//! read "now" here, so pausing the clock stops time for all of them at
//! once. While paused, time moves only when told to (`advance`) or, when
//! the whole runtime is idle, to the next deadline (the scheduler's
//! auto-advance, `runtime/scheduler/quiet.rs`).
//!
//! The line: `now = base + (real time since unfrozen)`, or `base` while
//! paused. A clock that was never paused answers `Instant::now()` without
//! its lock (one relaxed load more than std), so the production path pays
//! nothing for the feature; once paused, every reading takes the lock
//! (tests, simulations).
//!
//! Invariants: `now` never goes backwards (pausing keeps the current
//! reading as `base`, resuming restarts the real-time part from zero,
//! advancing only adds); `ever_paused` is set, under the lock, before the
//! first pause takes effect and never cleared.

use crate::loom::{AtomicBool, Mutex, lock};
use std::sync::atomic::Ordering::{Acquire, Release};
use std::time::{Duration, Instant};

/// Set once any runtime's clock in the process is paused: until then,
/// "the current runtime's time" is `Instant::now()` without finding the
/// current runtime (`driver/current.rs`), so creating a `Sleep` costs what
/// it did before clocks could pause. Std atomics even under loom: a hint
/// that only ever goes from false to true.
static ANY_PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True once any runtime's clock was paused in this process.
pub(crate) fn any_paused() -> bool {
    ANY_PAUSED.load(std::sync::atomic::Ordering::Acquire)
}

/// A runtime's clock.
pub(crate) struct Clock {
    /// False until the first pause: `now` is then std's, lock-free.
    ever_paused: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// The clock's reading when it was last paused or resumed, plus every
    /// advance since.
    base: Instant,
    /// When (in real time) the clock last resumed; `None` while paused.
    unfrozen: Option<Instant>,
}

/// Why a clock operation was refused (the public functions turn these
/// into panics that say what to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Misuse {
    AlreadyPaused,
    NotPaused,
}

impl Clock {
    pub(crate) fn new(paused: bool) -> Clock {
        if paused {
            ANY_PAUSED.store(true, std::sync::atomic::Ordering::Release);
        }
        let now = Instant::now();
        Clock {
            ever_paused: AtomicBool::new(paused),
            state: Mutex::new(State {
                base: now,
                unfrozen: (!paused).then_some(now),
            }),
        }
    }

    /// The clock's reading.
    pub(crate) fn now(&self) -> Instant {
        // Acquire: pairs with the Release in `pause`, so a reader that
        // sees the flag also sees the state it guards (through the lock).
        if !self.ever_paused.load(Acquire) {
            return Instant::now();
        }
        lock(&self.state).now()
    }

    /// True while the clock is paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.ever_paused.load(Acquire) && lock(&self.state).unfrozen.is_none()
    }

    /// Stops the clock at its current reading, moved up to the next whole
    /// millisecond after `grid` (the timers' tick 0): deadlines a whole
    /// number of milliseconds away then fall exactly on a tick, and a
    /// paused clock that jumps to a tick lands exactly on them.
    pub(crate) fn pause(&self, grid: Instant) -> Result<(), Misuse> {
        let mut state = lock(&self.state);
        if state.unfrozen.is_none() {
            return Err(Misuse::AlreadyPaused);
        }
        let now = state.now();
        let since = now.saturating_duration_since(grid).as_nanos();
        let aligned = u64::try_from(since.div_ceil(1_000_000)).unwrap_or(u64::MAX);
        state.base = grid
            .checked_add(Duration::from_millis(aligned))
            .unwrap_or(now)
            .max(now);
        state.unfrozen = None;
        ANY_PAUSED.store(true, Release);
        self.ever_paused.store(true, Release);
        Ok(())
    }

    /// Lets the clock run again with real time, from its current reading.
    pub(crate) fn resume(&self) -> Result<(), Misuse> {
        let mut state = lock(&self.state);
        if state.unfrozen.is_some() {
            return Err(Misuse::NotPaused);
        }
        state.unfrozen = Some(Instant::now());
        Ok(())
    }

    /// Moves a paused clock forward by `by` (saturating at `Instant`'s
    /// range).
    pub(crate) fn advance(&self, by: Duration) -> Result<(), Misuse> {
        let mut state = lock(&self.state);
        if state.unfrozen.is_some() {
            return Err(Misuse::NotPaused);
        }
        state.base = state.base.checked_add(by).unwrap_or(state.base);
        Ok(())
    }

    /// Moves a paused clock forward to `to`, if that is later; false if the
    /// clock is not paused (then nothing moves).
    pub(crate) fn advance_to(&self, to: Instant) -> bool {
        let mut state = lock(&self.state);
        if state.unfrozen.is_some() {
            return false;
        }
        state.base = state.base.max(to);
        true
    }
}

impl State {
    fn now(&self) -> Instant {
        match self.unfrozen {
            None => self.base,
            Some(since) => self.base + since.elapsed(),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_paused_clock_stands_still_and_moves_only_when_advanced() {
        let clock = Clock::new(false);
        assert!(!clock.is_paused());
        let grid = Instant::now();
        std::thread::sleep(Duration::from_micros(1500));
        clock.pause(grid).unwrap();
        let since = clock.now() - grid;
        assert_eq!(
            since.subsec_nanos() % 1_000_000,
            0,
            "paused on the grid: {since:?}"
        );
        let at = clock.now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now(), at, "paused time does not pass");
        clock.advance(Duration::from_secs(3600)).unwrap();
        assert_eq!(clock.now(), at + Duration::from_secs(3600));
        assert!(clock.advance_to(at), "an earlier target is ignored");
        assert_eq!(clock.now(), at + Duration::from_secs(3600));
        clock.resume().unwrap();
        let resumed = clock.now();
        assert!(
            resumed >= at + Duration::from_secs(3600),
            "no step back on resume"
        );
        std::thread::sleep(Duration::from_millis(2));
        assert!(clock.now() > resumed, "a resumed clock runs");
    }

    #[test]
    fn misuse_is_refused() {
        let clock = Clock::new(true);
        assert_eq!(clock.pause(Instant::now()), Err(Misuse::AlreadyPaused));
        clock.resume().unwrap();
        assert_eq!(clock.resume(), Err(Misuse::NotPaused));
        assert_eq!(
            clock.advance(Duration::from_secs(1)),
            Err(Misuse::NotPaused)
        );
        assert!(!clock.advance_to(Instant::now() + Duration::from_secs(1)));
    }
}
