//! Channels with Go's semantics, after Go's `chan_test.go`: buffered
//! channels keep order and make senders wait only when full; a rendezvous
//! (`bounded(0)`) send completes only when a receiver takes the value;
//! close wakes every waiting receiver and sender, receivers drain what is
//! buffered first, sends on a closed channel hand the value back; dropping
//! every receiver makes sends fail; P producers × P consumers deliver each
//! value exactly once, on every flavor; small queues in lockstep, where
//! each wake-up is the only one that can come, lose none; `try_*`, `len`,
//! `capacity`; the
//! blocking forms bridge plain threads and refuse worker threads; `Stream`
//! and `Sink`.

use bobbin::channel::{self, RecvError, SendError, TryRecvError, TrySendError};
use executor_tests::{DropCounter, DropGuard, LIMIT, panic_message_of, runtime, with_timeout};
use futures::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Go's TestChan, buffered part: values come out in the order they went in,
/// a send waits only when the buffer is full, and `len` counts the buffer.
#[test]
fn buffered_channels_keep_order_and_wait_only_when_full() {
    with_timeout(LIMIT, || {
        for capacity in [1, 2, 7, 64] {
            let (tx, rx) = channel::bounded::<usize>(capacity);
            assert_eq!(tx.capacity(), Some(capacity));
            for i in 0..capacity {
                assert_eq!(tx.try_send(i), Ok(()), "room for {capacity}");
                assert_eq!(rx.len(), i + 1);
            }
            assert!(tx.is_full());
            assert_eq!(tx.try_send(99), Err(TrySendError::Full(99)));
            // A send now waits until a value is taken.
            let mut send = pin!(tx.send(capacity));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(send.as_mut().poll(&mut cx).is_pending());
            assert_eq!(rx.try_recv(), Ok(0));
            assert_eq!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
            for i in 1..=capacity {
                assert_eq!(rx.try_recv(), Ok(i));
            }
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
        let (tx, rx) = channel::unbounded();
        assert_eq!(tx.capacity(), None);
        for i in 0..10_000 {
            tx.try_send(i).unwrap();
        }
        assert_eq!(rx.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(rx.try_recv(), Ok(i));
        }
    });
}

/// Go's unbuffered channel: a send completes only once a receiver has the
/// value; `try_send` succeeds only if a receiver waits; `try_recv` only if
/// a sender waits; `len` stays 0.
#[test]
fn a_rendezvous_send_completes_when_the_value_is_taken() {
    with_timeout(LIMIT, || {
        let (tx, rx) = channel::bounded::<u32>(0);
        assert_eq!(tx.capacity(), Some(0));
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)), "nobody waits");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let mut cx = Context::from_waker(Waker::noop());
        let mut send = pin!(tx.send(2));
        assert!(send.as_mut().poll(&mut cx).is_pending(), "no receiver yet");
        assert!(send.as_mut().poll(&mut cx).is_pending(), "still none");
        assert_eq!(rx.len(), 0);
        assert_eq!(rx.try_recv(), Ok(2), "the waiting sender's value");
        assert_eq!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        // A waiting receiver makes try_send succeed.
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        assert_eq!(tx.try_send(3), Ok(()));
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(3)));
        // A send stays pending while nobody receives, however often polled.
        let mut lonely = pin!(tx.send(4));
        for _ in 0..10 {
            assert!(lonely.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(rx.try_recv(), Ok(4));
        assert_eq!(lonely.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        // Across tasks, in order.
        let rt = runtime(2, "chan-rendezvous");
        rt.block_on(async {
            let (tx, rx) = channel::bounded::<u32>(0);
            let sender = bobbin::spawn(async move {
                for i in 0..1_000 {
                    tx.send(i).await.unwrap();
                }
            });
            for i in 0..1_000 {
                assert_eq!(rx.recv().await, Ok(i));
            }
            sender.await.unwrap();
        });
    });
}

