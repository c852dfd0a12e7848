//! A TCP chat room: every line a client sends reaches every other client,
//! prefixed with the sender's name (`client-3: hello`); arrivals and
//! departures are announced (`* client-3 joined`, `* client-3 left`).
//!
//! Run with `cargo run --release --example chat [PORT] [--exit-after SECS]`
//! (port 0, the default, takes any free port; the address is printed), then
//! talk from a few terminals with `nc 127.0.0.1 PORT`. Without
//! `--exit-after` the server runs until it is killed; with it, it closes the
//! room after SECS seconds (each client is told, then disconnected) and
//! prints what it served, which is how scripted runs end.
//!
//! How it is built, Go style (share memory by communicating):
//! - the accept loop names each connection and spawns one task for it
//!   (`client-N`, visible by name in `handle.dump()`);
//! - a hub task owns the room: the list of clients, each with the sender of
//!   its outbox (a bounded channel). Client tasks send the hub what they
//!   read (`Event::Said`) and say when they leave (`Event::Left`); nothing
//!   else touches the list, so it needs no lock;
//! - each client task waits with `select!` on its socket (the next line)
//!   and its outbox (lines to write), and ends when either closes;
//! - the hub never waits on a client: it hands lines over with `try_send`,
//!   and a client whose outbox is full (it reads too slowly) is
//!   disconnected rather than allowed to stall the room. A write that takes
//!   longer than [`WRITE_TIMEOUT`] ends its client too;
//! - shutdown: the accept loop stops, the hub says goodbye and drops every
//!   outbox, so each client task ends, and a `WaitGroup` tells the server
//!   when the last one has.
//!
//! [`serve`] is the whole server and takes its shutdown signal as a future,
//! so `executor-tests/tests/examples_chat.rs` drives it with real clients.
//! Caveat: a line is buffered whole before it is relayed, with no length
//! limit; a real server would cap it.

use bobbin::channel::{self, Receiver, Sender};
use bobbin::net::{TcpListener, TcpStream};
use bobbin::sync::WaitGroup;
use bobbin::task::Builder;
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use futures::stream::StreamExt;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Lines that may wait for one client; a client that lets more pile up is
/// disconnected as too slow.
pub const OUTBOX_CAPACITY: usize = 64;

/// How long writing one line to a client may take before the client is
/// considered gone.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The line every client gets when the room closes.
pub const GOODBYE: &str = "* server shutting down";

fn main() {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("chat: {message}");
            eprintln!("usage: chat [PORT] [--exit-after SECS]");
            std::process::exit(2);
        }
    };
    let result = bobbin::block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
        let addr = listener.local_addr()?;
        println!(
            "chat listening on {addr}; connect with `nc {} {}`",
            addr.ip(),
            addr.port()
        );
        let shutdown = async move {
            match args.exit_after {
                Some(after) => bobbin::time::sleep(after).await,
                None => std::future::pending().await,
            }
        };
        io::Result::Ok(serve(listener, shutdown).await)
    });
    match result {
        Ok(summary) => println!("{summary}"),
        Err(err) => {
            eprintln!("chat: {err}");
            std::process::exit(1);
        }
    }
}

/// The command line: `[PORT] [--exit-after SECS]`.
#[derive(Debug, PartialEq)]
pub struct Args {
    /// The port to listen on, on 127.0.0.1; 0 takes any free port.
    pub port: u16,
    /// Close the room after this long; `None` runs until killed.
    pub exit_after: Option<Duration>,
}

/// Parses the arguments after the program's name; the error says what is
/// wrong with them.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 0,
        exit_after: None,
    };
    let mut port_seen = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--exit-after" {
            let value = args
                .next()
                .ok_or("--exit-after needs a number of seconds")?;
            let seconds: f64 = value
                .parse()
                .ok()
                .filter(|seconds: &f64| seconds.is_finite() && *seconds >= 0.0)
                .ok_or_else(|| format!("--exit-after takes a number of seconds, got {value:?}"))?;
            parsed.exit_after = Some(Duration::from_secs_f64(seconds));
        } else if !port_seen && !arg.starts_with('-') {
            parsed.port = arg
                .parse()
                .map_err(|_| format!("the port must be a number from 0 to 65535, got {arg:?}"))?;
            port_seen = true;
        } else {
            return Err(format!("unexpected argument {arg:?}"));
        }
    }
    Ok(parsed)
}

