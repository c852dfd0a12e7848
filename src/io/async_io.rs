//! `Async<T>`: any mio source, registered with the runtime's I/O driver.

use super::registration::{Registration, Waiter};
use crate::driver::scheduled_io::Direction;
use futures_io::{AsyncRead, AsyncWrite};
use mio::event::Source;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

/// An I/O resource (any [`mio::event::Source`], which must be in
/// non-blocking mode, as mio's own types are) registered with the current
/// runtime's I/O driver, so that tasks waiting on it cost nothing until it
/// is ready.
///
/// Operations go through [`read_with`](Async::read_with) and
/// [`write_with`](Async::write_with): they run the given non-blocking
/// operation, and when it reports `WouldBlock` they wait for the next
/// readiness event and try again. `Async<T>` implements
/// `futures::io::{AsyncRead, AsyncWrite}` when `&T` implements
/// `Read`/`Write`, so every futures-io based library works on it unchanged.
/// The resource is deregistered when the `Async` is dropped.
///
/// # Errors
/// Once the runtime it was registered with has shut down, every operation
/// fails with an `io::Error` saying so (instead of waiting forever).
///
/// # Caveats
/// Readiness is edge-triggered: after [`readable`](Async::readable) returns,
/// an operation that reports `WouldBlock` must be retried through
/// [`ReadyGuard::clear_ready`] (or through `read_with`, which does it), or
/// `readable` keeps reporting the old readiness.
///
/// # Examples
/// ```
/// use bobbin::io::Async;
/// use std::io::{Read, Write};
/// # bobbin::block_on(async {
/// let (a, b) = mio::net::UnixStream::pair().unwrap();
/// let (a, b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
/// b.write_with(|io| (&*io).write(b"ping")).await.unwrap();
/// let mut buf = [0u8; 4];
/// let n = a.read_with(|io| (&*io).read(&mut buf)).await.unwrap();
/// assert_eq!(&buf[..n], b"ping");
/// # });
/// ```
pub struct Async<T: Source> {
    registration: Registration,
    io: Option<T>,
}

/// Readiness observed by [`Async::readable`] or [`Async::writable`].
///
/// # Examples
/// ```
/// use bobbin::io::Async;
/// use std::io::Write;
/// # bobbin::block_on(async {
/// let (a, _b) = mio::net::UnixStream::pair().unwrap();
/// let a = Async::new(a).unwrap();
/// let mut guard = a.writable().await.unwrap();
/// let written = guard.try_io(|io| (&*io).write(b"x")).unwrap();
/// assert_eq!(written, 1);
/// # });
/// ```
pub struct ReadyGuard<'a, T: Source> {
    io: &'a Async<T>,
    direction: Direction,
    event: crate::driver::scheduled_io::ReadyEvent,
}

impl<T: Source> Async<T> {
    /// Registers `io` with the current runtime (or the global one).
    ///
    /// # Errors
    /// The operating system's error if registration fails, or an error if
    /// the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// let listener = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let listener = Async::new(listener).unwrap();
    /// assert!(listener.get_ref().local_addr().unwrap().port() > 0);
    /// ```
    pub fn new(mut io: T) -> io::Result<Async<T>> {
        let registration = Registration::new(&mut io)?;
        Ok(Async {
            registration,
            io: Some(io),
        })
    }

