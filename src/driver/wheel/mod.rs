//! The hierarchical timing wheel: 6 levels of 64 slots, in ticks (100 µs,
//! `timers::TICK`).
//!
//! Level `l` has slots of 64^l ticks: level 0 holds the deadlines of the
//! current 6.4 ms, level 1 those of the current 409.6 ms (in 6.4 ms
//! slots), and so on up to level 5, whose 64 slots of about 30 hours each
//! span about 79 days. A deadline goes to the lowest level whose current span
//! contains it, in the slot its tick falls in. When time reaches a slot of
//! a higher level, its entries move down (each at most once per level), and
//! a slot of level 0 fires its entries.
//!
//! Why this shape (Varghese and Lauck's hierarchical wheel, as tokio and
//! the Linux kernel use): inserting, cancelling and firing are O(1) (a list
//! push, an unlink, a list drain), and the next deadline (the I/O driver's
//! `poll` timeout) is found in O(1) per level with a 64-bit occupancy
//! bitmap and one count of trailing zeros. A binary heap was the rejected
//! alternative: O(log n) inserts, and cancellation needs a search or a
//! position index kept up to date on every sift.
//!
//! Entries live in a slab (so the lists link by index, with no unsafe
//! code), each with a unique id: a key `(index, id)` held by a `Sleep`
//! finds its entry, or learns that it fired or was cancelled (the index
//! then is free or someone else's).
//!
//! Invariants:
//! 1. Every entry is in exactly one slot list: level `level_for(elapsed,
//!    when)`, slot `slot_for(when, level)`, as computed when it was
//!    (re)inserted, and `when > elapsed` held then.
//! 2. A level's bitmap bit is set iff its slot's list is not empty.
//! 3. `advance` processes slots in deadline order, so when `elapsed` passes
//!    the start of a slot of level `l > 0`, that slot has been emptied into
//!    lower levels.
//!
//! Tested by the unit tests below (level boundaries, cascades, ordering,
//! cancellation, the far future) and by `executor-tests/tests/time_*.rs`.

mod level;

use level::{Level, SLOTS};
use slab::Slab;
use std::task::Waker;

const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOT_MASK: u64 = (SLOTS as u64) - 1;

/// The furthest a deadline may be from `elapsed`, in ticks (about 79
/// days); a later one is queued at this distance, fires early, and is
/// queued again by its `Sleep`, which checks the real deadline.
pub(crate) const MAX_TICKS: u64 = (1 << (SLOT_BITS * LEVELS as u32)) - 1;

/// The timing wheel.
pub(crate) struct Wheel {
    /// Ticks (since the wheel's origin) processed so far.
    elapsed: u64,
    /// Boxed: about 6 KB, which would otherwise be built on the stack and
    /// moved into the runtime's shared state (enough, with loom's small
    /// coroutine stacks, to overflow the models that start a driver).
    levels: Box<[Level; LEVELS]>,
    entries: Slab<Entry>,
    next_id: u64,
}

struct Entry {
    id: u64,
    when: u64,
    /// The exact deadline, in nanoseconds since the wheel's origin (`when`
    /// is it rounded up to a tick): `fire_within_tick` fires an entry of
    /// the coming tick once this has passed.
    exact: u64,
    waker: Waker,
    prev: Option<usize>,
    next: Option<usize>,
    level: u8,
    slot: u8,
}

/// Where an entry is, for its owner to update or cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryKey {
    index: usize,
    id: u64,
}

/// A slot's turn: its level, its index, and the tick it comes due at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Expiration {
    level: usize,
    slot: usize,
    deadline: u64,
}

/// The lowest level whose current span (at `elapsed`) contains `when`.
fn level_for(elapsed: u64, when: u64) -> usize {
    let masked = (elapsed ^ when) | SLOT_MASK;
    let significant = 63 - masked.leading_zeros();
    ((significant / SLOT_BITS) as usize).min(LEVELS - 1)
}

fn slot_for(when: u64, level: usize) -> usize {
    ((when >> (level as u32 * SLOT_BITS)) & SLOT_MASK) as usize
}

