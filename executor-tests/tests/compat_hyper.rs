//! hyper 1.x on bobbin (`bobbin::compat::hyper`, feature `hyper`, turned
//! on by this package's dev-dependencies): a hyper client and a hyper
//! server talk over bobbin's TCP on 127.0.0.1 in HTTP/1.1 (keep-alive,
//! bodies larger than one read, both write paths) and HTTP/2 (concurrent
//! streams on tasks spawned by `BobbinExecutor`, a body past the flow
//! control window); over a Unix socket pair; through an upgraded
//! connection read with `futures-io`. hyper's header-read timeout, fired
//! by `BobbinTimer`, closes a connection whose request never completes;
//! `Timer::reset` moves a bobbin sleep in place and replaces a foreign one;
//! a shutdown after the peer reset the connection succeeds.
//! Also pinned: the adapters' auto traits and trait impls.

use bobbin::compat::hyper::{BobbinExecutor, BobbinTimer, HyperIo};
use bobbin::net::{TcpListener, TcpStream, UnixStream};
use executor_tests::{LIMIT, assert_auto_traits, implements, pattern, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, HOST, UPGRADE};
use hyper::rt::{Sleep, Timer};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Version};
use std::convert::Infallible;
use std::future::Future;
use std::io::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

assert_auto_traits!(HyperIo<TcpStream>: Send, Sync, Unpin);
assert_auto_traits!(HyperIo<hyper::upgrade::Upgraded>: Send, !Sync, Unpin);
assert_auto_traits!(BobbinExecutor: Send, Sync, Unpin);
assert_auto_traits!(BobbinTimer: Send, Sync, Unpin);

const _: () = assert!(
    implements!(HyperIo<TcpStream>: hyper::rt::Read + hyper::rt::Write)
        && implements!(HyperIo<UnixStream>: hyper::rt::Read + hyper::rt::Write)
        && implements!(HyperIo<hyper::upgrade::Upgraded>: futures::io::AsyncRead)
        && implements!(HyperIo<hyper::upgrade::Upgraded>: futures::io::AsyncWrite)
        && implements!(HyperIo<TcpStream>: std::fmt::Debug)
        && implements!(BobbinExecutor: hyper::rt::Executor<std::future::Ready<()>>)
        && implements!(BobbinExecutor: Clone + std::fmt::Debug + Default)
        && implements!(BobbinTimer: Timer + Clone + Copy + std::fmt::Debug + Default)
        && implements!(bobbin::time::Sleep: Sleep)
);

/// Answers with the request's body, and its path in `x-path`.
async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = request.uri().path().to_owned();
    let body = request.into_body().collect().await?.to_bytes();
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert("x-path", path.parse().expect("a path is a header value"));
    Ok(response)
}

/// The bodies the tests send: empty, short, and larger than a read (the
/// 64 KiB scratch), a socket buffer and HTTP/2's 64 KiB window.
fn bodies() -> Vec<Bytes> {
    vec![
        Bytes::new(),
        Bytes::from_static(b"hello"),
        Bytes::from(pattern(7, 300_000)),
    ]
}

/// Sends `body` to `/{index}` and checks the echo.
async fn round_trip<F>(send: F, index: usize, body: Bytes, version: Version)
where
    F: Future<Output = hyper::Result<Response<Incoming>>>,
{
    let response = send.await.expect("the request gets a response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), version);
    assert_eq!(response.headers()["x-path"], format!("/{index}").as_str());
    let echoed = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        echoed == body,
        "request {index}: sent {} bytes, got {} back, or different ones",
        body.len(),
        echoed.len()
    );
}

fn post(address: &str, index: usize, body: Bytes) -> Request<Full<Bytes>> {
    Request::post(format!("/{index}"))
        .header(HOST, address)
        .body(Full::new(body))
        .unwrap()
}

#[test]
fn http1_client_and_server_over_bobbin_tcp() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "hyper-http1");
        rt.block_on(async {
            // Both write paths: hyper flattening head and body into one
            // buffer, and hyper handing them to `writev`.
            for vectored in [false, true] {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let address = listener.local_addr().unwrap().to_string();
                let server = bobbin::spawn(async move {
                    let (stream, _) = listener.accept().await.unwrap();
                    // With a timer, hyper arms its header-read timeout (30 s
                    // by default) for each request, and re-arms it with
                    // `Timer::reset` on a kept-alive connection.
                    hyper::server::conn::http1::Builder::new()
                        .timer(BobbinTimer::new())
                        .serve_connection(
                            HyperIo::new(stream).with_vectored_writes(vectored),
                            service_fn(echo),
                        )
                        .await
                });
                let stream = TcpStream::connect(address.as_str()).await.unwrap();
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(HyperIo::new(stream))
                        .await
                        .unwrap();
                let client = bobbin::spawn(connection);
                // One connection, kept alive across the requests.
                for (index, body) in bodies().into_iter().enumerate() {
                    // A kept-alive connection takes the next request only
                    // once the last response is done with.
                    sender.ready().await.unwrap();
                    let request = post(&address, index, body.clone());
                    round_trip(sender.send_request(request), index, body, Version::HTTP_11).await;
                }
                // The client closes (poll_shutdown: the write side), and the
                // server sees the end of the stream and finishes cleanly.
                drop(sender);
                client
                    .await
                    .unwrap()
                    .expect("the client connection ends cleanly");
                server
                    .await
                    .unwrap()
                    .expect("the server connection ends cleanly");
            }
        });
    });
}

