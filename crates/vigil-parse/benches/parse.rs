//! Throughput of `parse_line` (parse + ECS normalise, one core), one group per family:
//! - `parse_line/openssh_2k`: the loghub OpenSSH sample (2,000 real sshd lines);
//! - `parse_line/linux_2k`: the loghub Linux sample (2,000 syslog lines: sshd, su, kernel,
//!   cups, logrotate, ...);
//! - `parse_line/apache_error_2k`: the loghub Apache error sample (2,000 lines);
//! - `parse_line/json_vendor`: the real vendor JSON samples (CloudTrail, GitHub audit, Azure,
//!   GCP audit, CrowdStrike, Zeek from elastic-integrations; Suricata EVE and CloudTrail
//!   from wazuh-engine);
//! - `parse_line/json_eas_flat`: the first 2,000 flattened EVTX-ATTACK-SAMPLES events
//!   (`events/eas_flat.jsonl.gz`, flat Windows JSON objects);
//! - `parse_line/cef`: the Graylog CEF fixtures' `testString`s and the Elastic Beats CEF
//!   sample;
//! - `parse_line/formats_mix`: the other formats (iptables, nginx and Apache access/error
//!   samples under `parsers/` plus LEEF, logfmt and UFW lines).
//!
//! Run one with `cargo bench -p vigil-parse --bench parse -- <group>`. Data:
//! `$VIGIL_TEST_DATA/...` (default `../../../shared/data` from the crate directory, i.e.
//! `../shared/data` from the workspace); a group whose files are missing is skipped.

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vigil_parse::{parse_line, ParseContext};

/// The `vigil` binary's allocator, so the figures are what it does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn bench_linux(c: &mut Criterion) {
    let lines = file_lines("loghub/Linux/Linux_2k.log");
    if !lines.is_empty() {
        bench_lines(c, "parse_line/linux_2k", &lines);
    }
}

fn bench_json_vendor(c: &mut Criterion) {
    let mut lines = Vec::new();
    for file in [
        "parsers/elastic-integrations/aws-cloudtrail/test-assume-role-aws-service-json.log",
        "parsers/elastic-integrations/github-audit/test-api-request-events.log",
        "parsers/elastic-integrations/azure-activitylogs/test-time-formats-corner-cases.log",
        "parsers/elastic-integrations/gcp-audit/test-k8s-nonmatching-resourcename.log",
        "parsers/elastic-integrations/crowdstrike-falcon/test-data.log",
        "parsers/elastic-integrations/zeek-ssh/test-ssh.log",
        "parsers/wazuh-engine/suricata/alert_input.txt",
        "parsers/wazuh-engine/suricata/dns_input.txt",
        "parsers/wazuh-engine/suricata/small_input.txt",
        "parsers/wazuh-engine/aws-cloudtrail/input_cloudtrail.txt",
    ] {
        lines.extend(
            file_lines(file)
                .into_iter()
                .filter(|l| l.first() == Some(&b'{')),
        );
    }
    if !lines.is_empty() {
        bench_lines(c, "parse_line/json_vendor", &lines);
    }
}

fn bench_json_eas_flat(c: &mut Criterion) {
    use std::io::BufRead;
    let path = data_dir().join("events/eas_flat.jsonl.gz");
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!(
            "skipping {}: not found (set VIGIL_TEST_DATA)",
            path.display()
        );
        return;
    };
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let lines: Vec<Vec<u8>> = reader
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.is_empty())
        .take(2000)
        .map(String::into_bytes)
        .collect();
    if !lines.is_empty() {
        bench_lines(c, "parse_line/json_eas_flat", &lines);
    }
}

/// The `testString` of each Graylog CEF fixture (some are not strict JSON upstream, so the
/// line is found by its key and only the string literal is decoded).
fn graylog_cef_lines() -> Vec<Vec<u8>> {
    let dir = data_dir().join("parsers/graylog-cef/cef");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "skipping {}: not found (set VIGIL_TEST_DATA)",
            dir.display()
        );
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut lines = Vec::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix("\"testString\":") else {
                continue;
            };
            let literal = rest.trim().trim_end_matches(',');
            if let Ok(s) = serde_json::from_str::<String>(literal) {
                lines.push(s.into_bytes());
            }
        }
    }
    lines
}

fn bench_cef(c: &mut Criterion) {
    let mut lines = graylog_cef_lines();
    lines.extend(file_lines("parsers/elastic-beats-xpack/cef/cef.log"));
    if !lines.is_empty() {
        bench_lines(c, "parse_line/cef", &lines);
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

criterion_group!(
    benches,
    bench_openssh,
    bench_linux,
    bench_apache_error,
    bench_json_vendor,
    bench_json_eas_flat,
    bench_cef,
    bench_formats
);
criterion_main!(benches);
