//! The task's single heap allocation and the untyped pointers to it.
//!
//! A task is one `Cell<F, S>`: a type-erased [`Header`] first (so a
//! `NonNull<Header>` can point at any task), then the scheduler handle, the
//! stage (the future, then its output) and the join waker. The header's
//! vtable knows the concrete `F` and `S`, so queues, wakers and handles
//! carry one thin pointer.
//!
//! Why one allocation: a spawn costs one `malloc`, and the waker is the task
//! pointer itself, so waking never allocates (async-task and tokio do the
//! same; smol's executor adds a second allocation for its slab entry).

use super::Schedule;
use super::harness;
use super::id::Id;
use super::list::Links;
use super::stage::Stage;
use super::state::State;
use super::stats::Stats;
use crate::loom::UnsafeCell;
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

/// The type-erased front of every task cell.
///
/// # Invariants
/// 1. `state` follows the rules in `state.rs`; it alone decides who may touch
///    the rest of the cell.
/// 2. `links` is read and written only under the lock of the owned-task
///    shard chosen by `id` (see `list.rs`).
/// 3. `vtable` is the vtable of the `Cell<F, S>` this header begins.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) links: UnsafeCell<Links>,
    pub(crate) id: Id,
    /// Where it was spawned, and its name: one word.
    pub(crate) origin: Origin,
    /// What the task dump shows: polls, spawn and last poll times.
    pub(crate) stats: Stats,
}

/// What running a `Notified` did (for the worker's counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ran {
    /// No poll: the notification was stale, or the task was cancelled
    /// before its poll.
    Skipped,
    /// Polled; not finished (or cancelled after the poll).
    Polled,
    /// Polled, and the future returned or panicked.
    Completed,
}

/// Where a task was spawned, and its name (from `task::Builder::name`),
/// in one word of the header: the spawn location's address, or for a named
/// task the address of a boxed [`Named`] with its low bit set. An unnamed
/// task (the usual case) pays one word and no allocation; a named one, one
/// word and one box. (Two fields took 16 bytes, which kept the cell of the
/// memory benchmark's task in glibc's next 16-byte size class.)
///
/// # Invariants
/// `tagged` is either the address of a `Location<'static>` (aligned to at
/// least 2, so its low bit is clear), or the address of a `Box<Named>`
/// leaked by `Origin::new`, plus one, owned by this value and freed by its
/// `Drop`; it never changes after `new`.
pub(crate) struct Origin {
    tagged: NonNull<u8>,
}

/// A named task's origin.
struct Named {
    location: &'static Location<'static>,
    name: Box<str>,
}

const _: () = assert!(std::mem::align_of::<Location<'static>>() >= 2);
const _: () = assert!(std::mem::align_of::<Named>() >= 2);

// SAFETY: an `Origin` is a `&'static Location` or a `Box<Named>`, both
// `Send` and `Sync`; it is never written after `new`.
unsafe impl Send for Origin {}
// SAFETY: as for `Send`.
unsafe impl Sync for Origin {}

impl Origin {
    pub(crate) fn new(location: &'static Location<'static>, name: Option<Box<str>>) -> Origin {
        let tagged = match name {
            None => NonNull::from(location).cast::<u8>(),
            Some(name) => NonNull::from(Box::leak(Box::new(Named { location, name })))
                .cast::<u8>()
                .map_addr(|addr| addr | 1),
        };
        Origin { tagged }
    }

    /// The boxed `Named`, for a named task.
    fn named(&self) -> Option<&Named> {
        if self.tagged.addr().get() & 1 == 0 {
            return None;
        }
        let named = self.tagged.map_addr(|addr| {
            std::num::NonZeroUsize::new(addr.get() & !1).expect("a box's address is not 0")
        });
        // SAFETY: a set low bit means `tagged` is a leaked `Box<Named>`'s
        // address plus one (invariant), alive until this value drops.
        Some(unsafe { named.cast::<Named>().as_ref() })
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        match self.named() {
            Some(named) => named.location,
            // SAFETY: a clear low bit means `tagged` is a `&'static
            // Location`'s address (invariant).
            None => unsafe { self.tagged.cast::<Location<'static>>().as_ref() },
        }
    }

    /// The task's name, if it has one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.named().map(|named| &*named.name)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        if let Some(named) = self.named() {
            let named = NonNull::from(named);
            // SAFETY: the box `new` leaked (invariant), freed once, here.
            drop(unsafe { Box::from_raw(named.as_ptr()) });
        }
    }
}

