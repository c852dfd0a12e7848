//! A crawler with bounded concurrency: at most K fetches in flight, held
//! there by a `sync::Semaphore`, with the fetches in a `task::JoinSet`.
//!
//! Run with `cargo run --release --example crawler [K]` (default 4). It
//! starts a small web of its own, three HTTP/1.0 servers on 127.0.0.1
//! serving 60 linked pages (each response delayed 10 ms, as a far server
//! would be), and crawls it from `/page/0` three times, with at most 1, K
//! and 4K fetches in flight; for each it prints the pages visited, the
//! broken links, the most fetches seen in flight (by the crawler and by
//! the servers; never above the limit) and the time taken. Nothing leaves
//! the machine.
//!
//! How the crawl works: the crawling task keeps the set of URLs seen and a
//! `JoinSet` of fetch tasks. It spawns a fetch for each new URL at once,
//! however many there are; each fetch first takes a permit of the
//! semaphore (K permits), so at most K connect, send and read at a time,
//! and the others wait in the semaphore's FIFO queue. As each fetch ends,
//! `join_next` hands its page back, and the links not seen before become
//! new fetches; the crawl ends when the set is empty. Each fetch has a
//! timeout, so a server that never answers costs one broken link, not a
//! stuck crawl.
//!
//! [`run`] takes a [`Config`] and returns a [`Report`], and the web's
//! shape is [`links_of`], so `executor-tests/tests/examples_crawler.rs`
//! can check that every reachable page was fetched exactly once.

use bobbin::net::{TcpListener, TcpStream};
use bobbin::sync::Semaphore;
use bobbin::task::{Builder, JoinSet};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::stream::StreamExt;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one fetch may take, waiting for its permit excluded.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response a fetch reads.
const MAX_RESPONSE: u64 = 64 * 1024;

fn main() {
    let limit = match std::env::args().nth(1) {
        None => 4,
        Some(arg) => match arg.parse::<usize>() {
            Ok(limit) if limit > 0 => limit,
            _ => {
                eprintln!("crawler: K must be a whole number of at least 1, got {arg:?}");
                eprintln!("usage: crawler [K]");
                std::process::exit(2);
            }
        },
    };
    let config = Config {
        limit,
        ..Config::default()
    };
    println!(
        "crawler: {} pages on {} local servers, {:?} per response",
        config.pages, config.servers, config.latency
    );
    bobbin::block_on(async {
        for limit in [1, limit, limit * 4] {
            let report = match run(Config { limit, ..config }).await {
                Ok(report) => report,
                Err(err) => {
                    eprintln!("crawler: cannot start the servers: {err}");
                    std::process::exit(1);
                }
            };
            println!("{report}");
            if limit == config.limit {
                let servers: Vec<String> = report.servers.iter().map(|s| s.to_string()).collect();
                println!("  servers: {}", servers.join(" "));
                let order: Vec<String> = report.visited.iter().map(|url| short(url)).collect();
                println!("  pages in the order visited: {}", order.join(" "));
                let broken: Vec<String> = report.broken.iter().map(|url| short(url)).collect();
                println!("  broken links: {}", broken.join(", "));
            }
        }
    });
}

/// A URL of this web as its page number, and what follows it (the
/// reason a broken link is broken).
fn short(url: &str) -> String {
    match url.rsplit_once("/page/") {
        Some((_, page)) => page.to_owned(),
        None => url.to_owned(),
    }
}

/// The web to start and how to crawl it.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Servers the pages are spread over (page `n` lives on server
    /// `n % servers`).
    pub servers: usize,
    /// Pages, numbered from 0; the crawl starts at page 0.
    pub pages: u64,
    /// How long a server takes to answer.
    pub latency: Duration,
    /// The most fetches in flight at once (K).
    pub limit: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            servers: 3,
            pages: 60,
            latency: Duration::from_millis(10),
            limit: 4,
        }
    }
}

/// What one crawl did, as the crawler and as the servers saw it.
#[derive(Clone, Debug)]
pub struct Report {
    /// The fetch limit (K).
    pub limit: usize,
    /// The servers' addresses.
    pub servers: Vec<SocketAddr>,
    /// URLs fetched with success, in the order their fetches ended.
    pub visited: Vec<String>,
    /// URLs that could not be fetched, each with why.
    pub broken: Vec<String>,
    /// The most fetches the crawler had in flight at once.
    pub max_in_flight: usize,
    /// The most requests the servers were serving at once, all together.
    pub server_max_in_flight: usize,
    /// Requests the servers received, by path.
    pub server_hits: BTreeMap<String, u32>,
    /// From the first fetch to the end of the crawl.
    pub elapsed: Duration,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "limit {:>2}: visited {} pages ({} broken links) in {:.2?}; \
             at most {} fetches in flight (the servers saw {})",
            self.limit,
            self.visited.len(),
            self.broken.len(),
            self.elapsed,
            self.max_in_flight,
            self.server_max_in_flight
        )
    }
}

