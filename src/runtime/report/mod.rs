//! What a runtime tells people about itself, apart from the counters
//! (`metrics.rs`): the task dump (`dump.rs`), the long polls the monitor
//! finds (`long_poll.rs`) and what a shutdown left running
//! (`shutdown.rs`), and the thread a local task is pinned to
//! (`local.rs`). Each is a snapshot built from the task core's owned
//! list and headers (`TaskInfo`: id, name, spawn location, whose `Display`
//! is every report's head) and formatted for a person; durations read the
//! same everywhere ([`Human`]).
//!
//! Nothing here reaches into the scheduler: the caller (`Handle::dump`,
//! the monitor, `Runtime::shutdown_timeout`) gathers what the scheduler
//! knows (which core polls which task) and hands it in.

use std::fmt;
use std::time::Duration;

mod dump;
mod local;
mod long_poll;
mod shutdown;

pub use dump::{TaskDump, TaskSnapshot, TaskState};
pub use local::{LocalThread, PinnedTask};
pub use long_poll::LongPoll;
pub use shutdown::{ShutdownReport, Unfinished};

pub(crate) use dump::take as take_dump;

/// A duration the way a person reads it: `312ms`, `4.2s`, `42s`, `3m12s`,
/// `2h05m`.
pub(crate) struct Human(pub(crate) Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        let secs = self.0.as_secs();
        if millis < 1_000 {
            write!(f, "{millis}ms")
        } else if secs < 10 {
            write!(f, "{}.{}s", secs, (millis % 1_000) / 100)
        } else if secs < 60 {
            write!(f, "{secs}s")
        } else if secs < 3_600 {
            write!(f, "{}m{:02}s", secs / 60, secs % 60)
        } else {
            write!(f, "{}h{:02}m", secs / 3_600, (secs % 3_600) / 60)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_writes_them() {
        let cases = [
            (Duration::from_millis(0), "0ms"),
            (Duration::from_millis(312), "312ms"),
            (Duration::from_millis(4_250), "4.2s"),
            (Duration::from_secs(42), "42s"),
            (Duration::from_secs(192), "3m12s"),
            (Duration::from_secs(7_500), "2h05m"),
        ];
        for (duration, text) in cases {
            assert_eq!(Human(duration).to_string(), text);
        }
    }
}
