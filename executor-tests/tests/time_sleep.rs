//! `Sleep`: a thousand sleeps fire in deadline order; a sleep is never
//! early (deadlines that are not whole milliseconds included); a zero
//! duration completes at the first poll and `Duration::MAX` neither
//! overflows nor blocks a race it loses; `reset` moves a deadline earlier or
//! later, also after completion; a dropped sleep never wakes its task and
//! ten thousand dropped ones leave nothing behind; a sleep moved to another
//! thread can be reset or dropped there.
//!
//! Sleeps are the point here, so tests wait on timers; every bound they
//! check is a lower one ("not before"), never a speed. Where a test must
//! know that the wheel has passed some deadline, it awaits a later timer of
//! the same runtime: the wheel fires in deadline order, so by then the
//! earlier deadline has been processed.

use bobbin::time::{Sleep, sleep, sleep_until, timeout};
use executor_tests::{
    LIMIT, WakeLog, assert_woken_in_deadline_order, counting_waker, runtime, with_timeout,
};
use futures::channel::oneshot;
use futures::future::{Either, select};
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

/// A task's future that counts how often it is polled.
struct CountPolls<F> {
    future: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.future.as_mut().poll(cx)
    }
}

const ORDER_TASKS: usize = 1000;

/// Task `i`'s deadline offset: 0 to 299.7 ms in steps of 0.3 ms, shuffled
/// (7919 is prime, so `i * 7919 % 1000` visits every step once). Three or so
/// deadlines share each millisecond.
fn order_offset(i: usize) -> Duration {
    Duration::from_micros((i * 7919 % ORDER_TASKS) as u64 * 300)
}

/// A thousand tasks sleep until shuffled deadlines; the order in which the
/// driver wakes them (recorded by their wakers, apart from the order the
/// two workers then run them in) follows the deadlines, ties within a
/// millisecond allowed. The deadlines start 250 ms out so the tasks have
/// registered before the first one: a task first polled after its deadline
/// completes without a wake, and is left out of the order.
#[test]
fn a_thousand_sleeps_are_woken_in_deadline_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-order");
        let log = WakeLog::new();
        let base = Instant::now() + Duration::from_millis(250);
        let deadline = move |i: usize| base + order_offset(i);
        let tasks: Vec<_> = (0..ORDER_TASKS)
            .map(|i| {
                let mut sleep = log.wrap(i, sleep_until(deadline(i)));
                rt.spawn(async move {
                    let registered = futures::poll!(&mut sleep).is_pending();
                    if registered {
                        sleep.await;
                    }
                    assert!(Instant::now() >= deadline(i), "sleep {i} completed early");
                    registered
                })
            })
            .collect();
        let registered: Vec<usize> = rt.block_on(async {
            let mut registered = Vec::new();
            for (i, task) in tasks.into_iter().enumerate() {
                if task.await.unwrap() {
                    registered.push(i);
                }
            }
            registered
        });
        let wakes = log.wakes();
        assert_woken_in_deadline_order(&wakes, deadline);
        let mut woken: Vec<usize> = wakes.iter().map(|&(id, _)| id).collect();
        woken.sort_unstable();
        assert_eq!(
            woken, registered,
            "exactly the sleeps that were pending at their first poll are woken by the timer"
        );
        assert!(
            registered.len() >= ORDER_TASKS / 2,
            "only {} of {ORDER_TASKS} tasks were polled before their deadline (250 ms or more \
             after they were spawned): too few to check the order",
            registered.len()
        );
    });
}

/// Many sleeps, in tasks on two workers and on the `block_on` thread, with
/// durations and deadlines that are not whole milliseconds: each completes
/// at or after its deadline.
#[test]
fn a_sleep_is_never_early() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-early");
        let tasks: Vec<_> = (0..300u64)
            .map(|i| {
                rt.spawn(async move {
                    for k in 0..8u64 {
                        // 1 ns to about 6 ms, rarely a whole millisecond.
                        let micros = (i * 8 + k) * 2_741 % 6_000;
                        let duration = Duration::from_micros(micros) + Duration::from_nanos(k + 1);
                        if k % 2 == 0 {
                            let start = Instant::now();
                            let mut sleep = pin!(sleep(duration));
                            let deadline = sleep.deadline();
                            assert!(deadline >= start + duration);
                            sleep.as_mut().await;
                            assert!(Instant::now() >= deadline, "task {i}, sleep {k} was early");
                            assert!(sleep.is_elapsed());
                        } else {
                            let deadline = Instant::now() + duration;
                            sleep_until(deadline).await;
                            assert!(Instant::now() >= deadline, "task {i}, sleep {k} was early");
                        }
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for n in 0..50u64 {
                let deadline = Instant::now() + Duration::from_nanos(n * 123_457);
                sleep_until(deadline).await;
                assert!(Instant::now() >= deadline, "block_on sleep {n} was early");
            }
            for task in tasks {
                task.await.unwrap();
            }
        });
    });
}

