//! Shared test data: ~50 realistic events over three UTC days (2026-01-10..12).

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{json, Value};
use vigil_core::Event;
use vigil_index::{IndexOptions, Indexer};

pub fn ev(v: Value) -> Event {
    Event::from_map(v.as_object().cloned().unwrap_or_default())
}

const USERS: [&str; 5] = ["root", "admin", "alice", "bob", "administrator"];
const STATUS: [i64; 5] = [200, 404, 500, 302, 403];

/// The test events, in journal order (seq = index).
pub fn events() -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..48i64 {
        let day = 10 + i % 3;
        let ts = format!(
            "2026-01-{day}T{:02}:{:02}:{:02}.{:03}Z",
            (i * 7) % 24,
            i % 60,
            (i * 13) % 60,
            i * 3
        );
        let host = format!("web-0{}", i % 4);
        let e = match i % 5 {
            0 => {
                let user = USERS[((i / 5) % 5) as usize];
                let ip = format!("10.0.{}.{}", i % 4, i);
                json!({
                    "@timestamp": ts,
                    "message": format!("Failed password for {user} from {ip} port 22 ssh2"),
                    "event": {"original": format!("Jan {day} sshd[{}]: Failed password for {user} from {ip} port 22 ssh2", 1000 + i),
                              "outcome": "failure", "category": ["authentication"], "action": "ssh_login"},
                    "user": {"name": user},
                    "source": {"ip": ip, "port": 40000 + i},
                    "host": {"name": host},
                    "process": {"name": "sshd", "pid": 1000 + i},
                    "tags": ["ssh", "auth"],
                })
            }
            1 => {
                let user = if i % 2 == 0 { "alice" } else { "bob" };
                let ip = format!("192.168.1.{i}");
                json!({
                    "@timestamp": ts,
                    "message": format!("Accepted publickey for {user} from {ip} port 22 ssh2"),
                    "event": {"outcome": "success", "category": ["authentication"], "action": "ssh_login"},
                    "user": {"name": user},
                    "source": {"ip": ip},
                    "host": {"name": host},
                    "process": {"name": "sshd", "pid": 1000 + i},
                    "tags": ["ssh"],
                })
            }
            2 => {
                let status = STATUS[((i / 5) % 5) as usize];
                let ip = if i % 4 == 2 {
                    format!("2001:db8::{:x}", i)
                } else {
                    format!("203.0.113.{i}")
                };
                json!({
                    "@timestamp": ts,
                    "message": format!("GET /api/v1/items/{i} HTTP/1.1 {status}"),
                    "http": {"request": {"method": if i % 2 == 0 { "GET" } else { "POST" }},
                             "response": {"status_code": status, "bytes": i * 100}},
                    "url": {"path": format!("/api/v1/items/{i}")},
                    "source": {"ip": ip},
                    "host": {"name": host},
                    "user_agent": {"original": "Mozilla/5.0 (X11; Linux x86_64)"},
                    "event": {"category": ["web"], "duration": (i as f64) * 1.5},
                })
            }
            3 => {
                let src = format!("10.1.{}.{}", i % 2, i);
                let dst = format!("172.16.{i}.1");
                json!({
                    "@timestamp": ts,
                    "message": format!("firewall {} tcp {src} -> {dst}:443", if i % 2 == 0 { "deny" } else { "allow" }),
                    "event": {"action": if i % 2 == 0 { "deny" } else { "allow" }, "category": ["network"]},
                    "source": {"ip": src},
                    "destination": {"ip": dst, "port": if i % 2 == 0 { 443 } else { 3389 }},
                    "related": {"ip": [src, dst]},
                    "network": {"transport": "tcp"},
                    "observer": {"name": "fw-1"},
                })
            }
            _ => json!({
                "@timestamp": ts,
                "message": format!("Process started: /usr/bin/python3 script_{i}.py"),
                "process": {"name": "python3", "pid": 5000 + i, "executable": "/usr/bin/python3"},
                "host": {"name": host, "ip": [format!("10.2.0.{i}"), "fe80::1"]},
                "tags": ["proc", "linux"],
                "event": {"category": ["process"], "kind": "event"},
                "labels": {"critical": i % 2 == 0},
            }),
        };
        out.push(ev(e));
    }
    // Hand-written oddities.
    out.push(ev(json!({
        "message": "no timestamp here: kernel panic",
        "host": {"name": "db-01"},
        "tags": ["_parse_failure"],
    })));
    out.push(ev(json!({
        "@timestamp": "2026-01-11T12:00:00Z",
        "message": "Connection from unknown source closed",
        "source": {"ip": "unknown"},
        "user": {"name": "Root"},
        "host": {"name": "db-01"},
        "file": {"path": "C:\\Windows\\System32\\cmd.exe"},
    })));
    out
}

pub fn store(events: &[Event]) -> BTreeMap<u64, Event> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u64, e.clone()))
        .collect()
}

pub fn build(dir: &std::path::Path, events: &[Event]) -> Indexer {
    let mut ix =
        Indexer::open(dir, IndexOptions::default()).unwrap_or_else(|e| panic!("open: {e}"));
    for (i, e) in events.iter().enumerate() {
        ix.add(i as u64, e).unwrap_or_else(|e| panic!("add: {e}"));
    }
    ix.commit().unwrap_or_else(|e| panic!("commit: {e}"));
    ix
}
