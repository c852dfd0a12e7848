//! Memory per pending task: RSS growth when 1M tasks are parked on a
//! oneshot, for bobbin, tokio and smol; a comparison with the peers.
//!
//! Run: `cargo bench -p bobbin-benches --bench memory`.
//!
//! Each measurement runs in a fresh child process (this binary re-executed
//! with the runtime's name), so one runtime's freed-but-kept heap cannot
//! flatter the next. The child reserves its vectors, reads its resident set
//! (`/proc/self/statm`), spawns `TASKS` tasks that each await their own
//! `futures::channel::oneshot` receiver, waits until every task has been
//! polled once and parked, and reads the resident set again. The same
//! oneshot is used for all three runtimes; a `oneshot` child that makes the
//! pairs without any task measures what the channel itself costs, so the
//! table shows both the whole growth per task and the runtime's share.
//! Two more children measure bobbin with its own oneshot
//! (`bobbin::channel::oneshot`): the channel alone, and the tasks parked on
//! it. The last two run bobbin's current-thread runtime with the futures
//! oneshot: the same task spawned with `bobbin::spawn` and as a local task
//! (`task::spawn_local`), to show a local task costs no more.

use bobbin_benches::{SmolRt, workers};
use futures::channel::oneshot;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TASKS: usize = 1_000_000;
const KINDS: [&str; 8] = [
    "oneshot",
    "bobbin",
    "tokio",
    "smol",
    "bobbin_oneshot",
    "bobbin_own",
    "one_thread_spawn",
    "one_thread_local",
];

fn main() {
    let kind = std::env::args()
        .skip(1)
        .find(|arg| KINDS.contains(&arg.as_str()));
    match kind {
        Some(kind) => child(&kind),
        None => parent(),
    }
}

fn parent() {
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    let mut results = Vec::new();
    for kind in KINDS {
        let output = Command::new(&exe)
            .arg(kind)
            .output()
            .expect("the benchmark can re-execute itself");
        assert!(
            output.status.success(),
            "{kind} child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("the child prints UTF-8");
        let bytes: f64 = text.trim().parse().expect("the child prints a number");
        results.push((kind, bytes));
    }
    let channel = results[0].1;
    println!(
        "memory per pending task, {TASKS} tasks parked on a futures oneshot, {} workers",
        workers()
    );
    println!(
        "{:<8} {:>16} {:>26}",
        "runtime", "bytes per task", "minus the oneshot itself"
    );
    println!("{:<8} {:>16.0} {:>26}", "oneshot", channel, "-");
    for (kind, bytes) in &results[1..4] {
        println!("{kind:<8} {bytes:>16.0} {:>26.0}", bytes - channel);
    }
    let own = results[4].1;
    println!("\nbobbin with its own oneshot (bobbin::channel::oneshot)");
    println!("{:<8} {:>16.0} {:>26}", "oneshot", own, "-");
    println!(
        "{:<8} {:>16.0} {:>26.0}",
        "bobbin",
        results[5].1,
        results[5].1 - own
    );
    println!("\nbobbin's current-thread runtime, the futures oneshot");
    for (kind, bytes) in &results[6..8] {
        println!("{kind:<17} {bytes:>7.0} {:>26.0}", bytes - channel);
    }
}

/// Resident set size of this process, in bytes.
fn rss() -> usize {
    let statm =
        std::fs::read_to_string("/proc/self/statm").expect("Linux exposes /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("statm has a resident field");
    pages * 4096
}

/// Prints the resident-set growth per task of one kind of child.
fn child(kind: &str) {
    if kind.starts_with("bobbin_") {
        return own_oneshot_child(kind);
    }
    if kind.starts_with("one_thread_") {
        return one_thread_child(kind);
    }
    let mut senders: Vec<oneshot::Sender<()>> = Vec::with_capacity(TASKS);
    let parked = Arc::new(AtomicUsize::new(0));
    let growth = match kind {
        "oneshot" => {
            let mut receivers = Vec::with_capacity(TASKS);
            let before = rss();
            for _ in 0..TASKS {
                let (tx, rx) = oneshot::channel::<()>();
                senders.push(tx);
                receivers.push(rx);
            }
            let after = rss();
            drop(receivers);
            after - before
        }
        "bobbin" => {
            let rt = bobbin::Runtime::builder()
                .worker_threads(workers())
                .build()
                .unwrap();
            let mut handles = Vec::with_capacity(TASKS);
            park_all(&parked, &mut senders, parked_task, |task| {
                handles.push(rt.spawn(task))
            })
        }
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers())
                .build()
                .unwrap();
            let mut handles = Vec::with_capacity(TASKS);
            park_all(&parked, &mut senders, parked_task, |task| {
                handles.push(rt.spawn(task))
            })
        }
        "smol" => {
            let rt = SmolRt::new(workers());
            let mut handles = Vec::with_capacity(TASKS);
            let growth = park_all(&parked, &mut senders, parked_task, |task| {
                handles.push(rt.ex.spawn(task))
            });
            // Wake the tasks so they finish before the threads are joined.
            drop(senders.drain(..));
            growth
        }
        _ => unreachable!("main only passes known kinds"),
    };
    println!("{}", growth as f64 / TASKS as f64);
}