    /// The inner resource.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let socket = Async::new(socket).unwrap();
    /// assert!(socket.get_ref().local_addr().is_ok());
    /// ```
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("the resource is present until into_inner or drop")
    }

    /// The inner resource, mutably.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let mut socket = Async::new(socket).unwrap();
    /// socket.get_mut().set_ttl(10).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.io
            .as_mut()
            .expect("the resource is present until into_inner or drop")
    }

    /// Deregisters the resource and gives it back.
    ///
    /// # Errors
    /// The operating system's error if deregistration fails.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// let socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let socket = Async::new(socket).unwrap().into_inner().unwrap();
    /// assert!(socket.local_addr().is_ok());
    /// ```
    pub fn into_inner(mut self) -> io::Result<T> {
        let mut io = self
            .io
            .take()
            .expect("the resource is present until into_inner or drop");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    /// Waits until the resource is readable (or at end of stream, or in
    /// error).
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::Write;
    /// # bobbin::block_on(async {
    /// let (a, b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// (&b).write_all(b"!").unwrap();
    /// a.readable().await.unwrap();
    /// # });
    /// ```
    pub async fn readable(&self) -> io::Result<ReadyGuard<'_, T>> {
        self.ready(Direction::Read).await
    }

    /// Waits until the resource is writable (or closed, or in error).
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// # bobbin::block_on(async {
    /// let (a, _b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// a.writable().await.unwrap();
    /// # });
    /// ```
    pub async fn writable(&self) -> io::Result<ReadyGuard<'_, T>> {
        self.ready(Direction::Write).await
    }

    async fn ready(&self, direction: Direction) -> io::Result<ReadyGuard<'_, T>> {
        let mut waiter = Waiter::new(&self.registration, direction);
        let event = poll_fn(|cx| waiter.poll_ready(cx)).await?;
        Ok(ReadyGuard {
            io: self,
            direction,
            event,
        })
    }

    /// The `Poll` form of [`readable`](Async::readable) (without a guard).
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::Write;
    /// # bobbin::block_on(async {
    /// let (a, b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// (&b).write_all(b"!").unwrap();
    /// std::future::poll_fn(|cx| a.poll_readable(cx)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.registration
            .poll_ready(cx, Direction::Read)
            .map_ok(|_| ())
    }

    /// The `Poll` form of [`writable`](Async::writable) (without a guard).
    ///
    /// # Errors
    /// An error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// # bobbin::block_on(async {
    /// let (a, _b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// std::future::poll_fn(|cx| a.poll_writable(cx)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.registration
            .poll_ready(cx, Direction::Write)
            .map_ok(|_| ())
    }

    /// Runs the non-blocking read operation `op` until it does not report
    /// `WouldBlock`, waiting for readability in between.
    ///
    /// # Errors
    /// Whatever `op` returns other than `WouldBlock`; an error if the
    /// runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe if `op` is: an `op` that did not complete made no change.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// # bobbin::block_on(async {
    /// let listener = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let listener = Async::new(listener).unwrap();
    /// let _client = std::net::TcpStream::connect(addr).unwrap();
    /// let (_stream, peer) = listener.read_with(|l| l.accept()).await.unwrap();
    /// assert!(peer.ip().is_loopback());
    /// # });
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        let mut waiter = Waiter::new(&self.registration, Direction::Read);
        poll_fn(|cx| waiter.poll_io(cx, || op(io))).await
    }

    /// As [`read_with`](Async::read_with), with mutable access.
    ///
    /// # Errors
    /// As `read_with`.
    ///
    /// # Cancel safety
    /// As `read_with`: cancel safe if `op` is.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::{Read, Write};
    /// # bobbin::block_on(async {
    /// let (a, b) = mio::net::UnixStream::pair().unwrap();
    /// let mut a = Async::new(a).unwrap();
    /// (&b).write_all(b"hi").unwrap();
    /// let mut buf = [0u8; 2];
    /// a.read_with_mut(|io| io.read_exact(&mut buf)).await.unwrap();
    /// assert_eq!(&buf, b"hi");
    /// # });
    /// ```
    pub async fn read_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let Async { registration, io } = &mut *self;
        let io = io
            .as_mut()
            .expect("the resource is present until into_inner or drop");
        let mut waiter = Waiter::new(registration, Direction::Read);
        poll_fn(|cx| waiter.poll_io(cx, || op(io))).await
    }

    /// Runs the non-blocking write operation `op` until it does not report
    /// `WouldBlock`, waiting for writability in between.
    ///
    /// # Errors
    /// Whatever `op` returns other than `WouldBlock`; an error if the
    /// runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe if `op` is.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::Write;
    /// # bobbin::block_on(async {
    /// let (a, _b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// assert_eq!(a.write_with(|io| (&*io).write(b"abc")).await.unwrap(), 3);
    /// # });
    /// ```
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        let mut waiter = Waiter::new(&self.registration, Direction::Write);
        poll_fn(|cx| waiter.poll_io(cx, || op(io))).await
    }

    /// As [`write_with`](Async::write_with), with mutable access.
    ///
    /// # Errors
    /// As `write_with`.
    ///
    /// # Cancel safety
    /// As `write_with`: cancel safe if `op` is.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::Write;
    /// # bobbin::block_on(async {
    /// let (a, _b) = mio::net::UnixStream::pair().unwrap();
    /// let mut a = Async::new(a).unwrap();
    /// a.write_with_mut(|io| io.write_all(b"abc")).await.unwrap();
    /// # });
    /// ```
    pub async fn write_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let Async { registration, io } = &mut *self;
        let io = io
            .as_mut()
            .expect("the resource is present until into_inner or drop");
        let mut waiter = Waiter::new(registration, Direction::Write);
        poll_fn(|cx| waiter.poll_io(cx, || op(io))).await
    }

    /// The `Poll` form of [`read_with`](Async::read_with).
    ///
    /// # Errors
    /// As `read_with`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::{Read, Write};
    /// # bobbin::block_on(async {
    /// let (a, b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// (&b).write_all(b"z").unwrap();
    /// let mut buf = [0u8; 1];
    /// let n = std::future::poll_fn(|cx| a.poll_read_with(cx, |io| (&*io).read(&mut buf))).await.unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.registration.poll_io(cx, Direction::Read, || op(io))
    }

    /// The `Poll` form of [`write_with`](Async::write_with).
    ///
    /// # Errors
    /// As `write_with`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::Write;
    /// # bobbin::block_on(async {
    /// let (a, _b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// let n = std::future::poll_fn(|cx| a.poll_write_with(cx, |io| (&*io).write(b"q"))).await.unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.registration.poll_io(cx, Direction::Write, || op(io))
    }

    /// A read of up to `requested` bytes from a byte stream (see
    /// `Registration::poll_stream_io`).
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        requested: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        self.registration
            .poll_stream_io(cx, Direction::Read, requested, || op(io))
    }

    /// A write of up to `requested` bytes to a byte stream.
    pub(crate) fn poll_write_stream(
        &self,
        cx: &mut Context<'_>,
        requested: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        self.registration
            .poll_stream_io(cx, Direction::Write, requested, || op(io))
    }

    /// Runs a read operation once if the resource is readable, without
    /// waiting or registering a waker (the `try_*` methods of `net`).
    pub(crate) fn try_read_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.registration
            .try_io(Direction::Read, || op(self.get_ref()))
    }

    /// Runs a write operation once if the resource is writable, without
    /// waiting or registering a waker.
    pub(crate) fn try_write_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.registration
            .try_io(Direction::Write, || op(self.get_ref()))
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }
}

