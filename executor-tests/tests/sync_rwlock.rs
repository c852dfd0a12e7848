//! `RwLock`: many readers at once, a waiting writer not starved by a
//! stream of readers (it blocks later readers and goes before them),
//! readers queued behind a writer going together, downgrade, and cancel
//! safety of a queued writer.

use bobbin::sync::{Barrier, RwLock};
use executor_tests::{LIMIT, counting_waker, join, poll_once, runtime, with_timeout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Poll, Waker};

#[test]
fn readers_hold_the_lock_together() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-rwlock");
        let lock = Arc::new(RwLock::new(7));
        // Each reader waits, holding its guard, until all ten hold theirs.
        let all_in = Arc::new(Barrier::new(10));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (lock, all_in) = (lock.clone(), all_in.clone());
                rt.spawn(async move {
                    let guard = lock.read().await;
                    all_in.wait().await;
                    *guard
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(join(task).unwrap(), 7);
        }
    });
}

#[test]
fn a_waiting_writer_blocks_later_readers_and_goes_first() {
    with_timeout(LIMIT, || {
        let lock = RwLock::new(0);
        let early = lock.try_read().unwrap();
        let (writer_waker, writer_wakes) = counting_waker();
        let mut write = Box::pin(lock.write());
        assert!(poll_once(write.as_mut(), &writer_waker).is_pending());
        assert!(
            lock.try_read().is_err(),
            "a queued writer blocks new readers"
        );
        let (reader_waker, reader_wakes) = counting_waker();
        let mut late = Box::pin(lock.read());
        assert!(poll_once(late.as_mut(), &reader_waker).is_pending());
        drop(early);
        assert_eq!(writer_wakes.load(SeqCst), 1);
        assert_eq!(reader_wakes.load(SeqCst), 0);
        let Poll::Ready(mut guard) = poll_once(write.as_mut(), &writer_waker) else {
            panic!("the writer goes when the early reader leaves");
        };
        *guard = 1;
        drop(guard);
        let Poll::Ready(guard) = poll_once(late.as_mut(), &reader_waker) else {
            panic!("the late reader goes after the writer");
        };
        assert_eq!(*guard, 1);
    });
}

#[test]
fn a_writer_is_not_starved_by_overlapping_readers() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-rwlock");
        let lock = Arc::new(RwLock::new(0u64));
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        // Readers that always overlap: with a lock that lets new readers
        // in while others read, a writer would wait forever.
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (lock, stop, reads) = (lock.clone(), stop.clone(), reads.clone());
                rt.spawn(async move {
                    while !stop.load(SeqCst) {
                        let guard = lock.read().await;
                        reads.fetch_add(1, SeqCst);
                        bobbin::task::yield_now().await;
                        drop(guard);
                    }
                })
            })
            .collect();
        executor_tests::wait_until(LIMIT, "the readers to run", || reads.load(SeqCst) > 100);
        rt.block_on(async {
            for _ in 0..20 {
                *lock.write().await += 1;
            }
        });
        stop.store(true, SeqCst);
        for reader in readers {
            join(reader).unwrap();
        }
        assert_eq!(*rt.block_on(lock.read()), 20);
    });
}

#[test]
fn a_cancelled_writer_lets_the_readers_behind_it_in() {
    with_timeout(LIMIT, || {
        let lock = RwLock::new(());
        let reading = lock.try_read().unwrap();
        let mut write = Box::pin(lock.write());
        assert!(poll_once(write.as_mut(), Waker::noop()).is_pending());
        let (waker, wakes) = counting_waker();
        let mut read = Box::pin(lock.read());
        assert!(poll_once(read.as_mut(), &waker).is_pending());
        drop(write);
        assert_eq!(
            wakes.load(SeqCst),
            1,
            "the permits the writer collected went on"
        );
        let Poll::Ready(second) = poll_once(read.as_mut(), &waker) else {
            panic!("the reader behind the writer got in");
        };
        drop(reading);
        assert!(lock.try_write().is_err(), "the second reader still reads");
        drop(second);
        assert!(lock.try_write().is_ok());
    });
}

#[test]
fn downgrade_keeps_writers_out_and_lets_readers_in() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "sync-rwlock");
        let lock = Arc::new(RwLock::new(vec![1]));
        rt.block_on(async {
            let mut write = lock.write().await;
            write.push(2);
            let read = write.downgrade();
            assert!(lock.try_write().is_err());
            assert_eq!(*lock.try_read().unwrap(), [1, 2]);
            drop(read);
            lock.write().await.push(3);
            assert_eq!(*lock.read().await, [1, 2, 3]);
        });
        let lock = Arc::into_inner(lock).unwrap();
        assert_eq!(lock.into_inner(), [1, 2, 3]);
    });
}

/// An unsized value behind the lock, read by many and written by one.
#[test]
fn an_rwlock_holds_an_unsized_value() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "rwlock-unsized");
        let lock: Arc<RwLock<[u32]>> = Arc::new(RwLock::new([0; 4]));
        rt.block_on(async {
            lock.write().await[1] = 7;
            let readers: Vec<_> = (0..3)
                .map(|_| {
                    let lock = lock.clone();
                    bobbin::spawn(async move { lock.read().await.iter().sum::<u32>() })
                })
                .collect();
            for reader in readers {
                assert_eq!(reader.await.unwrap(), 7);
            }
        });
    });
}
