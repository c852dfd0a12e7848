//! [`TcpSocket`]: a TCP socket set up before it connects or listens.

use super::{TcpListener, TcpStream};
use socket2::{Domain, Protocol, Socket, Type};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// A TCP socket not yet connected or listening, to set options on first
/// (`SO_REUSEADDR`, `SO_REUSEPORT`, buffer sizes, keep-alive, linger,
/// `TCP_NODELAY`) and to bind to a chosen local address; then
/// [`connect`](TcpSocket::connect) makes a [`TcpStream`] and
/// [`listen`](TcpSocket::listen) a [`TcpListener`].
///
/// # Examples
/// ```
/// use bobbin::net::TcpSocket;
/// # bobbin::block_on(async {
/// let socket = TcpSocket::new_v4()?;
/// socket.set_reuseaddr(true)?;
/// socket.bind("127.0.0.1:0".parse().unwrap())?;
/// let listener = socket.listen(1024)?;
///
/// let client = TcpSocket::new_v4()?;
/// client.set_nodelay(true)?;
/// let stream = client.connect(listener.local_addr()?).await?;
/// assert!(stream.nodelay()?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (non-blocking, closed on exec).
    ///
    /// # Errors
    /// The operating system's error (out of file descriptors).
    ///
    /// # Examples
    /// See [`TcpSocket`].
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket (non-blocking, closed on exec).
    ///
    /// # Errors
    /// The operating system's error (out of file descriptors, or no IPv6).
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = bobbin::net::TcpSocket::new_v6()?;
    /// # drop(socket); Ok(()) }
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        let inner = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
        inner.set_nonblocking(true)?;
        Ok(TcpSocket { inner })
    }

    /// Allows binding to an address still in `TIME_WAIT` (a restarted
    /// server's port).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`TcpSocket`].
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = bobbin::net::TcpSocket::new_v4()?;
    /// socket.set_reuseaddr(true)?;
    /// assert!(socket.reuseaddr()?);
    /// # Ok(()) }
    /// ```
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Allows several sockets to bind the same address and port (the
    /// kernel spreads connections among their listeners).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::net::TcpSocket;
    /// # bobbin::block_on(async {
    /// let first = TcpSocket::new_v4()?;
    /// first.set_reuseport(true)?;
    /// first.bind("127.0.0.1:0".parse().unwrap())?;
    /// let addr = first.local_addr()?;
    /// let second = TcpSocket::new_v4()?;
    /// second.set_reuseport(true)?;
    /// second.bind(addr)?;
    /// assert!(second.reuseport()?);
    /// let (_a, _b) = (first.listen(16)?, second.listen(16)?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[cfg(unix)]
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuseport)
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`set_reuseport`](TcpSocket::set_reuseport).
    #[cfg(unix)]
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Turns TCP keep-alive probes on or off (the system's timing).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = bobbin::net::TcpSocket::new_v4()?;
    /// socket.set_keepalive(true)?;
    /// assert!(socket.keepalive()?);
    /// # Ok(()) }
    /// ```
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.inner.set_keepalive(keepalive)
    }

    /// Whether keep-alive is on.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`set_keepalive`](TcpSocket::set_keepalive).
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// `SO_LINGER`: with `Some(duration)`, closing waits up to that long
    /// for unsent data to go out (and `Some(ZERO)` resets the connection
    /// on close); `None` is the default (close returns at once).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// let socket = bobbin::net::TcpSocket::new_v4()?;
    /// socket.set_linger(Some(Duration::from_secs(1)))?;
    /// assert_eq!(socket.linger()?, Some(Duration::from_secs(1)));
    /// # Ok(()) }
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(linger)
    }

    /// The `SO_LINGER` setting.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`set_linger`](TcpSocket::set_linger).
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// `TCP_NODELAY`: send small writes at once instead of coalescing
    /// them (Nagle's algorithm off).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`TcpSocket`].
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_tcp_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = bobbin::net::TcpSocket::new_v4()?;
    /// assert!(!socket.nodelay()?);
    /// # Ok(()) }
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.tcp_nodelay()
    }

    /// The send buffer's size (`SO_SNDBUF`; the kernel may double it).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = bobbin::net::TcpSocket::new_v4()?;
    /// socket.set_send_buffer_size(64 * 1024)?;
    /// assert!(socket.send_buffer_size()? >= 64 * 1024);
    /// # Ok(()) }
    /// ```
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(buffer_size(size)?)
    }

    /// The send buffer's size.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`set_send_buffer_size`](TcpSocket::set_send_buffer_size).
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner.send_buffer_size().map(saturate)
    }

    /// The receive buffer's size (`SO_RCVBUF`; the kernel may double it).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = bobbin::net::TcpSocket::new_v4()?;
    /// socket.set_recv_buffer_size(64 * 1024)?;
    /// assert!(socket.recv_buffer_size()? >= 64 * 1024);
    /// # Ok(()) }
    /// ```
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(buffer_size(size)?)
    }

    /// The receive buffer's size.
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`set_recv_buffer_size`](TcpSocket::set_recv_buffer_size).
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner.recv_buffer_size().map(saturate)
    }

    /// Binds the socket to a local address (port 0: any free port).
    ///
    /// # Errors
    /// The operating system's error: `AddrInUse`, `AddrNotAvailable`, ...
    ///
    /// # Examples
    /// See [`TcpSocket`].
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&addr.into())
    }

    /// The local address (after [`bind`](TcpSocket::bind)).
    ///
    /// # Errors
    /// The operating system's error.
    ///
    /// # Examples
    /// See [`set_reuseport`](TcpSocket::set_reuseport).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()?.as_socket().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the socket is not an IP socket",
            )
        })
    }

    /// The socket's pending error (`SO_ERROR`), taken.
    ///
    /// # Errors
    /// The operating system's error reading it.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = bobbin::net::TcpSocket::new_v4()?;
    /// assert!(socket.take_error()?.is_none());
    /// # Ok(()) }
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Connects to `addr` and returns the stream, waiting on the reactor.
    ///
    /// # Errors
    /// The connect's error: `ConnectionRefused`, `TimedOut`, ...; or an
    /// error if the runtime has shut down.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the attempt and closes the socket.
    ///
    /// # Examples
    /// See [`TcpSocket`].
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        match self.inner.connect(&addr.into()) {
            Ok(()) => {}
            Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(err) => return Err(err),
        }
        let std = std::net::TcpStream::from(self.inner);
        TcpStream::connected(mio::net::TcpStream::from_std(std)).await
    }

    /// Listens with room for `backlog` connections not yet accepted, and
    /// returns the listener.
    ///
    /// # Errors
    /// The operating system's error (e.g. `AddrInUse` for a port taken
    /// since `bind`), or an error if the runtime has shut down.
    ///
    /// # Examples
    /// See [`TcpSocket`].
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        self.inner.listen(backlog)?;
        TcpListener::from_std(self.inner.into())
    }

    /// Takes over a std stream (to set options on it, as on a new socket).
    ///
    /// # Errors
    /// The operating system's error setting it non-blocking.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let socket = bobbin::net::TcpSocket::from_std_stream(std)?;
    /// socket.set_nodelay(true)?;
    /// # Ok(()) }
    /// ```
    pub fn from_std_stream(stream: std::net::TcpStream) -> io::Result<TcpSocket> {
        let inner = Socket::from(stream);
        inner.set_nonblocking(true)?;
        Ok(TcpSocket { inner })
    }
}

/// A buffer size for the system (an `int` there).
fn buffer_size(size: u32) -> io::Result<usize> {
    if i32::try_from(size).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a socket buffer of {size} bytes is larger than the system allows (2^31 - 1)"),
        ));
    }
    Ok(size as usize)
}

fn saturate(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
