//! Blocking benchmarks: bobbin beside tokio (multi-thread runtime) and smol
//! (`bobbin_benches::SmolRt`: async-executor, with async-io's timers and the
//! `blocking` crate's pool), same workload, same worker count, same run. A
//! comparison with the peers (the blocking issue's target: a ticker's worst
//! lateness ≤ 2 ms in every placement of `blocked_worker` on bobbin, where
//! tokio is expected near 299 ms in `lifo`).
//!
//! Run: `cargo bench -p bobbin-benches --bench blocking`. One filter after
//! `--` runs a part: `blocked_worker` (its four placements), or one of
//! `lifo`, `lifo_parked`, `ring`, `elsewhere`; `spawn_blocking` (criterion,
//! both groups), or any criterion filter starting with it
//! (`spawn_blocking/4_tasks`).
//! Worker count: 2, or `BENCH_WORKERS`.
//!
//! ## `blocked_worker`: lateness of a ticker beside a blocked worker
//!
//! A ticker task wakes every `TICK` (1 ms) while another task blocks its
//! worker for `BLOCK` (300 ms) with `std::thread::sleep` directly inside its
//! poll: no `block_in_place`, no `spawn_blocking`, the mistake the runtime
//! has to survive. The ticker's loop is `next += 1 ms; sleep_until(next)`
//! on each runtime's own timer (`bobbin::time::sleep_until`,
//! `tokio::time::sleep_until`, `async_io::Timer::at`), recording
//! `wake - next` for every tick until `TICK_UNTIL` (350 ms) after the block
//! began. Four placements:
//!
//! - `lifo`: the ticker waits on a oneshot (futures', runtime-neutral). The
//!   blocker, once polled on a worker, sends on it (so the ticker is woken
//!   on the blocker's worker: into its LIFO slot in bobbin and tokio), then
//!   blocks. The ticker's first lateness is the time from the send to its
//!   first poll; then it ticks from that poll on.
//! - `lifo_parked`: the same, but the blocker first blocks `SETTLE` (5 ms)
//!   in the same poll before it sends (the worker is blocked 305 ms; the
//!   300 ms and the ticks' window count from the send). Why: in `lifo` the worker that took
//!   the blocker from the injector may have woken a second one to search
//!   (bobbin and tokio both do, when the last searcher finds work); if that
//!   one is still searching when the ticker lands in the LIFO slot, bobbin
//!   lets it take the slot as a last resort within microseconds, and if it
//!   has already parked, only the monitor moves the ticker. Which of the
//!   two happens depends on timing, so `lifo` is bimodal across runs (see
//!   the first lateness of each run); 5 ms is ample for the second worker
//!   to park again, so `lifo_parked` measures the monitor's rescue.
//! - `ring`: as `lifo`, but after the send the blocker also spawns a trivial
//!   task, which takes the LIFO slot and pushes the ticker onto the
//!   worker's local queue (stealable, and the push wakes an idle worker).
//! - `elsewhere`: the ticker ticks for `LEAD` (50 ms) before the blocker is
//!   spawned, both from outside the runtime, so the ticker is not queued
//!   behind the blocker; the first lateness is its first tick's.
//!
//! Reported per placement: the worst lateness (the first one included) and
//! when it was due, in ms after the block began (negative: before; this
//! tells a lateness the block caused from one the machine did), the first
//! lateness, p50 and p99 of the ticks, the number of ticks, and how many
//! ticks were more than 2 ms late.
//!
//! Not criterion: the figure is a worst case and a distribution, not a
//! throughput. Each measurement runs in a fresh child process (this binary
//! re-executed as `blocking --child <placement> <runtime>`), so no runtime
//! inherits another's threads or timers; each is repeated `RUNS` times, the
//! runs of the three runtimes interleaved, and the table gives the median of
//! the runs and each run. A child starts the runtime, warms it up (tasks
//! that each sleep 1 ms on its timer, so every worker and the timer are
//! running), then measures; a watchdog ends a child that takes longer than
//! `CHILD_LIMIT`.
//!
//! Why the tasks are spawned from the main thread (which then waits on std
//! channels, never in a runtime's `block_on`, which could lend it a
//! worker's role) rather than from a set-up task: both tasks run on the
//! runtime's workers either way, but a set-up task would poll the ticker
//! and the blocker out of the LIFO slot in a chain, and tokio disables its
//! LIFO slot for the rest of a worker's turn after three LIFO polls in a
//! row, which would quietly turn `lifo` into `ring`. From the main thread
//! the blocker comes through the injector and is the first task of its
//! worker's turn. The ticker registers its waker on the oneshot (one manual
//! poll) before telling the main thread to spawn the blocker, so the send
//! always finds it waiting.
//!
//! ## `spawn_blocking`: throughput of the blocking pools (criterion)
//!
//! `JOBS` (100k) jobs the size of `move || black_box(i)` submitted from
//! inside the runtime, then all awaited, with `bobbin::spawn_blocking`,
//! `tokio::task::spawn_blocking` and `blocking::unblock` (smol's pool).
//! `1_task`: one task submits them all; `4_tasks`: four tasks submit a
//! quarter each, concurrently. Reported in jobs/s (`Throughput::Elements`).
//! Criterion here: a throughput is what it measures well. Each pool has
//! its defaults (at most 512 threads in bobbin and tokio, 500 in
//! `blocking`), so a burst of 100k grows it to hundreds of threads; they
//! outlive an iteration (kept alive 10 s in bobbin and tokio, 500 ms idle
//! in `blocking`), so after the warm-up the figure is the steady state of
//! a grown pool, thread start-up excluded.

