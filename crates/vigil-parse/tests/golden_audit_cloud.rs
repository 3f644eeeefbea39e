//! Golden comparisons for the auditd, AWS CloudTrail and GitHub audit log parsers, read in
//! place from `$VIGIL_TEST_DATA/parsers` (never copied: the Elastic-License files must not
//! enter this repo):
//!
//! * `elastic-beats/auditd` (Apache-2.0): Filebeat golden, flat dotted keys, one object
//!   per line;
//! * `elastic-integrations/aws-cloudtrail` and `elastic-integrations/github-audit` (ELv2):
//!   `{"expected":[...]}` with nested ECS objects, one per input line.
//!
//! Each listed field is compared exactly and both ways (absent in the golden means absent
//! in the event). Deliberate differences:
//! * auditd `event.action` is the lower-cased record type (`add_group`), Beats has its own
//!   verbs (`added-group-account-to`): compared with the golden `auditd.log.record_type`;
//!   `auditd.sequence` is compared with `auditd.log.sequence`, `host.name` with
//!   `auditd.log.hostname`;
//! * auditd `user.id` is the record's `uid`; Beats puts `auid` there for user-space records
//!   (and `uid` in `user.effective.id`): not compared (`user.audit.id` is);
//! * auditd `event.category` is set for fewer record types than Beats (authentication for
//!   USER_AUTH / USER_LOGIN, process for SYSCALL / EXECVE): compared when Vigil sets it;
//! * GitHub `event.category` has no `web` (the integration adds it for every event);
//!   `source.geo.country_iso_code` is the integration's `client.geo.country_iso_code`;
//!   `organization.name` (Vigil) is only `github.org` in the golden: not compared.

mod common;

use common::{ctx, read_data};
use serde_json::{Map, Value};
use vigil_core::Event;
use vigil_parse::parse_line;

fn golden_lookup<'a>(golden: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = golden.as_object().and_then(|m| m.get(path)) {
        return Some(v);
    }
    path.split('.')
        .try_fold(golden, |v, part| v.as_object().and_then(|m| m.get(part)))
}

/// Compares `event[ours]` with `golden[theirs]`, both ways.
fn compare(unit: &str, event: &Event, golden: &Value, ours: &str, theirs: &str) {
    assert_eq!(
        event.get(ours),
        golden_lookup(golden, theirs),
        "{unit}: {ours} vs golden {theirs}"
    );
}

