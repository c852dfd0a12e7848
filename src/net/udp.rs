//! `UdpSocket`: datagrams, sent and received by any number of tasks.

use crate::io::Async;
use crate::net::addr::{ToSocketAddrs, each_addr, no_addresses, resolve};
use std::io;
use std::net::SocketAddr;

/// A UDP socket.
///
/// Every method takes `&self`, so one socket can be shared (in an `Arc`)
/// by several tasks, some sending while others receive. Each datagram is
/// sent or received whole, by one call.
///
/// Without [`connect`](UdpSocket::connect), use
/// [`send_to`](UdpSocket::send_to) and [`recv_from`](UdpSocket::recv_from);
/// after it, [`send`](UdpSocket::send) and [`recv`](UdpSocket::recv) talk
/// to the one peer (and datagrams from others that arrive after the
/// `connect` are dropped by the system; ones already queued are still
/// received).
///
/// # Examples
/// ```
/// use bobbin::net::UdpSocket;
/// # bobbin::block_on(async {
/// let server = UdpSocket::bind("127.0.0.1:0").await?;
/// let client = UdpSocket::bind("127.0.0.1:0").await?;
/// client.send_to(b"ping", server.local_addr()?).await?;
///
/// let mut buf = [0u8; 16];
/// let (n, from) = server.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr()?));
/// server.send_to(b"pong", from).await?;
///
/// let (n, from) = client.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"pong"[..], server.local_addr()?));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: Async<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Creates a socket bound to `addr`, registered with the current
    /// runtime (or the global one).
    ///
    /// Each address `addr` resolves to is tried in turn until one binds.
    /// Port 0 asks the system for a free port.
    ///
    /// # Errors
    /// The last address's error if none binds; `InvalidInput` if `addr`
    /// resolves to no address; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// A literal address completes at the first poll; a host name waits
    /// for its lookup on the blocking pool (dropping the future then
    /// abandons it), so there is nothing to lose.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let socket = each_addr(resolve(addr).await?, mio::net::UdpSocket::bind)?;
        Ok(UdpSocket {
            io: Async::new(socket)?,
        })
    }

    /// Sets the peer: [`send`](UdpSocket::send) goes to it, and only its
    /// datagrams are received from now on (datagrams from others queued
    /// before the call are still received).
    ///
    /// Each address `addr` resolves to is tried in turn until one is
    /// accepted (for UDP nothing is sent: the system only records it).
    ///
    /// # Errors
    /// The last address's error; `InvalidInput` if `addr` resolves to no
    /// address.
    ///
    /// # Cancel safety
    /// A literal address completes at the first poll; a host name waits
    /// for its lookup on the blocking pool (dropping the future then
    /// abandons it), so there is nothing to lose.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(resolve(addr).await?, |addr| self.io.get_ref().connect(addr))
    }

    /// Sends `buf` as one datagram to `target`; returns the number of bytes
    /// sent (all of them: a datagram is never split).
    ///
    /// If `target` resolves to several addresses, the first is used.
    ///
    /// # Errors
    /// The operating system's error (a datagram too large for the socket
    /// is an error, not truncated); `InvalidInput` if `target` resolves to
    /// no address; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// was sent.
    ///
    /// # Caveats
    /// A host name is resolved on every call, blocking the thread while
    /// the system resolver runs; resolve it once and pass the address.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// let target = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_eq!(socket.send_to(b"hello", target.local_addr()?).await?, 5);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        // The first address the target resolves to.
        let target = resolve(target)
            .await?
            .into_iter()
            .next()
            .ok_or_else(no_addresses)?;
        self.io
            .write_with(|socket| socket.send_to(buf, target))
            .await
    }

    /// Waits for a datagram, copies it into `buf`, and returns its length
    /// and sender.
    ///
    /// A datagram longer than `buf` is truncated: the rest is lost.
    ///
    /// # Errors
    /// The operating system's error; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, no
    /// datagram was taken from the socket.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// socket.send_to(b"to myself", socket.local_addr()?).await?;
    /// let mut buf = [0u8; 32];
    /// let (n, from) = socket.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from), (&b"to myself"[..], socket.local_addr()?));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// As [`recv_from`](UdpSocket::recv_from), but leaves the datagram in
    /// the socket: the next receive returns it again.
    ///
    /// # Errors
    /// The operating system's error; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: peeking takes nothing, dropped or not.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// socket.send_to(b"again", socket.local_addr()?).await?;
    /// let mut buf = [0u8; 8];
    /// let (n, _) = socket.peek_from(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"again");
    /// let (n, _) = socket.recv_from(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"again");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.peek_from(buf)).await
    }

    /// Sends `buf` as one datagram to the peer set by
    /// [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// `NotConnected` without a peer; `ConnectionRefused` if an earlier
    /// datagram to the peer was refused (nobody listens there); the
    /// operating system's other errors; an error if the runtime has shut
    /// down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// was sent.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// assert_eq!(a.send(b"hi").await?, 2);
    /// let mut buf = [0u8; 2];
    /// assert_eq!(b.recv_from(&mut buf).await?, (2, a.local_addr()?));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Waits for a datagram from the peer set by
    /// [`connect`](UdpSocket::connect) and copies it into `buf` (truncated
    /// if longer); returns its length.
    ///
    /// # Errors
    /// `ConnectionRefused` if an earlier datagram to the peer was refused;
    /// the operating system's other errors; an error if the runtime has
    /// shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, no
    /// datagram was taken from the socket.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// b.connect(a.local_addr()?).await?;
    /// a.send(b"one").await?;
    /// let mut buf = [0u8; 8];
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"one");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Waits until the socket is readable (or closed, or in error).
    ///
    /// Readiness is a hint: follow it with a `try_*` read and wait again
    /// if that reports `WouldBlock`.
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    /// See [`try_recv`](UdpSocket::try_recv).
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await.map(drop)
    }

    /// Waits until the socket is writable (or closed, or in error).
    ///
    /// Readiness is a hint: follow it with a `try_*` write and wait again
    /// if that reports `WouldBlock`.
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// socket.writable().await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await.map(drop)
    }

    /// Receives a datagram on a connected socket if one is there, without
    /// waiting; returns its length.
    ///
    /// # Errors
    /// `WouldBlock` if nothing has arrived (the readiness is then reset:
    /// [`readable`](UdpSocket::readable) waits for more); the operating
    /// system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// b.connect(a.local_addr()?).await?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.writable().await?;
    /// a.try_send(b"hi")?;
    /// let n = loop {
    ///     b.readable().await?;
    ///     match b.try_recv(&mut buf) {
    ///         Ok(n) => break n,
    ///         Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///         Err(err) => return Err(err),
    ///     }
    /// };
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read_with(|socket| socket.recv(buf))
    }

    /// Sends a datagram on a connected socket if there is room, without
    /// waiting; returns the bytes sent.
    ///
    /// # Errors
    /// `WouldBlock` if the send buffer is full (the readiness is then
    /// reset: [`writable`](UdpSocket::writable) waits for room); the
    /// operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// See [`try_recv`](UdpSocket::try_recv).
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write_with(|socket| socket.send(buf))
    }

    /// Receives a datagram if one is there, without waiting; returns its
    /// length and where it came from.
    ///
    /// # Errors
    /// As [`try_recv`](UdpSocket::try_recv).
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// let mut buf = [0u8; 8];
    /// let err = socket.try_recv_from(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_read_with(|socket| socket.recv_from(buf))
    }

    /// Sends a datagram to `target` if there is room, without waiting;
    /// returns the bytes sent.
    ///
    /// # Errors
    /// As [`try_send`](UdpSocket::try_send).
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.writable().await?;
    /// assert_eq!(a.try_send_to(b"x", b.local_addr()?)?, 1);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_write_with(|socket| socket.send_to(buf, target))
    }

    /// The address this socket is bound to.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(socket.local_addr()?.ip().is_loopback());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer set by [`connect`](UdpSocket::connect).
    ///
    /// # Errors
    /// `NotConnected` if there is none; the operating system's other
    /// errors.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// let err = socket.peer_addr().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`: whether this socket may send to a broadcast
    /// address.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// socket.set_broadcast(true)?;
    /// assert!(socket.broadcast()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// The value of `SO_BROADCAST` (see
    /// [`set_broadcast`](UdpSocket::set_broadcast)).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(!socket.broadcast()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `IP_TTL`, the time-to-live of the datagrams this socket sends.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// socket.set_ttl(3)?;
    /// assert_eq!(socket.ttl()?, 3);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The value of `IP_TTL` (see [`set_ttl`](UdpSocket::set_ttl)).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(socket.ttl()? > 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Wraps a std socket: sets it non-blocking and registers it with the
    /// current runtime (or the global one). The same as
    /// `UdpSocket::try_from(socket)`.
    ///
    /// # Errors
    /// The operating system's error if the socket cannot be made
    /// non-blocking or registered; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = std_socket.local_addr()?;
    /// let socket = UdpSocket::from_std(std_socket)?;
    /// assert_eq!(socket.local_addr()?, addr);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Async::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Deregisters the socket and gives back the std socket.
    ///
    /// The socket stays in non-blocking mode: call
    /// `set_nonblocking(false)` on it before blocking calls.
    ///
    /// # Errors
    /// The operating system's error if deregistration fails.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UdpSocket;
    /// # bobbin::block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").await?;
    /// let addr = socket.local_addr()?;
    /// let std_socket = socket.into_std()?;
    /// assert_eq!(std_socket.local_addr()?, addr);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// As [`UdpSocket::from_std`].
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

impl TryFrom<UdpSocket> for std::net::UdpSocket {
    type Error = io::Error;

    /// As [`UdpSocket::into_std`].
    fn try_from(socket: UdpSocket) -> io::Result<std::net::UdpSocket> {
        socket.into_std()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for UdpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn drop_and_into_std_deregister_the_socket() {
        // A runtime of its own, so no other test's sockets change the count.
        let rt = crate::Runtime::builder().worker_threads(1).build().unwrap();
        let _guard = rt.enter();
        let bind =
            || UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
        let first = bind();
        let io = first.io.registration().driver().clone();
        let before = io.len();
        let second = bind();
        assert_eq!(io.len(), before + 1);
        drop(second);
        assert_eq!(io.len(), before);
        let _std = first.into_std().unwrap();
        assert_eq!(io.len(), before - 1);
    }
}
