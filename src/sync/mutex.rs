//! `Mutex<T>`: an async, fair mutual-exclusion lock.
//!
//! A semaphore of one permit decides who holds the lock (FIFO, cancel-safe:
//! see `batch_semaphore.rs`); the value sits in an `UnsafeCell` that only
//! the holder of that permit touches.
//!
//! Invariant: a `MutexGuard` or `OwnedMutexGuard` exists exactly while its
//! holder owns the semaphore's one permit, and only a guard (or a unique
//! `&mut Mutex`) reaches into the cell. The permit passes between holders
//! through the semaphore, whose acquire/release pair is a happens-before
//! edge, so one holder's writes are visible to the next.

use super::batch_semaphore::{Acquire, BatchSemaphore};
use super::error::TryLockError;
use crate::loom::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// An async mutual-exclusion lock: one task at a time holds its
/// [`MutexGuard`], and may hold it across `.await` points.
///
/// Fair: tasks get the lock in the order they asked for it. Unlocking
/// hands the lock straight to the task that waited longest; a task that
/// asks while others wait (even [`try_lock`](Mutex::try_lock), even right
/// after unlocking) queues behind them, so no waiter starves.
///
/// Use it, rather than `std::sync::Mutex`, when the lock must be held
/// across an `.await`; for short critical sections that never await, a
/// std mutex is cheaper.
///
/// The lock needs no runtime: it works in any task of any runtime, and
/// under any executor (`futures::executor::block_on`, a plain thread's
/// `bobbin::block_on`), since it only stores and wakes wakers.
///
/// A panic while the guard is held does not poison the lock: the next
/// task gets the value as it was left.
///
/// # Memory ordering
/// Everything a task did while holding the lock happens-before the next
/// holder's [`lock`](Mutex::lock) completes.
///
/// Forgetting a guard (`std::mem::forget`) leaves the lock held forever,
/// as with any lock; [`get_mut`](Mutex::get_mut) and
/// [`into_inner`](Mutex::into_inner) still reach the value.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use bobbin::sync::Mutex;
/// # bobbin::block_on(async {
/// let counter = Arc::new(Mutex::new(0));
/// let tasks: Vec<_> = (0..10)
///     .map(|_| {
///         let counter = counter.clone();
///         bobbin::spawn(async move {
///             let mut guard = counter.lock().await;
///             bobbin::task::yield_now().await; // held across an await
///             *guard += 1;
///         })
///     })
///     .collect();
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(*counter.lock().await, 10);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    semaphore: BatchSemaphore,
    /// Touched only by the holder of the semaphore's permit, through its
    /// guard, or through `&mut self`.
    value: UnsafeCell<T>,
}

// SAFETY: the value moves between threads with the lock (hence `T: Send`)
// but is reached by one holder at a time, so sharing the mutex never
// shares a `&T` between threads: `T: Sync` is not needed, as for
// `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: `&Mutex<T>` gives access to the value only through a
// guard, and only one guard exists at a time.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Exclusive access to a [`Mutex`]'s value; unlocks when dropped.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let mutex = bobbin::sync::Mutex::new(vec![1]);
/// let mut guard = mutex.lock().await;
/// guard.push(2);
/// drop(guard);
/// assert_eq!(*mutex.lock().await, [1, 2]);
/// # });
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: a shared guard hands out `&T` to whichever thread holds the
// `&MutexGuard`, so sharing it needs `T: Sync` (and `T: Send`, which the
// guard's own existence already implies through `Mutex<T>: Sync`). This
// explicit impl replaces the auto one, which would need only `T: Send`.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

/// Exclusive access to the value of a [`Mutex`] held in an `Arc`; unlike
/// [`MutexGuard`] it borrows nothing, so it can move into a spawned task.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// # bobbin::block_on(async {
/// let mutex = Arc::new(bobbin::sync::Mutex::new(1));
/// let mut guard = mutex.clone().lock_owned().await;
/// bobbin::spawn(async move { *guard += 1 }).await.unwrap();
/// assert_eq!(*mutex.lock().await, 2);
/// # });
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