/// Go's close semantics: every waiting receiver is woken; receivers drain
/// what is buffered, then get `RecvError`; a waiting sender gets its value
/// back; later sends fail with the value; `close` reports who closed.
#[test]
fn close_wakes_everyone_and_receivers_drain_first() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chan-close");
        rt.block_on(async {
            for capacity in [Some(0), Some(1), Some(4), None] {
                let (tx, rx) = match capacity {
                    Some(n) => channel::bounded::<u32>(n),
                    None => channel::unbounded(),
                };
                let receivers: Vec<_> = (0..20)
                    .map(|_| {
                        let rx = rx.clone();
                        bobbin::spawn(async move { rx.recv().await })
                    })
                    .collect();
                bobbin::time::sleep(Duration::from_millis(10)).await;
                assert!(tx.close(), "this call closed it");
                assert!(!rx.close(), "already closed");
                assert!(tx.is_closed() && rx.is_closed());
                for receiver in receivers {
                    assert_eq!(receiver.await.unwrap(), Err(RecvError));
                }
                assert_eq!(tx.send(5).await, Err(SendError(5)));
                assert_eq!(tx.try_send(6), Err(TrySendError::Closed(6)));
            }
            // Drain after close.
            let (tx, rx) = channel::bounded(3);
            for i in 0..3 {
                tx.send(i).await.unwrap();
            }
            rx.close();
            for i in 0..3 {
                assert_eq!(rx.recv().await, Ok(i));
            }
            assert_eq!(rx.recv().await, Err(RecvError));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            // A sender waiting for room is woken with its value back.
            let (tx, rx) = channel::bounded(1);
            tx.send(1).await.unwrap();
            let tx2 = tx.clone();
            let waiting = bobbin::spawn(async move { tx2.send(2).await });
            bobbin::time::sleep(Duration::from_millis(10)).await;
            rx.close();
            assert_eq!(waiting.await.unwrap(), Err(SendError(2)));
            // So is a rendezvous sender.
            let (tx, rx) = channel::bounded(0);
            let waiting = bobbin::spawn(async move { tx.send("value").await });
            bobbin::time::sleep(Duration::from_millis(10)).await;
            rx.close();
            assert_eq!(waiting.await.unwrap(), Err(SendError("value")));
        });
    });
}

/// Dropping every sender closes; dropping every receiver closes too, so a
/// send fails rather than fill a buffer nobody reads (waiting ones too).
#[test]
fn dropping_every_handle_of_one_side_closes() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chan-drop");
        rt.block_on(async {
            let (tx, rx) = channel::bounded::<u8>(1);
            let tx2 = tx.clone();
            assert_eq!(rx.sender_count(), 2);
            drop(tx);
            assert!(!rx.is_closed(), "one sender left");
            tx2.send(1).await.unwrap();
            drop(tx2);
            assert!(rx.is_closed());
            assert_eq!(rx.recv().await, Ok(1));
            assert_eq!(rx.recv().await, Err(RecvError));

            let (tx, rx) = channel::bounded::<u8>(1);
            tx.send(1).await.unwrap();
            let tx2 = tx.clone();
            let waiting = bobbin::spawn(async move { tx2.send(2).await });
            bobbin::time::sleep(Duration::from_millis(10)).await;
            let rx2 = rx.clone();
            assert_eq!(tx.receiver_count(), 2);
            drop(rx);
            drop(rx2);
            assert_eq!(waiting.await.unwrap(), Err(SendError(2)));
            assert_eq!(tx.send(3).await, Err(SendError(3)));
        });
    });
}

/// P producers × P consumers on every flavor: each value is received
/// exactly once, nothing lost or duplicated, and each producer's values
/// arrive in its order (FIFO per sender).
#[test]
fn many_producers_and_consumers_deliver_each_value_exactly_once() {
    with_timeout(LIMIT, || {
        let rt = runtime(4, "chan-pxp");
        rt.block_on(async {
            let (producers, consumers, per_producer) = (8u64, 8, 2_000u64);
            for capacity in [Some(0), Some(1), Some(2), Some(16), None] {
                let (tx, rx) = match capacity {
                    Some(n) => channel::bounded::<(u64, u64)>(n),
                    None => channel::unbounded(),
                };
                for p in 0..producers {
                    let tx = tx.clone();
                    bobbin::spawn(async move {
                        for i in 0..per_producer {
                            tx.send((p, i)).await.unwrap();
                        }
                    });
                }
                drop(tx);
                let tasks: Vec<_> = (0..consumers)
                    .map(|_| {
                        let rx = rx.clone();
                        bobbin::spawn(async move {
                            let mut got = Vec::new();
                            while let Ok(value) = rx.recv().await {
                                got.push(value);
                            }
                            got
                        })
                    })
                    .collect();
                drop(rx);
                let mut seen = HashSet::new();
                for task in tasks {
                    let got = task.await.unwrap();
                    let mut last = vec![None; producers as usize];
                    for (p, i) in got {
                        assert!(
                            seen.insert((p, i)),
                            "{capacity:?}: ({p}, {i}) received twice"
                        );
                        let previous = last[p as usize].replace(i);
                        assert!(
                            previous < Some(i),
                            "{capacity:?}: producer {p} out of order"
                        );
                    }
                }
                assert_eq!(
                    seen.len() as u64,
                    producers * per_producer,
                    "{capacity:?}: values lost"
                );
            }
        });
    });
}

