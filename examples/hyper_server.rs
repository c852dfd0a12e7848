//! hyper 1.x on bobbin: an HTTP/1.1 server and an HTTP/2 server (cleartext,
//! prior knowledge) that answer every request with "hello", through the
//! adapters of `bobbin::compat::hyper`.
//!
//! Run with
//! `cargo run --example hyper_server --features hyper [-- OPTIONS]`, then
//! `curl http://ADDRESS/` and `curl --http2-prior-knowledge http://ADDRESS/`
//! with the addresses it prints. Options:
//!
//! - `--http1 ADDRESS`, `--http2 ADDRESS`: where to listen (default
//!   `127.0.0.1:0`, a free port each);
//! - `--requests N`: stop after answering N requests (both ports together);
//! - `--seconds S`: stop after S seconds.
//!
//! Stopping is graceful: no new connections are accepted, and each open
//! one finishes the request it is serving, then closes.

use bobbin::compat::hyper::{BobbinExecutor, BobbinTimer, HyperIo};
use bobbin::net::{TcpListener, TcpStream};
use bobbin::sync::{Notify, WaitGroup};
use futures::stream::StreamExt;
use http_body_util::Full;
use hyper::body::Bytes;
use std::convert::Infallible;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// How long open connections get to finish once the server stops.
const GRACE: Duration = Duration::from_secs(5);

struct Options {
    http1: String,
    http2: String,
    requests: Option<u64>,
    seconds: Option<u64>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        http1: "127.0.0.1:0".to_owned(),
        http2: "127.0.0.1:0".to_owned(),
        requests: None,
        seconds: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || match value.parse::<u64>() {
            Ok(number) if number > 0 => Ok(number),
            _ => Err(format!(
                "{flag} takes a whole number of at least 1, got {value:?}"
            )),
        };
        match flag.as_str() {
            "--http1" => options.http1 = value.clone(),
            "--http2" => options.http2 = value.clone(),
            "--requests" => options.requests = Some(number()?),
            "--seconds" => options.seconds = Some(number()?),
            _ => {
                return Err(format!(
                    "unknown option {flag:?}; the options are --http1 ADDRESS, --http2 ADDRESS, \
                     --requests N and --seconds S"
                ));
            }
        }
    }
    Ok(options)
}

/// What every connection shares: the request counts, the limit, and the
/// signal that stops the server.
struct Shared {
    /// Requests answered, both protocols together: one counter, so exactly
    /// one request sees the limit reached.
    requests: AtomicU64,
    /// Requests answered over HTTP/1.1 and over HTTP/2, for the report.
    by_protocol: [AtomicU64; 2],
    limit: Option<u64>,
    limit_reached: Notify,
}

#[derive(Clone, Copy)]
enum Protocol {
    Http1 = 0,
    Http2 = 1,
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("hyper_server: {message}");
            std::process::exit(2);
        }
    };
    if let Err(err) = bobbin::block_on(run(options)) {
        eprintln!("hyper_server: {err}");
        std::process::exit(1);
    }
}

async fn run(options: Options) -> std::io::Result<()> {
    let http1 = TcpListener::bind(options.http1.as_str()).await?;
    let http2 = TcpListener::bind(options.http2.as_str()).await?;
    println!("HTTP/1.1 on http://{}/", http1.local_addr()?);
    println!(
        "HTTP/2   on http://{}/ (prior knowledge)",
        http2.local_addr()?
    );
    let report = serve_listeners(http1, http2, options.requests, options.seconds).await;
    println!("{report}");
    Ok(())
}

