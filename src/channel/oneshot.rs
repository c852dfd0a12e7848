//! A channel for exactly one value: the reply half of a request.
//!
//! Made by [`oneshot()`](fn@super::oneshot). The [`Sender`] is consumed by
//! its one `send`; the [`Receiver`] is a future of the value.
//!
//! # Examples
//! ```
//! # bobbin::block_on(async {
//! let (reply, answer) = bobbin::channel::oneshot();
//! bobbin::spawn(async move {
//!     reply.send(6 * 7).unwrap();
//! });
//! assert_eq!(answer.await, Ok(42));
//! # });
//! ```
//!
//! # How it works
//! One allocation of an atomic state word, the receiver's waker, the
//! sender's waker and the value; no lock, and no `Arc` (the two handles'
//! "alive" bits in the state word are its reference count). For a `()`
//! value that is 40 bytes, one 48-byte heap block, where a mutex-guarded
//! state in an `Arc` took 64 bytes (an 80-byte block): a task parked on a
//! oneshot is what the memory benchmark counts (`benches/memory.rs`).
//!
//! The rules of the state word, which every `unsafe` block below cites:
//! 1. The value slot is the sender's until it sets `VALUE | TX_DONE` (in
//!    one compare-exchange that fails if `RX_CLOSED` is set, handing the
//!    value back); from then on it is the receiver's alone, which moves it
//!    out once: clearing `VALUE` if it is taken by a receive, and with no
//!    need to when the receiver is dropping.
//! 2. A waker slot is written only while its side holds its `*_REGISTERING`
//!    bit, which is taken only while the other side's "done" bit
//!    (`TX_DONE` for the receiver's slot, `RX_CLOSED` for the sender's) is
//!    clear. The other side takes the waker out of the slot (and wakes it)
//!    only if the read-modify-write that set its "done" bit saw the
//!    registering bit clear: from then on the slot is the other side's, as
//!    no registration can start. A registrant that sees "done" appear when
//!    it lets go of the bit returns ready itself (its waker stays in the
//!    slot until the allocation is freed). So accesses never overlap, no
//!    wake-up is lost, and a waker that has fired is not kept.
//! 3. The allocation is freed by the handle whose drop clears the second of
//!    `TX_ALIVE` and `RX_ALIVE`; each handle reads the shared parts only
//!    while its own bit is set.

use super::error::{RecvError, TryRecvError};
use crate::loom::{AtomicUsize, UnsafeCell};
use crate::task::coop;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::task::{Context, Poll, Waker, ready};

/// The slot holds a sent value, the receiver's to take (rule 1).
const VALUE: usize = 1;
/// The sender sent or was dropped: nothing more will come.
const TX_DONE: usize = 1 << 1;
/// The receiver was dropped or closed: a send fails.
const RX_CLOSED: usize = 1 << 2;
/// The receiver returned its value or `RecvError` from a poll: polling it
/// again is a bug. Kept here rather than in the `Receiver` so the receiver
/// (which a waiting task's future holds) is one word.
const RX_FINISHED: usize = 1 << 3;
/// The receiver is writing its waker slot (rule 2).
const RX_REGISTERING: usize = 1 << 4;
/// A `closed` future is writing the sender's waker slot (rule 2).
const TX_REGISTERING: usize = 1 << 5;
/// The `Sender` is alive (rule 3).
const TX_ALIVE: usize = 1 << 6;
/// The `Receiver` is alive (rule 3).
const RX_ALIVE: usize = 1 << 7;

