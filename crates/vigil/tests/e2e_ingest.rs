//! Syslog over UDP and TCP (both framings) and NDJSON over HTTP arrive with the right
//! fields, are searchable, survive a restart, and a removed index is rebuilt.

mod common;

use common::{vigil, Server};
use flate2::write::GzEncoder;
use serde_json::json;
use std::io::Write;

fn first_hit(result: &serde_json::Value) -> serde_json::Value {
    result["hits"][0].clone()
}

#[test]
fn syslog_udp_tcp_and_http_are_searchable_with_ecs_fields() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());

    // RFC 3164 over UDP.
    server.send_udp("<38>Feb  5 10:01:02 bastion sshd[4242]: Failed password for root from 10.0.1.5 port 52144 ssh2");
    // RFC 5424 over TCP, newline framing, with structured data.
    server.send_tcp(
        b"<165>1 2026-02-05T10:02:03.123Z web01 nginx 77 ID47 [meta@32473 env=\"prod\"] upstream timed out\n",
    );
    // RFC 6587 octet counting over TCP.
    let msg = "<86>Feb  5 10:03:04 db01 sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls";
    server.send_tcp(format!("{} {}", msg.len(), msg).as_bytes());
    // NDJSON over HTTP: one object and one plain-text line.
    let answer = server.ingest(&[
        json!({"@timestamp": "2026-02-05T10:04:05Z", "message": "login", "source.ip": "192.168.7.9", "user": {"name": "bob"}, "event": {"outcome": "success"}}).to_string(),
        "a plain text line from an app".to_string(),
    ]);
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["rejected"], 0);

    let result = server.wait_for("source.ip:10.0.1.5 AND event.outcome:failure", 1);
    assert_eq!(result["total"], 1, "{result}");
    let hit = first_hit(&result);
    assert_eq!(hit["host"]["name"], "bastion");
    assert_eq!(hit["process"]["name"], "sshd");
    assert_eq!(hit["process"]["pid"], 4242);
    assert_eq!(hit["user"]["name"], "root");
    assert_eq!(hit["log"]["syslog"]["facility"]["name"], "auth");
    assert_eq!(hit["log"]["syslog"]["severity"]["name"], "informational");
    assert_eq!(hit["log"]["source"]["name"], "syslog-udp");
    assert!(hit["event"]["id"].is_string());
    assert!(hit["event"]["ingested"].is_string());
    assert!(hit["@timestamp"]
        .as_str()
        .unwrap_or("")
        .contains("-02-05T10:01:02"));

    let hit = first_hit(&server.wait_for("host.name:web01", 1));
    assert_eq!(hit["@timestamp"], "2026-02-05T10:02:03.123Z");
    assert_eq!(hit["log"]["syslog"]["msgid"], "ID47");
    assert_eq!(
        hit["log"]["syslog"]["structured_data"]["meta@32473"]["env"],
        "prod"
    );
    assert_eq!(hit["message"], "upstream timed out");
    assert_eq!(hit["log"]["source"]["name"], "syslog-tcp");

    let hit = first_hit(&server.wait_for("host.name:db01", 1));
    assert_eq!(hit["process"]["name"], "sudo");
    assert_eq!(hit["user"]["name"], "alice");

    let hit = first_hit(&server.wait_for("source.ip:192.168.0.0/16", 1));
    assert_eq!(hit["user"]["name"], "bob");
    assert_eq!(hit["log"]["source"]["name"], "http");
    assert!(hit["log"]["source"]["address"]
        .as_str()
        .unwrap_or("")
        .starts_with("127.0.0.1:"));

    let hit = first_hit(&server.wait_for("\"plain text line\"", 1));
    assert_eq!(hit["event"]["original"], "a plain text line from an app");

    let all = server.wait_for("*", 5);
    assert_eq!(all["total"], 5);
    server.stop();
}

#[test]
fn gzip_body_restart_and_index_rebuild_keep_everything() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let lines: Vec<String> = (0..500)
        .map(|i| json!({"message": format!("event number {i}"), "seq_no": i, "host.name": format!("h{}", i % 5)}).to_string())
        .collect();
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(lines.join("\n").as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, answer) = server.ingest_raw(enc.finish().unwrap_or_else(|e| panic!("{e}")), true);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], 500);
    assert_eq!(server.wait_for("*", 500)["total"], 500);
    server.stop();

    // Restart: everything is still there.
    let server = Server::start(dir.path());
    assert_eq!(server.search("*")["total"], 500);
    assert_eq!(server.search("host.name:h3")["total"], 100);
    server.stop();

    // Remove the index: it is rebuilt from the journal on start.
    std::fs::remove_dir_all(dir.path().join("index")).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let result = server.wait_for("*", 500);
    assert_eq!(result["total"], 500);
    assert_eq!(server.search("seq_no:>=490")["total"], 10);
    server.stop();

    let out = vigil(&["verify", "--data-dir", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    assert!(common::stdout(&out).contains("records checked:     500"));
}

#[test]
fn kill_9_during_ingest_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let url = server.url("/api/v1/ingest");
    let pid = server.pid();
    let token = server.ingest_token.clone();
    let sender = std::thread::spawn(move || {
        let client = reqwest::blocking::Client::new();
        let mut acked = Vec::new();
        for batch in 0..10_000u64 {
            let body: String = (0..200)
                .map(|i| {
                    format!(
                        "{}\n",
                        json!({"message": "load", "batch_no": batch, "item": i})
                    )
                })
                .collect();
            match common::bearer(client.post(&url), &token).body(body).send() {
                Ok(r) if r.status().is_success() => acked.push(batch),
                _ => break,
            }
        }
        acked
    });
    // Let some batches land, then crash the server mid-stream.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.health()["journal"]["size"].as_u64().unwrap_or(0) < 5_000
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_ne!(pid, 0);
    server.kill9();
    let acked = sender.join().unwrap_or_else(|_| panic!("sender panicked"));
    assert!(
        acked.len() >= 25,
        "only {} batches were acknowledged before the crash",
        acked.len()
    );

    let out = vigil(&["verify", "--data-dir", &dir.path().display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "verify after kill -9: {}",
        common::stdout(&out)
    );

    let server = Server::start(dir.path());
    let expected = acked.len() as u64 * 200;
    let result = server.wait_for("*", expected);
    assert!(
        result["total"].as_u64().unwrap_or(0) >= expected,
        "{} < {expected}",
        result["total"]
    );
    let rows = server.search_with(
        "* | stats count() by batch_no | sort batch_no",
        &[("limit", "10000")],
    );
    let counts: std::collections::HashMap<u64, u64> = rows["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| Some((r[0].as_u64()?, r[1].as_u64()?)))
                .collect()
        })
        .unwrap_or_default();
    for batch in &acked {
        assert_eq!(
            counts.get(batch),
            Some(&200),
            "acknowledged batch {batch} is incomplete"
        );
    }
    server.stop();
}
