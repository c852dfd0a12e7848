//! `Send`, `Sync` and `Unpin` of the timers' public types and futures,
//! pinned at compile time as `send_sync.rs` does for the runtime (the same
//! probe: a change to any of them breaks this file's build). Also pinned:
//! `Elapsed` is a copyable error, `MissedTickBehavior` a copyable enum with
//! a default, `Interval` a `Stream`, every type `Debug`.

#![allow(dead_code, reason = "the checks are compiled, not run")]

use bobbin::time::{Elapsed, Interval, MissedTickBehavior, Sleep, Timeout};
use executor_tests::{assert_auto_traits, implements};
use std::cell::Cell;
use std::marker::PhantomPinned;
use std::rc::Rc;

type NotSend = Rc<()>;
type NotSync = Cell<()>;

// A sleep moves between threads and tasks (reset or dropped anywhere).
assert_auto_traits!(Sleep: Send, Sync, Unpin);
assert_auto_traits!(Interval: Send, Sync, Unpin);
assert_auto_traits!(Elapsed: Send, Sync, Unpin);
assert_auto_traits!(MissedTickBehavior: Send, Sync, Unpin);
// A timeout is as Send, Sync and Unpin as its future.
assert_auto_traits!(Timeout<std::future::Ready<()>>: Send, Sync, Unpin);
assert_auto_traits!(Timeout<std::future::Ready<NotSync>>: Send, !Sync, Unpin);
assert_auto_traits!(Timeout<std::future::Ready<NotSend>>: !Send, !Sync, Unpin);
const _: () = assert!(!implements!(Timeout<NotUnpinFuture>: Unpin));

const _: () = assert!(
    implements!(Elapsed: std::error::Error)
        && implements!(Elapsed: Copy)
        && implements!(Elapsed: Eq)
        && implements!(MissedTickBehavior: Copy)
        && implements!(MissedTickBehavior: Eq)
        && implements!(MissedTickBehavior: Default)
        && implements!(Interval: futures::Stream)
        && implements!(Sleep: std::fmt::Debug)
        && implements!(Interval: std::fmt::Debug)
        && implements!(Timeout<std::future::Ready<()>>: std::fmt::Debug)
        && implements!(std::io::Error: From<Elapsed>)
);

/// A future that is not `Unpin` (a timeout of it is not either).
struct NotUnpinFuture(PhantomPinned);

impl std::future::Future for NotUnpinFuture {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Ready(())
    }
}

fn require_send<T: Send>(_: &T) {}

/// `Interval::tick`'s future (an `async fn`'s, so it has no name) can be
/// held across an `.await` in a spawned task.
fn tick_future_is_send(interval: &mut Interval) {
    require_send(&interval.tick());
}
