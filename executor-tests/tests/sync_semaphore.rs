//! `Semaphore`: acquire_many ordering (a big request at the head is not
//! passed by later small ones), cancel safety of `acquire` (a cancelled
//! head waiter passes on what it was handed), `close` waking every waiter,
//! `forget`, owned permits, and the permit count under churn.

use bobbin::sync::{Semaphore, TryAcquireError};
use bobbin::time::timeout;
use executor_tests::{LIMIT, counting_waker, join, poll_once, runtime, with_timeout};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Poll, Waker};
use std::time::Duration;

#[test]
fn acquire_many_at_the_head_is_not_passed_by_later_small_requests() {
    with_timeout(LIMIT, || {
        let semaphore = Semaphore::new(1);
        let (big_waker, big_wakes) = counting_waker();
        let (small_waker, small_wakes) = counting_waker();
        let mut big = Box::pin(semaphore.acquire_many(3));
        assert!(poll_once(big.as_mut(), &big_waker).is_pending());
        let mut small = Box::pin(semaphore.acquire());
        assert!(poll_once(small.as_mut(), &small_waker).is_pending());
        assert_eq!(
            semaphore.available_permits(),
            0,
            "the head took the free permit"
        );

        semaphore.add_permits(1);
        assert_eq!(
            small_wakes.load(SeqCst),
            0,
            "a permit freed while the big request waits goes to it"
        );
        assert_eq!(
            semaphore.try_acquire().unwrap_err(),
            TryAcquireError::NoPermits
        );
        semaphore.add_permits(1);
        assert_eq!(big_wakes.load(SeqCst), 1, "three permits collected");
        let Poll::Ready(Ok(permit)) = poll_once(big.as_mut(), &big_waker) else {
            panic!("the big request completes");
        };
        assert_eq!(permit.num_permits(), 3);
        assert!(poll_once(small.as_mut(), &small_waker).is_pending());
        drop(permit);
        assert_eq!(small_wakes.load(SeqCst), 1);
        let Poll::Ready(Ok(permit)) = poll_once(small.as_mut(), &small_waker) else {
            panic!("then the small one");
        };
        drop(permit);
        assert_eq!(semaphore.available_permits(), 3);
    });
}

#[test]
fn waiters_are_served_in_order_across_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-semaphore");
        let semaphore = Arc::new(Semaphore::new(0));
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (queued_tx, queued_rx) = std::sync::mpsc::channel();
        let mut tasks = Vec::new();
        for i in 0..40u32 {
            let (semaphore, order, queued) = (semaphore.clone(), order.clone(), queued_tx.clone());
            tasks.push(rt.spawn(async move {
                let mut acquire = std::pin::pin!(semaphore.acquire_many(1 + i % 3));
                assert!(futures::poll!(acquire.as_mut()).is_pending());
                queued.send(()).unwrap();
                let permit = acquire.await.unwrap();
                order.lock().unwrap().push(i);
                permit.forget();
            }));
            queued_rx.recv().unwrap();
        }
        // One permit at a time: each request completes only when all the
        // earlier ones have.
        let mut tasks = tasks.into_iter();
        for i in 0..40u32 {
            semaphore.add_permits((1 + i % 3) as usize);
            join(tasks.next().unwrap()).unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..40).collect::<Vec<_>>());
    });
}

#[test]
fn a_cancelled_head_passes_on_what_it_was_handed() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-semaphore");
        let semaphore = Arc::new(Semaphore::new(0));
        // The head asks for 2 and is handed 1, then dropped.
        let mut head = Box::pin(semaphore.acquire_many(2));
        assert!(poll_once(head.as_mut(), Waker::noop()).is_pending());
        let (queued_tx, queued_rx) = std::sync::mpsc::channel();
        let next = {
            let semaphore = semaphore.clone();
            rt.spawn(async move {
                let mut acquire = std::pin::pin!(semaphore.acquire());
                assert!(futures::poll!(acquire.as_mut()).is_pending());
                queued_tx.send(()).unwrap();
                acquire.await.unwrap().forget();
            })
        };
        queued_rx.recv().unwrap();
        semaphore.add_permits(1);
        drop(head);
        join(next).expect("the permit handed to the head went on");
        assert_eq!(semaphore.available_permits(), 0);

        // Granted in full but never polled again: all of it goes on.
        let mut head = Box::pin(semaphore.acquire());
        assert!(poll_once(head.as_mut(), Waker::noop()).is_pending());
        let mut next = Box::pin(semaphore.acquire());
        let (waker, wakes) = counting_waker();
        assert!(poll_once(next.as_mut(), &waker).is_pending());
        semaphore.add_permits(1);
        assert_eq!(wakes.load(SeqCst), 0);
        drop(head);
        assert_eq!(
            wakes.load(SeqCst),
            1,
            "the dropped head woke the next waiter"
        );
        assert!(matches!(
            poll_once(next.as_mut(), &waker),
            Poll::Ready(Ok(_))
        ));
    });
}

