//! `examples/fan_out.rs`, run as a test so it does not rot: without a
//! deadline every item produced is collected exactly once; with a short
//! one the producer stops, what it sent still drains through, the run ends
//! promptly, and no task is left behind.

#[allow(dead_code)]
#[path = "../../examples/fan_out.rs"]
mod fan_out;

use executor_tests::{LIMIT, runtime, wait_until, with_timeout};
use std::time::Duration;

/// Checks what holds of every run: each item sent was collected exactly
/// once, by some worker.
fn assert_exactly_once(report: &fan_out::Report, config: &fan_out::Config) {
    assert_eq!(report.collected, report.produced, "{report}");
    assert_eq!(report.duplicates, 0, "{report}");
    assert_eq!(report.missing(), 0, "{report}");
    assert_eq!(
        report.checksum,
        fan_out::checksum(report.produced, config.rounds),
        "the results are those of items 0..{}: {report}",
        report.produced
    );
    assert_eq!(report.per_worker.len(), config.workers, "{report}");
    assert_eq!(
        report.per_worker.iter().sum::<u64>(),
        report.collected,
        "{report}"
    );
}

#[test]
fn fan_out_collects_every_item_exactly_once() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "fan-out");
        let config = fan_out::Config {
            items: 20_000,
            workers: 3,
            capacity: 8,
            rounds: 8,
            deadline: None,
        };
        let report = rt.block_on(fan_out::run(config));
        assert!(!report.cancelled, "{report}");
        assert_eq!(report.produced, 20_000, "{report}");
        assert_exactly_once(&report, &config);
        assert!(report.items_per_sec() > 0.0, "{report}");
        assert!(report.drain.is_none(), "{report}");
        let handle = rt.handle();
        wait_until(LIMIT / 2, "every task of the pipeline to end", || {
            handle.metrics().tasks_alive() == 0
        });
    });
}

#[test]
fn fan_out_deadline_stops_the_pipeline_promptly_and_drains_it() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "fan-out-deadline");
        let deadline = Duration::from_millis(50);
        // Far more items than 50 ms allow, even in a release build.
        let config = fan_out::Config {
            items: 1_000_000_000,
            workers: 4,
            capacity: 16,
            rounds: 8,
            deadline: Some(deadline),
        };
        let report = rt.block_on(fan_out::run(config));
        assert!(report.cancelled, "{report}");
        assert!(
            report.produced > 0 && report.produced < config.items,
            "{report}"
        );
        assert_exactly_once(&report, &config);
        // Promptly: the drain is at most two buffers and four items in
        // flight; the slack is for a loaded 2-core machine.
        let drain = report.drain.expect("a cancelled run measures its drain");
        assert!(drain < Duration::from_secs(2), "{report}");
        assert!(report.elapsed >= deadline, "{report}");
        assert!(
            report.elapsed < deadline + Duration::from_secs(2),
            "{report}"
        );
        let handle = rt.handle();
        wait_until(LIMIT / 2, "every task of the pipeline to end", || {
            handle.metrics().tasks_alive() == 0
        });
        assert!(handle.dump().tasks().is_empty(), "{}", handle.dump());
    });
}

#[test]
fn fan_out_deadline_after_the_last_item_cancels_nothing() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "fan-out-late");
        let config = fan_out::Config {
            items: 1_000,
            workers: 2,
            capacity: 4,
            rounds: 1,
            deadline: Some(LIMIT),
        };
        let report = rt.block_on(fan_out::run(config));
        assert!(!report.cancelled, "{report}");
        assert_eq!(report.produced, 1_000, "{report}");
        assert_exactly_once(&report, &config);
        assert!(report.drain.is_none(), "{report}");
    });
}
