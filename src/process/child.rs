//! A running child process: its pipes, waiting for it, killing it, and
//! what happens when its handle is dropped.

use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::reap::{self, Exit, adopt};
use super::sys;
use futures_io::AsyncRead;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::process::{ExitStatus, Output};
use std::task::{Context, Poll};

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// Its process is reaped when it exits whether or not anyone waits: a
/// `Child` dropped while the process runs lets it run on (or kills it, with
/// [`kill_on_drop`](super::Command::kill_on_drop)) and reaps it in the
/// background, so no zombie is left.
///
/// # Examples
/// ```
/// use bobbin::process::Command;
/// # bobbin::block_on(async {
/// let mut child = Command::new("true").spawn().unwrap();
/// let pid = child.id();
/// assert!(pid.is_some());
/// assert!(child.wait().await.unwrap().success());
/// assert_eq!(child.id(), None, "reaped");
/// # });
/// ```
pub struct Child {
    /// The child's stdin, if it was made with `Stdio::piped()`.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was made with `Stdio::piped()`.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was made with `Stdio::piped()`.
    pub stderr: Option<ChildStderr>,
    pid: u32,
    /// `Some` once reaped.
    status: Option<ExitStatus>,
    /// `None` only while being dropped.
    exit: Option<Exit>,
    kill_on_drop: bool,
}

impl Child {
    pub(super) fn new(mut std: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let pid = std.id();
        let exit = Exit::watch(pid);
        let pipes = (|| {
            Ok::<_, io::Error>((
                std.stdin.take().map(ChildStdin::new).transpose()?,
                std.stdout.take().map(ChildStdout::new).transpose()?,
                std.stderr.take().map(ChildStderr::new).transpose()?,
            ))
        })();
        let (exit, (stdin, stdout, stderr)) = match (exit, pipes) {
            (Ok(exit), Ok(pipes)) => (exit, pipes),
            (Err(err), _) | (_, Err(err)) => {
                // The child runs, but cannot be watched: do not leave it
                // running unseen.
                let _ = std.kill();
                let _ = std.wait();
                return Err(err);
            }
        };
        Ok(Child {
            stdin,
            stdout,
            stderr,
            pid,
            status: None,
            exit: Some(exit),
            kill_on_drop,
        })
    }

    /// The process id, until the process is reaped (then `None`: the id
    /// may belong to another process by then).
    ///
    /// # Examples
    /// See [`Child`].
    pub fn id(&self) -> Option<u32> {
        match self.status {
            None => Some(self.pid),
            Some(_) => None,
        }
    }

