//! `bobbin::io::Async<T>` over mio sources: `read_with`/`write_with` (and
//! their `_mut` forms) through a transfer far larger than the buffers;
//! `readable`/`writable` guards, `try_io` and `clear_ready` (readiness is
//! reset and the next wait is for a new event); the `futures::io` traits on
//! `Async<T>` and `&Async<T>`; `into_inner` deregistering (the same source
//! registers again with the same runtime); and the error of a runtime that
//! has shut down.

#![cfg(unix)]

use bobbin::io::Async;
use executor_tests::{LIMIT, pattern, pattern_byte, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::poll;
use std::future::poll_fn;
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::pin::pin;

fn mio_pair() -> (mio::net::UnixStream, mio::net::UnixStream) {
    mio::net::UnixStream::pair().unwrap()
}

/// A connected pair of mio TCP streams (made blocking-free from std's).
fn mio_tcp_pair() -> (mio::net::TcpStream, mio::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    server.set_nonblocking(true).unwrap();
    (
        mio::net::TcpStream::from_std(client),
        mio::net::TcpStream::from_std(server),
    )
}

#[test]
fn read_with_and_write_with_carry_a_transfer_larger_than_the_buffers() {
    const LEN: usize = 4 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-async-with");
        rt.block_on(async {
            let (a, b) = mio_pair();
            let (a, b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
            let writer = bobbin::spawn(async move {
                let data = pattern(41, LEN);
                let mut sent = 0;
                while sent < LEN {
                    sent += a.write_with(|io| (&*io).write(&data[sent..])).await?;
                }
                a.get_ref().shutdown(Shutdown::Write)?;
                io::Result::Ok(())
            });
            let mut received = 0;
            let mut buf = vec![0u8; 16 << 10];
            loop {
                let n = b.read_with(|io| (&*io).read(&mut buf)).await.unwrap();
                if n == 0 {
                    break;
                }
                for (i, &byte) in buf[..n].iter().enumerate() {
                    assert_eq!(
                        byte,
                        pattern_byte(41, received + i),
                        "byte {} differs",
                        received + i
                    );
                }
                received += n;
            }
            assert_eq!(received, LEN);
            writer.await.unwrap().unwrap();
        });
    });
}

#[test]
fn the_mut_forms_take_the_source_mutably() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "net-async-mut");
        rt.block_on(async {
            let (a, b) = mio_pair();
            let (mut a, mut b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
            a.write_with_mut(|io| io.write_all(b"mutable"))
                .await
                .unwrap();
            let mut buf = [0u8; 7];
            b.read_with_mut(|io| io.read_exact(&mut buf)).await.unwrap();
            assert_eq!(&buf, b"mutable");
            a.get_mut().shutdown(Shutdown::Both).unwrap();
        });
    });
}

/// `try_io` reporting `WouldBlock` clears the readiness (the next
/// `readable` waits for new data); so does `clear_ready`.
#[test]
fn ready_guards_reset_the_readiness_after_would_block() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-async-guard");
        rt.block_on(async {
            let (a, b) = mio_pair();
            let (a, b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
            let mut buf = [0u8; 64];

            Write::write_all(&mut b.get_ref(), b"first").unwrap();
            let mut guard = a.readable().await.unwrap();
            assert_eq!(guard.try_io(|io| (&*io).read(&mut buf)).unwrap(), 5);
            let err = guard.try_io(|io| (&*io).read(&mut buf)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
            {
                let mut readable = pin!(a.readable());
                assert!(
                    poll!(&mut readable).is_pending(),
                    "try_io's WouldBlock kept the readiness"
                );
                Write::write_all(&mut b.get_ref(), b"second").unwrap();
                let mut guard = readable.await.unwrap();
                assert_eq!(guard.try_io(|io| (&*io).read(&mut buf)).unwrap(), 6);
                assert_eq!(&buf[..6], b"second");
            }

            // Reading past the guard, then telling it: `clear_ready`.
            Write::write_all(&mut b.get_ref(), b"third").unwrap();
            let guard = a.readable().await.unwrap();
            assert_eq!(Read::read(&mut a.get_ref(), &mut buf).unwrap(), 5);
            assert_eq!(
                Read::read(&mut a.get_ref(), &mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            guard.clear_ready();
            let mut readable = pin!(a.readable());
            assert!(
                poll!(&mut readable).is_pending(),
                "clear_ready kept the readiness"
            );
            drop(b); // end of stream is an event too
            let mut guard = readable.await.unwrap();
            assert_eq!(guard.try_io(|io| (&*io).read(&mut buf)).unwrap(), 0);
        });
    });
}

#[test]
fn poll_readable_and_poll_writable_wait_and_wake() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-async-poll");
        rt.block_on(async {
            let (a, b) = mio_pair();
            let (a, b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
            poll_fn(|cx| a.poll_writable(cx)).await.unwrap();
            let waiting = bobbin::spawn(async move {
                poll_fn(|cx| b.poll_readable(cx)).await?;
                b.read_with(|io| {
                    let mut buf = [0u8; 4];
                    (&*io).read(&mut buf).map(|n| buf[..n].to_vec())
                })
                .await
            });
            a.write_with(|io| (&*io).write(b"wake")).await.unwrap();
            assert_eq!(waiting.await.unwrap().unwrap(), b"wake");
        });
    });
}

