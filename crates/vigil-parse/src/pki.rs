//! PKI / certificate lifecycle management, key management and code-signing events in
//! Vigil's documented JSON format `vigil.pki/1` (`docs/formats/pki-signing.md`),
//! recognised inside the JSON parser by `"schema": "vigil.pki/1"`.
//!
//! The native fields stay as sent; ECS is added so that the events are exactly what
//! `rules/FORMATS.md` (sections pki, hsm, signing) and the rules under `rules/pki` and
//! `rules/signing` expect. The `type` picks the family:
//!
//! | `type` | `event.module` / `event.dataset` | `event.category` | `event.type` |
//! | --- | --- | --- | --- |
//! | `certificate-requested`, `-issued`, `-discovered` | `pki` / `pki.certificate` | configuration | creation |
//! | `certificate-renewed`, `-revoked` | `pki` / `pki.certificate` | configuration | change |
//! | `certificate-renewal-failed`, `-expiring`, `-expired` | `pki` / `pki.certificate` | configuration | info |
//! | `certificate-validation-failed` | `pki` / `pki.certificate` | network | connection, denied |
//! | `key-generate`, `key-rotate`, `key-destroy` | `hsm` / `hsm.audit` | iam | creation / change / deletion |
//! | `hsm-login`, `key-access`, `key-use`, `key-export`, `key-wrap`, `key-backup` | `hsm` / `hsm.audit` | iam | access |
//! | `artifact-signed` | `signing` / `signing.operation` | file | info |
//!
//! Past-tense spellings (`key-generated`, `key-accessed`, `key-rotated`, `key-destroyed`,
//! `code-signed`, `certificate-validation-failure`) are accepted and mapped to the action
//! above. Fields: the envelope ([`crate::envelope`]: `@timestamp`, `event.outcome`,
//! `user.*`, `source.*`, `host.*`, `observer.*`, `error.*`, `event.reason`),
//! `certificate` → `x509.*` (serial upper-case hex without separators, times in UTC) and
//! `pki.*` (days remaining, computed from `not_after` when not sent, renewal counters,
//! revocation, fingerprint), `validation` → `tls.*` (with the certificate under
//! `tls.server.x509.*` or `tls.client.x509.*`), `key` → `hsm.*` or `signing.key.*`,
//! `artifact` → `file.*`, `tool` → `signing.tool`, and for signatures
//! `signing.local_time.{hour,weekday,timezone}` from `time`'s own zone.

use chrono::{Datelike, Timelike};
use serde_json::Value;
use vigil_core::Event;

use crate::{ecs, envelope};

/// The `schema` name of the format.
pub const SCHEMA: &str = "vigil.pki";

/// Whether the event declares the `vigil.pki` schema and has a `type`.
pub fn is_event(event: &Event) -> bool {
    envelope::has_schema(event, SCHEMA) && event.get_str("type").is_some()
}

/// The action for a `type` (past-tense aliases folded; unknown types kept verbatim).
pub fn action(kind: &str) -> String {
    let kind = kind.trim().to_ascii_lowercase();
    let folded = match kind.as_str() {
        "key-generated" => "key-generate",
        "key-accessed" => "key-access",
        "key-used" => "key-use",
        "key-rotated" => "key-rotate",
        "key-destroyed" => "key-destroy",
        "key-exported" => "key-export",
        "key-wrapped" => "key-wrap",
        "key-backed-up" => "key-backup",
        "code-signed" | "code-signing" | "artifact-signing" => "artifact-signed",
        "certificate-validation-failure" => "certificate-validation-failed",
        other => other,
    };
    folded.to_string()
}