/// A zero duration, or a deadline already past, completes at the first
/// poll, in a task (unconstrained) as on the `block_on` thread.
#[test]
fn zero_and_past_deadlines_complete_at_the_first_poll() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-zero");
        let check = || async {
            let mut zero = pin!(sleep(Duration::ZERO));
            assert!(zero.is_elapsed());
            assert!(futures::poll!(zero.as_mut()).is_ready());
            let past = Instant::now()
                .checked_sub(Duration::from_secs(1))
                .unwrap_or_else(Instant::now);
            assert!(futures::poll!(pin!(sleep_until(past))).is_ready());
            assert!(futures::poll!(pin!(sleep_until(Instant::now()))).is_ready());
            // A thousand in a row: none waits for a timer.
            for _ in 0..1_000 {
                assert!(futures::poll!(pin!(sleep(Duration::ZERO))).is_ready());
            }
        };
        rt.block_on(check());
        // In a task the cooperative budget makes a ready sleep past the
        // budget (the 129th, or later where it is renewed) yield instead
        // (task_budget.rs); unconstrained keeps this test about the timer.
        rt.block_on(rt.spawn(bobbin::task::unconstrained(check())))
            .unwrap();
    });
}

/// `Duration::MAX` (past the range of `Instant`) is clamped, not overflowed:
/// such a sleep is pending, loses a race to a short sleep through `select`
/// and through `timeout` without panicking, stays usable (polled again,
/// reset to a near deadline), and is cancelled cleanly when dropped. The
/// same from tasks on the workers; the runtime then still fires timers and
/// shuts down.
#[test]
fn duration_max_does_not_overflow_and_loses_races_cleanly() {
    with_timeout(LIMIT, || {
        let now = Instant::now();
        let forever = sleep(Duration::MAX);
        assert!(
            forever.deadline() >= now + Duration::from_secs(10 * 365 * 86_400),
            "Duration::MAX means a far deadline (about 30 years)"
        );
        assert!(!forever.is_elapsed());
        drop(forever);

        let rt = runtime(2, "time-max");
        rt.block_on(async {
            let start = Instant::now();
            let mut forever = pin!(sleep(Duration::MAX));
            let short = pin!(sleep(Duration::from_millis(20)));
            match select(forever.as_mut(), short).await {
                Either::Right(((), _)) => {}
                Either::Left(_) => panic!("a Duration::MAX sleep completed"),
            }
            assert!(start.elapsed() >= Duration::from_millis(20));
            assert!(futures::poll!(forever.as_mut()).is_pending());
            let soon = Instant::now() + Duration::from_millis(5);
            forever.as_mut().reset(soon);
            forever.await;
            assert!(Instant::now() >= soon);

            let start = Instant::now();
            assert!(
                timeout(Duration::from_millis(15), sleep(Duration::MAX))
                    .await
                    .is_err()
            );
            assert!(start.elapsed() >= Duration::from_millis(15));

            // Deadlines far past the wheel's span (about 2.2 years), made
            // from instants rather than durations.
            for years in [3u64, 100, 10_000] {
                let Some(far) =
                    Instant::now().checked_add(Duration::from_secs(years * 365 * 86_400))
                else {
                    continue;
                };
                let mut far = pin!(sleep_until(far));
                assert!(futures::poll!(far.as_mut()).is_pending());
                assert!(
                    timeout(Duration::from_millis(2), far.as_mut())
                        .await
                        .is_err()
                );
            }
            assert_eq!(timeout(Duration::MAX, async { 3 }).await, Ok(3));
            assert_eq!(
                timeout(Duration::MAX, sleep(Duration::from_millis(2))).await,
                Ok(())
            );
        });
        let racers: Vec<_> = (0..100u64)
            .map(|i| {
                rt.spawn(async move {
                    let short = sleep(Duration::from_micros(100 + i * 97));
                    match select(pin!(sleep(Duration::MAX)), pin!(short)).await {
                        Either::Right(_) => {}
                        Either::Left(_) => panic!("a Duration::MAX sleep completed"),
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for racer in racers {
                racer.await.unwrap();
            }
            // The dropped sleeps left the wheel in order: a new one fires.
            let deadline = Instant::now() + Duration::from_millis(10);
            sleep_until(deadline).await;
            assert!(Instant::now() >= deadline);
        });
        drop(rt);
    });
}

/// A registered sleep reset to an earlier deadline completes then (not at
/// its hour-long original deadline); reset to a later one, it does not
/// complete at the original.
#[test]
fn reset_earlier_and_later() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-reset");
        rt.block_on(async {
            let mut sleep_ = pin!(sleep(Duration::from_secs(3_600)));
            assert!(futures::poll!(sleep_.as_mut()).is_pending());
            assert!(!sleep_.is_elapsed());
            let earlier = Instant::now() + Duration::from_millis(20);
            sleep_.as_mut().reset(earlier);
            assert_eq!(sleep_.deadline(), earlier);
            sleep_.as_mut().await;
            assert!(Instant::now() >= earlier);

            let original = Instant::now() + Duration::from_millis(10);
            let mut sleep_ = pin!(sleep_until(original));
            // Registers the original deadline (unless this thread was held
            // up past it: then the sleep completed, and reset re-arms it).
            let _ = futures::poll!(sleep_.as_mut());
            let later = original + Duration::from_millis(60);
            sleep_.as_mut().reset(later);
            assert_eq!(sleep_.deadline(), later);
            sleep_.as_mut().await;
            assert!(Instant::now() >= later, "completed at the old deadline");
        });
        // The same in a task, moving one sleep back and forth many times
        // before it settles.
        let task = rt.spawn(async {
            let mut sleep_ = pin!(sleep(Duration::from_millis(1)));
            for n in 0..1_000u64 {
                sleep_
                    .as_mut()
                    .reset(Instant::now() + Duration::from_micros(500 + n * 7_919 % 100_000));
                // Registers the new deadline (or completes, if this task
                // was held up past it).
                let _ = futures::poll!(sleep_.as_mut());
            }
            let last = Instant::now() + Duration::from_millis(15);
            sleep_.as_mut().reset(last);
            sleep_.as_mut().await;
            assert!(Instant::now() >= last);
        });
        rt.block_on(task).unwrap();
    });
}

