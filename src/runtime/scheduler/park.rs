//! Parking a worker thread until it is woken.
//!
//! A three-state word (empty, parked, notified) in front of a mutex and a
//! condition variable, as std's thread parker: an unpark that comes before
//! the park is remembered, so the parker never sleeps through it, and an
//! unpark of a thread that is not parked costs one atomic swap, no syscall.

use crate::loom::{Arc, AtomicUsize, Condvar, Mutex, lock};
use std::sync::atomic::Ordering::SeqCst;

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// The sleeping side; owned by one worker.
pub(crate) struct Parker {
    inner: Arc<Inner>,
}

/// The waking side; shared.
#[derive(Clone)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

struct Inner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

pub(crate) fn pair() -> (Parker, Unparker) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(EMPTY),
        mutex: Mutex::new(()),
        condvar: Condvar::new(),
    });
    (
        Parker {
            inner: inner.clone(),
        },
        Unparker { inner },
    )
}

impl Parker {
    /// Blocks until `unpark` is called (or returns at once if it was called
    /// since the last park).
    pub(crate) fn park(&mut self) {
        let inner = &*self.inner;
        // SeqCst on every access of `state`: the word is the hand-off between
        // an unparker's queue push and our sleep; keep one total order.
        if inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        let mut guard = lock(&inner.mutex);
        match inner.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                inner.state.store(EMPTY, SeqCst);
                return;
            }
            Err(actual) => {
                unreachable!("a parker found state {actual} while parking; only its owner parks")
            }
        }
        loop {
            guard = match inner.condvar.wait(guard) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if inner
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // A spurious wake-up: sleep again.
        }
    }
}

impl Unparker {
    /// Wakes the parker, or makes its next park return at once.
    pub(crate) fn unpark(&self) {
        match self.inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders this wake after the parker's wait
                // began (it holds the lock from the CAS to the wait).
                drop(lock(&self.inner.mutex));
                self.inner.condvar.notify_one();
            }
            actual => unreachable!("an unparker found state {actual}"),
        }
    }
}
