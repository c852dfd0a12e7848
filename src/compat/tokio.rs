//! tokio's I/O traits on bobbin's I/O types (feature `tokio-io`), so
//! libraries written against `tokio::io::{AsyncRead, AsyncWrite}` run on
//! bobbin with no tokio runtime anywhere: tokio-util's `Framed` codecs,
//! tokio-rustls, async-compression's tokio side, and the like.
//!
//! What is here: bobbin's byte streams implement tokio's traits directly:
//! [`TcpStream`] and [`UnixStream`] (and `&` of each, as with the
//! futures-io traits), their owned halves, [`fs::File`] (with tokio's
//! `AsyncSeek` too), a child process's pipes, and [`Async<T>`] for a
//! source whose `&T` reads or writes. [`Compat`] does the same for any type that
//! implements the futures-io traits (a `futures::io::ReadHalf`, a
//! `BufReader`, a type of another crate), and the other way round: wrapped
//! around a tokio type, it implements the futures-io traits.
//!
//! Only tokio's traits are used (tokio is a dependency with no features,
//! for `tokio::io::{AsyncRead, AsyncWrite, ReadBuf}`): nothing here starts
//! or needs a tokio runtime. Reads go through tokio's `ReadBuf` by filling
//! its unfilled part after initializing it (`ReadBuf` remembers what it
//! initialized, so a `ReadBuf` kept across reads is zeroed once; callers
//! that make a fresh `ReadBuf::uninit` for each read, as tokio-util's
//! codecs do, pay the zeroing on every read, as they do on tokio);
//! `poll_shutdown` is futures-io's `poll_close` (a socket's write half
//! shuts down, the peer reads end of stream).
//!
//! # Examples
//! A line codec from tokio-util over bobbin TCP needs nothing but the
//! feature: `Framed::new(stream, LinesCodec::new())` on a
//! `bobbin::net::TcpStream` (see `executor-tests/tests/compat_tokio.rs`).
//! Any futures-io type goes through [`Compat`]:
//! ```
//! use bobbin::compat::tokio::Compat;
//! use tokio::io::{AsyncRead, ReadBuf};
//! # bobbin::block_on(async {
//! let bytes = futures::io::Cursor::new(b"hello".to_vec());
//! let mut reader = Compat::new(bytes);
//! let mut storage = [0u8; 8];
//! let mut buf = ReadBuf::new(&mut storage);
//! std::future::poll_fn(|cx| std::pin::Pin::new(&mut reader).poll_read(cx, &mut buf))
//!     .await
//!     .unwrap();
//! assert_eq!(buf.filled(), b"hello");
//! # });
//! ```

use crate::io::Async;
use crate::net::{TcpStream, UnixStream, tcp, unix};
use crate::{fs, process};
use ::tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use futures_io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
use mio::event::Source;
use std::io::{self, IoSlice, Read, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// A tokio `poll_read` made of a futures-io one.
fn poll_read_buf<R: FuturesRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let unfilled = buf.initialize_unfilled();
    let read = ready!(reader.poll_read(cx, unfilled))?;
    buf.advance(read);
    Poll::Ready(Ok(()))
}

/// tokio's read trait, delegating to futures-io's: `impl[generics] for
/// Type where [bounds];`, one or more.
macro_rules! tokio_read {
    ($(impl$([$($generics:tt)*])? for $ty:ty $(where [$($bounds:tt)*])?;)*) => {$(
        impl$(<$($generics)*>)? AsyncRead for $ty $(where $($bounds)*)? {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_buf(self, cx, buf)
            }
        }
    )*};
}

/// tokio's write trait, delegating to futures-io's; as `tokio_read!`.
macro_rules! tokio_write {
    ($(impl$([$($generics:tt)*])? for $ty:ty $(where [$($bounds:tt)*])?;)*) => {$(
        impl$(<$($generics)*>)? AsyncWrite for $ty $(where $($bounds)*)? {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                FuturesWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                FuturesWrite::poll_write_vectored(self, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                FuturesWrite::poll_flush(self, cx)
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                FuturesWrite::poll_close(self, cx)
            }
        }
    )*};
}

/// Both of tokio's traits; as `tokio_read!`.
macro_rules! tokio_traits {
    ($($impls:tt)*) => {
        tokio_read! { $($impls)* }
        tokio_write! { $($impls)* }
    };
}

tokio_traits! {
    impl for TcpStream;
    impl['a] for &'a TcpStream;
    impl for UnixStream;
    impl['a] for &'a UnixStream;
}

tokio_read! {
    impl for tcp::OwnedReadHalf;
    impl for unix::OwnedReadHalf;
    impl for process::ChildStdout;
    impl for process::ChildStderr;
}

tokio_write! {
    impl for tcp::OwnedWriteHalf;
    impl for unix::OwnedWriteHalf;
    impl for process::ChildStdin;
}

tokio_traits! {
    impl for fs::File;
}

/// tokio's two-step seek: `start_seek` records the position, and
/// `poll_complete` drives the seek (or reports the position when none was
/// started).
impl AsyncSeek for fs::File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.get_mut().start_seek(position);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().poll_complete_seek(cx)
    }
}

tokio_read! {
    impl[T: Source] for Async<T> where [for<'a> &'a T: Read];
}

tokio_write! {
    impl[T: Source] for Async<T> where [for<'a> &'a T: Write];
}

pin_project_lite::pin_project! {
    /// A bridge between the two families of I/O traits: wrapped around a
    /// futures-io type it implements tokio's `AsyncRead`/`AsyncWrite`;
    /// wrapped around a tokio type, futures-io's.
    ///
    /// # Examples
    /// A tokio type read through futures-io:
    /// ```
    /// use bobbin::compat::tokio::Compat;
    /// use futures::io::AsyncReadExt;
    /// # bobbin::block_on(async {
    /// let tokio_side: &[u8] = b"bytes"; // `&[u8]` implements tokio's AsyncRead
    /// let mut reader = Compat::new(tokio_side);
    /// let mut text = String::new();
    /// reader.read_to_string(&mut text).await.unwrap();
    /// assert_eq!(text, "bytes");
    /// # });
    /// ```
    #[derive(Debug)]
    pub struct Compat<T> {
        #[pin]
        inner: T,
    }
}

impl<T> Compat<T> {
    /// Wraps `inner`.
    ///
    /// # Examples
    /// See [`Compat`].
    pub fn new(inner: T) -> Compat<T> {
        Compat { inner }
    }

    /// The wrapped value.
    ///
    /// # Examples
    /// ```
    /// let compat = bobbin::compat::tokio::Compat::new(5);
    /// assert_eq!(*compat.get_ref(), 5);
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably.
    ///
    /// # Examples
    /// ```
    /// let mut compat = bobbin::compat::tokio::Compat::new(5);
    /// *compat.get_mut() += 1;
    /// assert_eq!(compat.into_inner(), 6);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the value.
    ///
    /// # Examples
    /// See [`get_mut`](Compat::get_mut).
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: FuturesRead> AsyncRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_buf(self.project().inner, cx, buf)
    }
}

impl<T: FuturesWrite> AsyncWrite for Compat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        // futures-io cannot say whether its vectored write is a real one.
        false
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

impl<T: AsyncRead> FuturesRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        ready!(AsyncRead::poll_read(self.project().inner, cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<T: AsyncWrite> FuturesWrite for Compat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(self.project().inner, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write_vectored(self.project().inner, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_flush(self.project().inner, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_shutdown(self.project().inner, cx)
    }
}