/// Adds the ECS fields to a `vigil.pki/1` event; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_event(event) {
        return false;
    }
    let action = action(event.get_str("type").unwrap_or_default());
    let family = if action.starts_with("key-") || action == "hsm-login" {
        "hsm"
    } else if action == "artifact-signed" {
        "signing"
    } else {
        "pki"
    };
    event.set("event.kind", "event");
    event.set("event.module", family);
    event.set(
        "event.dataset",
        match family {
            "hsm" => "hsm.audit",
            "signing" => "signing.operation",
            _ => "pki.certificate",
        },
    );
    event.set("event.action", action.as_str());
    let (category, kinds): (&str, &[&str]) = match action.as_str() {
        "certificate-requested" | "certificate-issued" | "certificate-discovered" => {
            ("configuration", &["creation"])
        }
        "certificate-renewed" | "certificate-revoked" => ("configuration", &["change"]),
        "certificate-validation-failed" => ("network", &["connection", "denied"]),
        "key-generate" => ("iam", &["creation"]),
        "key-rotate" => ("iam", &["change"]),
        "key-destroy" => ("iam", &["deletion"]),
        "artifact-signed" => ("file", &["info"]),
        _ if family == "hsm" => ("iam", &["access"]),
        _ => ("configuration", &["info"]),
    };
    ecs::set_array(event, "event.category", &[category]);
    ecs::set_array(event, "event.type", kinds);
    let default_outcome = if action.ends_with("-failed") {
        "failure"
    } else {
        "success"
    };
    event.set("event.outcome", default_outcome);
    envelope::apply(event, family);

    certificate(event, "x509");
    certificate_extras(event, &action);
    validation(event);
    key(event, family);
    artifact(event);
    if family == "signing" {
        signing_time(event);
    }
    true
}

/// `certificate.*` → `<prefix>.*` (ECS x509 field set).
fn certificate(event: &mut Event, prefix: &str) {
    if event.get("certificate").is_none() {
        return;
    }
    for (native, field) in [
        ("subject.common_name", "subject.common_name"),
        ("subject.organization", "subject.organization"),
        ("subject.organizational_unit", "subject.organizational_unit"),
        ("subject.country", "subject.country"),
        ("subject.distinguished_name", "subject.distinguished_name"),
        ("issuer.common_name", "issuer.common_name"),
        ("issuer.organization", "issuer.organization"),
        ("issuer.organizational_unit", "issuer.organizational_unit"),
        ("issuer.country", "issuer.country"),
        ("issuer.distinguished_name", "issuer.distinguished_name"),
        ("public_key.algorithm", "public_key_algorithm"),
        ("public_key.curve", "public_key_curve"),
        ("signature_algorithm", "signature_algorithm"),
        ("version_number", "version_number"),
    ] {
        envelope::copy(
            event,
            &format!("certificate.{native}"),
            &format!("{prefix}.{field}"),
        );
    }
    envelope::set_number(
        event,
        "certificate.public_key.size",
        &format!("{prefix}.public_key_size"),
    );
    if let Some(serial) = ecs::text_at(event, "certificate.serial_number") {
        event.set(&format!("{prefix}.serial_number"), serial_hex(&serial));
    }
    envelope::set_time(
        event,
        "certificate.not_before",
        &format!("{prefix}.not_before"),
    );
    envelope::set_time(
        event,
        "certificate.not_after",
        &format!("{prefix}.not_after"),
    );
    let names: Vec<Value> = match event.get("certificate.alternative_names") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(ecs::scalar)
            .filter(|s| ecs::present(s))
            .map(Value::from)
            .collect(),
        Some(Value::String(s)) if ecs::present(s) => vec![Value::from(s.as_str())],
        _ => Vec::new(),
    };
    if !names.is_empty() {
        event.set(&format!("{prefix}.alternative_names"), Value::Array(names));
    }
}

/// The `pki.*` fields of certificate events: days remaining, renewal counters,
/// revocation, fingerprint.
fn certificate_extras(event: &mut Event, action: &str) {
    envelope::set_number(event, "certificate.days_remaining", "pki.days_remaining");
    if event.get("pki.days_remaining").is_none() && action.starts_with("certificate-expir") {
        let at = event.get_str("@timestamp").and_then(parse_utc);
        let until = event.get_str("x509.not_after").and_then(parse_utc);
        if let (Some(at), Some(until)) = (at, until) {
            event.set("pki.days_remaining", (until - at).num_days());
        }
    }
    envelope::set_number(
        event,
        "certificate.renewal.attempts_30d",
        "pki.renewal.attempts_30d",
    );
    envelope::set_time(
        event,
        "certificate.renewal.last_attempt",
        "pki.renewal.last_attempt",
    );
    envelope::copy(
        event,
        "certificate.revocation.reason",
        "pki.revocation.reason",
    );
    envelope::copy(
        event,
        "certificate.revocation.authorized_by",
        "pki.revocation.authorized_by",
    );
    if event.get("event.reason").is_none() {
        envelope::copy(event, "certificate.revocation.reason", "event.reason");
    }
    if let Some(hash) = ecs::text_at(event, "certificate.fingerprint_sha256") {
        event.set(
            "pki.fingerprint.sha256",
            serial_hex(&hash).to_ascii_lowercase(),
        );
    }
    envelope::copy(event, "certificate.profile", "pki.profile");
}

