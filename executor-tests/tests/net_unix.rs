//! Unix-domain sockets through the public API: stream pairs and
//! listener/connect echo (several clients through `incoming()`), both
//! directions at once with more than the buffers hold; half-close and the
//! owned halves; datagram pairs, bound and unbound datagram sockets, and a
//! datagram socket shared by receiving tasks; conversions from and into
//! std's types. Socket files live in a directory of the test's own, removed
//! at the end.

#![cfg(unix)]

use bobbin::net::{UnixDatagram, UnixListener, UnixStream};
use executor_tests::{LIMIT, pattern, runtime, socket_dir, with_timeout};
use futures::channel::oneshot;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::poll;
use futures::stream::StreamExt;
use std::collections::BTreeSet;
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::pin::pin;
use std::sync::Arc;

#[test]
fn a_stream_pair_carries_a_megabyte_each_way_at_once() {
    const LEN: usize = 1 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-unix-pair");
        rt.block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            assert!(a.peer_addr().unwrap().is_unnamed());
            // Each side writes through one `&UnixStream` while reading
            // through another, on the same task: the writes block on full
            // buffers until the other side reads.
            let side = |stream: UnixStream, send_seed: u32, receive_seed: u32| async move {
                let (mut reader, mut writer) = (&stream, &stream);
                let (written, received) = futures::join!(
                    async {
                        writer.write_all(&pattern(send_seed, LEN)).await?;
                        writer.close().await
                    },
                    async {
                        let mut received = Vec::new();
                        reader.read_to_end(&mut received).await.map(|_| received)
                    }
                );
                written?;
                io::Result::Ok(received? == pattern(receive_seed, LEN))
            };
            let other = bobbin::spawn(side(b, 2, 1));
            assert!(
                side(a, 1, 2).await.unwrap(),
                "a received other bytes than b sent"
            );
            assert!(
                other.await.unwrap().unwrap(),
                "b received other bytes than a sent"
            );
        });
    });
}

#[test]
fn a_listener_echoes_for_several_clients_through_incoming() {
    const CLIENTS: u32 = 16;
    with_timeout(LIMIT, || {
        let dir = socket_dir("unix-echo");
        let path = dir.join("echo.sock");
        let rt = runtime(2, "net-unix-echo");
        rt.block_on(async {
            let listener = UnixListener::bind(&path).unwrap();
            assert_eq!(
                listener.local_addr().unwrap().as_pathname(),
                Some(path.as_path())
            );
            let server = bobbin::spawn(async move {
                let mut incoming = listener.incoming();
                let mut echoes = Vec::new();
                for _ in 0..CLIENTS {
                    let stream = incoming.next().await.unwrap()?;
                    echoes.push(bobbin::spawn(async move {
                        let (mut reader, mut writer) = stream.into_split();
                        futures::io::copy(&mut reader, &mut writer).await?;
                        writer.close().await
                    }));
                }
                for echo in echoes {
                    echo.await.unwrap()?;
                }
                io::Result::Ok(())
            });
            let clients: Vec<_> = (0..CLIENTS)
                .map(|seed| {
                    let path = path.clone();
                    bobbin::spawn(async move {
                        let stream = UnixStream::connect(&path).await?;
                        assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
                        let sent = pattern(seed, 200_000 + seed as usize * 1_001);
                        let (mut reader, mut writer) = stream.into_split();
                        let writing = {
                            let sent = sent.clone();
                            bobbin::spawn(async move {
                                writer.write_all(&sent).await?;
                                writer.close().await
                            })
                        };
                        let mut echoed = Vec::new();
                        reader.read_to_end(&mut echoed).await?;
                        writing.await.unwrap()?;
                        io::Result::Ok(echoed == sent)
                    })
                })
                .collect();
            for (seed, client) in clients.into_iter().enumerate() {
                assert!(
                    client.await.unwrap().unwrap(),
                    "client {seed}'s echo differs"
                );
            }
            server.await.unwrap().unwrap();
        });
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn half_close_and_owned_halves_on_a_unix_stream() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-unix-half");
        rt.block_on(async {
            let (mut client, mut server) = UnixStream::pair().unwrap();
            client.write_all(b"request").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            let mut request = Vec::new();
            server.read_to_end(&mut request).await.unwrap();
            assert_eq!(request, b"request");
            assert_eq!(
                server.read(&mut [0u8; 4]).await.unwrap(),
                0,
                "end of stream stays"
            );
            let err = client.write_all(b"late").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
            // The other direction is still open.
            server.write_all(b"response").await.unwrap();
            drop(server);
            let mut response = Vec::new();
            client.read_to_end(&mut response).await.unwrap();
            assert_eq!(response, b"response");
        });
        rt.block_on(async {
            // Owned halves on two tasks: the read half waits while the write
            // half answers and is dropped (a half-close: the client reads
            // to the end, and can still write).
            let (mut client, server) = UnixStream::pair().unwrap();
            let (mut reader, mut writer) = server.into_split();
            let (waiting_tx, waiting_rx) = oneshot::channel();
            let reading = bobbin::spawn(async move {
                let mut received = Vec::new();
                {
                    let mut read = pin!(reader.read_to_end(&mut received));
                    assert!(poll!(&mut read).is_pending());
                    waiting_tx.send(()).unwrap();
                    read.await?;
                }
                io::Result::Ok((received, reader))
            });
            waiting_rx.await.unwrap();
            let writing = bobbin::spawn(async move {
                writer.write_all(b"response").await?;
                drop(writer);
                io::Result::Ok(())
            });
            writing.await.unwrap().unwrap();
            let mut response = Vec::new();
            client.read_to_end(&mut response).await.unwrap();
            assert_eq!(response, b"response");
            client.write_all(b"after the half-close").await.unwrap();
            client.close().await.unwrap();
            let (received, reader) = reading.await.unwrap().unwrap();
            assert_eq!(received, b"after the half-close");
            drop(reader);
        });
    });
}

