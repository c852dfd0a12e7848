//! The current-thread runtime through the public API: tasks, timers and a
//! TCP echo run on the thread that calls `block_on` and nowhere else;
//! tasks stay parked between `block_on` calls; spawns from other threads
//! wake it; a second `block_on` thread waits; shutdown drops tasks on the
//! dropping thread; misuse says what to do.

use bobbin::net::{TcpListener, TcpStream};
use bobbin::runtime::Builder;
use bobbin::time::{self, Duration};
use executor_tests::{LIMIT, panic_message_of, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::ThreadId;

/// Records the thread of every poll of its future.
struct OnThread<F> {
    seen: Arc<Mutex<Vec<ThreadId>>>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for OnThread<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.seen.lock().unwrap().push(std::thread::current().id());
        self.future.as_mut().poll(cx)
    }
}

fn watched<F: Future>(seen: &Arc<Mutex<Vec<ThreadId>>>, future: F) -> OnThread<F> {
    OnThread {
        seen: seen.clone(),
        future: Box::pin(future),
    }
}

#[test]
fn tasks_timers_and_a_tcp_echo_run_only_on_the_block_on_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let here = std::thread::current().id();
        let echoed = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let server = bobbin::spawn(watched(&seen, async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 1024];
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).await.unwrap();
                }
            }));
            let ticker = bobbin::spawn(watched(&seen, async {
                for _ in 0..5 {
                    time::sleep(Duration::from_millis(2)).await;
                }
            }));
            let mut client = TcpStream::connect(address).await.unwrap();
            let mut echoed = Vec::new();
            for round in 0..100u32 {
                let message = round.to_le_bytes();
                client.write_all(&message).await.unwrap();
                let mut back = [0u8; 4];
                client.read_exact(&mut back).await.unwrap();
                echoed.push(u32::from_le_bytes(back));
            }
            drop(client);
            server.await.unwrap();
            ticker.await.unwrap();
            echoed
        });
        assert_eq!(echoed, (0..100).collect::<Vec<_>>());
        let seen = seen.lock().unwrap();
        assert!(
            seen.len() > 100,
            "the tasks were polled ({} polls)",
            seen.len()
        );
        assert!(
            seen.iter().all(|id| *id == here),
            "a task was polled on another thread"
        );
    });
}

#[test]
fn tasks_stay_parked_between_block_ons_and_resume_at_the_next() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let (tx, rx) = bobbin::channel::unbounded::<u32>();
        let total = Arc::new(AtomicUsize::new(0));
        let counter = total.clone();
        rt.spawn(async move {
            while let Ok(n) = rx.recv().await {
                counter.fetch_add(n as usize, SeqCst);
            }
        });
        // No block_on yet: nothing runs.
        tx.send_blocking(5).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(total.load(SeqCst), 0, "a task ran with nobody in block_on");
        rt.block_on(async {
            bobbin::task::yield_now().await;
        });
        assert_eq!(total.load(SeqCst), 5);
        tx.send_blocking(7).unwrap();
        rt.block_on(bobbin::task::yield_now());
        assert_eq!(total.load(SeqCst), 12);
    });
}

#[test]
fn a_spawn_from_another_thread_wakes_a_waiting_block_on() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let handle = rt.handle();
        let here = std::thread::current().id();
        let remote = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            handle.spawn(async { std::thread::current().id() })
        });
        let ran_on = rt.block_on(async {
            let task = bobbin::task::spawn_blocking(move || remote.join().unwrap())
                .await
                .unwrap();
            task.await.unwrap()
        });
        assert_eq!(ran_on, here);
    });
}

#[test]
fn a_second_block_on_thread_waits_while_the_first_runs_the_tasks() {
    with_timeout(LIMIT, || {
        let rt = Arc::new(Builder::new_current_thread().build().unwrap());
        let (tx, rx) = bobbin::channel::bounded::<u32>(1);
        let other = {
            let rt = rt.clone();
            std::thread::spawn(move || rt.block_on(async move { rx.recv().await.unwrap() }))
        };
        let sent = rt.block_on(async move {
            time::sleep(Duration::from_millis(10)).await;
            tx.send(41).await.unwrap();
            1
        });
        assert_eq!(sent + other.join().unwrap(), 42);
    });
}

#[test]
fn a_waiting_block_on_takes_the_core_over_when_the_first_returns() {
    with_timeout(LIMIT, || {
        let rt = Arc::new(Builder::new_current_thread().build().unwrap());
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let holder = {
            let rt = rt.clone();
            std::thread::spawn(move || {
                rt.block_on(async move {
                    started_tx.send(()).unwrap();
                    time::sleep(Duration::from_millis(30)).await;
                })
            })
        };
        started_rx.recv().unwrap();
        // Needs the core's timers after the holder has left.
        let slept = rt.block_on(async {
            let start = std::time::Instant::now();
            time::sleep(Duration::from_millis(200)).await;
            start.elapsed()
        });
        holder.join().unwrap();
        assert!(slept >= std::time::Duration::from_millis(200));
    });
}

