//! The broadcast channel through the public API: every receiver sees every
//! value in order, a receiver that falls behind is told how many it
//! missed, closing drains then ends, and a dropped wait loses nothing.

use bobbin::channel::broadcast::{self, RecvError, TryRecvError};
use executor_tests::{LIMIT, runtime, with_timeout};
use futures::StreamExt;
use std::time::Duration;

#[test]
fn every_receiver_sees_every_value_in_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "broadcast-order");
        rt.block_on(async {
            let (tx, rx) = broadcast::broadcast::<u32>(1024);
            let receivers: Vec<_> = (0..8)
                .map(|_| {
                    let mut rx = rx.resubscribe();
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
            let senders: Vec<_> = (0..2u32)
                .map(|producer| {
                    let tx = tx.clone();
                    bobbin::spawn(async move {
                        for n in 0..500 {
                            tx.send(producer * 1000 + n).unwrap();
                            if n % 64 == 0 {
                                bobbin::task::yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            drop(tx);
            for sender in senders {
                sender.await.unwrap();
            }
            let mut first: Option<Vec<u32>> = None;
            for receiver in receivers {
                let got = receiver.await.unwrap();
                assert_eq!(got.len(), 1000, "no receiver missed a value");
                for producer in 0..2 {
                    let own: Vec<u32> = got
                        .iter()
                        .copied()
                        .filter(|v| v / 1000 == producer)
                        .collect();
                    assert!(
                        own.windows(2).all(|w| w[0] < w[1]),
                        "each sender's values in order"
                    );
                }
                match &first {
                    None => first = Some(got),
                    Some(first) => assert_eq!(&got, first, "every receiver saw one order"),
                }
            }
        });
    });
}

#[test]
fn a_receiver_that_falls_behind_is_told_how_many_it_missed() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "broadcast-lag");
        rt.block_on(async {
            let (tx, mut rx) = broadcast::broadcast(4);
            for n in 0..20u32 {
                tx.send(n).unwrap();
            }
            assert_eq!(rx.recv().await, Err(RecvError::Lagged(16)));
            let rest: Vec<u32> = (0..4).map(|_| rx.try_recv().unwrap()).collect();
            assert_eq!(
                rest,
                [16, 17, 18, 19],
                "it resumes at the oldest value kept"
            );
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            assert!(
                RecvError::Lagged(16)
                    .to_string()
                    .contains("missed 16 values")
            );
        });
    });
}

#[test]
fn closing_lets_receivers_drain_then_ends_their_streams() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "broadcast-close");
        rt.block_on(async {
            let (tx, rx) = broadcast::broadcast(8);
            let mut waiting = rx.resubscribe();
            let waiter = bobbin::spawn(async move { waiting.recv().await });
            bobbin::time::sleep(Duration::from_millis(20)).await;
            for n in 0..3 {
                tx.send(n).unwrap();
            }
            drop(tx);
            assert_eq!(waiter.await.unwrap(), Ok(0));
            let drained: Vec<_> = rx.collect().await;
            assert_eq!(drained, [Ok(0), Ok(1), Ok(2)]);
        });
    });
}

#[test]
fn a_send_without_receivers_gives_the_value_back() {
    let (tx, rx) = broadcast::broadcast::<String>(2);
    assert_eq!(tx.send("one".into()), Ok(1));
    drop(rx);
    assert_eq!(tx.send("two".into()).unwrap_err().0, "two");
    let mut late = tx.subscribe();
    assert_eq!(
        tx.send("three".into()),
        Ok(1),
        "a new subscriber revives it"
    );
    assert_eq!(late.try_recv().as_deref(), Ok("three"));
}

#[test]
fn a_receive_given_up_on_loses_no_value() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "broadcast-cancel");
        rt.block_on(async {
            let (tx, mut rx) = broadcast::broadcast(4);
            let timed_out = bobbin::time::timeout(Duration::from_millis(10), rx.recv()).await;
            assert!(timed_out.is_err());
            tx.send(5).unwrap();
            assert_eq!(rx.recv().await, Ok(5), "the dropped wait took nothing");
        });
    });
}
