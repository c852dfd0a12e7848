//! TCP through the public API: echo round trips of several sizes (up to
//! writes far larger than the socket buffers, so `WouldBlock` and the
//! re-arming of readiness are exercised); half-close; peer reset while a
//! task reads or writes; dropping a stream while a task waits on it;
//! readiness after `WouldBlock`; one socket read on one task and written on
//! another (owned halves, and `&TcpStream` through an `Arc`); conversions
//! from and into std's types.
//!
//! "Dropping a stream while another task waits on it": the borrow checker
//! rules out closing a socket under a task that holds a reference to it, so
//! what can happen is (a) the waiting task owns the stream and is aborted,
//! (b) the waiting future is dropped and then the stream, (c) another owner
//! of a shared stream drops its `Arc`, or (d) the write half is dropped
//! while the read half waits. The tests pin each: (a) and (b) close the
//! socket (the peer reads end of stream) with nothing left behind; (c)
//! closes nothing, and the waiter still gets its data; (d) shuts down the
//! write side only, and the reader still gets the reply.

use bobbin::Runtime;
use bobbin::net::{TcpListener, TcpStream};
use executor_tests::{DropCounter, LIMIT, pattern, pattern_byte, runtime, with_timeout};
use futures::channel::oneshot;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::poll;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

/// A client stream and the server's end of the same connection, registered
/// with the current runtime.
async fn connected_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, peer) = listener.accept().await?;
    assert_eq!(peer, client.local_addr()?);
    Ok((client, server))
}

/// Starts an echo server on `rt`: each connection is echoed, on a task of
/// its own, until the client shuts down its write side; then the server
/// shuts down its own.
fn spawn_echo_server(rt: &Runtime) -> SocketAddr {
    let listener = rt
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    drop(rt.spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            drop(bobbin::spawn(async move {
                let (mut reader, mut writer) = stream.into_split();
                futures::io::copy(&mut reader, &mut writer).await?;
                writer.close().await
            }));
        }
    }));
    addr
}

/// Sends `data` through the echo server at `addr`, writing on one task and
/// reading on this one (a large echo would deadlock otherwise), and returns
/// what came back.
async fn echo(addr: SocketAddr, data: Arc<Vec<u8>>) -> io::Result<Vec<u8>> {
    let (mut reader, mut writer) = TcpStream::connect(addr).await?.into_split();
    let writing = bobbin::spawn(async move {
        writer.write_all(&data).await?;
        writer.close().await
    });
    let mut echoed = Vec::new();
    reader.read_to_end(&mut echoed).await?;
    writing.await.unwrap()?;
    Ok(echoed)
}

#[test]
fn echo_round_trips_of_several_sizes() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-echo");
        let addr = spawn_echo_server(&rt);
        rt.block_on(async {
            // Empty, one byte, around a segment, and several times the
            // default socket buffers.
            for (seed, len) in [0, 1, 1_000, 65_537, 1 << 20, 3 << 20]
                .into_iter()
                .enumerate()
            {
                let sent = Arc::new(pattern(seed as u32, len));
                let echoed = echo(addr, sent.clone()).await.unwrap();
                assert_eq!(
                    echoed.len(),
                    len,
                    "the echo of {len} bytes has the wrong length"
                );
                assert!(
                    *echoed == *sent,
                    "the echo of {len} bytes differs from what was sent"
                );
            }
        });
    });
}

#[test]
fn several_echoes_at_once_each_get_their_own_bytes_back() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-echoes");
        let addr = spawn_echo_server(&rt);
        let clients: Vec<_> = (0..16u32)
            .map(|seed| {
                let sent = Arc::new(pattern(seed, 100_000 + seed as usize * 3_001));
                rt.spawn(async move {
                    let echoed = echo(addr, sent.clone()).await?;
                    io::Result::Ok(*echoed == *sent)
                })
            })
            .collect();
        for (seed, client) in clients.into_iter().enumerate() {
            assert!(
                rt.block_on(client).unwrap().unwrap(),
                "client {seed} got someone else's bytes, or lost some"
            );
        }
    });
}

