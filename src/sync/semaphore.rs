//! `Semaphore`: a fair counting semaphore, and the permits it hands out.

use super::batch_semaphore::{self, Acquire, BatchSemaphore};
use super::error::{AcquireError, TryAcquireError};
use std::fmt;
use std::sync::Arc;

/// A counting semaphore: a pool of permits that tasks wait for, in order.
///
/// Waiters are served first come, first served: permits that are released
/// go straight to the task that has waited longest, and a task that
/// arrives while others wait queues behind them even if a permit is free
/// at that moment. A task asking for `n` permits
/// ([`acquire_many`](Semaphore::acquire_many)) collects them as they are
/// released, ahead of later arrivals, and completes when it has all `n`.
///
/// The uncontended path is one atomic compare-exchange to acquire and one
/// to release; the waiters' queue, behind a mutex, is touched only when
/// somebody waits.
///
/// A semaphore needs no runtime: it works in any task of any runtime, and
/// under any executor (`bobbin::block_on` on a plain thread,
/// `futures::executor::block_on`), since it only stores and wakes wakers.
///
/// # Memory ordering
/// Releasing a permit (dropping it, or [`add_permits`]) happens-before the
/// acquisition that receives that permit completes; so a semaphore of one
/// permit orders what its holders do, as a lock does.
///
/// [`add_permits`]: Semaphore::add_permits
///
/// # Examples
/// At most two tasks in the section at once:
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// use bobbin::sync::Semaphore;
/// # bobbin::block_on(async {
/// let semaphore = Arc::new(Semaphore::new(2));
/// let inside = Arc::new(AtomicUsize::new(0));
/// let tasks: Vec<_> = (0..10)
///     .map(|_| {
///         let (semaphore, inside) = (semaphore.clone(), inside.clone());
///         bobbin::spawn(async move {
///             let _permit = semaphore.acquire().await.unwrap();
///             assert!(inside.fetch_add(1, SeqCst) < 2);
///             bobbin::task::yield_now().await;
///             inside.fetch_sub(1, SeqCst);
///         })
///     })
///     .collect();
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(semaphore.available_permits(), 2);
/// # });
/// ```
pub struct Semaphore {
    raw: BatchSemaphore,
}

/// Permits acquired from a [`Semaphore`], given back when dropped.
///
/// # Examples
/// ```
/// let semaphore = bobbin::sync::Semaphore::new(3);
/// let permit = semaphore.try_acquire_many(2).unwrap();
/// assert_eq!(permit.num_permits(), 2);
/// assert_eq!(semaphore.available_permits(), 1);
/// drop(permit);
/// assert_eq!(semaphore.available_permits(), 3);
/// ```
#[must_use = "the permits are given back at once if the permit is not kept"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: u32,
}

/// Permits acquired from a [`Semaphore`] held in an `Arc`; unlike
/// [`SemaphorePermit`] it borrows nothing, so it can move into a spawned
/// task. Given back when dropped.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// # bobbin::block_on(async {
/// let semaphore = Arc::new(bobbin::sync::Semaphore::new(1));
/// let permit = semaphore.clone().acquire_owned().await.unwrap();
/// let task = bobbin::spawn(async move {
///     let _permit = permit;
/// });
/// task.await.unwrap();
/// assert_eq!(semaphore.available_permits(), 1);
/// # });
/// ```
#[must_use = "the permits are given back at once if the permit is not kept"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: u32,
}

