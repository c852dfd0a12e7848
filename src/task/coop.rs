//! The cooperative budget: how many operations a task may complete in one
//! poll before they start returning `Pending`.
//!
//! Why: a future gives its thread back only at an `.await` that is not
//! ready. A task looping on a channel that always has a value, a mutex
//! nobody else holds or a socket that always has data never meets such an
//! `.await`, and on a worker with other tasks queued it starves them (Go
//! preempts such a goroutine; a future cannot be preempted). So every task
//! poll gets a budget of [`BUDGET`] operations: each channel, sync, timer
//! and I/O operation that completes spends one unit, and once they are
//! spent the next operation wakes its task and returns `Pending`. The task
//! goes to the back of its worker's queue (a task woken during its own poll
//! does, see `Schedule::yield_now`), its neighbours run, and at its next
//! poll it has a fresh budget. tokio does the same, with the same number,
//! so code ported from tokio yields where it did, but for the renewal
//! below; smol has no budget, and relies on its executor polling each task
//! once per turn, which does not help a task that never returns `Pending`.
//!
//! Why 128: large enough that a task doing real work per operation (parse a
//! message, write a reply) almost never hits it, so the yield costs nothing
//! in the common case; small enough that a worker with a spinning task gets
//! back to its queue within tens of microseconds. It is tokio's number.
//!
//! Renewal: on a worker of a runtime with other workers, a spent budget
//! first asks the scheduler (the check [`set_renewal`] installs), which may
//! renew it, so a poll completes up to 61 budgets there (each renewal
//! counts as one of the worker's ticks, and the poll yields before its
//! periodic one). It does so only when nothing waits for this worker
//! but what this poll woke, which other workers can take: no local task is
//! ready on the thread, no task that was in the worker's ring when the
//! poll began is still there, and the task in the LIFO slot moves to the
//! ring, where thieves look, with a parked worker woken to take it if none
//! searches. A task that was waiting its turn never waits longer than it
//! would have. A renewed budget that took longer than a 64th of the
//! long-poll threshold is not renewed again (its operations do real work),
//! and a poll stops renewing once a 32nd of it has passed since its first
//! renewal (312 µs of the default 10 ms). A consumer draining a full
//! channel then keeps its worker while the producers it wakes run on
//! another, as in Go; before, the strict yield handed its worker to those
//! producers every 128 messages (architecture.md, "Renewal"). With one
//! worker, a local task ready or an older task waiting, a poll still
//! completes 128.
//!
//! The budget lives in a thread-local [`Cell`]: `Some(n)` while a task is
//! polled (the poll runs inside [`budget`]), `None`, *unconstrained*,
//! everywhere else: on a plain thread, in `bobbin::block_on`, under
//! `futures::executor::block_on`, in [`unconstrained`]. Unconstrained
//! operations never return `Pending` because of the budget. A thread-local
//! and not a field of the task: the operations are reached through a
//! `Context`, which carries no task, and the worker polls one task at a
//! time, so the thread is the task while it polls. The cost of one
//! operation is one thread-local read-modify-write of a byte.
//!
//! What spends (each completed operation, once): channel `send`/`recv`
//! (buffered, unbounded, rendezvous), their `Stream`/`Sink` forms, a
//! oneshot receive; the semaphore acquisitions under `Mutex`, `RwLock`,
//! `Semaphore` and `OnceCell`'s wait, `Notify::notified`, `Barrier::wait`,
//! `WaitGroup::wait`; `Sleep` (so `Interval::tick` and a `Timeout`'s
//! deadline); every readiness wait of I/O, so each socket read, write,
//! accept, send or receive. The `try_*` forms never spend: they never wait,
//! so they cannot return `Pending` either. A `select!` with a `default`
//! never waits either, and polls its branches unconstrained, so it takes a
//! ready value rather than running `default` because the budget ran out.
//!
//! An operation checks the budget before it touches anything
//! ([`poll_proceed`]), so a `Pending` caused by the budget takes nothing,
//! registers no new waiter and keeps the operation's cancel safety; a
//! waiter registered by an earlier poll stays, and the task has woken
//! itself, so its next poll finds it. An operation that then returns
//! `Pending` for its own reason gives its unit back ([`RestoreOnPending`]):
//! only completed operations count.
//!
//! Invariants: the cell is written only by this module, on the thread it
//! belongs to; every change of the whole budget (a task poll, an
//! `Unconstrained` poll) is undone by a guard when the call returns or
//! unwinds, so a panicking poll cannot leave a budget behind for the next
//! task (or a spent one for a plain thread). Under `cfg(loom)` the budget is
//! never set: loom runs its threads on one OS thread, which would share the
//! cell between them, and the models check wake-ups, not fairness.
//!
//! Tested by the unit tests below and `executor-tests/tests/task_budget.rs`
//! (a task spinning on a ready channel, mutex, sleep or socket lets its
//! neighbour run on a one-worker runtime; `unconstrained` opts out; no
//! message or wake-up is lost).

