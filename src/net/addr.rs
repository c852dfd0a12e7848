//! Address resolution shared by the socket constructors: resolve, then try
//! each address in turn, as std's `bind` and `connect` do.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr` (which may block, for a host name) into a list.
///
/// The list is collected so that no resolver iterator (which need not be
/// `Send`) is held across an `.await` by the caller.
pub(crate) fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    Ok(addr.to_socket_addrs()?.collect())
}

/// Runs `op` on each address of `addrs` until one succeeds; otherwise
/// returns the last error (or an `InvalidInput` error for an empty list).
pub(crate) fn each_addr<T>(
    addrs: impl ToSocketAddrs,
    mut op: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last_err = None;
    for addr in resolve(addrs)? {
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_last_error_is_reported_and_an_empty_list_is_invalid_input() {
        let addrs: &[SocketAddr] = &[
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        ];
        let err = each_addr(addrs, |addr| -> io::Result<()> {
            Err(io::Error::other(addr.port().to_string()))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "2");
        let empty: &[SocketAddr] = &[];
        let err = each_addr(empty, |_| Ok(())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(each_addr(addrs, |addr| Ok(addr.port())).unwrap(), 1);
    }
}