use bobbin_benches::child::{
    Kind, child_args, header, ms, print_table, run_all, signed_nanos, watchdog,
};
use bobbin_benches::{SmolRt, workers};
use criterion::{Criterion, SamplingMode, Throughput};
use futures::channel::oneshot;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(1);
const BLOCK: Duration = Duration::from_millis(300);
const TICK_UNTIL: Duration = Duration::from_millis(350);
const LEAD: Duration = Duration::from_millis(50);
/// lifo_parked: how long the blocker blocks before it wakes the ticker.
const SETTLE: Duration = Duration::from_millis(5);
/// Lateness past this counts a tick as late (the target).
const LATE: Duration = Duration::from_millis(2);
const WARM_UP_TASKS: usize = 16;
const RUNS: usize = 5;
const CHILD_LIMIT: Duration = Duration::from_secs(30);
const JOBS: u64 = 100_000;
const COMMAND: &str = "cargo bench -p bobbin-benches --bench blocking";

const PLACEMENTS: [Placement; 4] = [
    Placement::Lifo,
    Placement::LifoParked,
    Placement::Ring,
    Placement::Elsewhere,
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some((placement, kind)) = child_args(&args) {
        let placement = PLACEMENTS
            .into_iter()
            .find(|p| p.name() == placement)
            .expect("a known placement");
        child(placement, kind);
        return;
    }
    // Flags (`--bench` from cargo) are criterion's.
    let filters: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let placements: Vec<Placement> = PLACEMENTS
        .into_iter()
        .filter(|p| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|f| *f == "blocked_worker" || *f == p.name())
        })
        .collect();
    if !placements.is_empty() {
        blocked_worker(&placements);
    }
    if filters.is_empty() || filters.iter().any(|f| f.starts_with("spawn_blocking")) {
        // An iteration takes about a second on 2 cores: 10 samples of one
        // iteration each.
        let mut criterion = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(12))
            .configure_from_args();
        spawn_blocking(&mut criterion);
        criterion.final_summary();
    }
}

// ---------------------------------------------------------------------------
// blocked_worker, parent: runs the children, prints the tables.

fn blocked_worker(placements: &[Placement]) {
    println!("command: {COMMAND}");
    println!("blocked_worker: {}", header(RUNS));
    println!(
        "a ticker (next += {} ms; sleep_until(next)) beside a task that blocks its worker \
         {} ms in one poll (std::thread::sleep); ticks until {} ms after the block began; \
         lateness = wake - deadline",
        TICK.as_millis(),
        BLOCK.as_millis(),
        TICK_UNTIL.as_millis()
    );
    for placement in placements {
        let results = run_all(placement.name(), RUNS);
        println!();
        println!("{}: {}", placement.name(), placement.describe());
        print_table(
            &results,
            &[
                ("worst lateness ms", "max_ms", 2),
                ("worst was due at ms (0 = block began)", "worst_at_ms", 0),
                (placement.first_label(), "first_ms", 2),
                ("p50 tick lateness ms", "p50_ms", 2),
                ("p99 tick lateness ms", "p99_ms", 2),
                ("ticks", "ticks", 0),
                ("ticks > 2 ms late", "late", 0),
            ],
        );
    }
    println!();
}

// ---------------------------------------------------------------------------
// blocked_worker, child: one runtime, one placement.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Placement {
    Lifo,
    LifoParked,
    Ring,
    Elsewhere,
}

