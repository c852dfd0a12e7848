//! `task::spawn_local` through the public API: `!Send` tasks sharing an
//! `Rc`, woken from other threads, pinned to their worker, aborted from
//! another thread and dropped at shutdown on their own thread; misuse.

use bobbin::runtime::Builder;
use bobbin::task::spawn_local;
use executor_tests::{LIMIT, panic_message_of, with_timeout};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

#[test]
fn a_thousand_local_tasks_share_an_rc() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let total = rt.block_on(async {
            let shared = Rc::new(RefCell::new(0u64));
            let tasks: Vec<_> = (1..=1000u64)
                .map(|i| {
                    let shared = shared.clone();
                    spawn_local(async move {
                        bobbin::task::yield_now().await;
                        *shared.borrow_mut() += i;
                        Rc::strong_count(&shared)
                    })
                })
                .collect();
            for task in tasks {
                assert!(task.await.unwrap() >= 1);
            }
            shared.take()
        });
        assert_eq!(total, 500_500);
    });
}

#[test]
fn local_tasks_stay_on_their_worker_and_are_woken_from_other_threads() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(4).build().unwrap();
        let mismatches = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = bobbin::channel::unbounded::<u32>();
        let spawners: Vec<_> = (0..16)
            .map(|_| {
                let (mismatches, polls, rx) = (mismatches.clone(), polls.clone(), rx.clone());
                rt.spawn(async move {
                    let owner = std::thread::current().id();
                    let local = spawn_local(async move {
                        let marker = Rc::new(());
                        let mut got = 0;
                        loop {
                            polls.fetch_add(1, SeqCst);
                            if std::thread::current().id() != owner {
                                mismatches.fetch_add(1, SeqCst);
                            }
                            match rx.recv().await {
                                Ok(_) => got += 1,
                                Err(_) => break,
                            }
                            bobbin::time::sleep(std::time::Duration::from_micros(100)).await;
                        }
                        drop(marker);
                        got
                    });
                    local.await.unwrap()
                })
            })
            .collect();
        // A plain thread feeds them.
        let feeder = std::thread::spawn(move || {
            for n in 0..1000 {
                tx.send_blocking(n).unwrap();
            }
        });
        feeder.join().unwrap();
        let got: u32 = rt.block_on(async {
            let mut total = 0;
            for spawner in spawners {
                total += spawner.await.unwrap();
            }
            total
        });
        assert_eq!(got, 1000);
        assert!(polls.load(SeqCst) >= 1000);
        assert_eq!(
            mismatches.load(SeqCst),
            0,
            "a local task was polled off its thread"
        );
    });
}

/// Records the thread it is dropped on.
struct DropRecord {
    owner: ThreadId,
    wrong: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

impl Drop for DropRecord {
    fn drop(&mut self) {
        if std::thread::current().id() != self.owner {
            self.wrong.fetch_add(1, SeqCst);
        }
        self.dropped.fetch_add(1, SeqCst);
    }
}

#[test]
fn shutdown_and_aborts_from_other_threads_drop_local_tasks_on_their_own_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new().worker_threads(4).build().unwrap();
        let wrong = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let aborts = Arc::new(Mutex::new(Vec::new()));
        let spawners: Vec<_> = (0..40)
            .map(|i| {
                let (wrong, dropped, aborts) = (wrong.clone(), dropped.clone(), aborts.clone());
                rt.spawn(async move {
                    let record = DropRecord {
                        owner: std::thread::current().id(),
                        wrong,
                        dropped,
                    };
                    let local = spawn_local(async move {
                        let _record = record;
                        let _not_send = Rc::new(());
                        std::future::pending::<()>().await;
                    });
                    if i % 2 == 0 {
                        aborts.lock().unwrap().push(local.abort_handle());
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for spawner in spawners {
                spawner.await.unwrap();
            }
        });
        // Half are aborted from a plain thread.
        let to_abort = std::mem::take(&mut *aborts.lock().unwrap());
        std::thread::spawn(move || {
            for handle in to_abort {
                handle.abort();
            }
        })
        .join()
        .unwrap();
        executor_tests::wait_until(std::time::Duration::from_secs(10), "aborts done", || {
            dropped.load(SeqCst) >= 20
        });
        // The rest go with the runtime.
        drop(rt);
        assert_eq!(dropped.load(SeqCst), 40);
        assert_eq!(
            wrong.load(SeqCst),
            0,
            "a local task was dropped off its thread"
        );
    });
}

#[test]
fn spawn_local_off_a_runtime_thread_says_where_it_may_be_called() {
    with_timeout(LIMIT, || {
        let message = panic_message_of(|| spawn_local(async {}));
        assert!(message.contains("current-thread"), "{message}");
    });
}

#[test]
fn a_not_send_output_comes_back_through_the_join_handle() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let value = rt.block_on(async {
            let handle = spawn_local(async { Rc::new(RefCell::new(5)) });
            let rc = handle.await.unwrap();
            *rc.borrow_mut() += 1;
            rc.take()
        });
        assert_eq!(value, 6);
    });
}
