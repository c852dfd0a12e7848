//! Timer benchmarks: bobbin beside tokio and smol (async-executor with
//! async-io's timers), same workload, same worker count, same run. A
//! comparison with the peers (issue 4's targets: 100k sleeps in ≤ 110 ms wall
//! with max lateness ≤ 15 ms on 2 cores, and no figure worse than the best
//! peer's in the same run).
//!
//! Run: `cargo bench -p bobbin-benches --bench timers` (add `sleeps`,
//! `churn` or `timeout` after `--` to run only those). Worker count: 2, or
//! `BENCH_WORKERS`.
//!
//! Not criterion: the first figure is a distribution of wake-up lateness,
//! not a throughput. Each measurement runs in a fresh child process (this
//! binary re-executed as `timers --child <bench> <runtime>`), so no runtime
//! inherits another's heap, threads or timer structures; each is repeated
//! `RUNS` times, the runs of the three runtimes interleaved, and the table
//! gives the median of the runs and each run. In every child the body runs
//! as a task on the runtime under test while the main thread waits on a std
//! channel (not in any runtime's `block_on`, which could lend the runtime a
//! thread); a watchdog ends a child that takes longer than `CHILD_LIMIT`.
//!
//! - `sleeps`: one task spawns `SLEEPERS` tasks; each sleeps a pseudo-random
//!   whole number of milliseconds in 1..=50 (the same seeded sequence for
//!   every runtime) with `sleep_until(now + d)` (what `sleep(d)` does in all
//!   three, but the deadline is known exactly), then records its lateness,
//!   `wake - deadline`. Reported: wall time from the first spawn to the
//!   last wake, the time to spawn them all, the CPU time of the process
//!   meanwhile (`/proc/self/stat`, 10 ms ticks), p50/p99/max lateness, the
//!   smallest lateness, and the number of early wakes (negative lateness),
//!   which must be 0.
//! - `churn`: one task creates `CHURN` sleeps of 10 s, polls each once so it
//!   registers, and drops it. tokio's loop runs in
//!   `tokio::task::unconstrained`: its `Sleep` spends the coop budget, and
//!   once that is spent a poll returns `Pending` without registering.
//! - `timeout`: one task awaits `timeout(1 s, async { 1 })` `TIMEOUTS`
//!   times. smol has no `timeout`; it uses `futures_lite::FutureExt::or` of
//!   the value and an `async_io::Timer::after(1 s)` made before the race
//!   (smol-timeout's shape: the timer is created with the timeout, so its
//!   deadline is read from the clock as the others' are; the value is
//!   polled first, the timer only if the value is pending).

use bobbin_benches::child::{
    Kind, child_args, header, ms, print_table, run_all, signed_nanos, watchdog,
};
use bobbin_benches::workers;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SLEEPERS: usize = 100_000;
const MAX_SLEEP_MS: u64 = 50;
const SEED: u64 = 0x0B0B_B1A7_1E5E_ED00;
const CHURN: usize = 1_000_000;
const CHURN_SLEEP: Duration = Duration::from_secs(10);
const TIMEOUTS: usize = 1_000_000;
const TIMEOUT: Duration = Duration::from_secs(1);
const RUNS: usize = 3;
const CHILD_LIMIT: Duration = Duration::from_secs(60);
const COMMAND: &str = "cargo bench -p bobbin-benches --bench timers";

const BENCHES: [&str; 3] = ["sleeps", "churn", "timeout"];

/// smol's executor; its worker threads run it inside `async_io::block_on`.
static SMOL: async_executor::Executor<'static> = async_executor::Executor::new();

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some((bench, kind)) = child_args(&args) {
        child(bench, kind);
    } else {
        let chosen: Vec<&str> = BENCHES
            .into_iter()
            .filter(|b| args.iter().any(|arg| arg == b))
            .collect();
        parent(if chosen.is_empty() { &BENCHES } else { &chosen });
    }
}

// ---------------------------------------------------------------------------
// Parent: runs the children, prints the table.

