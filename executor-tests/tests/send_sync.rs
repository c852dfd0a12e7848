//! `Send`, `Sync` and `Unpin` of every public type and future, pinned at
//! compile time (as tokio's `tests/async_send_sync.rs`): a change to any of
//! them breaks this file's build, or (for the one open question below) a
//! test.
//!
//! How: `implements!(T: Trait)` is a `const bool`, true iff `T: Trait`. An
//! inherent associated const on `Probe<T>` whose impl requires `T: Trait`
//! wins over the trait's default when the bound holds (the `impls` crate's
//! trick), so negative facts (`EnterGuard` is not `Send`) are pinned as
//! easily as positive ones. Futures returned by `async fn`s have no name, so
//! their checks take a value (`require_*`), in functions compiled but never
//! run.

#![allow(dead_code, reason = "the checks are compiled, not run")]

use bobbin::Runtime;
use bobbin::runtime::{Builder, EnterGuard, Handle, TryCurrentError};
use bobbin::task::{self, AbortHandle, AbortOnDrop, Id, JoinError, JoinHandle, JoinSet};
use executor_tests::{assert_auto_traits, implements};
use std::cell::Cell;
use std::marker::PhantomPinned;
use std::rc::Rc;

type NotSend = Rc<()>;
type NotSync = Cell<()>;
type NotUnpin = PhantomPinned;

// The runtime.
assert_auto_traits!(Runtime: Send, Sync, Unpin);
assert_auto_traits!(Handle: Send, Sync, Unpin);
assert_auto_traits!(Builder: Send, Sync, Unpin);
assert_auto_traits!(TryCurrentError: Send, Sync, Unpin);
// Entering a runtime is per thread: the guard stays where it was made.
assert_auto_traits!(EnterGuard<'static>: !Send, !Sync, Unpin);
const _: () =
    assert!(implements!(Handle: Clone) && implements!(TryCurrentError: std::error::Error));

// Tasks. A JoinHandle is Send and Sync exactly when its output is Send, and
// always Unpin.
assert_auto_traits!(JoinHandle<()>: Send, Sync, Unpin);
assert_auto_traits!(JoinHandle<NotSync>: Send, Sync, Unpin);
assert_auto_traits!(JoinHandle<NotSend>: !Send, !Sync, Unpin);
const _: () = assert!(implements!(JoinHandle<NotUnpin>: Unpin));
assert_auto_traits!(AbortOnDrop<()>: Send, Sync, Unpin);
assert_auto_traits!(AbortOnDrop<NotSend>: !Send, !Sync, Unpin);
const _: () = assert!(implements!(AbortOnDrop<NotUnpin>: Unpin));
assert_auto_traits!(AbortHandle: Send, Sync, Unpin);
assert_auto_traits!(JoinSet<()>: Send, Sync, Unpin);
assert_auto_traits!(JoinSet<NotSend>: !Send, !Sync, Unpin);
assert_auto_traits!(task::Builder<'static>: Send, Sync, Unpin);
assert_auto_traits!(Id: Send, Sync, Unpin);
// Unconstrained is exactly what its future is.
assert_auto_traits!(task::Unconstrained<std::future::Ready<()>>: Send, Sync, Unpin);
assert_auto_traits!(task::Unconstrained<std::future::Ready<NotSend>>: !Send, !Sync, Unpin);
assert_auto_traits!(task::Unconstrained<std::future::Ready<NotSync>>: Send, !Sync, Unpin);
const _: () = assert!(!implements!(task::Unconstrained<PinnedFuture>: Unpin));

/// A future that is not `Unpin`.
struct PinnedFuture(NotUnpin);

impl std::future::Future for PinnedFuture {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Ready(())
    }
}
const _: () = assert!(
    implements!(Id: Copy)
        && implements!(Id: Eq)
        && implements!(Id: Ord)
        && implements!(Id: std::hash::Hash)
);
const _: () = assert!(implements!(AbortHandle: Clone));
const _: () = assert!(implements!(JoinError: std::error::Error) && implements!(JoinError: Send));
const _: () = assert!(implements!(JoinError: Unpin));

fn require_send<T: Send>(_: &T) {}
fn require_sync<T: Sync>(_: &T) {}
fn require_unpin<T: Unpin>(_: &T) {}

/// The futures of `async fn`s: Send whenever their output and set are.
fn futures_are_send_and_sync() {
    let yield_now = task::yield_now();
    require_send(&yield_now);
    require_sync(&yield_now);
    let consume_budget = task::consume_budget();
    require_send(&consume_budget);
    require_sync(&consume_budget);

    let mut set = JoinSet::<u8>::new();
    let next = set.join_next();
    require_send(&next);
    require_sync(&next);
    drop(next);
    let shutdown = set.shutdown();
    require_send(&shutdown);
    require_sync(&shutdown);
    drop(shutdown);
    let all = set.join_all();
    require_send(&all);
    require_sync(&all);

    let handle: JoinHandle<u8> = bobbin::spawn(async { 1 });
    require_unpin(&handle);
}

/// JoinError is Send; it is not Sync, unlike tokio's, so it cannot go into
/// `Box<dyn Error + Send + Sync>` (what `?` converts to in most
/// applications) or `anyhow::Error`. This test pins that gap until it is
/// decided (and fails while it stays open).
#[test]
fn join_error_is_sync_like_tokios() {
    assert!(
        implements!(JoinError: Sync),
        "JoinError is not Sync: `Box<dyn std::error::Error + Send + Sync>::from(join_error)` \
         and anyhow cannot take it (tokio's JoinError is Sync: it wraps the panic payload in a \
         SyncWrapper)"
    );
}

#[test]
fn the_probe_tells_true_from_false() {
    // The macro itself, on types whose traits are known.
    assert!(implements!(u8: Send));
    assert!(!implements!(NotSend: Send));
    assert!(!implements!(NotSync: Sync));
    assert!(!implements!(NotUnpin: Unpin));
    assert!(implements!(String: Clone));
}
