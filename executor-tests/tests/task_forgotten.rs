//! Tasks nobody can wake any more: detached, with every waker dropped.
//!
//! Such a task is leaked until its runtime shuts down, as a goroutine
//! blocked forever is; its future must then be dropped by the runtime (on a
//! worker, inside the panic guard, with the task's context), never by
//! whoever happened to drop its last waker. Regression tests for a bug where
//! the last waker's drop freed the task and ran its future's `Drop` on the
//! dropping thread: a panicking `Drop` killed a worker, and a `Drop` that
//! took the lock the waker was dropped under deadlocked.

use bobbin::Runtime;
use executor_tests::{DropCounter, LIMIT, with_timeout};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};

/// Stores its waker in a shared slot and removes it when dropped, as many
/// hand-written futures do.
struct Registered {
    slot: Arc<Mutex<Option<Waker>>>,
    polled: Option<mpsc::Sender<()>>,
}

impl Future for Registered {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.slot.lock().unwrap() = Some(cx.waker().clone());
        if let Some(polled) = self.polled.take() {
            polled.send(()).unwrap();
        }
        Poll::Pending
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        // Deadlocks if this runs while the slot's lock is held.
        *self.slot.lock().unwrap() = None;
    }
}

#[test]
fn dropping_the_last_waker_under_a_lock_does_not_run_the_futures_drop_there() {
    with_timeout(LIMIT, || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let slot = Arc::new(Mutex::new(None));
        let (polled_tx, polled_rx) = mpsc::channel();
        let counter = DropCounter::new();
        let guard = counter.guard();
        let future = Registered {
            slot: slot.clone(),
            polled: Some(polled_tx),
        };
        drop(rt.spawn(async move {
            let _guard = guard;
            future.await
        }));
        polled_rx.recv_timeout(LIMIT).unwrap();
        // Drop the only waker while holding the lock the future's Drop takes.
        {
            let mut stored = slot.lock().unwrap();
            let waker = stored.take().expect("the task stored its waker");
            drop(waker);
        }
        assert_eq!(
            counter.dropped(),
            0,
            "a forgotten task lives until shutdown"
        );
        drop(rt);
        assert_eq!(
            counter.dropped(),
            1,
            "shutdown dropped the forgotten task's future"
        );
    });
}

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("this Drop panics");
    }
}

#[test]
fn a_forgotten_task_whose_drop_panics_does_not_kill_a_worker() {
    with_timeout(LIMIT, || {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        let (polled_tx, polled_rx) = mpsc::channel();
        drop(rt.spawn(async move {
            let _bomb = PanicOnDrop;
            // Polled once, keeps no waker: nothing can ever wake it.
            std::future::poll_fn(|_| {
                let _ = polled_tx.send(());
                Poll::<()>::Pending
            })
            .await
        }));
        polled_rx.recv_timeout(LIMIT).unwrap();
        // The only worker still runs tasks.
        for i in 0..10 {
            assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap(), i);
        }
        // Shutdown drops the forgotten future; its panic is contained.
        drop(rt);
    });
}