impl Placement {
    fn name(self) -> &'static str {
        match self {
            Placement::Lifo => "lifo",
            Placement::LifoParked => "lifo_parked",
            Placement::Ring => "ring",
            Placement::Elsewhere => "elsewhere",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Placement::Lifo => {
                "the blocker wakes the ticker (oneshot send) on its own worker, then blocks"
            }
            Placement::LifoParked => {
                "as lifo, but the blocker first blocks 5 ms, so the other workers are parked \
                 when it wakes the ticker"
            }
            Placement::Ring => {
                "the blocker wakes the ticker, spawns a trivial task (which takes the LIFO \
                 slot), then blocks"
            }
            Placement::Elsewhere => {
                "the ticker ticks 50 ms, then the blocker is spawned from outside; the ticker \
                 is not queued behind it"
            }
        }
    }

    fn first_label(self) -> &'static str {
        match self {
            Placement::Lifo | Placement::LifoParked | Placement::Ring => {
                "first ms (send to first poll)"
            }
            Placement::Elsewhere => "first ms (first tick)",
        }
    }
}

/// A running runtime of `workers()` threads.
enum Rt {
    Bobbin(bobbin::Runtime),
    Tokio(tokio::runtime::Runtime),
    Smol(SmolRt),
}

/// Spawns detached tasks onto one runtime, from any thread.
#[derive(Clone)]
enum Spawner {
    Bobbin(bobbin::runtime::Handle),
    Tokio(tokio::runtime::Handle),
    Smol(Arc<async_executor::Executor<'static>>),
}

impl Spawner {
    fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        match self {
            Spawner::Bobbin(handle) => drop(handle.spawn(fut)),
            Spawner::Tokio(handle) => drop(handle.spawn(fut)),
            Spawner::Smol(ex) => ex.spawn(fut).detach(),
        }
    }
}

impl Rt {
    fn new(kind: Kind) -> Rt {
        let n = workers();
        match kind {
            Kind::Bobbin => Rt::Bobbin(
                bobbin::Runtime::builder()
                    .worker_threads(n)
                    .build()
                    .unwrap(),
            ),
            Kind::Tokio => Rt::Tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(n)
                    .enable_time()
                    .build()
                    .unwrap(),
            ),
            Kind::Smol => Rt::Smol(SmolRt::new(n)),
        }
    }

    fn spawner(&self) -> Spawner {
        match self {
            Rt::Bobbin(rt) => Spawner::Bobbin(rt.handle()),
            Rt::Tokio(rt) => Spawner::Tokio(rt.handle().clone()),
            Rt::Smol(rt) => Spawner::Smol(rt.ex.clone()),
        }
    }

    /// Runs `body` as a task on the runtime; this thread waits for its
    /// output on a std channel.
    fn run<T: Send + 'static>(&self, body: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        self.spawner().spawn(async move {
            let _ = tx.send(body.await);
        });
        rx.recv().expect("the body runs to completion")
    }
}

fn child(placement: Placement, kind: Kind) {
    watchdog(CHILD_LIMIT);
    let rt = Rt::new(kind);
    let line = match kind {
        Kind::Bobbin => measure(&rt, placement, bobbin::time::sleep_until),
        Kind::Tokio => measure(&rt, placement, |deadline| {
            tokio::time::sleep_until(tokio::time::Instant::from_std(deadline))
        }),
        Kind::Smol => measure(&rt, placement, async_io::Timer::at),
    };
    println!("{line}");
    drop(rt);
}

/// Warms the runtime up, runs one placement, returns the figures line.
fn measure<S>(rt: &Rt, placement: Placement, sleep_until: fn(Instant) -> S) -> String
where
    S: Future + Send + 'static,
{
    warm_up(rt, sleep_until);
    let spawner = rt.spawner();
    let block_start: Arc<OnceLock<Instant>> = Arc::default();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (ticks_tx, ticks_rx) = mpsc::channel::<Vec<Sample>>();
    let (blocked_tx, blocked_rx) = mpsc::channel::<()>();
    let (signal, wait_signal) = match placement {
        Placement::Lifo | Placement::LifoParked | Placement::Ring => {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        }
        Placement::Elsewhere => (None, None),
    };
    let start = block_start.clone();
    spawner.spawn(async move {
        let ticks = ticker(wait_signal, ready_tx, start, sleep_until).await;
        let _ = ticks_tx.send(ticks);
    });
    // lifo, ring: the ticker waits on the oneshot; elsewhere: it has
    // ticked for LEAD.
    ready_rx.recv().expect("the ticker gets ready");
    let settle = (placement == Placement::LifoParked).then_some(SETTLE);
    let trivial = (placement == Placement::Ring).then(|| spawner.clone());
    spawner.spawn(blocker(
        settle,
        signal,
        trivial,
        block_start.clone(),
        blocked_tx,
    ));
    let samples = ticks_rx.recv().expect("the ticker finishes");
    blocked_rx.recv().expect("the blocker finishes");
    summarize(&samples, *block_start.get().expect("the blocker ran"))
}

