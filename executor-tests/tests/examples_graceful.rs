//! `examples/graceful.rs`: on a shutdown signal the server stops
//! accepting, lets connections in flight finish up to the deadline, closes
//! the rest, and reports it; and a real SIGTERM (in a child process) ends
//! it the same way.

#[allow(dead_code)]
#[path = "../../examples/graceful.rs"]
mod graceful;

use bobbin::net::{TcpListener, TcpStream};
use executor_tests::{
    LIMIT, assert_child_passed, is_child, run_this_test_as_child, runtime, with_timeout,
};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::time::Duration;

/// Connects and checks one echo round trip.
async fn connect_echoing(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"ping").await.unwrap();
    let mut pong = [0u8; 4];
    stream.read_exact(&mut pong).await.unwrap();
    assert_eq!(&pong, b"ping");
    stream
}

#[test]
fn connections_in_flight_finish_or_are_cut_off_at_the_deadline() {
    with_timeout(LIMIT, || {
        runtime(2, "graceful").block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (stop, stopped) = bobbin::channel::oneshot::<()>();
            let server = bobbin::spawn(graceful::serve(
                listener,
                async move {
                    let _ = stopped.await;
                    "test"
                },
                Duration::from_millis(300),
            ));
            let closed_early = connect_echoing(addr).await;
            drop(closed_early);
            let finishing = connect_echoing(addr).await;
            let mut lingering = connect_echoing(addr).await;
            bobbin::time::sleep(Duration::from_millis(20)).await;
            stop.send(()).unwrap();
            bobbin::time::sleep(Duration::from_millis(50)).await;
            // Stopped accepting: a new connection is refused.
            assert!(TcpStream::connect(addr).await.is_err());
            drop(finishing);
            let report = server.await.unwrap();
            assert_eq!(report.cause, "test");
            assert_eq!(report.accepted, 3);
            assert_eq!(report.in_flight, 2, "{report}");
            assert_eq!((report.finished, report.cut_off), (1, 1), "{report}");
            assert!(report.waited >= Duration::from_millis(300));
            // The cut-off connection was closed by the server.
            let mut rest = Vec::new();
            assert_eq!(lingering.read_to_end(&mut rest).await.unwrap(), 0);
        });
    });
}

#[test]
fn a_real_sigterm_stops_the_server() {
    if is_child() {
        runtime(2, "graceful-signal").block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let shutdown = graceful::shutdown_signal().unwrap();
            let server = bobbin::spawn(graceful::serve(listener, shutdown, Duration::from_secs(5)));
            let client = connect_echoing(addr).await;
            let pid = std::process::id().to_string();
            let kill = std::process::Command::new("kill")
                .args(["-s", "TERM", &pid])
                .status();
            assert!(kill.unwrap().success());
            bobbin::time::sleep(Duration::from_millis(50)).await;
            drop(client);
            let report = server.await.unwrap();
            assert_eq!(report.cause, "SIGTERM");
            assert_eq!((report.in_flight, report.finished), (1, 1), "{report}");
            println!("{report}");
        });
        println!("GRACEFUL-OK");
        return;
    }
    let output = run_this_test_as_child("a_real_sigterm_stops_the_server", &[], LIMIT);
    assert_child_passed(&output, "GRACEFUL-OK");
}
