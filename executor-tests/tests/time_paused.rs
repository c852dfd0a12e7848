//! Deterministic tests through the public API: virtual time on the
//! multi-threaded runtime (a day of sleeps in milliseconds, 10k interval
//! ticks in order, a timeout exactly at its virtual deadline, a hyper
//! timeout), what holds auto-advance back (a blocking job, a task in a
//! poll), `Handle::settle`, reproducible schedules from a seed, the
//! attribute's options, and the misuse panics.

use bobbin::Runtime;
use bobbin::compat::hyper::{BobbinExecutor, BobbinTimer, HyperIo};
use bobbin::net::{TcpListener, TcpStream};
use bobbin::runtime::Handle;
use bobbin::time::{self, Duration, Instant};
use executor_tests::{
    LIMIT, assert_child_passed, is_child, panic_message_of, run_this_test_as_child, with_timeout,
};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

fn paused(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn a_day_of_virtual_sleeps_across_four_workers_takes_milliseconds() {
    with_timeout(LIMIT, || {
        let rt = paused(4);
        let wall = std::time::Instant::now();
        let virtual_elapsed = rt.block_on(async {
            let start = Instant::now();
            let sleepers: Vec<_> = (1..=100u64)
                .map(|i| {
                    bobbin::spawn(async move {
                        // Up to 24 hours, in steps that interleave.
                        time::sleep(Duration::from_secs(i * 864)).await;
                        Instant::now()
                    })
                })
                .collect();
            let mut woke = Vec::new();
            for sleeper in sleepers {
                woke.push(sleeper.await.unwrap());
            }
            for (i, at) in woke.iter().enumerate() {
                assert_eq!(
                    *at - start,
                    Duration::from_secs((i as u64 + 1) * 864),
                    "sleeper {i} woke at its virtual deadline exactly"
                );
            }
            start.elapsed()
        });
        let wall = wall.elapsed();
        assert_eq!(virtual_elapsed, Duration::from_secs(24 * 3600));
        println!("24 virtual hours on 4 workers took {wall:?} of wall time");
        // The target is well under 100 ms; the bound leaves room for a
        // loaded CI machine.
        assert!(wall < Duration::from_secs(2), "took {wall:?}");
    });
}

#[test]
fn an_interval_ticks_ten_thousand_times_in_order_at_its_due_instants() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            let start = Instant::now();
            let period = Duration::from_millis(1);
            let mut ticks = time::interval(period);
            for n in 0..10_000u32 {
                let due = ticks.tick().await;
                assert_eq!(due, (start + period * n).into_std(), "tick {n}");
                assert_eq!(Instant::now(), due, "tick {n} came at its due instant");
            }
        });
    });
}

#[test]
fn a_timeout_fires_at_its_virtual_deadline_exactly() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            let start = Instant::now();
            let outcome = time::timeout(Duration::from_secs(5), std::future::pending::<()>()).await;
            assert!(outcome.is_err());
            assert_eq!(start.elapsed(), Duration::from_secs(5));
            // A deadline given as a std Instant works too.
            let deadline = start.into_std() + Duration::from_secs(7);
            assert!(
                time::timeout_at(deadline, std::future::pending::<()>())
                    .await
                    .is_err()
            );
            assert_eq!(Instant::now(), deadline);
        });
    });
}

#[test]
fn advance_moves_the_clock_and_runs_what_it_made_due() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            let start = Instant::now();
            let fired = Arc::new(AtomicUsize::new(0));
            for secs in [1u64, 2, 3] {
                let fired = fired.clone();
                bobbin::spawn(async move {
                    time::sleep(Duration::from_secs(secs)).await;
                    fired.fetch_add(1, SeqCst);
                });
            }
            Handle::current().settle().await;
            time::advance(Duration::from_millis(2500)).await;
            Handle::current().settle().await;
            assert_eq!(fired.load(SeqCst), 2, "the timers due by 2.5 s fired");
            assert_eq!(start.elapsed(), Duration::from_millis(2500));
            time::resume();
            time::pause();
        });
    });
}

#[test]
fn auto_advance_waits_for_a_blocking_job_and_for_a_task_in_a_poll() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            let start = Instant::now();
            let sleeper = bobbin::spawn(async {
                time::sleep(Duration::from_secs(3600)).await;
            });
            // A blocking job runs 200 ms of real time: the clock holds.
            let during = bobbin::spawn_blocking(move || {
                std::thread::sleep(std::time::Duration::from_millis(200));
            });
            during.await.unwrap();
            assert_eq!(
                Instant::now(),
                start,
                "the clock moved while a blocking job ran"
            );
            // A task blocks its worker inside a poll: the clock holds.
            let in_poll = bobbin::spawn(async move {
                let before = Instant::now();
                std::thread::sleep(std::time::Duration::from_millis(200));
                (before, Instant::now())
            });
            let (before, after) = in_poll.await.unwrap();
            assert_eq!(before, after, "the clock moved while a task was in a poll");
            assert_eq!(after, start);
            sleeper.await.unwrap();
            assert_eq!(start.elapsed(), Duration::from_secs(3600));
        });
    });
}

