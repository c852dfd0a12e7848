//! Running one future to completion on the calling thread, with a runtime
//! current: the thread parks between polls (`task::park`) and its waker
//! unparks it.

use super::Handle;
use super::panic::Panics;
use super::scheduler::local::{self, LocalQueue};
use super::scheduler::{self, Shared, context};
use crate::loom::Arc;
use crate::task::park::{SleepHooks, ThreadWaker, poll_parked_with, thread_waker};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::task::Waker;

/// Runs `future` on this thread, with `handle` as the current runtime.
#[track_caller]
#[inline]
pub(crate) fn block_on<F: Future>(handle: &Handle, future: F) -> F::Output {
    let current_thread = handle.shared.is_current_thread();
    let _enter = context::enter(handle.shared.clone());
    // Dropped before `_enter`: the local tasks left are cancelled with the
    // runtime still current.
    let _block_on = enter_block_on(if current_thread { PLAIN } else { LOCALS });
    if let Some(seed) = handle.shared.seed {
        seed_this_thread(seed);
    }
    let panics = &handle.shared.panics;
    if current_thread {
        return block_on_current_flavor(&handle.shared, panics, future);
    }
    if panics.shuts_down() {
        return block_on_watching(&handle.shared, panics, future);
    }
    poll_parked(&handle.shared, future)
}

/// The block_on thread's `select!`s follow the runtime's seed too.
#[cold]
fn seed_this_thread(seed: u64) {
    crate::channel::select::__private::seed_thread(seed ^ 0xB10C_0000_0000_0000);
}

/// `block_on` on a current-thread runtime. Apart and out of line, so the
/// multi-threaded `block_on` stays as lean as it was.
#[cold]
#[inline(never)]
fn block_on_current_flavor<F: Future>(
    shared: &Arc<Shared>,
    panics: &Panics,
    future: F,
) -> F::Output {
    if !panics.shuts_down() {
        return block_on_current(shared, future);
    }
    // The panic happens on this thread (tasks run here) and shuts the
    // runtime down; the next poll re-raises it.
    let future = pin!(future);
    block_on_current(shared, reraising(panics, future))
}

/// `future`, with the runtime's unhandled panic re-raised before each
/// poll, and after the poll that finishes it: the panic's cancellations
/// may be what made it ready (as tokio's `block_on` does).
fn reraising<'a, F: Future>(
    panics: &'a Panics,
    mut future: std::pin::Pin<&'a mut F>,
) -> impl Future<Output = F::Output> + 'a {
    std::future::poll_fn(move |cx| {
        panics.check();
        let poll = future.as_mut().poll(cx);
        if poll.is_ready() {
            panics.check();
        }
        poll
    })
}

/// `block_on` on a current-thread runtime: this thread runs the tasks
/// between polls; while another `block_on` does, this one waits parked and
/// takes the core over when it is given back.
fn block_on_current<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    let mut future = pin!(future);
    loop {
        if let Some(output) = scheduler::current::run_on_core(shared, future.as_mut()) {
            return output;
        }
        // The core is busy elsewhere, or the runtime shut down (then no
        // task runs again, and the future is polled alone).
        let waited = poll_parked(
            shared,
            std::future::poll_fn(|cx| {
                if let std::task::Poll::Ready(output) = future.as_mut().poll(cx) {
                    return std::task::Poll::Ready(Some(output));
                }
                if !shared.is_shutdown() && shared.current_core_free_or_wake(cx.waker()) {
                    return std::task::Poll::Ready(None);
                }
                std::task::Poll::Pending
            }),
        );
        if let Some(output) = waited {
            return output;
        }
    }
}

/// `block_on` under `UnhandledPanic::ShutdownRuntime`: the panic wakes
/// this thread, which re-raises it before polling again. Apart, so the
/// common `block_on` stays as lean as it was.
#[cold]
fn block_on_watching<F: Future>(shared: &Arc<Shared>, panics: &Panics, future: F) -> F::Output {
    let waker = Waker::from(thread_waker());
    let _watch = panics.watch(&waker);
    let future = pin!(future);
    poll_parked(shared, reraising(panics, future))
}

