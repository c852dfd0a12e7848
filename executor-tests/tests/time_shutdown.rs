//! Timers and shutdown: dropping a runtime (or shutting it down with a
//! timeout, or in the background) drops the tasks that sleep, wait on a
//! timeout or on an interval; a `Sleep` whose runtime is gone moves to the
//! current (or global) runtime at its next poll and completes at its
//! deadline, never early and never hanging, and one being awaited
//! elsewhere when its runtime goes is woken to do so; so do `Timeout` and
//! `Interval`.

use bobbin::time::{interval, sleep, timeout};
use executor_tests::{DropCounter, LIMIT, counting_waker, join, runtime, with_timeout};
use std::future::{Future, pending, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::Context;
use std::thread;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3_600);

/// Spawns 150 tasks holding a guard, a third each waiting on an hour-long
/// sleep, timeout and interval; returns once every one is waiting (its
/// timer registered), with their handles.
fn spawn_waiting_tasks(rt: &bobbin::Runtime, counter: &DropCounter) -> Vec<bobbin::JoinHandle<()>> {
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let tasks: Vec<_> = (0..150)
        .map(|i| {
            let guard = counter.guard();
            let waiting_tx = waiting_tx.clone();
            rt.spawn(async move {
                let _guard = guard;
                match i % 3 {
                    0 => {
                        let mut sleep_ = Box::pin(sleep(HOUR));
                        assert!(futures::poll!(sleep_.as_mut()).is_pending());
                        waiting_tx.send(()).unwrap();
                        sleep_.await;
                    }
                    1 => {
                        let mut timed = Box::pin(timeout(HOUR, pending::<()>()));
                        assert!(futures::poll!(timed.as_mut()).is_pending());
                        waiting_tx.send(()).unwrap();
                        let _ = timed.await;
                    }
                    _ => {
                        let mut ticks = interval(HOUR);
                        ticks.tick().await;
                        let mut tick = Box::pin(ticks.tick());
                        assert!(futures::poll!(tick.as_mut()).is_pending());
                        waiting_tx.send(()).unwrap();
                        tick.await;
                    }
                }
            })
        })
        .collect();
    for _ in 0..150 {
        waiting_rx
            .recv_timeout(LIMIT)
            .expect("a task never started waiting");
    }
    tasks
}

#[test]
fn dropping_the_runtime_drops_sleeping_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-shutdown-drop");
        let counter = DropCounter::new();
        let tasks = spawn_waiting_tasks(&rt, &counter);
        assert_eq!(counter.dropped(), 0);
        drop(rt);
        assert_eq!(
            counter.dropped(),
            150,
            "drop returned with sleeping tasks alive"
        );
        // Each resolves (cancelled, as a rule; see the regression test
        // below for the race in which one runs on instead).
        for task in tasks {
            let _ = join(task);
        }
    });
}

#[test]
fn shutdown_timeout_and_background_drop_sleeping_tasks() {
    with_timeout(LIMIT, || {
        let counter = DropCounter::new();
        let rt = runtime(2, "time-shutdown-timeout");
        let tasks = spawn_waiting_tasks(&rt, &counter);
        rt.shutdown_timeout(Duration::from_secs(10));
        assert_eq!(counter.dropped(), 150);
        for task in tasks {
            let _ = join(task);
        }

        let counter = DropCounter::new();
        let rt = runtime(2, "time-shutdown-bg");
        let tasks = spawn_waiting_tasks(&rt, &counter);
        rt.shutdown_background();
        // Not waited for: the workers cancel the tasks as they exit.
        for task in tasks {
            let _ = join(task);
        }
        counter.wait_all_dropped(LIMIT);
    });
}

/// A sleep registered with a runtime that is then dropped: its waker is
/// woken by the shutdown, and at its next poll it moves to the current
/// runtime (here none: the global one) instead of completing early. So do a
/// reset sleep, a timeout and an interval's tick in the same state; each
/// then completes at its deadline, not before.
#[test]
fn a_sleep_polled_after_its_runtime_is_gone_moves_to_the_global_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-shutdown-poll");
        let (waker, wakes) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let start = Instant::now();
        let short = Duration::from_millis(30);
        let mut sleep_ = Box::pin(sleep(short));
        let mut reset = Box::pin(sleep(HOUR));
        let mut timed = Box::pin(timeout(short, pending::<()>()));
        let mut ticks = interval(short);
        {
            let _enter = rt.enter();
            assert!(sleep_.as_mut().poll(&mut cx).is_pending());
            assert!(reset.as_mut().poll(&mut cx).is_pending());
            assert!(timed.as_mut().poll(&mut cx).is_pending());
            assert!(ticks.poll_tick(&mut cx).is_ready());
            assert!(ticks.poll_tick(&mut cx).is_pending());
        }
        drop(rt);
        assert_eq!(
            wakes.load(SeqCst),
            4,
            "the shutdown woke every pending timer once"
        );
        if start.elapsed() < short {
            assert!(sleep_.as_mut().poll(&mut cx).is_pending(), "not early");
        }
        reset.as_mut().reset(Instant::now() + short);
        futures::executor::block_on(async {
            sleep_.await;
            assert!(start.elapsed() >= short, "the sleep completed early");
            reset.await;
            assert!(timed.await.is_err());
            ticks.tick().await;
            assert!(start.elapsed() >= short, "the second tick came early");
        });
    });
}