/// A producer and a consumer in lockstep on small queues, on two workers,
/// where every wake-up is the only one that can come: the data queue is
/// kept full, the producer's next send waits for room, the consumer takes
/// one value (the only receive that can wake the sender) and then waits
/// for the producer's acknowledgement on a second queue (the only send that
/// can wake it). A wake-up missed on either side hangs the test, and the
/// time limit fails it. Queues of two slots and more, and unbounded ones,
/// run no fence after a push or pop (`chan.rs`).
#[test]
fn small_queues_in_lockstep_lose_no_wake_up() {
    const STEPS: u64 = 20_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chan-lockstep");
        rt.block_on(async {
            for (capacity, ack_capacity) in [(2, Some(2)), (3, None)] {
                let (data_tx, data_rx) = channel::bounded::<u64>(capacity);
                let (ack_tx, ack_rx) = match ack_capacity {
                    Some(n) => channel::bounded::<u64>(n),
                    None => channel::unbounded(),
                };
                for value in 0..capacity as u64 {
                    data_tx.try_send(value).unwrap();
                }
                let producer = bobbin::spawn(async move {
                    for step in 0..STEPS {
                        data_tx.send(capacity as u64 + step).await.unwrap();
                        ack_tx.send(step).await.unwrap();
                    }
                });
                let consumer = bobbin::spawn(async move {
                    for step in 0..STEPS {
                        assert_eq!(data_rx.recv().await, Ok(step), "data in order");
                        assert_eq!(ack_rx.recv().await, Ok(step), "acks in order");
                    }
                    data_rx
                });
                producer.await.unwrap();
                let data_rx = consumer.await.unwrap();
                assert_eq!(data_rx.len(), capacity, "{capacity}: the queue ends full");
            }
        });
    });
}

/// The blocking forms connect plain threads with tasks, both ways, on a
/// rendezvous too; on a worker thread they panic with a message.
#[test]
fn blocking_forms_bridge_threads_and_refuse_workers() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chan-blocking");
        let (to_task, from_thread) = channel::bounded::<u32>(0);
        let (to_thread, from_task) = channel::bounded::<u32>(1);
        let echo = rt.spawn(async move {
            while let Ok(value) = from_thread.recv().await {
                to_thread.send(value * 2).await.unwrap();
            }
        });
        for i in 0..100 {
            to_task.send_blocking(i).unwrap();
            assert_eq!(from_task.recv_blocking(), Ok(i * 2));
        }
        drop(to_task);
        assert_eq!(from_task.recv_blocking(), Err(RecvError));
        rt.block_on(echo).unwrap();

        let (tx, rx) = channel::bounded::<u32>(1);
        let on_worker = rt.spawn(async move {
            let message = panic_message_of(|| tx.send_blocking(1));
            let message2 = panic_message_of(|| rx.recv_blocking());
            (message, message2)
        });
        let (message, message2) = rt.block_on(on_worker).unwrap();
        assert!(
            message.contains("send_blocking was called on a runtime worker thread"),
            "{message}"
        );
        assert!(
            message2.contains("recv_blocking was called on a runtime worker thread"),
            "{message2}"
        );
    });
}

/// `Receiver` is a `Stream` that ends at close; `Sender` is a `Sink`
/// (`forward`, `send`, `feed` + `flush`), and a closed channel's error
/// hands the value back.
#[test]
fn receiver_is_a_stream_and_sender_a_sink() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chan-stream-sink");
        rt.block_on(async {
            let (tx, rx) = channel::bounded(4);
            let producer = bobbin::spawn(async move {
                let mut tx = tx;
                futures::stream::iter(0..100u32)
                    .map(Ok)
                    .forward(&mut tx)
                    .await
                    .unwrap();
                tx.send(100).await.unwrap();
                tx.feed(101).await.unwrap();
                tx.flush().await.unwrap();
            });
            let got: Vec<u32> = rx.collect().await;
            assert_eq!(got, (0..=101).collect::<Vec<_>>());
            producer.await.unwrap();

            let (mut tx, rx) = channel::bounded::<u32>(0);
            drop(rx);
            assert_eq!(SinkExt::send(&mut tx, 7).await, Err(SendError(7)));
        });
    });
}

