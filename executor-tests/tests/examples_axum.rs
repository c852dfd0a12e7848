//! `examples/axum_hello.rs` driven by hyper's client over bobbin TCP: an
//! axum router on bobbin answers its routes (text, a path parameter with
//! shared state, JSON in and out) and 404s the rest.

#[allow(dead_code)]
#[path = "../../examples/axum_hello.rs"]
mod axum_hello;

use bobbin::compat::hyper::HyperIo;
use bobbin::net::{TcpListener, TcpStream};
use executor_tests::{LIMIT, runtime, with_timeout};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};

/// Sends `request` on a fresh HTTP/1.1 connection; returns the status and body.
async fn send(address: std::net::SocketAddr, request: Request<Full<Bytes>>) -> (StatusCode, Bytes) {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
        .await
        .unwrap();
    let driver = bobbin::spawn(connection);
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    drop(sender);
    let _ = driver.await;
    (status, body)
}

fn get(address: std::net::SocketAddr, path: &str) -> Request<Full<Bytes>> {
    Request::get(format!("http://{address}{path}"))
        .body(Full::default())
        .unwrap()
}

#[test]
fn the_axum_router_answers_its_routes_on_bobbin() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "example-axum");
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let server = bobbin::spawn(axum_hello::serve(listener, axum_hello::app(), Some(5)));

            let (status, body) = send(address, get(address, "/")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(&body[..], b"hello from axum on bobbin\n");

            for visit in 1..=2 {
                let (status, body) = send(address, get(address, "/hello/ada")).await;
                assert_eq!(status, StatusCode::OK);
                let greeting: axum_hello::Greeting = serde_json::from_slice(&body).unwrap();
                assert_eq!(
                    greeting,
                    axum_hello::Greeting {
                        greeting: "hello, ada".into(),
                        visits: visit,
                    },
                    "the shared state counts the visits"
                );
            }

            let add = Request::builder()
                .method(Method::POST)
                .uri(format!("http://{address}/add"))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(br#"{"a":2,"b":40}"#)))
                .unwrap();
            let (status, body) = send(address, add).await;
            assert_eq!(status, StatusCode::OK);
            let sum: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(sum, serde_json::json!({ "sum": 42 }));

            let (status, _) = send(address, get(address, "/nowhere")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);

            server.await.unwrap();
        });
    });
}
