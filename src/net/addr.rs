//! Addresses: [`ToSocketAddrs`], what the socket constructors accept, and
//! [`lookup_host`]. A literal address resolves inline; a host name is
//! resolved by std's resolver (`getaddrinfo`) on the blocking pool, so no
//! worker thread ever waits for DNS.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What a socket can be bound or connected to: a socket address, an
/// `(ip, port)` pair, a `"host:port"` string or a `(host, port)` pair, or
/// a slice of addresses, as std's `ToSocketAddrs` accepts. Sealed: the
/// list is bobbin's, so that names are resolved on the blocking pool.
///
/// # Examples
/// ```
/// use bobbin::net::{TcpListener, TcpStream};
/// # bobbin::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let port = listener.local_addr()?.port();
/// // A name: resolved on the blocking pool, then each address tried.
/// let stream = TcpStream::connect(("localhost", port)).await?;
/// # drop(stream);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub trait ToSocketAddrs: sealed::Resolve {}

pub(crate) mod sealed {
    use super::Lookup;

    /// How an address argument resolves.
    pub trait Resolve {
        /// The addresses at once, or the name to look up.
        fn lookup(&self) -> Lookup;
    }
}

/// How an address argument resolves (see [`sealed::Resolve`]).
#[doc(hidden)]
#[derive(Debug)]
pub enum Lookup {
    /// Literal addresses (or the error of parsing one).
    Ready(io::Result<Vec<SocketAddr>>),
    /// A name and port for the resolver.
    Name(String, u16),
}

/// Resolves `addr`: inline for literal addresses, on the blocking pool for
/// a name.
pub(crate) async fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.lookup() {
        Lookup::Ready(addrs) => addrs,
        Lookup::Name(host, port) => {
            let lookup = crate::spawn_blocking(move || {
                #[cfg(all(test, not(loom)))]
                tests::slow_resolver();
                std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                    .map(Iterator::collect)
            });
            match lookup.await {
                Ok(addrs) => addrs,
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(_) => Err(io::Error::other(
                    "the runtime shut down while a host name was being resolved",
                )),
            }
        }
    }
}

/// The addresses `host` resolves to: a `"name:port"` string or a
/// `(name, port)` pair (or a literal address, which resolves to itself).
/// The name is looked up by the system's resolver on the blocking pool.
///
/// # Errors
/// The resolver's error (an unknown name), or `InvalidInput` for a string
/// without a port.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let addrs: Vec<_> = bobbin::net::lookup_host("localhost:80").await.unwrap().collect();
/// assert!(addrs.iter().any(|addr| addr.ip().is_loopback() && addr.port() == 80));
/// let err = bobbin::net::lookup_host("no port").await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// # });
/// ```
pub async fn lookup_host(
    host: impl ToSocketAddrs,
) -> io::Result<impl Iterator<Item = SocketAddr> + Send + std::fmt::Debug + 'static> {
    Ok(resolve(host).await?.into_iter())
}

/// Runs `op` on each address until one succeeds; otherwise returns the
/// last error (or an `InvalidInput` error for an empty list).
pub(crate) fn each_addr<T>(
    addrs: Vec<SocketAddr>,
    mut op: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last_err = None;
    for addr in addrs {
        match op(addr) {
            Ok(value) => return Ok(value),
            Err(err) => last_err = Some(err),
        }
    }
    Err(last_err.unwrap_or_else(no_addresses))
}

/// The error for a name that resolved to nothing (std's wording).
pub(crate) fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any addresses",
    )
}

fn ready(addrs: impl IntoIterator<Item = SocketAddr>) -> Lookup {
    Lookup::Ready(Ok(addrs.into_iter().collect()))
}

macro_rules! literal {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::Resolve for $ty {
            fn lookup(&self) -> Lookup {
                ready([SocketAddr::from(*self)])
            }
        }
    )*};
}

literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Resolve for [SocketAddr] {
    fn lookup(&self) -> Lookup {
        ready(self.iter().copied())
    }
}

impl<const N: usize> ToSocketAddrs for [SocketAddr; N] {}
impl<const N: usize> sealed::Resolve for [SocketAddr; N] {
    fn lookup(&self) -> Lookup {
        ready(self.iter().copied())
    }
}