#[test]
fn settle_returns_once_every_other_task_is_blocked() {
    with_timeout(LIMIT, || {
        // Real time: settle works without a paused clock.
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let (tx, rx) = bobbin::channel::unbounded::<u32>();
            let total = Arc::new(AtomicUsize::new(0));
            for _ in 0..4 {
                let (rx, total) = (rx.clone(), total.clone());
                bobbin::spawn(async move {
                    while let Ok(n) = rx.recv().await {
                        // Some work on the pool per message.
                        let n = bobbin::spawn_blocking(move || n as usize).await.unwrap();
                        total.fetch_add(n, SeqCst);
                    }
                });
            }
            for n in 1..=100 {
                tx.send(n).await.unwrap();
            }
            Handle::current().settle().await;
            assert_eq!(total.load(SeqCst), 5050, "every message was handled");
            // Nothing to wait for: returns at once.
            Handle::current().settle().await;
        });
    });
}

#[test]
fn a_hyper_server_times_out_a_silent_client_in_virtual_time() {
    with_timeout(LIMIT, || {
        let rt = paused(2);
        let wall = std::time::Instant::now();
        rt.block_on(async {
            const TIMEOUT: Duration = Duration::from_secs(30);
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let server = bobbin::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let service = hyper::service::service_fn(|_request| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Empty::<hyper::body::Bytes>::new(),
                    ))
                });
                hyper::server::conn::http1::Builder::new()
                    .timer(BobbinTimer::new())
                    .header_read_timeout(TIMEOUT)
                    .serve_connection(HyperIo::new(stream), service)
                    .await
            });
            let start = Instant::now();
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
            let mut received = Vec::new();
            let _ = stream.read_to_end(&mut received).await;
            let elapsed = start.elapsed();
            assert!(elapsed >= TIMEOUT, "closed after {elapsed:?}");
            assert!(
                elapsed < TIMEOUT + Duration::from_secs(2),
                "closed after {elapsed:?}"
            );
            let err = server.await.unwrap().expect_err("the connection times out");
            assert!(err.is_timeout(), "expected hyper's timeout, got {err}");
        });
        assert!(wall.elapsed() < std::time::Duration::from_secs(20));
    });
}

#[test]
fn a_hyper_client_s_keep_alive_times_out_a_silent_server_in_virtual_time() {
    with_timeout(LIMIT, || {
        let rt = paused(2);
        let wall = std::time::Instant::now();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            // Accepts, then neither reads nor writes: pings go unanswered.
            let (hold_tx, hold_rx) = bobbin::channel::oneshot::<()>();
            bobbin::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let _ = hold_rx.await;
                drop(stream);
            });
            let stream = TcpStream::connect(address).await.unwrap();
            let start = Instant::now();
            let (_sender, connection) =
                hyper::client::conn::http2::Builder::new(BobbinExecutor::new())
                    .timer(BobbinTimer::new())
                    .keep_alive_interval(Duration::from_secs(10))
                    .keep_alive_timeout(Duration::from_secs(5))
                    .keep_alive_while_idle(true)
                    .handshake::<_, http_body_util::Empty<hyper::body::Bytes>>(HyperIo::new(stream))
                    .await
                    .unwrap();
            // The server never closes: only the keep-alive ends it (hyper
            // reports that as an error, or now and then as a plain end).
            let _ = connection.await;
            let elapsed = start.elapsed();
            assert!(
                elapsed >= Duration::from_secs(15) && elapsed < Duration::from_secs(40),
                "the keep-alive gave up after {elapsed:?} of virtual time"
            );
            let _ = hold_tx.send(());
        });
        assert!(wall.elapsed() < std::time::Duration::from_secs(20));
    });
}

/// Logs `id` each time the future is polled.
struct Logged<F> {
    id: u32,
    log: Arc<Mutex<Vec<u32>>>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Logged<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.log.lock().unwrap().push(self.id);
        self.future.as_mut().poll(cx)
    }
}

