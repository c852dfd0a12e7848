//! Running one future to completion on the calling thread.
//!
//! The thread parks between polls and its waker unparks it. This is not
//! part of the loom models (it is the classic thread-parking executor of
//! `futures::executor::block_on`), so it uses std's thread and `Arc`
//! directly: `std::task::Wake` needs std's `Arc`.

use super::Handle;
use super::context;
use super::panic::Panics;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread blocked in `block_on`.
struct ThreadWaker {
    thread: Thread,
    /// Set by a wake, cleared by the parked thread: a wake between polls is
    /// never slept through, and repeated wakes make one syscall.
    notified: AtomicBool,
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
    fn park(&self) {
        // Acquire: see `wake_by_ref`.
        while !self.notified.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}

thread_local! {
    /// One waker per thread, made on its first `block_on`.
    static THREAD_WAKER: Arc<ThreadWaker> =
        Arc::new(ThreadWaker { thread: thread::current(), notified: AtomicBool::new(false) });
    /// The blocking forms' own waker (see `park_on`).
    static PARK_ON_WAKER: Arc<ThreadWaker> =
        Arc::new(ThreadWaker { thread: thread::current(), notified: AtomicBool::new(false) });
}

/// Runs `future` on this thread, with `handle` as the current runtime.
#[track_caller]
pub(crate) fn block_on<F: Future>(handle: &Handle, future: F) -> F::Output {
    let _block_on = context::enter_block_on();
    let _enter = context::enter(handle.clone());
    let panics = &handle.shared.panics;
    if panics.shuts_down() {
        return block_on_watching(panics, future);
    }
    poll_parked(future)
}

/// `block_on` under `UnhandledPanic::ShutdownRuntime`: the panic wakes
/// this thread, which re-raises it before polling again. Apart, so the
/// common `block_on` stays as lean as it was.
#[cold]
fn block_on_watching<F: Future>(panics: &Panics, future: F) -> F::Output {
    let waker = Waker::from(THREAD_WAKER.with(Arc::clone));
    let _watch = panics.watch(&waker);
    let mut future = pin!(future);
    poll_parked(std::future::poll_fn(|cx| {
        panics.check();
        let poll = future.as_mut().poll(cx);
        // Also after a poll that finished: the panic's cancellations may
        // be what made the future ready (as tokio's `block_on` does).
        if poll.is_ready() {
            panics.check();
        }
        poll
    }))
}

/// Runs `future` on this thread without entering any runtime: the blocking
/// forms of channel and sync operations (`send_blocking`, `recv_blocking`),
/// for plain threads that exchange values with tasks.
///
/// Panics on a worker thread, where blocking would stall the tasks queued
/// there; `operation` names the call in the message.
#[track_caller]
pub(crate) fn park_on<F: Future>(operation: &str, future: F) -> F::Output {
    if super::scheduler::is_worker_thread() {
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
    poll_parked_with(PARK_ON_WAKER.with(Arc::clone), future)
}

/// Polls `future` until it is ready, parking the thread between polls.
fn poll_parked<F: Future>(future: F) -> F::Output {
    poll_parked_with(THREAD_WAKER.with(Arc::clone), future)
}

/// As `poll_parked`, woken through `parker`.
fn poll_parked_with<F: Future>(parker: Arc<ThreadWaker>, future: F) -> F::Output {
    let waker = Waker::from(parker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        // No budget here (nobody else runs on this thread to be starved),
        // also when this runs inside a task's poll (in a blocking job or
        // `block_in_place`), whose spent budget would otherwise make every
        // operation pend forever.
        if let Poll::Ready(output) =
            crate::task::coop::with_unconstrained(|| future.as_mut().poll(&mut cx))
        {
            return output;
        }
        parker.park();
    }
}
