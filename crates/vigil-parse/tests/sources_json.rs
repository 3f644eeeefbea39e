//! GitLab audit events, Dependency-Track notifications and Vigil's documented `vigil.pki/1`
//! and `vigil.device/1` formats through the public auto-detect entry point
//! ([`parse_line`]): each is recognised, mapped to the ECS fields the rule pack
//! (`rules/FORMATS.md`) relies on, keeps `event.original` and its native fields; broken
//! or truncated input never panics and is never dropped (raw + `_parse_failure`, or
//! generic JSON).

mod common;

use common::{ctx, s};
use serde_json::{json, Value};
use vigil_core::TAG_PARSE_FAILURE;
use vigil_parse::parse_line;

const RECEIVED: &str = "2026-11-22T12:00:00Z";

/// Shaped like a streamed GitLab `repository_git_operation` event (its `custom_message`
/// is an object there).
const GITLAB_GIT: &str = r#"{"id":1653461355,"author_id":1,"entity_id":6,"entity_type":"Project","details":{"author_name":"Administrator","target_id":6,"target_type":"Project","target_details":"Flight","custom_message":{"protocol":"ssh","action":"git-upload-pack"},"ip_address":"192.0.2.10","entity_path":"flightjs/Flight"},"ip_address":"192.0.2.10","author_name":"Administrator","entity_path":"flightjs/Flight","target_details":"Flight","created_at":"2026-11-22T06:49:15.213Z","target_type":"Project","target_id":6,"event_type":"repository_git_operation"}"#;

const GITLAB_MEMBER: &str = r#"{"id":"41","author_id":7,"author_name":"owner","entity_id":3,"entity_type":"Group","entity_path":"acme","target_id":99,"target_type":"User","target_details":"bob","ip_address":"2001:db8::7","created_at":"2026-11-22T10:00:01.000Z","event_type":"member_created","details":{"add":"user_access","as":"Maintainer","member_id":99,"expiry":null}}"#;

const DT_NEW_VULN: &str = r#"{"notification":{"level":"INFORMATIONAL","scope":"PORTFOLIO","group":"NEW_VULNERABILITY","timestamp":"2026-11-22T10:00:01.123","title":"New Vulnerability Identified","content":"Heap overflow in the TLS record parser","subject":{"component":{"uuid":"c1","name":"mbedtls","version":"3.5.0","purl":"pkg:github/Mbed-TLS/mbedtls@3.5.0"},"vulnerability":{"uuid":"v1","vulnId":"GHSA-xxxx-yyyy-zzzz","source":"GITHUB","cvssv3":9.1,"severity":"CRITICAL"},"affectedProjects":[{"uuid":"p1","name":"gw-200-firmware","version":"4.2.0"}]}}}"#;

const PKI_EXPIRING: &str = r#"{"schema":"vigil.pki/1","time":"2026-11-22T11:00:01+01:00","type":"certificate-expiring","reporter":{"vendor":"Acme","product":"CLM"},"actor":{"name":"acme-bot"},"certificate":{"serial_number":"4F:3A:00:00:00:01","subject":{"common_name":"vpn.example.com"},"issuer":{"common_name":"Acme Issuing CA 1","organization":"Acme"},"not_after":"2026-11-27T00:00:00Z","renewal":{"attempts_30d":0}}}"#;

const PKI_KEY_EXPORT: &str = r#"{"schema":"vigil.pki/1","time":"2026-11-22T10:00:01Z","type":"key-export","outcome":"success","actor":{"name":"svc-backup"},"origin":{"ip":"10.20.0.15"},"system":{"hostname":"hsm-01"},"key":{"id":"0x00a1","label":"fw-release-2026","class":"private","algorithm":"EC","partition":"fw-signing"}}"#;

const DEVICE_ROLLBACK: &str = r#"{"schema":"vigil.device/1","time":"2026-11-22T11:03:12+01:00","type":"update-rollback","outcome":"success","device_id":"gw200-000777","model":"GW-200","manufacturer":"Acme","firmware_version":"4.1.3","target":{"type":"firmware","name":"gw-200-firmware","version":"4.2.0"},"update":{"previous_version":"4.1.3","campaign_id":"rollout-2026-11"},"diagnostics":{"code":"watchdog_timeout","message":"new image did not confirm within 120 s"},"reporter":{"type":"backend","vendor":"Acme","product":"FleetOps"}}"#;

