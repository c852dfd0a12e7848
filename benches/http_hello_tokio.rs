//! The tokio twin of `examples/http_hello.rs`, for `benches/http.sh`: the
//! same HTTP/1.1 keep-alive "hello" server, line for line, on tokio's
//! multi-thread runtime with `BENCH_WORKERS` workers (default 2).
//!
//! Run with `cargo run --release -p bobbin-benches --example http_hello_tokio [ADDRESS]`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    let workers = std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_io()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address.as_str()).await?;
        println!(
            "http_hello_tokio listening on http://{}/",
            listener.local_addr()?
        );
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream));
                }
                Err(err) => eprintln!("accept failed: {err}"),
            }
        }
    })
}

async fn serve(mut stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buffer = vec![0u8; 8192];
    let mut filled = 0;
    let mut responses = Vec::new();
    loop {
        if filled == buffer.len() {
            return;
        }
        let read = match stream.read(&mut buffer[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        filled += read;
        let mut start = 0;
        while let Some(end) = find_end_of_headers(&buffer[start..filled]) {
            responses.extend_from_slice(RESPONSE);
            start += end;
        }
        buffer.copy_within(start..filled, 0);
        filled -= start;
        if !responses.is_empty() {
            if stream.write_all(&responses).await.is_err() {
                return;
            }
            responses.clear();
        }
    }
}

fn find_end_of_headers(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4)
}
