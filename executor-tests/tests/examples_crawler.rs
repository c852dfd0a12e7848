//! `examples/crawler.rs`, run as a test so it does not rot: every page
//! reachable from the root is fetched exactly once (by the crawler's count
//! and by the servers'), unreachable pages never, broken links reported,
//! and no more than K fetches are ever in flight.

#[allow(dead_code)]
#[path = "../../examples/crawler.rs"]
mod crawler;

use executor_tests::{LIMIT, runtime, wait_until, with_timeout};
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

/// The pages reachable from page 0 (existing ones: `< pages`), and the
/// broken links found on the way (`>= pages`), by a breadth-first search
/// over the web's links.
fn reachable(pages: u64) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let mut found = BTreeSet::from([0]);
    let mut broken = BTreeSet::new();
    let mut queue = VecDeque::from([0]);
    while let Some(page) = queue.pop_front() {
        for link in crawler::links_of(page, pages) {
            if link >= pages {
                broken.insert(link);
            } else if found.insert(link) {
                queue.push_back(link);
            }
        }
    }
    (found, broken)
}

/// Crawls a web of `config` on a 2-worker runtime and checks the report.
fn crawl_and_check(config: crawler::Config) -> crawler::Report {
    let rt = runtime(2, "crawler");
    let report = rt
        .block_on(crawler::run(config))
        .expect("the servers start");
    let (expected, expected_broken) = reachable(config.pages);
    assert!(
        expected.len() < config.pages as usize,
        "the web has unreachable pages, which the crawl must not visit"
    );

    // Each reachable page visited once, and nothing else.
    let visited: Vec<u64> = report
        .visited
        .iter()
        .map(|url| crawler::page_of(url).expect("a page URL"))
        .collect();
    let distinct: BTreeSet<u64> = visited.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        visited.len(),
        "a page visited twice: {visited:?}"
    );
    assert_eq!(distinct, expected, "{report}");
    let broken: BTreeSet<u64> = report
        .broken
        .iter()
        .map(|url| crawler::page_of(url.split(' ').next().unwrap()).expect("a page URL"))
        .collect();
    assert_eq!(broken, expected_broken, "{:?}", report.broken);
    assert!(
        report.broken.iter().all(|why| why.contains("404")),
        "{:?}",
        report.broken
    );

    // The servers agree: one request per page reached, broken links included.
    let hits: BTreeSet<u64> = report
        .server_hits
        .iter()
        .map(|(path, &count)| {
            assert_eq!(count, 1, "{path} was requested {count} times");
            crawler::page_of(path).expect("a page path")
        })
        .collect();
    let all: BTreeSet<u64> = expected.union(&expected_broken).copied().collect();
    assert_eq!(hits, all);

    // Never more than K at once, as either side saw it.
    assert!(report.max_in_flight >= 1, "{report}");
    assert!(report.max_in_flight <= config.limit, "{report}");
    assert!(report.server_max_in_flight <= config.limit, "{report}");

    let handle = rt.handle();
    wait_until(LIMIT / 2, "every fetch and server task to end", || {
        handle.metrics().tasks_alive() == 0
    });
    report
}

#[test]
fn crawler_visits_every_reachable_page_once_with_at_most_k_in_flight() {
    with_timeout(LIMIT, || {
        let report = crawl_and_check(crawler::Config {
            servers: 3,
            pages: 60,
            latency: Duration::from_millis(5),
            limit: 4,
        });
        // With 5 ms per answer and dozens of pages waiting, the limit is
        // reached: the fetches do overlap.
        assert!(report.max_in_flight >= 2, "{report}");
    });
}

#[test]
fn crawler_with_a_limit_of_one_fetches_one_at_a_time() {
    with_timeout(LIMIT, || {
        let report = crawl_and_check(crawler::Config {
            servers: 2,
            pages: 30,
            latency: Duration::ZERO,
            limit: 1,
        });
        assert_eq!(report.max_in_flight, 1, "{report}");
        assert_eq!(report.server_max_in_flight, 1, "{report}");
    });
}

#[test]
fn crawler_with_a_limit_above_the_web_is_bounded_by_the_web() {
    with_timeout(LIMIT, || {
        crawl_and_check(crawler::Config {
            servers: 1,
            pages: 40,
            latency: Duration::from_millis(1),
            limit: 1_000,
        });
    });
}
