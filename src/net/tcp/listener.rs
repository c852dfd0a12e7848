//! `TcpListener` and its `Incoming` stream of connections.

use super::TcpStream;
use crate::io::Async;
use crate::net::addr::{ToSocketAddrs, each_addr, resolve};
use crate::net::backoff::AcceptBackoff;
use futures_core::Stream;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// A TCP socket server, listening for connections.
///
/// Accept connections one at a time with [`accept`](TcpListener::accept),
/// or as a stream with [`incoming`](TcpListener::incoming). Dropping the
/// listener closes the socket.
///
/// # Examples
/// ```
/// use bobbin::net::{TcpListener, TcpStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # bobbin::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let server = bobbin::spawn(async move {
///     let (mut stream, _) = listener.accept().await?;
///     let mut buf = [0u8; 4];
///     stream.read_exact(&mut buf).await?;
///     stream.write_all(&buf).await?;
///     std::io::Result::Ok(())
/// });
/// let mut client = TcpStream::connect(addr).await?;
/// client.write_all(b"ping").await?;
/// let mut echo = [0u8; 4];
/// client.read_exact(&mut echo).await?;
/// assert_eq!(&echo, b"ping");
/// server.await.unwrap()?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct TcpListener {
    io: Async<mio::net::TcpListener>,
}

