//! TCP: [`TcpListener`] and its [`Incoming`] stream, [`TcpStream`], the
//! stream's owned halves ([`OwnedReadHalf`], [`OwnedWriteHalf`]), and
//! [`TcpSocket`] to set a socket up before it connects or listens.
//!
//! The listener and the stream are re-exported at [`crate::net`]; the
//! halves and `Incoming` live here, as tokio's do in `tokio::net::tcp`, so
//! their names do not clash with the Unix ones in [`crate::net::unix`].

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;