type Job = Box<dyn FnOnce() -> u32 + Send>;

/// Submits a job through a borrowed sender: the future holds `&Sender`
/// across an await, so it is `Send` only if `Sender<Job>` is `Sync`.
async fn submit(tx: &channel::Sender<Job>, job: Job) {
    tx.send(job).await.unwrap();
}

/// A `Sender` of values that are `Send` but not `Sync` (boxed closures) is
/// `Sync` itself, as tokio's is: it can sit in shared state used by spawned
/// tasks, and a borrowed sender can be awaited on inside one.
#[test]
fn a_sender_of_send_only_values_is_shared_between_tasks() {
    with_timeout(LIMIT, || {
        struct State {
            jobs: channel::Sender<Job>,
        }
        let rt = runtime(2, "sender-sync");
        let (tx, rx) = channel::bounded::<Job>(1);
        let state = std::sync::Arc::new(State { jobs: tx });
        let producers: Vec<_> = (0..4u32)
            .map(|i| {
                let state = state.clone();
                rt.spawn(async move { submit(&state.jobs, Box::new(move || i * 10)).await })
            })
            .collect();
        drop(state);
        let total = rt.block_on(async move {
            let mut total = 0;
            while let Ok(job) = rx.recv().await {
                total += job();
            }
            total
        });
        for producer in producers {
            rt.block_on(producer).unwrap();
        }
        assert_eq!(total, 60);
    });
}

/// A oneshot receiver is one pointer (a task parked on it carries nothing
/// more: issue 19's memory row), and polling it after it returned still
/// panics with advice rather than hanging or returning garbage.
#[test]
fn a_oneshot_receiver_is_one_word_and_refuses_a_second_poll() {
    with_timeout(LIMIT, || {
        assert_eq!(
            std::mem::size_of::<channel::oneshot::Receiver<u64>>(),
            std::mem::size_of::<usize>()
        );
        for sent in [true, false] {
            let (tx, rx) = channel::oneshot::<u8>();
            if sent {
                tx.send(7).unwrap();
            } else {
                drop(tx);
            }
            let mut rx = pin!(rx);
            let mut cx = Context::from_waker(Waker::noop());
            let expected = if sent { Ok(7) } else { Err(RecvError) };
            assert_eq!(rx.as_mut().poll(&mut cx), Poll::Ready(expected));
            let message = panic_message_of(|| rx.as_mut().poll(&mut cx));
            assert!(message.contains("await it once"), "{message}");
        }
    });
}

/// Oneshots whose two halves race on two threads (send against the
/// receiver's drop, close or await, a dropped sender against a waiting
/// receiver): every value is delivered or handed back and dropped exactly
/// once, and every waiting side wakes. (The unit tests in `oneshot.rs`,
/// run under valgrind in CI, check that no channel leaks.)
#[test]
fn oneshot_halves_racing_on_two_threads_drop_each_value_once_and_wake_every_waiter() {
    with_timeout(LIMIT, || {
        let values = DropCounter::new();
        let rounds = 2_000;
        for round in 0..rounds {
            let (tx, mut rx) = channel::oneshot::<DropGuard>();
            let receiver = std::thread::spawn(move || match round % 4 {
                0 => drop(rx),
                1 => {
                    rx.close();
                    drop(rx.recv_blocking());
                }
                // A receiver that waits gets the value, or `RecvError`
                // when the sender is dropped unsent.
                2 => assert!(rx.recv_blocking().is_ok(), "the value was sent"),
                _ => assert!(rx.recv_blocking().is_err(), "nothing was sent"),
            });
            match round % 4 {
                3 => drop(tx),
                _ => drop(tx.send(values.guard())),
            }
            receiver.join().unwrap();
        }
        let sent = (0..rounds).filter(|round| round % 4 != 3).count();
        assert_eq!(values.made(), sent);
        assert_eq!(values.dropped(), sent, "each value dropped exactly once");

        // A sender waiting in `closed` is woken by the receiver's drop or
        // close on another thread.
        let rt = runtime(2, "oneshot-closed");
        for round in 0..200 {
            let (tx, mut rx) = channel::oneshot::<u8>();
            let closer = std::thread::spawn(move || {
                if round % 2 == 0 {
                    rx.close();
                }
                drop(rx);
            });
            rt.block_on(tx.closed());
            assert!(tx.is_closed());
            closer.join().unwrap();
        }
    });
}
