//! hyper 1.x on bobbin: the I/O, executor and timer adapters hyper's
//! connections need (feature `hyper`).
//!
//! hyper 1.x talks to its runtime through three traits in `hyper::rt`:
//! [`Read`]/[`Write`] for the connection's bytes, [`Executor`] for the
//! tasks HTTP/2 spawns (one per stream, plus the connection's), and
//! [`Timer`] for its timeouts (`header_read_timeout`, keep-alive pings).
//! hyper-util implements them for tokio only; this module implements them
//! for bobbin:
//!
//! - [`HyperIo`] wraps a `futures-io` stream (bobbin's
//!   [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream),
//!   or any other) as a hyper [`Read`] + [`Write`], and a hyper stream (an
//!   upgraded connection) as a `futures-io` one;
//! - [`BobbinExecutor`] spawns hyper's tasks on bobbin;
//! - [`BobbinTimer`] makes hyper's sleeps out of [`bobbin::time::Sleep`](crate::time::Sleep).
//!
//! Why the read copies: hyper hands a reader a [`ReadBufCursor`] over
//! possibly uninitialized memory, and the only safe way to fill it is
//! [`ReadBufCursor::put_slice`] (advancing past bytes written in place is
//! `unsafe`). [`HyperIo`] therefore reads into a scratch buffer and copies
//! what arrived, so this module stays `#![forbid(unsafe_code)]`. The
//! scratch (64 KiB) is one per thread, reused by every connection, rather
//! than one per connection: it costs a `memcpy` of the bytes read, not
//! memory per connection or a `memset` per read. The rejected alternative,
//! reading into `initialize_unfilled()` and `unsafe { advance(n) }`, saves
//! that copy (small beside the system call that produced the bytes) at the
//! price of an unsafe block outside the short list of files that hold them.
//!
//! Invariants: none of the runtime's; the adapters use bobbin's public API
//! only. [`HyperIo`] passes its stream's results through unchanged, except
//! that a reader claiming more bytes than the buffer it was given is
//! reported as an error (hyper would otherwise panic in `put_slice`), and
//! a shutdown that finds the connection already reset succeeds.
//!
//! Tested by the examples below and `executor-tests/tests/compat_hyper.rs`.
//!
//! # Examples
//! An HTTP/2 server and client over bobbin TCP: HTTP/2 needs the executor
//! on both sides.
//! ```
//! use bobbin::compat::hyper::{BobbinExecutor, BobbinTimer, HyperIo};
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::Bytes;
//!
//! # bobbin::block_on(async {
//! let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let address = listener.local_addr().unwrap();
//! bobbin::spawn(async move {
//!     let (stream, _) = listener.accept().await.unwrap();
//!     let service = hyper::service::service_fn(|_request| async {
//!         Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::from("hello"))))
//!     });
//!     hyper::server::conn::http2::Builder::new(BobbinExecutor::new())
//!         .timer(BobbinTimer::new())
//!         .serve_connection(HyperIo::new(stream), service)
//!         .await
//!         .unwrap();
//! });
//!
//! let stream = bobbin::net::TcpStream::connect(address).await.unwrap();
//! let (mut sender, connection) =
//!     hyper::client::conn::http2::handshake(BobbinExecutor::new(), HyperIo::new(stream))
//!         .await
//!         .unwrap();
//! bobbin::spawn(connection);
//! let request = hyper::Request::get(format!("http://{address}/"))
//!     .body(Empty::<Bytes>::new())
//!     .unwrap();
//! let response = sender.send_request(request).await.unwrap();
//! assert_eq!(response.version(), hyper::Version::HTTP_2);
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! assert_eq!(body, "hello");
//! # });
//! ```

use crate::runtime::Handle;
use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::{Executor, Read, ReadBuf, ReadBufCursor, Sleep, Timer, Write};
use std::cell::Cell;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

