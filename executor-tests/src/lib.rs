//! Helpers shared by the integration tests in `tests/`: time bounds, drop
//! counters, panic messages, child processes, and small runtime helpers.
//!
//! Every test runs its body under [`with_timeout`], so a hang (a lost
//! wake-up, a deadlock in shutdown) fails that test with a message instead
//! of blocking CI. The helpers, like the tests, reach bobbin through its
//! public API only.

use std::any::Any;
use std::panic;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The default bound for one test: generous, since CI is a noisy 2-core
/// machine running debug builds.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Runs `f` on a thread of its own and returns its result; panics if it has
/// not finished within `limit`, and re-raises its panic if it panicked (so
/// `#[should_panic(expected = ...)]` sees the original message).
///
/// A timed-out body is left running on its thread; the panic fails the test
/// and the harness exits the process when the other tests are done.
pub fn with_timeout<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    with_timeout_report(limit, String::new, f)
}

/// As [`with_timeout`], and on a timeout adds `report()` (say, how far a
/// stress test got) to the failure message.
pub fn with_timeout_report<T: Send + 'static>(
    limit: Duration,
    report: impl Fn() -> String,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let name = thread::current()
        .name()
        .unwrap_or("executor-test")
        .to_owned();
    let (done_tx, done_rx) = mpsc::channel();
    let body = thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let result = panic::catch_unwind(panic::AssertUnwindSafe(f));
            // The receiver is gone only if the test already timed out.
            let _ = done_tx.send(result);
        })
        .expect("cannot start the test body's thread");
    match done_rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            // The body has sent its result: the thread is about to exit.
            let _ = body.join();
            value
        }
        Ok(Err(payload)) => {
            let _ = body.join();
            panic::resume_unwind(payload)
        }
        Err(_) => {
            let report = report();
            let report = if report.is_empty() {
                String::new()
            } else {
                format!(" ({report})")
            };
            panic!(
                "test `{name}` did not finish within {limit:?}{report}: it hangs (a lost wake-up, \
                 a deadlock, or a shutdown that never ends); run it alone with --nocapture to see \
                 where it stops"
            )
        }
    }
}

/// Waits (spinning, then yielding the thread) until `condition` holds;
/// panics with `what` if it does not within `limit`. For states with no
/// event to wait on, such as "the task has finished".
pub fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    let mut turns = 0u32;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "waited {limit:?} for {what}, and it never happened"
        );
        turns = turns.saturating_add(1);
        if turns < 100 {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

/// Counts drops of the [`DropGuard`]s it hands out: put a guard in a
/// future or an output, then check it was dropped exactly once.
#[derive(Clone, Debug, Default)]
pub struct DropCounter {
    made: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

impl DropCounter {
    /// A counter with nothing made yet.
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A new guard; dropping it counts one drop.
    pub fn guard(&self) -> DropGuard {
        self.made.fetch_add(1, SeqCst);
        DropGuard {
            dropped: self.dropped.clone(),
        }
    }

    /// How many guards were made.
    pub fn made(&self) -> usize {
        self.made.load(SeqCst)
    }

    /// How many guards were dropped.
    pub fn dropped(&self) -> usize {
        self.dropped.load(SeqCst)
    }

    /// How many guards are alive.
    pub fn alive(&self) -> usize {
        self.made() - self.dropped()
    }

    /// Waits until every guard made so far is dropped.
    pub fn wait_all_dropped(&self, limit: Duration) {
        wait_until(limit, "every guard to be dropped", || {
            self.dropped() >= self.made()
        });
        assert_eq!(
            self.dropped(),
            self.made(),
            "a guard was dropped more than once"
        );
    }
}

/// Counts one drop on its [`DropCounter`].
#[derive(Debug)]
pub struct DropGuard {
    dropped: Arc<AtomicUsize>,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, SeqCst);
    }
}

/// The message of a panic payload made by `panic!` (a `&str` or a
/// `String`); `"<non-string payload>"` otherwise.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "<non-string payload>".to_owned()
    }
}

/// Runs `f`, which must panic, and returns its panic message.
pub fn panic_message_of<T>(f: impl FnOnce() -> T) -> String {
    match panic::catch_unwind(panic::AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(payload) => panic_message(payload.as_ref()),
    }
}

/// The environment variable that tells a test it runs as a child process of
/// itself (see [`run_this_test_as_child`]).
pub const CHILD_VAR: &str = "EXECUTOR_TESTS_CHILD";

