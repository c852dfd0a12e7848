//! Sockets and runtime shutdown: dropping a runtime drops the tasks that
//! wait on its sockets and so closes the sockets (each peer sees it; in a
//! child process the descriptor count comes back to where it was); a socket
//! whose runtime has shut down fails every operation with an `io::Error`
//! that says so, whether the operation starts afterwards or was already
//! waiting (on another executor's thread, or in another runtime's task);
//! creating a socket in a shut-down runtime fails the same way; `incoming()`
//! yields that error once and ends; `into_std` still hands the socket back.

use bobbin::Runtime;
use bobbin::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use executor_tests::{
    DropCounter, DropGuard, LIMIT, assert_child_passed, is_child, join, run_this_test_as_child,
    runtime, socket_dir, wait_until, with_timeout,
};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::poll;
use futures::stream::StreamExt;
use std::fmt::Debug;
use std::future::Future;
use std::io::{self, ErrorKind, Read, Write};
use std::pin::pin;
use std::sync::mpsc;
use std::time::Duration;

/// Panics unless `result` is the error of a runtime that shut down.
#[track_caller]
fn assert_shut_down<T: Debug>(result: io::Result<T>, what: &str) {
    let err = match result {
        Ok(value) => panic!("{what} succeeded on a shut-down runtime: {value:?}"),
        Err(err) => err,
    };
    let message = err.to_string();
    assert!(
        message.contains("shut down") && message.contains("runtime"),
        "{what} failed, but the message does not say the runtime shut down: {message:?} ({err:?})"
    );
    assert_eq!(err.kind(), ErrorKind::Other, "{what}: {err:?}");
}

/// Spawns `future` on `rt` holding a drop guard; the task reports on
/// `waiting` once its first poll is pending, which for these futures means
/// it is registered as a waiter on its socket. Nothing completes them but
/// the runtime's shutdown: the task's output is what `future` returned,
/// formatted.
fn spawn_waiting<F>(
    rt: &Runtime,
    guard: DropGuard,
    waiting: &mpsc::Sender<&'static str>,
    what: &'static str,
    future: F,
) -> bobbin::JoinHandle<String>
where
    F: Future + Send + 'static,
    F::Output: Debug,
{
    let waiting = waiting.clone();
    rt.spawn(async move {
        let _guard = guard;
        let mut future = pin!(future);
        assert!(poll!(&mut future).is_pending(), "{what} did not wait");
        waiting.send(what).unwrap();
        let output = future.await;
        format!("{what} finished with {output:?}")
    })
}

/// A task of a runtime that was dropped was cancelled, or (if a worker was
/// polling it as the shutdown began: the shutdown wakes every waiter) it
/// finished with the shutdown error. Either way its future is gone.
#[track_caller]
fn assert_cancelled_or_saw_the_shutdown(task: bobbin::JoinHandle<String>) {
    match join(task) {
        Err(err) => assert!(err.is_cancelled(), "{err}"),
        Ok(output) => assert!(
            output.contains("RuntimeShutDown"),
            "{output}, but only the shutdown should have woken it"
        ),
    }
}