/// The writer fills the socket buffers while the reader has not started
/// (so `try_write` must report `WouldBlock`), waits for `writable`, and goes
/// on as the reader drains 4 KiB at a time; every byte arrives, in order.
#[test]
fn a_write_far_larger_than_the_buffers_waits_for_a_slow_reader() {
    const TOTAL: usize = 8 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-slow");
        rt.block_on(async {
            let (client, mut server) = connected_pair().await.unwrap();
            let data = pattern(7, TOTAL);
            let (blocked_tx, blocked_rx) = oneshot::channel();
            let writer = bobbin::spawn(async move {
                let (mut sent, mut would_block) = (0, 0);
                let mut blocked_tx = Some(blocked_tx);
                while sent < TOTAL {
                    let end = (sent + (256 << 10)).min(TOTAL);
                    match client.try_write(&data[sent..end]) {
                        Ok(n) => sent += n,
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {
                            would_block += 1;
                            if let Some(tx) = blocked_tx.take() {
                                tx.send(sent).unwrap();
                            }
                            client.writable().await?;
                        }
                        Err(err) => return Err(err),
                    }
                }
                client.shutdown(Shutdown::Write)?;
                io::Result::Ok(would_block)
            });
            let buffered = blocked_rx.await.expect("the writer never blocked");
            assert!(
                buffered > 0 && buffered < TOTAL,
                "blocked after {buffered} bytes"
            );
            let mut received = 0;
            let mut buf = vec![0u8; 4096];
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                for (i, &byte) in buf[..n].iter().enumerate() {
                    assert_eq!(
                        byte,
                        pattern_byte(7, received + i),
                        "byte {} differs",
                        received + i
                    );
                }
                received += n;
                bobbin::task::yield_now().await;
            }
            assert_eq!(received, TOTAL);
            let would_block = writer.await.unwrap().unwrap();
            assert!(would_block >= 1);
        });
    });
}

/// The same through `write_all` (the `AsyncWrite` path), in the other
/// direction, with a reader that yields after every 4 KiB.
#[test]
fn write_all_of_8_mb_to_a_slow_reader_arrives_whole_and_in_order() {
    const TOTAL: usize = 8 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-write-all");
        rt.block_on(async {
            let (mut client, mut server) = connected_pair().await.unwrap();
            let writer = bobbin::spawn(async move {
                server.write_all(&pattern(9, TOTAL)).await?;
                server.close().await
            });
            let mut received = 0;
            let mut buf = vec![0u8; 4096];
            loop {
                let n = client.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                for (i, &byte) in buf[..n].iter().enumerate() {
                    assert_eq!(
                        byte,
                        pattern_byte(9, received + i),
                        "byte {} differs",
                        received + i
                    );
                }
                received += n;
                bobbin::task::yield_now().await;
            }
            assert_eq!(received, TOTAL);
            writer.await.unwrap().unwrap();
        });
    });
}

#[test]
fn half_close_the_peer_reads_to_eof_and_can_still_write_back() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-half");
        rt.block_on(async {
            let (mut client, mut server) = connected_pair().await.unwrap();
            client.write_all(b"the whole request").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();

            let mut request = Vec::new();
            server.read_to_end(&mut request).await.unwrap();
            assert_eq!(request, b"the whole request");
            assert_eq!(
                server.read(&mut [0u8; 8]).await.unwrap(),
                0,
                "end of stream stays"
            );

            // The other direction is open, and flow control still works on
            // it: a response larger than the buffers.
            let response = pattern(3, 2 << 20);
            let writing = {
                let response = response.clone();
                bobbin::spawn(async move {
                    server.write_all(&response).await?;
                    server.close().await
                })
            };
            // Writing on the side that was shut down fails.
            let err = client.write_all(b"late").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
            let mut received = Vec::new();
            client.read_to_end(&mut received).await.unwrap();
            assert!(received == response, "the response differs");
            writing.await.unwrap().unwrap();
        });
    });
}

