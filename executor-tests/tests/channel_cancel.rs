//! Cancel safety and fairness of channel operations: a dropped `recv`
//! takes no value, and a dropped `send` sends nothing and frees what it
//! held; a cancelled head waiter (woken, then dropped) passes its wake-up
//! on, for senders and receivers, so nobody sleeps through a value or a
//! free slot; a rendezvous receiver cancelled after a sender handed it a
//! value gives the value back; waiting senders and receivers are woken in
//! the order they started waiting, and under contention none starves; a
//! newcomer may take a slot (or value) a woken sender (or receiver) has not
//! come back for, but not while another waits unwoken, nor once the woken
//! one is passed over again a millisecond after the first time; a
//! wait-and-give-up loop (`select!` with `default`) keeps working; a
//! `Receiver` polled as a `Stream`, or a `Sender` as a `Sink`, whose wait
//! is abandoned keeps no value or slot from the other operations.

use bobbin::channel::{self, TryRecvError};
use executor_tests::{DropCounter, LIMIT, counting_waker, runtime, with_timeout};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A `recv` future dropped while pending, or dropped after being woken but
/// before it was polled again, takes no value.
#[test]
fn a_dropped_recv_takes_no_value() {
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        for capacity in [0, 1, 8] {
            let (tx, rx) = channel::bounded::<u32>(capacity);
            {
                let mut recv = pin!(rx.recv());
                assert!(recv.as_mut().poll(&mut cx).is_pending());
            }
            // Woken (a value arrives), then dropped unpolled.
            let mut recv = Box::pin(rx.recv());
            assert!(recv.as_mut().poll(&mut cx).is_pending());
            let sent = tx.try_send(1);
            assert!(
                sent.is_ok(),
                "capacity {capacity}: a receiver waits or there is room"
            );
            drop(recv);
            assert_eq!(
                rx.try_recv(),
                Ok(1),
                "capacity {capacity}: the value is still there"
            );
        }
    });
}

/// A `send` future dropped while waiting sends nothing: its value is
/// dropped with it, and it holds no slot (the next send gets the room).
#[test]
fn a_dropped_send_sends_nothing() {
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        let drops = DropCounter::new();
        for capacity in [0, 1, 4] {
            let (tx, rx) = channel::bounded(capacity);
            for _ in 0..capacity {
                tx.try_send(drops.guard()).unwrap();
            }
            let mut send = Box::pin(tx.send(drops.guard()));
            assert!(
                send.as_mut().poll(&mut cx).is_pending(),
                "full (or no receiver)"
            );
            let dropped_before = drops.dropped();
            drop(send);
            assert_eq!(
                drops.dropped(),
                dropped_before + 1,
                "its value is dropped with it"
            );
            for _ in 0..capacity {
                rx.try_recv().unwrap();
            }
            assert_eq!(
                rx.try_recv().err(),
                Some(TryRecvError::Empty),
                "nothing was sent"
            );
            // Its place is free: a new send goes through.
            if capacity > 0 {
                tx.try_send(drops.guard()).unwrap();
            }
        }
    });
}

/// The head waiter is woken (a slot freed, or a value sent), then dropped
/// before it used the wake-up: the next waiter gets it, for senders and
/// receivers. Without the pass-on, the second waiter would sleep forever.
#[test]
fn a_cancelled_head_waiter_passes_its_wake_up_on() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chan-pass-on");
        rt.block_on(async {
            // Receivers.
            let (tx, rx) = channel::bounded::<u32>(4);
            let mut cx = Context::from_waker(Waker::noop());
            let mut head = Box::pin(rx.recv());
            assert!(head.as_mut().poll(&mut cx).is_pending());
            let rx2 = rx.clone();
            let second = bobbin::spawn(async move { rx2.recv().await });
            bobbin::time::sleep(Duration::from_millis(10)).await;
            tx.send(1).await.unwrap(); // wakes the head
            drop(head);
            assert_eq!(second.await.unwrap(), Ok(1));

            // Senders.
            let (tx, rx) = channel::bounded::<u32>(1);
            tx.send(0).await.unwrap();
            let mut head = Box::pin(tx.send(1));
            assert!(head.as_mut().poll(&mut cx).is_pending());
            let tx2 = tx.clone();
            let second = bobbin::spawn(async move { tx2.send(2).await });
            bobbin::time::sleep(Duration::from_millis(10)).await;
            assert_eq!(rx.recv().await, Ok(0)); // frees a slot: wakes the head
            drop(head);
            second.await.unwrap().unwrap();
            assert_eq!(rx.recv().await, Ok(2));
        });
    });
}

