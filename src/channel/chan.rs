//! The state one channel's handles share, and the operations on it.
//!
//! Two flavors. A buffered channel (bounded with a capacity, or unbounded)
//! keeps values in a lock-free `ConcurrentQueue`, whose close mark lives in
//! the same word as its tail: once `close` returns, no push can succeed, so
//! "every value a send accepted is received or dropped with the channel,
//! never lost between a send and a close" holds without a lock. Tasks that
//! must wait (a receiver on an empty queue, a sender on a full one) wait in
//! [`Waiters`]. A rendezvous channel (capacity 0) matches senders with
//! receivers under one lock: see `rendezvous.rs`.
//!
//! The no-lost-wake-up argument for the buffered flavor is Dekker's: a
//! waiter registers (a SeqCst increment of `waiting`), runs a SeqCst fence
//! and tries again; the other side makes its change (push or pop) and reads
//! `waiting` with a SeqCst load. Either the retry sees the change or the
//! other side sees the waiter and wakes it:
//!
//! - **Queues of two slots or more, and unbounded ones: no fence on the
//!   changing side.** concurrent-queue (2.5) makes each push and pop move
//!   its end of the queue (`tail`, `head`) with a SeqCst compare-exchange,
//!   before it writes the slot. A retry that finds the slot not yet written
//!   reads that end (after the waiter's fence), and a retry that finds the
//!   end moved waits for the slot. If the retry read the end before the
//!   move, then by C++20's [atomics.order] p4.3 (a SeqCst fence that happens before a read which
//!   is coherence-ordered before a SeqCst write precedes that write in the
//!   single order S) the waiter's fence precedes the move in S, so its
//!   increment does, and the side's SeqCst load of `waiting`, which comes
//!   after its move, sees the increment. A fence there would wait for the
//!   slot's stores to drain; skipping it is the bounded rows' largest single
//!   saving after the budget's renewal (docs/benchmarks.md, "The fence after
//!   a change").
//! - **The one-slot queue (capacity 1) fences.** Its pop holds the slot
//!   locked from its compare-exchange until a Release unlock, and a push
//!   that meets the lock reports the queue full without retrying, so the
//!   change the waiter must see is the unlock, which is not SeqCst: the
//!   side runs a SeqCst fence after it, and of the two fences one comes
//!   first in S.
//! - **Under loom every buffered queue fences.** loom regards SeqCst
//!   accesses as AcqRel (its README, "Unsupported features"), so it cannot
//!   see the order S that the fence-free path rests on: run without the
//!   fence, the two-slot model of `tests.rs` reports a deadlock that C++20
//!   rules out by the argument above. The models check the fenced
//!   protocol, which is stronger; the fence-free path rests on that
//!   argument and on concurrent-queue's orderings (Cargo.toml says so where
//!   it names the crate), and the executor tests' contention rounds
//!   (`channel_semantics.rs`) run it.

