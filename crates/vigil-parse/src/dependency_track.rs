//! OWASP Dependency-Track webhook notifications: a JSON object
//! `{"notification": {"level", "scope", "group", "timestamp", "title", "content",
//! "subject": {...}}}`, recognised inside the JSON parser by a `notification` object with
//! a string `group` and a `level` or `scope`.
//!
//! The notification stays as sent; ECS is added as `rules/FORMATS.md` (section
//! dependency-track) describes: `event.module: dependency_track`, `event.dataset:
//! dependency_track.notification`, `event.action` (the group verbatim: the rules match
//! `NEW_VULNERABILITY`), `event.kind` (alert for findings: `NEW_VULNERABILITY`,
//! `NEW_VULNERABLE_DEPENDENCY`, `POLICY_VIOLATION`, `PROJECT_AUDIT_CHANGE`; event for
//! operational notifications such as `BOM_PROCESSED`), `event.category` (vulnerability
//! for vulnerability findings, package for policy violations and BOM processing,
//! configuration otherwise), `event.type: ["info"]`, `event.outcome` (failure for
//! `*_FAILED` groups), `event.severity` (99 / 73 / 47 / 21 / 0 from the vulnerability's
//! severity), `@timestamp`, `message` (`content`), `vulnerability.*` (id, severity,
//! score, description, reference, classification, scanner), `package.*` (name, version,
//! reference (purl), type from the purl), `rule.name` (the violated policy) and
//! `dependency_track.*` (notification header, the first affected project, the
//! vulnerability's source and uuid, the policy violation's type and state).
//! A notification for several projects stays one event; `dependency_track.project_count`
//! says how many.

use serde_json::Value;
use vigil_core::Event;

use crate::{ecs, time};

/// Whether the event is a Dependency-Track notification.
pub fn is_notification(event: &Event) -> bool {
    event.get_str("notification.group").is_some()
        && (event.get("notification.level").is_some() || event.get("notification.scope").is_some())
}

/// Adds the ECS fields to a Dependency-Track notification; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_notification(event) {
        return false;
    }
    let group = event
        .get_str("notification.group")
        .unwrap_or_default()
        .to_string();
    event.set("event.module", "dependency_track");
    event.set("event.dataset", "dependency_track.notification");
    event.set("event.action", group.as_str());
    let finding = matches!(
        group.as_str(),
        "NEW_VULNERABILITY"
            | "NEW_VULNERABLE_DEPENDENCY"
            | "POLICY_VIOLATION"
            | "PROJECT_AUDIT_CHANGE"
    );
    event.set("event.kind", if finding { "alert" } else { "event" });
    let category = match group.as_str() {
        "NEW_VULNERABILITY" | "NEW_VULNERABLE_DEPENDENCY" | "PROJECT_AUDIT_CHANGE" => {
            "vulnerability"
        }
        g if g == "POLICY_VIOLATION" || g.starts_with("BOM_") || g.starts_with("VEX_") => "package",
        _ => "configuration",
    };
    ecs::set_array(event, "event.category", &[category]);
    ecs::set_array(event, "event.type", &["info"]);
    if group.ends_with("_FAILED") {
        event.set("event.outcome", "failure");
    }
    for key in ["group", "level", "scope", "title"] {
        if let Some(value) = ecs::text_at(event, &format!("notification.{key}")) {
            event.set(&format!("dependency_track.notification.{key}"), value);
        }
    }
    if let Some(content) = ecs::text_at(event, "notification.content") {
        event.set_default("message", content);
    }
    if event.get("@timestamp").is_none() {
        if let Some(t) = ecs::text_at(event, "notification.timestamp")
            .and_then(|t| time::parse_iso8601(&t, None))
        {
            event.set("@timestamp", vigil_core::time::format_timestamp(t));
        }
    }
    vulnerability(event);
    component(event);
    project(event);
    policy_violation(event);
    true
}