/// Tasks that each sleep 1 ms on the runtime's timer, all awaited: every
/// worker thread and the timer are up before the measurement.
fn warm_up<S>(rt: &Rt, sleep_until: fn(Instant) -> S)
where
    S: Future + Send + 'static,
{
    let spawner = rt.spawner();
    rt.run(async move {
        let (tx, rx) = async_channel::unbounded();
        for _ in 0..WARM_UP_TASKS {
            let tx = tx.clone();
            spawner.spawn(async move {
                sleep_until(Instant::now() + TICK).await;
                let _ = tx.send(()).await;
            });
        }
        for _ in 0..WARM_UP_TASKS {
            rx.recv().await.expect("every warm-up task finishes");
        }
    });
}

/// One lateness: when it was due (the send, or a tick's deadline), and how
/// late the ticker ran, in nanoseconds.
type Sample = (Instant, i64);

/// The ticker. With `signal` (lifo, ring) it first waits for the blocker's
/// send; without (elsewhere) it tells the main thread after `LEAD` of
/// ticks. Returns the lateness of its first poll (or first tick), then of
/// every later tick.
async fn ticker<S: Future>(
    signal: Option<oneshot::Receiver<Instant>>,
    ready: mpsc::Sender<()>,
    block_start: Arc<OnceLock<Instant>>,
    sleep_until: fn(Instant) -> S,
) -> Vec<Sample> {
    let mut lateness = Vec::with_capacity(1024);
    let mut ready = Some(ready);
    let first = match signal {
        Some(signal) => {
            let mut signal = pin!(signal);
            // Registers the waker, so the blocker's send finds it waiting.
            assert!(futures::poll!(signal.as_mut()).is_pending());
            let _ = ready.take().map(|ready| ready.send(()));
            let sent = signal.await.expect("the blocker sends");
            let now = Instant::now();
            lateness.push((sent, signed_nanos(now, sent)));
            now
        }
        None => Instant::now(),
    };
    let mut next = first;
    loop {
        next += TICK;
        if block_start
            .get()
            .is_some_and(|start| next > *start + TICK_UNTIL)
        {
            return lateness;
        }
        sleep_until(next).await;
        lateness.push((next, signed_nanos(Instant::now(), next)));
        if next - first >= LEAD
            && let Some(ready) = ready.take()
        {
            let _ = ready.send(());
        }
    }
}

/// Blocks its worker for `BLOCK` inside one poll; before that, blocks for
/// `settle`, wakes the ticker through `signal` and spawns a trivial task
/// with `trivial`, each if given; then reports on `done`.
async fn blocker(
    settle: Option<Duration>,
    signal: Option<oneshot::Sender<Instant>>,
    trivial: Option<Spawner>,
    block_start: Arc<OnceLock<Instant>>,
    done: mpsc::Sender<()>,
) {
    if let Some(settle) = settle {
        std::thread::sleep(settle);
    }
    let start = Instant::now();
    block_start.set(start).expect("one blocker");
    if let Some(signal) = signal {
        signal.send(start).expect("the ticker waits");
    }
    if let Some(spawner) = trivial {
        spawner.spawn(async {});
    }
    std::thread::sleep(BLOCK);
    let _ = done.send(());
}

/// The figures line of one run: `samples[0]` is the first lateness.
fn summarize(samples: &[Sample], block_start: Instant) -> String {
    let first = samples[0].1;
    let (worst_due, max) = samples
        .iter()
        .copied()
        .max_by_key(|&(_, lateness)| lateness)
        .expect("at least the first lateness");
    let mut ticks: Vec<i64> = samples[1..].iter().map(|&(_, lateness)| lateness).collect();
    ticks.sort_unstable();
    let late_ns = i64::try_from(LATE.as_nanos()).expect("a small duration");
    let late = ticks.iter().filter(|&&l| l > late_ns).count();
    let p50 = ticks[ticks.len() / 2];
    let p99 = ticks[(ticks.len() * 99).div_ceil(100) - 1];
    format!(
        "max_ms={:.4} worst_at_ms={:.1} first_ms={:.4} p50_ms={:.4} p99_ms={:.4} ticks={} \
         late={late}",
        ms(max),
        ms(signed_nanos(worst_due, block_start)),
        ms(first),
        ms(p50),
        ms(p99),
        ticks.len(),
    )
}