fn parse_utc(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// `validation.*` → `tls.*` (a failed TLS certificate validation).
fn validation(event: &mut Event) {
    if event.get("validation").is_none() {
        return;
    }
    event.set("tls.established", false);
    envelope::copy(event, "validation.server_name", "tls.client.server_name");
    envelope::copy(event, "validation.cipher", "tls.cipher");
    if let Some(version) = ecs::text_at(event, "validation.tls_version") {
        let version = version
            .trim_start_matches("TLSv")
            .trim_start_matches("TLS ")
            .trim_start_matches("tls")
            .trim();
        event.set("tls.version", version);
        event.set("tls.version_protocol", "tls");
    }
    if let Some(ip) = ecs::text_at(event, "validation.peer.ip") {
        ecs::set_ip(event, "destination", &ip);
    }
    if let Some(port) = ecs::text_at(event, "validation.peer.port") {
        ecs::set_port(event, "destination.port", &port);
    }
    if let Some(error) = ecs::text_at(event, "validation.error") {
        event.set_default("error.code", error.as_str());
        event.set_default("event.reason", error);
    }
    let side = match event.get_str("validation.side") {
        Some(s) if s.eq_ignore_ascii_case("client") => "client",
        _ => "server",
    };
    certificate(event, &format!("tls.{side}.x509"));
}

/// `key.*` → `hsm.*` (key events) or `signing.key.*` (signatures).
fn key(event: &mut Event, family: &str) {
    if event.get("key").is_none() {
        return;
    }
    if family == "signing" {
        envelope::copy(event, "key.id", "signing.key.id");
        envelope::copy(event, "key.label", "signing.key.label");
        envelope::copy(event, "key.algorithm", "signing.key.type");
        envelope::copy(event, "key.store", "signing.key.store");
        return;
    }
    for (native, field) in [
        ("id", "hsm.key.id"),
        ("label", "hsm.key.label"),
        ("class", "hsm.key.class"),
        ("algorithm", "hsm.key.type"),
        ("curve", "hsm.key.curve"),
        ("previous_id", "hsm.key.previous_id"),
        ("operation", "hsm.key.operation"),
        ("store", "hsm.key.store"),
        ("authorized_by", "hsm.key.authorized_by"),
        ("partition", "hsm.partition"),
    ] {
        envelope::copy(event, &format!("key.{native}"), field);
    }
    if let Some(class) = event.get_str("hsm.key.class").map(str::to_ascii_lowercase) {
        event.set("hsm.key.class", class);
    }
    envelope::set_number(event, "key.size", "hsm.key.size");
}

/// `artifact.*` → `file.*`, `tool` → `signing.tool`.
fn artifact(event: &mut Event) {
    envelope::copy(event, "artifact.name", "file.name");
    envelope::copy(event, "artifact.path", "file.path");
    envelope::copy(event, "artifact.type", "file.type");
    if let Some(hash) = ecs::text_at(event, "artifact.sha256") {
        event.set("file.hash.sha256", hash.to_ascii_lowercase());
    }
    envelope::set_number(event, "artifact.size", "file.size");
    if event.get("file.name").is_none() {
        if let Some(path) = event.get_str("file.path").map(str::to_string) {
            let name = path.rsplit(['/', '\\']).next().unwrap_or(&path).to_string();
            ecs::set_str(event, "file.name", &name);
        }
    }
    envelope::copy(event, "tool", "signing.tool");
}

/// `signing.local_time.*`: the hour and ISO weekday of `time` in the zone it was sent
/// in (the signing site's), unless the sender gave them; `timezone` names the zone.
fn signing_time(event: &mut Event) {
    if event.get("signing.local_time.hour").is_none() {
        if let Some(t) = envelope::local_time(event) {
            event.set("signing.local_time.hour", t.hour());
            event.set(
                "signing.local_time.weekday",
                t.weekday().number_from_monday(),
            );
        }
    }
    envelope::copy(event, "timezone", "signing.local_time.timezone");
}

/// A serial number or fingerprint as upper-case hex without separators (`4f:3a:00` →
/// `4F3A00`); anything that is not hex is kept as sent (trimmed).
pub fn serial_hex(value: &str) -> String {
    let v = value.trim();
    let v = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    let hex: String = v
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        hex.to_ascii_uppercase()
    } else {
        value.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(line: &str) -> Event {
        crate::json::parse(line).unwrap_or_default()
    }

    #[test]
    fn issued_certificate() {
        let line = r#"{"schema":"vigil.pki/1","time":"2026-11-22T11:00:01+01:00","type":"certificate-issued","actor":{"name":"acme-bot","type":"acme-account"},"origin":{"ip":"10.20.0.7"},"system":{"hostname":"ca-01"},"reporter":{"vendor":"Acme","product":"CLM","version":"5.2"},"certificate":{"serial_number":"4f:3a:00:00:00:01","subject":{"common_name":"vpn.example.com"},"issuer":{"common_name":"Rogue CA","organization":"Evil"},"alternative_names":["vpn.example.com","vpn2.example.com"],"not_before":"2026-11-22T00:00:00Z","not_after":"2027-11-22T00:00:00+00:00","public_key":{"algorithm":"EC","size":256,"curve":"P-256"}}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.module"), Some("pki"));
        assert_eq!(event.get_str("event.action"), Some("certificate-issued"));
        assert_eq!(event.get_str("event.outcome"), Some("success"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-11-22T10:00:01.000Z")
        );
        assert_eq!(event.get_str("x509.serial_number"), Some("4F3A00000001"));
        assert_eq!(event.get_str("x509.issuer.common_name"), Some("Rogue CA"));
        assert_eq!(
            event.get_str("x509.subject.common_name"),
            Some("vpn.example.com")
        );
        assert_eq!(
            event.get_str("x509.not_after"),
            Some("2027-11-22T00:00:00.000Z")
        );
        assert_eq!(event.get("x509.public_key_size"), Some(&json!(256)));
        assert_eq!(
            event.get("x509.alternative_names"),
            Some(&json!(["vpn.example.com", "vpn2.example.com"]))
        );
        assert_eq!(event.get_str("user.name"), Some("acme-bot"));
        assert_eq!(event.get_str("source.ip"), Some("10.20.0.7"));
        assert_eq!(event.get_str("host.name"), Some("ca-01"));
        assert_eq!(event.get_str("observer.product"), Some("CLM"));
        assert_eq!(event.get_str("observer.type"), Some("pki"));
        assert_eq!(event.get_str("event.original"), Some(line));
        assert_eq!(
            event.get_str("certificate.serial_number"),
            Some("4f:3a:00:00:00:01")
        );
    }

    #[test]
    fn expiring_days_are_computed() {
        let line = r#"{"schema":"vigil.pki/1","time":"2026-11-22T10:00:01Z","type":"certificate-expiring","certificate":{"serial_number":"01","not_after":"2026-11-27T12:00:00Z","renewal":{"attempts_30d":"0"}}}"#;
        let event = parse(line);
        assert_eq!(event.get("pki.days_remaining"), Some(&json!(5)));
        assert_eq!(event.get("pki.renewal.attempts_30d"), Some(&json!(0)));
        assert_eq!(event.get("event.type"), Some(&json!(["info"])));
    }

    #[test]
    fn validation_failure_and_revocation() {
        let line = r#"{"schema":"vigil.pki/1","time":"2026-11-22T10:00:01Z","type":"certificate-validation-failure","validation":{"error":"hostname_mismatch","server_name":"api.example.com","peer":{"ip":"203.0.113.5","port":443},"tls_version":"TLSv1.3"},"certificate":{"subject":{"common_name":"other.example.com"},"issuer":{"common_name":"Acme Issuing CA 1"}}}"#;
        let event = parse(line);
        assert_eq!(
            event.get_str("event.action"),
            Some("certificate-validation-failed")
        );
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get("tls.established"), Some(&json!(false)));
        assert_eq!(event.get_str("tls.version"), Some("1.3"));
        assert_eq!(
            event.get_str("tls.client.server_name"),
            Some("api.example.com")
        );
        assert_eq!(
            event.get_str("tls.server.x509.subject.common_name"),
            Some("other.example.com")
        );
        assert_eq!(event.get_str("destination.ip"), Some("203.0.113.5"));
        assert_eq!(event.get_str("error.code"), Some("hostname_mismatch"));
        let line = r#"{"schema":"vigil.pki/1","time":"2026-11-22T10:00:01Z","type":"certificate-revoked","actor":{"name":"pki-admin"},"certificate":{"serial_number":"0x0a0b","revocation":{"reason":"keyCompromise","authorized_by":"ciso"}}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("x509.serial_number"), Some("0A0B"));
        assert_eq!(event.get_str("event.reason"), Some("keyCompromise"));
        assert_eq!(event.get_str("pki.revocation.authorized_by"), Some("ciso"));
    }

    #[test]
    fn key_events_map_to_hsm() {
        let line = r#"{"schema":"vigil.pki/1","time":"2026-11-22T10:00:01Z","type":"key-destroyed","outcome":"success","actor":{"name":"crypto-officer"},"system":{"hostname":"hsm-01"},"key":{"id":"0x00a1","label":"fw-release-2025","class":"Private","algorithm":"EC","size":256,"partition":"fw-signing","authorized_by":"ciso"}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.module"), Some("hsm"));
        assert_eq!(event.get_str("event.action"), Some("key-destroy"));
        assert_eq!(event.get("event.type"), Some(&json!(["deletion"])));
        assert_eq!(event.get_str("hsm.key.class"), Some("private"));
        assert_eq!(event.get_str("hsm.partition"), Some("fw-signing"));
        assert_eq!(event.get_str("host.name"), Some("hsm-01"));
        let line = r#"{"schema":"vigil.pki/1","time":"2026-11-22T10:00:01Z","type":"hsm-login","outcome":"failure","actor":{"name":"svc-build"},"diagnostics":{"code":"CKR_PIN_INCORRECT"}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get_str("error.code"), Some("CKR_PIN_INCORRECT"));
        assert_eq!(event.get("event.type"), Some(&json!(["access"])));
    }

    #[test]
    fn signature_local_time() {
        let line = r#"{"schema":"vigil.pki/1","time":"2026-11-22T23:00:01+01:00","timezone":"Europe/Berlin","type":"artifact-signed","outcome":"success","actor":{"name":"release-bot"},"origin":{"ip":"10.20.0.15"},"system":{"hostname":"sign-01.build.example"},"tool":"cosign","key":{"id":"fw-release-2026","label":"Acme firmware release key 2026"},"artifact":{"path":"out/gw-200-4.2.0.bin","sha256":"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.module"), Some("signing"));
        assert_eq!(event.get("signing.local_time.hour"), Some(&json!(23)));
        assert_eq!(event.get("signing.local_time.weekday"), Some(&json!(7)));
        assert_eq!(
            event.get_str("signing.local_time.timezone"),
            Some("Europe/Berlin")
        );
        assert_eq!(event.get_str("signing.key.id"), Some("fw-release-2026"));
        assert_eq!(event.get_str("file.name"), Some("gw-200-4.2.0.bin"));
        assert_eq!(event.get_str("host.name"), Some("sign-01.build.example"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-11-22T22:00:01.000Z")
        );
    }

    #[test]
    fn odd_values_do_not_panic() {
        for line in [
            r#"{"schema":"vigil.pki/1","type":"certificate-expiring","time":12,"certificate":{"not_after":"x","alternative_names":[1,null,{}],"serial_number":""}}"#,
            r#"{"schema":"vigil.pki/1","type":"artifact-signed","time":"2026-11-22T23:00:01","artifact":{"path":"/"},"key":"k"}"#,
            r#"{"schema":"vigil.pki/1","type":"key-use","certificate":"x","validation":[],"key":{"size":"big"}}"#,
            r#"{"schema":"vigil.pki/","type":"certificate-issued"}"#,
        ] {
            let event = parse(line);
            assert_eq!(event.get_str("event.original"), Some(line));
        }
        assert!(!is_event(&parse(r#"{"schema":"vigil.pki/","type":"x"}"#)));
        assert!(!is_event(&parse(r#"{"schema":"vigil.pki/1"}"#)));
    }
}
