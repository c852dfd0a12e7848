//! How the runtime's own threads (workers at shutdown, the monitor, the
//! blocking pool) wait for each other: std's mutex and condition variable,
//! with an optional deadline and poisoning ignored. Not model-checked: these
//! are the slow paths around threads starting and stopping.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// Locks `mutex`, ignoring poisoning: what these mutexes guard (counts,
/// flags, lists) is consistent between statements, so a panic elsewhere
/// while one was held leaves nothing half-done.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `condvar` until `done` holds for the guarded value, or until
/// `deadline` passes (never, with `None`). Returns the guard and whether
/// `done` held.
pub(crate) fn wait_until<'a, T>(
    condvar: &Condvar,
    mut guard: MutexGuard<'a, T>,
    deadline: Option<Instant>,
    mut done: impl FnMut(&T) -> bool,
) -> (MutexGuard<'a, T>, bool) {
    loop {
        if done(&guard) {
            return (guard, true);
        }
        guard = match deadline {
            Some(deadline) => {
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    return (guard, false);
                };
                match condvar.wait_timeout(guard, left) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                }
            }
            None => match condvar.wait(guard) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            },
        };
    }
}

/// Counts threads that have exited, so a shutdown can wait for them with a
/// deadline (std threads cannot be joined with a timeout).
#[derive(Default)]
pub(crate) struct ExitLatch {
    exited: Mutex<usize>,
    condvar: Condvar,
}

impl ExitLatch {
    /// One more thread has exited (call it from a guard's `Drop`, so a
    /// panic counts too).
    pub(crate) fn exited(&self) {
        *lock(&self.exited) += 1;
        self.condvar.notify_all();
    }

    /// How many have exited.
    pub(crate) fn count(&self) -> usize {
        *lock(&self.exited)
    }

    /// Waits until `count` threads have exited or `deadline` passes; true
    /// if they have.
    pub(crate) fn wait(&self, count: usize, deadline: Option<Instant>) -> bool {
        wait_until(&self.condvar, lock(&self.exited), deadline, |exited| {
            *exited >= count
        })
        .1
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_latch_waits_for_its_count_or_its_deadline() {
        let latch = Arc::new(ExitLatch::default());
        assert!(latch.wait(0, Some(Instant::now())));
        assert!(!latch.wait(1, Some(Instant::now() + Duration::from_millis(20))));
        let other = latch.clone();
        let thread = std::thread::spawn(move || other.exited());
        assert!(latch.wait(1, None));
        assert_eq!(latch.count(), 1);
        thread.join().unwrap();
    }
}
