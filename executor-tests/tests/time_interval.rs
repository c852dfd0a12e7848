//! `Interval`: the first tick comes at once; ticks are due a period or more
//! apart and never come before they are due; the three missed-tick
//! policies after the ticking task was blocked for several periods (Burst
//! catches up back to back on the original schedule, Delay shifts the
//! schedule, Skip jumps to the next tick of the original schedule);
//! `reset`, `reset_immediately`, `reset_at`; `tick` is cancel safe; the
//! `Stream` impl; a zero period panics clearly and a `Duration::MAX` one
//! does not overflow.
//!
//! The missed-tick tests block their task's worker with `std::thread::sleep`
//! on purpose: a task that hogs its thread is what makes ticks late. What
//! they check follows from the instants they read around each tick, so a
//! slow machine changes which ticks are late, not the verdict.

use bobbin::time::{Interval, MissedTickBehavior, interval, interval_at, sleep};
use executor_tests::{LIMIT, panic_message_of, runtime, with_timeout};
use futures::StreamExt;
use futures::future::{Either, select};
use std::future::poll_fn;
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

/// The period of the missed-tick tests, and how long they block.
const PERIOD: Duration = Duration::from_millis(20);
const BLOCK: Duration = Duration::from_millis(70);

/// Polls `interval.tick()` once: the instant it was due, if it came at once.
async fn tick_now(interval: &mut Interval) -> Option<Instant> {
    match futures::poll!(pin!(interval.tick())) {
        Poll::Ready(due) => Some(due),
        Poll::Pending => None,
    }
}

/// Whether `due` is on the schedule `start + k * period`.
fn on_schedule(start: Instant, period: Duration, due: Instant) -> bool {
    due >= start && (due - start).as_nanos().is_multiple_of(period.as_nanos())
}

#[test]
fn the_first_tick_comes_at_once() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "time-interval-first");
        rt.block_on(async {
            let before = Instant::now();
            let mut hourly = interval(Duration::from_secs(3_600));
            let after = Instant::now();
            let first = tick_now(&mut hourly).await.expect("the first tick waited");
            assert!(before <= first && first <= after);
            assert_eq!(
                tick_now(&mut hourly).await,
                None,
                "a second tick came at once"
            );
            assert_eq!(hourly.period(), Duration::from_secs(3_600));
            assert_eq!(hourly.missed_tick_behavior(), MissedTickBehavior::Burst);

            // Started in the past: that instant, at once.
            let past = Instant::now()
                .checked_sub(Duration::from_secs(1))
                .unwrap_or_else(Instant::now);
            let mut from_past = interval_at(past, Duration::from_secs(3_600));
            assert_eq!(tick_now(&mut from_past).await, Some(past));

            // Started in the future: not before it.
            let start = Instant::now() + Duration::from_millis(25);
            let mut later = interval_at(start, Duration::from_secs(3_600));
            assert_eq!(later.tick().await, start);
            assert!(Instant::now() >= start);
        });
    });
}

/// Under each policy, in tasks: every tick comes at or after the instant
/// it returns, consecutive ticks are due at least a period apart, and under
/// Burst (the default) they are due exactly on the schedule.
#[test]
fn ticks_are_due_a_period_apart_and_never_early() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-interval-spacing");
        let period = Duration::from_micros(12_500);
        let tasks: Vec<_> = [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ]
        .into_iter()
        .map(|behavior| {
            rt.spawn(async move {
                let mut ticks = interval(period);
                ticks.set_missed_tick_behavior(behavior);
                assert_eq!(ticks.missed_tick_behavior(), behavior);
                let start = ticks.tick().await;
                let mut previous = start;
                for k in 1..=6u32 {
                    // Through `poll_tick` half the time.
                    let due = if k % 2 == 0 {
                        ticks.tick().await
                    } else {
                        poll_fn(|cx| ticks.poll_tick(cx)).await
                    };
                    assert!(Instant::now() >= due, "{behavior:?}: tick {k} came early");
                    assert!(
                        due - previous >= period,
                        "{behavior:?}: tick {k} is due {:?} after the one before",
                        due - previous
                    );
                    if behavior == MissedTickBehavior::Burst {
                        assert_eq!(due, start + period * k);
                    }
                    previous = due;
                }
            })
        })
        .collect();
        for task in tasks {
            rt.block_on(task).unwrap();
        }
    });
}

