//! Throughput of `parse_line` over the loghub OpenSSH sample (2,000 real sshd lines), the
//! loghub Apache error sample (2,000 lines), and a mix of the other formats: the real CEF,
//! iptables, nginx and Apache access/error samples under `parsers/` plus LEEF, logfmt and
//! UFW lines. Data: `$VIGIL_TEST_DATA/...` (default `../../../shared/data` from the crate
//! directory).

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

fn received() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn bench_lines(c: &mut Criterion, name: &str, lines: &[Vec<u8>]) {
    let ctx = ParseContext::new(received());
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("lines", |b| {
        b.iter(|| {
            for line in lines {
                black_box(parse_line(black_box(line), &ctx));
            }
        })
    });
    group.finish();
}

fn file_lines(relative: &str) -> Vec<Vec<u8>> {
    let path = data_dir().join(relative);
    match std::fs::read(&path) {
        Ok(data) => data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect(),
        Err(_) => {
            eprintln!(
                "skipping {}: not found (set VIGIL_TEST_DATA)",
                path.display()
            );
            Vec::new()
        }
    }
}

fn bench_apache_error(c: &mut Criterion) {
    let lines = file_lines("loghub/Apache/Apache_2k.log");
    if !lines.is_empty() {
        bench_lines(c, "parse_line/apache_error_2k", &lines);
    }
}

fn bench_formats(c: &mut Criterion) {
    let mut lines = Vec::new();
    for file in [
        "parsers/elastic-beats-xpack/cef/cef.log",
        "parsers/elastic-beats-xpack/iptables/icmp.log",
        "parsers/elastic-beats/apache-access/test.log",
        "parsers/elastic-beats/nginx-access/test.log",
        "parsers/elastic-beats/nginx-error/error.log",
        "parsers/elastic-beats/apache-error/sublevel.log",
    ] {
        lines.extend(file_lines(file));
    }
    lines.extend(
        [
            &b"LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^usrName=bob^proto=6"[..],
            b"LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tdevTime=Nov 22 2026 10:00:00.250 UTC",
            br#"level=info msg="hello world" user=alice src=10.0.0.1 time=2026-11-22T10:00:00Z"#,
            b"Nov 22 10:00:00 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=1.2.3.4 DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=44321 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
            b"<134>Nov 22 10:00:00 fw01 CEF:0|Acme|FW|1.0|deny|Denied|7|src=1.2.3.4 dst=10.0.0.5 dpt=443 act=deny msg=connection refused by policy",
        ]
        .map(<[u8]>::to_vec),
    );
    bench_lines(c, "parse_line/formats_mix", &lines);
}

criterion_group!(benches, bench_openssh, bench_apache_error, bench_formats);
criterion_main!(benches);
