//! Task ids, and the id of the task this thread is polling.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A task's id: unique among all tasks of the process, for its lifetime.
///
/// Ids are handed out in blocks per thread, so spawning does not contend on
/// one counter; they are not ordered across threads. Its `Display` is the
/// bare number.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::spawn(async { bobbin::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// How many ids a thread takes from the shared counter at a time.
const BLOCK: u64 = 1024;

static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The next id this thread hands out, and the end of its block.
    static BLOCK_CURSOR: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

/// The block an id came from: ids of one block were handed out by one
/// thread (the owned-task list shards by it).
pub(crate) fn block_of(id: Id) -> usize {
    (id.as_u64() / BLOCK) as usize
}

impl Id {
    pub(crate) fn next() -> Id {
        BLOCK_CURSOR.with(|cursor| {
            let (mut next, mut end) = cursor.get();
            if next == end {
                // Relaxed: only uniqueness matters, which the RMW gives.
                next = NEXT_BLOCK.fetch_add(BLOCK, Relaxed);
                end = next + BLOCK;
            }
            cursor.set((next + 1, end));
            Id(NonZeroU64::new(next).expect("task ids start at 1 and a u64 does not wrap"))
        })
    }

    /// The id as a number.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let handle = bobbin::spawn(async {});
    /// assert!(handle.id().as_u64() > 0);
    /// # });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// The id whose number is `id` (none for 0, which no task has).
    pub(crate) fn from_u64(id: u64) -> Option<Id> {
        NonZeroU64::new(id).map(Id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// Marks this thread as polling (or dropping) a task until dropped.
pub(crate) struct CurrentTask {
    previous: Option<Id>,
}

impl CurrentTask {
    pub(crate) fn enter(id: Id) -> CurrentTask {
        CurrentTask {
            previous: CURRENT.with(|current| current.replace(Some(id))),
        }
    }
}

impl Drop for CurrentTask {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.previous));
    }
}

/// The id of the task being polled on this thread.
///
/// # Panics
/// Panics outside a task; [`try_id`] is the form that does not.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let handle = bobbin::spawn(async { bobbin::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # });
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect(
        "bobbin::task::id() was called outside a task; call it from inside a spawned task, \
         or use bobbin::task::try_id() where there may be none",
    )
}

/// The id of the task being polled on this thread, or `None` outside a task
/// (for example in the future given to `block_on`, which is not a task).
///
/// # Examples
/// ```
/// assert_eq!(bobbin::task::try_id(), None);
/// # bobbin::block_on(async {
/// let inside = bobbin::spawn(async { bobbin::task::try_id() }).await.unwrap();
/// assert!(inside.is_some());
/// # });
/// ```
pub fn try_id() -> Option<Id> {
    CURRENT.with(|current| current.get())
}
