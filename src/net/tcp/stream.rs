//! `TcpStream`: a TCP connection, with `futures::io::{AsyncRead, AsyncWrite}`.

use super::split::{OwnedReadHalf, OwnedWriteHalf, split_owned};
use crate::io::Async;
use crate::net::addr::{ToSocketAddrs, no_addresses, resolve};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

/// A TCP connection.
///
/// Read and write it through `futures::io::{AsyncRead, AsyncWrite}` (with
/// the extension traits `AsyncReadExt`/`AsyncWriteExt`), implemented for
/// both `TcpStream` and `&TcpStream`: one task may read through one
/// reference while another writes through a second one. To move the two
/// directions to different tasks, [`into_split`](TcpStream::into_split) the
/// stream into owned halves. Closing (`AsyncWriteExt::close`) shuts down the
/// write side, so the peer reads end of stream; dropping the stream closes
/// the socket.
///
/// # Cancel safety
/// The reads and writes (`poll_read`, `poll_write` and their vectored
/// forms) are cancel safe: a future that is dropped while pending read or
/// wrote nothing. A composite such as `read_exact` or `write_all` is not: a
/// part it already transferred is not reported.
///
/// # Caveats
/// Two tasks reading the same stream (or two writing it) at once is
/// allowed but interleaves the bytes unpredictably, as with any socket.
///
/// # Examples
/// ```
/// use bobbin::net::{TcpListener, TcpStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # bobbin::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(listener.local_addr()?).await?;
/// let (mut server, _) = listener.accept().await?;
///
/// client.write_all(b"hello").await?;
/// client.close().await?; // shuts down the write side: the server sees EOF
/// let mut received = Vec::new();
/// server.read_to_end(&mut received).await?;
/// assert_eq!(received, b"hello");
///
/// server.write_all(b"bye").await?; // the other direction is still open
/// let mut reply = [0u8; 3];
/// client.read_exact(&mut reply).await?;
/// assert_eq!(&reply, b"bye");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct TcpStream {
    io: Async<mio::net::TcpStream>,
}

