//! The per-resource state the driver and the tasks share: readiness bits and
//! the tasks waiting for them.
//!
//! Readiness is edge-triggered, as mio is: the driver ORs in what an event
//! reports; an operation that then fails with `WouldBlock` clears the bit,
//! but only if no newer event arrived in between. That is what the tick is
//! for: the driver stamps each batch of events with a tick, a reader
//! remembers the tick of the readiness it acted on, and clearing is a CAS
//! that succeeds only if the tick is unchanged, so no edge is lost.
//!
//! Waiters are lists per direction (read, write), not one slot: several
//! tasks may wait on one socket (a UDP socket shared by senders), and a
//! single slot would let one task's registration overwrite another's and
//! lose its wake. A list is drained on each wake; a task registers again on
//! its next poll, and `will_wake` keeps one task from adding itself twice.
//!
//! Bit layout of `readiness`:
//!
//! ```text
//!  bits 0..5   READABLE, WRITABLE, READ_CLOSED, WRITE_CLOSED, ERROR
//!  bit  15     SHUTDOWN (the runtime is gone: every operation fails)
//!  bits 16..32 the tick of the last event batch that set a bit (16 bits:
//!              a clear is wrong only if exactly a multiple of 65536
//!              batches passed between its read and its clear)
//! ```

use crate::loom::{AtomicUsize, Mutex, lock};
use slab::Slab;
use std::io;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::{Context, Poll, Waker};

pub(crate) const READABLE: usize = 1 << 0;
pub(crate) const WRITABLE: usize = 1 << 1;
pub(crate) const READ_CLOSED: usize = 1 << 2;
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
pub(crate) const ERROR: usize = 1 << 4;
const SHUTDOWN: usize = 1 << 15;
const READY_MASK: usize = READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR;
const TICK_SHIFT: usize = 16;
const TICK_MASK: usize = 0xffff << TICK_SHIFT;

/// Which way a task waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The readiness bits that let an operation in this direction proceed
    /// (closed and error count: the operation then reports it).
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// Readiness observed by a task, to clear if the operation would block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: usize,
}

/// One registered resource's readiness and waiters.
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    /// Part of the resource's token, so an event for a freed slot that was
    /// reused is recognised as stale.
    pub(crate) generation: u64,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    read: Direction2,
    write: Direction2,
}

/// The waiters of one direction.
#[derive(Default)]
struct Direction2 {
    /// Tasks waiting through a `poll_*` method (`AsyncRead`, `poll_accept`):
    /// they hold no handle to deregister with, so an entry stays until the
    /// next event; `will_wake` keeps a task from adding itself twice.
    polled: Vec<Waker>,
    /// Tasks waiting through a future (`read_with`, `readable`, `recv`,
    /// `accept`, ...): the future holds its key and removes its entry when
    /// dropped, so a future given up on (a lost `select!`, a timeout) leaves
    /// nothing behind, however many there are between two events.
    keyed: Slab<Option<Waker>>,
}

impl Direction2 {
    fn take_all(&mut self, wake: &mut Vec<Waker>) {
        wake.append(&mut self.polled);
        wake.extend(self.keyed.iter_mut().filter_map(|(_, waker)| waker.take()));
    }
}

/// The error of an operation whose runtime has shut down.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other(RuntimeShutDown)
}

/// True if `err` is [`shutdown_error`]'s.
pub(crate) fn is_shutdown_error(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.is::<RuntimeShutDown>())
}

/// The inner error of [`shutdown_error`], recognisable by type.
#[derive(Debug)]
struct RuntimeShutDown;

impl std::fmt::Display for RuntimeShutDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the bobbin runtime this I/O resource was registered with has shut down; \
             create the resource again inside a running runtime",
        )
    }
}

impl std::error::Error for RuntimeShutDown {}