/// Operations that need the concrete future and scheduler types.
pub(crate) struct Vtable {
    /// Polls the task; consumes the reference of the `Notified` it was given.
    pub(crate) poll: unsafe fn(NonNull<Header>) -> Ran,
    /// Hands a reference, already counted, to the scheduler as a `Notified`.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the cell.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Reads the output into `*mut Poll<Result<T, JoinError>>`, or registers
    /// the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The JoinHandle's drop when the fast path failed.
    pub(crate) drop_join_handle_slow: unsafe fn(NonNull<Header>),
    /// Cancels the task if idle; consumes one reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    /// The scheduler's `local_owner` (no reference consumed).
    pub(crate) local_owner: unsafe fn(&Header) -> Option<&super::LocalOwner>,
}

impl Header {
    /// The thread this task is pinned to, if it is a local task.
    pub(crate) fn local_owner(&self) -> Option<&super::LocalOwner> {
        // SAFETY: `self` begins a live cell whose vtable is this one
        // (invariant 3); the scheduler is set at the spawn and dropped only
        // with the cell, so it lives as long as the borrow of the header.
        unsafe { (self.vtable.local_owner)(self) }
    }
}

/// The whole allocation.
///
/// # Invariants
/// 1. `header` is the first field (`repr(C)`), so a `NonNull<Header>` to it
///    is a `NonNull<Cell<F, S>>` for the `F, S` its vtable was built for.
/// 2. `stage`, and its tag in the header's stats, are touched only by the
///    thread holding RUNNING, or after COMPLETE by the side the state rules
///    give it to, and only through `stage.rs`. Its `Drop` (there) drops
///    whatever the tag says the stage holds, before the other fields.
/// 3. `join_waker` follows rule 2 of `state.rs`.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
}

/// What a spawn records about the task besides its future.
pub(crate) struct Meta {
    pub(crate) id: Id,
    pub(crate) location: &'static Location<'static>,
    pub(crate) name: Option<Box<str>>,
    /// A `spawn_blocking` job (shown as such in the dump).
    pub(crate) blocking: bool,
}

/// Makes a task: one cell holding `future`, run by `scheduler`. Returns
/// its first notification, to be linked in an owned list
/// ([`OwnedTasks::bind`](super::list::OwnedTasks::bind)) and then
/// scheduled, or cancelled ([`Notified::cancel`]) if the list is closed;
/// and its `JoinHandle`.
///
/// The cell starts with three references: the notification's, the
/// handle's, and one the task holds for its owned list until it completes.
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    meta: Meta,
) -> (Notified, super::JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = RawTask::new(future, scheduler, meta);
    // SAFETY: `raw` is a new cell whose three references are handed out
    // here: one to the Notified (with NOTIFIED set by `State::new`), one
    // to the JoinHandle; the third is the owned list's.
    let notified = unsafe { Notified::from_raw(raw) };
    (notified, super::JoinHandle::new(raw))
}

/// Makes a task whose future (and output) need not be `Send`: a local
/// task, polled and dropped on one thread only. As [`new_task`] otherwise.
///
/// # Safety
/// `scheduler` must run the task (hand its `Notified` to `run`) and drop
/// its future only on the thread that calls this, and must say so through
/// [`Schedule::shutdown_here`](super::Schedule::shutdown_here) (false on
/// every other thread), so that a cancel elsewhere reaches that thread
/// instead of dropping the future where it is. The `JoinHandle` is `Send`
/// only if the output is, so a `!Send` output is read or dropped on this
/// thread too.
pub(crate) unsafe fn new_local_task<F, S>(
    future: F,
    scheduler: S,
    meta: Meta,
) -> (Notified, super::JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let raw = RawTask::new(future, scheduler, meta);
    // SAFETY: as in `new_task`: a new cell, three references handed out.
    let notified = unsafe { Notified::from_raw(raw) };
    (notified, super::JoinHandle::new(raw))
}

/// An untyped, non-owning pointer to a task. Owners of references
/// (`Notified`, `JoinHandle`, wakers) wrap it and account for them. Not
/// visible outside the task core: the rest of the crate holds tasks only
/// through those owners.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) struct RawTask {
    ptr: NonNull<Header>,
}

