//! Signals through the public API, each test in a child process of its own
//! (a handler, once installed, stays for the process): every kind reaches
//! two listeners, Ctrl-C ends `ctrl_c()`, a delivery before the first poll
//! is kept, and signals that cannot be listened for say which.

#![cfg(unix)]

use bobbin::signal::unix::{SignalKind, signal};
use executor_tests::{LIMIT, assert_child_passed, is_child, run_this_test_as_child, runtime};
use futures::StreamExt;
use std::time::Duration;

/// Sends `name` (as `kill -s` spells it) to this process.
fn raise(name: &str) {
    let status = std::process::Command::new("kill")
        .args(["-s", name, &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -s {name} failed");
}

/// Runs `body` in a child process of this test (`name` is the test's).
fn in_child(name: &str, marker: &str, body: impl FnOnce()) {
    if is_child() {
        body();
        println!("{marker}");
        return;
    }
    let output = run_this_test_as_child(name, &[], LIMIT);
    assert_child_passed(&output, marker);
}

#[test]
fn every_kind_reaches_each_of_two_listeners() {
    in_child(
        "every_kind_reaches_each_of_two_listeners",
        "KINDS-OK",
        || {
            let rt = runtime(2, "signals");
            rt.block_on(async {
                for (kind, name) in [
                    (SignalKind::interrupt(), "INT"),
                    (SignalKind::terminate(), "TERM"),
                    (SignalKind::hangup(), "HUP"),
                    (SignalKind::quit(), "QUIT"),
                    (SignalKind::user_defined1(), "USR1"),
                    (SignalKind::user_defined2(), "USR2"),
                    (SignalKind::child(), "CHLD"),
                    (SignalKind::window_change(), "WINCH"),
                ] {
                    let mut first = signal(kind).unwrap();
                    let mut second = signal(kind).unwrap();
                    raise(name);
                    let both = async {
                        first.recv().await.unwrap();
                        second.next().await.unwrap();
                    };
                    bobbin::time::timeout(Duration::from_secs(10), both)
                        .await
                        .unwrap_or_else(|_| panic!("SIG{name} did not reach both listeners"));
                }
            });
        },
    );
}

#[test]
fn ctrl_c_completes_on_sigint() {
    in_child("ctrl_c_completes_on_sigint", "CTRL-C-OK", || {
        let rt = runtime(1, "ctrl-c");
        rt.block_on(async {
            let ctrl_c = bobbin::signal::ctrl_c();
            raise("INT");
            bobbin::time::timeout(Duration::from_secs(10), ctrl_c)
                .await
                .expect("ctrl_c saw the SIGINT")
                .unwrap();
        });
    });
}

#[test]
fn a_delivery_before_the_first_poll_is_kept_and_later_ones_coalesce() {
    in_child(
        "a_delivery_before_the_first_poll_is_kept_and_later_ones_coalesce",
        "KEPT-OK",
        || {
            let rt = runtime(1, "kept");
            rt.block_on(async {
                let mut hangups = signal(SignalKind::hangup()).unwrap();
                raise("HUP");
                // Let the handler run and the byte land before the poll.
                std::thread::sleep(Duration::from_millis(50));
                bobbin::time::timeout(Duration::from_secs(10), hangups.recv())
                    .await
                    .expect("the delivery before the first poll is kept");
                raise("HUP");
                raise("HUP");
                std::thread::sleep(Duration::from_millis(50));
                hangups.recv().await.unwrap();
                let more = bobbin::time::timeout(Duration::from_millis(100), hangups.recv()).await;
                assert!(more.is_err(), "two deliveries not looked at are one");
            });
        },
    );
}

#[test]
fn signals_that_cannot_be_listened_for_give_an_error_naming_them() {
    let rt = runtime(1, "forbidden");
    rt.block_on(async {
        for (signum, name) in [(9, "SIGKILL"), (19, "SIGSTOP"), (11, "SIGSEGV")] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(name), "{err}");
        }
    });
}