/// On a rendezvous, a sender hands its value to a waiting receiver; if that
/// receiver is dropped before it looks, the value goes to the next
/// receiver (another waiting one, or the next to come): never lost.
#[test]
fn a_rendezvous_value_handed_to_a_cancelled_receiver_is_not_lost() {
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        let (tx, rx) = channel::bounded::<u32>(0);
        // To the next receiver to come.
        let mut recv = Box::pin(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        assert_eq!(tx.try_send(1), Ok(()), "a receiver waits");
        drop(recv);
        assert_eq!(rx.len(), 1, "handed back");
        assert_eq!(rx.try_recv(), Ok(1));
        // To another waiting receiver.
        let mut first = Box::pin(rx.recv());
        let mut second = Box::pin(rx.recv());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert_eq!(tx.try_send(2), Ok(()));
        drop(first);
        assert_eq!(second.as_mut().poll(&mut cx), Poll::Ready(Ok(2)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

/// Waiters are served in the order they started waiting, whatever order
/// they are polled in: here ten receivers (then ten senders) wait, values
/// (then free slots) come a few at a time, and the waiters are polled
/// youngest first to give the young ones every chance to jump the line;
/// at each step, the ones served are exactly the oldest.
#[test]
fn waiters_are_served_in_order() {
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        for capacity in [0, 1, 3] {
            // Receivers.
            let (tx, rx) = channel::bounded::<usize>(capacity);
            let mut receivers: Vec<_> = (0..10).map(|_| Box::pin(rx.recv())).collect();
            for receiver in receivers.iter_mut() {
                assert!(receiver.as_mut().poll(&mut cx).is_pending());
            }
            let mut served = [false; 10];
            let mut next = 0;
            while served.iter().any(|done| !done) {
                while tx.try_send(next).is_ok() {
                    next += 1;
                }
                for index in (0..10).rev() {
                    if !served[index] && receivers[index].as_mut().poll(&mut cx).is_ready() {
                        served[index] = true;
                    }
                }
                let count = served.iter().filter(|done| **done).count();
                assert!(
                    served[..count].iter().all(|done| *done),
                    "capacity {capacity}: served {served:?}, not the oldest first"
                );
            }

            // Senders.
            let (tx, rx) = channel::bounded::<usize>(capacity);
            for _ in 0..capacity {
                tx.try_send(usize::MAX).unwrap();
            }
            let mut senders: Vec<_> = (0..10).map(|index| Box::pin(tx.send(index))).collect();
            for sender in senders.iter_mut() {
                assert!(sender.as_mut().poll(&mut cx).is_pending());
            }
            let mut served = [false; 10];
            let mut got = Vec::new();
            while served.iter().any(|done| !done) {
                // A rendezvous needs a receiver to wait; a buffered channel
                // a free slot.
                let mut recv = Box::pin(rx.recv());
                if let Poll::Ready(value) = recv.as_mut().poll(&mut cx) {
                    got.push(value.unwrap());
                }
                for index in (0..10).rev() {
                    if !served[index] && senders[index].as_mut().poll(&mut cx).is_ready() {
                        served[index] = true;
                    }
                }
                if let Poll::Ready(value) = recv.as_mut().poll(&mut cx) {
                    got.push(value.unwrap());
                }
                let count = served.iter().filter(|done| **done).count();
                assert!(
                    served[..count].iter().all(|done| *done),
                    "capacity {capacity}: served {served:?}, not the oldest first"
                );
            }
            drop(senders);
            drop(tx);
            while let Ok(value) = rx.try_recv() {
                got.push(value);
            }
            // Woken together, senders push in the order they are polled;
            // every value arrives once.
            got.retain(|&value| value != usize::MAX);
            got.sort();
            assert_eq!(got, (0..10).collect::<Vec<_>>(), "capacity {capacity}");
        }
    });
}

/// 64 tasks contend for a bounded(1) channel, each sending 200 values in a
/// loop: all finish, and none is starved: by the time the first sender is
/// done, every other has sent at least half of its values. (Waiters are
/// woken oldest first; a sender coming back for its next send barges in
/// only while no sender waits unwoken, which with 63 others in line is
/// seldom, or in the race between a slot freeing and the oldest waiter
/// being told, so leads stay small.)
#[test]
fn under_contention_no_sender_starves() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chan-starve");
        rt.block_on(async {
            let (senders, per_sender) = (64usize, 200usize);
            let (tx, rx) = channel::bounded::<(usize, usize)>(1);
            let start = Arc::new(gate::Gate::default());
            for s in 0..senders {
                let (tx, start) = (tx.clone(), start.clone());
                bobbin::spawn(async move {
                    start.wait().await;
                    for k in 0..per_sender {
                        tx.send((s, k)).await.unwrap();
                    }
                });
            }
            drop(tx);
            // Let every sender reach the gate, open it, and let every
            // sender queue on the full channel before receiving: the
            // fairness under test is the queue's, not the scheduler's (a
            // worker descheduled by a loaded machine while it holds
            // unpolled senders in its ring would otherwise let one sender
            // run alone).
            bobbin::time::sleep(Duration::from_millis(20)).await;
            start.open();
            bobbin::time::sleep(Duration::from_millis(50)).await;
            let mut sent = vec![0usize; senders];
            let mut first_done = None;
            while let Ok((s, k)) = rx.recv().await {
                assert_eq!(k, sent[s], "sender {s} in order");
                sent[s] += 1;
                if sent[s] == per_sender && first_done.is_none() {
                    first_done = Some(sent.clone());
                }
            }
            assert!(sent.iter().all(|&n| n == per_sender), "{sent:?}");
            let first_done = first_done.unwrap();
            let slowest = first_done.iter().min().unwrap();
            assert!(
                *slowest >= per_sender / 2,
                "when the first sender finished, one had sent only {slowest}: {first_done:?}"
            );
        });
    });
}