/// A sleep that completed can be reset and awaited again: it waits for the
/// new deadline (a past one completes at once).
#[test]
fn reset_after_completion_then_await_again() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-reset-again");
        let task = rt.spawn(async {
            let mut sleep_ = pin!(sleep(Duration::from_millis(5)));
            sleep_.as_mut().await;
            for round in 1..=3u64 {
                let next = Instant::now() + Duration::from_millis(7 * round);
                sleep_.as_mut().reset(next);
                assert_eq!(sleep_.deadline(), next);
                sleep_.as_mut().await;
                assert!(Instant::now() >= next, "round {round} was early");
            }
            sleep_.as_mut().reset(Instant::now());
            assert!(futures::poll!(sleep_.as_mut()).is_ready());
        });
        rt.block_on(task).unwrap();
    });
}

/// A task registers a 40 ms sleep and drops it, then waits for a message.
/// Once a later timer of the same runtime has fired (so the wheel is past
/// the 40 ms), the task has still been polled only once: the dropped sleep
/// never woke it.
#[test]
fn a_dropped_sleep_does_not_wake_its_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-drop");
        let polls = Arc::new(AtomicUsize::new(0));
        let (registered_tx, registered_rx) = mpsc::channel();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let task = rt.spawn(CountPolls {
            future: Box::pin(async move {
                let mut sleep_ = Box::pin(sleep(Duration::from_millis(40)));
                assert!(futures::poll!(sleep_.as_mut()).is_pending());
                drop(sleep_);
                registered_tx.send(()).unwrap();
                go_rx.await.unwrap();
            }),
            polls: polls.clone(),
        });
        registered_rx.recv_timeout(LIMIT).unwrap();
        rt.block_on(sleep(Duration::from_millis(120)));
        assert_eq!(
            polls.load(SeqCst),
            1,
            "the task was polled again although its only timer was dropped"
        );
        go_tx.send(()).unwrap();
        rt.block_on(task).unwrap();
        assert_eq!(polls.load(SeqCst), 2);
    });
}

