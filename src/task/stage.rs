//! What a task cell holds besides its header: the future, then its output.
//!
//! A union of the two, with its tag (running, finished, consumed) in a
//! spare byte of the header's stats block rather than beside the union.
//! rustc gives an `async` block's state machine no niche for an enum's tag,
//! so `enum Stage { Running(F), Finished(..), Consumed }` took a word more
//! than `F`: for the memory benchmark's task, a 128-byte cell in glibc's
//! 144-byte block where this one takes 120 and a 128-byte block.
//!
//! Every function here is called by the one side that has the right to the
//! stage (Cell invariant 2: the thread holding RUNNING, or after COMPLETE
//! the side the state rules give it to); the tag is read and written only
//! by that side too, and travels with the right through the state word's
//! acquire and release. It is a relaxed atomic only so that it needs no
//! `unsafe` of its own.

use super::Failure;
use super::raw::Cell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::task::{Context, Poll};

/// The future or its output; which one is in [`StageTag`].
///
/// # Invariants
/// The field that is initialised is the one the cell's tag names: `running`
/// for `RUNNING`, `finished` for `FINISHED`, none for `CONSUMED`.
pub(crate) union Stage<F: Future> {
    running: ManuallyDrop<F>,
    finished: ManuallyDrop<Result<F::Output, Failure>>,
    /// Never read: it makes every content of the union, the empty stage's
    /// stale bytes too, a valid value of it.
    #[allow(dead_code, reason = "only there to make any content valid")]
    consumed: (),
}

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const CONSUMED: u8 = 2;

/// Which field of the cell's [`Stage`] holds a value. One byte, kept in the
/// header's stats block (`Stats::stage`).
pub(crate) struct StageTag(AtomicU8);

impl StageTag {
    /// A new task's: its future is in the stage.
    pub(crate) fn running() -> StageTag {
        StageTag(AtomicU8::new(RUNNING))
    }

    fn get(&self) -> u8 {
        self.0.load(Relaxed)
    }

    fn set(&self, tag: u8) {
        self.0.store(tag, Relaxed);
    }
}

impl<F: Future> Stage<F> {
    /// A stage holding `future` (its tag: [`StageTag::running`]).
    pub(crate) fn new(future: F) -> Stage<F> {
        Stage {
            running: ManuallyDrop::new(future),
        }
    }
}

impl<F: Future, S> Cell<F, S> {
    fn tag(&self) -> &StageTag {
        &self.header.stats.stage
    }

    /// Polls the future.
    ///
    /// # Safety
    /// The caller holds RUNNING and COMPLETE is clear, so the stage is its
    /// own and holds the future (Cell invariant 2).
    pub(crate) unsafe fn poll_stage(&self, cx: &mut Context<'_>) -> Poll<F::Output> {
        assert_eq!(
            self.tag().get(),
            RUNNING,
            "a task in the RUNNING state has no future"
        );
        self.stage.with_mut(|ptr| {
            // SAFETY: the stage is the caller's (contract) and its tag says
            // `running` is initialised (Stage invariant). The future lives
            // in the heap cell and is dropped in place (`drop_stage`),
            // never moved.
            let future = unsafe { Pin::new_unchecked(&mut *(*ptr).running) };
            future.poll(cx)
        })
    }

    /// Drops the future or the output in place, leaving the stage empty.
    /// The tag says empty before the drop runs, so a `Drop` that panics
    /// leaves nothing to drop twice.
    ///
    /// # Safety
    /// The caller has the right to the stage (Cell invariant 2).
    pub(crate) unsafe fn drop_stage(&self) {
        let tag = self.tag().get();
        self.tag().set(CONSUMED);
        self.stage.with_mut(|ptr| match tag {
            // SAFETY: the stage is the caller's (contract); the tag said
            // which field was initialised, and now says none is, so this
            // value is dropped once.
            RUNNING => unsafe { ManuallyDrop::drop(&mut (*ptr).running) },
            // SAFETY: as above.
            FINISHED => unsafe { ManuallyDrop::drop(&mut (*ptr).finished) },
            _ => {}
        });
    }

    /// Stores the output in the emptied stage.
    ///
    /// # Safety
    /// The caller has the right to the stage (Cell invariant 2).
    pub(crate) unsafe fn store_output(&self, output: Result<F::Output, Failure>) {
        assert_eq!(
            self.tag().get(),
            CONSUMED,
            "a task's output is stored once its future is dropped"
        );
        self.stage.with_mut(|ptr| {
            // SAFETY: the stage is the caller's (contract) and empty (the
            // tag), so writing a field overwrites nothing that needs a drop.
            unsafe { (*ptr).finished = ManuallyDrop::new(output) };
        });
        self.tag().set(FINISHED);
    }

    /// Moves the output out, leaving the stage empty; `None` if it holds
    /// none (taken before, or the future is still there).
    ///
    /// # Safety
    /// The caller has the right to the stage (Cell invariant 2).
    pub(crate) unsafe fn take_output(&self) -> Option<Result<F::Output, Failure>> {
        if self.tag().get() != FINISHED {
            return None;
        }
        self.tag().set(CONSUMED);
        self.stage.with_mut(|ptr| {
            // SAFETY: the stage is the caller's (contract), `finished` was
            // initialised (the tag), and the tag now says empty, so it is
            // read once. The output is not pinned, so it may move.
            Some(unsafe { ManuallyDrop::take(&mut (*ptr).finished) })
        })
    }

    /// Takes a stored panic's payload out, leaving an empty payload in the
    /// output (a zero-sized box: no allocation), so the output can still be
    /// dropped in place rather than copied out.
    ///
    /// # Safety
    /// The caller has the right to the stage (Cell invariant 2).
    pub(crate) unsafe fn take_panic_payload(&self) -> Option<Box<dyn std::any::Any + Send>> {
        if self.tag().get() != FINISHED {
            return None;
        }
        self.stage.with_mut(|ptr| {
            // SAFETY: the stage is the caller's (contract) and `finished`
            // is initialised (the tag); the payload is swapped, not moved
            // out, so the output stays whole.
            match unsafe { &mut *(*ptr).finished } {
                Err(Failure::Panic(payload)) => {
                    Some(std::mem::replace(&mut payload.0, Box::new(())))
                }
                _ => None,
            }
        })
    }
}

impl<F: Future, S> Drop for Cell<F, S> {
    fn drop(&mut self) {
        // SAFETY: the cell is being freed, so nothing else can reach it;
        // the stage is this drop's.
        unsafe { self.drop_stage() };
    }
}
