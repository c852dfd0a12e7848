//! A FIFO of tasks waiting on one side of a channel, with entries that the
//! waiting future removes when dropped.
//!
//! Why keyed entries in a slab plus an order queue: a future given up on (a
//! lost `select!`) must leave nothing behind, and one that was woken but is
//! dropped before it used its wake-up must pass it on, or the next waiter
//! would sleep through a value. The order queue gives FIFO order: the
//! oldest waiter is woken first.
//!
//! Turns. Values are not handed to a woken waiter (the fast path stays a
//! lock-free queue operation), so a wake-up is a *turn*: the woken waiter
//! may take a value (or a free slot), and `woken` counts the turns handed
//! out and not yet used. A future without a turn (a newcomer, while others
//! wait) takes only what exceeds the turns outstanding; so waiters are
//! served in the order they came, and a woken waiter that still finds
//! nothing (a racing newcomer read a stale count) waits again at the front,
//! keeping its place.
//!
//! Handle-held waits (a `Receiver` polled as a `Stream`, a `Sender` as a
//! `Sink`) take no turns: their wait lives in the handle, which may never
//! be polled again (a `next()` that lost a `select!`), so a turn handed to
//! one could be held forever while a value sits unclaimed. Waking such an
//! entry removes it and goes on to wake the next entry that takes turns;
//! at its next poll the handle is a newcomer.
//!
//! A woken future claims its turn at its next poll ([`Waiters::poll_turn`],
//! one lock): its entry leaves the slab then, but it still counts in
//! `woken` and `entries` until it has used the turn in that same poll
//! ([`Waiters::turn_used`], no lock), so newcomers keep leaving it its
//! value meanwhile. If it finds nothing, it registers again at the front.
//!
//! Invariants (the slab and order are written under the lock; the counts
//! are read without it by the fast paths): `waiting` counts the entries
//! not yet woken, `woken` the woken ones and the claimed turns not yet
//! used, `entries` both; every entry not yet woken
//! has its `(key, id)` in `order`; an `order` element whose entry is gone,
//! has another id or was woken is stale and skipped. Stale elements are
//! compacted away once they outnumber the live ones, so a loop that waits
//! and gives up (a `select!` with a `default`) leaves nothing growing.

use crate::loom::{AtomicUsize, Mutex, lock};
use slab::Slab;
use std::collections::VecDeque;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::Waker;

/// One side's waiting tasks.
pub(crate) struct Waiters {
    state: Mutex<State>,
    /// How many entries wait (not yet woken): the other side's check.
    waiting: AtomicUsize,
    /// How many entries were woken and are not done: turns outstanding.
    woken: AtomicUsize,
    /// How many entries exist, woken or not: a newcomer that sees any
    /// queues behind them instead of barging in.
    entries: AtomicUsize,
}

struct State {
    entries: Slab<Entry>,
    order: VecDeque<(usize, u64)>,
    next_id: u64,
}

struct Entry {
    id: u64,
    waker: Option<Waker>,
    /// False for a handle-held wait (see the module docs).
    takes_turns: bool,
}

/// Where a waiting future stands at its poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// It was woken and now holds the turn: its entry is gone, and it must
    /// call [`Waiters::turn_used`] before this poll returns.
    Claimed,
    /// It still waits; its waker was refreshed.
    Waiting,
    /// Its entry is gone (it never waited, or was removed).
    Gone,
}

/// A future's place among the waiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitKey {
    key: usize,
    id: u64,
}

impl Waiters {
    pub(crate) fn new() -> Waiters {
        Waiters {
            state: Mutex::new(State {
                entries: Slab::new(),
                order: VecDeque::new(),
                next_id: 0,
            }),
            waiting: AtomicUsize::new(0),
            woken: AtomicUsize::new(0),
            entries: AtomicUsize::new(0),
        }
    }

    /// True if some future holds an entry (waiting or woken and not yet
    /// done): a newcomer that sees none may go ahead. Read without the
    /// lock.
    pub(crate) fn has_entries(&self) -> bool {
        self.entries.load(Relaxed) > 0
    }

