//! `OnceCell<T>`: a value set once, possibly by an async initializer.
//!
//! The value lives in a `std::sync::OnceLock` (safe shared access to a
//! value written once); a one-permit FIFO semaphore (`batch_semaphore.rs`)
//! picks the single initializer. An initializer holds the permit while its
//! future runs; if it fails, panics or is dropped, the permit goes to the
//! next task in line, which tries in turn. Once the value is set the
//! semaphore is closed, which wakes every waiting task at once (instead of
//! passing the permit down the line); they find the value.
//!
//! `OnceLock` is std's and is not seen by loom; the protocol around it is
//! the semaphore's, which is.

use super::batch_semaphore::{Acquire, BatchSemaphore};
use super::error::{SetError, TryAcquireError};
use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

/// A cell written once, whose value may come from an async computation
/// ([`get_or_init`](OnceCell::get_or_init)) run by one task while the
/// others wait for it.
///
/// Only one initializer runs at a time; the others queue in order. If it
/// fails ([`get_or_try_init`](OnceCell::get_or_try_init) returns an
/// error), panics, or is cancelled, the next waiting task runs its own
/// initializer. Once set, the value never changes, and reading it is one
/// atomic load.
///
/// Works in any task of any runtime and under any executor.
///
/// # Memory ordering
/// Setting the value happens-before every read that sees it.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use bobbin::sync::OnceCell;
/// # bobbin::block_on(async {
/// let config = Arc::new(OnceCell::new());
/// let tasks: Vec<_> = (0..4)
///     .map(|i| {
///         let config = config.clone();
///         bobbin::spawn(async move {
///             // One task's initializer runs; the others wait and share it.
///             config.get_or_init(|| async move { format!("loaded by {i}") }).await.clone()
///         })
///     })
///     .collect();
/// for task in tasks {
///     assert_eq!(Some(&task.await.unwrap()), config.get());
/// }
/// # });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// One permit: the right to initialize. Closed once the value is set.
    semaphore: BatchSemaphore,
}

/// Gives the initializer's permit back if it fails or is cancelled.
struct Initializing<'a> {
    semaphore: &'a BatchSemaphore,
}