#[test]
fn dropping_the_runtime_drops_tasks_waiting_on_sockets_and_closes_the_sockets() {
    const READERS: usize = 20;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-drop");
        let counter = DropCounter::new();
        let (waiting_tx, waiting_rx) = mpsc::channel();
        let mut tasks = Vec::new();

        // Tasks reading TCP streams whose peers (std sockets) never write.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut reading_peers = Vec::new();
        for _ in 0..READERS {
            let peer = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
            let (ours, _) = std_listener.accept().unwrap();
            let stream = {
                let _enter = rt.enter();
                TcpStream::from_std(ours).unwrap()
            };
            tasks.push(spawn_waiting(
                &rt,
                counter.guard(),
                &waiting_tx,
                "a read",
                async move {
                    let mut stream = stream;
                    stream.read(&mut [0u8; 16]).await
                },
            ));
            reading_peers.push(peer);
        }

        // A task whose write waits on full buffers (its peer never reads).
        let writing_peer =
            std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
        let stream = {
            let (ours, _) = std_listener.accept().unwrap();
            let _enter = rt.enter();
            TcpStream::from_std(ours).unwrap()
        };
        let (filled_tx, filled_rx) = mpsc::channel();
        tasks.push(spawn_waiting(
            &rt,
            counter.guard(),
            &waiting_tx,
            "a write",
            async move {
                let chunk = vec![7u8; 64 << 10];
                let mut filled = 0;
                loop {
                    match stream.try_write(&chunk) {
                        Ok(n) => filled += n,
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => panic!("{err}"),
                    }
                }
                filled_tx.send(filled).unwrap();
                // The buffers may still grow a little as the peer's kernel
                // acknowledges: write until a write waits for good.
                let mut stream = stream;
                loop {
                    stream.write_all(&chunk).await?;
                }
                #[allow(unreachable_code)]
                io::Result::Ok(())
            },
        ));

        // A task waiting in `accept`.
        let listener = {
            let _enter = rt.enter();
            TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap()
        };
        let listener_addr = listener.local_addr().unwrap();
        tasks.push(spawn_waiting(
            &rt,
            counter.guard(),
            &waiting_tx,
            "an accept",
            async move { listener.accept().await.map(drop) },
        ));

        // A task waiting for a UDP datagram.
        let udp = {
            let _enter = rt.enter();
            UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap()
        };
        let udp_addr = udp.local_addr().unwrap();
        tasks.push(spawn_waiting(
            &rt,
            counter.guard(),
            &waiting_tx,
            "a recv_from",
            async move { udp.recv_from(&mut [0u8; 16]).await.map(drop) },
        ));

        // A task reading a Unix stream.
        let (ours, mut unix_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let unix = {
            let _enter = rt.enter();
            UnixStream::from_std(ours).unwrap()
        };
        tasks.push(spawn_waiting(
            &rt,
            counter.guard(),
            &waiting_tx,
            "a Unix read",
            async move {
                let mut unix = unix;
                unix.read(&mut [0u8; 16]).await
            },
        ));

        for _ in 0..tasks.len() {
            waiting_rx
                .recv_timeout(LIMIT)
                .expect("a task never started waiting");
        }
        let filled = filled_rx.recv().unwrap();
        assert_eq!(counter.dropped(), 0);
        drop(rt);
        // Drop returned: every task's future is gone, and with it its socket.
        assert_eq!(counter.dropped(), counter.made());
        for task in tasks {
            assert_cancelled_or_saw_the_shutdown(task);
        }

        // Each peer sees its socket closed.
        for mut peer in reading_peers {
            peer.set_read_timeout(Some(LIMIT)).unwrap();
            assert_eq!(
                peer.read(&mut [0u8; 8]).unwrap(),
                0,
                "a reader's socket is still open"
            );
        }
        let mut writing_peer = writing_peer;
        writing_peer.set_read_timeout(Some(LIMIT)).unwrap();
        let mut drained = Vec::new();
        writing_peer.read_to_end(&mut drained).unwrap();
        assert!(
            drained.len() >= filled,
            "{} of {filled} bytes arrived",
            drained.len()
        );
        let err = std::net::TcpStream::connect(listener_addr).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::ConnectionRefused,
            "the listener is still open: {err}"
        );
        // A datagram to a closed UDP port comes back as "port unreachable",
        // which a connected std socket reports as ConnectionRefused.
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.connect(udp_addr).unwrap();
        probe.set_read_timeout(Some(LIMIT)).unwrap();
        probe.send(b"anyone?").unwrap();
        let err = probe.recv(&mut [0u8; 8]).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::ConnectionRefused,
            "the UDP socket is still open: {err}"
        );
        unix_peer.set_read_timeout(Some(LIMIT)).unwrap();
        assert_eq!(
            unix_peer.read(&mut [0u8; 8]).unwrap(),
            0,
            "the Unix socket is still open"
        );
    });
}

