//! Helpers shared by the integration tests in `tests/`: time bounds, drop
//! counters, panic messages, child processes, and small runtime helpers.
//!
//! Every test runs its body under [`with_timeout`], so a hang (a lost
//! wake-up, a deadlock in shutdown) fails that test with a message instead
//! of blocking CI. The helpers, like the tests, reach bobbin through its
//! public API only.

use std::any::Any;
use std::future::Future;
use std::panic;
use std::pin::Pin;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
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

/// A waker that wakes nothing and counts how often it is woken: poll a
/// future with it by hand (`Context::from_waker`) to see whether, and how
/// often, the future's event source wakes it.
pub fn counting_waker() -> (Waker, Arc<AtomicUsize>) {
    struct Count(Arc<AtomicUsize>);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    (Waker::from(Arc::new(Count(count.clone()))), count)
}

/// Records, in order, the wakes of the futures wrapped with
/// [`WakeLog::wrap`]: which one was woken, and when. The order is the order
/// in which the event source called `wake` (for timers, the order in which
/// the driver fired them), whatever order the tasks then ran in.
#[derive(Clone, Debug, Default)]
pub struct WakeLog {
    wakes: Arc<Mutex<Vec<(usize, Instant)>>>,
}

impl WakeLog {
    /// An empty log.
    pub fn new() -> WakeLog {
        WakeLog::default()
    }

    /// `future`, polled with a waker that records `id` here before it wakes
    /// the task.
    pub fn wrap<F: Future>(&self, id: usize, future: F) -> Logged<F> {
        Logged {
            future: Box::pin(future),
            id,
            log: self.clone(),
            wakers: None,
        }
    }

    /// The wakes so far: `(id, when)`, in the order they happened.
    pub fn wakes(&self) -> Vec<(usize, Instant)> {
        self.wakes.lock().unwrap().clone()
    }
}

/// A future whose wakes are recorded in a [`WakeLog`].
pub struct Logged<F> {
    future: Pin<Box<F>>,
    id: usize,
    log: WakeLog,
    /// The task's waker, and the logging waker made around it.
    wakers: Option<(Waker, Waker)>,
}

struct LoggingWaker {
    id: usize,
    log: WakeLog,
    task: Waker,
}

impl Wake for LoggingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.log
            .wakes
            .lock()
            .unwrap()
            .push((self.id, Instant::now()));
        self.task.wake_by_ref();
    }
}

impl<F: Future> Future for Logged<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if !matches!(&this.wakers, Some((task, _)) if task.will_wake(cx.waker())) {
            let logging = Waker::from(Arc::new(LoggingWaker {
                id: this.id,
                log: this.log.clone(),
                task: cx.waker().clone(),
            }));
            this.wakers = Some((cx.waker().clone(), logging));
        }
        let (_, logging) = this.wakers.as_ref().expect("set just above");
        this.future.as_mut().poll(&mut Context::from_waker(logging))
    }
}

/// Checks a [`WakeLog`] of sleeps against their deadlines (`deadline(id)`):
/// each id woken at most once, never before its deadline, and in deadline
/// order, except that deadlines less than a millisecond apart (the timer's
/// resolution: the same tick) may come in either order.
pub fn assert_woken_in_deadline_order(
    wakes: &[(usize, Instant)],
    deadline: impl Fn(usize) -> Instant,
) {
    let resolution = Duration::from_millis(1);
    let mut seen = std::collections::HashSet::new();
    // The latest deadline woken so far, and whose it was.
    let mut latest: Option<(usize, Instant)> = None;
    for (position, &(id, at)) in wakes.iter().enumerate() {
        assert!(seen.insert(id), "sleep {id} was woken twice");
        let due = deadline(id);
        assert!(
            at >= due,
            "sleep {id} was woken {:?} before its deadline",
            due - at
        );
        if let Some((before, latest_due)) = latest {
            assert!(
                due + resolution > latest_due,
                "wake {position}: sleep {id} was woken after sleep {before}, whose deadline is \
                 {:?} later than its own (more than the timer's resolution)",
                latest_due - due
            );
        }
        if latest.is_none_or(|(_, latest_due)| due > latest_due) {
            latest = Some((id, due));
        }
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

/// Polls `future` once with `waker`.
pub fn poll_once<F: Future + ?Sized>(
    future: std::pin::Pin<&mut F>,
    waker: &Waker,
) -> std::task::Poll<F::Output> {
    future.poll(&mut std::task::Context::from_waker(waker))
}

/// Whether `$ty` implements the bounds, as a `const bool` (autoref
/// specialization on a probe type: an inherent constant where the bounds
/// hold, a trait's default otherwise).
#[macro_export]
macro_rules! implements {
    ($ty:ty: $($bound:tt)+) => {{
        struct Probe<T: ?Sized>(std::marker::PhantomData<T>);
        trait DoesNot {
            const IMPLS: bool = false;
        }
        impl<T: ?Sized> DoesNot for Probe<T> {}
        impl<T: ?Sized + $($bound)+> Probe<T> {
            const IMPLS: bool = true;
        }
        <Probe<$ty>>::IMPLS
    }};
}

/// Pins `T: Send + Sync + Unpin` at compile time (each `!` marks a trait
/// it must lack).
#[macro_export]
macro_rules! assert_auto_traits {
    ($ty:ty: Send, Sync, Unpin) => {
        const _: () = assert!(
    $crate::implements!($ty: Send)
        && $crate::implements!($ty: Sync)
        && $crate::implements!($ty: Unpin)
        );
    };
    ($ty:ty: Send, !Sync, Unpin) => {
        const _: () = assert!(
    $crate::implements!($ty: Send)
        && !$crate::implements!($ty: Sync)
        && $crate::implements!($ty: Unpin)
        );
    };
    ($ty:ty: !Send, !Sync, Unpin) => {
        const _: () = assert!(
    !$crate::implements!($ty: Send)
        && !$crate::implements!($ty: Sync)
        && $crate::implements!($ty: Unpin)
        );
    };
}

/// The server end of a loopback TCP connection that its peer has reset:
/// the client closed with data unread, and the server read the reset.
pub async fn reset_connection() -> bobbin::net::TcpStream {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = bobbin::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    server.write_all(b"never read").await.unwrap();
    // Closing a socket with unread data resets the connection.
    let mut first = [0u8; 1];
    client.peek(&mut first).await.unwrap();
    drop(client);
    let mut rest = [0u8; 16];
    loop {
        match server.read(&mut rest).await {
            Ok(0) => panic!("expected a reset, got the end of the stream"),
            Ok(_) => continue,
            Err(err) => {
                assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
                return server;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_order_allows_ties_within_a_millisecond_only() {
        let base = Instant::now();
        let deadline = |id: usize| base + Duration::from_micros(id as u64 * 400);
        let late = base + Duration::from_secs(1);
        // 0.4 ms apart: either order.
        assert_woken_in_deadline_order(&[(0, late), (2, late), (1, late), (3, late)], deadline);
        // 1.2 ms apart: out of order.
        let message =
            panic_message_of(|| assert_woken_in_deadline_order(&[(3, late), (0, late)], deadline));
        assert!(
            message.contains("sleep 0 was woken after sleep 3"),
            "{message}"
        );
        let message = panic_message_of(|| assert_woken_in_deadline_order(&[(3, base)], deadline));
        assert!(message.contains("before its deadline"), "{message}");
        let message =
            panic_message_of(|| assert_woken_in_deadline_order(&[(1, late), (1, late)], deadline));
        assert!(message.contains("woken twice"), "{message}");
    }
}
