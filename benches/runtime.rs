//! Core scheduler benchmarks: bobbin beside tokio's multi-thread runtime and
//! smol's `async-executor`, same workload, same worker count, same run.
//!
//! A comparison with the peers, and the regression guard of the task and
//! scheduler core. Every group runs the same code shape on each runtime;
//! where a channel is needed all three use `async-channel` (runtime
//! agnostic), so the figures compare the runtimes, not their channels.
//!
//! Run: `cargo bench --bench runtime` (add a group name to filter, e.g.
//! `cargo bench --bench runtime -- spawn_many`). Worker count: 2, or
//! `BENCH_WORKERS`.
//!
//! - `spawn_many`: spawn 100k empty tasks from inside the runtime, join all.
//! - `chained_spawn`: each task spawns the next, 1000 deep.
//! - `yield_many`: 200 tasks each yield 1000 times.
//! - `ping_pong/1_pair`: two tasks bounce a message 10k times each way over
//!   capacity-1 channels.
//! - `ping_pong/1000_pairs`: 1000 such pairs at once, 100 round trips each.
//! - `block_on`: `block_on` of a ready future.
//! - `metrics_reader/{chained_spawn,1000_pairs}`: the cost of being
//!   watched. bobbin alone, with a thread that only wakes every
//!   millisecond (the control), with one reading `metrics()` every
//!   millisecond, and with one taking a `dump()` every 10 ms; tokio alone
//!   and with a thread reading its stable metrics (alive tasks, injection
//!   queue depth) every millisecond; smol (which has no metrics) alone.

use bobbin_benches::{SmolRt, workers};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

const SPAWN_MANY: u64 = 100_000;
const CHAIN_DEPTH: u64 = 1_000;
const YIELD_TASKS: u64 = 200;
const YIELDS: u64 = 1_000;
const ONE_PAIR_ROUNDS: u64 = 10_000;
const PAIRS: u64 = 1_000;
const PAIR_ROUNDS: u64 = 100;

/// The three runtimes behind one face: block on a future whose body may
/// spawn through `Spawner`.
trait Bench: Sync {
    fn name(&self) -> &'static str;
    fn block_on<F: Future<Output = ()> + Send + 'static>(&self, f: impl FnOnce(Spawner) -> F);
}

/// Spawns onto the runtime under test and awaits the result.
#[derive(Clone)]
enum Spawner {
    Bobbin,
    Tokio,
    Smol(Arc<async_executor::Executor<'static>>),
}

type Boxed<T> = std::pin::Pin<Box<dyn Future<Output = T> + Send>>;

impl Spawner {
    /// Spawns `fut`; the returned future gives its output.
    fn spawn<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> Boxed<T> {
        match self {
            Spawner::Bobbin => {
                let handle = bobbin::spawn(fut);
                Box::pin(async move { handle.await.unwrap() })
            }
            Spawner::Tokio => {
                let handle = tokio::spawn(fut);
                Box::pin(async move { handle.await.unwrap() })
            }
            Spawner::Smol(ex) => Box::pin(ex.spawn(fut)),
        }
    }

    /// Spawns `fut` detached.
    fn spawn_detached(&self, fut: impl Future<Output = ()> + Send + 'static) {
        match self {
            Spawner::Bobbin => drop(bobbin::spawn(fut)),
            Spawner::Tokio => drop(tokio::spawn(fut)),
            Spawner::Smol(ex) => ex.spawn(fut).detach(),
        }
    }

    async fn yield_now(&self) {
        match self {
            Spawner::Bobbin => bobbin::task::yield_now().await,
            Spawner::Tokio => tokio::task::yield_now().await,
            Spawner::Smol(_) => futures_lite::future::yield_now().await,
        }
    }
}

struct BobbinRt(bobbin::Runtime);
struct TokioRt(tokio::runtime::Runtime);
impl Bench for BobbinRt {
    fn name(&self) -> &'static str {
        "bobbin"
    }
    fn block_on<F: Future<Output = ()> + Send + 'static>(&self, f: impl FnOnce(Spawner) -> F) {
        // Run the body as a task, as the peers' benchmarks do, so spawns come
        // from a worker thread.
        let body = f(Spawner::Bobbin);
        self.0.block_on(self.0.spawn(body)).unwrap();
    }
}