pin_project_lite::pin_project! {
    /// A byte stream as hyper wants it: wraps a `futures-io` stream (such as
    /// bobbin's [`TcpStream`](crate::net::TcpStream)) as a hyper [`Read`] +
    /// [`Write`], and a hyper stream (such as `hyper::upgrade::Upgraded`)
    /// as a `futures-io` [`AsyncRead`] + [`AsyncWrite`].
    ///
    /// In the first direction, `poll_shutdown` is `poll_close` (for
    /// bobbin's sockets: shut down the write side, done too if the peer
    /// reset the connection first); `poll_flush` is `poll_flush`.
    /// Reads go through a per-thread scratch buffer and are copied into
    /// hyper's (see the [module docs](self) for why); writes are not copied.
    ///
    /// # Caveats
    /// hyper asks [`Write::is_write_vectored`] whether a vectored write is
    /// worth it; `futures-io` cannot say, so [`HyperIo::new`] answers "no"
    /// and hyper copies a response's head and body into one buffer before
    /// writing. Streams whose `poll_write_vectored` writes every slice at
    /// once (bobbin's `TcpStream` and `UnixStream` do, with `writev`) can
    /// say "yes" with [`with_vectored_writes`](HyperIo::with_vectored_writes).
    /// A stream that writes only the first slice (the trait's default)
    /// should not: each slice would cost a system call, and the head could
    /// leave in a packet of its own.
    ///
    /// # Examples
    /// An HTTP/1.1 request and its answer over bobbin TCP.
    /// ```
    /// use bobbin::compat::hyper::HyperIo;
    /// use http_body_util::{BodyExt, Empty, Full};
    /// use hyper::body::Bytes;
    ///
    /// # bobbin::block_on(async {
    /// let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let address = listener.local_addr().unwrap();
    /// bobbin::spawn(async move {
    ///     let (stream, _) = listener.accept().await.unwrap();
    ///     let service = hyper::service::service_fn(|request: hyper::Request<_>| {
    ///         let path = request.uri().path().to_owned();
    ///         async move { Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::from(path)))) }
    ///     });
    ///     hyper::server::conn::http1::Builder::new()
    ///         .serve_connection(HyperIo::new(stream).with_vectored_writes(true), service)
    ///         .await
    ///         .unwrap();
    /// });
    ///
    /// let stream = bobbin::net::TcpStream::connect(address).await.unwrap();
    /// let (mut sender, connection) =
    ///     hyper::client::conn::http1::handshake(HyperIo::new(stream)).await.unwrap();
    /// bobbin::spawn(connection);
    /// let request = hyper::Request::get("/echo")
    ///     .header("host", address.to_string())
    ///     .body(Empty::<Bytes>::new())
    ///     .unwrap();
    /// let response = sender.send_request(request).await.unwrap();
    /// assert_eq!(response.status(), 200);
    /// let body = response.into_body().collect().await.unwrap().to_bytes();
    /// assert_eq!(body, "/echo");
    /// # });
    /// ```
    #[derive(Debug)]
    pub struct HyperIo<T> {
        #[pin]
        inner: T,
        is_write_vectored: bool,
    }
}

impl<T> HyperIo<T> {
    /// Wraps `inner`; hyper is told its vectored writes are not efficient
    /// (see [`with_vectored_writes`](HyperIo::with_vectored_writes)).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let stream = bobbin::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let io = bobbin::compat::hyper::HyperIo::new(stream);
    /// assert!(!hyper::rt::Write::is_write_vectored(&io));
    /// # });
    /// ```
    pub fn new(inner: T) -> HyperIo<T> {
        HyperIo {
            inner,
            is_write_vectored: false,
        }
    }

