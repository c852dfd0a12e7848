//! The task's state word: lifecycle flags and the reference count in one
//! atomic `usize`, changed only through the named transitions below.
//!
//! # Bit layout
//!
//! ```text
//!  bit 0  RUNNING        a thread holds the right to touch the future (poll or drop it)
//!  bit 1  COMPLETE       the future is gone; the stage holds the output (or nothing)
//!  bit 2  NOTIFIED       a `Notified` for this task exists (in a queue, or about to be)
//!  bit 3  JOIN_INTEREST  a JoinHandle exists and will read the output
//!  bit 4  JOIN_WAKER     the join waker slot is set and belongs to the task side
//!  bit 5  CANCELLED      the task must be cancelled the next time it is claimed
//!  bits 6.. reference count (REF_ONE = 1 << 6)
//! ```
//!
//! # Who holds a reference
//!
//! The owned-task list (until the task completes), the `JoinHandle`, each
//! `Notified` (queued or running), each `Waker` clone and each
//! `AbortHandle`. A new task starts with three: list, handle and the first
//! `Notified`. Completing drops two at once: the list's and the one the
//! completing thread ran with. So a task whose future is still there always
//! has the list's reference, and its future is dropped only by a poller or
//! a canceller (inside `catch_unwind`, with the task's context), never by
//! whoever happens to drop its last waker. The list keeps a completed task
//! linked, without a reference, until its cell is freed (the free unlinks
//! it); a thread that walks the list takes a reference with
//! `ref_inc_if_alive`.
//! The running poll borrows the `Notified`'s reference: when the poll leaves
//! the task idle that reference is dropped; when the task was woken during
//! the poll a new reference is counted for the new `Notified` and the run's
//! own is dropped after the scheduler call (`yield_now`) returns. A wake by
//! value likewise counts a new reference and drops the waker's after
//! `schedule` returns: every scheduler call runs with a reference of the
//! caller's own, because the cell holds the scheduler the call borrows.
//!
//! # Rules (the invariants the unsafe code in `raw.rs` and `harness.rs` relies on)
//!
//! 1. Only the thread that set RUNNING touches the future; once COMPLETE is
//!    set, the stage belongs to the JoinHandle if JOIN_INTEREST is set and to
//!    the task otherwise.
//! 2. The join waker slot may be written by the JoinHandle while JOIN_WAKER is
//!    clear and COMPLETE is clear; while JOIN_WAKER is set only the task side
//!    reads it (and the handle compares it).
//! 3. The cell is freed exactly once, by whoever drops the count to zero.
//!
//! Every transition is one read-modify-write. Orderings: transitions that
//! hand the future or output from one thread to another (to running, to idle,
//! to complete, wake) are `AcqRel`, so the next owner sees the previous
//! owner's writes; `ref_inc` is `Relaxed` like `Arc::clone` (a new reference
//! is made from one already held, nothing is published); `ref_dec` is
//! `AcqRel` like `Arc`'s drop, so the freeing thread sees every other
//! thread's last use.
//!
//! The models in `task/tests/loom_task.rs` check these transitions against
//! each other (wake racing poll, abort racing completion, join-waker hand-off).

use crate::loom::AtomicUsize;
use std::fmt;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const JOIN_INTEREST: usize = 1 << 3;
const JOIN_WAKER: usize = 1 << 4;
const CANCELLED: usize = 1 << 5;
const LIFECYCLE_MASK: usize = RUNNING | COMPLETE;
const REF_COUNT_SHIFT: usize = 6;
const REF_ONE: usize = 1 << REF_COUNT_SHIFT;

/// Three references (owned list, JoinHandle, first Notified), a JoinHandle,
/// and NOTIFIED because the task is about to be scheduled.
const INITIAL_STATE: usize = (REF_ONE * 3) | JOIN_INTEREST | NOTIFIED;

/// The atomic state word of one task.
pub(crate) struct State {
    word: AtomicUsize,
}

