//! Fan-out/fan-in: a producer feeds N workers, which feed a collector, over
//! bounded channels; a deadline cancels the producer and the rest drains.
//!
//! Run with `cargo run --release --example fan_out [WORKERS]` (default 4).
//! It runs the pipeline twice and prints a line for each, with its
//! throughput in items/s: first over a fixed number of items, to the end;
//! then over an endless stream of items with a deadline of 200 ms.
//!
//! How it is built, as in Go:
//! - the producer sends item numbers into `jobs` (`channel::bounded`, so a
//!   fast producer waits for the workers instead of filling memory), inside
//!   `time::timeout_at(deadline, ..)`: at the deadline its pending `send` is
//!   dropped (sends are cancel-safe: that item was not sent) and it returns
//!   how many it sent. Dropping its sender closes `jobs`;
//! - each worker takes items until `jobs` is closed and drained, computes a
//!   hash of each, and sends it to `results`. The workers run under a
//!   `sync::WaitGroup`, and a closer task waits on it and closes `results`
//!   (Go's `go func() { wg.Wait(); close(results) }()`);
//! - the collector (the task that called [`run`]) takes results until
//!   `results` is closed, and checks that no item comes twice.
//!
//! So cancelling loses nothing: what was produced before the deadline is
//! still processed and collected, and the pipeline ends within the time it
//! takes to drain two small buffers. [`run`] takes a [`Config`] and returns
//! a [`Report`], so `executor-tests/tests/examples_fan_out.rs` runs the
//! same pipeline and checks the counts.

use bobbin::channel::{self, Receiver, Sender};
use bobbin::sync::WaitGroup;
use bobbin::task::Builder;
use std::fmt;
use std::time::{Duration, Instant};

fn main() {
    let workers = match std::env::args().nth(1) {
        None => 4,
        Some(arg) => match arg.parse::<usize>() {
            Ok(workers) if workers > 0 => workers,
            _ => {
                eprintln!("fan_out: WORKERS must be a whole number of at least 1, got {arg:?}");
                eprintln!("usage: fan_out [WORKERS]");
                std::process::exit(2);
            }
        },
    };
    let to_the_end = Config {
        workers,
        ..Config::default()
    };
    let with_deadline = Config {
        items: u64::MAX,
        deadline: Some(Duration::from_millis(200)),
        ..to_the_end
    };
    println!(
        "fan_out: producer -> {workers} workers -> collector, bounded({}) channels, \
         {} hash rounds per item",
        to_the_end.capacity, to_the_end.rounds
    );
    bobbin::block_on(async {
        println!("{} items: {}", to_the_end.items, run(to_the_end).await);
        println!(
            "endless items, 200 ms deadline: {}",
            run(with_deadline).await
        );
    });
}

/// How to run the pipeline.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Items to produce; `u64::MAX` for a stream that only the deadline
    /// ends.
    pub items: u64,
    /// Worker tasks between the producer and the collector.
    pub workers: usize,
    /// The capacity of each of the two channels.
    pub capacity: usize,
    /// Hash rounds per item: the work each item costs a worker.
    pub rounds: u32,
    /// When the producer stops, counted from the start; `None` for never.
    pub deadline: Option<Duration>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            items: 1_000_000,
            workers: 4,
            capacity: 64,
            rounds: 64,
            deadline: None,
        }
    }
}

/// What one run did.
#[derive(Clone, Debug)]
pub struct Report {
    /// Items the producer sent: `0..produced`.
    pub produced: u64,
    /// Distinct items the collector received.
    pub collected: u64,
    /// Items the collector received more than once (0 unless broken).
    pub duplicates: u64,
    /// The wrapping sum of every result received; equals
    /// [`checksum`]`(produced, rounds)` when each item came exactly once.
    pub checksum: u64,
    /// Items each worker processed.
    pub per_worker: Vec<u64>,
    /// True if the deadline stopped the producer.
    pub cancelled: bool,
    /// From the start to the last result.
    pub elapsed: Duration,
    /// From the deadline to the last result, if the deadline stopped the
    /// producer.
    pub drain: Option<Duration>,
}

impl Report {
    /// Produced items that were never collected.
    pub fn missing(&self) -> u64 {
        self.produced - self.collected
    }

    /// Items collected per second of the run.
    pub fn items_per_sec(&self) -> f64 {
        self.collected as f64 / self.elapsed.as_secs_f64()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cancelled {
            write!(
                f,
                "the deadline stopped the producer after {} items; ",
                self.produced
            )?;
        }
        write!(
            f,
            "collected {} of {} ({} missing, {} twice) in {:.2?}: {:.2}M items/s",
            self.collected,
            self.produced,
            self.missing(),
            self.duplicates,
            self.elapsed,
            self.items_per_sec() / 1e6
        )?;
        if let Some(drain) = self.drain {
            write!(f, "; drained {drain:.2?} after the deadline")?;
        }
        let shares: Vec<String> = self.per_worker.iter().map(u64::to_string).collect();
        write!(f, "; per worker: {}", shares.join(" "))
    }
}

