//! `WaitList`: a FIFO queue of waiters in a slab, linked by index; and
//! `WakeList`, the wakers collected under a lock to wake after it. The one
//! waiter list of the crate: the channels (`channel/waiters.rs`,
//! `channel/rendezvous.rs`) and the sync primitives (`sync/`) queue in it.
//!
//! Why a slab and not an intrusive list (tokio's choice): the waiter's
//! future holds its entry's key, not a pointer into its own pinned memory,
//! so the whole module stays free of `unsafe`. An entry can leave the queue
//! (it was granted, notified or closed out) and still stay in the slab
//! until its future has seen why; only the future frees it, so a key is
//! never reused under the future that holds it.
//!
//! Costs: push, unlink and remove are O(1); the slab keeps its largest size
//! until it empties (then a large one is given back), so memory follows the
//! peak number of waiters, as a `Vec` does.

use slab::Slab;
use std::task::Waker;

/// Above this many slots, an emptied slab gives its memory back.
const KEEP_CAPACITY: usize = 64;

/// Waiters in arrival order, each with a stable key.
///
/// # Invariants
/// 1. The linked entries form one chain from `head` to `tail` through
///    `prev`/`next`; `linked` counts them.
/// 2. An unlinked entry (`links` is `None`) is in no chain and is only
///    reached through its key.
pub(crate) struct WaitList<T> {
    entries: Slab<Node<T>>,
    head: Option<usize>,
    tail: Option<usize>,
    linked: usize,
}

struct Node<T> {
    value: T,
    /// `Some` while the entry is in the queue.
    links: Option<Links>,
}

#[derive(Clone, Copy)]
struct Links {
    prev: Option<usize>,
    next: Option<usize>,
}

impl<T> WaitList<T> {
    #[inline]
    pub(crate) const fn new() -> WaitList<T> {
        WaitList {
            entries: Slab::new(),
            head: None,
            tail: None,
            linked: 0,
        }
    }

    /// True if no entry is queued (unlinked entries may remain).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.linked == 0
    }

    /// How many entries are queued.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    /// Queues `value` last and returns its key.
    #[inline]
    pub(crate) fn push_back(&mut self, value: T) -> usize {
        let key = self.entries.insert(Node {
            value,
            links: Some(Links {
                prev: self.tail,
                next: None,
            }),
        });
        self.attach_back(key);
        key
    }

    /// Queues `value` first (a waiter that keeps its place in line) and
    /// returns its key.
    #[inline]
    pub(crate) fn push_front(&mut self, value: T) -> usize {
        let key = self.entries.insert(Node {
            value,
            links: Some(Links {
                prev: None,
                next: self.head,
            }),
        });
        match self.head {
            Some(head) => self.links_mut(head).prev = Some(key),
            None => self.tail = Some(key),
        }
        self.head = Some(key);
        self.linked += 1;
        key
    }

    /// Queues an unlinked entry again, last (a waiter that keeps its entry
    /// between waits).
    ///
    /// # Panics
    /// If the entry is queued already.
    pub(crate) fn link_back(&mut self, key: usize) {
        let links = Links {
            prev: self.tail,
            next: None,
        };
        let old = self.entries[key].links.replace(links);
        assert!(old.is_none(), "WaitList::link_back of a queued entry");
        self.attach_back(key);
    }

    /// Makes `key`, whose links already name the old tail as its `prev`,
    /// the new tail.
    #[inline(always)]
    fn attach_back(&mut self, key: usize) {
        match self.tail {
            Some(tail) => self.links_mut(tail).next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        self.linked += 1;
    }

    /// How many entries the slab holds, queued or not (for tests that
    /// check nothing is left behind).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn slots(&self) -> usize {
        self.entries.len()
    }

    /// The key of the first queued entry.
    #[inline]
    pub(crate) fn front(&self) -> Option<usize> {
        self.head
    }

    /// Takes the first entry out of the queue (it stays in the slab) and
    /// returns its key.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let key = self.head?;
        self.unlink(key);
        Some(key)
    }

    /// Takes the last entry out of the queue (it stays in the slab) and
    /// returns its key.
    #[inline]
    pub(crate) fn pop_back(&mut self) -> Option<usize> {
        let key = self.tail?;
        self.unlink(key);
        Some(key)
    }

    /// Takes the entry out of the queue, if it is in it; it stays in the
    /// slab. Returns whether it was queued.
    #[inline]
    pub(crate) fn unlink(&mut self, key: usize) -> bool {
        let Some(links) = self.entries[key].links.take() else {
            return false;
        };
        self.close_gap(links);
        true
    }

    /// Joins the neighbours of an entry that left the chain with `links`.
    #[inline]
    fn close_gap(&mut self, links: Links) {
        match links.prev {
            Some(prev) => self.links_mut(prev).next = links.next,
            None => self.head = links.next,
        }
        match links.next {
            Some(next) => self.links_mut(next).prev = links.prev,
            None => self.tail = links.prev,
        }
        self.linked -= 1;
    }

    /// Unlinks every queued entry, first to last, handing each to `f`.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(&mut T)) {
        while let Some(key) = self.pop_front() {
            f(&mut self.entries[key].value);
        }
    }

    /// Frees the entry (unlinking it first if it is queued) and returns its
    /// value.
    #[inline]
    pub(crate) fn remove(&mut self, key: usize) -> T {
        let node = self.entries.remove(key);
        if let Some(links) = node.links {
            self.close_gap(links);
        }
        if self.entries.is_empty() && self.entries.capacity() > KEEP_CAPACITY {
            self.entries = Slab::new();
        }
        node.value
    }

    /// True if the entry is queued.
    #[inline]
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.entries[key].links.is_some()
    }

    /// The entry's value.
    ///
    /// # Panics
    /// If `key` is not an entry: keys are freed only by [`remove`], which
    /// only the key's holder calls.
    ///
    /// [`remove`]: WaitList::remove
    #[inline]
    pub(crate) fn get_mut(&mut self, key: usize) -> &mut T {
        &mut self.entries[key].value
    }

    #[inline]
    fn links_mut(&mut self, key: usize) -> &mut Links {
        self.entries[key]
            .links
            .as_mut()
            .expect("a neighbour in the chain is linked (WaitList invariant 1)")
    }
}

