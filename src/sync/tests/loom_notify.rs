//! Loom models of `Notify`.
//!
//! What is checked, each against another thread:
//! - `notify_one` racing the first poll of `notified` is never lost: the
//!   permit is stored and taken, or the waiter is queued and woken; and
//!   nothing is left over (`notify_one_racing_notified`);
//! - `notify_waiters` racing a new waiter: a `Notified` made before the
//!   call completes (made, not even polled), and a waiter that arrives
//!   during the call either completes by it or waits for the next
//!   notification, which then reaches it
//!   (`notify_waiters_racing_a_new_waiter`);
//! - a waiter chosen by `notify_one` and dropped before it saw it passes
//!   the notification on to the next waiter
//!   (`dropped_chosen_waiter_passes_notify_one_on`).
//!
//! A lost wake-up shows as a loom deadlock (`block_on` parks forever).
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`

use crate::loom::Arc;
use crate::loom::model::block_on;
use crate::sync::Notify;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

fn is_ready(notify: &Notify) -> bool {
    pin!(notify.notified())
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_ready()
}

#[test]
fn notify_one_racing_notified() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        block_on(notify.notified());
        notifier.join().unwrap();
        assert!(!is_ready(&notify), "the one notification was used once");
    });
}

#[test]
fn notify_waiters_racing_a_new_waiter() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let early = notify.notified();
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_waiters())
        };
        let late = {
            let notify = notify.clone();
            thread::spawn(move || block_on(notify.notified()))
        };
        block_on(early);
        notifier.join().unwrap();
        // The late waiter completed by `notify_waiters`, or waits, queued,
        // for this.
        notify.notify_one();
        late.join().unwrap();
    });
}

#[test]
fn dropped_chosen_waiter_passes_notify_one_on() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let mut first = Box::pin(notify.notified());
        let mut second = Box::pin(notify.notified());
        assert!(!first.as_mut().enable());
        assert!(!second.as_mut().enable());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        drop(first);
        block_on(second);
        notifier.join().unwrap();
        assert!(!is_ready(&notify), "no permit was stored besides");
    });
}
