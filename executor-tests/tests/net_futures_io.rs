//! futures-io compatibility: the socket types work unchanged with the
//! `futures::io` toolbox: `copy` (here a two-way proxy), `read_to_end`,
//! `read_exact`, `write_all`, `close`, vectored writes, `BufReader` with
//! `lines()`, `BufWriter`, `AsyncReadExt::split`, `take` and `chain`, on
//! `TcpStream`, `&TcpStream`, the owned halves, and `UnixStream`.

use bobbin::net::{TcpListener, TcpStream, UnixStream};
use executor_tests::{LIMIT, pattern, runtime, with_timeout};
use futures::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter,
};
use futures::stream::TryStreamExt;
use std::io::{self, IoSlice};
use std::net::SocketAddr;

/// Holds only at compile time: the types are futures-io readers and writers.
#[allow(dead_code)]
fn the_types_implement_the_futures_io_traits() {
    fn both<T: AsyncRead + AsyncWrite + Unpin>() {}
    fn read<T: AsyncRead + Unpin>() {}
    fn write<T: AsyncWrite + Unpin>() {}
    both::<TcpStream>();
    both::<&TcpStream>();
    both::<UnixStream>();
    both::<&UnixStream>();
    read::<bobbin::net::tcp::OwnedReadHalf>();
    write::<bobbin::net::tcp::OwnedWriteHalf>();
    read::<bobbin::net::unix::OwnedReadHalf>();
    write::<bobbin::net::unix::OwnedWriteHalf>();
}

async fn connected_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    Ok((client, server))
}

/// An echo server on a task; returns its address.
async fn echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(bobbin::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await?;
            drop(bobbin::spawn(async move {
                let (mut reader, mut writer) = stream.into_split();
                futures::io::copy(&mut reader, &mut writer).await?;
                writer.close().await
            }));
        }
        #[allow(unreachable_code)]
        io::Result::Ok(())
    }));
    Ok(addr)
}

/// A proxy made of two `futures::io::copy`s, one per direction, each
/// closing its output when its input ends; a client talks to the echo
/// server through it and gets every byte back.
#[test]
fn copy_makes_a_two_way_proxy() {
    const LEN: usize = 2 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-fio-proxy");
        rt.block_on(async {
            let upstream = echo_server().await.unwrap();
            let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let proxy_addr = proxy.local_addr().unwrap();
            let proxying = bobbin::spawn(async move {
                let (inbound, _) = proxy.accept().await?;
                let outbound = TcpStream::connect(upstream).await?;
                let (mut in_reader, mut in_writer) = inbound.into_split();
                let (mut out_reader, mut out_writer) = outbound.into_split();
                let to_upstream = bobbin::spawn(async move {
                    let copied = futures::io::copy(&mut in_reader, &mut out_writer).await?;
                    out_writer.close().await?;
                    io::Result::Ok(copied)
                });
                let back = futures::io::copy(&mut out_reader, &mut in_writer).await?;
                in_writer.close().await?;
                io::Result::Ok((to_upstream.await.unwrap()?, back))
            });
            let (mut reader, mut writer) =
                TcpStream::connect(proxy_addr).await.unwrap().into_split();
            let sent = pattern(21, LEN);
            let writing = {
                let sent = sent.clone();
                bobbin::spawn(async move {
                    writer.write_all(&sent).await?;
                    writer.close().await
                })
            };
            let mut echoed = Vec::new();
            reader.read_to_end(&mut echoed).await.unwrap();
            writing.await.unwrap().unwrap();
            assert!(echoed == sent, "the echo through the proxy differs");
            assert_eq!(proxying.await.unwrap().unwrap(), (LEN as u64, LEN as u64));
        });
    });
}

/// `read_to_end`, `read_exact`, `write_all` and `close` on each kind of
/// stream value: owned, borrowed, halves, Unix.
#[test]
fn read_to_end_write_all_and_close_on_every_stream_type() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-fio-basics");
        rt.block_on(async {
            // TcpStream.
            let (mut client, mut server) = connected_pair().await.unwrap();
            client.write_all(b"owned").await.unwrap();
            client.close().await.unwrap();
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"owned");

            // &TcpStream, both ways on one value.
            let (client, server) = connected_pair().await.unwrap();
            (&client).write_all(b"by reference").await.unwrap();
            let mut got = [0u8; 12];
            (&server).read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"by reference");
            (&server).close().await.unwrap();
            let mut got = Vec::new();
            (&client).read_to_end(&mut got).await.unwrap();
            assert!(got.is_empty());

            // Owned halves: `close` on the write half is the half-close.
            let (client, server) = connected_pair().await.unwrap();
            let (mut reader, mut writer) = client.into_split();
            let (mut server_reader, mut server_writer) = server.into_split();
            writer.write_all(b"half").await.unwrap();
            writer.close().await.unwrap();
            let mut got = Vec::new();
            server_reader.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"half");
            server_writer.write_all(b"still open").await.unwrap();
            drop(server_writer);
            let mut got = Vec::new();
            reader.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"still open");

            // UnixStream and its halves.
            let (a, b) = UnixStream::pair().unwrap();
            let (mut a_reader, mut a_writer) = a.into_split();
            let mut b = b;
            a_writer.write_all(b"unix").await.unwrap();
            a_writer.close().await.unwrap();
            let mut got = Vec::new();
            b.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"unix");
            b.write_all(b"back").await.unwrap();
            b.close().await.unwrap();
            let mut got = Vec::new();
            a_reader.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"back");
        });
    });
}

