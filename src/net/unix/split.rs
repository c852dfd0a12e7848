//! The owned halves of a `UnixStream`, made by `UnixStream::into_split`.
//!
//! The same design as the TCP halves (`net/tcp/split.rs`): both halves hold
//! an `Arc` of the stream, and the write half shuts down the write side
//! when it is dropped unless it was forgotten or reunited.

use super::UnixStream;
use crate::loom::Arc;
use futures_io::{AsyncRead, AsyncWrite};
use std::error::Error;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The read half of a [`UnixStream`], made by [`UnixStream::into_split`].
///
/// Implements `futures::io::AsyncRead`; reads are cancel safe, as the
/// stream's are.
///
/// # Examples
/// ```
/// use bobbin::net::UnixStream;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # bobbin::block_on(async {
/// let (a, mut b) = UnixStream::pair()?;
/// let (mut reader, _writer) = a.into_split();
/// b.write_all(b"hey").await?;
/// let mut buf = [0u8; 3];
/// reader.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hey");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    inner: Arc<UnixStream>,
}

/// The write half of a [`UnixStream`], made by [`UnixStream::into_split`].
///
/// Implements `futures::io::AsyncWrite`; closing it shuts down the write
/// side of the socket, and so does dropping it (see
/// [`forget`](OwnedWriteHalf::forget) to avoid that).
///
/// # Examples
/// ```
/// use bobbin::net::UnixStream;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # bobbin::block_on(async {
/// let (a, mut b) = UnixStream::pair()?;
/// let (_reader, mut writer) = a.into_split();
/// writer.write_all(b"last words").await?;
/// drop(writer); // shuts down the write side
/// let mut received = Vec::new();
/// b.read_to_end(&mut received).await?;
/// assert_eq!(received, b"last words");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf {
    inner: Arc<UnixStream>,
    shutdown_on_drop: bool,
}

/// The halves given to [`OwnedReadHalf::reunite`] came from different
/// streams; both are given back.
///
/// # Examples
/// ```
/// use bobbin::net::UnixStream;
/// # bobbin::block_on(async {
/// let (a, b) = UnixStream::pair()?;
/// let (read_a, _write_a) = a.into_split();
/// let (_read_b, write_b) = b.into_split();
/// let err = read_a.reunite(write_b).unwrap_err();
/// let (_read_a, _write_b) = (err.0, err.1);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves of two different Unix streams; pass the halves one into_split returned")
    }
}

impl Error for ReuniteError {}

pub(super) fn split_owned(stream: UnixStream) -> (OwnedReadHalf, OwnedWriteHalf) {
    let inner = Arc::new(stream);
    (
        OwnedReadHalf {
            inner: inner.clone(),
        },
        OwnedWriteHalf {
            inner,
            shutdown_on_drop: true,
        },
    )
}

fn reunite(read: OwnedReadHalf, mut write: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
    if !Arc::ptr_eq(&read.inner, &write.inner) {
        return Err(ReuniteError(read, write));
    }
    write.shutdown_on_drop = false;
    drop(write);
    match Arc::try_unwrap(read.inner) {
        Ok(stream) => Ok(stream),
        Err(_) => unreachable!("the two halves of a UnixStream hold its only references"),
    }
}

impl OwnedReadHalf {
    /// Puts the stream back together from its two halves.
    ///
    /// # Errors
    /// [`ReuniteError`], holding both halves, if `write` is not this
    /// half's partner.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// let (reader, writer) = a.into_split();
    /// let a = reader.reunite(writer).unwrap();
    /// assert!(a.peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn reunite(self, write: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
        reunite(self, write)
    }

    /// The address of the peer.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// let (reader, _writer) = a.into_split();
    /// assert!(reader.peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
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
    /// let (reader, _writer) = a.into_split();
    /// assert!(reader.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl OwnedWriteHalf {
    /// Puts the stream back together from its two halves (as
    /// [`OwnedReadHalf::reunite`]).
    ///
    /// # Errors
    /// [`ReuniteError`] if `read` is not this half's partner.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// let (reader, writer) = a.into_split();
    /// assert!(writer.reunite(reader).is_ok());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn reunite(self, read: OwnedReadHalf) -> Result<UnixStream, ReuniteError> {
        reunite(read, self)
    }

    /// Drops this half without shutting down the write side; the socket
    /// still closes when the read half is dropped.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// use std::io::Read;
    /// # bobbin::block_on(async {
    /// let (a, b) = UnixStream::pair()?;
    /// let (_reader, writer) = a.into_split();
    /// writer.forget();
    /// let err = b.into_std()?.read(&mut [0u8; 1]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "no end of stream");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// The address of the peer.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixStream;
    /// # bobbin::block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// let (_reader, writer) = a.into_split();
    /// assert!(writer.peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
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
    /// let (_reader, writer) = a.into_split();
    /// assert!(writer.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // A socket already shut down reports an error; either way the
            // peer has seen (or will see) the end of the stream.
            let _ = self.inner.shutdown(Shutdown::Write);
        }
    }
}

impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.inner).poll_flush(cx)
    }

    /// Shuts down the write side (once; dropping the half afterwards does
    /// not shut it down again).
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = std::task::ready!(Pin::new(&mut &*self.inner).poll_close(cx));
        self.shutdown_on_drop = false;
        Poll::Ready(result)
    }
}