/// The shared allocation; see the module's rules.
struct Inner<T> {
    state: AtomicUsize,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// What registering a waker found.
enum Registered {
    /// The waker is in its slot; the other side will wake it.
    Waiting,
    /// The other side is done (its bit was set before or during the
    /// registration): the caller's condition holds now.
    Done,
}

impl<T> Inner<T> {
    /// Puts `waker` in `slot` under `registering` (rule 2), unless `done`
    /// is set first. A second registrant at the same moment (two `closed`
    /// futures of one sender, polled on two threads) finds the bit taken;
    /// it wakes its own task to try again and reports `Waiting`.
    fn register(
        &self,
        slot: &UnsafeCell<Option<Waker>>,
        registering: usize,
        done: usize,
        waker: &Waker,
    ) -> Registered {
        let mut state = self.state.load(Acquire);
        loop {
            if state & done != 0 {
                return Registered::Done;
            }
            if state & registering != 0 {
                waker.wake_by_ref();
                return Registered::Waiting;
            }
            match self
                .state
                .compare_exchange_weak(state, state | registering, Acquire, Acquire)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        // Lets go of the bit even if cloning the waker panics, so the other
        // side is never kept from its slot. Release: the slot's reads above
        // happen before the other side's later take of it (rule 2).
        struct LetGoOfBit<'a>(&'a AtomicUsize, usize);
        impl Drop for LetGoOfBit<'_> {
            fn drop(&mut self) {
                self.0.fetch_and(!self.1, Release);
            }
        }
        let unwinding = LetGoOfBit(&self.state, registering);
        slot.with_mut(|ptr| {
            // SAFETY: this thread holds `registering` and the other side's
            // `done` was clear when it took it, so no one else reads or
            // writes the slot until the bit is let go (rule 2).
            let slot = unsafe { &mut *ptr };
            if !slot.as_ref().is_some_and(|old| old.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
        });
        std::mem::forget(unwinding);
        let before = self.state.fetch_and(!registering, AcqRel);
        if before & done != 0 {
            Registered::Done
        } else {
            Registered::Waiting
        }
    }

    /// Takes the waker out of `slot` and wakes it, if the read-modify-write
    /// that set this side's "done" bit returned `before` with the other
    /// side's `registering` bit clear (rule 2).
    fn wake(&self, slot: &UnsafeCell<Option<Waker>>, before: usize, registering: usize) {
        if before & registering != 0 {
            return;
        }
        // SAFETY: the other side was not registering when this side's
        // "done" bit was set, and cannot start after (rule 2): the slot is
        // this side's now.
        let waker = slot.with_mut(|ptr| unsafe { (*ptr).take() });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Moves the value out of its slot.
    ///
    /// # Safety
    /// The caller owns a written slot (rule 1) and leaves it unread after.
    unsafe fn take_value(&self) -> T {
        // SAFETY: the caller owns the written slot (rule 1).
        self.value
            .with_mut(|ptr| unsafe { (*ptr).assume_init_read() })
    }
}

/// Clears one handle's alive bit when dropped, also while unwinding from a
/// waker that panicked, and frees the allocation if the other handle's bit
/// was already clear (rule 3).
struct LetGo<T> {
    inner: NonNull<Inner<T>>,
    alive: usize,
}

impl<T> Drop for LetGo<T> {
    fn drop(&mut self) {
        // SAFETY: this handle's alive bit is still set (rule 3).
        let state = &unsafe { self.inner.as_ref() }.state;
        let other = (TX_ALIVE | RX_ALIVE) & !self.alive;
        if state.fetch_and(!self.alive, AcqRel) & other == 0 {
            // SAFETY: this drop cleared the last alive bit (rule 3); the
            // receiver moved any value out before it let go.
            unsafe { free(self.inner) };
        }
    }
}

/// Frees the allocation.
///
/// # Safety
/// The caller's drop cleared the last alive bit (rule 3); the value slot is
/// empty or already taken (rule 1).
unsafe fn free<T>(inner: NonNull<Inner<T>>) {
    // SAFETY: leaked from a `Box` in `channel`; no handle is left to read
    // it (rule 3). The wakers drop with it; the value was moved out.
    drop(unsafe { Box::from_raw(inner.as_ptr()) });
}

/// Sends the one value. Dropping it unsent makes the receiver fail with
/// [`RecvError`].
///
/// # Examples
/// ```
/// let (tx, rx) = bobbin::channel::oneshot::<u8>();
/// drop(tx);
/// assert_eq!(bobbin::block_on(rx), Err(bobbin::channel::RecvError));
/// ```
pub struct Sender<T> {
    inner: NonNull<Inner<T>>,
    _owns: PhantomData<T>,
}

/// A future of the one value, or [`RecvError`] if the sender was dropped
/// without sending.
///
/// Cancel safety: dropping it drops the value if one was sent; a later
/// `send` fails.
///
/// # Examples
/// ```
/// let (tx, rx) = bobbin::channel::oneshot();
/// tx.send("done").unwrap();
/// assert_eq!(bobbin::block_on(rx), Ok("done"));
/// ```
pub struct Receiver<T> {
    inner: NonNull<Inner<T>>,
    _owns: PhantomData<T>,
}

// SAFETY: the handles share the state word (atomic) and slots whose
// accesses the rules order; a value crosses threads, so `T: Send`. A shared
// `&Sender` only loads the state or registers under `TX_REGISTERING`, and a
// `&Receiver` only loads the state, so `Sync` asks no more of `T`.
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for Sender<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for Receiver<T> {}
// A caught panic leaves both handles usable: each change of the state word
// is one atomic operation, and a registration lets go of its bit when it
// unwinds (as they were with the mutex this replaced).
impl<T> UnwindSafe for Sender<T> {}
impl<T> RefUnwindSafe for Sender<T> {}
impl<T> UnwindSafe for Receiver<T> {}
impl<T> RefUnwindSafe for Receiver<T> {}
// The value is never pinned: it is moved out of the slot when taken.
impl<T> Unpin for Sender<T> {}
impl<T> Unpin for Receiver<T> {}

pub(super) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Box::new(Inner {
        state: AtomicUsize::new(TX_ALIVE | RX_ALIVE),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
        value: UnsafeCell::new(MaybeUninit::uninit()),
    });
    let inner = NonNull::from(Box::leak(inner));
    (
        Sender {
            inner,
            _owns: PhantomData,
        },
        Receiver {
            inner,
            _owns: PhantomData,
        },
    )
}

impl<T> Sender<T> {
    /// Sends the value, without waiting.
    ///
    /// # Errors
    /// The value comes back if the receiver was dropped or closed.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::oneshot();
    /// drop(rx);
    /// assert_eq!(tx.send(5), Err(5));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let inner = self.inner();
        let mut state = inner.state.load(Acquire);
        if state & RX_CLOSED != 0 {
            return Err(value);
        }
        inner.value.with_mut(|ptr| {
            // SAFETY: `TX_DONE` is clear (this is the one send), so the
            // slot is the sender's (rule 1).
            unsafe { (*ptr).write(value) };
        });
        loop {
            if state & RX_CLOSED != 0 {
                // SAFETY: `VALUE` was never set, so the slot written above
                // is still the sender's (rule 1).
                return Err(unsafe { inner.take_value() });
            }
            match inner
                .state
                .compare_exchange_weak(state, state | VALUE | TX_DONE, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        inner.wake(&inner.rx_waker, state, RX_REGISTERING);
        Ok(())
    }

    /// True if the receiver was dropped or closed: a send would fail.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = bobbin::channel::oneshot::<u8>();
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner().state.load(Acquire) & RX_CLOSED != 0
    }

