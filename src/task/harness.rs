//! The typed half of a task: polling, completing, cancelling and joining a
//! `Cell<F, S>`, reached through the vtable built here.
//!
//! The poll path reads as the state machine: claim the task
//! (`transition_to_running`), poll the future inside `catch_unwind`, then
//! either complete it or release it (`transition_to_idle`), and act on the
//! verdict. All bit arithmetic lives in `state.rs`.
//!
//! Panics: a panic while polling becomes the task's output
//! (`JoinError::is_panic`); a panic while dropping the future or the output
//! is caught too, so a worker never unwinds out of a task.

use super::error::JoinError;
use super::id::CurrentTask;
use super::raw::{Cell, Header, Notified, Ran, RawTask, Vtable};
use super::state::{ToIdle, ToRunning};
use super::stats::Ending;
use super::{Failure, Schedule, coop, waker};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

/// The vtable for tasks of future `F` on scheduler `S`.
pub(crate) fn vtable<F, S>() -> &'static Vtable
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle_slow: drop_join_handle_slow::<F, S>,
        shutdown: shutdown::<F, S>,
        local_owner: local_owner::<F, S>,
    }
}

/// # Safety (all vtable entries below)
/// `ptr` must point to a live `Cell<F, S>` (the vtable was built for it) and
/// the caller must hand over the reference the entry's doc in `raw.rs` says.
unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>) -> Ran {
    // SAFETY: the vtable contract above.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll()
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable contract above.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    // SAFETY: the caller counted a reference (and set NOTIFIED) for this
    // schedule (`RawTask::schedule`); it passes to the Notified.
    let task = unsafe { Notified::from_raw(harness.raw()) };
    harness.scheduler().schedule(task);
}

unsafe fn dealloc<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable contract above: the caller saw the count reach
    // zero, so the cell is allocated and its alone until freed below.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    // Unlink first: after this no list walker can find the cell.
    harness.scheduler().release(harness.header());
    // SAFETY: the cell was made by `Box::new` in `RawTask::new` with these
    // types (Cell invariant 1), the caller saw the last reference go (state
    // rule 3) and the cell is unlinked, so nothing else can reach it.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) });
}

unsafe fn try_read_output<F: Future, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    // SAFETY: the vtable contract above.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.can_read_output(waker) {
        let output = harness.take_output();
        let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
        // SAFETY: the JoinHandle<F::Output> passed a pointer to its own
        // `Poll<Result<F::Output, JoinError>>` (RawTask::try_read_output).
        unsafe { *dst = Poll::Ready(output) };
    }
}

unsafe fn drop_join_handle_slow<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable contract above.
    unsafe { Harness::<F, S>::from_raw(ptr) }.drop_join_handle_slow();
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable contract above.
    unsafe { Harness::<F, S>::from_raw(ptr) }.shutdown();
}

/// # Safety
/// `header` must begin a live `Cell<F, S>`; the result borrows its
/// scheduler, which lives as long as the cell.
unsafe fn local_owner<F: Future, S: Schedule>(header: &Header) -> Option<&super::LocalOwner> {
    let cell = NonNull::from(header).cast::<Cell<F, S>>();
    // SAFETY: the header is the first field of its `Cell<F, S>` (`raw.rs`
    // invariant 1), and the scheduler is never written after the spawn.
    unsafe { &(*cell.as_ptr()).scheduler }.local_owner()
}

/// What the worker does after a poll.
enum AfterPoll {
    Idle,
    Notified,
    /// The future is gone; `finished`: it returned or panicked in this poll
    /// (not cancelled).
    Complete {
        finished: bool,
    },
    Dealloc,
}

/// A typed view of one task cell.
struct Harness<F: Future, S> {
    cell: NonNull<Cell<F, S>>,
}

