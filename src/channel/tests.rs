//! Loom models of the channel (`cfg(loom)` only), run through the real
//! code: `Chan`, `Waiters`, the rendezvous and the queue (concurrent-queue
//! is built with loom's atomics too).
//!
//! What is checked, each against another thread:
//! - a receiver waiting on an empty channel is woken by a send, and a
//!   sender waiting on a full one by a receive: no lost wake-up (loom
//!   reports one as a deadlock), values in order (`send_waits_for_room`),
//!   also through queues of two slots and unbounded ones
//!   (`send_waits_for_room_in_a_two_slot_queue`,
//!   `receive_waits_for_a_value_in_two_slot_and_unbounded_queues`). Outside
//!   loom those queues run no fence after a change; loom, which regards
//!   SeqCst accesses as AcqRel, reports that as a deadlock C++20 rules out,
//!   so under loom they fence (`chan.rs`, the module's docs);
//! - close racing a waiting receiver wakes it with `RecvError`
//!   (`close_wakes_a_waiting_receiver`);
//! - two receivers, one value, then the last sender dropped: exactly one
//!   gets the value and the other `RecvError` (`one_value_two_receivers`);
//! - a receive given up on after it was woken passes the wake-up on, so the
//!   other waiting receiver still gets the value (`cancelled_receiver_passes_the_wake_on`);
//! - a send racing close either fails with its value back or its value is
//!   received: nothing is lost (`send_racing_close_loses_nothing`);
//! - a rendezvous exchange completes on both sides (`rendezvous_exchange`);
//! - a newcomer that leaves a value to a woken receiver (turns) strands
//!   nothing: both receivers get a value (`turns_leave_no_value_behind`);
//! - a sender woken for a slot that a newcomer takes (barging) waits again
//!   at the front and, passed over (at once under loom, where `STARVING`
//!   is zero), turns its side strict: every value still arrives and no
//!   wake-up is lost, and no pass-over count is left once everyone is done
//!   (`passed_over_sender_is_still_served`); given up after it was passed
//!   over, it passes its wake-up on to the sender behind it and takes its
//!   count with it (`passed_over_sender_dropped_passes_its_wake_on`);
//! - the oneshot's state word: a send or a dropped sender wakes a waiting
//!   receiver (`oneshot_send_wakes_a_waiting_receiver`,
//!   `oneshot_dropped_sender_wakes_a_waiting_receiver`), a send racing the
//!   receiver's drop drops its value exactly once
//!   (`oneshot_send_racing_receiver_drop_drops_the_value_once`; the
//!   channel's own freeing is checked by valgrind over the unit tests in
//!   `oneshot.rs`, as loom does not see a `Box`), and a
//!   dropped receiver wakes a waiting `closed`
//!   (`oneshot_dropped_receiver_wakes_closed`).
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`

use super::{Counted, Receiver, RecvError, Sender, TryRecvError, bounded, oneshot, unbounded};
use crate::loom::model::block_on;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// A producer thread sends `1..=values` while this thread receives them:
/// each arrives, in order (loom reports a lost wake-up as a deadlock).
fn sends_arrive_in_order(tx: Sender<u32>, rx: Receiver<u32>, values: u32) {
    let producer = thread::spawn(move || {
        block_on(async {
            for value in 1..=values {
                tx.send(value).await.unwrap();
            }
        });
    });
    for value in 1..=values {
        assert_eq!(block_on(rx.recv()), Ok(value));
    }
    producer.join().unwrap();
}

#[test]
fn loom_send_waits_for_room() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        sends_arrive_in_order(tx, rx, 2);
    });
}

/// The same through a two-slot queue (outside loom its receive runs no
/// fence after its pop: `chan.rs`, the module's docs): the third send
/// waits for room.
#[test]
fn loom_send_waits_for_room_in_a_two_slot_queue() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        sends_arrive_in_order(tx, rx, 3);
    });
}

/// A receiver waiting on an empty two-slot queue, and on an unbounded
/// one, is woken by a send (outside loom, one that runs no fence after
/// its push). A sender stays open on this side until both values are in,
/// so only the sends can wake the receiver, not the channel's close.
#[test]
fn loom_receive_waits_for_a_value_in_two_slot_and_unbounded_queues() {
    for capacity in [Some(2), None] {
        loom::model(move || {
            let (tx, rx) = match capacity {
                Some(capacity) => bounded::<u32>(capacity),
                None => unbounded::<u32>(),
            };
            let _open = tx.clone();
            sends_arrive_in_order(tx, rx, 2);
        });
    }
}

#[test]
fn loom_close_wakes_a_waiting_receiver() {
    loom::model(|| {
        let (tx, rx) = unbounded::<u32>();
        let closer = thread::spawn(move || {
            tx.close();
        });
        assert_eq!(block_on(rx.recv()), Err(RecvError));
        closer.join().unwrap();
    });
}

#[test]
fn loom_one_value_two_receivers() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let other = rx.clone();
        let receiver = thread::spawn(move || block_on(other.recv()));
        let sender = thread::spawn(move || {
            tx.try_send(7).unwrap();
        });
        let mine = block_on(rx.recv());
        let theirs = receiver.join().unwrap();
        sender.join().unwrap();
        assert!(
            matches!(
                (mine, theirs),
                (Ok(7), Err(RecvError)) | (Err(RecvError), Ok(7))
            ),
            "{mine:?} and {theirs:?}"
        );
    });
}

#[test]
fn loom_cancelled_receiver_passes_the_wake_on() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let other = rx.clone();
        // The first receiver waits, is (maybe) woken by the send, and gives
        // up without looking: the value must reach the other one.
        {
            let mut first = pin!(rx.recv());
            let mut cx = Context::from_waker(Waker::noop());
            assert_eq!(first.as_mut().poll(&mut cx), Poll::Pending);
            let second = thread::spawn(move || block_on(other.recv()));
            let sender = thread::spawn(move || tx.try_send(9).unwrap());
            sender.join().unwrap();
            drop(first);
            assert_eq!(second.join().unwrap(), Ok(9));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn loom_send_racing_close_loses_nothing() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let closer_rx = rx.clone();
        let closer = thread::spawn(move || {
            closer_rx.close();
        });
        let sent = tx.try_send(3);
        closer.join().unwrap();
        match sent {
            Ok(()) => {
                assert_eq!(rx.try_recv(), Ok(3), "an accepted value is received");
                assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            }
            Err(err) => {
                assert!(err.is_closed());
                assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            }
        }
    });
}

#[test]
fn loom_rendezvous_exchange() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || block_on(tx.send(5)).is_ok());
        assert_eq!(block_on(rx.recv()), Ok(5));
        assert!(sender.join().unwrap());
    });
}

#[test]
fn loom_turns_leave_no_value_behind() {
    // A waiting receiver and a newcomer racing two sends: whoever takes
    // which value, both get one (a newcomer that leaves a value to a woken
    // receiver must not strand it).
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        let newcomer = rx.clone();
        let waiting = thread::spawn(move || block_on(rx.recv()));
        let sender = thread::spawn(move || {
            tx.try_send(1).unwrap();
            tx.try_send(2).unwrap();
        });
        let mine = block_on(newcomer.recv());
        let theirs = waiting.join().unwrap();
        sender.join().unwrap();
        assert!(
            matches!((mine, theirs), (Ok(1), Ok(2)) | (Ok(2), Ok(1))),
            "{mine:?} and {theirs:?}"
        );
    });
}

#[test]
fn loom_passed_over_sender_is_still_served() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let chan = tx.chan.clone();
        tx.try_send(0).unwrap();
        let newcomer = tx.clone();
        let waiting = thread::spawn(move || block_on(tx.send(1)).unwrap());
        assert_eq!(block_on(rx.recv()), Ok(0));
        // A newcomer's send, polled once: it may take the slot the waiting
        // sender was woken for (or find the queue full and give up).
        let barged = {
            let mut send = pin!(newcomer.send(2));
            let mut cx = Context::from_waker(Waker::noop());
            send.as_mut().poll(&mut cx).is_ready()
        };
        if barged {
            assert_eq!(block_on(rx.recv()), Ok(2));
        }
        assert_eq!(block_on(rx.recv()), Ok(1));
        waiting.join().unwrap();
        assert_eq!(chan.lets_newcomers_in(), (true, true), "no count left");
    });
}

#[test]
fn loom_passed_over_sender_dropped_passes_its_wake_on() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let chan = tx.chan.clone();
        tx.try_send(0).unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = Box::pin(tx.send(1));
        assert!(first.as_mut().poll(&mut cx).is_pending());
        let other = tx.clone();
        let waiting = thread::spawn(move || block_on(other.send(2)).unwrap());
        assert_eq!(block_on(rx.recv()), Ok(0));
        // A newcomer may barge into the slot `first` was woken for; then
        // `first` is passed over (starving at once under loom) and given up.
        let barged = pin!(tx.send(3)).as_mut().poll(&mut cx).is_ready();
        let first_sent = first.as_mut().poll(&mut cx).is_ready();
        let mut got = Vec::new();
        if barged && !first_sent {
            // `first` waits at the front: free a slot so it is woken, and
            // give it up unclaimed: its wake-up goes on to `other`.
            got.push(block_on(rx.recv()).unwrap());
        }
        drop(first);
        let values = 1 + usize::from(barged) + usize::from(first_sent);
        got.extend((got.len()..values).map(|_| block_on(rx.recv()).unwrap()));
        waiting.join().unwrap();
        got.sort_unstable();
        let mut expected = vec![2];
        expected.extend(barged.then_some(3));
        expected.extend(first_sent.then_some(1));
        expected.sort_unstable();
        assert_eq!(got, expected);
        assert_eq!(chan.lets_newcomers_in(), (true, true), "no count left");
    });
}

#[test]
fn loom_oneshot_send_wakes_a_waiting_receiver() {
    loom::model(|| {
        let (tx, rx) = oneshot::<u32>();
        let sender = thread::spawn(move || tx.send(7));
        assert_eq!(block_on(rx), Ok(7));
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

#[test]
fn loom_oneshot_dropped_sender_wakes_a_waiting_receiver() {
    loom::model(|| {
        let (tx, rx) = oneshot::<u32>();
        let dropper = thread::spawn(move || drop(tx));
        assert_eq!(block_on(rx), Err(RecvError));
        dropper.join().unwrap();
    });
}

#[test]
fn loom_oneshot_send_racing_receiver_drop_drops_the_value_once() {
    loom::model(|| {
        let drops = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (tx, rx) = oneshot::<Counted>();
        let dropper = thread::spawn(move || drop(rx));
        let sent = tx.send(Counted(drops.clone()));
        dropper.join().unwrap();
        assert_eq!(
            drops.load(std::sync::atomic::Ordering::Relaxed),
            usize::from(sent.is_ok()),
            "a delivered value is dropped by the receiver"
        );
        drop(sent);
        assert_eq!(drops.load(std::sync::atomic::Ordering::Relaxed), 1);
    });
}

#[test]
fn loom_oneshot_dropped_receiver_wakes_closed() {
    loom::model(|| {
        let (tx, rx) = oneshot::<u32>();
        let dropper = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        drop(tx);
        dropper.join().unwrap();
    });
}
