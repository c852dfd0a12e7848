//! `spawn_blocking`: a blocking job is a task cell like any other (its
//! future calls the closure once, unbudgeted), scheduled on the blocking
//! pool instead of the workers. So its `JoinHandle`, panic capture,
//! cancellation before it starts and the owned-task list (shutdown,
//! reports) come for free.

use crate::loom::Arc;
use crate::runtime::pool::Job;
use crate::runtime::scheduler::Shared;
use crate::task::{Header, Id, JoinHandle, Meta, Notified, Schedule, new_task};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The scheduler of blocking tasks: a wake (the first schedule, or an abort
/// before the job started) queues the task on the pool.
struct BlockingSchedule {
    shared: Arc<Shared>,
}

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified) {
        self.shared.blocking.submit(&self.shared, Job::Task(task));
    }

    fn yield_now(&self, task: Notified) {
        self.schedule(task);
    }

    fn release(&self, task: &Header) {
        self.shared.owned.remove(task);
    }

    fn unhandled_panic(&self, task: &Header, payload: Box<dyn std::any::Any + Send + 'static>) {
        if self.shared.panics.unhandled(task, payload) {
            self.shared.begin_shutdown();
        }
    }
}

/// The future of a blocking task: calls the closure on its first poll.
struct BlockingTask<F> {
    func: Option<F>,
}

impl<F> Unpin for BlockingTask<F> {}

impl<F, T> Future for BlockingTask<F>
where
    F: FnOnce() -> T,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        let func = self
            .func
            .take()
            .expect("a blocking task is polled once: it completes in that poll");
        // Blocking code is not cooperative: no budget.
        Poll::Ready(crate::task::coop::with_unconstrained(func))
    }
}

/// Runs `func` on the blocking pool of `shared`'s runtime.
pub(crate) fn spawn_blocking_on<F, T>(
    shared: &Arc<Shared>,
    func: F,
    name: Option<Box<str>>,
    location: &'static Location<'static>,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let meta = Meta {
        id: Id::next(),
        location,
        name,
        blocking: true,
    };
    let scheduler = BlockingSchedule {
        shared: shared.clone(),
    };
    let (task, join) = new_task(BlockingTask { func: Some(func) }, scheduler, meta);
    task.header().stats.stamp_spawn_precisely();
    shared.blocking.count_spawned();
    if !shared.owned.bind(&task) || shared.blocking.is_shutdown() {
        // The runtime is shut down: the job is cancelled, never run.
        task.cancel();
        return join;
    }
    shared.blocking.submit(shared, Job::Task(task));
    join
}
