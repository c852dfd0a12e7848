//! The `futures::io` traits of the byte-stream sockets (`TcpStream`,
//! `UnixStream`), written once: both are an `Async` of a mio stream in a
//! field `io`, with a `shutdown(Shutdown)` method.
//!
//! Reads and writes go through `Async::poll_read_stream`/`poll_write_stream`,
//! which take a short transfer to mean the socket is drained (or full) and
//! skip the `WouldBlock` syscall the next attempt would make; vectored ones
//! do not (std caps `readv`/`writev` at 1024 slices, so a short vectored
//! transfer proves nothing). Flushing does nothing (no user-space buffer);
//! closing shuts down the write side, so the peer reads end of stream.

/// Implements `AsyncRead` and `AsyncWrite` for `$ty` and `&$ty`.
macro_rules! stream_io_impls {
    ($ty:ty) => {
        impl futures_io::AsyncRead for &$ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                use std::io::Read;
                self.io
                    .poll_read_stream(cx, buf.len(), |mut stream| stream.read(buf))
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                use std::io::Read;
                self.io
                    .poll_read_with(cx, |mut stream| stream.read_vectored(bufs))
            }
        }

        impl futures_io::AsyncWrite for &$ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                use std::io::Write;
                self.io
                    .poll_write_stream(cx, buf.len(), |mut stream| stream.write(buf))
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                use std::io::Write;
                self.io
                    .poll_write_with(cx, |mut stream| stream.write_vectored(bufs))
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(match self.shutdown(std::net::Shutdown::Write) {
                    // The peer reset the connection (or it closed) first:
                    // the write half is closed, which is all a close asks.
                    // hyper's HTTP/2 server saw this as an error at the end
                    // of a clean exchange; tokio's poll_shutdown does the
                    // same (tokio-rs/tokio#4665). `shutdown` itself still
                    // reports it.
                    Err(err) if err.kind() == std::io::ErrorKind::NotConnected => Ok(()),
                    result => result,
                })
            }
        }

        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_read(cx, buf)
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_read_vectored(cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_flush(cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_close(cx)
            }
        }
    };
}

pub(crate) use stream_io_impls;
