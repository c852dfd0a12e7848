//! The monitor: a thread per runtime that notices a worker stuck in one
//! poll and keeps the runtime going around it (bobbin's answer to Go's
//! sysmon, for tasks that cannot be preempted).
//!
//! How it sees a stuck poll without costing the workers anything: each
//! core bumps `Remote::seq` before and after every poll (two plain stores
//! on a line it owns), so the word is odd during a poll. The monitor
//! samples every core; an odd value seen at two samples in a row is a poll
//! that has lasted at least the time between them. Then:
//!
//! 1. The core's queued tasks (LIFO slot included) move to the injector and
//!    an idle worker is woken, at every sample while the poll lasts.
//! 2. Past the threshold (10 ms by default) the poll is a long poll: it is
//!    counted, kept among the recent ones, and passed to the `on_long_poll`
//!    callback with the task's id, name and spawn location.
//! 3. If no core is left to run tasks (every one is in a long poll or in
//!    `block_in_place`), a spare core starts on a blocking-pool thread:
//!    Go's hand-off of a P whose thread is stuck. It runs the queue and
//!    drives the reactor and timers until the stuck core is back.
//!
//! How often it samples is the trade-off. Calm, it samples once per
//! threshold (10 ms by default): a wake-up of a thread is not free, and on
//! the 2-vCPU machine of the benchmarks a thread waking every 0.5 ms cost
//! 25% on the spawn-chain and ping-pong benchmarks, every 10 ms 4-9%,
//! every 20 ms 2-3% (docs/benchmarks.md). When a calm sample finds a
//! poll with a task in its core's LIFO slot, it looks again after a
//! twentieth of the threshold (0.1 to 1 ms); while a poll is stuck, it
//! samples at that pace until the poll ends. So a task queued behind a poll
//! that turns out long waits at most about one threshold (tasks in the ring
//! are usually stolen sooner: pushing them there wakes an idle worker, except
//! the one task the LIFO bound moves there, which the core runs next); a lower
//! threshold buys a quicker rescue with more wake-ups.
//!
//! The monitor sleeps while every core is parked (from the first calm
//! sample that finds them so: three samples cost an idle runtime twice the
//! CPU and context switches of tokio's, issue 19), so an idle runtime has
//! no periodic wake-ups; the first worker
//! to wake afterwards wakes it (one load on the unpark path, a futex wake
//! only when the monitor really sleeps).

use super::{Shared, queue};
use crate::loom::Arc;
use crate::runtime::report::{LongPoll, PinnedTask};
use crate::runtime::wait::{ExitLatch, lock, wait_until};
use crate::task::Id;
use crate::task::clock;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, SeqCst};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A callback for long polls.
pub(crate) type LongPollHook = std::sync::Arc<dyn Fn(&LongPoll) + Send + Sync + 'static>;

/// How many long polls `recent_long_polls` keeps.
const RECENT: usize = 16;

/// Samples of an all-parked runtime before the monitor sleeps.
const IDLE_SAMPLES_BEFORE_SLEEP: u32 = 1;

/// The monitor's settings (from the `Builder`).
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) threshold: Duration,
    pub(crate) on_long_poll: Option<LongPollHook>,
}

/// The monitor's shared half (in `Shared`).
pub(crate) struct Monitor {
    config: Config,
    /// Between samples when nothing is at risk: the threshold.
    calm: Duration,
    /// Between samples while a poll has tasks queued behind it or is stuck.
    alert: Duration,
    /// Set while the monitor sleeps through an idle runtime.
    sleeping: AtomicBool,
    signal: Mutex<Signal>,
    condvar: Condvar,
    long_polls: AtomicU64,
    recent: Mutex<VecDeque<LongPoll>>,
    /// Counts the monitor thread's exit (0 or 1).
    exit: ExitLatch,
}

#[derive(Default)]
struct Signal {
    woken: bool,
    shutdown: bool,
}

impl Monitor {
    /// The long-poll threshold (`Builder::long_poll_threshold`).
    pub(crate) fn threshold(&self) -> Duration {
        self.config.threshold
    }

    pub(crate) fn new(config: Config, _num_cores: usize) -> Monitor {
        let alert =
            (config.threshold / 20).clamp(Duration::from_micros(100), Duration::from_millis(1));
        Monitor {
            calm: config.threshold,
            alert,
            config,
            sleeping: AtomicBool::new(false),
            signal: Mutex::new(Signal::default()),
            condvar: Condvar::new(),
            long_polls: AtomicU64::new(0),
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            exit: ExitLatch::default(),
        }
    }

    /// A worker left its park: wake the monitor if it sleeps.
    pub(crate) fn worker_unparked(&self) {
        // SeqCst: with the Idle word's SeqCst update before this load, and
        // the monitor's store of `sleeping` before its SeqCst read of that
        // word, one of the two sees the other (`Monitor::sleep`).
        if self.sleeping.load(SeqCst) && self.sleeping.swap(false, SeqCst) {
            lock(&self.signal).woken = true;
            self.condvar.notify_one();
        }
    }

