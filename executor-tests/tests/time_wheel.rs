//! The timing wheel behind the timers, through the public API: deadlines
//! around its level boundaries (64 ms and 4096 ms, from a fresh runtime
//! whose wheel starts at zero) fire in order and never early; a hundred
//! thousand timers at one instant all fire; cancelling half the timers of
//! one slot leaves the others firing; far deadlines on the top level do not
//! hold up near ones; deadlines registered after a long idle (the wheel's
//! position left behind the clock) still fire in order.

use bobbin::time::{Sleep, sleep, sleep_until};
use executor_tests::{
    LIMIT, WakeLog, assert_woken_in_deadline_order, counting_waker, runtime, with_timeout,
    with_timeout_report,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Context;
use std::time::{Duration, Instant};

/// Spawns one task per offset, each sleeping until `base + offset` through
/// a logged waker, and checks the driver's wakes: each not early, in
/// deadline order (ties within a millisecond), and one for every sleep that
/// was pending at its first poll. Returns which ones were.
fn fire_in_order(rt: &bobbin::Runtime, base: Instant, offsets: &[Duration]) -> Vec<bool> {
    let log = WakeLog::new();
    let deadlines: Arc<Vec<Instant>> = Arc::new(offsets.iter().map(|&o| base + o).collect());
    let tasks: Vec<_> = deadlines
        .iter()
        .enumerate()
        .map(|(id, &deadline)| {
            let mut sleep_ = log.wrap(id, sleep_until(deadline));
            rt.spawn(async move {
                let registered = futures::poll!(&mut sleep_).is_pending();
                if registered {
                    sleep_.await;
                }
                assert!(Instant::now() >= deadline, "sleep {id} completed early");
                registered
            })
        })
        .collect();
    let registered = rt.block_on(async {
        let mut registered = Vec::new();
        for task in tasks {
            registered.push(task.await.unwrap());
        }
        registered
    });
    let wakes = log.wakes();
    assert_woken_in_deadline_order(&wakes, |id| deadlines[id]);
    let mut woken: Vec<usize> = wakes.iter().map(|&(id, _)| id).collect();
    woken.sort_unstable();
    let pending: Vec<usize> = (0..offsets.len()).filter(|&id| registered[id]).collect();
    assert_eq!(
        woken, pending,
        "exactly the sleeps pending at their first poll were woken, once each"
    );
    registered
}

/// Deadlines of a fresh runtime, registered at once: exactly 63, 64, 65,
/// 4095, 4096 and 4097 ms from now, every millisecond up to 130 ms (so two
/// boundaries between levels 0 and 1 are crossed whatever the offset
/// between now and the wheel's start), and every half millisecond around
/// 64 ms and 4096 ms. The long ones wait together: the test takes about
/// 4.1 s.
#[test]
fn deadlines_around_the_level_boundaries_fire_in_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-wheel-levels");
        let ms = Duration::from_millis;
        let mut offsets: Vec<Duration> = [63, 64, 65, 4_095, 4_096, 4_097].map(ms).to_vec();
        offsets.extend((1..=130).map(ms));
        offsets.extend((0..=40).map(|half| ms(54) + Duration::from_micros(500 * half)));
        offsets.extend((0..=40).map(|half| ms(4_086) + Duration::from_micros(500 * half)));
        // A few that are not on the half millisecond.
        offsets.extend([63_999, 64_001, 4_095_999, 4_096_001].map(Duration::from_micros));
        let registered = fire_in_order(&rt, Instant::now(), &offsets);
        // The first few, due within milliseconds, may be past at their
        // first poll; those due in four seconds cannot be.
        for (offset, registered) in offsets.iter().zip(registered) {
            assert!(
                registered || *offset < ms(4_000),
                "the sleep of {offset:?} was not pending at its first poll"
            );
        }
    });
}

/// Deadlines spread over 250 ms, registered after the runtime sat idle for
/// 150 ms with a timer fired before that: the wheel's position was left at
/// the old timer, behind the clock, and the new deadlines are placed from
/// there. They still fire in order and never early.
#[test]
fn deadlines_after_a_long_idle_fire_in_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-wheel-idle");
        rt.block_on(sleep(Duration::from_millis(3)));
        // Time is the point: the runtime has no timer while this thread
        // sleeps, so its wheel does not move.
        std::thread::sleep(Duration::from_millis(150));
        let offsets: Vec<Duration> = (0..500u64)
            .map(|i| Duration::from_micros(20_000 + i * 7_919 % 250_000))
            .collect();
        let registered = fire_in_order(&rt, Instant::now(), &offsets);
        assert!(
            registered.iter().any(|&registered| registered),
            "no sleep was pending at its first poll"
        );
    });
}