impl Drop for Initializing<'_> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::<u32>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub fn new() -> OnceCell<T> {
        OnceCell::new_with(None)
    }

    /// A cell holding `value` if it is `Some`, else empty.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new_with(Some(1));
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        let cell = OnceCell {
            value: OnceLock::new(),
            semaphore: BatchSemaphore::new(1),
        };
        if let Some(value) = value {
            let _ = cell.value.set(value);
            cell.semaphore.close();
        }
        cell
    }

    /// The value, if it is set.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value through a unique borrow, if it is set.
    ///
    /// # Examples
    /// ```
    /// let mut cell = bobbin::sync::OnceCell::new_with(Some(1));
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// True once the value is set.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new();
    /// assert!(!cell.initialized());
    /// cell.set(()).unwrap();
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// Sets the value if the cell is empty and nobody is initializing it.
    ///
    /// # Errors
    /// [`SetError::AlreadyInitialized`] if the cell holds a value,
    /// [`SetError::Initializing`] if an initializer is running; either way
    /// with `value` in it.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert!(cell.set(2).is_err());
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitialized(value));
        }
        match self.semaphore.try_acquire(1) {
            Ok(()) => {
                self.store(value);
                Ok(())
            }
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitialized(value)),
            Err(TryAcquireError::NoPermits) => Err(SetError::Initializing(value)),
        }
    }

    /// The value; if the cell is empty, runs `init` to make it, unless
    /// another task is doing so (then waits for it, and if it fails or is
    /// cancelled, the first task in line runs its own `init`).
    ///
    /// # Panics
    /// If `init` panics, the panic goes on in this task, and the next task
    /// in line runs its own `init`.
    ///
    /// # Cancel safety
    /// If the future is dropped while waiting, it leaves the line; dropped
    /// while running `init`, the next task in line runs its own.
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// # bobbin::block_on(async {
    /// let cell = bobbin::sync::OnceCell::new();
    /// let runs = AtomicUsize::new(0);
    /// for _ in 0..3 {
    ///     let value = cell
    ///         .get_or_init(|| async {
    ///             runs.fetch_add(1, SeqCst);
    ///             7
    ///         })
    ///         .await;
    ///     assert_eq!(*value, 7);
    /// }
    /// assert_eq!(runs.load(SeqCst), 1);
    /// # });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let result: Result<&T, std::convert::Infallible> =
            self.get_or_try_init(|| async { Ok(init().await) }).await;
        match result {
            Ok(value) => value,
        }
    }

    /// As [`get_or_init`](OnceCell::get_or_init), with an initializer
    /// that may fail: on an error the cell stays empty and the next task
    /// in line runs its own initializer.
    ///
    /// # Errors
    /// The error of `init`, when this task's `init` ran and failed.
    ///
    /// # Cancel safety
    /// As [`get_or_init`](OnceCell::get_or_init).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let cell = bobbin::sync::OnceCell::new();
    /// let failed = cell.get_or_try_init(|| async { Err("not yet") }).await;
    /// assert_eq!(failed, Err("not yet"));
    /// assert!(!cell.initialized());
    /// let value = cell.get_or_try_init(|| async { Ok::<_, &str>(1) }).await;
    /// assert_eq!(value, Ok(&1));
    /// # });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        if Acquire::new(&self.semaphore, 1).await.is_err() {
            // Closed: the value is set.
            return Ok(self
                .get()
                .expect("the semaphore is closed only once the value is set"));
        }
        let permit = Initializing {
            semaphore: &self.semaphore,
        };
        let value = init().await?;
        std::mem::forget(permit);
        Ok(self.store(value))
    }

    /// With the permit held: sets the value and closes the semaphore,
    /// which wakes every waiting task.
    fn store(&self, value: T) -> &T {
        if self.value.set(value).is_err() {
            unreachable!("only the permit holder sets the value, and it was empty");
        }
        self.semaphore.close();
        self.get().expect("just set")
    }

    /// The value, consuming the cell.
    ///
    /// # Examples
    /// ```
    /// let cell = bobbin::sync::OnceCell::new_with(Some("v"));
    /// assert_eq!(cell.into_inner(), Some("v"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty (and ready to be
    /// initialized again).
    ///
    /// # Examples
    /// ```
    /// let mut cell = bobbin::sync::OnceCell::new_with(Some(1));
    /// assert_eq!(cell.take(), Some(1));
    /// assert!(cell.set(2).is_ok());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        let value = self.value.take();
        self.semaphore = BatchSemaphore::new(1);
        value
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        OnceCell::new_with(Some(value))
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    #[test]
    fn a_dropped_initializer_lets_the_next_one_run() {
        let cell = OnceCell::new();
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = Box::pin(cell.get_or_init(std::future::pending::<u8>));
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(matches!(cell.set(0), Err(SetError::Initializing(0))));
        let mut second = pin!(cell.get_or_init(|| async { 2 }));
        assert!(second.as_mut().poll(&mut cx).is_pending(), "one at a time");
        drop(first);
        assert_eq!(second.as_mut().poll(&mut cx), Poll::Ready(&2));
    }

    #[test]
    fn waiters_find_the_value_once_it_is_set() {
        let cell = OnceCell::new();
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = pin!(cell.get_or_init(|| async {
            bobbin_yield().await;
            1
        }));
        assert!(first.as_mut().poll(&mut cx).is_pending());
        let mut second = pin!(cell.get_or_init(|| async { 2 }));
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert_eq!(first.as_mut().poll(&mut cx), Poll::Ready(&1));
        assert_eq!(
            second.as_mut().poll(&mut cx),
            Poll::Ready(&1),
            "its init did not run"
        );
    }

    /// Pending once, then ready.
    async fn bobbin_yield() {
        let mut yielded = false;
        std::future::poll_fn(|_| {
            if std::mem::replace(&mut yielded, true) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}
