//! `Send`, `Sync` and `Unpin` of the sync primitives' public types and
//! futures, pinned at compile time as `send_sync.rs` does for the runtime
//! (the same probe). Also pinned: every type is `Debug`, the errors are
//! `std::error::Error`, and the futures of the `async fn`s are `Send`.

#![allow(dead_code, reason = "the checks are compiled, not run")]

use bobbin::sync::{
    AcquireError, Barrier, BarrierWaitResult, Mutex, MutexGuard, Notified, Notify, OnceCell,
    OwnedMutexGuard, OwnedSemaphorePermit, RwLock, RwLockReadGuard, RwLockWriteGuard, Semaphore,
    SemaphorePermit, SetError, TryAcquireError, TryLockError, WaitGroup, WaitGroupToken,
};
use executor_tests::{assert_auto_traits, implements};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

type NotSend = Rc<()>;
type NotSync = Cell<()>;

assert_auto_traits!(Semaphore: Send, Sync, Unpin);
assert_auto_traits!(SemaphorePermit<'static>: Send, Sync, Unpin);
assert_auto_traits!(OwnedSemaphorePermit: Send, Sync, Unpin);
assert_auto_traits!(Notify: Send, Sync, Unpin);
assert_auto_traits!(Notified<'static>: Send, Sync, Unpin);
assert_auto_traits!(Barrier: Send, Sync, Unpin);
assert_auto_traits!(BarrierWaitResult: Send, Sync, Unpin);
assert_auto_traits!(WaitGroup: Send, Sync, Unpin);
assert_auto_traits!(WaitGroupToken: Send, Sync, Unpin);
assert_auto_traits!(AcquireError: Send, Sync, Unpin);
assert_auto_traits!(TryAcquireError: Send, Sync, Unpin);
assert_auto_traits!(TryLockError: Send, Sync, Unpin);

// A Mutex shares its value between threads one holder at a time: it needs
// `T: Send` only (as std's and tokio's). Its guard hands out `&T` to the
// thread it is on, so it is Sync only if `T: Sync`.
assert_auto_traits!(Mutex<u8>: Send, Sync, Unpin);
assert_auto_traits!(Mutex<NotSync>: Send, Sync, Unpin);
assert_auto_traits!(Mutex<NotSend>: !Send, !Sync, Unpin);
assert_auto_traits!(MutexGuard<'static, u8>: Send, Sync, Unpin);
assert_auto_traits!(MutexGuard<'static, NotSync>: Send, !Sync, Unpin);
assert_auto_traits!(OwnedMutexGuard<u8>: Send, Sync, Unpin);
assert_auto_traits!(OwnedMutexGuard<NotSync>: Send, !Sync, Unpin);

// An RwLock hands `&T` to many threads at once: Sync needs `T: Send +
// Sync`; Send needs `T: Send` (as std's and tokio's). Its guards share
// `&T`, so they need `T: Send + Sync` to leave their thread.
assert_auto_traits!(RwLock<u8>: Send, Sync, Unpin);
assert_auto_traits!(RwLock<NotSync>: Send, !Sync, Unpin);
assert_auto_traits!(RwLock<NotSend>: !Send, !Sync, Unpin);
assert_auto_traits!(RwLockReadGuard<'static, NotSync>: !Send, !Sync, Unpin);
assert_auto_traits!(RwLockWriteGuard<'static, NotSync>: !Send, !Sync, Unpin);
assert_auto_traits!(RwLockReadGuard<'static, u8>: Send, Sync, Unpin);
assert_auto_traits!(RwLockWriteGuard<'static, u8>: Send, Sync, Unpin);

// A OnceCell shares `&T` once set, as std's OnceLock.
assert_auto_traits!(OnceCell<u8>: Send, Sync, Unpin);
assert_auto_traits!(OnceCell<NotSync>: Send, !Sync, Unpin);
assert_auto_traits!(SetError<u8>: Send, Sync, Unpin);

const _: () = assert!(
    implements!(AcquireError: std::error::Error)
        && implements!(TryAcquireError: std::error::Error)
        && implements!(TryLockError: std::error::Error)
        && implements!(SetError<NotSend>: std::error::Error)
        && implements!(SetError<NotSend>: std::fmt::Debug)
        && implements!(Semaphore: std::fmt::Debug)
        && implements!(SemaphorePermit<'static>: std::fmt::Debug)
        && implements!(OwnedSemaphorePermit: std::fmt::Debug)
        && implements!(Notify: std::fmt::Debug)
        && implements!(Notified<'static>: std::fmt::Debug)
        && implements!(Barrier: std::fmt::Debug)
        && implements!(BarrierWaitResult: std::fmt::Debug)
        && implements!(WaitGroup: std::fmt::Debug)
        && implements!(WaitGroupToken: std::fmt::Debug)
        && implements!(Mutex<u8>: std::fmt::Debug)
        && implements!(MutexGuard<'static, u8>: std::fmt::Debug)
        && implements!(OwnedMutexGuard<u8>: std::fmt::Debug)
        && implements!(RwLock<u8>: std::fmt::Debug)
        && implements!(RwLockReadGuard<'static, u8>: std::fmt::Debug)
        && implements!(RwLockWriteGuard<'static, u8>: std::fmt::Debug)
        && implements!(OnceCell<u8>: std::fmt::Debug)
        && implements!(WaitGroup: Clone)
        && implements!(WaitGroupToken: Clone)
        && implements!(Notify: Default)
        && implements!(WaitGroup: Default)
);

fn require_send<T: Send>(_: &T) {}

/// The futures of the `async fn`s can be awaited inside spawned tasks.
fn futures_are_send(
    semaphore: Arc<Semaphore>,
    mutex: Arc<Mutex<u8>>,
    lock: RwLock<u8>,
    barrier: Barrier,
    cell: OnceCell<u8>,
    wg: WaitGroup,
) {
    require_send(&semaphore.acquire());
    require_send(&semaphore.acquire_many(2));
    require_send(&semaphore.clone().acquire_owned());
    require_send(&semaphore.acquire_many_owned(2));
    require_send(&mutex.lock());
    require_send(&mutex.clone().lock_owned());
    require_send(&lock.read());
    require_send(&lock.write());
    require_send(&barrier.wait());
    require_send(&cell.get_or_init(|| async { 1 }));
    require_send(&cell.get_or_try_init(|| async { Ok::<u8, ()>(1) }));
    require_send(&wg.wait());
    // A task that holds a guard across an await can be spawned.
    let held = async move {
        let guard = mutex.lock().await;
        bobbin::task::yield_now().await;
        drop(guard);
    };
    require_send(&held);
}
