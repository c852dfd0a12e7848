//! One level of the wheel: 64 slots, each the head of a list of entries,
//! and a bitmap of which slots hold any.

/// Slots per level.
pub(super) const SLOTS: usize = 64;

/// One level: slot `s` holds the entries whose deadline falls in the `s`-th
/// span of this level's range.
pub(super) struct Level {
    /// Bit `s` set: slot `s` is not empty.
    occupied: u64,
    /// The first entry (a slab key) of each slot's list.
    heads: [Option<usize>; SLOTS],
}

impl Level {
    pub(super) fn new() -> Level {
        Level {
            occupied: 0,
            heads: [None; SLOTS],
        }
    }

    pub(super) fn head(&self, slot: usize) -> Option<usize> {
        self.heads[slot]
    }

    /// Sets a slot's first entry (or empties it) and keeps the bitmap true.
    pub(super) fn set_head(&mut self, slot: usize, head: Option<usize>) {
        self.heads[slot] = head;
        match head {
            Some(_) => self.occupied |= 1 << slot,
            None => self.occupied &= !(1 << slot),
        }
    }

    /// The first occupied slot at or after `from`, going round: the number
    /// of slots to skip from `from`, or `None` if the level is empty. One
    /// rotate and one count of trailing zeros: O(1).
    pub(super) fn next_occupied(&self, from: usize) -> Option<usize> {
        if self.occupied == 0 {
            return None;
        }
        Some(self.occupied.rotate_right(from as u32).trailing_zeros() as usize)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn next_occupied_goes_round() {
        let mut level = Level::new();
        assert_eq!(level.next_occupied(10), None);
        level.set_head(3, Some(7));
        assert_eq!(level.next_occupied(0), Some(3));
        assert_eq!(level.next_occupied(3), Some(0));
        assert_eq!(
            level.next_occupied(4),
            Some(63),
            "from 4, slot 3 is 63 slots ahead"
        );
        level.set_head(3, None);
        assert_eq!(level.next_occupied(0), None);
    }
}
