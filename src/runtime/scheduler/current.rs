//! The current-thread runtime's engine: one core and no worker thread.
//! The thread that calls `block_on` runs the core between polls of its
//! future: its tasks, the reactor and the timers all run there.
//!
//! How: the core waits in `Shared::current_core` between `block_on`
//! calls (its tasks stay queued, parked). A `block_on` takes it and runs
//! the worker loop (`worker.rs`) with a stop flag that the future's waker
//! sets; the loop returns to poll the future whenever it was woken, and
//! parks in the driver when nothing is runnable. A second thread calling
//! `block_on` meanwhile finds the core taken and polls its own future
//! parked (the first thread runs the tasks), and takes the core over when
//! the first gives it back, as tokio's current-thread runtime does.
//!
//! Shutdown: whoever holds the core when the runtime shuts down cancels
//! every task on its own thread, so a task is dropped where it ran; the
//! dropping thread waits for the core to come back.

use super::Shared;
use super::park::Unparker;
use super::worker::{Core, WorkerContext, set_worker};
use crate::loom::Arc;
use crate::task::coop;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{AcqRel, Release};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// Where the current-thread runtime's core waits between `block_on`s,
/// and who waits for it.
#[derive(Default)]
pub(crate) struct CoreSlot {
    core: Mutex<Option<Box<Core>>>,
    /// Signalled when the core comes back (a shutdown waits for it).
    returned: Condvar,
    /// `block_on`s on other threads waiting to take the core.
    waiters: Mutex<Vec<Waker>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CoreSlot {
    pub(super) fn put(&self, core: Box<Core>) {
        *lock(&self.core) = Some(core);
        self.returned.notify_all();
        let waiters = std::mem::take(&mut *lock(&self.waiters));
        for waiter in waiters {
            waiter.wake();
        }
    }

    fn take(&self) -> Option<Box<Core>> {
        lock(&self.core).take()
    }

    /// True if the core is here; otherwise `waker` is woken when it comes
    /// back.
    fn is_free_or_wake(&self, waker: &Waker) -> bool {
        // The waiter list first, then the slot: a `put` in between wakes
        // the waiter, or the slot shows the core.
        let mut waiters = lock(&self.waiters);
        if !waiters.iter().any(|other| other.will_wake(waker)) {
            waiters.push(waker.clone());
        }
        drop(waiters);
        lock(&self.core).is_some()
    }

    /// Waits until the core is back, at most until `deadline`.
    fn wait_returned(&self, deadline: Option<std::time::Instant>) -> Option<Box<Core>> {
        let mut core = lock(&self.core);
        loop {
            if let Some(core) = core.take() {
                return Some(core);
            }
            core = match deadline {
                None => self
                    .returned
                    .wait(core)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.checked_duration_since(std::time::Instant::now())?;
                    self.returned
                        .wait_timeout(core, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

/// Wakes the `block_on` future: the loop returns to poll it.
struct MainWaker {
    stop: std::sync::Arc<AtomicBool>,
    unparker: Unparker,
}

impl Wake for MainWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.stop.store(true, Release);
        self.unparker.unpark();
    }
}

/// Puts the core back when the `block_on` leaves it, even by a panic;
/// after a shutdown, cancels the runtime's tasks first, on this thread.
struct Holding<'a> {
    cx: &'a Rc<WorkerContext>,
    core: Option<Box<Core>>,
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        // A panic in the future's poll leaves the core in the context.
        let core = self
            .core
            .take()
            .or_else(|| self.cx.core.borrow_mut().take());
        if let Some(mut core) = core {
            if self.cx.shared.is_shutdown() {
                self.cx.shutdown(&mut core);
            }
            // Readers see exact counts while the core rests.
            self.cx.publish_stats(&core);
            self.cx.shared.current_core.put(core);
        }
    }
}

impl Shared {
    /// True for a current-thread runtime.
    pub(crate) fn is_current_thread(&self) -> bool {
        self.current_thread
    }

    /// True while a current-thread runtime's core rests between
    /// `block_on`s (nothing runs: the monitor may sleep).
    pub(super) fn is_resting(&self) -> bool {
        self.current_thread && lock(&self.current_core.core).is_some()
    }

    /// True if the core is free to take; else `waker` is woken when it is.
    pub(crate) fn current_core_free_or_wake(&self, waker: &Waker) -> bool {
        self.current_core.is_free_or_wake(waker)
    }

    /// A shut-down current-thread runtime: cancels its tasks on this
    /// thread once the core is back (a `block_on` on another thread may
    /// hold it; it gives it back at its next turn), waiting at most until
    /// `deadline`. False if the core did not come back in time.
    pub(crate) fn shutdown_current(
        this: &Arc<Shared>,
        deadline: Option<std::time::Instant>,
    ) -> bool {
        // Dropped inside one of its own tasks: this thread holds the core,
        // and sweeps when its `block_on` returns.
        if crate::task::park::runs_tasks() {
            return false;
        }
        let Some(mut core) = this.current_core.wait_returned(deadline) else {
            return false;
        };
        let cx = Rc::new(WorkerContext {
            shared: this.clone(),
            core: RefCell::new(None),
            stop: None,
            local: RefCell::new(super::local::thread_queue(this)),
        });
        let _worker = set_worker(cx.clone());
        cx.shutdown(&mut core);
        this.current_core.put(core);
        true
    }
}

/// Polls `future` on this thread with the runtime's core, running its
/// tasks between polls, until it is ready (`Some`). `None` if the core is
/// not free (another thread's `block_on` holds it) or the runtime shut
/// down: the caller then polls the future parked.
pub(crate) fn run_on_core<F: Future>(
    this: &Arc<Shared>,
    mut future: Pin<&mut F>,
) -> Option<F::Output> {
    if this.is_shutdown() {
        return None;
    }
    let core = this.current_core.take()?;
    // The monitor sleeps while the core rests: it watches polls again.
    this.monitor.worker_unparked();
    let stop = std::sync::Arc::new(AtomicBool::new(true));
    let cx = Rc::new(WorkerContext {
        shared: this.clone(),
        core: RefCell::new(None),
        stop: Some(stop.clone()),
        // This thread's local tasks from an earlier `block_on`.
        local: RefCell::new(super::local::thread_queue(this)),
    });
    let _worker = set_worker(cx.clone());
    let mut holding = Holding {
        cx: &cx,
        core: Some(core),
    };
    let waker = Waker::from(std::sync::Arc::new(MainWaker {
        stop: stop.clone(),
        unparker: this.remotes[0].unparker.clone(),
    }));
    let mut task_cx = Context::from_waker(&waker);
    loop {
        if stop.swap(false, AcqRel) {
            // The core is in the context while the future runs, so what
            // it spawns or wakes goes to the core's own queues, not through
            // the injector.
            *cx.core.borrow_mut() = holding.core.take();
            // The future is not a task: no budget (as in any `block_on`).
            let polled = coop::with_unconstrained(|| future.as_mut().poll(&mut task_cx));
            holding.core = cx.core.borrow_mut().take();
            if let Poll::Ready(output) = polled {
                return Some(output);
            }
        }
        if this.is_shutdown() {
            // No task runs any more: `holding` cancels them here as it
            // drops; the caller waits for the future alone.
            return None;
        }
        let core = holding.core.take().expect("the core is held between turns");
        holding.core = Some(turn(&cx, core, &stop));
    }
}

/// Tasks run between two polls of the `block_on` future at most, so a
/// future that keeps waking itself does not starve them (tokio's
/// `event_interval` is 61 too).
const TASKS_PER_TURN: usize = 61;

/// One turn between polls of the future: up to `TASKS_PER_TURN` tasks
/// whatever the future does (with the worker loop's periodic look at the
/// injector and the reactor), a look at the reactor, then (if the future
/// was not woken) the worker loop, which parks when nothing is runnable
/// and returns once the future is woken.
fn turn(cx: &Rc<WorkerContext>, mut core: Box<Core>, stop: &AtomicBool) -> Box<Core> {
    core = cx.run_some(core, TASKS_PER_TURN);
    core = cx.poll_driver(core);
    if stop.load(std::sync::atomic::Ordering::Acquire) {
        return core;
    }
    cx.run(core)
}