#[test]
fn dropping_the_runtime_while_another_thread_runs_it_waits_and_cancels() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let handle = rt.handle();
        let dropped = Arc::new(AtomicUsize::new(0));
        let count = Counted(dropped.clone());
        rt.spawn(async move {
            let _count = count;
            std::future::pending::<()>().await;
        });
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            handle.block_on(async move {
                started_tx.send(()).unwrap();
                // Outlives the runtime: moves to the global clock then.
                time::sleep(Duration::from_millis(100)).await;
            })
        });
        started_rx.recv().unwrap();
        drop(rt);
        assert_eq!(
            dropped.load(SeqCst),
            1,
            "the task was cancelled before drop returned"
        );
        holder.join().unwrap();
    });
}

/// Panics if dropped on another thread than the one that made it.
struct DropHere(ThreadId);

impl Drop for DropHere {
    fn drop(&mut self) {
        assert_eq!(
            std::thread::current().id(),
            self.0,
            "dropped on another thread"
        );
    }
}

#[test]
fn shutdown_drops_the_pending_tasks_on_the_dropping_thread() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let dropped = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            for _ in 0..10 {
                let guard = DropHere(std::thread::current().id());
                let dropped = dropped.clone();
                bobbin::spawn(async move {
                    let _guard = guard;
                    let _count = Counted(dropped);
                    std::future::pending::<()>().await;
                });
            }
            bobbin::task::yield_now().await;
        });
        drop(rt);
        assert_eq!(dropped.load(SeqCst), 10);
    });
}

#[test]
fn tasks_that_never_ran_are_dropped_at_shutdown_and_report_cancelled() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let dropped = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let count = Counted(dropped.clone());
                rt.spawn(async move {
                    let _count = count;
                })
            })
            .collect();
        drop(rt);
        assert_eq!(
            dropped.load(SeqCst),
            10,
            "every unrun task's future was dropped"
        );
        for handle in handles {
            let err = futures::executor::block_on(handle).unwrap_err();
            assert!(err.is_cancelled());
        }
    });
}

#[test]
fn a_panicking_block_on_leaves_the_runtime_usable() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let parked = rt.spawn(async { 5 });
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async { panic!("in the block_on future") })
        }));
        assert!(caught.is_err());
        assert_eq!(rt.block_on(parked).unwrap(), 5, "the core came back");
    });
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn misuse_of_the_current_thread_runtime_says_what_to_do() {
    with_timeout(LIMIT, || {
        let err = Builder::new_current_thread()
            .worker_threads(2)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("current-thread"), "{err}");
        let rt = Builder::new_current_thread().build().unwrap();
        let inner = Builder::new_current_thread().build().unwrap();
        let message = rt.block_on(async move {
            bobbin::spawn(async move { panic_message_of(|| inner.block_on(async {})) })
                .await
                .unwrap()
        });
        assert!(message.contains("block_on"), "{message}");
        let message = rt.block_on(async {
            bobbin::spawn(async { panic_message_of(|| bobbin::task::block_in_place(|| 1)) })
                .await
                .unwrap()
        });
        assert!(message.contains("spawn_blocking"), "{message}");
    });
}

#[test]
fn blocking_jobs_and_sleeps_work_on_the_current_thread_runtime() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let (job, slept) = rt.block_on(async {
            let start = std::time::Instant::now();
            let job = bobbin::spawn_blocking(|| 6 * 7).await.unwrap();
            time::sleep(Duration::from_millis(20)).await;
            (job, start.elapsed())
        });
        assert_eq!(job, 42);
        assert!(slept >= std::time::Duration::from_millis(20));
    });
}

#[bobbin::test(flavor = "current_thread", timeout_ms = 20_000)]
async fn the_test_attribute_runs_its_tasks_on_the_test_s_thread() {
    let here = std::thread::current().id();
    let there = bobbin::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_eq!(there, here);
}

#[test]
fn paused_time_and_settle_work_on_the_current_thread_runtime() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let wall = std::time::Instant::now();
        rt.block_on(async {
            time::pause();
            let start = time::Instant::now();
            let counted = Arc::new(AtomicUsize::new(0));
            let counter = counted.clone();
            let sleeper = bobbin::spawn(async move {
                time::sleep(Duration::from_secs(3600)).await;
                counter.fetch_add(1, SeqCst);
            });
            bobbin::runtime::Handle::current().settle().await;
            assert_eq!(counted.load(SeqCst), 0);
            sleeper.await.unwrap();
            assert_eq!(start.elapsed(), Duration::from_secs(3600));
            time::resume();
        });
        assert!(wall.elapsed() < std::time::Duration::from_secs(20));
    });
}
