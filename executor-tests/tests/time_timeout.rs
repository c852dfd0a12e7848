//! `timeout` and `timeout_at`: a ready future gives `Ok` at the first poll
//! (even with a zero duration); a never-ready one gives `Err(Elapsed)` no
//! earlier than its duration, and is dropped with the `Timeout`; an inner
//! future that finishes first wins; nested timeouts; a thousand of them in
//! tasks; the accessors; `Elapsed` as an error.

use bobbin::time::{Elapsed, sleep, timeout, timeout_at};
use executor_tests::{DropCounter, LIMIT, counting_waker, runtime, with_timeout};
use std::future::{Future, pending, ready};
use std::io;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A future that is ready at once gives `Ok` at the first poll, whatever
/// the duration: zero, a deadline already past, or `Duration::MAX`.
#[test]
fn a_ready_future_gives_ok_at_the_first_poll() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-timeout-ready");
        rt.block_on(async {
            assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
            assert_eq!(
                futures::poll!(pin!(timeout(Duration::ZERO, ready(7)))),
                Poll::Ready(Ok(7))
            );
            assert_eq!(
                futures::poll!(pin!(timeout(Duration::MAX, ready("max")))),
                Poll::Ready(Ok("max"))
            );
            let past = Instant::now()
                .checked_sub(Duration::from_secs(1))
                .unwrap_or_else(Instant::now);
            assert_eq!(timeout_at(past, ready(8)).await, Ok(8));
        });
        let task = rt.spawn(async { timeout(Duration::ZERO, async { 9 }).await });
        assert_eq!(rt.block_on(task).unwrap(), Ok(9));
    });
}

/// A future that never completes gives `Err(Elapsed)`, no earlier than the
/// duration (or the deadline, for `timeout_at`), for durations that are
/// and are not whole milliseconds.
#[test]
fn a_never_ready_future_elapses_no_earlier_than_its_duration() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-timeout-pending");
        rt.block_on(async {
            for micros in [1u64, 999, 1_000, 7_300, 25_000] {
                let duration = Duration::from_micros(micros);
                let start = Instant::now();
                let result = timeout(duration, pending::<()>()).await;
                assert!(result.is_err());
                assert!(
                    start.elapsed() >= duration,
                    "timed out early ({duration:?})"
                );
            }
            let deadline = Instant::now() + Duration::from_micros(12_345);
            assert!(timeout_at(deadline, pending::<()>()).await.is_err());
            assert!(Instant::now() >= deadline, "timed out before the deadline");
            // A deadline already past: `Err` at the first poll.
            let mut late = pin!(timeout_at(Instant::now(), pending::<()>()));
            assert!(matches!(futures::poll!(late.as_mut()), Poll::Ready(Err(_))));
        });
        // The same in tasks on the workers.
        let tasks: Vec<_> = (0..50u64)
            .map(|i| {
                rt.spawn(async move {
                    let duration = Duration::from_micros(500 + i * 333);
                    let start = Instant::now();
                    assert!(timeout(duration, pending::<()>()).await.is_err());
                    assert!(start.elapsed() >= duration, "task {i} timed out early");
                })
            })
            .collect();
        for task in tasks {
            rt.block_on(task).unwrap();
        }
    });
}

/// `Elapsed` is an error that says what happened, and converts into an
/// `io::Error` of kind `TimedOut`.
#[test]
fn elapsed_is_an_error() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "time-timeout-err");
        let err: Elapsed = rt
            .block_on(timeout(Duration::from_millis(1), pending::<()>()))
            .unwrap_err();
        assert_eq!(err.to_string(), "deadline has elapsed");
        let source: &dyn std::error::Error = &err;
        assert!(source.source().is_none());
        let io_err = io::Error::from(err);
        assert_eq!(io_err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(io_err.to_string(), "deadline has elapsed");
    });
}

