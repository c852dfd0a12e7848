//! `Handle::dump` against scripted workloads: each task shows with its
//! name, spawn location, state, polls and times, and the dump never waits
//! for a task stuck in a poll.

use bobbin::Runtime;
use bobbin::runtime::{TaskDump, TaskSnapshot, TaskState};
use executor_tests::{LIMIT, runtime, wait_until, with_timeout};
use std::sync::{Arc, mpsc};
use std::time::Duration;

fn find<'a>(dump: &'a TaskDump, name: &str) -> &'a TaskSnapshot {
    dump.tasks()
        .iter()
        .find(|task| task.name() == Some(name))
        .unwrap_or_else(|| panic!("no task {name:?} in the dump:\n{dump}"))
}

/// A runtime whose monitor will not rescue a stuck worker's queue during
/// a test (so "scheduled" stays scheduled).
fn patient_runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .long_poll_threshold(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn a_named_idle_task_shows_its_location_state_polls_and_age() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "dump-idle");
        let (tx, rx) = bobbin::channel::bounded::<u32>(1);
        let line = line!() + 3;
        let task = bobbin::task::Builder::new()
            .name("conn-7")
            .spawn_on(async move { rx.recv().await }, &rt.handle());
        std::thread::sleep(Duration::from_millis(300));
        let dump = rt.handle().dump();
        let snapshot = find(&dump, "conn-7");
        assert_eq!(snapshot.state(), TaskState::Idle);
        assert_eq!(snapshot.polls(), 1);
        assert!(snapshot.location().file().ends_with("observe_dump.rs"));
        assert_eq!(snapshot.location().line(), line);
        assert!(snapshot.age() >= Duration::from_millis(200), "{snapshot}");
        assert!(snapshot.since_last_poll() >= Duration::from_millis(200));
        assert_eq!(snapshot.poll_duration(), None);
        let text = dump.to_string();
        let head = format!("task {} \"conn-7\" [idle, ", snapshot.id());
        assert!(text.contains(&head), "{text}");
        let place = format!("spawned at {}:{line}:", snapshot.location().file());
        assert!(text.contains(&place), "{text}");
        assert!(text.contains("1 poll, age "), "{text}");
        // Woken and run again: two polls, and it completes.
        tx.try_send(7).unwrap();
        assert_eq!(rt.block_on(task).unwrap(), Ok(7));
        // Freed once the worker that completed it lets go too.
        wait_until(LIMIT, "the joined task is freed", || {
            rt.handle().dump().tasks().is_empty()
        });
    });
}

#[test]
fn a_task_stuck_in_a_poll_shows_as_running_and_the_dump_does_not_wait() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "dump-stuck");
        let stuck = bobbin::task::Builder::new().name("stuck").spawn_on(
            async { std::thread::sleep(Duration::from_millis(600)) },
            &rt.handle(),
        );
        wait_until(LIMIT, "the poll began", || {
            rt.handle()
                .dump()
                .tasks()
                .iter()
                .any(|t| t.poll_duration().is_some())
        });
        std::thread::sleep(Duration::from_millis(100));
        let first = rt.handle().dump();
        std::thread::sleep(Duration::from_millis(150));
        let second = rt.handle().dump();
        // Both dumps were taken while the poll went on: they did not wait.
        assert!(!stuck.is_finished(), "the poll lasts 600 ms");
        let (a, b) = (find(&first, "stuck"), find(&second, "stuck"));
        for snapshot in [a, b] {
            let TaskState::Running {
                worker: Some(worker),
            } = snapshot.state()
            else {
                panic!("not running on a worker: {snapshot}");
            };
            assert!(worker < 2);
            assert_eq!(snapshot.polls(), 1);
        }
        let (pa, pb) = (a.poll_duration().unwrap(), b.poll_duration().unwrap());
        assert!(pa >= Duration::from_millis(50), "{a}");
        assert!(pb > pa, "the poll time grows: {pa:?} then {pb:?}");
        let text = second.to_string();
        assert!(text.contains("\"stuck\" [running on worker "), "{text}");
        assert!(text.contains(", in a poll for "), "{text}");
        rt.block_on(stuck).unwrap();
    });
}

#[test]
fn a_task_queued_behind_a_blocked_worker_shows_as_scheduled() {
    with_timeout(LIMIT, || {
        let rt = patient_runtime(1);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = std::sync::Mutex::new(rx);
        let blocker = rt.spawn(async move {
            let _ = rx.lock().unwrap().recv();
        });
        wait_until(LIMIT, "the blocker runs", || {
            rt.handle()
                .dump()
                .tasks()
                .iter()
                .any(|t| t.poll_duration().is_some())
        });
        let queued = bobbin::task::Builder::new()
            .name("queued")
            .spawn_on(async {}, &rt.handle());
        let dump = rt.handle().dump();
        let snapshot = find(&dump, "queued");
        assert_eq!(snapshot.state(), TaskState::Scheduled);
        assert_eq!(snapshot.polls(), 0);
        assert!(dump.to_string().contains("\"queued\" [scheduled, "));
        tx.send(()).unwrap();
        rt.block_on(blocker).unwrap();
        rt.block_on(queued).unwrap();
    });
}

