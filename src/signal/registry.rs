//! The process-wide half of signal handling: one handler per signal number
//! (installed through `signal-hook-registry`, so it chains with other
//! libraries' handlers), a pipe the handlers write to, and per signal a
//! count of deliveries and the listeners waiting for the next one.
//!
//! How a delivery travels: the handler (async-signal-safe: an atomic store
//! and a `write(2)`) marks its signal pending and writes one byte to the
//! pipe. Every listener holds its own duplicate of the pipe's read end,
//! registered with its runtime's reactor, so every listener is woken by the
//! byte. The first to look drains the pipe and *dispatches*: each pending
//! signal's delivery count goes up by one and its waiting listeners are
//! woken. A listener reports a delivery when the count differs from the one
//! it last saw (so deliveries it has not looked at coalesce, as in tokio).
//!
//! Why a duplicate of the read end per listener and not one reader per
//! runtime (tokio's driver owns one): a listener then needs nothing from
//! the runtime but its reactor (`io::Async`), whichever runtime or
//! executor polls it, and no listener depends on another still being
//! polled. The cost is one file descriptor per listener.
//!
//! No wake-up is lost: a listener registers in its signal's wait list and
//! reads the count under the list's lock, and a dispatch bumps the count
//! before it takes that lock to wake the list. A listener that finds the
//! pipe empty (another drained it first) is therefore either woken by that
//! drainer's dispatch or sees its count.
//!
//! Invariants: the state is created once and never freed (a handler may run
//! at any time on any thread, so it may only reach `'static` data); a
//! handler is installed at most once per signal number, and never removed
//! (as in tokio: once a program listens for SIGINT, Ctrl-C no longer kills
//! it).

use crate::task::wait_list::{WaitList, WakeList, set_waker};
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;

/// Signal numbers this registry can hold (Linux's real-time signals end at
/// 64).
pub(super) const MAX_SIGNAL: i32 = 64;

/// The process's signal state, created on first use and never freed.
pub(super) struct Registry {
    /// Written by the handlers; non-blocking (a full pipe drops the byte,
    /// which is fine: a byte is already waiting to wake the readers).
    write_end: UnixStream,
    /// Duplicated for each listener.
    read_end: UnixStream,
    /// Indexed by signal number; slot 0 unused.
    slots: Box<[Slot]>,
}

/// One signal number's state.
pub(super) struct Slot {
    /// Set by the handler, taken by a dispatch.
    pending: AtomicBool,
    /// Deliveries dispatched so far.
    deliveries: AtomicU64,
    /// Listeners waiting for the next delivery.
    waiters: Mutex<WaitList<Option<Waker>>>,
    /// `Some` once installing the handler was tried: its outcome, as the
    /// error's kind and text (io::Error is not `Clone`).
    installed: Mutex<Option<Result<(), (io::ErrorKind, String)>>>,
}

