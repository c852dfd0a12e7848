//! Unix signals: [`signal`] makes a listener for one [`SignalKind`].

use super::registry::{MAX_SIGNAL, Registry, registry};
use crate::io::Async;
use futures_core::Stream;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A kind of signal to listen for: a signal number.
///
/// # Examples
/// ```
/// use bobbin::signal::unix::SignalKind;
/// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal number, e.g. one of libc's real-time signals.
    ///
    /// # Examples
    /// ```
    /// use bobbin::signal::unix::SignalKind;
    /// let kind = SignalKind::from_raw(libc::SIGWINCH);
    /// assert_eq!(kind, SignalKind::window_change());
    /// ```
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    ///
    /// # Examples
    /// ```
    /// use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    /// ```
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// SIGINT: Ctrl-C at the terminal.
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGTERM: the polite request to stop (what `kill` and service
    /// managers send).
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGHUP: the terminal went away; daemons take it as "reload".
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGQUIT: Ctrl-\ at the terminal.
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::quit().as_raw_value(), libc::SIGQUIT);
    /// ```
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGUSR1.
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2.
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGCHLD: a child process stopped or exited.
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::child().as_raw_value(), libc::SIGCHLD);
    /// ```
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGWINCH: the terminal was resized.
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::window_change().as_raw_value(), libc::SIGWINCH);
    /// ```
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    /// SIGALRM.
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::alarm().as_raw_value(), libc::SIGALRM);
    /// ```
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGPIPE: a write to a pipe or socket nobody reads (Rust programs
    /// ignore it by default, and get `EPIPE` instead).
    ///
    /// # Examples
    /// ```
    /// # use bobbin::signal::unix::SignalKind;
    /// assert_eq!(SignalKind::pipe().as_raw_value(), libc::SIGPIPE);
    /// ```
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

impl From<SignalKind> for i32 {
    fn from(kind: SignalKind) -> i32 {
        kind.0
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match name(self.0) {
            Some(name) => write!(f, "SignalKind({name})"),
            None => write!(f, "SignalKind({})", self.0),
        }
    }
}

/// The usual name of a signal number, for messages.
fn name(signum: i32) -> Option<&'static str> {
    const NAMES: &[(i32, &str)] = &[
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGILL, "SIGILL"),
        (libc::SIGTRAP, "SIGTRAP"),
        (libc::SIGABRT, "SIGABRT"),
        (libc::SIGBUS, "SIGBUS"),
        (libc::SIGFPE, "SIGFPE"),
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGUSR2, "SIGUSR2"),
        (libc::SIGPIPE, "SIGPIPE"),
        (libc::SIGALRM, "SIGALRM"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGCHLD, "SIGCHLD"),
        (libc::SIGCONT, "SIGCONT"),
        (libc::SIGSTOP, "SIGSTOP"),
        (libc::SIGTSTP, "SIGTSTP"),
        (libc::SIGTTIN, "SIGTTIN"),
        (libc::SIGTTOU, "SIGTTOU"),
        (libc::SIGURG, "SIGURG"),
        (libc::SIGXCPU, "SIGXCPU"),
        (libc::SIGXFSZ, "SIGXFSZ"),
        (libc::SIGVTALRM, "SIGVTALRM"),
        (libc::SIGPROF, "SIGPROF"),
        (libc::SIGWINCH, "SIGWINCH"),
        (libc::SIGIO, "SIGIO"),
        (libc::SIGSYS, "SIGSYS"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == signum)
        .map(|(_, name)| *name)
}

/// Checks that `signum` can be listened for, with an error that says why
/// not.
fn check(signum: i32) -> io::Result<()> {
    let named = || match name(signum) {
        Some(name) => format!("{name} ({signum})"),
        None => format!("signal {signum}"),
    };
    if !(1..=MAX_SIGNAL).contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is not a signal number (they run from 1 to {MAX_SIGNAL})",
                named()
            ),
        ));
    }
    if signal_hook_registry::FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} cannot be listened for: SIGKILL and SIGSTOP never reach a handler, and \
                 SIGSEGV, SIGILL and SIGFPE mean the program itself faulted",
                named()
            ),
        ));
    }
    Ok(())
}

/// Listens for `kind`: the returned [`Signal`] receives every delivery of
/// that signal from now on.
///
/// The first listener for a kind installs its handler, for the rest of the
/// process: from then on the signal's default action (for SIGINT and
/// SIGTERM, ending the process) no longer happens; the program decides.
/// Handlers chain with other libraries' (`signal-hook-registry`).
///
/// # Errors
/// An `InvalidInput` error naming the signal for one that cannot be
/// listened for (SIGKILL, SIGSTOP, SIGSEGV, SIGILL, SIGFPE, or a number
/// out of range); the OS's error if the handler cannot be installed or
/// the listener cannot be registered with the reactor (out of file
/// descriptors, or the runtime has shut down).
///
/// # Examples
/// ```
/// use bobbin::signal::unix::{SignalKind, signal};
/// # bobbin::block_on(async {
/// let mut hangups = signal(SignalKind::hangup()).unwrap();
/// // SAFETY: raising a signal this program has a handler for.
/// unsafe { libc::raise(libc::SIGHUP) };
/// hangups.recv().await;
///
/// let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
/// assert!(err.to_string().contains("SIGKILL"));
/// # });
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    check(kind.0)?;
    let registry = registry()?;
    registry.install(kind.0)?;
    Signal::new(registry, kind)
}

