//! Channels: tasks that share by communicating, with Go's semantics.
//!
//! - [`bounded(n)`](bounded) buffers up to `n` values; a send waits while
//!   it is full. `bounded(0)` is a rendezvous, as Go's unbuffered channel:
//!   a send completes when a receiver takes the value.
//! - [`unbounded()`](unbounded) never makes a send wait.
//! - [`oneshot()`](fn@oneshot) carries one value, for replies.
//! - [`broadcast(n)`](fn@broadcast) gives every value to every receiver,
//!   keeping the last `n` for receivers that fall behind (they are told
//!   how many they missed).
//! - [`watch(value)`](fn@watch) holds one value that senders replace;
//!   receivers see the latest and can wait for it to change.
//!
//! The channels of `bounded`, `unbounded` and `oneshot` deliver each value
//! to exactly one receiver; the rest of this page is about them.
//! [`Sender`] and [`Receiver`] are both `Clone`: any number of producers and
//! consumers, each value delivered to exactly one receiver. Dropping every
//! sender, or calling `close` on any handle, closes the channel: receivers
//! drain what is buffered and then get [`RecvError`], and every waiting
//! receiver is woken. Sending on a closed channel hands the value back in
//! the error (where Go panics). Dropping every receiver closes it too, so
//! sends fail rather than fill a buffer nobody reads.
//!
//! Tasks waiting to send, and tasks waiting to receive, are woken in the
//! order they started waiting. A buffered channel lets one thing pass them:
//! a `send` (or `recv`) that arrives while no task waits in line unwoken
//! takes the free slot (or value) it finds, even one a woken task has not
//! come back for yet, rather than park behind it; that task then waits at
//! the front again. Once one is passed over again a millisecond or more
//! after the first time, newcomers leave woken tasks their share until it
//! is served or dropped (Go's `sync.Mutex` bounds its barging in a similar
//! way). A running producer thus keeps filling a full channel instead of
//! parking behind every woken one. `send` and `recv` are cancel-safe: a
//! future dropped before it completes sends or takes nothing, so both can be
//! [`select!`](crate::select!) branches in a loop. The blocking forms
//! ([`Sender::send_blocking`], [`Receiver::recv_blocking`]) connect plain
//! threads with tasks. `Receiver` is a [`Stream`](futures_core::Stream) and
//! `Sender` a [`Sink`](futures_sink::Sink), for the futures ecosystem.
//!
//! Every `send` and `recv` (and their `Stream`/`Sink` forms) that
//! completes spends a unit of the task's cooperative budget (see
//! [`task::consume_budget`](crate::task::consume_budget)): after 128
//! completed operations in one poll (up to 61 budgets, a few hundred
//! microseconds with the default long-poll threshold, where the budget is
//! renewed: only the tasks the poll itself woke are waiting, and other
//! workers can take them), the next returns `Pending` and lets the
//! worker's other tasks run, so a task receiving from a channel that is
//! never empty does not starve them. The `try_*` forms spend nothing.
//!
//! One caveat on rendezvous channels (capacity 0), where whoever comes
//! second completes the exchange: a send waiting as a `select!` branch, whose
//! value a receiver takes while the `select!` picks another ready branch,
//! has been sent though its branch does not run. Go closes this window with
//! locks across every channel of a `select`; futures cannot. Buffered
//! channels have no such window.
//!
//! # Examples
//! ```
//! use bobbin::channel;
//! # bobbin::block_on(async {
//! // A pipeline: generate → square → sum.
//! let (numbers_tx, numbers_rx) = channel::bounded(16);
//! let (squares_tx, squares_rx) = channel::bounded(16);
//! bobbin::spawn(async move {
//!     for n in 1..=10u64 {
//!         numbers_tx.send(n).await.unwrap();
//!     }
//! });
//! bobbin::spawn(async move {
//!     while let Ok(n) = numbers_rx.recv().await {
//!         squares_tx.send(n * n).await.unwrap();
//!     }
//! });
//! let mut sum = 0;
//! while let Ok(square) = squares_rx.recv().await {
//!     sum += square;
//! }
//! assert_eq!(sum, 385);
//! # });
//! ```
#![deny(unsafe_code)]

pub mod broadcast;
mod chan;
mod error;
// The one exception to the module's safe code: an atomic state word in
// place of a lock, so a task parked on a oneshot costs less memory (see
// the rules in oneshot.rs).
#[allow(
    unsafe_code,
    reason = "the oneshot's atomic state word and slots; see its rules"
)]
pub mod oneshot;
mod receiver;
mod rendezvous;
pub(crate) mod select;
mod sender;
mod waiters;
pub mod watch;

#[cfg(all(test, loom))]
mod tests;

/// A value that counts its drops: the oneshot's unit tests and loom models
/// check with it that each sent value is dropped exactly once.
#[cfg(test)]
struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

#[cfg(test)]
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

pub use broadcast::broadcast;
pub use error::{RecvError, SendError, TryRecvError, TrySendError};
pub use receiver::{Receiver, RecvFuture};
pub use sender::{SendFuture, Sender};
pub use watch::watch;

use crate::loom::Arc;
use chan::Chan;

/// A channel that buffers up to `capacity` values; a send waits while it is
/// full. `bounded(0)` is a rendezvous: a send waits until a receiver takes
/// the value (Go's unbuffered channel).
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::bounded(2);
/// tx.send(1).await.unwrap();
/// tx.send(2).await.unwrap();
/// assert!(tx.try_send(3).is_err(), "full");
/// assert_eq!(rx.recv().await, Ok(1));
/// # });
/// ```
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    pair(Chan::new(Some(capacity)))
}

/// A channel without a bound: a send never waits (and memory grows with
/// what is buffered).
///
/// # Examples
/// ```
/// let (tx, rx) = bobbin::channel::unbounded();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    pair(Chan::new(None))
}

/// A channel for one value: the [`oneshot::Sender`] is consumed by its
/// send, the [`oneshot::Receiver`] is a future of the value.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let (reply, answer) = bobbin::channel::oneshot();
/// bobbin::spawn(async move { reply.send("pong").unwrap() });
/// assert_eq!(answer.await, Ok("pong"));
/// # });
/// ```
pub fn oneshot<T>() -> (oneshot::Sender<T>, oneshot::Receiver<T>) {
    oneshot::channel()
}

fn pair<T>(chan: Chan<T>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(chan);
    (Sender::new(chan.clone()), Receiver::new(chan))
}