/// The registry, created on first use.
///
/// # Errors
/// If the pipe cannot be made (out of file descriptors).
pub(super) fn registry() -> io::Result<&'static Registry> {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    if let Some(registry) = REGISTRY.get() {
        return Ok(registry);
    }
    let (read_end, write_end) = UnixStream::pair()?;
    read_end.set_nonblocking(true)?;
    write_end.set_nonblocking(true)?;
    let slots = (0..=MAX_SIGNAL)
        .map(|_| Slot {
            pending: AtomicBool::new(false),
            deliveries: AtomicU64::new(0),
            waiters: Mutex::new(WaitList::new()),
            installed: Mutex::new(None),
        })
        .collect();
    // Two threads may race here; the loser's pipe is dropped unused.
    Ok(REGISTRY.get_or_init(|| Registry {
        write_end,
        read_end,
        slots,
    }))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    pub(super) fn slot(&self, signum: i32) -> &Slot {
        &self.slots[usize::try_from(signum).expect("a checked signal number")]
    }

    /// Installs the handler for `signum` unless it is installed already.
    ///
    /// # Errors
    /// The registry's error if the OS refuses it (the signal number was
    /// checked before).
    pub(super) fn install(&'static self, signum: i32) -> io::Result<()> {
        let slot = self.slot(signum);
        let mut installed = lock(&slot.installed);
        if installed.is_none() {
            let fd = self.write_end.as_raw_fd();
            let pending = &slot.pending;
            let handler = move || {
                pending.store(true, SeqCst);
                let byte = 1u8;
                // SAFETY: `write(2)` is async-signal-safe; the buffer is a
                // live local of one byte; `fd` is the registry's write end,
                // which lives (open) for the rest of the process. A failed
                // write (a full pipe) is fine: a byte is waiting already.
                unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
            };
            // SAFETY: the handler does only async-signal-safe things (an
            // atomic store and `write(2)`; `signal-hook-registry` keeps
            // errno), and reaches only `'static` data.
            let outcome = unsafe { signal_hook_registry::register(signum, handler) };
            *installed = Some(
                outcome
                    .map(drop)
                    .map_err(|err| (err.kind(), err.to_string())),
            );
        }
        match installed.as_ref().expect("set above") {
            Ok(()) => Ok(()),
            Err((kind, text)) => Err(io::Error::new(*kind, text.clone())),
        }
    }

    /// A new duplicate of the pipe's read end, for one listener (the
    /// duplicate shares the original's non-blocking mode).
    pub(super) fn reader(&self) -> io::Result<mio::net::UnixStream> {
        let fd = self.read_end.as_fd().try_clone_to_owned()?;
        Ok(mio::net::UnixStream::from_std(UnixStream::from(fd)))
    }

    /// Drains the pipe through `reader` (one listener's duplicate) and, if
    /// it held anything, dispatches. Returns `WouldBlock` if it was empty,
    /// so the caller waits for readiness.
    pub(super) fn drain(&self, mut reader: &mio::net::UnixStream) -> io::Result<()> {
        let mut buf = [0u8; 64];
        let mut drained = false;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => unreachable!("the registry keeps the pipe's write end open"),
                Ok(_) => drained = true,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock && drained => break,
                Err(err) => return Err(err),
            }
        }
        self.dispatch();
        Ok(())
    }

    /// Counts every pending signal's delivery and wakes its listeners.
    fn dispatch(&self) {
        for slot in self.slots.iter() {
            if slot.pending.swap(false, SeqCst) {
                slot.deliveries.fetch_add(1, SeqCst);
                let mut wake = WakeList::new();
                lock(&slot.waiters).drain(|waker| wake.push(waker.take()));
                wake.wake_all();
            }
        }
    }

    /// Marks `signum` pending and wakes the readers, as its handler does
    /// (for tests, which cannot always raise a real signal).
    #[cfg(all(test, not(loom)))]
    pub(super) fn simulate(&self, signum: i32) {
        use std::io::Write;
        self.slot(signum).pending.store(true, SeqCst);
        let _ = (&self.write_end).write(&[1]);
    }
}

impl Slot {
    /// Deliveries dispatched so far.
    pub(super) fn deliveries(&self) -> u64 {
        self.deliveries.load(SeqCst)
    }

    /// If a delivery came since `seen`, takes it (updating `seen`);
    /// otherwise queues `waker` (in the entry `key`, kept between waits)
    /// to be woken by the next one. Under the list's lock, so a dispatch
    /// after the check wakes the waker.
    pub(super) fn poll_delivery(
        &self,
        seen: &mut u64,
        key: &mut Option<usize>,
        waker: &Waker,
    ) -> bool {
        let mut waiters = lock(&self.waiters);
        let deliveries = self.deliveries();
        if deliveries != *seen {
            *seen = deliveries;
            return true;
        }
        match *key {
            Some(k) if waiters.is_linked(k) => set_waker(waiters.get_mut(k), waker),
            Some(k) => {
                set_waker(waiters.get_mut(k), waker);
                waiters.link_back(k);
            }
            None => *key = Some(waiters.push_back(Some(waker.clone()))),
        }
        false
    }

    /// Frees a listener's entry.
    pub(super) fn forget(&self, key: usize) {
        lock(&self.waiters).remove(key);
    }
}