/// A plain thread blocks (in a futures executor) on a sleep it registered
/// with a runtime; dropping the runtime from another thread wakes it, the
/// sleep moves to the global runtime and completes at its deadline: never
/// early, never hanging.
#[test]
fn a_sleep_awaited_elsewhere_completes_on_time_when_its_runtime_is_dropped() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-shutdown-elsewhere");
        let handle = rt.handle();
        let (registered_tx, registered_rx) = mpsc::channel();
        let period = Duration::from_millis(200);
        let waiter = thread::spawn(move || {
            let _enter = handle.enter();
            let start = Instant::now();
            let mut sleep_ = Box::pin(sleep(period));
            let mut registered = Some(registered_tx);
            futures::executor::block_on(poll_fn(|cx| {
                let poll = Pin::new(&mut sleep_).poll(cx);
                if let Some(registered) = registered.take() {
                    assert!(poll.is_pending());
                    registered.send(()).unwrap();
                }
                poll
            }));
            start.elapsed()
        });
        registered_rx.recv_timeout(LIMIT).unwrap();
        drop(rt);
        let slept = waiter.join().expect("the waiting thread panicked");
        assert!(slept >= period, "completed early, after {slept:?}");
    });
}

/// The same inside a task of another runtime that enters the dead
/// runtime's handle around each poll (as compatibility wrappers do): the
/// sleep moves on and completes on time; it does not stay pending forever
/// (the rule that keeps a dead runtime's own tasks pending asks which
/// runtime's worker is polling, not which runtime is entered).
#[test]
fn a_sleep_of_a_dead_runtime_in_a_task_of_another_completes_on_time() {
    with_timeout(LIMIT, || {
        let dead = runtime(1, "time-shutdown-dead");
        let dead_handle = dead.handle().clone();
        let live = runtime(2, "time-shutdown-live");
        let period = Duration::from_millis(100);
        let (registered_tx, registered_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let task = live.spawn(async move {
            let start = Instant::now();
            let mut sleep_ = Box::pin(sleep(period));
            let mut registered = Some(registered_tx);
            let go_rx = go_rx;
            poll_fn(move |cx| {
                let _enter = dead_handle.enter();
                let poll = Pin::new(&mut sleep_).poll(cx);
                if let Some(registered) = registered.take() {
                    registered.send(()).unwrap();
                    // Wait (blocking, briefly) until the runtime is gone.
                    go_rx.recv_timeout(LIMIT).unwrap();
                }
                poll
            })
            .await;
            start.elapsed()
        });
        registered_rx.recv_timeout(LIMIT).unwrap();
        drop(dead);
        go_tx.send(()).unwrap();
        let slept = join(task).unwrap();
        assert!(slept >= period, "completed early, after {slept:?}");
    });
}

/// A task that is being polled when its runtime shuts down (here: it spins
/// until the test thread is about to drop the runtime, then a little more,
/// so the shutdown has begun), then awaits timers in a loop, as
/// `loop { sleep(period).await; work() }` does. Each sleep must leave the
/// task pending (it is cancelled once its poll returns), or fail clearly;
/// not complete an hour early. Otherwise the task runs on during shutdown,
/// and a loop that never ends keeps its worker in that one poll forever,
/// so dropping the runtime hangs. (Here the loop stops after 1000 turns.)
/// A regression test: timers used to be shut down while workers still ran
/// tasks, and such sleeps completed at once.
#[test]
fn shutdown_racing_a_running_task_does_not_complete_its_sleeps() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-shutdown-race");
        let dropping = Arc::new(AtomicBool::new(false));
        let turns = Arc::new(AtomicUsize::new(0));
        let (running_tx, running_rx) = mpsc::channel();
        let task = {
            let turns = turns.clone();
            let dropping = dropping.clone();
            rt.spawn(async move {
                running_tx.send(()).unwrap();
                while !dropping.load(SeqCst) {
                    std::hint::spin_loop();
                }
                // Let the shutdown get under way while this poll runs.
                let start = Instant::now();
                while start.elapsed() < Duration::from_millis(50) {
                    std::hint::spin_loop();
                }
                for _ in 0..1_000 {
                    sleep(HOUR).await;
                    turns.fetch_add(1, SeqCst);
                }
            })
        };
        running_rx.recv_timeout(LIMIT).unwrap();
        dropping.store(true, SeqCst);
        drop(rt);
        let turns = turns.load(SeqCst);
        let outcome = join(task);
        assert_eq!(
            turns, 0,
            "during shutdown, {turns} hour-long sleeps completed at once in a task of the dying \
             runtime, which ran on ({outcome:?}); with an endless loop its worker would spin \
             and dropping the runtime would hang"
        );
        assert!(
            outcome.is_err_and(|err| err.is_cancelled()),
            "the task was cancelled"
        );
    });
}