impl<F: Future, S: Schedule> Harness<F, S> {
    /// A typed view of the cell `ptr` points to.
    ///
    /// # Safety
    /// `ptr` must point to an allocated `Cell<F, S>` (one whose vtable was
    /// built for `F` and `S`) that stays allocated while the view is used:
    /// kept alive by a reference the caller holds, or (for `dealloc`)
    /// owned by the caller alone since the count reached zero.
    unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: whoever made this harness holds a reference to the live
        // cell (vtable safety contract), and Cell invariant 1 makes the cast
        // valid.
        unsafe { self.cell.as_ref() }
    }

    fn header(&self) -> &Header {
        &self.cell().header
    }

    fn raw(&self) -> RawTask {
        // SAFETY: the harness's maker holds a reference to the live cell
        // (`from_raw`'s contract), which outlives this RawTask's use.
        unsafe { RawTask::from_raw(self.cell.cast()) }
    }

    fn scheduler(&self) -> &S {
        &self.cell().scheduler
    }

    /// Drops the future or output in place (the future is pinned there).
    ///
    /// The caller must have the right to the stage (Cell invariant 2).
    fn drop_stage(&self) {
        // SAFETY: the caller holds RUNNING or the post-COMPLETE right to the
        // stage (Cell invariant 2).
        unsafe { self.cell().drop_stage() }
    }

    /// Stores the output in the emptied stage.
    ///
    /// The caller must have the right to the stage (Cell invariant 2).
    fn store_output(&self, output: Result<F::Output, Failure>) {
        // SAFETY: as in `drop_stage`.
        unsafe { self.cell().store_output(output) }
    }

    fn poll(self) -> Ran {
        let (after, polled) = self.poll_inner();
        match after {
            AfterPoll::Idle => {}
            AfterPoll::Notified => {
                // SAFETY: `ToIdle::Notified` counted a new reference for a
                // Notified (a wake during the poll); it passes to this one.
                let task = unsafe { Notified::from_raw(self.raw()) };
                self.scheduler().yield_now(task);
                // The run's reference, kept through the call (the cell
                // holds the scheduler it borrows); nothing here touches the
                // cell after this.
                self.raw().drop_reference();
            }
            AfterPoll::Complete { finished } => {
                self.complete();
                if finished {
                    return Ran::Completed;
                }
            }
            AfterPoll::Dealloc => self.raw().dealloc(),
        }
        if polled { Ran::Polled } else { Ran::Skipped }
    }

    /// What to do next, and whether the future was polled.
    fn poll_inner(&self) -> (AfterPoll, bool) {
        match self.header().state.transition_to_running() {
            ToRunning::Run => self.header().stats.poll_begins(),
            ToRunning::Cancelled => {
                self.cancel_future();
                return (AfterPoll::Complete { finished: false }, false);
            }
            ToRunning::Failed => return (AfterPoll::Idle, false),
            ToRunning::Dealloc => return (AfterPoll::Dealloc, false),
        }
        let waker = waker::waker_ref(self.header());
        let mut cx = Context::from_waker(&waker);
        if self.poll_future(&mut cx) {
            return (AfterPoll::Complete { finished: true }, true);
        }
        let after = match self.header().state.transition_to_idle() {
            ToIdle::Idle => AfterPoll::Idle,
            ToIdle::Notified => AfterPoll::Notified,
            ToIdle::Cancelled => {
                self.cancel_future();
                AfterPoll::Complete { finished: false }
            }
        };
        (after, true)
    }

    /// Polls the future once, with a fresh cooperative budget (`coop.rs`);
    /// true if it finished (its output, or its panic, is stored).
    fn poll_future(&self, cx: &mut Context<'_>) -> bool {
        let _current = CurrentTask::enter(self.header().id);
        let cell = self.cell();
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: this thread set RUNNING and COMPLETE is clear (Cell
            // invariant 2), so the stage is ours and holds the future.
            coop::budget(|| unsafe { cell.poll_stage(cx) })
        }));
        let output = match polled {
            Ok(Poll::Pending) => return false,
            Ok(Poll::Ready(output)) => {
                match panic::catch_unwind(AssertUnwindSafe(|| self.drop_stage())) {
                    Ok(()) => Ok(output),
                    Err(payload) => {
                        // The future's Drop panicked; the output is lost, and
                        // its own Drop may panic too.
                        let _ = panic::catch_unwind(AssertUnwindSafe(|| drop(output)));
                        Err(Failure::panic(payload))
                    }
                }
            }
            Err(payload) => {
                // Drop the future outside the unwinding, so a second panic in
                // its `Drop` is caught instead of aborting the process.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| self.drop_stage()));
                Err(Failure::panic(payload))
            }
        };
        let ending = if output.is_ok() {
            Ending::Returned
        } else {
            Ending::Panicked
        };
        self.header().stats.set_ending(ending);
        self.store_output(output);
        true
    }

    /// Drops the future (the task was aborted or its runtime shut down) and
    /// stores the cancellation as the output.
    fn cancel_future(&self) {
        let _current = CurrentTask::enter(self.header().id);
        let (failure, ending) = match panic::catch_unwind(AssertUnwindSafe(|| self.drop_stage())) {
            Ok(()) => (Failure::Cancelled, Ending::Cancelled),
            Err(payload) => (Failure::panic(payload), Ending::Panicked),
        };
        self.header().stats.set_ending(ending);
        self.store_output(Err(failure));
    }

    /// The future is gone: publish COMPLETE, hand the output to whoever
    /// wants it, and drop two references: the one the run (or the
    /// cancellation) held, and the owned list's.
    fn complete(&self) {
        let snapshot = self.header().state.transition_to_complete();
        // A panic here can only come from the output's or a waker's Drop;
        // the task is finished either way.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            if !snapshot.is_join_interested() {
                // Nobody will read the output: the task drops it (state rule 1).
                self.drop_unread_output();
            } else if snapshot.is_join_waker_set() {
                self.wake_join();
                if !self
                    .header()
                    .state
                    .unset_waker_after_complete()
                    .is_join_interested()
                {
                    // The handle was dropped meanwhile; the slot is ours.
                    self.set_join_waker(None);
                }
            }
        }));
        if self.header().state.transition_to_terminal(2) {
            self.raw().dealloc();
        }
    }

    /// Drops an output nobody will read; a panic's payload goes to the
    /// scheduler's unhandled-panic policy instead (`runtime/panic.rs`).
    ///
    /// The caller must own the stage (state rule 1), and the future must be
    /// gone (COMPLETE is set).
    fn drop_unread_output(&self) {
        // Only a panic's payload is taken out; the rest is dropped in place,
        // so a task's completion does not copy its stage (as large as its
        // future) to drop it.
        // SAFETY: the caller owns the stage (state rule 1).
        let payload = unsafe { self.cell().take_panic_payload() };
        self.drop_stage();
        if let Some(payload) = payload {
            self.scheduler().unhandled_panic(self.header(), payload);
        }
    }

    fn wake_join(&self) {
        // SAFETY: JOIN_WAKER is set and COMPLETE too, so the slot is the task
        // side's to read and the handle will not write it (state rule 2).
        self.cell().join_waker.with(|ptr| match unsafe { &*ptr } {
            Some(waker) => waker.wake_by_ref(),
            None => unreachable!("JOIN_WAKER set with an empty slot"),
        });
    }

    /// The caller must own the slot (state rule 2).
    fn set_join_waker(&self, waker: Option<Waker>) {
        // SAFETY: the caller owns the join waker slot (state rule 2).
        self.cell()
            .join_waker
            .with_mut(|ptr| unsafe { *ptr = waker });
    }

    /// Cancels the task if nobody runs it; consumes one reference. Off a
    /// local task's thread, marks it and schedules it instead, so that
    /// thread drops the future.
    fn shutdown(self) {
        if !self.scheduler().shutdown_here() {
            if self.header().state.transition_to_remote_cancel() {
                // The transition counted a reference for the notification.
                self.raw().schedule();
            }
            self.raw().drop_reference();
            return;
        }
        if !self.header().state.transition_to_shutdown() {
            // It is running (the poller will cancel it) or already done.
            self.raw().drop_reference();
            return;
        }
        self.cancel_future();
        self.complete();
    }

    /// True if the output is ready; otherwise `waker` is registered.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let state = &self.header().state;
        let snapshot = state.load();
        debug_assert!(snapshot.is_join_interested());
        if snapshot.is_complete() {
            return true;
        }
        let stored = if snapshot.is_join_waker_set() {
            let same = self.cell().join_waker.with(|ptr| {
                // SAFETY: with JOIN_WAKER set the task side may read the slot
                // concurrently but nobody writes it (state rule 2); comparing
                // is a read.
                let stored = unsafe { &*ptr };
                stored.as_ref().is_some_and(|w| w.will_wake(waker))
            });
            if same {
                return false;
            }
            state
                .unset_join_waker()
                .and_then(|_| self.store_join_waker(waker))
        } else {
            self.store_join_waker(waker)
        };
        match stored {
            Ok(_) => false,
            Err(snapshot) => {
                debug_assert!(snapshot.is_complete());
                true
            }
        }
    }

    fn store_join_waker(
        &self,
        waker: &Waker,
    ) -> Result<super::state::Snapshot, super::state::Snapshot> {
        // JOIN_WAKER is clear and COMPLETE was clear: the slot is the handle's.
        self.set_join_waker(Some(waker.clone()));
        let result = self.header().state.set_join_waker();
        if result.is_err() {
            // Completed meanwhile; the slot is still ours, so clear it.
            self.set_join_waker(None);
        }
        result
    }

    fn take_output(&self) -> Result<F::Output, JoinError> {
        // SAFETY: COMPLETE is set and JOIN_INTEREST too (the caller is the
        // handle), so the stage is the handle's (state rule 1); the output
        // is not pinned, so moving it out is fine.
        match unsafe { self.cell().take_output() } {
            Some(output) => output.map_err(|failure| JoinError::new(self.header(), failure)),
            None => panic!(
                "a JoinHandle was polled again after it returned its output; poll it only until it is ready"
            ),
        }
    }

    fn drop_join_handle_slow(self) {
        let state = &self.header().state;
        let snapshot = state.load();
        // A waker taken out of the slot is dropped last, after the
        // reference is given up and outside the cell: a user's waker whose
        // `Drop` panics must neither leak the task nor unwind out of the
        // handle's drop (the panic is caught, as an output's is).
        let waker;
        if snapshot.is_complete() && !snapshot.is_join_waker_set() {
            // The common case after `.await`: the task is done and will not
            // touch the output or the waker slot again, so both are ours
            // (state rules 1, 2); clean them up, then give up interest and
            // reference in one step.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| self.drop_unread_output()));
            waker = self.take_join_waker();
            if state.drop_join_interest_and_reference() {
                self.raw().dealloc();
            }
        } else {
            let dropped = state.transition_to_join_handle_dropped();
            if dropped.drop_output {
                // The output's Drop may panic; the handle's drop must not.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| self.drop_unread_output()));
            }
            waker = if dropped.drop_waker {
                self.take_join_waker()
            } else {
                None
            };
            self.raw().drop_reference();
        }
        if waker.is_some() {
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(waker)));
        }
    }

    /// Empties the join waker slot, giving its waker to the caller.
    fn take_join_waker(&self) -> Option<Waker> {
        // SAFETY: the caller owns the join waker slot (state rule 2).
        self.cell()
            .join_waker
            .with_mut(|ptr| unsafe { (*ptr).take() })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The harness driven by hand on a queue scheduler: small and
    //! deterministic, so valgrind (in `.ci/run`) checks the unsafe code
    //! of the cell, the vtable and the waker on every path.

    use crate::task::test_support::{DropCount, Queue, poll_once};
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::{Context, Poll, Waker};

    /// Pending until woken through the waker it hands out.
    struct Gate {
        open: Arc<std::sync::Mutex<(bool, Option<Waker>)>>,
    }

    impl Future for Gate {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let mut state = self.open.lock().unwrap();
            if state.0 {
                return Poll::Ready(());
            }
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    struct CountWakes(AtomicUsize);

    impl std::task::Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn gate() -> (Gate, impl Fn()) {
        let open = Arc::new(std::sync::Mutex::new((false, None::<Waker>)));
        let opener = open.clone();
        let open_it = move || {
            let waker = {
                let mut state = opener.lock().unwrap();
                state.0 = true;
                state.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        };
        (Gate { open }, open_it)
    }

    #[test]
    fn output_reaches_the_join_handle() {
        let queue = Queue::default();
        let mut handle = queue.spawn(async { 7 });
        assert_eq!(queue.run_all(), 1);
        assert!(handle.is_finished());
        assert_eq!(poll_once(&mut handle).map(Result::unwrap), Poll::Ready(7));
    }

    #[test]
    fn a_wake_reschedules_and_the_join_waker_fires() {
        let queue = Queue::default();
        let (gate, open) = gate();
        let mut handle = queue.spawn(gate);
        queue.run_all();
        let joiner = Arc::new(CountWakes(AtomicUsize::new(0)));
        let join_waker = Waker::from(joiner.clone());
        let mut cx = Context::from_waker(&join_waker);
        assert!(
            Pin::new(&mut handle).poll(&mut cx).is_pending(),
            "the gate is shut"
        );
        assert_eq!(queue.len(), 0);
        open();
        assert_eq!(queue.len(), 1, "the wake queued the task");
        queue.run_all();
        assert_eq!(joiner.0.load(SeqCst), 1, "completion woke the joiner");
        assert!(poll_once(&mut handle).is_ready());
    }

    #[test]
    fn abort_of_an_idle_task_drops_its_future_at_once() {
        let queue = Queue::default();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(drops.clone());
        let (gate, _open) = gate();
        let mut handle = queue.spawn(async move {
            let _guard = guard;
            gate.await;
        });
        queue.run_all();
        handle.abort();
        assert_eq!(drops.load(SeqCst), 1);
        match poll_once(&mut handle) {
            Poll::Ready(Err(err)) => assert!(err.is_cancelled()),
            other => panic!("expected a cancelled task, got {other:?}"),
        }
    }

    #[test]
    fn abort_after_completion_keeps_the_output() {
        let queue = Queue::default();
        let mut handle = queue.spawn(async { "done" });
        queue.run_all();
        handle.abort();
        assert_eq!(
            poll_once(&mut handle).map(Result::unwrap),
            Poll::Ready("done")
        );
    }

    #[test]
    fn a_queued_task_aborted_before_its_poll_is_never_polled() {
        let queue = Queue::default();
        let polled = Arc::new(AtomicUsize::new(0));
        let counter = polled.clone();
        let handle = queue.spawn(async move {
            counter.fetch_add(1, SeqCst);
        });
        handle.abort();
        queue.run_all();
        assert_eq!(polled.load(SeqCst), 0);
    }

    #[test]
    fn a_panic_becomes_the_output_and_a_panicking_drop_is_caught() {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("drop panics");
            }
        }
        let queue = Queue::default();
        let mut panics = queue.spawn(async { panic!("poll panics") });
        let guard = PanicOnDrop;
        let mut drop_panics = queue.spawn(async move {
            let _guard = guard;
            1
        });
        queue.run_all();
        let Poll::Ready(Err(err)) = poll_once(&mut panics) else {
            panic!("the poll's panic is the output")
        };
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "poll panics");
        let Poll::Ready(Err(err)) = poll_once(&mut drop_panics) else {
            panic!("the drop's panic is the output")
        };
        assert!(err.is_panic());
    }

    #[test]
    fn dropping_the_handle_detaches_and_the_output_is_dropped_once() {
        let queue = Queue::default();
        let drops = Arc::new(AtomicUsize::new(0));
        let output = DropCount(drops.clone());
        let handle = queue.spawn(async move { output });
        drop(handle);
        queue.run_all();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the task dropped the unwanted output"
        );
    }

    /// A join waker whose `Drop` panics (review of issue 14's interop
    /// issue): dropping the handle still gives up its reference (the cell
    /// and the future are freed) and does not unwind.
    #[test]
    fn a_join_waker_whose_drop_panics_leaks_nothing() {
        struct PanicsOnDrop(Arc<AtomicUsize>);
        impl std::task::Wake for PanicsOnDrop {
            fn wake(self: Arc<Self>) {}
        }
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                self.0.fetch_add(1, SeqCst);
                panic!("the join waker's Drop panics");
            }
        }
        let queue = Queue::default();
        let futures_dropped = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(futures_dropped.clone());
        let mut handle = queue.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        let wakers_dropped = Arc::new(AtomicUsize::new(0));
        let waker = Waker::from(Arc::new(PanicsOnDrop(wakers_dropped.clone())));
        assert!(
            Pin::new(&mut handle)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker); // the slot holds the last clone
        queue.run_all();
        handle.abort();
        drop(handle);
        assert_eq!(
            wakers_dropped.load(SeqCst),
            1,
            "the waker was dropped, its panic caught"
        );
        assert_eq!(
            futures_dropped.load(SeqCst),
            1,
            "the task was cancelled and freed"
        );
    }

    #[test]
    fn a_waker_outliving_its_task_is_harmless() {
        let queue = Queue::default();
        let kept = Arc::new(std::sync::Mutex::new(None::<Waker>));
        let slot = kept.clone();
        let handle = queue.spawn(std::future::poll_fn(move |cx| {
            *slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Ready(())
        }));
        queue.run_all();
        drop(handle);
        let waker = kept.lock().unwrap().take().unwrap();
        waker.wake_by_ref();
        waker.wake();
        assert_eq!(queue.len(), 0, "a finished task is not scheduled again");
    }

    #[test]
    fn yield_during_poll_goes_to_the_back() {
        let queue = Queue::default();
        let mut first = queue.spawn(async {
            crate::task::yield_now().await;
            1
        });
        let mut second = queue.spawn(async { 2 });
        assert_eq!(queue.run_all(), 3, "first, second, then first again");
        assert!(poll_once(&mut first).is_ready() && poll_once(&mut second).is_ready());
    }
}