fn parent(benches: &[&str]) {
    println!("command: {COMMAND}");
    println!("{}", header(RUNS));
    for bench in benches {
        let results = run_all(bench, RUNS);
        println!();
        match *bench {
            "sleeps" => {
                println!(
                    "sleeps: {SLEEPERS} tasks each sleep a seeded pseudo-random 1-{MAX_SLEEP_MS} ms; \
                     lateness = wake - deadline"
                );
                print_table(
                    &results,
                    &[
                        ("wall ms (first spawn to last wake)", "wall_ms", 1),
                        ("spawn ms (all spawned)", "spawn_ms", 1),
                        ("cpu ms (all threads, 10 ms ticks)", "cpu_ms", 0),
                        ("p50 lateness ms", "p50_ms", 2),
                        ("p99 lateness ms", "p99_ms", 2),
                        ("max lateness ms", "max_ms", 2),
                        ("min lateness ms", "min_ms", 3),
                        ("early wakes", "early", 0),
                    ],
                );
            }
            "churn" => {
                println!(
                    "churn: {CHURN} sleeps of {} s created, polled once (registered) and \
                     dropped, in one task (tokio's in task::unconstrained)",
                    CHURN_SLEEP.as_secs()
                );
                print_table(
                    &results,
                    &[("wall ms", "wall_ms", 1), ("ns per sleep", "ns_per", 1)],
                );
            }
            "timeout" => {
                println!(
                    "timeout: `timeout({} s, async {{ 1 }})` awaited {TIMEOUTS} times in one task; \
                     bobbin::time::timeout, tokio::time::timeout, smol: \
                     `let timer = async_io::Timer::after(1 s);` then \
                     futures_lite::FutureExt::or(async {{ Some(1) }}, \
                     async move {{ timer.await; None }})",
                    TIMEOUT.as_secs()
                );
                print_table(
                    &results,
                    &[("wall ms", "wall_ms", 1), ("ns per call", "ns_per", 1)],
                );
            }
            _ => unreachable!("main passes known benches"),
        }
    }
}

// ---------------------------------------------------------------------------
// Child: one runtime, one measurement.

/// Spawns a detached task on the runtime under test (from any thread: the
/// runtime is either current or, for smol, global).
fn spawn(kind: Kind, fut: impl Future<Output = ()> + Send + 'static) {
    match kind {
        Kind::Bobbin => drop(bobbin::spawn(fut)),
        Kind::Tokio => drop(tokio::spawn(fut)),
        Kind::Smol => SMOL.spawn(fut).detach(),
    }
}

/// A running runtime of `workers()` threads.
enum Rt {
    Bobbin(bobbin::Runtime),
    Tokio(tokio::runtime::Runtime),
    Smol {
        stop: async_channel::Sender<()>,
        threads: Vec<std::thread::JoinHandle<()>>,
    },
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
            Kind::Smol => {
                let (stop, signal) = async_channel::bounded::<()>(1);
                let threads = (0..n)
                    .map(|_| {
                        let signal = signal.clone();
                        std::thread::spawn(move || {
                            async_io::block_on(SMOL.run(signal.recv())).unwrap_or(())
                        })
                    })
                    .collect();
                Rt::Smol { stop, threads }
            }
        }
    }

    /// Runs `body` as a task on the runtime; this thread waits for its
    /// output on a std channel.
    fn run<T: Send + 'static>(&self, body: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        let task = async move {
            let _ = tx.send(body.await);
        };
        match self {
            Rt::Bobbin(rt) => drop(rt.spawn(task)),
            Rt::Tokio(rt) => drop(rt.spawn(task)),
            Rt::Smol { .. } => SMOL.spawn(task).detach(),
        }
        rx.recv().expect("the body runs to completion")
    }

    fn shutdown(self) {
        match self {
            Rt::Bobbin(rt) => drop(rt),
            Rt::Tokio(rt) => drop(rt),
            Rt::Smol { stop, threads } => {
                drop(stop);
                for thread in threads {
                    thread.join().unwrap();
                }
            }
        }
    }
}

fn child(bench: &str, kind: Kind) {
    watchdog(CHILD_LIMIT);
    let rt = Rt::new(kind);
    let line = match (bench, kind) {
        ("sleeps", Kind::Bobbin) => sleeps(&rt, kind, bobbin::time::sleep_until),
        ("sleeps", Kind::Tokio) => sleeps(&rt, kind, |deadline| {
            tokio::time::sleep_until(tokio::time::Instant::from_std(deadline))
        }),
        ("sleeps", Kind::Smol) => sleeps(&rt, kind, async_io::Timer::at),
        ("churn", Kind::Bobbin) => rt.run(churn(bobbin::time::sleep)),
        ("churn", Kind::Tokio) => rt.run(tokio::task::unconstrained(churn(tokio::time::sleep))),
        ("churn", Kind::Smol) => rt.run(churn(async_io::Timer::after)),
        ("timeout", Kind::Bobbin) => rt.run(timeouts(
            || bobbin::time::timeout(TIMEOUT, async { black_box(1u64) }),
            Result::ok,
        )),
        ("timeout", Kind::Tokio) => rt.run(timeouts(
            || tokio::time::timeout(TIMEOUT, async { black_box(1u64) }),
            Result::ok,
        )),
        ("timeout", Kind::Smol) => rt.run(timeouts(
            || {
                use futures_lite::FutureExt;
                // Made before the race, as smol-timeout and the others do:
                // the deadline is read from the clock even if never polled.
                let timer = async_io::Timer::after(TIMEOUT);
                async { Some(black_box(1u64)) }.or(async move {
                    timer.await;
                    None
                })
            },
            |v| v,
        )),
        _ => panic!("unknown bench {bench}"),
    };
    println!("{line}");
    rt.shutdown();
}

