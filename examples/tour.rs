//! A short tour of bobbin: spawn a million tasks and join them, catch a
//! task's panic, abort a task, join a set, pass values down a pipeline of
//! channels, wait on a channel and a timer with `select!`, share a `Mutex`,
//! fan events out over `broadcast` and `watch` and stop the subscribers
//! with a `CancellationToken`, pipe data through a child process,
//! echo over TCP on 127.0.0.1, run blocking code (`spawn_blocking`, `block_in_place`, and a task that
//! blocks its worker without saying so, caught by the monitor), read a
//! runtime's metrics and task dump and catch a panic nobody awaited, and
//! shut a runtime down; prints what it did and how long each step took.
//!
//! Run with `cargo run --release --example tour`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TASKS: u64 = 1_000_000;

#[bobbin::main(global)]
async fn main() {
    let started = Instant::now();
    let workers = bobbin::runtime::Handle::current().metrics().num_workers();
    println!(
        "bobbin tour: {workers} worker threads (the global runtime, through #[bobbin::main(global)])\n"
    );

    million_tasks().await;
    caught_panic().await;
    aborted_task().await;
    join_set().await;
    pipeline().await;
    select_with_timer().await;
    shared_mutex().await;
    fan_out_and_cancel().await;
    child_process().await;
    tcp_echo().await;
    blocking_pool().await;
    // The last steps build runtimes of their own and block on them, which
    // a thread of the blocking pool may do (an async fn may not).
    bobbin::spawn_blocking(|| {
        blocked_worker();
        observe();
        shutdown();
    })
    .await
    .expect("the runtime steps do not panic");

    println!("\ntour finished in {:.2?}", started.elapsed());
}

/// A TCP echo server and 100 clients on 127.0.0.1, a task each.
async fn tcp_echo() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let start = Instant::now();
    let listener = bobbin::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port is free");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let server = bobbin::spawn(async move {
        let mut connections = Vec::new();
        for _ in 0..100 {
            let (mut stream, _) = listener.accept().await.expect("a client connects");
            connections.push(bobbin::spawn(async move {
                let mut buf = [0; 64];
                let n = stream.read(&mut buf).await.expect("the client writes");
                stream.write_all(&buf[..n]).await.expect("the client reads");
            }));
        }
        for connection in connections {
            connection.await.expect("an echo task does not panic");
        }
    });
    let clients: Vec<_> = (0..100u32)
        .map(|i| {
            bobbin::spawn(async move {
                let mut stream = bobbin::net::TcpStream::connect(addr)
                    .await
                    .expect("the server accepts");
                let message = format!("hello {i}");
                stream.write_all(message.as_bytes()).await.expect("write");
                let mut echo = vec![0; message.len()];
                stream.read_exact(&mut echo).await.expect("read the echo");
                echo == message.as_bytes()
            })
        })
        .collect();
    let mut echoed = 0;
    for client in clients {
        echoed += usize::from(client.await.expect("a client does not panic"));
    }
    server.await.expect("the server does not panic");
    println!(
        "10. a TCP echo server on {addr} answered {echoed} of 100 clients (a task each) in {:.2?}",
        start.elapsed()
    );
}

/// Spawns a million tasks from inside a task and joins them all.
async fn million_tasks() {
    let spawner = bobbin::spawn(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..TASKS)
            .map(|i| bobbin::spawn(async move { i }))
            .collect();
        let spawned = start.elapsed();
        let mut sum = 0u64;
        for handle in handles {
            sum += handle
                .await
                .expect("a task that returns a number does not fail");
        }
        (sum, spawned, start.elapsed())
    });
    let (sum, spawned, total) = spawner.await.expect("the spawner task does not panic");
    assert_eq!(sum, TASKS * (TASKS - 1) / 2);
    println!(
        "1. spawned {TASKS} tasks in {spawned:.2?} and joined them all in {total:.2?} \
         ({:.0} ns per task, spawn + run + join); sum of outputs = {sum}",
        total.as_nanos() as f64 / TASKS as f64
    );
}