use pin_project_lite::pin_project;
use std::cell::Cell;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Operations a task may complete in one poll (tokio's number; see the
/// module docs).
pub(crate) const BUDGET: u8 = 128;

/// What is left of the current poll's budget; `None`: unconstrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Budget(Option<u8>);

impl Budget {
    const UNCONSTRAINED: Budget = Budget(None);
    const FRESH: Budget = Budget(Some(BUDGET));
}

thread_local! {
    /// The budget of whatever this thread is polling now.
    static CURRENT: Cell<Budget> = const { Cell::new(Budget::UNCONSTRAINED) };
    /// Asked when a task's budget runs out: true lets the task go on with a
    /// fresh one (see "Renewal" in the module docs). Set by the scheduler
    /// on the threads that run a runtime's tasks.
    static RENEWAL: Cell<Option<fn() -> bool>> = const { Cell::new(None) };
}

/// Sets the check a spent budget asks before it makes its task yield, on
/// this thread; returns the previous one, for the caller to restore.
pub(crate) fn set_renewal(renewal: Option<fn() -> bool>) -> Option<fn() -> bool> {
    RENEWAL
        .try_with(|cell| cell.replace(renewal))
        .unwrap_or(None)
}

/// The budget ran out: the operation spends the first unit of a renewed
/// budget if this thread's scheduler renews it; otherwise the task wakes
/// itself and the operation returns `Pending`. Out of line, so the hot
/// path of [`poll_proceed`] stays as small as it was without renewal.
#[cold]
fn spent(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    if RENEWAL.get().is_some_and(|renewal| renewal()) {
        CURRENT.set(Budget(Some(BUDGET - 1)));
        return Poll::Ready(RestoreOnPending { constrained: true });
    }
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// Runs `f`, a task's poll, with a fresh budget; the previous budget is
/// back when `f` returns or unwinds.
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    if cfg!(loom) {
        // See the module docs: no budget under loom.
        return f();
    }
    with_budget(Budget::FRESH, f)
}

/// Runs `f` unconstrained; the previous budget is back when `f` returns
/// or unwinds.
pub(crate) fn with_unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::UNCONSTRAINED, f)
}

fn with_budget<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    /// Puts the previous budget back, on return and on unwind.
    struct Reset(Budget);

    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }

    let _reset = Reset(CURRENT.replace(budget));
    f()
}

/// False once the current poll's budget is spent (true when
/// unconstrained).
pub(crate) fn has_budget_remaining() -> bool {
    CURRENT.get() != Budget(Some(0))
}

/// Spends one unit for an operation about to run, or, if the budget is
/// spent, wakes the task and returns `Pending`: the operation must then
/// return `Pending` too, before it touches anything.
///
/// Call [`RestoreOnPending::made_progress`] once the operation completes;
/// dropped without that, the unit is given back.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    let Budget(budget) = CURRENT.get();
    match budget {
        None => Poll::Ready(RestoreOnPending { constrained: false }),
        Some(0) => spent(cx),
        Some(left) => {
            CURRENT.set(Budget(Some(left - 1)));
            Poll::Ready(RestoreOnPending { constrained: true })
        }
    }
}

/// Runs one poll of an operation under the budget: `Pending` without
/// calling `poll` if the budget is spent; otherwise `poll`'s result, which
/// spends a unit only if it is `Ready`.
#[inline]
pub(crate) fn poll_budgeted<T>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let restore = ready!(poll_proceed(cx));
    let result = poll(cx);
    if result.is_ready() {
        restore.made_progress();
    }
    result
}

/// The unit [`poll_proceed`] took: given back when this is dropped, unless
/// the operation completed ([`made_progress`](Self::made_progress)).
#[must_use = "dropping it at once gives the unit back; call made_progress when the operation completes"]
pub(crate) struct RestoreOnPending {
    /// A unit was taken (false when unconstrained).
    constrained: bool,
}

impl RestoreOnPending {
    /// The operation completed: the unit stays spent.
    #[inline]
    pub(crate) fn made_progress(self) {
        std::mem::forget(self);
    }
}

impl Drop for RestoreOnPending {
    #[inline]
    fn drop(&mut self) {
        if self.constrained {
            let Budget(budget) = CURRENT.get();
            // Still constrained in the same poll: the unit goes back.
            if let Some(left) = budget {
                CURRENT.set(Budget(Some(left.saturating_add(1))));
            }
        }
    }
}