/// The number of open descriptors of this process.
#[cfg(target_os = "linux")]
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The same in a child process, where no other test opens files meanwhile:
/// after a runtime with sockets and waiting tasks is dropped, the process
/// has exactly the descriptors it had before the runtime was built (the
/// sockets, the runtime's epoll and its waker are all closed).
#[cfg(target_os = "linux")]
#[test]
fn dropping_the_runtime_gives_back_every_descriptor() {
    const MARKER: &str = "CHILD: every descriptor came back";
    if is_child() {
        with_timeout(LIMIT, || {
            let before = open_fds();
            let rt = runtime(2, "net-fds");
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = std_listener.local_addr().unwrap();
            let mut peers = Vec::new();
            let mut tasks = Vec::new();
            let (waiting_tx, waiting_rx) = mpsc::channel();
            let counter = DropCounter::new();
            for _ in 0..50 {
                peers.push(std::net::TcpStream::connect(addr).unwrap());
                let (ours, _) = std_listener.accept().unwrap();
                let stream = {
                    let _enter = rt.enter();
                    TcpStream::from_std(ours).unwrap()
                };
                tasks.push(spawn_waiting(
                    &rt,
                    counter.guard(),
                    &waiting_tx,
                    "a read",
                    async move {
                        let mut stream = stream;
                        stream.read(&mut [0u8; 8]).await
                    },
                ));
            }
            let udp = {
                let _enter = rt.enter();
                UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap()
            };
            tasks.push(spawn_waiting(
                &rt,
                counter.guard(),
                &waiting_tx,
                "a recv",
                async move { udp.recv(&mut [0u8; 8]).await },
            ));
            for _ in 0..tasks.len() {
                waiting_rx.recv_timeout(LIMIT).unwrap();
            }
            assert!(open_fds() > before + 100);
            drop(rt);
            drop(tasks);
            drop(peers);
            drop(std_listener);
            assert_eq!(counter.dropped(), counter.made());
            wait_until(
                Duration::from_secs(10),
                "the descriptors to be closed",
                || open_fds() == before,
            );
            println!("{MARKER}");
        });
        return;
    }
    with_timeout(LIMIT, || {
        let output = run_this_test_as_child(
            "dropping_the_runtime_gives_back_every_descriptor",
            &[],
            LIMIT - Duration::from_secs(5),
        );
        assert_child_passed(&output, MARKER);
    });
}

/// Every operation on sockets of a runtime that has shut down fails with
/// the error that says so, at once; none waits. They run here under
/// `futures`' executor, outside any bobbin runtime.
#[test]
fn operations_on_sockets_of_a_shut_down_runtime_fail_with_a_clear_error() {
    with_timeout(LIMIT, || {
        let dir = socket_dir("shutdown-ops");
        let rt = runtime(2, "net-dead");
        let (
            listener,
            mut client,
            server,
            udp,
            connected_udp,
            (mut unix_a, unix_b),
            unix_listener,
            dgram,
        ) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            // Data waiting in both directions: the failure is not
            // "nothing to read".
            client.write_all(b"waiting").await.unwrap();
            server.write_all(b"waiting").await.unwrap();
            server.readable().await.unwrap();
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let connected_udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            connected_udp
                .connect(udp.local_addr().unwrap())
                .await
                .unwrap();
            let unix_listener = UnixListener::bind(dir.join("dead.sock")).unwrap();
            let dgram = UnixDatagram::pair().unwrap();
            (
                listener,
                client,
                server,
                udp,
                connected_udp,
                UnixStream::pair().unwrap(),
                unix_listener,
                dgram,
            )
        });
        let handle = rt.handle();
        drop(rt);

        futures::executor::block_on(async {
            let mut buf = [0u8; 16];
            assert_shut_down(client.read(&mut buf).await, "TcpStream read");
            assert_shut_down(client.write(b"x").await, "TcpStream write");
            assert_shut_down(client.write_all(b"x").await, "TcpStream write_all");
            assert_shut_down(server.readable().await, "TcpStream::readable");
            assert_shut_down(server.writable().await, "TcpStream::writable");
            assert_shut_down(server.try_read(&mut buf), "TcpStream::try_read");
            assert_shut_down(server.try_write(b"x"), "TcpStream::try_write");
            assert_shut_down(server.peek(&mut buf).await, "TcpStream::peek");
            let (mut reader, mut writer) = server.into_split();
            assert_shut_down(reader.read(&mut buf).await, "OwnedReadHalf read");
            assert_shut_down(writer.write(b"x").await, "OwnedWriteHalf write");
            assert_shut_down(listener.accept().await, "TcpListener::accept");

            assert_shut_down(udp.recv_from(&mut buf).await, "UdpSocket::recv_from");
            assert_shut_down(
                udp.send_to(b"x", udp.local_addr().unwrap()).await,
                "UdpSocket::send_to",
            );
            assert_shut_down(udp.peek_from(&mut buf).await, "UdpSocket::peek_from");
            assert_shut_down(connected_udp.send(b"x").await, "UdpSocket::send");
            assert_shut_down(connected_udp.recv(&mut buf).await, "UdpSocket::recv");

            assert_shut_down(unix_a.read(&mut buf).await, "UnixStream read");
            assert_shut_down(unix_a.write(b"x").await, "UnixStream write");
            drop(unix_b);
            assert_shut_down(unix_listener.accept().await, "UnixListener::accept");
            assert_shut_down(dgram.0.send(b"x").await, "UnixDatagram::send");
            assert_shut_down(dgram.1.recv(&mut buf).await, "UnixDatagram::recv");
        });

        // Creating a socket in the shut-down runtime fails the same way.
        let _enter = handle.enter();
        futures::executor::block_on(async {
            assert_shut_down(TcpListener::bind("127.0.0.1:0").await, "TcpListener::bind");
            assert_shut_down(UdpSocket::bind("127.0.0.1:0").await, "UdpSocket::bind");
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = std_listener.local_addr().unwrap();
            assert_shut_down(TcpStream::connect(addr).await, "TcpStream::connect");
            assert_shut_down(TcpListener::from_std(std_listener), "TcpListener::from_std");
            assert_shut_down(UnixStream::pair(), "UnixStream::pair");
            assert_shut_down(UnixDatagram::unbound(), "UnixDatagram::unbound");
            assert_shut_down(
                UnixListener::bind(dir.join("late.sock")),
                "UnixListener::bind",
            );
        });
        drop(_enter);
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

/// An operation already waiting when the runtime shuts down is woken with
/// the error: on a thread of another executor, and in a task of another
/// bobbin runtime.
#[test]
fn an_operation_waiting_when_its_runtime_shuts_down_fails_instead_of_hanging() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "net-dying");
        let other = runtime(1, "net-survivor");
        let (a, b) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let a = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (b, _) = listener.accept().await.unwrap();
            (a, b)
        });
        let udp = {
            let _enter = rt.enter();
            UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap()
        };

        let (waiting_tx, waiting_rx) = mpsc::channel();
        let thread = {
            let waiting_tx = waiting_tx.clone();
            std::thread::spawn(move || {
                futures::executor::block_on(async move {
                    let mut a = a;
                    let mut buf = [0u8; 8];
                    let mut read = pin!(a.read(&mut buf));
                    assert!(poll!(&mut read).is_pending());
                    waiting_tx.send(()).unwrap();
                    read.await
                })
            })
        };
        let task = other.spawn(async move {
            let mut buf = [0u8; 8];
            let mut recv = pin!(udp.recv_from(&mut buf));
            assert!(poll!(&mut recv).is_pending());
            waiting_tx.send(()).unwrap();
            recv.await.map(drop)
        });
        waiting_rx.recv_timeout(LIMIT).unwrap();
        waiting_rx.recv_timeout(LIMIT).unwrap();
        rt.shutdown_timeout(Duration::from_secs(10));
        assert_shut_down(
            thread.join().unwrap(),
            "a read waiting on another executor's thread",
        );
        assert_shut_down(
            other.block_on(task).unwrap(),
            "a recv_from waiting in another runtime's task",
        );
        drop(b);
    });
}

