//! Timers and the workers that drive them: timers fire while every worker
//! is busy running tasks, while one worker is stuck in a long poll (also
//! when that worker was the one holding the driver), and once a worker is
//! free again after both were stuck; an idle runtime with pending timers
//! (and ten thousand cancelled ones behind it) uses no CPU.
//!
//! The tasks that keep workers busy stop as soon as the timer they wait
//! for has fired, or after `SPIN_CAP` at most; a test fails only if they
//! had to give up, so nothing depends on how fast the machine is.

use bobbin::time::{sleep, sleep_until};
use executor_tests::{LIMIT, counting_waker, runtime, with_timeout};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::task::Context;
use std::time::{Duration, Instant};

/// How long a busy task keeps its worker before giving up on the timer.
const SPIN_CAP: Duration = Duration::from_secs(5);

/// Spins in one poll, without awaiting, until `done` is set or `SPIN_CAP`
/// passes; returns whether `done` was set.
fn spin_until(done: &AtomicBool) -> bool {
    let start = Instant::now();
    while !done.load(SeqCst) && start.elapsed() < SPIN_CAP {
        std::hint::spin_loop();
    }
    done.load(SeqCst)
}

/// Spawns a task that sleeps `duration` and then sets `done`; returns once
/// its sleep is registered (pending), with its handle and its deadline.
fn spawn_sleeper(
    rt: &bobbin::Runtime,
    duration: Duration,
    done: Arc<AtomicBool>,
) -> (bobbin::JoinHandle<Instant>, Instant) {
    let (registered_tx, registered_rx) = mpsc::channel();
    let sleeper = rt.spawn(async move {
        let mut sleep_ = Box::pin(sleep(duration));
        let deadline = sleep_.deadline();
        if futures::poll!(sleep_.as_mut()).is_pending() {
            registered_tx.send(deadline).unwrap();
            sleep_.await;
        } else {
            registered_tx.send(deadline).unwrap();
        }
        let woke = Instant::now();
        assert!(woke >= deadline, "the sleep completed early");
        done.store(true, SeqCst);
        woke
    });
    let deadline = registered_rx.recv_timeout(LIMIT).unwrap();
    (sleeper, deadline)
}

/// Both workers run tasks that keep yielding (always runnable, so neither
/// worker parks in the driver): a 20 ms timer still fires, from the
/// periodic driver poll of a busy worker, and its task runs while the busy
/// ones are still at it.
#[test]
fn timers_fire_while_every_worker_is_busy() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-busy");
        let done = Arc::new(AtomicBool::new(false));
        let (sleeper, _) = spawn_sleeper(&rt, Duration::from_millis(20), done.clone());
        let busy: Vec<_> = (0..4)
            .map(|_| {
                let done = done.clone();
                rt.spawn(async move {
                    let start = Instant::now();
                    while !done.load(SeqCst) && start.elapsed() < SPIN_CAP {
                        bobbin::task::yield_now().await;
                    }
                    done.load(SeqCst)
                })
            })
            .collect();
        rt.block_on(sleeper).unwrap();
        for task in busy {
            assert!(
                rt.block_on(task).unwrap(),
                "the timer fired only after the busy tasks gave up ({SPIN_CAP:?}): busy workers \
                 never fired it"
            );
        }
    });
}

/// One worker is stuck in a single long poll; a 20 ms timer fires while it
/// is, on the other worker. Twice: with a freshly spawned spinner, and with
/// a spinner that a timer woke (so it runs on the worker that held the
/// driver, which must let another worker take the driver over).
#[test]
fn timers_fire_while_one_worker_is_stuck_in_a_long_poll() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-stuck");
        for woken_by_timer in [false, true] {
            let done = Arc::new(AtomicBool::new(false));
            let (spinning_tx, spinning_rx) = mpsc::channel();
            let spinner = {
                let done = done.clone();
                rt.spawn(async move {
                    if woken_by_timer {
                        sleep(Duration::from_millis(5)).await;
                    }
                    spinning_tx.send(()).unwrap();
                    spin_until(&done)
                })
            };
            spinning_rx.recv_timeout(LIMIT).unwrap();
            let (sleeper, _) = spawn_sleeper(&rt, Duration::from_millis(20), done.clone());
            rt.block_on(sleeper).unwrap();
            assert!(
                rt.block_on(spinner).unwrap(),
                "woken by a timer: {woken_by_timer}; the 20 ms timer fired only after the \
                 spinning task gave its worker back ({SPIN_CAP:?})"
            );
        }
    });
}