use super::error::{RecvError, SendError, TryRecvError, TrySendError};
use super::rendezvous::{ParkKey, Rendezvous};
use super::waiters::{PassedOver, Turn, WaitKey, Waiters};
use crate::loom::{AtomicUsize, fence};
use crate::task::{clock, coop};
use concurrent_queue::{ConcurrentQueue, PopError, PushError};
use crossbeam_utils::CachePadded;
use std::sync::atomic::Ordering::{AcqRel, Relaxed, SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

/// One channel: its values, its waiting tasks and its handle counts.
pub(crate) struct Chan<T> {
    flavor: Flavor<T>,
    /// Live `Sender`s; the last one to go closes the channel.
    senders: AtomicUsize,
    /// Live `Receiver`s; the last one to go closes the channel.
    receivers: AtomicUsize,
}

// One per channel, inside its `Arc`: boxing the larger variant would add a
// pointer chase to every operation to save a few hundred bytes per channel.
#[allow(clippy::large_enum_variant)]
enum Flavor<T> {
    Buffered(Buffered<T>),
    Rendezvous(Rendezvous<T>),
}

/// Each side's waiters on their own cache lines: receivers register while
/// senders read `receivers.waiting` after every push, and the other way
/// round; sharing a line would make the two sides' traffic collide.
struct Buffered<T> {
    queue: ConcurrentQueue<T>,
    /// Whether a push or pop runs a SeqCst fence before it reads the other
    /// side's `waiting`: only for the one-slot queue, and under loom (the
    /// module's docs).
    fences: bool,
    /// Receivers waiting for a value.
    receivers: CachePadded<Waiters>,
    /// Senders waiting for room (never used by an unbounded channel).
    senders: CachePadded<Waiters>,
}

/// Where one send stands: the value not yet sent, and its place in line.
pub(crate) struct SendOp<T> {
    value: Option<T>,
    wait: Option<WaitKey>,
    parked: Option<ParkKey>,
    /// False for the `Sink`'s send, held by the handle (see `waiters.rs`).
    takes_turns: bool,
    /// Since when it waits behind turns that stand still (`waits_behind_turns`).
    behind: Option<(usize, u32)>,
    /// How long newcomers have gone ahead of it (see `waiters.rs`).
    passed: PassedOver,
}

/// Where one receive stands: its place in line.
pub(crate) struct RecvOp {
    wait: Option<WaitKey>,
    parked: Option<ParkKey>,
    /// False for the `Stream`'s receive, held by the handle.
    takes_turns: bool,
    /// Since when it waits behind turns that stand still (`waits_behind_turns`).
    behind: Option<(usize, u32)>,
    /// How long newcomers have gone ahead of it (see `waiters.rs`).
    passed: PassedOver,
}

impl<T> SendOp<T> {
    /// The send of a future, which passes its turn on if dropped.
    pub(crate) fn new(value: T) -> SendOp<T> {
        SendOp {
            value: Some(value),
            wait: None,
            parked: None,
            takes_turns: true,
            behind: None,
            passed: PassedOver::default(),
        }
    }

    /// The send a `Sender` holds as a `Sink`: it may never be polled
    /// again, so it takes no turns.
    pub(crate) fn held_by_handle(value: T) -> SendOp<T> {
        SendOp {
            takes_turns: false,
            ..SendOp::new(value)
        }
    }
}

impl RecvOp {
    /// The receive of a future, which passes its turn on if dropped.
    pub(crate) fn new() -> RecvOp {
        RecvOp {
            wait: None,
            parked: None,
            takes_turns: true,
            behind: None,
            passed: PassedOver::default(),
        }
    }

    /// The receive a `Receiver` holds as a `Stream`: it may never be
    /// polled again, so it takes no turns.
    pub(crate) fn held_by_handle() -> RecvOp {
        RecvOp {
            takes_turns: false,
            ..RecvOp::new()
        }
    }
}

impl<T> Chan<T> {
    /// A channel holding up to `capacity` values (`Some(0)`: a rendezvous;
    /// `None`: unbounded), with one sender and one receiver.
    pub(crate) fn new(capacity: Option<usize>) -> Chan<T> {
        let buffered = |queue, fences| {
            Flavor::Buffered(Buffered {
                queue,
                fences,
                receivers: CachePadded::new(Waiters::new()),
                senders: CachePadded::new(Waiters::new()),
            })
        };
        let flavor = match capacity {
            Some(0) => Flavor::Rendezvous(Rendezvous::new()),
            Some(capacity) => buffered(
                ConcurrentQueue::bounded(capacity),
                cfg!(loom) || capacity == 1,
            ),
            None => buffered(ConcurrentQueue::unbounded(), cfg!(loom)),
        };
        Chan {
            flavor,
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }
    }

    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match &self.flavor {
            Flavor::Buffered(buffered) => buffered.try_send(value),
            Flavor::Rendezvous(rendezvous) => rendezvous.try_send(value),
        }
    }

    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        match &self.flavor {
            Flavor::Buffered(buffered) => buffered.try_recv(),
            Flavor::Rendezvous(rendezvous) => rendezvous.try_recv(),
        }
    }

    /// Drives one send; `op` keeps its state between polls.
    ///
    /// Spends a unit of the task's budget when it completes, and returns
    /// `Pending` before taking anything when the budget is spent (see
    /// `task/coop.rs`). A parked rendezvous send is the exception: its
    /// outcome was decided by the receiver that took its value (which
    /// spent), and it returned `Pending` when it parked, so it completes
    /// without spending; a budget `Pending` there would only widen the
    /// window in which a `select!` drops a send that happened.
    pub(crate) fn poll_send(
        &self,
        op: &mut SendOp<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        match &self.flavor {
            Flavor::Buffered(buffered) => coop::poll_budgeted(cx, |cx| buffered.poll_send(op, cx)),
            Flavor::Rendezvous(rendezvous) if op.parked.is_some() => {
                rendezvous.poll_send(&mut op.value, &mut op.parked, cx)
            }
            Flavor::Rendezvous(rendezvous) => coop::poll_budgeted(cx, |cx| {
                rendezvous.poll_send(&mut op.value, &mut op.parked, cx)
            }),
        }
    }

    /// Drives one receive; `op` keeps its state between polls.
    ///
    /// Spends a unit of the task's budget when it completes, and returns
    /// `Pending` before taking anything when the budget is spent. A turn or
    /// a rendezvous value it was handed waits for it meanwhile (the task
    /// has woken itself), or goes on to the next receiver if it is dropped.
    pub(crate) fn poll_recv(
        &self,
        op: &mut RecvOp,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, RecvError>> {
        coop::poll_budgeted(cx, |cx| match &self.flavor {
            Flavor::Buffered(buffered) => buffered.poll_recv(op, cx),
            Flavor::Rendezvous(rendezvous) => rendezvous.poll_recv(&mut op.parked, cx),
        })
    }

    /// A send given up on: it leaves no trace, and a wake-up it was given
    /// goes on to the next sender in line. Its value, if any, is dropped
    /// unsent (a rendezvous send takes its value back from the channel).
    pub(crate) fn cancel_send(&self, op: &mut SendOp<T>) {
        match &self.flavor {
            Flavor::Buffered(buffered) => {
                // First: passing a wake-up on runs a user's waker, which
                // may panic.
                buffered.senders.served(&mut op.passed);
                if let Some(key) = op.wait.take() {
                    buffered.senders.remove(key, true);
                }
            }
            Flavor::Rendezvous(rendezvous) => {
                if let Some(key) = op.parked.take() {
                    op.value = rendezvous.cancel_send(key);
                }
            }
        }
    }

    /// A receive given up on: it takes no value. A wake-up it was given goes
    /// on to the next receiver; a value a rendezvous sender handed it goes
    /// back to the channel for the next receiver.
    pub(crate) fn cancel_recv(&self, op: &mut RecvOp) {
        match &self.flavor {
            Flavor::Buffered(buffered) => {
                // First, as for a send.
                buffered.receivers.served(&mut op.passed);
                if let Some(key) = op.wait.take() {
                    buffered.receivers.remove(key, true);
                }
            }
            Flavor::Rendezvous(rendezvous) => {
                if let Some(key) = op.parked.take() {
                    rendezvous.cancel_recv(key);
                }
            }
        }
    }

    /// Closes the channel; true if this call closed it. Every waiting task
    /// is woken: senders fail, receivers drain what is buffered and then
    /// fail.
    pub(crate) fn close(&self) -> bool {
        match &self.flavor {
            Flavor::Buffered(buffered) => {
                if !buffered.queue.close() {
                    return false;
                }
                buffered.receivers.notify_all();
                buffered.senders.notify_all();
                true
            }
            Flavor::Rendezvous(rendezvous) => rendezvous.close(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match &self.flavor {
            Flavor::Buffered(buffered) => buffered.queue.is_closed(),
            Flavor::Rendezvous(rendezvous) => rendezvous.is_closed(),
        }
    }

    /// Values buffered now (a rendezvous buffers only values that a
    /// cancelled receiver handed back).
    pub(crate) fn len(&self) -> usize {
        match &self.flavor {
            Flavor::Buffered(buffered) => buffered.queue.len(),
            Flavor::Rendezvous(rendezvous) => rendezvous.len(),
        }
    }

    /// `Some(n)` for a bounded channel (0 for a rendezvous), `None` for an
    /// unbounded one.
    pub(crate) fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            Flavor::Buffered(buffered) => buffered.queue.capacity(),
            Flavor::Rendezvous(_) => Some(0),
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        match &self.flavor {
            Flavor::Buffered(buffered) => buffered.queue.is_full(),
            Flavor::Rendezvous(_) => true,
        }
    }

    pub(crate) fn sender_count(&self) -> usize {
        self.senders.load(Relaxed)
    }

    pub(crate) fn receiver_count(&self) -> usize {
        self.receivers.load(Relaxed)
    }

    pub(crate) fn add_sender(&self) {
        // Relaxed: a new handle is made from an existing one, which keeps
        // the count above zero meanwhile (as `Arc::clone`).
        self.senders.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_receiver(&self) {
        // Relaxed: see `add_sender`.
        self.receivers.fetch_add(1, Relaxed);
    }

    /// A sender handle is gone; the last one closes the channel.
    pub(crate) fn drop_sender(&self) {
        // AcqRel: the last handle's close comes after every other handle's
        // sends (as `Arc`'s drop).
        if self.senders.fetch_sub(1, AcqRel) == 1 {
            self.close();
        }
    }

    /// A receiver handle is gone; the last one closes the channel.
    pub(crate) fn drop_receiver(&self) {
        // AcqRel: see `drop_sender`.
        if self.receivers.fetch_sub(1, AcqRel) == 1 {
            self.close();
        }
    }
}

#[cfg(all(test, loom))]
impl<T> Chan<T> {
    /// Whether each side of a buffered channel (senders, receivers) lets
    /// newcomers in now: the tests' check that no pass-over count is left
    /// behind once everyone is done.
    pub(crate) fn lets_newcomers_in(&self) -> (bool, bool) {
        match &self.flavor {
            Flavor::Buffered(buffered) => (
                buffered.senders.lets_newcomers_in(),
                buffered.receivers.lets_newcomers_in(),
            ),
            Flavor::Rendezvous(_) => (true, true),
        }
    }
}

impl<T> Buffered<T> {
    fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.queue.push(value) {
            Ok(()) => {
                // The second half of the module's Dekker argument: the
                // push's own SeqCst compare-exchange, or a fence after it.
                if self.fences {
                    fence(SeqCst);
                }
                if self.receivers.is_waiting() {
                    self.receivers.notify_one();
                }
                Ok(())
            }
            Err(PushError::Full(value)) => Err(TrySendError::Full(value)),
            Err(PushError::Closed(value)) => Err(TrySendError::Closed(value)),
        }
    }

    fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.queue.pop() {
            Ok(value) => {
                if self.queue.capacity().is_some() {
                    // See `try_send`.
                    if self.fences {
                        fence(SeqCst);
                    }
                    if self.senders.is_waiting() {
                        self.senders.notify_one();
                    }
                }
                Ok(value)
            }
            Err(PopError::Empty) => Err(TryRecvError::Empty),
            Err(PopError::Closed) => Err(TryRecvError::Closed),
        }
    }

    fn poll_send(
        &self,
        op: &mut SendOp<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        let mut value = op
            .value
            .take()
            .expect("a channel send was polled after it completed");
        let mut at = Start::of(&self.senders, op.takes_turns, &mut op.wait, cx);
        loop {
            // With a turn, or barging in (see `waiters.rs`), a send tries
            // the queue; any other takes only a slot beyond those the woken
            // senders are owed. The length is read only if some are owed:
            // it touches both ends of the queue.
            let leaves_it = !(at.may_go || self.owed_slots_left() || self.queue.is_closed());
            if !leaves_it {
                match self.try_send(value) {
                    Ok(()) => {
                        at.finish(&mut op.wait, &mut op.passed);
                        return Poll::Ready(Ok(()));
                    }
                    Err(TrySendError::Closed(value)) => {
                        at.finish(&mut op.wait, &mut op.passed);
                        return Poll::Ready(Err(SendError(value)));
                    }
                    Err(TrySendError::Full(back)) => value = back,
                }
            }
            if at.registered {
                // Only a send that did not try the queue, with turns out,
                // may be waiting behind them (one load, inline); one that
                // tried after registering was seen registered by whoever
                // frees a slot (the module's Dekker argument).
                if leaves_it
                    && self.senders.woken() > 0
                    && self.send_waits_behind_turns(&mut op.behind, cx)
                {
                    continue;
                }
                op.value = Some(value);
                return Poll::Pending;
            }
            at.register(&mut op.wait, &mut op.passed, cx);
        }
    }

    /// `waits_behind_turns` for a send: a free slot is what it is owed.
    #[cold]
    #[inline(never)]
    fn send_waits_behind_turns(&self, behind: &mut Option<(usize, u32)>, cx: &Context<'_>) -> bool {
        let free = self
            .queue
            .capacity()
            .is_some_and(|capacity| self.queue.len() < capacity);
        waits_behind_turns(&self.senders, free, behind, cx)
    }

    /// `waits_behind_turns` for a receive: a value is what it is owed.
    #[cold]
    #[inline(never)]
    fn recv_waits_behind_turns(&self, behind: &mut Option<(usize, u32)>, cx: &Context<'_>) -> bool {
        waits_behind_turns(&self.receivers, !self.queue.is_empty(), behind, cx)
    }

    /// Whether the queue has room beyond the slots the woken senders are
    /// owed (always, when unbounded or when no sender is owed one).
    fn owed_slots_left(&self) -> bool {
        let owed = self.senders.woken();
        match self.queue.capacity() {
            Some(capacity) if owed > 0 => capacity - self.queue.len().min(capacity) > owed,
            _ => true,
        }
    }

    fn poll_recv(&self, op: &mut RecvOp, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let mut at = Start::of(&self.receivers, op.takes_turns, &mut op.wait, cx);
        loop {
            // As for a send: a value beyond those the woken receivers are
            // owed, unless it has a turn or barges in.
            let leaves_it =
                !(at.may_go || self.queue.len() > self.receivers.woken() || self.queue.is_closed());
            if !leaves_it {
                match self.try_recv() {
                    Ok(value) => {
                        at.finish(&mut op.wait, &mut op.passed);
                        return Poll::Ready(Ok(value));
                    }
                    Err(TryRecvError::Closed) => {
                        at.finish(&mut op.wait, &mut op.passed);
                        return Poll::Ready(Err(RecvError));
                    }
                    Err(TryRecvError::Empty) => {}
                }
            }
            if at.registered {
                // As for a send.
                if leaves_it
                    && self.receivers.woken() > 0
                    && self.recv_waits_behind_turns(&mut op.behind, cx)
                {
                    continue;
                }
                return Poll::Pending;
            }
            at.register(&mut op.wait, &mut op.passed, cx);
        }
    }
}