#[test]
fn completed_and_cancelled_tasks_stay_listed_until_their_handle_goes() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "dump-done");
        let done = bobbin::task::Builder::new()
            .name("done")
            .spawn_on(async { 1 }, &rt.handle());
        let aborted = bobbin::task::Builder::new()
            .name("aborted")
            .spawn_on(std::future::pending::<()>(), &rt.handle());
        aborted.abort();
        wait_until(LIMIT, "both finished", || {
            done.is_finished() && aborted.is_finished()
        });
        let dump = rt.handle().dump();
        assert_eq!(find(&dump, "done").state(), TaskState::Completed);
        assert_eq!(find(&dump, "aborted").state(), TaskState::Cancelled);
        let text = dump.to_string();
        assert!(text.contains("[completed, not joined, "), "{text}");
        assert!(text.contains("\"aborted\" [cancelled, "), "{text}");
        // Completed before cancelled in the listing.
        assert!(text.find("\"done\"").unwrap() < text.find("\"aborted\"").unwrap());
        drop((done, aborted));
        wait_until(LIMIT, "both are freed", || {
            rt.handle().dump().tasks().is_empty()
        });
    });
}

#[test]
fn the_longest_idle_task_comes_first() {
    with_timeout(LIMIT, || {
        let rt = patient_runtime(2);
        let handle = rt.handle();
        let spawn_idle = |name: &str| {
            bobbin::task::Builder::new()
                .name(name)
                .spawn_on(std::future::pending::<()>(), &handle)
        };
        let old = spawn_idle("old");
        std::thread::sleep(Duration::from_millis(200));
        let young = spawn_idle("young");
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = std::sync::Mutex::new(rx);
        let busy = bobbin::task::Builder::new().name("busy").spawn_on(
            async move {
                let _ = rx.lock().unwrap().recv();
            },
            &handle,
        );
        std::thread::sleep(Duration::from_millis(100));
        let dump = handle.dump();
        let names: Vec<_> = dump.tasks().iter().map(|t| t.name().unwrap()).collect();
        assert_eq!(names, ["old", "young", "busy"], "{dump}");
        assert_eq!(dump.count(TaskState::Idle), 2);
        let text = dump.to_string();
        assert!(
            text.starts_with("bobbin task dump: 3 tasks (2 idle, 0 scheduled, 1 running, "),
            "{text}"
        );
        tx.send(()).unwrap();
        rt.block_on(busy).unwrap();
        drop((old, young));
    });
}

#[test]
fn a_task_can_dump_its_own_runtime_and_sees_itself_running() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "dump-inside");
        let dump = rt
            .block_on(bobbin::task::Builder::new().name("self").spawn_on(
                async { bobbin::runtime::Handle::current().dump() },
                &rt.handle(),
            ))
            .unwrap();
        let me = find(&dump, "self");
        assert!(
            matches!(me.state(), TaskState::Running { worker: Some(_) }),
            "{me}"
        );
    });
}

#[test]
fn a_blocking_job_shows_as_such() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "dump-blocking");
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let job = bobbin::task::Builder::new()
            .name("reader")
            .spawn_blocking_on(move || rx.recv(), &rt.handle());
        wait_until(LIMIT, "the job runs", || {
            rt.handle()
                .dump()
                .tasks()
                .iter()
                .any(|t| t.poll_duration().is_some())
        });
        let dump = rt.handle().dump();
        let snapshot = find(&dump, "reader");
        assert!(snapshot.is_blocking());
        assert_eq!(snapshot.state(), TaskState::Running { worker: None });
        assert!(
            dump.to_string()
                .contains("\"reader\" [blocking job running, for ")
        );
        tx.send(()).unwrap();
        rt.block_on(job).unwrap().unwrap();
    });
}

#[test]
fn dumps_taken_while_tasks_come_and_go_stay_consistent() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "dump-churn");
        let handle = rt.handle();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let dumper_stop = stop.clone();
        let dumper = std::thread::spawn(move || {
            let mut dumps = 0;
            while !dumper_stop.load(std::sync::atomic::Ordering::Relaxed) {
                let dump = handle.dump();
                let ids: std::collections::HashSet<_> =
                    dump.tasks().iter().map(TaskSnapshot::id).collect();
                assert_eq!(ids.len(), dump.tasks().len(), "a task listed twice");
                let _ = dump.to_string();
                dumps += 1;
            }
            dumps
        });
        rt.block_on(async {
            for _ in 0..50 {
                let tasks: Vec<_> = (0..200)
                    .map(|i| {
                        bobbin::spawn(async move {
                            if i % 3 == 0 {
                                bobbin::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
            }
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(dumper.join().unwrap() > 0);
    });
}

#[test]
fn a_joined_task_kept_alive_by_an_abort_handle_is_not_listed() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "observe");
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
        let rt = runtime(1, "observe");
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
        let rt = runtime(1, "observe");
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
        let rt = runtime(2, "observe");
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
