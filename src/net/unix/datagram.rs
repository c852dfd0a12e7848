//! `UnixDatagram`: Unix-domain datagrams, sent and received by any number
//! of tasks.

use crate::io::Async;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix-domain datagram socket.
///
/// The counterpart of [`UdpSocket`](crate::net::UdpSocket) for local
/// sockets: every method takes `&self`, so one socket can be shared by
/// several tasks, and each datagram is sent or received whole. Unlike UDP,
/// datagrams are not lost in transit and arrive in order.
///
/// # Caveats
/// A socket bound to a path leaves its file on disk after it is dropped;
/// remove it yourself.
///
/// # Examples
/// ```
/// use bobbin::net::UnixDatagram;
/// # bobbin::block_on(async {
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"ping").await?;
/// let mut buf = [0u8; 16];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"ping");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    io: Async<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    fn from_mio(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Async::new(socket)?,
        })
    }

    /// Creates a socket bound to the file `path`, registered with the
    /// current runtime (or the global one).
    ///
    /// # Errors
    /// The operating system's error (`AddrInUse` if the file exists); an
    /// error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-dgram-bind-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("dgram.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let socket = UnixDatagram::bind(&path)?;
    /// assert_eq!(socket.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to no address: it can send, and receive
    /// replies only once [`connect`](UnixDatagram::connect)ed (a receiver
    /// cannot answer an unnamed sender).
    ///
    /// # Errors
    /// The operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let socket = UnixDatagram::unbound()?;
    /// assert!(socket.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// A pair of connected sockets (`socketpair`).
    ///
    /// # Errors
    /// The operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.send(b"back").await?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(a.recv(&mut buf).await?, 4);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_mio(a)?, UnixDatagram::from_mio(b)?))
    }

    /// Sets the peer: [`send`](UnixDatagram::send) goes to the socket at
    /// `path`, and only its datagrams are received from now on (datagrams
    /// from others queued before the call are still received).
    ///
    /// # Errors
    /// The operating system's error (`NotFound` if nothing is at `path`,
    /// `ConnectionRefused` if it is not a datagram socket).
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-dgram-connect-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect(&path)?;
    /// client.send(b"hello").await?;
    /// let mut buf = [0u8; 5];
    /// assert_eq!(server.recv(&mut buf).await?, 5);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends `buf` as one datagram to the socket at `path`; returns the
    /// number of bytes sent (all of them).
    ///
    /// # Errors
    /// The operating system's error (`NotFound` if nothing is at `path`);
    /// an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// was sent.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-dgram-send-to-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let (server_path, client_path) = (dir.join("server.sock"), dir.join("client.sock"));
    /// # let _ = std::fs::remove_file(&server_path);
    /// # let _ = std::fs::remove_file(&client_path);
    /// let server = UnixDatagram::bind(&server_path)?;
    /// let client = UnixDatagram::bind(&client_path)?;
    /// client.send_to(b"ping", &server_path).await?;
    /// let mut buf = [0u8; 4];
    /// let (n, from) = server.recv_from(&mut buf).await?;
    /// assert_eq!(from.as_pathname(), Some(client_path.as_path()));
    /// server.send_to(&buf[..n], from.as_pathname().unwrap()).await?;
    /// assert_eq!(client.recv(&mut buf).await?, 4);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|socket| socket.send_to(buf, path)).await
    }

    /// Waits for a datagram, copies it into `buf` (truncated if longer),
    /// and returns its length and sender.
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
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"who").await?;
    /// let mut buf = [0u8; 8];
    /// let (n, from) = b.recv_from(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"who");
    /// assert!(from.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Sends `buf` as one datagram to the peer set by
    /// [`connect`](UnixDatagram::connect) (or the other socket of a
    /// [`pair`](UnixDatagram::pair)).
    ///
    /// # Errors
    /// `NotConnected` without a peer; the operating system's other errors;
    /// an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// was sent.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert_eq!(a.send(b"abc").await?, 3);
    /// let err = UnixDatagram::unbound()?.send(b"abc").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Waits for a datagram and copies it into `buf` (truncated if
    /// longer); returns its length.
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
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"12345").await?;
    /// let mut small = [0u8; 2];
    /// assert_eq!(b.recv(&mut small).await?, 2, "the rest of the datagram is dropped");
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
    /// See [`try_recv`](UnixDatagram::try_recv).
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
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (socket, _peer) = UnixDatagram::pair()?;
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
    /// [`readable`](UnixDatagram::readable) waits for more); the operating
    /// system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.writable().await?;
    /// a.try_send(b"hi")?;
    /// b.readable().await?;
    /// let n = b.try_recv(&mut buf)?;
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
    /// reset: [`writable`](UnixDatagram::writable) waits for room); the
    /// operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// See [`try_recv`](UnixDatagram::try_recv).
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write_with(|socket| socket.send(buf))
    }

    /// Receives a datagram if one is there, without waiting; returns its
    /// length and the sender's address.
    ///
    /// # Errors
    /// As [`try_recv`](UnixDatagram::try_recv).
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixDatagram::pair()?;
    /// let mut buf = [0u8; 8];
    /// let err = a.try_recv_from(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_read_with(|socket| socket.recv_from(buf))
    }

    /// Sends a datagram to the socket bound at `path` if there is room,
    /// without waiting; returns the bytes sent.
    ///
    /// # Errors
    /// As [`try_send`](UnixDatagram::try_send).
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let dir = std::env::temp_dir().join(format!("bobbin-doc-try-send-to-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("peer.sock");
    /// let _ = std::fs::remove_file(&path);
    /// let peer = UnixDatagram::bind(&path)?;
    /// let sender = UnixDatagram::unbound()?;
    /// sender.writable().await?;
    /// assert_eq!(sender.try_send_to(b"x", &path)?, 1);
    /// let mut buf = [0u8; 1];
    /// assert_eq!(peer.recv(&mut buf).await?, 1);
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.try_write_with(|socket| socket.send_to(buf, path))
    }

    /// The address this socket is bound to (unnamed if it is not).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the peer set by [`connect`](UnixDatagram::connect).
    ///
    /// # Errors
    /// `NotConnected` if there is none; the operating system's other
    /// errors.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let socket = UnixDatagram::unbound()?;
    /// let err = socket.peer_addr().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Wraps a std socket: sets it non-blocking and registers it with the
    /// current runtime (or the global one). The same as
    /// `UnixDatagram::try_from(socket)`.
    ///
    /// # Errors
    /// The operating system's error if the socket cannot be made
    /// non-blocking or registered; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
    /// let a = UnixDatagram::from_std(a)?;
    /// b.send(b"std")?;
    /// let mut buf = [0u8; 3];
    /// assert_eq!(a.recv(&mut buf).await?, 3);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::from_std(socket))
    }

    /// Deregisters the socket and gives back the std socket, still in
    /// non-blocking mode.
    ///
    /// # Errors
    /// The operating system's error if deregistration fails.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixDatagram;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixDatagram::pair()?;
    /// let a = a.into_std()?;
    /// let err = a.recv(&mut [0u8; 1]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "still non-blocking");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// As [`UnixDatagram::from_std`].
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl TryFrom<UnixDatagram> for std::os::unix::net::UnixDatagram {
    type Error = io::Error;

    /// As [`UnixDatagram::into_std`].
    fn try_from(socket: UnixDatagram) -> io::Result<std::os::unix::net::UnixDatagram> {
        socket.into_std()
    }
}

impl std::os::fd::AsFd for UnixDatagram {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::os::fd::AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}