fn slot_range(level: usize) -> u64 {
    1 << (level as u32 * SLOT_BITS)
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: Box::new(std::array::from_fn(|_| Level::new())),
            entries: Slab::new(),
            next_id: 0,
        }
    }

    /// How many entries are queued.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The ticks processed so far.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Queues `waker` for tick `when` (its exact deadline, `exact`
    /// nanoseconds since the origin, rounded up); gives the waker back if
    /// `when` has already passed. O(1).
    pub(crate) fn insert(
        &mut self,
        when: u64,
        exact: u64,
        waker: Waker,
    ) -> Result<EntryKey, Waker> {
        if when <= self.elapsed {
            return Err(waker);
        }
        let when = when.min(self.elapsed + MAX_TICKS);
        let id = self.next_id;
        self.next_id += 1;
        let index = self.entries.insert(Entry {
            id,
            when,
            exact,
            waker,
            prev: None,
            next: None,
            level: 0,
            slot: 0,
        });
        self.link(index);
        Ok(EntryKey { index, id })
    }

    /// Replaces an entry's waker if it differs; `Err(())` if the entry
    /// fired or was cancelled. The replaced waker comes back for the caller
    /// to drop outside its lock: dropping a waker can drop a task whose
    /// future owns a timer, which cancels it under the same lock.
    pub(crate) fn update_waker(
        &mut self,
        key: EntryKey,
        waker: &Waker,
    ) -> Result<Option<Waker>, ()> {
        match self.entries.get_mut(key.index) {
            Some(entry) if entry.id == key.id => {
                if entry.waker.will_wake(waker) {
                    Ok(None)
                } else {
                    Ok(Some(std::mem::replace(&mut entry.waker, waker.clone())))
                }
            }
            _ => Err(()),
        }
    }

    /// Cancels an entry (a no-op if it fired already). O(1). Its waker
    /// comes back to be dropped outside the caller's lock (see
    /// `update_waker`).
    pub(crate) fn remove(&mut self, key: EntryKey) -> Option<Waker> {
        if self
            .entries
            .get(key.index)
            .is_some_and(|entry| entry.id == key.id)
        {
            self.unlink(key.index);
            Some(self.entries.remove(key.index).waker)
        } else {
            None
        }
    }

    /// The tick at which the next slot comes due, if any entry is queued.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.next_expiration().map(|expiration| expiration.deadline)
    }

    /// The earliest exact deadline (nanoseconds since the origin) among
    /// the entries of the next slot to come due, if that slot is of level 0
    /// and holds at most `limit` entries (a longer list is not walked: the
    /// caller then waits for the slot's tick, as before).
    pub(crate) fn next_exact(&self, limit: usize) -> Option<u64> {
        let (_, head) = self.next_short_slot(limit)?;
        self.list(head).map(|index| self.entries[index].exact).min()
    }

    /// Fires the entries of the tick after `elapsed` whose exact deadline
    /// is at or before `now` (nanoseconds since the origin): `now` lies in
    /// that tick, so they are due, though the tick is not over. Never
    /// early: an entry fires only once its exact deadline has passed. Only
    /// a slot of at most `limit` entries is walked (this runs after every
    /// driver poll, under the timers' lock); a fuller one fires at its
    /// tick. The caller has run `advance` to the tick `now` is in.
    pub(crate) fn fire_within_tick(&mut self, now: u64, limit: usize, wake: &mut Vec<Waker>) {
        let Some((expiration, head)) = self.next_short_slot(limit) else {
            return;
        };
        if expiration.deadline != self.elapsed + 1 {
            return;
        }
        let mut cursor = Some(head);
        while let Some(index) = cursor {
            let entry = &self.entries[index];
            cursor = entry.next;
            if entry.exact <= now {
                self.unlink(index);
                wake.push(self.entries.remove(index).waker);
            }
        }
    }

    /// The next slot to come due, with its first entry, if it is of level 0
    /// and holds at most `limit` entries (what `next_exact` and
    /// `fire_within_tick` walk).
    fn next_short_slot(&self, limit: usize) -> Option<(Expiration, usize)> {
        let expiration = self.next_expiration()?;
        if expiration.level != 0 {
            return None;
        }
        let head = self.levels[0].head(expiration.slot)?;
        (self.list(head).nth(limit).is_none()).then_some((expiration, head))
    }

    /// The entries of the slot list that starts at `head`, in list order.
    fn list(&self, head: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(head), |&index| self.entries[index].next)
    }

    /// Processes every slot due at or before tick `now`: fires the entries
    /// whose tick has come (their wakers go into `wake`) and moves the
    /// others down a level. Then `elapsed` is `now`.
    pub(crate) fn advance(&mut self, now: u64, wake: &mut Vec<Waker>) {
        while let Some(expiration) = self.next_expiration() {
            if expiration.deadline > now {
                break;
            }
            self.process(expiration, wake);
        }
        self.elapsed = self.elapsed.max(now);
    }

    /// Removes every entry, moving its waker into `wake` (shutdown).
    pub(crate) fn drain(&mut self, wake: &mut Vec<Waker>) {
        wake.extend(self.entries.drain().map(|entry| entry.waker));
        for level in self.levels.iter_mut() {
            *level = Level::new();
        }
    }

    fn next_expiration(&self) -> Option<Expiration> {
        // The lowest non-empty level has the earliest deadline: its entries
        // all fall in spans that a higher level's occupied slots follow
        // (invariants 1 and 3).
        (0..LEVELS).find_map(|level| {
            let slot_range = slot_range(level);
            let level_range = slot_range * SLOTS as u64;
            let now_slot = ((self.elapsed / slot_range) & SLOT_MASK) as usize;
            // A level's current slot never holds this turn's entries (they
            // belong to a lower level); at the top level it may hold the
            // next turn's (clamped far deadlines), which come after every
            // other slot. So the search starts at the slot after it: the
            // rest of this turn, then the next turn, the current slot last.
            let from = (now_slot + 1) % SLOTS;
            let skip = self.levels[level].next_occupied(from)?;
            let slot = (from + skip) % SLOTS;
            let level_start = self.elapsed & !(level_range - 1);
            let mut deadline = level_start + slot as u64 * slot_range;
            if deadline <= self.elapsed && level > 0 {
                // The slot lies in the level's next turn: only the top level
                // can hold one (a clamped far deadline).
                deadline += level_range;
            }
            Some(Expiration {
                level,
                slot,
                deadline,
            })
        })
    }

    fn process(&mut self, expiration: Expiration, wake: &mut Vec<Waker>) {
        let mut cursor = self.levels[expiration.level].head(expiration.slot);
        self.levels[expiration.level].set_head(expiration.slot, None);
        self.elapsed = self.elapsed.max(expiration.deadline);
        while let Some(index) = cursor {
            let entry = &mut self.entries[index];
            cursor = entry.next;
            entry.prev = None;
            entry.next = None;
            if entry.when <= self.elapsed {
                wake.push(self.entries.remove(index).waker);
            } else {
                // Due later within this slot's span: a lower level now.
                self.link(index);
            }
        }
    }

    /// Puts entry `index` at the head of the slot its tick belongs to.
    fn link(&mut self, index: usize) {
        let when = self.entries[index].when;
        let level = level_for(self.elapsed, when);
        let slot = slot_for(when, level);
        let old_head = self.levels[level].head(slot);
        {
            let entry = &mut self.entries[index];
            entry.level = level as u8;
            entry.slot = slot as u8;
            entry.prev = None;
            entry.next = old_head;
        }
        if let Some(old_head) = old_head {
            self.entries[old_head].prev = Some(index);
        }
        self.levels[level].set_head(slot, Some(index));
    }

    /// Takes entry `index` out of its slot's list.
    fn unlink(&mut self, index: usize) {
        let (prev, next, level, slot) = {
            let entry = &self.entries[index];
            (
                entry.prev,
                entry.next,
                entry.level as usize,
                entry.slot as usize,
            )
        };
        match prev {
            Some(prev) => self.entries[prev].next = next,
            None => self.levels[level].set_head(slot, next),
        }
        if let Some(next) = next {
            self.entries[next].prev = prev;
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::task::Wake;

    /// A waker that records its label when woken.
    struct Label(u64, Arc<Mutex<Vec<u64>>>);

    impl Wake for Label {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    /// A tick's deadline as an exact one: the tick's own start.
    fn exact(tick: u64) -> u64 {
        tick.saturating_mul(100_000)
    }

    fn waker(label: u64, fired: &Arc<Mutex<Vec<u64>>>) -> Waker {
        Waker::from(Arc::new(Label(label, fired.clone())))
    }

    /// Advances tick by tick to `until`, recording the tick each label fired at.
    fn run(wheel: &mut Wheel, until: u64, fired: &Arc<Mutex<Vec<u64>>>) -> Vec<(u64, u64)> {
        let mut at = Vec::new();
        let mut wake = Vec::new();
        for now in wheel.elapsed() + 1..=until {
            wheel.advance(now, &mut wake);
            for waker in wake.drain(..) {
                waker.wake();
            }
            for label in fired.lock().unwrap().drain(..) {
                at.push((label, now));
            }
        }
        at
    }

    #[test]
    fn level_boundaries_fire_exactly_on_their_tick() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let ticks = [1, 63, 64, 65, 4095, 4096, 4097, 262_143, 262_144];
        for &tick in &ticks {
            wheel
                .insert(tick, exact(tick), waker(tick, &fired))
                .unwrap();
        }
        let at = run(&mut wheel, 262_144, &fired);
        assert_eq!(at, ticks.iter().map(|&t| (t, t)).collect::<Vec<_>>());
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn next_deadline_is_the_earliest_slot_and_jumps_are_safe() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        wheel.insert(5000, exact(5000), waker(2, &fired)).unwrap();
        wheel.insert(70, exact(70), waker(1, &fired)).unwrap();
        // 70 is in level 1 (slot of 64..128): due when that slot starts.
        assert_eq!(wheel.next_deadline(), Some(64));
        let mut wake = Vec::new();
        // Jump straight past both: each fires, none is lost.
        wheel.advance(10_000, &mut wake);
        assert_eq!(wake.len(), 2);
        assert_eq!(wheel.next_deadline(), None);
    }

    #[test]
    fn a_big_jump_never_fires_early() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        wheel.insert(1_000, exact(1_000), waker(1, &fired)).unwrap();
        let mut wake = Vec::new();
        wheel.advance(999, &mut wake);
        assert!(wake.is_empty(), "due at 1000, not at 999");
        wheel.advance(1_000, &mut wake);
        assert_eq!(wake.len(), 1);
    }

    #[test]
    fn the_coming_tick_fires_each_entry_once_its_exact_deadline_passed() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        // Tick 10 spans (900_000, 1_000_000] ns: three deadlines inside it.
        wheel.insert(10, 930_000, waker(1, &fired)).unwrap();
        wheel.insert(10, 960_000, waker(2, &fired)).unwrap();
        wheel.insert(10, 1_000_000, waker(3, &fired)).unwrap();
        wheel.insert(11, 1_050_000, waker(4, &fired)).unwrap();
        let mut wake = Vec::new();
        wheel.advance(9, &mut wake);
        assert_eq!(
            wheel.next_exact(16),
            Some(930_000),
            "the earliest exact deadline"
        );
        assert_eq!(wheel.next_exact(2), None, "a slot longer than the walk");
        wheel.fire_within_tick(960_000, 2, &mut wake);
        assert!(
            wake.is_empty(),
            "a slot longer than the walk waits for its tick"
        );
        wheel.fire_within_tick(929_999, 16, &mut wake);
        assert!(wake.is_empty(), "never early");
        wheel.fire_within_tick(960_000, 16, &mut wake);
        wake.drain(..).for_each(Waker::wake);
        let mut got = fired.lock().unwrap().clone();
        got.sort_unstable();
        assert_eq!(
            got,
            [1, 2],
            "those whose deadline passed, not the rest of the tick"
        );
        assert_eq!(wheel.next_exact(16), Some(1_000_000));
        // The tick's end fires the rest, once; the next tick waits.
        wheel.advance(10, &mut wake);
        assert_eq!(wake.len(), 1);
        wheel.fire_within_tick(1_000_001, 16, &mut wake);
        assert_eq!(wake.len(), 1, "tick 11's entry is not due before 1_050_000");
        assert_eq!(wheel.len(), 1);
    }

    #[test]
    fn cancel_unlinks_from_the_middle_of_a_slot() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let keys: Vec<_> = (0..5)
            .map(|i| wheel.insert(10, exact(10), waker(i, &fired)).unwrap())
            .collect();
        assert!(wheel.remove(keys[2]).is_some());
        assert!(wheel.remove(keys[2]).is_none(), "removed already");
        assert!(wheel.remove(keys[0]).is_some());
        let at = run(&mut wheel, 10, &fired);
        let mut labels: Vec<_> = at.iter().map(|&(label, _)| label).collect();
        labels.sort();
        assert_eq!(labels, [1, 3, 4]);
        assert!(
            wheel.update_waker(keys[1], &waker(9, &fired)).is_err(),
            "a fired entry is gone"
        );
    }

    #[test]
    fn far_deadlines_are_clamped_and_past_ones_refused() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let key = wheel
            .insert(u64::MAX, exact(u64::MAX), waker(1, &fired))
            .unwrap();
        assert_eq!(wheel.next_deadline().map(|d| d <= MAX_TICKS), Some(true));
        let mut wake = Vec::new();
        wheel.advance(MAX_TICKS, &mut wake);
        assert_eq!(
            wake.len(),
            1,
            "fires (early) at the clamp; the Sleep queues again"
        );
        assert!(wheel.update_waker(key, &waker(1, &fired)).is_err());
        assert!(
            wheel
                .insert(MAX_TICKS, exact(MAX_TICKS), waker(2, &fired))
                .is_err(),
            "already due"
        );
    }

    #[test]
    fn many_entries_in_order() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        // A cheap pseudo-random spread over 0..20_000 ms.
        let mut x = 12345u64;
        let mut ticks = Vec::new();
        for label in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let tick = 1 + x % 20_000;
            ticks.push((label, tick));
            wheel
                .insert(tick, exact(tick), waker(label, &fired))
                .unwrap();
        }
        let at = run(&mut wheel, 20_000, &fired);
        assert_eq!(at.len(), 2_000);
        for (label, now) in at {
            assert_eq!(
                now, ticks[label as usize].1,
                "entry {label} fired on its tick"
            );
        }
    }

    /// A clamped far deadline sits in the top level's current slot (the
    /// next turn); it must not hide an entry in a later slot of this turn.
    #[test]
    fn a_clamped_far_deadline_does_not_hide_a_nearer_top_level_one() {
        let fired = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let mut wake = Vec::new();
        wheel.advance(1_000, &mut wake);
        wheel
            .insert(u64::MAX, exact(u64::MAX), waker(1, &fired))
            .unwrap();
        let day = 86_400_000;
        let thirteen_days = 1_000 + 13 * day;
        wheel
            .insert(thirteen_days, exact(thirteen_days), waker(2, &fired))
            .unwrap();
        assert!(
            wheel
                .next_deadline()
                .is_some_and(|tick| tick <= thirteen_days)
        );
        wheel.advance(thirteen_days - 1, &mut wake);
        assert!(wake.is_empty(), "not due yet");
        wheel.advance(thirteen_days, &mut wake);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(
            *fired.lock().unwrap(),
            [2],
            "the 13-day entry fires on time"
        );
    }

    /// The wheel against a model (a list of deadlines): random inserts from
    /// 1 tick to past the clamp, cancels, and jumps of time up to 2^36
    /// ticks. Nothing fires early or twice, everything due has fired, and
    /// `next_deadline` is never later than the earliest pending entry.
    #[test]
    fn agrees_with_a_model_under_random_operations() {
        for seed in 1..=200u64 {
            let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let mut next = move |bound: u64| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng % bound
            };
            let fired = Arc::new(Mutex::new(Vec::new()));
            let mut wheel = Wheel::new();
            // label -> (key, the tick it is due at after clamping)
            let mut model = std::collections::BTreeMap::new();
            let mut wake = Vec::new();
            for label in 0..400u64 {
                let elapsed = wheel.elapsed();
                match next(10) {
                    0..=4 => {
                        let span = [64, 5_000, 1 << 20, 1 << 32, 1 << 37][next(5) as usize];
                        let when = if next(6) == 0 {
                            u64::MAX
                        } else {
                            elapsed + 1 + next(span)
                        };
                        let key = wheel
                            .insert(when, exact(when), waker(label, &fired))
                            .unwrap();
                        model.insert(label, (key, when.min(elapsed + MAX_TICKS)));
                    }
                    5 => {
                        if let Some((_, (key, _))) = model.pop_first() {
                            assert!(wheel.remove(key).is_some(), "seed {seed}: a pending entry");
                        }
                    }
                    _ => {
                        if let Some(earliest) = model.values().map(|&(_, when)| when).min() {
                            let deadline = wheel.next_deadline();
                            assert!(
                                deadline.is_some_and(|tick| tick <= earliest),
                                "seed {seed}: next deadline {deadline:?}, earliest entry {earliest}"
                            );
                        }
                        let span = [64, 100_000, 1 << 31, 1 << 36][next(4) as usize];
                        let now = elapsed + 1 + next(span);
                        wheel.advance(now, &mut wake);
                        wake.drain(..).for_each(Waker::wake);
                        for label in fired.lock().unwrap().drain(..) {
                            let (_, when) = model.remove(&label).expect("fired once");
                            assert!(when <= now, "seed {seed}: due at {when}, fired at {now}");
                        }
                        assert!(
                            model.values().all(|&(_, when)| when > now),
                            "seed {seed}: an entry due by {now} did not fire"
                        );
                    }
                }
            }
        }
    }
}