/// A copy of the state word, read at one instant.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What the caller of [`State::transition_to_running`] must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// Poll the future.
    Run,
    /// The task was cancelled: drop the future and complete.
    Cancelled,
    /// The task is running elsewhere or complete; the notification's
    /// reference was dropped.
    Failed,
    /// As `Failed`, and that was the last reference: free the cell.
    Dealloc,
}

/// What the caller of [`State::transition_to_idle`] must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Nothing: the task waits for a wake.
    Idle,
    /// The task was woken while running: a new reference was counted for
    /// a `Notified` that must be scheduled, and the run keeps its own until
    /// the scheduler call returns (see `WakeByVal::Submit`).
    Notified,
    /// The task was cancelled during the poll: it is still RUNNING; drop
    /// the future and complete.
    Cancelled,
}

/// What a wake that consumes a reference must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WakeByVal {
    /// Nothing more to do.
    Nothing,
    /// A new reference was counted for a `Notified`: schedule it, then
    /// drop the waker's. The waker's is kept through the scheduler call
    /// (tokio does the same): once the notification is queued another
    /// thread may run the task to completion and drop every other
    /// reference, and the cell holds the scheduler the call borrows; and a
    /// scheduler that refuses the notification (a closed local queue, a
    /// shut-down pool) drops it inside the call.
    Submit,
    /// The waker's reference was the last one: free the cell.
    Dealloc,
}

/// What a wake that keeps its reference must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WakeByRef {
    /// Nothing more to do.
    Nothing,
    /// A new reference was taken for a `Notified`: schedule it.
    Submit,
}

/// What the JoinHandle must clean up after it dropped its interest.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct JoinHandleDropped {
    /// The task already completed: the handle drops the output.
    pub(crate) drop_output: bool,
    /// The join waker slot belongs to the handle now: it drops the waker.
    pub(crate) drop_waker: bool,
}

impl State {
    pub(crate) fn new() -> State {
        State {
            word: AtomicUsize::new(INITIAL_STATE),
        }
    }