/// SplitMix64: the same sequence for every runtime.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// What a sleeper records: one cache line touched per wake.
#[derive(Default)]
struct Slot {
    /// Wake minus deadline, in nanoseconds.
    lateness: AtomicI64,
    /// Wake, in nanoseconds since the first spawn.
    woke: AtomicU64,
}

fn leak<T: Default>(n: usize) -> &'static [T] {
    Vec::leak((0..n).map(|_| T::default()).collect())
}

/// CPU time (user + system) of this process so far, all threads, from
/// `/proc/self/stat`: in clock ticks, assumed 100 per second (`getconf
/// CLK_TCK`), so 10 ms granularity.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux exposes /proc/self/stat");
    // Fields after the command name (which may hold spaces) start at 3;
    // utime and stime are fields 14 and 15.
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|v| v.parse::<u64>().expect("utime and stime are numbers"))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// `SLEEPERS` tasks sleep until `now + d` with `sleep_until`; returns the
/// figures line.
fn sleeps<S>(rt: &Rt, kind: Kind, sleep_until: fn(Instant) -> S) -> String
where
    S: Future + Send + 'static,
{
    // Leaked (the child exits right after): no reference counts to touch.
    let slots: &'static [Slot] = leak(SLEEPERS);
    let remaining: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(SLEEPERS)));
    let (all_woke, wait_all) = mpsc::channel::<()>();
    let all_woke: &'static mpsc::Sender<()> = Box::leak(Box::new(all_woke));

    let cpu_before = cpu_time();
    let spawn_time = rt.run(async move {
        let mut rng = SplitMix(SEED);
        let start = Instant::now();
        for slot in slots {
            let d = Duration::from_millis(1 + rng.next() % MAX_SLEEP_MS);
            spawn(kind, async move {
                let deadline = Instant::now() + d;
                sleep_until(deadline).await;
                let now = Instant::now();
                slot.lateness
                    .store(signed_nanos(now, deadline), Ordering::Relaxed);
                slot.woke.store(
                    u64::try_from((now - start).as_nanos()).unwrap_or(u64::MAX),
                    Ordering::Relaxed,
                );
                // AcqRel: the last one sees every other task's stores.
                if remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                    let _ = all_woke.send(());
                }
            });
        }
        start.elapsed()
    });
    wait_all.recv().expect("every sleeper wakes");
    let cpu = cpu_time() - cpu_before;

    let wall = slots
        .iter()
        .map(|s| s.woke.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let mut late: Vec<i64> = slots
        .iter()
        .map(|s| s.lateness.load(Ordering::Relaxed))
        .collect();
    late.sort_unstable();
    let early = late.iter().filter(|&&l| l < 0).count();
    let p50 = late[late.len() / 2];
    let p99 = late[(late.len() * 99).div_ceil(100) - 1];
    format!(
        "wall_ms={:.3} spawn_ms={:.3} cpu_ms={:.0} p50_ms={:.4} p99_ms={:.4} max_ms={:.4} min_ms={:.4} early={early}",
        wall as f64 / 1e6,
        spawn_time.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3,
        ms(p50),
        ms(p99),
        ms(late[late.len() - 1]),
        ms(late[0]),
    )
}

/// Creates `CHURN` sleeps of `CHURN_SLEEP`, polls each once, drops it.
async fn churn<S: Future>(sleep: fn(Duration) -> S) -> String {
    let start = Instant::now();
    for _ in 0..CHURN {
        let mut sleep = pin!(sleep(CHURN_SLEEP));
        assert!(futures::poll!(sleep.as_mut()).is_pending());
    }
    let elapsed = start.elapsed();
    format!(
        "wall_ms={:.3} ns_per={:.2}",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_nanos() as f64 / CHURN as f64
    )
}

/// Awaits `TIMEOUTS` timeouts of a ready future.
async fn timeouts<F: Future>(
    make: impl Fn() -> F,
    ok: impl Fn(F::Output) -> Option<u64>,
) -> String {
    let start = Instant::now();
    let mut sum = 0;
    for _ in 0..TIMEOUTS {
        sum += ok(make().await).expect("a ready future never times out");
    }
    let elapsed = start.elapsed();
    assert_eq!(black_box(sum), TIMEOUTS as u64);
    format!(
        "wall_ms={:.3} ns_per={:.2}",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_nanos() as f64 / TIMEOUTS as f64
    )
}
