//! A FIFO of tasks waiting on one side of a channel, with entries that the
//! waiting future removes when dropped.
//!
//! Why keyed entries in the crate's wait list (`task/wait_list.rs`, a slab
//! linked by index: O(1) push, unlink and remove, FIFO): a future given up
//! on (a lost `select!`) must leave nothing behind, and one that was woken
//! but is dropped before it used its wake-up must pass it on, or the next
//! waiter would sleep through a value. The oldest waiter is woken first.
//!
//! Turns. Values are not handed to a woken waiter (the fast path stays a
//! lock-free queue operation), so a wake-up is a *turn*: the woken waiter
//! may take a value (or a free slot), and `woken` counts the turns handed
//! out and not yet used. A future without a turn (a newcomer, while others
//! wait) takes only what exceeds the turns outstanding, unless it barges
//! (below); so waiters are woken in the order they came, and a woken waiter
//! that still finds nothing (a newcomer barged in, another woken waiter was
//! polled first, or a racing newcomer read a stale count) waits again at
//! the front, keeping its place.
//!
//! Barging, within a bound. Turns alone cost a task switch a value under
//! load: once a channel is full, each freed slot is owed to a woken sender
//! that has yet to be polled to fill it, while the senders that are running
//! (and would fill it at once) must leave it and park in turn: a lock
//! convoy, with the slots for the lock. So a newcomer arriving while no
//! future waits in line unwoken takes what it finds, even what is owed to
//! a woken future that has not come back yet ([`Waiters::lets_newcomers_in`]).
//! A barging newcomer keeps that right for the whole of its poll, through
//! its registration and the retry after it. The woken future, finding
//! nothing, is *passed over*: it waits again at the front, which closes the
//! door to newcomers until it is woken again. A future passed over again
//! [`STARVING`] or more after it was first passed over makes its side
//! *strict* until it is done: newcomers then take only what exceeds the
//! turns outstanding, whoever waits. Go's `sync.Mutex` bounds its barging
//! in a similar way (1 ms from the start of the wait, then hand-off); here
//! the clock starts at the first pass-over, because a future waiting its
//! turn behind others is not being passed over. So waiters are woken in
//! the order they came; a newcomer may go ahead only of futures already
//! woken and not yet back, and of each only until it has been passed over
//! across a millisecond. Not covered: a handle-held wait (below) never
//! claims a turn, so it is never counted as passed over; and a starving
//! future that is kept but never polled again (a stale turn, see
//! [`Waiters::revoke_turn`]) keeps its side strict for as long as it lives,
//! which is the behaviour before barging, not a hang.
//!
//! Handle-held waits (a `Receiver` polled as a `Stream`, a `Sender` as a
//! `Sink`) take no turns: their wait lives in the handle, which may never
//! be polled again (a `next()` that lost a `select!`), so a turn handed to
//! one could be held forever while a value sits unclaimed. Waking such an
//! entry dismisses it (it leaves the line and the counts) and goes on to
//! wake the next entry that takes turns; at its next poll the handle frees
//! its entry and is a newcomer.
//!
//! A woken future claims its turn at its next poll ([`Waiters::poll_turn`],
//! one lock): it frees its entry then, but it still counts in `woken` and
//! `entries` until it has used the turn in that same poll
//! ([`Waiters::turn_used`], no lock), so newcomers that do not barge keep
//! leaving it its value meanwhile. If it finds nothing, it registers again
//! at the front.
//!
//! Invariants (the list is written under the lock; the counts are read
//! without it by the fast paths): an entry is *waiting* while it is queued
//! in the list, *woken* once a turn-taking entry was taken out of line,
//! and *dismissed* once a handle-held one was; only the future holding a
//! key frees its entry, so a key is never reused under its holder.
//! `waiting` counts the waiting entries, `woken` the woken ones and the
//! claimed turns not yet used, `entries` both; dismissed entries count
//! nowhere; so `waiting` never exceeds `entries`. `starving` counts the
//! futures passed over across [`STARVING`] that are not done yet (each
//! counts itself once, and takes itself off when it completes or is
//! dropped). A loop that waits and gives up (a `select!` with a `default`)
//! frees its entry each time, so nothing grows.

use crate::loom::{AtomicUsize, Mutex, lock};
use crate::task::wait_list::{WaitList, set_waker};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::Waker;
use std::time::{Duration, Instant};