#[test]
fn dropping_the_write_half_is_a_half_close_while_the_read_half_waits() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-half-split");
        rt.block_on(async {
            let (client, mut server) = connected_pair().await.unwrap();
            let (mut reader, writer) = client.into_split();
            let (waiting_tx, waiting_rx) = oneshot::channel();
            let reading = bobbin::spawn(async move {
                let mut buf = Vec::new();
                let mut read = pin!(reader.read_to_end(&mut buf));
                assert!(poll!(&mut read).is_pending(), "nothing was sent yet");
                waiting_tx.send(()).unwrap();
                read.await.map(|_| buf)
            });
            waiting_rx.await.unwrap();
            drop(writer); // shuts down the write side, not the socket
            let mut request = Vec::new();
            server.read_to_end(&mut request).await.unwrap();
            assert!(request.is_empty());
            server.write_all(b"reply after EOF").await.unwrap();
            drop(server);
            assert_eq!(reading.await.unwrap().unwrap(), b"reply after EOF");
        });
    });
}

/// Closing a socket with unread data makes Linux send a reset instead of
/// a FIN; a task waiting to read gets `ConnectionReset`, and a write after
/// it fails too.
#[test]
fn peer_reset_fails_a_waiting_read_and_later_writes() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-reset-read");
        rt.block_on(async {
            let (client, server) = connected_pair().await.unwrap();
            let client = Arc::new(client);
            (&*client).write_all(b"never read").await.unwrap();
            // The bytes are in the server's receive buffer.
            server.readable().await.unwrap();

            let (waiting_tx, waiting_rx) = oneshot::channel();
            let reading = {
                let client = client.clone();
                bobbin::spawn(async move {
                    let mut buf = [0u8; 16];
                    let mut stream = &*client;
                    let mut read = pin!(stream.read(&mut buf));
                    if poll!(&mut read).is_pending() {
                        waiting_tx.send(()).unwrap();
                    } else {
                        drop(waiting_tx);
                    }
                    read.await
                })
            };
            let _ = waiting_rx.await;
            drop(server); // unread data: a reset
            let err = reading.await.unwrap().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
            let err = (&*client).write_all(b"after the reset").await.unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
                ),
                "{err}"
            );
            // Later reads return at once (end of stream or an error) rather
            // than waiting for an edge that will never come.
            let _ = (&*client).read(&mut [0u8; 4]).await;
        });
    });
}

#[test]
fn peer_reset_fails_a_write_blocked_on_a_full_buffer() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-reset-write");
        rt.block_on(async {
            let (client, server) = connected_pair().await.unwrap();
            let (blocked_tx, blocked_rx) = oneshot::channel();
            let writing = bobbin::spawn(async move {
                let chunk = vec![0x5a; 64 << 10];
                let mut blocked_tx = Some(blocked_tx);
                let mut written = 0usize;
                let mut stream = &client;
                loop {
                    let mut write = pin!(stream.write(&chunk));
                    let result = match poll!(&mut write) {
                        Poll::Ready(result) => result,
                        Poll::Pending => {
                            if let Some(tx) = blocked_tx.take() {
                                tx.send(()).unwrap();
                            }
                            write.await
                        }
                    };
                    match result {
                        Ok(n) => written += n,
                        Err(err) => return (written, err),
                    }
                }
            });
            blocked_rx
                .await
                .expect("the writer never filled the buffers");
            server.readable().await.unwrap();
            drop(server); // unread data: a reset
            let (written, err) = writing.await.unwrap();
            assert!(written > 0);
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
                ),
                "{err}"
            );
        });
    });
}

#[test]
fn aborting_a_task_that_waits_on_its_stream_closes_the_stream() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-abort");
        rt.block_on(async {
            let (client, mut server) = connected_pair().await.unwrap();
            let counter = DropCounter::new();
            let (waiting_tx, waiting_rx) = oneshot::channel();
            let task = {
                let guard = counter.guard();
                bobbin::spawn(async move {
                    let _guard = guard;
                    let mut client = client;
                    let mut buf = [0u8; 8];
                    let mut read = pin!(client.read(&mut buf));
                    assert!(poll!(&mut read).is_pending(), "nothing was sent");
                    waiting_tx.send(()).unwrap();
                    read.await
                })
            };
            waiting_rx.await.unwrap();
            task.abort();
            assert!(task.await.unwrap_err().is_cancelled());
            assert_eq!(counter.dropped(), 1, "the task's future was dropped");
            // The stream went with the future: the peer reads end of stream.
            assert_eq!(server.read(&mut [0u8; 8]).await.unwrap(), 0);

            // The same for a listener waiting in `accept`: it is closed, so
            // connecting to its port is refused.
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (waiting_tx, waiting_rx) = oneshot::channel();
            let accepting = bobbin::spawn(async move {
                let mut accept = pin!(listener.accept());
                assert!(poll!(&mut accept).is_pending());
                waiting_tx.send(()).unwrap();
                accept.await.map(drop)
            });
            waiting_rx.await.unwrap();
            accepting.abort();
            assert!(accepting.await.unwrap_err().is_cancelled());
            let err = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        });
    });
}