impl TcpListener {
    /// Creates a listener bound to `addr`, registered with the current
    /// runtime (or the global one).
    ///
    /// Each address `addr` resolves to is tried in turn, as std's
    /// `TcpListener::bind` does; the first that binds is used. Port 0 asks
    /// the system for a free port (see [`local_addr`](TcpListener::local_addr)).
    /// On Unix, `SO_REUSEADDR` is set, so a restarted server can bind at
    /// once.
    ///
    /// # Errors
    /// The last address's error if none binds; `InvalidInput` if `addr`
    /// resolves to no address; an error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Binding does not wait: with a literal address (`"127.0.0.1:80"`, a
    /// `SocketAddr`) the future completes at its first poll; a host name
    /// (`"localhost:80"`) waits for its lookup on the blocking pool, and
    /// dropping the future then binds nothing.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpListener;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// assert_ne!(listener.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let listener = each_addr(resolve(addr).await?, mio::net::TcpListener::bind)?;
        Ok(TcpListener {
            io: Async::new(listener)?,
        })
    }

    /// Waits for the next connection, and returns it with the peer's
    /// address.
    ///
    /// # Errors
    /// The accept's error, at once. Some errors are about one connection
    /// (`ConnectionAborted`: the client gave up before it was accepted),
    /// others about the process (out of file descriptors, `EMFILE`): the
    /// caller decides whether to go on. A loop that retries at once after
    /// `EMFILE` spins, because the pending connection stays pending; use
    /// [`incoming`](TcpListener::incoming), which backs off, or wait before
    /// retrying. An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, no
    /// connection was taken from the backlog.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (stream, peer) = listener.accept().await?;
    /// assert_eq!(peer, client.local_addr()?);
    /// assert_eq!(stream.peer_addr()?, client.local_addr()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        // Through `read_with`, not `poll_accept`: several tasks may accept on
        // one listener, each waiting in an entry of its own.
        let (stream, peer) = self.io.read_with(|listener| listener.accept()).await?;
        Ok((TcpStream::from_mio(stream)?, peer))
    }

    /// The `Poll` form of [`accept`](TcpListener::accept): ready with the
    /// next connection, or registers `cx` to be woken when one may be
    /// there.
    ///
    /// # Errors
    /// As `accept`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let _client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_stream, peer) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
    /// assert!(peer.ip().is_loopback());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = ready!(self.io.poll_read_with(cx, |listener| listener.accept()))?;
        Poll::Ready(Ok((TcpStream::from_mio(stream)?, peer)))
    }

    /// A stream of incoming connections, which backs off when the process
    /// runs out of resources.
    ///
    /// Each item is the result of one accept. When an accept fails with
    /// `EMFILE` or `ENFILE` (out of file descriptors), `ENOBUFS` or `ENOMEM`,
    /// the stream yields that error once, then waits before its next
    /// attempt: 1 ms, doubling after each such error up to 1 s, and back to
    /// 1 ms after a successful accept. So a loop that logs errors and
    /// continues neither spins at 100% CPU nor dies while connections are
    /// closed and descriptors come back. Other errors (`ConnectionAborted`,
    /// ...) are yielded without waiting. The stream ends only when the
    /// runtime the listener was registered with has shut down: it yields
    /// the error saying so once, then `None`.
    ///
    /// Each `Incoming` keeps its own back-off; the listener is only
    /// borrowed.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping a `next()` future takes no connection from the
    /// backlog (a back-off in progress is kept by the `Incoming`).
    ///
    /// # Examples
    /// ```no_run
    /// use bobbin::net::TcpListener;
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use futures::stream::StreamExt;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:7000").await?;
    /// let mut incoming = listener.incoming();
    /// while let Some(stream) = incoming.next().await {
    ///     let mut stream = match stream {
    ///         Ok(stream) => stream,
    ///         Err(err) => {
    ///             eprintln!("accept failed: {err}");
    ///             continue; // no spin on EMFILE: the stream backs off
    ///         }
    ///     };
    ///     // Dropping the JoinHandle detaches the task.
    ///     let _connection = bobbin::spawn(async move {
    ///         let mut buf = vec![0u8; 4096];
    ///         while let Ok(n @ 1..) = stream.read(&mut buf).await {
    ///             if stream.write_all(&buf[..n]).await.is_err() {
    ///                 break;
    ///             }
    ///         }
    ///     });
    /// }
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// ```
    /// use bobbin::net::{TcpListener, TcpStream};
    /// use futures::stream::StreamExt;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let stream = listener.incoming().next().await.unwrap()?;
    /// assert_eq!(stream.peer_addr()?, client.local_addr()?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            listener: self,
            backoff: AcceptBackoff::new(),
        }
    }

    /// The address this listener is bound to.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpListener;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// assert!(listener.local_addr()?.ip().is_loopback());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `IP_TTL`, the time-to-live of packets sent from accepted
    /// sockets.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpListener;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// listener.set_ttl(42)?;
    /// assert_eq!(listener.ttl()?, 42);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The value of `IP_TTL` (see [`set_ttl`](TcpListener::set_ttl)).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpListener;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// assert!(listener.ttl()? > 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Wraps a std listener: sets it non-blocking and registers it with
    /// the current runtime (or the global one). The same as
    /// `TcpListener::try_from(listener)`.
    ///
    /// # Errors
    /// The operating system's error if the socket cannot be made
    /// non-blocking or registered; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpListener;
    /// # bobbin::block_on(async {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = std_listener.local_addr()?;
    /// let listener = TcpListener::from_std(std_listener)?;
    /// assert_eq!(listener.local_addr()?, addr);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Async::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Deregisters the listener and gives back the std listener.
    ///
    /// The socket stays in non-blocking mode: call
    /// `set_nonblocking(false)` on it before blocking calls.
    ///
    /// # Errors
    /// The operating system's error if deregistration fails.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpListener;
    /// # bobbin::block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// let std_listener = listener.into_std()?;
    /// std_listener.set_nonblocking(false)?;
    /// assert_eq!(std_listener.local_addr()?, addr);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// As [`TcpListener::from_std`].
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl TryFrom<TcpListener> for std::net::TcpListener {
    type Error = io::Error;

    /// As [`TcpListener::into_std`].
    fn try_from(listener: TcpListener) -> io::Result<std::net::TcpListener> {
        listener.into_std()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

/// The stream of connections of a [`TcpListener`], made by
/// [`TcpListener::incoming`].
///
/// Yields `io::Result<TcpStream>` and ends only when its runtime shuts down. After an accept fails for
/// lack of file descriptors or memory it waits before the next attempt
/// (see [`TcpListener::incoming`] for the schedule).
///
/// # Examples
/// ```
/// use bobbin::net::{TcpListener, TcpStream};
/// use futures::stream::StreamExt;
/// # bobbin::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let _a = TcpStream::connect(addr).await?;
/// let _b = TcpStream::connect(addr).await?;
/// let accepted: Vec<_> = listener.incoming().take(2).collect().await;
/// assert!(accepted.iter().all(|stream| stream.is_ok()));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
    backoff: AcceptBackoff,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.backoff.is_finished() {
            return Poll::Ready(None);
        }
        ready!(this.backoff.poll_wait(cx));
        let result = ready!(this.listener.poll_accept(cx)).map(|(stream, _)| stream);
        this.backoff
            .record(&result, this.listener.io.registration().driver());
        Poll::Ready(Some(result))
    }
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", self.listener)
            .finish_non_exhaustive()
    }
}