impl Semaphore {
    /// The most permits a semaphore can hold (`usize::MAX >> 3`).
    pub const MAX_PERMITS: usize = batch_semaphore::MAX_PERMITS;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` is more than [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(5);
    /// assert_eq!(semaphore.available_permits(), 5);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            raw: BatchSemaphore::new(permits),
        }
    }

    /// How many permits are free right now. While tasks wait, this is 0:
    /// released permits go to them, not to the counter.
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(2);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.raw.available_permits()
    }

    /// Adds `n` permits: to the waiting tasks first, in order, then to the
    /// free count. Works on a closed semaphore too (the permits count, but
    /// nobody can acquire them).
    ///
    /// # Panics
    /// If the semaphore would then hold more than
    /// [`Semaphore::MAX_PERMITS`] free permits.
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(0);
    /// semaphore.add_permits(3);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.raw.release(n);
    }

    /// Waits for one permit.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed before the permit is
    /// acquired (waiting tasks are woken by [`close`](Semaphore::close)).
    ///
    /// # Cancel safety
    /// Cancel-safe, and it keeps the queue's promises: if the future is
    /// dropped before it completes, it leaves the queue, and a permit
    /// handed to it in the meantime goes to the next waiter, so no wake-up
    /// is lost. The task loses its place in the queue.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let semaphore = bobbin::sync::Semaphore::new(1);
    /// let permit = semaphore.acquire().await.unwrap();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// # });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits, all at once: the task collects them as they
    /// are released, ahead of every task that arrived after it (which
    /// waits, even for a single permit), and completes when it holds `n`.
    /// `n == 0` completes at once.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed first.
    ///
    /// # Cancel safety
    /// If the future is dropped before it completes, the permits it had
    /// collected go to the next waiters (or back to the free count), so no
    /// wake-up is lost; the task loses its place in the queue.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let semaphore = bobbin::sync::Semaphore::new(4);
    /// let permit = semaphore.acquire_many(3).await.unwrap();
    /// assert_eq!(permit.num_permits(), 3);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// # });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(&self.raw, n as usize).await?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one permit if one is free and nobody is waiting; never waits.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] if no permit is free or other tasks
    /// are queued first; [`TryAcquireError::Closed`] if the semaphore is
    /// closed.
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// drop(permit);
    /// assert!(semaphore.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is waiting; never
    /// waits.
    ///
    /// # Errors
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(2);
    /// assert!(semaphore.try_acquire_many(3).is_err());
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.raw.try_acquire(n as usize)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// As [`acquire`](Semaphore::acquire), for a semaphore in an `Arc`: the
    /// permit holds the `Arc`, not a borrow.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed first.
    ///
    /// # Cancel safety
    /// As [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let semaphore = Arc::new(bobbin::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().acquire_owned().await.unwrap();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// # });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// As [`acquire_many`](Semaphore::acquire_many), for a semaphore in an
    /// `Arc`.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed first.
    ///
    /// # Cancel safety
    /// As [`acquire_many`](Semaphore::acquire_many).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let semaphore = Arc::new(bobbin::sync::Semaphore::new(3));
    /// let permit = semaphore.clone().acquire_many_owned(2).await.unwrap();
    /// assert_eq!(permit.num_permits(), 2);
    /// # });
    /// ```
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        Acquire::new(&self.raw, n as usize).await?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// As [`try_acquire`](Semaphore::try_acquire), for a semaphore in an
    /// `Arc`.
    ///
    /// # Errors
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(bobbin::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(semaphore.clone().try_acquire_owned().is_err());
    /// drop(permit);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// As [`try_acquire_many`](Semaphore::try_acquire_many), for a
    /// semaphore in an `Arc`.
    ///
    /// # Errors
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(bobbin::sync::Semaphore::new(2));
    /// let permit = semaphore.clone().try_acquire_many_owned(2).unwrap();
    /// assert_eq!(permit.num_permits(), 2);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.raw.try_acquire(n as usize)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Closes the semaphore: every waiting task is woken with an
    /// [`AcquireError`], and later acquisitions fail. Permits already
    /// acquired stay valid and are given back as usual.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let semaphore = bobbin::sync::Semaphore::new(1);
    /// let permit = semaphore.acquire().await.unwrap();
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// assert!(semaphore.acquire().await.is_err());
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// # });
    /// ```
    pub fn close(&self) {
        self.raw.close();
    }

    /// True once [`close`](Semaphore::close) was called.
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(1);
    /// assert!(!semaphore.is_closed());
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.raw.is_closed()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .field("waiters", &self.raw.waiters())
            .finish()
    }
}

impl SemaphorePermit<'_> {
    /// Gives up the permits without returning them: the semaphore has that
    /// many fewer from now on.
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// # Examples
    /// ```
    /// let semaphore = bobbin::sync::Semaphore::new(2);
    /// assert_eq!(semaphore.try_acquire().unwrap().num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.raw.release(self.permits as usize);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

impl OwnedSemaphorePermit {
    /// Gives up the permits without returning them: the semaphore has that
    /// many fewer from now on.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(bobbin::sync::Semaphore::new(1));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(bobbin::sync::Semaphore::new(3));
    /// let permit = semaphore.try_acquire_many_owned(3).unwrap();
    /// assert_eq!(permit.num_permits(), 3);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore the permits belong to.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(bobbin::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.raw.release(self.permits as usize);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}
