//! The OS surface: files, child processes and signals. bobbin beside
//! tokio (`tokio::fs`, `tokio::process`, `tokio::signal`) and smol's crates
//! (`async-fs`, `async-process`, `async-signal` on smol's executor), and
//! `std::fs` on one thread as the physical bound for file reads. Same
//! workload, same worker count (2, or `BENCH_WORKERS`), same run.
//!
//! Run: `cargo bench -p bobbin-benches --bench os` (add a group name to
//! filter, e.g. `-- file_read`).
//!
//! - `file_read`: read a 256 MiB file (in the page cache after the first
//!   pass) to its end in 64 KiB reads. Throughput: bytes.
//! - `small_files`: read 10k files of 1 KiB, 64 readers at a time.
//! - `spawn_wait`: spawn and wait for 1000 `true` processes, 10 at a time.
//! - `pipe_cat`: pipe 1 GiB through `cat` (written and read at once, in
//!   64 KiB pieces). Throughput: bytes.
//! - `signal_latency`: raise a signal and time until the listening task
//!   has it (each runtime listens for its own signal: SIGUSR1, SIGUSR2,
//!   SIGWINCH, so no handler of another runtime runs).

use bobbin_benches::Runtimes;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const BIG_FILE: usize = 256 << 20;
const CHUNK: usize = 64 << 10;
const SMALL_FILES: usize = 10_000;
const SMALL_SIZE: usize = 1024;
const READERS: usize = 64;
const PROCESSES: usize = 1000;
const SPAWNERS: usize = 10;
const PIPED: usize = 1 << 30;

/// The files the benchmarks read, made once.
struct Files {
    dir: PathBuf,
    big: PathBuf,
    small: Vec<PathBuf>,
}

impl Files {
    fn make() -> Files {
        let dir = std::env::temp_dir().join(format!("bobbin-bench-os-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("small")).unwrap();
        let big = dir.join("big");
        let data: Vec<u8> = (0..BIG_FILE).map(|i| (i % 251) as u8).collect();
        std::fs::write(&big, &data).unwrap();
        let small = (0..SMALL_FILES)
            .map(|i| {
                let path = dir.join("small").join(format!("{i:05}"));
                std::fs::write(&path, [i as u8; SMALL_SIZE]).unwrap();
                path
            })
            .collect();
        Files { dir, big, small }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---- file_read --------------------------------------------------------------

async fn bobbin_read(path: PathBuf) -> usize {
    use futures::io::AsyncReadExt;
    let mut file = bobbin::fs::File::open(path).await.unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match file.read(&mut buf).await.unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

async fn tokio_read(path: PathBuf) -> usize {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await.unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match file.read(&mut buf).await.unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

async fn smol_read(path: PathBuf) -> usize {
    use futures_lite::AsyncReadExt;
    let mut file = async_fs::File::open(path).await.unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match file.read(&mut buf).await.unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

fn std_read(path: &Path) -> usize {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match file.read(&mut buf).unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

fn file_read(c: &mut Criterion, rt: &Runtimes, files: &Files) {
    let mut group = c.benchmark_group("file_read");
    group.throughput(Throughput::Bytes(BIG_FILE as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    let big = files.big.clone();
    group.bench_function(BenchmarkId::from_parameter("std_one_thread"), |b| {
        b.iter(|| assert_eq!(std_read(&big), BIG_FILE))
    });
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| assert_eq!(rt.on_bobbin(bobbin_read(big.clone())), BIG_FILE))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| assert_eq!(rt.on_tokio(tokio_read(big.clone())), BIG_FILE))
    });
    group.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter(|| assert_eq!(rt.smol.block_on(smol_read(big.clone())), BIG_FILE))
    });
    group.finish();
}

// ---- small_files ------------------------------------------------------------

/// The files reader `i` of `READERS` reads.
fn share(files: &[PathBuf], i: usize) -> Vec<PathBuf> {
    files.iter().skip(i).step_by(READERS).cloned().collect()
}

fn small_files(c: &mut Criterion, rt: &Runtimes, files: &Files) {
    let mut group = c.benchmark_group("small_files");
    group.throughput(Throughput::Elements(SMALL_FILES as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    let small = files.small.clone();
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| {
            let small = small.clone();
            rt.on_bobbin(async move {
                let readers: Vec<_> = (0..READERS)
                    .map(|i| {
                        let mine = share(&small, i);
                        bobbin::spawn(async move {
                            for path in mine {
                                assert_eq!(bobbin::fs::read(path).await.unwrap().len(), SMALL_SIZE);
                            }
                        })
                    })
                    .collect();
                for reader in readers {
                    reader.await.unwrap();
                }
            })
        })
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| {
            let small = small.clone();
            rt.on_tokio(async move {
                let readers: Vec<_> = (0..READERS)
                    .map(|i| {
                        let mine = share(&small, i);
                        tokio::spawn(async move {
                            for path in mine {
                                assert_eq!(tokio::fs::read(path).await.unwrap().len(), SMALL_SIZE);
                            }
                        })
                    })
                    .collect();
                for reader in readers {
                    reader.await.unwrap();
                }
            })
        })
    });
    group.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter(|| {
            let small = small.clone();
            let ex = rt.smol.ex.clone();
            rt.smol.block_on(async move {
                let readers: Vec<_> = (0..READERS)
                    .map(|i| {
                        let mine = share(&small, i);
                        ex.spawn(async move {
                            for path in mine {
                                assert_eq!(async_fs::read(path).await.unwrap().len(), SMALL_SIZE);
                            }
                        })
                    })
                    .collect();
                for reader in readers {
                    reader.await;
                }
            })
        })
    });
    group.finish();
}

