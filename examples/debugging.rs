//! What bobbin shows about a running program: a small TCP service with a
//! leaked connection, a task that blocks its worker, a blocking job and a
//! result nobody joined, then its metrics and its task dump.
//! `docs/debugging.md` walks through this program's output.
//!
//! Run: `cargo run --release --example debugging`

use bobbin::net::{TcpListener, TcpStream};
use bobbin::runtime::UnhandledPanic;
use bobbin::task::Builder;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::sync::mpsc;
use std::time::Duration;

pub fn main() {
    let (metrics, dump) = observe();
    println!("{metrics}\n");
    println!("{dump}");
}

/// Runs the service, takes its metrics and task dump while it is in the
/// state `docs/debugging.md` describes, and returns both as text.
pub fn observe() -> (String, String) {
    let rt = bobbin::Runtime::builder()
        .worker_threads(2)
        // A panic nobody awaits is logged with the task that raised it.
        .unhandled_panic(UnhandledPanic::callback(|panic| {
            eprintln!("unhandled: {panic}");
        }))
        .build()
        .expect("a runtime starts");

    // A dump on demand: a thread waits for a request (here from a channel;
    // a signal handler or an admin endpoint would send it) and prints the
    // dump without stopping anything.
    let (dump_tx, dump_rx) = mpsc::channel::<()>();
    let handle = rt.handle();
    let dumper = std::thread::spawn(move || {
        let mut report = None;
        for () in dump_rx {
            report = Some((handle.metrics().to_string(), handle.dump().to_string()));
        }
        report
    });

    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        // Dropping a JoinHandle detaches the task; it keeps running.
        drop(
            Builder::new()
                .name("accept-loop")
                .spawn(accept_loop(listener)),
        );

        // A client that connects and then says nothing: its connection
        // task waits forever (the leak the dump should point at).
        let silent = TcpStream::connect(addr).await.expect("connect");
        bobbin::time::sleep(Duration::from_millis(300)).await;

        // Two clients that talk and leave: their tasks end.
        for n in 0..2 {
            let mut client = TcpStream::connect(addr).await.expect("connect");
            client
                .write_all(format!("hello {n}\n").as_bytes())
                .await
                .expect("write");
            let mut echo = [0; 8];
            client.read_exact(&mut echo).await.expect("echo");
        }

        // A ticker: idle too, but polled every 50 ms.
        drop(Builder::new().name("ticker").spawn(async {
            let mut interval = bobbin::time::interval(Duration::from_millis(50));
            loop {
                interval.tick().await;
            }
        }));

        // A task that computes inside one poll instead of yielding.
        drop(
            Builder::new()
                .name("report-builder")
                .spawn(async { std::thread::sleep(Duration::from_millis(900)) }),
        );
        // A blocking job, where such work belongs.
        drop(
            Builder::new()
                .name("disk-scan")
                .spawn_blocking(|| std::thread::sleep(Duration::from_millis(900))),
        );
        // A result nobody joined: finished, still holding its output.
        let _forgotten = Builder::new().name("price-lookup").spawn(async { 42 });
        // A panic nobody awaits.
        drop(
            Builder::new()
                .name("flaky-job")
                .spawn(async { panic!("the cache was empty") }),
        );

        bobbin::time::sleep(Duration::from_millis(400)).await;
        dump_tx.send(()).expect("the dump thread waits");
        drop(dump_tx);
        bobbin::time::sleep(Duration::from_millis(600)).await;
        drop(silent);
    });
    dumper
        .join()
        .expect("the dump thread ends")
        .expect("one dump was requested")
}

async fn accept_loop(listener: TcpListener) {
    let mut next = 0;
    while let Ok((stream, _)) = listener.accept().await {
        next += 1;
        let name = format!("conn-{next}");
        drop(Builder::new().name(&name).spawn(echo(stream)));
    }
}

/// Echoes what the client sends until it hangs up.
async fn echo(mut stream: TcpStream) {
    let mut buf = [0; 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}
