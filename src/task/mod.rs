//! Tasks: the unit of work the runtime runs, and the handles to them; the
//! task core, the lowest layer of the crate above the loom shim. It imports
//! nothing from the runtime, the driver, I/O, time, channels or sync.
//!
//! A task is a spawned future in one heap cell (`raw.rs`) whose lifecycle is
//! one atomic state word (`state.rs`). Workers poll it through a vtable
//! (`harness.rs`); the task pointer doubles as its waker (`waker.rs`); every
//! live task is linked in its runtime's owned list (`list.rs`) so shutdown can
//! cancel it; its header carries a few figures for the dump (`stats.rs`,
//! stamped by the coarse clock of `clock.rs`). Users see [`JoinHandle`],
//! [`AbortHandle`], [`yield_now`] and task [`Id`]s; the spawning API
//! ([`Builder`], [`JoinSet`], [`spawn`], [`spawn_blocking`],
//! [`block_in_place`]) needs a runtime, so it lives in `runtime/spawn/` and
//! only its names are re-exported here.
//!
//! Sealed: the rest of the crate makes a task with `new_task`, links it
//! with `OwnedTasks::bind`, and holds it through `Notified` (a scheduled
//! task), `JoinHandle` and wakers. `RawTask`, the untyped pointer under
//! them, is private to this module; the functions that adopt a reference
//! count (`Notified::from_ptr`, `RawTask::from_raw`) are `unsafe fn`s.
//!
//! How a task waits, for the layers above: the cooperative budget
//! (`coop.rs`: each task poll may complete 128 channel, sync, timer and I/O
//! operations, renewed up to 61 budgets on a multi-worker runtime when
//! only what the poll woke is waiting; after that they wake the task and
//! return `Pending`, so a task whose operations are always ready still
//! lets its neighbours run; [`unconstrained`] opts a future out,
//! [`consume_budget`] lets a hand-written loop take part), the one FIFO
//! waiter list of the crate (`wait_list.rs`, used by channels and sync
//! alike), and the thread
//! parker of `block_on` and the blocking forms (`park.rs`). And task-local
//! values (`local.rs`: [`task_local!`](crate::task_local), [`LocalKey`]),
//! which need no runtime either.
//!
//! Why this shape: tokio's task module proved that one allocation with a
//! state word and a vtable gives allocation-free wakes and lock-free
//! joins; async-task showed the same in fewer lines. bobbin keeps the state
//! transitions in one file as named, `#[must_use]` verdicts and the unsafe
//! code in six files (`raw.rs`, `harness.rs`, `stage.rs`, `waker.rs`,
//! `list.rs`, and the output read in `join.rs`; the rest deny it), each block argued
//! against the invariants stated on `Header` and `Cell`.
//!
//! Tested by unit tests here, the loom models in `tests/loom_task.rs`
//! (`RUSTFLAGS="--cfg loom" cargo test -p bobbin --release --lib loom`), and
//! the task semantics tests in `executor-tests/tests/task_*.rs`.

#![deny(unsafe_code)]

pub(crate) mod clock;
pub(crate) mod coop;
mod error;
#[allow(
    unsafe_code,
    reason = "the typed vtable behind the raw task pointer; see Header and Cell"
)]
mod harness;
mod id;
#[allow(
    unsafe_code,
    reason = "the JoinHandle reads the output through the vtable"
)]
mod join;
#[allow(
    unsafe_code,
    reason = "the owned list links task headers through raw pointers"
)]
mod list;
pub(crate) mod local;
pub(crate) mod park;
#[allow(
    unsafe_code,
    reason = "the task cell and the pointers to it; see Header and Cell"
)]
mod raw;
#[allow(
    unsafe_code,
    reason = "the stage is a union whose tag is in the header; see Stage"
)]
mod stage;
mod state;
mod stats;
pub(crate) mod wait_list;
#[allow(unsafe_code, reason = "the task pointer as a RawWaker")]
mod waker;
mod yield_now;