#[test]
fn a_datagram_pair_keeps_message_boundaries_in_both_directions() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-unix-dgram-pair");
        rt.block_on(async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let mut buf = vec![0u8; 70_000];
            for (seed, len) in [0usize, 1, 100, 65_000].into_iter().enumerate() {
                let message = pattern(seed as u32, len);
                assert_eq!(a.send(&message).await.unwrap(), len);
                let n = b.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], &message[..], "a {len}-byte datagram differs");
                b.send(&message[..len / 2]).await.unwrap();
                let n = a.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], &message[..len / 2]);
            }
        });
    });
}

#[test]
fn bound_and_unbound_datagram_sockets_send_to_and_recv_from_paths() {
    with_timeout(LIMIT, || {
        let dir = socket_dir("unix-dgram");
        let (server_path, client_path) = (dir.join("server.sock"), dir.join("client.sock"));
        let rt = runtime(2, "net-unix-dgram");
        rt.block_on(async {
            let server = UnixDatagram::bind(&server_path).unwrap();
            let client = UnixDatagram::bind(&client_path).unwrap();
            client.send_to(b"ping", &server_path).await.unwrap();
            let mut buf = [0u8; 16];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            assert_eq!(from.as_pathname(), Some(client_path.as_path()));
            server
                .send_to(b"pong", from.as_pathname().unwrap())
                .await
                .unwrap();
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(
                (&buf[..n], from.as_pathname()),
                (&b"pong"[..], Some(server_path.as_path()))
            );

            // Connected: send and recv talk to the one peer.
            client.connect(&server_path).unwrap();
            assert_eq!(
                client.peer_addr().unwrap().as_pathname(),
                Some(server_path.as_path())
            );
            client.send(b"connected").await.unwrap();
            let (n, _) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"connected");

            // An unbound sender has no name to answer to.
            let unbound = UnixDatagram::unbound().unwrap();
            unbound.send_to(b"anonymous", &server_path).await.unwrap();
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"anonymous");
            assert!(from.is_unnamed());
        });
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn several_tasks_receive_on_one_shared_datagram_socket() {
    const RECEIVERS: u8 = 16;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-unix-dgram-shared");
        rt.block_on(async {
            let (sender, receiver) = UnixDatagram::pair().unwrap();
            let receiver = Arc::new(receiver);
            let mut waiting = Vec::new();
            let tasks: Vec<_> = (0..RECEIVERS)
                .map(|_| {
                    let receiver = receiver.clone();
                    let (tx, rx) = oneshot::channel();
                    waiting.push(rx);
                    bobbin::spawn(async move {
                        let mut buf = [0u8; 4];
                        let n = {
                            let mut recv = pin!(receiver.recv(&mut buf));
                            assert!(poll!(&mut recv).is_pending());
                            tx.send(()).unwrap();
                            recv.await?
                        };
                        assert_eq!(n, 1);
                        io::Result::Ok(buf[0])
                    })
                })
                .collect();
            for rx in waiting {
                rx.await.unwrap();
            }
            for i in 0..RECEIVERS {
                sender.send(&[i]).await.unwrap();
            }
            let mut got = BTreeSet::new();
            for task in tasks {
                got.insert(task.await.unwrap().unwrap());
            }
            assert_eq!(got, (0..RECEIVERS).collect::<BTreeSet<_>>());
        });
    });
}

