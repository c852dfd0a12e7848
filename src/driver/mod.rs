//! The driver: the one owner of a runtime's `mio::Poll`, the slab of I/O
//! resources registered with it, and the timing wheel. `io/` and `time/`
//! register through its shared half, [`DriverHandle`]; neither knows the
//! other, and neither knows the runtime.
//!
//! ```text
//!   io/ (Registration, Async<T>) ──register──►┐
//!                                              ├─ DriverHandle: registry, slab of ScheduledIo,
//!   time/ (Sleep, Delay) ─────────register───►┘                 Timers (wheel/), mio::Waker
//!                                                      ▲ unpark
//!   runtime/scheduler: a parked worker holds Driver ───┘ (Poll + events): poll, dispatch, fire timers
//! ```
//!
//! What lives here: `Driver` and `DriverHandle` (this file), the
//! per-resource readiness and waiters (`scheduled_io.rs`), the runtime's
//! deadlines (`timers.rs`) on the hierarchical wheel (`wheel/`), and which
//! driver a thread registers with (`current.rs`).
//!
//! Why one owner: readiness and deadlines wake tasks from the same
//! `epoll_wait` (the next deadline is its timeout), so the thing that
//! polls must own both. When they lived in `io/` and `time/`, each
//! imported the other.
//!
//! Who drives it: the `Driver` (the `Poll` and its event buffer) sits behind
//! a try-lock in the runtime's shared state. A worker with nothing to run
//! takes it and blocks in `poll` (the timeout is the next timer deadline);
//! busy workers take it now and then for a `poll` that does not block
//! (`runtime/scheduler/worker.rs`), so readiness keeps flowing while tasks
//! compute. A thread never holds it while running a task.
//! `DriverHandle::unpark` (a `mio::Waker`) pulls the holder out of `poll`
//! when work arrives for it.
//!
//! Tokens: a resource's token is its slab index (low 24 bits) and a
//! generation (the bits above), so an event that arrives for a resource
//! after its slot was freed and reused is recognised and dropped, never
//! delivered to the stranger now in that slot.
//!
//! Locks: `resources` guards the slab; the driver takes it once per batch
//! of events to find the resources, setting their readiness and collecting
//! their wakers, and wakes the tasks after releasing it (a woken task may
//! register a resource). A resource's waiter lock is only ever taken inside
//! `resources` or alone, never the other way round.
//!
//! Tested by the unit tests of `scheduled_io.rs`, `timers.rs` and `wheel/`,
//! and through `io/`, `net/` and `time/` by `executor-tests/tests/net_*.rs`
//! and `time_*.rs`.

#![deny(unsafe_code)]

pub(crate) mod clock;
pub(crate) mod current;
pub(crate) mod scheduled_io;
#[allow(unsafe_code, reason = "the timerfd syscalls, each with its SAFETY")]
mod timer_fd;
pub(crate) mod timers;
mod wheel;

use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use mio::event::Source;
use scheduled_io::{
    ERROR, READ_CLOSED, READABLE, ScheduledIo, WRITABLE, WRITE_CLOSED, shutdown_error,
};
use slab::Slab;
use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::task::Waker;
use std::time::Duration;
use timers::Timers;

/// The token of the `mio::Waker`; never a resource's (generations stop short
/// of the top bits).
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);
/// The token of the timer fd; not a resource's either (its top bit is set,
/// above every generation).
const TIMER_TOKEN: mio::Token = mio::Token(usize::MAX - 1);
const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// The generation bits that fit in a token above the index, less one bit so
/// no token equals `WAKE_TOKEN` (8 bits on 32-bit targets, 39 on 64-bit).
const GENERATION_MASK: u64 = (1 << (usize::BITS - INDEX_BITS - 1)) - 1;

/// The exclusive half: whoever holds it may block in `poll`.
pub(crate) struct Driver {
    poll: mio::Poll,
    events: mio::Events,
    /// Stamps each batch of events (see `scheduled_io.rs`).
    tick: u16,
    /// Wakers collected under the resources lock, woken after it.
    wake: Vec<Waker>,
    /// Wakes `poll` at a timer's tick (`timer_fd.rs`); `None` where there
    /// is no timerfd, and waits are whole milliseconds.
    timer_fd: Option<timer_fd::TimerFd>,
    handle: Arc<DriverHandle>,
}