    /// Turns handed out and not yet used: what a future without a turn
    /// must leave for the woken ones. Read without the lock, after the
    /// caller's fence.
    pub(crate) fn woken(&self) -> usize {
        self.woken.load(SeqCst)
    }

    /// At a poll of a future that holds `key`: claims its turn if it was
    /// woken, else refreshes its waker.
    pub(crate) fn poll_turn(&self, key: WaitKey, waker: &Waker) -> Turn {
        let mut state = lock(&self.state);
        let Some(entry) = state
            .entries
            .get_mut(key.key)
            .filter(|entry| entry.id == key.id)
        else {
            return Turn::Gone;
        };
        match &mut entry.waker {
            None => {
                // The counts keep the turn until `turn_used`.
                state.entries.remove(key.key);
                state.compact();
                Turn::Claimed
            }
            Some(stored) => {
                if !stored.will_wake(waker) {
                    *stored = waker.clone();
                }
                Turn::Waiting
            }
        }
    }

    /// A turn claimed by [`poll_turn`](Self::poll_turn) is used (the
    /// future took what it was woken for, or registered again).
    pub(crate) fn turn_used(&self) {
        self.woken.fetch_sub(1, SeqCst);
        self.entries.fetch_sub(1, Relaxed);
    }

    /// True if some task waits (a hint without the lock; the caller has
    /// made its change visible and run a SeqCst fence first).
    pub(crate) fn is_waiting(&self) -> bool {
        // SeqCst: the second half of "change, fence, look" against a
        // waiter's "register (SeqCst), fence, look again".
        self.waiting.load(SeqCst) > 0
    }

    /// Registers a new wait with `waker`: at the back, or at the front
    /// for a future that claimed a turn and found nothing (it keeps its
    /// place; it calls `turn_used` after this). `takes_turns` is false for
    /// a handle-held wait. Returns the key to keep.
    pub(crate) fn register(&self, waker: &Waker, front: bool, takes_turns: bool) -> WaitKey {
        let mut state = lock(&self.state);
        let id = state.next_id;
        state.next_id += 1;
        let key = state.entries.insert(Entry {
            id,
            waker: Some(waker.clone()),
            takes_turns,
        });
        self.entries.fetch_add(1, Relaxed);
        if front {
            state.order.push_front((key, id));
        } else {
            state.order.push_back((key, id));
        }
        // SeqCst: see `is_waiting`.
        self.waiting.fetch_add(1, SeqCst);
        WaitKey { key, id }
    }

    /// Hands a turn to the oldest waiting future that takes turns, waking
    /// (and dropping the entries of) the handle-held waits queued before
    /// it; false if no future took the turn.
    pub(crate) fn notify_one(&self) -> bool {
        let mut handles = Vec::new();
        let waker = {
            let mut state = lock(&self.state);
            loop {
                let Some((key, id)) = state.order.pop_front() else {
                    break None;
                };
                let Some(entry) = state.entries.get_mut(key) else {
                    continue;
                };
                if entry.id != id {
                    continue;
                }
                let Some(waker) = entry.waker.take() else {
                    continue;
                };
                self.waiting.fetch_sub(1, SeqCst);
                if entry.takes_turns {
                    self.woken.fetch_add(1, SeqCst);
                    break Some(waker);
                }
                state.entries.remove(key);
                self.entries.fetch_sub(1, Relaxed);
                handles.push(waker);
            }
        };
        for handle in handles {
            handle.wake();
        }
        match waker {
            Some(waker) => {
                waker.wake();
                true
            }
            None => false,
        }
    }