// SAFETY: as for `MutexGuard`: sharing the guard shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    ///
    /// # Examples
    /// ```
    /// let mutex = bobbin::sync::Mutex::new(5);
    /// assert_eq!(mutex.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: BatchSemaphore::new(1),
            value: UnsafeCell::new(value),
        }
    }
    /// The value, consuming the mutex.
    ///
    /// # Examples
    /// ```
    /// let mutex = bobbin::sync::Mutex::new(String::from("v"));
    /// assert_eq!(mutex.into_inner(), "v");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock, in turn, and returns the guard.
    ///
    /// # Cancel safety
    /// Cancel-safe, and it keeps the queue's promises: if the future is
    /// dropped before it completes, it leaves the queue, and if the lock
    /// was handed to it in the meantime, it is handed on to the next
    /// waiter, so no wake-up is lost. The task loses its place in the
    /// queue.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mutex = bobbin::sync::Mutex::new(1);
    /// *mutex.lock().await += 1;
    /// assert_eq!(*mutex.lock().await, 2);
    /// # });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        acquired(Acquire::new(&self.semaphore, 1).await);
        MutexGuard { mutex: self }
    }

    /// As [`lock`](Mutex::lock), for a mutex held in an `Arc`: the guard
    /// holds the `Arc`, not a borrow.
    ///
    /// # Cancel safety
    /// As [`lock`](Mutex::lock).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let mutex = Arc::new(bobbin::sync::Mutex::new(0));
    /// let guard = mutex.clone().lock_owned().await;
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert!(mutex.try_lock().is_ok());
    /// # });
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        acquired(Acquire::new(&self.semaphore, 1).await);
        OwnedMutexGuard::new(self)
    }

    /// Takes the lock if it is free and nobody waits for it; never waits.
    ///
    /// # Errors
    /// [`TryLockError`] if the lock is held, or other tasks are queued for
    /// it first.
    ///
    /// # Examples
    /// ```
    /// let mutex = bobbin::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert_eq!(*mutex.try_lock().unwrap(), 1);
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.semaphore
            .try_acquire(1)
            .map_err(|_| TryLockError(()))?;
        Ok(MutexGuard { mutex: self })
    }

    /// As [`try_lock`](Mutex::try_lock), for a mutex held in an `Arc`.
    ///
    /// # Errors
    /// As [`try_lock`](Mutex::try_lock).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(bobbin::sync::Mutex::new(1));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// assert!(mutex.clone().try_lock_owned().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.semaphore
            .try_acquire(1)
            .map_err(|_| TryLockError(()))?;
        Ok(OwnedMutexGuard::new(self))
    }

    /// Locks from a plain thread (not a task), waiting in turn like
    /// [`lock`](Mutex::lock): for code outside the runtime that shares a
    /// value with tasks.
    ///
    /// # Panics
    /// On a runtime worker thread, where waiting would stall every task
    /// queued there; the message says to `.await` [`lock`](Mutex::lock)
    /// instead.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(bobbin::sync::Mutex::new(0));
    /// let other = mutex.clone();
    /// std::thread::spawn(move || *other.blocking_lock() += 1).join().unwrap();
    /// assert_eq!(*mutex.blocking_lock(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::task::park::park_on("Mutex::blocking_lock", self.lock())
    }

    /// The value, through a unique borrow of the mutex: no lock needed.
    ///
    /// # Examples
    /// ```
    /// let mut mutex = bobbin::sync::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard borrows the mutex (a guard
        // holds `&Mutex` or an `Arc`, and `&mut` through an `Arc` needs it
        // unique), so nobody else reaches the value.
        self.value.with_mut(|value| unsafe { &mut *value })
    }

    /// With the permit held: the value.
    ///
    /// # Safety
    /// The caller holds the permit (is a guard) and keeps the returned
    /// borrow no longer than it holds it.
    unsafe fn value(&self) -> &T {
        // SAFETY: the caller holds the one permit, so no guard writes the
        // value while this borrow lives.
        self.value.with(|value| unsafe { &*value })
    }

    /// With the permit held: the value, mutably.
    ///
    /// # Safety
    /// As [`value`](Self::value), and the caller hands out this borrow
    /// only through `&mut` of its guard, so it is the only one.
    #[allow(clippy::mut_from_ref, reason = "the permit makes the access unique")]
    unsafe fn value_mut(&self) -> &mut T {
        // SAFETY: the caller holds the one permit and borrows its guard
        // mutably, so no other borrow of the value exists.
        self.value.with_mut(|value| unsafe { &mut *value })
    }
}