impl fmt::Debug for RestoreOnPending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestoreOnPending")
            .field("constrained", &self.constrained)
            .finish()
    }
}

/// Runs `future` without a budget: the channel, sync, timer and I/O
/// operations it awaits never return `Pending` because the task has spent
/// its budget.
///
/// For a task that must finish a burst of work in one go (drain a queue
/// before anyone else touches it, a benchmark's inner loop) and accepts
/// that its neighbours on the worker wait meanwhile. The budget of the code
/// around it is unchanged.
///
/// # Caveats
/// A loop inside it that is always ready keeps its worker for as long as
/// it runs, as a loop of `try_recv` would: the tasks queued behind it wait.
///
/// # Examples
/// ```
/// use bobbin::task::unconstrained;
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::unbounded();
/// let total = bobbin::spawn(unconstrained(async move {
///     let mut total = 0u64;
///     for i in 0..1_000u64 {
///         tx.send(i).await.unwrap();
///         total += rx.recv().await.unwrap();
///     }
///     total
/// }));
/// assert_eq!(total.await.unwrap(), 499_500);
/// # });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { inner: future }
}

pin_project! {
    /// The future of [`unconstrained`]: polls its inner future without a
    /// budget, and restores the task's budget afterwards.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let inner = async { 7 };
    /// let future: bobbin::task::Unconstrained<_> = bobbin::task::unconstrained(inner);
    /// assert_eq!(future.await, 7);
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Unconstrained<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        with_unconstrained(|| inner.poll(cx))
    }
}

