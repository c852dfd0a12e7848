//! One thread: bobbin's current-thread runtime beside tokio's current-thread
//! runtime and smol's `LocalExecutor` (run by `async_io::block_on`, which
//! drives smol's reactor on the same thread),
//! same workload, same run. Everything runs on the bench's own thread.
//!
//! Run: `cargo bench -p bobbin-benches --bench local` (add a group name to
//! filter, e.g. `-- spawn_many`).
//!
//! - `spawn_many`: spawn 100k empty tasks, join all (bobbin twice: with
//!   `spawn`, and with `task::spawn_local`).
//! - `yield_many`: 200 tasks each yield 1000 times.
//! - `ping_pong`: two tasks bounce a message 10k times each way over
//!   capacity-1 `async-channel`s (the same channel for all three).
//! - `tcp_echo`: a client and a server task on 127.0.0.1, 10k round trips
//!   of 64 bytes.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::future::Future;

const SPAWN_MANY: u64 = 100_000;
const YIELD_TASKS: u64 = 200;
const YIELDS: u64 = 1_000;
const ROUNDS: u64 = 10_000;
const MESSAGE: usize = 64;

struct Runtimes {
    bobbin: bobbin::Runtime,
    tokio: tokio::runtime::Runtime,
    smol: async_executor::LocalExecutor<'static>,
}

impl Runtimes {
    fn new() -> Runtimes {
        Runtimes {
            bobbin: bobbin::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
            tokio: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            smol: async_executor::LocalExecutor::new(),
        }
    }

    fn smol<T>(&self, f: impl Future<Output = T>) -> T {
        async_io::block_on(self.smol.run(f))
    }
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    elements: u64,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(elements));
    group
}

/// Spawns one empty task on bobbin (`spawn_many`'s two bobbin rows).
type Spawn = fn() -> bobbin::task::JoinHandle<()>;

fn spawn_many(c: &mut Criterion, rt: &Runtimes) {
    let mut g = group(c, "spawn_many", SPAWN_MANY);
    // bobbin twice, the same loop: `spawn`, then `task::spawn_local`.
    let bobbin_rows: [(&str, Spawn); 2] = [
        ("bobbin", || bobbin::spawn(async {})),
        ("bobbin_local", || bobbin::task::spawn_local(async {})),
    ];
    for (name, spawn) in bobbin_rows {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                rt.bobbin.block_on(async {
                    let handles: Vec<_> = (0..SPAWN_MANY).map(|_| spawn()).collect();
                    for handle in handles {
                        handle.await.unwrap();
                    }
                })
            })
        });
    }
    g.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| {
            rt.tokio.block_on(async {
                let handles: Vec<_> = (0..SPAWN_MANY).map(|_| tokio::spawn(async {})).collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
        })
    });
    g.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter(|| {
            rt.smol(async {
                let handles: Vec<_> = (0..SPAWN_MANY).map(|_| rt.smol.spawn(async {})).collect();
                for handle in handles {
                    handle.await;
                }
            })
        })
    });
    g.finish();
}

fn yield_many(c: &mut Criterion, rt: &Runtimes) {
    let mut g = group(c, "yield_many", YIELD_TASKS * YIELDS);
    g.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| {
            rt.bobbin.block_on(async {
                let handles: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        bobbin::spawn(async {
                            for _ in 0..YIELDS {
                                bobbin::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
        })
    });
    g.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| {
            rt.tokio.block_on(async {
                let handles: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        tokio::spawn(async {
                            for _ in 0..YIELDS {
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
        })
    });
    g.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter(|| {
            rt.smol(async {
                let handles: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        rt.smol.spawn(async {
                            for _ in 0..YIELDS {
                                futures_lite::future::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await;
                }
            })
        })
    });
    g.finish();
}

/// A boxed echo task, for `ping_pong`'s `spawn`.
type Echo = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Two tasks bounce `ROUNDS` messages; `spawn` runs the echoing side.
async fn ping_pong(spawn: impl FnOnce(Echo)) {
    let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
    let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
    spawn(Box::pin(async move {
        while let Ok(n) = ping_rx.recv().await {
            pong_tx.send(n).await.unwrap();
        }
    }));
    for n in 0..ROUNDS {
        ping_tx.send(n).await.unwrap();
        assert_eq!(pong_rx.recv().await.unwrap(), n);
    }
}

/// The pinging side runs as a task on bobbin and tokio, and as the
/// executor's `run` future on smol (whose `LocalExecutor` cannot spawn a
/// future that borrows it).
fn ping_pongs(c: &mut Criterion, rt: &Runtimes) {
    let mut g = group(c, "ping_pong", ROUNDS);
    g.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| {
            let pinger = ping_pong(|echo| drop(bobbin::spawn(echo)));
            rt.bobbin
                .block_on(async { bobbin::spawn(pinger).await.unwrap() })
        })
    });
    g.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| {
            let pinger = ping_pong(|echo| drop(tokio::spawn(echo)));
            rt.tokio
                .block_on(async { tokio::spawn(pinger).await.unwrap() })
        })
    });
    g.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter(|| rt.smol(ping_pong(|echo| rt.smol.spawn(echo).detach())))
    });
    g.finish();
}

fn tcp_echo(c: &mut Criterion, rt: &Runtimes) {
    let mut g = group(c, "tcp_echo", ROUNDS);
    g.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        use futures::io::{AsyncReadExt, AsyncWriteExt};
        b.iter(|| {
            rt.bobbin.block_on(async {
                let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let address = listener.local_addr().unwrap();
                bobbin::spawn(async move {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    let mut buf = [0u8; MESSAGE];
                    while stream.read_exact(&mut buf).await.is_ok() {
                        stream.write_all(&buf).await.unwrap();
                    }
                });
                let mut client = bobbin::net::TcpStream::connect(address).await.unwrap();
                client.set_nodelay(true).unwrap();
                let mut buf = [7u8; MESSAGE];
                for _ in 0..ROUNDS {
                    client.write_all(&buf).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                }
            })
        })
    });
    g.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        b.iter(|| {
            rt.tokio.block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let address = listener.local_addr().unwrap();
                tokio::spawn(async move {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    let mut buf = [0u8; MESSAGE];
                    while stream.read_exact(&mut buf).await.is_ok() {
                        stream.write_all(&buf).await.unwrap();
                    }
                });
                let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
                client.set_nodelay(true).unwrap();
                let mut buf = [7u8; MESSAGE];
                for _ in 0..ROUNDS {
                    client.write_all(&buf).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                }
            })
        })
    });
    g.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        use futures_lite::{AsyncReadExt, AsyncWriteExt};
        b.iter(|| {
            rt.smol(async {
                let listener =
                    async_io::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
                let address = listener.get_ref().local_addr().unwrap();
                rt.smol
                    .spawn(async move {
                        let (mut stream, _) = listener.accept().await.unwrap();
                        let mut buf = [0u8; MESSAGE];
                        while stream.read_exact(&mut buf).await.is_ok() {
                            stream.write_all(&buf).await.unwrap();
                        }
                    })
                    .detach();
                let mut client = async_io::Async::<std::net::TcpStream>::connect(address)
                    .await
                    .unwrap();
                client.get_ref().set_nodelay(true).unwrap();
                let mut buf = [7u8; MESSAGE];
                for _ in 0..ROUNDS {
                    client.write_all(&buf).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                }
            })
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let rt = Runtimes::new();
    spawn_many(c, &rt);
    yield_many(c, &rt);
    ping_pongs(c, &rt);
    tcp_echo(c, &rt);
}

criterion_group!(local, benches);
criterion_main!(local);