/// A hundred thousand tasks on two workers sleep until the same instant:
/// every one completes, none early. The instant is a second after the
/// first spawn, so the tasks are in the wheel (pending at their first poll)
/// long before it on any usual machine; the count of those is checked too.
#[test]
fn a_hundred_thousand_timers_at_one_instant_all_fire() {
    const TIMERS: usize = 100_000;
    let completed = Arc::new(AtomicUsize::new(0));
    let report = {
        let completed = completed.clone();
        move || format!("{} of {TIMERS} completed", completed.load(SeqCst))
    };
    with_timeout_report(LIMIT, report, move || {
        let rt = runtime(2, "time-wheel-100k");
        let instant = Instant::now() + Duration::from_secs(1);
        let tasks: Vec<_> = (0..TIMERS)
            .map(|_| {
                let completed = completed.clone();
                rt.spawn(async move {
                    let mut sleep_ = Box::pin(sleep_until(instant));
                    let registered = futures::poll!(sleep_.as_mut()).is_pending();
                    sleep_.await;
                    assert!(Instant::now() >= instant, "a timer fired early");
                    completed.fetch_add(1, SeqCst);
                    registered
                })
            })
            .collect();
        let registered = rt.block_on(async {
            let mut registered = 0;
            for task in tasks {
                registered += usize::from(task.await.unwrap());
            }
            registered
        });
        assert_eq!(completed.load(SeqCst), TIMERS);
        assert!(
            registered > TIMERS / 2,
            "only {registered} of {TIMERS} tasks were polled within a second of their spawn"
        );
    });
}

/// Ten thousand timers in one slot (two slots: one on level 0, one on
/// level 1), every other one cancelled after registering, so entries leave
/// from the middle of a slot's list: the kept ones are each woken once and
/// no cancelled one is, by the time a later timer fires.
#[test]
fn cancelling_half_of_a_slot_leaves_the_rest_firing() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-wheel-slot");
        let (kept_waker, kept_wakes) = counting_waker();
        let (dropped_waker, dropped_wakes) = counting_waker();
        let mut kept: Vec<Pin<Box<Sleep>>> = Vec::new();
        let mut kept_registered = 0;
        {
            let _enter = rt.enter();
            let now = Instant::now();
            for (i, deadline) in (0..10_000).map(|i| {
                (
                    i,
                    now + Duration::from_millis(if i < 5_000 { 40 } else { 140 }),
                )
            }) {
                let mut sleep_ = Box::pin(sleep_until(deadline));
                let waker = if i % 2 == 0 {
                    &kept_waker
                } else {
                    &dropped_waker
                };
                let pending = sleep_
                    .as_mut()
                    .poll(&mut Context::from_waker(waker))
                    .is_pending();
                if i % 2 == 0 {
                    kept_registered += usize::from(pending);
                    kept.push(sleep_);
                }
            }
        }
        rt.block_on(sleep(Duration::from_millis(200)));
        assert_eq!(dropped_wakes.load(SeqCst), 0, "a cancelled timer fired");
        assert_eq!(kept_wakes.load(SeqCst), kept_registered);
        assert!(kept_registered > 0);
        assert!(kept.iter().all(|sleep_| sleep_.is_elapsed()));
    });
}

/// Far deadlines, clamped to the wheel's top level or beyond it (hours,
/// days, years, `Duration::MAX`), registered before a near one: the near
/// one fires, and none of the far ones does.
#[test]
fn far_deadlines_do_not_hold_up_near_ones() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-wheel-far");
        let (far_waker, far_wakes) = counting_waker();
        let hour = Duration::from_secs(3_600);
        let far: Vec<Pin<Box<Sleep>>> = [
            hour * 2,
            hour * 24 * 3,
            hour * 24 * 13,
            hour * 24 * 365 * 2,
            hour * 24 * 365 * 3,
            Duration::MAX,
        ]
        .into_iter()
        .map(|after| {
            let _enter = rt.enter();
            let mut sleep_ = Box::pin(sleep(after));
            assert!(
                sleep_
                    .as_mut()
                    .poll(&mut Context::from_waker(&far_waker))
                    .is_pending()
            );
            sleep_
        })
        .collect();
        for millis in [1u64, 10, 70] {
            let deadline = Instant::now() + Duration::from_millis(millis);
            rt.block_on(sleep_until(deadline));
            assert!(Instant::now() >= deadline);
        }
        assert_eq!(far_wakes.load(SeqCst), 0, "a far timer fired");
        drop(far);
    });
}
