//! The local run queue: a fixed ring of 256 slots owned by one worker, from
//! which other workers steal half.
//!
//! Why a fixed ring: stealing half must not allocate, and a full ring spills
//! half of itself to the injector, so a burst of spawns cannot grow a
//! worker's memory without bound (crossbeam-deque's growable Chase-Lev deque
//! was the rejected alternative: it grows instead of sharing, and its steal
//! takes one task at a time or a batch into another crossbeam deque only).
//! The design is tokio's: `head` packs two 32-bit indices, `real` (the next
//! task to pop) and `steal` (where an in-progress steal started), so a thief
//! claims a batch with one CAS, copies it without a lock, then releases the
//! claim with a second CAS.
//!
//! Invariants:
//! 1. Only the owning worker (`Local`) writes `tail` and the slots in
//!    `[tail, steal + CAPACITY)`; a slot is read by whoever claimed it by
//!    moving `real` past it (the owner in `pop`, a thief in `steal_into`).
//! 2. While `steal != real` one thief owns the slots `[steal, real)`; no
//!    other thief may claim, and the owner may not overwrite them, so the
//!    owner treats the ring as full up to `steal`.
//! 3. Every slot between `real` and `tail` holds an initialised `Notified`.
//!
//! Tested by the unit tests below and the loom models in
//! `scheduler/tests/loom_queue.rs` (push/pop/steal/overflow), where the ring
//! shrinks to 4 slots.

use super::inject::Injector;
use crate::loom::{Arc, AtomicU32, AtomicU64, UnsafeCell};
use crate::task::Notified;
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// Slots per ring. Shrunk under loom so the models overflow quickly.
pub(crate) const CAPACITY: usize = if cfg!(loom) { 4 } else { 256 };
const MASK: usize = CAPACITY - 1;

/// The owner's end of a ring; not `Clone`.
pub(crate) struct Local {
    inner: Arc<Inner>,
}

/// A thief's end of a ring.
pub(crate) struct Steal(Arc<Inner>);

struct Inner {
    /// `(steal, real)` packed as `steal << 32 | real`.
    head: AtomicU64,
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<Notified>>]>,
    /// Times the owner pushed into the injector because the ring was full
    /// (or a thief was copying out of a full ring). Written by the owner
    /// only; a std atomic even under loom: a counter, not protocol.
    overflows: std::sync::atomic::AtomicU64,
}

// SAFETY: slots hold `Notified`, which is `Send`; access to each slot is
// handed between threads by the head/tail protocol (module invariants 1-2).
unsafe impl Send for Inner {}
// SAFETY: as above; every shared access goes through the atomics first.
unsafe impl Sync for Inner {}

fn pack(steal: u32, real: u32) -> u64 {
    ((steal as u64) << 32) | real as u64
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// A new ring: the owner's end and the thieves' end.
pub(crate) fn local() -> (Steal, Local) {
    let buffer = (0..CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        buffer,
        overflows: std::sync::atomic::AtomicU64::new(0),
    });
    (Steal(inner.clone()), Local { inner })
}

impl Inner {
    /// Reads the task in a slot the caller has claimed.
    ///
    /// # Safety
    /// The caller claimed `index` (invariant 1) and the slot is initialised
    /// (invariant 3); the read moves the task out, so it is done once.
    unsafe fn take(&self, index: u32) -> Notified {
        // SAFETY: the caller's obligations.
        self.buffer[index as usize & MASK].with(|ptr| unsafe { (*ptr).assume_init_read() })
    }

    /// Writes a task into a slot the owner may write (invariant 1).
    ///
    /// # Safety
    /// Only the owner calls this, for a slot in `[tail, steal + CAPACITY)`.
    unsafe fn put(&self, index: u32, task: Notified) {
        // SAFETY: the caller's obligations make the write exclusive.
        self.buffer[index as usize & MASK].with_mut(|ptr| unsafe { (*ptr).write(task) });
    }

    /// Counts an overflow (the owner only).
    fn count_overflow(&self) {
        let overflows = &self.overflows;
        overflows.store(overflows.load(Relaxed) + 1, Relaxed);
    }

