//! Fan-out primitives: one sender and many receivers, and one token that
//! many tasks wait on. bobbin's `broadcast`, `watch` and
//! `CancellationToken` on bobbin beside tokio's `broadcast` and `watch` and
//! tokio-util's `CancellationToken` on tokio, and `async-broadcast` on
//! smol's executor. The peers' primitives also run on bobbin (they are
//! runtime-agnostic), to tell the primitive from the runtime. Same
//! workload, same worker count (2, or `BENCH_WORKERS`), same run.
//!
//! Run: `cargo bench -p bobbin-benches --bench fanout` (add a group name to
//! filter, e.g. `-- broadcast`).
//!
//! - `broadcast`: one sender task sends 10k `u64` to 16 receiver tasks,
//!   yielding after every 64 sends (a producer whose events come in
//!   bursts); the capacity (16384) holds them all, so no receiver lags and
//!   every receiver sees every value (checked). Throughput: messages sent
//!   per second (each is delivered 16 times).
//! - `watch`: one sender task publishes 20k successive values to 16
//!   receiver tasks, yielding after each; every receiver waits for changes
//!   until it has seen the last value. Throughput: values published per
//!   second.
//! - `cancel`: 100k tasks wait on one `CancellationToken` (each holds a
//!   clone); the time from `cancel()` to the last task resuming (spawning
//!   and parking them is not timed). Throughput: tasks woken per second.

use bobbin_benches::Runtimes;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use futures::channel::oneshot;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RECEIVERS: usize = 16;
const BROADCAST_MESSAGES: u64 = 10_000;
const BROADCAST_CAPACITY: usize = 16_384;
const BURST: u64 = 64;
const WATCH_UPDATES: u64 = 20_000;
const WAITING_TASKS: usize = 100_000;

/// A boxed task body, for the workloads that run on several runtimes.
type Body = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Spawns a body (and detaches it) on one runtime.
trait Spawn: Fn(Body) + Send + Sync + 'static {}
impl<F: Fn(Body) + Send + Sync + 'static> Spawn for F {}

fn on_bobbin(body: Body) {
    drop(bobbin::spawn(body));
}

fn on_tokio(body: Body) {
    drop(tokio::spawn(body));
}

/// Yields on whichever runtime runs the task (the peers' `yield_now` are
/// all "wake me and go to the back of the queue").
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

/// Counts tasks down; the last one to finish fires the waiter. A
/// runtime-agnostic join for detached tasks.
#[derive(Clone)]
struct Countdown {
    left: Arc<AtomicUsize>,
    done: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

impl Countdown {
    fn new(tasks: usize) -> (Countdown, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let countdown = Countdown {
            left: Arc::new(AtomicUsize::new(tasks)),
            done: Arc::new(Mutex::new(Some(tx))),
        };
        (countdown, rx)
    }

    fn finished(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            let tx = self.done.lock().unwrap().take().expect("fired once");
            tx.send(()).expect("the waiter is alive");
        }
    }
}

/// Every receiver's sum of every value `0..messages`.
fn expected_sum(messages: u64) -> u64 {
    RECEIVERS as u64 * messages * (messages - 1) / 2
}

// ---- broadcast -----------------------------------------------------------

/// The broadcast workload over any channel: `subscribe` gives a receive
/// loop (which sums what it sees), `send` sends one value.
async fn broadcast_workload<R>(
    spawn: impl Spawn,
    mut subscribe: impl FnMut() -> R,
    send: impl Fn(u64) + Send + 'static,
) where
    R: Future<Output = u64> + Send + 'static,
{
    let sum = Arc::new(AtomicU64::new(0));
    let (countdown, done) = Countdown::new(RECEIVERS);
    for _ in 0..RECEIVERS {
        let receive = subscribe();
        let (sum, countdown) = (sum.clone(), countdown.clone());
        spawn(Box::pin(async move {
            sum.fetch_add(receive.await, Ordering::Relaxed);
            countdown.finished();
        }));
    }
    // Only `send` keeps the channel open now.
    drop(subscribe);
    spawn(Box::pin(async move {
        for i in 0..BROADCAST_MESSAGES {
            send(i);
            if i % BURST == BURST - 1 {
                yield_now().await;
            }
        }
        // `send` (and the sender in it) drops here: the receivers end.
    }));
    done.await.expect("every receiver finished");
    assert_eq!(
        sum.load(Ordering::Relaxed),
        expected_sum(BROADCAST_MESSAGES)
    );
}