    /// Stops the monitor thread.
    pub(crate) fn shutdown(&self) {
        lock(&self.signal).shutdown = true;
        self.condvar.notify_one();
    }

    /// Waits until the monitor thread has exited, or `deadline` passes (it
    /// may be inside a slow `on_long_poll` callback). True if it exited.
    pub(crate) fn wait_exit(&self, deadline: Option<Instant>) -> bool {
        self.exit.wait(1, deadline)
    }

    /// How many polls have run past the threshold.
    pub(crate) fn long_polls(&self) -> u64 {
        self.long_polls.load(Relaxed)
    }

    /// The most recent long polls, oldest first.
    pub(crate) fn recent_long_polls(&self) -> Vec<LongPoll> {
        lock(&self.recent).iter().cloned().collect()
    }

    /// Waits `timeout` (or until woken); false once shut down.
    fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        let (mut signal, _) = wait_until(&self.condvar, lock(&self.signal), deadline, |signal| {
            signal.shutdown || signal.woken
        });
        signal.woken = false;
        !signal.shutdown
    }

    fn record(&self, long_poll: &LongPoll) {
        self.long_polls.fetch_add(1, Relaxed);
        {
            let mut recent = lock(&self.recent);
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(long_poll.clone());
        }
        if let Some(hook) = &self.config.on_long_poll {
            // A panicking callback is reported by the panic hook; the
            // monitor goes on.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| hook(long_poll)));
        }
    }

    /// The poll `serial` still runs: raise its recorded duration.
    fn extend(&self, serial: u64, duration: Duration) {
        if let Some(entry) = lock(&self.recent)
            .iter_mut()
            .find(|entry| entry.serial == serial)
        {
            entry.duration = duration;
        }
    }
}

/// What the monitor remembers of one core since its last sample.
#[derive(Clone, Copy)]
struct Watch {
    seq: u64,
    since: Instant,
    /// The serial of the long poll recorded for this poll.
    reported: Option<u64>,
    /// A spare the monitor started for this poll.
    spare: Option<usize>,
}

/// Marks the monitor exited when dropped, even by a panic.
struct Exited<'a>(&'a Monitor);

impl Drop for Exited<'_> {
    fn drop(&mut self) {
        self.0.exit.exited();
    }
}