/// Spends one unit of the task's budget, and yields if it was spent:
/// makes a hand-written loop take part in the cooperative budget.
///
/// A loop that computes without awaiting any channel, lock, timer or
/// socket never returns `Pending`, so it keeps its worker. With
/// `consume_budget().await` in it, it runs as if each turn were one such
/// operation: after the task's budget of operations (128 per poll; up to
/// 61 budgets on a runtime with several workers while only the tasks this
/// poll woke are waiting for its worker) it yields once, its neighbours
/// run, and it goes on. Unlike [`yield_now`](super::yield_now), which
/// yields every time, it costs a thread-local update per call and yields
/// only when the budget is spent. Outside a task (in `block_on`, on a
/// plain thread, inside [`unconstrained`]) it never yields.
///
/// # Examples
/// ```
/// # bobbin::block_on(bobbin::spawn(async {
/// let mut sum = 0u64;
/// for i in 0..10_000u64 {
///     sum += i;
///     bobbin::task::consume_budget().await;
/// }
/// assert_eq!(sum, 49_995_000);
/// # })).unwrap();
/// ```
pub async fn consume_budget() {
    poll_fn(|cx| poll_proceed(cx).map(RestoreOnPending::made_progress)).await
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::{Wake, Waker};

    /// Counts its wakes.
    #[derive(Default)]
    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn counting_waker() -> (Arc<CountWakes>, Waker) {
        let wakes = Arc::new(CountWakes::default());
        (wakes.clone(), Waker::from(wakes))
    }

    fn left() -> Option<u8> {
        CURRENT.get().0
    }

    /// Spends one unit the way a completed operation does.
    fn spend(cx: &mut Context<'_>) -> Poll<()> {
        poll_proceed(cx).map(RestoreOnPending::made_progress)
    }

    #[test]
    fn a_poll_gets_128_units_then_operations_wake_and_pend() {
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        budget(|| {
            for _ in 0..BUDGET {
                assert!(spend(&mut cx).is_ready());
            }
            assert_eq!(left(), Some(0));
            assert_eq!(wakes.0.load(SeqCst), 0, "no wake while there was budget");
            assert!(spend(&mut cx).is_pending());
            assert!(!has_budget_remaining());
            assert_eq!(
                wakes.0.load(SeqCst),
                1,
                "a pending caused by the budget wakes"
            );
        });
        assert_eq!(left(), None, "back to unconstrained after the poll");
        budget(|| assert_eq!(left(), Some(BUDGET), "the next poll starts fresh"));
    }

    #[test]
    fn a_renewal_gives_a_spent_budget_a_fresh_one_without_a_wake() {
        thread_local! {
            static ASKED: Cell<u32> = const { Cell::new(0) };
        }
        /// Renews twice, then refuses.
        fn twice() -> bool {
            ASKED.set(ASKED.get() + 1);
            ASKED.get() <= 2
        }
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let previous = set_renewal(Some(twice));
        budget(|| {
            for _ in 0..3 * usize::from(BUDGET) {
                assert!(spend(&mut cx).is_ready());
            }
            assert_eq!(ASKED.get(), 2, "asked only when a budget ran out");
            assert_eq!(wakes.0.load(SeqCst), 0, "a renewal does not wake");
            assert!(spend(&mut cx).is_pending(), "the third renewal is refused");
            assert_eq!(wakes.0.load(SeqCst), 1);
        });
        assert!(
            set_renewal(previous).is_some(),
            "set_renewal gives the check back"
        );
        budget(|| {
            for _ in 0..BUDGET {
                assert!(spend(&mut cx).is_ready());
            }
            assert!(
                spend(&mut cx).is_pending(),
                "with no renewal set, a spent budget yields"
            );
        });
    }

    #[test]
    fn unconstrained_is_the_default_and_never_pends() {
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        assert_eq!(left(), None);
        for _ in 0..1_000 {
            assert!(spend(&mut cx).is_ready());
        }
        assert!(has_budget_remaining());
        assert_eq!(left(), None);
        assert_eq!(wakes.0.load(SeqCst), 0);
    }

    #[test]
    fn an_operation_that_pends_gives_its_unit_back() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            let pending: Poll<()> = poll_budgeted(&mut cx, |_| Poll::Pending);
            assert!(pending.is_pending());
            assert_eq!(left(), Some(BUDGET), "restored on pending");
            assert_eq!(poll_budgeted(&mut cx, |_| Poll::Ready(5)), Poll::Ready(5));
            assert_eq!(left(), Some(BUDGET - 1), "spent on ready");
            // The pattern the operations use, by hand.
            let restore = match poll_proceed(&mut cx) {
                Poll::Ready(restore) => restore,
                Poll::Pending => unreachable!("the budget is not spent"),
            };
            assert_eq!(left(), Some(BUDGET - 2));
            drop(restore);
            assert_eq!(left(), Some(BUDGET - 1));
        });
    }

    #[test]
    fn a_spent_budget_does_not_call_the_operation() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            CURRENT.set(Budget(Some(0)));
            let mut called = false;
            let poll = poll_budgeted(&mut cx, |_| {
                called = true;
                Poll::Ready(())
            });
            assert!(poll.is_pending());
            assert!(!called, "the operation ran although the budget was spent");
            assert_eq!(left(), Some(0));
        });
    }

    #[test]
    fn unconstrained_polls_without_a_budget_and_restores_it() {
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        budget(|| {
            assert!(spend(&mut cx).is_ready());
            let mut inner = pin!(unconstrained(poll_fn(|cx| {
                assert_eq!(left(), None, "the inner future is unconstrained");
                for _ in 0..1_000 {
                    assert!(spend(cx).is_ready());
                }
                Poll::Ready(())
            })));
            assert!(inner.as_mut().poll(&mut cx).is_ready());
            assert_eq!(left(), Some(BUDGET - 1), "the outer budget is unchanged");
        });
        assert_eq!(wakes.0.load(SeqCst), 0);
    }

    #[test]
    fn nested_budgets_restore_the_outer_one() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            assert!(spend(&mut cx).is_ready());
            budget(|| {
                assert_eq!(left(), Some(BUDGET));
                assert!(spend(&mut cx).is_ready());
                with_unconstrained(|| assert_eq!(left(), None));
                assert_eq!(left(), Some(BUDGET - 1));
            });
            assert_eq!(left(), Some(BUDGET - 1));
        });
        assert_eq!(left(), None);
    }

    #[test]
    fn a_panicking_poll_restores_the_budget() {
        let mut cx = Context::from_waker(Waker::noop());
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            budget(|| {
                assert!(spend(&mut cx).is_ready());
                panic!("the task's poll panics");
            })
        }));
        assert!(unwound.is_err());
        assert_eq!(
            left(),
            None,
            "a panicking task left its budget on the thread"
        );

        budget(|| {
            assert!(spend(&mut cx).is_ready());
            let mut inner = pin!(unconstrained(poll_fn(|_| -> Poll<()> {
                panic!("the unconstrained future panics")
            })));
            let unwound = catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(&mut cx)));
            assert!(unwound.is_err());
            assert_eq!(left(), Some(BUDGET - 1), "unconstrained left None behind");
        });
    }

    #[test]
    fn consume_budget_yields_once_when_spent() {
        let (wakes, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut consume = pin!(consume_budget());
        budget(|| {
            CURRENT.set(Budget(Some(1)));
            assert!(pin!(consume_budget()).poll(&mut cx).is_ready());
            assert_eq!(left(), Some(0));
            assert!(consume.as_mut().poll(&mut cx).is_pending());
            assert_eq!(wakes.0.load(SeqCst), 1);
        });
        // The next poll has a fresh budget.
        budget(|| {
            assert!(consume.as_mut().poll(&mut cx).is_ready());
            assert_eq!(left(), Some(BUDGET - 1));
        });
    }
}
