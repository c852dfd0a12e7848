//! Channel and Mutex benchmarks: bobbin's channels on bobbin beside tokio's
//! `mpsc` on tokio, `async-channel` on smol's executor (and on bobbin, to
//! tell the channel from the runtime), and crossbeam-channel on plain
//! threads as the baseline without any executor. Same workload, same
//! worker count (2, or `BENCH_WORKERS`), same run.
//!
//! Run: `cargo bench -p bobbin-benches --bench channels` (add a group name
//! to filter, e.g. `-- mpsc_bounded`).
//!
//! - `mpsc_bounded`: 4 producer tasks each send 1M `u64` into a
//!   `bounded(1024)` channel; one consumer task receives all 4M.
//! - `mpsc_unbounded`: the same through an unbounded channel.
//! - `spsc`: one producer, one consumer, 1M `u64`, `bounded(1024)`.
//! - `rendezvous`: ping-pong, 100k round trips over two channels of
//!   capacity 0 (bobbin and crossbeam; Go's unbuffered channel) or 1 (tokio
//!   and async-channel, which have no capacity 0); crossbeam's threads do
//!   5k round trips, each a pair of futex wake-ups.
//! - `mutex`: 1000 tasks each take a shared `Mutex` 100 times and bump a
//!   counter (bobbin's, tokio's, and async-lock's on smol).
//!
//! Throughput is in messages (round trips for `rendezvous`, lock
//! acquisitions for `mutex`) per second.

use bobbin_benches::Runtimes;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::sync::Arc;
use std::time::Duration;

const PRODUCERS: u64 = 4;
const PER_PRODUCER: u64 = 1_000_000;
const CAPACITY: usize = 1024;
const SPSC_MESSAGES: u64 = 1_000_000;
const ROUND_TRIPS: u64 = 100_000;
/// Threads hand off through the kernel (~75 µs a round trip here): fewer.
const THREAD_ROUND_TRIPS: u64 = 5_000;
const MUTEX_TASKS: u64 = 1_000;
const LOCKS_PER_TASK: u64 = 100;

/// Asserts that the consumer saw every value of every producer once.
fn check_sum(sum: u64, producers: u64, per_producer: u64) {
    assert_eq!(sum, producers * per_producer * (per_producer - 1) / 2);
}

// ---- many producers, one consumer --------------------------------------

fn bobbin_mpsc(rt: &Runtimes, producers: u64, per_producer: u64, capacity: Option<usize>) {
    rt.on_bobbin(async move {
        let (tx, rx) = match capacity {
            Some(capacity) => bobbin::channel::bounded(capacity),
            None => bobbin::channel::unbounded(),
        };
        for _ in 0..producers {
            let tx = tx.clone();
            bobbin::spawn(async move {
                for i in 0..per_producer {
                    tx.send(i).await.expect("receiver alive");
                }
            });
        }
        drop(tx);
        let consumer = bobbin::spawn(async move {
            let mut sum = 0;
            while let Ok(v) = rx.recv().await {
                sum += v;
            }
            sum
        });
        check_sum(consumer.await.unwrap(), producers, per_producer);
    });
}

fn tokio_mpsc(rt: &Runtimes, producers: u64, per_producer: u64, capacity: Option<usize>) {
    rt.on_tokio(async move {
        let consumer = match capacity {
            Some(capacity) => {
                let (tx, mut rx) = tokio::sync::mpsc::channel(capacity);
                for _ in 0..producers {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for i in 0..per_producer {
                            tx.send(i).await.expect("receiver alive");
                        }
                    });
                }
                tokio::spawn(async move {
                    let mut sum = 0;
                    while let Some(v) = rx.recv().await {
                        sum += v;
                    }
                    sum
                })
            }
            None => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                for _ in 0..producers {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for i in 0..per_producer {
                            tx.send(i).expect("receiver alive");
                        }
                    });
                }
                tokio::spawn(async move {
                    let mut sum = 0;
                    while let Some(v) = rx.recv().await {
                        sum += v;
                    }
                    sum
                })
            }
        };
        check_sum(consumer.await.unwrap(), producers, per_producer);
    });
}

