//! TCP echo on loopback: bobbin beside tokio and smol (async-io), same
//! workload, same worker count (2), same run. A comparison with the peers.
//!
//! Run: `cargo bench -p bobbin-benches --bench net`.
//!
//! Each runtime runs an echo server (a task per connection) and 100 client
//! connections, made once before measuring. One iteration: every client,
//! as a task of its own, sends a 64-byte message and reads the echo back,
//! `ROUNDS` times; criterion reports round trips per second
//! (`100 * ROUNDS` per iteration). `TCP_NODELAY` is set on every socket.

use bobbin_benches::workers;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CONNECTIONS: usize = 100;
const ROUNDS: usize = 100;
const MESSAGE: usize = 64;

fn bobbin_echo(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let rt = bobbin::Runtime::builder()
        .worker_threads(workers())
        .build()
        .unwrap();
    let clients = rt.block_on(async {
        let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        bobbin::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                bobbin::spawn(async move {
                    let (mut reader, mut writer) = stream.into_split();
                    let _ = futures::io::copy(&mut reader, &mut writer).await;
                });
            }
        });
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            let stream = bobbin::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            clients.push(stream);
        }
        clients
    });
    let clients = Arc::new(Mutex::new(clients));
    c.bench_function("bobbin", |b| {
        b.iter(|| {
            let streams = std::mem::take(&mut *clients.lock().unwrap());
            let back = rt.block_on(async {
                let tasks: Vec<_> = streams
                    .into_iter()
                    .map(|mut stream| {
                        bobbin::spawn(async move {
                            let mut buf = [0u8; MESSAGE];
                            for _ in 0..ROUNDS {
                                stream.write_all(&buf).await.unwrap();
                                stream.read_exact(&mut buf).await.unwrap();
                            }
                            stream
                        })
                    })
                    .collect();
                let mut back = Vec::new();
                for task in tasks {
                    back.push(task.await.unwrap());
                }
                back
            });
            *clients.lock().unwrap() = back;
        })
    });
}

fn tokio_echo(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers())
        .enable_io()
        .build()
        .unwrap();
    let clients = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let (mut reader, mut writer) = stream.into_split();
                    let _ = tokio::io::copy(&mut reader, &mut writer).await;
                });
            }
        });
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            clients.push(stream);
        }
        clients
    });
    let clients = Arc::new(Mutex::new(clients));
    c.bench_function("tokio", |b| {
        b.iter(|| {
            let streams = std::mem::take(&mut *clients.lock().unwrap());
            let back = rt.block_on(async {
                let tasks: Vec<_> = streams
                    .into_iter()
                    .map(|mut stream| {
                        tokio::spawn(async move {
                            let mut buf = [0u8; MESSAGE];
                            for _ in 0..ROUNDS {
                                stream.write_all(&buf).await.unwrap();
                                stream.read_exact(&mut buf).await.unwrap();
                            }
                            stream
                        })
                    })
                    .collect();
                let mut back = Vec::new();
                for task in tasks {
                    back.push(task.await.unwrap());
                }
                back
            });
            *clients.lock().unwrap() = back;
        })
    });
}

fn smol_echo(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    type Stream = async_io::Async<std::net::TcpStream>;
    let ex = Arc::new(async_executor::Executor::new());
    let (stop, signal) = async_channel::bounded::<()>(1);
    // smol's own shape: executor threads in async-io's block_on, which
    // drives the reactor while the thread has nothing to run.
    let threads: Vec<_> = (0..workers())
        .map(|_| {
            let ex = ex.clone();
            let signal = signal.clone();
            std::thread::spawn(move || async_io::block_on(ex.run(signal.recv())).unwrap_or(()))
        })
        .collect();
    let clients = futures_lite::future::block_on(async {
        let listener =
            async_io::Async::<std::net::TcpListener>::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let server_ex = ex.clone();
        ex.spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.get_ref().set_nodelay(true).unwrap();
                server_ex
                    .spawn(async move {
                        let reader = Arc::new(stream);
                        let writer = reader.clone();
                        let _ = futures::io::copy(&*reader, &mut &*writer).await;
                    })
                    .detach();
            }
        })
        .detach();
        let mut clients: Vec<Stream> = Vec::new();
        for _ in 0..CONNECTIONS {
            let stream = Stream::connect(addr).await.unwrap();
            stream.get_ref().set_nodelay(true).unwrap();
            clients.push(stream);
        }
        clients
    });
    let clients = Arc::new(Mutex::new(clients));
    c.bench_function("smol", |b| {
        b.iter(|| {
            let streams = std::mem::take(&mut *clients.lock().unwrap());
            // Wait without running tasks or driving the reactor, as the
            // other two runtimes' block_on do.
            let back = futures_lite::future::block_on(async {
                let tasks: Vec<_> = streams
                    .into_iter()
                    .map(|mut stream| {
                        ex.spawn(async move {
                            let mut buf = [0u8; MESSAGE];
                            for _ in 0..ROUNDS {
                                stream.write_all(&buf).await.unwrap();
                                stream.read_exact(&mut buf).await.unwrap();
                            }
                            stream
                        })
                    })
                    .collect();
                let mut back = Vec::new();
                for task in tasks {
                    back.push(task.await);
                }
                back
            });
            *clients.lock().unwrap() = back;
        })
    });
    drop(stop);
    for thread in threads {
        thread.join().unwrap();
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_echo");
    group.throughput(Throughput::Elements((CONNECTIONS * ROUNDS) as u64));
    bobbin_echo(&mut group);
    tokio_echo(&mut group);
    smol_echo(&mut group);
    group.finish();
}

criterion_group! {
    name = net;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(net);