/// What a server did, from its start to its shutdown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Clients that joined.
    pub clients: u64,
    /// Lines clients sent (empty lines are not relayed, nor counted).
    pub lines: u64,
    /// Relayed lines written to outboxes: each line counts once per
    /// recipient.
    pub deliveries: u64,
    /// Clients disconnected because they read too slowly.
    pub too_slow: u64,
    /// From the start of [`serve`] to its return.
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "chat closed after {:.2?}: {} clients, {} lines relayed as {} deliveries, \
             {} dropped as too slow",
            self.elapsed, self.clients, self.lines, self.deliveries, self.too_slow
        )
    }
}

/// Runs a chat room on `listener` until `shutdown` completes; then tells
/// every client [`GOODBYE`], disconnects them, and returns once every task
/// it started has ended.
///
/// A failed accept is logged and the loop goes on: the listener's
/// `incoming` waits a little after one, so running out of file descriptors
/// does not spin.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()>) -> Summary {
    let started = Instant::now();
    let (events, hub_events) = channel::bounded(256);
    let hub = Builder::new().name("chat-hub").spawn(hub(hub_events));
    // Counts the client tasks, so shutdown can wait for the last one.
    let clients = WaitGroup::new();
    let mut incoming = listener.incoming();
    let mut shutdown = pin!(shutdown);
    let mut next_id = 1u64;
    loop {
        bobbin::select! {
            () = shutdown.as_mut() => break,
            Some(accepted) = incoming.next() => {
                // A client may be gone before its peer address is read.
                let accepted = accepted.and_then(|stream| {
                    let peer = stream.peer_addr()?;
                    Ok((stream, peer))
                });
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        eprintln!("accept failed: {err}");
                        continue;
                    }
                };
                let id = next_id;
                next_id += 1;
                let (outbox_tx, outbox) = channel::bounded(OUTBOX_CAPACITY);
                // Sent before the task starts, so the hub knows the client
                // before anything the client says.
                let joined = Event::Joined { id, peer, outbox: outbox_tx };
                if events.send(joined).await.is_err() {
                    break;
                }
                let token = clients.token();
                let events = events.clone();
                drop(Builder::new().name(&name_of(id)).spawn(async move {
                    client(id, stream, outbox, events).await;
                    token.done();
                }));
            }
        }
    }
    drop(incoming);
    drop(listener);
    // The hub says goodbye, drops every outbox and returns.
    let _ = events.send(Event::Shutdown).await;
    drop(events);
    let mut summary = hub.await.expect("the chat hub does not panic");
    clients.wait().await;
    summary.elapsed = started.elapsed();
    summary
}

/// The name a client goes by.
pub fn name_of(id: u64) -> String {
    format!("client-{id}")
}

/// What the accept loop and the client tasks tell the hub.
enum Event {
    /// A new connection; its task starts after this is sent.
    Joined {
        id: u64,
        peer: SocketAddr,
        outbox: Sender<Arc<str>>,
    },
    /// A line a client sent.
    Said { id: u64, line: String },
    /// A client task is ending, and why.
    Left { id: u64, reason: String },
    /// The server is closing.
    Shutdown,
}

/// One client, as the hub sees it.
struct Member {
    name: String,
    outbox: Sender<Arc<str>>,
}

/// The room: owned by the hub task alone.
#[derive(Default)]
struct Room {
    members: BTreeMap<u64, Member>,
    summary: Summary,
}

impl Room {
    /// Hands `line` to every member but `from`; returns how many got it.
    /// Members whose outbox is full are disconnected (their task sees the
    /// outbox close) and their departure announced.
    fn broadcast(&mut self, from: Option<u64>, line: &str) -> u64 {
        let line: Arc<str> = line.into();
        let mut delivered = 0;
        let mut too_slow = Vec::new();
        for (&id, member) in &self.members {
            if Some(id) == from {
                continue;
            }
            match member.outbox.try_send(line.clone()) {
                Ok(()) => delivered += 1,
                Err(err) if err.is_full() => too_slow.push(id),
                // Its task has ended; its `Left` is on the way.
                Err(_) => {}
            }
        }
        for id in too_slow {
            if let Some(member) = self.members.remove(&id) {
                member.outbox.close();
                self.summary.too_slow += 1;
                println!("{} disconnected: it reads too slowly", member.name);
                self.broadcast(None, &format!("* {} left (too slow)", member.name));
            }
        }
        delivered
    }

