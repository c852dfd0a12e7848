//! TCP: [`TcpListener`] and its [`Incoming`] stream, [`TcpStream`], and the
//! stream's owned halves ([`OwnedReadHalf`], [`OwnedWriteHalf`]).
//!
//! The listener and the stream are re-exported at [`crate::net`]; the
//! halves and `Incoming` live here, as tokio's do in `tokio::net::tcp`, so
//! their names do not clash with the Unix ones in [`crate::net::unix`].

mod listener;
mod split;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;
