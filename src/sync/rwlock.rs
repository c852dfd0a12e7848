//! `RwLock<T>`: an async, fair readers-writer lock.
//!
//! On the FIFO semaphore (see `batch_semaphore.rs`) with `MAX_READS`
//! permits: a read takes one, a write takes all of them. A writer at the
//! head of the queue collects permits as readers leave, and every task
//! behind it (readers included) waits, so a stream of readers cannot
//! starve a writer, and writers cannot starve readers either: whoever
//! queued first goes first.
//!
//! The value sits in an `UnsafeCell`.
//!
//! Invariant: a `RwLockReadGuard` exists only while its holder owns one of
//! the semaphore's permits, and a `RwLockWriteGuard` only while its holder
//! owns all `MAX_READS` of them; only guards (or a unique `&mut RwLock`)
//! reach into the cell. So while a writer's guard lives no reader's does,
//! and readers only read. Permits pass through the semaphore, whose
//! release/acquire pair orders a writer's writes before the next holder's
//! reads.

use super::batch_semaphore::{Acquire, BatchSemaphore};
use super::error::{AcquireError, TryLockError};
use crate::loom::UnsafeCell;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

/// Permits of a lock: at most this many readers at once.
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// An async readers-writer lock: many readers or one writer at a time,
/// either of which may hold its guard across `.await` points.
///
/// Fair: tasks are served in the order they asked. A writer that is
/// waiting blocks the readers that arrive after it (also
/// [`try_read`](RwLock::try_read)), so writers do not starve under a steady
/// stream of readers; readers queued behind a writer go, together, once
/// it is done.
///
/// The lock needs no runtime: it works in any task of any runtime, and
/// under any executor, since it only stores and wakes wakers. A panic
/// while a guard is held does not poison the lock.
///
/// # Memory ordering
/// Everything a writer did while holding the lock happens-before the next
/// [`read`](RwLock::read) or [`write`](RwLock::write) completes, and
/// everything readers did happens-before the next `write` completes.
///
/// Forgetting a guard (`std::mem::forget`) leaves the lock held (or, for
/// a read guard, one read taken) forever, as with any lock.
///
/// # Examples
/// ```
/// use bobbin::sync::RwLock;
/// # bobbin::block_on(async {
/// let lock = RwLock::new(vec![1]);
/// {
///     let a = lock.read().await;
///     let b = lock.read().await; // many readers at once
///     assert_eq!(a.len() + b.len(), 2);
/// }
/// lock.write().await.push(2);
/// assert_eq!(*lock.read().await, [1, 2]);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    semaphore: BatchSemaphore,
    /// Read through read guards, written through the write guard (see the
    /// file's invariant).
    value: UnsafeCell<T>,
}

// SAFETY: moving the lock moves the value: `T: Send`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: a shared lock hands `&T` to many threads at once (`T: Sync`)
// and `&mut T` to one writer, which may be another thread (`T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to a [`RwLock`]'s value; releases its read when dropped.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let lock = bobbin::sync::RwLock::new(3);
/// let guard = lock.read().await;
/// assert_eq!(*guard, 3);
/// # });
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: a read guard gives out only `&T`, and its drop returns one read
// permit to the semaphore (whose state is atomic and whose waiter list is
// behind its mutex), from whichever thread drops it. So moving or sharing
// a read guard needs only `T: Sync`, as for tokio's and std's read guards;
// the auto impls, through `&RwLock<T>`, would ask for `T: Send + Sync`.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above: a shared read guard shares `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