#[cfg(all(test, not(loom)))]
pub(crate) mod test_support;
#[cfg(all(test, loom))]
#[allow(unsafe_code, reason = "a counting RawWaker for the models")]
mod tests;

pub use coop::{Unconstrained, consume_budget, unconstrained};
pub use error::JoinError;
pub use id::{Id, id, try_id};
pub use join::{AbortHandle, AbortOnDrop, JoinHandle};
pub use local::{AccessError, LocalKey, TaskLocalFuture};
pub use yield_now::yield_now;

// What the rest of the crate sees of the task core: a task is made with
// `new_task`, linked in an `OwnedTasks`, and held through `Notified` (a
// scheduled task), `JoinHandle` and wakers; `Header` is its type-erased
// front (id, name, location, state, stats). `RawTask`, the untyped pointer
// under them, stays inside.
pub(crate) use list::{OwnedTasks, TaskInfo};
pub(crate) use raw::{Header, Meta, Notified, Ran, new_local_task, new_task};
pub(crate) use stats::{Ending, StatsSnapshot};

// The spawning API needs a runtime, so it lives in `runtime/spawn/`; its
// names are re-exported here, where users of tokio look for them. Names
// only: no code of the task core uses the runtime.
pub use crate::runtime::spawn::{
    Builder, JoinSet, block_in_place, spawn, spawn_blocking, spawn_local,
};

use std::any::Any;

/// Why a task ended without output (the private part of [`JoinError`]).
/// One word: the panic payload (a wide `Box<dyn Any>`) is boxed again, so
/// a task's stage holding `Result<(), Failure>` takes 16 bytes, not 24 (an
/// extra allocation only when a task panics).
pub(crate) enum Failure {
    Cancelled,
    Panic(Box<Payload>),
}

/// A panic's payload, behind a thin pointer (see [`Failure`]).
pub(crate) struct Payload(pub(crate) Box<dyn Any + Send + 'static>);

impl Failure {
    /// A panic with `payload`.
    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> Failure {
        Failure::Panic(Box::new(Payload(payload)))
    }
}

/// The thread a local task is pinned to, as reports show it. Kept by the
/// thread's local queue (one per thread and runtime), so it costs a local
/// task nothing in its cell.
#[derive(Debug)]
pub(crate) struct LocalOwner {
    pub(crate) thread: std::thread::ThreadId,
    pub(crate) thread_name: Option<String>,
    /// The worker (core index) the thread runs, or `None` for a thread in
    /// `Runtime::block_on`.
    pub(crate) worker: Option<usize>,
}

/// What a task needs from the scheduler that runs it.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Runs a woken task.
    fn schedule(&self, task: raw::Notified);

    /// Runs a task that was woken during its own poll, after the tasks
    /// already waiting (so a task that wakes itself cannot hog a worker).
    fn yield_now(&self, task: raw::Notified);

    /// The task's cell is about to be freed: unlink it from the owned list.
    fn release(&self, task: &raw::Header);

    /// True if a cancel may drop the task's future on this thread. A
    /// scheduler of `!Send` tasks says false off their own thread: the
    /// cancel then marks the task and schedules it, and its own thread
    /// drops the future when it runs it.
    fn shutdown_here(&self) -> bool {
        true
    }

    /// For a local task (`!Send`, pinned to one thread): which thread. The
    /// dump, the metrics and the long-poll report read it through the
    /// header (`Header::local_owner`); `None` for every other task.
    fn local_owner(&self) -> Option<&LocalOwner> {
        None
    }

    /// The task panicked and nobody will read the payload (its JoinHandle
    /// is gone): the runtime's `UnhandledPanic` policy decides.
    fn unhandled_panic(&self, task: &raw::Header, payload: Box<dyn Any + Send + 'static>) {
        let _ = task;
        drop(payload);
    }
}
