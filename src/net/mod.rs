//! Networking: TCP, UDP and Unix-domain sockets whose operations park the
//! task until the socket is ready.
//!
//! Every type wraps a mio socket in [`crate::io::Async`], so it is
//! registered with the I/O driver of the runtime it was created in (the
//! global runtime outside any), and implements `futures::io::{AsyncRead,
//! AsyncWrite}` where it is a stream.

#![forbid(unsafe_code)]
