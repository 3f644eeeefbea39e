//! Plain syslog over TCP with the real shipper: rsyslog's `omfwd` (Debian package `rsyslog`,
//! installed by scripts/test.sh) reads a file with `imfile` and forwards it to Vigil's TCP
//! listener, once with octet-counted framing (RFC 6587) and once with newline framing
//! (rsyslog's default). Skipped (with a message) when rsyslogd is not installed.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn run(framing: &str, marker: &str) {
    let Some(rsyslogd) = find_rsyslogd(&[]) else {
        eprintln!(
            "SKIPPED rsyslog omfwd over TCP ({framing}): rsyslogd is not installed \
             (apt-get install rsyslog; scripts/test.sh does this)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let work = dir.path().join("rsyslog");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(&dir.path().join("data"));
    let n = 2_000usize;
    let input = work.join("app.log");
    let text: String = (0..n)
        .map(|i| format!("{marker} seq={i:05} user=u{} action=checkout\n", i % 7))
        .collect();
    std::fs::write(&input, text).unwrap_or_else(|e| panic!("{e}"));
    let conf = format!(
        r#"global(workDirectory="{work}")
module(load="imfile")
input(type="imfile" File="{input}" Tag="tcpapp:")
action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" TCP_Framing="{framing}"
       action.resumeRetryCount="-1" action.resumeInterval="1"
       queue.type="LinkedList" queue.size="100000")
"#,
        work = work.display(),
        input = input.display(),
        port = server.tcp.port(),
    );
    let _rsyslog = start_rsyslogd(&rsyslogd, &work, &conf);
    let until = Instant::now() + Duration::from_secs(120);
    let mut got = 0;
    while Instant::now() < until {
        got = server.search(marker)["total"].as_u64().unwrap_or(0);
        if got >= n as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(got, n as u64, "not every line arrived ({framing})");
    // Each line exactly once, each from the TCP listener with rsyslog's tag as the program.
    let result = server.search_with(marker, &[("limit", "5000")]);
    let hits = result["hits"].as_array().cloned().unwrap_or_default();
    let seqs: BTreeSet<String> = hits
        .iter()
        .filter_map(|h| h["message"].as_str())
        .filter_map(|m| {
            m.split_whitespace()
                .find_map(|w| w.strip_prefix("seq="))
                .map(String::from)
        })
        .collect();
    assert_eq!(seqs.len(), n, "duplicates or losses ({framing})");
    let one = &hits[0];
    assert_eq!(one["log"]["source"]["name"], "syslog-tcp", "{one}");
    assert_eq!(one["process"]["name"], "tcpapp", "{one}");
    server.stop();
}

#[test]
fn rsyslog_omfwd_octet_counted() {
    run("octet-counted", "omfwdoctetmarker");
}

#[test]
fn rsyslog_omfwd_newline_framing() {
    run("traditional", "omfwdnewlinemarker");
}