/// What `IN_BLOCK_ON` holds: no `block_on` on this thread.
const NONE: u8 = 0;
/// A `block_on` where no local task may be spawned (a current-thread
/// runtime's: its core's thread has a queue of its own).
const PLAIN: u8 = 1;
/// A multi-threaded runtime's `block_on`: `spawn_local` may be called.
const LOCALS: u8 = 2;
/// As `LOCALS`, and some were: their queue is in `LOCAL_QUEUE`.
const WITH_QUEUE: u8 = 3;

thread_local! {
    /// This thread's `block_on`, if any (`NONE`, `PLAIN`, `LOCALS`,
    /// `WITH_QUEUE`): one byte, so a `block_on` that spawns no local task
    /// pays nothing for them.
    static IN_BLOCK_ON: Cell<u8> = const { Cell::new(NONE) };
    /// The queue of the local tasks of this thread's `block_on`.
    static LOCAL_QUEUE: RefCell<Option<std::sync::Arc<LocalQueue>>> =
        const { RefCell::new(None) };
}

/// Marks a `block_on` under way on this thread until dropped.
struct BlockOnGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Starts a `block_on`; panics (with what to do instead) where blocking
/// would stall tasks or deadlock.
#[track_caller]
#[inline]
fn enter_block_on(kind: u8) -> BlockOnGuard {
    if crate::task::park::runs_tasks() {
        refuse_on_worker();
    }
    let nested = IN_BLOCK_ON.with(|flag| {
        let was = flag.get();
        if was == NONE {
            flag.set(kind);
        }
        was != NONE
    });
    if nested {
        refuse_nested();
    }
    BlockOnGuard {
        _not_send: std::marker::PhantomData,
    }
}

#[cold]
#[track_caller]
fn refuse_on_worker() -> ! {
    panic!(
        "bobbin::block_on was called on a runtime worker thread, which would stall every task \
         queued there; `.await` the future instead, or wrap the blocking section in \
         bobbin::task::block_in_place (inside which block_on is allowed), or move it to \
         bobbin::spawn_blocking and await its JoinHandle"
    );
}

#[cold]
#[track_caller]
fn refuse_nested() -> ! {
    panic!(
        "bobbin::block_on was called inside another block_on on the same thread, which \
         deadlocks as soon as the inner future waits for the outer one; `.await` the future \
         instead, or spawn it with bobbin::spawn and await its JoinHandle"
    );
}

impl Drop for BlockOnGuard {
    #[inline]
    fn drop(&mut self) {
        let was = IN_BLOCK_ON.try_with(|flag| flag.replace(NONE));
        if was == Ok(WITH_QUEUE) {
            drop_local_tasks();
        }
    }
}

/// The end of a `block_on` that spawned local tasks: cancels those left,
/// here on their thread, and closes their queue. (A `Drop` of theirs that
/// calls `spawn_local` now panics: nothing would run that task.)
#[cold]
fn drop_local_tasks() {
    let queue = LOCAL_QUEUE
        .try_with(|queue| queue.borrow_mut().take())
        .ok()
        .flatten();
    if let Some(queue) = queue {
        queue.cancel_all();
    }
}

/// Spawns the `!Send` `future` as a local task of this thread's
/// `block_on` (multi-threaded runtime): it runs between the polls of the
/// `block_on` future, and is cancelled when the `block_on` returns.
/// Panics, with where `spawn_local` may be called, if this thread is in no
/// such `block_on` (`refused` says why the core path refused it).
#[track_caller]
pub(crate) fn spawn_local<F>(refused: local::Refused<F>) -> crate::task::JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = std::panic::Location::caller();
    let state = IN_BLOCK_ON.try_with(Cell::get).unwrap_or(NONE);
    let queue = match state {
        WITH_QUEUE => LOCAL_QUEUE.with(|queue| queue.borrow().clone()),
        LOCALS => context::with_current(|shared| shared.cloned()).map(|shared| {
            let queue = local::block_on_queue(&shared, thread_waker());
            LOCAL_QUEUE.with(|slot| *slot.borrow_mut() = Some(queue.clone()));
            IN_BLOCK_ON.with(|flag| flag.set(WITH_QUEUE));
            queue
        }),
        _ => None,
    };
    match queue {
        Some(queue) => local::spawn_on(&queue, refused.future, refused.name, location),
        None => refuse_spawn_local(state, refused.why),
    }
}