/// How long a value (or slot) may sit owed to an unclaimed turn, while
/// no turn moves, before an operation waiting behind it takes the turn
/// back: far longer than a woken task takes to be polled on a busy
/// runtime, short enough that a value owed to a future nobody polls again
/// is not kept from everyone else.
const STALE_TURN: Duration = Duration::from_millis(20);

/// A registered operation that found nothing it may take, though
/// something is there (`available`: a value, or a free slot) owed to woken
/// futures of its side. Normally one of them claims it within
/// microseconds; but a woken future may be kept and never polled again,
/// and its turn would hold the value from everyone. So rather than sleep,
/// the task looks again soon (it wakes itself); `behind` notes when it
/// first saw the turns stand still, and once they have for `STALE_TURN`
/// it takes one back and goes ahead (true: look again now).
fn waits_behind_turns(
    side: &Waiters,
    available: bool,
    behind: &mut Option<(usize, u32)>,
    cx: &Context<'_>,
) -> bool {
    // Not under loom: the models cannot let time pass, and a task that
    // wakes itself while another holds the turn is an endless branch to
    // them. What they check (no turn or wake-up lost) does not depend on it.
    if cfg!(loom) || !available || side.woken() == 0 {
        *behind = None;
        return false;
    }
    let events = side.turn_events();
    let now = clock::refresh();
    match *behind {
        Some((seen, since)) if seen == events => {
            if clock::span(since, now) >= STALE_TURN && side.revoke_turn(events) {
                *behind = None;
                return true;
            }
        }
        _ => *behind = Some((events, now)),
    }
    cx.waker().wake_by_ref();
    false
}