/// The pages page `page` links to: its children in a binary tree, its
/// parent, a page further on (the web has cycles), and every tenth page a
/// page that does not exist. Pages whose number is 12 mod 13 are unlisted:
/// no page links to them, so only those reachable otherwise are crawled.
pub fn links_of(page: u64, pages: u64) -> Vec<u64> {
    let mut links = vec![2 * page + 1, 2 * page + 2, page / 2, (page * 7 + 3) % pages];
    links.retain(|&link| link < pages && link != page && link % 13 != 12);
    if page % 10 == 7 {
        links.push(pages + page); // a broken link
    }
    links
}

/// The page number in a URL of this web (`http://ADDR/page/N`).
pub fn page_of(url: &str) -> Option<u64> {
    url.rsplit_once("/page/")?.1.parse().ok()
}

/// Starts the web of `config`, crawls it from page 0 with at most
/// `config.limit` fetches in flight, stops the web and reports. Every
/// task it started has ended, or is ending, when it returns.
///
/// # Errors
/// If a server cannot bind its socket.
///
/// # Panics
/// If `config.limit`, `config.servers` or `config.pages` is 0.
pub async fn run(config: Config) -> io::Result<Report> {
    assert!(
        config.limit > 0 && config.servers > 0 && config.pages > 0,
        "a crawl needs a limit, servers and pages of at least 1, got {config:?}"
    );
    let web = Web::start(config).await?;
    let root = web.url_of(0);
    let started = Instant::now();
    let crawl = crawl(root, config.limit).await;
    let elapsed = started.elapsed();
    Ok(Report {
        limit: config.limit,
        servers: web.addrs.to_vec(),
        visited: crawl.visited,
        broken: crawl.broken,
        max_in_flight: crawl.max_in_flight,
        server_max_in_flight: web.gauge.max(),
        server_hits: web.hits.lock().expect("not poisoned").clone(),
        elapsed,
    })
    // Dropping `web` drops its JoinSet, which aborts the accept loops.
}

/// What [`crawl`] found.
struct Crawl {
    visited: Vec<String>,
    broken: Vec<String>,
    max_in_flight: usize,
}

/// Crawls from `root` with at most `limit` fetches in flight.
async fn crawl(root: String, limit: usize) -> Crawl {
    let permits = Arc::new(Semaphore::new(limit));
    let in_flight = Arc::new(Gauge::default());
    let mut fetches = JoinSet::new();
    let mut seen = HashSet::new();
    let mut found = Crawl {
        visited: Vec::new(),
        broken: Vec::new(),
        max_in_flight: 0,
    };
    seen.insert(root.clone());
    fetches.spawn(fetch(root, permits.clone(), in_flight.clone()));
    while let Some(joined) = fetches.join_next().await {
        let (url, result) = joined.expect("a fetch does not panic");
        match result {
            Ok(links) => {
                found.visited.push(url);
                for link in links {
                    if seen.insert(link.clone()) {
                        fetches.spawn(fetch(link, permits.clone(), in_flight.clone()));
                    }
                }
            }
            Err(why) => found.broken.push(format!("{url} ({why})")),
        }
    }
    found.max_in_flight = in_flight.max();
    found
}

/// Fetches `url` once a permit is free; returns the links of the page, or
/// why it could not be had.
async fn fetch(
    url: String,
    permits: Arc<Semaphore>,
    in_flight: Arc<Gauge>,
) -> (String, Result<Vec<String>, String>) {
    let _permit = permits
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    let _counted = in_flight.enter();
    let result = match bobbin::time::timeout(FETCH_TIMEOUT, get(&url)).await {
        Ok(Ok(response)) => parse_page(&response),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no answer within {FETCH_TIMEOUT:?}")),
    };
    (url, result)
}

/// Sends `GET` for `url` (`http://ADDR/PATH`) and reads the whole
/// response, up to [`MAX_RESPONSE`] bytes.
async fn get(url: &str) -> io::Result<String> {
    let invalid = || io::Error::new(io::ErrorKind::InvalidInput, format!("not a URL: {url}"));
    let rest = url.strip_prefix("http://").ok_or_else(invalid)?;
    let (host, path) = rest.split_at(rest.find('/').ok_or_else(invalid)?);
    let addr: SocketAddr = host.parse().map_err(|_| invalid())?;
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    (&mut stream)
        .take(MAX_RESPONSE)
        .read_to_string(&mut response)
        .await?;
    Ok(response)
}

