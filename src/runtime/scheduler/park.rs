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

use crate::driver::{Driver, DriverHandle};
use crate::loom::{Arc, AtomicUsize, Condvar, Mutex, fence, lock};
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
    driver: Arc<DriverHandle>,
}

pub(crate) fn pair(driver: Arc<DriverHandle>) -> (Parker, Unparker) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(EMPTY),
        mutex: Mutex::new(()),
        condvar: Condvar::new(),
        driver,
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
    /// instead, delivering I/O readiness and timers while it waits. If
    /// another thread holds it, counts itself as wanting the driver (see
    /// `DriverSlot`), so that thread hands it over when it lets go.
    /// Returns true if it waited in the driver.
    #[cfg(loom)]
    pub(crate) fn park(&mut self, slot: &DriverSlot) -> bool {
        self.park_with(slot, |driver, _| {
            driver.park(None);
        })
    }

    /// As `park`, with `block` doing the blocking in the driver (the
    /// worker's: a watched runtime's quiet check, `quiet.rs`). `block` is
    /// given a check of whether this parker was unparked meanwhile: a
    /// `block` that polls the driver more than once may have consumed the
    /// unpark's wake-up, and must then return instead of blocking.
    pub(crate) fn park_with(
        &mut self,
        slot: &DriverSlot,
        block: impl FnOnce(&mut Driver, &dyn Fn() -> bool),
    ) -> bool {
        let inner = &*self.inner;
        // SeqCst on every access of `state`: the word is the hand-off between
        // an unparker's queue push and our sleep; keep one total order.
        if inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return false;
        }
        // Under loom the driver's `poll` would block for real; the models
        // check the condvar path, which has the same protocol.
        #[cfg(not(loom))]
        let mut block = Some(block);
        #[cfg(not(loom))]
        if let Some(mut driver) = try_lock_driver(&slot.driver) {
            self.park_driver(&mut driver, block.take().expect("once"));
            return true;
        }
        #[cfg(not(loom))]
        {
            // Count ourselves as wanting the driver, fence, then look again:
            // with the fence in `DriverSlot::is_wanted`, either we see the
            // lock free or the holder sees the count and wakes a sleeper.
            slot.wanting.fetch_add(1, SeqCst);
            fence(SeqCst);
            if let Some(mut driver) = try_lock_driver(&slot.driver) {
                slot.wanting.fetch_sub(1, SeqCst);
                self.park_driver(&mut driver, block.take().expect("once"));
                return true;
            }
            self.park_condvar();
            slot.wanting.fetch_sub(1, SeqCst);
            false
        }
        #[cfg(loom)]
        {
            let _ = (slot, block);
            self.park_condvar();
            false
        }
    }

    #[cfg_attr(loom, allow(dead_code))]
    fn park_driver(
        &mut self,
        driver: &mut Driver,
        block: impl FnOnce(&mut Driver, &dyn Fn() -> bool),
    ) {
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
        block(driver, &|| inner.state.load(SeqCst) == NOTIFIED);
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

/// The I/O driver, and how many parked threads wait on their condvar
/// because they found it taken.
///
/// Why the count: a worker that finds the driver taken sleeps on its
/// condvar. If the holder then leaves the driver to run a task that
/// computes for a long time, nobody would poll for I/O while that worker
/// sleeps. So a worker that finds the driver taken counts itself as
/// wanting it until it wakes, and a holder that lets go to run tasks wakes
/// a sleeper while the count is not zero (`is_wanted`). A count, not a
/// flag: a flag consumed by a hand-off that found nobody to wake (a
/// searcher was about, and took the driver) left the sleeper unwanted, and
/// the next hand-off woke nobody (seen under load by
/// `executor-tests/tests/net_stress.rs`). The cost is a wake only when one
/// worker leaves the driver with work while another sleeps wanting it,
/// never on a busy runtime.
pub(crate) struct DriverSlot {
    pub(crate) driver: Mutex<Driver>,
    #[cfg_attr(loom, allow(dead_code))]
    wanting: AtomicUsize,
}

impl DriverSlot {
    pub(crate) fn new(driver: Driver) -> DriverSlot {
        DriverSlot {
            driver: Mutex::new(driver),
            wanting: AtomicUsize::new(0),
        }
    }

    /// Called by a thread that held the driver and now goes to run tasks:
    /// true if a parked thread wants the driver, and the caller must wake
    /// one so that someone polls.
    pub(crate) fn is_wanted(&self) -> bool {
        // SeqCst fence: pairs with the one in `Parker::park` (the lock was
        // released just before this call).
        fence(SeqCst);
        self.wanting.load(SeqCst) > 0
    }
}

/// Takes the driver if nobody holds it. A poisoned lock (a panic while a
/// thread held it) is taken anyway: the driver's state is consistent between
/// polls, and refusing it would leave the runtime without I/O for good.
pub(crate) fn try_lock_driver(
    driver: &Mutex<Driver>,
) -> Option<crate::loom::MutexGuard<'_, Driver>> {
    match driver.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
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
            PARKED_DRIVER => self.inner.driver.unpark(),
            actual => unreachable!("an unparker found state {actual}"),
        }
    }
}