impl TcpStream {
    /// Registers a connected mio stream (an accepted one) with the current
    /// runtime.
    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Async::new(stream)?,
        })
    }

    /// Opens a connection to `addr`, registered with the current runtime
    /// (or the global one).
    ///
    /// Each address `addr` resolves to is tried in turn, as std's
    /// `TcpStream::connect` does, until one accepts. The connect does not
    /// block the thread: the task waits for the handshake to finish.
    ///
    /// # Errors
    /// The last address's error if none accepts (a refused connection is
    /// `ConnectionRefused`); `InvalidInput` if `addr` resolves to no
    /// address; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// If the future is dropped before it completes, the connection attempt
    /// is abandoned and its socket closed.
    ///
    /// # Caveats
    /// A host name is looked up on the blocking pool (see
    /// [`lookup_host`](crate::net::lookup_host)). There is no connect timeout
    /// other than the system's; race the future against a timer for one.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///
    /// let port = listener.local_addr()?.port();
    /// drop(listener); // nobody listens there any more
    /// let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last_err = None;
        for addr in resolve(addr).await? {
            match TcpStream::connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(no_addresses))
    }

    /// The non-blocking connect mio documents: start it, wait until the
    /// socket is writable, then ask the socket whether it failed
    /// (`take_error`) or is connected (`peer_addr`).
    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connected(mio::net::TcpStream::connect(addr)?).await
    }

    /// Waits until `stream`, whose non-blocking connect has started, is
    /// connected (or failed).
    pub(super) async fn connected(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let io = Async::new(stream)?;
        loop {
            let guard = io.writable().await?;
            if let Some(err) = io.get_ref().take_error()? {
                return Err(err);
            }
            match io.get_ref().peer_addr() {
                Ok(_) => return Ok(TcpStream { io }),
                // Writable too early (a spurious event): wait for the next.
                Err(err) if err.kind() == io::ErrorKind::NotConnected => guard.clear_ready(),
                Err(err) => return Err(err),
            }
        }
    }

    /// The address of the peer.
    ///
    /// # Errors
    /// The operating system's error (`NotConnected` after a reset).
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address of this end of the connection.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert!(stream.local_addr()?.ip().is_loopback());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: when true, small writes are sent at once
    /// instead of being coalesced (Nagle's algorithm is off).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.nodelay()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// The value of `TCP_NODELAY` (see [`set_nodelay`](TcpStream::set_nodelay)).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert!(!stream.nodelay()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `IP_TTL`, the time-to-live of the packets this socket sends.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_ttl(17)?;
    /// assert_eq!(stream.ttl()?, 17);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The value of `IP_TTL` (see [`set_ttl`](TcpStream::set_ttl)).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// assert!(stream.ttl()? > 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Shuts down the read side, the write side, or both.
    ///
    /// After `Shutdown::Write` the peer reads end of stream once it has
    /// read everything sent before; this side can still read.
    ///
    /// # Errors
    /// The operating system's error (`NotConnected` if the connection was
    /// reset).
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// use futures::io::AsyncReadExt;
    /// use std::net::Shutdown;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// client.shutdown(Shutdown::Write)?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(server.read(&mut buf).await?, 0, "end of stream");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits for data and copies it into `buf` without taking it from the
    /// socket: the next read returns the same bytes. Returns how many bytes
    /// were copied (0 at end of stream).
    ///
    /// # Errors
    /// The operating system's error; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: peeking consumes nothing, dropped or not.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// client.write_all(b"abc").await?;
    /// let mut peeked = [0u8; 1];
    /// assert_eq!(server.peek(&mut peeked).await?, 1);
    /// let mut read = [0u8; 3];
    /// server.read_exact(&mut read).await?;
    /// assert_eq!((&peeked, &read), (b"a", b"abc"));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|stream| stream.peek(buf)).await
    }

    /// Waits until the stream is readable: data arrived, the peer closed
    /// its side, or an error is pending.
    ///
    /// Readiness is a hint: follow it with [`try_read`](TcpStream::try_read)
    /// and wait again if that reports `WouldBlock` (which also resets the
    /// readiness, so the next wait does not return at once).
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// use futures::io::AsyncWriteExt;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// client.write_all(b"hi").await?;
    /// let mut buf = [0u8; 2];
    /// let n = loop {
    ///     server.readable().await?;
    ///     match server.try_read(&mut buf) {
    ///         Ok(n) => break n,
    ///         Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///         Err(err) => return Err(err),
    ///     }
    /// };
    /// assert_eq!(&buf[..n], &b"hi"[..n]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await.map(drop)
    }

    /// Waits until the stream is writable (or closed, or in error).
    ///
    /// Readiness is a hint: follow it with [`try_write`](TcpStream::try_write)
    /// and wait again if that reports `WouldBlock`.
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// client.writable().await?;
    /// assert_eq!(client.try_write(b"x")?, 1);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await.map(drop)
    }

    /// Reads into `buf` if data is there, without waiting. Returns how
    /// many bytes were read (0 at end of stream).
    ///
    /// # Errors
    /// `WouldBlock` if nothing can be read now (the readiness is then
    /// reset: [`readable`](TcpStream::readable) waits for new data); the
    /// operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let mut buf = [0u8; 8];
    /// let err = client.try_read(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read_with(|mut stream| stream.read(buf))
    }

    /// Writes from `buf` if the socket has room, without waiting. Returns
    /// how many bytes were written.
    ///
    /// # Errors
    /// `WouldBlock` if the send buffer is full (the readiness is then
    /// reset: [`writable`](TcpStream::writable) waits for room); the
    /// operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// client.writable().await?;
    /// assert_eq!(client.try_write(b"abc")?, 3);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write_with(|mut stream| stream.write(buf))
    }

    /// Splits the stream into a read half and a write half that can be
    /// moved to different tasks.
    ///
    /// The halves share the socket. Dropping the write half (or closing
    /// it) shuts down the write side, as `close` on the whole stream does;
    /// the socket itself closes when both halves are dropped.
    /// [`OwnedReadHalf::reunite`] puts the halves back together. To split
    /// without moving, use `&TcpStream`, which reads and writes too.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    ///
    /// let (mut reader, mut writer) = client.into_split();
    /// let writing = bobbin::spawn(async move { writer.write_all(b"from a task").await });
    /// let mut buf = [0u8; 11];
    /// server.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"from a task");
    /// writing.await.unwrap()?;
    ///
    /// server.write_all(b"back").await?;
    /// let mut reply = [0u8; 4];
    /// reader.read_exact(&mut reply).await?;
    /// assert_eq!(&reply, b"back");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    /// Wraps a connected std stream: sets it non-blocking and registers it
    /// with the current runtime (or the global one). The same as
    /// `TcpStream::try_from(stream)`.
    ///
    /// # Errors
    /// The operating system's error if the socket cannot be made
    /// non-blocking or registered; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpStream;
    /// # bobbin::block_on(async {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let stream = TcpStream::from_std(std_stream)?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the stream and gives back the std stream.
    ///
    /// The socket stays in non-blocking mode: call
    /// `set_nonblocking(false)` on it before blocking calls.
    ///
    /// # Errors
    /// The operating system's error if deregistration fails.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// use std::io::Read;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let mut std_stream = stream.into_std()?;
    /// let err = std_stream.read(&mut [0u8; 1]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "still non-blocking");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// As [`TcpStream::from_std`].
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

impl TryFrom<TcpStream> for std::net::TcpStream {
    type Error = io::Error;

    /// As [`TcpStream::into_std`].
    fn try_from(stream: TcpStream) -> io::Result<std::net::TcpStream> {
        stream.into_std()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

super::super::stream_io::stream_io_impls!(TcpStream);
