//! Loom models of the primitives that release their waiters together.
//!
//! What is checked:
//! - two `done`s racing a `wait` on a `WaitGroup`: the waiter is released
//!   once both are counted, never before, never missed
//!   (`wait_group_dones_racing_wait`);
//! - two tasks meeting at a `Barrier`: both are released, exactly one as
//!   the leader (`barrier_two_arrivals`).
//!
//! A lost wake-up shows as a loom deadlock (`block_on` parks forever).
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`

use crate::loom::model::block_on;
use crate::loom::{Arc, AtomicUsize};
use crate::sync::{Barrier, WaitGroup};
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;

#[test]
fn wait_group_dones_racing_wait() {
    loom::model(|| {
        let wg = WaitGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        wg.add(2);
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (wg, finished) = (wg.clone(), finished.clone());
                thread::spawn(move || {
                    // Relaxed: `done` is what must publish it.
                    finished.fetch_add(1, Relaxed);
                    wg.done();
                })
            })
            .collect();
        block_on(wg.wait());
        assert_eq!(finished.load(Relaxed), 2, "released only after both");
        for worker in workers {
            worker.join().unwrap();
        }
    });
}

#[test]
fn barrier_two_arrivals() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2));
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || block_on(barrier.wait()).is_leader())
        };
        let mine = block_on(barrier.wait()).is_leader();
        let theirs = other.join().unwrap();
        assert!(mine != theirs, "exactly one leader");
    });
}