/// The monitor thread's body; returns at shutdown.
pub(crate) fn run(shared: Arc<Shared>) {
    let monitor = &shared.monitor;
    let _exited = Exited(monitor);
    let start = Instant::now();
    let mut watch = vec![
        Watch {
            seq: 0,
            since: start,
            reported: None,
            spare: None,
        };
        shared.remotes.len()
    ];
    let (_, mut scratch) = queue::local();
    let mut idle_samples = 0;
    let mut serial = 0;
    let mut interval = monitor.calm;
    // Also ends when the runtime shuts down before `Runtime::shutdown`
    // stops the monitor (an unhandled panic under `ShutdownRuntime`): its
    // samples would find no worker to help.
    while monitor.wait(Some(interval)) && !shared.is_shutdown() {
        let calm = interval == monitor.calm;
        let now = Instant::now();
        clock::advance_to(clock::ticks_at(now));
        let mut active = 0;
        let mut available = false;
        // A poll with tasks queued behind it, or a stuck one: look again soon.
        let mut alert = false;
        let mut longest: Option<(usize, Duration)> = None;
        let searchable = shared.num_searchable();
        for (index, w) in watch.iter_mut().enumerate().take(searchable) {
            let remote = &shared.remotes[index];
            // Acquire: pairs with the Release stores of the core's thread.
            if !remote.active.load(Acquire) {
                // A spare that stood in for this one (itself a spare) and
                // outlived it: its worker retired between two samples.
                if let Some(spare) = w.spare.take() {
                    shared.retire_spare(spare);
                }
                continue;
            }
            active += 1;
            let seq = remote.seq.load(Acquire);
            let blocking = remote.blocking.load(Acquire);
            if seq.is_multiple_of(2) || seq != w.seq || blocking {
                // Between polls, in a new poll, or in `block_in_place`
                // (whose queue went to a spare already).
                if let Some(spare) = w.spare.take() {
                    shared.retire_spare(spare);
                }
                *w = Watch {
                    seq,
                    since: now,
                    reported: None,
                    spare: None,
                };
                available |= !blocking;
                // A task in the LIFO slot of a core in a poll: the one case
                // stealing does not cover soon (a thief takes it only as a
                // last resort, and nobody was woken for it). Confirm soon;
                // only from a calm sample, so a busy runtime whose LIFO
                // slots are often full costs at most one extra look each.
                alert |=
                    calm && !blocking && !seq.is_multiple_of(2) && !remote.lifo.peek().is_null();
                continue;
            }
            alert = true;
            // The same poll as at the last sample.
            let stuck_for = now - w.since;
            if remote.has_queued() {
                shared.evacuate(index, &mut scratch, None);
                shared.notify_parked();
            }
            if stuck_for < monitor.config.threshold {
                available = true;
                continue;
            }
            match w.reported {
                Some(serial) => monitor.extend(serial, stuck_for),
                None => {
                    // Relaxed: `seq` (Acquire, re-read below) orders it.
                    let task = remote.polling_task_id.load(Relaxed);
                    if remote.seq.load(Acquire) != seq {
                        available = true;
                        continue;
                    }
                    serial += 1;
                    let info = Id::from_u64(task).and_then(|id| shared.owned.describe(id));
                    let long_poll = LongPoll {
                        id: Id::from_u64(task),
                        name: info.as_ref().and_then(|info| info.name.clone()),
                        location: info.map(|info| info.location),
                        worker: index,
                        duration: stuck_for,
                        pinned: super::local::pinned_to(&shared, index)
                            .into_iter()
                            .map(|info| PinnedTask { info })
                            .collect(),
                        serial,
                    };
                    monitor.record(&long_poll);
                    w.reported = Some(serial);
                }
            }
            if w.spare.is_none() && longest.is_none_or(|(_, longest)| stuck_for > longest) {
                longest = Some((index, stuck_for));
            }
        }
        // Nobody left to run tasks or poll the reactor: a spare takes over
        // the longest-stuck core's place.
        if !available
            && let Some((index, _)) = longest
            && let Some(mut spare) = shared.take_spare()
        {
            shared.evacuate(index, &mut scratch, Some(&mut spare));
            watch[index].spare = Some(Shared::launch_spare(&shared, spare));
        }
        interval = if alert { monitor.alert } else { monitor.calm };
        // Sleep through an idle runtime (a current-thread runtime rests
        // between `block_on`s).
        if shared.idle.num_parked() >= active || shared.is_resting() {
            idle_samples += 1;
        } else {
            idle_samples = 0;
        }
        if idle_samples >= IDLE_SAMPLES_BEFORE_SLEEP {
            idle_samples = 0;
            monitor.sleeping.store(true, SeqCst);
            // Re-check after the flag (see `worker_unparked`).
            let still_idle = shared.idle.num_parked() >= active || shared.is_resting();
            if still_idle && !monitor.wait(None) {
                break;
            }
            monitor.sleeping.store(false, SeqCst);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn monitor(threshold: Duration) -> Monitor {
        Monitor::new(
            Config {
                threshold,
                on_long_poll: None,
            },
            2,
        )
    }

    fn long_poll(serial: u64, duration: Duration) -> LongPoll {
        LongPoll {
            id: None,
            name: Some(format!("task-{serial}")),
            location: None,
            worker: 0,
            duration,
            pinned: Vec::new(),
            serial,
        }
    }

    #[test]
    fn the_pace_follows_the_threshold_within_bounds() {
        let m = monitor(Duration::from_millis(10));
        assert_eq!(m.calm, Duration::from_millis(10));
        assert_eq!(m.alert, Duration::from_micros(500));
        assert_eq!(
            monitor(Duration::from_secs(1)).alert,
            Duration::from_millis(1)
        );
        assert_eq!(
            monitor(Duration::from_micros(200)).alert,
            Duration::from_micros(100)
        );
    }

    #[test]
    fn the_recent_list_keeps_the_last_sixteen_and_extends_a_running_one() {
        let m = monitor(Duration::from_millis(10));
        for serial in 1..=20 {
            m.record(&long_poll(serial, Duration::from_millis(10)));
        }
        assert_eq!(m.long_polls(), 20);
        let recent = m.recent_long_polls();
        assert_eq!(recent.len(), RECENT);
        assert_eq!(recent[0].serial, 5, "the oldest four were dropped");
        m.extend(20, Duration::from_millis(300));
        m.extend(1, Duration::from_millis(300)); // gone: ignored
        let recent = m.recent_long_polls();
        assert_eq!(recent[RECENT - 1].duration, Duration::from_millis(300));
        assert_eq!(recent[0].duration, Duration::from_millis(10));
    }

    #[test]
    fn a_panicking_callback_is_contained() {
        let m = Monitor::new(
            Config {
                threshold: Duration::from_millis(10),
                on_long_poll: Some(std::sync::Arc::new(|_: &LongPoll| panic!("callback"))),
            },
            2,
        );
        m.record(&long_poll(1, Duration::from_millis(10)));
        assert_eq!(m.long_polls(), 1);
    }

    #[test]
    fn a_wake_before_the_wait_is_not_lost_and_shutdown_ends_it() {
        let m = monitor(Duration::from_millis(10));
        m.sleeping.store(true, SeqCst);
        m.worker_unparked();
        assert!(!m.sleeping.load(SeqCst), "the flag is taken by the wake");
        // The wake is remembered: an untimed wait returns at once.
        assert!(m.wait(None));
        m.shutdown();
        assert!(!m.wait(None));
        assert!(
            !m.wait_exit(Some(Instant::now())),
            "never started: not exited"
        );
        drop(Exited(&m));
        assert!(m.wait_exit(None));
    }
}
