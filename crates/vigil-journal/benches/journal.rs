//! Journal throughput: appending 1000-event batches of realistic ~300-byte JSON events (with
//! and without fsync), and verifying a journal.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vigil_journal::{verify, Journal, JournalOptions};

const BATCH: usize = 1000;

/// A canonical (compact, sorted keys) ~300-byte event.
fn event(i: u64) -> Vec<u8> {
    format!(
        concat!(
            r#"{{"@timestamp":"2024-05-01T12:{:02}:{:02}.{:03}Z","event":{{"dataset":"sshd","id":"0190a1b2c3d4e5f6{:016x}","kind":"event"}},"#,
            r#""host":{{"name":"web-{:02}"}},"log":{{"syslog":{{"facility":{{"code":4}}}}}},"#,
            r#""message":"Failed password for invalid user admin{} from 203.0.113.{} port {} ssh2","#,
            r#""source":{{"ip":"203.0.113.{}"}},"user":{{"name":"admin{}"}}}}"#
        ),
        (i / 60) % 60,
        i % 60,
        i % 1000,
        i,
        i % 17,
        i % 97,
        i % 251,
        1024 + i % 60000,
        i % 251,
        i % 97
    )
    .into_bytes()
}

fn batches(n_batches: usize) -> Vec<Vec<Vec<u8>>> {
    (0..n_batches)
        .map(|b| (0..BATCH).map(|i| event((b * BATCH + i) as u64)).collect())
        .collect()
}

fn bench_append(c: &mut Criterion) {
    let data = batches(20);
    let bytes: usize = data.iter().flatten().map(Vec::len).sum();
    let mut group = c.benchmark_group("append");
    group.sample_size(10);
    group.throughput(Throughput::Elements((data.len() * BATCH) as u64));
    for fsync in [false, true] {
        let name = if fsync {
            "20x1000 events, fsync"
        } else {
            "20x1000 events, no fsync"
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("temp dir"),
                |dir| {
                    let mut j = Journal::open(
                        dir.path(),
                        JournalOptions {
                            fsync,
                            ..JournalOptions::default()
                        },
                    )
                    .expect("open");
                    for batch in &data {
                        let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
                        black_box(j.append(&refs).expect("append"));
                    }
                    j.checkpoint(chrono::Utc::now()).expect("checkpoint");
                    dir
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
    eprintln!(
        "(average event size: {} bytes)",
        bytes / (data.len() * BATCH)
    );
}

fn bench_verify(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = batches(200);
    {
        let mut j = Journal::open(
            dir.path(),
            JournalOptions {
                fsync: false,
                ..JournalOptions::default()
            },
        )
        .expect("open");
        for (k, batch) in data.iter().enumerate() {
            let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
            j.append(&refs).expect("append");
            if k % 10 == 9 {
                j.checkpoint(chrono::Utc::now()).expect("checkpoint");
            }
        }
        j.checkpoint(chrono::Utc::now()).expect("checkpoint");
    }
    let mut group = c.benchmark_group("verify");
    group.sample_size(10);
    group.throughput(Throughput::Elements((data.len() * BATCH) as u64));
    group.bench_function("200k events", |b| {
        b.iter(|| {
            let report = verify(dir.path(), None, &mut |_| {}).expect("verify");
            assert!(report.failure.is_none());
            black_box(report.records_checked)
        });
    });
    group.bench_function("open (reindex from headers)", |b| {
        b.iter(|| {
            black_box(
                Journal::open(dir.path(), JournalOptions::default())
                    .expect("open")
                    .len(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bench_append, bench_verify);
criterion_main!(benches);