    /// Waits until the receiver is dropped or closed: a worker can stop
    /// computing a reply nobody will read.
    ///
    /// One waiter at a time: the sender keeps one waker, so if two tasks
    /// await `closed` on one shared sender at once, only the last to poll
    /// is woken. (A sender usually stays with the one task computing the
    /// reply; other tasks can check [`is_closed`](Sender::is_closed).)
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let (tx, rx) = bobbin::channel::oneshot::<u8>();
    /// bobbin::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&self) {
        std::future::poll_fn(|cx| {
            let inner = self.inner();
            match inner.register(&inner.tx_waker, TX_REGISTERING, RX_CLOSED, cx.waker()) {
                Registered::Done => Poll::Ready(()),
                Registered::Waiting => Poll::Pending,
            }
        })
        .await;
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: `TX_ALIVE` is set while this handle lives (rule 3).
        unsafe { self.inner.as_ref() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let _let_go = LetGo {
            inner: self.inner,
            alive: TX_ALIVE,
        };
        let inner = self.inner();
        // Only this handle sets `TX_DONE`, so a relaxed load sees its own.
        if inner.state.load(Relaxed) & TX_DONE == 0 {
            let before = inner.state.fetch_or(TX_DONE, AcqRel);
            if before & RX_ALIVE != 0 {
                inner.wake(&inner.rx_waker, before, RX_REGISTERING);
            }
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if not sent yet, [`TryRecvError::Closed`] if
    /// the sender was dropped without sending (or the value was taken).
    ///
    /// # Examples
    /// ```
    /// use bobbin::channel::TryRecvError;
    /// let (tx, mut rx) = bobbin::channel::oneshot();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let state = self.inner().state.load(Acquire);
        if state & VALUE != 0 {
            Ok(self.take_and_finish())
        } else if state & TX_DONE != 0 {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Refuses the value: a later `send` fails and hands it back. A value
    /// sent before is still there for `try_recv` or `.await`.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = bobbin::channel::oneshot();
    /// rx.close();
    /// assert_eq!(tx.send(3), Err(3));
    /// assert!(bobbin::block_on(rx).is_err());
    /// ```
    pub fn close(&mut self) {
        let inner = self.inner();
        let before = inner.state.fetch_or(RX_CLOSED, AcqRel);
        if before & (RX_CLOSED | TX_DONE) == 0 {
            inner.wake(&inner.tx_waker, before, TX_REGISTERING);
        }
    }

    /// Waits for the value on a plain thread.
    ///
    /// # Errors
    /// [`RecvError`] if the sender was dropped without sending.
    ///
    /// # Panics
    /// On a runtime worker thread; `.await` the receiver in tasks.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = bobbin::channel::oneshot();
    /// std::thread::spawn(move || tx.send(9).unwrap());
    /// assert_eq!(rx.recv_blocking(), Ok(9));
    /// ```
    #[track_caller]
    pub fn recv_blocking(self) -> Result<T, RecvError> {
        crate::task::park::park_on("oneshot::Receiver::recv_blocking", self)
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: `RX_ALIVE` is set while this handle lives (rule 3).
        unsafe { self.inner.as_ref() }
    }

    /// Takes the sent value and marks the receiver finished.
    fn take_and_finish(&self) -> T {
        let inner = self.inner();
        // SAFETY: the caller saw `VALUE` (Acquire): the slot is written and
        // this receiver's (rule 1); clearing `VALUE` below leaves it unread.
        let value = unsafe { inner.take_value() };
        inner.state.fetch_xor(VALUE | RX_FINISHED, AcqRel);
        value
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner();
        let mut state = inner.state.load(Acquire);
        if state & RX_FINISHED != 0 {
            panic!(
                "a oneshot Receiver was polled after it returned its value; a oneshot delivers \
                 one value, so await it once (use a bounded or unbounded channel for a stream of \
                 values)"
            );
        }
        // Checked before the value is looked at: a budget `Pending` takes
        // nothing (see `task/coop.rs`).
        let restore = ready!(coop::poll_proceed(cx));
        if state & TX_DONE == 0 {
            match inner.register(&inner.rx_waker, RX_REGISTERING, TX_DONE, cx.waker()) {
                Registered::Waiting => return Poll::Pending,
                Registered::Done => state = inner.state.load(Acquire),
            }
        }
        let result = if state & VALUE != 0 {
            Ok(self.take_and_finish())
        } else {
            self.inner().state.fetch_or(RX_FINISHED, Relaxed);
            Err(RecvError)
        };
        restore.made_progress();
        Poll::Ready(result)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let inner = self.inner();
        let before = inner.state.fetch_or(RX_CLOSED, AcqRel);
        // No value can arrive now that `RX_CLOSED` is set (rule 1). It is
        // moved out first and dropped last, after the channel is let go, so
        // a panicking waker or `Drop` leaks nothing.
        let _value = (before & VALUE != 0).then(|| {
            // SAFETY: `VALUE` was set (seen by the AcqRel `fetch_or`): the
            // slot is this receiver's (rule 1), and nothing reads it after.
            unsafe { inner.take_value() }
        });
        let _let_go = LetGo {
            inner: self.inner,
            alive: RX_ALIVE,
        };
        if before & (RX_CLOSED | TX_DONE) == 0 {
            inner.wake(&inner.tx_waker, before, TX_REGISTERING);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finished = self.inner().state.load(Acquire) & RX_FINISHED != 0;
        f.debug_struct("oneshot::Receiver")
            .field("finished", &finished)
            .finish_non_exhaustive()
    }
}

/// Unit tests of the state word's ownership rules, on plain threads; CI
/// runs them under valgrind too (`.ci/run`), which finds a leaked, doubly
/// freed or early-freed channel. The interleavings are loom's (`tests.rs`).
#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::Counted;
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize as StdAtomicUsize;
    use std::task::{RawWaker, RawWakerVTable, Wake};

    #[test]
    fn halves_racing_on_two_threads_drop_each_value_once() {
        let drops = Arc::new(StdAtomicUsize::new(0));
        for round in 0..500 {
            let (tx, mut rx) = channel::<Counted>();
            let receiver = std::thread::spawn(move || match round % 3 {
                0 => drop(rx),
                1 => drop(rx.try_recv()),
                _ => rx.close(),
            });
            drop(tx.send(Counted(drops.clone())));
            receiver.join().unwrap();
        }
        assert_eq!(drops.load(Relaxed), 500);
    }

    /// A waker whose `wake` panics.
    struct PanicsOnWake;

    impl Wake for PanicsOnWake {
        fn wake(self: Arc<Self>) {
            panic!("this waker panics when woken");
        }
    }

    #[test]
    fn a_waker_that_panics_when_woken_leaks_neither_channel_nor_value() {
        let drops = Arc::new(StdAtomicUsize::new(0));
        let waker = Waker::from(Arc::new(PanicsOnWake));
        let mut cx = Context::from_waker(&waker);

        // The receiver's waker panics in the sender's drop.
        let (tx, mut rx) = channel::<Counted>();
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        assert!(catch_unwind(AssertUnwindSafe(|| drop(tx))).is_err());
        assert_eq!(rx.try_recv().err(), Some(TryRecvError::Closed));
        drop(rx);

        // The sender's waker panics in the receiver's drop.
        let (tx, rx) = channel::<Counted>();
        {
            let mut closed = std::pin::pin!(tx.closed());
            assert!(closed.as_mut().poll(&mut cx).is_pending());
            assert!(catch_unwind(AssertUnwindSafe(|| drop(rx))).is_err());
            assert!(closed.as_mut().poll(&mut cx).is_ready());
        }
        drop(tx);

        // The receiver's waker panics in a send: the value is delivered
        // all the same, and dropped once.
        let (tx, mut rx) = channel::<Counted>();
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        assert!(catch_unwind(AssertUnwindSafe(|| tx.send(Counted(drops.clone())))).is_err());
        let mut noop = Context::from_waker(Waker::noop());
        let received = Pin::new(&mut rx).poll(&mut noop);
        assert!(matches!(received, Poll::Ready(Ok(_))), "the value was sent");
        assert_eq!(drops.load(Relaxed), 0);
        drop(received);
        assert_eq!(drops.load(Relaxed), 1);

        // A value sent and never taken is dropped with the receiver, once.
        let (tx, rx) = channel::<Counted>();
        assert!(tx.send(Counted(drops.clone())).is_ok());
        drop(rx);
        assert_eq!(drops.load(Relaxed), 2);
    }

    fn panicking_clone(_: *const ()) -> RawWaker {
        panic!("this waker panics when cloned");
    }

    fn nothing(_: *const ()) {}

    static PANICS_ON_CLONE: RawWakerVTable =
        RawWakerVTable::new(panicking_clone, nothing, nothing, nothing);

    #[test]
    fn a_waker_that_panics_when_cloned_leaves_the_channel_usable() {
        // SAFETY: the vtable's functions ignore the data pointer, and none
        // of them can misuse it.
        let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &PANICS_ON_CLONE)) };
        let mut cx = Context::from_waker(&waker);
        let (tx, mut rx) = channel::<u8>();
        let polled = catch_unwind(AssertUnwindSafe(|| Pin::new(&mut rx).poll(&mut cx)));
        assert!(polled.is_err(), "the clone's panic reaches the caller");
        assert_eq!(
            rx.inner().state.load(Relaxed) & RX_REGISTERING,
            0,
            "the registering bit is let go while unwinding"
        );
        // The registering bit was let go: the send reaches the receiver,
        // and a later poll with a working waker completes.
        tx.send(4).unwrap();
        let noop = Waker::noop();
        assert_eq!(
            Pin::new(&mut rx).poll(&mut Context::from_waker(noop)),
            Poll::Ready(Ok(4))
        );
    }
}