fn parse(line: &str) -> vigil_core::Event {
    parse_line(line.as_bytes(), &ctx(RECEIVED))
}

#[test]
fn gitlab_events_are_detected() {
    let event = parse(GITLAB_GIT);
    assert_eq!(s(&event, "event.module"), Some("gitlab"));
    assert_eq!(s(&event, "event.dataset"), Some("gitlab.audit"));
    assert_eq!(s(&event, "event.action"), Some("repository_git_operation"));
    assert_eq!(s(&event, "user.name"), Some("Administrator"));
    assert_eq!(s(&event, "source.ip"), Some("192.0.2.10"));
    assert_eq!(
        s(&event, "gitlab.details.custom_message.protocol"),
        Some("ssh")
    );
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T06:49:15.213Z"));
    assert_eq!(s(&event, "event.original"), Some(GITLAB_GIT));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));

    let event = parse(GITLAB_MEMBER);
    assert_eq!(s(&event, "event.action"), Some("member_created"));
    assert_eq!(event.get("event.category"), Some(&json!(["iam"])));
    assert_eq!(event.get("event.type"), Some(&json!(["creation"])));
    assert_eq!(s(&event, "user.target.name"), Some("bob"));
    assert_eq!(s(&event, "user.id"), Some("7"));
    assert_eq!(s(&event, "source.ip"), Some("2001:db8::7"));
    assert_eq!(s(&event, "gitlab.details.as"), Some("Maintainer"));
    assert_eq!(s(&event, "gitlab.details.member_id"), Some("99"));
    // Native fields as sent.
    assert_eq!(event.get("details.member_id"), Some(&json!(99)));
}

#[test]
fn dependency_track_notifications_are_detected() {
    let event = parse(DT_NEW_VULN);
    assert_eq!(s(&event, "event.module"), Some("dependency_track"));
    assert_eq!(s(&event, "event.kind"), Some("alert"));
    assert_eq!(s(&event, "event.action"), Some("NEW_VULNERABILITY"));
    assert_eq!(s(&event, "vulnerability.id"), Some("GHSA-xxxx-yyyy-zzzz"));
    assert_eq!(s(&event, "vulnerability.severity"), Some("CRITICAL"));
    assert_eq!(
        s(&event, "vulnerability.reference"),
        Some("https://github.com/advisories/GHSA-xxxx-yyyy-zzzz")
    );
    assert_eq!(s(&event, "package.name"), Some("mbedtls"));
    assert_eq!(s(&event, "package.version"), Some("3.5.0"));
    assert_eq!(
        s(&event, "dependency_track.project.name"),
        Some("gw-200-firmware")
    );
    assert_eq!(
        event.get("notification.subject.vulnerability.cvssv3"),
        Some(&json!(9.1))
    );
}

