//! Synchronization for tasks: [`Mutex`], [`RwLock`], [`Semaphore`],
//! [`Notify`], [`Barrier`], [`OnceCell`], [`WaitGroup`] and
//! [`CancellationToken`].
//!
//! What lives here: one file per type, on three shared pieces.
//! `batch_semaphore.rs` is a fair FIFO semaphore whose waiters may ask for
//! many permits at once; `Semaphore` is it made public, `Mutex` is it with
//! one permit, `RwLock` with `MAX_READS` permits (a read takes one, a write
//! all), and `OnceCell` uses one permit to pick its single initializer.
//! The FIFO wait list (a slab linked by index, `task/wait_list.rs`, shared
//! with the channels) is what the semaphore and `Notify` queue in;
//! `generation.rs` holds the waiters a `Barrier` or `WaitGroup` releases
//! all at once. Besides the wait list, this module needs only the task
//! core's budget (`task::coop`); it knows no runtime.
//!
//! Why this way:
//! - **Fair and cancel-safe by construction.** Released permits go to the
//!   head of the queue directly, not back into a pool that any task may
//!   grab, so nobody barges and waiters are served in order (tokio's
//!   `batch_semaphore` design). A waiter whose future is dropped returns
//!   what it was handed, and that goes on to the next waiter, so a
//!   cancelled `lock()`, `acquire()` or `notified()` never swallows a
//!   wake-up. The rejected alternative, a lock that wakes a waiter and
//!   lets it race for the lock (async-lock's `Mutex`), is faster under
//!   some contention but lets a busy task starve others.
//! - **Waiters in a slab, not an intrusive list.** tokio keeps waiters in
//!   an intrusive list threaded through the futures themselves; here a
//!   waiter is a key into a slab (the shape of `driver/scheduled_io.rs`), so
//!   the queues need no `unsafe`, at the cost of a lock acquisition in a
//!   woken waiter's poll. The only `unsafe` in this module is the
//!   `UnsafeCell` that holds a `Mutex`'s or `RwLock`'s value, reached only
//!   by the holder of the right permits (the invariant is stated in
//!   `mutex.rs` and `rwlock.rs`).
//! - **Cheap when uncontended.** The semaphore's state is one atomic word
//!   (permits, a "waiters queued" bit, a "closed" bit): with nobody
//!   waiting, acquire and release are one compare-exchange each and the
//!   queue's mutex is never touched. `Notify` stores or takes its permit
//!   with one compare-exchange; `WaitGroup` counts with one.
//! - **No runtime needed.** Everything here only stores and wakes
//!   `Waker`s; none of it reaches into the scheduler. So the primitives
//!   work across runtimes, on the global runtime, and outside any runtime
//!   (`bobbin::block_on` on a plain thread, `futures::executor::block_on`).
//!   Only `WaitGroup::spawn` spawns, through `bobbin::spawn`.
//!
//! Invariants (stated in full in each file): the semaphore's "waiters
//! queued" bit is set exactly while its wait list is non-empty and, while
//! set, no permit sits on the counter, so the lock-free fast path cannot
//! pass a waiter; only the head waiter holds permits while waiting; a
//! wait-list entry is freed only by the future that owns its key; wakers
//! are collected under a mutex and woken after it is released.
//!
//! How it is tested: unit tests beside each type; loom models in
//! `src/sync/tests/loom_semaphore.rs` (a release racing an acquire, a cancelled
//! head waiter passing its permit on, close racing a waiter, two tasks
//! contending on a `Mutex`, a reader leaving an `RwLock` as a writer
//! queues, a closed `try_acquire` seeing what preceded the close),
//! `src/sync/tests/loom_notify.rs` (`notify_one` racing `notified`,
//! `notify_waiters` racing a new waiter, a dropped chosen waiter passing
//! the notification on) and `src/sync/tests/loom_wait.rs` (`WaitGroup` and
//! `Barrier` releases), run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`;
//! and `executor-tests/tests/sync_*.rs` through the public API (fairness,
//! cancel safety, thousands of tasks, outside any runtime, `Send`/`Sync`).
//!
//! The cooperative budget (`task/coop.rs`): every wait that completes
//! spends one unit of the task's budget (the semaphore's `Acquire` future,
//! so `Mutex`, `RwLock`, `Semaphore` and a waiting `OnceCell`;
//! `Notified`; `Barrier::wait`; `WaitGroup::wait`), and with the budget
//! spent it returns `Pending` before it takes or queues anything, so a task
//! locking an uncontended `Mutex` in a loop still lets its neighbours run.
//! The `try_*` forms, `Notified::enable` and reading an initialized
//! `OnceCell` never wait, and spend nothing.

#![deny(unsafe_code)]

mod barrier;
mod batch_semaphore;
mod cancellation_token;
mod error;
mod generation;
#[allow(
    unsafe_code,
    reason = "the value sits in an UnsafeCell; see the file's invariant"
)]
mod mutex;
mod notify;
mod once_cell;
#[allow(
    unsafe_code,
    reason = "the value sits in an UnsafeCell; see the file's invariant"
)]
mod rwlock;
mod semaphore;
mod wait_group;

#[cfg(all(test, loom))]
mod tests;

pub use barrier::{Barrier, BarrierWaitResult};
pub use cancellation_token::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use error::{AcquireError, SetError, TryAcquireError, TryLockError};
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMutexGuard};
pub use notify::{Notified, Notify};
pub use once_cell::OnceCell;
pub use rwlock::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard, RwLockReadGuard,
    RwLockWriteGuard,
};
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
pub use wait_group::{WaitGroup, WaitGroupToken};
