//! `JoinError`: why a task gave no output.

use super::Failure;
use super::id::Id;
use super::raw::Header;
use crate::loom::{Mutex, lock};
use std::any::Any;
use std::fmt;
use std::io;
use std::panic::Location;

/// The private representation of a failure, shareable across threads.
///
/// A panic payload is `Send` but not `Sync`; a mutex makes the error `Sync`
/// (so it converts into `Box<dyn Error + Send + Sync>` and anyhow's errors),
/// with no unsafe code. It is locked only to read a string message.
enum Repr {
    Cancelled,
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

/// A task ended without output: it panicked, or it was cancelled (aborted,
/// or its runtime shut down).
///
/// The representation is private; ask with [`is_panic`](JoinError::is_panic)
/// and [`is_cancelled`](JoinError::is_cancelled), and take the panic payload
/// with [`into_panic`](JoinError::into_panic).
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::spawn(async { panic!("boom") });
/// let err = handle.await.unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// # });
/// ```
pub struct JoinError {
    id: Id,
    name: Option<Box<str>>,
    location: &'static Location<'static>,
    repr: Repr,
}

impl JoinError {
    pub(crate) fn new(header: &Header, failure: Failure) -> JoinError {
        let name = header.origin.name().map(Box::from);
        JoinError {
            id: header.id,
            name,
            location: header.origin.location(),
            repr: match failure {
                Failure::Cancelled => Repr::Cancelled,
                Failure::Panic(payload) => Repr::Panic(Mutex::new(payload.0)),
            },
        }
    }

    /// Writes `task 7 "name" (spawned at src/main.rs:3:5)`.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " (spawned at {})", self.location)
    }

    /// True if the task was cancelled: aborted through its handle, or
    /// dropped when its runtime shut down.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked (while polled, or while its future was
    /// dropped).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let err = bobbin::spawn(async { panic!("boom") }).await.unwrap_err();
    /// assert!(err.is_panic());
    /// # });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to inspect or to resume with
    /// `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// Panics if the task was cancelled rather than panicking; check
    /// [`is_panic`](JoinError::is_panic) first or use
    /// [`try_into_panic`](JoinError::try_into_panic).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let err = bobbin::spawn(async { panic!("boom") }).await.unwrap_err();
    /// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
    /// # });
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(err) => panic!(
                "JoinError::into_panic was called on a cancelled task ({err}); \
                 check is_panic() first, or use try_into_panic()"
            ),
        }
    }

    /// The panic payload, or the error back if the task was cancelled.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let err = handle.await.unwrap_err();
    /// assert!(err.try_into_panic().is_err());
    /// # });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(async { panic!("boom") });
    /// let id = handle.id();
    /// assert_eq!(handle.await.unwrap_err().id(), id);
    /// # });
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }
}

/// The panic message, if the payload is a string (as `panic!` makes it).
fn panic_message(payload: &Mutex<Box<dyn Any + Send>>) -> Option<String> {
    let guard = lock(payload);
    let payload: &(dyn Any + Send) = &**guard;
    let message = payload.downcast_ref::<&str>().copied();
    message
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .map(str::to_owned)
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f)?;
        match &self.repr {
            Repr::Cancelled => f.write_str(" was cancelled"),
            Repr::Panic(payload) => match panic_message(payload) {
                Some(message) => write!(f, " panicked with message {message:?}"),
                None => f.write_str(" panicked"),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(payload) => match panic_message(payload) {
                Some(message) => write!(f, "JoinError::Panic({:?}, {message:?})", self.id),
                None => write!(f, "JoinError::Panic({:?}, ...)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    fn from(err: JoinError) -> io::Error {
        io::Error::other(err.to_string())
    }
}
