//! RELP with the real shipper: rsyslog's `omrelp` (Debian package `rsyslog-relp`, installed
//! by scripts/test.sh) reads a file with `imfile` and forwards it to Vigil's RELP listener.
//! Skipped (with a message) when rsyslogd or omrelp is not installed.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The RELP address the server logged at startup.
fn relp_addr(server: &Server) -> SocketAddr {
    let log = server.log.lock().map(|l| l.clone()).unwrap_or_default();
    log.iter()
        .filter(|l| l.contains("listening for syslog over RELP"))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("address="))
                .and_then(|a| a.parse().ok())
        })
        .unwrap_or_else(|| panic!("no RELP listener in the log: {log:?}"))
}

fn start_rsyslog(rsyslogd: &str, work: &Path, input: &Path, port: u16) -> Reaped {
    let conf = format!(
        r#"global(workDirectory="{work}")
module(load="imfile")
module(load="omrelp")
input(type="imfile" File="{input}" Tag="relpapp:")
action(type="omrelp" target="127.0.0.1" port="{port}"
       action.resumeRetryCount="-1" action.resumeInterval="1"
       queue.type="LinkedList" queue.size="200000")
"#,
        work = work.display(),
        input = input.display(),
    );
    start_rsyslogd(rsyslogd, work, &conf)
}

fn line(seq: usize) -> String {
    format!("relpmarker seq={seq:07} user=carol action=ship")
}

fn total(server: &Server) -> u64 {
    server.search("relpmarker")["total"].as_u64().unwrap_or(0)
}

