//! Parking a plain thread on a future: the blocking forms of channel and
//! sync operations (`send_blocking`, `recv_blocking`) and `block_on` poll
//! their future here and park the thread between polls; its waker unparks
//! it. And whether this thread runs a runtime's tasks, where parking would
//! stall every task queued behind it.
//!
//! This is the classic thread-parking executor of
//! `futures::executor::block_on`, not part of the loom models, so it uses
//! std's thread and `Arc` directly: `std::task::Wake` needs std's `Arc`.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes a thread parked in `poll_parked_with`.
pub(crate) struct ThreadWaker {
    thread: Thread,
    /// Set by a wake, cleared by the parked thread: a wake between polls is
    /// never slept through, and repeated wakes make one syscall.
    notified: AtomicBool,
    /// Set while the thread sleeps between polls (for a runtime's quiet
    /// check: a sleeping thread with no wake pending polls nothing).
    asleep: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Release: pairs with the Acquire swap in `park`, so what the waker
        // did before waking is visible to the next poll.
        if !self.notified.swap(true, Ordering::Release) {
            self.thread.unpark();
        }
    }
}

impl ThreadWaker {
    fn new() -> ThreadWaker {
        ThreadWaker {
            thread: thread::current(),
            notified: AtomicBool::new(false),
            asleep: AtomicBool::new(false),
        }
    }

    /// Sleeps until woken. `hooks.going` runs just before the thread
    /// counts as asleep, `hooks.asleep` once it does, before it blocks.
    fn park(&self, hooks: &SleepHooks<'_>) {
        // Acquire: see `wake_by_ref`.
        if self.notified.swap(false, Ordering::Acquire) {
            return;
        }
        // SeqCst: a quiet check that reads `asleep` then `notified` sees
        // either this thread awake or the wake that will end its sleep.
        (hooks.going)();
        self.asleep.store(true, Ordering::SeqCst);
        (hooks.asleep)();
        // Awake (`asleep` cleared) before the wake is consumed, so the
        // thread never looks asleep with no wake pending while it is about
        // to poll.
        while !self.notified.load(Ordering::Acquire) {
            thread::park();
        }
        self.asleep.store(false, Ordering::SeqCst);
        // Acquire: see `wake_by_ref`. A wake between the load and this
        // swap merges with the one consumed: the poll that follows sees
        // both.
        self.notified.swap(false, Ordering::Acquire);
    }

    /// True while the thread sleeps with no wake pending.
    pub(crate) fn is_asleep(&self) -> bool {
        self.asleep.load(Ordering::SeqCst) && !self.notified.load(Ordering::SeqCst)
    }
}

thread_local! {
    /// One waker per thread for `block_on`, made on its first use.
    static THREAD_WAKER: Arc<ThreadWaker> = Arc::new(ThreadWaker::new());
    /// The blocking forms' own waker (see `park_on`).
    static PARK_ON_WAKER: Arc<ThreadWaker> = Arc::new(ThreadWaker::new());
    /// Set while this thread runs a runtime's tasks (a worker, or a pool
    /// thread running a spare core), cleared inside `block_in_place`.
    static RUNS_TASKS: Cell<bool> = const { Cell::new(false) };
}

/// Marks (or unmarks) this thread as one that runs a runtime's tasks;
/// returns what it was, for the caller to restore.
pub(crate) fn set_runs_tasks(runs: bool) -> bool {
    RUNS_TASKS
        .try_with(|flag| flag.replace(runs))
        .unwrap_or(false)
}

/// True on a thread that runs a runtime's tasks (and is not inside
/// `block_in_place`): parking it would stall every task queued there.
pub(crate) fn runs_tasks() -> bool {
    RUNS_TASKS.try_with(Cell::get).unwrap_or(false)
}

/// This thread's `block_on` waker.
#[inline]
pub(crate) fn thread_waker() -> Arc<ThreadWaker> {
    THREAD_WAKER.with(Arc::clone)
}

/// Runs `future` on this thread without entering any runtime: the blocking
/// forms of channel and sync operations (`send_blocking`, `recv_blocking`),
/// for plain threads that exchange values with tasks.
///
/// Panics on a thread that runs tasks, where blocking would stall the
/// tasks queued there; `operation` names the call in the message.
#[track_caller]
pub(crate) fn park_on<F: Future>(operation: &str, future: F) -> F::Output {
    if runs_tasks() {
        panic!(
            "{operation} was called on a runtime worker thread, which would stall every task \
             queued there; use the async form with `.await` inside tasks, or call it inside \
             bobbin::task::block_in_place or a bobbin::spawn_blocking job"
        );
    }
    // A waker of its own, not `block_on`'s: a `block_on` may be waiting on
    // this thread around this call (the future it polls called a blocking
    // form), and a wake meant for that `block_on` must stay set for it
    // instead of ending this wait.
    let none = SleepHooks {
        going: &|| {},
        asleep: &|| {},
    };
    poll_parked_with(&PARK_ON_WAKER.with(Arc::clone), future, &none)
}

/// What a thread parked in `poll_parked_with` tells others as it goes to
/// sleep (a `block_on` tells a watched runtime, see
/// `runtime/scheduler/quiet.rs`).
pub(crate) struct SleepHooks<'a> {
    /// Just before the thread counts as asleep.
    pub(crate) going: &'a dyn Fn(),
    /// Once it counts as asleep, before it blocks.
    pub(crate) asleep: &'a dyn Fn(),
}

/// Polls `future` until it is ready, parking the thread between polls and
/// woken through `parker`; `hooks` run each time the thread goes to sleep.
#[inline]
pub(crate) fn poll_parked_with<F: Future>(
    parker: &Arc<ThreadWaker>,
    future: F,
    hooks: &SleepHooks<'_>,
) -> F::Output {
    let waker = Waker::from(parker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        // No budget here (nobody else runs on this thread to be starved),
        // also when this runs inside a task's poll (in a blocking job or
        // `block_in_place`), whose spent budget would otherwise make every
        // operation pend forever.
        if let Poll::Ready(output) =
            super::coop::with_unconstrained(|| future.as_mut().poll(&mut cx))
        {
            return output;
        }
        parker.park(hooks);
    }
}
