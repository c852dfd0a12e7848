//! Loom models of the task state machine, run through the real code: tasks
//! are made with `RawTask::new`, polled through the harness, woken through
//! the waker vtable and joined through `JoinHandle`, on a mock scheduler
//! whose run queue is a `Mutex<VecDeque<Notified>>`.
//!
//! What is checked, each against another thread:
//! - a wake that comes while the task is being polled is never lost: the
//!   task is polled again and completes, and never by two threads at once
//!   (`wake_racing_poll_is_not_lost`);
//! - abort racing completion gives the output or a cancellation, and drops
//!   the future, the output and the cell exactly once
//!   (`abort_racing_complete_drops_output_once`, and with a yield in between
//!   `abort_racing_yield_cancels_or_completes`); an abort racing a poll that
//!   returns `Pending` always cancels (`abort_racing_pending_poll_cancels`);
//! - the join waker is handed over: a JoinHandle awaited on one thread while
//!   the task completes on another is woken or sees the output
//!   (`join_waker_hand_off`, `join_waker_replaced_racing_complete`, and with
//!   an abort as a third thread `join_sees_output_or_abort`; a lost wake
//!   shows as a loom deadlock);
//! - a JoinHandle dropped while the task completes drops the output and the
//!   join waker exactly once (`join_handle_dropped_racing_complete`);
//! - the owned-list shutdown sweep racing a poll, and racing the drop of the
//!   last reference (`shutdown_sweep_racing_poll`,
//!   `shutdown_sweep_racing_last_reference_drop`);
//! - a local task (`new_local_task`, whose scheduler says `shutdown_here`
//!   only on its owner thread) cancelled from another thread, by an abort
//!   racing its owner's poll or by a sweep racing its owner's own sweep,
//!   has its future dropped exactly once and on its owner
//!   (`remote_abort_racing_owner_poll_drops_a_local_future_on_its_owner`,
//!   `remote_sweep_racing_owner_sweep_drops_a_local_future_on_its_owner`).
//!
//! "Exactly once" is counted with loom atomics ([`Census`], and the
//! scheduler's `release` count for cell frees); loom itself reports a leaked
//! cell, since every cell holds a loom `Arc` (its scheduler).
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`

use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use crate::task::list::OwnedTasks;
use crate::task::raw::{Header, Meta, Notified, new_local_task, new_task};
use crate::task::{Id, JoinError, JoinHandle, Schedule};
use loom::thread;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// What the mock scheduler shares with the model: its run queue, how many
/// cells it was told to release, and (for the shutdown models) the
/// owned-task list.
struct Shared {
    queue: Mutex<VecDeque<Notified>>,
    frees: AtomicUsize,
    owned: Option<OwnedTasks>,
    /// `schedule` checks that no cell was freed while it ran (the cell
    /// holds the scheduler the call borrows).
    watch_frees: bool,
}

/// A scheduler that queues woken tasks for the model to run by hand.
#[derive(Clone)]
struct Mock(Arc<Shared>);

impl Schedule for Mock {
    fn schedule(&self, task: Notified) {
        if !self.0.watch_frees {
            lock(&self.0.queue).push_back(task);
            return;
        }
        // Read through a clone: if the cell were freed meanwhile, `self`
        // would dangle.
        let shared = self.0.clone();
        // SeqCst: against the free's count in `release`, so a free that
        // happened during the call is seen.
        let before = shared.frees.load(SeqCst);
        lock(&shared.queue).push_back(task);
        // Another thread may now run the task to completion.
        assert_eq!(
            shared.frees.load(SeqCst),
            before,
            "the task's cell was freed while its scheduler was being called"
        );
    }

    fn yield_now(&self, task: Notified) {
        lock(&self.0.queue).push_back(task);
    }

    fn release(&self, task: &Header) {
        // As the runtime's scheduler: unlink the cell before it is freed,
        // under the shard lock a concurrent sweep also takes.
        if let Some(owned) = &self.0.owned {
            owned.remove(task);
        }
        // SeqCst: `schedule`'s watch reads it during the call; the model
        // reads it after its threads are joined.
        self.0.frees.fetch_add(1, SeqCst);
    }
}

impl Mock {
    fn new() -> Mock {
        Mock::build(None)
    }

    /// A scheduler whose tasks are linked in an owned-task list.
    fn with_owned_list() -> Mock {
        Mock::build(Some(OwnedTasks::new(1)))
    }

    /// A scheduler whose `schedule` checks that the cell outlives the call.
    fn watching_frees() -> Mock {
        Mock::build_with(None, true)
    }

    fn build(owned: Option<OwnedTasks>) -> Mock {
        Mock::build_with(owned, false)
    }

    fn build_with(owned: Option<OwnedTasks>, watch_frees: bool) -> Mock {
        Mock(Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            frees: AtomicUsize::new(0),
            owned,
            watch_frees,
        }))
    }

    fn owned(&self) -> &OwnedTasks {
        self.0
            .owned
            .as_ref()
            .expect("this model's scheduler has an owned-task list")
    }

    /// Spawns `future`: its JoinHandle and its first `Notified`, as
    /// `Shared::spawn` makes them (and links it if there is a list).
    #[track_caller]
    fn spawn<F>(&self, future: F) -> (JoinHandle<F::Output>, Notified)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = Meta {
            id: Id::next(),
            location: std::panic::Location::caller(),
            name: None,
            blocking: false,
        };
        let (task, join) = new_task(future, self.clone(), meta);
        if let Some(owned) = &self.0.owned {
            assert!(
                owned.bind(&task),
                "the list is open until the model closes it"
            );
        }
        (join, task)
    }

    /// Runs queued tasks until the queue is empty.
    fn run_all(&self) {
        // The guard is dropped before the task runs: running may schedule.
        while let Some(task) = self.pop() {
            task.run();
        }
    }

    fn pop(&self) -> Option<Notified> {
        lock(&self.0.queue).pop_front()
    }

    /// How many cells were freed.
    fn frees(&self) -> usize {
        self.0.frees.load(Relaxed)
    }
}

/// Counts values made and dropped, so a model can check that each value
/// was dropped exactly once.
#[derive(Clone)]
struct Census(Arc<Counts>);

struct Counts {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

/// One counted value.
struct Token(Census);

impl Drop for Token {
    fn drop(&mut self) {
        // Relaxed: read by the model only after its threads are joined.
        self.0.0.dropped.fetch_add(1, Relaxed);
    }
}

impl Census {
    fn new() -> Census {
        Census(Arc::new(Counts {
            made: AtomicUsize::new(0),
            dropped: AtomicUsize::new(0),
        }))
    }

    fn token(&self) -> Token {
        // Relaxed: as in `Token::drop`.
        self.0.made.fetch_add(1, Relaxed);
        Token(self.clone())
    }

    fn made(&self) -> usize {
        self.0.made.load(Relaxed)
    }

    fn dropped(&self) -> usize {
        self.0.dropped.load(Relaxed)
    }

    /// Every value made was dropped once: no leak, no double drop.
    #[track_caller]
    fn assert_all_dropped_once(&self, what: &str) {
        assert_eq!(
            self.dropped(),
            self.made(),
            "every {what} must be dropped exactly once"
        );
    }
}

/// A task's output: a value, and a token counting its drops.
struct Output {
    value: u32,
    _token: Token,
}

/// A one-shot event that another thread fires: the waker of the future
/// waiting on it is handed to that thread.
struct Signal {
    state: Mutex<SignalState>,
}

struct SignalState {
    fired: bool,
    waker: Option<Waker>,
}

impl Signal {
    fn new() -> Arc<Signal> {
        Arc::new(Signal {
            state: Mutex::new(SignalState {
                fired: false,
                waker: None,
            }),
        })
    }

    fn fire(&self) {
        let waker = {
            let mut state = lock(&self.state);
            state.fired = true;
            state.waker.take()
        };
        // Wake outside the lock, by value: the waker's reference is consumed.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Waits for a [`Signal`].
struct Wait(Arc<Signal>);

impl Future for Wait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.0.state);
        if state.fired {
            return Poll::Ready(());
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Wakes its own task (by reference) and returns `Pending` once, as
/// `yield_now` does; ready on the next poll.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A task body: holds a token of `futures` while alive, awaits `before`,
/// then returns `value` with a token of `outputs`.
fn task_body(
    futures: &Census,
    outputs: &Census,
    before: impl Future<Output = ()> + Send + 'static,
    value: u32,
) -> impl Future<Output = Output> + Send + 'static {
    let alive = futures.token();
    let outputs = outputs.clone();
    async move {
        let _alive = alive;
        before.await;
        Output {
            value,
            _token: outputs.token(),
        }
    }
}

/// Polls a JoinHandle once with a waker that does nothing.
fn poll_join<T>(handle: &mut JoinHandle<T>) -> Poll<Result<T, JoinError>> {
    Pin::new(handle).poll(&mut Context::from_waker(Waker::noop()))
}

/// Checks a finished task's result: its output, or a cancellation.
#[track_caller]
fn assert_output_or_cancelled(result: Poll<Result<Output, JoinError>>, value: u32) {
    match result {
        Poll::Ready(Ok(output)) => assert_eq!(output.value, value),
        Poll::Ready(Err(error)) => assert!(error.is_cancelled(), "only an abort happened"),
        Poll::Pending => panic!("the task neither completed nor was cancelled"),
    }
}

/// The target of a [`counting_waker`]: counts wakes, and unparks a thread
/// if one waits.
struct Wakes {
    count: AtomicUsize,
    thread: Option<thread::Thread>,
}

impl Wakes {
    fn new(thread: Option<thread::Thread>) -> Arc<Wakes> {
        Arc::new(Wakes {
            count: AtomicUsize::new(0),
            thread,
        })
    }

    fn wake(&self) {
        // Relaxed: read by the model only after its threads are joined; the
        // unpark below is what hands the wake to the waiting thread.
        self.count.fetch_add(1, Relaxed);
        if let Some(thread) = &self.thread {
            thread.unpark();
        }
    }

    fn count(&self) -> usize {
        self.count.load(Relaxed)
    }
}

/// A waker over a loom `Arc<Wakes>`. A clone that is never dropped shows
/// as a leaked `Arc` at the end of the model, and `Arc::strong_count` tells
/// how many clones are alive.
fn counting_waker(wakes: &Arc<Wakes>) -> Waker {
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

    unsafe fn clone(ptr: *const ()) -> RawWaker {
        // SAFETY: `ptr` came from `Arc::into_raw` below and the waker being
        // cloned holds one count, so the Arc is alive.
        unsafe { Arc::increment_strong_count(ptr.cast::<Wakes>()) };
        RawWaker::new(ptr, &VTABLE)
    }
    unsafe fn wake(ptr: *const ()) {
        // SAFETY: as in `clone`; the waker's count is consumed here.
        let wakes = unsafe { Arc::from_raw(ptr.cast::<Wakes>()) };
        wakes.wake();
    }
    unsafe fn wake_by_ref(ptr: *const ()) {
        // SAFETY: as in `clone`; the waker keeps its count.
        unsafe { &*ptr.cast::<Wakes>() }.wake();
    }
    unsafe fn drop_waker(ptr: *const ()) {
        // SAFETY: as in `clone`; the waker's count is given up here.
        unsafe { Arc::decrement_strong_count(ptr.cast::<Wakes>()) };
    }

    let ptr = Arc::into_raw(wakes.clone()).cast::<()>();
    // SAFETY: the vtable keeps the RawWaker contract: clone and drop count
    // the Arc, wake consumes one count, wake_by_ref none.
    unsafe { Waker::from_raw(RawWaker::new(ptr, &VTABLE)) }
}

/// Polls `future` on this loom thread until it is ready, parking between
/// polls until its waker unparks the thread. A wake that never comes leaves
/// every thread blocked, which loom reports as a deadlock.
fn block_on<F: Future>(future: F) -> F::Output {
    let wakes = Wakes::new(Some(thread::current()));
    let waker = counting_waker(&wakes);
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

#[test]
fn wake_racing_poll_is_not_lost() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let signal = Signal::new();
        let body = task_body(&futures, &outputs, Wait(signal.clone()), 7);
        let (mut handle, notified) = sched.spawn(body);

        // The other thread fires the signal and then works the queue too,
        // as a second worker would: if a wake made a second `Notified`, the
        // two threads would poll the future at once, which loom reports.
        let firer = {
            let (signal, sched) = (signal.clone(), sched.clone());
            thread::spawn(move || {
                signal.fire();
                sched.run_all();
            })
        };
        notified.run();
        sched.run_all();
        firer.join().unwrap();
        sched.run_all();

        assert!(
            handle.is_finished(),
            "a wake that raced the poll was lost: the task never completed"
        );
        match poll_join(&mut handle) {
            Poll::Ready(Ok(output)) => assert_eq!(output.value, 7),
            _ => panic!("a finished task that nobody aborted gives its output"),
        }
        drop(handle);
        drop(signal);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        futures.assert_all_dropped_once("future");
        outputs.assert_all_dropped_once("output");
    });
}

/// A detached task woken by value from another thread while this thread
/// runs it to completion as soon as it is queued: the waking thread is
/// still inside the scheduler's `schedule` (which lives in the cell), so
/// the cell must not be freed before that call returns. It failed before
/// the wake kept the waker's reference through the call (issue 19's
/// session: the formal use after free noted in issue 18).
#[test]
fn a_cell_outlives_the_schedule_call_of_a_wake_by_value() {
    loom::model(|| {
        let sched = Mock::watching_frees();
        let (futures, outputs) = (Census::new(), Census::new());
        let signal = Signal::new();
        let body = task_body(&futures, &outputs, Wait(signal.clone()), 3);
        let (handle, notified) = sched.spawn(body);
        drop(handle);
        notified.run(); // pending: the signal holds its waker
        let firer = {
            let signal = signal.clone();
            thread::spawn(move || signal.fire())
        };
        // Run the task the moment it is queued, racing the rest of the
        // firer's `schedule` call.
        loop {
            if let Some(task) = sched.pop() {
                task.run();
                break;
            }
            thread::yield_now();
        }
        firer.join().unwrap();
        drop(signal);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        futures.assert_all_dropped_once("future");
        outputs.assert_all_dropped_once("output");
    });
}

#[test]
fn abort_racing_complete_drops_output_once() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, std::future::ready(()), 7);
        let (handle, notified) = sched.spawn(body);

        let aborter = thread::spawn(move || {
            handle.abort();
            handle
        });
        notified.run();
        let mut handle = aborter.join().unwrap();
        sched.run_all();

        assert_output_or_cancelled(poll_join(&mut handle), 7);
        drop(handle);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        assert_eq!(futures.made(), 1);
        futures.assert_all_dropped_once("future");
        assert!(outputs.made() <= 1, "at most one output is made");
        outputs.assert_all_dropped_once("output");
    });
}

#[test]
fn abort_racing_pending_poll_cancels() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, std::future::pending(), 7);
        let (handle, notified) = sched.spawn(body);

        let aborter = thread::spawn(move || {
            handle.abort();
            handle
        });
        // The poll returns Pending and nothing wakes the task: if the abort
        // lands during the poll, only the poller's `transition_to_idle`
        // can see it, and it must cancel the task there.
        notified.run();
        let mut handle = aborter.join().unwrap();
        sched.run_all();

        match poll_join(&mut handle) {
            Poll::Ready(Err(error)) => assert!(error.is_cancelled()),
            Poll::Ready(Ok(_)) => panic!("a future that never finishes gave an output"),
            Poll::Pending => panic!("an aborted task was left idle, never to be cancelled"),
        }
        drop(handle);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        assert_eq!(outputs.made(), 0);
        futures.assert_all_dropped_once("future");
    });
}

#[test]
fn abort_racing_yield_cancels_or_completes() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, YieldOnce(false), 7);
        let (handle, notified) = sched.spawn(body);

        let aborter = thread::spawn(move || {
            handle.abort();
            handle
        });
        // Poll, yield (the task requeues itself), poll again: the abort can
        // land while running, while queued, or after completion.
        notified.run();
        sched.run_all();
        let mut handle = aborter.join().unwrap();
        sched.run_all();

        assert_output_or_cancelled(poll_join(&mut handle), 7);
        drop(handle);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        futures.assert_all_dropped_once("future");
        outputs.assert_all_dropped_once("output");
    });
}

#[test]
fn join_waker_hand_off() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, std::future::ready(()), 7);
        let (handle, notified) = sched.spawn(body);

        let runner = thread::spawn(move || notified.run());
        // `block_on` parks until its waker is woken: a join waker lost
        // between the handle's registration and the completion is reported
        // as a deadlock.
        let output = block_on(handle).expect("nobody aborted the task");
        assert_eq!(output.value, 7);
        runner.join().unwrap();

        drop(output);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        futures.assert_all_dropped_once("future");
        outputs.assert_all_dropped_once("output");
    });
}

#[test]
fn join_sees_output_or_abort() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, std::future::ready(()), 7);
        let (handle, notified) = sched.spawn(body);
        let abort = handle.abort_handle();

        let runner = thread::spawn(move || notified.run());
        let aborter = thread::spawn(move || abort.abort());
        // Whichever thread completes the task (the runner with the output,
        // the aborter by cancelling it) must wake the joiner.
        let result = block_on(handle);
        assert_output_or_cancelled(Poll::Ready(result), 7);
        runner.join().unwrap();
        aborter.join().unwrap();
        sched.run_all();

        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        futures.assert_all_dropped_once("future");
        outputs.assert_all_dropped_once("output");
    });
}

#[test]
fn join_waker_replaced_racing_complete() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, std::future::ready(()), 7);
        let (mut handle, notified) = sched.spawn(body);
        let wakes = Wakes::new(None);

        // The first poll stores a waker (the task has not run yet)...
        let first = counting_waker(&wakes);
        let polled = Pin::new(&mut handle).poll(&mut Context::from_waker(&first));
        assert!(polled.is_pending(), "the task has not run yet");
        drop(first);

        // ...which a second poll, with another waker, replaces while the
        // task completes on another thread.
        let runner = thread::spawn(move || notified.run());
        let output = block_on(handle).expect("nobody aborted the task");
        assert_eq!(output.value, 7);
        runner.join().unwrap();

        drop(output);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        assert_eq!(
            Arc::strong_count(&wakes),
            1,
            "the replaced join waker was dropped"
        );
        futures.assert_all_dropped_once("future");
        outputs.assert_all_dropped_once("output");
    });
}

#[test]
fn join_handle_dropped_racing_complete() {
    loom::model(|| {
        let sched = Mock::new();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, std::future::ready(()), 7);
        let (mut handle, notified) = sched.spawn(body);
        let wakes = Wakes::new(None);

        // Register a join waker first, so the drop also races the task's
        // use of the waker slot.
        let waker = counting_waker(&wakes);
        let polled = Pin::new(&mut handle).poll(&mut Context::from_waker(&waker));
        assert!(polled.is_pending(), "the task has not run yet");
        drop(waker);

        let runner = thread::spawn(move || notified.run());
        drop(handle);
        runner.join().unwrap();

        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        assert_eq!(outputs.made(), 1, "the task ran to completion");
        outputs.assert_all_dropped_once("output");
        futures.assert_all_dropped_once("future");
        assert!(wakes.count() <= 1, "the join waker is woken at most once");
        assert_eq!(Arc::strong_count(&wakes), 1, "the join waker was dropped");
    });
}

#[test]
fn shutdown_sweep_racing_poll() {
    loom::model(|| {
        let sched = Mock::with_owned_list();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, YieldOnce(false), 7);
        let (mut handle, notified) = sched.spawn(body);

        let sweeper = {
            let sched = sched.clone();
            thread::spawn(move || sched.owned().close_and_shutdown_all(0))
        };
        notified.run();
        sched.run_all();
        sweeper.join().unwrap();
        sched.run_all();

        assert_output_or_cancelled(poll_join(&mut handle), 7);
        drop(handle);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        futures.assert_all_dropped_once("future");
        outputs.assert_all_dropped_once("output");
    });
}

#[test]
fn shutdown_sweep_racing_last_reference_drop() {
    loom::model(|| {
        let sched = Mock::with_owned_list();
        let (futures, outputs) = (Census::new(), Census::new());
        let body = task_body(&futures, &outputs, std::future::pending(), 7);
        let (handle, notified) = sched.spawn(body);
        // Poll once: the task is idle, and nothing but the handle refers to
        // it (its waker was not kept), so dropping the handle frees it.
        notified.run();
        assert!(sched.pop().is_none(), "nothing woke the task");

        let dropper = thread::spawn(move || drop(handle));
        sched.owned().close_and_shutdown_all(0);
        dropper.join().unwrap();

        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        assert_eq!(outputs.made(), 0, "the future never finished");
        futures.assert_all_dropped_once("future");
    });
}

/// The scheduler of a local task: `Mock`'s queue, and `shutdown_here` only
/// on the owner thread (as `scheduler/local.rs`'s `LocalScheduler`).
#[derive(Clone)]
struct LocalMock {
    mock: Mock,
    owner: thread::ThreadId,
}

impl Schedule for LocalMock {
    fn schedule(&self, task: Notified) {
        self.mock.schedule(task);
    }

    fn yield_now(&self, task: Notified) {
        self.mock.yield_now(task);
    }

    fn release(&self, task: &Header) {
        self.mock.release(task);
    }

    fn shutdown_here(&self) -> bool {
        thread::current().id() == self.owner
    }
}

/// Records the thread it is dropped on.
struct DropsOn(Arc<Mutex<Vec<thread::ThreadId>>>);

impl Drop for DropsOn {
    fn drop(&mut self) {
        lock(&self.0).push(thread::current().id());
    }
}

/// Spawns a pending local task owned by this thread, whose future records
/// the thread that drops it in `dropped_on`.
fn spawn_local_pending(
    mock: &Mock,
    dropped_on: &Arc<Mutex<Vec<thread::ThreadId>>>,
) -> (JoinHandle<()>, Notified) {
    let sched = LocalMock {
        mock: mock.clone(),
        owner: thread::current().id(),
    };
    let guard = DropsOn(dropped_on.clone());
    let future = async move {
        let _guard = guard;
        std::future::pending::<()>().await
    };
    let meta = Meta {
        id: Id::next(),
        location: std::panic::Location::caller(),
        name: None,
        blocking: false,
    };
    // SAFETY: the model runs the task (every `Notified` it gets) only on
    // this thread, and `LocalMock::shutdown_here` is false elsewhere.
    let (task, join) = unsafe { new_local_task(future, sched, meta) };
    if let Some(owned) = &mock.0.owned {
        assert!(
            owned.bind(&task),
            "the list is open until the model closes it"
        );
    }
    (join, task)
}

#[test]
fn remote_abort_racing_owner_poll_drops_a_local_future_on_its_owner() {
    loom::model(|| {
        let sched = Mock::new();
        let dropped_on = Arc::new(Mutex::new(Vec::new()));
        let (handle, notified) = spawn_local_pending(&sched, &dropped_on);
        let owner = thread::current().id();

        let aborter = thread::spawn(move || {
            handle.abort();
            handle
        });
        notified.run();
        let mut handle = aborter.join().unwrap();
        // The owner runs what the abort scheduled.
        sched.run_all();

        match poll_join(&mut handle) {
            Poll::Ready(Err(error)) => assert!(error.is_cancelled()),
            other => panic!(
                "an aborted local task ended as {:?}",
                other.map(|r| r.is_ok())
            ),
        }
        drop(handle);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        assert_eq!(
            *lock(&dropped_on),
            vec![owner],
            "dropped once, on its owner"
        );
    });
}

#[test]
fn remote_sweep_racing_owner_sweep_drops_a_local_future_on_its_owner() {
    loom::model(|| {
        let sched = Mock::with_owned_list();
        let dropped_on = Arc::new(Mutex::new(Vec::new()));
        let (mut handle, notified) = spawn_local_pending(&sched, &dropped_on);
        let owner = thread::current().id();
        notified.run();

        // Another worker's sweep (which may only mark the task and schedule
        // it) races the owner's own sweep (which drops it here).
        let sweeper = {
            let sched = sched.clone();
            thread::spawn(move || sched.owned().close_and_shutdown_all(0))
        };
        sched.owned().close_and_shutdown_all(0);
        sweeper.join().unwrap();
        sched.run_all();

        match poll_join(&mut handle) {
            Poll::Ready(Err(error)) => assert!(error.is_cancelled()),
            other => panic!("a swept local task ended as {:?}", other.map(|r| r.is_ok())),
        }
        drop(handle);
        assert_eq!(sched.frees(), 1, "the cell is freed exactly once");
        assert_eq!(
            *lock(&dropped_on),
            vec![owner],
            "dropped once, on its owner"
        );
    });
}