/// The subject's vulnerability (`subject.vulnerability`, or the first of
/// `subject.vulnerabilities` for a new vulnerable dependency).
fn vulnerability(event: &mut Event) {
    let vuln = match event.get("notification.subject.vulnerability") {
        Some(Value::Object(v)) => Some(v.clone()),
        _ => match event.get("notification.subject.vulnerabilities") {
            Some(Value::Array(items)) => items.first().and_then(Value::as_object).cloned(),
            _ => None,
        },
    };
    let Some(vuln) = vuln else {
        return;
    };
    let text = |key: &str| {
        vuln.get(key)
            .and_then(ecs::scalar)
            .filter(|s| ecs::present(s))
    };
    let id = text("vulnId");
    if let Some(id) = &id {
        event.set("vulnerability.id", id.as_str());
    }
    if let Some(severity) = text("severity") {
        let number = match severity.to_ascii_uppercase().as_str() {
            "CRITICAL" => 99,
            "HIGH" => 73,
            "MEDIUM" => 47,
            "LOW" => 21,
            _ => 0,
        };
        event.set("event.severity", number);
        event.set("vulnerability.severity", severity);
    }
    // Dependency-Track writes the base scores as `cvssv3` / `cvssv2`; some versions and
    // relays use `cvssV3BaseScore`. Matched without regard to case.
    let score = |names: &[&str]| {
        vuln.iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .and_then(|(_, v)| match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            })
    };
    let scored = score(&["cvssv3", "cvssv3BaseScore"])
        .map(|s| (s, "3.1"))
        .or_else(|| score(&["cvssv2", "cvssv2BaseScore"]).map(|s| (s, "2.0")));
    if let Some((base, version)) = scored {
        event.set("vulnerability.score.base", base);
        event.set("vulnerability.score.version", version);
        event.set("vulnerability.classification", "CVSS");
    }
    if let Some(description) = text("description").or_else(|| text("title")) {
        event.set("vulnerability.description", description);
    }
    let source = text("source");
    if let Some(source) = &source {
        event.set("dependency_track.vulnerability.source", source.as_str());
    }
    if let Some(uuid) = text("uuid") {
        event.set("dependency_track.vulnerability.uuid", uuid);
    }
    if let (Some(id), Some(source)) = (&id, &source) {
        let reference = match source.to_ascii_uppercase().as_str() {
            "NVD" => Some(format!("https://nvd.nist.gov/vuln/detail/{id}")),
            "GITHUB" => Some(format!("https://github.com/advisories/{id}")),
            "OSV" => Some(format!("https://osv.dev/vulnerability/{id}")),
            _ => None,
        };
        if let Some(reference) = reference {
            event.set("vulnerability.reference", reference);
        }
    }
    event.set("vulnerability.scanner.vendor", "OWASP Dependency-Track");
}

/// `package.*` from `subject.component` (else `subject.dependency.component`).
fn component(event: &mut Event) {
    let base = if event.get("notification.subject.component").is_some() {
        "notification.subject.component"
    } else {
        "notification.subject.dependency.component"
    };
    if let Some(name) = ecs::text_at(event, &format!("{base}.name")) {
        event.set("package.name", name);
    }
    if let Some(version) = ecs::text_at(event, &format!("{base}.version")) {
        event.set("package.version", version);
    }
    if let Some(purl) = ecs::text_at(event, &format!("{base}.purl")) {
        if let Some(kind) = purl
            .strip_prefix("pkg:")
            .and_then(|rest| rest.split_once('/'))
            .map(|(kind, _)| kind.to_string())
        {
            event.set("package.type", kind);
        }
        event.set("package.reference", purl);
    }
    if let Some(group) = ecs::text_at(event, &format!("{base}.group")) {
        event.set("dependency_track.component.group", group);
    }
}

/// The first affected project (`subject.affectedProjects`, else `subject.project`).
fn project(event: &mut Event) {
    let (first, count) = match event.get("notification.subject.affectedProjects") {
        Some(Value::Array(items)) => (items.first().cloned(), items.len()),
        _ => (event.get("notification.subject.project").cloned(), 1),
    };
    let Some(Value::Object(project)) = first else {
        return;
    };
    for key in ["name", "version", "uuid"] {
        if let Some(value) = project
            .get(key)
            .and_then(ecs::scalar)
            .filter(|s| ecs::present(s))
        {
            event.set(&format!("dependency_track.project.{key}"), value);
        }
    }
    event.set("dependency_track.project_count", count);
}

