//! `yield_now`: a task gives its worker to the others and resumes after
//! them; a task that wakes itself during its poll is polled again.

use bobbin::task::yield_now;
use executor_tests::{LIMIT, runtime, with_timeout};
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;

#[test]
fn a_yielding_loop_lets_another_task_run_on_the_same_worker() {
    with_timeout(LIMIT, || {
        // One worker: without yield_now the spinning task would never let
        // the setter run.
        let rt = runtime(1, "yield");
        let flag = Arc::new(AtomicBool::new(false));
        let spinner = {
            let flag = flag.clone();
            rt.spawn(async move {
                let mut turns = 0u64;
                while !flag.load(SeqCst) {
                    yield_now().await;
                    turns += 1;
                }
                turns
            })
        };
        let setter = rt.spawn(async move { flag.store(true, SeqCst) });
        rt.block_on(setter).unwrap();
        assert!(rt.block_on(spinner).unwrap() >= 1);
    });
}

#[test]
fn two_yielding_tasks_on_one_worker_take_turns() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "yield");
        let trace = Arc::new(Mutex::new(Vec::new()));
        let trace_in = trace.clone();
        rt.block_on(rt.spawn(async move {
            // Both are spawned during this poll, so both are queued before
            // either runs.
            let tasks: Vec<_> = ['a', 'b']
                .into_iter()
                .map(|label| {
                    let trace = trace_in.clone();
                    bobbin::spawn(async move {
                        for _ in 0..100 {
                            trace.lock().unwrap().push(label);
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }))
        .unwrap();
        let trace = trace.lock().unwrap();
        assert_eq!(trace.len(), 200);
        let longest_run = trace
            .chunk_by(|x, y| x == y)
            .map(<[char]>::len)
            .max()
            .unwrap();
        assert!(
            longest_run <= 2,
            "a yielding task ran {longest_run} times in a row while another was queued: {trace:?}"
        );
    });
}

#[test]
fn yield_now_in_block_on_returns() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "yield");
        let turns = rt.block_on(async {
            for _ in 0..1_000 {
                yield_now().await;
            }
            1_000
        });
        assert_eq!(turns, 1_000);
        assert_eq!(bobbin::block_on(async { yield_now().await }), ());
    });
}

#[test]
fn a_task_waking_itself_during_its_poll_is_polled_again() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "yield");
        let handles: Vec<_> = (0..1_000)
            .map(|_| {
                let polls = AtomicUsize::new(0);
                rt.spawn(poll_fn(move |cx| {
                    let n = polls.fetch_add(1, SeqCst) + 1;
                    if n == 100 {
                        return Poll::Ready(n);
                    }
                    // Different ways to wake oneself.
                    match n % 3 {
                        0 => cx.waker().wake_by_ref(),
                        // Waking by value goes through another path.
                        #[allow(
                            clippy::waker_clone_wake,
                            reason = "the by-value wake is under test"
                        )]
                        1 => cx.waker().clone().wake(),
                        _ => {
                            let waker = cx.waker().clone();
                            waker.wake_by_ref();
                            waker.wake_by_ref();
                        }
                    }
                    Poll::Pending
                }))
            })
            .collect();
        for handle in handles {
            assert_eq!(rt.block_on(handle).unwrap(), 100);
        }
    });
}

#[test]
fn many_yielding_tasks_all_finish() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "yield");
        let handles: Vec<_> = (0..1_000u64)
            .map(|i| {
                rt.spawn(async move {
                    for _ in 0..100 {
                        yield_now().await;
                    }
                    i
                })
            })
            .collect();
        let total: u64 = handles.into_iter().map(|h| rt.block_on(h).unwrap()).sum();
        assert_eq!(total, (0..1_000).sum::<u64>());
    });
}