impl Bench for TokioRt {
    fn name(&self) -> &'static str {
        "tokio"
    }
    fn block_on<F: Future<Output = ()> + Send + 'static>(&self, f: impl FnOnce(Spawner) -> F) {
        let body = f(Spawner::Tokio);
        self.0.block_on(self.0.spawn(body)).unwrap();
    }
}

impl Bench for SmolRt {
    fn name(&self) -> &'static str {
        "smol"
    }
    fn block_on<F: Future<Output = ()> + Send + 'static>(&self, f: impl FnOnce(Spawner) -> F) {
        let body = f(Spawner::Smol(self.ex.clone()));
        futures_lite::future::block_on(self.ex.spawn(body));
    }
}

fn runtimes() -> (BobbinRt, TokioRt, SmolRt) {
    let n = workers();
    let bobbin = bobbin::Runtime::builder()
        .worker_threads(n)
        .build()
        .unwrap();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(n)
        .build()
        .unwrap();
    (BobbinRt(bobbin), TokioRt(tokio), SmolRt::new(n))
}

fn spawn_many(rt: &impl Bench) {
    rt.block_on(|sp| async move {
        let handles: Vec<_> = (0..SPAWN_MANY)
            .map(|i| sp.spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await;
        }
        assert_eq!(sum, SPAWN_MANY * (SPAWN_MANY - 1) / 2);
    });
}

fn chained_spawn(rt: &impl Bench) {
    fn link(sp: Spawner, done: async_channel::Sender<()>, n: u64) -> Boxed<()> {
        Box::pin(async move {
            if n == 0 {
                done.send(()).await.unwrap();
            } else {
                let next = sp.clone();
                sp.spawn_detached(link(next, done, n - 1));
            }
        })
    }
    rt.block_on(|sp| async move {
        let (done, finished) = async_channel::bounded(1);
        sp.spawn_detached(link(sp.clone(), done, CHAIN_DEPTH));
        finished.recv().await.unwrap();
    });
}