    fn join(&mut self, id: u64, peer: SocketAddr, outbox: Sender<Arc<str>>) {
        let name = name_of(id);
        let here: Vec<&str> = self.members.values().map(|m| m.name.as_str()).collect();
        let here = if here.is_empty() {
            "nobody else yet".to_owned()
        } else {
            here.join(", ")
        };
        // A fresh outbox has room for this line.
        let _ = outbox.try_send(format!("* welcome, you are {name}; here: {here}").into());
        self.broadcast(None, &format!("* {name} joined"));
        self.members.insert(id, Member { name, outbox });
        self.summary.clients += 1;
        println!(
            "{} joined from {peer} ({} online)",
            name_of(id),
            self.members.len()
        );
    }

    fn said(&mut self, id: u64, line: &str) {
        let Some(member) = self.members.get(&id) else {
            return; // dropped as too slow; its task has not noticed yet
        };
        let line = format!("{}: {line}", member.name);
        self.summary.lines += 1;
        self.summary.deliveries += self.broadcast(Some(id), &line);
    }

    fn left(&mut self, id: u64, reason: &str) {
        if let Some(member) = self.members.remove(&id) {
            println!(
                "{} left: {reason} ({} online)",
                member.name,
                self.members.len()
            );
            self.broadcast(None, &format!("* {} left", member.name));
        }
    }
}

/// The hub task: applies events to the room until told to shut down.
async fn hub(events: Receiver<Event>) -> Summary {
    let mut room = Room::default();
    while let Ok(event) = events.recv().await {
        match event {
            Event::Joined { id, peer, outbox } => room.join(id, peer, outbox),
            Event::Said { id, line } => room.said(id, &line),
            Event::Left { id, reason } => room.left(id, &reason),
            Event::Shutdown => break,
        }
    }
    room.broadcast(None, GOODBYE);
    // Dropping the room drops every outbox sender: each client task writes
    // what is buffered (the goodbye last) and ends.
    room.summary
}

/// One client's task: relays its lines to the hub and writes its outbox to
/// its socket, until either side closes; then tells the hub it left.
async fn client(id: u64, stream: TcpStream, outbox: Receiver<Arc<str>>, events: Sender<Event>) {
    let _ = stream.set_nodelay(true);
    let (reader, mut writer) = stream.into_split();
    // `Lines` keeps a partly read line inside the stream, so dropping a
    // `next()` that lost a `select!` loses nothing.
    let mut lines = BufReader::new(reader).lines();
    let reason = loop {
        bobbin::select! {
            line = lines.next() => match line {
                Some(Ok(line)) if line.trim().is_empty() => {}
                Some(Ok(line)) => {
                    if events.send(Event::Said { id, line }).await.is_err() {
                        break "the server is closing".to_owned();
                    }
                }
                Some(Err(err)) if err.kind() == io::ErrorKind::ConnectionReset => {
                    break "disconnected (connection reset)".to_owned();
                }
                Some(Err(err)) => break format!("read failed: {err}"),
                None => break "disconnected".to_owned(),
            },
            message = outbox.recv() => match message {
                Ok(line) => {
                    let line = format!("{line}\n");
                    let write = writer.write_all(line.as_bytes());
                    match bobbin::time::timeout(WRITE_TIMEOUT, write).await {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) => break format!("write failed: {err}"),
                        Err(_) => break format!("a write took over {WRITE_TIMEOUT:?}"),
                    }
                }
                // The hub dropped this client (shutdown, or too slow).
                Err(_) => break "disconnected by the server".to_owned(),
            },
        }
    };
    // Fails only once the hub is gone, when nobody needs to know.
    let _ = events.send(Event::Left { id, reason }).await;
}
