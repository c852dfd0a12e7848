//! The errors of the sync primitives.

use std::fmt;

/// A [`Semaphore`](super::Semaphore) was closed before the permits could be
/// acquired.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let semaphore = bobbin::sync::Semaphore::new(0);
/// semaphore.close();
/// let err = semaphore.acquire().await.unwrap_err();
/// assert_eq!(err.to_string(), "semaphore closed");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(pub(super) ());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why a [`Semaphore::try_acquire`](super::Semaphore::try_acquire) (or one
/// of its forms) failed.
///
/// # Examples
/// ```
/// use bobbin::sync::{Semaphore, TryAcquireError};
/// let semaphore = Semaphore::new(0);
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// semaphore.close();
/// let err = semaphore.try_acquire().unwrap_err();
/// assert_eq!(err, TryAcquireError::Closed);
/// assert_eq!(err.to_string(), "semaphore closed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore is closed.
    Closed,
    /// Too few permits are free, or other tasks are queued for them first.
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryAcquireError::Closed => "semaphore closed",
            TryAcquireError::NoPermits => "no permits available",
        })
    }
}

impl std::error::Error for TryAcquireError {}

/// A `try_lock`, `try_read` or `try_write` found the lock held, or other
/// tasks queued for it first.
///
/// # Examples
/// ```
/// let mutex = bobbin::sync::Mutex::new(1);
/// let _guard = mutex.try_lock().unwrap();
/// let err = mutex.try_lock().unwrap_err();
/// assert_eq!(err.to_string(), "lock is held elsewhere");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("lock is held elsewhere")
    }
}

impl std::error::Error for TryLockError {}

/// Why [`OnceCell::set`](super::OnceCell::set) failed; either way the value
/// is given back.
///
/// # Examples
/// ```
/// use bobbin::sync::{OnceCell, SetError};
/// let cell = OnceCell::new();
/// cell.set(1).unwrap();
/// let err = cell.set(2).unwrap_err();
/// assert_eq!(err.to_string(), "cell already initialized");
/// assert!(matches!(err, SetError::AlreadyInitialized(2)));
/// assert_eq!(err.into_inner(), 2);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitialized(T),
    /// Another task is initializing the cell right now.
    Initializing(T),
}

impl<T> SetError<T> {
    /// The value that was not stored.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new_with(Some(1));
    /// assert_eq!(cell.set(5).unwrap_err().into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SetError::AlreadyInitialized(value) | SetError::Initializing(value) => value,
        }
    }

    /// True if the cell already held a value.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new_with(Some(1));
    /// assert!(cell.set(5).unwrap_err().is_already_init_err());
    /// ```
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitialized(_))
    }

    /// True if another task was initializing the cell.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new_with(Some(1));
    /// assert!(!cell.set(5).unwrap_err().is_initializing_err());
    /// ```
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::Initializing(_))
    }
}

// By hand, so the value need not be `Debug` (as `SendError<T>`).
impl<T> fmt::Debug for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetError::AlreadyInitialized(_) => "AlreadyInitialized(..)",
            SetError::Initializing(_) => "Initializing(..)",
        })
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetError::AlreadyInitialized(_) => "cell already initialized",
            SetError::Initializing(_) => "cell is being initialized",
        })
    }
}

impl<T> std::error::Error for SetError<T> {}