    /// Reads the state. Acquire: pairs with the AcqRel of the transition that
    /// set COMPLETE, so a reader that sees it also sees the output.
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.word.load(Acquire))
    }

    /// Runs `f` on the current value in a CAS loop until it stores (or `f`
    /// declines with `None`); returns `f`'s verdict.
    fn update<R>(&self, mut f: impl FnMut(Snapshot) -> (R, Option<Snapshot>)) -> R {
        let mut current = self.word.load(Acquire);
        loop {
            let (verdict, next) = f(Snapshot(current));
            let Some(next) = next else { return verdict };
            // AcqRel: see the module docs; every transition that goes through
            // here hands data between threads.
            match self
                .word
                .compare_exchange_weak(current, next.0, AcqRel, Acquire)
            {
                Ok(_) => return verdict,
                Err(actual) => current = actual,
            }
        }
    }

    /// A worker popped a `Notified` and wants to poll the task.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|mut s| {
            debug_assert!(s.is_notified(), "a task was run without being notified");
            if !s.is_idle() {
                // Running elsewhere (claimed by abort or shutdown) or done:
                // this notification is stale; drop its reference.
                s.ref_dec();
                let verdict = if s.ref_count() == 0 {
                    ToRunning::Dealloc
                } else {
                    ToRunning::Failed
                };
                return (verdict, Some(s));
            }
            s.0 = (s.0 & !NOTIFIED) | RUNNING;
            let verdict = if s.is_cancelled() {
                ToRunning::Cancelled
            } else {
                ToRunning::Run
            };
            (verdict, Some(s))
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.update(|mut s| {
            debug_assert!(
                s.is_running(),
                "transition_to_idle on a task that is not running"
            );
            if s.is_cancelled() {
                return (ToIdle::Cancelled, None);
            }
            s.0 &= !RUNNING;
            let verdict = if s.is_notified() {
                // For the notification; the run keeps its own through the
                // scheduler call (as `WakeByVal::Submit`).
                s.ref_inc();
                ToIdle::Notified
            } else {
                s.ref_dec();
                debug_assert!(
                    s.ref_count() > 0,
                    "an incomplete task keeps the owned list's reference"
                );
                ToIdle::Idle
            };
            (verdict, Some(s))
        })
    }

    /// The future finished (or was dropped): RUNNING off, COMPLETE on.
    /// Returns the state after the change.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        // AcqRel: Release publishes the output to the JoinHandle's Acquire
        // load; Acquire sees a concurrent JOIN_INTEREST/JOIN_WAKER change.
        let prev = Snapshot(self.word.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(
            prev.is_running() && !prev.is_complete(),
            "completing a task twice"
        );
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Drops `count` references after completion; true if the cell must be
    /// freed.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.word.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// A wake that consumes the waker's reference.
    pub(crate) fn transition_to_notified_by_val(&self) -> WakeByVal {
        self.update(|mut s| {
            if s.is_running() {
                // The running thread will reschedule it after the poll.
                s.0 |= NOTIFIED;
                s.ref_dec();
                debug_assert!(s.ref_count() > 0, "a running task holds a reference");
                (WakeByVal::Nothing, Some(s))
            } else if s.is_complete() || s.is_notified() {
                s.ref_dec();
                let verdict = if s.ref_count() == 0 {
                    WakeByVal::Dealloc
                } else {
                    WakeByVal::Nothing
                };
                (verdict, Some(s))
            } else {
                s.0 |= NOTIFIED;
                s.ref_inc();
                (WakeByVal::Submit, Some(s))
            }
        })
    }

    /// A wake that keeps the waker's reference.
    pub(crate) fn transition_to_notified_by_ref(&self) -> WakeByRef {
        self.update(|mut s| {
            if s.is_complete() || s.is_notified() {
                (WakeByRef::Nothing, None)
            } else if s.is_running() {
                s.0 |= NOTIFIED;
                (WakeByRef::Nothing, Some(s))
            } else {
                s.0 |= NOTIFIED;
                s.ref_inc();
                (WakeByRef::Submit, Some(s))
            }
        })
    }

    /// A cancel from a thread that may not drop the future (a local task,
    /// off its own thread): set CANCELLED and, if the task is idle and not
    /// queued, notify it (true: the caller must hand the new reference to
    /// the scheduler), so its own thread cancels it when it runs it.
    pub(crate) fn transition_to_remote_cancel(&self) -> bool {
        self.update(|mut s| {
            if s.is_complete() || s.is_cancelled() {
                return (false, None);
            }
            s.0 |= CANCELLED;
            if s.is_running() || s.is_notified() {
                return (false, Some(s));
            }
            s.0 |= NOTIFIED;
            s.ref_inc();
            (true, Some(s))
        })
    }

    /// Abort or runtime shutdown: set CANCELLED, and claim the task (set
    /// RUNNING) if nobody runs it. True if the caller now owns the future
    /// and must cancel it; otherwise the running thread will see CANCELLED.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|mut s| {
            if s.is_complete() || (s.is_cancelled() && s.is_running()) {
                return (false, None);
            }
            let claimed = s.is_idle();
            s.0 |= CANCELLED;
            if claimed {
                s.0 |= RUNNING;
            }
            (claimed, Some(s))
        })
    }

    /// True if the task has not changed since its spawn (a cheap test
    /// before `drop_join_handle_fast`'s CAS).
    pub(crate) fn is_initial(&self) -> bool {
        // Relaxed: only a hint for choosing a path; the CAS decides.
        self.word.load(Relaxed) == INITIAL_STATE
    }

    /// The JoinHandle is dropped before the task started: the common case of
    /// a detached task. Fails (returns false) in any other state.
    pub(crate) fn drop_join_handle_fast(&self) -> bool {
        let next = (INITIAL_STATE - REF_ONE) & !JOIN_INTEREST;
        // Acquire on failure is not needed: the slow path reloads.
        self.word
            .compare_exchange(INITIAL_STATE, next, AcqRel, Relaxed)
            .is_ok()
    }

    /// The JoinHandle of a completed task, which has cleaned up the output
    /// and the waker slot, gives up its interest and its reference in one
    /// step. True if that was the last reference.
    pub(crate) fn drop_join_interest_and_reference(&self) -> bool {
        // AcqRel: as `ref_dec`. Subtracting JOIN_INTEREST clears the bit,
        // which is set (asserted below), without borrowing from others.
        let prev = Snapshot(self.word.fetch_sub(REF_ONE | JOIN_INTEREST, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_interested() && prev.ref_count() >= 1);
        prev.ref_count() == 1
    }

    /// The JoinHandle is dropped: clear JOIN_INTEREST (and JOIN_WAKER unless
    /// the task completed, which hands the waker slot back to the handle).
    pub(crate) fn transition_to_join_handle_dropped(&self) -> JoinHandleDropped {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested(), "JoinHandle dropped twice");
            s.0 &= !JOIN_INTEREST;
            let drop_output = s.is_complete();
            if !drop_output {
                s.0 &= !JOIN_WAKER;
            }
            let drop_waker = !s.is_join_waker_set();
            (
                JoinHandleDropped {
                    drop_output,
                    drop_waker,
                },
                Some(s),
            )
        })
    }

    /// The JoinHandle stored a waker in the slot: hand the slot to the task
    /// side. Fails (with the state) if the task completed meanwhile.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (Err(s), None);
            }
            s.0 |= JOIN_WAKER;
            (Ok(s), Some(s))
        })
    }

    /// The JoinHandle wants to replace the stored waker: take the slot back.
    /// Fails (with the state) if the task completed meanwhile.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                return (Err(s), None);
            }
            s.0 &= !JOIN_WAKER;
            (Ok(s), Some(s))
        })
    }

    /// The task woke the join waker after completing: give up the slot.
    /// Returns the state after the change.
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.word.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    /// Takes one more reference from one already held.
    pub(crate) fn ref_inc(&self) {
        // Relaxed: as `Arc::clone`, the caller already holds a reference, so
        // the cell is alive and nothing is published by counting.
        let prev = self.word.fetch_add(REF_ONE, Relaxed);
        if prev > isize::MAX as usize {
            // Same policy as `Arc`: a count this large means references
            // are leaked in a loop; continuing would risk a use after free.
            std::process::abort();
        }
    }

    /// Takes a reference unless the count already reached zero (the cell is
    /// being freed): what a walker of the owned list uses, as
    /// `Weak::upgrade`.
    pub(crate) fn ref_inc_if_alive(&self) -> bool {
        self.update(|mut s| {
            if s.ref_count() == 0 {
                return (false, None);
            }
            s.ref_inc();
            (true, Some(s))
        })
    }

    /// Drops one reference; true if it was the last and the cell must be
    /// freed.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.word.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1, "task reference count underflow");
        prev.ref_count() == 1
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    /// Neither running nor complete: waiting for a wake (or in a queue).
    pub(crate) fn is_idle(self) -> bool {
        self.0 & LIFECYCLE_MASK == 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_COUNT_SHIFT
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0, "task reference count underflow");
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn new_task_is_notified_with_three_references() {
        let s = State::new().load();
        assert!(s.is_notified() && s.is_join_interested() && s.is_idle());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn wake_during_poll_reschedules_after_it() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Run);
        assert_eq!(state.transition_to_notified_by_ref(), WakeByRef::Nothing);
        assert_eq!(state.transition_to_idle(), ToIdle::Notified);
        assert_eq!(
            state.load().ref_count(),
            4,
            "one more for the Notified: the run keeps its own through the scheduler call"
        );
        assert!(!state.ref_dec(), "the run drops its own after the call");
        assert_eq!(state.load().ref_count(), 3);
    }

    #[test]
    fn a_wake_by_value_keeps_the_waker_s_reference_through_the_schedule() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Run);
        assert_eq!(state.transition_to_idle(), ToIdle::Idle);
        state.ref_inc(); // a waker
        assert_eq!(state.load().ref_count(), 3, "list, handle, waker");
        assert_eq!(state.transition_to_notified_by_val(), WakeByVal::Submit);
        assert_eq!(
            state.load().ref_count(),
            4,
            "the Notified's, and the waker's until the scheduler call returns"
        );
        assert!(!state.ref_dec());
        assert_eq!(state.load().ref_count(), 3);
    }

    #[test]
    fn idle_wake_takes_a_reference() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Run);
        assert_eq!(state.transition_to_idle(), ToIdle::Idle);
        assert_eq!(state.load().ref_count(), 2, "list and handle");
        assert_eq!(state.transition_to_notified_by_ref(), WakeByRef::Submit);
        assert_eq!(
            state.transition_to_notified_by_ref(),
            WakeByRef::Nothing,
            "already notified"
        );
        assert_eq!(state.load().ref_count(), 3);
    }

    #[test]
    fn shutdown_claims_an_idle_task_but_not_a_running_one() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Run);
        assert!(!state.transition_to_shutdown(), "running elsewhere");
        assert_eq!(state.transition_to_idle(), ToIdle::Cancelled);
        let idle = State::new();
        assert!(idle.transition_to_shutdown());
        assert!(idle.load().is_running() && idle.load().is_cancelled());
    }

    #[test]
    fn a_remote_cancel_notifies_an_idle_task_once_and_leaves_a_queued_or_running_one() {
        // Idle (after a first poll): marked and notified, with a reference
        // for the new notification; a second cancel changes nothing.
        let idle = State::new();
        assert_eq!(idle.transition_to_running(), ToRunning::Run);
        assert_eq!(idle.transition_to_idle(), ToIdle::Idle);
        let before = idle.load().ref_count();
        assert!(idle.transition_to_remote_cancel());
        let s = idle.load();
        assert!(s.is_cancelled() && s.is_notified() && !s.is_running());
        assert_eq!(s.ref_count(), before + 1);
        assert!(!idle.transition_to_remote_cancel(), "already cancelled");
        // Its own thread then runs it and cancels it there.
        assert_eq!(idle.transition_to_running(), ToRunning::Cancelled);
        // Running: marked only; the poll's end sees it.
        let running = State::new();
        assert_eq!(running.transition_to_running(), ToRunning::Run);
        assert!(!running.transition_to_remote_cancel());
        assert_eq!(running.transition_to_idle(), ToIdle::Cancelled);
        // Queued (the first notification): marked only.
        let queued = State::new();
        assert!(!queued.transition_to_remote_cancel());
        assert_eq!(queued.transition_to_running(), ToRunning::Cancelled);
    }

    #[test]
    fn stale_notification_on_completed_task_drops_its_reference() {
        let state = State::new();
        assert!(state.transition_to_shutdown());
        let s = state.transition_to_complete();
        assert!(s.is_complete() && s.is_notified());
        assert_eq!(state.transition_to_running(), ToRunning::Failed);
        assert_eq!(state.load().ref_count(), 2);
    }

    #[test]
    fn upgrade_fails_once_the_count_reached_zero() {
        let state = State::new();
        assert!(state.ref_inc_if_alive());
        assert!(!state.ref_dec() && !state.ref_dec() && !state.ref_dec());
        assert!(state.ref_dec(), "the fourth reference was the last");
        assert!(!state.ref_inc_if_alive());
    }

    #[test]
    fn join_handle_drop_after_completion_owns_output() {
        let state = State::new();
        assert!(state.drop_join_handle_fast());
        assert_eq!(state.load().ref_count(), 2);
        let state = State::new();
        assert_eq!(state.transition_to_running(), ToRunning::Run);
        let _ = state.transition_to_complete();
        let dropped = state.transition_to_join_handle_dropped();
        assert_eq!(
            dropped,
            JoinHandleDropped {
                drop_output: true,
                drop_waker: true
            }
        );
    }
}
