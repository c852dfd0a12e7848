//! The `UnhandledPanic` policies: a panic nobody observes is ignored, shuts
//! the runtime down (and `block_on` re-raises it), or goes to a callback;
//! a panic a JoinHandle observes never reaches the policy.

use bobbin::Runtime;
use bobbin::runtime::{TaskPanic, UnhandledPanic};
use executor_tests::{DropCounter, LIMIT, join, panic_message, wait_until, with_timeout};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

fn runtime_with(policy: UnhandledPanic) -> Runtime {
    Runtime::builder()
        .worker_threads(2)
        .unhandled_panic(policy)
        .build()
        .unwrap()
}

/// A callback policy that sends each panic down a channel.
fn reporting() -> (UnhandledPanic, mpsc::Receiver<TaskPanic>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let policy = UnhandledPanic::callback(move |panic| {
        let _ = tx.lock().unwrap().send(panic);
    });
    (policy, rx)
}

#[test]
fn ignore_is_the_default_and_the_runtime_goes_on() {
    with_timeout(LIMIT, || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        drop(rt.spawn(async { panic!("detached") }));
        std::thread::sleep(Duration::from_millis(50));
        // Still running, and an observed panic still reaches its handle.
        let observed = rt.block_on(rt.spawn(async { panic!("observed") }));
        assert_eq!(
            panic_message(&*observed.unwrap_err().into_panic()),
            "observed"
        );
        assert_eq!(rt.block_on(rt.spawn(async { 3 })).unwrap(), 3);
    });
}

#[test]
fn shutdown_runtime_cancels_every_task_and_block_on_re_raises_the_panic() {
    with_timeout(LIMIT, || {
        let rt = runtime_with(UnhandledPanic::ShutdownRuntime);
        let drops = DropCounter::new();
        let bystanders: Vec<_> = (0..10)
            .map(|_| {
                let guard = drops.guard();
                rt.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                })
            })
            .collect();
        let ended = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                drop(
                    bobbin::task::Builder::new()
                        .name("doomed")
                        .spawn(async { panic!("the first unhandled panic") }),
                );
                bobbin::time::sleep(Duration::from_secs(60)).await;
            })
        }));
        let payload = ended.expect_err("block_on ends by the panic");
        assert_eq!(panic_message(&*payload), "the first unhandled panic");
        // Every other task was cancelled.
        for task in bystanders {
            assert!(join(task).unwrap_err().is_cancelled());
        }
        drops.wait_all_dropped(LIMIT);
        // A later block_on says what happened instead of hanging.
        let later = catch_unwind(AssertUnwindSafe(|| rt.block_on(async {})));
        let message = panic_message(&*later.expect_err("the runtime is shut down"));
        assert!(
            message.contains("unhandled task panic shut down"),
            "{message}"
        );
        assert!(message.contains("\"doomed\""), "{message}");
        assert!(message.contains("the first unhandled panic"), "{message}");
    });
}

#[test]
fn shutdown_runtime_ignores_a_panic_that_a_join_handle_observes() {
    with_timeout(LIMIT, || {
        let rt = runtime_with(UnhandledPanic::ShutdownRuntime);
        let result = rt.block_on(rt.spawn(async { panic!("seen") }));
        assert!(result.unwrap_err().is_panic());
        // The runtime still runs.
        assert_eq!(rt.block_on(rt.spawn(async { 4 })).unwrap(), 4);
    });
}

#[test]
fn shutdown_runtime_fires_when_a_handle_is_dropped_unawaited_after_the_panic() {
    with_timeout(LIMIT, || {
        let rt = runtime_with(UnhandledPanic::ShutdownRuntime);
        let task = rt.spawn(async { panic!("dropped later") });
        executor_tests::wait_until(LIMIT, "the task panicked", || task.is_finished());
        assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5, "not yet");
        let ended = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async move {
                drop(task);
                std::future::pending::<()>().await
            })
        }));
        assert_eq!(panic_message(&*ended.unwrap_err()), "dropped later");
    });
}

#[test]
fn shutdown_runtime_ends_every_block_on_running_at_the_time() {
    with_timeout(LIMIT, || {
        let rt = Arc::new(runtime_with(UnhandledPanic::ShutdownRuntime));
        let (ready_tx, ready_rx) = mpsc::channel();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let rt = rt.clone();
                let ready = ready_tx.clone();
                std::thread::spawn(move || {
                    catch_unwind(AssertUnwindSafe(|| {
                        rt.block_on(async move {
                            ready.send(()).unwrap();
                            std::future::pending::<()>().await
                        })
                    }))
                    .map_err(|payload| panic_message(&*payload))
                })
            })
            .collect();
        for _ in 0..3 {
            ready_rx.recv().unwrap();
        }
        drop(rt.spawn(async { panic!("boom") }));
        let messages: Vec<String> = waiters
            .into_iter()
            .map(|waiter| waiter.join().unwrap().unwrap_err())
            .collect();
        // One gets the payload itself, the others a message naming it.
        assert_eq!(
            messages.iter().filter(|m| *m == "boom").count(),
            1,
            "{messages:?}"
        );
        for message in messages.iter().filter(|m| *m != "boom") {
            assert!(message.contains("panicked: boom"), "{message}");
        }
    });
}

#[test]
fn a_callback_gets_the_task_and_the_payload_of_tasks_and_blocking_jobs() {
    with_timeout(LIMIT, || {
        let (policy, reports) = reporting();
        let rt = runtime_with(policy);
        let line = line!() + 4;
        let id = {
            let task = bobbin::task::Builder::new()
                .name("worker-task")
                .spawn_on(async { std::panic::panic_any(42u32) }, &rt.handle());
            task.id()
        };
        let panic = reports.recv_timeout(LIMIT).unwrap();
        assert_eq!(panic.id(), id);
        assert_eq!(panic.name(), Some("worker-task"));
        assert_eq!(panic.location().line(), line);
        assert_eq!(panic.message(), None);
        assert_eq!(panic.into_payload().downcast_ref::<u32>(), Some(&42));
        // A detached blocking job's panic too.
        drop(rt.spawn_blocking(|| panic!("in a blocking job")));
        let panic = reports.recv_timeout(LIMIT).unwrap();
        assert_eq!(panic.message(), Some("in a blocking job"));
        assert!(panic.to_string().ends_with("panicked: in a blocking job"));
        // Observed panics never reach it.
        assert!(rt.block_on(rt.spawn(async { panic!("seen") })).is_err());
        std::thread::sleep(Duration::from_millis(50));
        assert!(reports.try_recv().is_err());
    });
}

#[test]
fn a_panicking_callback_is_contained() {
    with_timeout(LIMIT, || {
        let calls = Arc::new(Mutex::new(0));
        let counted = calls.clone();
        let rt = runtime_with(UnhandledPanic::callback(move |_| {
            *counted.lock().unwrap() += 1;
            panic!("the callback itself panics");
        }));
        for _ in 0..3 {
            drop(rt.spawn(async { panic!("detached") }));
        }
        executor_tests::wait_until(LIMIT, "three callbacks", || *calls.lock().unwrap() == 3);
        assert_eq!(rt.block_on(rt.spawn(async { 6 })).unwrap(), 6);
    });
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

/// A payload whose `Drop` panics (except during an unwind).
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("the payload's Drop panics");
        }
    }
}