/// The children that use bobbin's own oneshot.
fn own_oneshot_child(kind: &str) {
    let mut senders: Vec<bobbin::channel::oneshot::Sender<()>> = Vec::with_capacity(TASKS);
    let growth = if kind == "bobbin_oneshot" {
        let mut receivers = Vec::with_capacity(TASKS);
        let before = rss();
        for _ in 0..TASKS {
            let (tx, rx) = bobbin::channel::oneshot::<()>();
            senders.push(tx);
            receivers.push(rx);
        }
        let after = rss();
        drop(receivers);
        after - before
    } else {
        let rt = bobbin::Runtime::builder()
            .worker_threads(workers())
            .build()
            .unwrap();
        let parked = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::with_capacity(TASKS);
        let before = rss();
        for _ in 0..TASKS {
            let (tx, rx) = bobbin::channel::oneshot::<()>();
            senders.push(tx);
            let parked = parked.clone();
            handles.push(rt.spawn(async move {
                parked.fetch_add(1, Ordering::Relaxed);
                let _ = rx.await;
            }));
        }
        wait_parked(&parked);
        rss() - before
    };
    println!("{}", growth as f64 / TASKS as f64);
}

/// The children on bobbin's current-thread runtime: `bobbin::spawn` or
/// `task::spawn_local`, the same task, parked by the `block_on` thread.
fn one_thread_child(kind: &str) {
    let rt = bobbin::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = kind == "one_thread_local";
    let growth = rt.block_on(async {
        let mut senders = Vec::with_capacity(TASKS);
        let mut handles = Vec::with_capacity(TASKS);
        let parked = Arc::new(AtomicUsize::new(0));
        let before = rss();
        for _ in 0..TASKS {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            let task = parked_task(parked.clone(), rx);
            handles.push(if local {
                bobbin::task::spawn_local(task)
            } else {
                bobbin::spawn(task)
            });
        }
        // The tasks run on this thread while the loop yields.
        while parked.load(Ordering::Relaxed) < TASKS {
            bobbin::task::yield_now().await;
        }
        bobbin::task::yield_now().await;
        let growth = rss() - before;
        drop(senders);
        for handle in handles {
            handle.await.unwrap();
        }
        growth
    });
    println!("{}", growth as f64 / TASKS as f64);
}

/// The task every runtime runs: count itself as parked, then wait.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` keeps its arguments and its body's locals apart, making \
              the future 8 bytes larger than the `async move` block every runtime \
              was measured with; keep the measured shape"
)]
fn parked_task(
    parked: Arc<AtomicUsize>,
    rx: oneshot::Receiver<()>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    async move {
        parked.fetch_add(1, Ordering::Relaxed);
        let _ = rx.await;
    }
}

/// Spawns `TASKS` tasks made by `make` through `spawn`, waits until every
/// one was polled once, and returns the resident-set growth.
fn park_all<T>(
    parked: &Arc<AtomicUsize>,
    senders: &mut Vec<oneshot::Sender<()>>,
    make: fn(Arc<AtomicUsize>, oneshot::Receiver<()>) -> T,
    mut spawn: impl FnMut(T),
) -> usize {
    let before = rss();
    for _ in 0..TASKS {
        let (tx, rx) = oneshot::channel::<()>();
        senders.push(tx);
        spawn(make(parked.clone(), rx));
    }
    wait_parked(parked);
    rss() - before
}

/// Waits until `TASKS` tasks have counted themselves parked, then lets
/// their last polls return.
fn wait_parked(parked: &AtomicUsize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while parked.load(Ordering::Relaxed) < TASKS {
        assert!(
            Instant::now() < deadline,
            "tasks did not all start within two minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let the last polls return and the tasks go idle.
    std::thread::sleep(Duration::from_millis(50));
}