/// A send that arrives while no sender waits in line unwoken takes the free
/// slot, even one owed to a woken sender that has not come back for it
/// (barging, which keeps running senders from parking behind woken ones);
/// while one waits unwoken, it queues. The sender passed over waits at the
/// front; passed over again a millisecond or more after the first time, it
/// makes newcomers leave it its slot until it is served, or dropped.
#[test]
fn a_newcomer_may_pass_a_woken_sender_until_it_starves() {
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        let (tx, rx) = channel::bounded::<u32>(1);
        tx.try_send(0).unwrap();
        let mut a = Box::pin(tx.send(1));
        let mut b = Box::pin(tx.send(2));
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        // A slot frees and `a` is woken, but `b` waits unwoken: a newcomer
        // queues although the slot is free.
        assert_eq!(rx.try_recv(), Ok(0));
        assert!(
            Box::pin(tx.send(9)).as_mut().poll(&mut cx).is_pending(),
            "the door is closed"
        );
        assert!(a.as_mut().poll(&mut cx).is_ready());
        // `b` is woken and nobody waits unwoken: a newcomer takes its slot.
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(Box::pin(tx.send(3)).as_mut().poll(&mut cx).is_ready());
        assert!(b.as_mut().poll(&mut cx).is_pending(), "passed over");
        assert_eq!(rx.try_recv(), Ok(3));
        assert!(
            Box::pin(tx.send(4)).as_mut().poll(&mut cx).is_ready(),
            "a first pass-over never closes the door for good"
        );
        std::thread::sleep(Duration::from_millis(2));
        assert!(b.as_mut().poll(&mut cx).is_pending(), "passed over again");
        // `b` starves: the slot it is woken for stays its own.
        assert_eq!(rx.try_recv(), Ok(4));
        let mut late = Box::pin(tx.send(5));
        assert!(late.as_mut().poll(&mut cx).is_pending(), "leaves the slot");
        assert!(b.as_mut().poll(&mut cx).is_ready());
        assert_eq!(rx.try_recv(), Ok(2));
        assert!(late.as_mut().poll(&mut cx).is_ready());
        assert_eq!(rx.try_recv(), Ok(5));

        // Served, `b` no longer counts: a woken sender can be passed again.
        // This time it starves and is dropped instead.
        tx.try_send(6).unwrap();
        let mut c = Box::pin(tx.send(7));
        assert!(c.as_mut().poll(&mut cx).is_pending());
        assert_eq!(rx.try_recv(), Ok(6));
        assert!(Box::pin(tx.send(8)).as_mut().poll(&mut cx).is_ready());
        assert!(c.as_mut().poll(&mut cx).is_pending(), "passed over");
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(rx.try_recv(), Ok(8));
        assert!(Box::pin(tx.send(10)).as_mut().poll(&mut cx).is_ready());
        assert!(c.as_mut().poll(&mut cx).is_pending(), "passed over again");
        assert_eq!(rx.try_recv(), Ok(10));
        let (d_waker, d_woken) = counting_waker();
        let mut d = Box::pin(tx.send(11));
        assert!(
            d.as_mut()
                .poll(&mut Context::from_waker(&d_waker))
                .is_pending(),
            "`c` starves"
        );
        // (`d` may have woken itself to look again behind `c`'s turn.)
        let before = d_woken.load(SeqCst);
        drop(c);
        assert_eq!(
            d_woken.load(SeqCst),
            before + 1,
            "`c`'s wake-up went on to `d`"
        );
        // Dropped, `c` no longer counts, so a newcomer may take `d`'s slot.
        assert!(Box::pin(tx.send(12)).as_mut().poll(&mut cx).is_ready());
        assert!(d.as_mut().poll(&mut cx).is_pending(), "passed over");
        assert_eq!(rx.try_recv(), Ok(12));
        assert!(d.as_mut().poll(&mut cx).is_ready());
        assert_eq!(rx.try_recv(), Ok(11));
    });
}

