//! Child processes: [`Command`] mirrors `std::process::Command`, and the
//! [`Child`] it spawns is waited for, killed and talked to without blocking
//! a worker.
//!
//! What lives here: `child.rs` is [`Child`] (wait, try_wait, kill, the
//! output, and what a drop does), `pipe.rs` the child's standard streams
//! as non-blocking pipes on the reactor, `reap.rs` how an exit is noticed
//! (a pidfd on Linux, SIGCHLD elsewhere) and how children nobody waits for
//! are reaped, and `sys.rs` the few system calls std does not wrap (the
//! module's only `unsafe`).
//!
//! Setting `BOBBIN_PROCESS_NO_PIDFD` in the environment makes a program
//! watch its children through SIGCHLD even where pidfds exist (the tests
//! use it to cover that path).
//!
//! Spawning itself is std's (`fork`/`exec` or `posix_spawn`), done on the
//! calling thread, as tokio does: it takes tens of microseconds.
//!
//! Tested by the unit tests in `child.rs` and by
//! `executor-tests/tests/process_*.rs`.

#![deny(unsafe_code)]

mod child;
mod pipe;
mod reap;
#[allow(
    unsafe_code,
    reason = "pidfd_open, fcntl, waitpid and kill have no safe std wrapper; see sys.rs"
)]
mod sys;

pub use child::Child;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};
pub use std::process::{ExitStatus, Output, Stdio};

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;

/// A process to spawn: std's `Command` with async waiting, non-blocking
/// pipes and [`kill_on_drop`](Command::kill_on_drop).
///
/// # Examples
/// ```
/// use bobbin::process::Command;
/// # bobbin::block_on(async {
/// let output = Command::new("sh")
///     .arg("-c")
///     .arg("echo $GREETING")
///     .env("GREETING", "hello")
///     .output()
///     .await
///     .unwrap();
/// assert!(output.status.success());
/// assert_eq!(output.stdout, b"hello\n");
/// # });
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    /// Which of stdin, stdout and stderr were set (`output` captures the
    /// others, as std's does).
    set: [bool; 3],
}

