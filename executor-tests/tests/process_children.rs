//! Child processes through the public API: many short children leave no
//! zombie and no descriptor behind (through pidfds, and through SIGCHLD),
//! `kill_on_drop` kills and reaps, 100 MB pass through `cat` while being
//! read, outputs and statuses come back, and a missing program says so.
//! The counting tests run in a child process of their own, so other tests'
//! children and descriptors do not count.

#![cfg(unix)]

use bobbin::process::{Child, Command};
use executor_tests::{
    LIMIT, assert_child_passed, is_child, pattern_byte, run_this_test_as_child, runtime,
    wait_until, with_timeout,
};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::io::ErrorKind;
use std::process::Stdio;
use std::time::Duration;

/// Children of this process that are zombies (exited, not reaped).
fn zombies() -> Vec<u32> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces; split after ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
        if state == Some("Z") && ppid == Some(me) {
            found.push(pid);
        }
    }
    found
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn reaped(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Spawns 1000 `true`s, 20 at a time, waiting for most and dropping every
/// tenth unwaited; then checks that no zombie and no descriptor is left.
fn thousand_children() {
    let rt = runtime(2, "children");
    // One child first, so what lives for the whole process (the SIGCHLD
    // path's signal pipe) is open before counting.
    rt.block_on(async { Command::new("true").status().await.unwrap() });
    let before = open_descriptors();
    rt.block_on(async {
        for batch in 0..50 {
            let children: Vec<Child> = (0..20)
                .map(|_| Command::new("true").spawn().expect("true runs"))
                .collect();
            for (i, mut child) in children.into_iter().enumerate() {
                if (batch * 20 + i) % 10 == 0 {
                    drop(child); // an orphan: reaped in the background
                } else {
                    assert!(child.wait().await.unwrap().success());
                }
            }
        }
    });
    wait_until(Duration::from_secs(20), "every orphan reaped", || {
        zombies().is_empty()
    });
    // The orphans' watchers are gone once they reaped.
    wait_until(Duration::from_secs(20), "no descriptor left open", || {
        open_descriptors() <= before
    });
    drop(rt);
    println!("CHILDREN-OK");
}

#[test]
fn a_thousand_short_children_leave_no_zombie_and_no_descriptor() {
    if is_child() {
        thousand_children();
        return;
    }
    let output = run_this_test_as_child(
        "a_thousand_short_children_leave_no_zombie_and_no_descriptor",
        &[],
        LIMIT,
    );
    assert_child_passed(&output, "CHILDREN-OK");
}

#[test]
fn the_same_through_sigchld_where_there_is_no_pidfd() {
    if is_child() {
        thousand_children();
        return;
    }
    let output = run_this_test_as_child(
        "the_same_through_sigchld_where_there_is_no_pidfd",
        &[("BOBBIN_PROCESS_NO_PIDFD", "1")],
        LIMIT,
    );
    assert_child_passed(&output, "CHILDREN-OK");
}

#[test]
fn a_dropped_child_is_killed_with_kill_on_drop_and_reaped_either_way() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "kill-on-drop");
        let (killed, finished) = rt.block_on(async {
            let long = Command::new("sleep")
                .arg("60")
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let killed = long.id().unwrap();
            drop(long);
            let short = Command::new("sleep").arg("0.1").spawn().unwrap();
            let finished = short.id().unwrap();
            drop(short);
            (killed, finished)
        });
        // The reaping tasks run on the runtime, which is still up.
        wait_until(Duration::from_secs(10), "the killed child reaped", || {
            reaped(killed)
        });
        wait_until(Duration::from_secs(10), "the finished child reaped", || {
            reaped(finished)
        });
        drop(rt);
    });
}

#[test]
fn a_child_dropped_after_its_runtime_shut_down_or_off_any_runtime_is_still_reaped() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "reap-after-shutdown");
        let late = rt.block_on(async { Command::new("sleep").arg("0.2").spawn().unwrap() });
        let late_pid = late.id().unwrap();
        drop(rt);
        // Its runtime is gone: the global runtime reaps it.
        drop(late);
        // Spawned and dropped on a plain thread, outside any runtime.
        let plain = Command::new("sleep").arg("0.2").spawn().unwrap();
        let plain_pid = plain.id().unwrap();
        drop(plain);
        wait_until(Duration::from_secs(10), "the late orphan reaped", || {
            reaped(late_pid)
        });
        wait_until(
            Duration::from_secs(10),
            "the plain thread's orphan reaped",
            || reaped(plain_pid),
        );
    });
}