/// The same for receives: a receive arriving while no receiver waits
/// unwoken takes a value a woken receiver has not come back for; while one
/// waits unwoken, it queues.
#[test]
fn a_newcomer_may_pass_a_woken_receiver_but_not_one_waiting_unwoken() {
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        let (tx, rx) = channel::bounded::<u32>(4);
        let mut a = Box::pin(rx.recv());
        let mut b = Box::pin(rx.recv());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        // `a` is woken, `b` waits unwoken: a newcomer leaves the value.
        tx.try_send(1).unwrap();
        assert!(
            Box::pin(rx.recv()).as_mut().poll(&mut cx).is_pending(),
            "the door is closed"
        );
        assert_eq!(a.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
        // `b` is woken and nobody waits unwoken: a newcomer takes its value.
        tx.try_send(2).unwrap();
        assert_eq!(
            Box::pin(rx.recv()).as_mut().poll(&mut cx),
            Poll::Ready(Ok(2))
        );
        assert!(b.as_mut().poll(&mut cx).is_pending(), "passed over");
        tx.try_send(3).unwrap();
        assert_eq!(b.as_mut().poll(&mut cx), Poll::Ready(Ok(3)));
    });
}

/// A loop that waits on an empty channel and gives up at once (Go's
/// non-blocking receive, 100k times) keeps working and still receives
/// when a value comes.
#[test]
fn a_wait_and_give_up_loop_keeps_working() {
    with_timeout(LIMIT, || {
        bobbin::block_on(async {
            let (tx, rx) = channel::bounded::<u32>(1);
            let mut misses = 0;
            for round in 0..100_000u32 {
                if round == 99_999 {
                    tx.try_send(round).unwrap();
                }
                bobbin::select! {
                    value = rx.recv() => assert_eq!(value, Ok(99_999)),
                    default => misses += 1,
                }
            }
            assert_eq!(misses, 99_999);
        });
    });
}

/// A one-shot gate for the contention test: tasks wait until it opens.
mod gate {
    use bobbin::channel;

    pub struct Gate {
        tx: std::sync::Mutex<Option<channel::Sender<()>>>,
        rx: channel::Receiver<()>,
    }

    impl Default for Gate {
        fn default() -> Gate {
            let (tx, rx) = channel::bounded(0);
            Gate {
                tx: std::sync::Mutex::new(Some(tx)),
                rx,
            }
        }
    }

    impl Gate {
        /// Waits until `open` (the channel closes: every receiver wakes).
        pub async fn wait(&self) {
            let _ = self.rx.recv().await;
        }

        pub fn open(&self) {
            self.tx.lock().unwrap().take();
        }
    }
}

/// A `Receiver`'s `Stream` wait abandoned after one pending poll (a
/// `next()` that lost a `select!`) does not keep the value that arrives
/// next from a `recv()`, on the same receiver or on a clone, whether the
/// `recv()` started waiting before or after the value came.
#[test]
fn an_abandoned_stream_wait_keeps_no_value() {
    use futures::{Stream, StreamExt};
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        // The recv comes after the value.
        let (tx, mut rx) = channel::bounded::<u32>(4);
        assert!(std::pin::Pin::new(&mut rx).poll_next(&mut cx).is_pending());
        tx.try_send(1).unwrap();
        let mut recv = pin!(rx.recv());
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));

        // The recv waits before the value, on a clone.
        let (tx, mut rx) = channel::bounded::<u32>(4);
        {
            let mut next = pin!(rx.next());
            assert!(next.as_mut().poll(&mut cx).is_pending());
        }
        let other = rx.clone();
        let mut recv = pin!(other.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        tx.try_send(2).unwrap();
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(2)));
        // The stream still works afterwards.
        tx.try_send(3).unwrap();
        assert_eq!(
            std::pin::Pin::new(&mut rx).poll_next(&mut cx),
            Poll::Ready(Some(3))
        );
    });
}

