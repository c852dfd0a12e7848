//! Loom models of the idle protocol and the parker: a worker that parks
//! while another thread makes work visible never leaves that work with
//! nobody awake to run it, and an unpark is never slept through.
//!
//! The models drive the real `Idle`, `Injector` and `Parker`, in the order
//! the worker loop (`worker.rs`: `park`, `notify_if_work_pending`) and a
//! remote wake (`Shared::schedule_remote` → `notify_parked`) use them. Most
//! models repeat those few lines, so they can see each step's verdict; two
//! run the real `Shared` functions on the shared state `launch` builds.
//!
//! - `idle_parks_without_losing_a_wake`: the last searcher registers as
//!   parked and re-checks the injector, racing a waker that pushes a task
//!   and asks `worker_to_notify`: the parking worker sees the task, or the
//!   waker is told to wake a worker; never neither (the SeqCst
//!   read-modify-write and fences of `idle.rs`).
//! - `last_searcher_parking_racing_remote_schedule_wakes_a_worker`: the
//!   same race through the real `Shared::schedule_task` (remote path) and
//!   `Shared::notify_if_work_pending`, on a runtime's shared state from
//!   `launch`: some worker always leaves the sleeper list.
//! - `parked_worker_wakes_for_remote_work`: the same race end to end, with
//!   one worker that really parks: it always wakes and runs the task (a
//!   lost wake leaves it parked forever, which loom reports as a deadlock).
//! - `remote_schedule_racing_shutdown_leaves_nothing_queued`: the SeqCst
//!   fence pair of `Shared::schedule_remote` and `Shared::begin_shutdown`
//!   (run for real, on a runtime's shared state from `launch`): a task
//!   scheduled from outside while the runtime shuts down is dropped by one
//!   of the two drains, never left in the injector.
//! - `a_spare_retiring_while_parked_racing_a_wake_restores_the_counts`: a
//!   spare core (counted unparked while inactive) parks, then retires while
//!   a waker may pick it: whichever wins, it ends off the sleeper list and
//!   counted unparked, and nobody is left counted as searching (the steps
//!   of `WorkerContext::park` and `retire`).
//! - `unpark_before_park_returns_at_once`, `unpark_racing_park_never_sleeps_forever`,
//!   `two_unparks_racing_park`: the parker's three-state word.
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`

use super::super::idle::Idle;
use super::super::inject::Injector;
use super::super::shared::launch_default;
use super::{Tasks, assert_each_once, ids_of, parker_pair};
use crate::loom::Arc;
use loom::thread;

#[test]
fn idle_parks_without_losing_a_wake() {
    loom::model(|| {
        let tasks = Tasks::new();
        let idle = Arc::new(Idle::new(2, 2));
        let inject = Arc::new(Injector::new(2));
        // Worker 1 is parked; worker 0 searched, found nothing, and parks.
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.transition_worker_to_searching());
        let (mut batch, expected) = tasks.make(1);
        let task = batch.pop().expect("one task");

        let waker = {
            let (idle, inject) = (idle.clone(), inject.clone());
            thread::spawn(move || {
                // As `schedule_remote`: make the task visible, then ask.
                inject.push(1, task);
                idle.worker_to_notify()
            })
        };
        // As `WorkerContext::park` and `notify_if_work_pending`.
        let was_last_searcher = idle.transition_worker_to_parked(0, true);
        assert!(was_last_searcher, "worker 0 was the only searcher");
        let seen_by_parker = !inject.is_empty();
        let woken_by_parker = if seen_by_parker {
            idle.worker_to_notify()
        } else {
            None
        };
        let woken_by_waker = waker.join().unwrap();

        assert!(
            seen_by_parker || woken_by_waker.is_some(),
            "the task was pushed while the last searcher parked, and neither saw the other"
        );
        assert!(
            woken_by_parker.is_some() || woken_by_waker.is_some(),
            "a task is queued and every worker is parked: one must be woken"
        );
        if let Some(woken) = woken_by_waker.or(woken_by_parker) {
            assert!(
                !idle.is_parked(woken),
                "a woken worker left the sleeper list"
            );
        }
        assert_each_once(ids_of(inject.pop(0)), expected);
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn last_searcher_parking_racing_remote_schedule_wakes_a_worker() {
    loom::model(|| {
        let tasks = Tasks::new();
        let shared = launch_default(2).expect("a driver can be made").shared;
        let (mut batch, _) = tasks.make(1);
        let task = batch.pop().expect("one task");
        // Worker 1 is parked; worker 0 searched, found nothing, and parks.
        assert!(!shared.idle.transition_worker_to_parked(1, false));
        assert!(shared.idle.transition_worker_to_searching());

        // Not a worker thread: the real remote path (injector, fences,
        // `worker_to_notify`, unpark).
        let scheduler = {
            let shared = shared.clone();
            thread::spawn(move || shared.schedule_task(task, false))
        };
        // The real re-check of the last searcher (`WorkerContext::park`).
        if shared.idle.transition_worker_to_parked(0, true) {
            shared.notify_if_work_pending();
        }
        scheduler.join().unwrap();

        assert!(
            !shared.idle.is_parked(0) || !shared.idle.is_parked(1),
            "a task is queued and every worker is still parked"
        );
        shared.drain_injector();
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn parked_worker_wakes_for_remote_work() {
    loom::model(|| {
        let tasks = Tasks::new();
        let idle = Arc::new(Idle::new(1, 1));
        let inject = Arc::new(Injector::new(1));
        let (mut parker, unparker, driver) = parker_pair();
        let (mut batch, expected) = tasks.make(1);
        let task = batch.pop().expect("one task");
        // The only worker is searching and found nothing so far.
        assert!(idle.transition_worker_to_searching());

        let worker = {
            let (idle, inject, unparker) = (idle.clone(), inject.clone(), unparker.clone());
            thread::spawn(move || {
                loop {
                    if let Some(task) = inject.pop(0) {
                        return ids_of(Some(task));
                    }
                    // As `WorkerContext::park`. The worker is searching both
                    // at the start and after every wake (`worker_to_notify`
                    // counts the worker it wakes as searching).
                    if idle.transition_worker_to_parked(0, true)
                        && !inject.is_empty()
                        && let Some(index) = idle.worker_to_notify()
                    {
                        assert_eq!(index, 0, "the only worker");
                        unparker.unpark();
                    }
                    // Until `worker_to_notify` takes it off the sleeper list.
                    loop {
                        parker.park(&driver);
                        if !idle.is_parked(0) {
                            break;
                        }
                    }
                }
            })
        };
        // As `schedule_remote` and `notify_parked`.
        inject.push(0, task);
        if let Some(index) = idle.worker_to_notify() {
            assert_eq!(index, 0, "the only worker");
            unparker.unpark();
        }

        let ran = worker.join().unwrap();
        assert_each_once(ran, expected);
        assert!(inject.is_empty());
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn remote_schedule_racing_shutdown_leaves_nothing_queued() {
    loom::model(|| {
        let tasks = Tasks::new();
        let shared = launch_default(1).expect("a driver can be made").shared;
        let (mut batch, _) = tasks.make(1);
        let task = batch.pop().expect("one task");

        // Not a worker thread, so the task goes the remote way: injector,
        // fence, shutdown check (drain if set), wake.
        let scheduler = {
            let shared = shared.clone();
            thread::spawn(move || shared.schedule_task(task, false))
        };
        // As `Runtime`'s drop, after its workers are gone: flag, fence,
        // unpark every worker, then drain what is left.
        shared.begin_shutdown();
        shared.drain_injector();
        scheduler.join().unwrap();

        assert!(
            shared.inject.is_empty(),
            "a task scheduled during shutdown was left in the injector"
        );
        assert_eq!(tasks.live(), 0, "the task's notification was dropped");
    });
}

#[test]
fn unpark_before_park_returns_at_once() {
    loom::model(|| {
        let (mut parker, unparker, driver) = parker_pair();
        // Twice: the park that consumes a notification resets the word, so
        // the next unpark is remembered again. A park that blocked here
        // would never wake (no other thread), which loom reports.
        for _ in 0..2 {
            unparker.unpark();
            unparker.unpark();
            parker.park(&driver);
        }
    });
}

#[test]
fn unpark_racing_park_never_sleeps_forever() {
    loom::model(|| {
        let (mut parker, unparker, driver) = parker_pair();
        let unparking = thread::spawn(move || unparker.unpark());
        // Returns whether the unpark came before, during or after the park
        // began; if it were slept through, loom would report a deadlock.
        parker.park(&driver);
        unparking.join().unwrap();
    });
}

#[test]
fn two_unparks_racing_park() {
    loom::model(|| {
        let (mut parker, unparker, driver) = parker_pair();
        let unparkers: Vec<_> = (0..2)
            .map(|_| {
                let unparker = unparker.clone();
                thread::spawn(move || unparker.unpark())
            })
            .collect();
        drop(unparker);
        parker.park(&driver);
        for unparking in unparkers {
            unparking.join().unwrap();
        }
    });
}

#[test]
fn a_spare_retiring_while_parked_racing_a_wake_restores_the_counts() {
    loom::model(|| {
        // Cores 0 and 1 are workers (running); core 2 is a spare, which
        // counts as unparked while inactive.
        let idle = Arc::new(Idle::new(3, 2));
        // The spare ran, found nothing, and parked.
        assert!(!idle.transition_worker_to_parked(2, false));
        assert_eq!(idle.num_parked(), 1);

        let waker = {
            let idle = idle.clone();
            // As `notify_parked`: it may pick the spare.
            thread::spawn(move || idle.worker_to_notify())
        };
        // The spare, asked to retire, leaves its park (`park`'s exit for a
        // retiring spare), then gives back a searcher count (`retire`).
        let mut is_searching = false;
        if idle.transition_from_parked(2, true) == Some(true) {
            is_searching = true;
        }
        if is_searching {
            let _ = idle.transition_worker_from_searching();
        }
        let woken = waker.join().expect("the waker does not panic");

        assert!(!idle.is_parked(2), "a retired spare is in no sleeper list");
        assert_eq!(idle.num_parked(), 0, "every core counts as unparked again");
        assert_eq!(
            idle.num_searching(),
            0,
            "nobody is left counted as searching"
        );
        // If the waker picked the spare, it counted it searching, and the
        // spare gave that back.
        if woken == Some(2) {
            assert!(is_searching);
        }
    });
}