/// Wakers taken out under a lock, woken once it is released (a woken task
/// may run at once on another thread and take the same lock).
///
/// The first waker is kept inline: the common case, one wake, allocates
/// nothing.
#[derive(Default)]
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    pub(crate) fn new() -> WakeList {
        WakeList::default()
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes them all, in the order they were pushed (after the caller
    /// let go of its lock).
    pub(crate) fn wake_all(self) {
        drop(self);
    }
}

/// A list dropped without `wake_all` (a panic between collecting and
/// waking, e.g. an overflowing `add_permits` after waiters were granted)
/// still wakes everyone it holds: a granted waiter must not sleep.
impl Drop for WakeList {
    fn drop(&mut self) {
        if let Some(first) = self.first.take() {
            first.wake();
        }
        for waker in self.rest.drain(..) {
            waker.wake();
        }
    }
}

/// Updates a stored waker unless it already wakes the same task.
pub(crate) fn set_waker(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(stored) if stored.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn queued(list: &mut WaitList<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        let mut next = list.front();
        while let Some(key) = next {
            out.push(*list.get_mut(key));
            next = list.entries[key].links.and_then(|links| links.next);
        }
        out
    }

    #[test]
    fn entries_come_out_in_arrival_order_around_removals() {
        let mut list = WaitList::new();
        let keys: Vec<usize> = (0..5).map(|i| list.push_back(i)).collect();
        assert_eq!(list.remove(keys[2]), 2, "the middle");
        assert_eq!(list.remove(keys[0]), 0, "the head");
        assert_eq!(list.remove(keys[4]), 4, "the tail");
        assert_eq!(queued(&mut list), vec![1, 3]);
        assert_eq!(list.len(), 2);
        let key = list.push_back(5);
        assert_eq!(queued(&mut list), vec![1, 3, 5]);
        let first = list.push_front(0);
        assert_eq!(queued(&mut list), vec![0, 1, 3, 5]);
        list.remove(first);
        assert_eq!(list.pop_front(), Some(keys[1]));
        assert_eq!(list.pop_back(), Some(key), "the last, from the other end");
        assert_eq!(list.remove(key), 5);
        let key = list.push_back(5);
        assert!(!list.is_linked(keys[1]), "popped but still in the slab");
        assert_eq!(*list.get_mut(keys[1]), 1);
        assert!(list.is_linked(key));
        let mut drained = Vec::new();
        list.drain(|value| drained.push(*value));
        assert_eq!(drained, vec![3, 5]);
        assert!(list.is_empty());
        assert_eq!(list.front(), None);
        assert!(!list.unlink(key), "unlinking twice is a no-op");
        for key in [keys[1], keys[3], key] {
            list.remove(key);
        }
        assert!(list.entries.is_empty());
    }

    #[test]
    fn an_unlinked_entry_queues_again_last_with_its_key() {
        let mut list = WaitList::new();
        let a = list.push_back(1);
        let b = list.push_back(2);
        assert_eq!(list.pop_front(), Some(a));
        list.link_back(a);
        assert!(list.is_linked(a));
        assert_eq!(queued(&mut list), vec![2, 1]);
        list.unlink(b);
        list.unlink(a);
        list.link_back(b);
        assert_eq!(queued(&mut list), vec![2]);
        assert_eq!(list.len(), 1);
    }

    #[test]
    #[should_panic(expected = "link_back of a queued entry")]
    fn queueing_a_queued_entry_again_panics() {
        let mut list = WaitList::new();
        let key = list.push_back(1);
        list.link_back(key);
    }

    #[test]
    fn an_emptied_large_slab_gives_its_memory_back() {
        let mut list = WaitList::new();
        let keys: Vec<usize> = (0..1000).map(|i| list.push_back(i)).collect();
        for key in keys {
            list.remove(key);
        }
        assert!(list.entries.capacity() <= KEEP_CAPACITY);
        assert!(list.head.is_none() && list.tail.is_none());
    }
}
