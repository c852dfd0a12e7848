//! `Mutex`: fairness (waiters get the lock in the order they asked, and an
//! unlocking task cannot barge ahead of them), cancel safety (a cancelled
//! head waiter passes the lock on), owned guards, and contention by many
//! tasks with cancellations mixed in.

use bobbin::sync::Mutex;
use bobbin::time::timeout;
use executor_tests::{LIMIT, counting_waker, join, poll_once, runtime, with_timeout};
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::task::{Poll, Waker};
use std::time::Duration;

#[test]
fn waiters_get_the_lock_in_the_order_they_asked() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-mutex");
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let holder = mutex.clone().try_lock_owned().unwrap();
        let (queued_tx, queued_rx) = mpsc::channel();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let (mutex, queued) = (mutex.clone(), queued_tx.clone());
            tasks.push(rt.spawn(async move {
                let mut lock = std::pin::pin!(mutex.lock());
                assert!(futures::poll!(lock.as_mut()).is_pending());
                queued.send(()).unwrap();
                lock.await.push(i);
            }));
            // Task i is queued before task i + 1 starts.
            queued_rx.recv().unwrap();
        }
        drop(holder);
        for task in tasks {
            join(task).unwrap();
        }
        let order = mutex.try_lock().unwrap().clone();
        assert_eq!(order, (0..50).collect::<Vec<_>>(), "FIFO order");
    });
}

#[test]
fn an_unlocking_task_cannot_barge_ahead_of_a_waiter() {
    with_timeout(LIMIT, || {
        let mutex = Mutex::new(0);
        let guard = mutex.try_lock().unwrap();
        let (waker, wakes) = counting_waker();
        let mut waiter = Box::pin(mutex.lock());
        assert!(poll_once(waiter.as_mut(), &waker).is_pending());
        drop(guard);
        assert_eq!(wakes.load(SeqCst), 1, "the waiter was woken");
        assert!(
            mutex.try_lock().is_err(),
            "the lock was handed over, not freed"
        );
        let mut late = Box::pin(mutex.lock());
        assert!(poll_once(late.as_mut(), Waker::noop()).is_pending());
        let Poll::Ready(mut guard) = poll_once(waiter.as_mut(), &waker) else {
            panic!("the woken waiter holds the lock");
        };
        *guard += 1;
        drop(guard);
        let Poll::Ready(guard) = poll_once(late.as_mut(), Waker::noop()) else {
            panic!("then the late one");
        };
        assert_eq!(*guard, 1);
    });
}

#[test]
fn a_cancelled_head_waiter_passes_the_lock_on() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-mutex");
        let mutex = Arc::new(Mutex::new(0));
        let guard = mutex.clone().try_lock_owned().unwrap();
        // The head: queued by hand, handed the lock, dropped unpolled.
        let (waker, wakes) = counting_waker();
        let mut head = Box::pin(mutex.lock());
        assert!(poll_once(head.as_mut(), &waker).is_pending());
        let (queued_tx, queued_rx) = mpsc::channel();
        let next = {
            let mutex = mutex.clone();
            rt.spawn(async move {
                let mut lock = std::pin::pin!(mutex.lock());
                assert!(futures::poll!(lock.as_mut()).is_pending());
                queued_tx.send(()).unwrap();
                *lock.await += 1;
            })
        };
        queued_rx.recv().unwrap();
        drop(guard);
        assert_eq!(wakes.load(SeqCst), 1, "the lock went to the head");
        drop(head);
        join(next).expect("the next waiter got the lock");
        assert_eq!(*mutex.try_lock().unwrap(), 1);
    });
}

#[test]
fn a_waiter_cancelled_before_the_unlock_leaves_the_queue() {
    with_timeout(LIMIT, || {
        let mutex = Mutex::new(());
        let guard = mutex.try_lock().unwrap();
        for _ in 0..100 {
            let mut gone = Box::pin(mutex.lock());
            assert!(poll_once(gone.as_mut(), Waker::noop()).is_pending());
        }
        drop(guard);
        assert!(mutex.try_lock().is_ok(), "nobody left queued");
    });
}