/// `async-channel`'s producers and consumer, spawned through `spawn`.
async fn async_channel_mpsc(
    spawn: impl Fn(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>),
    producers: u64,
    per_producer: u64,
    capacity: Option<usize>,
) {
    let (tx, rx) = match capacity {
        Some(capacity) => async_channel::bounded(capacity),
        None => async_channel::unbounded(),
    };
    for _ in 0..producers {
        let tx = tx.clone();
        spawn(Box::pin(async move {
            for i in 0..per_producer {
                tx.send(i).await.expect("receiver alive");
            }
        }));
    }
    drop(tx);
    let (done_tx, done_rx) = async_channel::bounded(1);
    spawn(Box::pin(async move {
        let mut sum = 0;
        while let Ok(v) = rx.recv().await {
            sum += v;
        }
        done_tx.send(sum).await.expect("waiter alive");
    }));
    check_sum(
        done_rx.recv().await.expect("consumer done"),
        producers,
        per_producer,
    );
}

fn async_channel_on_smol(rt: &Runtimes, producers: u64, per_producer: u64, cap: Option<usize>) {
    let ex = rt.smol.ex.clone();
    rt.smol.block_on(async move {
        async_channel_mpsc(move |f| ex.spawn(f).detach(), producers, per_producer, cap).await
    });
}

fn async_channel_on_bobbin(rt: &Runtimes, producers: u64, per_producer: u64, cap: Option<usize>) {
    rt.on_bobbin(async_channel_mpsc(
        |f| drop(bobbin::spawn(f)),
        producers,
        per_producer,
        cap,
    ));
}

fn crossbeam_mpsc(producers: u64, per_producer: u64, capacity: Option<usize>) {
    let (tx, rx) = match capacity {
        Some(capacity) => crossbeam_channel::bounded(capacity),
        None => crossbeam_channel::unbounded(),
    };
    let threads: Vec<_> = (0..producers)
        .map(|_| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..per_producer {
                    tx.send(i).expect("receiver alive");
                }
            })
        })
        .collect();
    drop(tx);
    let sum: u64 = rx.iter().sum();
    for thread in threads {
        thread.join().unwrap();
    }
    check_sum(sum, producers, per_producer);
}

fn many_to_one(
    c: &mut Criterion,
    rt: &Runtimes,
    name: &str,
    producers: u64,
    per: u64,
    cap: Option<usize>,
) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(producers * per));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| bobbin_mpsc(rt, producers, per, cap))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| tokio_mpsc(rt, producers, per, cap))
    });
    group.bench_function(BenchmarkId::from_parameter("async-channel_smol"), |b| {
        b.iter(|| async_channel_on_smol(rt, producers, per, cap))
    });
    group.bench_function(BenchmarkId::from_parameter("async-channel_bobbin"), |b| {
        b.iter(|| async_channel_on_bobbin(rt, producers, per, cap))
    });
    group.bench_function(BenchmarkId::from_parameter("crossbeam_threads"), |b| {
        b.iter(|| crossbeam_mpsc(producers, per, cap))
    });
    group.finish();
}

// ---- rendezvous ping-pong ------------------------------------------------

fn bobbin_ping_pong(rt: &Runtimes, capacity: usize) {
    rt.on_bobbin(async move {
        let (ping_tx, ping_rx) = bobbin::channel::bounded::<u64>(capacity);
        let (pong_tx, pong_rx) = bobbin::channel::bounded::<u64>(capacity);
        bobbin::spawn(async move {
            while let Ok(n) = ping_rx.recv().await {
                pong_tx.send(n).await.expect("pinger alive");
            }
        });
        for n in 0..ROUND_TRIPS {
            ping_tx.send(n).await.expect("ponger alive");
            assert_eq!(pong_rx.recv().await, Ok(n));
        }
    });
}

fn tokio_ping_pong(rt: &Runtimes) {
    rt.on_tokio(async move {
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
        tokio::spawn(async move {
            while let Some(n) = ping_rx.recv().await {
                pong_tx.send(n).await.expect("pinger alive");
            }
        });
        for n in 0..ROUND_TRIPS {
            ping_tx.send(n).await.expect("ponger alive");
            assert_eq!(pong_rx.recv().await, Some(n));
        }
    });
}

fn async_channel_ping_pong(rt: &Runtimes) {
    let ex = rt.smol.ex.clone();
    rt.smol.block_on(async move {
        let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
        let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
        ex.spawn(async move {
            while let Ok(n) = ping_rx.recv().await {
                pong_tx.send(n).await.expect("pinger alive");
            }
        })
        .detach();
        for n in 0..ROUND_TRIPS {
            ping_tx.send(n).await.expect("ponger alive");
            assert_eq!(pong_rx.recv().await, Ok(n));
        }
    });
}