/// A read future dropped while it waits, then its stream: the socket
/// closes, and the waker left among the resource's waiters disturbs
/// nothing that comes after (new sockets reuse the freed slots).
#[test]
fn a_pending_read_dropped_then_its_stream_leaves_nothing_behind() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-cancel");
        rt.block_on(async {
            for round in 0..50u32 {
                let (mut client, mut server) = connected_pair().await.unwrap();
                {
                    let mut buf = [0u8; 4];
                    let mut read = pin!(client.read(&mut buf));
                    assert!(poll!(&mut read).is_pending());
                }
                drop(client);
                assert_eq!(server.read(&mut [0u8; 4]).await.unwrap(), 0);
                // A fresh connection works as usual.
                let (mut a, mut b) = connected_pair().await.unwrap();
                a.write_all(&round.to_le_bytes()).await.unwrap();
                let mut got = [0u8; 4];
                b.read_exact(&mut got).await.unwrap();
                assert_eq!(u32::from_le_bytes(got), round);
            }
        });
    });
}

#[test]
fn dropping_one_arc_of_a_shared_stream_leaves_the_waiter_waiting_for_data() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-arc-drop");
        rt.block_on(async {
            let (client, mut server) = connected_pair().await.unwrap();
            let client = Arc::new(client);
            let (waiting_tx, waiting_rx) = oneshot::channel();
            let reading = {
                let client = client.clone();
                bobbin::spawn(async move {
                    let mut buf = [0u8; 5];
                    let mut stream = &*client;
                    let mut read = pin!(stream.read_exact(&mut buf));
                    assert!(poll!(&mut read).is_pending());
                    waiting_tx.send(()).unwrap();
                    read.await.map(|()| buf)
                })
            };
            waiting_rx.await.unwrap();
            // Not the last reference: the socket stays open (were it closed,
            // the waiting `read_exact` would end with `UnexpectedEof`).
            drop(client);
            server.write_all(b"still").await.unwrap();
            assert_eq!(&reading.await.unwrap().unwrap(), b"still");
            // The task held the last reference; now the socket is closed.
            assert_eq!(server.read(&mut [0u8; 1]).await.unwrap(), 0);
        });
    });
}

/// After `try_read` reports `WouldBlock`, `readable` waits for new data
/// (its first poll is pending) and returns once the peer writes.
///
/// The reading follows the documented pattern: wait for `readable`, then
/// `try_read` until `WouldBlock`. (A short read also resets the readiness,
/// as tokio's reads do, so a loop that waits for `readable` again after
/// consuming everything would wait for the next write; nothing promises
/// it returns at once.)
#[test]
fn readable_after_would_block_waits_for_new_data() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-readable");
        rt.block_on(async {
            let (mut client, server) = connected_pair().await.unwrap();
            let mut buf = [0u8; 1024];
            for round in 1..=20usize {
                let sent = pattern(round as u32, round * 37);
                client.write_all(&sent).await.unwrap();
                let mut received = Vec::new();
                while received.len() < sent.len() {
                    server.readable().await.unwrap();
                    // Drain what is there, until `WouldBlock`.
                    loop {
                        match server.try_read(&mut buf) {
                            Ok(0) => panic!("unexpected end of stream"),
                            Ok(n) => received.extend_from_slice(&buf[..n]),
                            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                            Err(err) => panic!("{err}"),
                        }
                    }
                }
                assert_eq!(received, sent);
                // The readiness was reset by the `WouldBlock`.
                let mut readable = pin!(server.readable());
                assert!(
                    poll!(&mut readable).is_pending(),
                    "readable() returned at once after WouldBlock, with nothing new to read"
                );
                client.write_all(b"!").await.unwrap();
                readable.await.unwrap();
                assert_eq!(server.try_read(&mut buf).unwrap(), 1);
                assert_eq!(
                    server.try_read(&mut buf).unwrap_err().kind(),
                    ErrorKind::WouldBlock
                );
            }
        });
    });
}

