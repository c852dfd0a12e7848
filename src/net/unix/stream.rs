//! `UnixStream`: a Unix-domain stream connection, with
//! `futures::io::{AsyncRead, AsyncWrite}`.

use super::split::{OwnedReadHalf, OwnedWriteHalf, split_owned};
use crate::io::Async;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix-domain stream connection.
///
/// The counterpart of [`TcpStream`](crate::net::TcpStream) for local
/// sockets: `futures::io::{AsyncRead, AsyncWrite}` for `UnixStream` and
/// `&UnixStream`, [`into_split`](UnixStream::into_split) into owned halves,
/// and `close` shuts down the write side.
///
/// # Cancel safety
/// The reads and writes (`poll_read`, `poll_write` and their vectored
/// forms) are cancel safe: a future that is dropped while pending read or
/// wrote nothing. A composite such as `read_exact` is not.
///
/// # Examples
/// ```
/// use bobbin::net::UnixStream;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # bobbin::block_on(async {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"ping").await?;
/// let mut buf = [0u8; 4];
/// b.read_exact(&mut buf).await?;
/// b.write_all(&buf).await?;
/// a.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixStream {
    io: Async<mio::net::UnixStream>,
}

impl UnixStream {
    /// Registers a connected mio stream (an accepted one) with the current
    /// runtime.
    pub(crate) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: Async::new(stream)?,
        })
    }

    /// Connects to the socket file `path`, registered with the current
    /// runtime (or the global one).
    ///
    /// # Errors
    /// The operating system's error: `NotFound` if nothing is at `path`,
    /// `ConnectionRefused` if nobody listens there, `WouldBlock` if the
    /// listener's backlog is full; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// If the future is dropped before it completes, the connection attempt
    /// is abandoned and its socket closed.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{UnixListener, UnixStream};
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-connect-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("connect.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let _listener = UnixListener::bind(&path)?;
    /// let stream = UnixStream::connect(&path).await?;
    /// assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///
    /// let err = UnixStream::connect(dir.join("nobody-here.sock")).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let io = Async::new(mio::net::UnixStream::connect(path)?)?;
        // A local connect usually completes at once; if it is in progress,
        // writability says it finished, and `take_error` how.
        io.writable().await?;
        if let Some(err) = io.get_ref().take_error()? {
            return Err(err);
        }
        Ok(UnixStream { io })
    }

    /// A pair of connected streams (`socketpair`).
    ///
    /// # Errors
    /// The operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// # bobbin::block_on(async {
    /// let (mut a, mut b) = UnixStream::pair()?;
    /// a.write_all(b"x").await?;
    /// let mut buf = [0u8; 1];
    /// b.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"x");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    /// The address of the peer (unnamed for a pair or a client that did not
    /// bind).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// assert!(a.peer_addr()?.is_unnamed());
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
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Shuts down the read side, the write side, or both.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// use futures::io::AsyncReadExt;
    /// use std::net::Shutdown;
    /// # bobbin::block_on(async {
    /// let (a, mut b) = UnixStream::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(b.read(&mut buf).await?, 0, "end of stream");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
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
    /// See [`try_read`](UnixStream::try_read).
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
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (socket, _peer) = UnixStream::pair()?;
    /// socket.writable().await?;
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
    /// reset: [`readable`](UnixStream::readable) waits for new data); the
    /// operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (a, b) = UnixStream::pair()?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.writable().await?;
    /// assert_eq!(a.try_write(b"hi")?, 2);
    /// b.readable().await?;
    /// assert_eq!(b.try_read(&mut buf)?, 2);
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
    /// reset: [`writable`](UnixStream::writable) waits for room); the
    /// operating system's error; an error if the runtime has shut down.
    ///
    /// # Examples
    /// See [`try_read`](UnixStream::try_read).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write_with(|mut stream| stream.write(buf))
    }

    /// Splits the stream into a read half and a write half that can be
    /// moved to different tasks.
    ///
    /// As [`TcpStream::into_split`](crate::net::TcpStream::into_split):
    /// dropping (or closing) the write half shuts down the write side, the
    /// socket closes when both halves are gone, and
    /// [`OwnedReadHalf::reunite`] puts the halves back together.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// # bobbin::block_on(async {
    /// let (a, mut b) = UnixStream::pair()?;
    /// let (mut reader, mut writer) = a.into_split();
    /// let writing = bobbin::spawn(async move { writer.write_all(b"split").await });
    /// let mut buf = [0u8; 5];
    /// b.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"split");
    /// writing.await.unwrap()?;
    /// b.write_all(b"ok").await?;
    /// let mut reply = [0u8; 2];
    /// reader.read_exact(&mut reply).await?;
    /// assert_eq!(&reply, b"ok");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    /// Wraps a connected std stream: sets it non-blocking and registers it
    /// with the current runtime (or the global one). The same as
    /// `UnixStream::try_from(stream)`.
    ///
    /// # Errors
    /// The operating system's error if the socket cannot be made
    /// non-blocking or registered; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// use futures::io::AsyncReadExt;
    /// use std::io::Write;
    /// # bobbin::block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    /// let mut a = UnixStream::from_std(a)?;
    /// b.write_all(b"std")?;
    /// let mut buf = [0u8; 3];
    /// a.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"std");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    /// Deregisters the stream and gives back the std stream, still in
    /// non-blocking mode (call `set_nonblocking(false)` before blocking
    /// calls).
    ///
    /// # Errors
    /// The operating system's error if deregistration fails.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// use std::io::Read;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// let mut a = a.into_std()?;
    /// let err = a.read(&mut [0u8; 1]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "still non-blocking");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// As [`UnixStream::from_std`].
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

impl TryFrom<UnixStream> for std::os::unix::net::UnixStream {
    type Error = io::Error;

    /// As [`UnixStream::into_std`].
    fn try_from(stream: UnixStream) -> io::Result<std::os::unix::net::UnixStream> {
        stream.into_std()
    }
}

impl std::os::fd::AsFd for UnixStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::os::fd::AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

super::super::stream_io::stream_io_impls!(UnixStream);