#[test]
fn churn_with_cancellations_keeps_the_count_and_the_bound() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-semaphore");
        let semaphore = Arc::new(Semaphore::new(3));
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..48u32)
            .map(|i| {
                let (semaphore, inside) = (semaphore.clone(), inside.clone());
                rt.spawn(async move {
                    for round in 0..40u32 {
                        let n = 1 + (i + round) % 2;
                        let patience = if (i + round) % 4 == 0 {
                            Duration::from_micros(100)
                        } else {
                            Duration::from_secs(30)
                        };
                        if let Ok(permit) = timeout(patience, semaphore.acquire_many(n)).await {
                            let permit = permit.unwrap();
                            assert!(inside.fetch_add(n as usize, SeqCst) + n as usize <= 3);
                            bobbin::task::yield_now().await;
                            inside.fetch_sub(n as usize, SeqCst);
                            drop(permit);
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            join(task).unwrap();
        }
        assert_eq!(semaphore.available_permits(), 3, "no permit lost or made");
    });
}

#[test]
fn close_wakes_every_waiter_with_an_error() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-semaphore");
        let semaphore = Arc::new(Semaphore::new(0));
        let (queued_tx, queued_rx) = std::sync::mpsc::channel();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (semaphore, queued) = (semaphore.clone(), queued_tx.clone());
                rt.spawn(async move {
                    let mut acquire = std::pin::pin!(semaphore.acquire());
                    if futures::poll!(acquire.as_mut()).is_pending() {
                        queued.send(()).unwrap();
                    }
                    acquire.await.map(|_| ()).unwrap_err().to_string()
                })
            })
            .collect();
        for _ in 0..100 {
            queued_rx.recv().unwrap();
        }
        semaphore.close();
        for task in tasks {
            assert_eq!(join(task).unwrap(), "semaphore closed");
        }
        assert!(semaphore.is_closed());
        assert_eq!(
            semaphore.try_acquire().unwrap_err(),
            TryAcquireError::Closed
        );
    });
}

#[test]
fn forget_and_owned_permits() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-semaphore");
        let semaphore = Arc::new(Semaphore::new(4));
        semaphore.try_acquire_many(2).unwrap().forget();
        assert_eq!(semaphore.available_permits(), 2);
        rt.block_on(async {
            let permit = semaphore.clone().acquire_many_owned(2).await.unwrap();
            assert_eq!(semaphore.available_permits(), 0);
            bobbin::spawn(async move { drop(permit) }).await.unwrap();
            assert_eq!(semaphore.available_permits(), 2);
        });
        let debug = format!("{semaphore:?}");
        assert!(debug.contains("permits: 2"), "{debug}");
    });
}

/// `add_permits` that overflows panics, and a waiter it had already
/// granted before the panic is still woken (it must not sleep holding
/// permits).
#[test]
fn an_overflowing_add_permits_still_wakes_the_waiter_it_granted() {
    with_timeout(LIMIT, || {
        let semaphore = Semaphore::new(0);
        let (waker, wakes) = counting_waker();
        let mut acquire = std::pin::pin!(semaphore.acquire());
        assert!(poll_once(acquire.as_mut(), &waker).is_pending());
        let overflow = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            semaphore.add_permits(usize::MAX)
        }));
        let message = overflow.expect_err("overflow panics");
        let message = message
            .downcast_ref::<String>()
            .expect("a formatted message");
        assert!(message.contains("add fewer permits"), "{message}");
        assert_eq!(wakes.load(SeqCst), 1, "the granted waiter was woken");
        assert!(poll_once(acquire.as_mut(), &waker).is_ready());
    });
}