/// After `try_write` reports `WouldBlock` (the buffers are full),
/// `writable` returns once the peer has drained them, and writing works.
#[test]
fn writable_after_would_block_returns_once_the_peer_reads() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-writable");
        rt.block_on(async {
            let (client, mut server) = connected_pair().await.unwrap();
            let chunk = vec![1u8; 64 << 10];
            let mut filled = 0;
            loop {
                match client.try_write(&chunk) {
                    Ok(n) => filled += n,
                    Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                    Err(err) => panic!("{err}"),
                }
            }
            let draining = bobbin::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                let mut drained = 0;
                while drained < filled {
                    // Exactly the bytes written so far: what comes next is
                    // checked below.
                    let want = (filled - drained).min(buf.len());
                    drained += server.read(&mut buf[..want]).await?;
                }
                io::Result::Ok(server)
            });
            let mut written = 0;
            while written == 0 {
                client.writable().await.unwrap();
                match client.try_write(b"room again") {
                    Ok(n) => written = n,
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                    Err(err) => panic!("{err}"),
                }
            }
            assert!(written > 0);
            let mut server = draining.await.unwrap().unwrap();
            let mut tail = vec![0u8; written];
            server.read_exact(&mut tail).await.unwrap();
            assert_eq!(&tail[..], &b"room again"[..written]);
        });
    });
}

/// Two tasks wait for one socket to become readable; one event wakes both
/// (the waiters are a list, not a slot one could overwrite).
#[test]
fn two_tasks_waiting_for_one_socket_are_both_woken() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-two-waiters");
        rt.block_on(async {
            let (mut client, server) = connected_pair().await.unwrap();
            let server = Arc::new(server);
            let mut waiting = Vec::new();
            let mut waiters = Vec::new();
            for _ in 0..2 {
                let server = server.clone();
                let (tx, rx) = oneshot::channel();
                waiting.push(rx);
                waiters.push(bobbin::spawn(async move {
                    let mut readable = pin!(server.readable());
                    assert!(poll!(&mut readable).is_pending());
                    tx.send(()).unwrap();
                    readable.await
                }));
            }
            for rx in waiting {
                rx.await.unwrap();
            }
            client.write_all(b"x").await.unwrap();
            for waiter in waiters {
                waiter.await.unwrap().unwrap();
            }
        });
    });
}

/// Owned halves on different tasks, both directions at once, each far
/// larger than the buffers (a read that blocked the write, or the other
/// way round, would deadlock); then the halves are put back together.
#[test]
fn owned_halves_read_and_write_on_different_tasks_at_once() {
    const LEN: usize = 2 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-halves");
        rt.block_on(async {
            let (client, server) = connected_pair().await.unwrap();
            let (mut client_reader, mut client_writer) = client.into_split();
            let (mut server_reader, mut server_writer) = server.into_split();
            let tasks = [
                bobbin::spawn(async move {
                    client_writer.write_all(&pattern(1, LEN)).await?;
                    client_writer.forget(); // keep the write side open
                    io::Result::Ok(None)
                }),
                bobbin::spawn(async move {
                    server_writer.write_all(&pattern(2, LEN)).await?;
                    io::Result::Ok(Some(server_writer))
                }),
            ];
            let readers = [
                bobbin::spawn(async move {
                    let mut buf = vec![0u8; LEN];
                    server_reader.read_exact(&mut buf).await?;
                    io::Result::Ok((buf == pattern(1, LEN), server_reader))
                }),
                bobbin::spawn(async move {
                    let mut buf = vec![0u8; LEN];
                    client_reader.read_exact(&mut buf).await?;
                    io::Result::Ok((buf == pattern(2, LEN), client_reader))
                }),
            ];
            let [client_writes, server_writes] = tasks;
            assert!(client_writes.await.unwrap().unwrap().is_none());
            let server_writer = server_writes.await.unwrap().unwrap().unwrap();
            let [server_reads, client_reads] = readers;
            let (server_ok, server_reader) = server_reads.await.unwrap().unwrap();
            let (client_ok, _client_reader) = client_reads.await.unwrap().unwrap();
            assert!(
                server_ok,
                "the server read other bytes than the client wrote"
            );
            assert!(
                client_ok,
                "the client read other bytes than the server wrote"
            );
            let mut server = server_reader.reunite(server_writer).unwrap();
            server.write_all(b"reunited").await.unwrap();
        });
    });
}