impl Command {
    /// A command running `program` (looked up in `PATH` if it has no
    /// slash), with the parent's environment, working directory and
    /// standard streams.
    ///
    /// # Examples
    /// ```
    /// let command = bobbin::process::Command::new("ls");
    /// assert_eq!(command.as_std().get_program(), "ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        std::process::Command::new(program).into()
    }

    /// Adds an argument.
    ///
    /// # Examples
    /// ```
    /// let mut command = bobbin::process::Command::new("ls");
    /// command.arg("-l");
    /// assert_eq!(command.as_std().get_args().collect::<Vec<_>>(), ["-l"]);
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    /// ```
    /// let mut command = bobbin::process::Command::new("ls");
    /// command.args(["-l", "-a"]);
    /// assert_eq!(command.as_std().get_args().count(), 2);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// # Examples
    /// See [`Command`].
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets environment variables for the child.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let out = Command::new("sh").args(["-c", "echo $A$B"]).envs([("A", "1"), ("B", "2")])
    ///     .output().await.unwrap();
    /// assert_eq!(out.stdout, b"12\n");
    /// # });
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let out = Command::new("sh").args(["-c", "echo ${HOME:-none}"]).env_remove("HOME")
    ///     .output().await.unwrap();
    /// assert_eq!(out.stdout, b"none\n");
    /// # });
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what
    /// [`env`](Command::env) adds afterwards).
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let out = Command::new("/usr/bin/env").env_clear().env("ONLY", "me").output().await.unwrap();
    /// assert_eq!(out.stdout, b"ONLY=me\n");
    /// # });
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let out = Command::new("pwd").current_dir("/").output().await.unwrap();
    /// assert_eq!(out.stdout, b"/\n");
    /// # });
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's stdin: inherited by default; `Stdio::piped()` gives a
    /// [`ChildStdin`] on the [`Child`].
    ///
    /// # Examples
    /// See [`ChildStdin`].
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.set[0] = true;
        self
    }

    /// The child's stdout: inherited by default; `Stdio::piped()` gives a
    /// [`ChildStdout`] on the [`Child`].
    ///
    /// # Examples
    /// See [`ChildStdout`].
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.set[1] = true;
        self
    }

    /// The child's stderr: inherited by default; `Stdio::piped()` gives a
    /// [`ChildStderr`] on the [`Child`].
    ///
    /// # Examples
    /// See [`ChildStderr`].
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.set[2] = true;
        self
    }

    /// Whether dropping the [`Child`] while its process runs kills it
    /// (SIGKILL). Off by default: the process runs on, and is reaped in
    /// the background when it ends, either way.
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// let child = Command::new("sleep").arg("60").kill_on_drop(true).spawn().unwrap();
    /// drop(child); // the sleep is killed and reaped
    /// # });
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// std's command, for what this type does not mirror (`uid`, `gid`,
    /// `process_group`, `pre_exec`... through std's `CommandExt`).
    ///
    /// Set the standard streams through [`stdin`](Command::stdin),
    /// [`stdout`](Command::stdout) and [`stderr`](Command::stderr), not
    /// here: std has no way to read them back, so [`output`](Command::output)
    /// and [`status`](Command::status) would not know of a stream set here
    /// and would choose their own for it.
    ///
    /// # Examples
    /// ```
    /// use std::os::unix::process::CommandExt;
    /// let mut command = bobbin::process::Command::new("true");
    /// command.as_std_mut().process_group(0);
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// std's command, to inspect it.
    ///
    /// # Examples
    /// See [`Command::new`].
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// Starts the process.
    ///
    /// # Errors
    /// std's error, with the program's name added: `NotFound` for a
    /// program that is not there, `PermissionDenied` for one that may not
    /// be run; or an error if its pipes or exit cannot be registered with
    /// the reactor (out of file descriptors).
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// let err = Command::new("no-such-program-here").spawn().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// assert!(err.to_string().contains("no-such-program-here"));
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        reap::reap_orphans();
        let child = self.std.spawn().map_err(|err| {
            let program = self.std.get_program().to_string_lossy();
            // A missing working directory also says ENOENT: name it, so
            // the message does not blame the program.
            let dir = match self.std.get_current_dir() {
                Some(dir) if err.kind() == io::ErrorKind::NotFound && !dir.is_dir() => {
                    format!(" (its working directory {} does not exist)", dir.display())
                }
                _ => String::new(),
            };
            io::Error::new(err.kind(), format!("could not run {program:?}{dir}: {err}"))
        })?;
        Child::new(child, self.kill_on_drop)
    }

    /// Runs the process to its end and returns its exit status. The
    /// standard streams are inherited unless set.
    ///
    /// # Errors
    /// As for [`spawn`](Command::spawn) and [`Child::wait`].
    ///
    /// # Examples
    /// ```
    /// use bobbin::process::Command;
    /// # bobbin::block_on(async {
    /// assert!(Command::new("true").status().await.unwrap().success());
    /// assert_eq!(Command::new("false").status().await.unwrap().code(), Some(1));
    /// # });
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        child.wait().await
    }

    /// Runs the process to its end and collects its stdout and stderr.
    /// As std's: stdout and stderr are captured and stdin reads nothing,
    /// unless they were set.
    ///
    /// # Errors
    /// As for [`spawn`](Command::spawn) and [`Child::wait_with_output`].
    ///
    /// # Examples
    /// See [`Command`].
    pub async fn output(&mut self) -> io::Result<Output> {
        let [stdin, stdout, stderr] = self.set;
        if !stdin {
            self.std.stdin(Stdio::null());
        }
        if !stdout {
            self.std.stdout(Stdio::piped());
        }
        if !stderr {
            self.std.stderr(Stdio::piped());
        }
        let child = self.spawn();
        // Back to inherited for a later `spawn` or `status`, as std leaves
        // its command.
        for (was_set, reset) in [
            (
                stdin,
                std::process::Command::stdin as fn(&mut _, Stdio) -> &mut _,
            ),
            (stdout, std::process::Command::stdout),
            (stderr, std::process::Command::stderr),
        ] {
            if !was_set {
                reset(&mut self.std, Stdio::inherit());
            }
        }
        child?.wait_with_output().await
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            set: [false; 3],
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}