/// Polls until `n` events are searchable (deadline only reached on failure).
fn wait_total(server: &Server, n: u64, deadline: Duration) -> u64 {
    let until = Instant::now() + deadline;
    loop {
        let t = total(server);
        if t >= n || Instant::now() > until {
            return t;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every hit of the run, as (sequence number, event.ingested).
fn sequences(server: &Server) -> BTreeMap<usize, Vec<String>> {
    let result = server.search_with("relpmarker", &[("limit", "10000")]);
    let mut out: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for hit in result["hits"].as_array().cloned().unwrap_or_default() {
        let message = hit["message"].as_str().unwrap_or("").to_string();
        let seq = message
            .split_whitespace()
            .find_map(|w| w.strip_prefix("seq="))
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("no seq in {hit}"));
        out.entry(seq)
            .or_default()
            .push(hit["event"]["ingested"].as_str().unwrap_or("").to_string());
    }
    out
}

#[test]
fn rsyslog_omrelp_ships_every_line_once() {
    let Some(rsyslogd) = find_rsyslogd(&["omrelp.so"]) else {
        eprintln!(
            "SKIPPED rsyslog_omrelp_ships_every_line_once: rsyslogd or omrelp is not installed \
             (apt-get install rsyslog rsyslog-relp; scripts/test.sh does this)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let work = dir.path().join("rsyslog");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start_with(&dir.path().join("data"), &["--syslog-relp", "127.0.0.1:0"]);
    let port = relp_addr(&server).port();
    // VIGIL_RELP_E2E_LINES sets a bigger run for measuring throughput.
    let n: usize = std::env::var("VIGIL_RELP_E2E_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let input = work.join("app.log");
    let text: String = (0..n).map(|i| line(i) + "\n").collect();
    std::fs::write(&input, text).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let _rsyslog = start_rsyslog(&rsyslogd, &work, &input, port);
    let got = wait_total(&server, n as u64, Duration::from_secs(180));
    let elapsed = started.elapsed();
    assert_eq!(got, n as u64, "not every line arrived");
    eprintln!(
        "rsyslog omrelp: {n} lines searchable in {} ms ({:.0} events/s end to end, including rsyslog start and indexing)",
        elapsed.as_millis(),
        n as f64 / elapsed.as_secs_f64()
    );
    let hit = server.search("\"seq=0000042\"");
    assert_eq!(hit["total"], 1, "{hit}");
    let hit = &hit["hits"][0];
    assert_eq!(hit["log"]["source"]["name"], "syslog-relp", "{hit}");
    assert_eq!(hit["process"]["name"], "relpapp", "{hit}");
    // Nothing more arrives later (no duplicates).
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(total(&server), n as u64);
    let metrics = server.metrics_text();
    assert!(!metrics.is_empty());
    server.stop();
}

#[test]
fn a_vigil_crash_mid_stream_loses_nothing() {
    // A steady stream: 100 lines every 50 ms (about 4 s); the crash comes after 500 lines.
    crash_mid_stream("steady", 8_000, 100, 50, 500);
}

#[test]
fn a_vigil_crash_during_a_burst_loses_nothing() {
    // A burst (rsyslog sends as fast as Vigil acknowledges, its full RELP window in flight).
    // Measured: every run stores exactly one window (128 lines) twice, once before and once
    // after the crash: RELP is at-least-once, see README "Configuration".
    crash_mid_stream("burst", 9_000, 9_000, 0, 2_000);
}

fn crash_mid_stream(label: &str, n: usize, chunk: usize, pause_ms: u64, kill_at: u64) {
    let Some(rsyslogd) = find_rsyslogd(&["omrelp.so"]) else {
        eprintln!("SKIPPED RELP crash test ({label}): rsyslogd or omrelp is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let work = dir.path().join("rsyslog");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    let data: PathBuf = dir.path().join("data");
    let port = free_port();
    let relp = format!("127.0.0.1:{port}");
    let server = Server::start_with(&data, &["--syslog-relp", &relp]);
    let input = work.join("app.log");
    std::fs::write(&input, "").unwrap_or_else(|e| panic!("{e}"));
    let _rsyslog = start_rsyslog(&rsyslogd, &work, &input, port);
    // The lines, written from a thread of its own.
    let writer_input = input.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&writer_input)
            .unwrap_or_else(|e| panic!("{e}"));
        for c in 0..n.div_ceil(chunk) {
            let text: String = (c * chunk..((c + 1) * chunk).min(n))
                .map(|i| line(i) + "\n")
                .collect();
            f.write_all(text.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
            std::thread::sleep(Duration::from_millis(pause_ms));
        }
    });
    // Crash Vigil once part of the stream is in.
    // Timed by the journal (appended at once), not by search (indexed about a second later).
    let until = Instant::now() + Duration::from_secs(120);
    let journaled = |server: &Server| server.health()["journal"]["size"].as_u64().unwrap_or(0);
    while journaled(&server) < kill_at && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before = journaled(&server);
    assert!(before >= kill_at, "the stream did not start: {before}");
    server.kill9();
    let crashed_at = chrono::Utc::now();
    let server = Server::start_with(&data, &["--syslog-relp", &relp]);
    writer.join().unwrap_or_else(|_| panic!("writer panicked"));
    let got = wait_total(&server, n as u64, Duration::from_secs(300));
    // Let rsyslog's retries (if any are left) land before counting.
    std::thread::sleep(Duration::from_secs(3));
    let seqs = sequences(&server);
    let missing: Vec<usize> = (0..n).filter(|i| !seqs.contains_key(i)).collect();
    assert!(
        missing.is_empty(),
        "{} lines lost across the crash (total {got}): first {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
    // RELP is at-least-once: a message journaled just before the kill whose `rsp` never
    // reached rsyslog is sent again after the restart. Such a duplicate must straddle the
    // crash (one copy before, one after) and there can be at most omrelp's window (128).
    let crash = vigil_core::time::format_timestamp(crashed_at);
    let duplicates: Vec<(&usize, &Vec<String>)> =
        seqs.iter().filter(|(_, copies)| copies.len() > 1).collect();
    for (seq, copies) in &duplicates {
        assert_eq!(copies.len(), 2, "seq {seq} stored {} times", copies.len());
        let mut c = (*copies).clone();
        c.sort();
        assert!(
            c[0] < crash && c[1] > crash,
            "seq {seq} duplicated without a crash in between: {c:?} (crash at {crash})"
        );
    }
    assert!(duplicates.len() <= 128, "{} duplicates", duplicates.len());
    let after = seqs
        .values()
        .filter(|copies| copies.iter().any(|t| *t > crash))
        .count();
    assert!(
        after > 0 && after < n,
        "the crash was not in the middle of the stream: {after} of {n} lines arrived after it"
    );
    eprintln!(
        "RELP across kill -9 ({label}): {n} lines ({after} after the restart), none lost, {} re-sent by rsyslog after the crash \
         (journaled before the kill, acknowledged never): {:?}",
        duplicates.len(),
        duplicates.iter().map(|(s, _)| **s).collect::<Vec<_>>()
    );
    server.stop();
}