impl RawTask {
    /// Allocates a task with the initial state (three references).
    pub(super) fn new<F, S>(future: F, scheduler: S, meta: Meta) -> RawTask
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(),
                vtable: harness::vtable::<F, S>(),
                links: UnsafeCell::new(Links::default()),
                id: meta.id,
                origin: Origin::new(meta.location, meta.name),
                stats: Stats::new(meta.blocking),
            },
            scheduler,
            stage: UnsafeCell::new(Stage::new(future)),
            join_waker: UnsafeCell::new(None),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// A non-owning pointer to the task whose header `ptr` points to.
    ///
    /// # Safety
    /// `ptr` must point to the header of a task cell that stays allocated
    /// for as long as the result (or a copy) is used: the caller holds a
    /// counted reference to it, or holds the lock of the owned-list shard
    /// that links it (`list.rs` invariant 2).
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(super) fn as_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: a RawTask is only made from a live cell, and every user of
        // one holds a reference that keeps the cell alive (state rule 3), or
        // holds the owned-list shard lock that keeps a linked cell alive
        // (list.rs invariant 2).
        unsafe { self.ptr.as_ref() }
    }

    /// Polls the task, consuming the reference of the caller's `Notified`.
    pub(super) fn poll(self) -> Ran {
        let poll = self.header().vtable.poll;
        // SAFETY: the vtable belongs to this cell (header invariant 3) and the
        // caller hands over a counted reference, which `poll` consumes.
        unsafe { poll(self.ptr) }
    }

    /// Schedules the task with a reference the caller already counted for
    /// the notification. The caller must also hold a reference of its own
    /// until this returns: the scheduler lives in the cell and the call
    /// borrows it, while the notification, once queued, may be run to
    /// completion and dropped by another thread (or dropped by a scheduler
    /// that refuses it) during the call.
    pub(super) fn schedule(self) {
        let schedule = self.header().vtable.schedule;
        // SAFETY: as in `poll`; `schedule` takes over the counted reference.
        unsafe { schedule(self.ptr) }
    }

    /// Frees the cell. Only the thread that dropped the count to zero calls
    /// this.
    pub(super) fn dealloc(self) {
        let dealloc = self.header().vtable.dealloc;
        // SAFETY: the caller saw the count reach zero (state rule 3), so no
        // other reference exists and this is the single free.
        unsafe { dealloc(self.ptr) }
    }

    /// Reads the output into `dst` (a `*mut Poll<Result<T, JoinError>>` for
    /// the task's output type `T`) or stores `waker` as the join waker.
    ///
    /// # Safety
    /// `dst` must point to a `Poll<Result<T, JoinError>>` where `T` is this
    /// task's output type, and the caller must be the JoinHandle.
    pub(super) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        let read = self.header().vtable.try_read_output;
        // SAFETY: the caller's obligations are exactly `read`'s.
        unsafe { read(self.ptr, dst, waker) }
    }

    /// Drops the JoinHandle's interest and reference.
    pub(super) fn drop_join_handle(self) {
        // The fast path is for a task dropped before it started (detached at
        // spawn); a joined task goes straight to the slow path's own fast
        // case without a failing CAS.
        if self.header().state.is_initial() && self.header().state.drop_join_handle_fast() {
            return;
        }
        let slow = self.header().vtable.drop_join_handle_slow;
        // SAFETY: the vtable matches the cell; the JoinHandle calling this
        // gives up its reference and interest, which `slow` consumes.
        unsafe { slow(self.ptr) }
    }

    /// Cancels the task now if it is idle (dropping its future on this
    /// thread), or marks it so that its running poll cancels it. Consumes
    /// one reference.
    pub(super) fn shutdown(self) {
        let shutdown = self.header().vtable.shutdown;
        // SAFETY: the vtable matches the cell; the caller hands over one
        // counted reference, which `shutdown` consumes.
        unsafe { shutdown(self.ptr) }
    }

    /// Cancels the task on behalf of a handle that keeps its own reference.
    pub(super) fn abort(self) {
        self.header().state.ref_inc();
        self.shutdown();
    }

    /// Drops one reference, freeing the cell if it was the last.
    pub(super) fn drop_reference(self) {
        if self.header().state.ref_dec() {
            self.dealloc();
        }
    }
}

/// A counted reference to a task that is scheduled to run: what run queues
/// hold. Dropping it drops the reference.
pub(crate) struct Notified {
    raw: RawTask,
}

// SAFETY: a task's future and output are `Send` (required by every spawn but
// `new_local_task`, whose scheduler runs and cancels the task only on its own
// thread, so a notification that crosses threads is only passed on), its
// state is atomic, and the cell is shared only through counted references.
unsafe impl Send for Notified {}