/// Exclusive access to a [`RwLock`]'s value; unlocks when dropped.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let lock = bobbin::sync::RwLock::new(3);
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 4);
/// # });
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    ///
    /// # Examples
    /// ```
    /// let lock = bobbin::sync::RwLock::new(1);
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            semaphore: BatchSemaphore::new(MAX_READS),
            value: UnsafeCell::new(value),
        }
    }
    /// The value, consuming the lock.
    ///
    /// # Examples
    /// ```
    /// let lock = bobbin::sync::RwLock::new(String::from("v"));
    /// assert_eq!(lock.into_inner(), "v");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits, in turn, for shared access.
    ///
    /// # Cancel safety
    /// If the future is dropped before it completes, it leaves the queue
    /// and passes on whatever it was handed, so no wake-up is lost; the
    /// task loses its place in the queue.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let lock = bobbin::sync::RwLock::new(1);
    /// let (a, b) = (lock.read().await, lock.read().await);
    /// assert_eq!(*a + *b, 2);
    /// # });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        acquired(Acquire::new(&self.semaphore, 1).await);
        RwLockReadGuard { lock: self }
    }

    /// Waits, in turn, for exclusive access. From the moment it queues,
    /// readers that arrive later wait behind it.
    ///
    /// # Cancel safety
    /// As [`read`](RwLock::read): the permits a dropped write had collected
    /// go to the tasks queued behind it.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let lock = bobbin::sync::RwLock::new(1);
    /// *lock.write().await = 2;
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        acquired(Acquire::new(&self.semaphore, MAX_READS).await);
        RwLockWriteGuard { lock: self }
    }

    /// Takes shared access if nobody writes and nobody is queued; never
    /// waits.
    ///
    /// # Errors
    /// [`TryLockError`] if a writer holds the lock or any task is queued
    /// for it first.
    ///
    /// # Examples
    /// ```
    /// let lock = bobbin::sync::RwLock::new(1);
    /// let read = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// drop(read);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.semaphore
            .try_acquire(1)
            .map_err(|_| TryLockError(()))?;
        Ok(RwLockReadGuard { lock: self })
    }

    /// Takes exclusive access if the lock is free and nobody is queued;
    /// never waits.
    ///
    /// # Errors
    /// [`TryLockError`] if anyone holds the lock or is queued for it.
    ///
    /// # Examples
    /// ```
    /// let lock = bobbin::sync::RwLock::new(1);
    /// let mut write = lock.try_write().unwrap();
    /// *write = 2;
    /// assert!(lock.try_read().is_err());
    /// drop(write);
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.semaphore
            .try_acquire(MAX_READS)
            .map_err(|_| TryLockError(()))?;
        Ok(RwLockWriteGuard { lock: self })
    }

    /// The value, through a unique borrow of the lock: no locking needed.
    ///
    /// # Examples
    /// ```
    /// let mut lock = bobbin::sync::RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard borrows the lock, so nobody
        // else reaches the value.
        self.value.with_mut(|value| unsafe { &mut *value })
    }
}

/// A lock's semaphore is never closed.
fn acquired(result: Result<(), AcquireError>) {
    debug_assert!(result.is_ok(), "a RwLock's semaphore is never closed");
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => out.field("data", &&*guard),
            Err(_) => out.field("data", &format_args!("<locked>")),
        };
        out.finish()
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a read guard holds a permit, so no write guard exists
        // while this borrow (no longer than `&self`) lives.
        self.lock.value.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write into a read without letting go of the lock: no
    /// writer can get in between, and the readers queued behind this
    /// writer may now join.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let lock = bobbin::sync::RwLock::new(1);
    /// let mut write = lock.write().await;
    /// *write = 2;
    /// let read = write.downgrade();
    /// assert_eq!(*read, 2);
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// # });
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        // The write guard's drop would release every permit: it keeps one
        // for the read guard and hands the rest on itself.
        let lock = ManuallyDrop::new(self).lock;
        lock.semaphore.release(MAX_READS - 1);
        RwLockReadGuard { lock }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the write guard holds every permit, so no other guard
        // exists; the borrow lives no longer than `&self`.
        self.lock.value.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write guard holds every permit, so no other guard
        // exists, and `&mut self` makes this the only borrow through it.
        self.lock.value.with_mut(|value| unsafe { &mut *value })
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    #[test]
    fn heap_values_through_reads_writes_and_a_downgrade() {
        let mut lock = RwLock::new(vec![String::from("a")]);
        lock.get_mut().push(String::from("b"));
        {
            let (first, second) = (lock.try_read().unwrap(), lock.try_read().unwrap());
            assert_eq!(first.len() + second.len(), 4);
        }
        let mut write = lock.try_write().unwrap();
        write.push(String::from("c"));
        let read = write.downgrade();
        assert_eq!(read.concat(), "abc");
        assert!(lock.try_write().is_err(), "the downgraded read still holds");
        let another = lock.try_read().unwrap();
        drop((read, another));
        lock.try_write().unwrap().clear();
        assert!(lock.into_inner().is_empty());
    }

    #[test]
    fn a_queued_writer_blocks_later_readers_and_goes_before_them() {
        let lock = RwLock::new(0);
        let mut cx = Context::from_waker(Waker::noop());
        let first_read = lock.try_read().unwrap();
        let mut write = pin!(lock.write());
        assert!(write.as_mut().poll(&mut cx).is_pending());
        assert!(
            lock.try_read().is_err(),
            "a queued writer blocks new readers"
        );
        let mut late_read = pin!(lock.read());
        assert!(late_read.as_mut().poll(&mut cx).is_pending());
        drop(first_read);
        let Poll::Ready(mut guard) = write.as_mut().poll(&mut cx) else {
            panic!("the writer goes once the earlier reader leaves");
        };
        *guard = 1;
        assert!(late_read.as_mut().poll(&mut cx).is_pending());
        drop(guard);
        let Poll::Ready(read) = late_read.as_mut().poll(&mut cx) else {
            panic!("the reader goes after the writer");
        };
        assert_eq!(*read, 1);
    }
}
