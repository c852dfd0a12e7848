//! What the benchmarks share: the worker count and smol's executor set up
//! as a multi-thread runtime. The benchmarks themselves are the `[[bench]]`
//! targets.

use std::future::Future;
use std::sync::Arc;

/// Worker threads for every runtime under test: 2, or `BENCH_WORKERS`.
pub fn workers() -> usize {
    std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

/// smol's `async-executor` run by `workers` threads until dropped: the
/// shape of a smol program's runtime.
pub struct SmolRt {
    /// The executor the threads run; spawn onto it.
    pub ex: Arc<async_executor::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl SmolRt {
    /// Starts `workers` threads running a new executor.
    pub fn new(workers: usize) -> SmolRt {
        let ex = Arc::new(async_executor::Executor::new());
        let (stop, signal) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|_| {
                let ex = ex.clone();
                let signal = signal.clone();
                std::thread::spawn(move || {
                    futures_lite::future::block_on(ex.run(signal.recv())).unwrap_or(())
                })
            })
            .collect();
        SmolRt {
            ex,
            stop: Some(stop),
            threads,
        }
    }

    /// Runs `future` as a task on the executor and waits for it.
    pub fn block_on<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> T {
        futures_lite::future::block_on(self.ex.spawn(future))
    }
}

impl Drop for SmolRt {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// bobbin, tokio and smol, each with [`workers`] threads, built once for a
/// whole criterion run (the in-process benchmarks: `channels`, `fanout`).
pub struct Runtimes {
    /// bobbin's runtime.
    pub bobbin: bobbin::Runtime,
    /// tokio's multi-thread runtime.
    pub tokio: tokio::runtime::Runtime,
    /// smol's executor.
    pub smol: SmolRt,
}

impl Runtimes {
    /// Starts the three runtimes (tokio's without its I/O and time
    /// drivers: the channel benchmarks need neither).
    pub fn new() -> Runtimes {
        Runtimes::build(false)
    }

    /// As [`new`](Runtimes::new), with tokio's drivers on (`enable_all`),
    /// for benchmarks of files, processes and signals.
    pub fn with_drivers() -> Runtimes {
        Runtimes::build(true)
    }

    fn build(tokio_drivers: bool) -> Runtimes {
        let n = workers();
        let mut tokio = tokio::runtime::Builder::new_multi_thread();
        tokio.worker_threads(n);
        if tokio_drivers {
            tokio.enable_all();
        }
        Runtimes {
            bobbin: bobbin::Runtime::builder()
                .worker_threads(n)
                .build()
                .expect("bobbin runtime"),
            tokio: tokio.build().expect("tokio runtime"),
            smol: SmolRt::new(n),
        }
    }

    /// Runs `body` as a task on bobbin (as the peers run theirs), so its
    /// spawns come from a worker, and returns its output.
    pub fn on_bobbin<T: Send + 'static>(
        &self,
        body: impl Future<Output = T> + Send + 'static,
    ) -> T {
        self.bobbin
            .block_on(self.bobbin.spawn(body))
            .expect("bobbin body")
    }

    /// Runs `body` as a task on tokio and returns its output.
    pub fn on_tokio<T: Send + 'static>(&self, body: impl Future<Output = T> + Send + 'static) -> T {
        self.tokio
            .block_on(self.tokio.spawn(body))
            .expect("tokio body")
    }
}

impl Default for Runtimes {
    fn default() -> Runtimes {
        Runtimes::new()
    }
}

/// The child-process benchmarks (`timers`, `blocking`): the parent
/// re-executes its own binary as `--child <bench> <runtime>` once per run
/// and runtime, reads back `name=value` figures from each child's stdout,
/// and prints a table of medians and runs.
pub mod child {
    use std::path::Path;
    use std::process::Command;
    use std::time::{Duration, Instant};