async fn bobbin_broadcast(spawn: impl Spawn) {
    use bobbin::channel::broadcast::RecvError;
    let (tx, _) = bobbin::channel::broadcast::<u64>(BROADCAST_CAPACITY);
    let subscriber = tx.clone();
    broadcast_workload(
        spawn,
        move || {
            let mut rx = subscriber.subscribe();
            async move {
                let mut sum = 0;
                loop {
                    match rx.recv().await {
                        Ok(v) => sum += v,
                        Err(RecvError::Closed) => break sum,
                        Err(RecvError::Lagged(n)) => panic!("a receiver lagged by {n}"),
                    }
                }
            }
        },
        move |v| {
            tx.send(v).expect("receivers alive");
        },
    )
    .await;
}

async fn tokio_broadcast(spawn: impl Spawn) {
    use tokio::sync::broadcast::error::RecvError;
    let (tx, _) = tokio::sync::broadcast::channel::<u64>(BROADCAST_CAPACITY);
    let subscriber = tx.clone();
    broadcast_workload(
        spawn,
        move || {
            let mut rx = subscriber.subscribe();
            async move {
                let mut sum = 0;
                loop {
                    match rx.recv().await {
                        Ok(v) => sum += v,
                        Err(RecvError::Closed) => break sum,
                        Err(RecvError::Lagged(n)) => panic!("a receiver lagged by {n}"),
                    }
                }
            }
        },
        move |v| {
            tx.send(v).expect("receivers alive");
        },
    )
    .await;
}

async fn async_broadcast(spawn: impl Spawn) {
    let (tx, rx) = async_broadcast::broadcast::<u64>(BROADCAST_CAPACITY);
    let mut rx = Some(rx);
    let subscriber = tx.clone();
    broadcast_workload(
        spawn,
        move || {
            // The first receiver is the channel's own; the rest are new.
            let mut rx = rx.take().unwrap_or_else(|| subscriber.new_receiver());
            async move {
                let mut sum = 0;
                while let Ok(v) = rx.recv_direct().await {
                    sum += v;
                }
                sum
            }
        },
        // Never full (the capacity holds every message): `try_` is the
        // whole send, and nothing is overwritten.
        move |v| {
            let overwritten = tx.try_broadcast(v).expect("room and receivers");
            assert!(overwritten.is_none());
        },
    )
    .await;
}

fn broadcast(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("broadcast");
    group.throughput(Throughput::Elements(BROADCAST_MESSAGES));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| rt.on_bobbin(bobbin_broadcast(on_bobbin)))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| rt.on_tokio(tokio_broadcast(on_tokio)))
    });
    let ex = rt.smol.ex.clone();
    group.bench_function(BenchmarkId::from_parameter("async-broadcast_smol"), |b| {
        b.iter(|| {
            let ex = ex.clone();
            rt.smol
                .block_on(async_broadcast(move |f| ex.spawn(f).detach()))
        })
    });
    group.bench_function(BenchmarkId::from_parameter("tokio_on_bobbin"), |b| {
        b.iter(|| rt.on_bobbin(tokio_broadcast(on_bobbin)))
    });
    group.bench_function(BenchmarkId::from_parameter("async-broadcast_bobbin"), |b| {
        b.iter(|| rt.on_bobbin(async_broadcast(on_bobbin)))
    });
    group.finish();
}

// ---- watch ---------------------------------------------------------------

/// The watch workload: `subscribe` gives a loop that waits for changes
/// until it has seen `WATCH_UPDATES` (and counts the changes it saw);
/// `publish` sends every value `1..=WATCH_UPDATES`, yielding after each.
async fn watch_workload<R, P>(spawn: impl Spawn, mut subscribe: impl FnMut() -> R, publish: P)
where
    R: Future<Output = u64> + Send + 'static,
    P: Future<Output = ()> + Send + 'static,
{
    let seen = Arc::new(AtomicU64::new(0));
    let (countdown, done) = Countdown::new(RECEIVERS);
    for _ in 0..RECEIVERS {
        let receive = subscribe();
        let (seen, countdown) = (seen.clone(), countdown.clone());
        spawn(Box::pin(async move {
            seen.fetch_add(receive.await, Ordering::Relaxed);
            countdown.finished();
        }));
    }
    spawn(Box::pin(publish));
    done.await.expect("every receiver finished");
    // Each receiver saw at least the last value, and never more changes
    // than there were.
    let seen = seen.load(Ordering::Relaxed);
    assert!((RECEIVERS as u64..=RECEIVERS as u64 * WATCH_UPDATES).contains(&seen));
}

