//! Networking: TCP, UDP and Unix-domain sockets whose operations park the
//! task until the socket is ready.
//!
//! What lives here: [`TcpListener`] and [`TcpStream`] (in [`tcp`], with the
//! stream's owned halves and the listener's `Incoming` stream),
//! [`UdpSocket`] (`udp.rs`), and on Unix [`UnixListener`], [`UnixStream`]
//! and [`UnixDatagram`] (in [`unix`]). Private helpers: `addr.rs` (resolve
//! an address, try each), `backoff.rs` (the accept loop's back-off).
//!
//! Why it is built this way: every type is a thin wrapper around a mio
//! socket in [`crate::io::Async`], which registers it with the I/O driver
//! of the runtime it was created in (the global runtime outside any) and
//! runs each operation until it stops reporting `WouldBlock`, parking the
//! task in between. So this module holds no readiness logic of its own:
//! one correct loop (in `io/registration.rs`) serves every socket, and
//! these files are about socket semantics. The names and signatures are
//! tokio's (and smol's), so code ports with few edits; the streams
//! implement `futures::io::{AsyncRead, AsyncWrite}`, for `&T` as well as
//! `T`, so every futures-io based library works on them unchanged. An
//! alternative rejected: handing users `Async<mio::net::TcpStream>` as
//! async-io hands out `Async<std::net::TcpStream>`; named types document
//! their own semantics (what `close` does, what is cancel safe), keep mio
//! out of the signatures, and are what tokio code expects.
//!
//! Invariants:
//! - Every socket is non-blocking and registered exactly once, for its
//!   whole life: constructors and `from_std` set non-blocking before
//!   registering, `into_std` deregisters before handing the socket back.
//! - Readiness is only consumed through `Async`'s `poll_*_with` and its
//!   `try_*_with` (the `try_*` methods, which check readiness without
//!   registering a waker), so an operation that would block always clears
//!   the readiness it saw and no edge is lost.
//! - The owned halves of a stream share one `Arc` of it; the socket closes
//!   when the last half is dropped, and the write half shuts down the write
//!   side when dropped unless forgotten or reunited.
//! - An `Incoming` stream that hits `EMFILE`/`ENFILE`/`ENOBUFS`/`ENOMEM`
//!   yields the error once, then waits (1 ms doubling to 1 s, reset by a
//!   success) on a timer of the listener's runtime before accepting again,
//!   so an accept loop under descriptor exhaustion neither spins nor dies.
//!   `accept` itself returns every error at once.
//!
//! Host names: the constructors take bobbin's [`ToSocketAddrs`] (std's
//! list of argument types, sealed); a literal address resolves inline and
//! a name is looked up by std's resolver on the blocking pool
//! ([`lookup_host`]), so no worker waits for DNS.
//!
//! Caveats: an accepted stream is
//! registered with the runtime current where `accept` runs (normally the
//! listener's own).
//!
//! How it is tested: every public item has a doc example that runs (echo
//! round trips, half-close, refused connections, split halves, UDP and
//! Unix round trips); `tests.rs` has the cross-type unit tests (echo and
//! half-close under the global runtime, concurrent readers and writers on
//! one socket, readiness after `WouldBlock`, a socket whose runtime shut
//! down failing with a clear error, `Send`/`Sync`, and the accept back-off
//! under a real `EMFILE` in a child process with a lowered descriptor
//! limit); `backoff.rs` tests the wait schedule and the `errno` table;
//! `udp.rs` that dropping and `into_std` deregister. The runtime-level
//! tests of issue 3 (1000 connections on two workers, peer reset, runtime
//! drop while tasks wait on sockets) belong in `executor-tests/`, which
//! uses only the public API.

#![forbid(unsafe_code)]

pub(crate) mod addr;
mod backoff;
mod stream_io;
pub mod tcp;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use addr::{ToSocketAddrs, lookup_host};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};

#[cfg(all(test, not(loom)))]
mod tests;
