//! Detection in the running server: rules from disk, alerts over the API and the CLI,
//! exactly-once alerts across crashes and restarts, correlation windows that survive a
//! restart, rule errors with file and line, reload.

mod common;

use common::{create_token, vigil, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

const BRUTE_FORCE: &str = "SSH Brute Force From A Single Source IP";

fn sshd_failures(ip: &str, minute: u32, count: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..count {
        out.extend_from_slice(
            format!(
                "<38>Nov 22 10:{minute:02}:{:02} web1 sshd[812]: Failed password for root from {ip} port {} ssh2\n",
                i % 60,
                40000 + i
            )
            .as_bytes(),
        );
    }
    out
}

fn alerts(server: &Server, query: &str) -> Vec<Value> {
    let (status, body) = server.get_json(&format!("/api/v1/alerts{query}"));
    assert_eq!(status, 200, "{body}");
    body["alerts"].as_array().cloned().unwrap_or_default()
}

/// Waits until detection has evaluated every journal record.
fn wait_detected(server: &Server) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health = server.health();
        let journal = health["journal"]["size"].as_u64().unwrap_or(0);
        let processed = health["detection"]["processed"].as_u64().unwrap_or(0);
        if journal > 0 && processed >= journal {
            return health;
        }
        assert!(
            Instant::now() < deadline,
            "detection never caught up: {health}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_alerts(server: &Server, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = alerts(server, "");
        if list.len() >= n || Instant::now() > deadline {
            return list;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start(dir: &Path, rules: &Path) -> Server {
    Server::start_with(dir, &["--rules", rules.to_str().unwrap_or_default()])
}

#[test]
fn ssh_brute_force_raises_one_alert_with_its_evidence() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = start(dir.path(), &pack());
    server.send_tcp(&sshd_failures("203.0.113.9", 0, 12));
    wait_detected(&server);
    // Below the threshold from another address: no alert for it.
    server.send_tcp(&sshd_failures("198.51.100.7", 1, 5));
    wait_detected(&server);
    let list = wait_alerts(&server, 1);
    let brute: Vec<&Value> = list
        .iter()
        .filter(|a| a["rule_title"] == BRUTE_FORCE)
        .collect();
    assert_eq!(brute.len(), 1, "{list:#?}");
    let alert = brute[0];
    assert_eq!(
        alert["group_key"],
        serde_json::json!([["source.ip", "203.0.113.9"]])
    );
    assert_eq!(alert["license"], "MIT");
    assert_eq!(alert["author"], "Vigil project");
    assert_eq!(alert["status"], "open");
    assert!(alert["tags"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "attack.t1110.001")));
    assert_eq!(alert["explanation"]["correlation"], "event_count");
    assert_eq!(alert["explanation"]["aggregated_value"], 11.0);
    assert!(
        alert["event_ids"].as_array().map_or(0, Vec::len) >= 11,
        "{alert}"
    );
    assert!(!list
        .iter()
        .any(|a| a["group_key"].to_string().contains("198.51.100.7")));
    // Alert latency is reported from receipt and from the journal's acknowledgement (the
    // latter can be no longer than the former).
    let latency = &server.health()["detection"];
    let from_receipt = latency["alert_latency_ms"]["p99"].as_u64();
    let from_ack = latency["alert_latency_from_ack_ms"]["p99"].as_u64();
    assert!(from_ack.is_some() && from_ack <= from_receipt, "{latency}");

    // The alert with its events.
    // (Events come from the index, which commits about every second.)
    let id = alert["id"].as_str().unwrap_or_default();
    server.wait_for("process.name:sshd", 17);
    let (status, detail) = server.get_json(&format!("/api/v1/alerts/{id}"));
    assert_eq!(status, 200, "{detail}");
    let events = detail["events"].as_array().cloned().unwrap_or_default();
    assert!(events.len() >= 11, "{detail}");
    assert!(events.iter().all(|e| e["message"]
        .as_str()
        .is_some_and(|m| m.contains("from 203.0.113.9"))));

    // Filters.
    assert_eq!(
        alerts(
            &server,
            "?status=open&rule=SSH%20Brute%20Force%20From%20A%20Single%20Source%20IP"
        )
        .len(),
        1
    );
    assert_eq!(alerts(&server, "?status=closed").len(), 0);
    assert_eq!(alerts(&server, "?from=2026-11-23T00:00:00Z").len(), 0);

    // Rule statistics.
    let (_, rules) = server.get_json("/api/v1/rules");
    let rule = rules["rules"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["title"] == BRUTE_FORCE).cloned())
        .unwrap_or(Value::Null);
    assert!(rule["hits"].as_u64().unwrap_or(0) >= 11, "{rule}");
    assert!(rule["last_hit"].is_string(), "{rule}");
    // Only the pack's rules that need site values (placeholders) are not loaded by default.
    let errors = rules["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors.iter().all(|e| e["reason"]
            .as_str()
            .is_some_and(|r| r.contains("has no value: set it under [detect.placeholders]"))),
        "{errors:#?}"
    );

    // Triage: the analyst acknowledges the alert with a note; the auditor may not; the
    // change, who made it and why are in the audit trail.
    let status_path = format!("/api/v1/alerts/{id}/status");
    let ack = serde_json::json!({"status": "acknowledged", "reason": "source blocked at the edge"});
    let (status, body) = server.post_as(&server.analyst_token, &status_path, &ack);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "acknowledged", "{body}");
    assert_eq!(body["id"], id, "{body}");
    assert_eq!(alerts(&server, "?status=acknowledged").len(), 1);
    assert_eq!(
        alerts(&server, "?status=open")
            .iter()
            .filter(|a| a["id"] == id)
            .count(),
        0
    );
    let (status, body) = server.post_as(
        &server.analyst_token,
        &status_path,
        &serde_json::json!({"status": "resolved"}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown alert status")),
        "{body}"
    );
    let (status, body) = server.post_as(
        &server.analyst_token,
        "/api/v1/alerts/0123456789abcdef0123456789abcdef/status",
        &ack,
    );
    assert_eq!(status, 404, "{body}");
    let auditor = create_token(dir.path(), "audrey", "auditor", &[]);
    let (status, _) = server.post_as(
        &auditor,
        &status_path,
        &serde_json::json!({"status": "closed"}),
    );
    assert_eq!(status, 403);
    assert_eq!(alerts(&server, "?status=acknowledged").len(), 1);
    let (status, trail) = server.get_as(&auditor, "/api/v1/audit?action=alert.update");
    assert_eq!(status, 200, "{trail}");
    let records = trail["records"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 1, "{trail}");
    assert_eq!(records[0]["target"], id, "{trail}");
    assert_eq!(records[0]["details"]["from"], "open", "{trail}");
    assert_eq!(records[0]["details"]["to"], "acknowledged", "{trail}");
    assert_eq!(
        records[0]["details"]["reason"], "source blocked at the edge",
        "{trail}"
    );
    assert_eq!(records[0]["actor"]["owner"], "e2e-analyst", "{trail}");
    // The CLI closes it through the server, under the token's owner.
    let base = server.url("");
    let out = vigil(&[
        "alerts",
        id,
        "--server",
        &base,
        "--token",
        &server.analyst_token,
        "--set-status",
        "closed",
        "--reason",
        "false positive: scanner",
    ]);
    assert!(out.status.success(), "{out:?}");
    let closed: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(closed["status"], "closed", "{closed}");
    let (_, trail) = server.get_as(&auditor, "/api/v1/audit?action=alert.update");
    assert_eq!(
        trail["records"].as_array().map_or(0, Vec::len),
        2,
        "{trail}"
    );
    server.stop();

    // The CLI reads the same alerts from the data directory.
    let out = vigil(&[
        "alerts",
        "--data-dir",
        dir.path().to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(listed.as_array().is_some_and(|a| a
        .iter()
        .any(|x| x["rule_title"] == BRUTE_FORCE && x["status"] == "closed")));
}

#[test]
fn crashes_and_restarts_neither_lose_nor_repeat_alerts() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = start(dir.path(), &pack());
    server.send_tcp(&sshd_failures("203.0.113.10", 0, 11));
    wait_detected(&server);
    let before = wait_alerts(&server, 1);
    assert_eq!(before.len(), 1, "{before:#?}");
    server.kill9();

    // After a crash: caught up again, same single alert.
    let server = start(dir.path(), &pack());
    wait_detected(&server);
    assert_eq!(alerts(&server, ""), before);
    server.stop();

    // Lost detection state: the whole journal is evaluated again; ids make it idempotent.
    std::fs::remove_file(dir.path().join("detect/state.json")).unwrap_or_else(|e| panic!("{e}"));
    let server = start(dir.path(), &pack());
    wait_detected(&server);
    assert_eq!(alerts(&server, ""), before);
    assert!(server.health()["detection"]["alerts_created"].as_u64() == Some(0));

    // Half a brute force, a clean restart, the other half: the window survived.
    server.send_tcp(&sshd_failures("203.0.113.11", 2, 6));
    wait_detected(&server);
    server.stop();
    let server = start(dir.path(), &pack());
    server.send_tcp(&sshd_failures("203.0.113.11", 3, 6));
    wait_detected(&server);
    let after = wait_alerts(&server, 2);
    assert_eq!(after.len(), 2, "{after:#?}");
    assert!(after
        .iter()
        .any(|a| a["group_key"] == serde_json::json!([["source.ip", "203.0.113.11"]])));
}

const CANARY_RULE: &str = "title: Canary token used
id: 6f0e8f41-2f0e-4c55-9a55-1a2b3c4d5e01
status: test
description: Someone used the canary token.
author: test
logsource:
    product: linux
detection:
    selection:
        message|contains: canary-7731
    condition: selection
level: critical
";

#[test]
fn rule_errors_name_file_and_line_and_reload_picks_up_changes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rules = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(rules.path().join("canary.yml"), CANARY_RULE).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start_with(
        dir.path(),
        &["--rules", rules.path().to_str().unwrap_or_default()],
    );
    server.send_tcp(b"<13>Nov 22 11:00:00 db1 app[1]: login with canary-7731 from 10.0.0.5\n");
    wait_detected(&server);
    let list = wait_alerts(&server, 1);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["rule_title"], "Canary token used");
    assert_eq!(list[0]["level"], "critical");
    assert_eq!(
        list[0]["explanation"]["fields"][0]["field"], "message",
        "{}",
        list[0]
    );

    // A broken rule and a new good one; reload on request.
    std::fs::write(
        rules.path().join("broken.yml"),
        "title: Broken\nlogsource: {product: linux}\ndetection:\n  selection:\n    message|containz: x\n  condition: selection\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        rules.path().join("second.yml"),
        CANARY_RULE
            .replace(
                "6f0e8f41-2f0e-4c55-9a55-1a2b3c4d5e01",
                "6f0e8f41-2f0e-4c55-9a55-1a2b3c4d5e02",
            )
            .replace("Canary token used", "Second canary")
            .replace("canary-7731", "canary-9999"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let response = common::bearer(
        reqwest::blocking::Client::new().post(server.url("/api/v1/rules/reload")),
        &server.analyst_token,
    )
    .send()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.json().unwrap_or(Value::Null);
    assert_eq!(report["rules"], 2, "{report}");
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(
        errors[0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("broken.yml")),
        "{report}"
    );
    assert_eq!(errors[0]["line"], 5, "{report}");
    assert!(
        errors[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("containz")),
        "{report}"
    );

    // The new rule is live.
    std::thread::sleep(Duration::from_millis(300));
    server.send_tcp(b"<13>Nov 22 11:01:00 db1 app[1]: canary-9999 touched\n");
    wait_detected(&server);
    let list = wait_alerts(&server, 2);
    assert!(
        list.iter().any(|a| a["rule_title"] == "Second canary"),
        "{list:#?}"
    );

    // Editing a file reloads without a request.
    std::fs::remove_file(rules.path().join("broken.yml")).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, rules) = server.get_json("/api/v1/rules");
        if rules["errors"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rule change never picked up: {rules}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn alert_api_rejects_bad_requests_with_json_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = start(dir.path(), &pack());
    for query in [
        "?status=bogus",
        "?limit=0",
        "?limit=abc",
        "?from=yesterday-ish",
        "?colour=red",
    ] {
        let (status, body) = server.get_json(&format!("/api/v1/alerts{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"].is_string(), "{query}: {body}");
    }
    let (status, body) = server.get_json("/api/v1/alerts/0123456789abcdef0123456789abcdef");
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].is_string());
    let (status, body) = server.get_json("/api/v1/alerts/not%20an%20id");
    assert_eq!(status, 400, "{body}");
}