/// An accept loop that logs errors and continues must not spin on the
/// shutdown error: `incoming()` yields it once, then ends.
#[test]
fn incoming_yields_the_shutdown_error_once_then_ends() {
    with_timeout(LIMIT, || {
        let dir = socket_dir("shutdown-incoming");
        let rt = runtime(1, "net-incoming-dead");
        let (tcp, unix) = {
            let _enter = rt.enter();
            (
                TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap(),
                UnixListener::bind(dir.join("incoming.sock")).unwrap(),
            )
        };
        drop(rt);
        // Under the global runtime, as a library's accept loop would run.
        bobbin::block_on(async {
            let mut errors = 0;
            let mut incoming = tcp.incoming();
            while let Some(result) = incoming.next().await {
                assert_shut_down(result.map(drop), "TcpListener::incoming");
                errors += 1;
            }
            assert_eq!(errors, 1);
            let mut incoming = unix.incoming();
            assert_shut_down(
                incoming.next().await.unwrap().map(drop),
                "UnixListener::incoming",
            );
            assert!(incoming.next().await.is_none());
        });
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

/// A socket outlives its runtime: `into_std` gives it back, still connected,
/// and it can join another runtime.
#[test]
fn into_std_hands_back_a_working_socket_after_shutdown() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "net-rescue");
        let (client, server) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            (client, server)
        });
        let udp = {
            let _enter = rt.enter();
            UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap()
        };
        drop(rt);
        let mut client = client.into_std().unwrap();
        client.set_nonblocking(false).unwrap();
        client.write_all(b"rescued").unwrap();
        let udp = udp.into_std().unwrap();
        assert!(udp.local_addr().is_ok());

        let next = runtime(1, "net-rescue-next");
        let mut server = {
            let std_server = server.into_std().unwrap();
            let _enter = next.enter();
            TcpStream::from_std(std_server).unwrap()
        };
        let mut buf = [0u8; 7];
        next.block_on(server.read_exact(&mut buf)).unwrap();
        assert_eq!(&buf, b"rescued");
    });
}
