//! What a runtime costs when it has little to do, and how punctual its
//! timers are: bobbin beside tokio and smol (and Go, `benches/go/idle.go`),
//! each measurement in a fresh child process (this binary re-executed with
//! the row and the runtime), `RUNS` runs interleaved, medians.
//!
//! Run: `cargo bench -p bobbin-benches --bench idle` (add row names after
//! `--` to run only those). Worker count: 2, or `BENCH_WORKERS`.
//!
//! - `idle`: the runtime started (one task spawned and joined), then 3 s
//!   with nothing to do, counted from just after that task: CPU time (user + system) and context switches of
//!   the whole process (`getrusage`), the main thread asleep.
//! - `ticker`: a 1 ms interval on an otherwise idle runtime, 1000 ticks:
//!   mean and worst lateness of each tick against its due time (start +
//!   k ms).
//! - `ticker_blocked`: the same ticker while a task it spawned (so it runs
//!   on the ticker's worker) blocks that worker in one 300 ms poll after
//!   the 100th tick: the ticker's worst lateness over all ticks, and over
//!   ticks 100 to 110 (those due as the block starts: the worst over all
//!   ticks is often a stall of the machine somewhere else in the run).
//! - `sleep_100us`: 1000 sleeps of 100 µs one after another: the mean time
//!   each took.

use bobbin_benches::{SmolRt, workers};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const RUNTIMES: [&str; 3] = ["bobbin", "tokio", "smol"];
const ROWS: [&str; 4] = ["idle", "ticker", "ticker_blocked", "sleep_100us"];
const TICKS: u32 = 1000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|arg| arg == "--child") {
        return child(&args[i + 1], &args[i + 2]);
    }
    let rows: Vec<&str> = ROWS
        .into_iter()
        .filter(|row| {
            let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
            filters.is_empty() || filters.iter().any(|f| row.contains(f.as_str()))
        })
        .collect();
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    println!(
        "{} workers, {RUNS} runs interleaved, medians (each run in brackets)",
        workers()
    );
    for row in rows {
        let mut results: Vec<Vec<Vec<f64>>> = vec![Vec::new(); RUNTIMES.len()];
        for _ in 0..RUNS {
            for (r, runtime) in RUNTIMES.iter().enumerate() {
                let output = Command::new(&exe)
                    .args(["--child", row, runtime])
                    .output()
                    .expect("the benchmark can re-execute itself");
                assert!(
                    output.status.success(),
                    "{row}/{runtime} child failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                let text = String::from_utf8(output.stdout).expect("the child prints UTF-8");
                let figures = text
                    .split_whitespace()
                    .map(|figure| figure.parse().expect("the child prints numbers"))
                    .collect();
                results[r].push(figures);
            }
        }
        let columns = match row {
            "idle" => ["CPU ms", "context switches"].as_slice(),
            "ticker" => ["mean lateness ms", "worst lateness ms"].as_slice(),
            "ticker_blocked" => ["worst lateness ms", "worst, ticks 100-110"].as_slice(),
            _ => ["mean sleep µs"].as_slice(),
        };
        println!("\n{row}");
        for (c, column) in columns.iter().enumerate() {
            for (r, runtime) in RUNTIMES.iter().enumerate() {
                let mut runs: Vec<f64> = results[r].iter().map(|figures| figures[c]).collect();
                let shown: Vec<String> = runs.iter().map(|v| format!("{v:.3}")).collect();
                runs.sort_by(f64::total_cmp);
                println!(
                    "  {column:<20} {runtime:<7} {:>10.3}  [{}]",
                    runs[runs.len() / 2],
                    shown.join(", ")
                );
            }
        }
    }
}

/// CPU time (ms) and context switches of the whole process so far.
fn usage() -> (f64, i64) {
    // SAFETY: `getrusage` fills the struct it is given; zeroed is a valid
    // `rusage`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a `rusage`, and a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    let ms = |tv: libc::timeval| tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3;
    (
        ms(usage.ru_utime) + ms(usage.ru_stime),
        usage.ru_nvcsw + usage.ru_nivcsw,
    )
}

/// The lateness of each tick of a 1 ms ticker, in ms, as `tick` gives
/// them: `tick(k)` waits for tick k and returns when it came.
fn lateness(start: Instant, k: u32, now: Instant) -> f64 {
    let due = start + Duration::from_millis(u64::from(k));
    now.saturating_duration_since(due).as_secs_f64() * 1e3
}

/// Mean and worst lateness, and the worst of ticks 100 to 110 (the ticks
/// due as the blocker of `ticker_blocked` starts).
fn summary(late: &[f64]) -> String {
    let mean = late.iter().sum::<f64>() / late.len() as f64;
    let worst = late.iter().copied().fold(0.0, f64::max);
    let at_block = late[99..110].iter().copied().fold(0.0, f64::max);
    format!("{mean} {worst} {at_block}")
}

