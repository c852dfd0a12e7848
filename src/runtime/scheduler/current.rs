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
//! parked (the first thread runs the tasks), as tokio's current-thread
//! runtime does.
//!
//! Shutdown: whoever holds the core when the runtime shuts down cancels
//! every task on its own thread, so a task is dropped where it ran.

use super::Shared;
use super::worker::{Core, WorkerContext, set_worker};
use crate::loom::Arc;
use crate::task::coop;
use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{AcqRel, Release};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// Where the current-thread runtime's core waits between `block_on`s.
#[derive(Default)]
pub(crate) struct CoreSlot {
    core: Mutex<Option<Box<Core>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CoreSlot {
    pub(super) fn put(&self, core: Box<Core>) {
        *lock(&self.core) = Some(core);
    }

    fn take(&self) -> Option<Box<Core>> {
        lock(&self.core).take()
    }
}

/// Wakes the `block_on` future: the loop returns to poll it.
struct MainWaker {
    stop: std::sync::Arc<AtomicBool>,
    shared: Arc<Shared>,
    /// The `block_on` thread, which sleeps on its own after a shutdown.
    thread: std::thread::Thread,
}

impl Wake for MainWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.stop.store(true, Release);
        self.shared.remotes[0].unparker.unpark();
        if self.shared.is_shutdown() {
            self.thread.unpark();
        }
    }
}

/// Puts the core back when the `block_on` ends, even by a panic; after a
/// shutdown, cancels the runtime's tasks first, on this thread.
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
            self.cx.shared.current_core.put(core);
        }
    }
}

impl Shared {
    /// True for a current-thread runtime.
    pub(crate) fn is_current_thread(&self) -> bool {
        self.current_thread
    }

    /// A shut-down current-thread runtime whose core is free: cancels its
    /// tasks on this thread (`Runtime`'s drop).
    pub(crate) fn shutdown_current(this: &Arc<Shared>) {
        let Some(mut core) = this.current_core.take() else {
            // A `block_on` holds it: it cancels the tasks when it returns.
            return;
        };
        let cx = Rc::new(WorkerContext {
            shared: this.clone(),
            core: RefCell::new(None),
            stop: None,
        });
        let _worker = set_worker(cx.clone());
        cx.shutdown(&mut core);
        this.current_core.put(core);
    }
}

/// Runs `future` on this thread with the runtime's core, running its tasks
/// between polls; `Err(future)` if another thread holds the core (or the
/// runtime is shut down), for the caller to poll it parked instead.
pub(crate) fn block_on<F: Future>(this: &Arc<Shared>, future: F) -> Result<F::Output, F> {
    if this.is_shutdown() {
        return Err(future);
    }
    let Some(core) = this.current_core.take() else {
        return Err(future);
    };
    let stop = std::sync::Arc::new(AtomicBool::new(true));
    let cx = Rc::new(WorkerContext {
        shared: this.clone(),
        core: RefCell::new(None),
        stop: Some(stop.clone()),
    });
    let _worker = set_worker(cx.clone());
    let mut holding = Holding {
        cx: &cx,
        core: Some(core),
    };
    let waker = Waker::from(std::sync::Arc::new(MainWaker {
        stop: stop.clone(),
        shared: this.clone(),
        thread: std::thread::current(),
    }));
    let mut task_cx = Context::from_waker(&waker);
    let mut future = pin!(future);
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
                return Ok(output);
            }
        }
        if this.is_shutdown() {
            // No task runs any more: cancel them here, then wait for the
            // future alone (its waker unparks this thread now; the timeout
            // covers a wake that raced the shutdown).
            drop(holding);
            // Polled once more at once: it may be done, or have a panic
            // to re-raise.
            stop.store(true, Release);
            loop {
                if stop.swap(false, AcqRel)
                    && let Poll::Ready(output) =
                        coop::with_unconstrained(|| future.as_mut().poll(&mut task_cx))
                {
                    return Ok(output);
                }
                std::thread::park_timeout(std::time::Duration::from_millis(10));
            }
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
/// whatever the future does, a look at the reactor, then (if the future
/// was not woken) the worker loop, which parks when nothing is runnable
/// and returns once the future is woken.
fn turn(cx: &Rc<WorkerContext>, mut core: Box<Core>, stop: &AtomicBool) -> Box<Core> {
    for _ in 0..TASKS_PER_TURN {
        if cx.shared.is_shutdown() {
            return core;
        }
        let Some(task) = cx.next_task(&mut core) else {
            break;
        };
        core = cx.run_task(task, core);
    }
    core = cx.poll_driver(core);
    if stop.load(std::sync::atomic::Ordering::Acquire) {
        return core;
    }
    cx.run(core)
}
