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
//! Invariant: a read guard (`RwLockReadGuard`, `OwnedRwLockReadGuard`)
//! exists only while its holder owns one of the semaphore's permits, and a
//! write guard (`RwLockWriteGuard`, `OwnedRwLockWriteGuard`,
//! `RwLockMappedWriteGuard`) only while its holder owns all `MAX_READS` of
//! them; only guards (or a unique `&mut RwLock`) reach into the cell. A
//! mapped guard (`map`) points at a part of the value, found while the
//! guard it replaces still held the permits, which pass to it unchanged. So while a writer's guard lives no reader's does,
//! and readers only read. Permits pass through the semaphore, whose
//! release/acquire pair orders a writer's writes before the next holder's
//! reads.

use super::batch_semaphore::{Acquire, BatchSemaphore};
use super::error::{AcquireError, TryLockError};
use crate::loom::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

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
    semaphore: &'a BatchSemaphore,
    /// The value (or, after `map`, a part of it), readable while the guard
    /// holds its permit. A pointer, not a reference: the permit goes back
    /// in `drop`, after which the guard must claim no borrow.
    value: *const T,
    _borrow: PhantomData<&'a T>,
}

// SAFETY: a read guard gives out only `&T`, and its drop returns one read
// permit to the semaphore (whose state is atomic and whose waiter list is
// behind its mutex), from whichever thread drops it. So moving or sharing
// a read guard needs only `T: Sync`, as for tokio's and std's read guards.
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
        self.read_guard()
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
        Ok(self.read_guard())
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

    /// The guard of a read permit the caller has just taken.
    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            semaphore: &self.semaphore,
            value: self.value.with(|value| value),
            _borrow: PhantomData,
        }
    }

    /// Waits, in turn, for shared access through an `Arc` of the lock: the
    /// guard borrows nothing, so it can move into a spawned task.
    ///
    /// # Cancel safety
    /// As [`read`](RwLock::read).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let lock = Arc::new(bobbin::sync::RwLock::new(5));
    /// let guard = lock.clone().read_owned().await;
    /// let doubled = bobbin::spawn(async move { *guard * 2 }).await.unwrap();
    /// assert_eq!(doubled, 10);
    /// # });
    /// ```
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        acquired(Acquire::new(&self.semaphore, 1).await);
        OwnedRwLockReadGuard { lock: self }
    }

    /// Waits, in turn, for exclusive access through an `Arc` of the lock.
    ///
    /// # Cancel safety
    /// As [`write`](RwLock::write).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let lock = Arc::new(bobbin::sync::RwLock::new(5));
    /// let mut guard = lock.clone().write_owned().await;
    /// bobbin::spawn(async move { *guard += 1 }).await.unwrap();
    /// assert_eq!(*lock.read().await, 6);
    /// # });
    /// ```
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        acquired(Acquire::new(&self.semaphore, MAX_READS).await);
        OwnedRwLockWriteGuard { lock: self }
    }

    /// [`try_read`](RwLock::try_read) through an `Arc` of the lock.
    ///
    /// # Errors
    /// As [`try_read`](RwLock::try_read).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(bobbin::sync::RwLock::new(1));
    /// let guard = lock.clone().try_read_owned().unwrap();
    /// assert_eq!(*guard, 1);
    /// ```
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.semaphore
            .try_acquire(1)
            .map_err(|_| TryLockError(()))?;
        Ok(OwnedRwLockReadGuard { lock: self })
    }

    /// [`try_write`](RwLock::try_write) through an `Arc` of the lock.
    ///
    /// # Errors
    /// As [`try_write`](RwLock::try_write).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(bobbin::sync::RwLock::new(1));
    /// let guard = lock.clone().try_write_owned().unwrap();
    /// assert!(lock.try_read().is_err());
    /// drop(guard);
    /// ```
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.semaphore
            .try_acquire(MAX_READS)
            .map_err(|_| TryLockError(()))?;
        Ok(OwnedRwLockWriteGuard { lock: self })
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

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the guard to a part of the value, keeping the read lock.
    ///
    /// # Examples
    /// ```
    /// use bobbin::sync::RwLockReadGuard;
    /// # bobbin::block_on(async {
    /// let lock = bobbin::sync::RwLock::new((1, String::from("name")));
    /// let name = RwLockReadGuard::map(lock.read().await, |pair| &pair.1);
    /// assert_eq!(*name, "name");
    /// # });
    /// ```
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        // `f` runs while `this` still owns the permit (see the write
        // guard's `map`).
        let value: *const U = f(&*this);
        let semaphore = ManuallyDrop::new(this).semaphore;
        RwLockReadGuard {
            semaphore,
            value,
            _borrow: PhantomData,
        }
    }

    /// As [`map`](RwLockReadGuard::map), if `f` finds a part; otherwise
    /// gives the guard back.
    ///
    /// # Errors
    /// The guard, unchanged, if `f` returns `None`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::sync::RwLockReadGuard;
    /// # bobbin::block_on(async {
    /// let lock = bobbin::sync::RwLock::new(vec![4, 5]);
    /// let last = RwLockReadGuard::try_map(lock.read().await, |list| list.last()).unwrap();
    /// assert_eq!(*last, 5);
    /// # });
    /// ```
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        let Some(value) = f(&*this).map(|value| value as *const U) else {
            return Err(this);
        };
        let semaphore = ManuallyDrop::new(this).semaphore;
        Ok(RwLockReadGuard {
            semaphore,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `value` points into the lock's cell (or a part of it,
        // after `map`); a read guard holds a permit, so no write guard
        // exists while this borrow (no longer than `&self`) lives.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
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
        lock.read_guard()
    }

    /// Narrows the guard to a part of the value, keeping the write lock.
    ///
    /// # Examples
    /// ```
    /// use bobbin::sync::RwLockWriteGuard;
    /// # bobbin::block_on(async {
    /// let lock = bobbin::sync::RwLock::new((1, String::from("a")));
    /// let mut name = RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.1);
    /// name.push('b');
    /// drop(name);
    /// assert_eq!(lock.read().await.1, "ab");
    /// # });
    /// ```
    pub fn map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> RwLockMappedWriteGuard<'a, U> {
        // `f` runs while `this` still owns the permits: a panic in it
        // drops `this`, which releases them.
        let value: *mut U = f(&mut *this);
        let semaphore = &ManuallyDrop::new(this).lock.semaphore;
        RwLockMappedWriteGuard {
            semaphore,
            value,
            _borrow: PhantomData,
        }
    }

    /// As [`map`](RwLockWriteGuard::map), if `f` finds a part; otherwise
    /// gives the guard back.
    ///
    /// # Errors
    /// The guard, unchanged, if `f` returns `None`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::sync::RwLockWriteGuard;
    /// # bobbin::block_on(async {
    /// let lock = bobbin::sync::RwLock::new(vec![1, 2]);
    /// let guard = lock.write().await;
    /// let guard = RwLockWriteGuard::try_map(guard, |list| list.get_mut(5)).unwrap_err();
    /// let mut first = RwLockWriteGuard::try_map(guard, |list| list.first_mut()).unwrap();
    /// *first = 9;
    /// # });
    /// ```
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        let Some(value) = f(&mut *this).map(|value| value as *mut U) else {
            return Err(this);
        };
        let semaphore = &ManuallyDrop::new(this).lock.semaphore;
        Ok(RwLockMappedWriteGuard {
            semaphore,
            value,
            _borrow: PhantomData,
        })
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

