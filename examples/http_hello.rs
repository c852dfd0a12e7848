//! A minimal HTTP/1.1 server that answers every request with "hello",
//! keeping connections alive (and answering pipelined requests in order);
//! enough for `wrk`.
//!
//! Run with `cargo run --release --example http_hello [ADDRESS]` (default
//! `127.0.0.1:8080`), then `curl http://127.0.0.1:8080/` or
//! `wrk -t1 -c64 -d5s http://127.0.0.1:8080/`.

use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::stream::StreamExt;

pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    bobbin::block_on(async move {
        let listener = bobbin::net::TcpListener::bind(address.as_str()).await?;
        println!("http_hello listening on http://{}/", listener.local_addr()?);
        let mut incoming = listener.incoming();
        while let Some(stream) = incoming.next().await {
            match stream {
                Ok(stream) => {
                    bobbin::spawn(serve(stream));
                }
                Err(err) => eprintln!("accept failed: {err}"),
            }
        }
        Ok(())
    })
}

/// Answers each complete request (headers ending in a blank line) on one
/// connection until the client closes it.
pub async fn serve(mut stream: bobbin::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buffer = vec![0u8; 8192];
    let mut filled = 0;
    let mut responses = Vec::new();
    loop {
        if filled == buffer.len() {
            // A request larger than the buffer: not what this server is for.
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

/// The length of the first request in `bytes`, headers and blank line
/// included, if it is complete.
fn find_end_of_headers(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4)
}