/// How long after its first pass-over a woken future may be passed over
/// again before its side turns strict (see "Barging" in the module docs):
/// Go's starvation bound for `sync.Mutex`. Under loom, where time does not
/// pass, the first pass-over does it, so the models run both modes.
pub(crate) const STARVING: Duration = if cfg!(loom) {
    Duration::ZERO
} else {
    Duration::from_millis(1)
};

/// One side's waiting tasks.
pub(crate) struct Waiters {
    state: Mutex<State>,
    /// How many entries wait (not yet woken): the other side's check.
    waiting: AtomicUsize,
    /// How many entries were woken and are not done: turns outstanding.
    woken: AtomicUsize,
    /// How many entries exist, woken or not: a newcomer that does not barge
    /// and sees any queues behind them.
    entries: AtomicUsize,
    /// How many operations were passed over across [`STARVING`] and are
    /// not done: while any are, the side is strict.
    starving: AtomicUsize,
}

/// One operation's record of being passed over: woken, it found what it
/// was woken for taken by a newcomer (see "Barging" in the module docs).
#[derive(Debug, Default)]
pub(crate) struct PassedOver {
    /// When it was first passed over.
    since: Option<Instant>,
    /// It counts in its side's `starving`.
    starving: bool,
}

struct State {
    list: WaitList<Entry>,
    /// Turns taken back from woken futures that let them go stale
    /// (`revoke_turn`); the next woken futures to come back are newcomers
    /// instead (one each).
    revoked: usize,
    /// Turns handed out whose futures have not come back for them yet
    /// (woken entries still in the slab). Only these can be taken back: a
    /// claimed turn is being used by a poll in progress.
    unclaimed: usize,
    /// Counts the turns handed out, claimed and taken back: an operation
    /// waiting behind turns sees from it whether any moved while it
    /// waited. A plain count under the lock: only that slow path reads it.
    turn_events: usize,
}

struct Entry {
    /// Taken when the entry leaves the line (woken or dismissed).
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
    /// It has no turn: it never waited, or it was a handle-held wait that
    /// was dismissed (its entry is freed now).
    Gone,
}

/// A future's place among the waiters: its entry's key, valid until the
/// future frees it (`poll_turn` that returns `Claimed` or `Gone`, or
/// `remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitKey(usize);

impl Waiters {
    pub(crate) fn new() -> Waiters {
        Waiters {
            state: Mutex::new(State {
                list: WaitList::new(),
                revoked: 0,
                unclaimed: 0,
                turn_events: 0,
            }),
            waiting: AtomicUsize::new(0),
            woken: AtomicUsize::new(0),
            entries: AtomicUsize::new(0),
            starving: AtomicUsize::new(0),
        }
    }

    /// True if a newcomer may take what it finds, owed to woken futures
    /// or not: no future waits in line unwoken, and none starves (see
    /// "Barging" in the module docs). Two loads without the lock, a hint:
    /// a newcomer that reads them stale takes one value (or slot) too many
    /// or too few, and either way tries the queue, registers and tries
    /// again as always, so no wake-up depends on them.
    pub(crate) fn lets_newcomers_in(&self) -> bool {
        self.starving.load(Relaxed) == 0 && self.waiting.load(Relaxed) == 0
    }

    /// [`lets_newcomers_in`](Self::lets_newcomers_in) for a caller that
    /// found no entries, so nobody waits (`waiting` never exceeds
    /// `entries`): one load. The entry count was a hint too: read stale, it
    /// changes who goes first, never a wake-up.
    pub(crate) fn lets_newcomers_in_when_empty(&self) -> bool {
        self.starving.load(Relaxed) == 0
    }

    /// A woken operation found nothing (a newcomer took it): passed over
    /// again [`STARVING`] or more after the first time, it turns its side
    /// strict until it is done.
    pub(crate) fn passed_over(&self, passed: &mut PassedOver) {
        if passed.starving {
            return;
        }
        let now = Instant::now();
        let since = *passed.since.get_or_insert(now);
        if now.duration_since(since) >= STARVING {
            passed.starving = true;
            self.starving.fetch_add(1, Relaxed);
        }
    }

    /// The operation is done or given up: it stops counting as starving.
    /// One test of the operation's own record unless it was passed over.
    #[inline]
    pub(crate) fn served(&self, passed: &mut PassedOver) {
        if passed.since.is_some() {
            self.served_after_pass_over(passed);
        }
    }

