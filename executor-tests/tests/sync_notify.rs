//! `Notify`: a stored permit (one, not a count), `notify_waiters` reaching
//! every waiter made before it and storing nothing, `notify_one` in FIFO
//! order, a dropped chosen waiter passing the notification on, `enable`,
//! and a ping-pong that would hang on a lost wake-up.

use bobbin::sync::Notify;
use executor_tests::{LIMIT, counting_waker, join, poll_once, runtime, with_timeout};
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::task::Waker;

fn ready_now(notify: &Notify) -> bool {
    poll_once(std::pin::pin!(notify.notified()), Waker::noop()).is_ready()
}

#[test]
fn notify_one_without_waiters_stores_one_permit() {
    with_timeout(LIMIT, || {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        assert!(ready_now(&notify), "the stored permit");
        assert!(!ready_now(&notify), "only one: permits do not add up");
    });
}

#[test]
fn notify_waiters_wakes_every_current_waiter_and_stores_nothing() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-notify");
        let notify = Arc::new(Notify::new());
        let (queued_tx, queued_rx) = std::sync::mpsc::channel();
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (notify, queued) = (notify.clone(), queued_tx.clone());
                rt.spawn(async move {
                    let mut notified = std::pin::pin!(notify.notified());
                    assert!(futures::poll!(notified.as_mut()).is_pending());
                    queued.send(()).unwrap();
                    notified.await;
                })
            })
            .collect();
        for _ in 0..200 {
            queued_rx.recv().unwrap();
        }
        notify.notify_waiters();
        for task in tasks {
            join(task).unwrap();
        }
        assert!(!ready_now(&notify), "notify_waiters stores no permit");
    });
}

#[test]
fn a_notified_made_before_notify_waiters_receives_it_unpolled() {
    with_timeout(LIMIT, || {
        let notify = Notify::new();
        let made = notify.notified();
        notify.notify_waiters();
        let later = notify.notified();
        assert!(poll_once(std::pin::pin!(made), Waker::noop()).is_ready());
        assert!(poll_once(std::pin::pin!(later), Waker::noop()).is_pending());
    });
}

#[test]
fn notify_one_wakes_waiters_in_the_order_they_came() {
    with_timeout(LIMIT, || {
        let notify = Notify::new();
        let counters: Vec<_> = (0..5).map(|_| counting_waker()).collect();
        let mut waiters: Vec<_> = (0..5).map(|_| Box::pin(notify.notified())).collect();
        for (waiter, (waker, _)) in waiters.iter_mut().zip(&counters) {
            assert!(poll_once(waiter.as_mut(), waker).is_pending());
        }
        for i in 0..5 {
            notify.notify_one();
            let woken: Vec<usize> = counters.iter().map(|(_, n)| n.load(SeqCst)).collect();
            let expected: Vec<usize> = (0..5).map(|j| usize::from(j <= i)).collect();
            assert_eq!(woken, expected, "after notify_one number {i}");
        }
        for (waiter, (waker, _)) in waiters.iter_mut().zip(&counters) {
            assert!(poll_once(waiter.as_mut(), waker).is_ready());
        }
    });
}

#[test]
fn a_dropped_chosen_waiter_passes_the_notification_on() {
    with_timeout(LIMIT, || {
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        let (waker, wakes) = counting_waker();
        let mut second = Box::pin(notify.notified());
        assert!(poll_once(first.as_mut(), Waker::noop()).is_pending());
        assert!(poll_once(second.as_mut(), &waker).is_pending());
        notify.notify_one();
        assert_eq!(wakes.load(SeqCst), 0, "the first was chosen");
        drop(first);
        assert_eq!(wakes.load(SeqCst), 1, "and passed it on");
        assert!(poll_once(second.as_mut(), &waker).is_ready());
    });
}

#[test]
fn enable_queues_without_polling() {
    with_timeout(LIMIT, || {
        let notify = Notify::new();
        let mut notified = Box::pin(notify.notified());
        assert!(!notified.as_mut().enable());
        notify.notify_one();
        assert!(
            !ready_now(&notify),
            "it went to the enabled future, not to a permit"
        );
        assert!(notified.as_mut().enable());
        assert!(poll_once(notified.as_mut(), Waker::noop()).is_ready());
    });
}

#[test]
fn ping_pong_across_workers_loses_no_wake_up() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-notify");
        let ping = Arc::new(Notify::new());
        let pong = Arc::new(Notify::new());
        let rounds = 5_000;
        let other = {
            let (ping, pong) = (ping.clone(), pong.clone());
            rt.spawn(async move {
                for _ in 0..rounds {
                    ping.notified().await;
                    pong.notify_one();
                }
            })
        };
        rt.block_on(async {
            for _ in 0..rounds {
                ping.notify_one();
                pong.notified().await;
            }
        });
        join(other).unwrap();
    });
}
