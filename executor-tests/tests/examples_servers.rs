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

#[test]
fn the_debugging_example_runs_to_its_end() {
    with_timeout(LIMIT, debugging::main);
}
