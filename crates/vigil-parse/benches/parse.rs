//! Throughput of `parse_line` over the loghub OpenSSH sample (2,000 real sshd lines).
//! Data: `$VIGIL_TEST_DATA/loghub/OpenSSH/OpenSSH_2k.log` (default `../../../shared/data`
//! from the crate directory).

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vigil_parse::{parse_line, ParseContext};

fn data_dir() -> PathBuf {
    std::env::var_os("VIGIL_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn bench_openssh(c: &mut Criterion) {
    let path = data_dir().join("loghub/OpenSSH/OpenSSH_2k.log");
    let Ok(data) = std::fs::read(&path) else {
        eprintln!(
            "skipping: {} not found (set VIGIL_TEST_DATA)",
            path.display()
        );
        return;
    };
    let lines: Vec<&[u8]> = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let received = DateTime::parse_from_rfc3339("2017-01-15T00:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let ctx = ParseContext::new(received);
    let bytes: usize = lines.iter().map(|l| l.len()).sum();

    let mut group = c.benchmark_group("parse_line/openssh_2k");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("lines", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(parse_line(black_box(line), &ctx));
            }
        })
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("bytes", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(parse_line(black_box(line), &ctx));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_openssh);
criterion_main!(benches);
