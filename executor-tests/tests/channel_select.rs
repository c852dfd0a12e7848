//! `select!`: the first ready branch wins and the others are dropped;
//! several ready branches are chosen fairly (uniformly at random) unless
//! `biased;`; `default` runs when none is ready at once, and when every
//! branch is disabled; a branch whose output misses its pattern is disabled;
//! bodies can `break`, `continue`, `return` and use `?` and `.await`;
//! patterns with `mut`, `ref` and `&`; a lost `recv` branch takes nothing.

use bobbin::channel;
use bobbin::select;
use bobbin::time::sleep;
use executor_tests::{DropCounter, LIMIT, panic_message_of, runtime, with_timeout};
use std::future::{pending, ready};
use std::time::Duration;

/// With two branches ready at every round, each wins about half the time
/// (Go's select picks uniformly among ready cases).
#[test]
fn ready_branches_are_chosen_fairly() {
    with_timeout(LIMIT, || {
        let rounds = 10_000;
        let mut wins = [0usize; 3];
        bobbin::block_on(async {
            for _ in 0..rounds {
                select! {
                    _ = ready(()) => wins[0] += 1,
                    _ = ready(()) => wins[1] += 1,
                    _ = ready(()) => wins[2] += 1,
                }
            }
        });
        // Each share is 1/3; 5 standard deviations is about ±236.
        for (branch, count) in wins.iter().enumerate() {
            assert!(
                (3000..=3700).contains(count),
                "branch {branch} won {count} of {rounds} rounds: {wins:?}"
            );
        }
    });
}

/// Fair among the *ready* branches: a branch that is never ready does not
/// shift the odds to the branch after it.
#[test]
fn fairness_is_among_the_ready_branches_only() {
    with_timeout(LIMIT, || {
        let rounds = 10_000;
        let mut wins = [0usize; 2];
        bobbin::block_on(async {
            for _ in 0..rounds {
                select! {
                    _ = pending::<()>() => unreachable!(),
                    _ = ready(()) => wins[0] += 1,
                    _ = ready(()) => wins[1] += 1,
                }
            }
        });
        for count in wins {
            assert!((4600..=5400).contains(&count), "{wins:?}");
        }
    });
}

/// Two channels with values always waiting: both are served, neither
/// starves, and every value is received once.
#[test]
fn two_busy_channels_are_both_served() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "select-channels");
        rt.block_on(async {
            let (a_tx, a_rx) = channel::bounded(64);
            let (b_tx, b_rx) = channel::bounded(64);
            let per_channel = 5_000u64;
            bobbin::spawn(async move {
                for i in 0..per_channel {
                    a_tx.send(i).await.unwrap();
                }
            });
            bobbin::spawn(async move {
                for i in 0..per_channel {
                    b_tx.send(i).await.unwrap();
                }
            });
            let (mut next_a, mut next_b) = (0, 0);
            let mut switches = 0;
            let mut last = 'a';
            loop {
                select! {
                    Ok(value) = a_rx.recv() => {
                        assert_eq!(value, next_a, "channel a in order, nothing lost");
                        next_a += 1;
                        switches += usize::from(last != 'a');
                        last = 'a';
                    }
                    Ok(value) = b_rx.recv() => {
                        assert_eq!(value, next_b, "channel b in order, nothing lost");
                        next_b += 1;
                        switches += usize::from(last != 'b');
                        last = 'b';
                    }
                    default => {
                        // Neither ready now, or both closed and drained.
                        if next_a == per_channel && next_b == per_channel {
                            break;
                        }
                        sleep(Duration::from_millis(1)).await;
                    }
                }
            }
            assert!(
                switches > 100,
                "the receiver alternated only {switches} times"
            );
        });
    });
}

/// `biased;` tries the branches in the order written.
#[test]
fn biased_tries_branches_in_order() {
    with_timeout(LIMIT, || {
        bobbin::block_on(async {
            for _ in 0..100 {
                let winner = select! {
                    biased;
                    _ = pending::<()>() => 0,
                    _ = ready(()) => 1,
                    _ = ready(()) => 2,
                };
                assert_eq!(winner, 1);
            }
        });
    });
}

/// `default` runs when no branch is ready at the first poll (Go's
/// non-blocking operations), and not when one is.
#[test]
fn default_runs_only_when_nothing_is_ready() {
    with_timeout(LIMIT, || {
        bobbin::block_on(async {
            let (tx, rx) = channel::bounded::<u8>(1);
            let got = select! {
                value = rx.recv() => Some(value),
                default => None,
            };
            assert_eq!(got, None);
            tx.send(4).await.unwrap();
            let got = select! {
                value = rx.recv() => Some(value),
                default => None,
            };
            assert_eq!(got, Some(Ok(4)));
            // A non-blocking send on a full channel.
            tx.send(5).await.unwrap();
            let sent = select! {
                result = tx.send(6) => result.is_ok(),
                default => false,
            };
            assert!(!sent);
            assert_eq!(rx.try_recv(), Ok(5));
            assert!(rx.try_recv().is_err(), "the losing send sent nothing");
            // Only a default.
            let only = select! { default => "default" };
            assert_eq!(only, "default");
        });
    });
}

