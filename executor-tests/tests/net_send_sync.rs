//! `Send`, `Sync` and `Unpin` of every public type of the reactor and the
//! sockets, and `Send` of the futures their `async fn`s return, pinned at
//! compile time as `send_sync.rs` does for the runtime and tasks (the same
//! probe: a change to any of them breaks this file's build). Also pinned:
//! `Debug`, the std conversions both ways, `AsFd`/`AsRawFd`, and
//! `ReuniteError` being an error.

#![allow(dead_code, reason = "the checks are compiled, not run")]
#![cfg(unix)]

use bobbin::io::{Async, ReadyGuard};
use bobbin::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use bobbin::net::{tcp, unix};
use executor_tests::{assert_auto_traits, implements};
use std::os::fd::{AsFd, AsRawFd};
use std::rc::Rc;

// Sockets, their halves and incoming streams: every one can move to a task
// and be shared through an `Arc`.
assert_auto_traits!(TcpListener: Send, Sync, Unpin);
assert_auto_traits!(TcpStream: Send, Sync, Unpin);
assert_auto_traits!(tcp::Incoming<'static>: Send, Sync, Unpin);
assert_auto_traits!(tcp::OwnedReadHalf: Send, Sync, Unpin);
assert_auto_traits!(tcp::OwnedWriteHalf: Send, Sync, Unpin);
assert_auto_traits!(tcp::ReuniteError: Send, Sync, Unpin);
assert_auto_traits!(UdpSocket: Send, Sync, Unpin);
assert_auto_traits!(UnixListener: Send, Sync, Unpin);
assert_auto_traits!(UnixStream: Send, Sync, Unpin);
assert_auto_traits!(UnixDatagram: Send, Sync, Unpin);
assert_auto_traits!(unix::Incoming<'static>: Send, Sync, Unpin);
assert_auto_traits!(unix::OwnedReadHalf: Send, Sync, Unpin);
assert_auto_traits!(unix::OwnedWriteHalf: Send, Sync, Unpin);
assert_auto_traits!(unix::ReuniteError: Send, Sync, Unpin);

/// A mio source that is neither Send nor Sync, to pin that `Async<T>`
/// follows its `T`.
struct LocalSource(Rc<mio::net::UdpSocket>);

impl mio::event::Source for LocalSource {
    fn register(
        &mut self,
        _: &mio::Registry,
        _: mio::Token,
        _: mio::Interest,
    ) -> std::io::Result<()> {
        unreachable!("only compiled")
    }
    fn reregister(
        &mut self,
        _: &mio::Registry,
        _: mio::Token,
        _: mio::Interest,
    ) -> std::io::Result<()> {
        unreachable!("only compiled")
    }
    fn deregister(&mut self, _: &mio::Registry) -> std::io::Result<()> {
        unreachable!("only compiled")
    }
}

// `Async<T>` is Send and Sync when its source is; always Unpin. A guard
// borrows its `Async`, so it is Send when the `Async` is Sync.
assert_auto_traits!(Async<mio::net::TcpStream>: Send, Sync, Unpin);
assert_auto_traits!(Async<mio::net::UdpSocket>: Send, Sync, Unpin);
assert_auto_traits!(Async<LocalSource>: !Send, !Sync, Unpin);
assert_auto_traits!(ReadyGuard<'static, mio::net::TcpStream>: Send, Sync, Unpin);
assert_auto_traits!(ReadyGuard<'static, LocalSource>: !Send, !Sync, Unpin);

// Debug on every type (the crate warns on a missing one; pinned here).
const _: () = assert!(
    implements!(TcpListener: std::fmt::Debug)
        && implements!(TcpStream: std::fmt::Debug)
        && implements!(tcp::Incoming<'static>: std::fmt::Debug)
        && implements!(tcp::OwnedReadHalf: std::fmt::Debug)
        && implements!(tcp::OwnedWriteHalf: std::fmt::Debug)
        && implements!(UdpSocket: std::fmt::Debug)
        && implements!(UnixListener: std::fmt::Debug)
        && implements!(UnixStream: std::fmt::Debug)
        && implements!(UnixDatagram: std::fmt::Debug)
        && implements!(unix::Incoming<'static>: std::fmt::Debug)
        && implements!(unix::OwnedReadHalf: std::fmt::Debug)
        && implements!(unix::OwnedWriteHalf: std::fmt::Debug)
        && implements!(Async<mio::net::TcpStream>: std::fmt::Debug)
        && implements!(ReadyGuard<'static, mio::net::TcpStream>: std::fmt::Debug)
);
const _: () = assert!(
    implements!(tcp::ReuniteError: std::error::Error)
        && implements!(unix::ReuniteError: std::error::Error)
);

// Conversions from and into std's types, both ways, and the descriptor.
const _: () = assert!(
    implements!(TcpListener: TryFrom<std::net::TcpListener>)
        && implements!(std::net::TcpListener: TryFrom<TcpListener>)
        && implements!(TcpStream: TryFrom<std::net::TcpStream>)
        && implements!(std::net::TcpStream: TryFrom<TcpStream>)
        && implements!(UdpSocket: TryFrom<std::net::UdpSocket>)
        && implements!(std::net::UdpSocket: TryFrom<UdpSocket>)
        && implements!(UnixListener: TryFrom<std::os::unix::net::UnixListener>)
        && implements!(std::os::unix::net::UnixListener: TryFrom<UnixListener>)
        && implements!(UnixStream: TryFrom<std::os::unix::net::UnixStream>)
        && implements!(std::os::unix::net::UnixStream: TryFrom<UnixStream>)
        && implements!(UnixDatagram: TryFrom<std::os::unix::net::UnixDatagram>)
        && implements!(std::os::unix::net::UnixDatagram: TryFrom<UnixDatagram>)
);
const _: () = assert!(
    implements!(TcpListener: AsFd)
        && implements!(TcpStream: AsFd)
        && implements!(UdpSocket: AsFd)
        && implements!(UnixListener: AsFd)
        && implements!(UnixStream: AsFd)
        && implements!(UnixDatagram: AsFd)
        && implements!(TcpListener: AsRawFd)
        && implements!(TcpStream: AsRawFd)
        && implements!(UdpSocket: AsRawFd)
        && implements!(UnixListener: AsRawFd)
        && implements!(UnixStream: AsRawFd)
        && implements!(UnixDatagram: AsRawFd)
);

fn require_send<T: Send>(_: &T) {}

/// The futures of the `async fn`s can be spawned: they are Send.
#[allow(clippy::too_many_arguments, reason = "one of each type")]
async fn futures_are_send(
    tcp_listener: TcpListener,
    tcp_stream: TcpStream,
    read_half: tcp::OwnedReadHalf,
    udp: UdpSocket,
    unix_listener: UnixListener,
    datagram: UnixDatagram,
    source: Async<mio::net::UdpSocket>,
    mut source_mut: Async<mio::net::UdpSocket>,
) {
    let addr = "127.0.0.1:1";
    let mut buf = [0u8; 8];
    require_send(&TcpListener::bind(addr));
    require_send(&tcp_listener.accept());
    require_send(&TcpStream::connect(addr));
    require_send(&tcp_stream.peek(&mut buf));
    require_send(&tcp_stream.readable());
    require_send(&tcp_stream.writable());
    require_send(&read_half.peek(&mut buf));
    require_send(&UdpSocket::bind(addr));
    require_send(&udp.connect(addr));
    require_send(&udp.send_to(b"", addr));
    require_send(&udp.recv_from(&mut buf));
    require_send(&udp.peek_from(&mut buf));
    require_send(&udp.send(b""));
    require_send(&udp.recv(&mut buf));
    require_send(&UnixStream::connect("/nowhere"));
    require_send(&unix_listener.accept());
    require_send(&datagram.send_to(b"", "/nowhere"));
    require_send(&datagram.recv_from(&mut buf));
    require_send(&datagram.send(b""));
    require_send(&datagram.recv(&mut buf));
    require_send(&source.readable());
    require_send(&source.writable());
    require_send(&source.read_with(|socket| socket.recv(&mut [0u8; 1])));
    require_send(&source.write_with(|socket| socket.send(b"")));
    require_send(&source_mut.read_with_mut(|socket| socket.recv(&mut [0u8; 1])));
    require_send(&source_mut.write_with_mut(|socket| socket.send(b"")));
}

#[test]
fn the_probe_tells_true_from_false() {
    assert!(implements!(TcpStream: Send));
    assert!(!implements!(Rc<()>: Send));
    assert!(!implements!(LocalSource: Sync));
    assert!(!implements!(std::cell::Cell<()>: Sync));
}