    #[cold]
    fn served_after_pass_over(&self, passed: &mut PassedOver) {
        if std::mem::take(&mut passed.starving) {
            self.starving.fetch_sub(1, Relaxed);
        }
        passed.since = None;
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
        if state.list.is_linked(key.0) {
            set_waker(&mut state.list.get_mut(key.0).waker, waker);
            return Turn::Waiting;
        }
        // Out of line: woken (the counts keep the turn until `turn_used`)
        // or dismissed (it counts nowhere already). Either way its key is
        // freed now.
        if !state.list.remove(key.0).takes_turns {
            return Turn::Gone;
        }
        state.unclaimed -= 1;
        if state.revoked > 0 {
            // A turn was taken back: this future's, or one it counts as.
            state.revoked -= 1;
            self.entries.fetch_sub(1, Relaxed);
            return Turn::Gone;
        }
        state.turn_events += 1;
        Turn::Claimed
    }

    /// A turn claimed by [`poll_turn`](Self::poll_turn) is used (the
    /// future took what it was woken for, or registered again).
    pub(crate) fn turn_used(&self) {
        let turns = self.woken.fetch_sub(1, SeqCst);
        debug_assert!(turns > 0, "a turn used that was not outstanding");
        self.entries.fetch_sub(1, Relaxed);
    }

    /// How many turns were handed out, claimed or taken back so far.
    pub(crate) fn turn_events(&self) -> usize {
        lock(&self.state).turn_events
    }

    /// Takes back an outstanding turn if no turn moved since `seen` (a
    /// count from [`turn_events`](Self::turn_events)): the caller watched
    /// a value (or slot) sit owed long enough to call the turn stale (a
    /// woken future kept but never polled again). The value becomes free
    /// for whoever looks next. True if a turn was taken back.
    ///
    /// Which future loses its turn is not tracked: the next woken future
    /// to come back (normally the stale one, which never does) is counted
    /// a newcomer instead.
    pub(crate) fn revoke_turn(&self, seen: usize) -> bool {
        let mut state = lock(&self.state);
        // Only a turn nobody came back for: one claimed is in use, and its
        // `turn_used` will give it back.
        if state.turn_events != seen || state.unclaimed <= state.revoked {
            return false;
        }
        // SeqCst: as every change of `woken`, read by the fast paths after
        // their fence.
        self.woken.fetch_sub(1, SeqCst);
        state.revoked += 1;
        state.turn_events += 1;
        true
    }

    /// True if some task waits (a hint without the lock; the caller has
    /// made its change first: the queue's SeqCst compare-exchange, or a
    /// change and a SeqCst fence, `chan.rs`).
    pub(crate) fn is_waiting(&self) -> bool {
        // SeqCst: the second half of "change (SeqCst), look" against a
        // waiter's "register (SeqCst), fence, look again".
        self.waiting.load(SeqCst) > 0
    }

    /// Registers a new wait with `waker`: at the back, or at the front
    /// for a future that claimed a turn and found nothing (it keeps its
    /// place; it calls `turn_used` after this). `takes_turns` is false for
    /// a handle-held wait. Returns the key to keep.
    pub(crate) fn register(&self, waker: &Waker, front: bool, takes_turns: bool) -> WaitKey {
        let mut state = lock(&self.state);
        let entry = Entry {
            waker: Some(waker.clone()),
            takes_turns,
        };
        let key = if front {
            state.list.push_front(entry)
        } else {
            state.list.push_back(entry)
        };
        self.entries.fetch_add(1, Relaxed);
        // SeqCst: see `is_waiting`.
        self.waiting.fetch_add(1, SeqCst);
        WaitKey(key)
    }