/// The shared half: registration from any thread, unparking the driver.
pub(crate) struct DriverHandle {
    registry: mio::Registry,
    waker: mio::Waker,
    resources: Mutex<Resources>,
    /// How many resources the slab holds (written under `resources`, read
    /// without it by `has_work`).
    registered: AtomicUsize,
    /// Readiness events delivered so far (for the metrics). Written only by
    /// the driver's holder, so a load and a store suffice; a std atomic
    /// even under loom: a counter, not protocol.
    events: std::sync::atomic::AtomicU64,
    /// The runtime's timers, fired by the driver after each poll.
    pub(crate) timers: Timers,
    /// Why the runtime is watched for idleness: 1 while its clock is
    /// paused, plus 1 per `settle` waiting. While above 0 the scheduler
    /// checks whether the runtime is idle before its driver blocks
    /// (`runtime/scheduler/quiet.rs`).
    watchers: AtomicUsize,
}

struct Resources {
    slab: Slab<Arc<ScheduledIo>>,
    next_generation: u64,
    is_shutdown: bool,
}

/// A registered resource's place in the driver's slab: what an
/// `io::Registration` keeps.
pub(crate) struct Resource {
    /// Its readiness and waiters.
    pub(crate) io: Arc<ScheduledIo>,
    index: usize,
}

impl Driver {
    /// A new `Poll` and the handle to it; `paused`: the clock starts
    /// paused.
    pub(crate) fn new(paused: bool) -> io::Result<Driver> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        let handle = Arc::new(DriverHandle {
            registry,
            waker,
            resources: Mutex::new(Resources {
                slab: Slab::new(),
                next_generation: 0,
                is_shutdown: false,
            }),
            registered: AtomicUsize::new(0),
            events: std::sync::atomic::AtomicU64::new(0),
            timers: Timers::new(paused),
            watchers: AtomicUsize::new(usize::from(paused)),
        });
        Ok(Driver {
            timer_fd: timer_fd(&poll),
            poll,
            events: mio::Events::with_capacity(1024),
            tick: 0,
            wake: Vec::new(),
            handle,
        })
    }

    pub(crate) fn handle(&self) -> &Arc<DriverHandle> {
        &self.handle
    }

    /// Waits for events (at most `timeout`, and no later than the next
    /// timer deadline), then delivers readiness and fires due timers.
    /// Returns how many tasks it woke.
    pub(crate) fn park(&mut self, timeout: Option<Duration>) -> usize {
        // A poll that does not block cannot sleep past a deadline: the
        // timers need not know about it.
        let blocking = timeout != Some(Duration::ZERO);
        let timeout = if blocking {
            self.handle.timers.park_timeout(timeout)
        } else {
            timeout
        };
        if let (Some(timer_fd), Some(wait)) = (&mut self.timer_fd, timeout)
            && blocking
            && wait.subsec_nanos() % 1_000_000 != 0
        {
            // Not a whole number of milliseconds, which is all `epoll_wait`
            // counts: the timer fd ends the wait at the deadline's tick.
            timer_fd.arm(std::time::Instant::now() + wait, wait);
        }
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            // epoll_wait fails only for a bad fd or buffer: a bug, not a
            // condition to carry on from.
            Err(err) => panic!("bobbin's I/O driver could not poll: {err}"),
        }
        if blocking {
            self.handle.timers.unparked();
        }
        if !self.events.is_empty() {
            self.dispatch();
        }
        self.handle.timers.fire_due(&mut self.wake);
        let woken = self.wake.len();
        for waker in self.wake.drain(..) {
            waker.wake();
        }
        woken
    }

    fn dispatch(&mut self) {
        self.tick = self.tick.wrapping_add(1);
        let resources = lock(&self.handle.resources);
        let mut delivered = 0;
        for event in self.events.iter() {
            let token = event.token();
            if token == WAKE_TOKEN {
                continue;
            }
            if token == TIMER_TOKEN {
                if let Some(timer_fd) = &mut self.timer_fd {
                    timer_fd.fired();
                }
                continue;
            }
            let (index, generation) = (token.0 & INDEX_MASK, (token.0 >> INDEX_BITS) as u64);
            let Some(io) = resources.slab.get(index) else {
                continue;
            };
            if io.generation != generation {
                // The resource this event was for is gone; its slot is reused.
                continue;
            }
            delivered += 1;
            let mut ready = 0;
            if event.is_readable() || event.is_priority() {
                ready |= READABLE;
            }
            if event.is_writable() {
                ready |= WRITABLE;
            }
            if event.is_read_closed() {
                ready |= READ_CLOSED;
            }
            if event.is_write_closed() {
                ready |= WRITE_CLOSED;
            }
            if event.is_error() {
                ready |= ERROR;
            }
            io.set_readiness(self.tick, ready, &mut self.wake);
        }
        let events = &self.handle.events;
        events.store(events.load(Relaxed) + delivered, Relaxed);
    }
}

