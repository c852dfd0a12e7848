//! `#[bobbin::test]` and `#[bobbin::main]` used as a user would.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

#[bobbin::test]
async fn a_test_runs_on_a_runtime_of_its_own() {
    let handle = bobbin::runtime::Handle::current();
    assert_eq!(handle.metrics().num_workers(), 2, "two workers by default");
    assert_eq!(bobbin::spawn(async { 1 + 1 }).await.unwrap(), 2);
    // Named after the test.
    let name = bobbin::spawn(async { std::thread::current().name().unwrap().to_owned() })
        .await
        .unwrap();
    assert!(
        name.starts_with("a_test_runs_on_a_runtime_of_its_own-worker"),
        "{name}"
    );
}

#[bobbin::test(worker_threads = 3)]
async fn worker_threads_sets_the_count() {
    let workers = bobbin::runtime::Handle::current().metrics().num_workers();
    assert_eq!(workers, 3);
}

#[bobbin::test(timeout_ms = 5_000)]
async fn a_test_may_return_a_result() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "12".parse()?;
    bobbin::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(n, 12);
    Ok(())
}

#[bobbin::test(timeout_ms = 100)]
#[should_panic(expected = "did not finish within 100 ms")]
async fn a_hung_test_fails_at_its_timeout() {
    std::future::pending::<()>().await;
}

#[bobbin::test(timeout_ms = 200)]
#[should_panic(expected = "did not finish within 200 ms")]
async fn a_test_stuck_behind_a_blocked_worker_fails_too() {
    // The worker never returns from this poll: the runtime's shutdown must
    // not wait for it, or the test would hang after its timeout.
    bobbin::spawn(async { std::thread::sleep(Duration::from_secs(30)) })
        .await
        .unwrap();
}

#[bobbin::test(timeout_ms = 200)]
#[should_panic(expected = "did not finish within 200 ms")]
async fn a_test_stuck_on_a_blocking_job_fails_too() {
    bobbin::spawn_blocking(|| std::thread::sleep(Duration::from_secs(30)))
        .await
        .unwrap();
}

#[bobbin::test(timeout_ms = 2_000)]
#[should_panic(expected = "could not shut down within 2000 ms")]
async fn a_test_that_leaves_a_stuck_job_behind_fails() {
    let (started, has_started) = bobbin::channel::oneshot();
    drop(bobbin::spawn_blocking(move || {
        let _ = started.send(());
        std::thread::sleep(Duration::from_secs(30))
    }));
    // Running, not just queued (a queued job is dropped by the shutdown).
    has_started.await.unwrap();
}

#[bobbin::test]
#[should_panic(expected = "boom")]
async fn a_panic_in_the_body_fails_the_test() {
    panic!("boom");
}

/// Counts the drops of the futures left running by the test below.
static LEFT_RUNNING_DROPPED: AtomicUsize = AtomicUsize::new(0);

struct CountDrop;

impl Drop for CountDrop {
    fn drop(&mut self) {
        LEFT_RUNNING_DROPPED.fetch_add(1, SeqCst);
    }
}

#[bobbin::test]
async fn leaves_a_task_running() {
    // The runtime is dropped at the end of the test, which cancels this
    // task: nothing leaks into the next test.
    let guard = CountDrop;
    drop(bobbin::spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    }));
}

#[test]
fn tasks_left_running_are_cancelled_when_the_test_ends() {
    let before = LEFT_RUNNING_DROPPED.load(SeqCst);
    // A #[bobbin::test] is still a plain function: call it.
    leaves_a_task_running();
    assert!(LEFT_RUNNING_DROPPED.load(SeqCst) > before);
}

mod main_attribute {
    // `main` as any function name would be rejected; the attribute is
    // checked here on a module-level `main`, called like the real one.
    #[bobbin::main(worker_threads = 2)]
    pub async fn main() -> u32 {
        let handle = bobbin::runtime::Handle::current();
        assert_eq!(handle.metrics().num_workers(), 2);
        bobbin::spawn(async { 7 }).await.unwrap()
    }
}

mod global_main {
    #[bobbin::main(global)]
    pub async fn main() -> &'static str {
        let name = bobbin::spawn(async { std::thread::current().name().unwrap().to_owned() })
            .await
            .unwrap();
        assert!(name.starts_with("bobbin-global"), "{name}");
        "done"
    }
}

#[test]
fn main_runs_its_body_to_the_end() {
    assert_eq!(main_attribute::main(), 7);
    assert_eq!(global_main::main(), "done");
}

#[test]
fn compile_errors_point_at_the_mistake() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

/// bobbin under another path, as for a renamed dependency.
mod renamed {
    pub use ::bobbin as inner;
}

#[bobbin::test(crate = "crate::renamed::inner", worker_threads = 1)]
async fn crate_names_a_renamed_bobbin() {
    let workers = renamed::inner::runtime::Handle::current()
        .metrics()
        .num_workers();
    assert_eq!(workers, 1);
}
