//! Signals: wait for Ctrl-C ([`ctrl_c`]) or any Unix signal
//! ([`unix::signal`]) as a future, delivered through the reactor.
//!
//! What lives here: `registry.rs` is the process-wide part (the handlers,
//! the pipe they write to, each signal's delivery count and waiting
//! listeners); `unix.rs` the listener, [`unix::Signal`], and
//! [`unix::SignalKind`]. A handler does no work beyond an atomic store and
//! a one-byte write; listeners drain the pipe and count deliveries
//! (see `registry.rs` for why no wake-up is lost).
//!
//! Tested by the unit tests in `registry.rs` and by
//! `executor-tests/tests/signal_*.rs`, which raise real signals in child
//! processes so that handlers do not leak between tests.

#![deny(unsafe_code)]

#[allow(
    unsafe_code,
    reason = "installing a handler and writing from it are unsafe by nature; see registry.rs"
)]
mod registry;
pub mod unix;

use std::io;

/// Waits for the next Ctrl-C (SIGINT).
///
/// The call (not the first poll) installs a SIGINT handler for the rest of
/// the process and starts listening: a Ctrl-C that comes after the call is
/// not lost, however late the future is polled. From then on Ctrl-C no
/// longer ends the program, which decides what to do (stop accepting,
/// finish what is in flight, exit).
///
/// # Errors
/// If the handler cannot be installed or the listener cannot be
/// registered with the reactor (out of file descriptors), or if the
/// runtime it was registered with shuts down before a Ctrl-C comes.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let ctrl_c = bobbin::signal::ctrl_c();
/// // SAFETY: raising a signal the listener above handles.
/// unsafe { libc::raise(libc::SIGINT) };
/// ctrl_c.await.unwrap();
/// println!("stopping");
/// # });
/// ```
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> + Send + 'static {
    let listener = unix::signal(unix::SignalKind::interrupt());
    async move {
        listener?.recv().await.ok_or_else(|| {
            io::Error::other("the runtime this Ctrl-C listener was registered with has shut down")
        })
    }
}
