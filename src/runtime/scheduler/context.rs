//! Which runtime this thread is in: set for their whole life on worker
//! and blocking-pool threads, and for a while by `block_on` and
//! `Handle::enter`. `Handle::current` (in the runtime's façade) falls back
//! to the global runtime where none is entered; here there is no fallback.

use super::Shared;
use crate::loom::Arc;
use std::cell::{Cell, RefCell};

thread_local! {
    static CURRENT: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
    /// How many guards are live on this thread, to catch out-of-order drops.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Restores the previously entered runtime when dropped. Not `Send`: it
/// must be dropped on the thread that entered.
pub(crate) struct ContextGuard {
    previous: Option<Arc<Shared>>,
    depth: usize,
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Makes `shared`'s runtime the current one of this thread until the
/// guard drops.
#[inline]
pub(crate) fn enter(shared: Arc<Shared>) -> ContextGuard {
    let previous = CURRENT.with(|current| current.replace(Some(shared)));
    let depth = DEPTH.with(|depth| {
        depth.set(depth.get() + 1);
        depth.get()
    });
    ContextGuard {
        previous,
        depth,
        _not_send: std::marker::PhantomData,
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // `try_with` fails only while the thread exits and the slots are gone.
        let depth = DEPTH
            .try_with(|depth| depth.replace(self.depth - 1))
            .unwrap_or(self.depth);
        let _ = CURRENT.try_with(|current| current.replace(previous));
        if depth != self.depth && !std::thread::panicking() {
            panic!(
                "runtime EnterGuards were dropped out of order, which would leave the wrong \
                 runtime current on this thread; drop them in the reverse order of the \
                 enter() calls that made them (or let them go out of scope)"
            );
        }
    }
}

/// Runs `f` with the current runtime, if one is entered.
///
/// `f` runs while the slot is borrowed: it must not run user code that
/// could enter or leave a runtime.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Arc<Shared>>) -> R) -> R {
    let mut f = Some(f);
    let result =
        CURRENT.try_with(|current| (f.take().expect("called once"))(current.borrow().as_ref()));
    match result {
        Ok(result) => result,
        // The thread's locals are being destroyed: no runtime is entered.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}
