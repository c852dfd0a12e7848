//! Time: sleep, timeouts and intervals.
//!
//! What lives here: the public [`sleep`], [`sleep_until`], [`timeout`],
//! [`timeout_at`], [`interval`] and [`interval_at`] (`sleep.rs`,
//! `timeout.rs`, `interval.rs`), and `Delay`, the internal future of the
//! accept back-off (`delay.rs`). The deadlines themselves live in the
//! driver's timing wheel (`driver/timers.rs`, `driver/wheel/`), which the
//! driver fires after every `poll`; this module only registers with it,
//! through the driver's handle, and never touches `io/`.
//!
//! How it is driven: the driver's `epoll_wait` timeout is the next
//! deadline, so an idle runtime with a pending timer sleeps in the kernel
//! until it is due. Busy workers poll the driver every
//! `GLOBAL_POLL_INTERVAL` ticks of their loop (`runtime/scheduler/worker.rs`),
//! so timers fire while every worker computes; when one worker is stuck in
//! a long poll, another holds the driver (see the scheduler's driver
//! hand-off).
//!
//! Never early: a deadline is rounded up to the next whole tick and "now"
//! down, so the wheel never fires an entry before its tick; a `Sleep` woken
//! before its `Instant` (a deadline clamped to the wheel's 2.2-year span)
//! registers again.
//!
//! The cooperative budget (`task/coop.rs`): a `Sleep` that completes
//! spends a unit of its task's budget, so a loop of due sleeps or ticks
//! yields like a loop of channel operations; `Timeout` spends only through
//! its deadline, and polls that deadline unconstrained when its future
//! spent the last unit (see `timeout.rs`).
//!
//! The clock: every deadline is on the runtime's clock
//! (`driver/clock.rs`), which [`pause`] stops for tests; [`Instant::now`]
//! reads it. While paused, time moves by [`advance`] or, when the whole
//! runtime is idle, to the next deadline (`runtime/scheduler/quiet.rs`).
//!
//! Tested by the unit tests in `driver/wheel/` and
//! `executor-tests/tests/time_*.rs`.

#![forbid(unsafe_code)]

mod delay;
mod error;
mod instant;
mod interval;
mod pause;
mod sleep;
mod timeout;

pub(crate) use delay::Delay;
pub use error::Elapsed;
pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use pause::{advance, pause, resume};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::Duration;
pub use timeout::{Timeout, timeout, timeout_at};