/// Both workers are stuck, each in one 200 ms poll, when a 20 ms timer
/// comes due: nobody can run its task until a worker is free, but then it
/// does, soon after the first spinner ends (the bound is loose: a second).
#[test]
fn a_timer_due_while_both_workers_spin_fires_once_one_is_free() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "time-both-stuck");
        let done = Arc::new(AtomicBool::new(false));
        let (sleeper, deadline) = spawn_sleeper(&rt, Duration::from_millis(20), done);
        let spin = Duration::from_millis(200);
        let mut spinners = Vec::new();
        for _ in 0..2 {
            // One at a time, so the second lands on the other worker while
            // the first spins.
            let (spinning_tx, spinning_rx) = mpsc::channel();
            spinners.push(rt.spawn(async move {
                let start = Instant::now();
                spinning_tx.send(()).unwrap();
                while start.elapsed() < spin {
                    std::hint::spin_loop();
                }
                Instant::now()
            }));
            spinning_rx.recv_timeout(LIMIT).unwrap();
        }
        let woke = rt.block_on(sleeper).unwrap();
        let ends: Vec<Instant> = spinners
            .into_iter()
            .map(|spinner| rt.block_on(spinner).unwrap())
            .collect();
        assert!(woke >= deadline);
        let first_free = *ends.iter().min().unwrap();
        assert!(
            woke <= first_free + Duration::from_secs(1),
            "the timer's task ran {:?} after a worker was free again",
            woke - first_free
        );
    });
}

/// CPU time (user and system) of thread `tid` of this process, from
/// `/proc/self/task/{tid}/stat` (in clock ticks of 10 ms).
#[cfg(target_os = "linux")]
fn thread_cpu_time(tid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .expect("a worker thread's /proc stat");
    // Fields after the command name (which may hold spaces) in parentheses:
    // the third is the state; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // USER_HZ, which /proc reports in, is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// A runtime whose workers have nothing to run, with a 300 ms timer and an
/// hour-long one pending (and ten thousand cancelled timers behind them),
/// sleeps in the kernel until the deadline: its two workers use far less
/// than 100 ms of CPU in those 300 ms (a worker that polled in a loop would
/// use all of them).
#[cfg(target_os = "linux")]
#[test]
fn an_idle_runtime_with_pending_timers_uses_no_cpu() {
    with_timeout(LIMIT, || {
        let tids = Arc::new(Mutex::new(Vec::new()));
        let rt = {
            let tids = tids.clone();
            bobbin::Runtime::builder()
                .worker_threads(2)
                .thread_name("time-idle")
                .on_thread_start(move || {
                    let me = std::fs::read_link("/proc/thread-self").unwrap();
                    let tid = me.file_name().unwrap().to_string_lossy().into_owned();
                    tids.lock().unwrap().push(tid);
                })
                .build()
                .unwrap()
        };
        let (waker, wakes) = counting_waker();
        let mut hour = Box::pin(sleep(Duration::from_secs(3_600)));
        {
            let _enter = rt.enter();
            let start = Instant::now();
            for i in 0..10_000u64 {
                let mut cancelled =
                    Box::pin(sleep_until(start + Duration::from_micros(1_000 + i * 13)));
                let _ = cancelled.as_mut().poll(&mut Context::from_waker(&waker));
            }
            assert!(
                hour.as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
        }
        // Past the cancelled deadlines, and let the workers settle.
        rt.block_on(sleep(Duration::from_millis(200)));
        let tids = tids.lock().unwrap().clone();
        assert_eq!(tids.len(), 2);
        let cpu = || {
            tids.iter()
                .map(|tid| thread_cpu_time(tid))
                .sum::<Duration>()
        };
        let before = cpu();
        let deadline = Instant::now() + Duration::from_millis(300);
        rt.block_on(sleep_until(deadline));
        assert!(Instant::now() >= deadline);
        let used = cpu() - before;
        assert!(
            used < Duration::from_millis(100),
            "the idle workers used {used:?} of CPU in 300 ms"
        );
        assert_eq!(wakes.load(SeqCst), 0, "a cancelled or far timer fired");
        drop(hour);
    });
}