    fn len(&self) -> usize {
        let (_, real) = unpack(self.head.load(Acquire));
        let tail = self.tail.load(Acquire);
        tail.wrapping_sub(real) as usize
    }
}

impl Local {
    /// True if the ring holds a task.
    pub(crate) fn has_tasks(&self) -> bool {
        self.inner.len() > 0
    }

    /// How many tasks the ring holds.
    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    /// The ring's count of pushes (its tail): a mark for `gone_before`.
    pub(crate) fn pushed(&self) -> u32 {
        // Relaxed: only this thread writes `tail`.
        self.inner.tail.load(Relaxed)
    }

    /// True once every task pushed before `mark` (a `pushed` count) has
    /// left the ring: popped, stolen (or claimed by a thief still copying)
    /// or moved to the injector by an overflow.
    pub(crate) fn gone_before(&self, mark: u32) -> bool {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        // Wrapping: the counts wrap, and a ring holds far fewer than 2^31.
        mark.wrapping_sub(real) as i32 <= 0
    }

    /// How many pushes fit before the ring overflows.
    pub(crate) fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        // Relaxed: only this thread writes `tail`.
        let tail = self.inner.tail.load(Relaxed);
        CAPACITY - tail.wrapping_sub(steal) as usize
    }

    /// Pushes a task if the ring has room; gives it back otherwise. Never
    /// touches the injector.
    pub(crate) fn push_back(&mut self, task: Notified) -> Result<(), Notified> {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        // Relaxed: only this thread writes `tail`.
        let tail = self.inner.tail.load(Relaxed);
        if tail.wrapping_sub(steal) >= CAPACITY as u32 {
            return Err(task);
        }
        // SAFETY: `tail - steal < CAPACITY`, so slot `tail` is the owner's to
        // write (invariant 1), and we are the owner.
        unsafe { self.inner.put(tail, task) };
        // Release: as in `push_back_or_overflow`.
        self.inner.tail.store(tail.wrapping_add(1), Release);
        Ok(())
    }

    /// Pushes a task; if the ring is full, moves half of it and the task to
    /// the injector (into shard `home`).
    pub(crate) fn push_back_or_overflow(
        &mut self,
        mut task: Notified,
        inject: &Injector,
        home: usize,
    ) {
        let tail = loop {
            let head = self.inner.head.load(Acquire);
            let (steal, real) = unpack(head);
            // Relaxed: only this thread writes `tail`.
            let tail = self.inner.tail.load(Relaxed);
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                break tail;
            }
            if steal != real {
                // A thief is copying out of the ring; it will make room, but
                // we cannot wait for it. The injector takes this one.
                inject.push(home, task);
                self.inner.count_overflow();
                return;
            }
            match self.push_overflow(task, real, tail, inject, home) {
                Ok(()) => return,
                // A thief got in between; the ring may have room now.
                Err(returned) => task = returned,
            }
        };
        // SAFETY: `tail - steal < CAPACITY`, so slot `tail` is the owner's
        // to write (invariant 1), and we are the owner.
        unsafe { self.inner.put(tail, task) };
        // Release: pairs with the Acquire loads of `tail` in `pop` and
        // `steal_into`, so whoever sees the new tail sees the task.
        self.inner.tail.store(tail.wrapping_add(1), Release);
    }

    /// Moves the oldest half of a full ring, plus `task`, to the injector.
    fn push_overflow(
        &mut self,
        task: Notified,
        head: u32,
        tail: u32,
        inject: &Injector,
        home: usize,
    ) -> Result<(), Notified> {
        const HALF: u32 = (CAPACITY / 2) as u32;
        debug_assert_eq!(
            tail.wrapping_sub(head) as usize,
            CAPACITY,
            "overflow of a ring that is not full"
        );
        let prev = pack(head, head);
        let next = pack(head.wrapping_add(HALF), head.wrapping_add(HALF));
        // Release: the slots we are about to read must not be reused by a
        // concurrent push before the claim is visible; Relaxed on failure
        // because we retry from a fresh load.
        if self
            .inner
            .head
            .compare_exchange(prev, next, Release, Relaxed)
            .is_err()
        {
            return Err(task);
        }
        let inner = &self.inner;
        // SAFETY: the CAS moved `real` past these HALF slots, so they are
        // claimed by us (invariant 1) and initialised (invariant 3).
        let batch = (0..HALF).map(|i| unsafe { inner.take(head.wrapping_add(i)) });
        inject.push_batch(home, batch.chain(std::iter::once(task)));
        self.inner.count_overflow();
        Ok(())
    }

    /// Pops the oldest task.
    pub(crate) fn pop(&mut self) -> Option<Notified> {
        let mut head = self.inner.head.load(Acquire);
        let index = loop {
            let (steal, real) = unpack(head);
            // Relaxed: only this thread writes `tail`.
            let tail = self.inner.tail.load(Relaxed);
            if real == tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // If no steal is under way, `steal` follows `real`.
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                pack(steal, next_real)
            };
            // AcqRel: Acquire so a thief's finished copy is visible before we
            // reuse slots; Release so the thief that next reads `head` sees
            // our claim.
            match self
                .inner
                .head
                .compare_exchange(head, next, AcqRel, Acquire)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS moved `real` past `index`, claiming it for us
        // (invariant 1); it lies below `tail`, so it is initialised.
        Some(unsafe { self.inner.take(index) })
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // Tasks left in the ring lose their notification; the owned-task
        // list still cancels them at shutdown.
        while self.pop().is_some() {}
    }
}

