//! One test for each bug the review of issue 7 found in the metrics, the
//! task dump and the panic policies.

use bobbin::Runtime;
use bobbin::runtime::{TaskState, UnhandledPanic};
use executor_tests::{LIMIT, panic_message, wait_until, with_timeout};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::time::Duration;

fn runtime(workers: usize) -> Runtime {
    Runtime::builder().worker_threads(workers).build().unwrap()
}

fn shutting_down_on_panic(workers: usize, name: &str) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .thread_name(name)
        .unhandled_panic(UnhandledPanic::ShutdownRuntime)
        .build()
        .unwrap()
}

#[test]
fn a_joined_task_kept_alive_by_an_abort_handle_is_not_listed() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let task = bobbin::task::Builder::new()
            .name("joined")
            .spawn_on(async { 1 }, &rt.handle());
        let abort = task.abort_handle();
        assert_eq!(rt.block_on(task).unwrap(), 1);
        let dump = rt.handle().dump();
        assert!(
            dump.tasks().iter().all(|t| t.name() != Some("joined")),
            "its output was taken: nothing is left to leak\n{dump}"
        );
        drop(abort);
    });
}

#[test]
fn a_task_that_returned_after_a_late_abort_is_completed_not_cancelled() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let (started_tx, started_rx) = mpsc::channel();
        let task = bobbin::task::Builder::new().name("finishes").spawn_on(
            async move {
                started_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(200));
                7
            },
            &rt.handle(),
        );
        started_rx.recv().unwrap();
        task.abort();
        wait_until(LIMIT, "finished", || task.is_finished());
        let state = rt.handle().dump().tasks()[0].state();
        assert_eq!(rt.block_on(task).unwrap(), 7, "the handle gets the output");
        assert_eq!(state, TaskState::Completed);
        // And it counts as a completion.
        wait_until(LIMIT, "the completion is published", || {
            rt.handle().metrics().tasks_completed() == 1
        });
    });
}

#[test]
fn a_panicked_task_is_listed_as_panicked_and_a_cancelled_one_as_cancelled() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let panicked = bobbin::task::Builder::new()
            .name("panicked")
            .spawn_on(async { panic!("kept for its handle") }, &rt.handle());
        let cancelled = bobbin::task::Builder::new()
            .name("cancelled")
            .spawn_on(std::future::pending::<()>(), &rt.handle());
        cancelled.abort();
        wait_until(LIMIT, "both finished", || {
            panicked.is_finished() && cancelled.is_finished()
        });
        let dump = rt.handle().dump();
        let state = |name| {
            dump.tasks()
                .iter()
                .find(|t| t.name() == Some(name))
                .unwrap()
                .state()
        };
        assert_eq!(state("panicked"), TaskState::Panicked);
        assert_eq!(state("cancelled"), TaskState::Cancelled);
        let text = dump.to_string();
        assert!(text.contains("[panicked, not joined, "), "{text}");
        assert!(
            text.contains("(0 idle, 0 scheduled, 0 running, 0 completed, 1 panicked, 1 cancelled)"),
            "{text}"
        );
        assert!(rt.block_on(panicked).unwrap_err().is_panic());
        assert!(rt.block_on(cancelled).unwrap_err().is_cancelled());
    });
}

#[test]
fn count_of_running_counts_every_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (tx, rx) = mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let blockers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                rt.spawn(async move {
                    let _ = rx.lock().unwrap().recv_timeout(Duration::from_secs(20));
                })
            })
            .collect();
        // One holds the lock in recv, the other waits for the lock: both
        // are inside a poll.
        wait_until(LIMIT, "both run", || {
            rt.handle()
                .dump()
                .count(TaskState::Running { worker: None })
                == 2
        });
        drop(tx);
        for blocker in blockers {
            rt.block_on(blocker).unwrap();
        }
    });
}

static POLLS: AtomicU64 = AtomicU64::new(0);
static MAX_GAP: AtomicU64 = AtomicU64::new(0);

/// Counts its polls, and how far the published poll count lags behind.
struct Counted<F>(Pin<Box<F>>);

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let done = POLLS.fetch_add(1, SeqCst);
        let published = bobbin::runtime::Handle::current().metrics().polls();
        MAX_GAP.fetch_max(done.saturating_sub(published), SeqCst);
        self.0.as_mut().poll(cx)
    }
}

#[test]
fn published_polls_lag_by_at_most_what_the_docs_say() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let outer = Counted(Box::pin(async {
            let (tx, rx) = bobbin::channel::bounded::<u32>(0);
            let echo = bobbin::spawn(Counted(Box::pin(async move {
                while rx.recv().await.is_ok() {}
            })));
            for i in 0..5_000 {
                tx.send(i).await.unwrap();
            }
            drop(tx);
            echo.await.unwrap();
        }));
        rt.block_on(rt.spawn(outer)).unwrap();
        let gap = MAX_GAP.load(SeqCst);
        assert!(gap <= 244, "published polls lagged by {gap}");
    });
}