/// A `Mutex`'s semaphore is never closed.
fn acquired(result: Result<(), super::error::AcquireError>) {
    debug_assert!(result.is_ok(), "a Mutex's semaphore is never closed");
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => out.field("data", &&*guard),
            Err(_) => out.field("data", &format_args!("<locked>")),
        };
        out.finish()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Narrows the guard to a part of the value, keeping the lock.
    ///
    /// # Examples
    /// ```
    /// use bobbin::sync::MutexGuard;
    /// # bobbin::block_on(async {
    /// let mutex = bobbin::sync::Mutex::new((0, vec![1]));
    /// let mut list = MutexGuard::map(mutex.lock().await, |pair| &mut pair.1);
    /// list.push(2);
    /// drop(list);
    /// assert_eq!(mutex.lock().await.1, [1, 2]);
    /// # });
    /// ```
    pub fn map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> MappedMutexGuard<'a, U> {
        // `f` runs while `this` still owns the permit: a panic in it drops
        // `this`, which unlocks.
        let value: *mut U = f(&mut *this);
        let semaphore = &ManuallyDrop::new(this).mutex.semaphore;
        MappedMutexGuard {
            semaphore,
            value,
            _borrow: PhantomData,
        }
    }

    /// As [`map`](MutexGuard::map), if `f` finds a part; otherwise gives
    /// the guard back.
    ///
    /// # Errors
    /// The guard, unchanged, if `f` returns `None`.
    ///
    /// # Examples
    /// ```
    /// use bobbin::sync::MutexGuard;
    /// # bobbin::block_on(async {
    /// let mutex = bobbin::sync::Mutex::new(vec![1, 2]);
    /// let guard = MutexGuard::try_map(mutex.lock().await, |list| list.get_mut(7)).unwrap_err();
    /// let mut first = MutexGuard::try_map(guard, |list| list.first_mut()).unwrap();
    /// *first = 0;
    /// # });
    /// ```
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        let Some(value) = f(&mut *this).map(|value| value as *mut U) else {
            return Err(this);
        };
        let semaphore = &ManuallyDrop::new(this).mutex.semaphore;
        Ok(MappedMutexGuard {
            semaphore,
            value,
            _borrow: PhantomData,
        })
    }

    /// The mutex this guard locks.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mutex = bobbin::sync::Mutex::new(1);
    /// let guard = mutex.lock().await;
    /// assert!(std::ptr::eq(guard.mutex(), &mutex));
    /// # });
    /// ```
    pub fn mutex(&self) -> &Mutex<T> {
        self.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a guard holds the permit; the borrow lives no longer
        // than `&self`.
        unsafe { self.mutex.value() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a guard holds the permit, and `&mut self` makes this the
        // only borrow through it.
        unsafe { self.mutex.value_mut() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// With the permit just acquired: the guard that releases it.
    fn new(mutex: Arc<Mutex<T>>) -> OwnedMutexGuard<T> {
        OwnedMutexGuard { mutex }
    }

    /// The mutex this guard locks.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let mutex = Arc::new(bobbin::sync::Mutex::new(1));
    /// let guard = mutex.clone().lock_owned().await;
    /// assert!(Arc::ptr_eq(guard.mutex(), &mutex));
    /// # });
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a guard holds the permit; the borrow lives no longer
        // than `&self`.
        unsafe { self.mutex.value() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a guard holds the permit, and `&mut self` makes this the
        // only borrow through it.
        unsafe { self.mutex.value_mut() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive access to a part of a [`Mutex`]'s value, made by
/// [`MutexGuard::map`]; unlocks when dropped.
///
/// # Examples
/// See [`MutexGuard::map`].
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    semaphore: &'a BatchSemaphore,
    /// Points into the mutex's value; exclusive while the guard holds the
    /// permit. A pointer, not a reference: the permit goes back in `drop`,
    /// after which the guard must claim no borrow.
    value: *mut T,
    _borrow: PhantomData<&'a mut T>,
}

// SAFETY: the guard is the only access to the value while it holds the
// permit: moving it moves `&mut T` (`T: Send`), sharing it shares `&T`
// (`T: Sync`); the permit goes back from whichever thread drops it.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the permit and `value` points into the
        // mutex's value; the borrow lives no longer than `&self`.
        unsafe { &*self.value }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.value }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};

    #[test]
    fn unlocking_hands_the_lock_to_the_waiter_not_to_a_late_try_lock() {
        let mutex = Mutex::new(0);
        let guard = mutex.try_lock().unwrap();
        let mut waiting = pin!(mutex.lock());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        drop(guard);
        assert!(mutex.try_lock().is_err(), "the lock went to the waiter");
        let std::task::Poll::Ready(mut guard) = waiting.as_mut().poll(&mut cx) else {
            panic!("the waiter was handed the lock");
        };
        *guard += 1;
        drop(guard);
        assert_eq!(*mutex.try_lock().unwrap(), 1);
    }

    #[test]
    fn a_panic_under_the_guard_keeps_the_value() {
        let mutex = Mutex::new(vec![1]);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut guard = mutex.try_lock().unwrap();
            guard.push(2);
            panic!("while holding the lock");
        }));
        assert!(result.is_err());
        assert_eq!(*mutex.try_lock().unwrap(), [1, 2]);
    }

    #[test]
    fn heap_values_go_through_every_guard_and_out_once() {
        let mutex = Arc::new(Mutex::new(vec![String::from("a")]));
        let mut cx = Context::from_waker(Waker::noop());
        mutex.try_lock().unwrap().push(String::from("b"));
        let mut owned = mutex.clone().try_lock_owned().unwrap();
        owned.push(String::from("c"));
        let mut waiting = pin!(mutex.clone().lock_owned());
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        drop(owned);
        let std::task::Poll::Ready(mut guard) = waiting.as_mut().poll(&mut cx) else {
            panic!("the owned lock was handed on");
        };
        guard.push(String::from("d"));
        assert_eq!(format!("{guard:?}"), r#"["a", "b", "c", "d"]"#);
        drop(guard);
        let mutex = Arc::into_inner(mutex).expect("the last handle");
        assert_eq!(mutex.into_inner().concat(), "abcd");
    }

    #[test]
    fn a_forgotten_guard_keeps_the_lock_but_not_the_value() {
        let mut mutex = Mutex::new(1);
        std::mem::forget(mutex.try_lock().unwrap());
        assert!(mutex.try_lock().is_err(), "a forgotten guard still holds");
        *mutex.get_mut() = 2;
        assert_eq!(mutex.into_inner(), 2);
    }

    #[test]
    fn a_mapped_guard_keeps_the_lock_and_a_panic_in_map_unlocks() {
        let mutex = Mutex::new((1, String::from("x")));
        {
            let mut text = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
            text.push('y');
            assert!(mutex.try_lock().is_err());
        }
        assert_eq!(mutex.try_lock().unwrap().1, "xy");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            MutexGuard::map(mutex.try_lock().unwrap(), |_| -> &mut String {
                panic!("in map")
            })
        }));
        assert!(panicked.is_err());
        assert!(mutex.try_lock().is_ok(), "the panic unlocked");
    }
}
