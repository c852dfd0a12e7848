//! `Elapsed`: the error of a timeout that ran out.

use std::fmt;
use std::io;

/// A [`timeout`](crate::time::timeout) ran out before its future finished.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// # bobbin::block_on(async {
/// let err = bobbin::time::timeout(Duration::from_millis(1), std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(pub(super) ());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(err: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, err)
    }
}
