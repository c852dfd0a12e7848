//! The task pointer is the waker: a `Waker` is a `RawWaker` whose data is the
//! task's header and whose clone and drop count references in the state
//! word. Waking allocates nothing.

use super::raw::{Header, RawTask};
use super::state::{WakeByRef, WakeByVal};
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone, wake_by_val, wake_by_ref, drop_waker);

/// A waker borrowed for one poll: it does not own a reference (the poll
/// does), so making it costs nothing.
pub(crate) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _header: std::marker::PhantomData<&'a Header>,
}

impl Deref for WakerRef<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// Borrows a waker for the task whose poll is under way.
pub(crate) fn waker_ref(header: &Header) -> WakerRef<'_> {
    let raw = RawWaker::new((header as *const Header).cast(), &WAKER_VTABLE);
    // SAFETY: the vtable's functions uphold the RawWaker contract for a data
    // pointer to a live header; the header outlives the borrow `'a`, and
    // `ManuallyDrop` keeps the borrowed waker from dropping a reference it
    // does not own (clones count their own).
    let waker = unsafe { Waker::from_raw(raw) };
    WakerRef {
        waker: ManuallyDrop::new(waker),
        _header: std::marker::PhantomData,
    }
}

/// The task a waker of this vtable stands for.
///
/// # Safety
/// `ptr` must be the data pointer of a waker of this vtable, used while
/// that waker (or the borrowed header it was made from) is alive.
unsafe fn raw_task(ptr: *const ()) -> RawTask {
    // SAFETY: every RawWaker of this vtable is made from a `&Header` (above)
    // or by `clone`, so the pointer is non-null.
    let ptr = unsafe { NonNull::new_unchecked(ptr as *mut Header) };
    // SAFETY: the waker holds a counted reference (or borrows a header
    // whose task is being polled), which keeps the cell alive.
    unsafe { RawTask::from_raw(ptr) }
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    // SAFETY: the RawWaker contract: `ptr` is this vtable's live waker's.
    unsafe { raw_task(ptr) }.header().state.ref_inc();
    RawWaker::new(ptr, &WAKER_VTABLE)
}

unsafe fn wake_by_val(ptr: *const ()) {
    // SAFETY: the RawWaker contract: `ptr` is this vtable's live waker's.
    let task = unsafe { raw_task(ptr) };
    match task.header().state.transition_to_notified_by_val() {
        WakeByVal::Submit => {
            task.schedule();
            // After the call: the cell had to outlive it (`WakeByVal`).
            task.drop_reference();
        }
        WakeByVal::Dealloc => task.dealloc(),
        WakeByVal::Nothing => {}
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the RawWaker contract: `ptr` is this vtable's live waker's.
    let task = unsafe { raw_task(ptr) };
    match task.header().state.transition_to_notified_by_ref() {
        WakeByRef::Submit => task.schedule(),
        WakeByRef::Nothing => {}
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: the RawWaker contract: `ptr` is this vtable's live waker's.
    unsafe { raw_task(ptr) }.drop_reference();
}