/// Where one send or receive stands during a poll, on its side's
/// [`Waiters`]. A turn it claimed and did not use is given back when it is
/// dropped, even by a panic (a user's waker may panic in `wake`).
struct Start<'a> {
    side: &'a Waiters,
    /// False for a handle-held wait (see `waiters.rs`).
    takes_turns: bool,
    /// It may take a value (or a slot) now: it claimed a turn, or it is
    /// new and barges or nobody waits on its side. When it registers, its
    /// retry keeps this only if it barges (else it takes only its share).
    may_go: bool,
    /// It came new to a side that lets newcomers in (see "Barging" in
    /// `waiters.rs`): it may take what it finds, owed or not, for the
    /// whole of this poll, so `register` leaves `may_go` set.
    barges: bool,
    /// It claimed a turn and has not used it yet (see `waiters.rs`).
    claimed: bool,
    /// It has a live entry, registered with a fence: one more try, and
    /// then it may return `Pending`.
    registered: bool,
}

impl<'a> Start<'a> {
    /// At the start of a poll: claims the turn of a woken operation, or
    /// refreshes the waker of a waiting one.
    #[inline]
    fn of(
        side: &'a Waiters,
        takes_turns: bool,
        wait: &mut Option<WaitKey>,
        cx: &Context<'_>,
    ) -> Start<'a> {
        let mut start = Start {
            side,
            takes_turns,
            may_go: false,
            barges: false,
            claimed: false,
            registered: false,
        };
        match wait.map(|key| side.poll_turn(key, cx.waker())) {
            Some(Turn::Claimed) => {
                *wait = None;
                start.may_go = true;
                start.claimed = true;
            }
            Some(Turn::Waiting) => start.registered = true,
            Some(Turn::Gone) | None => {
                *wait = None;
                // No entries means nobody waits: then only `starving` is
                // left to read.
                let empty = !side.has_entries();
                start.barges = if empty {
                    side.lets_newcomers_in_when_empty()
                } else {
                    side.lets_newcomers_in()
                };
                start.may_go = start.barges || empty;
            }
        }
        start
    }

    /// The operation is done: what it held goes back. A turn it was handed
    /// is used, not passed on: each value (or slot) hands out its own.
    #[inline]
    fn finish(&mut self, wait: &mut Option<WaitKey>, passed: &mut PassedOver) {
        self.use_turn();
        if let Some(key) = wait.take() {
            self.side.remove(key, false);
        }
        self.side.served(passed);
    }

    /// Nothing to take: wait in line (at the front, for an operation that
    /// claimed a turn and found nothing: it was passed over), then the
    /// caller tries once more.
    fn register(&mut self, wait: &mut Option<WaitKey>, passed: &mut PassedOver, cx: &Context<'_>) {
        if self.claimed {
            self.side.passed_over(passed);
        }
        *wait = Some(
            self.side
                .register(cx.waker(), self.claimed, self.takes_turns),
        );
        self.use_turn();
        // SeqCst: the waiter's fence of the module's Dekker argument.
        fence(SeqCst);
        self.registered = true;
        self.may_go = self.barges;
    }

    fn use_turn(&mut self) {
        if self.claimed {
            self.claimed = false;
            self.side.turn_used();
        }
    }
}

impl Drop for Start<'_> {
    fn drop(&mut self) {
        self.use_turn();
    }
}
