//! The std-or-loom shim: every atomic, cell, `Arc`, `Mutex`, `Condvar` and
//! thread the runtime's concurrent core uses is imported from here.
//!
//! Why: the task state machine, the run queues and the idle/park protocol are
//! model-checked with [loom](https://docs.rs/loom), which explores every
//! interleaving of a small program. loom can only see operations made through
//! its own types, so the core never names `std::sync` directly. Under
//! `cfg(loom)` this module re-exports loom's types; otherwise std's, at zero
//! cost.
//!
//! `UnsafeCell` follows loom's closure API (`with`, `with_mut`) in both
//! builds, so loom can check that no read overlaps a write.
//!
//! Run the models with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`

#[cfg(not(loom))]
pub(crate) use std_impl::*;

#[cfg(loom)]
pub(crate) use loom_impl::*;

#[cfg(not(loom))]
mod std_impl {
    pub(crate) use std::sync::atomic::{
        AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, fence,
    };
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

    /// `std::cell::UnsafeCell` with loom's closure-based access API.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        /// The value, consuming the cell.
        pub(crate) fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Gives `f` a shared pointer to the value; the caller's unsafe code
        /// must ensure no write overlaps.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Gives `f` a mutable pointer to the value; the caller's unsafe code
        /// must ensure access is exclusive.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(loom)]
mod loom_impl {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{
        AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, fence,
    };
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
}

/// Locks a mutex, ignoring poisoning.
///
/// The runtime's mutexes guard plain bookkeeping (sleeper lists, task lists)
/// that is consistent between statements; a panic elsewhere while one is
/// held cannot leave it half-updated, so poisoning carries no information.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// What loom models share (`cfg(all(test, loom))` only).
#[cfg(all(test, loom))]
pub(crate) mod model {
    use super::{Condvar, Mutex, lock};
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Wake, Waker};

    /// Runs `future` to completion on this loom thread, sleeping on a loom
    /// condition variable between polls; a wake-up that never comes leaves
    /// every thread asleep, which loom reports as a deadlock. (loom's own
    /// `future::block_on` needs a loom feature the crate does not enable.)
    pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
        let unpark = std::sync::Arc::new(Unpark {
            woken: Mutex::new(false),
            condvar: Condvar::new(),
        });
        let waker = Waker::from(unpark.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            let mut woken = lock(&unpark.woken);
            while !*woken {
                woken = match unpark.condvar.wait(woken) {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
            }
            *woken = false;
        }
    }

    /// A waker that sets a flag and signals the condition variable.
    struct Unpark {
        woken: Mutex<bool>,
        condvar: Condvar,
    }

    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            *lock(&self.woken) = true;
            self.condvar.notify_one();
        }
    }
}
