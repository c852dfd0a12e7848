//! The watch channel through the public API: receivers see the latest
//! value, `changed` wakes every receiver, a receiver that falls behind
//! skips to the latest, and closing ends the waits.

use bobbin::channel::{RecvError, watch};
use executor_tests::{LIMIT, runtime, with_timeout};
use futures::StreamExt;
use std::time::Duration;

#[test]
fn every_receiver_wakes_on_a_change_and_sees_the_latest() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "watch-wake");
        rt.block_on(async {
            let (tx, rx) = watch(0u32);
            let watchers: Vec<_> = (0..16)
                .map(|_| {
                    let mut rx = rx.clone();
                    bobbin::spawn(async move {
                        rx.changed().await.unwrap();
                        *rx.borrow_and_update()
                    })
                })
                .collect();
            bobbin::time::sleep(Duration::from_millis(20)).await;
            tx.send(7).unwrap();
            for watcher in watchers {
                assert_eq!(watcher.await.unwrap(), 7);
            }
        });
    });
}

#[test]
fn a_receiver_that_falls_behind_sees_only_the_latest() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "watch-skip");
        rt.block_on(async {
            let (tx, mut rx) = watch(0u32);
            for n in 1..=100 {
                tx.send(n).unwrap();
            }
            rx.changed().await.unwrap();
            assert_eq!(*rx.borrow(), 100);
            assert!(
                bobbin::time::timeout(Duration::from_millis(10), rx.changed())
                    .await
                    .is_err(),
                "one change seen for the hundred"
            );
        });
    });
}

#[test]
fn the_stream_yields_the_current_value_then_each_change_and_ends_when_closed() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "watch-stream");
        rt.block_on(async {
            let (tx, rx) = watch("a");
            let collector = bobbin::spawn(rx.collect::<Vec<_>>());
            bobbin::time::sleep(Duration::from_millis(20)).await;
            tx.send("b").unwrap();
            bobbin::time::sleep(Duration::from_millis(20)).await;
            tx.send("c").unwrap();
            bobbin::time::sleep(Duration::from_millis(20)).await;
            drop(tx);
            assert_eq!(collector.await.unwrap(), ["a", "b", "c"]);
        });
    });
}

#[test]
fn closing_wakes_waiting_receivers_with_an_error() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "watch-close");
        rt.block_on(async {
            let (tx, mut rx) = watch(1);
            let waiter = bobbin::spawn(async move {
                let result = rx.changed().await;
                (result, *rx.borrow())
            });
            bobbin::time::sleep(Duration::from_millis(20)).await;
            drop(tx);
            assert_eq!(
                waiter.await.unwrap(),
                (Err(RecvError), 1),
                "the value stays readable"
            );
        });
    });
}

#[test]
fn a_sender_waits_until_every_receiver_is_gone() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "watch-closed");
        rt.block_on(async {
            let (tx, rx) = watch(());
            let rx2 = rx.clone();
            let dropper = bobbin::spawn(async move {
                bobbin::time::sleep(Duration::from_millis(20)).await;
                drop(rx);
                bobbin::time::sleep(Duration::from_millis(20)).await;
                drop(rx2);
            });
            tx.closed().await;
            assert!(tx.is_closed());
            assert!(tx.send(()).is_err());
            dropper.await.unwrap();
        });
    });
}

#[test]
fn an_unmodified_value_wakes_nobody() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "watch-unmodified");
        rt.block_on(async {
            let (tx, mut rx) = watch(vec![1, 2]);
            assert!(!tx.send_if_modified(|list| {
                list.retain(|&n| n > 0);
                false
            }));
            assert!(
                bobbin::time::timeout(Duration::from_millis(10), rx.changed())
                    .await
                    .is_err()
            );
            tx.send_modify(|list| list.push(3));
            rx.changed().await.unwrap();
            assert_eq!(*rx.borrow(), [1, 2, 3]);
            let value = rx.wait_for(|list| list.len() == 3).await.unwrap();
            assert_eq!(value.len(), 3);
        });
    });
}

#[test]
fn wait_for_returns_the_value_its_predicate_accepted_while_a_sender_races() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "watch-wait-for");
        rt.block_on(async {
            let (tx, mut rx) = bobbin::channel::watch(5u32);
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let writer = {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut flip = false;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        tx.send(if flip { 5 } else { 99 }).unwrap();
                        flip = !flip;
                    }
                })
            };
            for _ in 0..20_000 {
                let value = rx.wait_for(|v| *v == 5).await.unwrap();
                assert_eq!(*value, 5, "the value the predicate accepted");
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            writer.join().unwrap();
        });
    });
}
