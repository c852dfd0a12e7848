//! Tasks for unit tests of the run queues: real task cells on a scheduler
//! that runs nothing, with a count of the futures still alive.

use super::raw::{Header, Meta, Notified, new_task};
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
            blocking: false,
        };
        let (task, join) = new_task(future, Inert, meta);
        // Give up the owned list's reference (there is no list) and the
        // JoinHandle's.
        task.header().state.ref_dec();
        drop(join);
        task
    }

    pub(crate) fn live(&self) -> usize {
        self.live.load(SeqCst)
    }
}

/// A scheduler that queues what it is given, for tests that run tasks by
/// hand.
#[derive(Clone, Default)]
pub(crate) struct Queue {
    tasks: Arc<std::sync::Mutex<std::collections::VecDeque<Notified>>>,
}

impl Schedule for Queue {
    fn schedule(&self, task: Notified) {
        self.tasks.lock().unwrap().push_back(task);
    }
    fn yield_now(&self, task: Notified) {
        self.tasks.lock().unwrap().push_back(task);
    }
    fn release(&self, _task: &Header) {}
}

impl Queue {
    /// Spawns `future` onto this queue; it is queued, not yet polled.
    pub(crate) fn spawn<F>(&self, future: F) -> super::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = Meta {
            id: Id::next(),
            location: std::panic::Location::caller(),
            name: None,
            blocking: false,
        };
        let (task, join) = new_task(future, self.clone(), meta);
        self.schedule(task);
        join
    }

    /// Polls queued tasks until none is left; returns how many polls ran.
    pub(crate) fn run_all(&self) -> usize {
        let mut polls = 0;
        loop {
            let next = self.tasks.lock().unwrap().pop_front();
            let Some(task) = next else { return polls };
            task.run();
            polls += 1;
        }
    }

    /// How many tasks are queued.
    pub(crate) fn len(&self) -> usize {
        self.tasks.lock().unwrap().len()
    }
}

/// Adds one to the counter when dropped.
pub(crate) struct DropCount(pub(crate) Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Polls `future` once with a waker that does nothing.
pub(crate) fn poll_once<F: std::future::Future + Unpin>(
    future: &mut F,
) -> std::task::Poll<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::pin::Pin::new(future).poll(&mut cx)
}