/// When the time runs out, the inner future is dropped with the `Timeout`
/// (so whatever it owns is released), exactly once; one dropped before its
/// deadline is dropped too, and its timer then wakes nobody.
#[test]
fn the_inner_future_is_dropped_on_timeout() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-timeout-drop");
        let counter = DropCounter::new();
        let guard = counter.guard();
        let result = rt.block_on(timeout(Duration::from_millis(10), async move {
            let _guard = guard;
            pending::<()>().await
        }));
        assert!(result.is_err());
        assert_eq!(counter.dropped(), 1, "the timed-out future was not dropped");

        // In tasks: each inner future is gone when its result is out.
        let tasks: Vec<_> = (0..100u64)
            .map(|i| {
                let own = DropCounter::new();
                let guard = own.guard();
                rt.spawn(async move {
                    let result = timeout(Duration::from_micros(200 + i * 50), async move {
                        let _guard = guard;
                        pending::<()>().await
                    })
                    .await;
                    assert!(result.is_err());
                    assert_eq!(
                        own.dropped(),
                        1,
                        "task {i}: the inner future outlived its result"
                    );
                })
            })
            .collect();
        for task in tasks {
            rt.block_on(task).unwrap();
        }

        // Dropped before its deadline, after registering its timer.
        let (waker, wakes) = counting_waker();
        let guard = counter.guard();
        let mut early = Box::pin(timeout(Duration::from_millis(20), async move {
            let _guard = guard;
            pending::<()>().await
        }));
        {
            // Registers the timer with `rt` (unless this thread was held up
            // for the whole 20 ms: then it has already elapsed).
            let _enter = rt.enter();
            let first = early.as_mut().poll(&mut Context::from_waker(&waker));
            assert!(!matches!(first, Poll::Ready(Ok(_))));
        }
        drop(early);
        assert_eq!(counter.dropped(), 2);
        rt.block_on(sleep(Duration::from_millis(60)));
        assert_eq!(wakes.load(SeqCst), 0, "a dropped timeout's timer fired");
        counter.wait_all_dropped(LIMIT);
    });
}

/// An inner future that finishes before the deadline wins, even when it
/// needs timers of its own; its output comes through unchanged.
#[test]
fn an_inner_future_that_finishes_first_wins() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-timeout-wins");
        rt.block_on(async {
            let start = Instant::now();
            let result = timeout(Duration::from_secs(3_600), async {
                sleep(Duration::from_millis(20)).await;
                "slept"
            })
            .await;
            assert_eq!(result, Ok("slept"));
            assert!(start.elapsed() >= Duration::from_millis(20));
            let task = bobbin::spawn(async { 11 });
            assert_eq!(
                timeout(Duration::from_secs(3_600), task)
                    .await
                    .unwrap()
                    .unwrap(),
                11
            );
        });
    });
}

/// Nested timeouts: the inner one elapsing is the outer one's `Ok` output;
/// the outer one elapsing first drops the inner one.
#[test]
fn nested_timeouts() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-timeout-nested");
        rt.block_on(async {
            let start = Instant::now();
            let inner_elapses = timeout(
                Duration::from_secs(3_600),
                timeout(Duration::from_millis(10), pending::<()>()),
            )
            .await;
            assert!(matches!(inner_elapses, Ok(Err(_))));
            assert!(start.elapsed() >= Duration::from_millis(10));

            let start = Instant::now();
            let outer_elapses = timeout(
                Duration::from_millis(10),
                timeout(Duration::from_secs(3_600), pending::<()>()),
            )
            .await;
            assert!(outer_elapses.is_err());
            assert!(start.elapsed() >= Duration::from_millis(10));
        });
    });
}

/// A thousand tasks, each with a timeout on a future that finishes (at
/// once, after yielding, or after a shorter sleep) or never does: each gets
/// the result its case calls for, and no `Err` comes early.
#[test]
fn a_thousand_timeouts_in_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-timeout-many");
        let tasks: Vec<_> = (0..1_000u64)
            .map(|i| {
                rt.spawn(async move {
                    let duration = Duration::from_micros(1_000 + i * 37 % 20_000);
                    let start = Instant::now();
                    match i % 4 {
                        0 => assert_eq!(timeout(duration, async { i }).await, Ok(i)),
                        1 => {
                            let yields = async {
                                bobbin::task::yield_now().await;
                                i
                            };
                            assert_eq!(timeout(Duration::from_secs(3_600), yields).await, Ok(i));
                        }
                        2 => {
                            let shorter = sleep(duration / 4);
                            assert_eq!(timeout(duration * 1_000, shorter).await, Ok(()));
                        }
                        _ => {
                            assert!(timeout(duration, pending::<()>()).await.is_err());
                            assert!(start.elapsed() >= duration, "task {i} timed out early");
                        }
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
    });
}

/// `get_ref`, `get_mut` and `into_inner` reach the inner future; the future
/// taken out runs on without the deadline.
#[test]
fn the_inner_future_is_reachable() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "time-timeout-inner");
        rt.block_on(async {
            let mut timed = timeout(Duration::from_millis(1), sleep(Duration::from_millis(20)));
            let deadline = timed.get_ref().deadline();
            assert_eq!(timed.get_mut().deadline(), deadline);
            timed.into_inner().await;
            assert!(Instant::now() >= deadline);
        });
    });
}
