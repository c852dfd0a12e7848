//! The examples not covered elsewhere, run so they do not rot: the echo
//! and HTTP servers driven by clients on 127.0.0.1, and the debugging
//! example run whole (the tour runs whole in `.ci/run`; chat, fan_out,
//! crawler and hyper_server have tests of their own).

#[allow(dead_code)]
#[path = "../../examples/debugging.rs"]
mod debugging;
#[allow(dead_code)]
#[path = "../../examples/echo.rs"]
mod echo;
#[allow(dead_code)]
#[path = "../../examples/http_hello.rs"]
mod http_hello;

use executor_tests::{LIMIT, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn the_echo_server_echoes_every_client() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "example-echo");
        rt.block_on(async {
            let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = bobbin::spawn(echo::serve(listener));
            let clients: Vec<_> = (0..10u32)
                .map(|i| {
                    bobbin::spawn(async move {
                        let mut stream = bobbin::net::TcpStream::connect(addr).await.unwrap();
                        let message = executor_tests::pattern(i, 4096);
                        stream.write_all(&message).await.unwrap();
                        let mut echo = vec![0; message.len()];
                        stream.read_exact(&mut echo).await.unwrap();
                        assert_eq!(echo, message);
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
            server.abort();
        });
    });
}

#[test]
fn the_http_server_answers_pipelined_requests_in_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "example-http");
        rt.block_on(async {
            let listener = bobbin::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            bobbin::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                http_hello::serve(stream).await;
            });
            let mut stream = bobbin::net::TcpStream::connect(addr).await.unwrap();
            let request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
            stream
                .write_all(request.repeat(3).as_bytes())
                .await
                .unwrap();
            let one = http_hello::RESPONSE.len();
            let mut answers = vec![0; 3 * one];
            stream.read_exact(&mut answers).await.unwrap();
            for answer in answers.chunks(one) {
                assert_eq!(answer, http_hello::RESPONSE);
            }
        });
    });
}

/// The example's output is what `docs/debugging.md` walks through: the
/// metrics report the long poll, and the dump lists the leaked connection
/// as idle, the blocking worker and the blocking job as running, and the
/// unjoined result as completed (the panicked task was freed: its output
/// went to the unhandled-panic callback).
#[test]
fn the_debugging_example_shows_the_leak_the_stuck_poll_and_the_unjoined_result() {
    let (metrics, dump) = with_timeout(LIMIT, debugging::observe);
    assert!(metrics.starts_with("runtime: 2 workers"), "{metrics}");
    // At least `report-builder`'s poll (a panic's backtrace, printed in
    // the poll by the test harness's hook, can make `flaky-job`'s long too).
    assert!(metrics.contains("long polls: "), "{metrics}");
    assert!(!metrics.contains("long polls: 0"), "{metrics}");
    // The ticker may be scheduled or running at the instant of the dump.
    let head = dump.lines().next().unwrap();
    assert!(
        head.starts_with("bobbin task dump: 6 tasks (") && head.ends_with(" on 2 workers"),
        "{dump}"
    );
    for line in [
        "\"conn-1\" [idle, ",
        "\"accept-loop\" [idle, ",
        "\"ticker\" [",
        "\"report-builder\" [running on worker ",
        "\"disk-scan\" [blocking job running, for ",
        "\"price-lookup\" [completed, not joined, ",
    ] {
        assert!(dump.contains(line), "no {line:?} in\n{dump}");
    }
    assert!(!dump.contains("flaky-job"), "{dump}");
    // The leaked connection, idle longest, comes first.
    assert!(
        dump.lines().nth(2).unwrap().contains("\"conn-1\""),
        "{dump}"
    );
}