#[test]
fn try_wait_sees_an_exit_before_the_reactor_does_and_wait_outlives_its_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "try-wait");
        let (mut child, status) = rt.block_on(async {
            let mut quick = Command::new("true").spawn().unwrap();
            // Blocks the only thread that could poll for the pidfd.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let status = loop {
                if let Some(status) = quick.try_wait().unwrap() {
                    break status;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "try_wait never saw the exit"
                );
                std::thread::sleep(Duration::from_millis(5));
            };
            assert_eq!(quick.id(), None, "a reaped child has no id");
            (Command::new("sleep").arg("0.1").spawn().unwrap(), status)
        });
        assert!(status.success());
        drop(rt);
        // Its watcher's runtime is gone; another runtime can still wait.
        let other = runtime(1, "try-wait-2");
        let status = other.block_on(async { child.wait().await.unwrap() });
        assert!(status.success());
    });
}

#[test]
fn a_hundred_megabytes_pass_through_cat_while_being_read() {
    with_timeout(LIMIT, || {
        const LEN: usize = 100 << 20;
        let rt = runtime(2, "cat");
        rt.block_on(async {
            let mut cat = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = cat.stdin.take().unwrap();
            let mut stdout = cat.stdout.take().unwrap();
            let writer = bobbin::spawn(async move {
                let mut chunk = vec![0u8; 64 << 10];
                let mut at = 0;
                while at < LEN {
                    for (i, byte) in chunk.iter_mut().enumerate() {
                        *byte = pattern_byte(7, at + i);
                    }
                    stdin.write_all(&chunk).await.unwrap();
                    at += chunk.len();
                }
                // Dropping stdin closes cat's input.
            });
            let mut buf = vec![0u8; 64 << 10];
            let mut at = 0;
            loop {
                let n = stdout.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                for (i, byte) in buf[..n].iter().enumerate() {
                    assert_eq!(*byte, pattern_byte(7, at + i), "byte {}", at + i);
                }
                at += n;
            }
            assert_eq!(at, LEN);
            writer.await.unwrap();
            assert!(cat.wait().await.unwrap().success());
        });
    });
}

#[test]
fn output_and_status_come_back_with_the_child_s_streams_and_code() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "output");
        rt.block_on(async {
            let output = Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 4"])
                .output()
                .await
                .unwrap();
            assert_eq!(output.status.code(), Some(4));
            assert_eq!(output.stdout, b"out\n");
            assert_eq!(output.stderr, b"err\n");

            let mut command = Command::new("sh");
            command.args(["-c", "exit 0"]);
            assert!(command.status().await.unwrap().success());
            // `output` does not leave the command capturing for `spawn`.
            let mut child = command.spawn().unwrap();
            assert!(child.stdout.is_none());
            child.wait().await.unwrap();

            let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
            assert!(sleeper.try_wait().unwrap().is_none());
            sleeper.kill().await.unwrap();
            let status = sleeper.wait().await.unwrap();
            assert!(!status.success(), "killed: {status}");
            sleeper
                .start_kill()
                .expect("killing an exited child is no error");
            assert_eq!(sleeper.id(), None);
        });
    });
}

#[test]
fn a_missing_program_or_one_that_may_not_run_says_so() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "spawn-errors");
        rt.block_on(async {
            let err = Command::new("/no/such/program").spawn().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(err.to_string().contains("/no/such/program"), "{err}");

            let dir = std::env::temp_dir().join(format!("bobbin-noexec-{}", std::process::id()));
            std::fs::write(&dir, b"#!/bin/sh\n").unwrap();
            let err = Command::new(&dir).spawn().unwrap_err();
            std::fs::remove_file(&dir).unwrap();
            assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        });
    });
}