/// Takes the first tick, then blocks the task's thread for `BLOCK` (3.5
/// periods): returns the first tick's instant and the time the block ended.
async fn first_tick_then_block(ticks: &mut Interval) -> (Instant, Instant) {
    let start = ticks.tick().await;
    std::thread::sleep(BLOCK);
    (start, Instant::now())
}

/// Burst: after the block, every tick already due comes at once, each with
/// its own instant on the original schedule; then the schedule goes on
/// unchanged.
#[test]
fn burst_catches_up_back_to_back() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-interval-burst");
        let task = rt.spawn(async {
            let mut ticks = interval(PERIOD);
            let (start, unblocked) = first_tick_then_block(&mut ticks).await;
            let mut k = 1;
            while start + PERIOD * k <= unblocked {
                assert_eq!(
                    tick_now(&mut ticks).await,
                    Some(start + PERIOD * k),
                    "missed tick {k} did not come at once"
                );
                k += 1;
            }
            assert!(k > 3, "the block covered three ticks or more");
            for k in k..k + 2 {
                let due = ticks.tick().await;
                assert_eq!(due, start + PERIOD * k, "the schedule moved");
                assert!(Instant::now() >= due);
            }
        });
        rt.block_on(task).unwrap();
    });
}

/// Delay: after the block, one tick comes at once (the first missed one);
/// the next is due a full period after that late tick was taken, so the
/// schedule is shifted; the ones after keep at least a period apart.
#[test]
fn delay_shifts_the_schedule() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-interval-delay");
        let task = rt.spawn(async {
            let mut ticks = interval(PERIOD);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let (start, unblocked) = first_tick_then_block(&mut ticks).await;
            assert_eq!(tick_now(&mut ticks).await, Some(start + PERIOD));
            let taken = Instant::now();
            let next = ticks.tick().await;
            assert!(
                next >= unblocked + PERIOD && next <= taken + PERIOD,
                "the tick after a late one is due a period after it was taken"
            );
            assert!(Instant::now() >= next);
            let after = ticks.tick().await;
            assert!(after >= next + PERIOD);
            assert!(Instant::now() >= after);
        });
        rt.block_on(task).unwrap();
    });
}

/// Skip: after the block, one tick comes at once (the first missed one);
/// the next is the first tick of the original schedule after that late one
/// was taken: the others are dropped.
#[test]
fn skip_jumps_to_the_next_tick_of_the_schedule() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-interval-skip");
        let task = rt.spawn(async {
            let mut ticks = interval(PERIOD);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
            let (start, unblocked) = first_tick_then_block(&mut ticks).await;
            assert_eq!(tick_now(&mut ticks).await, Some(start + PERIOD));
            let taken = Instant::now();
            let next = ticks.tick().await;
            assert!(on_schedule(start, PERIOD, next), "Skip left the schedule");
            assert!(
                next > unblocked && next <= taken + PERIOD,
                "the next tick is the first of the schedule after the late one"
            );
            assert!(
                next >= start + PERIOD * 4,
                "the block covered three ticks or more"
            );
            assert!(Instant::now() >= next);
            let after = ticks.tick().await;
            assert!(on_schedule(start, PERIOD, after) && after > next);
            assert!(Instant::now() >= after);
        });
        rt.block_on(task).unwrap();
    });
}

/// `reset` restarts the schedule a period from now; `reset_immediately`
/// makes the next tick due at once; `reset_at` makes it due at the given
/// instant, the period going on from there; each also while a tick waits.
#[test]
fn reset_reset_immediately_and_reset_at() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-interval-reset");
        rt.block_on(async {
            let period = Duration::from_millis(30);
            let mut ticks = interval(period);
            ticks.tick().await;
            let before = Instant::now();
            ticks.reset();
            let after = Instant::now();
            let due = ticks.tick().await;
            assert!(due >= before + period && due <= after + period);
            assert!(Instant::now() >= due);

            let mut hourly = interval(Duration::from_secs(3_600));
            hourly.tick().await;
            assert_eq!(tick_now(&mut hourly).await, None);
            let before = Instant::now();
            hourly.reset_immediately();
            let due = tick_now(&mut hourly)
                .await
                .expect("reset_immediately: the tick waited");
            assert!(due >= before && due <= Instant::now());
            assert_eq!(tick_now(&mut hourly).await, None);

            let soon = Instant::now() + Duration::from_millis(15);
            hourly.reset_at(soon);
            assert_eq!(hourly.tick().await, soon);
            assert!(Instant::now() >= soon);
            assert_eq!(
                tick_now(&mut hourly).await,
                None,
                "the period goes on from `soon`"
            );

            // Reset while a tick is pending (registered with the timer).
            let mut tick_pending = interval(Duration::from_secs(3_600));
            tick_pending.tick().await;
            assert_eq!(tick_now(&mut tick_pending).await, None);
            let soon = Instant::now() + Duration::from_millis(10);
            tick_pending.reset_at(soon);
            assert_eq!(tick_pending.tick().await, soon);
            assert!(Instant::now() >= soon);
        });
    });
}