/// The panic of a `spawn_local` nothing on this thread could run.
#[cold]
#[track_caller]
fn refuse_spawn_local(state: u8, why: local::Refusal) -> ! {
    let location = std::panic::Location::caller();
    if why == local::Refusal::Spare {
        panic!(
            "bobbin::task::spawn_local was called at {location} in a task that runs on a spare \
             core (a pool thread standing in for a worker blocked in a long poll), which \
             retires when the worker is back and would strand the local task; spawn it from a \
             task that does not block its worker, or use bobbin::spawn for a Send future"
        );
    }
    if state == PLAIN {
        panic!(
            "bobbin::task::spawn_local was called at {location} in a current-thread runtime's \
             block_on that is waiting while another thread's block_on runs the runtime's core, \
             so nothing on this thread runs tasks now; spawn local tasks from the block_on that \
             runs the core (one thread per current-thread runtime), or use a multi-threaded \
             runtime, whose block_on runs its own local tasks"
        );
    }
    panic!(
        "bobbin::task::spawn_local was called at {location} on a thread that runs no \
         runtime's tasks, so nothing here could run a task that may not leave this thread; \
         call it inside a task on a runtime's worker, inside a current-thread runtime's \
         block_on (bobbin::runtime::Builder::new_current_thread), or inside Runtime::block_on"
    );
}

/// How many local tasks a `block_on` loop runs between two polls of its
/// future (as a worker's turn between looks at the injector).
const LOCAL_TURN: usize = 61;

/// Runs this thread's ready local tasks, if its `block_on` has any (after
/// a poll of the future that returned `Pending`). If some are still ready
/// after a turn, wakes `cx` so the loop comes back without sleeping.
fn run_local_tasks(cx: &std::task::Context<'_>) {
    if IN_BLOCK_ON.try_with(Cell::get) != Ok(WITH_QUEUE) {
        return;
    }
    let queue = LOCAL_QUEUE.with(|queue| queue.borrow().clone());
    if let Some(queue) = queue
        && queue.run_ready(LOCAL_TURN)
    {
        cx.waker().wake_by_ref();
    }
}

/// Polls `future` until it is ready, parking the thread between polls,
/// and runs the thread's local tasks after each poll that pends.
/// On a watched runtime (a paused clock, a `settle`) the thread counts in
/// its idleness check from its entry, or from when the runtime became
/// watched (`count_this_thread`, or its next sleep), and tells the runtime
/// each time it goes to sleep (`scheduler/quiet.rs`).
fn poll_parked<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    let watch = Watch {
        shared,
        waker: thread_waker(),
    };
    if shared.is_watched() {
        // Counted from the start: its polls hold the clock.
        watch.register();
    }
    let hooks = SleepHooks {
        going: &|| watch.going_to_sleep(),
        asleep: &|| watch.asleep(),
    };
    let mut future = pin!(future);
    poll_parked_with(
        &watch.waker,
        std::future::poll_fn(|cx| {
            let poll = future.as_mut().poll(cx);
            if poll.is_pending() {
                run_local_tasks(cx);
            }
            poll
        }),
        &hooks,
    )
}

thread_local! {
    /// Set while this thread's `block_on` is counted in its runtime's
    /// idleness check.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Counts this thread in its runtime's idleness check now, if it is in a
/// `block_on` (`time::pause` and `settle` call it: the caller is polling).
pub(crate) fn count_this_thread() {
    // A thread that runs a core (a current-thread runtime's `block_on`) is
    // counted as that core: idle when it parks.
    if IN_BLOCK_ON.with(Cell::get) == NONE
        || COUNTED.with(Cell::get)
        || crate::task::park::runs_tasks()
    {
        return;
    }
    context::with_current(|shared| {
        if let Some(shared) = shared {
            shared.register_block_on(&thread_waker());
            COUNTED.with(|counted| counted.set(true));
        }
    });
}

/// A `block_on` thread's part in its runtime's idleness check.
struct Watch<'a> {
    shared: &'a Arc<Shared>,
    waker: std::sync::Arc<ThreadWaker>,
}

impl Watch<'_> {
    fn going_to_sleep(&self) {
        if self.shared.is_watched() {
            self.register();
            self.shared.going_idle();
        }
    }

    fn asleep(&self) {
        self.shared.quiet_changed();
    }

    fn register(&self) {
        if !COUNTED.with(|counted| counted.replace(true)) {
            self.shared.register_block_on(&self.waker);
        }
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if COUNTED.with(|counted| counted.replace(false)) {
            self.shared.deregister_block_on(&self.waker);
        }
    }
}
