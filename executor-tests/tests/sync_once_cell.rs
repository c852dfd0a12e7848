//! `OnceCell`: one initializer among many tasks, the others sharing its
//! value; a failed, panicking or cancelled initializer letting the next
//! task try; `set` while initializing.

use bobbin::sync::{OnceCell, SetError};
use bobbin::time::timeout;
use executor_tests::{LIMIT, join, runtime, with_timeout};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Waker};
use std::time::Duration;

#[test]
fn one_initializer_among_many_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-once-cell");
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let (cell, runs) = (cell.clone(), runs.clone());
                rt.spawn(async move {
                    *cell
                        .get_or_init(|| async move {
                            runs.fetch_add(1, SeqCst);
                            for _ in 0..10 {
                                bobbin::task::yield_now().await;
                            }
                            i
                        })
                        .await
                })
            })
            .collect();
        let values: Vec<_> = tasks.into_iter().map(|task| join(task).unwrap()).collect();
        assert_eq!(runs.load(SeqCst), 1, "exactly one initializer ran");
        assert!(values.iter().all(|value| Some(value) == cell.get()));
    });
}

#[test]
fn a_failed_initializer_lets_the_next_try() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-once-cell");
        let cell = Arc::new(OnceCell::new());
        let attempts = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cell, attempts) = (cell.clone(), attempts.clone());
                rt.spawn(async move {
                    cell.get_or_try_init(|| async move {
                        // The first two attempts fail.
                        let attempt = attempts.fetch_add(1, SeqCst);
                        bobbin::task::yield_now().await;
                        if attempt < 2 {
                            Err(attempt)
                        } else {
                            Ok(attempt)
                        }
                    })
                    .await
                    .copied()
                })
            })
            .collect();
        let results: Vec<_> = tasks.into_iter().map(|task| join(task).unwrap()).collect();
        assert_eq!(attempts.load(SeqCst), 3, "two failures, then one success");
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
        assert!(results.iter().filter_map(|r| r.ok()).all(|v| v == 2));
        assert_eq!(cell.get(), Some(&2));
    });
}

#[test]
fn a_panicking_or_cancelled_initializer_lets_the_next_try() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "sync-once-cell");
        let cell = Arc::new(OnceCell::<u32>::new());
        let panicking = {
            let cell = cell.clone();
            rt.spawn(async move {
                cell.get_or_init(|| async { panic!("the initializer fails") })
                    .await;
            })
        };
        assert!(join(panicking).unwrap_err().is_panic());
        assert!(!cell.initialized());
        rt.block_on(async {
            let cancelled = timeout(
                Duration::from_millis(5),
                cell.get_or_init(std::future::pending::<u32>),
            )
            .await;
            assert!(cancelled.is_err());
            assert_eq!(*cell.get_or_init(|| async { 3 }).await, 3);
        });
    });
}

#[test]
fn set_while_initializing_says_so() {
    with_timeout(LIMIT, || {
        let cell = OnceCell::new();
        let mut init = Box::pin(cell.get_or_init(std::future::pending::<u8>));
        assert!(
            init.as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_pending()
        );
        let err = cell.set(1).unwrap_err();
        assert!(matches!(err, SetError::Initializing(1)));
        assert_eq!(err.to_string(), "cell is being initialized");
        drop(init);
        cell.set(2).unwrap();
        assert!(cell.set(3).unwrap_err().is_already_init_err());
        assert_eq!(cell.into_inner(), Some(2));
    });
}
