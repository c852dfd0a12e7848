//! The accept loop's back-off: after an accept fails for lack of file
//! descriptors or memory, wait before the next attempt.
//!
//! Why: when a process runs out of file descriptors (`EMFILE`), the pending
//! connection stays in the listener's backlog, so the listener stays
//! readable and the next `accept` fails at once, again. An accept loop that
//! logs the error and continues would then spin at 100% CPU, and one that
//! stops on the first error would bring the server down for a condition
//! that usually passes as soon as a few connections close. Waiting 1 ms,
//! then 2, 4, ... up to 1 s between attempts (reset by a successful accept)
//! keeps the loop alive at a negligible cost, and is what Go's `net/http`
//! server does (`tempDelay` in `Server.Serve`). The alternative of keeping
//! a spare fd to accept-and-close with (libev's trick) was rejected: it
//! drops the client instead of letting it wait, and costs an fd per
//! listener.
//!
//! The wait is a [`Delay`] on the listener's own runtime, fired by its I/O
//! driver, so a task in back-off costs nothing while it waits.

use crate::driver::DriverHandle;
use crate::driver::scheduled_io::is_shutdown_error;
use crate::loom::Arc;
use crate::time::Delay;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The first wait after a resource error.
const FIRST_WAIT: Duration = Duration::from_millis(1);
/// The longest wait: an accept is retried at least once a second.
const MAX_WAIT: Duration = Duration::from_secs(1);

/// The `errno` values of "out of file descriptors or buffers" on this
/// platform. std names none of them in `io::ErrorKind` (only `ENOMEM`, as
/// `OutOfMemory`), and `libc` is not a dependency of the runtime, so the
/// values are written here, from each platform's `<errno.h>`. `EMFILE`
/// (24) and `ENFILE` (23) are the same on every Unix; `ENOBUFS` is not.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
))]
const RESOURCE_ERRNOS: &[i32] = &[24, 23, 105];
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(target_arch = "mips", target_arch = "mips64")
))]
const RESOURCE_ERRNOS: &[i32] = &[24, 23, 132];
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(target_arch = "sparc", target_arch = "sparc64")
))]
const RESOURCE_ERRNOS: &[i32] = &[24, 23, 55];
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
const RESOURCE_ERRNOS: &[i32] = &[24, 23, 55];
#[cfg(any(target_os = "illumos", target_os = "solaris"))]
const RESOURCE_ERRNOS: &[i32] = &[24, 23, 132];
/// `WSAEMFILE` and `WSAENOBUFS`.
#[cfg(windows)]
const RESOURCE_ERRNOS: &[i32] = &[10024, 10055];
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
    target_os = "solaris",
    windows
)))]
const RESOURCE_ERRNOS: &[i32] = &[24, 23];

/// Whether `err` says the process or system is out of file descriptors,
/// socket buffers or memory: a condition that passes with time, not a
/// problem with one connection.
pub(crate) fn is_resource_exhaustion(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::OutOfMemory
        || err
            .raw_os_error()
            .is_some_and(|code| RESOURCE_ERRNOS.contains(&code))
}

/// The back-off state of one `Incoming` stream.
pub(crate) struct AcceptBackoff {
    /// The wait in progress, if the last accept hit a resource limit.
    delay: Option<Delay>,
    /// How long the next wait will be.
    next_wait: Duration,
    /// The runtime shut down: the stream has yielded that and is over.
    finished: bool,
}

impl AcceptBackoff {
    pub(crate) fn new() -> AcceptBackoff {
        AcceptBackoff {
            delay: None,
            next_wait: FIRST_WAIT,
            finished: false,
        }
    }

    /// Ready when no wait is in progress (any more).
    pub(crate) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(delay) = &mut self.delay {
            // `Delay` completes at its deadline, or at once if the runtime
            // is gone (the accept then reports that).
            std::task::ready!(Pin::new(delay).poll(cx));
            self.delay = None;
        }
        Poll::Ready(())
    }

    /// True once an accept reported that the runtime shut down: the stream
    /// yielded that error and ends (instead of yielding it forever to a
    /// loop that logs and continues).
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Records the outcome of an accept: a resource error starts the next
    /// wait (and doubles the one after, up to `MAX_WAIT`); a success resets
    /// the wait; any other error changes nothing.
    pub(crate) fn record<T>(&mut self, result: &io::Result<T>, driver: &Arc<DriverHandle>) {
        match result {
            Ok(_) => self.next_wait = FIRST_WAIT,
            Err(err) if is_shutdown_error(err) => self.finished = true,
            Err(err) if is_resource_exhaustion(err) => {
                let wait = self.next_wait;
                self.next_wait = (wait * 2).min(MAX_WAIT);
                self.delay = Some(Delay::new(driver.clone(), driver.timers.clock.now() + wait));
            }
            Err(_) => {}
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::io::Async;
    use std::time::Instant;

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(24)
    }

    #[test]
    fn only_resource_errors_count() {
        assert!(is_resource_exhaustion(&emfile()));
        assert!(is_resource_exhaustion(&io::Error::from_raw_os_error(23)));
        assert!(is_resource_exhaustion(&io::ErrorKind::OutOfMemory.into()));
        assert!(!is_resource_exhaustion(
            &io::ErrorKind::ConnectionAborted.into()
        ));
        assert!(!is_resource_exhaustion(&io::ErrorKind::WouldBlock.into()));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_errnos_are_recognised() {
        // ENOBUFS, ENOMEM (through its ErrorKind); not ECONNABORTED.
        assert!(is_resource_exhaustion(&io::Error::from_raw_os_error(105)));
        assert!(is_resource_exhaustion(&io::Error::from_raw_os_error(12)));
        assert!(!is_resource_exhaustion(&io::Error::from_raw_os_error(103)));
    }

    #[test]
    fn the_wait_doubles_up_to_a_second_and_resets_after_a_success() {
        let socket =
            Async::new(mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap()).unwrap();
        let driver = socket.registration().driver();
        let mut backoff = AcceptBackoff::new();
        let mut waits = Vec::new();
        for _ in 0..12 {
            waits.push(backoff.next_wait);
            backoff.record::<()>(&Err(emfile()), driver);
            assert!(backoff.delay.is_some(), "a resource error starts a wait");
        }
        let millis: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000]);
        backoff.delay = None;
        backoff.record::<()>(&Err(io::ErrorKind::ConnectionAborted.into()), driver);
        assert!(backoff.delay.is_none(), "other errors do not wait");
        backoff.record(&Ok(()), driver);
        assert_eq!(backoff.next_wait, FIRST_WAIT);
    }

    #[test]
    fn a_wait_ends_at_its_deadline() {
        crate::block_on(async {
            let socket =
                Async::new(mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap())
                    .unwrap();
            let mut backoff = AcceptBackoff::new();
            backoff.next_wait = Duration::from_millis(20);
            let start = Instant::now();
            backoff.record::<()>(&Err(emfile()), socket.registration().driver());
            std::future::poll_fn(|cx| backoff.poll_wait(cx)).await;
            assert!(start.elapsed() >= Duration::from_millis(20));
            assert!(backoff.delay.is_none());
        });
    }
}