impl<T: Source> ReadyGuard<'_, T> {
    /// Forgets the readiness this guard saw: the next `readable()` or
    /// `writable()` waits for a new event. Call it when the operation that
    /// followed reported `WouldBlock`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// # bobbin::block_on(async {
    /// let (a, _b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// let guard = a.writable().await.unwrap();
    /// guard.clear_ready();
    /// # });
    /// ```
    pub fn clear_ready(self) {
        self.io.registration.clear_readiness(self.event);
    }

    /// Runs `op`; if it reports `WouldBlock`, clears the readiness and gives
    /// `Err` back so the caller waits again.
    ///
    /// # Errors
    /// `Err(WouldBlock)` when the readiness was stale (wait again); any other
    /// error of `op`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::io::Async;
    /// use std::io::Read;
    /// # bobbin::block_on(async {
    /// let (a, b) = mio::net::UnixStream::pair().unwrap();
    /// let a = Async::new(a).unwrap();
    /// drop(b); // end of stream makes `a` readable
    /// let mut guard = a.readable().await.unwrap();
    /// let mut buf = [0u8; 8];
    /// assert_eq!(guard.try_io(|io| (&*io).read(&mut buf)).unwrap(), 0);
    /// # });
    /// ```
    pub fn try_io<R>(&mut self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let result = op(self.io.get_ref());
        if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
            self.io.registration.clear_readiness(self.event);
        }
        result
    }

    /// Whether this guard is for reading or writing readiness.
    fn is_read(&self) -> bool {
        self.direction == Direction::Read
    }
}

impl<T: Source> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // An error here (the runtime's poll is gone) leaves nothing to
            // clean: the fd closes with `io` right after.
            let _ = self.registration.deregister(&mut io);
        }
    }
}

impl<T: Source + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async")
            .field("io", &self.io)
            .finish_non_exhaustive()
    }
}

impl<T: Source> fmt::Debug for ReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = if self.is_read() {
            "readable"
        } else {
            "writable"
        };
        f.debug_struct("ReadyGuard")
            .field("ready", &direction)
            .finish()
    }
}

impl<T: Source> AsyncRead for Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read_vectored(bufs))
    }
}

impl<T: Source> AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read_vectored(bufs))
    }
}

impl<T: Source> AsyncWrite for Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write_vectored(bufs))
    }

    /// Flushes `T` once, without waiting for writability: a socket or pipe
    /// buffers nothing in user space, and waiting would hang on a full one
    /// whose peer does not read. A `WouldBlock` from `T`'s flush is waited
    /// out like any write.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_ref().flush() {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                self.poll_write_with(cx, |mut io| io.flush())
            }
            result => Poll::Ready(result),
        }
    }

    /// Flushes. `Async<T>` knows no generic way to close `T`'s write side;
    /// the socket types in [`crate::net`] shut it down in their `poll_close`.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: Source> AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write_vectored(bufs))
    }

    /// Flushes `T` once, without waiting for writability: a socket or pipe
    /// buffers nothing in user space, and waiting would hang on a full one
    /// whose peer does not read. A `WouldBlock` from `T`'s flush is waited
    /// out like any write.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_ref().flush() {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                self.poll_write_with(cx, |mut io| io.flush())
            }
            result => Poll::Ready(result),
        }
    }

    /// Flushes. `Async<T>` knows no generic way to close `T`'s write side;
    /// the socket types in [`crate::net`] shut it down in their `poll_close`.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
