//! An accept loop under descriptor exhaustion (`EMFILE`), in a child
//! process whose limit is lowered to 64 by re-executing it under
//! `sh -c 'ulimit -n 64'` (no `libc` needed), so filling the descriptor
//! table harms no other test. The loop is the one `TcpListener::incoming`
//! documents: log the error and continue. It must neither spin (each
//! `EMFILE` is followed by a back-off of 1 ms, doubling up to 1 s, so only
//! a handful of attempts fit in a window) nor die (once descriptors are
//! freed it accepts the connections that waited, and new ones).
//!
//! `src/net/tests.rs` checks the back-off schedule of the stream itself;
//! this test checks the loop as a user writes it, on a runtime with two
//! workers, through the public API.

#![cfg(target_os = "linux")]

use bobbin::net::TcpListener;
use executor_tests::{
    LIMIT, assert_child_passed, is_child, open_files_limit, reexec_with_open_files_limit,
    run_this_test_as_child, runtime, wait_until, with_timeout,
};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::stream::StreamExt;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

const FD_LIMIT: u64 = 64;
/// How long the loop is watched while descriptors are exhausted.
const WINDOW: Duration = Duration::from_millis(500);
/// Attempts the back-off allows in `WINDOW` (1 + 2 + 4 + ... + 256 ms fills
/// it with 9 waits, so at most 10 attempts), with slack for a late timer. A
/// loop that spun would make thousands.
const MAX_ATTEMPTS_IN_WINDOW: usize = 20;
const MARKER: &str = "CHILD: the accept loop backed off and recovered";
const EMFILE: i32 = 24;

#[test]
fn an_accept_loop_that_logs_emfile_and_continues_neither_spins_nor_dies() {
    if is_child() {
        reexec_with_open_files_limit(FD_LIMIT);
        assert_eq!(open_files_limit(), Some(FD_LIMIT));
        with_timeout(LIMIT - Duration::from_secs(10), emfile_child);
        println!("{MARKER}");
        return;
    }
    with_timeout(LIMIT, || {
        let output = run_this_test_as_child(
            "an_accept_loop_that_logs_emfile_and_continues_neither_spins_nor_dies",
            &[],
            LIMIT - Duration::from_secs(5),
        );
        assert_child_passed(&output, MARKER);
    });
}

fn emfile_child() {
    let rt = runtime(2, "net-emfile");
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    // Two connections complete in the backlog before anything is accepted.
    let mut waiting_clients: Vec<_> = (0..2)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();

    // Fill the descriptor table.
    let mut hogs = Vec::new();
    let err = loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => hogs.push(file),
            Err(err) => break err,
        }
    };
    assert_eq!(err.raw_os_error(), Some(EMFILE), "the table is full: {err}");

    // The accept loop, as the documentation of `incoming` writes it.
    let attempts = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let (accepted_tx, accepted_rx) = mpsc::channel();
    let acceptor = {
        let (attempts, errors) = (attempts.clone(), errors.clone());
        rt.spawn(async move {
            let mut incoming = listener.incoming();
            while let Some(stream) = incoming.next().await {
                attempts.fetch_add(1, SeqCst);
                match stream {
                    Ok(stream) => accepted_tx.send(stream).unwrap(),
                    Err(err) => {
                        // "Log" it and continue.
                        errors.lock().unwrap().push(err.raw_os_error());
                        continue;
                    }
                }
            }
        })
    };

    wait_until(LIMIT / 4, "the first EMFILE", || attempts.load(SeqCst) >= 1);
    let at_start = attempts.load(SeqCst);
    // Time is the point here: count the attempts over a window.
    std::thread::sleep(WINDOW);
    let in_window = attempts.load(SeqCst) - at_start;
    println!("CHILD: {in_window} attempts in {WINDOW:?} while out of descriptors");
    assert!(
        in_window <= MAX_ATTEMPTS_IN_WINDOW,
        "the accept loop made {in_window} attempts in {WINDOW:?} while out of descriptors: it \
         spins instead of backing off"
    );
    assert!(
        accepted_rx.try_recv().is_err(),
        "accepted a connection with no descriptor free"
    );
    {
        let errors = errors.lock().unwrap();
        assert!(!errors.is_empty());
        assert!(
            errors.iter().all(|&code| code == Some(EMFILE)),
            "errors other than EMFILE: {errors:?}"
        );
    }

    // Descriptors come back: the loop accepts the connections that waited,
    // within its current back-off (under a second).
    drop(hogs);
    let mut accepted: Vec<_> = (0..2)
        .map(|_| {
            accepted_rx.recv_timeout(LIMIT / 4).expect(
                "the accept loop died: it never accepted again after descriptors were freed",
            )
        })
        .collect();
    // They are connected to the clients that waited (in some order).
    for (i, client) in waiting_clients.iter_mut().enumerate() {
        client.write_all(&[i as u8]).unwrap();
    }
    let mut seen = Vec::new();
    for stream in &mut accepted {
        let mut byte = [0u8; 1];
        rt.block_on(stream.read_exact(&mut byte)).unwrap();
        seen.push(byte[0]);
        rt.block_on(stream.write_all(b"ok")).unwrap();
    }
    seen.sort();
    assert_eq!(seen, [0, 1]);
    for client in &mut waiting_clients {
        client.set_read_timeout(Some(LIMIT / 4)).unwrap();
        let mut reply = [0u8; 2];
        client.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"ok");
    }

    // And a new connection is accepted as usual.
    let errors_before = errors.lock().unwrap().len();
    let _late = std::net::TcpStream::connect(addr).unwrap();
    let late = accepted_rx
        .recv_timeout(LIMIT / 4)
        .expect("a new connection was not accepted after the recovery");
    assert!(late.peer_addr().unwrap().ip().is_loopback());
    assert_eq!(
        errors.lock().unwrap().len(),
        errors_before,
        "errors after the recovery"
    );
    // The loop is cancelled with the runtime, or (if a worker polled it as
    // the shutdown began) `incoming()` yielded the shutdown error and ended.
    drop(rt);
    if let Err(err) = futures::executor::block_on(acceptor) {
        assert!(err.is_cancelled(), "{err}");
    }
}