/// 100 tasks in a chain: each takes two messages in the order a
/// `select!` picks (both are ready, so the seed decides), sleeps a virtual
/// time that depends on the order, and passes both on. Returns the poll
/// order, with the branch choices.
fn chain(seed: u64) -> Vec<u32> {
    let rt = Runtime::builder()
        .worker_threads(1)
        .start_paused(true)
        .rng_seed(seed)
        .build()
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let root_log = log.clone();
    rt.block_on(async move {
        bobbin::spawn(async move {
            let links: Vec<_> = (0..=100)
                .map(|_| {
                    (
                        bobbin::channel::unbounded::<u32>(),
                        bobbin::channel::unbounded::<u32>(),
                    )
                })
                .collect();
            let mut tasks = Vec::new();
            for i in 0..100usize {
                let (a_rx, b_rx) = (links[i].0.1.clone(), links[i].1.1.clone());
                let (a_tx, b_tx) = (links[i + 1].0.0.clone(), links[i + 1].1.0.clone());
                let choices = root_log.clone();
                let task = async move {
                    for _ in 0..2 {
                        bobbin::select! {
                            Ok(v) = a_rx.recv() => {
                                choices.lock().unwrap().push(1000);
                                time::sleep(Duration::from_millis(u64::from(v % 7))).await;
                                a_tx.send(v + 1).await.unwrap();
                            }
                            Ok(v) = b_rx.recv() => {
                                choices.lock().unwrap().push(2000);
                                time::sleep(Duration::from_millis(u64::from(v % 5))).await;
                                b_tx.send(v + 2).await.unwrap();
                            }
                        }
                    }
                };
                tasks.push(bobbin::spawn(Logged {
                    id: i as u32,
                    log: root_log.clone(),
                    future: Box::pin(task),
                }));
            }
            links[0].0.0.send(0).await.unwrap();
            links[0].1.0.send(0).await.unwrap();
            for task in tasks {
                task.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    drop(rt);
    Arc::try_unwrap(log).unwrap().into_inner().unwrap()
}

#[test]
fn the_same_seed_polls_in_the_same_order_and_other_seeds_do_not() {
    with_timeout(LIMIT, || {
        let first = chain(7);
        assert!(first.len() > 400, "every task was polled and chose twice");
        for run in 1..20 {
            assert_eq!(
                chain(7),
                first,
                "run {run} with seed 7 polled in another order"
            );
        }
        let others: Vec<_> = [8u64, 9, 10].iter().map(|&seed| chain(seed)).collect();
        assert!(
            others.iter().any(|order| *order != first),
            "three other seeds all gave seed 7's order"
        );
    });
}

#[test]
fn misuse_of_the_clock_panics_with_what_to_do() {
    with_timeout(LIMIT, || {
        let outside = panic_message_of(time::pause);
        assert!(outside.contains("outside a runtime"), "{outside}");
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        rt.block_on(async {
            let message = panic_message_of(|| drop(time::advance(Duration::from_secs(1))));
            assert!(message.contains("not paused"), "{message}");
            let message = panic_message_of(time::resume);
            assert!(message.contains("not paused"), "{message}");
            time::pause();
            let message = panic_message_of(time::pause);
            assert!(message.contains("already paused"), "{message}");
            time::resume();
        });
    });
}

#[test]
fn a_pause_from_the_test_body_holds_the_clock_while_the_body_polls() {
    with_timeout(LIMIT, || {
        Runtime::builder()
            .worker_threads(2)
            .build()
            .unwrap()
            .block_on(async {
                let sleeper = bobbin::spawn(time::sleep(Duration::from_millis(100)));
                time::pause();
                // Busy in this poll for a while: the clock must not move.
                std::thread::sleep(std::time::Duration::from_millis(150));
                time::advance(Duration::from_millis(50)).await;
                assert!(!sleeper.is_finished(), "the clock jumped past the sleeper");
                sleeper.await.unwrap();
            });
    });
}

#[test]
fn the_global_clock_cannot_be_paused_and_settle_ends_with_its_runtime() {
    with_timeout(LIMIT, || {
        let message = panic_message_of(|| bobbin::block_on(async { time::pause() }));
        assert!(message.contains("global runtime"), "{message}");

        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        rt.spawn(async {
            loop {
                bobbin::task::yield_now().await;
            }
        });
        let settle = rt.handle().settle();
        let waiter = std::thread::spawn(move || futures::executor::block_on(settle));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "a runtime that never idles settled");
        drop(rt);
        waiter.join().unwrap();
    });
}

#[bobbin::test(start_paused, timeout_ms = 20_000)]
async fn the_test_attribute_starts_paused_and_keeps_its_timeout_in_wall_time() {
    let start = Instant::now();
    // Far past the 20 s timeout, virtually: the timeout is wall time.
    time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    assert!(Handle::current().rng_seed().is_some());
}

/// Run as a child by the test below (on its own, it just passes).
#[bobbin::test(worker_threads = 1)]
async fn a_seeded_test_reports_its_seed() {
    let seed = Handle::current().rng_seed().unwrap();
    if is_child() && std::env::var("SEED_TEST_FAIL").is_ok() {
        panic!("failing on purpose");
    }
    println!("SEED-IS-{seed}");
}

#[test]
fn a_test_s_seed_comes_from_bobbin_seed_and_a_failure_prints_it() {
    let name = "a_seeded_test_reports_its_seed";
    let output = run_this_test_as_child(name, &[("BOBBIN_SEED", "4242")], LIMIT);
    assert_child_passed(&output, "SEED-IS-4242");
    let failed = run_this_test_as_child(
        name,
        &[("BOBBIN_SEED", "99"), ("SEED_TEST_FAIL", "1")],
        LIMIT,
    );
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(
        stderr.contains("failed with seed 99") && stderr.contains("BOBBIN_SEED=99"),
        "{stderr}"
    );
}