#[test]
fn a_source_that_goes_silent_raises_an_alert() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("vigil.toml");
    std::fs::write(&config, "[detect]\nsilence_threshold = \"2s\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let server = Server::start_with(
        &data,
        &[
            "--config",
            config.to_str().unwrap_or_default(),
            "--rules",
            pack().to_str().unwrap_or_default(),
        ],
    );
    server.send_tcp(b"<13>Nov 22 11:00:00 edge-fw-01 app[1]: all quiet\n");
    let deadline = Instant::now() + Duration::from_secs(60);
    let alert = loop {
        let list = alerts(&server, "");
        if let Some(a) = list
            .iter()
            .find(|a| a["rule_title"] == "Log Source Gone Silent")
        {
            break a.clone();
        }
        assert!(Instant::now() < deadline, "no silence alert: {list:#?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(alert["level"], "medium");
    let silent = server.wait_for("event.action:source-silent", 1);
    assert_eq!(
        silent["hits"][0]["vigil"]["source"]["host"], "edge-fw-01",
        "{silent}"
    );
    assert_eq!(
        silent["hits"][0]["vigil"]["silence"]["threshold_seconds"], 2,
        "{silent}"
    );
    // It comes back: reported once, and not silent again right away.
    server.send_tcp(b"<13>Nov 22 11:05:00 edge-fw-01 app[1]: back\n");
    let resumed = server.wait_for("event.action:source-resumed", 1);
    assert_eq!(resumed["total"], 1, "{resumed}");
}