impl Steal {
    /// True if the ring holds no task.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// How many tasks the ring holds (a snapshot, for the metrics).
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// How many times the owner overflowed into the injector.
    pub(crate) fn overflows(&self) -> u64 {
        self.0.overflows.load(Relaxed)
    }

    /// Steals half of this ring into `dst` and returns one of the stolen
    /// tasks to run at once.
    pub(crate) fn steal_into(&self, dst: &mut Local) -> Option<Notified> {
        // Relaxed: `dst` is our own ring.
        let dst_tail = dst.inner.tail.load(Relaxed);
        let (dst_steal, _) = unpack(dst.inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > (CAPACITY / 2) as u32 {
            // Our own ring is more than half full: no room for half of theirs.
            return None;
        }
        let mut count = self.steal_into_slots(dst, dst_tail);
        if count == 0 {
            return None;
        }
        count -= 1;
        // SAFETY: `steal_into_slots` wrote `count + 1` tasks from `dst_tail`
        // onwards into slots we own (invariant 1); the last is taken here,
        // once, and never published.
        let task = unsafe { dst.inner.take(dst_tail.wrapping_add(count)) };
        if count > 0 {
            // Release: publishes the copied tasks to thieves of `dst`.
            dst.inner.tail.store(dst_tail.wrapping_add(count), Release);
        }
        Some(task)
    }

    /// Claims half of this ring and copies it into `dst` from `dst_tail`;
    /// returns how many were copied.
    fn steal_into_slots(&self, dst: &mut Local, dst_tail: u32) -> u32 {
        let mut prev = self.0.head.load(Acquire);
        let (first, count) = loop {
            let (steal, real) = unpack(prev);
            // Acquire: pairs with the owner's Release store of `tail`, so the
            // slots below it are initialised for us.
            let tail = self.0.tail.load(Acquire);
            if steal != real {
                // Another thief is at work (invariant 2).
                return 0;
            }
            let available = tail.wrapping_sub(real);
            let count = available - available / 2;
            if count == 0 {
                return 0;
            }
            // Move `real` forward, keep `steal`: the slots in between are
            // ours until we release the claim below.
            let next = pack(steal, real.wrapping_add(count));
            // AcqRel: Acquire to see the slots' contents, Release so the
            // owner sees the claim before reusing them.
            match self.0.head.compare_exchange(prev, next, AcqRel, Acquire) {
                Ok(_) => break (real, count),
                Err(actual) => prev = actual,
            }
        };
        for i in 0..count {
            // SAFETY: our CAS claimed `[first, first + count)` (invariant 2)
            // and they lie below `tail` (invariant 3).
            let task = unsafe { self.0.take(first.wrapping_add(i)) };
            // SAFETY: `dst` is our own ring and its room was checked by the
            // caller (`dst_tail - steal <= CAPACITY / 2`).
            unsafe { dst.inner.put(dst_tail.wrapping_add(i), task) };
        }
        // Release the claim: `steal` catches up with `real`. The owner may
        // have popped (moved `real`) meanwhile, so retry on failure.
        let mut prev = pack(first, first.wrapping_add(count));
        loop {
            let (_, real) = unpack(prev);
            // AcqRel: Release publishes that the claimed slots are free again.
            match self
                .0
                .head
                .compare_exchange(prev, pack(real, real), AcqRel, Acquire)
            {
                Ok(_) => return count,
                Err(actual) => {
                    debug_assert_ne!(
                        unpack(actual).0,
                        unpack(actual).1,
                        "a claimed ring lost its claim"
                    );
                    prev = actual;
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::task::test_support::Tracked;

    #[test]
    fn push_then_pop_is_fifo() {
        let tracked = Tracked::new();
        let (_steal, mut local) = local();
        let inject = Injector::new(1);
        let tasks: Vec<_> = (0..10).map(|_| tracked.task()).collect();
        let expected: Vec<_> = tasks.iter().map(|t| t.header().id).collect();
        for task in tasks {
            local.push_back_or_overflow(task, &inject, 0);
        }
        let popped: Vec<_> = std::iter::from_fn(|| local.pop())
            .map(|t| t.header().id)
            .collect();
        assert_eq!(popped, expected);
        assert_eq!(tracked.live(), 0);
    }

    #[test]
    fn overflow_moves_half_and_the_new_task_to_the_injector() {
        let tracked = Tracked::new();
        let (_steal, mut local) = local();
        let inject = Injector::new(1);
        for _ in 0..CAPACITY + 1 {
            local.push_back_or_overflow(tracked.task(), &inject, 0);
        }
        assert_eq!(local.len(), CAPACITY / 2);
        assert_eq!(inject.len(), CAPACITY / 2 + 1);
        assert_eq!(tracked.live(), CAPACITY + 1, "no task lost in the overflow");
    }

    #[test]
    fn steal_takes_half_rounded_up() {
        let tracked = Tracked::new();
        let (steal, mut victim) = local();
        let (_, mut thief) = local();
        let inject = Injector::new(1);
        for _ in 0..7 {
            victim.push_back_or_overflow(tracked.task(), &inject, 0);
        }
        let first = steal
            .steal_into(&mut thief)
            .expect("a non-empty ring can be stolen from");
        drop(first);
        assert_eq!(thief.len(), 3, "4 stolen, one returned to run");
        assert_eq!(victim.len(), 3);
        assert_eq!(tracked.live(), 6);
    }

    #[test]
    fn a_mark_is_gone_once_every_task_pushed_before_it_left() {
        let tracked = Tracked::new();
        let (steal, mut victim) = local();
        let (_, mut thief) = local();
        let inject = Injector::new(1);
        assert!(victim.gone_before(victim.pushed()), "an empty ring");
        for _ in 0..4 {
            victim.push_back_or_overflow(tracked.task(), &inject, 0);
        }
        let mark = victim.pushed();
        victim.push_back_or_overflow(tracked.task(), &inject, 0);
        assert!(!victim.gone_before(mark));
        drop(victim.pop());
        assert!(!victim.gone_before(mark), "three of the four are there");
        drop(steal.steal_into(&mut thief));
        assert!(!victim.gone_before(mark), "a thief took two of four");
        drop(victim.pop());
        assert!(
            victim.gone_before(mark),
            "the one pushed after the mark is left"
        );
        assert_eq!(victim.len(), 1);
        drop(thief.pop());
    }

    #[test]
    fn dropping_a_ring_drops_its_tasks() {
        let tracked = Tracked::new();
        let (_steal, mut local) = local();
        let inject = Injector::new(1);
        for _ in 0..5 {
            local.push_back_or_overflow(tracked.task(), &inject, 0);
        }
        drop(local);
        assert_eq!(tracked.live(), 0);
    }
}
