//! `UnixListener` and its `Incoming` stream of connections.

use super::UnixStream;
use crate::io::Async;
use crate::net::backoff::AcceptBackoff;
use futures_core::Stream;
use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// A Unix-domain socket server, listening for connections.
///
/// The counterpart of [`TcpListener`](crate::net::TcpListener) for local
/// sockets named by a path: [`accept`](UnixListener::accept) connections
/// one at a time or as a stream with [`incoming`](UnixListener::incoming).
/// Dropping the listener closes the socket.
///
/// # Caveats
/// The socket file stays on disk after the listener is dropped (as with
/// std's listener); remove it yourself, and before binding the same path
/// again.
///
/// # Examples
/// ```
/// use bobbin::net::{UnixListener, UnixStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # bobbin::block_on(async {
/// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-listener-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("echo.sock");
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let server = bobbin::spawn(async move {
///     let (mut stream, _) = listener.accept().await?;
///     let mut buf = [0u8; 4];
///     stream.read_exact(&mut buf).await?;
///     stream.write_all(&buf).await
/// });
/// let mut client = UnixStream::connect(&path).await?;
/// client.write_all(b"ping").await?;
/// let mut echo = [0u8; 4];
/// client.read_exact(&mut echo).await?;
/// assert_eq!(&echo, b"ping");
/// server.await.unwrap()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixListener {
    io: Async<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates a listener bound to the socket file `path`, registered with
    /// the current runtime (or the global one).
    ///
    /// Unlike [`TcpListener::bind`](crate::net::TcpListener::bind) this is
    /// not `async`, as tokio's is not: there is no name to resolve.
    ///
    /// # Errors
    /// The operating system's error (`AddrInUse` if the file exists); an
    /// error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixListener;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-bind-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Async::new(mio::net::UnixListener::bind(path)?)?,
        })
    }

    /// Waits for the next connection, and returns it with the peer's
    /// address (usually unnamed: clients rarely bind).
    ///
    /// # Errors
    /// The accept's error, at once; out of file descriptors (`EMFILE`)
    /// included, where retrying at once spins: use
    /// [`incoming`](UnixListener::incoming), which backs off, or wait
    /// before retrying. An error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, no
    /// connection was taken from the backlog.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{UnixListener, UnixStream};
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-accept-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("accept.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let _client = UnixStream::connect(&path).await?;
    /// let (stream, peer) = listener.accept().await?;
    /// assert!(peer.is_unnamed());
    /// assert_eq!(stream.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        // Through `read_with`, not `poll_accept`: several tasks may accept on
        // one listener, each waiting in an entry of its own.
        let (stream, peer) = self.io.read_with(|listener| listener.accept()).await?;
        Ok((UnixStream::from_mio(stream)?, peer))
    }

    /// The `Poll` form of [`accept`](UnixListener::accept).
    ///
    /// # Errors
    /// As `accept`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{UnixListener, UnixStream};
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-poll-accept-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("poll.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let _client = UnixStream::connect(&path).await?;
    /// let (stream, _) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
    /// assert!(stream.peer_addr()?.is_unnamed());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, peer) = ready!(self.io.poll_read_with(cx, |listener| listener.accept()))?;
        Poll::Ready(Ok((UnixStream::from_mio(stream)?, peer)))
    }

    /// A stream of incoming connections, which backs off when the process
    /// runs out of resources.
    ///
    /// As [`TcpListener::incoming`](crate::net::TcpListener::incoming):
    /// after an accept fails with `EMFILE`, `ENFILE`, `ENOBUFS` or
    /// `ENOMEM`, the error is yielded once and the next attempt waits 1 ms,
    /// doubling up to 1 s, reset by a successful accept; other errors are
    /// yielded without waiting. The stream ends (after yielding that error once) only when the listener's runtime has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping a `next()` future takes no connection from the
    /// backlog.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::{UnixListener, UnixStream};
    /// use futures::stream::StreamExt;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-incoming-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("incoming.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let _a = UnixStream::connect(&path).await?;
    /// let _b = UnixStream::connect(&path).await?;
    /// let accepted: Vec<_> = listener.incoming().take(2).collect().await;
    /// assert!(accepted.iter().all(|stream| stream.is_ok()));
    /// # std::fs::remove_dir_all(&dir)?;
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
    /// use bobbin::net::UnixListener;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-local-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("local.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Wraps a std listener: sets it non-blocking and registers it with
    /// the current runtime (or the global one). The same as
    /// `UnixListener::try_from(listener)`.
    ///
    /// # Errors
    /// The operating system's error if the socket cannot be made
    /// non-blocking or registered; an error if the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixListener;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-from-std-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("std.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path)?)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Async::new(mio::net::UnixListener::from_std(listener))?,
        })
    }

    /// Deregisters the listener and gives back the std listener, still in
    /// non-blocking mode.
    ///
    /// # Errors
    /// The operating system's error if deregistration fails.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::UnixListener;
    /// # bobbin::block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-into-std-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("into.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?.into_std()?;
    /// let err = listener.accept().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "still non-blocking");
    /// # std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// As [`UnixListener::from_std`].
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl TryFrom<UnixListener> for std::os::unix::net::UnixListener {
    type Error = io::Error;

    /// As [`UnixListener::into_std`].
    fn try_from(listener: UnixListener) -> io::Result<std::os::unix::net::UnixListener> {
        listener.into_std()
    }
}

impl std::os::fd::AsFd for UnixListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl std::os::fd::AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

/// The stream of connections of a [`UnixListener`], made by
/// [`UnixListener::incoming`].
///
/// Yields `io::Result<UnixStream>` and ends only when its runtime shuts down; backs off after resource
/// errors (see [`UnixListener::incoming`]).
///
/// # Examples
/// ```
/// use bobbin::net::{UnixListener, UnixStream};
/// use futures::stream::StreamExt;
/// # bobbin::block_on(async {
/// # let dir = std::env::temp_dir().join(format!("bobbin-doc-unix-incoming-type-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("stream.sock");
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let client = UnixStream::connect(&path).await?;
/// let mut incoming = listener.incoming();
/// let stream = incoming.next().await.unwrap()?;
/// assert_eq!(stream.local_addr()?.as_pathname(), client.peer_addr()?.as_pathname());
/// # std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a UnixListener,
    backoff: AcceptBackoff,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<UnixStream>;

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
