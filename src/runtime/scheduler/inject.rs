//! The global injector: tasks scheduled from outside the workers, and the
//! overflow of full local rings.
//!
//! Why crossbeam-deque's `Injector`: it is a lock-free segmented queue, so
//! remote spawns from many threads do not serialise on one mutex (tokio's
//! injector is a mutex-protected linked list). Under loom, where crossbeam's
//! atomics are invisible, a mutex-protected `VecDeque` stands in with the
//! same interface.

use crate::task::raw::Notified;

/// A multi-producer, multi-consumer FIFO of scheduled tasks.
pub(crate) struct Injector {
    #[cfg(not(loom))]
    queue: crossbeam_deque::Injector<Notified>,
    #[cfg(loom)]
    queue: crate::loom::Mutex<std::collections::VecDeque<Notified>>,
}

#[cfg(not(loom))]
impl Injector {
    pub(crate) fn new() -> Injector {
        Injector { queue: crossbeam_deque::Injector::new() }
    }

    pub(crate) fn push(&self, task: Notified) {
        self.queue.push(task);
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        loop {
            match self.queue.steal() {
                crossbeam_deque::Steal::Success(task) => return Some(task),
                crossbeam_deque::Steal::Empty => return None,
                crossbeam_deque::Steal::Retry => std::hint::spin_loop(),
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(loom)]
impl Injector {
    pub(crate) fn new() -> Injector {
        Injector { queue: crate::loom::Mutex::new(std::collections::VecDeque::new()) }
    }

    pub(crate) fn push(&self, task: Notified) {
        crate::loom::lock(&self.queue).push_back(task);
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        crate::loom::lock(&self.queue).pop_front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        crate::loom::lock(&self.queue).is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        crate::loom::lock(&self.queue).len()
    }
}

impl Injector {
    pub(crate) fn push_batch(&self, tasks: impl Iterator<Item = Notified>) {
        for task in tasks {
            self.push(task);
        }
    }
}