/// A listener for one kind of signal, made by [`signal`]; also a
/// [`Stream`] of `()`, one per delivery.
///
/// Each listener sees every delivery after it was made; deliveries it has
/// not looked at yet coalesce into one. Several listeners of one kind
/// each see each delivery.
///
/// # Examples
/// ```
/// use bobbin::signal::unix::{SignalKind, signal};
/// # bobbin::block_on(async {
/// let mut first = signal(SignalKind::user_defined1()).unwrap();
/// let mut second = signal(SignalKind::user_defined1()).unwrap();
/// // SAFETY: raising a signal this program has a handler for.
/// unsafe { libc::raise(libc::SIGUSR1) };
/// assert_eq!(first.recv().await, Some(()));
/// assert_eq!(second.recv().await, Some(()));
/// # });
/// ```
pub struct Signal {
    kind: SignalKind,
    registry: &'static Registry,
    /// The delivery count this listener last reported.
    seen: u64,
    /// Its entry in the signal's wait list, from its first wait on.
    key: Option<usize>,
    /// Its own duplicate of the registry's pipe.
    reader: Async<mio::net::UnixStream>,
}

impl Signal {
    /// A listener whose handler is installed (or, in tests, simulated).
    fn new(registry: &'static Registry, kind: SignalKind) -> io::Result<Signal> {
        let reader = Async::new(registry.reader()?)?;
        Ok(Signal {
            kind,
            registry,
            seen: registry.slot(kind.0).deliveries(),
            key: None,
            reader,
        })
    }

    /// Waits for the next delivery. `None` only if no delivery can come any
    /// more: the runtime the listener was registered with has shut down.
    ///
    /// # Cancel safety
    /// Cancel-safe: a delivery is taken only when `Some` is returned.
    ///
    /// # Examples
    /// See [`signal`].
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery: `Ready(Some(()))` takes it; `Pending`
    /// queues `cx`'s waker to be woken by it.
    ///
    /// # Examples
    /// ```
    /// use bobbin::signal::unix::{SignalKind, signal};
    /// use std::task::{Context, Waker};
    /// # bobbin::block_on(async {
    /// let mut quits = signal(SignalKind::quit()).unwrap();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(quits.poll_recv(&mut cx).is_pending());
    /// # });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let slot = self.registry.slot(self.kind.0);
        loop {
            if slot.poll_delivery(&mut self.seen, &mut self.key, cx.waker()) {
                return Poll::Ready(Some(()));
            }
            // Nothing yet: look at the pipe ourselves (whoever drains it
            // dispatches to everyone), or wait for it to be written to.
            let registry = self.registry;
            match self
                .reader
                .poll_read_with(cx, |reader| registry.drain(reader))
            {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The kind of signal this listener receives.
    ///
    /// # Examples
    /// ```
    /// use bobbin::signal::unix::{SignalKind, signal};
    /// # bobbin::block_on(async {
    /// let hangups = signal(SignalKind::hangup()).unwrap();
    /// assert_eq!(hangups.kind(), SignalKind::hangup());
    /// # });
    /// ```
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.registry.slot(self.kind.0).forget(key);
        }
    }
}

impl Stream for Signal {
    type Item = ();

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.poll_recv(cx)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::runtime::test_support::run;
    use std::task::Waker;

    // Each test simulates its own real-time signal number (no handler is
    // installed; `simulate` does what the handler would), so tests running
    // at once do not see each other's deliveries.

    fn is_pending(signal: &mut Signal) -> bool {
        signal
            .poll_recv(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    }

    #[test]
    fn every_listener_of_a_kind_sees_a_delivery_and_a_later_one_does_not() {
        run(async {
            let registry = registry().unwrap();
            let kind = SignalKind::from_raw(libc::SIGRTMIN() + 1);
            let mut first = Signal::new(registry, kind).unwrap();
            let mut second = Signal::new(registry, kind).unwrap();
            assert!(is_pending(&mut first));
            registry.simulate(kind.0);
            assert_eq!(first.recv().await, Some(()));
            assert_eq!(second.recv().await, Some(()));
            let mut late = Signal::new(registry, kind).unwrap();
            assert!(is_pending(&mut late), "made after the delivery");
            assert!(is_pending(&mut first), "one delivery, one report");
        });
    }

    #[test]
    fn deliveries_not_looked_at_coalesce_into_one() {
        run(async {
            let registry = registry().unwrap();
            let kind = SignalKind::from_raw(libc::SIGRTMIN() + 2);
            let mut listener = Signal::new(registry, kind).unwrap();
            for _ in 0..3 {
                registry.simulate(kind.0);
            }
            assert_eq!(listener.recv().await, Some(()));
            assert!(is_pending(&mut listener));
        });
    }

    #[test]
    fn a_delivery_between_making_a_listener_and_polling_it_is_not_lost() {
        run(async {
            let registry = registry().unwrap();
            let kind = SignalKind::from_raw(libc::SIGRTMIN() + 3);
            let mut listener = Signal::new(registry, kind).unwrap();
            let other = SignalKind::from_raw(libc::SIGRTMIN() + 4);
            let mut bystander = Signal::new(registry, other).unwrap();
            registry.simulate(kind.0);
            // Another kind's listener may drain the pipe first: it
            // dispatches to ours.
            assert!(is_pending(&mut bystander));
            assert_eq!(listener.recv().await, Some(()));
        });
    }

    #[test]
    fn signals_that_cannot_be_listened_for_are_named_in_the_error() {
        for (signum, words) in [
            (libc::SIGKILL, "SIGKILL (9) cannot be listened for"),
            (libc::SIGSTOP, "SIGSTOP"),
            (libc::SIGSEGV, "SIGSEGV"),
            (0, "signal 0 is not a signal number"),
            (MAX_SIGNAL + 1, "is not a signal number"),
        ] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(words), "{err}");
        }
    }
}
