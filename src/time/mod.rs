//! Time: the deadlines the I/O driver wakes tasks at.
//!
//! For now this is the runtime-internal part only: a deadline queue fired
//! by the I/O driver after each `poll`, whose earliest deadline is the
//! `poll` timeout, and a `Delay` future on it (used by the accept loop's
//! back-off). The public `sleep`, `timeout` and `interval` and the
//! hierarchical timing wheel they stand on come with issue 4; the driver
//! already calls `Timers` through the three methods a wheel will keep
//! (`park_timeout`, `fire_due`, `shutdown`).
//!
//! Why a `BTreeMap` for now: deadlines are rare here (one per accept loop
//! in back-off), and an ordered map gives the earliest deadline and removal
//! by key in O(log n) with no code of our own to get wrong.

#![forbid(unsafe_code)]

mod delay;

pub(crate) use delay::Delay;

use crate::loom::{AtomicUsize, Mutex, lock};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::task::Waker;
use std::time::{Duration, Instant};

/// The runtime's pending deadlines.
pub(crate) struct Timers {
    state: Mutex<State>,
    /// How many deadlines are queued (written under `state`, read without
    /// it), so a driver with none skips the lock and the clock.
    pending: AtomicUsize,
}

struct State {
    queue: BTreeMap<(Instant, u64), Waker>,
    next_id: u64,
    /// When the driver's holder will return from `poll` by itself: `None`
    /// if nobody is in `poll`, `Some(None)` if it waits without a deadline.
    parked_until: Option<Option<Instant>>,
    is_shutdown: bool,
}

/// A deadline's place in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    deadline: Instant,
    id: u64,
}

/// What `Timers::register` tells its caller.
#[must_use]
#[derive(Debug)]
pub(crate) enum Registered {
    /// Queued; `unpark` says whether the driver must be pulled out of a
    /// `poll` that would sleep past the new deadline.
    Queued { key: Key, unpark: bool },
    /// The runtime is gone: the deadline will never fire.
    Shutdown,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            pending: AtomicUsize::new(0),
            state: Mutex::new(State {
                queue: BTreeMap::new(),
                next_id: 0,
                parked_until: None,
                is_shutdown: false,
            }),
        }
    }

    /// The driver is about to `poll` for at most `timeout`: shortens it to
    /// the next deadline, and records when `poll` will return by itself
    /// (under the lock, so a racing `register` sees it).
    pub(crate) fn park_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
        let mut state = lock(&self.state);
        let now = Instant::now();
        let next = state
            .queue
            .keys()
            .next()
            .map(|(deadline, _)| deadline.saturating_duration_since(now));
        let timeout = match (timeout, next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // epoll counts whole milliseconds and would truncate: round up, so
        // the driver never wakes just before a deadline and spins.
        let timeout =
            timeout.map(|t| Duration::from_millis(t.as_nanos().div_ceil(1_000_000) as u64));
        state.parked_until = Some(timeout.map(|t| now + t));
        timeout
    }

    /// The driver returned from `poll`.
    pub(crate) fn unparked(&self) {
        lock(&self.state).parked_until = None;
    }

    /// Moves the wakers of every deadline that has passed into `wake`.
    pub(crate) fn fire_due(&self, wake: &mut Vec<Waker>) {
        if !self.has_pending() {
            return;
        }
        let mut state = lock(&self.state);
        let now = Instant::now();
        while let Some(entry) = state.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            wake.push(entry.remove());
        }
        self.pending.store(state.queue.len(), Relaxed);
    }

    /// True if some deadline is queued (a hint without the lock).
    pub(crate) fn has_pending(&self) -> bool {
        // Relaxed: a hint. A deadline queued just after this read is
        // seen by the next poll; one that must interrupt a blocking poll
        // unparks the driver itself (`register`).
        self.pending.load(Relaxed) > 0
    }

    /// Queues `waker` to be woken at `deadline`.
    pub(crate) fn register(&self, deadline: Instant, waker: Waker) -> Registered {
        let mut state = lock(&self.state);
        if state.is_shutdown {
            return Registered::Shutdown;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.queue.insert((deadline, id), waker);
        self.pending.store(state.queue.len(), Relaxed);
        let unpark = match state.parked_until {
            Some(None) => true,
            Some(Some(until)) => deadline < until,
            None => false,
        };
        Registered::Queued {
            key: Key { deadline, id },
            unpark,
        }
    }

    /// Replaces the waker of a queued deadline; false if it already fired.
    pub(crate) fn update(&self, key: Key, waker: &Waker) -> bool {
        let mut state = lock(&self.state);
        match state.queue.get_mut(&(key.deadline, key.id)) {
            Some(stored) => {
                if !stored.will_wake(waker) {
                    *stored = waker.clone();
                }
                true
            }
            None => false,
        }
    }

    /// Removes a deadline (its future was dropped).
    pub(crate) fn cancel(&self, key: Key) {
        let mut state = lock(&self.state);
        state.queue.remove(&(key.deadline, key.id));
        self.pending.store(state.queue.len(), Relaxed);
    }

    /// The runtime is gone: every waiting task is woken (and its deadline
    /// reported as unreachable).
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        let mut state = lock(&self.state);
        state.is_shutdown = true;
        wake.extend(std::mem::take(&mut state.queue).into_values());
        self.pending.store(0, Relaxed);
    }
}