/// Ten thousand sleeps registered and dropped (due 100 to 200 ms out, or
/// an hour or more), mixed with a thousand kept ones: once a later timer has fired,
/// every kept one was woken exactly once and no dropped one was woken.
/// (`time_runtime.rs` checks that the runtime then goes idle.)
#[test]
fn ten_thousand_dropped_sleeps_leave_nothing_behind() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-drop-many");
        let (dropped_waker, dropped_wakes) = counting_waker();
        let (kept_waker, kept_wakes) = counting_waker();
        let mut kept = Vec::new();
        // How many kept sleeps are due within 200 ms and were registered
        // (pending at their first poll): each must be woken once.
        let mut kept_due = 0;
        {
            // Registered with `rt` (the runtime current at the first poll).
            let _enter = rt.enter();
            let start = Instant::now();
            for i in 0..11_000u64 {
                let far = i % 100 == 99;
                let after = if far {
                    Duration::from_secs(3_600 + i)
                } else {
                    Duration::from_micros(100_000 + i * 7_919 % 100_000)
                };
                let mut sleep_: Pin<Box<Sleep>> = Box::pin(sleep_until(start + after));
                let is_kept = i % 11 == 0;
                let waker = if is_kept { &kept_waker } else { &dropped_waker };
                let pending = sleep_
                    .as_mut()
                    .poll(&mut Context::from_waker(waker))
                    .is_pending();
                if is_kept {
                    kept_due += usize::from(pending && !far);
                    kept.push(sleep_);
                }
            }
        }
        assert_eq!(kept.len(), 1_000);
        rt.block_on(sleep(Duration::from_millis(250)));
        assert_eq!(dropped_wakes.load(SeqCst), 0, "a dropped sleep was woken");
        assert_eq!(
            kept_wakes.load(SeqCst),
            kept_due,
            "every kept sleep due by now was woken once, the far ones not yet"
        );
        assert!(
            kept_due > 0,
            "no kept sleep was registered before its deadline"
        );
        for sleep_ in &kept {
            assert_eq!(
                sleep_.is_elapsed(),
                sleep_.deadline() < Instant::now() + Duration::from_secs(600)
            );
        }
    });
}