/// The links of a `200 OK` response (its `link: URL` lines), or the status
/// of any other.
fn parse_page(response: &str) -> Result<Vec<String>, String> {
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or("a response without a blank line after its head")?;
    let status_line = head.lines().next().unwrap_or_default();
    // "404 Not Found" from "HTTP/1.0 404 Not Found".
    let status = status_line
        .split_once(' ')
        .map_or(status_line, |(_, status)| status);
    if !status.starts_with("200 ") {
        return Err(status.to_owned());
    }
    Ok(body
        .lines()
        .filter_map(|line| line.strip_prefix("link: "))
        .map(str::to_owned)
        .collect())
}

/// Counts what is in flight now and remembers the most at once.
#[derive(Debug, Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Gauge {
    /// Counts one in until the guard is dropped.
    fn enter(self: &Arc<Self>) -> GaugeGuard {
        // Relaxed: only the counts matter; no other data is published
        // through them.
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.max.fetch_max(now, Ordering::Relaxed);
        GaugeGuard(self.clone())
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::Relaxed)
    }
}

struct GaugeGuard(Arc<Gauge>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The local web: one listener per server, an accept loop each.
struct Web {
    addrs: Arc<[SocketAddr]>,
    /// Requests being served, by all servers together.
    gauge: Arc<Gauge>,
    hits: Arc<Mutex<BTreeMap<String, u32>>>,
    /// The accept loops; dropping the set aborts them.
    _servers: JoinSet<()>,
}

impl Web {
    /// Binds every server first (pages link across servers, so each needs
    /// all the addresses), then starts their accept loops.
    async fn start(config: Config) -> io::Result<Web> {
        let mut listeners = Vec::new();
        for _ in 0..config.servers {
            listeners.push(TcpListener::bind("127.0.0.1:0").await?);
        }
        let addrs = listeners
            .iter()
            .map(TcpListener::local_addr)
            .collect::<io::Result<Arc<[SocketAddr]>>>()?;
        let gauge = Arc::new(Gauge::default());
        let hits = Arc::new(Mutex::new(BTreeMap::new()));
        let mut servers = JoinSet::new();
        for (index, listener) in listeners.into_iter().enumerate() {
            let server = Server {
                addrs: addrs.clone(),
                pages: config.pages,
                latency: config.latency,
                gauge: gauge.clone(),
                hits: hits.clone(),
            };
            let name = format!("server-{index}");
            servers.spawn(async move {
                // `incoming` waits a little after a failed accept, so
                // running out of file descriptors does not spin.
                let mut incoming = listener.incoming();
                while let Some(accepted) = incoming.next().await {
                    if let Ok(stream) = accepted {
                        let server = server.clone();
                        drop(Builder::new().name(&name).spawn(server.answer(stream)));
                    }
                }
            });
        }
        Ok(Web {
            addrs,
            gauge,
            hits,
            _servers: servers,
        })
    }

    fn url_of(&self, page: u64) -> String {
        url_of(&self.addrs, page)
    }
}

/// The URL of `page` on the web whose servers are at `addrs`.
fn url_of(addrs: &[SocketAddr], page: u64) -> String {
    let server = addrs[(page % addrs.len() as u64) as usize];
    format!("http://{server}/page/{page}")
}

/// What a server needs to answer a request.
#[derive(Clone)]
struct Server {
    addrs: Arc<[SocketAddr]>,
    pages: u64,
    latency: Duration,
    gauge: Arc<Gauge>,
    hits: Arc<Mutex<BTreeMap<String, u32>>>,
}

impl Server {
    /// Answers one request on `stream`, then closes it.
    async fn answer(self, mut stream: TcpStream) {
        let counted = self.gauge.enter();
        if let Ok(path) = read_request(&mut stream).await {
            *self
                .hits
                .lock()
                .expect("not poisoned")
                .entry(path.clone())
                .or_default() += 1;
            bobbin::time::sleep(self.latency).await;
            let _ = stream.write_all(self.page(&path).as_bytes()).await;
        }
        // Out of the gauge before the stream closes: the client's read
        // ends, and its permit is released, only after that, so the
        // servers' count is never above the crawler's limit.
        drop(counted);
        drop(stream);
    }

    /// The response for `path`: a page of links, or a 404.
    fn page(&self, path: &str) -> String {
        match page_of(path).filter(|&page| page < self.pages) {
            Some(page) => {
                let mut body = format!("page {page}\n");
                for link in links_of(page, self.pages) {
                    body += &format!("link: {}\n", url_of(&self.addrs, link));
                }
                format!("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n{body}")
            }
            None => "HTTP/1.0 404 Not Found\r\n\r\nno such page\n".to_owned(),
        }
    }
}

/// Reads a request head (up to its blank line) and returns its path.
async fn read_request(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut buffer = [0; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await?;
        if read == 0 || head.len() + read > 8 * 1024 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.split_whitespace();
    match (words.next(), words.next()) {
        (Some("GET"), Some(path)) => Ok(path.to_owned()),
        _ => Err(io::ErrorKind::InvalidData.into()),
    }
}