impl ToSocketAddrs for str {}
impl sealed::Resolve for str {
    fn lookup(&self) -> Lookup {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return ready([addr]);
        }
        // "host:port", the port after the last colon (as std splits it).
        let Some((host, port)) = self.rsplit_once(':') else {
            return Lookup::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid socket address {self:?}: expected \"host:port\""),
            )));
        };
        match port.parse::<u16>() {
            Ok(port) => (host, port).lookup(),
            Err(_) => Lookup::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid port in {self:?}: expected a number from 0 to 65535"),
            ))),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Resolve for String {
    fn lookup(&self) -> Lookup {
        self.as_str().lookup()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Resolve for (&str, u16) {
    fn lookup(&self) -> Lookup {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => ready([SocketAddr::new(ip, port)]),
            Err(_) => Lookup::Name(host.to_owned(), port),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Resolve for (String, u16) {
    fn lookup(&self) -> Lookup {
        (self.0.as_str(), self.1).lookup()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Resolve for &T {
    fn lookup(&self) -> Lookup {
        (**self).lookup()
    }
}

#[cfg(all(test, not(loom)))]
pub(crate) mod tests {
    use super::sealed::Resolve;
    use super::*;
    use crate::runtime::test_support::bounded;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::time::{Duration, Instant};

    /// How long the resolver sleeps in tests that need a slow one (0: it
    /// does not).
    static RESOLVER_DELAY_MS: AtomicU64 = AtomicU64::new(0);

    pub(super) fn slow_resolver() {
        let delay = RESOLVER_DELAY_MS.load(Relaxed);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
    }

    #[test]
    fn literals_resolve_inline_and_names_do_not() {
        assert!(matches!("127.0.0.1:80".lookup(), Lookup::Ready(Ok(_))));
        assert!(matches!("[::1]:80".lookup(), Lookup::Ready(Ok(_))));
        assert!(matches!(("10.0.0.1", 80).lookup(), Lookup::Ready(Ok(_))));
        assert!(matches!("localhost:80".lookup(), Lookup::Name(host, 80) if host == "localhost"));
        assert!(matches!(
            ("db.internal", 5432).lookup(),
            Lookup::Name(_, 5432)
        ));
        let Lookup::Ready(Err(err)) = "localhost".lookup() else {
            panic!("no port is an error at once");
        };
        assert!(err.to_string().contains("host:port"), "{err}");
        let Lookup::Ready(Err(err)) = "localhost:http".lookup() else {
            panic!("a port that is not a number is an error at once");
        };
        assert!(err.to_string().contains("invalid port"), "{err}");
    }

    #[test]
    fn a_slow_lookup_does_not_hold_up_the_worker() {
        bounded(|| {
            let rt = crate::Runtime::builder().worker_threads(1).build().unwrap();
            RESOLVER_DELAY_MS.store(300, Relaxed);
            // Both tasks on the one worker: if the lookup held it, the
            // ticker could not tick.
            let ticker = rt.spawn(async {
                let start = Instant::now();
                let mut ticks = 0;
                while start.elapsed() < Duration::from_millis(250) {
                    crate::time::sleep(Duration::from_millis(10)).await;
                    ticks += 1;
                }
                ticks
            });
            let lookup = rt.spawn(resolve("localhost:80"));
            let addrs = rt.block_on(lookup).unwrap().unwrap();
            RESOLVER_DELAY_MS.store(0, Relaxed);
            assert!(addrs.iter().all(|addr| addr.port() == 80));
            let ticks = rt.block_on(ticker).unwrap();
            assert!(ticks >= 5, "the ticker ran {ticks} times in 250 ms");
        });
    }

    #[test]
    fn the_last_error_is_reported_and_an_empty_list_is_invalid_input() {
        let addrs: Vec<SocketAddr> = vec![
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        ];
        let err = each_addr(addrs.clone(), |addr| -> io::Result<()> {
            Err(io::Error::other(addr.port().to_string()))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "2");
        let err = each_addr(Vec::new(), |_| Ok(())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(each_addr(addrs, |addr| Ok(addr.port())).unwrap(), 1);
    }
}