/// Exclusive access to a part of a [`RwLock`]'s value, made by
/// [`RwLockWriteGuard::map`]; unlocks when dropped.
///
/// # Examples
/// See [`RwLockWriteGuard::map`].
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    semaphore: &'a BatchSemaphore,
    /// Points into the lock's value; exclusive while the guard holds every
    /// permit.
    value: *mut T,
    _borrow: PhantomData<&'a mut T>,
}

// SAFETY: the guard is the only access to the value while it holds every
// permit: moving it moves `&mut T` (`T: Send`), sharing it shares `&T`
// (`T: Sync`); the permits go back from whichever thread drops it.
unsafe impl<T: ?Sized + Send> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit (no other guard exists) and
        // `value` points into the lock's value; the borrow lives no longer
        // than `&self`.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Shared access to the value of a [`RwLock`] held in an `Arc`, made by
/// [`RwLock::read_owned`]; unlike [`RwLockReadGuard`] it borrows nothing.
///
/// # Examples
/// See [`RwLock::read_owned`].
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// The lock this guard holds.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(bobbin::sync::RwLock::new(0));
    /// let guard = lock.clone().try_read_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.rwlock(), &lock));
    /// ```
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }
}

impl<T: ?Sized> Deref for OwnedRwLockReadGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read permit, so no write guard exists
        // while this borrow (no longer than `&self`) lives.
        self.lock.value.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> Drop for OwnedRwLockReadGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to the value of a [`RwLock`] held in an `Arc`, made by
/// [`RwLock::write_owned`]; unlike [`RwLockWriteGuard`] it borrows nothing.
///
/// # Examples
/// See [`RwLock::write_owned`].
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Turns the write into a read without letting go of the lock (as
    /// [`RwLockWriteGuard::downgrade`]).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let lock = Arc::new(bobbin::sync::RwLock::new(1));
    /// let mut write = lock.clone().write_owned().await;
    /// *write = 2;
    /// let read = write.downgrade();
    /// assert_eq!(*read, 2);
    /// assert!(lock.try_read().is_ok() && lock.try_write().is_err());
    /// # });
    /// ```
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again: its `Arc` moves
        // into the read guard, which keeps one permit; the rest go back
        // here.
        let lock = unsafe { std::ptr::read(&this.lock) };
        lock.semaphore.release(MAX_READS - 1);
        OwnedRwLockReadGuard { lock }
    }

    /// The lock this guard holds.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(bobbin::sync::RwLock::new(0));
    /// let guard = lock.clone().try_write_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.rwlock(), &lock));
    /// ```
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit, so no other guard exists;
        // the borrow lives no longer than `&self`.
        self.lock.value.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        self.lock.value.with_mut(|value| unsafe { &mut *value })
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
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

    #[test]
    fn mapped_and_owned_guards_keep_their_permits_and_give_them_back() {
        let lock = Arc::new(RwLock::new((String::from("a"), vec![String::from("b")])));
        {
            let name = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.0);
            assert_eq!(*name, "a");
            assert!(
                lock.try_write().is_err(),
                "the mapped read keeps its permit"
            );
        }
        {
            let mut list = RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.1);
            list.push(String::from("c"));
            assert!(
                lock.try_read().is_err(),
                "the mapped write keeps every permit"
            );
        }
        let write = lock.clone().try_write_owned().unwrap();
        let read = write.downgrade();
        assert_eq!(read.1.concat(), "bc");
        assert!(lock.try_read().is_ok() && lock.try_write().is_err());
        drop(read);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            RwLockWriteGuard::map(lock.try_write().unwrap(), |_| -> &mut String {
                panic!("in map")
            })
        }));
        assert!(panicked.is_err());
        assert!(
            lock.try_write().is_ok(),
            "a panic in map gives the permits back"
        );
        assert_eq!(
            Arc::strong_count(&lock),
            1,
            "the owned guards dropped their Arc"
        );
    }
}