/// A `tick` future dropped before it completes loses nothing: the next
/// `tick` returns the same tick.
#[test]
fn tick_is_cancel_safe() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "time-interval-cancel");
        rt.block_on(async {
            let start = Instant::now() + Duration::from_millis(30);
            let mut ticks = interval_at(start, Duration::from_secs(3_600));
            match select(
                Box::pin(ticks.tick()),
                pin!(sleep(Duration::from_millis(5))),
            )
            .await
            {
                Either::Right(((), tick)) => drop(tick),
                Either::Left(_) => panic!("a tick came before it was due"),
            }
            assert_eq!(ticks.tick().await, start);
            assert!(Instant::now() >= start);
        });
    });
}

/// As a `Stream`: `take(n)` gives n instants on the schedule, each yielded
/// no earlier than it says; twenty such streams run at once in tasks.
#[test]
fn interval_is_a_stream() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-interval-stream");
        let period = Duration::from_millis(5);
        let start = Instant::now() + Duration::from_millis(5);
        let expected: Vec<_> = (0..6u32).map(|k| start + period * k).collect();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                rt.spawn(async move {
                    interval_at(start, period)
                        .take(6)
                        .map(|due| {
                            assert!(Instant::now() >= due, "a tick came early");
                            due
                        })
                        .collect::<Vec<_>>()
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(rt.block_on(task).unwrap(), expected);
        }
        rt.block_on(async {
            let mut ticks = interval(Duration::from_millis(2));
            let first = ticks.next().await.unwrap();
            let second = ticks.next().await.unwrap();
            assert_eq!(second - first, Duration::from_millis(2));
        });
    });
}

#[test]
fn a_zero_period_panics_with_a_clear_message() {
    with_timeout(LIMIT, || {
        for message in [
            panic_message_of(|| interval(Duration::ZERO)),
            panic_message_of(|| interval_at(Instant::now(), Duration::ZERO)),
        ] {
            assert!(message.contains("zero period"), "{message}");
        }
    });
}

/// An interval with a `Duration::MAX` period (or any past the range of
/// `Instant`) ticks once and then waits, as `sleep(Duration::MAX)` does,
/// instead of overflowing the next deadline; `reset` and the late-tick
/// policies do not overflow either. (The issue: "`Duration::MAX` and
/// far-future deadlines do not overflow or panic".)
#[test]
fn an_interval_with_a_duration_max_period_does_not_overflow() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "time-interval-max");
        rt.block_on(async {
            for behavior in [
                MissedTickBehavior::Burst,
                MissedTickBehavior::Delay,
                MissedTickBehavior::Skip,
            ] {
                let mut ticks = interval(Duration::MAX);
                ticks.set_missed_tick_behavior(behavior);
                assert!(tick_now(&mut ticks).await.is_some());
                assert_eq!(tick_now(&mut ticks).await, None, "{behavior:?}");
                ticks.reset();
                assert_eq!(tick_now(&mut ticks).await, None, "{behavior:?}");
                // A late first tick takes the policy's path.
                let past = Instant::now()
                    .checked_sub(Duration::from_millis(50))
                    .unwrap_or_else(Instant::now);
                let mut late = interval_at(past, Duration::MAX);
                late.set_missed_tick_behavior(behavior);
                assert_eq!(tick_now(&mut late).await, Some(past));
                assert_eq!(tick_now(&mut late).await, None, "{behavior:?}");
            }
        });
    });
}