/// A sleep registered by a task, moved to a plain thread and reset there,
/// completes at its new deadline back in the task; one moved to a plain
/// thread and dropped there never wakes the task that registered it. Then
/// two hundred tasks at once hand their sleeps to two threads that reset
/// or drop them while the driver fires timers.
#[test]
fn a_sleep_reset_or_dropped_on_another_thread() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-thread");
        // Reset on another thread.
        let (to_thread, from_task) = mpsc::channel::<Pin<Box<Sleep>>>();
        let (back_tx, back_rx) = oneshot::channel();
        let task = rt.spawn(async move {
            let mut sleep_ = Box::pin(sleep(Duration::from_secs(3_600)));
            assert!(futures::poll!(sleep_.as_mut()).is_pending());
            to_thread.send(sleep_).unwrap();
            let sleep_: Pin<Box<Sleep>> = back_rx.await.unwrap();
            let deadline = sleep_.deadline();
            sleep_.await;
            assert!(Instant::now() >= deadline);
            deadline
        });
        let resetter = thread::spawn(move || {
            let mut sleep_ = from_task.recv().unwrap();
            let deadline = Instant::now() + Duration::from_millis(20);
            sleep_.as_mut().reset(deadline);
            back_tx.send(sleep_).unwrap();
            deadline
        });
        let deadline = resetter.join().unwrap();
        assert_eq!(rt.block_on(task).unwrap(), deadline);

        // Dropped on another thread.
        let polls = Arc::new(AtomicUsize::new(0));
        let (to_thread, from_task) = mpsc::channel::<Pin<Box<Sleep>>>();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let task = rt.spawn(CountPolls {
            future: Box::pin(async move {
                let mut sleep_ = Box::pin(sleep(Duration::from_millis(40)));
                assert!(futures::poll!(sleep_.as_mut()).is_pending());
                to_thread.send(sleep_).unwrap();
                go_rx.await.unwrap();
            }),
            polls: polls.clone(),
        });
        thread::spawn(move || drop(from_task.recv().unwrap()))
            .join()
            .unwrap();
        rt.block_on(sleep(Duration::from_millis(80)));
        assert_eq!(
            polls.load(SeqCst),
            1,
            "the sleep dropped elsewhere woke its task"
        );
        go_tx.send(()).unwrap();
        rt.block_on(task).unwrap();

        // Many at once, racing the driver.
        type Job = (
            u64,
            Pin<Box<Sleep>>,
            oneshot::Sender<Option<Pin<Box<Sleep>>>>,
        );
        let (workers, handlers): (Vec<_>, Vec<_>) = (0..2)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<Job>();
                let handler = thread::spawn(move || {
                    for (i, mut sleep_, reply) in rx {
                        if i % 2 == 0 {
                            let deadline =
                                Instant::now() + Duration::from_micros(200 + i * 7_919 % 5_000);
                            sleep_.as_mut().reset(deadline);
                            let _ = reply.send(Some(sleep_));
                        } else {
                            drop(sleep_);
                            let _ = reply.send(None);
                        }
                    }
                });
                (tx, handler)
            })
            .unzip();
        let tasks: Vec<_> = (0..200u64)
            .map(|i| {
                let worker = workers[(i % 2) as usize].clone();
                rt.spawn(async move {
                    let mut sleep_ = Box::pin(sleep(Duration::from_micros(100 + i * 31)));
                    let _ = futures::poll!(sleep_.as_mut());
                    let (reply_tx, reply_rx) = oneshot::channel();
                    worker.send((i, sleep_, reply_tx)).unwrap();
                    match reply_rx.await.unwrap() {
                        Some(sleep_) => {
                            let deadline = sleep_.deadline();
                            sleep_.await;
                            assert!(Instant::now() >= deadline, "sleep {i} was early");
                            true
                        }
                        None => false,
                    }
                })
            })
            .collect();
        drop(workers);
        let completed = rt.block_on(async {
            let mut completed = 0;
            for task in tasks {
                completed += usize::from(task.await.unwrap());
            }
            completed
        });
        assert_eq!(completed, 100);
        for handler in handlers {
            handler.join().unwrap();
        }
    });
}

/// A waker that owns a pending `Sleep`: when the timers drop this waker
/// (replaced by a newer one, or cancelled with its own sleep), the owned
/// sleep is dropped and cancels its entry. A waker is dropped after the
/// timers' lock is released, so that cancel does not deadlock (as it would
/// if a foreign executor's last reference to a task went away under it).
#[test]
fn dropping_a_waker_that_owns_a_sleep_does_not_deadlock() {
    struct OwningWaker {
        _sleep: std::sync::Mutex<Pin<Box<Sleep>>>,
    }
    impl std::task::Wake for OwningWaker {
        fn wake(self: Arc<Self>) {}
    }
    with_timeout(LIMIT, || {
        let rt = runtime(1, "time-sleep-owning-waker");
        let _enter = rt.enter();
        let (plain, _) = counting_waker();
        let owning_waker = |cx_waker: &std::task::Waker| {
            let mut owned = Box::pin(sleep(Duration::from_secs(3_600)));
            assert!(
                owned
                    .as_mut()
                    .poll(&mut Context::from_waker(cx_waker))
                    .is_pending()
            );
            std::task::Waker::from(Arc::new(OwningWaker {
                _sleep: std::sync::Mutex::new(owned),
            }))
        };
        // Replaced: the sleep's entry swaps the owning waker for `plain`.
        let mut replaced = Box::pin(sleep(Duration::from_secs(3_600)));
        let waker = owning_waker(&plain);
        assert!(
            replaced
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker);
        assert!(
            replaced
                .as_mut()
                .poll(&mut Context::from_waker(&plain))
                .is_pending()
        );
        // Cancelled: dropping the sleep drops the owning waker.
        let mut cancelled = Box::pin(sleep(Duration::from_secs(3_600)));
        let waker = owning_waker(&plain);
        assert!(
            cancelled
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker);
        drop(cancelled);
    });
}