    /// Tells hyper whether `inner`'s `poll_write_vectored` writes all its
    /// slices at once (true for bobbin's `TcpStream` and `UnixStream`), so
    /// hyper can send a response's head and body without copying them into
    /// one buffer first. Used only when wrapping a `futures-io` stream.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let stream = bobbin::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let io = bobbin::compat::hyper::HyperIo::new(stream).with_vectored_writes(true);
    /// assert!(hyper::rt::Write::is_write_vectored(&io));
    /// # });
    /// ```
    pub fn with_vectored_writes(self, is_efficient: bool) -> HyperIo<T> {
        HyperIo {
            is_write_vectored: is_efficient,
            ..self
        }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let address = listener.local_addr().unwrap();
    /// let stream = bobbin::net::TcpStream::connect(address).await.unwrap();
    /// let io = bobbin::compat::hyper::HyperIo::new(stream);
    /// assert_eq!(io.get_ref().peer_addr().unwrap(), address);
    /// # });
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let stream = bobbin::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let mut io = bobbin::compat::hyper::HyperIo::new(stream);
    /// io.get_mut().set_nodelay(true).unwrap();
    /// assert!(io.get_ref().nodelay().unwrap());
    /// # });
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let address = listener.local_addr().unwrap();
    /// let stream = bobbin::net::TcpStream::connect(address).await.unwrap();
    /// let stream = bobbin::compat::hyper::HyperIo::new(stream).into_inner();
    /// assert_eq!(stream.peer_addr().unwrap(), address);
    /// # });
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

/// How much one read may take: hyper's HTTP/1 buffer starts at 8 KiB and
/// grows to 400 KiB for large bodies; 64 KiB keeps large transfers at a
/// few system calls without holding much memory per thread.
const SCRATCH_LEN: usize = 64 * 1024;

thread_local! {
    /// This thread's read scratch, taken out while a read uses it (so a
    /// nested read, if a stream ever reads through another `HyperIo`, gets
    /// a fresh one rather than a borrow error).
    static SCRATCH: Cell<Option<Box<[u8]>>> = const { Cell::new(None) };
}

/// Runs `f` with this thread's read scratch, cut to `len` bytes (at most
/// [`SCRATCH_LEN`]). The bytes hold whatever an earlier read left: a reader
/// overwrites the prefix it reports, and only that prefix is used.
fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    // `try_with`: during thread exit the slot may be gone; a fresh buffer
    // does the job then.
    let mut scratch = SCRATCH
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(|| vec![0; SCRATCH_LEN].into_boxed_slice());
    let result = f(&mut scratch[..len.min(SCRATCH_LEN)]);
    let _ = SCRATCH.try_with(|slot| slot.set(Some(scratch)));
    result
}

impl<T: AsyncRead> Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let wanted = buf.remaining();
        if wanted == 0 {
            return Poll::Ready(Ok(()));
        }
        let inner = self.project().inner;
        with_scratch(wanted, |scratch| {
            let read = ready!(inner.poll_read(cx, scratch))?;
            let Some(filled) = scratch.get(..read) else {
                return Poll::Ready(Err(io::Error::other(format!(
                    "the stream's poll_read reported {read} bytes read into a buffer of {}; \
                     that is a bug in its AsyncRead implementation",
                    scratch.len()
                ))));
            };
            buf.put_slice(filled);
            Poll::Ready(Ok(()))
        })
    }
}

impl<T: AsyncWrite> Write for HyperIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // bobbin's sockets close a half the peer already reset without an
        // error, as hyper expects (`net/stream_io.rs`).
        self.project().inner.poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.is_write_vectored
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}

/// The other direction: a hyper stream (`hyper::upgrade::Upgraded`) read
/// through `futures-io`. `buf` is initialized, so hyper's [`ReadBuf`] can
/// wrap it safely.
impl<T: Read> AsyncRead for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        ready!(self.project().inner.poll_read(cx, buf.unfilled()))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

/// The other direction's writes: `poll_close` is hyper's `poll_shutdown`.
impl<T: Write> AsyncWrite for HyperIo<T> {
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

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

/// Spawns hyper's background tasks (an HTTP/2 connection's, one per
/// HTTP/2 stream served) as bobbin tasks, detached: hyper keeps no
/// `JoinHandle`, and a task that panics is reported the way
/// [`Builder::unhandled_panic`](crate::runtime::Builder::unhandled_panic)
/// says.
///
/// [`BobbinExecutor::new`] spawns on the runtime current where hyper calls
/// [`Executor::execute`] (the runtime whose task drives the connection,
/// or the global runtime outside any); [`BobbinExecutor::with_handle`]
/// always spawns on the runtime of a given [`Handle`].
///
/// # Examples
/// ```
/// use hyper::rt::Executor;
///
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::oneshot();
/// bobbin::compat::hyper::BobbinExecutor::new().execute(async move {
///     tx.send("ran").unwrap();
/// });
/// assert_eq!(rx.await.unwrap(), "ran");
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct BobbinExecutor {
    handle: Option<Handle>,
}

impl BobbinExecutor {
    /// An executor that spawns on the current runtime (or the global one),
    /// as [`bobbin::spawn`](crate::spawn) does.
    ///
    /// # Examples
    /// ```
    /// use hyper::rt::Executor;
    ///
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// let (tx, rx) = bobbin::channel::oneshot();
    /// rt.block_on(async move {
    ///     bobbin::compat::hyper::BobbinExecutor::new().execute(async move {
    ///         tx.send(bobbin::runtime::Handle::current().metrics().num_workers()).unwrap();
    ///     });
    /// });
    /// assert_eq!(rt.block_on(rx).unwrap(), 1);
    /// ```
    pub fn new() -> BobbinExecutor {
        BobbinExecutor { handle: None }
    }

