//! Running one future to completion on the calling thread, with a runtime
//! current: the thread parks between polls (`task::park`) and its waker
//! unparks it.

use super::Handle;
use super::context;
use super::panic::Panics;
use crate::task::park::{poll_parked_with, thread_waker};
use std::future::Future;
use std::pin::pin;
use std::task::Waker;

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
    let waker = Waker::from(thread_waker());
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

/// Polls `future` until it is ready, parking the thread between polls.
fn poll_parked<F: Future>(future: F) -> F::Output {
    poll_parked_with(thread_waker(), future)
}
