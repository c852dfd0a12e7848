//! axum on bobbin: a `Router` (a path parameter, JSON in and out, shared
//! state, axum's 404 for anything else) served on bobbin's `TcpListener`
//! through `bobbin::compat::hyper`, with no tokio runtime.
//!
//! Run with `cargo run --example axum_hello --features hyper [-- ADDRESS]`
//! (default `127.0.0.1:3000`), then:
//!
//! ```text
//! curl http://127.0.0.1:3000/                      # hello from axum on bobbin
//! curl http://127.0.0.1:3000/hello/ada             # {"greeting":"hello, ada","visits":1}
//! curl -d '{"a":2,"b":3}' -H 'content-type: application/json' http://127.0.0.1:3000/add
//! curl -i http://127.0.0.1:3000/nowhere            # 404
//! ```
//!
//! What it shows: axum needs only a hyper connection per accepted socket.
//! axum's own `serve` is tokio-bound (it takes a `tokio::net::TcpListener`);
//! here each connection is hyper's `http1` server over `HyperIo`, with the
//! router as its service.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use bobbin::compat::hyper::{BobbinTimer, HyperIo};
use bobbin::net::TcpListener;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tower_service::Service;

/// What the handlers share: how often each name was greeted.
#[derive(Clone, Default)]
pub struct AppState {
    visits: Arc<bobbin::sync::Mutex<HashMap<String, u64>>>,
}

/// The reply of `/hello/{name}`.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Greeting {
    pub greeting: String,
    pub visits: u64,
}

/// The body of `/add`.
#[derive(Deserialize)]
struct Operands {
    a: i64,
    b: i64,
}

/// The reply of `/add`.
#[derive(Serialize)]
struct Sum {
    sum: i64,
}

/// The application: routes and their shared state.
pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "hello from axum on bobbin\n" }))
        .route("/hello/{name}", get(hello))
        .route("/add", post(add))
        .with_state(AppState::default())
}

async fn hello(State(state): State<AppState>, Path(name): Path<String>) -> Json<Greeting> {
    let visits = {
        let mut visits = state.visits.lock().await;
        let count = visits.entry(name.clone()).or_default();
        *count += 1;
        *count
    };
    Json(Greeting {
        greeting: format!("hello, {name}"),
        visits,
    })
}

async fn add(Json(operands): Json<Operands>) -> Json<Sum> {
    Json(Sum {
        sum: operands.a + operands.b,
    })
}

/// Serves `app` on `listener`, one task per connection, until the listener
/// fails (or, with `Some(n)`, after `n` connections have been accepted and
/// served).
pub async fn serve(listener: TcpListener, app: Router, connections: Option<usize>) {
    let mut accepted = 0;
    let mut tasks = bobbin::task::JoinSet::new();
    while connections.is_none_or(|limit| accepted < limit) {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                eprintln!("accept failed: {err}");
                break;
            }
        };
        accepted += 1;
        let app = app.clone();
        tasks.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let mut app = app.clone();
                async move { app.call(request).await }
            });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(BobbinTimer::new())
                .serve_connection(HyperIo::new(stream), service)
                .await;
            if let Err(err) = served {
                eprintln!("connection ended with an error: {err}");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

fn main() {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    bobbin::block_on(async {
        let listener = match TcpListener::bind(&address).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("cannot listen on {address}: {err}");
                std::process::exit(1);
            }
        };
        println!(
            "axum on bobbin: listening on http://{}",
            listener.local_addr().unwrap()
        );
        serve(listener, app(), None).await;
    });
}
