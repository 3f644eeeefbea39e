//! Indexing throughput and search latency on synthetic sshd events.
//!
//! `VIGIL_BENCH_EVENTS` (default 200000) events over two days are indexed once,
//! committing every `VIGIL_BENCH_COMMIT_EVERY` (default 10000) events (throughput
//! printed), then criterion measures a term query, a full-text phrase, a count,
//! `stats count() by source.ip`, a two-key stats, a timechart and an indexing batch.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use vigil_core::Event;
use vigil_index::{EventStore, IndexOptions, Indexer, Searcher, TimeRange};

const USERS: [&str; 8] = [
    "root", "admin", "oracle", "test", "ubuntu", "alice", "bob", "git",
];

fn event(seq: u64) -> Event {
    let x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let user = USERS[(x % USERS.len() as u64) as usize];
    let ip = format!("10.{}.{}.{}", (x >> 8) % 4, (x >> 16) % 40, (x >> 24) % 50);
    let secs = 1_767_225_600 + (seq * 172_800) / 1_000_000 + (seq % 1000);
    let ts = chrono::DateTime::from_timestamp(secs as i64, 0).unwrap_or_default();
    let failed = x % 10 < 7;
    let port = 1024 + (x >> 32) % 60_000;
    let pid = 1000 + (x >> 40) % 30_000;
    let msg = if failed {
        format!("Failed password for {user} from {ip} port {port} ssh2")
    } else {
        format!("Accepted password for {user} from {ip} port {port} ssh2")
    };
    let v = json!({
        "@timestamp": vigil_core::time::format_timestamp(ts),
        "message": msg,
        "event": {
            "original": format!("{} host{} sshd[{pid}]: {msg}", ts.format("%b %d %H:%M:%S"), x % 10),
            "outcome": if failed { "failure" } else { "success" },
            "category": ["authentication"],
            "action": "ssh_login",
            "id": format!("{seq:032x}"),
        },
        "user": {"name": user},
        "source": {"ip": ip, "port": port},
        "host": {"name": format!("host{}", x % 10)},
        "process": {"name": "sshd", "pid": pid},
        "tags": ["ssh"],
    });
    Event::from_map(v.as_object().cloned().unwrap_or_default())
}

struct Synthetic;

impl EventStore for Synthetic {
    fn fetch(&self, seqs: &[u64]) -> Result<Vec<Event>, String> {
        Ok(seqs.iter().map(|s| event(*s)).collect())
    }
}

fn index_events(dir: &std::path::Path, n: u64) -> (Indexer, f64) {
    let mut ix = Indexer::open(dir, IndexOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut busy = 0.0;
    let mut in_commit = 0.0;
    let mut seq = 0;
    while seq < n {
        let batch: Vec<Event> = (seq..(seq + batch_size()).min(n)).map(event).collect();
        let t = Instant::now();
        for e in &batch {
            ix.add(seq, e).unwrap_or_else(|e| panic!("{e}"));
            seq += 1;
        }
        let c = Instant::now();
        ix.commit().unwrap_or_else(|e| panic!("{e}"));
        in_commit += c.elapsed().as_secs_f64();
        busy += t.elapsed().as_secs_f64();
    }
    println!("  of which {in_commit:.2} s waiting in commit");
    (ix, busy)
}

fn benches(c: &mut Criterion) {
    let n: u64 = std::env::var("VIGIL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (ix, secs) = index_events(dir.path(), n);
    println!(
        "indexed {n} events in {secs:.2} s (add + commit every {}): {:.0} events/s",
        batch_size(),
        n as f64 / secs
    );
    let searcher: Searcher = ix.searcher();
    let store = Synthetic;
    let run = |q: &str, limit: usize| {
        searcher
            .search(q, TimeRange::all(), limit, &store)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
    };
    let r = run("* | stats count() by source.ip", 0);
    println!(
        "stats count() by source.ip: {} groups over {} events",
        r.rows.len(),
        r.total
    );

    let mut g = c.benchmark_group("search");
    g.sample_size(20);
    g.bench_function("term user.name:root (100 hits)", |b| {
        b.iter(|| run("user.name:root", 100))
    });
    g.bench_function("phrase \"failed password\" (100 hits)", |b| {
        b.iter(|| run("\"failed password\"", 100))
    });
    g.bench_function("count only: event.outcome:failure", |b| {
        b.iter(|| run("event.outcome:failure", 0))
    });
    g.bench_function("stats count() by source.ip", |b| {
        b.iter(|| run("* | stats count() by source.ip", 0))
    });
    g.bench_function("stats count() by user.name, event.outcome", |b| {
        b.iter(|| run("* | stats count() by user.name, event.outcome", 0))
    });
    g.bench_function("timechart span=1h count() by event.outcome", |b| {
        b.iter(|| run("* | timechart span=1h count() by event.outcome", 0))
    });
    g.finish();
    drop(ix);

    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    let batch = 20_000u64;
    g.throughput(Throughput::Elements(batch));
    let events: Vec<Event> = (0..batch).map(event).collect();
    g.bench_function("add + commit 20k events", |b| {
        b.iter_with_setup(
            || tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
            |d| {
                let mut ix = Indexer::open(d.path(), IndexOptions::default())
                    .unwrap_or_else(|e| panic!("{e}"));
                for (i, e) in events.iter().enumerate() {
                    ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
                }
                ix.commit().unwrap_or_else(|e| panic!("{e}"));
                d
            },
        )
    });
    g.finish();
}

criterion_group!(search, benches);
criterion_main!(search);

fn batch_size() -> u64 {
    std::env::var("VIGIL_BENCH_COMMIT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}