impl Notified {
    /// Adopts a reference to `raw` as a notification.
    ///
    /// # Safety
    /// The caller hands over one counted reference to the live task `raw`,
    /// taken for a notification (NOTIFIED set, or the first reference of a
    /// new task); it must not use or drop that reference itself.
    pub(super) unsafe fn from_raw(raw: RawTask) -> Notified {
        Notified { raw }
    }

    /// Gives up ownership without dropping the reference.
    pub(super) fn into_raw(self) -> RawTask {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// Gives up ownership for a pointer (to store in an atomic slot); the
    /// reference stays counted until [`from_ptr`](Notified::from_ptr)
    /// turns the pointer back.
    pub(crate) fn into_ptr(self) -> NonNull<Header> {
        self.into_raw().as_ptr()
    }

    /// Turns a pointer made by [`into_ptr`](Notified::into_ptr) back into
    /// the notification it was.
    ///
    /// # Safety
    /// `ptr` must come from `Notified::into_ptr`, and each such pointer
    /// must be turned back at most once: the reference it stands for is
    /// adopted by the result.
    pub(crate) unsafe fn from_ptr(ptr: NonNull<Header>) -> Notified {
        // SAFETY: `into_ptr` kept the notification's counted reference,
        // which keeps the cell alive and which the caller hands over once.
        unsafe { Notified::from_raw(RawTask::from_raw(ptr)) }
    }

    /// Cancels the task now if it is idle (its future is dropped on this
    /// thread), or marks it so that its running poll cancels it; the
    /// notification's reference goes to the cancellation. For a task that
    /// cannot be scheduled: its runtime's list is closed, or its pool shut
    /// down.
    pub(crate) fn cancel(self) {
        self.into_raw().shutdown();
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    /// The task, for the owned list to link.
    pub(super) fn raw(&self) -> RawTask {
        self.raw
    }

    /// Polls the task; its reference passes to the poll.
    pub(crate) fn run(self) -> Ran {
        self.into_raw().poll()
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

#[cfg(all(test, not(loom)))]
mod origin_tests {
    use super::Origin;
    use std::panic::Location;

    #[test]
    fn an_origin_gives_back_its_location_and_name_in_one_word() {
        assert_eq!(std::mem::size_of::<Origin>(), std::mem::size_of::<usize>());
        let here = Location::caller();
        let unnamed = Origin::new(here, None);
        assert_eq!(unnamed.location(), here);
        assert_eq!(unnamed.name(), None);
        let named = Origin::new(here, Some("conn-7".into()));
        assert_eq!(named.location(), here);
        assert_eq!(named.name(), Some("conn-7"));
        // Dropping frees the name's box once (valgrind checks it in CI).
        drop(named);
        drop(unnamed);
    }

    #[test]
    fn a_small_task_s_cell_fits_glibc_s_112_byte_class() {
        // Header 64 (state, vtable, links, id, origin, stats with the
        // stage's tag), scheduler 8, stage 16 (`Result<(), Failure>` is two
        // words), join waker 16.
        type Cell = super::Cell<std::future::Ready<()>, std::sync::Arc<()>>;
        assert_eq!(std::mem::size_of::<super::Header>(), 64);
        assert!(
            std::mem::size_of::<Cell>() <= 104,
            "{}",
            std::mem::size_of::<Cell>()
        );
    }

    #[test]
    fn the_stage_of_an_async_block_is_no_larger_than_its_future() {
        // An `async` block's state machine offers no niche for an enum's
        // tag, so the tag lives in the header (`stage.rs`): the stage is
        // the larger of the future and the output, with no word added, and
        // the memory benchmark's task (a 32-byte future) has a 120-byte
        // cell, in glibc's 128-byte block.
        fn stage_of<F: std::future::Future>(_: &F) -> usize {
            std::mem::size_of::<super::Stage<F>>()
        }
        fn cell_of<F: std::future::Future>(_: &F) -> usize {
            std::mem::size_of::<super::Cell<F, std::sync::Arc<()>>>()
        }
        let (_tx, rx) = futures::channel::oneshot::channel::<()>();
        let parked = async move {
            let _ = rx.await;
        };
        let future = std::mem::size_of_val(&parked);
        assert_eq!(stage_of(&parked), future.max(16));
        assert_eq!(cell_of(&parked), 64 + 8 + future.max(16) + 16);
    }
}