fn child(row: &str, runtime: &str) {
    let out = match runtime {
        "bobbin" => {
            let rt = bobbin::Runtime::builder()
                .worker_threads(workers())
                .build()
                .unwrap();
            rt.block_on(rt.spawn(async {})).unwrap();
            let handle = rt.handle();
            run_row(
                row,
                |body| {
                    let (tx, rx) = std::sync::mpsc::channel();
                    handle.spawn(async move { tx.send(body.await).unwrap() });
                    rx.recv().unwrap()
                },
                std::sync::Arc::new(|| ()),
            )
        }
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers())
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(rt.spawn(async {})).unwrap();
            let handle = rt.handle().clone();
            run_row(
                row,
                |body| {
                    let (tx, rx) = std::sync::mpsc::channel();
                    handle.spawn(async move { tx.send(body.await).unwrap() });
                    rx.recv().unwrap()
                },
                std::sync::Arc::new(|| ()),
            )
        }
        "smol" => {
            let rt = SmolRt::new(workers());
            futures_lite::future::block_on(rt.ex.spawn(async {}));
            let ex = rt.ex.clone();
            let blocker_ex = rt.ex.clone();
            run_row(
                row,
                |body| {
                    let (tx, rx) = std::sync::mpsc::channel();
                    ex.spawn(async move { tx.send(body.await).unwrap() })
                        .detach();
                    rx.recv().unwrap()
                },
                std::sync::Arc::new(move || {
                    blocker_ex
                        .spawn(async { std::thread::sleep(Duration::from_millis(300)) })
                        .detach()
                }),
            )
        }
        _ => unreachable!("main passes known runtimes"),
    };
    println!("{out}");
}

type Body = std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>;

/// Runs `row`, its async part as a task through `run`, which spawns it on
/// the runtime under test and waits (on a std channel) for its output.
fn run_row(
    row: &str,
    run: impl Fn(Body) -> String,
    smol_blocker: std::sync::Arc<dyn Fn() + Send + Sync>,
) -> String {
    let runtime = std::env::args().next_back().unwrap_or_default();
    match row {
        "idle" => {
            // From just after the first task: what settling costs counts.
            let (cpu, switches) = usage();
            std::thread::sleep(Duration::from_secs(3));
            let (cpu_after, switches_after) = usage();
            format!("{} {}", cpu_after - cpu, switches_after - switches)
        }
        "ticker" | "ticker_blocked" => {
            let blocked = row == "ticker_blocked";
            let out = run(match runtime.as_str() {
                "bobbin" => Box::pin(async move {
                    let mut ticker = bobbin::time::interval(Duration::from_millis(1));
                    ticker.tick().await;
                    let start = Instant::now();
                    let mut late = Vec::new();
                    for k in 1..=TICKS {
                        if blocked && k == 100 {
                            drop(bobbin::spawn(async {
                                std::thread::sleep(Duration::from_millis(300))
                            }));
                        }
                        ticker.tick().await;
                        late.push(lateness(start, k, Instant::now()));
                    }
                    summary(&late)
                }),
                "tokio" => Box::pin(async move {
                    let mut ticker = tokio::time::interval(Duration::from_millis(1));
                    ticker.tick().await;
                    let start = Instant::now();
                    let mut late = Vec::new();
                    for k in 1..=TICKS {
                        if blocked && k == 100 {
                            drop(tokio::spawn(async {
                                std::thread::sleep(Duration::from_millis(300))
                            }));
                        }
                        ticker.tick().await;
                        late.push(lateness(start, k, Instant::now()));
                    }
                    summary(&late)
                }),
                _ => Box::pin(async move {
                    use futures_lite::StreamExt;
                    let smol_blocker = smol_blocker.clone();
                    let start = Instant::now();
                    let mut ticker = async_io::Timer::interval_at(
                        start + Duration::from_millis(1),
                        Duration::from_millis(1),
                    );
                    let mut late = Vec::new();
                    for k in 1..=TICKS {
                        if blocked && k == 100 {
                            // smol has no ambient spawn: onto its executor.
                            smol_blocker();
                        }
                        ticker.next().await;
                        late.push(lateness(start, k, Instant::now()));
                    }
                    summary(&late)
                }),
            });
            let figures: Vec<&str> = out.split_whitespace().collect();
            if blocked {
                figures[1..].join(" ")
            } else {
                figures[..2].join(" ")
            }
        }
        _ => run(match runtime.as_str() {
            "bobbin" => Box::pin(async {
                let start = Instant::now();
                for _ in 0..1000 {
                    bobbin::time::sleep(Duration::from_micros(100)).await;
                }
                format!("{}", start.elapsed().as_secs_f64() * 1e6 / 1000.0)
            }),
            "tokio" => Box::pin(async {
                let start = Instant::now();
                for _ in 0..1000 {
                    tokio::time::sleep(Duration::from_micros(100)).await;
                }
                format!("{}", start.elapsed().as_secs_f64() * 1e6 / 1000.0)
            }),
            _ => Box::pin(async {
                let start = Instant::now();
                for _ in 0..1000 {
                    async_io::Timer::after(Duration::from_micros(100)).await;
                }
                format!("{}", start.elapsed().as_secs_f64() * 1e6 / 1000.0)
            }),
        }),
    }
}