/// A branch whose output does not match its pattern is disabled and the
/// select waits on the rest; if every branch is disabled, `default` runs,
/// and without one the select panics with a message.
#[test]
fn a_missed_pattern_disables_its_branch() {
    with_timeout(LIMIT, || {
        bobbin::block_on(async {
            let (tx, rx) = channel::bounded::<u8>(1);
            drop(tx);
            // The closed channel's Err misses `Ok(_)`; the sleep wins.
            let winner = select! {
                Ok(_) = rx.recv() => "recv",
                _ = sleep(Duration::from_millis(5)) => "sleep",
            };
            assert_eq!(winner, "sleep");
            let winner = select! {
                Ok(_) = rx.recv() => "recv",
                Some(_) = ready(None::<u8>) => "ready",
                default => "all disabled",
            };
            assert_eq!(winner, "all disabled");
        });
        let message = panic_message_of(|| {
            bobbin::block_on(async {
                select! {
                    Some(x) = ready(None::<u8>) => x,
                }
            })
        });
        assert!(message.contains("every branch was disabled"), "{message}");
    });
}

/// Bodies act on the surrounding code: `break`/`continue` on its loop,
/// `return` and `?` on its function; `.await` works inside.
#[test]
fn bodies_control_the_surrounding_code() {
    async fn first_error(rx: channel::Receiver<Result<u8, String>>) -> Result<u32, String> {
        let mut sum = 0u32;
        loop {
            select! {
                received = rx.recv() => {
                    let Ok(item) = received else { return Ok(sum) };
                    let value = item?;
                    if value == 0 {
                        continue;
                    }
                    sleep(Duration::from_micros(10)).await;
                    sum += u32::from(value);
                }
                _ = sleep(Duration::from_secs(30)) => unreachable!(),
            }
        }
    }
    with_timeout(LIMIT, || {
        bobbin::block_on(async {
            let (tx, rx) = channel::unbounded();
            for item in [Ok(1), Ok(0), Ok(2)] {
                tx.send(item).await.unwrap();
            }
            drop(tx);
            assert_eq!(first_error(rx).await, Ok(3));
            let (tx, rx) = channel::unbounded();
            for item in [Ok(1), Err("bad".to_owned()), Ok(2)] {
                tx.send(item).await.unwrap();
            }
            assert_eq!(first_error(rx).await, Err("bad".to_owned()));
            let mut rounds = 0;
            let result = loop {
                rounds += 1;
                select! {
                    _ = ready(()) => if rounds == 3 { break rounds * 10 },
                }
            };
            assert_eq!(result, 30);
        });
    });
}

/// Patterns bind by value (`mut`), by reference (`ref`), and through `&`,
/// at any depth.
#[test]
fn patterns_with_mut_ref_and_references() {
    with_timeout(LIMIT, || {
        bobbin::block_on(async {
            let text = String::from("abc");
            let out = select! {
                Some(mut owned) = ready(Some(String::from("x"))) => {
                    owned.push('y');
                    owned
                }
            };
            assert_eq!(out, "xy");
            let out = select! {
                (ref a, [mut b, _]) = ready((1, [2, 3])) => {
                    b += *a;
                    b
                }
            };
            assert_eq!(out, 3);
            let out = select! {
                Some(&c) = ready(text.as_bytes().first()) => c,
            };
            assert_eq!(out, b'a');
            let out = select! {
                Pair { left: 1, right } = ready(Pair { left: 1, right: 9 }) => right,
            };
            assert_eq!(out, 9);
        });
    });
}

struct Pair {
    left: u8,
    right: u8,
}

/// A `recv` branch that loses takes no value: over many rounds where a
/// timer usually wins, every value sent is received exactly once.
#[test]
fn a_losing_recv_branch_takes_nothing() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "select-losing-recv");
        rt.block_on(async {
            let (tx, rx) = channel::bounded(1);
            let sent = 300u32;
            bobbin::spawn(async move {
                for i in 0..sent {
                    tx.send(i).await.unwrap();
                    sleep(Duration::from_micros(300)).await;
                }
            });
            let mut got = Vec::new();
            let mut timeouts = 0;
            loop {
                select! {
                    result = rx.recv() => match result {
                        Ok(value) => got.push(value),
                        Err(_) => break,
                    },
                    _ = sleep(Duration::from_micros(100)) => timeouts += 1,
                }
            }
            assert_eq!(got, (0..sent).collect::<Vec<_>>());
            assert!(timeouts > 0, "the timer branch never won");
        });
    });
}

/// The futures that lose are dropped before the winner's body runs, and the
/// winner's output is moved into the body.
#[test]
fn losing_futures_are_dropped() {
    with_timeout(LIMIT, || {
        let drops = DropCounter::new();
        bobbin::block_on(async {
            let guard = drops.guard();
            let loser = async move {
                let _guard = guard;
                pending::<()>().await
            };
            let out = select! {
                _ = loser => String::new(),
                value = ready(String::from("won")) => {
                    assert_eq!(drops.dropped(), 1, "the loser is gone before the body");
                    value
                }
            };
            assert_eq!(out, "won");
        });
    });
}

/// A branch guarded by a false `if` is disabled: its future is made but
/// never polled, so a ready value it would have taken stays in the channel.
#[test]
fn a_false_guard_disables_its_branch_and_leaves_its_value() {
    with_timeout(LIMIT, || {
        bobbin::block_on(async {
            let (tx, rx) = channel::bounded::<u32>(1);
            tx.send(7).await.unwrap();
            for accept in [false, true] {
                let got = bobbin::select! {
                    Ok(value) = rx.recv(), if accept => Some(value),
                    default => None,
                };
                assert_eq!(got, accept.then_some(7));
            }
        });
        let never: Option<u8> = None;
        let message = panic_message_of(|| {
            bobbin::block_on(async {
                bobbin::select! {
                    _ = std::future::ready(()), if never.is_some() => {},
                }
            })
        });
        assert!(message.contains("its `if` guard was false"), "{message}");
    });
}