/// A timer fd registered with `poll`, or `None` where the system has none
/// (the driver then waits in whole milliseconds).
fn timer_fd(poll: &mio::Poll) -> Option<timer_fd::TimerFd> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let timer_fd = timer_fd::TimerFd::new().ok()?;
        poll.registry()
            .register(
                &mut mio::unix::SourceFd(&timer_fd.raw_fd()),
                TIMER_TOKEN,
                mio::Interest::READABLE,
            )
            .ok()?;
        Some(timer_fd)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = poll;
        None
    }
}

impl DriverHandle {
    /// Registers `source` for read and write readiness (edge-triggered).
    pub(crate) fn register(&self, source: &mut impl Source) -> io::Result<Resource> {
        let mut resources = lock(&self.resources);
        if resources.is_shutdown {
            return Err(shutdown_error());
        }
        let generation = resources.next_generation;
        resources.next_generation = (generation + 1) & GENERATION_MASK;
        let entry = resources.slab.vacant_entry();
        let index = entry.key();
        if index > INDEX_MASK {
            return Err(io::Error::other(format!(
                "bobbin's I/O driver holds {} resources, its limit; close some before opening more",
                INDEX_MASK + 1
            )));
        }
        let token = mio::Token(((generation as usize) << INDEX_BITS) | index);
        self.registry.register(
            source,
            token,
            mio::Interest::READABLE | mio::Interest::WRITABLE,
        )?;
        let shared = Arc::new(ScheduledIo::new(generation));
        entry.insert(shared.clone());
        self.registered.store(resources.slab.len(), Relaxed);
        Ok(Resource { io: shared, index })
    }

    /// Deregisters `source` and frees its slot.
    pub(crate) fn deregister(
        &self,
        source: &mut impl Source,
        resource: &Resource,
    ) -> io::Result<()> {
        let mut resources = lock(&self.resources);
        if resources
            .slab
            .get(resource.index)
            .is_some_and(|io| Arc::ptr_eq(io, &resource.io))
        {
            resources.slab.remove(resource.index);
            self.registered.store(resources.slab.len(), Relaxed);
        }
        if resources.is_shutdown {
            // The poll may be closed already; the fd closes with the source.
            return Ok(());
        }
        self.registry.deregister(source)
    }

    /// One more reason to watch the runtime for idleness (a paused clock,
    /// a `settle`); pulls the driver's holder out of `poll` to look.
    pub(crate) fn watch(&self) {
        self.watchers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.unpark();
    }

    /// One reason fewer (a resume, a `settle` done or dropped).
    pub(crate) fn unwatch(&self) {
        self.watchers
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        self.unpark();
    }

    /// True while the runtime is watched (see `watch`).
    #[inline]
    pub(crate) fn is_watched(&self) -> bool {
        self.watchers.load(Relaxed) > 0
    }

    /// Pulls the driver's holder out of `poll`.
    pub(crate) fn unpark(&self) {
        // `wake` fails only if the eventfd cannot be written, which a full
        // counter (a wake already pending) also reports: nothing to do.
        let _ = self.waker.wake();
    }

    /// The runtime is gone: every resource fails from now on, and every
    /// task waiting on one is woken to see it.
    pub(crate) fn shutdown(&self) {
        let mut wake = Vec::new();
        {
            let mut resources = lock(&self.resources);
            resources.is_shutdown = true;
            for (_, io) in resources.slab.iter() {
                io.shutdown(&mut wake);
            }
            resources.slab.clear();
            self.registered.store(0, Relaxed);
        }
        self.timers.shutdown(&mut wake);
        for waker in wake {
            waker.wake();
        }
    }

    /// How many resources are registered.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        lock(&self.resources).slab.len()
    }

    /// Resources registered now, readiness events delivered so far, and
    /// deadlines pending (for the metrics).
    pub(crate) fn counts(&self) -> (usize, u64, usize) {
        (
            self.registered.load(Relaxed),
            self.events.load(Relaxed),
            self.timers.pending(),
        )
    }

    /// True if a non-blocking poll could deliver anything: some resource is
    /// registered or some deadline is pending. A busy worker skips its
    /// periodic poll otherwise, so pure computation pays no syscall.
    pub(crate) fn has_work(&self) -> bool {
        // Relaxed: a hint; a resource registered just after this read is
        // seen on the next periodic poll, and a task waiting on it is woken
        // by whichever worker parks in the driver.
        self.registered.load(Relaxed) > 0 || self.timers.has_pending()
    }
}