/// `Async<T>` and `&Async<T>` are futures-io streams when `&T` reads and
/// writes: both directions at once through shared references.
#[test]
fn async_and_its_references_are_futures_io_streams() {
    const LEN: usize = 2 << 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-async-fio");
        rt.block_on(async {
            let (client, server) = mio_tcp_pair();
            let (client, mut server) = (Async::new(client).unwrap(), Async::new(server).unwrap());
            let echo = bobbin::spawn(async move {
                let mut buf = vec![0u8; LEN];
                server.read_exact(&mut buf).await?;
                server.write_all(&buf).await?;
                server.flush().await?;
                io::Result::Ok(server)
            });
            let (mut reader, mut writer) = (&client, &client);
            let sent = pattern(43, LEN);
            let (written, echoed) =
                futures::join!(async { writer.write_all(&sent).await }, async {
                    let mut echoed = vec![0u8; LEN];
                    reader.read_exact(&mut echoed).await.map(|()| echoed)
                });
            written.unwrap();
            assert!(echoed.unwrap() == sent, "the echo differs");
            echo.await.unwrap().unwrap();
        });
    });
}

/// `into_inner` deregisters: the source registers again with the same
/// runtime (a second registration of a registered descriptor would fail)
/// and works there.
#[test]
fn into_inner_deregisters_so_the_source_can_register_again() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "net-async-inner");
        rt.block_on(async {
            let (mut a, b) = mio_pair();
            let b = Async::new(b).unwrap();
            for round in 0..20u8 {
                let registered = Async::new(a).expect("registering again after into_inner");
                registered
                    .write_with(|io| (&*io).write(&[round]))
                    .await
                    .unwrap();
                let mut byte = [0u8; 1];
                b.read_with(|io| (&*io).read(&mut byte)).await.unwrap();
                assert_eq!(byte[0], round);
                a = registered.into_inner().unwrap();
            }

            // A listener, registered, given back, registered again.
            let listener = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = listener.local_addr().unwrap();
            let listener = Async::new(Async::new(listener).unwrap().into_inner().unwrap()).unwrap();
            let _client = std::net::TcpStream::connect(addr).unwrap();
            let (_stream, peer) = listener.read_with(|l| l.accept()).await.unwrap();
            assert!(peer.ip().is_loopback());
        });
    });
}

#[test]
fn async_of_a_shut_down_runtime_fails_with_a_clear_error() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "net-async-dead");
        let handle = rt.handle();
        let (a, b) = {
            let _enter = rt.enter();
            let (a, b) = mio_pair();
            (Async::new(a).unwrap(), b)
        };
        drop(rt);
        (&b).write_all(b"waiting").unwrap();
        let err = futures::executor::block_on(a.readable()).unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
        let err =
            futures::executor::block_on(a.read_with(|io| (&*io).read(&mut [0u8; 8]))).unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
        // Given back, the source still works.
        let mut a = a.into_inner().unwrap();
        let mut buf = [0u8; 7];
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"waiting");

        let _enter = handle.enter();
        let err = Async::new(mio_pair().0).unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
    });
}