impl ScheduledIo {
    pub(crate) fn new(generation: u64) -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            generation,
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// The driver's side: OR in `ready` (stamped with `tick`) and move the
    /// wakers of the directions that became ready into `wake`.
    pub(crate) fn set_readiness(&self, tick: u16, ready: usize, wake: &mut Vec<Waker>) {
        let mut current = self.readiness.load(Acquire);
        loop {
            let next =
                (current & (READY_MASK | SHUTDOWN)) | ready | ((tick as usize) << TICK_SHIFT);
            // AcqRel: Release publishes the readiness to a task's Acquire
            // load in `poll_ready`; Acquire keeps the loop's view current.
            match self
                .readiness
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        let mut waiters = lock(&self.waiters);
        if ready & Direction::Read.mask() != 0 {
            waiters.read.take_all(wake);
        }
        if ready & Direction::Write.mask() != 0 {
            waiters.write.take_all(wake);
        }
    }

    /// Marks the resource dead (its runtime shut down) and moves every
    /// waker into `wake`.
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        // AcqRel: as in `set_readiness`.
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        let mut waiters = lock(&self.waiters);
        waiters.read.take_all(wake);
        waiters.write.take_all(wake);
    }

    /// Ready in `direction`, or register `cx`'s waker for it: in the
    /// `polled` list, or, with `key` (a future's), in the future's own entry.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        key: Option<&mut Option<usize>>,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(ready) = self.ready(direction) {
            return Poll::Ready(ready);
        }
        {
            let mut waiters = lock(&self.waiters);
            let waiters = match direction {
                Direction::Read => &mut waiters.read,
                Direction::Write => &mut waiters.write,
            };
            match key {
                None => {
                    if !waiters
                        .polled
                        .iter()
                        .any(|waker| waker.will_wake(cx.waker()))
                    {
                        waiters.polled.push(cx.waker().clone());
                    }
                }
                Some(key) => match key.and_then(|k| waiters.keyed.get_mut(k)) {
                    Some(Some(stored)) if stored.will_wake(cx.waker()) => {}
                    Some(slot) => *slot = Some(cx.waker().clone()),
                    None => *key = Some(waiters.keyed.insert(Some(cx.waker().clone()))),
                },
            }
        }
        // Look again: an event that arrived between the first look and the
        // registration found no waker to wake.
        match self.ready(direction) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// A future that waited with `key` is gone: free its entry.
    pub(crate) fn remove_waiter(&self, direction: Direction, key: usize) {
        let mut waiters = lock(&self.waiters);
        let waiters = match direction {
            Direction::Read => &mut waiters.read,
            Direction::Write => &mut waiters.write,
        };
        waiters.keyed.try_remove(key);
    }

    /// Ready in `direction` now, without registering a waker.
    pub(crate) fn ready_now(&self, direction: Direction) -> Option<io::Result<ReadyEvent>> {
        self.ready(direction)
    }

    fn ready(&self, direction: Direction) -> Option<io::Result<ReadyEvent>> {
        // Acquire: pairs with the Release in `set_readiness`/`shutdown`.
        let current = self.readiness.load(Acquire);
        if current & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        let ready = current & direction.mask();
        (ready != 0).then_some(Ok(ReadyEvent {
            tick: (current & TICK_MASK) >> TICK_SHIFT,
            ready,
        }))
    }

    /// The operation that `event` allowed would block: clear what it saw,
    /// unless a newer event arrived since (then keep it: that edge is new).
    ///
    /// Everything the event saw is cleared, closed and error bits included:
    /// an operation that reports `WouldBlock` proves the direction is
    /// neither closed nor in error any more (a closed read returns 0, a
    /// closed write `EPIPE`, a pending socket error is returned once). Kept,
    /// they made every later poll "ready" and the I/O loop spin: a UDP
    /// socket's `ECONNREFUSED` sets `ERROR` (and mio reports it as
    /// write-closed), which stayed after `recv` consumed the error.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.clear(event, event.ready);
    }

    /// A stream transfer moved fewer bytes than asked: the buffer is drained
    /// (or full), so clear readable/writable as `clear_readiness` does, but
    /// keep closed and error bits: end of stream may follow the data just
    /// read, and its edge has already been delivered.
    pub(crate) fn clear_drained(&self, event: ReadyEvent) {
        self.clear(event, event.ready & (READABLE | WRITABLE));
    }

    fn clear(&self, event: ReadyEvent, clear: usize) {
        let mut current = self.readiness.load(Acquire);
        loop {
            if (current & TICK_MASK) >> TICK_SHIFT != event.tick {
                return;
            }
            // AcqRel: orders the clear against the driver's next set.
            match self
                .readiness
                .compare_exchange_weak(current, current & !clear, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn ready_now(io: &ScheduledIo, direction: Direction) -> Option<ReadyEvent> {
        let mut cx = Context::from_waker(Waker::noop());
        match io.poll_ready(&mut cx, direction, None) {
            Poll::Ready(Ok(event)) => Some(event),
            Poll::Ready(Err(err)) => panic!("unexpected error {err}"),
            Poll::Pending => None,
        }
    }

    #[test]
    fn a_clear_after_a_newer_event_keeps_the_readiness() {
        let io = ScheduledIo::new(1);
        let mut wake = Vec::new();
        io.set_readiness(1, READABLE, &mut wake);
        let seen = ready_now(&io, Direction::Read).expect("readable");
        io.set_readiness(2, READABLE, &mut wake);
        io.clear_readiness(seen);
        assert!(
            ready_now(&io, Direction::Read).is_some(),
            "the newer edge survives"
        );
        let newer = ready_now(&io, Direction::Read).unwrap();
        io.clear_readiness(newer);
        assert!(ready_now(&io, Direction::Read).is_none());
    }

    #[test]
    fn a_wouldblock_clears_error_and_closed_too_and_directions_are_separate() {
        let io = ScheduledIo::new(1);
        let mut wake = Vec::new();
        io.set_readiness(1, READ_CLOSED | ERROR, &mut wake);
        assert!(
            ready_now(&io, Direction::Write).is_some(),
            "an error wakes both directions"
        );
        let seen = ready_now(&io, Direction::Read).unwrap();
        io.clear_readiness(seen);
        assert!(
            ready_now(&io, Direction::Read).is_none(),
            "a WouldBlock disproved them"
        );
        assert!(ready_now(&io, Direction::Write).is_none());
    }

    #[test]
    fn a_future_removes_its_own_waiter() {
        let io = ScheduledIo::new(1);
        let mut cx = Context::from_waker(Waker::noop());
        let mut keys = Vec::new();
        for _ in 0..1000 {
            let mut key = None;
            assert!(
                io.poll_ready(&mut cx, Direction::Read, Some(&mut key))
                    .is_pending()
            );
            keys.push(key.expect("a pending future got a key"));
        }
        for key in keys {
            io.remove_waiter(Direction::Read, key);
        }
        assert!(
            lock(&io.waiters).read.keyed.is_empty(),
            "dropped futures leave nothing"
        );
    }

    #[test]
    fn a_drained_read_keeps_end_of_stream() {
        let io = ScheduledIo::new(1);
        let mut wake = Vec::new();
        io.set_readiness(1, READABLE | READ_CLOSED, &mut wake);
        let seen = ready_now(&io, Direction::Read).unwrap();
        io.clear_drained(seen);
        assert!(
            ready_now(&io, Direction::Read).is_some(),
            "the next read must see end of stream"
        );
    }

    #[test]
    fn waiters_are_woken_per_direction_and_on_shutdown() {
        struct Nothing;
        impl std::task::Wake for Nothing {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        let io = ScheduledIo::new(1);
        // A real waker: `Waker::noop()`'s clones need not compare equal.
        let waker = Waker::from(std::sync::Arc::new(Nothing));
        let mut cx = Context::from_waker(&waker);
        assert!(io.poll_ready(&mut cx, Direction::Read, None).is_pending());
        assert!(io.poll_ready(&mut cx, Direction::Read, None).is_pending());
        assert!(io.poll_ready(&mut cx, Direction::Write, None).is_pending());
        let mut wake = Vec::new();
        io.set_readiness(1, WRITABLE, &mut wake);
        assert_eq!(wake.len(), 1, "only the writer, registered once");
        wake.clear();
        io.shutdown(&mut wake);
        assert_eq!(wake.len(), 1, "the reader");
        assert!(matches!(
            io.poll_ready(&mut cx, Direction::Read, None),
            Poll::Ready(Err(_))
        ));
    }
}