#[test]
fn http2_client_and_server_over_bobbin_tcp() {
    const STREAMS: usize = 12;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "hyper-http2");
        let handle = rt.handle();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap().to_string();
            let server = bobbin::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                // The server spawns one task per stream, through a stored
                // handle; the client's executor uses the current runtime.
                hyper::server::conn::http2::Builder::new(BobbinExecutor::with_handle(handle))
                    .timer(BobbinTimer::new())
                    .serve_connection(HyperIo::new(stream), service_fn(echo))
                    .await
            });
            let stream = TcpStream::connect(address.as_str()).await.unwrap();
            let (sender, connection) =
                hyper::client::conn::http2::Builder::new(BobbinExecutor::new())
                    .timer(BobbinTimer::new())
                    .handshake(HyperIo::new(stream))
                    .await
                    .unwrap();
            let client = bobbin::spawn(connection);
            // Concurrent requests, each from a task of its own, multiplexed
            // on the one connection.
            let mut requests = bobbin::task::JoinSet::new();
            for index in 0..STREAMS {
                let mut sender = sender.clone();
                let body = bodies()[index % 3].clone();
                let request = post(&address, index, body.clone());
                requests.spawn(async move {
                    sender.ready().await.unwrap();
                    round_trip(sender.send_request(request), index, body, Version::HTTP_2).await;
                });
            }
            let mut finished = 0;
            while let Some(result) = requests.join_next().await {
                result.expect("a request task panicked");
                finished += 1;
            }
            assert_eq!(finished, STREAMS);
            drop(sender);
            client
                .await
                .unwrap()
                .expect("the client connection ends cleanly");
            server
                .await
                .unwrap()
                .expect("the server connection ends cleanly");
        });
    });
}

#[test]
fn http1_over_a_unix_socket_pair() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "hyper-unix");
        rt.block_on(async {
            let (server_end, client_end) = UnixStream::pair().unwrap();
            let server = bobbin::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(HyperIo::new(server_end), service_fn(echo)),
            );
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(HyperIo::new(client_end))
                    .await
                    .unwrap();
            let client = bobbin::spawn(connection);
            for (index, body) in bodies().into_iter().enumerate() {
                sender.ready().await.unwrap();
                let request = post("localhost", index, body.clone());
                round_trip(sender.send_request(request), index, body, Version::HTTP_11).await;
            }
            drop(sender);
            client.await.unwrap().unwrap();
            server.await.unwrap().unwrap();
        });
    });
}

#[test]
fn header_read_timeout_closes_an_incomplete_request() {
    const TIMEOUT: Duration = Duration::from_millis(200);
    with_timeout(LIMIT, || {
        let rt = runtime(2, "hyper-timeout");
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let server = bobbin::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .timer(BobbinTimer::new())
                    .header_read_timeout(TIMEOUT)
                    .serve_connection(HyperIo::new(stream), service_fn(echo))
                    .await
            });
            // The server arms its timer once it has accepted, so after the
            // connect starts; not necessarily after this task sees the
            // connect finish (on a loaded machine the server's task can run
            // first, and the timer then fires under 200 ms after that).
            let start = Instant::now();
            let mut stream = TcpStream::connect(address).await.unwrap();
            // A request line and a header, but never the blank line that
            // ends the head.
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .await
                .unwrap();
            let mut received = Vec::new();
            let outcome = stream.read_to_end(&mut received).await;
            let elapsed = start.elapsed();
            match outcome {
                Ok(_) => {}
                Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
                Err(err) => panic!("expected the server to close the connection, got {err}"),
            }
            assert!(
                !received.starts_with(b"HTTP/1.1 200"),
                "an incomplete request was answered: {:?}",
                String::from_utf8_lossy(&received)
            );
            assert!(
                elapsed >= TIMEOUT,
                "the connection closed after {elapsed:?}, before the {TIMEOUT:?} timeout"
            );
            assert!(
                elapsed < Duration::from_secs(10),
                "the connection closed only after {elapsed:?}, for a {TIMEOUT:?} timeout"
            );
            let err = server
                .await
                .unwrap()
                .expect_err("the server connection ends with the timeout");
            assert!(
                err.is_timeout(),
                "expected hyper's timeout error, got {err}"
            );
        });
    });
}

