//! The child's standard streams as non-blocking pipes on the reactor.

use super::sys::Pipe;
use crate::io::Async;
use futures_io::{AsyncRead, AsyncWrite};
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll};

macro_rules! pipe_type {
    ($(#[$doc:meta])* $name:ident, $std:ty) => {
        $(#[$doc])*
        pub struct $name {
            inner: Async<Pipe>,
        }

        impl $name {
            pub(super) fn new(std: $std) -> io::Result<$name> {
                Ok($name {
                    inner: Async::new(Pipe::new(OwnedFd::from(std))?)?,
                })
            }

            /// The pipe as a blocking file descriptor, to hand to another
            /// child (`Stdio::from`) or to std.
            ///
            /// # Errors
            /// If it cannot be taken off the reactor or set back to
            /// blocking mode.
            ///
            /// # Examples
            /// ```
            /// use bobbin::process::Command;
            /// use std::process::Stdio;
            /// # bobbin::block_on(async {
            /// let mut echo = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn().unwrap();
            /// let out = echo.stdout.take().unwrap().into_owned_fd().unwrap();
            /// let status = Command::new("cat").stdin(Stdio::from(out)).status().await.unwrap();
            /// assert!(status.success());
            /// echo.wait().await.unwrap();
            /// # });
            /// ```
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                self.inner.into_inner()?.into_blocking_fd()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

pipe_type!(
    /// The child's stdin, when it was made with `Stdio::piped()`: an
    /// `AsyncWrite`. Dropping it (or [`Child::wait`](super::Child::wait),
    /// which drops it first) closes the child's input.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// use futures::io::AsyncWriteExt;
    /// use std::process::Stdio;
    /// # bobbin::block_on(async {
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    /// let mut stdin = child.stdin.take().unwrap();
    /// stdin.write_all(b"hello").await.unwrap();
    /// drop(stdin);
    /// assert!(child.wait().await.unwrap().success());
    /// # });
    /// ```
    ChildStdin,
    std::process::ChildStdin
);

pipe_type!(
    /// The child's stdout, when it was made with `Stdio::piped()`: an
    /// `AsyncRead`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// use futures::io::AsyncReadExt;
    /// use std::process::Stdio;
    /// # bobbin::block_on(async {
    /// let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn().unwrap();
    /// let mut out = String::new();
    /// child.stdout.take().unwrap().read_to_string(&mut out).await.unwrap();
    /// assert_eq!(out, "hi\n");
    /// child.wait().await.unwrap();
    /// # });
    /// ```
    ChildStdout,
    std::process::ChildStdout
);

pipe_type!(
    /// The child's stderr, when it was made with `Stdio::piped()`: an
    /// `AsyncRead`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// use futures::io::AsyncReadExt;
    /// use std::process::Stdio;
    /// # bobbin::block_on(async {
    /// let mut child = Command::new("sh").args(["-c", "echo oops >&2"]).stderr(Stdio::piped()).spawn().unwrap();
    /// let mut err = String::new();
    /// child.stderr.take().unwrap().read_to_string(&mut err).await.unwrap();
    /// assert_eq!(err, "oops\n");
    /// child.wait().await.unwrap();
    /// # });
    /// ```
    ChildStderr,
    std::process::ChildStderr
);

macro_rules! async_read {
    ($($name:ident),*) => {$(
        impl AsyncRead for $name {
            fn poll_read(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.inner).poll_read(cx, buf)
            }

            fn poll_read_vectored(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.inner).poll_read_vectored(cx, bufs)
            }
        }
    )*};
}

async_read!(ChildStdout, ChildStderr);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    /// Closing a pipe is dropping it; this only flushes (nothing is
    /// buffered). Drop the `ChildStdin` to close the child's input.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
}
