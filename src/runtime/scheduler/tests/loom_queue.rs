//! Loom models of the run queues: the local ring (shrunk to 4 slots under
//! loom), the injector and the LIFO slot, moving real task cells between
//! threads.
//!
//! Every model counts: each task pushed comes out exactly once, from
//! whichever queue it ended in (checked by task id), and every cell is
//! freed by the end (checked by a live count; loom also reports a leaked
//! cell through the loom `Arc` its future holds). Loom checks in passing
//! that no slot is read while it is written (the slots are loom
//! `UnsafeCell`s).
//!
//! - `steal_races_pop`: the owner pops while a thief steals half;
//! - `push_racing_steal`: the owner pushes (and pops) while a thief steals;
//! - `overflow_racing_steal_loses_nothing`: a push into a full ring moves
//!   half of it to the injector while a thief claims the same slots;
//! - `two_thieves_race`: two thieves at one ring while its owner pushes
//!   enough to wrap around (only one thief may hold a claim, and the owner
//!   must not write claimed slots);
//! - `injector_push_pop_two_threads`: pushes and batch pushes racing pops
//!   across the injector's shards;
//! - `lifo_slot_push_racing_thief`: the owner refills and empties its LIFO
//!   slot while a thief takes the task it saw there.
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bobbin --release --lib loom`

use super::super::LifoSlot;
use super::super::inject::Injector;
use super::super::queue::{self, CAPACITY, Local};
use super::{Tasks, assert_each_once, ids_of};
use crate::loom::Arc;
use crate::task::Id;
use loom::thread;
use std::iter;

/// Pops the ring dry; the ids of what came out.
fn drain(local: &mut Local) -> Vec<Id> {
    ids_of(iter::from_fn(|| local.pop()))
}

/// Steals from `steal` into a fresh ring of the thief's own, then empties
/// that ring; the ids of everything stolen.
fn steal_all(steal: &queue::Steal) -> Vec<Id> {
    let (_, mut mine) = queue::local();
    let mut stolen = ids_of(steal.steal_into(&mut mine));
    stolen.extend(drain(&mut mine));
    stolen
}

#[test]
fn steal_races_pop() {
    loom::model(|| {
        let tasks = Tasks::new();
        let inject = Injector::new(1);
        let (steal, mut local) = queue::local();
        let (batch, expected) = tasks.make(2);
        for task in batch {
            local.push_back_or_overflow(task, &inject, 0);
        }

        let thief = thread::spawn(move || steal_all(&steal));
        let mut seen = drain(&mut local);
        seen.extend(thief.join().unwrap());

        assert_each_once(seen, expected);
        assert!(inject.is_empty(), "two tasks never overflow a ring");
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn push_racing_steal() {
    loom::model(|| {
        let tasks = Tasks::new();
        let inject = Injector::new(1);
        let (steal, mut local) = queue::local();
        let (mut batch, expected) = tasks.make(3);
        local.push_back_or_overflow(batch.remove(0), &inject, 0);

        let thief = thread::spawn(move || steal_all(&steal));
        // The owner keeps pushing and pops one while the thief works.
        for task in batch {
            local.push_back_or_overflow(task, &inject, 0);
        }
        let mut seen = ids_of(local.pop());
        seen.extend(thief.join().unwrap());
        seen.extend(drain(&mut local));

        assert_each_once(seen, expected);
        assert!(inject.is_empty(), "three tasks never overflow a ring");
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn overflow_racing_steal_loses_nothing() {
    loom::model(|| {
        let tasks = Tasks::new();
        let inject = Injector::new(1);
        let (steal, mut local) = queue::local();
        let (mut batch, expected) = tasks.make(CAPACITY + 1);
        let last = batch.pop().expect("CAPACITY + 1 tasks");
        for task in batch {
            local.push_back_or_overflow(task, &inject, 0);
        }
        assert_eq!(local.remaining_slots(), 0, "the ring is full");

        let thief = thread::spawn(move || steal_all(&steal));
        // Into the full ring: half of it and `last` go to the injector,
        // unless the thief's claim is in the way (then `last` alone goes)
        // or the thief already made room.
        local.push_back_or_overflow(last, &inject, 0);
        let mut seen = drain(&mut local);
        seen.extend(thief.join().unwrap());
        seen.extend(drain(&mut local));
        seen.extend(ids_of(iter::from_fn(|| inject.pop(0))));

        assert_each_once(seen, expected);
        assert!(inject.is_empty());
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn two_thieves_race() {
    loom::model(|| {
        let tasks = Tasks::new();
        let inject = Injector::new(1);
        let (steal, mut local) = queue::local();
        let steal = Arc::new(steal);
        let (batch, mut expected) = tasks.make(3);
        for task in batch {
            local.push_back_or_overflow(task, &inject, 0);
        }
        let (more, more_ids) = tasks.make(CAPACITY);
        expected.extend(more_ids);

        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let steal = steal.clone();
                thread::spawn(move || steal_all(&steal))
            })
            .collect();
        // Enough pushes to wrap the ring onto the slots a thief claimed: the
        // owner must not write them until that thief releases its claim,
        // and a second thief must not claim while the first holds one
        // (invariant 2), or a slot is read while it is written.
        for task in more {
            local.push_back_or_overflow(task, &inject, 0);
        }
        let mut seen = Vec::new();
        for thief in thieves {
            seen.extend(thief.join().unwrap());
        }
        seen.extend(drain(&mut local));
        seen.extend(ids_of(iter::from_fn(|| inject.pop(0))));

        assert_each_once(seen, expected);
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn injector_push_pop_two_threads() {
    loom::model(|| {
        let tasks = Tasks::new();
        let inject = Arc::new(Injector::new(2));
        let (mut batch, expected) = tasks.make(3);
        let first = batch.remove(0);

        let pusher = {
            let inject = inject.clone();
            thread::spawn(move || {
                inject.push(0, first);
                inject.push_batch(1, batch.into_iter());
            })
        };
        // Pop from the other shard first: the scan must find work anywhere.
        let mut seen = ids_of(inject.pop(1));
        seen.extend(ids_of(inject.pop(1)));
        pusher.join().unwrap();
        seen.extend(ids_of(iter::from_fn(|| inject.pop(0))));

        assert_each_once(seen, expected);
        assert_eq!(inject.len(), 0, "the length hint is back to zero");
        assert!(inject.is_empty());
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}

#[test]
fn lifo_slot_push_racing_thief() {
    loom::model(|| {
        let tasks = Tasks::new();
        let slot = Arc::new(LifoSlot::new());
        let (mut batch, expected) = tasks.make(2);
        let second = batch.pop().expect("two tasks");
        let first = batch.pop().expect("two tasks");
        assert!(slot.push(first).is_none(), "the slot starts empty");

        let thief = {
            let slot = slot.clone();
            thread::spawn(move || {
                // As a searching worker: remember the task, take it only if
                // it is still the same one.
                let seen = slot.peek();
                ids_of(slot.take_if(seen))
            })
        };
        // The owner wakes another task into the slot, then runs its own.
        let mut seen = ids_of(slot.push(second));
        seen.extend(ids_of(slot.take()));
        seen.extend(thief.join().unwrap());
        seen.extend(ids_of(slot.take()));

        assert_each_once(seen, expected);
        assert_eq!(tasks.live(), 0, "every cell was freed");
    });
}
