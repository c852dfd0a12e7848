//! UDP through the public API: `send_to`/`recv_from` and `connect`/`send`/
//! `recv` round trips; one socket shared by several sending tasks, and by
//! several receiving tasks (the waiters are a list: none loses its wake-up);
//! conversions from and into std's socket; and a connected socket whose
//! send was refused (an ICMP error) going back to waiting for datagrams.

use bobbin::net::UdpSocket;
use executor_tests::{LIMIT, pattern, runtime, with_timeout};
use futures::channel::{mpsc, oneshot};
use futures::poll;
use futures::stream::StreamExt;
use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn send_to_and_recv_from_round_trip_datagrams_of_several_sizes() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-udp-round-trip");
        rt.block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (server_addr, client_addr) =
                (server.local_addr().unwrap(), client.local_addr().unwrap());
            let echo = bobbin::spawn(async move {
                let mut buf = vec![0u8; 65_536];
                for _ in 0..4 {
                    let (n, from) = server.recv_from(&mut buf).await?;
                    assert_eq!(from, client_addr);
                    assert_eq!(server.send_to(&buf[..n], from).await?, n);
                }
                std::io::Result::Ok(())
            });
            let mut buf = vec![0u8; 65_536];
            // Empty, small, one Ethernet payload, near the largest.
            for (seed, len) in [0usize, 5, 1_472, 60_000].into_iter().enumerate() {
                let datagram = pattern(seed as u32, len);
                assert_eq!(client.send_to(&datagram, server_addr).await.unwrap(), len);
                let (n, from) = client.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, server_addr);
                assert_eq!(&buf[..n], &datagram[..], "the echo of {len} bytes differs");
            }
            echo.await.unwrap().unwrap();
        });
    });
}

#[test]
fn connect_send_and_recv_talk_to_one_peer_only() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-udp-connect");
        rt.block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            client.connect(server.local_addr().unwrap()).await.unwrap();
            assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());

            // A stranger's datagram is dropped by the system; the server's
            // arrives.
            let stranger = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            stranger
                .send_to(b"stranger", client.local_addr().unwrap())
                .unwrap();
            let mut buf = [0u8; 64];
            for i in 0..10u8 {
                assert_eq!(client.send(&[i; 9]).await.unwrap(), 9);
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                assert_eq!(
                    (&buf[..n], from),
                    (&[i; 9][..], client.local_addr().unwrap())
                );
                server.send_to(&[i; 3], from).await.unwrap();
                let n = client.recv(&mut buf).await.unwrap();
                assert_eq!(
                    &buf[..n],
                    &[i; 3],
                    "round {i}: the stranger's datagram came through"
                );
            }
        });
    });
}

/// Eight tasks send on one socket at once; every datagram arrives exactly
/// once. A sender waits for the receiver's acknowledgement (over a channel)
/// before its next datagram, so the receive buffer never overflows and a
/// loss can only be bobbin's.
#[test]
fn several_tasks_send_on_one_shared_socket() {
    const SENDERS: u8 = 8;
    const EACH: u32 = 50;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-udp-senders");
        rt.block_on(async {
            let shared = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let target = receiver.local_addr().unwrap();
            let mut acks = Vec::new();
            let mut senders = Vec::new();
            for sender in 0..SENDERS {
                let (ack_tx, mut ack_rx) = mpsc::unbounded::<u32>();
                acks.push(ack_tx);
                let shared = shared.clone();
                senders.push(bobbin::spawn(async move {
                    for seq in 0..EACH {
                        let mut datagram = vec![sender];
                        datagram.extend_from_slice(&seq.to_le_bytes());
                        shared.send_to(&datagram, target).await?;
                        assert_eq!(ack_rx.next().await, Some(seq));
                    }
                    std::io::Result::Ok(())
                }));
            }
            let mut seen = BTreeSet::new();
            let mut buf = [0u8; 16];
            for _ in 0..u32::from(SENDERS) * EACH {
                let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
                assert_eq!((n, from), (5, shared.local_addr().unwrap()));
                let (sender, seq) = (buf[0], u32::from_le_bytes(buf[1..5].try_into().unwrap()));
                assert!(
                    seen.insert((sender, seq)),
                    "({sender}, {seq}) arrived twice"
                );
                acks[usize::from(sender)].unbounded_send(seq).unwrap();
            }
            for sender in senders {
                sender.await.unwrap().unwrap();
            }
            assert_eq!(seen.len(), usize::from(SENDERS) * EACH as usize);
        });
    });
}

