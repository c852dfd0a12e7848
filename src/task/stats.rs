//! A task's history for the dump (`Handle::dump`): how many polls, when
//! it was spawned and last polled (coarse ticks, `clock.rs`), whether it is
//! a blocking job, and how it ended. A block in the task's header.

use super::clock;
use super::stage::StageTag;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering::Relaxed};

/// A task's history for the dump (`Handle::dump`), and the tag of the
/// cell's stage in the block's spare byte: 15 bytes in the header (16 with
/// its alignment).
///
/// Written only by the thread that holds RUNNING (or, for `spawned`, the
/// spawner before the task is published, and a remote spawner once right
/// after), read at any time by a dump. Relaxed std atomics: these are
/// reports, never used to decide anything, so a dump may see a poll's
/// count before its time; and they stay out of the loom models. The one
/// exception is `stage`, the stage's tag, which is not a report: it follows
/// the stage's own rules (`stage.rs`, Cell invariant 2) and the dump never
/// reads it.
pub(crate) struct Stats {
    /// Polls begun, saturating at `u32::MAX`.
    polls: AtomicU32,
    /// When the last poll began, in coarse ticks (`task::clock`).
    last_poll: AtomicU32,
    /// When the task was spawned, in coarse ticks.
    spawned: AtomicU32,
    /// A `spawn_blocking` job.
    pub(crate) blocking: bool,
    /// How the task ended (an [`Ending`]), stored before COMPLETE is
    /// published, so a dump that sees COMPLETE (Acquire) sees it.
    ending: AtomicU8,
    /// Which of the future and the output the cell's stage holds
    /// (`stage.rs`): not a report, but here it fills a byte the alignment
    /// would waste, where beside the stage it took a word.
    pub(super) stage: StageTag,
}

/// How a task ended, for the dump (`Stats::ending`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Ending {
    /// Not finished yet.
    NotYet = 0,
    /// The future returned its output.
    Returned = 1,
    /// The future (or its `Drop`) panicked.
    Panicked = 2,
    /// The task was cancelled.
    Cancelled = 3,
}

/// What a dump reads from `Stats`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatsSnapshot {
    pub(crate) polls: u32,
    pub(crate) last_poll: u32,
    pub(crate) spawned: u32,
}

impl Stats {
    pub(super) fn new(blocking: bool) -> Stats {
        let now = clock::coarse();
        Stats {
            polls: AtomicU32::new(0),
            last_poll: AtomicU32::new(now),
            spawned: AtomicU32::new(now),
            blocking,
            ending: AtomicU8::new(Ending::NotYet as u8),
            stage: StageTag::running(),
        }
    }

    /// Records how the task ended (before COMPLETE is published).
    pub(crate) fn set_ending(&self, ending: Ending) {
        self.ending.store(ending as u8, Relaxed);
    }

    /// How the task ended, `Ending::NotYet` until then.
    pub(crate) fn ending(&self) -> Ending {
        match self.ending.load(Relaxed) {
            1 => Ending::Returned,
            2 => Ending::Panicked,
            3 => Ending::Cancelled,
            _ => Ending::NotYet,
        }
    }

    /// A poll begins (the caller holds RUNNING): one load of the coarse
    /// clock and three plain accesses, no read-modify-write.
    pub(crate) fn poll_begins(&self) {
        let polls = self.polls.load(Relaxed);
        self.polls.store(polls.saturating_add(1), Relaxed);
        self.last_poll.store(clock::coarse(), Relaxed);
    }

    /// Stamps the spawn with the real clock: for spawns from outside a
    /// worker, where the coarse clock may be stale (`task::clock`).
    pub(crate) fn stamp_spawn_precisely(&self) {
        let now = clock::refresh();
        self.spawned.store(now, Relaxed);
        if self.polls.load(Relaxed) == 0 {
            self.last_poll.store(now, Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            polls: self.polls.load(Relaxed),
            last_poll: self.last_poll.load(Relaxed),
            spawned: self.spawned.load(Relaxed),
        }
    }
}