fn lines_of(relative: &str) -> Vec<String> {
    String::from_utf8_lossy(&read_data(relative))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn auditd_filebeat_golden() {
    let mut compared = 0;
    for name in ["audit-rhel7_2.log", "useradd.log"] {
        let dir = "parsers/elastic-beats/auditd";
        let lines = lines_of(&format!("{dir}/{name}"));
        let golden: Vec<Value> =
            serde_json::from_slice(&read_data(&format!("{dir}/{name}-expected.json")))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(lines.len(), golden.len(), "{name}");
        for (line, golden) in lines.iter().zip(&golden) {
            let ts = golden_lookup(golden, "@timestamp")
                .and_then(Value::as_str)
                .unwrap_or("2020-01-01T00:00:00Z");
            let event = parse_line(line.as_bytes(), &ctx(ts));
            let unit = format!("{name}: {line}");
            for (ours, theirs) in [
                ("@timestamp", "@timestamp"),
                ("event.original", "event.original"),
                ("event.kind", "event.kind"),
                ("event.outcome", "event.outcome"),
                ("auditd.sequence", "auditd.log.sequence"),
                ("process.pid", "process.pid"),
                ("process.executable", "process.executable"),
                ("process.name", "process.name"),
                ("user.audit.id", "user.audit.id"),
                ("user.name", "user.name"),
                ("source.ip", "source.ip"),
                ("host.name", "auditd.log.hostname"),
            ] {
                compare(&unit, &event, golden, ours, theirs);
            }
            let record_type = golden_lookup(golden, "auditd.log.record_type")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            assert_eq!(
                event.get_str("event.action").map(str::to_string),
                record_type,
                "{unit}"
            );
            if event.get("event.category").is_some() {
                compare(&unit, &event, golden, "event.category", "event.category");
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 9);
}

fn expected(relative: &str) -> Vec<Value> {
    let doc: Map<String, Value> =
        serde_json::from_slice(&read_data(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
    doc.get("expected")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

#[test]
fn cloudtrail_integration_golden() {
    let dir = "parsers/elastic-integrations/aws-cloudtrail";
    let lines = lines_of(&format!("{dir}/test-assume-role-aws-service-json.log"));
    let golden = expected(&format!(
        "{dir}/test-assume-role-aws-service-json.log-expected.json"
    ));
    assert_eq!(lines.len(), golden.len());
    assert!(!lines.is_empty());
    for (line, golden) in lines.iter().zip(&golden) {
        let event = parse_line(line.as_bytes(), &ctx("2021-11-11T01:02:03Z"));
        for field in [
            "@timestamp",
            "event.action",
            "event.provider",
            "event.outcome",
            "event.kind",
            "event.category",
            "cloud.provider",
            "cloud.region",
            "source.ip",
            "source.address",
            "user_agent.original",
            "user.name",
            "user.id",
            "error.code",
        ] {
            compare(line, &event, golden, field, field);
        }
    }
}

#[test]
fn github_integration_golden() {
    let dir = "parsers/elastic-integrations/github-audit";
    let lines = lines_of(&format!("{dir}/test-api-request-events.log"));
    let golden = expected(&format!("{dir}/test-api-request-events.log-expected.json"));
    assert_eq!(lines.len(), golden.len());
    assert_eq!(lines.len(), 2);
    for (line, golden) in lines.iter().zip(&golden) {
        let event = parse_line(line.as_bytes(), &ctx("2025-03-10T00:00:00Z"));
        for (ours, theirs) in [
            ("@timestamp", "@timestamp"),
            ("event.action", "event.action"),
            ("event.kind", "event.kind"),
            ("event.type", "event.type"),
            ("event.original", "event.original"),
            ("user.name", "user.name"),
            ("user.id", "user.id"),
            ("github.repo", "github.repo"),
            ("source.geo.country_iso_code", "client.geo.country_iso_code"),
        ] {
            compare(line, &event, golden, ours, theirs);
        }
        let mut categories = golden_lookup(golden, "event.category")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        categories.retain(|c| c.as_str() != Some("web"));
        assert_eq!(
            event.get("event.category"),
            Some(&Value::Array(categories)),
            "{line}"
        );
    }
}

/// What detection rules key on: a failed console sign-in is a failure (CloudTrail puts the
/// result in `responseElements`, not `errorCode`); GitHub events name their module, the
/// acting address and the member acted on.
#[test]
fn fields_rules_key_on() {
    let failed = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"2026-11-22T10:00:00Z","sourceIPAddress":"203.0.113.5","userIdentity":{"type":"IAMUser","userName":"alice"},"responseElements":{"ConsoleLogin":"Failure"},"errorMessage":"Failed authentication"}"#;
    let event = parse_line(failed.as_bytes(), &ctx("2026-11-22T10:00:01Z"));
    assert_eq!(event.get_str("event.outcome"), Some("failure"));
    assert_eq!(
        event.get_str("error.message"),
        Some("Failed authentication")
    );
    let ok = failed
        .replace("\"Failure\"", "\"Success\"")
        .replace(",\"errorMessage\":\"Failed authentication\"", "");
    let event = parse_line(ok.as_bytes(), &ctx("2026-11-22T10:00:01Z"));
    assert_eq!(event.get_str("event.outcome"), Some("success"));

    let gh = r#"{"action":"org.update_member","actor":"mallory","actor_ip":"198.51.100.23","user":"bob","org":"acme","created_at":1763805600000}"#;
    let event = parse_line(gh.as_bytes(), &ctx("2026-11-22T10:00:01Z"));
    assert_eq!(event.get_str("event.module"), Some("github"));
    assert_eq!(event.get_str("source.ip"), Some("198.51.100.23"));
    assert_eq!(event.get_str("user.target.name"), Some("bob"));
    assert_eq!(event.get_str("user.name"), Some("mallory"));
}
