//! Sockets without a runtime in hand: a library that opens and uses a
//! `TcpStream` knows nothing about runtimes, and works when its caller
//! runs it under plain `bobbin::block_on` (the global runtime), under
//! another executor altogether (`futures::executor::block_on`: the global
//! runtime's workers still drive the socket), or from several threads at
//! once. The servers here are plain std threads, so no runtime is involved
//! but the global one.

use executor_tests::{LIMIT, pattern, with_timeout};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::thread;

/// A library with async functions over bobbin's sockets and no runtime
/// parameter anywhere.
mod library {
    use bobbin::net::{TcpStream, UdpSocket};
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use std::io;
    use std::net::SocketAddr;

    /// Sends `request`, half-closes, and returns the whole response.
    pub async fn fetch(addr: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        stream.write_all(request).await?;
        stream.close().await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok(response)
    }

    /// Asks a UDP server the same.
    pub async fn ask(addr: SocketAddr, question: &[u8]) -> io::Result<Vec<u8>> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        socket.connect(addr).await?;
        socket.send(question).await?;
        let mut buf = vec![0u8; 2048];
        let n = socket.recv(&mut buf).await?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Wraps a std stream the caller connected (a synchronous call, made
    /// outside any runtime).
    pub fn adopt(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

/// A std server that answers each connection with its request reversed,
/// for `connections` connections.
fn reversing_server(connections: usize) -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        for _ in 0..connections {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            stream.read_to_end(&mut request).unwrap();
            request.reverse();
            stream.write_all(&request).unwrap();
        }
    });
    (addr, server)
}

fn reversed(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().rev().copied().collect()
}

#[test]
fn a_library_uses_a_tcp_stream_under_plain_block_on() {
    with_timeout(LIMIT, || {
        let (addr, server) = reversing_server(2);
        let small = bobbin::block_on(library::fetch(addr, b"hello")).unwrap();
        assert_eq!(small, b"olleh");
        // More than the socket buffers hold, so the global runtime's
        // reactor parks and wakes the thread.
        let request = pattern(5, 4 << 20);
        let large = bobbin::block_on(library::fetch(addr, &request)).unwrap();
        assert!(large == reversed(&request), "the response differs");
        server.join().unwrap();
    });
}

#[test]
fn a_library_uses_a_udp_socket_under_plain_block_on() {
    with_timeout(LIMIT, || {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let answering = thread::spawn(move || {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            buf[..n].reverse();
            server.send_to(&buf[..n], from).unwrap();
        });
        let answer = bobbin::block_on(library::ask(addr, b"question")).unwrap();
        assert_eq!(answer, b"noitseuq");
        answering.join().unwrap();
    });
}

/// Created outside any runtime and driven by another executor: the socket
/// registers with the global runtime, whose workers deliver its readiness.
#[test]
fn a_socket_made_outside_any_runtime_works_under_another_executor() {
    with_timeout(LIMIT, || {
        let (addr, server) = reversing_server(2);
        let stream = library::adopt(std::net::TcpStream::connect(addr).unwrap()).unwrap();
        let response = futures::executor::block_on(async move {
            use futures::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = stream;
            stream.write_all(b"adopted").await?;
            stream.close().await?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.map(|_| response)
        })
        .unwrap();
        assert_eq!(response, b"detpoda");
        let response = futures::executor::block_on(library::fetch(addr, b"futures")).unwrap();
        assert_eq!(response, b"serutuf");
        server.join().unwrap();
    });
}

#[test]
fn several_plain_threads_use_sockets_through_the_global_runtime_at_once() {
    const THREADS: usize = 8;
    const EACH: usize = 5;
    with_timeout(LIMIT, || {
        let (addr, server) = reversing_server(THREADS * EACH);
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                thread::spawn(move || {
                    for i in 0..EACH {
                        let request = pattern((t * EACH + i) as u32, 10_000 + t * 100 + i);
                        let response = bobbin::block_on(library::fetch(addr, &request)).unwrap();
                        assert!(
                            response == reversed(&request),
                            "thread {t}, request {i} differs"
                        );
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        server.join().unwrap();
    });
}