#[test]
fn pki_events_are_detected() {
    let event = parse(PKI_EXPIRING);
    assert_eq!(s(&event, "event.module"), Some("pki"));
    assert_eq!(s(&event, "event.dataset"), Some("pki.certificate"));
    assert_eq!(s(&event, "event.action"), Some("certificate-expiring"));
    assert_eq!(event.get("pki.days_remaining"), Some(&json!(4)));
    assert_eq!(event.get("pki.renewal.attempts_30d"), Some(&json!(0)));
    assert_eq!(s(&event, "x509.serial_number"), Some("4F3A00000001"));
    assert_eq!(s(&event, "x509.issuer.organization"), Some("Acme"));
    assert_eq!(s(&event, "observer.vendor"), Some("Acme"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:01.000Z"));

    let event = parse(PKI_KEY_EXPORT);
    assert_eq!(s(&event, "event.module"), Some("hsm"));
    assert_eq!(s(&event, "event.action"), Some("key-export"));
    assert_eq!(s(&event, "hsm.key.class"), Some("private"));
    assert_eq!(s(&event, "hsm.key.type"), Some("EC"));
    assert_eq!(s(&event, "host.name"), Some("hsm-01"));
    assert_eq!(s(&event, "source.ip"), Some("10.20.0.15"));
    assert_eq!(event.get("event.category"), Some(&json!(["iam"])));
}

#[test]
fn device_events_are_detected() {
    let event = parse(DEVICE_ROLLBACK);
    assert_eq!(s(&event, "event.module"), Some("device_fleet"));
    assert_eq!(s(&event, "event.action"), Some("update-rollback"));
    assert_eq!(s(&event, "device.id"), Some("gw200-000777"));
    assert_eq!(s(&event, "host.id"), Some("gw200-000777"));
    assert_eq!(s(&event, "device.manufacturer"), Some("Acme"));
    assert_eq!(s(&event, "host.os.version"), Some("4.1.3"));
    assert_eq!(s(&event, "package.version"), Some("4.2.0"));
    assert_eq!(
        s(&event, "device_fleet.update.previous_version"),
        Some("4.1.3")
    );
    assert_eq!(s(&event, "error.code"), Some("watchdog_timeout"));
    assert_eq!(s(&event, "observer.type"), Some("backend"));
    assert_eq!(s(&event, "observer.product"), Some("FleetOps"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:03:12.000Z"));
}

/// A sent ECS event of the same module (the `rules/FORMATS.md` shape) is taken as is.
#[test]
fn ecs_shaped_events_are_left_alone() {
    let line = r#"{"@timestamp":"2026-11-22T10:00:01Z","event":{"module":"gitlab","action":"member_updated"},"entity_type":"Project","author_name":"x","user":{"name":"mallory"}}"#;
    let event = parse(line);
    assert_eq!(s(&event, "user.name"), Some("mallory"));
    assert_eq!(event.get("gitlab"), None);
}

/// Every prefix of every sample, and samples with fields of the wrong type: never a
/// panic; the text is always kept; a cut-off object is a raw `_parse_failure` event.
#[test]
fn malformed_input_is_kept() {
    for sample in [
        GITLAB_GIT,
        GITLAB_MEMBER,
        DT_NEW_VULN,
        PKI_EXPIRING,
        PKI_KEY_EXPORT,
        DEVICE_ROLLBACK,
    ] {
        for end in (1..sample.len()).filter(|i| sample.is_char_boundary(*i)) {
            let cut = &sample[..end];
            let event = parse(cut);
            assert_eq!(s(&event, "event.original"), Some(cut), "{cut}");
            assert!(event.has_tag(TAG_PARSE_FAILURE), "{cut}");
            assert_eq!(s(&event, "message"), Some(cut));
        }
        // Every string value replaced by a number, an array, an object, null.
        let value: Value = serde_json::from_str(sample).unwrap_or(Value::Null);
        for replacement in [json!(7), json!([]), json!({"x": 1}), Value::Null, json!("")] {
            let mutated = replace_leaves(&value, &replacement).to_string();
            let event = parse(&mutated);
            assert_eq!(s(&event, "event.original"), Some(mutated.as_str()));
            assert!(!event.has_tag(TAG_PARSE_FAILURE), "{mutated}");
        }
    }
}

/// `value` with every leaf except the format markers replaced by `with`.
fn replace_leaves(value: &Value, with: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let keep = matches!(k.as_str(), "schema" | "group" | "entity_type");
                    (
                        k.clone(),
                        if keep {
                            v.clone()
                        } else {
                            replace_leaves(v, with)
                        },
                    )
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| replace_leaves(v, with)).collect())
        }
        _ => with.clone(),
    }
}

/// JSON after a syslog header is not one of these formats (they are JSON lines): the
/// line is still kept whole, with the syslog fields.
#[test]
fn syslog_wrapped_json_is_kept() {
    let line = format!("<134>Nov 22 10:00:01 clm01 clm: {PKI_EXPIRING}");
    let event = parse(&line);
    assert_eq!(s(&event, "event.original"), Some(line.as_str()));
    assert!(s(&event, "message").is_some());
}
