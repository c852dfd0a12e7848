//! Which runtime this thread is in: the entered `Handle` (set on worker
//! threads, inside `block_on` and by `Handle::enter`) and whether a
//! `block_on` is under way here.

use super::Handle;
use std::cell::{Cell, RefCell};

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// How many guards are live on this thread, to catch out-of-order drops.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static IN_BLOCK_ON: Cell<bool> = const { Cell::new(false) };
}

/// Restores the previously entered runtime when dropped. Not `Send`: it
/// must be dropped on the thread that entered.
pub(crate) struct ContextGuard {
    previous: Option<Handle>,
    depth: usize,
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Makes `handle` the current runtime of this thread until the guard drops.
pub(crate) fn enter(handle: Handle) -> ContextGuard {
    let previous = CURRENT.with(|current| current.replace(Some(handle)));
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

/// Runs `f` with the current runtime's handle, if one is entered.
///
/// `f` runs while the slot is borrowed: it must not run user code that
/// could enter or leave a runtime.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    let mut f = Some(f);
    let result =
        CURRENT.try_with(|current| (f.take().expect("called once"))(current.borrow().as_ref()));
    match result {
        Ok(result) => result,
        // The thread's locals are being destroyed: no runtime is entered.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Marks a `block_on` under way on this thread until dropped.
pub(crate) struct BlockOnGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Starts a `block_on`; panics (with what to do instead) where blocking
/// would stall tasks or deadlock.
#[track_caller]
pub(crate) fn enter_block_on() -> BlockOnGuard {
    if crate::task::park::runs_tasks() {
        panic!(
            "bobbin::block_on was called on a runtime worker thread, which would stall every task \
             queued there; `.await` the future instead, or wrap the blocking section in \
             bobbin::task::block_in_place (inside which block_on is allowed), or move it to \
             bobbin::spawn_blocking and await its JoinHandle"
        );
    }
    if IN_BLOCK_ON.with(|flag| flag.replace(true)) {
        panic!(
            "bobbin::block_on was called inside another block_on on the same thread, which \
             deadlocks as soon as the inner future waits for the outer one; `.await` the future \
             instead, or spawn it with bobbin::spawn and await its JoinHandle"
        );
    }
    BlockOnGuard {
        _not_send: std::marker::PhantomData,
    }
}

impl Drop for BlockOnGuard {
    fn drop(&mut self) {
        let _ = IN_BLOCK_ON.try_with(|flag| flag.set(false));
    }
}
