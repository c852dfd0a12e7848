//! Knowing when a child exits, and reaping children nobody waits for.
//!
//! A child is watched through a pidfd (Linux 5.3 and later: readable once
//! the process has exited) registered with the reactor, or, where the
//! kernel has none, through SIGCHLD (`crate::signal`): each delivery makes
//! every waiting child try `waitpid` once more.
//!
//! Orphans (a `Child` dropped while its process runs): no zombie is left
//! behind. A task on the current runtime waits for the process's exit and
//! reaps it. With no runtime at hand, or if that runtime shuts down first,
//! a task on the global runtime (which never shuts down) takes over, with
//! a watcher of its own. Only if even that cannot be made (no file
//! descriptor left) does the pid join a list that every later spawn, and
//! every SIGCHLD seen by a waiting child, tries to reap. (tokio keeps the
//! same kind of list and reaps it on SIGCHLD.)

use super::sys::{PidFd, try_reap};
use crate::io::Async;
use crate::runtime::Handle;
use crate::signal::unix::{Signal, SignalKind, signal};
use std::io;
use std::process::ExitStatus;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

/// What tells a waiting child that its process may have exited.
#[derive(Debug)]
pub(super) enum Exit {
    /// The process's pidfd, on the reactor.
    PidFd(Async<PidFd>),
    /// A SIGCHLD listener.
    Signal(Signal),
}

impl Exit {
    /// The watcher for the child `pid`, made right after it was spawned
    /// (so no exit is missed: a pidfd reports an exit that came before
    /// it, and the SIGCHLD listener exists before the first `waitpid`).
    pub(super) fn watch(pid: u32) -> io::Result<Exit> {
        match PidFd::open(pid)? {
            Some(pidfd) => Ok(Exit::PidFd(Async::new(pidfd)?)),
            None => Ok(Exit::Signal(signal(SignalKind::child())?)),
        }
    }

    /// Polls until `pid` is reaped.
    pub(super) fn poll_reap(
        &mut self,
        pid: u32,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ExitStatus>> {
        match self {
            Exit::PidFd(pidfd) => pidfd.poll_read_with(cx, |_| {
                try_reap(pid)?.ok_or_else(|| io::ErrorKind::WouldBlock.into())
            }),
            Exit::Signal(sigchld) => loop {
                if let Some(status) = try_reap(pid)? {
                    return Poll::Ready(Ok(status));
                }
                reap_orphans();
                match sigchld.poll_recv(cx) {
                    Poll::Ready(Some(())) => {}
                    Poll::Ready(None) => {
                        return Poll::Ready(Err(io::Error::other(
                            "the runtime this child was spawned on has shut down, so its exit \
                             cannot be seen; wait for it from a running runtime",
                        )));
                    }
                    Poll::Pending => return Poll::Pending,
                }
            },
        }
    }
}

/// Pids of orphans that no task watches.
static ORPHANS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Reaps every orphan on the list that has exited.
pub(super) fn reap_orphans() {
    let mut orphans = ORPHANS.lock().unwrap_or_else(PoisonError::into_inner);
    // Kept: those still running. An error (ECHILD: reaped elsewhere)
    // drops the pid too.
    orphans.retain(|&pid| matches!(try_reap(pid), Ok(None)));
}

/// True if `err` says the child is not ours to reap any more (someone
/// else's `waitpid` took it).
pub(super) fn is_gone(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::ECHILD)
}

/// Takes over the still-running child `pid` (its `Child` is being
/// dropped) so that it is reaped when it exits.
pub(super) fn adopt(pid: u32, exit: Exit) {
    match Handle::try_current() {
        Ok(handle) => watch_on(&handle, pid, exit),
        // No runtime here (a `Child` dropped on a plain thread): the
        // global runtime watches it with a watcher of its own.
        Err(_) => {
            drop(exit);
            adopt_globally(pid);
        }
    }
}

/// Reaps `pid` from a task on `handle`'s runtime; if that task is dropped
/// first (the runtime shut down) or its watcher fails, the global runtime
/// takes over.
fn watch_on(handle: &Handle, pid: u32, exit: Exit) {
    struct Orphan {
        pid: u32,
        exit: Exit,
        reaped: bool,
    }
    impl Drop for Orphan {
        fn drop(&mut self) {
            if !self.reaped {
                adopt_globally(self.pid);
            }
        }
    }
    let mut orphan = Orphan {
        pid,
        exit,
        reaped: false,
    };
    drop(handle.spawn(async move {
        let Orphan { pid, exit, reaped } = &mut orphan;
        match std::future::poll_fn(|cx| exit.poll_reap(*pid, cx)).await {
            Ok(_) => *reaped = true,
            Err(err) if is_gone(&err) => *reaped = true,
            // The watcher failed (its reactor shut down): the drop hands
            // the pid on.
            Err(_) => {}
        }
    }));
}

/// Reaps `pid` from a task on the global runtime, with a watcher made
/// there; the list is the last resort.
fn adopt_globally(pid: u32) {
    let to_list = move || {
        ORPHANS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(pid);
    };
    let handle = crate::runtime::global_handle();
    drop(handle.spawn(async move {
        let reaped = match Exit::watch(pid) {
            Ok(mut exit) => std::future::poll_fn(|cx| exit.poll_reap(pid, cx)).await,
            Err(err) => Err(err),
        };
        match reaped {
            Ok(_) => {}
            Err(err) if is_gone(&err) || err.raw_os_error() == Some(libc::ESRCH) => {}
            Err(_) => to_list(),
        }
    }));
}