// ---------------------------------------------------------------------------
// spawn_blocking: criterion.

/// A runtime's blocking pool and task spawner, behind one face.
trait Pool: Clone + Send + Sync + 'static {
    /// Submits `move || black_box(i)` now; the future gives its result.
    fn submit(&self, i: u64) -> impl Future<Output = u64> + Send + 'static;
    /// Spawns `fut` as a task now; the future gives its output.
    fn spawn(
        &self,
        fut: impl Future<Output = u64> + Send + 'static,
    ) -> impl Future<Output = u64> + Send + 'static;
}

#[derive(Clone)]
struct BobbinPool;

impl Pool for BobbinPool {
    fn submit(&self, i: u64) -> impl Future<Output = u64> + Send + 'static {
        let job = bobbin::spawn_blocking(move || black_box(i));
        async move { job.await.unwrap() }
    }
    fn spawn(
        &self,
        fut: impl Future<Output = u64> + Send + 'static,
    ) -> impl Future<Output = u64> + Send + 'static {
        let task = bobbin::spawn(fut);
        async move { task.await.unwrap() }
    }
}

#[derive(Clone)]
struct TokioPool;

impl Pool for TokioPool {
    fn submit(&self, i: u64) -> impl Future<Output = u64> + Send + 'static {
        let job = tokio::task::spawn_blocking(move || black_box(i));
        async move { job.await.unwrap() }
    }
    fn spawn(
        &self,
        fut: impl Future<Output = u64> + Send + 'static,
    ) -> impl Future<Output = u64> + Send + 'static {
        let task = tokio::spawn(fut);
        async move { task.await.unwrap() }
    }
}

#[derive(Clone)]
struct SmolPool(Arc<async_executor::Executor<'static>>);

impl Pool for SmolPool {
    fn submit(&self, i: u64) -> impl Future<Output = u64> + Send + 'static {
        blocking::unblock(move || black_box(i))
    }
    fn spawn(
        &self,
        fut: impl Future<Output = u64> + Send + 'static,
    ) -> impl Future<Output = u64> + Send + 'static {
        self.0.spawn(fut)
    }
}

/// `count` jobs from `from` on, all submitted, then all awaited; their sum.
async fn jobs(pool: impl Pool, from: u64, count: u64) -> u64 {
    let pending: Vec<_> = (from..from + count).map(|i| pool.submit(i)).collect();
    let mut sum = 0;
    for job in pending {
        sum += job.await;
    }
    sum
}

/// `JOBS` jobs from `submitters` tasks (this one alone if 1).
async fn all_jobs(pool: impl Pool, submitters: u64) {
    let per = JOBS / submitters;
    let sum = if submitters == 1 {
        jobs(pool, 0, JOBS).await
    } else {
        let tasks: Vec<_> = (0..submitters)
            .map(|k| pool.spawn(jobs(pool.clone(), k * per, per)))
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await;
        }
        sum
    };
    assert_eq!(sum, JOBS * (JOBS - 1) / 2);
}

fn spawn_blocking(c: &mut Criterion) {
    for (group, submitters) in [("spawn_blocking/1_task", 1), ("spawn_blocking/4_tasks", 4)] {
        let n = workers();
        let bobbin = bobbin::Runtime::builder()
            .worker_threads(n)
            .build()
            .unwrap();
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .build()
            .unwrap();
        let smol = SmolRt::new(n);
        let mut group = c.benchmark_group(group);
        group.throughput(Throughput::Elements(JOBS));
        group.sampling_mode(SamplingMode::Flat);
        // Each body runs as a task, so the jobs are submitted from a worker.
        group.bench_function("bobbin", |bencher| {
            bencher.iter(|| {
                bobbin
                    .block_on(bobbin.spawn(all_jobs(BobbinPool, submitters)))
                    .unwrap()
            })
        });
        group.bench_function("tokio", |bencher| {
            bencher.iter(|| {
                tokio
                    .block_on(tokio.spawn(all_jobs(TokioPool, submitters)))
                    .unwrap()
            })
        });
        group.bench_function("smol", |bencher| {
            bencher.iter(|| smol.block_on(all_jobs(SmolPool(smol.ex.clone()), submitters)))
        });
        group.finish();
    }
}