    /// The runtimes under test.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub enum Kind {
        /// bobbin.
        Bobbin,
        /// tokio's multi-thread runtime.
        Tokio,
        /// smol's async-executor.
        Smol,
    }

    impl Kind {
        /// Every runtime, in table order.
        pub const ALL: [Kind; 3] = [Kind::Bobbin, Kind::Tokio, Kind::Smol];

        /// The runtime's name in tables and on the child's command line.
        pub fn name(self) -> &'static str {
            match self {
                Kind::Bobbin => "bobbin",
                Kind::Tokio => "tokio",
                Kind::Smol => "smol",
            }
        }
    }

    /// One child's figures, by name; `None` if the child failed.
    pub type Figures = Option<Vec<(String, f64)>>;

    /// `Some((bench, runtime))` if this process is a child.
    pub fn child_args(args: &[String]) -> Option<(&str, Kind)> {
        let at = args.iter().position(|arg| arg == "--child")?;
        let usage = "--child <bench> <runtime>";
        let bench = args.get(at + 1).expect(usage);
        let kind = args.get(at + 2).expect(usage);
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.name() == kind)
            .expect("a known runtime");
        Some((bench, kind))
    }

    /// The line under the command: workers, CPUs, how figures are made.
    pub fn header(runs: usize) -> String {
        let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
        format!(
            "{} workers per runtime on {cpus} CPUs; each figure: median of {runs} runs \
             [the runs], each run in a fresh process",
            super::workers()
        )
    }

    /// Runs `bench` `runs` times per runtime, the runtimes interleaved;
    /// `results[kind][run]`.
    pub fn run_all(bench: &str, runs: usize) -> Vec<Vec<Figures>> {
        let exe = std::env::current_exe().expect("the benchmark knows its own path");
        let mut results: Vec<Vec<Figures>> = vec![Vec::new(); Kind::ALL.len()];
        for _ in 0..runs {
            for (k, kind) in Kind::ALL.iter().enumerate() {
                results[k].push(run_child(&exe, bench, *kind));
            }
        }
        results
    }

    /// Runs one child and parses its `name=value` figures.
    fn run_child(exe: &Path, bench: &str, kind: Kind) -> Figures {
        let output = Command::new(exe)
            .args(["--child", bench, kind.name()])
            .output()
            .expect("the benchmark can re-execute itself");
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            eprintln!(
                "{bench}/{} child failed ({}): {}{}",
                kind.name(),
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            );
            return None;
        }
        let figures = stdout
            .split_whitespace()
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                Some((name.to_owned(), value.parse().ok()?))
            })
            .collect();
        Some(figures)
    }

    fn figure(figures: &Figures, name: &str) -> Option<f64> {
        figures
            .as_ref()?
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// Prints one row per `(label, figure name, decimals)`, one column per
    /// runtime.
    pub fn print_table(results: &[Vec<Figures>], rows: &[(&str, &str, usize)]) {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|(_, key, precision)| {
                results
                    .iter()
                    .map(|runs| {
                        let values: Vec<Option<f64>> =
                            runs.iter().map(|f| figure(f, key)).collect();
                        cell(&values, *precision)
                    })
                    .collect()
            })
            .collect();
        let label = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let width = cells
            .iter()
            .flatten()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(6);
        print!("{:<label$}", "");
        for kind in Kind::ALL {
            print!("  {:<width$}", kind.name());
        }
        println!();
        for ((name, _, _), row) in rows.iter().zip(&cells) {
            print!("{name:<label$}");
            for cell in row {
                print!("  {cell:<width$}");
            }
            println!();
        }
    }

    /// `median [run run ...]`, or `failed` if any run failed.
    fn cell(values: &[Option<f64>], precision: usize) -> String {
        let Some(values) = values.iter().copied().collect::<Option<Vec<f64>>>() else {
            return "failed".to_owned();
        };
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let runs: Vec<String> = values.iter().map(|v| format!("{v:.precision$}")).collect();
        format!(
            "{:.precision$} [{}]",
            sorted[sorted.len() / 2],
            runs.join(" ")
        )
    }

    /// Ends this (child) process if it has not finished within `limit`.
    pub fn watchdog(limit: Duration) {
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            eprintln!("watchdog: no result after {limit:?}");
            std::process::exit(3);
        });
    }

    /// `a - b` in nanoseconds, negative if `a` is before `b`.
    pub fn signed_nanos(a: Instant, b: Instant) -> i64 {
        match a.checked_duration_since(b) {
            Some(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            None => -i64::try_from((b - a).as_nanos()).unwrap_or(i64::MAX),
        }
    }

    /// Nanoseconds as milliseconds.
    pub fn ms(nanos: i64) -> f64 {
        nanos as f64 / 1e6
    }
}