/// The work done on one item: `rounds` rounds of splitmix64 over it.
pub fn work(item: u64, rounds: u32) -> u64 {
    let mut x = item;
    for _ in 0..rounds {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x = z ^ (z >> 31);
    }
    x
}

/// The [`Report::checksum`] of a run that collected items `0..items`,
/// each exactly once.
pub fn checksum(items: u64, rounds: u32) -> u64 {
    (0..items).fold(0, |sum, item| sum.wrapping_add(work(item, rounds)))
}

/// One processed item.
struct Processed {
    item: u64,
    worker: usize,
    value: u64,
}

/// Runs the pipeline of `config` on the current runtime (the global one
/// outside any) and reports what it did. Every task it starts has ended
/// when it returns.
///
/// # Panics
/// If `config.workers` or `config.capacity` is 0 (a pipeline with no
/// worker never ends; a rendezvous channel works but is not what this
/// example measures).
pub async fn run(config: Config) -> Report {
    assert!(
        config.workers > 0 && config.capacity > 0,
        "fan_out needs at least one worker and channels of capacity 1 or more, got {config:?}"
    );
    let started = Instant::now();
    let deadline = config.deadline.map(|after| started + after);
    let (jobs_tx, jobs) = channel::bounded(config.capacity);
    let (results_tx, results) = channel::bounded(config.capacity);

    let producer = Builder::new()
        .name("producer")
        .spawn(produce(jobs_tx, config.items, deadline));
    let workers = WaitGroup::new();
    for worker in 0..config.workers {
        let jobs = jobs.clone();
        let results = results_tx.clone();
        let rounds = config.rounds;
        workers.spawn(process(worker, jobs, results, rounds));
    }
    drop(jobs);
    let closer = Builder::new().name("closer").spawn(async move {
        workers.wait().await;
        results_tx.close();
    });

    let mut report = collect(results, config.workers).await;
    let finished = Instant::now();
    report.elapsed = finished - started;
    (report.produced, report.cancelled) = producer.await.expect("the producer does not panic");
    if report.cancelled {
        report.drain = deadline.map(|deadline| finished.saturating_duration_since(deadline));
    }
    closer.await.expect("the closer does not panic");
    report
}

/// Sends `0..items` into `jobs` until done or `deadline`; returns how many
/// it sent and whether the deadline stopped it.
async fn produce(jobs: Sender<u64>, items: u64, deadline: Option<Instant>) -> (u64, bool) {
    let mut sent = 0;
    let sending = async {
        while sent < items {
            if jobs.send(sent).await.is_err() {
                break; // every worker is gone
            }
            sent += 1;
        }
    };
    let cancelled = match deadline {
        Some(deadline) => bobbin::time::timeout_at(deadline, sending).await.is_err(),
        None => {
            sending.await;
            false
        }
    };
    // Returning drops `jobs`, the last sender: the channel closes and the
    // workers drain it.
    (sent, cancelled)
}

/// One worker: processes items until `jobs` is closed and empty.
async fn process(worker: usize, jobs: Receiver<u64>, results: Sender<Processed>, rounds: u32) {
    while let Ok(item) = jobs.recv().await {
        let value = work(item, rounds);
        let processed = Processed {
            item,
            worker,
            value,
        };
        if results.send(processed).await.is_err() {
            break; // the collector is gone
        }
    }
}

/// Takes results until `results` is closed; counts them, per worker too,
/// and notices any item that comes twice.
async fn collect(results: Receiver<Processed>, workers: usize) -> Report {
    let mut report = Report {
        produced: 0,
        collected: 0,
        duplicates: 0,
        checksum: 0,
        per_worker: vec![0; workers],
        cancelled: false,
        elapsed: Duration::ZERO,
        drain: None,
    };
    let mut seen: Vec<bool> = Vec::new();
    while let Ok(Processed {
        item,
        worker,
        value,
    }) = results.recv().await
    {
        let index = usize::try_from(item).expect("fewer items than addressable memory");
        if index >= seen.len() {
            seen.resize(index + 1, false);
        }
        if std::mem::replace(&mut seen[index], true) {
            report.duplicates += 1;
        } else {
            report.collected += 1;
        }
        report.checksum = report.checksum.wrapping_add(value);
        report.per_worker[worker] += 1;
    }
    report
}
