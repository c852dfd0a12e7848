//! The rendezvous flavor (capacity 0): a send completes when a receiver
//! takes its value, as on Go's unbuffered channel.
//!
//! Whoever comes second completes the exchange, as in Go: a receiver that
//! finds a parked sender takes its value and wakes it; a sender that finds a
//! parked receiver puts the value in the receiver's slot and wakes it.
//! Everything happens under one lock, so each wake-up is aimed at the one
//! task it concerns and nothing is passed on.
//!
//! Cancellation. A parked send that is dropped takes its value back: it
//! sent nothing. A parked receive that is dropped after a sender filled its
//! slot hands the value back to the channel, where the next receiver takes
//! it first: nothing is lost, though that sender's send completed before
//! anyone kept the value. One window cannot be closed without Go's
//! cross-channel locking: a send parked as a `select!` branch whose value a
//! receiver takes while the `select!` is choosing another ready branch has
//! been sent, though its branch does not run.
//!
//! Each side's parked futures queue in the crate's wait list
//! (`task/wait_list.rs`): FIFO, O(1) unlink, and an entry stays in its
//! slab, reachable by its key, until the future that parked it frees it.
//!
//! Invariants (under the lock): an entry is *unmatched* while its future
//! waits for a partner (a sender's slot holds its value, a receiver's slot
//! is empty) and *matched* after (the sender's slot is empty, the
//! receiver's holds the value); an entry is queued in its side's list
//! exactly while it is unmatched and the channel is open (matching or
//! closing takes it out of line); a parked sender and an unmatched receiver
//! never coexist, nor the reverse. Only the future holding a key frees its
//! entry, so a key is never reused under its holder.

use super::error::{RecvError, SendError, TryRecvError, TrySendError};
use crate::loom::{Mutex, lock};
use crate::task::wait_list::{WaitList, set_waker};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

pub(crate) struct Rendezvous<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    closed: bool,
    senders: Side<T>,
    receivers: Side<T>,
    /// Values that cancelled receivers handed back, received first.
    handed_back: VecDeque<T>,
}

/// The parked futures of one side, oldest first.
struct Side<T> {
    list: WaitList<Slot<T>>,
}

struct Slot<T> {
    waker: Option<Waker>,
    value: Option<T>,
    matched: bool,
}

/// A parked future's entry: its key in its side's list, valid until the
/// future frees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParkKey(usize);

impl<T> Side<T> {
    fn new() -> Side<T> {
        Side {
            list: WaitList::new(),
        }
    }

    fn park(&mut self, waker: &Waker, value: Option<T>) -> ParkKey {
        ParkKey(self.list.push_back(Slot {
            waker: Some(waker.clone()),
            value,
            matched: false,
        }))
    }

    fn get_mut(&mut self, key: ParkKey) -> &mut Slot<T> {
        self.list.get_mut(key.0)
    }

    fn remove(&mut self, key: ParkKey) -> Slot<T> {
        self.list.remove(key.0)
    }

    /// The oldest unmatched entry, taken out of line.
    fn first_unmatched(&mut self) -> Option<&mut Slot<T>> {
        let key = self.list.pop_front()?;
        Some(self.list.get_mut(key))
    }

    /// Every unmatched entry's waker, each taken out of line (close).
    fn take_wakers(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::new();
        self.list.drain(|slot| wakers.extend(slot.waker.take()));
        wakers
    }
}

impl<T> State<T> {
    /// Gives `value` to the oldest parked receiver; back if there is none.
    fn hand_to_receiver(&mut self, value: T) -> Result<Option<Waker>, T> {
        match self.receivers.first_unmatched() {
            Some(slot) => {
                slot.value = Some(value);
                slot.matched = true;
                Ok(slot.waker.take())
            }
            None => Err(value),
        }
    }

