//! Tasks for unit tests of the run queues: real task cells on a scheduler
//! that runs nothing, with a count of the futures still alive.

use super::raw::{Header, Meta, Notified, RawTask};
use super::{Id, Schedule};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// A scheduler that drops whatever it is given.
pub(crate) struct Inert;

impl Schedule for Inert {
    fn schedule(&self, task: Notified) {
        drop(task);
    }
    fn yield_now(&self, task: Notified) {
        drop(task);
    }
    fn release(&self, _task: &Header) {}
}

/// Counts the futures of the tasks it made that are not yet dropped.
pub(crate) struct Tracked {
    live: Arc<AtomicUsize>,
}

struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl Tracked {
    pub(crate) fn new() -> Tracked {
        Tracked {
            live: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A scheduled task holding only its `Notified` reference: dropping it
    /// frees the cell and the future.
    pub(crate) fn task(&self) -> Notified {
        self.live.fetch_add(1, SeqCst);
        let alive = Alive(self.live.clone());
        let future = async move {
            let _alive = alive;
            std::future::pending::<()>().await
        };
        let meta = Meta {
            id: Id::next(),
            location: std::panic::Location::caller(),
            name: None,
        };
        let raw = RawTask::new(future, Inert, meta);
        // Give up the JoinHandle's reference.
        drop(super::JoinHandle::<()>::new(raw));
        Notified::from_raw(raw)
    }

    pub(crate) fn live(&self) -> usize {
        self.live.load(SeqCst)
    }
}
