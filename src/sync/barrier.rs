//! `Barrier`: tasks wait until `n` of them have arrived, then all go on.
//!
//! One mutex guards the count of arrivals and the waiters of the current
//! generation (`generation.rs`); the `n`-th arrival ends the generation,
//! which releases the others and starts the next one, so the barrier can
//! be used again at once.

use super::generation::{Generation, Place};
use crate::loom::{Mutex, lock};
use crate::task::coop;
use std::fmt;
use std::future::poll_fn;
use std::task::{Context, Poll};

/// Lets `n` tasks wait for each other: each [`wait`](Barrier::wait)s, and
/// all are released when the `n`-th arrives. Reusable: the next `n`
/// arrivals form the next generation.
///
/// Exactly one task of each generation is told it is the leader
/// ([`BarrierWaitResult::is_leader`]): the one whose arrival completed it.
///
/// Works in any task of any runtime and under any executor: it only
/// stores and wakes wakers.
///
/// # Memory ordering
/// Everything each task did before its `wait` happens-before every task
/// of the same generation returns from `wait`.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use bobbin::sync::Barrier;
/// # bobbin::block_on(async {
/// let barrier = Arc::new(Barrier::new(10));
/// let tasks: Vec<_> = (0..10)
///     .map(|_| {
///         let barrier = barrier.clone();
///         bobbin::spawn(async move { barrier.wait().await.is_leader() })
///     })
///     .collect();
/// let mut leaders = 0;
/// for task in tasks {
///     leaders += task.await.unwrap() as usize;
/// }
/// assert_eq!(leaders, 1);
/// # });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

struct State {
    /// Arrivals in the current generation.
    arrived: usize,
    waiters: Generation,
}

/// What [`Barrier::wait`] returns.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let barrier = bobbin::sync::Barrier::new(1);
/// assert!(barrier.wait().await.is_leader());
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one task of each generation: the last to arrive.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let barrier = bobbin::sync::Barrier::new(1);
    /// assert!(barrier.wait().await.is_leader());
    /// # });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for groups of `n` tasks. `n == 0` behaves as `n == 1`:
    /// every `wait` completes at once, as the leader.
    ///
    /// # Examples
    /// ```
    /// let barrier = bobbin::sync::Barrier::new(3);
    /// ```
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                waiters: Generation::new(),
            }),
        }
    }

    /// Arrives and waits until `n` tasks have arrived in this generation.
    ///
    /// # Cancel safety
    /// If the future is dropped before its generation completes, its
    /// arrival is withdrawn: the generation then needs another task to
    /// arrive. Dropped after the generation completed, it changes nothing
    /// (the generation has gone on without it).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// # bobbin::block_on(async {
    /// let barrier = Arc::new(bobbin::sync::Barrier::new(2));
    /// let other = {
    ///     let barrier = barrier.clone();
    ///     bobbin::spawn(async move { barrier.wait().await.is_leader() })
    /// };
    /// let me = barrier.wait().await.is_leader();
    /// assert!(me != other.await.unwrap(), "exactly one leader");
    /// # });
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        let mut arrival = Arrival {
            barrier: self,
            place: None,
            done: false,
        };
        poll_fn(|cx| arrival.poll(cx)).await
    }
}

/// One task's arrival: withdrawn if dropped before its generation ends.
struct Arrival<'a> {
    barrier: &'a Barrier,
    place: Option<Place>,
    done: bool,
}

impl Arrival<'_> {
    /// Spends a unit of the task's budget when it completes; with the
    /// budget spent it returns `Pending` before arriving (or, once arrived,
    /// before looking at its generation).
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        coop::poll_budgeted(cx, |cx| self.poll_arrival(cx))
    }

    fn poll_arrival(&mut self, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let mut state = lock(&self.barrier.state);
        match self.place {
            Some(place) if state.waiters.has_ended(place) => {
                self.done = true;
                Poll::Ready(BarrierWaitResult(false))
            }
            Some(_) => {
                state.waiters.wait(&mut self.place, cx.waker());
                Poll::Pending
            }
            None => {
                state.arrived += 1;
                if state.arrived < self.barrier.n {
                    state.waiters.wait(&mut self.place, cx.waker());
                    return Poll::Pending;
                }
                state.arrived = 0;
                let wake = state.waiters.end();
                drop(state);
                wake.wake_all();
                self.done = true;
                Poll::Ready(BarrierWaitResult(true))
            }
        }
    }
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        if let (Some(place), false) = (self.place, self.done) {
            let mut state = lock(&self.barrier.state);
            if state.waiters.leave(place) {
                state.arrived -= 1;
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrived = lock(&self.state).arrived;
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &arrived)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::Waker;

    #[test]
    fn a_dropped_wait_withdraws_its_arrival() {
        let barrier = Barrier::new(2);
        let mut cx = Context::from_waker(Waker::noop());
        {
            let mut gone = pin!(barrier.wait());
            assert!(gone.as_mut().poll(&mut cx).is_pending());
        }
        let mut first = pin!(barrier.wait());
        assert!(
            first.as_mut().poll(&mut cx).is_pending(),
            "the dropped arrival does not count"
        );
        let mut second = pin!(barrier.wait());
        assert_eq!(
            second.as_mut().poll(&mut cx),
            Poll::Ready(BarrierWaitResult(true))
        );
        assert_eq!(
            first.as_mut().poll(&mut cx),
            Poll::Ready(BarrierWaitResult(false))
        );
        let mut next = pin!(barrier.wait());
        assert!(
            next.as_mut().poll(&mut cx).is_pending(),
            "a new generation began"
        );
    }
}
