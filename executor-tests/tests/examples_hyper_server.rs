//! `examples/hyper_server.rs` driven by clients on 127.0.0.1: one request
//! over HTTP/1.1 and one over HTTP/2 reach the request limit of two, and
//! the server stops and says what it served.

#[allow(dead_code)]
#[path = "../../examples/hyper_server.rs"]
mod hyper_server;

use bobbin::compat::hyper::{BobbinExecutor, HyperIo};
use bobbin::net::{TcpListener, TcpStream};
use executor_tests::{LIMIT, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;

#[test]
fn the_hyper_server_answers_both_protocols_and_stops_at_its_limit() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "example-hyper");
        rt.block_on(async {
            let http1 = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let http2 = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let (address1, address2) = (http1.local_addr().unwrap(), http2.local_addr().unwrap());
            let server = bobbin::spawn(hyper_server::serve_listeners(http1, http2, Some(2), None));

            // HTTP/1.1, by hand.
            let mut stream = TcpStream::connect(address1).await.unwrap();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
            assert!(answer.ends_with("hello\n"), "{answer}");

            // HTTP/2, with hyper's client.
            let stream = TcpStream::connect(address2).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http2::handshake(BobbinExecutor::new(), HyperIo::new(stream))
                    .await
                    .unwrap();
            let client = bobbin::spawn(connection);
            let request = hyper::Request::builder()
                .uri(format!("http://{address2}/"))
                .body(Empty::<Bytes>::new())
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.version(), hyper::Version::HTTP_2);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"hello\n");
            drop(sender);

            let report = server.await.unwrap();
            assert_eq!(
                report,
                "stopping: the request limit was reached; served 1 HTTP/1.1 and 1 HTTP/2 requests"
            );
            let _ = client.await;
        });
    });
}
