//! The coarse clock behind the task dump's times: ticks of 10 ms since the
//! process's first use of it, in one atomic word that the runtime refreshes,
//! so stamping a poll costs a load instead of a clock read (about 20 ns,
//! which would be a tenth of a small task's poll).
//!
//! Who refreshes it: every worker when it wakes from a park and every
//! `GLOBAL_POLL_INTERVAL` ticks of its loop (`runtime/scheduler/worker.rs`),
//! every runtime's monitor at each sample (once per
//! long-poll threshold, 10 ms by default), and the paths that stamp a task
//! from outside a worker (a spawn from a plain thread, a blocking job),
//! which read the real clock. So while a worker runs tasks the word lags
//! real time by at most about one monitor interval; while every worker
//! parks nobody stamps anything with it.
//!
//! The word only moves forward (in wrapping order), so a stamp is never
//! after a later reading of the real clock, and a wrapping difference is
//! right for spans up to 2^32 ticks (497 days). Std atomics even under
//! loom: the word is a hint that no protocol depends on.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// One tick.
pub(crate) const TICK: Duration = Duration::from_millis(10);

static EPOCH: OnceLock<Instant> = OnceLock::new();
static COARSE: AtomicU32 = AtomicU32::new(0);

fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// The tick `at` falls in (wrapping after 497 days).
pub(crate) fn ticks_at(at: Instant) -> u32 {
    let millis = at.saturating_duration_since(epoch()).as_millis();
    // Truncation is the wrap: differences are taken in wrapping arithmetic.
    (millis / TICK.as_millis()) as u32
}

/// The coarse time: one relaxed load.
pub(crate) fn coarse() -> u32 {
    COARSE.load(Relaxed)
}

/// Reads the real clock, moves the coarse time up to it, and returns it.
pub(crate) fn refresh() -> u32 {
    advance_to(ticks_at(Instant::now()))
}

/// Moves the coarse time up to `now` (a tick from `ticks_at`) unless it is
/// there already; returns `now`.
pub(crate) fn advance_to(now: u32) -> u32 {
    let current = COARSE.load(Relaxed);
    // Only forward: a thread that read the clock before another's newer
    // store must not move the word back. The word changes once a tick, so
    // the CAS is rare and a lost race needs no retry (the winner was at
    // least as recent, or close enough).
    if is_after(now, current) {
        let _ = COARSE.compare_exchange(current, now, Relaxed, Relaxed);
    }
    now
}

/// True if tick `a` is after tick `b` in wrapping order.
fn is_after(a: u32, b: u32) -> bool {
    let diff = a.wrapping_sub(b);
    diff != 0 && diff < 1 << 31
}

/// The span from tick `from` to tick `to` (`to` not before `from`).
pub(crate) fn span(from: u32, to: u32) -> Duration {
    TICK * to.wrapping_sub(from)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_word_moves_forward_only() {
        let now = refresh();
        advance_to(now.wrapping_sub(5));
        assert!(!is_after(now, coarse()), "an older reading moved it back");
        assert!(is_after(now.wrapping_add(1), now));
        assert!(is_after(0, u32::MAX), "order wraps");
        assert_eq!(span(u32::MAX, 1), TICK * 2);
    }

    #[test]
    fn ticks_follow_the_real_clock() {
        let start = Instant::now();
        let later = start + Duration::from_millis(1_000);
        assert_eq!(ticks_at(later).wrapping_sub(ticks_at(start)), 100);
    }
}
