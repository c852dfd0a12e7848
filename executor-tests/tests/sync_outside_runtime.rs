//! The sync primitives need no runtime: they only store and wake wakers.
//! Used from plain threads under `futures::executor::block_on`, under
//! `bobbin::block_on` on a plain thread (the global runtime), and shared by
//! tasks of two different runtimes.

use bobbin::sync::{Barrier, Mutex, Notify, OnceCell, RwLock, Semaphore, WaitGroup};
use executor_tests::{LIMIT, join, runtime, with_timeout};
use futures::executor::block_on;
use std::sync::Arc;
use std::thread;

#[test]
fn a_mutex_shared_by_plain_threads() {
    with_timeout(LIMIT, || {
        let mutex = Arc::new(Mutex::new(0u32));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let mutex = mutex.clone();
                thread::spawn(move || {
                    for _ in 0..1_000 {
                        block_on(async { *mutex.lock().await += 1 });
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(*block_on(mutex.lock()), 4_000);
    });
}

#[test]
fn every_primitive_under_futures_block_on() {
    with_timeout(LIMIT, || {
        block_on(async {
            let semaphore = Semaphore::new(1);
            drop(semaphore.acquire().await.unwrap());
            let lock = RwLock::new(1);
            *lock.write().await += 1;
            assert_eq!(*lock.read().await, 2);
            let notify = Notify::new();
            notify.notify_one();
            notify.notified().await;
            assert!(Barrier::new(1).wait().await.is_leader());
            let cell = OnceCell::new();
            assert_eq!(*cell.get_or_init(|| async { 5 }).await, 5);
            let wg = WaitGroup::new();
            wg.add(1);
            wg.done();
            wg.wait().await;
        });
    });
}

#[test]
fn a_plain_thread_and_a_task_talk_through_notify_and_wait_group() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "sync-outside");
        let notify = Arc::new(Notify::new());
        let wg = WaitGroup::new();
        let token = wg.token();
        let task = {
            let notify = notify.clone();
            rt.spawn(async move {
                notify.notified().await;
                drop(token);
            })
        };
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        // A plain thread waits for the task, outside any runtime.
        block_on(wg.wait());
        notifier.join().unwrap();
        join(task).unwrap();
    });
}

#[test]
fn tasks_of_two_runtimes_share_a_semaphore_and_a_barrier() {
    with_timeout(LIMIT, || {
        let (a, b) = (runtime(1, "sync-a"), runtime(1, "sync-b"));
        let semaphore = Arc::new(Semaphore::new(1));
        let barrier = Arc::new(Barrier::new(2));
        let counter = Arc::new(Mutex::new(0));
        let spawn_on = |rt: &bobbin::Runtime| {
            let (semaphore, barrier, counter) =
                (semaphore.clone(), barrier.clone(), counter.clone());
            rt.spawn(async move {
                for _ in 0..500 {
                    let _permit = semaphore.acquire().await.unwrap();
                    *counter.lock().await += 1;
                }
                barrier.wait().await.is_leader()
            })
        };
        let (on_a, on_b) = (spawn_on(&a), spawn_on(&b));
        let leaders = u8::from(join(on_a).unwrap()) + u8::from(join(on_b).unwrap());
        assert_eq!(leaders, 1);
        assert_eq!(*block_on(counter.lock()), 1_000);
    });
}

#[test]
fn under_bobbin_block_on_on_a_plain_thread() {
    with_timeout(LIMIT, || {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let wg = WaitGroup::new();
        bobbin::block_on(async {
            for i in 0..100 {
                let mutex = mutex.clone();
                wg.spawn(async move { mutex.lock().await.push(i) });
            }
            wg.wait().await;
        });
        assert_eq!(block_on(mutex.lock()).len(), 100);
    });
}
