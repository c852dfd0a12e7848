//! Fan-out of CPU-bound jobs: how close each runtime gets to keeping every
//! worker busy. One task spawns `JOBS` tasks that each spin for `JOB` of
//! CPU (no await inside) and then awaits them all; the figure is the wall
//! time from the first spawn to the last join divided by the ideal,
//! `JOBS × JOB / workers`. 1.00 would be every worker busy with jobs the
//! whole time; what is over it is spawning, queueing, stealing and joining,
//! and workers left idle. bobbin beside tokio and smol (and Go,
//! `benches/go/jobs.go`), `RUNS` runs interleaved in one process, medians.
//!
//! Run: `cargo bench -p bobbin-benches --bench jobs`. Worker count: 2, or
//! `BENCH_WORKERS`.

use bobbin_benches::{SmolRt, workers};
use std::time::{Duration, Instant};

const JOBS: u32 = 100_000;
const JOB: Duration = Duration::from_micros(10);
const RUNS: usize = 7;

/// Spins the CPU for `JOB` (the clock is read between rounds of work, as a
/// job that computes would not sleep).
fn job() -> u64 {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < JOB {
        for i in 0..64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    x
}

fn main() {
    let n = workers();
    let ideal = JOB.as_secs_f64() * f64::from(JOBS) / n as f64;
    println!(
        "{JOBS} jobs of {} µs on {n} workers (ideal {:.3} s), {RUNS} runs interleaved: wall / ideal, medians (each run in brackets)",
        JOB.as_micros(),
        ideal
    );
    let bobbin = bobbin::Runtime::builder()
        .worker_threads(n)
        .build()
        .expect("bobbin runtime");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(n)
        .build()
        .expect("tokio runtime");
    let smol = SmolRt::new(n);
    let mut ratios: [Vec<f64>; 3] = Default::default();
    for _ in 0..RUNS {
        let wall = bobbin
            .block_on(bobbin.spawn(async {
                let start = Instant::now();
                let handles: Vec<_> = (0..JOBS).map(|_| bobbin::spawn(async { job() })).collect();
                for handle in handles {
                    handle.await.expect("job");
                }
                start.elapsed()
            }))
            .expect("bobbin body");
        ratios[0].push(wall.as_secs_f64() / ideal);
        let wall = tokio
            .block_on(tokio.spawn(async {
                let start = Instant::now();
                let handles: Vec<_> = (0..JOBS).map(|_| tokio::spawn(async { job() })).collect();
                for handle in handles {
                    handle.await.expect("job");
                }
                start.elapsed()
            }))
            .expect("tokio body");
        ratios[1].push(wall.as_secs_f64() / ideal);
        let ex = smol.ex.clone();
        let wall = smol.block_on(async move {
            let start = Instant::now();
            let handles: Vec<_> = (0..JOBS).map(|_| ex.spawn(async { job() })).collect();
            for handle in handles {
                handle.await;
            }
            start.elapsed()
        });
        ratios[2].push(wall.as_secs_f64() / ideal);
    }
    for (runtime, mut runs) in ["bobbin", "tokio", "smol"].into_iter().zip(ratios) {
        let shown: Vec<String> = runs.iter().map(|r| format!("{r:.3}")).collect();
        runs.sort_by(f64::total_cmp);
        println!(
            "  fan-out  {runtime:<7} {:.3}  [{}]",
            runs[RUNS / 2],
            shown.join(", ")
        );
    }
}