    /// Wakes every waiting task (close).
    pub(crate) fn notify_all(&self) {
        let wakers: Vec<Waker> = {
            let mut state = lock(&self.state);
            state.order.clear();
            let mut wakers = Vec::new();
            let mut turns = 0;
            state.entries.retain(|_, entry| {
                let Some(waker) = entry.waker.take() else {
                    return true;
                };
                wakers.push(waker);
                // A woken future holds a turn, as after `notify_one`; a
                // handle-held wait is dropped.
                turns += usize::from(entry.takes_turns);
                entry.takes_turns
            });
            self.woken.fetch_add(turns, SeqCst);
            self.waiting.fetch_sub(wakers.len(), SeqCst);
            self.entries.fetch_sub(wakers.len() - turns, Relaxed);
            wakers
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// The future holding `key` is done (it got what it waited for) or
    /// dropped. If it had been woken and `pass_on` is set, the wake-up goes
    /// to the next waiter: whatever the woken task was meant to take is
    /// still there for someone.
    pub(crate) fn remove(&self, key: WaitKey, pass_on: bool) {
        let was_woken = {
            let mut state = lock(&self.state);
            match state.entries.get(key.key) {
                Some(entry) if entry.id == key.id => {
                    let was_woken = entry.waker.is_none();
                    if was_woken {
                        self.woken.fetch_sub(1, SeqCst);
                    } else {
                        self.waiting.fetch_sub(1, SeqCst);
                    }
                    state.entries.remove(key.key);
                    self.entries.fetch_sub(1, Relaxed);
                    state.compact();
                    was_woken
                }
                _ => false,
            }
        };
        if was_woken && pass_on {
            self.notify_one();
        }
    }
}

impl State {
    /// Drops stale `order` elements once they outnumber the live ones
    /// (amortized O(1) per removal).
    fn compact(&mut self) {
        if self.order.len() > 2 * self.entries.len() + 32 {
            let entries = &self.entries;
            self.order.retain(|&(key, id)| {
                entries
                    .get(key)
                    .is_some_and(|entry| entry.id == id && entry.waker.is_some())
            });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize as StdAtomicUsize;
    use std::task::Wake;

    struct Count(StdAtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(StdAtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn oldest_first_and_a_requeued_waiter_keeps_its_turn() {
        let waiters = Waiters::new();
        let (first, first_waker) = counter();
        let (second, second_waker) = counter();
        let a = waiters.register(&first_waker, false, true);
        let _b = waiters.register(&second_waker, false, true);
        assert!(waiters.notify_one());
        assert_eq!((first.0.load(SeqCst), second.0.load(SeqCst)), (1, 0));
        // `a` claims its turn, finds nothing and waits again: before `b`.
        assert_eq!(waiters.poll_turn(a, &first_waker), Turn::Claimed);
        assert_eq!((waiters.woken(), waiters.has_entries()), (1, true));
        let a = waiters.register(&first_waker, true, true);
        waiters.turn_used();
        assert_eq!(waiters.woken(), 0);
        assert!(waiters.notify_one());
        assert_eq!((first.0.load(SeqCst), second.0.load(SeqCst)), (2, 0));
        waiters.remove(a, false);
        assert!(waiters.notify_one());
        assert_eq!(second.0.load(SeqCst), 1);
        assert!(!waiters.notify_one());
    }

    #[test]
    fn a_woken_waiter_dropped_passes_the_wake_on() {
        let waiters = Waiters::new();
        let (_first, first_waker) = counter();
        let (second, second_waker) = counter();
        let a = waiters.register(&first_waker, false, true);
        let _b = waiters.register(&second_waker, false, true);
        waiters.notify_one();
        waiters.remove(a, true);
        assert_eq!(
            second.0.load(SeqCst),
            1,
            "the wake-up went on to the next waiter"
        );
        assert!(!waiters.is_waiting());
    }

    #[test]
    fn waiting_and_giving_up_in_a_loop_leaves_nothing_growing() {
        let waiters = Waiters::new();
        let (_count, waker) = counter();
        let _stays = waiters.register(&waker, false, true);
        for _ in 0..10_000 {
            let key = waiters.register(&waker, false, true);
            waiters.remove(key, true);
        }
        assert!(lock(&waiters.state).order.len() <= 2 + 32);
        assert!(waiters.has_entries());
    }
}
