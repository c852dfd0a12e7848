//! Loom models of the run queues and the idle protocol (`cfg(loom)` only),
//! and the tasks they move around.
//!
//! The models queue real task cells (the queues move `Notified`s, so a
//! stand-in type would not exercise the reference counts or the frees) on a
//! scheduler that runs nothing: `task::test_support` does the same for the
//! unit tests, but with std's atomics, which loom cannot see.

mod loom_idle;
mod loom_queue;

use crate::loom::{Arc, AtomicUsize};
use crate::task::{Header, Meta, Notified, new_task};
use crate::task::{Id, Schedule};
use std::sync::atomic::Ordering::Relaxed;

/// A scheduler that drops whatever it is given.
struct Inert;

impl Schedule for Inert {
    fn schedule(&self, task: Notified) {
        drop(task);
    }
    fn yield_now(&self, task: Notified) {
        drop(task);
    }
    fn release(&self, _task: &Header) {}
}

/// Makes tasks and counts those whose cells are still alive.
struct Tasks {
    live: Arc<AtomicUsize>,
}

/// Held by a task's future: counts the task as alive until the cell (and
/// so the future) is dropped.
struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        // Relaxed: read by the model only after its threads are joined.
        self.0.fetch_sub(1, Relaxed);
    }
}

impl Tasks {
    fn new() -> Tasks {
        Tasks {
            live: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A scheduled task holding only its `Notified` reference: dropping
    /// that frees the cell.
    #[track_caller]
    fn task(&self) -> Notified {
        // Relaxed: as in `Alive::drop`.
        self.live.fetch_add(1, Relaxed);
        let alive = Alive(self.live.clone());
        let future = async move {
            let _alive = alive;
            std::future::pending::<()>().await
        };
        let meta = Meta {
            id: Id::next(),
            location: std::panic::Location::caller(),
            name: None,
            blocking: false,
        };
        let (task, join) = new_task(future, Inert, meta);
        // Give up the owned list's reference (there is no list) and the
        // JoinHandle's, leaving the Notified's as the only one.
        task.header().state.ref_dec();
        drop(join);
        task
    }

    /// `n` tasks and their ids, in order.
    #[track_caller]
    fn make(&self, n: usize) -> (Vec<Notified>, Vec<Id>) {
        let tasks: Vec<_> = (0..n).map(|_| self.task()).collect();
        let ids = tasks.iter().map(|task| task.header().id).collect();
        (tasks, ids)
    }

    /// How many cells are alive.
    fn live(&self) -> usize {
        self.live.load(Relaxed)
    }
}

/// Takes the ids of `tasks`, dropping them (and so freeing their cells).
fn ids_of(tasks: impl IntoIterator<Item = Notified>) -> Vec<Id> {
    tasks.into_iter().map(|task| task.header().id).collect()
}

/// Asserts that `seen` holds each of `expected` exactly once: no task lost,
/// none duplicated.
#[track_caller]
fn assert_each_once(mut seen: Vec<Id>, mut expected: Vec<Id>) {
    seen.sort();
    expected.sort();
    assert_eq!(
        seen, expected,
        "every queued task comes out exactly once (none lost or duplicated)"
    );
}

/// A parker and its unparker, and the driver slot `park` takes (under loom
/// the parker never blocks in the driver, so this only has to exist).
fn parker_pair() -> (
    super::park::Parker,
    super::park::Unparker,
    super::park::DriverSlot,
) {
    let driver = crate::driver::Driver::new(false).expect("a driver can be made");
    let (parker, unparker) = super::park::pair(driver.handle().clone());
    (parker, unparker, super::park::DriverSlot::new(driver))
}