    /// An executor that spawns on `handle`'s runtime, wherever hyper calls
    /// it from.
    ///
    /// # Examples
    /// ```
    /// use hyper::rt::Executor;
    ///
    /// let rt = bobbin::Runtime::builder().worker_threads(1).build().unwrap();
    /// let executor = bobbin::compat::hyper::BobbinExecutor::with_handle(rt.handle());
    /// let (tx, rx) = bobbin::channel::oneshot();
    /// // Called from a plain thread, outside any runtime.
    /// executor.execute(async move {
    ///     tx.send(bobbin::runtime::Handle::current().metrics().num_workers()).unwrap();
    /// });
    /// assert_eq!(rt.block_on(rx).unwrap(), 1);
    /// ```
    pub fn with_handle(handle: Handle) -> BobbinExecutor {
        BobbinExecutor {
            handle: Some(handle),
        }
    }
}

impl<F> Executor<F> for BobbinExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// The task's spawn location (in the task dump) is hyper's call site.
    #[track_caller]
    fn execute(&self, future: F) {
        // Dropping the JoinHandle detaches the task.
        match &self.handle {
            Some(handle) => drop(handle.spawn(future)),
            None => drop(crate::spawn(future)),
        }
    }
}

/// hyper's timer: its sleeps are bobbin [`Sleep`](crate::time::Sleep)s,
/// driven by the wheel of the runtime they are first polled in (the
/// runtime running the connection's task).
///
/// hyper uses a timer for its HTTP/1 server's `header_read_timeout` (30 s
/// by default once a timer is set) and for HTTP/2 keep-alive pings. Without
/// a timer, hyper skips its default timeouts and panics at a configured
/// one ("timeout `header_read_timeout` set, but no timer set"), so give
/// every builder that takes `.timer(..)` this one. [`Timer::reset`] moves
/// the deadline of the same `Sleep` in place (no new allocation).
///
/// # Examples
/// ```
/// use hyper::rt::Timer;
/// use std::time::{Duration, Instant};
///
/// # bobbin::block_on(async {
/// let timer = bobbin::compat::hyper::BobbinTimer::new();
/// let start = Instant::now();
/// let mut sleep = timer.sleep(Duration::from_secs(60));
/// timer.reset(&mut sleep, start + Duration::from_millis(20));
/// sleep.await;
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BobbinTimer {
    _private: (),
}

impl BobbinTimer {
    /// The timer (it holds nothing: every runtime has its own wheel).
    ///
    /// # Examples
    /// ```
    /// use hyper::rt::Timer;
    /// use std::time::{Duration, Instant};
    ///
    /// # bobbin::block_on(async {
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// bobbin::compat::hyper::BobbinTimer::new().sleep_until(deadline).await;
    /// assert!(Instant::now() >= deadline);
    /// # });
    /// ```
    pub fn new() -> BobbinTimer {
        BobbinTimer { _private: () }
    }
}

impl Timer for BobbinTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(crate::time::sleep(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(crate::time::sleep_until(deadline))
    }

    /// The current runtime's clock, so hyper's deadlines follow a paused
    /// clock (`bobbin::time::pause`).
    fn now(&self) -> Instant {
        crate::time::Instant::now().into_std()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<crate::time::Sleep>() {
            Some(sleep) => sleep.reset(new_deadline),
            // Another timer's sleep: replace it, as hyper's default does.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A bobbin sleep is a hyper sleep (it is `Send`, `Sync` and `Unpin`), so
/// [`BobbinTimer`] boxes it without a wrapper.
impl Sleep for crate::time::Sleep {}