/// One `TcpStream` in an `Arc`: one task reads through `&TcpStream` while
/// another writes through it, both directions at once.
#[test]
fn a_shared_stream_is_read_on_one_task_and_written_on_another() {
    const LEN: usize = 1 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-tcp-shared");
        let addr = spawn_echo_server(&rt);
        rt.block_on(async {
            let client = Arc::new(TcpStream::connect(addr).await.unwrap());
            let writer = {
                let client = client.clone();
                bobbin::spawn(async move {
                    (&*client).write_all(&pattern(11, LEN)).await?;
                    (&*client).close().await
                })
            };
            let reader = {
                let client = client.clone();
                bobbin::spawn(async move {
                    let mut echoed = Vec::new();
                    (&*client).read_to_end(&mut echoed).await?;
                    io::Result::Ok(echoed)
                })
            };
            drop(client);
            writer.await.unwrap().unwrap();
            let echoed = reader.await.unwrap().unwrap();
            assert!(echoed == pattern(11, LEN), "the echo differs");
        });
    });
}

#[test]
fn streams_and_listeners_convert_from_and_into_std_mid_conversation() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "net-tcp-std");
        let (mut client, server) = rt.block_on(connected_pair()).unwrap();
        rt.block_on(client.write_all(b"before")).unwrap();

        // Out of the reactor: a blocking std stream that finds the bytes.
        let mut std_server: std::net::TcpStream = server.try_into().unwrap();
        std_server.set_nonblocking(false).unwrap();
        let mut before = [0u8; 6];
        std_server.read_exact(&mut before).unwrap();
        assert_eq!(&before, b"before");
        std_server.write_all(b"from std").unwrap();

        // Back in, on another runtime.
        let other = runtime(1, "net-tcp-std-other");
        let mut server = {
            let _enter = other.enter();
            TcpStream::try_from(std_server).unwrap()
        };
        let mut from_std = [0u8; 8];
        rt.block_on(client.read_exact(&mut from_std)).unwrap();
        assert_eq!(&from_std, b"from std");
        other.block_on(server.write_all(b"after")).unwrap();
        let mut after = [0u8; 5];
        rt.block_on(client.read_exact(&mut after)).unwrap();
        assert_eq!(&after, b"after");

        // A listener goes out and back in and still accepts.
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let std_listener: std::net::TcpListener = listener.try_into().unwrap();
        let listener = {
            let _enter = other.enter();
            TcpListener::try_from(std_listener).unwrap()
        };
        let connecting = std::thread::spawn(move || std::net::TcpStream::connect(addr).unwrap());
        let (accepted, peer) = other.block_on(listener.accept()).unwrap();
        let connected = connecting.join().unwrap();
        assert_eq!(peer, connected.local_addr().unwrap());
        assert_eq!(accepted.local_addr().unwrap(), addr);
    });
}

#[test]
fn closing_a_stream_the_peer_reset_succeeds() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "tcp-reset-close");
        rt.block_on(async {
            let mut server = executor_tests::reset_connection().await;
            // `shutdown` reports the reset; `close` (the write half's end,
            // which is already there) does not.
            assert_eq!(
                server.shutdown(Shutdown::Write).unwrap_err().kind(),
                ErrorKind::NotConnected
            );
            server
                .close()
                .await
                .expect("closing a stream the peer reset succeeds");
            // The same through an owned write half.
            let server = executor_tests::reset_connection().await;
            let (_read, mut write) = server.into_split();
            write
                .close()
                .await
                .expect("closing a write half the peer reset succeeds");
        });
    });
}