/// A datagram socket whose connected peer is gone: the send fails, and a
/// later `recv` waits for a datagram instead of returning at once or
/// spinning (compare UDP's refused send in `net_udp.rs`).
#[test]
fn a_datagram_socket_whose_peer_is_gone_fails_to_send_and_recv_still_waits() {
    with_timeout(LIMIT, || {
        let dir = socket_dir("unix-dgram-gone");
        let (gone_path, own_path) = (dir.join("gone.sock"), dir.join("own.sock"));
        let rt = runtime(1, "net-unix-dgram-gone");
        rt.block_on(async {
            let socket = UnixDatagram::bind(&own_path).unwrap();
            let gone = UnixDatagram::bind(&gone_path).unwrap();
            socket.connect(&gone_path).unwrap();
            drop(gone);
            let err = socket.send(b"anyone?").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            let mut buf = [0u8; 8];
            {
                let mut recv = pin!(socket.recv(&mut buf));
                assert!(poll!(&mut recv).is_pending());
            }
            let other = std::os::unix::net::UnixDatagram::unbound().unwrap();
            other.send_to(b"late", &own_path).unwrap();
            let n = socket.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"late");
        });
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn unix_sockets_convert_from_and_into_std() {
    with_timeout(LIMIT, || {
        let dir = socket_dir("unix-std");
        let path = dir.join("listener.sock");
        let rt = runtime(1, "net-unix-std");
        let _enter = rt.enter();

        // A stream goes out to std (blocking) and back.
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut a = UnixStream::try_from(a).unwrap();
        let mut b = b;
        rt.block_on(a.write_all(b"to std")).unwrap();
        let mut buf = [0u8; 6];
        b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"to std");
        let mut a_std: std::os::unix::net::UnixStream = a.try_into().unwrap();
        a_std.set_nonblocking(false).unwrap();
        b.write_all(b"blocking").unwrap();
        let mut buf = [0u8; 8];
        a_std.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"blocking");
        let mut a = UnixStream::from_std(a_std).unwrap();
        b.write_all(b"back").unwrap();
        let mut buf = [0u8; 4];
        rt.block_on(a.read_exact(&mut buf)).unwrap();
        assert_eq!(&buf, b"back");

        // A listener, with a connection already waiting in its backlog.
        let listener = UnixListener::bind(&path).unwrap();
        let std_listener: std::os::unix::net::UnixListener = listener.try_into().unwrap();
        let _waiting = std::os::unix::net::UnixStream::connect(&path).unwrap();
        let listener = UnixListener::try_from(std_listener).unwrap();
        let (accepted, _) = rt.block_on(listener.accept()).unwrap();
        assert_eq!(
            accepted.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );

        // A datagram socket.
        let (x, y) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let x = UnixDatagram::try_from(x).unwrap();
        y.send(b"dgram").unwrap();
        let mut buf = [0u8; 8];
        let n = rt.block_on(x.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"dgram");
        let x: std::os::unix::net::UnixDatagram = x.try_into().unwrap();
        x.set_nonblocking(false).unwrap();
        x.send(b"std").unwrap();
        let n = y.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"std");
        drop(_enter);
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
