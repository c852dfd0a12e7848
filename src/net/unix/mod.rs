//! Unix-domain sockets: [`UnixListener`] and its [`Incoming`] stream,
//! [`UnixStream`] and its owned halves ([`OwnedReadHalf`],
//! [`OwnedWriteHalf`]), and [`UnixDatagram`].
//!
//! The listener, stream and datagram socket are re-exported at
//! [`crate::net`]; the halves and `Incoming` live here, as tokio's do in
//! `tokio::net::unix`, so their names do not clash with the TCP ones in
//! [`crate::net::tcp`]. Addresses are std's
//! [`std::os::unix::net::SocketAddr`].

mod datagram;
mod listener;
mod split;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::UnixStream;
