//! The system calls std does not wrap: a pidfd for a child, non-blocking
//! mode on a pipe, and reaping by pid. The only `unsafe` of `process/`.

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

/// A process file descriptor (Linux 5.3 and later): readable once the
/// process has exited.
#[derive(Debug)]
pub(super) struct PidFd(OwnedFd);

/// Set once `pidfd_open` failed with "not supported" (an old kernel, or a
/// seccomp filter): from then on children are watched through SIGCHLD.
static NO_PIDFD: AtomicBool = AtomicBool::new(false);

impl PidFd {
    /// A pidfd for the child `pid`, or `None` where the kernel has none.
    ///
    /// # Errors
    /// Any other error of `pidfd_open` (out of file descriptors).
    pub(super) fn open(pid: u32) -> io::Result<Option<PidFd>> {
        static FROM_ENV: std::sync::Once = std::sync::Once::new();
        FROM_ENV.call_once(|| {
            // Documented in `process`: the SIGCHLD path, on a kernel with
            // pidfds (for tests, or to compare).
            if std::env::var_os("BOBBIN_PROCESS_NO_PIDFD").is_some() {
                NO_PIDFD.store(true, Relaxed);
            }
        });
        if NO_PIDFD.load(Relaxed) {
            return Ok(None);
        }
        #[cfg(target_os = "linux")]
        {
            let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
            // No flags: the pidfd is only polled for readiness, never
            // read, so it need not be non-blocking (PIDFD_NONBLOCK came in
            // Linux 5.10; 5.3-5.9 would refuse it with EINVAL).
            // SAFETY: `pidfd_open` takes a pid and flags and returns a new
            // file descriptor or -1; no memory is passed.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
            if fd >= 0 {
                let fd = i32::try_from(fd).expect("a file descriptor fits in an int");
                // SAFETY: `fd` was just returned by the kernel and nothing
                // else owns it.
                return Ok(Some(PidFd(unsafe { OwnedFd::from_raw_fd(fd) })));
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::ENOSYS | libc::EPERM | libc::EINVAL) => {
                    NO_PIDFD.store(true, Relaxed);
                    Ok(None)
                }
                _ => Err(err),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = pid;
            NO_PIDFD.store(true, Relaxed);
            Ok(None)
        }
    }
}

/// mio's `Source` for wrappers of a descriptor (their field `.0`),
/// registered as the descriptor itself.
macro_rules! fd_source {
    ($($ty:ty),*) => {$(
        impl Source for $ty {
            fn register(
                &mut self,
                registry: &Registry,
                token: Token,
                interests: Interest,
            ) -> io::Result<()> {
                SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
            }

            fn reregister(
                &mut self,
                registry: &Registry,
                token: Token,
                interests: Interest,
            ) -> io::Result<()> {
                SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
            }

            fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
                SourceFd(&self.0.as_raw_fd()).deregister(registry)
            }
        }
    )*};
}

fd_source!(PidFd, Pipe);

/// One end of a pipe to or from a child, in non-blocking mode.
#[derive(Debug)]
pub(super) struct Pipe(File);

impl Pipe {
    /// Takes over `fd` (a pipe end std made) and makes it non-blocking.
    pub(super) fn new(fd: OwnedFd) -> io::Result<Pipe> {
        set_nonblocking(&fd)?;
        Ok(Pipe(File::from(fd)))
    }

    /// Back to a blocking descriptor, for a caller that hands it on.
    pub(super) fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let fd = OwnedFd::from(self.0);
        set_blocking(&fd)?;
        Ok(fd)
    }
}

fn fcntl_flags(fd: &OwnedFd, change: impl FnOnce(libc::c_int) -> libc::c_int) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: F_GETFL on a descriptor we own; no memory is passed.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: F_SETFL with an int argument on a descriptor we own.
    if unsafe { libc::fcntl(raw, libc::F_SETFL, change(flags)) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    fcntl_flags(fd, |flags| flags | libc::O_NONBLOCK)
}

fn set_blocking(fd: &OwnedFd) -> io::Result<()> {
    fcntl_flags(fd, |flags| flags & !libc::O_NONBLOCK)
}

impl Read for &Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.0).read_vectored(bufs)
    }
}

impl Write for &Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.0).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&self.0).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reaps the child `pid` if it has exited: `Some(status)` then; `None` if
/// it still runs.
///
/// # Errors
/// `waitpid`'s error: `ECHILD` if it was reaped already (by someone else).
pub(super) fn try_reap(pid: u32) -> io::Result<Option<ExitStatus>> {
    use std::os::unix::process::ExitStatusExt;
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: `status` is a live local the kernel writes one int to.
        let reaped = unsafe { libc::waitpid(pid, &raw mut status, libc::WNOHANG) };
        match reaped {
            0 => return Ok(None),
            -1 => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
            _ => return Ok(Some(ExitStatus::from_raw(status))),
        }
    }
}

/// Sends SIGKILL to the child `pid` (not yet reaped, so still ours).
///
/// # Errors
/// `kill`'s error.
pub(super) fn kill(pid: u32) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    // SAFETY: `kill` takes a pid and a signal number; no memory is passed.
    if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