// ---- spawn_wait ---------------------------------------------------------------

fn spawn_wait(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("spawn_wait");
    group.throughput(Throughput::Elements(PROCESSES as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    let per = PROCESSES / SPAWNERS;
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| {
            rt.on_bobbin(async move {
                let spawners: Vec<_> = (0..SPAWNERS)
                    .map(|_| {
                        bobbin::spawn(async move {
                            for _ in 0..per {
                                let status = bobbin::process::Command::new("true")
                                    .status()
                                    .await
                                    .unwrap();
                                assert!(status.success());
                            }
                        })
                    })
                    .collect();
                for spawner in spawners {
                    spawner.await.unwrap();
                }
            })
        })
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| {
            rt.on_tokio(async move {
                let spawners: Vec<_> = (0..SPAWNERS)
                    .map(|_| {
                        tokio::spawn(async move {
                            for _ in 0..per {
                                let status =
                                    tokio::process::Command::new("true").status().await.unwrap();
                                assert!(status.success());
                            }
                        })
                    })
                    .collect();
                for spawner in spawners {
                    spawner.await.unwrap();
                }
            })
        })
    });
    group.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter(|| {
            let ex = rt.smol.ex.clone();
            rt.smol.block_on(async move {
                let spawners: Vec<_> = (0..SPAWNERS)
                    .map(|_| {
                        ex.spawn(async move {
                            for _ in 0..per {
                                let status =
                                    async_process::Command::new("true").status().await.unwrap();
                                assert!(status.success());
                            }
                        })
                    })
                    .collect();
                for spawner in spawners {
                    spawner.await;
                }
            })
        })
    });
    group.finish();
}

// ---- pipe_cat -----------------------------------------------------------------

async fn bobbin_pipe() -> usize {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let mut cat = bobbin::process::Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = cat.stdin.take().unwrap();
    let writer = bobbin::spawn(async move {
        let chunk = vec![7u8; CHUNK];
        for _ in 0..PIPED / CHUNK {
            stdin.write_all(&chunk).await.unwrap();
        }
    });
    let mut stdout = cat.stdout.take().unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match stdout.read(&mut buf).await.unwrap() {
            0 => break,
            n => total += n,
        }
    }
    writer.await.unwrap();
    assert!(cat.wait().await.unwrap().success());
    total
}

async fn tokio_pipe() -> usize {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut cat = tokio::process::Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = cat.stdin.take().unwrap();
    let writer = tokio::spawn(async move {
        let chunk = vec![7u8; CHUNK];
        for _ in 0..PIPED / CHUNK {
            stdin.write_all(&chunk).await.unwrap();
        }
    });
    let mut stdout = cat.stdout.take().unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match stdout.read(&mut buf).await.unwrap() {
            0 => break,
            n => total += n,
        }
    }
    writer.await.unwrap();
    assert!(cat.wait().await.unwrap().success());
    total
}

async fn smol_pipe(ex: std::sync::Arc<async_executor::Executor<'static>>) -> usize {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let mut cat = async_process::Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = cat.stdin.take().unwrap();
    let writer = ex.spawn(async move {
        let chunk = vec![7u8; CHUNK];
        for _ in 0..PIPED / CHUNK {
            stdin.write_all(&chunk).await.unwrap();
        }
    });
    let mut stdout = cat.stdout.take().unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match stdout.read(&mut buf).await.unwrap() {
            0 => break,
            n => total += n,
        }
    }
    writer.await;
    assert!(cat.status().await.unwrap().success());
    total
}

fn pipe_cat(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("pipe_cat");
    group.throughput(Throughput::Bytes(PIPED as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| assert_eq!(rt.on_bobbin(bobbin_pipe()), PIPED))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| assert_eq!(rt.on_tokio(tokio_pipe()), PIPED))
    });
    group.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter(|| {
            let ex = rt.smol.ex.clone();
            assert_eq!(rt.smol.block_on(smol_pipe(ex)), PIPED)
        })
    });
    group.finish();
}

// ---- signal_latency -------------------------------------------------------------

fn raise(signal: i32) {
    // SAFETY: raising a signal this process has a handler for.
    assert_eq!(unsafe { libc::kill(libc::getpid(), signal) }, 0);
}

fn signal_latency(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("signal_latency");
    group.sample_size(50);
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter_custom(|iters| {
            rt.on_bobbin(async move {
                use bobbin::signal::unix::{SignalKind, signal};
                let mut listener = signal(SignalKind::user_defined1()).unwrap();
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    raise(libc::SIGUSR1);
                    listener.recv().await.unwrap();
                    total += start.elapsed();
                }
                total
            })
        })
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter_custom(|iters| {
            rt.on_tokio(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let mut listener = signal(SignalKind::user_defined2()).unwrap();
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    raise(libc::SIGUSR2);
                    listener.recv().await.unwrap();
                    total += start.elapsed();
                }
                total
            })
        })
    });
    group.bench_function(BenchmarkId::from_parameter("smol"), |b| {
        b.iter_custom(|iters| {
            rt.smol.block_on(async move {
                use futures_lite::StreamExt;
                let mut listener =
                    async_signal::Signals::new([async_signal::Signal::Winch]).unwrap();
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    raise(libc::SIGWINCH);
                    listener.next().await.unwrap().unwrap();
                    total += start.elapsed();
                }
                total
            })
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = Runtimes::with_drivers();
    let files = Files::make();
    file_read(c, &rt, &files);
    small_files(c, &rt, &files);
    spawn_wait(c, &rt);
    pipe_cat(c, &rt);
    signal_latency(c, &rt);
}

criterion_group!(os, benches);
criterion_main!(os);
