//! Throughput of the fact readers on generated data in the MTAs' real formats:
//! `cargo bench`. For the side-by-side comparison with the articles' shell pipelines,
//! see `scripts/bench` and BENCHMARKS.md. Sizes: BENCH_MESSAGES (default 20000) and
//! BENCH_LOG_MB (default 200).

use std::time::Instant;

use runbook::dev::exim_gen;
use runbook::facts::Facts;
use runbook::host::Host;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Best of three runs, in seconds.
fn best(mut f: impl FnMut()) -> f64 {
    f(); // warm the page cache
    (0..3)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let messages = env("BENCH_MESSAGES", 20_000);
    let log_mb = env("BENCH_LOG_MB", 200);
    let dir = tempfile::tempdir_in("/var/tmp").expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/sbin")).unwrap();
    std::fs::write(root.join("usr/sbin/exim4"), "").unwrap();
    std::fs::create_dir_all(root.join("var/log/exim4")).unwrap();
    exim_gen::spool(&root.join("var/spool/exim4"), messages, false, false).unwrap();
    exim_gen::mainlog(&root.join("var/log/exim4/mainlog"), log_mb * 1_000_000).unwrap();
    let host = Host::new(root);

    let queue = best(|| {
        let total = Facts::new(&host).get("queue.total").cloned();
        assert_eq!(total, Some(serde_json::json!(messages)));
    });
    println!(
        "exim queue: {messages} messages in {queue:.3} s ({:.0} messages/s)",
        messages as f64 / queue
    );

    let log = best(|| {
        let facts = Facts::new(&host);
        assert!(
            facts
                .get("log.failures.spam")
                .is_some_and(|v| v.as_u64() > Some(0))
        );
    });
    println!(
        "exim mainlog: {log_mb} MB in {log:.3} s ({:.0} MB/s)",
        log_mb as f64 / log
    );
}
