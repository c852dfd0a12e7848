//! A `timerfd` in the driver's epoll set, so `poll` wakes at a timer's
//! tick: `epoll_wait` counts whole milliseconds (mio rounds a wait up), so
//! without it a 100 µs sleep takes a millisecond or more.
//!
//! The driver arms it (relative, one shot) before a `poll` whose wait a
//! deadline shortens to a time that is not a whole number of
//! milliseconds, skips the syscall when the same instant is armed already,
//! and reads it when its event comes. A stale arming (the driver woke for
//! something else first) costs at most one early return of a later
//! `poll`, which then finds nothing due and waits again.
//!
//! Linux only (`timerfd_create`); elsewhere `TimerFd::new` fails and the
//! driver keeps to millisecond waits.
//!
//! The driver module's one `unsafe` file: three syscalls on a descriptor
//! this type owns.

use std::io;
use std::time::{Duration, Instant};

/// How close an armed instant must be to a new one to skip re-arming.
#[cfg(any(target_os = "linux", target_os = "android"))]
const ARMED_SLACK: Duration = Duration::from_micros(20);

/// A monotonic timer fd, non-blocking, and the instant it is armed for.
pub(crate) struct TimerFd {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fd: std::os::fd::OwnedFd,
    armed: Option<Instant>,
}

impl TimerFd {
    /// A new, disarmed timer fd.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn new() -> io::Result<TimerFd> {
        use std::os::fd::FromRawFd;
        // SAFETY: a plain syscall with constant, valid arguments.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(TimerFd {
            // SAFETY: `fd` was just created and is owned by nothing else.
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
            armed: None,
        })
    }

    /// Not available off Linux.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn new() -> io::Result<TimerFd> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Arms the timer to fire `after` from now (`now + after` is `at`),
    /// unless it is armed for about `at` already (within `ARMED_SLACK`).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn arm(&mut self, at: Instant, after: Duration) {
        use std::os::fd::AsRawFd;
        // Armed for about that instant already (the driver computes `at`
        // from its own reading of the clock each time): firing a few
        // microseconds early only makes `poll` return, find nothing due
        // and wait again.
        if self
            .armed
            .is_some_and(|armed| armed.max(at) - armed.min(at) < ARMED_SLACK)
        {
            return;
        }
        // A zero value would disarm it: fire in a nanosecond instead.
        let after = after.max(Duration::from_nanos(1));
        // SAFETY: an `itimerspec` of integers (and, on some targets,
        // padding) is valid all zero; the fields are set below.
        let mut spec: libc::itimerspec = unsafe { std::mem::zeroed() };
        spec.it_value.tv_sec = libc::time_t::try_from(after.as_secs()).unwrap_or(libc::time_t::MAX);
        // Under 10^9: fits the field on every target.
        spec.it_value.tv_nsec = after.subsec_nanos() as _;
        // SAFETY: `fd` is this type's open timer fd, `spec` a valid
        // `itimerspec`, and a null old value is allowed.
        let rc =
            unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        // It fails only for a bad descriptor or value: then the driver's
        // `poll` timeout (rounded up to a millisecond) still ends the wait.
        self.armed = (rc == 0).then_some(at);
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn arm(&mut self, _at: Instant, _after: Duration) {}

    /// Its event came: reads the expiry count, so the fd is quiet again.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn fired(&mut self) {
        use std::os::fd::AsRawFd;
        self.armed = None;
        let mut count = 0u64;
        // SAFETY: reads at most 8 bytes into `count`, which has 8; the fd
        // is non-blocking, so an empty read fails with EAGAIN, ignored.
        let _ = unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                (&raw mut count).cast::<libc::c_void>(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn fired(&mut self) {}

    /// The raw descriptor, to register with the driver's `Poll`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.fd.as_raw_fd()
    }
}

#[cfg(all(test, not(loom), any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    #[test]
    fn an_armed_timer_fd_makes_poll_return_and_reading_it_quiets_it() {
        let mut poll = mio::Poll::new().unwrap();
        let mut events = mio::Events::with_capacity(4);
        let mut timer = TimerFd::new().unwrap();
        let token = mio::Token(7);
        poll.registry()
            .register(
                &mut mio::unix::SourceFd(&timer.raw_fd()),
                token,
                mio::Interest::READABLE,
            )
            .unwrap();
        let after = Duration::from_micros(300);
        timer.arm(Instant::now() + after, after);
        // Bounded: a timer that never fired would end here, not hang.
        poll.poll(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        assert!(events.iter().any(|event| event.token() == token));
        timer.fired();
        assert_eq!(timer.armed, None);
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(
            events.iter().all(|event| event.token() != token),
            "a read timer fd reports nothing more"
        );
    }

    #[test]
    fn arming_the_same_instant_twice_is_one_arming() {
        let mut timer = TimerFd::new().unwrap();
        let at = Instant::now() + Duration::from_secs(60);
        timer.arm(at, Duration::from_secs(60));
        assert_eq!(timer.armed, Some(at));
        timer.arm(at, Duration::from_secs(60));
        assert_eq!(timer.armed, Some(at));
    }
}