async fn bobbin_watch(spawn: impl Spawn) {
    let (tx, rx) = bobbin::channel::watch(0u64);
    let tx = Arc::new(tx);
    let publisher = tx.clone();
    watch_workload(
        spawn,
        || {
            let mut rx = rx.clone();
            async move {
                let mut changes = 0;
                loop {
                    rx.changed().await.expect("the sender outlives the run");
                    changes += 1;
                    if *rx.borrow_and_update() == WATCH_UPDATES {
                        break changes;
                    }
                }
            }
        },
        async move {
            for v in 1..=WATCH_UPDATES {
                publisher.send(v).expect("receivers alive");
                yield_now().await;
            }
        },
    )
    .await;
}

async fn tokio_watch(spawn: impl Spawn) {
    let (tx, rx) = tokio::sync::watch::channel(0u64);
    let tx = Arc::new(tx);
    let publisher = tx.clone();
    watch_workload(
        spawn,
        || {
            let mut rx = rx.clone();
            async move {
                let mut changes = 0;
                loop {
                    rx.changed().await.expect("the sender outlives the run");
                    changes += 1;
                    if *rx.borrow_and_update() == WATCH_UPDATES {
                        break changes;
                    }
                }
            }
        },
        async move {
            for v in 1..=WATCH_UPDATES {
                publisher.send(v).expect("receivers alive");
                yield_now().await;
            }
        },
    )
    .await;
}

fn watch(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("watch");
    group.throughput(Throughput::Elements(WATCH_UPDATES));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter(|| rt.on_bobbin(bobbin_watch(on_bobbin)))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio"), |b| {
        b.iter(|| rt.on_tokio(tokio_watch(on_tokio)))
    });
    group.bench_function(BenchmarkId::from_parameter("tokio_on_bobbin"), |b| {
        b.iter(|| rt.on_bobbin(tokio_watch(on_bobbin)))
    });
    group.finish();
}

// ---- CancellationToken -----------------------------------------------------

/// Parks `WAITING_TASKS` tasks on a token (`wait` gives one task's wait),
/// then times `cancel` until the last one has resumed.
async fn cancel_workload<W>(
    spawn: impl Spawn,
    mut wait: impl FnMut() -> W,
    cancel: impl FnOnce(),
) -> Duration
where
    W: Future<Output = ()> + Send + 'static,
{
    let started = Arc::new(AtomicUsize::new(0));
    let (countdown, done) = Countdown::new(WAITING_TASKS);
    for _ in 0..WAITING_TASKS {
        let (wait, started, countdown) = (wait(), started.clone(), countdown.clone());
        spawn(Box::pin(async move {
            started.fetch_add(1, Ordering::Relaxed);
            wait.await;
            countdown.finished();
        }));
    }
    // Every task has run up to its wait (a task counts itself in the same
    // poll that parks it, so one more yield lets the last ones park).
    while started.load(Ordering::Relaxed) < WAITING_TASKS {
        yield_now().await;
    }
    yield_now().await;
    let start = Instant::now();
    cancel();
    done.await.expect("every waiter resumed");
    start.elapsed()
}

async fn bobbin_cancel(spawn: impl Spawn) -> Duration {
    let token = bobbin::sync::CancellationToken::new();
    cancel_workload(spawn, || token.clone().cancelled_owned(), || token.cancel()).await
}

async fn tokio_util_cancel(spawn: impl Spawn) -> Duration {
    let token = tokio_util::sync::CancellationToken::new();
    cancel_workload(spawn, || token.clone().cancelled_owned(), || token.cancel()).await
}

fn cancel(c: &mut Criterion, rt: &Runtimes) {
    let mut group = c.benchmark_group("cancel");
    group.throughput(Throughput::Elements(WAITING_TASKS as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.bench_function(BenchmarkId::from_parameter("bobbin"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.on_bobbin(bobbin_cancel(on_bobbin)))
                .sum()
        })
    });
    group.bench_function(BenchmarkId::from_parameter("tokio-util"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.on_tokio(tokio_util_cancel(on_tokio)))
                .sum()
        })
    });
    group.bench_function(BenchmarkId::from_parameter("tokio-util_on_bobbin"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.on_bobbin(tokio_util_cancel(on_bobbin)))
                .sum()
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = Runtimes::new();
    broadcast(c, &rt);
    watch(c, &rt);
    cancel(c, &rt);
}

criterion_group!(fanout, benches);
criterion_main!(fanout);