    /// Takes the value of the oldest parked sender, with its waker.
    fn take_from_sender(&mut self) -> Option<(T, Option<Waker>)> {
        let slot = self.senders.first_unmatched()?;
        slot.matched = true;
        let value = slot
            .value
            .take()
            .expect("an unmatched sender holds its value");
        Some((value, slot.waker.take()))
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Rendezvous<T> {
    pub(crate) fn new() -> Rendezvous<T> {
        Rendezvous {
            state: Mutex::new(State {
                closed: false,
                senders: Side::new(),
                receivers: Side::new(),
                handed_back: VecDeque::new(),
            }),
        }
    }

    /// Succeeds only if a receiver is parked, as Go's non-blocking send.
    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut state = lock(&self.state);
        if state.closed {
            return Err(TrySendError::Closed(value));
        }
        match state.hand_to_receiver(value) {
            Ok(waker) => {
                drop(state);
                wake(waker);
                Ok(())
            }
            Err(value) => Err(TrySendError::Full(value)),
        }
    }

    /// Succeeds only if a sender is parked (or a value was handed back).
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.state);
        if let Some(value) = state.handed_back.pop_front() {
            return Ok(value);
        }
        if state.closed {
            return Err(TryRecvError::Closed);
        }
        match state.take_from_sender() {
            Some((value, waker)) => {
                drop(state);
                wake(waker);
                Ok(value)
            }
            None => Err(TryRecvError::Empty),
        }
    }

    pub(crate) fn poll_send(
        &self,
        value: &mut Option<T>,
        parked: &mut Option<ParkKey>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        if let Some(key) = *parked {
            let slot = state.senders.get_mut(key);
            if slot.matched {
                state.senders.remove(key);
                *parked = None;
                return Poll::Ready(Ok(()));
            }
            if state.closed {
                let slot = state.senders.remove(key);
                *parked = None;
                let value = slot.value.expect("an unmatched sender holds its value");
                return Poll::Ready(Err(SendError(value)));
            }
            set_waker(&mut slot.waker, cx.waker());
            return Poll::Pending;
        }
        let taken = value
            .take()
            .expect("a channel send was polled after it completed");
        if state.closed {
            return Poll::Ready(Err(SendError(taken)));
        }
        match state.hand_to_receiver(taken) {
            Ok(waker) => {
                drop(guard);
                wake(waker);
                Poll::Ready(Ok(()))
            }
            Err(taken) => {
                *parked = Some(state.senders.park(cx.waker(), Some(taken)));
                Poll::Pending
            }
        }
    }

    pub(crate) fn poll_recv(
        &self,
        parked: &mut Option<ParkKey>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, RecvError>> {
        let mut state = lock(&self.state);
        if let Some(key) = *parked
            && state.receivers.get_mut(key).matched
        {
            let slot = state.receivers.remove(key);
            *parked = None;
            return Poll::Ready(Ok(slot.value.expect("a matched receiver holds its value")));
        }
        let got = match state.handed_back.pop_front() {
            Some(value) => Some((value, None)),
            None if state.closed => None,
            None => state.take_from_sender(),
        };
        if let Some((value, waker)) = got {
            if let Some(key) = parked.take() {
                state.receivers.remove(key);
            }
            drop(state);
            wake(waker);
            return Poll::Ready(Ok(value));
        }
        if state.closed {
            if let Some(key) = parked.take() {
                state.receivers.remove(key);
            }
            return Poll::Ready(Err(RecvError));
        }
        match *parked {
            Some(key) => {
                set_waker(&mut state.receivers.get_mut(key).waker, cx.waker());
            }
            None => {
                *parked = Some(state.receivers.park(cx.waker(), None));
            }
        }
        Poll::Pending
    }

    /// A parked send given up on; returns its value if no receiver took it
    /// (the caller drops it outside the lock).
    pub(crate) fn cancel_send(&self, key: ParkKey) -> Option<T> {
        let mut state = lock(&self.state);
        state.senders.remove(key).value
    }

    /// A parked receive given up on: a value handed to it goes to the next
    /// parked receiver, or back to the channel.
    pub(crate) fn cancel_recv(&self, key: ParkKey) {
        let mut state = lock(&self.state);
        let Some(value) = state.receivers.remove(key).value else {
            return;
        };
        match state.hand_to_receiver(value) {
            Ok(waker) => {
                drop(state);
                wake(waker);
            }
            Err(value) => state.handed_back.push_front(value),
        }
    }

    pub(crate) fn close(&self) -> bool {
        let wakers = {
            let mut state = lock(&self.state);
            if state.closed {
                return false;
            }
            state.closed = true;
            let mut wakers = state.senders.take_wakers();
            wakers.extend(state.receivers.take_wakers());
            wakers
        };
        for waker in wakers {
            waker.wake();
        }
        true
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.state).handed_back.len()
    }
}