/// True when this process was started by [`run_this_test_as_child`].
pub fn is_child() -> bool {
    std::env::var_os(CHILD_VAR).is_some()
}

/// Re-runs the test binary with only the test `test_name` (its full path
/// inside the binary, e.g. `malformed_env`), with `CHILD_VAR` and `envs`
/// set, and returns its output. Kills the child and panics if it runs past
/// `limit`.
pub fn run_this_test_as_child(test_name: &str, envs: &[(&str, &str)], limit: Duration) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let child = command.spawn().expect("cannot start the test binary again");
    let pid = child.id();
    // `wait_with_output` reads both pipes; a thread lets us bound it.
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => output.expect("cannot read the child's output"),
        Err(_) => {
            // The child is stuck: kill it by pid (the waiting thread owns
            // the `Child`), so it does not outlive the test run.
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("the child process running `{test_name}` did not exit within {limit:?}")
        }
    }
}

/// A runtime with `workers` worker threads named `{name}-{index}`.
pub fn runtime(workers: usize, name: &str) -> bobbin::Runtime {
    bobbin::Runtime::builder()
        .worker_threads(workers)
        .thread_name(name)
        .build()
        .expect("a runtime with a few workers starts")
}

/// Waits for a task from a plain thread (not a bobbin `block_on`), so tests
/// can join tasks of a runtime that is shutting down.
pub fn join<T>(handle: bobbin::JoinHandle<T>) -> Result<T, bobbin::task::JoinError> {
    futures::executor::block_on(handle)
}

/// The current thread's name.
pub fn thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_owned()
}

/// `len` bytes that depend on their position and on `seed`, so a lost,
/// duplicated or reordered chunk shows when the bytes are compared.
pub fn pattern(seed: u32, len: usize) -> Vec<u8> {
    (0..len).map(|i| pattern_byte(seed, i)).collect()
}

/// The byte at `position` of [`pattern`]`(seed, ..)`, for checking a long
/// stream piece by piece without keeping a copy of it.
pub fn pattern_byte(seed: u32, position: usize) -> u8 {
    let mixed = (position as u32 ^ seed.rotate_left(7))
        .wrapping_mul(0x9E37_79B1)
        .wrapping_add(position as u32 >> 12);
    (mixed >> 24) as u8
}

/// The soft limit on open file descriptors of this process, from
/// `/proc/self/limits` (`None` where that file does not exist, or for
/// "unlimited").
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Set in a process that [`reexec_with_open_files_limit`] started, so it
/// does not try again (and loop) if the limit did not take.
const OPEN_FILES_VAR: &str = "EXECUTOR_TESTS_OPEN_FILES";

/// In a child process of [`run_this_test_as_child`]: replaces the process
/// with itself (same arguments and environment, same pid and pipes, so the
/// parent still waits for it) run under `sh -c 'ulimit -n {limit}'`, which
/// sets the soft and hard limits on open descriptors without a `libc`
/// dependency. Returns only if the limit is already `limit`; panics if this
/// process was already re-executed and the limit still differs, or if the
/// shell cannot be started. A `limit` above the hard limit makes the shell
/// fail, and so the child, with the shell's message on stderr.
#[cfg(unix)]
pub fn reexec_with_open_files_limit(limit: u64) {
    use std::os::unix::process::CommandExt;
    assert!(
        is_child(),
        "only a child process may replace itself: the test harness runs other tests in this one"
    );
    let current = open_files_limit();
    if current == Some(limit) {
        return;
    }
    assert!(
        std::env::var_os(OPEN_FILES_VAR).is_none(),
        "re-executed under `ulimit -n {limit}`, but the limit is {current:?}"
    );
    let exe = std::env::current_exe().expect("the test binary's path");
    let err = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(OPEN_FILES_VAR, limit.to_string())
        .exec();
    panic!("cannot re-execute the test binary under `ulimit -n {limit}`: {err}")
}

/// Panics with the child's output unless it exited successfully and printed
/// `marker` (which the child prints at the end of its test body, so a child
/// that ran no test, or the wrong one, does not pass).
pub fn assert_child_passed(output: &Output, marker: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(marker),
        "the child failed ({}) or did not print {marker:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A fresh directory for Unix socket files, unique to this process and
/// `name`; remove it at the end of the test.
pub fn socket_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bobbin-net-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create a directory for socket files");
    dir
}
