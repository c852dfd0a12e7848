//! Name resolution and socket set-up through the public API: host names
//! are looked up on the blocking pool (a ticker on the one worker keeps
//! ticking, and the pool's job count shows the lookups), every constructor
//! takes `"name:port"`, and `TcpSocket` sets options, binds, listens and
//! connects.

use bobbin::net::{TcpListener, TcpSocket, TcpStream, UdpSocket, lookup_host};
use executor_tests::{LIMIT, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::time::{Duration, Instant};

#[test]
fn host_names_are_resolved_on_the_blocking_pool_not_the_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(1, "resolve");
        let before = rt.handle().metrics().blocking_jobs_spawned();
        let ticker = rt.spawn(async {
            let start = Instant::now();
            let mut ticks = 0u32;
            while start.elapsed() < Duration::from_millis(200) {
                bobbin::time::sleep(Duration::from_millis(5)).await;
                ticks += 1;
            }
            ticks
        });
        let lookups = rt.spawn(async {
            let mut found = 0;
            let lookups: Vec<_> = (0..100)
                .map(|_| bobbin::spawn(async { lookup_host("localhost:443").await }))
                .collect();
            for lookup in lookups {
                let addrs: Vec<_> = lookup.await.unwrap().unwrap().collect();
                assert!(addrs.iter().all(|addr| addr.port() == 443));
                found += usize::from(!addrs.is_empty());
            }
            found
        });
        assert_eq!(rt.block_on(lookups).unwrap(), 100);
        assert!(
            rt.block_on(ticker).unwrap() >= 10,
            "the worker kept ticking"
        );
        let jobs = rt.handle().metrics().blocking_jobs_spawned() - before;
        assert!(jobs >= 100, "each lookup ran on the pool: {jobs} jobs");
    });
}

#[test]
fn every_constructor_takes_a_name_and_port() {
    with_timeout(LIMIT, || {
        runtime(2, "names").block_on(async {
            let listener = TcpListener::bind("localhost:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let accept = bobbin::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                stream.write_all(b"hi").await.unwrap();
            });
            let mut stream = TcpStream::connect(format!("localhost:{port}"))
                .await
                .unwrap();
            let mut hi = [0u8; 2];
            stream.read_exact(&mut hi).await.unwrap();
            assert_eq!(&hi, b"hi");
            accept.await.unwrap();

            let a = UdpSocket::bind("localhost:0").await.unwrap();
            let b = UdpSocket::bind(("localhost", 0)).await.unwrap();
            let b_port = b.local_addr().unwrap().port();
            let b_ip = b.local_addr().unwrap().ip();
            a.connect((b_ip.to_string(), b_port)).await.unwrap();
            a.send_to(b"x", (b_ip, b_port)).await.unwrap();
            let mut buf = [0u8; 1];
            assert_eq!(b.recv_from(&mut buf).await.unwrap().0, 1);

            let err = TcpStream::connect("no-such-host.invalid:80")
                .await
                .unwrap_err();
            assert!(!err.to_string().is_empty());
            let err = TcpStream::connect("localhost").await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        });
    });
}

#[test]
fn a_tcp_socket_sets_options_then_listens_and_connects() {
    with_timeout(LIMIT, || {
        runtime(2, "tcp-socket").block_on(async {
            let server = TcpSocket::new_v4().unwrap();
            server.set_reuseaddr(true).unwrap();
            server.set_reuseport(true).unwrap();
            server.set_recv_buffer_size(128 * 1024).unwrap();
            server.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let listener = server.listen(128).unwrap();
            let addr = listener.local_addr().unwrap();

            let client = TcpSocket::new_v4().unwrap();
            client.set_nodelay(true).unwrap();
            client.set_keepalive(true).unwrap();
            client.set_linger(Some(Duration::from_secs(2))).unwrap();
            client.set_send_buffer_size(64 * 1024).unwrap();
            assert!(client.keepalive().unwrap());
            let (stream, accepted) = futures::join!(client.connect(addr), listener.accept());
            let mut stream = stream.unwrap();
            let (mut peer, _) = accepted.unwrap();
            assert!(stream.nodelay().unwrap());
            stream.write_all(b"ping").await.unwrap();
            let mut ping = [0u8; 4];
            peer.read_exact(&mut ping).await.unwrap();
            assert_eq!(&ping, b"ping");

            drop(listener);
            let refused = TcpSocket::new_v4()
                .unwrap()
                .connect(addr)
                .await
                .unwrap_err();
            assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        });
    });
}