/// `subject.policyViolation`: type, state, the policy's name.
fn policy_violation(event: &mut Event) {
    let base = "notification.subject.policyViolation";
    if event.get(base).is_none() {
        return;
    }
    if let Some(kind) = ecs::text_at(event, &format!("{base}.type")) {
        event.set("dependency_track.policy_violation.type", kind);
    }
    if let Some(state) = ecs::text_at(
        event,
        &format!("{base}.policyCondition.policy.violationState"),
    ) {
        event.set("dependency_track.policy_violation.state", state);
    }
    if let Some(name) = ecs::text_at(event, &format!("{base}.policyCondition.policy.name")) {
        event.set("rule.name", name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(line: &str) -> Event {
        crate::json::parse(line).unwrap_or_default()
    }

    /// Shaped like Dependency-Track 4.x's webhook publisher output for a new vulnerability.
    const NEW_VULN: &str = r#"{"notification":{"level":"INFORMATIONAL","scope":"PORTFOLIO","group":"NEW_VULNERABILITY","timestamp":"2026-11-22T10:00:01.123","title":"New Vulnerability Identified","content":"Heap overflow in the TLS record parser","subject":{"component":{"uuid":"4d5cd8df-cf2d-4d74-a0d1-2c1e3b9b8e00","group":"Mbed-TLS","name":"mbedtls","version":"3.5.0","purl":"pkg:github/Mbed-TLS/mbedtls@3.5.0","md5":"","sha1":""},"vulnerability":{"uuid":"a6d3a0f0-1a2b-4c3d-8e9f-0a1b2c3d4e5f","vulnId":"CVE-2026-12345","source":"NVD","description":"Heap overflow in the TLS record parser","cvssv3":9.8,"severity":"CRITICAL","cwe":{"cweId":122,"name":"Heap-based Buffer Overflow"}},"affectedProjects":[{"uuid":"6b1c2f36-5ad3-4f37-9a3a-1b4c9e1d2f00","name":"gw-200-firmware","version":"4.2.0"},{"uuid":"77","name":"gw-300-firmware","version":"1.0"}]}}}"#;

    #[test]
    fn new_vulnerability() {
        let event = parse(NEW_VULN);
        assert_eq!(event.get_str("event.kind"), Some("alert"));
        assert_eq!(event.get_str("event.action"), Some("NEW_VULNERABILITY"));
        assert_eq!(event.get_str("vulnerability.id"), Some("CVE-2026-12345"));
        assert_eq!(event.get_str("vulnerability.severity"), Some("CRITICAL"));
        assert_eq!(event.get("event.severity"), Some(&json!(99)));
        assert_eq!(event.get("vulnerability.score.base"), Some(&json!(9.8)));
        assert_eq!(event.get_str("vulnerability.score.version"), Some("3.1"));
        assert_eq!(
            event.get_str("vulnerability.reference"),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2026-12345")
        );
        assert_eq!(event.get_str("package.name"), Some("mbedtls"));
        assert_eq!(event.get_str("package.version"), Some("3.5.0"));
        assert_eq!(event.get_str("package.type"), Some("github"));
        assert_eq!(
            event.get_str("dependency_track.project.name"),
            Some("gw-200-firmware")
        );
        assert_eq!(event.get("dependency_track.project_count"), Some(&json!(2)));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-11-22T10:00:01.123Z")
        );
        assert_eq!(
            event.get_str("message"),
            Some("Heap overflow in the TLS record parser")
        );
        assert_eq!(event.get_str("event.original"), Some(NEW_VULN));
    }

    #[test]
    fn policy_violation_and_bom() {
        let line = r#"{"notification":{"level":"INFORMATIONAL","scope":"PORTFOLIO","group":"POLICY_VIOLATION","timestamp":"2026-11-22T10:00:01Z","title":"Policy Violation","content":"A operational policy violation occurred","subject":{"project":{"uuid":"p1","name":"gw-200-firmware","version":"4.2.0"},"component":{"name":"log4j-core","version":"2.14.1","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},"policyViolation":{"uuid":"v1","type":"OPERATIONAL","timestamp":"2026-11-22T10:00:00Z","policyCondition":{"operator":"IS","subject":"COORDINATES","value":"log4j","policy":{"name":"Banned components","violationState":"FAIL"}}}}}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.action"), Some("POLICY_VIOLATION"));
        assert_eq!(event.get_str("event.kind"), Some("alert"));
        assert_eq!(event.get_str("rule.name"), Some("Banned components"));
        assert_eq!(
            event.get_str("dependency_track.policy_violation.state"),
            Some("FAIL")
        );
        assert_eq!(event.get_str("package.type"), Some("maven"));
        assert_eq!(
            event.get_str("dependency_track.project.name"),
            Some("gw-200-firmware")
        );
        let line = r#"{"notification":{"level":"ERROR","scope":"PORTFOLIO","group":"BOM_PROCESSING_FAILED","timestamp":"2026-11-22T10:00:01Z","title":"Bill of Materials Processing Failed","content":"An error occurred while processing a BOM","subject":{"project":{"name":"x"},"cause":"bad json"}}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.kind"), Some("event"));
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
    }

    #[test]
    fn odd_values_do_not_panic() {
        for line in [
            r#"{"notification":{"group":"NEW_VULNERABILITY","level":1,"subject":{"vulnerability":{"cvssv3":"n/a","severity":7},"affectedProjects":[1,2],"component":"x"}}}"#,
            r#"{"notification":{"group":"NEW_VULNERABLE_DEPENDENCY","scope":"X","subject":{"vulnerabilities":[],"dependency":{"component":{"purl":"pkg:"}}}}}"#,
            r#"{"notification":{"group":5,"level":"x"}}"#,
        ] {
            let event = parse(line);
            assert_eq!(event.get_str("event.original"), Some(line));
        }
    }
}