fn crossbeam_ping_pong() {
    let (ping_tx, ping_rx) = crossbeam_channel::bounded::<u64>(0);
    let (pong_tx, pong_rx) = crossbeam_channel::bounded::<u64>(0);
    let ponger = std::thread::spawn(move || {
        for n in ping_rx {
            pong_tx.send(n).expect("pinger alive");
        }
    });
    for n in 0..THREAD_ROUND_TRIPS {
        ping_tx.send(n).expect("ponger alive");
        assert_eq!(pong_rx.recv(), Ok(n));
    }
    drop(ping_tx);
    ponger.join().unwrap();
}

fn rendezvous(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("rendezvous");
    group.throughput(Throughput::Elements(ROUND_TRIPS));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function(BenchmarkId::from_parameter("bobbin_cap0"), |b| {
        b.iter(|| bobbin_ping_pong(rt, 0))
    });
    group.bench_function(BenchmarkId::from_parameter("bobbin_cap1"), |b| {
        b.iter(|| bobbin_ping_pong(rt, 1))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio_cap1"), |b| {
        b.iter(|| tokio_ping_pong(rt))
    });
    group.bench_function(
        BenchmarkId::from_parameter("async-channel_smol_cap1"),
        |b| b.iter(|| async_channel_ping_pong(rt)),
    );
    group.throughput(Throughput::Elements(THREAD_ROUND_TRIPS));
    group.bench_function(BenchmarkId::from_parameter("crossbeam_threads_cap0"), |b| {
        b.iter(crossbeam_ping_pong)
    });
    group.finish();
}

// ---- Mutex under contention ----------------------------------------------

fn bobbin_mutex(rt: &Runtimes) {
    rt.on_bobbin(async move {
        let counter = Arc::new(bobbin::sync::Mutex::new(0u64));
        let tasks: Vec<_> = (0..MUTEX_TASKS)
            .map(|_| {
                let counter = counter.clone();
                bobbin::spawn(async move {
                    for _ in 0..LOCKS_PER_TASK {
                        *counter.lock().await += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*counter.lock().await, MUTEX_TASKS * LOCKS_PER_TASK);
    });
}

fn tokio_mutex(rt: &Runtimes) {
    rt.on_tokio(async move {
        let counter = Arc::new(tokio::sync::Mutex::new(0u64));
        let tasks: Vec<_> = (0..MUTEX_TASKS)
            .map(|_| {
                let counter = counter.clone();
                tokio::spawn(async move {
                    for _ in 0..LOCKS_PER_TASK {
                        *counter.lock().await += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*counter.lock().await, MUTEX_TASKS * LOCKS_PER_TASK);
    });
}

fn async_lock_mutex(rt: &Runtimes) {
    let ex = rt.smol.ex.clone();
    rt.smol.block_on(async move {
        let counter = Arc::new(async_lock::Mutex::new(0u64));
        let tasks: Vec<_> = (0..MUTEX_TASKS)
            .map(|_| {
                let counter = counter.clone();
                ex.spawn(async move {
                    for _ in 0..LOCKS_PER_TASK {
                        *counter.lock().await += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        assert_eq!(*counter.lock().await, MUTEX_TASKS * LOCKS_PER_TASK);
    });
}

fn mutex(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("mutex");
    group.throughput(Throughput::Elements(MUTEX_TASKS * LOCKS_PER_TASK));
    group.sample_size(20);
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| bobbin_mutex(rt))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| tokio_mutex(rt))
    });
    group.bench_function(BenchmarkId::from_parameter("async-lock_smol"), |b| {
        b.iter(|| async_lock_mutex(rt))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = Runtimes::new();
    many_to_one(
        c,
        &rt,
        "mpsc_bounded",
        PRODUCERS,
        PER_PRODUCER,
        Some(CAPACITY),
    );
    many_to_one(c, &rt, "mpsc_unbounded", PRODUCERS, PER_PRODUCER, None);
    many_to_one(c, &rt, "spsc", 1, SPSC_MESSAGES, Some(CAPACITY));
    rendezvous(c, &rt);
    mutex(c, &rt);
}

criterion_group!(channels, benches);
criterion_main!(channels);