    /// Hands a turn to the oldest waiting future that takes turns, waking
    /// (and dropping the entries of) the handle-held waits queued before
    /// it; false if no future took the turn.
    pub(crate) fn notify_one(&self) -> bool {
        let mut handles = Vec::new();
        let waker = {
            let mut state = lock(&self.state);
            loop {
                let Some(key) = state.list.pop_front() else {
                    break None;
                };
                let entry = state.list.get_mut(key);
                let waker = entry.waker.take();
                self.waiting.fetch_sub(1, SeqCst);
                if entry.takes_turns {
                    self.woken.fetch_add(1, SeqCst);
                    state.unclaimed += 1;
                    state.turn_events += 1;
                    break waker;
                }
                // Dismissed: its handle frees the entry at its next poll.
                self.entries.fetch_sub(1, Relaxed);
                handles.extend(waker);
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
            let mut wakers = Vec::new();
            let mut turns = 0;
            state.list.drain(|entry| {
                wakers.extend(entry.waker.take());
                // A woken future holds a turn, as after `notify_one`; a
                // handle-held wait is dismissed.
                turns += usize::from(entry.takes_turns);
            });
            self.woken.fetch_add(turns, SeqCst);
            state.unclaimed += turns;
            state.turn_events += 1;
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
            let was_waiting = state.list.is_linked(key.0);
            let entry = state.list.remove(key.0);
            if was_waiting {
                self.waiting.fetch_sub(1, SeqCst);
                self.entries.fetch_sub(1, Relaxed);
                false
            } else if entry.takes_turns && state.revoked > 0 {
                // Its turn (or one it counts as) was taken back: nothing
                // to pass on.
                state.unclaimed -= 1;
                state.revoked -= 1;
                self.entries.fetch_sub(1, Relaxed);
                false
            } else if entry.takes_turns {
                state.unclaimed -= 1;
                self.woken.fetch_sub(1, SeqCst);
                self.entries.fetch_sub(1, Relaxed);
                true
            } else {
                // Dismissed: it counted nowhere any more.
                false
            }
        };
        if was_woken && pass_on {
            self.notify_one();
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
    fn only_a_turn_nobody_came_back_for_can_be_taken_back() {
        let waiters = Waiters::new();
        let (_count, waker) = counter();
        let a = waiters.register(&waker, false, true);
        let b = waiters.register(&waker, false, true);
        waiters.notify_one();
        // `a` claimed its turn and is using it (its poll is in progress).
        assert_eq!(waiters.poll_turn(a, &waker), Turn::Claimed);
        assert!(
            !waiters.revoke_turn(waiters.turn_events()),
            "a claimed turn is in use"
        );
        waiters.turn_used();
        assert_eq!(waiters.woken(), 0);
        // `b` is woken and does not come back: its turn can be taken.
        waiters.notify_one();
        assert!(waiters.revoke_turn(waiters.turn_events()));
        assert_eq!(waiters.woken(), 0, "the value is free for anyone");
        assert!(
            !waiters.revoke_turn(waiters.turn_events()),
            "one turn, taken back once"
        );
        // If `b` comes back after all, it is a newcomer.
        assert_eq!(waiters.poll_turn(b, &waker), Turn::Gone);
        assert!(!waiters.has_entries());
    }

    #[test]
    fn newcomers_are_let_in_until_one_waits_unwoken_or_one_starves() {
        let waiters = Waiters::new();
        let (_count, waker) = counter();
        assert!(waiters.lets_newcomers_in());
        let a = waiters.register(&waker, false, true);
        assert!(!waiters.lets_newcomers_in(), "`a` waits in line, unwoken");
        waiters.notify_one();
        assert!(waiters.lets_newcomers_in(), "`a` is woken, not back yet");
        // `a` comes back, finds its slot taken, and waits at the front.
        assert_eq!(waiters.poll_turn(a, &waker), Turn::Claimed);
        let mut passed = PassedOver::default();
        waiters.passed_over(&mut passed);
        let a = waiters.register(&waker, true, true);
        waiters.turn_used();
        assert!(!waiters.lets_newcomers_in());
        waiters.notify_one();
        assert!(
            waiters.lets_newcomers_in(),
            "a first pass-over never makes the side strict"
        );
        // Passed over again, well after the first time: strict.
        std::thread::sleep(2 * STARVING);
        assert_eq!(waiters.poll_turn(a, &waker), Turn::Claimed);
        waiters.passed_over(&mut passed);
        let a = waiters.register(&waker, true, true);
        waiters.turn_used();
        waiters.notify_one();
        assert!(!waiters.lets_newcomers_in(), "`a` starves");
        // Served (or dropped): the side lets newcomers in again.
        assert_eq!(waiters.poll_turn(a, &waker), Turn::Claimed);
        waiters.turn_used();
        waiters.served(&mut passed);
        assert!(waiters.lets_newcomers_in());
        waiters.served(&mut passed);
        assert_eq!(waiters.starving.load(SeqCst), 0, "served counts once");
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
        assert_eq!(
            lock(&waiters.state).list.slots(),
            1,
            "only `_stays` is left"
        );
        assert!(waiters.has_entries());
    }
}
