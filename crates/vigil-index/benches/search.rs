//! Indexing throughput and search latency on synthetic sshd events.
//!
//! `VIGIL_BENCH_EVENTS` (default 200000) events over two days are indexed once,
//! committing every `VIGIL_BENCH_COMMIT_EVERY` (default 10000) events (throughput
//! printed), then criterion measures a term query, an `event.id` lookup, a full-text
//! phrase, a count, `stats count() by source.ip`, a two-key stats, a timechart and an
//! indexing batch.
//! After indexing, the on-disk size of the live segments is printed per event, in
//! total and per tantivy file kind. Events carry a unique UUIDv7-like `event.id`
//! (32 hex characters) and an `event.ingested` timestamp, like the server's.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use vigil_core::Event;
use vigil_index::{EventStore, IndexOptions, Indexer, Searcher, TimeRange};

const USERS: [&str; 8] = [
    "root", "admin", "oracle", "test", "ubuntu", "alice", "bob", "git",
];

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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
    // Received in journal order (~173 ms apart, like 1M events over two days), up to
    // ~17 min after the event; the id is a UUIDv7 of that instant (48-bit ms,
    // version 7, 12 random bits, variant, 62 random bits), as the server assigns.
    let ingest_ms = 1_767_226_600_000 + (seq as i64) * 173;
    let ingested = chrono::DateTime::from_timestamp_millis(ingest_ms).unwrap_or_default();
    let (r1, r2) = (splitmix(seq), splitmix(!seq));
    let id = format!(
        "{:012x}7{:03x}{:x}{:015x}",
        ingest_ms,
        r1 & 0xfff,
        8 + ((r1 >> 12) & 3),
        r2 >> 4
    );
    let v = json!({
        "@timestamp": vigil_core::time::format_timestamp(ts),
        "message": msg,
        "event": {
            "original": format!("{} host{} sshd[{pid}]: {msg}", ts.format("%b %d %H:%M:%S"), x % 10),
            "outcome": if failed { "failure" } else { "success" },
            "category": ["authentication"],
            "action": "ssh_login",
            "id": id,
            "ingested": vigil_core::time::format_timestamp(ingested),
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
    disk_usage(dir.path(), n);
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
    let id = event(n / 2).id().unwrap_or_default().to_string();
    let by_id = format!("event.id:{id}");
    assert_eq!(run(&by_id, 10).hits.len(), 1, "{by_id}");
    g.bench_function("lookup event.id:<id>", |b| b.iter(|| run(&by_id, 10)));
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

/// Prints the size of the live segments (those listed in each partition's meta.json).
fn disk_usage(dir: &std::path::Path, n: u64) {
    let mut by_ext: std::collections::BTreeMap<String, u64> = Default::default();
    let mut total = 0u64;
    let mut segments = 0;
    for part in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(meta) = std::fs::read_to_string(part.path().join("meta.json")) else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap_or_default();
        let live: Vec<String> = meta["segments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["segment_id"].as_str())
            .map(|id| id.replace('-', ""))
            .collect();
        segments += live.len();
        for f in std::fs::read_dir(part.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = f.file_name().to_string_lossy().into_owned();
            let Some((stem, ext)) = name.split_once('.') else {
                continue;
            };
            if live.iter().any(|id| id == stem) {
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                *by_ext.entry(ext.to_string()).or_default() += len;
                total += len;
            }
        }
    }
    let per = |b: u64| b as f64 / n.max(1) as f64;
    let detail: Vec<String> = by_ext
        .iter()
        .map(|(ext, b)| format!(".{ext} {:.1}", per(*b)))
        .collect();
    println!(
        "index size: {:.1} bytes/event ({}) in {segments} segments",
        per(total),
        detail.join(", ")
    );
}

fn batch_size() -> u64 {
    std::env::var("VIGIL_BENCH_COMMIT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}