fn yield_many(rt: &impl Bench) {
    rt.block_on(|sp| async move {
        let handles: Vec<_> = (0..YIELD_TASKS)
            .map(|_| {
                let inner = sp.clone();
                sp.spawn(async move {
                    for _ in 0..YIELDS {
                        inner.yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
    });
}

fn ping_pong(rt: &impl Bench, pairs: u64, rounds: u64) {
    rt.block_on(move |sp| async move {
        let handles: Vec<_> = (0..pairs)
            .map(|_| {
                let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
                let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
                sp.spawn_detached(async move {
                    while let Ok(n) = ping_rx.recv().await {
                        pong_tx.send(n).await.unwrap();
                    }
                });
                sp.spawn(async move {
                    for n in 0..rounds {
                        ping_tx.send(n).await.unwrap();
                        assert_eq!(pong_rx.recv().await.unwrap(), n);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
    });
}

fn bench_all(
    c: &mut Criterion,
    name: &str,
    elements: u64,
    work: fn(&BobbinRt),
    tokio: fn(&TokioRt),
    smol: fn(&SmolRt),
) {
    let (b, t, s) = runtimes();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(elements));
    group.bench_function(BenchmarkId::from_parameter(b.name()), |bencher| {
        bencher.iter(|| work(&b))
    });
    group.bench_function(BenchmarkId::from_parameter(t.name()), |bencher| {
        bencher.iter(|| tokio(&t))
    });
    group.bench_function(BenchmarkId::from_parameter(s.name()), |bencher| {
        bencher.iter(|| smol(&s))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_all(
        c,
        "spawn_many",
        SPAWN_MANY,
        spawn_many,
        spawn_many,
        spawn_many,
    );
    bench_all(
        c,
        "chained_spawn",
        CHAIN_DEPTH,
        chained_spawn,
        chained_spawn,
        chained_spawn,
    );
    bench_all(
        c,
        "yield_many",
        YIELD_TASKS * YIELDS,
        yield_many,
        yield_many,
        yield_many,
    );
    // Hops: each round trip is two messages.
    bench_all(
        c,
        "ping_pong/1_pair",
        2 * ONE_PAIR_ROUNDS,
        |rt| ping_pong(rt, 1, ONE_PAIR_ROUNDS),
        |rt| ping_pong(rt, 1, ONE_PAIR_ROUNDS),
        |rt| ping_pong(rt, 1, ONE_PAIR_ROUNDS),
    );
    bench_all(
        c,
        "ping_pong/1000_pairs",
        2 * PAIRS * PAIR_ROUNDS,
        |rt| ping_pong(rt, PAIRS, PAIR_ROUNDS),
        |rt| ping_pong(rt, PAIRS, PAIR_ROUNDS),
        |rt| ping_pong(rt, PAIRS, PAIR_ROUNDS),
    );
    block_on_overhead(c);
    metrics_reader(c);
}

/// A thread that reads a runtime's figures every `every` until dropped.
struct Reader {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Reader {
    fn start(every: Duration, read: impl Fn() -> usize + Send + 'static) -> Reader {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut sink = 0u64;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                sink = sink.wrapping_add(read() as u64);
                std::thread::sleep(every);
            }
            sink
        });
        Reader {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            std::hint::black_box(thread.join().unwrap());
        }
    }
}

/// A workload: its name, elements per run, and its body on each runtime.
type Workload = (&'static str, u64, fn(&BobbinRt), fn(&TokioRt), fn(&SmolRt));

/// Each workload with and without a reader of the runtime's figures.
fn metrics_reader(c: &mut Criterion) {
    let workloads: [Workload; 2] = [
        (
            "chained_spawn",
            CHAIN_DEPTH,
            chained_spawn,
            chained_spawn,
            chained_spawn,
        ),
        (
            "1000_pairs",
            2 * PAIRS * PAIR_ROUNDS,
            |rt| ping_pong(rt, PAIRS, PAIR_ROUNDS),
            |rt| ping_pong(rt, PAIRS, PAIR_ROUNDS),
            |rt| ping_pong(rt, PAIRS, PAIR_ROUNDS),
        ),
    ];
    let millisecond = Duration::from_millis(1);
    for (name, elements, bobbin, tokio, smol) in workloads {
        let (b, t, s) = runtimes();
        let mut group = c.benchmark_group(format!("metrics_reader/{name}"));
        group.throughput(Throughput::Elements(elements));
        group.bench_function("bobbin", |bencher| bencher.iter(|| bobbin(&b)));
        // The control: a thread that wakes as often and reads nothing, to
        // tell the cost of reading from that of a third thread waking.
        let reader = Reader::start(millisecond, || 0);
        group.bench_function("bobbin+idle_thread_1ms", |bencher| {
            bencher.iter(|| bobbin(&b))
        });
        drop(reader);
        let handle = b.0.handle();
        let reader = Reader::start(millisecond, move || handle.metrics().polls() as usize);
        group.bench_function("bobbin+metrics_1ms", |bencher| bencher.iter(|| bobbin(&b)));
        drop(reader);
        let handle = b.0.handle();
        let reader = Reader::start(10 * millisecond, move || handle.dump().tasks().len());
        group.bench_function("bobbin+dump_10ms", |bencher| bencher.iter(|| bobbin(&b)));
        drop(reader);
        group.bench_function("tokio", |bencher| bencher.iter(|| tokio(&t)));
        let handle = t.0.handle().clone();
        let reader = Reader::start(millisecond, move || {
            let metrics = handle.metrics();
            metrics.num_alive_tasks() + metrics.global_queue_depth()
        });
        group.bench_function("tokio+metrics_1ms", |bencher| bencher.iter(|| tokio(&t)));
        drop(reader);
        group.bench_function("smol", |bencher| bencher.iter(|| smol(&s)));
        group.finish();
    }
}

/// `block_on` of a ready future, from the main thread.
fn block_on_overhead(c: &mut Criterion) {
    let (b, t, s) = runtimes();
    let mut group = c.benchmark_group("block_on");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bobbin", |bencher| {
        bencher.iter(|| b.0.block_on(async { std::hint::black_box(1) }))
    });
    group.bench_function("tokio", |bencher| {
        bencher.iter(|| t.0.block_on(async { std::hint::black_box(1) }))
    });
    group.bench_function("smol", |bencher| {
        bencher.iter(|| futures_lite::future::block_on(s.ex.run(async { std::hint::black_box(1) })))
    });
    group.finish();
}

criterion_group! {
    name = runtime;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(runtime);