/// A `Sender`'s `Sink` flush abandoned while the channel is full does not
/// keep the slot that frees next from a `send()`.
#[test]
fn an_abandoned_sink_flush_keeps_no_slot() {
    use futures::Sink;
    with_timeout(LIMIT, || {
        let mut cx = Context::from_waker(Waker::noop());
        let (mut tx, rx) = channel::bounded::<u32>(1);
        tx.try_send(0).unwrap();
        assert!(std::pin::Pin::new(&mut tx).poll_ready(&mut cx).is_ready());
        std::pin::Pin::new(&mut tx).start_send(1).unwrap();
        assert!(std::pin::Pin::new(&mut tx).poll_flush(&mut cx).is_pending());
        assert_eq!(rx.try_recv(), Ok(0));
        let other = tx.clone();
        let mut send = pin!(other.send(2));
        assert_eq!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(rx.try_recv(), Ok(2));
        // The sink's own value goes once there is room.
        assert_eq!(
            std::pin::Pin::new(&mut tx).poll_flush(&mut cx),
            Poll::Ready(Ok(()))
        );
        assert_eq!(rx.try_recv(), Ok(1));
    });
}

/// A woken receive that is kept but never polled again holds its turn
/// only for a grace period: a receive elsewhere then takes the value it
/// was owed (review of issue 15: it used to wait forever while `try_recv`
/// saw the value).
#[test]
fn a_turn_held_by_a_receive_never_polled_again_goes_to_another_receiver() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stale-recv-turn");
        rt.block_on(async {
            let (tx, rx) = channel::bounded::<u32>(4);
            let other = rx.clone();
            let mut kept = Box::pin(rx.recv());
            assert!(futures::poll!(kept.as_mut()).is_pending(), "queued first");
            tx.send(1).await.unwrap(); // its turn: `kept` is woken, never polled again
            let start = std::time::Instant::now();
            let got = bobbin::time::timeout(Duration::from_secs(10), other.recv()).await;
            assert_eq!(got, Ok(Ok(1)), "the value reached the other receiver");
            assert!(start.elapsed() < Duration::from_secs(5));
            // The kept future, polled at last, is a newcomer: nothing is
            // there for it, and it loses nothing.
            tx.send(2).await.unwrap();
            assert_eq!(kept.await, Ok(2));
        });
    });
}

/// The same inside a task on a worker (the receive waiting behind the
/// stale turn re-polls through the worker's queue rather than a
/// `block_on` thread's parker): it still takes the turn back, on a
/// multi-thread and on a current-thread runtime.
#[test]
fn a_stale_turn_goes_to_another_receiver_from_a_task_on_a_worker() {
    with_timeout(LIMIT, || {
        let multi = runtime(2, "stale-turn-in-task");
        let current = bobbin::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for rt in [&multi, &current] {
            let job = rt.spawn(async {
                let (tx, rx) = channel::bounded::<u32>(4);
                let other = rx.clone();
                let mut kept = Box::pin(rx.recv());
                assert!(futures::poll!(kept.as_mut()).is_pending(), "queued first");
                tx.send(1).await.unwrap(); // `kept` is woken, never polled again
                let got = bobbin::time::timeout(Duration::from_secs(10), other.recv()).await;
                assert_eq!(got, Ok(Ok(1)), "the value reached the other receiver");
                tx.send(2).await.unwrap();
                assert_eq!(kept.await, Ok(2));
            });
            rt.block_on(job).unwrap();
        }
    });
}

/// The same for a woken send that is never polled again: the free slot it
/// was owed goes to another send after the grace period.
#[test]
fn a_turn_held_by_a_send_never_polled_again_goes_to_another_sender() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stale-send-turn");
        rt.block_on(async {
            let (tx, rx) = channel::bounded::<u32>(1);
            tx.send(0).await.unwrap(); // full
            let mut kept = Box::pin(tx.send(1));
            assert!(futures::poll!(kept.as_mut()).is_pending(), "queued first");
            assert_eq!(rx.recv().await, Ok(0)); // frees the slot: `kept`'s turn
            let got = bobbin::time::timeout(Duration::from_secs(10), tx.send(2)).await;
            assert_eq!(got, Ok(Ok(())), "the slot went to the other send");
            assert_eq!(rx.recv().await, Ok(2));
            drop(kept);
        });
    });
}