#[test]
fn contention_with_cancellations_loses_no_wake_up() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-mutex");
        let mutex = Arc::new(Mutex::new((0u64, false)));
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let mutex = mutex.clone();
                rt.spawn(async move {
                    let mut done = 0;
                    for round in 0..40u64 {
                        // Every third attempt gives up quickly: a cancelled
                        // waiter, maybe one that was just handed the lock.
                        let patience = if (i + round) % 3 == 0 {
                            Duration::from_micros(50)
                        } else {
                            Duration::from_secs(30)
                        };
                        if let Ok(mut guard) = timeout(patience, mutex.lock()).await {
                            assert!(!guard.1, "two holders at once");
                            guard.1 = true;
                            bobbin::task::yield_now().await;
                            guard.0 += 1;
                            guard.1 = false;
                            done += 1;
                        }
                    }
                    done
                })
            })
            .collect();
        let done: u64 = tasks.into_iter().map(|task| join(task).unwrap()).sum();
        let guard = mutex.try_lock().expect("unlocked, nobody queued");
        assert_eq!(guard.0, done);
        assert!(done >= 64 * 26, "the patient attempts all succeed: {done}");
    });
}

#[test]
fn owned_guards_move_into_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-mutex");
        let mutex = Arc::new(Mutex::new(String::new()));
        rt.block_on(async {
            let mut guard = mutex.clone().lock_owned().await;
            let task = bobbin::spawn(async move {
                guard.push_str("from a task");
            });
            task.await.unwrap();
            assert_eq!(*mutex.lock().await, "from a task");
        });
    });
}

#[test]
fn debug_shows_the_value_or_that_it_is_locked() {
    let mutex = Mutex::new(5);
    assert_eq!(format!("{mutex:?}"), "Mutex { data: 5 }");
    let guard = mutex.try_lock().unwrap();
    assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
    assert_eq!(format!("{guard:?}"), "5");
}

/// An unsized value behind the lock, as with tokio's and std's `Mutex`: a
/// slice, and a trait object.
#[test]
fn a_mutex_holds_an_unsized_value() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "mutex-unsized");
        let bytes: Arc<Mutex<[u8]>> = Arc::new(Mutex::new([1, 2, 3]));
        let counter: Arc<Mutex<dyn FnMut() -> u32 + Send>> = Arc::new(Mutex::new({
            let mut n = 0;
            move || {
                n += 1;
                n
            }
        }));
        let task = {
            let bytes = bytes.clone();
            let counter = counter.clone();
            rt.spawn(async move {
                bytes.lock().await[0] = 9;
                (counter.lock().await)()
            })
        };
        assert_eq!(rt.block_on(task).unwrap(), 1);
        rt.block_on(async {
            assert_eq!(&*bytes.lock().await, &[9, 2, 3]);
            assert_eq!((counter.clone().lock_owned().await)(), 2);
        });
    });
}

/// `blocking_lock` serves plain threads; on a worker it would stall the
/// tasks queued there, so it refuses with what to do instead.
#[test]
fn blocking_lock_serves_threads_and_refuses_workers() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "mutex-blocking");
        let mutex = Arc::new(Mutex::new(0u32));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let mutex = mutex.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        *mutex.blocking_lock() += 1;
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(*mutex.blocking_lock(), 400);
        let task = {
            let mutex = mutex.clone();
            rt.spawn(async move { drop(mutex.blocking_lock()) })
        };
        let err = rt.block_on(task).unwrap_err();
        let message = executor_tests::panic_message(&*err.into_panic());
        assert!(
            message.contains("Mutex::blocking_lock was called on a runtime worker thread"),
            "{message}"
        );
        assert!(message.contains(".await"), "{message}");
    });
}