/// A task panics; the panic comes back through its JoinHandle and the
/// workers go on.
async fn caught_panic() {
    // Keep the default hook from printing the expected panic mid-tour.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let err = bobbin::task::Builder::new()
        .name("doomed")
        .spawn(async { panic!("this task was written to fail") })
        .await
        .expect_err("the task panics");
    std::panic::set_hook(hook);
    let message = err.to_string();
    let payload = err.into_panic();
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .unwrap_or("<not a string>");
    let after = bobbin::spawn(async { "still running" })
        .await
        .expect("the runtime survives a task's panic");
    println!(
        "2. a task panicked and the panic was caught in {:.2?}: {message}; payload {text:?}; next task says {after:?}",
        start.elapsed()
    );
}

/// A task that would never finish is aborted; its future is dropped and its
/// handle reports the cancellation.
async fn aborted_task() {
    struct Dropped(Arc<AtomicUsize>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = Dropped(drops.clone());
    let start = Instant::now();
    let handle = bobbin::spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    bobbin::task::yield_now().await;
    handle.abort();
    let err = handle.await.expect_err("an aborted task has no output");
    println!(
        "3. aborted a task that waits forever in {:.2?}: is_cancelled = {}, its future was dropped {} time(s)",
        start.elapsed(),
        err.is_cancelled(),
        drops.load(Ordering::SeqCst)
    );
}

/// A JoinSet returns results in completion order.
async fn join_set() {
    let start = Instant::now();
    let mut set = bobbin::task::JoinSet::new();
    for i in 0..1_000u64 {
        set.spawn(async move {
            for _ in 0..(i % 7) {
                bobbin::task::yield_now().await;
            }
            i
        });
    }
    let mut total = 0;
    let mut joined = 0;
    while let Some(result) = set.join_next().await {
        total += result.expect("no task in the set fails");
        joined += 1;
    }
    println!(
        "4. a JoinSet of {joined} tasks that yield 0-6 times each finished in {:.2?}; sum = {total}",
        start.elapsed()
    );
}

/// Go's fan-out: a producer, four workers and a collector, joined by
/// bounded channels; a WaitGroup closes the results channel when the
/// workers are done.
async fn pipeline() {
    const ITEMS: u64 = 100_000;
    let start = Instant::now();
    let (jobs_tx, jobs_rx) = bobbin::channel::bounded::<u64>(64);
    let (results_tx, results_rx) = bobbin::channel::bounded::<u64>(64);
    bobbin::spawn(async move {
        for n in 0..ITEMS {
            jobs_tx.send(n).await.expect("the workers are listening");
        }
        // Dropping the last sender closes `jobs`: the workers' loops end.
    });
    let wg = bobbin::sync::WaitGroup::new();
    for _ in 0..4 {
        let jobs = jobs_rx.clone();
        let results = results_tx.clone();
        wg.spawn(async move {
            while let Ok(n) = jobs.recv().await {
                results
                    .send(n * 2)
                    .await
                    .expect("the collector is listening");
            }
        });
    }
    drop(results_tx);
    let mut sum = 0;
    let mut received = 0;
    while let Ok(doubled) = results_rx.recv().await {
        sum += doubled;
        received += 1;
    }
    wg.wait().await;
    let elapsed = start.elapsed();
    println!(
        "5. a pipeline (producer -> 4 workers -> collector, bounded(64) channels) moved {received} values in {elapsed:.2?} ({:.1}M values/s through two hops); sum = {sum}",
        received as f64 / elapsed.as_secs_f64() / 1e6
    );
}

/// Go's `select` over a channel and a timer, with `default` for a look
/// that does not wait.
async fn select_with_timer() {
    let (tx, rx) = bobbin::channel::bounded::<u32>(0);
    let early = bobbin::select! {
        Ok(v) = rx.recv() => Some(v),
        default => None,
    };
    bobbin::spawn(async move {
        for i in 0.. {
            bobbin::time::sleep(Duration::from_millis(10)).await;
            if tx.send(i).await.is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let deadline = bobbin::time::sleep(Duration::from_millis(55));
    let mut deadline = std::pin::pin!(deadline);
    let mut received = 0;
    loop {
        bobbin::select! {
            Ok(_) = rx.recv() => received += 1,
            () = deadline.as_mut() => break,
        }
    }
    println!(
        "6. select!: with nothing ready, `default` ran ({early:?}); then {received} values arrived over a rendezvous channel (one per 10 ms) before a 55 ms timer won, after {:.2?}",
        start.elapsed()
    );
}

/// A fair async Mutex shared by a thousand tasks, held across an await.
async fn shared_mutex() {
    let start = Instant::now();
    let counter = Arc::new(bobbin::sync::Mutex::new(0u64));
    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let counter = counter.clone();
            bobbin::spawn(async move {
                for _ in 0..10 {
                    let mut guard = counter.lock().await;
                    bobbin::task::yield_now().await; // held across an await
                    *guard += 1;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no task fails");
    }
    println!(
        "7. 1000 tasks took a sync::Mutex 10 times each, holding it across a yield: count = {} in {:.2?}",
        *counter.lock().await,
        start.elapsed()
    );
}

/// A service's fan-out and shutdown: a `watch` channel carries the current
/// configuration, a `broadcast` channel events every subscriber sees, and
/// one `CancellationToken` stops every subscriber.
async fn fan_out_and_cancel() {
    use bobbin::channel::broadcast::RecvError;
    let start = Instant::now();
    let (config, config_rx) = bobbin::channel::watch(1u32);
    let (events, _) = bobbin::channel::broadcast::<u64>(128);
    let shutdown = bobbin::sync::CancellationToken::new();
    let delivered = Arc::new(AtomicUsize::new(0));
    let subscribers: Vec<_> = (0..8)
        .map(|_| {
            let delivered = delivered.clone();
            let mut config = config_rx.clone();
            let mut events = events.subscribe();
            let token = shutdown.child_token();
            bobbin::spawn(async move {
                let (mut seen, mut sum) = (0u64, 0u64);
                loop {
                    bobbin::select! {
                        event = events.recv() => match event {
                            Ok(n) => { seen += 1; sum += n; delivered.fetch_add(1, Ordering::Relaxed); }
                            Err(RecvError::Lagged(missed)) => {
                                seen += missed;
                                delivered.fetch_add(missed as usize, Ordering::Relaxed);
                            }
                            Err(RecvError::Closed) => break,
                        },
                        Ok(()) = config.changed() => {}
                        () = token.cancelled() => break,
                    }
                }
                (seen, sum, *config.borrow())
            })
        })
        .collect();
    for n in 0..100 {
        events.send(n).expect("subscribers are alive");
        if n % 25 == 0 {
            bobbin::task::yield_now().await;
        }
    }
    config.send_modify(|version| *version += 1);
    // Let the subscribers catch up, then cancel them all with one call.
    while delivered.load(Ordering::Relaxed) < 8 * 100 {
        bobbin::time::sleep(Duration::from_millis(1)).await;
    }
    shutdown.cancel();
    let mut totals = (0, 0);
    let mut versions = Vec::new();
    for subscriber in subscribers {
        let (seen, sum, version) = subscriber.await.expect("no subscriber fails");
        totals = (totals.0 + seen, totals.1 + sum);
        versions.push(version);
    }
    versions.dedup();
    println!(
        "8. 8 subscribers got {} broadcast events (sum {}), saw config version {:?} over a watch channel, and stopped on one CancellationToken::cancel() in {:.2?}",
        totals.0,
        totals.1,
        versions,
        start.elapsed()
    );
}

/// Pipes a megabyte through a child `cat` (written and read back at the
/// same time, on the reactor), with a file read on the blocking pool.
async fn child_process() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let start = Instant::now();
    let path = std::env::temp_dir().join(format!("bobbin-tour-{}", std::process::id()));
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    bobbin::fs::write(&path, &data)
        .await
        .expect("the temp directory is writable");
    let input = bobbin::fs::read(&path).await.expect("the file reads back");
    bobbin::fs::remove_file(&path)
        .await
        .expect("the file is removed");
    let mut cat = bobbin::process::Command::new("cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("`cat` runs");
    let pid = cat.id().expect("running");
    let mut stdin = cat.stdin.take().expect("piped");
    let writer = bobbin::spawn(async move {
        stdin.write_all(&input).await.expect("cat reads its input");
    });
    let mut output = Vec::new();
    cat.stdout
        .take()
        .expect("piped")
        .read_to_end(&mut output)
        .await
        .expect("cat's output reads");
    writer.await.expect("the writer does not fail");
    let status = cat.wait().await.expect("cat is reaped");
    assert_eq!(output, data);
    println!(
        "9. wrote 1 MiB to a file and read it back (bobbin::fs), piped it through a child `cat` (pid {pid}) and read it all back: {status}, {:.2?}",
        start.elapsed()
    );
}

/// Runs blocking jobs on the blocking pool, and a blocking call in place.
async fn blocking_pool() {
    let start = Instant::now();
    let jobs: Vec<_> = (0..64u64)
        .map(|i| {
            bobbin::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(10)); // a blocking call
                i
            })
        })
        .collect();
    let mut sum = 0;
    for job in jobs {
        sum += job.await.expect("no job panics");
    }
    let threads = bobbin::runtime::Handle::current()
        .metrics()
        .blocking_threads();
    let in_place = bobbin::spawn(async {
        bobbin::task::block_in_place(|| std::thread::sleep(Duration::from_millis(20)));
        "done"
    })
    .await
    .expect("no panic");
    println!(
        "11. 64 blocking jobs of 10 ms each on {threads} pool threads: sum = {sum}; \
         block_in_place: {in_place}; both in {:.2?}",
        start.elapsed()
    );
}

/// A task that blocks its worker inside a poll without saying so: the
/// monitor reports it by name, and the task queued behind it still runs.
fn blocked_worker() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let rt = bobbin::Runtime::builder()
        .worker_threads(1)
        .on_long_poll(move |long_poll| {
            let _ = tx.lock().expect("not poisoned").send(long_poll.to_string());
        })
        .build()
        .expect("a thread starts");
    let start = Instant::now();
    let behind = rt.block_on(async {
        let (done_tx, done_rx) = bobbin::channel::oneshot();
        bobbin::task::Builder::new()
            .name("hasher")
            .spawn(async move {
                // Queued behind this task, on its only worker.
                bobbin::spawn(async move { done_tx.send(Instant::now()) });
                std::thread::sleep(Duration::from_millis(200)); // blocks the worker
            });
        done_rx.await.expect("the queued task ran")
    });
    let report = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the monitor reports the long poll");
    println!(
        "12. one worker blocked 200 ms inside a poll: the task queued behind it ran after {:.2?}; \
         the monitor said: {report}",
        behind - start
    );
}

/// What a runtime says about itself: its counters, its task dump (like
/// Go's goroutine dump) and a panic that nobody awaited.
fn observe() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let rt = bobbin::Runtime::builder()
        .worker_threads(2)
        .unhandled_panic(bobbin::runtime::UnhandledPanic::callback(move |panic| {
            let _ = tx.lock().expect("not poisoned").send(panic.to_string());
        }))
        .build()
        .expect("two threads start");
    let (stop_tx, stop_rx) = bobbin::channel::bounded::<()>(0);
    let waiters: Vec<_> = (0..3)
        .map(|i| {
            let stop_rx = stop_rx.clone();
            bobbin::task::Builder::new()
                .name(&format!("waiter-{i}"))
                .spawn_on(async move { stop_rx.recv().await }, &rt.handle())
        })
        .collect();
    let busy = bobbin::task::Builder::new().name("cruncher").spawn_on(
        async { std::thread::sleep(Duration::from_millis(100)) },
        &rt.handle(),
    );
    drop(rt.spawn(async { panic!("nobody awaits this task") }));
    std::thread::sleep(Duration::from_millis(50));
    let dump = rt.handle().dump();
    let metrics = rt.handle().metrics();
    let panic = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the unhandled panic is reported");
    println!(
        "13. a runtime reports {} tasks alive, {} spawned, {} polls; its task dump starts:",
        metrics.tasks_alive(),
        metrics.tasks_spawned(),
        metrics.polls()
    );
    for line in dump
        .to_string()
        .lines()
        .filter(|line| !line.is_empty())
        .take(5)
    {
        println!("      {line}");
    }
    println!("    and the unhandled-panic callback said: {panic}");
    drop(stop_tx);
    for waiter in waiters {
        let _ = rt.block_on(waiter);
    }
    rt.block_on(busy).expect("the cruncher finishes");
}

/// A runtime of our own: dropping it cancels every task and joins the
/// workers.
fn shutdown() {
    let rt = bobbin::Runtime::builder()
        .worker_threads(2)
        .thread_name("tour")
        .build()
        .expect("two threads start");
    let handles: Vec<_> = (0..10_000)
        .map(|_| rt.spawn(std::future::pending::<()>()))
        .collect();
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_secs(5));
    let cancelled = handles.iter().filter(|handle| handle.is_finished()).count();
    println!(
        "14. shut down a 2-worker runtime holding 10000 pending tasks in {:.2?}: {cancelled} tasks cancelled, threads joined",
        start.elapsed()
    );
}