#[test]
fn an_upgraded_connection_reads_and_writes_through_futures_io() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "hyper-upgrade");
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap().to_string();
            // The server answers 101, then shouts back what it reads on the
            // upgraded connection until the client closes its side.
            let server = bobbin::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let service = service_fn(|mut request: Request<Incoming>| async move {
                    let upgrade = hyper::upgrade::on(&mut request);
                    bobbin::spawn(async move {
                        let mut io = HyperIo::new(upgrade.await.expect("the upgrade completes"));
                        let mut heard = Vec::new();
                        io.read_to_end(&mut heard).await.unwrap();
                        io.write_all(&heard.to_ascii_uppercase()).await.unwrap();
                        io.close().await.unwrap();
                    });
                    Ok::<_, Infallible>(
                        Response::builder()
                            .status(StatusCode::SWITCHING_PROTOCOLS)
                            .header(CONNECTION, "upgrade")
                            .header(UPGRADE, "shout")
                            .body(Empty::<Bytes>::new())
                            .unwrap(),
                    )
                });
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(HyperIo::new(stream), service)
                    .with_upgrades()
                    .await
            });
            let stream = TcpStream::connect(address.as_str()).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(HyperIo::new(stream))
                    .await
                    .unwrap();
            let client = bobbin::spawn(connection.with_upgrades());
            let request = Request::get("/")
                .header(HOST, address.as_str())
                .header(CONNECTION, "upgrade")
                .header(UPGRADE, "shout")
                .body(Empty::<Bytes>::new())
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
            let upgraded = hyper::upgrade::on(response).await.unwrap();
            let mut io = HyperIo::new(upgraded);
            let sent = pattern(3, 100_000)
                .into_iter()
                .map(|byte| b'a' + byte % 26)
                .collect::<Vec<u8>>();
            // Vectored, to go through that path too.
            let (first, second) = sent.split_at(40_000);
            let mut slices = [std::io::IoSlice::new(first), std::io::IoSlice::new(second)];
            let mut slices = &mut slices[..];
            while !slices.is_empty() {
                let written = io.write_vectored(slices).await.unwrap();
                assert!(written > 0, "the upgraded connection accepted nothing");
                std::io::IoSlice::advance_slices(&mut slices, written);
            }
            io.close().await.unwrap();
            let mut heard = Vec::new();
            io.read_to_end(&mut heard).await.unwrap();
            assert!(
                heard == sent.to_ascii_uppercase(),
                "the upgraded connection echoed {} bytes of {}, or different ones",
                heard.len(),
                sent.len()
            );
            client.await.unwrap().unwrap();
            server.await.unwrap().unwrap();
        });
    });
}

#[test]
fn shutdown_after_the_peer_reset_the_connection_succeeds() {
    // Regression: an HTTP/2 server ended a clean exchange with
    // `hyper::Error(Io, NotConnected)` when the client's close crossed its
    // last frames and `poll_shutdown` passed the socket's error through.
    with_timeout(LIMIT, || {
        let rt = runtime(1, "hyper-reset");
        rt.block_on(async {
            let server = executor_tests::reset_connection().await;
            let mut io = HyperIo::new(server);
            assert_eq!(
                io.get_ref()
                    .shutdown(std::net::Shutdown::Write)
                    .unwrap_err()
                    .kind(),
                ErrorKind::NotConnected,
                "the socket itself reports the reset"
            );
            std::future::poll_fn(|cx| hyper::rt::Write::poll_shutdown(Pin::new(&mut io), cx))
                .await
                .expect("a shutdown after a reset succeeds");
        });
    });
}

/// A sleep that is not bobbin's, for `Timer::reset`'s fallback.
struct ForeignSleep;

impl Future for ForeignSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Sleep for ForeignSleep {}

#[test]
fn timer_reset_moves_a_bobbin_sleep_in_place_and_replaces_a_foreign_one() {
    with_timeout(LIMIT, || {
        let timer = BobbinTimer::new();
        let mut sleep = timer.sleep(Duration::from_secs(60));
        let before = std::ptr::addr_of!(*sleep).cast::<()>();
        let deadline = Instant::now() + Duration::from_millis(20);
        timer.reset(&mut sleep, deadline);
        assert_eq!(
            std::ptr::addr_of!(*sleep).cast::<()>(),
            before,
            "reset allocated a new sleep instead of moving the deadline"
        );
        let moved = sleep
            .as_mut()
            .downcast_mut_pin::<bobbin::time::Sleep>()
            .expect("still a bobbin sleep");
        assert_eq!(moved.deadline(), deadline);
        bobbin::block_on(sleep);
        assert!(Instant::now() >= deadline);

        let mut foreign: Pin<Box<dyn Sleep>> = Box::pin(ForeignSleep);
        let deadline = Instant::now() + Duration::from_millis(10);
        timer.reset(&mut foreign, deadline);
        let replaced = foreign
            .as_mut()
            .downcast_mut_pin::<bobbin::time::Sleep>()
            .expect("a foreign sleep is replaced by a bobbin sleep");
        assert_eq!(replaced.deadline(), deadline);
        bobbin::block_on(foreign);
        assert!(Instant::now() >= deadline);
    });
}