    /// Waits for the process to exit and returns its status. Closes the
    /// child's stdin first (if piped), so a child reading it to the end
    /// can finish.
    ///
    /// # Errors
    /// If the exit cannot be observed: the runtime the child was spawned
    /// on has shut down, or something else in the program reaped it.
    ///
    /// # Cancel safety
    /// Cancel-safe: waiting again later gives the status.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let status = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap().wait().await.unwrap();
    /// assert_eq!(status.code(), Some(3));
    /// # });
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let exit = self.exit.as_mut().expect("the watcher lives until drop");
        let status = match std::task::ready!(exit.poll_reap(self.pid, cx)) {
            Ok(status) => status,
            Err(err) if reap::is_gone(&err) => return Poll::Ready(Err(err)),
            // The watcher's runtime has shut down, but the process is
            // still ours to reap: watch it again from here (the runtime
            // polling this wait), once.
            Err(err) => match Exit::watch(self.pid) {
                Ok(mut exit) => {
                    let status = exit.poll_reap(self.pid, cx);
                    self.exit = Some(exit);
                    std::task::ready!(status)?
                }
                Err(_) => return Poll::Ready(Err(err)),
            },
        };
        self.status = Some(status);
        Poll::Ready(Ok(status))
    }

    /// The exit status if the process has exited (reaping it), `None` if
    /// it still runs. Never waits.
    ///
    /// # Errors
    /// As for [`wait`](Child::wait).
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let mut child = Command::new("sleep").arg("5").kill_on_drop(true).spawn().unwrap();
    /// assert!(child.try_wait().unwrap().is_none());
    /// # });
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        // `waitpid` itself, not the watcher's readiness: a process that
        // has exited is seen even before the reactor has turned.
        let status = sys::try_reap(self.pid)?;
        self.status = status;
        Ok(status)
    }

    /// Sends SIGKILL and waits for the process to exit. A process that has
    /// exited already is not an error.
    ///
    /// # Errors
    /// If the signal cannot be sent, or as for [`wait`](Child::wait).
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let mut child = Command::new("sleep").arg("60").spawn().unwrap();
    /// child.kill().await.unwrap();
    /// assert!(!child.wait().await.unwrap().success());
    /// # });
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// Sends SIGKILL without waiting; [`wait`](Child::wait) afterwards
    /// reaps the process.
    ///
    /// # Errors
    /// If the signal cannot be sent. A process that exited already is not
    /// an error.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let mut child = Command::new("sleep").arg("60").spawn().unwrap();
    /// child.start_kill().unwrap();
    /// assert!(!child.wait().await.unwrap().success());
    /// # });
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        // Not reaped (checked just above), so the pid is still this
        // child's: a zombie at worst, for which kill succeeds.
        sys::kill(self.pid)
    }

    /// Waits for the process to exit while reading all of its stdout and
    /// stderr (those that were piped), and returns them with the status.
    ///
    /// # Errors
    /// A read error, or as for [`wait`](Child::wait).
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// use std::process::Stdio;
    /// # bobbin::block_on(async {
    /// let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn().unwrap();
    /// let output = child.wait_with_output().await.unwrap();
    /// assert_eq!(output.stdout, b"hi\n");
    /// # });
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let mut stdout = Drain::new(self.stdout.take());
        let mut stderr = Drain::new(self.stderr.take());
        let mut status = None;
        poll_fn(|cx| {
            let out = stdout.poll(cx)?;
            let err = stderr.poll(cx)?;
            if status.is_none()
                && let Poll::Ready(done) = self.poll_wait(cx)
            {
                status = Some(done?);
            }
            if out.is_ready() && err.is_ready() && status.is_some() {
                Poll::Ready(Ok::<_, io::Error>(()))
            } else {
                Poll::Pending
            }
        })
        .await?;
        Ok(Output {
            status: status.expect("waited above"),
            stdout: stdout.bytes,
            stderr: stderr.bytes,
        })
    }
}

/// Reads one pipe to its end.
struct Drain<R> {
    pipe: Option<R>,
    bytes: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Drain<R> {
    fn new(pipe: Option<R>) -> Drain<R> {
        Drain {
            pipe,
            bytes: Vec::new(),
        }
    }

    /// Ready once the pipe reached its end (or there was none).
    fn poll(&mut self, cx: &mut Context<'_>) -> io::Result<Poll<()>> {
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(Poll::Ready(()));
        };
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match Pin::new(&mut *pipe).poll_read(cx, &mut chunk) {
                Poll::Ready(Ok(0)) => {
                    self.pipe = None;
                    return Ok(Poll::Ready(()));
                }
                Poll::Ready(Ok(n)) => self.bytes.extend_from_slice(&chunk[..n]),
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(err)) => return Err(err),
                Poll::Pending => return Ok(Poll::Pending),
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = self.start_kill();
        }
        match self.try_wait() {
            Ok(Some(_)) => {}
            Err(err) if reap::is_gone(&err) => {}
            // Still running (or `waitpid` failed otherwise: the pid is
            // still ours): reaped in the background.
            Ok(None) | Err(_) => {
                let exit = self.exit.take().expect("the watcher lives until drop");
                adopt(self.pid, exit);
            }
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .field("status", &self.status)
            .field("stdin", &self.stdin.is_some())
            .field("stdout", &self.stdout.is_some())
            .field("stderr", &self.stderr.is_some())
            .finish_non_exhaustive()
    }
}