/// A line protocol over `BufReader::lines` and `BufWriter` (whose `close`
/// flushes, then half-closes the stream under it), both ways.
#[test]
fn buffered_readers_and_writers_speak_a_line_protocol() {
    const LINES: usize = 2_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-fio-lines");
        rt.block_on(async {
            let (client, server) = connected_pair().await.unwrap();
            let server = bobbin::spawn(async move {
                let (reader, writer) = server.into_split();
                let mut lines = BufReader::new(reader).lines();
                let mut writer = BufWriter::new(writer);
                let mut count = 0;
                while let Some(line) = lines.try_next().await? {
                    writer.write_all(line.to_uppercase().as_bytes()).await?;
                    writer.write_all(b"\n").await?;
                    count += 1;
                }
                writer.close().await?;
                io::Result::Ok(count)
            });
            let (reader, writer) = client.into_split();
            let writing = bobbin::spawn(async move {
                let mut writer = BufWriter::with_capacity(8 << 10, writer);
                for i in 0..LINES {
                    writer
                        .write_all(format!("line number {i}\n").as_bytes())
                        .await?;
                }
                writer.close().await
            });
            let replies: Vec<String> = BufReader::new(reader).lines().try_collect().await.unwrap();
            writing.await.unwrap().unwrap();
            assert_eq!(server.await.unwrap().unwrap(), LINES);
            assert_eq!(replies.len(), LINES);
            for (i, reply) in replies.iter().enumerate() {
                assert_eq!(reply, &format!("LINE NUMBER {i}"));
            }
        });
    });
}

/// Vectored writes of many slices, looping over partial writes, arrive in
/// order; `take` and `chain` compose reads.
#[test]
fn vectored_writes_take_and_chain() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-fio-vectored");
        rt.block_on(async {
            let (client, server) = connected_pair().await.unwrap();
            let parts: Vec<Vec<u8>> = (0..64u32)
                .map(|i| pattern(i, 1 + i as usize * 1_000))
                .collect();
            let expected: Vec<u8> = parts.concat();
            let writing = bobbin::spawn(async move {
                let mut client = client;
                let (mut part, mut offset) = (0, 0);
                while part < parts.len() {
                    let mut slices = vec![IoSlice::new(&parts[part][offset..])];
                    slices.extend(parts[part + 1..].iter().map(|p| IoSlice::new(p)));
                    let mut written = client.write_vectored(&slices).await?;
                    assert!(written > 0);
                    // Advance over what was written.
                    while written > 0 {
                        let left = parts[part].len() - offset;
                        if written >= left {
                            written -= left;
                            part += 1;
                            offset = 0;
                        } else {
                            offset += written;
                            written = 0;
                        }
                    }
                }
                client.close().await
            });
            let (first, rest) = expected.split_at(1_000);
            let mut server = server;
            let mut head = Vec::new();
            (&mut server)
                .take(1_000)
                .read_to_end(&mut head)
                .await
                .unwrap();
            assert_eq!(head, first);
            // What remains, followed by a second source.
            let mut tail = Vec::new();
            (&mut server)
                .chain(&b"<end>"[..])
                .read_to_end(&mut tail)
                .await
                .unwrap();
            assert_eq!(&tail[..rest.len()], rest);
            assert_eq!(&tail[rest.len()..], b"<end>");
            writing.await.unwrap().unwrap();
        });
    });
}

/// `AsyncReadExt::split` (futures' own lock-based split) works on the
/// stream as on any `AsyncRead + AsyncWrite`, with the halves on two tasks.
#[test]
fn futures_split_puts_the_halves_on_two_tasks() {
    const LEN: usize = 1 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-fio-split");
        rt.block_on(async {
            let addr = echo_server().await.unwrap();
            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut reader, mut writer) = stream.split();
            let writing = bobbin::spawn(async move {
                writer.write_all(&pattern(31, LEN)).await?;
                writer.close().await
            });
            let reading = bobbin::spawn(async move {
                let mut echoed = Vec::new();
                reader.read_to_end(&mut echoed).await.map(|_| echoed)
            });
            writing.await.unwrap().unwrap();
            assert!(reading.await.unwrap().unwrap() == pattern(31, LEN));
        });
    });
}
