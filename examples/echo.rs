//! A TCP echo server: every byte a client sends comes back.
//!
//! Run with `cargo run --release --example echo [ADDRESS]` (default
//! `127.0.0.1:7000`), then try `nc 127.0.0.1 7000`.

use futures::stream::StreamExt;

fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".to_owned());
    bobbin::block_on(async move {
        let listener = bobbin::net::TcpListener::bind(address.as_str()).await?;
        println!("echo server listening on {}", listener.local_addr()?);
        serve(listener).await
    })
}

/// Accepts connections until the listener fails, each echoed by a task of
/// its own.
pub async fn serve(listener: bobbin::net::TcpListener) -> std::io::Result<()> {
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = match stream {
            Ok(stream) => stream,
            // Out of file descriptors and the like: `incoming` backs off
            // before its next accept, so logging and going on is safe.
            Err(err) => {
                eprintln!("accept failed: {err}");
                continue;
            }
        };
        // A connection that cannot take the option still gets its echo.
        let _ = stream.set_nodelay(true);
        bobbin::spawn(async move {
            let (mut reader, mut writer) = stream.into_split();
            if let Err(err) = futures::io::copy(&mut reader, &mut writer).await {
                eprintln!("connection failed: {err}");
            }
        });
    }
    Ok(())
}
