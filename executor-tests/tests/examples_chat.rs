//! `examples/chat.rs`, run as a test so it does not rot: three clients over
//! 127.0.0.1 see each other's lines with the sender's name, a departure is
//! announced and its task ends, and shutdown says goodbye, disconnects
//! everyone and leaves no task behind.

#[allow(dead_code)]
#[path = "../../examples/chat.rs"]
mod chat;

use bobbin::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use bobbin::net::{TcpListener, TcpStream};
use executor_tests::{LIMIT, runtime, wait_until, with_timeout};
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use futures::stream::StreamExt;
use std::net::SocketAddr;
use std::time::Duration;

/// How long a client waits for one line before the test fails with what
/// it expected.
const LINE_WAIT: Duration = Duration::from_secs(20);

/// A test client: its name, as the welcome line gave it, and both halves.
struct Client {
    name: String,
    lines: Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects and reads the welcome line, which names the client.
    async fn connect(addr: SocketAddr) -> Client {
        let (reader, writer) = TcpStream::connect(addr)
            .await
            .expect("connect to the chat server")
            .into_split();
        let mut client = Client {
            name: String::new(),
            lines: BufReader::new(reader).lines(),
            writer,
        };
        let welcome = client.line().await.expect("a welcome line");
        let name = welcome
            .strip_prefix("* welcome, you are ")
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("not a welcome line: {welcome:?}"));
        client.name = name.to_owned();
        client
    }

    /// The next line, or `None` at end of stream.
    async fn line(&mut self) -> Option<String> {
        bobbin::time::timeout(LINE_WAIT, self.lines.next())
            .await
            .unwrap_or_else(|_| panic!("{} waited {LINE_WAIT:?} for a line", self.name))
            .map(|line| line.expect("a readable line"))
    }

    async fn expect(&mut self, expected: &str) {
        let line = self.line().await;
        assert_eq!(line.as_deref(), Some(expected), "what {} read", self.name);
    }

    async fn say(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to the chat server");
    }
}

/// The names of the live tasks of `handle` that serve clients.
fn client_tasks(handle: &bobbin::runtime::Handle) -> Vec<String> {
    let mut names: Vec<String> = handle
        .dump()
        .tasks()
        .iter()
        .filter_map(|task| task.name())
        .filter(|name| name.starts_with("client-"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[test]
fn chat_relays_lines_announces_departures_and_ends_every_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chat");
        let handle = rt.handle();
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = bobbin::channel::oneshot::<()>();
        let server = rt.spawn(chat::serve(listener, async move {
            let _ = stopped.await;
        }));

        let (mut a, mut b) = rt.block_on(async {
            let mut a = Client::connect(addr).await;
            let mut b = Client::connect(addr).await;
            a.expect(&format!("* {} joined", b.name)).await;
            let mut c = Client::connect(addr).await;
            assert_ne!(a.name, b.name);
            assert_ne!(b.name, c.name);
            a.expect(&format!("* {} joined", c.name)).await;
            b.expect(&format!("* {} joined", c.name)).await;

            // A line reaches the two others, with its sender's name.
            a.say("hello").await;
            b.expect(&format!("{}: hello", a.name)).await;
            c.expect(&format!("{}: hello", a.name)).await;
            // Empty lines are not relayed.
            c.say("").await;
            c.say("bye").await;
            b.expect(&format!("{}: bye", c.name)).await;
            // `a` was not sent its own line: the next it reads is c's.
            a.expect(&format!("{}: bye", c.name)).await;

            // A departure is announced to those who stay...
            let leaver = c.name.clone();
            drop(c);
            a.expect(&format!("* {leaver} left")).await;
            b.expect(&format!("* {leaver} left")).await;
            (a, b)
        });
        // ...and its task ends, the others' go on.
        let (a_name, b_name) = (a.name.clone(), b.name.clone());
        wait_until(LINE_WAIT, "the departed client's task to end", || {
            client_tasks(&handle) == [a_name.clone(), b_name.clone()]
        });

        // Shutdown: everyone is told, then disconnected.
        stop.send(()).unwrap();
        rt.block_on(async {
            for client in [&mut a, &mut b] {
                client.expect(chat::GOODBYE).await;
                assert_eq!(client.line().await, None, "{} is disconnected", client.name);
            }
        });
        let summary = rt.block_on(server).expect("the server does not panic");
        assert_eq!(summary.clients, 3, "{summary}");
        assert_eq!(summary.lines, 2, "{summary}");
        assert_eq!(summary.deliveries, 4, "{summary}");
        assert_eq!(summary.too_slow, 0, "{summary}");
        wait_until(LINE_WAIT, "every task of the server to end", || {
            handle.metrics().tasks_alive() == 0
        });
    });
}

#[test]
fn chat_with_no_client_shuts_down_cleanly() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "chat-empty");
        let handle = rt.handle();
        let summary = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            let stop = bobbin::time::sleep(Duration::from_millis(20));
            chat::serve(listener, stop).await
        });
        assert_eq!(summary.clients, 0, "{summary}");
        assert!(summary.elapsed >= Duration::from_millis(20), "{summary}");
        wait_until(LINE_WAIT, "the hub to end", || {
            handle.metrics().tasks_alive() == 0
        });
    });
}

#[test]
fn chat_arguments_are_checked() {
    with_timeout(LIMIT, || {
        let parse = |args: &[&str]| chat::parse_args(args.iter().map(|arg| arg.to_string()));
        assert_eq!(
            parse(&[]),
            Ok(chat::Args {
                port: 0,
                exit_after: None
            })
        );
        assert_eq!(
            parse(&["7000", "--exit-after", "1.5"]),
            Ok(chat::Args {
                port: 7000,
                exit_after: Some(Duration::from_millis(1500))
            })
        );
        let err = parse(&["70000"]).unwrap_err();
        assert!(err.contains("from 0 to 65535"), "{err}");
        let err = parse(&["--exit-after", "soon"]).unwrap_err();
        assert!(err.contains("\"soon\""), "{err}");
        let err = parse(&["1", "2"]).unwrap_err();
        assert!(err.contains("unexpected argument \"2\""), "{err}");
    });
}
