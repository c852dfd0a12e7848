//! Unit tests across the socket types: round trips, half-close, sharing a
//! socket between tasks, auto traits, and the accept back-off under a real
//! `EMFILE`. Every test binds 127.0.0.1 only and is bounded in time.

use super::tcp::{self, Incoming};
use super::{TcpListener, TcpStream, UdpSocket};
use crate::loom::Arc;
use crate::runtime::test_support::run;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::stream::StreamExt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::time::Duration;

/// A megabyte of varied bytes, so a reordering or a lost chunk shows.
fn payload() -> Vec<u8> {
    (0..1 << 20).map(|i: u32| (i % 251) as u8).collect()
}

#[test]
fn tcp_echo_round_trip_through_split_halves() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = crate::spawn(async move {
            let (stream, _) = listener.accept().await?;
            let (mut reader, mut writer) = stream.into_split();
            futures::io::copy(&mut reader, &mut writer).await?;
            writer.close().await
        });
        let (mut reader, mut writer) = TcpStream::connect(addr).await?.into_split();
        let sent = payload();
        let to_send = sent.clone();
        let writing = crate::spawn(async move {
            writer.write_all(&to_send).await?;
            writer.close().await
        });
        let mut echoed = Vec::new();
        reader.read_to_end(&mut echoed).await?;
        assert!(echoed == sent, "the echo differs from what was sent");
        writing.await.unwrap()?;
        server.await.unwrap()?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn half_close_lets_the_other_direction_finish() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        client.write_all(b"request").await?;
        client.shutdown(Shutdown::Write)?;
        let mut request = Vec::new();
        server.read_to_end(&mut request).await?;
        assert_eq!(request, b"request");
        assert_eq!(server.read(&mut [0u8; 8]).await?, 0, "end of stream stays");
        server.write_all(b"response").await?;
        drop(server);
        let mut response = Vec::new();
        client.read_to_end(&mut response).await?;
        assert_eq!(response, b"response");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn vectored_writes_and_reads_keep_the_order() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        let parts = [
            IoSlice::new(b"ab"),
            IoSlice::new(b"cde"),
            IoSlice::new(b"f"),
        ];
        let written = client.write_vectored(&parts).await?;
        assert_eq!(written, 6, "a small vectored write goes out whole");
        let (mut first, mut second) = ([0u8; 4], [0u8; 2]);
        let mut read = 0;
        while read < 6 {
            let (a, b) = (
                &mut first[read.min(4)..],
                &mut second[read.saturating_sub(4)..],
            );
            read += server
                .read_vectored(&mut [io::IoSliceMut::new(a), io::IoSliceMut::new(b)])
                .await?;
        }
        assert_eq!((&first, &second), (b"abcd", b"ef"));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn one_stream_read_on_one_task_and_written_on_another() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = Arc::new(TcpStream::connect(listener.local_addr()?).await?);
        let (mut server, _) = listener.accept().await?;
        let reader = {
            let client = client.clone();
            crate::spawn(async move {
                let mut buf = [0u8; 5];
                (&*client).read_exact(&mut buf).await?;
                io::Result::Ok(buf)
            })
        };
        let writer = {
            let client = client.clone();
            crate::spawn(async move { (&*client).write_all(b"12345").await })
        };
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).await?;
        server.write_all(&buf).await?;
        writer.await.unwrap()?;
        assert_eq!(&reader.await.unwrap()?, b"12345");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_refused_connection_is_an_error_not_a_hang() {
    run(async {
        let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
        let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        let err = TcpStream::connect(&[][..] as &[std::net::SocketAddr])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn the_try_forms_reset_readiness_so_readable_waits_again() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        let server = Arc::new(server);
        client.write_all(b"a").await?;
        server.readable().await?;
        assert_eq!(server.try_read(&mut [0u8; 8])?, 1);
        assert_eq!(
            server.try_read(&mut [0u8; 8]).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        // The readiness was reset: `readable` now waits for the next byte.
        let waiting = {
            let server = server.clone();
            crate::spawn(async move {
                server.readable().await?;
                server.try_read(&mut [0u8; 8])
            })
        };
        client.write_all(b"b").await?;
        assert_eq!(waiting.await.unwrap()?, 1);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn udp_round_trip_with_a_socket_shared_by_tasks() {
    run(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = server.local_addr()?;
        let echo = {
            let server = server.clone();
            crate::spawn(async move {
                let mut buf = [0u8; 64];
                for _ in 0..10 {
                    let (n, from) = server.recv_from(&mut buf).await?;
                    server.send_to(&buf[..n], from).await?;
                }
                io::Result::Ok(())
            })
        };
        let client = UdpSocket::bind("127.0.0.1:0").await?;
        client.connect(addr).await?;
        let mut buf = [0u8; 64];
        for i in 0..10u8 {
            client.send(&[i; 7]).await?;
            let n = client.recv(&mut buf).await?;
            assert_eq!(&buf[..n], &[i; 7]);
        }
        echo.await.unwrap()?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[cfg(unix)]
#[test]
fn unix_stream_round_trip_through_a_listener() {
    use super::{UnixListener, UnixStream};
    let dir = std::env::temp_dir().join(format!("bobbin-net-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("round-trip.sock");
    let _ = std::fs::remove_file(&path);
    let path_for_test = path.clone();
    run(async move {
        let path = path_for_test;
        let listener = UnixListener::bind(&path)?;
        let server = crate::spawn(async move {
            let mut incoming = listener.incoming();
            let stream = incoming.next().await.unwrap()?;
            let (mut reader, mut writer) = stream.into_split();
            futures::io::copy(&mut reader, &mut writer).await?;
            writer.close().await
        });
        let mut client = UnixStream::connect(&path).await?;
        let sent = payload();
        let (mut reader, mut writer) = (&client, &client);
        let (written, echoed) = futures::join!(
            async {
                writer.write_all(&sent).await?;
                writer.close().await
            },
            async {
                let mut echoed = Vec::new();
                reader.read_to_end(&mut echoed).await.map(|_| echoed)
            }
        );
        written?;
        assert!(echoed? == sent, "the echo differs from what was sent");
        server.await.unwrap()?;
        assert_eq!(client.read(&mut [0u8; 1]).await?, 0);
        io::Result::Ok(())
    })
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn unix_datagrams_arrive_whole_and_in_order() {
    use super::UnixDatagram;
    run(async {
        let (a, b) = UnixDatagram::pair()?;
        for i in 0..20u8 {
            a.send(&[i; 3]).await?;
        }
        let mut buf = [0u8; 8];
        for i in 0..20u8 {
            let n = b.recv(&mut buf).await?;
            assert_eq!(&buf[..n], &[i; 3]);
        }
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_socket_whose_runtime_shut_down_fails_instead_of_hanging() {
    let rt = crate::Runtime::builder().worker_threads(1).build().unwrap();
    let socket = {
        let _guard = rt.enter();
        UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap()
    };
    drop(rt);
    let err = run(async move { socket.recv_from(&mut [0u8; 8]).await.unwrap_err() });
    assert!(
        err.to_string().contains("shut down"),
        "a clear message: {err}"
    );
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<TcpListener>();
    send_sync::<TcpStream>();
    send_sync::<Incoming<'_>>();
    send_sync::<tcp::OwnedReadHalf>();
    send_sync::<tcp::OwnedWriteHalf>();
    send_sync::<tcp::ReuniteError>();
    send_sync::<UdpSocket>();
    #[cfg(unix)]
    {
        send_sync::<super::UnixListener>();
        send_sync::<super::UnixStream>();
        send_sync::<super::UnixDatagram>();
        send_sync::<super::unix::Incoming<'_>>();
        send_sync::<super::unix::OwnedReadHalf>();
        send_sync::<super::unix::OwnedWriteHalf>();
    }
    // The futures of the async methods can be spawned.
    let addr = "127.0.0.1:1";
    send(&TcpListener::bind(addr));
    send(&TcpStream::connect(addr));
    send(&UdpSocket::bind(addr));
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let socket = UdpSocket::from_std(socket).unwrap();
    let mut buf = [0u8; 1];
    send(&socket.recv_from(&mut buf));
    send(&socket.send_to(b"", addr));
}

/// The accept loop under a real `EMFILE`: run in a child process whose
/// descriptor limit is lowered (by the shell: `libc` is not a dependency),
/// so filling the descriptor table harms nothing else.
#[cfg(target_os = "linux")]
#[test]
fn incoming_backs_off_after_emfile_and_recovers() {
    const CHILD: &str = "BOBBIN_NET_EMFILE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return emfile_child();
    }
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(exe)
        .args([
            "--exact",
            "net::tests::incoming_backs_off_after_emfile_and_recovers",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{stdout}"
    );
}

#[cfg(target_os = "linux")]
fn emfile_child() {
    use std::time::Instant;
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        // Connections complete in the backlog before they are accepted.
        let _clients: Vec<_> = (0..2)
            .map(|_| std::net::TcpStream::connect(addr))
            .collect::<Result<_, _>>()?;
        let mut hogs = Vec::new();
        let emfile = loop {
            match std::fs::File::open("/dev/null") {
                Ok(file) => hogs.push(file),
                Err(err) => break err,
            }
        };
        assert_eq!(
            emfile.raw_os_error(),
            Some(24),
            "the table is full: {emfile}"
        );

        let mut incoming = listener.incoming();
        let mut yielded = Vec::new();
        for _ in 0..5 {
            let err = incoming.next().await.unwrap().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(24), "EMFILE is yielded: {err}");
            yielded.push(Instant::now());
        }
        // Each error after the first waited 1, 2, 4, 8 ms: no spinning.
        for (i, pair) in yielded.windows(2).enumerate() {
            let wait = Duration::from_millis(1 << i);
            assert!(
                pair[1] - pair[0] >= wait,
                "error {} came {:?} after the one before",
                i + 1,
                pair[1] - pair[0]
            );
        }
        drop(hogs);
        let stream = incoming.next().await.unwrap()?;
        assert!(
            stream.peer_addr()?.ip().is_loopback(),
            "the loop recovered once descriptors were free"
        );
        let _second = incoming.next().await.unwrap()?;
        io::Result::Ok(())
    })
    .unwrap();
}
