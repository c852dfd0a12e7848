//! An echo server that shuts down gracefully: on SIGINT (Ctrl-C) or
//! SIGTERM it stops accepting, lets the connections in flight finish for up
//! to a deadline, closes the rest, and prints what it waited for.
//!
//! Run with `cargo run --release --example graceful [ADDRESS] [GRACE_MS]`
//! (defaults `127.0.0.1:7001` and 5000), connect with `nc 127.0.0.1 7001`,
//! then press Ctrl-C in the server's terminal (or `kill <pid>`).

use bobbin::net::{TcpListener, TcpStream};
use bobbin::sync::CancellationToken;
use bobbin::task::JoinSet;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::time::{Duration, Instant};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:7001".to_owned());
    let grace = Duration::from_millis(args.next().map_or(5000, |ms| {
        ms.parse()
            .expect("GRACE_MS is a number of milliseconds, e.g. 5000")
    }));
    bobbin::block_on(async move {
        let listener = TcpListener::bind(address.as_str()).await?;
        println!(
            "graceful echo server on {} (pid {}); Ctrl-C or SIGTERM to stop",
            listener.local_addr()?,
            std::process::id()
        );
        let report = serve(listener, shutdown_signal()?, grace).await;
        println!("{report}");
        Ok(())
    })
}

/// Completes on the first SIGINT or SIGTERM. The listeners are made now,
/// so a signal that comes before the future is polled is not lost.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = &'static str>> {
    use bobbin::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        // `None`: the runtime shut down under the listener.
        bobbin::select! {
            got = interrupt.recv() => if got.is_some() { "SIGINT" } else { "runtime shutdown" },
            got = terminate.recv() => if got.is_some() { "SIGTERM" } else { "runtime shutdown" },
        }
    })
}

/// What a shutdown waited for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What ended the serving ("SIGTERM", ...).
    pub cause: &'static str,
    /// Connections accepted in all.
    pub accepted: usize,
    /// Connections still open when the shutdown began.
    pub in_flight: usize,
    /// Of those, how many finished within the grace period.
    pub finished: usize,
    /// Of those, how many were still open at the deadline and were closed.
    pub cut_off: usize,
    /// How long the shutdown took.
    pub waited: Duration,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: stopped accepting after {} connections; {} were in flight: {} finished within \
             the grace period, {} were closed at the deadline; shutdown took {:.1?}",
            self.cause, self.accepted, self.in_flight, self.finished, self.cut_off, self.waited
        )
    }
}

/// Serves echo connections until `shutdown` completes, then drains them
/// for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = &'static str>,
    grace: Duration,
) -> Report {
    let mut report = Report::default();
    let mut connections = JoinSet::new();
    let close = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    report.cause = loop {
        bobbin::select! {
            cause = shutdown.as_mut() => break cause,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    report.accepted += 1;
                    connections.spawn(close.child_token().run_until_cancelled_owned(echo(stream)));
                }
                Err(err) => eprintln!("accept failed: {err}"),
            },
        }
        // Reap the connections that ended, so the set holds the live ones.
        while connections.try_join_next().is_some() {}
    };
    drop(listener);
    let started = Instant::now();
    while connections.try_join_next().is_some() {}
    report.in_flight = connections.len();
    let drained = bobbin::time::timeout(grace, async {
        while connections.join_next().await.is_some() {
            report.finished += 1;
        }
    })
    .await;
    if drained.is_err() {
        // The deadline: tell the rest to close, and wait for them to.
        report.cut_off = connections.len();
        close.cancel();
        while connections.join_next().await.is_some() {}
    }
    report.waited = started.elapsed();
    report
}

/// Echoes until the client closes its side.
async fn echo(mut stream: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
