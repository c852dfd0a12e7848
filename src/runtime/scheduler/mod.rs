//! The multi-threaded work-stealing scheduler.
//!
//! ```text
//!            spawn / wake                     steal (half)
//!   Handle ───────────────► [injector] ◄───────────────┐
//!                                │                      │
//!   worker 0: [LIFO slot][local ring] ── poll task ── worker 1: [LIFO slot][local ring] ...
//!        │ no work: search (steal), then park
//! ```
//!
//! What lives here: `shared.rs` holds `Shared` (what every worker and
//! every task of one runtime can reach: the other workers' stealable ends,
//! the injector, the idle bookkeeping, the owned-task list, the blocking
//! pool, the driver), the scheduling decisions a wake or spawn makes, and
//! `launch`, which builds it. `worker.rs` is the worker thread's loop,
//! `lifo.rs` the LIFO slot, `queue.rs` the local ring, `inject.rs` the
//! injector, `idle.rs` who searches and who sleeps, `park.rs` the sleeping
//! itself, `spare.rs` the spare cores that stand in for a blocked worker,
//! `monitor.rs` the thread that notices one, `stats.rs` each core's
//! counters and `context.rs` which runtime a thread is in.
//!
//! Where a woken task goes:
//! - woken on one of this runtime's workers while it polls: into that
//!   worker's LIFO slot, so a message's receiver runs next, while the
//!   message is hot in cache. Pushing into an empty slot wakes nobody (the
//!   slot's task will run right after the current poll); a task pushed out of
//!   the slot goes to the ring, and that may wake an idle worker to steal.
//!   The slot is bounded: after three LIFO polls in a row the next task from
//!   the slot goes to the back of the ring, so two tasks waking each other
//!   cannot starve the ring.
//! - woken during its own poll (`yield_now`): to the back of the ring.
//! - in the LIFO slot when the polled task renews its spent budget (on a
//!   runtime with other workers, `worker::renew_budget`): to the back of
//!   the ring, where thieves look first, and a parked worker is woken if
//!   nobody searches.
//! - woken anywhere else: into the injector, and a parked worker is woken if
//!   nobody is searching.
//!
//! The LIFO slot can be stolen, but only as a thief's last resort, and only
//! a task that stayed in the slot for the thief's whole search (Go treats
//! `runnext` the same way; tokio made its slot stealable, paid for it in
//! wake-ups and reverted).

#![deny(unsafe_code)]

pub(crate) mod context;
pub(crate) mod current;
mod idle;
mod inject;
#[allow(
    unsafe_code,
    reason = "the slot holds a notification as a raw pointer; see LifoSlot"
)]
mod lifo;
#[allow(
    unsafe_code,
    reason = "makes local tasks, whose scheduler keeps them on their thread; see local.rs"
)]
pub(crate) mod local;
pub(crate) mod monitor;
mod park;
#[allow(
    unsafe_code,
    reason = "the ring's slots are MaybeUninit; see its invariants"
)]
pub(crate) mod queue;
mod quiet;
mod shared;
mod spare;
pub(crate) mod stats;
mod worker;

#[cfg(all(test, loom))]
mod tests;

pub(crate) use quiet::Settler;
pub(crate) use shared::{Determinism, Launch, Shared, launch};
pub(crate) use spare::enter_block_in_place;
pub(crate) use worker::{is_worker_of, run};

use idle::Idle;
use inject::Injector;
use lifo::LifoSlot;
