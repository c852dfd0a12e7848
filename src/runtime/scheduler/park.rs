//! Parking a worker thread until it is woken: on the I/O driver if it is
//! free, on a condition variable otherwise.
//!
//! A four-state word (empty, parked on the condvar, parked in the driver,
//! notified) in front of a mutex and a condition variable, as std's thread
//! parker with one more state: an unpark that comes before the park is
//! remembered, so the parker never sleeps through it; an unpark of a thread
//! that is not parked costs one atomic swap, no syscall; and an unpark of
//! the thread blocked in the driver's `poll` goes through the driver's
//! `mio::Waker`. Only one thread holds the driver at a time (a try-lock);
//! the others sleep on their condvars.

use crate::io::driver::{Driver, IoHandle};
use crate::loom::{Arc, AtomicUsize, Condvar, Mutex, lock};
use std::sync::atomic::Ordering::SeqCst;

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

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
    io: Arc<IoHandle>,
}

pub(crate) fn pair(io: Arc<IoHandle>) -> (Parker, Unparker) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(EMPTY),
        mutex: Mutex::new(()),
        condvar: Condvar::new(),
        io,
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
    /// since the last park). If the driver is free, blocks in its `poll`
    /// instead, delivering I/O readiness and timers while it waits.
    pub(crate) fn park(&mut self, driver: &Mutex<Driver>) {
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
        // Under loom the driver's `poll` would block for real; the models
        // check the condvar path, which has the same protocol.
        #[cfg(not(loom))]
        if let Ok(mut driver) = driver.try_lock() {
            self.park_driver(&mut driver);
            return;
        }
        #[cfg(loom)]
        let _ = driver;
        self.park_condvar();
    }

    fn park_driver(&mut self, driver: &mut Driver) {
        let inner = &*self.inner;
        match inner
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                inner.state.store(EMPTY, SeqCst);
                return;
            }
            Err(actual) => {
                unreachable!("a parker found state {actual} while parking; only its owner parks")
            }
        }
        driver.park(None);
        match inner.state.swap(EMPTY, SeqCst) {
            // Woken by an unpark, by I/O or a timer, or spuriously: the
            // worker loop looks for work either way.
            NOTIFIED | PARKED_DRIVER => {}
            actual => unreachable!("a parker in the driver found state {actual}"),
        }
    }

    fn park_condvar(&mut self) {
        let inner = &*self.inner;
        let mut guard = lock(&inner.mutex);
        match inner
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
        {
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
            PARKED_CONDVAR => {
                // Taking the lock orders this wake after the parker's wait
                // began (it holds the lock from the CAS to the wait).
                drop(lock(&self.inner.mutex));
                self.inner.condvar.notify_one();
            }
            PARKED_DRIVER => self.inner.io.unpark(),
            actual => unreachable!("an unparker found state {actual}"),
        }
    }
}