/// Serves both listeners until `requests` have been answered or `seconds`
/// have passed, then stops gracefully; says why it stopped and what it
/// served.
pub async fn serve_listeners(
    http1: TcpListener,
    http2: TcpListener,
    requests: Option<u64>,
    seconds: Option<u64>,
) -> String {
    let shared = Arc::new(Shared {
        requests: AtomicU64::new(0),
        by_protocol: [AtomicU64::new(0), AtomicU64::new(0)],
        limit: requests,
        limit_reached: Notify::new(),
    });
    // Dropping `stop` closes the channel: every connection's `recv` fails,
    // and that is the signal to shut down gracefully.
    let (stop, stopped) = bobbin::channel::bounded::<()>(1);
    let connections = WaitGroup::new();
    let mut deadline = pin!(bobbin::time::sleep(
        seconds.map_or(Duration::MAX, Duration::from_secs)
    ));
    // One `incoming()` per listener for the whole loop: after a failed
    // accept (out of file descriptors, say) it backs off and tries again,
    // where a branch on `accept()` would be disabled until another one won.
    let mut incoming1 = http1.incoming();
    let mut incoming2 = http2.incoming();
    let reason = loop {
        bobbin::select! {
            Some(stream) = incoming1.next() => match stream {
                Ok(stream) => {
                    connections.spawn(serve(stream, Protocol::Http1, shared.clone(), stopped.clone()));
                }
                Err(err) => eprintln!("accept failed: {err}"),
            },
            Some(stream) = incoming2.next() => match stream {
                Ok(stream) => {
                    connections.spawn(serve(stream, Protocol::Http2, shared.clone(), stopped.clone()));
                }
                Err(err) => eprintln!("accept failed: {err}"),
            },
            _ = shared.limit_reached.notified() => break "the request limit was reached",
            _ = deadline.as_mut() => break "the time limit was reached",
        }
    };
    drop(stop);
    let finished = bobbin::time::timeout(GRACE, connections.wait())
        .await
        .is_ok();
    format!(
        "stopping: {reason}; served {} HTTP/1.1 and {} HTTP/2 requests{}",
        shared.by_protocol[0].load(Relaxed),
        shared.by_protocol[1].load(Relaxed),
        if finished {
            ""
        } else {
            "; some connections did not close in time"
        }
    )
}

/// Serves one connection until the client closes it or the server stops.
async fn serve(
    stream: TcpStream,
    protocol: Protocol,
    shared: Arc<Shared>,
    stopped: bobbin::channel::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    // bobbin's TcpStream writes all slices of a vectored write at once.
    let io = HyperIo::new(stream).with_vectored_writes(true);
    let service = hyper::service::service_fn(move |_request| {
        // Relaxed: counters; the stop signal goes through `Notify`.
        shared.by_protocol[protocol as usize].fetch_add(1, Relaxed);
        let answered = shared.requests.fetch_add(1, Relaxed) + 1;
        if shared.limit == Some(answered) {
            shared.limit_reached.notify_one();
        }
        async { Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("hello\n")))) }
    });
    let result = match protocol {
        Protocol::Http1 => {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(BobbinTimer::new())
                .serve_connection(io, service);
            until_stopped(connection, stopped, |c| c.graceful_shutdown()).await
        }
        Protocol::Http2 => {
            let connection = hyper::server::conn::http2::Builder::new(BobbinExecutor::new())
                .timer(BobbinTimer::new())
                .serve_connection(io, service);
            until_stopped(connection, stopped, |c| c.graceful_shutdown()).await
        }
    };
    if let Err(err) = result {
        eprintln!("connection error: {err}");
    }
}

/// Drives `connection`; once `stopped` closes, asks it to finish what it
/// is serving and close, and drives it to the end.
async fn until_stopped<C>(
    connection: C,
    stopped: bobbin::channel::Receiver<()>,
    graceful_shutdown: impl FnOnce(Pin<&mut C>),
) -> Result<(), hyper::Error>
where
    C: Future<Output = Result<(), hyper::Error>>,
{
    let mut connection = pin!(connection);
    bobbin::select! {
        result = connection.as_mut() => return result,
        _ = stopped.recv() => graceful_shutdown(connection.as_mut()),
    }
    connection.await
}