/// Sixteen tasks wait in `recv_from` on one socket (each has polled once,
/// so all are registered before anything is sent); sixteen datagrams wake
/// them all, and each gets a different one.
#[test]
fn several_tasks_receive_on_one_shared_socket() {
    const RECEIVERS: u8 = 16;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-udp-receivers");
        rt.block_on(async {
            let shared = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let mut waiting = Vec::new();
            let mut receivers = Vec::new();
            for _ in 0..RECEIVERS {
                let (tx, rx) = oneshot::channel();
                waiting.push(rx);
                let shared = shared.clone();
                receivers.push(bobbin::spawn(async move {
                    let mut buf = [0u8; 4];
                    let n = {
                        let mut recv = pin!(shared.recv_from(&mut buf));
                        assert!(poll!(&mut recv).is_pending(), "nothing was sent yet");
                        tx.send(()).unwrap();
                        recv.await?.0
                    };
                    assert_eq!(n, 1);
                    std::io::Result::Ok(buf[0])
                }));
            }
            for rx in waiting {
                rx.await.unwrap();
            }
            let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            for i in 0..RECEIVERS {
                sender
                    .send_to(&[i], shared.local_addr().unwrap())
                    .await
                    .unwrap();
            }
            let mut got = BTreeSet::new();
            for receiver in receivers {
                got.insert(receiver.await.unwrap().unwrap());
            }
            assert_eq!(got, (0..RECEIVERS).collect::<BTreeSet<_>>());
        });
    });
}

#[test]
fn sockets_convert_from_and_into_std() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "net-udp-std");
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(LIMIT)).unwrap();
        let socket = {
            let _enter = rt.enter();
            UdpSocket::try_from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap()
        };
        let addr = socket.local_addr().unwrap();
        rt.block_on(socket.send_to(b"from bobbin", peer.local_addr().unwrap()))
            .unwrap();
        let mut buf = [0u8; 32];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"from bobbin"[..], addr));

        let std_socket: std::net::UdpSocket = socket.try_into().unwrap();
        assert_eq!(std_socket.local_addr().unwrap(), addr);
        std_socket.set_nonblocking(false).unwrap();
        std_socket.set_read_timeout(Some(LIMIT)).unwrap();
        peer.send_to(b"to std", addr).unwrap();
        let n = std_socket.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"to std");

        // And back, with a datagram already waiting: it is received.
        peer.send_to(b"waiting", addr).unwrap();
        let socket = {
            let _enter = rt.enter();
            UdpSocket::from_std(std_socket).unwrap()
        };
        let n = rt.block_on(socket.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"waiting");
    });
}

/// A connected socket whose datagram is refused (nobody listens: an ICMP
/// "port unreachable" comes back) reports `ConnectionRefused` once; its next
/// `recv` must wait for a datagram like any other, not return at once.
///
/// Regression test for a busy loop: the error event leaves readiness bits
/// (`ERROR`, and `WRITE_CLOSED` through mio's reading of `EPOLLERR`) that
/// nothing clears, so after the error is consumed every `recv` found the
/// socket "ready", got `WouldBlock`, and retried inside one poll, forever:
/// the poll never returned and its worker spun at 100%. A watchdog sends a
/// datagram after a while, which ends such a spin, so the test fails with a
/// message instead of hanging.
#[test]
fn connected_recv_after_a_refused_send_waits_instead_of_spinning() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "net-udp-refused");
        rt.block_on(async {
            let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let closed_addr = closed.local_addr().unwrap();
            drop(closed);
            let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let client_addr = client.local_addr().unwrap();
            client.connect(closed_addr).await.unwrap();
            client.send(b"anyone?").await.unwrap();
            let mut buf = [0u8; 16];
            let err = client.recv(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

            // A peer appears at the address; until it sends, recv waits.
            let peer = std::net::UdpSocket::bind(closed_addr).unwrap();
            let (cancel_tx, cancel_rx) = std::sync::mpsc::channel::<()>();
            let watchdog = std::thread::spawn(move || {
                if cancel_rx.recv_timeout(Duration::from_secs(2)).is_err() {
                    peer.send_to(b"watchdog", client_addr).unwrap();
                }
                peer
            });
            let first_poll = {
                let mut recv = pin!(client.recv(&mut buf));
                poll!(&mut recv)
            };
            let _ = cancel_tx.send(());
            let peer = watchdog.join().unwrap();
            assert!(
                first_poll.is_pending(),
                "recv after a refused send did not wait for a datagram: its first poll spun \
                 until the watchdog's datagram came, and returned {first_poll:?}"
            );
            peer.send_to(b"hello", client_addr).unwrap();
            let n = client.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"hello");
        });
    });
}

/// The readiness-and-try loop, as on `TcpStream`: `writable`/`try_send`
/// and `readable`/`try_recv` move datagrams, and `try_recv` on an empty
/// socket is `WouldBlock`.
#[test]
fn try_send_and_try_recv_move_datagrams_after_readiness() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "udp-try");
        rt.block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            let mut buf = [0u8; 16];
            assert_eq!(
                b.try_recv(&mut buf).unwrap_err().kind(),
                std::io::ErrorKind::WouldBlock
            );
            for n in 0..10u8 {
                a.writable().await.unwrap();
                a.try_send(&[n; 3]).unwrap();
                let got = loop {
                    b.readable().await.unwrap();
                    match b.try_recv_from(&mut buf) {
                        Ok((len, from)) => break (len, from),
                        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
                        Err(err) => panic!("{err}"),
                    }
                };
                assert_eq!(got, (3, a.local_addr().unwrap()));
                assert_eq!(&buf[..3], &[n; 3]);
            }
        });
    });
}