#[test]
fn block_on_re_raises_after_a_blocking_call_inside_it() {
    with_timeout(LIMIT, || {
        let rt = shutting_down_on_panic(1, "review-nested");
        let (tx, rx) = bobbin::channel::bounded::<()>(0);
        drop(rt.spawn(async move {
            let _rx = rx;
            std::future::pending::<()>().await
        }));
        let ended = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                drop(bobbin::spawn(async {
                    bobbin::time::sleep(Duration::from_millis(100)).await;
                    panic!("boom")
                }));
                // Parks this thread until the shutdown closes the channel;
                // the panic's wake for this block_on must survive it.
                assert!(tx.send_blocking(()).is_err());
                std::future::pending::<()>().await
            })
        }));
        assert_eq!(panic_message(&*ended.unwrap_err()), "boom");
    });
}

#[test]
fn block_on_re_raises_when_the_panic_lands_during_its_poll() {
    with_timeout(LIMIT, || {
        let rt = shutting_down_on_panic(2, "review-midpoll");
        let ended = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let mut victim = bobbin::spawn(std::future::pending::<()>());
                drop(bobbin::spawn(async {
                    bobbin::time::sleep(Duration::from_millis(50)).await;
                    panic!("boom")
                }));
                loop {
                    // The panic and the victim's cancellation both happen
                    // while this poll sleeps.
                    std::thread::sleep(Duration::from_millis(200));
                    let noop = std::task::Waker::noop();
                    if let Poll::Ready(result) =
                        Pin::new(&mut victim).poll(&mut Context::from_waker(noop))
                    {
                        return result;
                    }
                    bobbin::task::yield_now().await;
                }
            })
        }));
        assert_eq!(
            panic_message(&*ended.expect_err("block_on re-raises")),
            "boom"
        );
    });
}

/// Voluntary context switches of the thread named `name`, from /proc.
#[cfg(target_os = "linux")]
fn voluntary_switches(name: &str) -> Option<u64> {
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let path = entry.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).ok()?;
        if comm.trim() == name {
            let status = std::fs::read_to_string(path.join("status")).ok()?;
            let line = status
                .lines()
                .find(|l| l.starts_with("voluntary_ctxt_switches"))?;
            return line.split_whitespace().nth(1)?.parse().ok();
        }
    }
    None
}

#[cfg(target_os = "linux")]
#[test]
fn after_a_shutdown_by_panic_the_monitor_stops_sampling() {
    with_timeout(LIMIT, || {
        let rt = shutting_down_on_panic(2, "rv7");
        let ended = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                drop(bobbin::spawn(async { panic!("boom") }));
                std::future::pending::<()>().await
            })
        }));
        assert!(ended.is_err());
        std::thread::sleep(Duration::from_millis(200));
        // Gone (exited) or asleep: either way it no longer wakes every
        // 10 ms.
        let before = voluntary_switches("rv7-monitor");
        std::thread::sleep(Duration::from_secs(1));
        let after = voluntary_switches("rv7-monitor");
        if let (Some(before), Some(after)) = (before, after) {
            assert!(
                after - before < 10,
                "the monitor woke {} times in 1 s",
                after - before
            );
        }
        // And a blocking job is refused, not run.
        let job = rt.spawn_blocking(|| 1);
        assert!(executor_tests::join(job).unwrap_err().is_cancelled());
    });
}

/// A payload whose `Drop` panics (except during an unwind).
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("the payload's Drop panics");
        }
    }
}

#[test]
fn dropping_the_runtime_survives_a_stored_payload_whose_drop_panics() {
    with_timeout(LIMIT, || {
        let rt = shutting_down_on_panic(1, "review-bomb");
        let bystander = rt.spawn(std::future::pending::<()>());
        drop(rt.spawn(async { std::panic::panic_any(Bomb) }));
        wait_until(LIMIT, "the shutdown", || bystander.is_finished());
        drop(bystander);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(rt))).is_ok());
    });
}

#[test]
fn a_callback_may_spawn_dump_and_read_metrics() {
    with_timeout(LIMIT, || {
        let (tx, rx) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        let rt = Runtime::builder()
            .worker_threads(1)
            .unhandled_panic(UnhandledPanic::callback(move |panic| {
                let handle = bobbin::runtime::Handle::current();
                drop(handle.spawn(async {}));
                let listed = handle.dump().tasks().len();
                let alive = handle.metrics().tasks_alive();
                let _ = tx.lock().unwrap().send((panic.to_string(), listed, alive));
            }))
            .build()
            .unwrap();
        drop(rt.spawn(async { panic!("in a task") }));
        let (report, _, _) = rx.recv_timeout(LIMIT).unwrap();
        assert!(report.ends_with("panicked: in a task"));
        // From a plain thread dropping the handle too.
        let task = rt.spawn(async { panic!("dropped later") });
        wait_until(LIMIT, "it panicked", || task.is_finished());
        std::thread::spawn(move || drop(task)).join().unwrap();
        let (report, _, _) = rx.recv_timeout(LIMIT).unwrap();
        assert!(report.ends_with("panicked: dropped later"));
    });
}
