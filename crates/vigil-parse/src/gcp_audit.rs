//! Google Cloud audit log entries (Cloud Logging `LogEntry` objects whose
//! `protoPayload.@type` is `type.googleapis.com/google.cloud.audit.AuditLog`), recognised
//! inside the JSON parser. The entry is kept whole under `gcp.audit` and ECS is added:
//! `@timestamp` (`timestamp`), `event.kind: event`, `event.module: gcp`,
//! `event.dataset: gcp.audit`, `cloud.provider: gcp`, `cloud.project.id`
//! (`resource.labels.project_id`), `event.id` (`insertId`), `event.provider` (the log:
//! `activity`, `data_access`, `system_event`, `policy`), `event.action`
//! (`protoPayload.methodName`), `service.name` (`serviceName`), `source.ip`
//! (`requestMetadata.callerIp` when an address), `user_agent.original`, `user.email` and
//! `user.name` (`authenticationInfo.principalEmail`), `event.outcome` (`status.code` 0 or
//! not; without a status, whether every `authorizationInfo` entry was granted), and
//! `event.category: [configuration]` with `event.type` from the method's verb (creation,
//! deletion, change, access) plus `allowed` / `denied` from `authorizationInfo`.

use serde_json::Value;
use vigil_core::Event;

use crate::{ecs, time};

/// The `@type` of an audit log payload.
const AUDIT_LOG: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

/// Whether the event is a Google Cloud audit log entry.
pub fn is_record(event: &Event) -> bool {
    event
        .get("protoPayload")
        .and_then(|p| p.get("@type"))
        .and_then(Value::as_str)
        == Some(AUDIT_LOG)
}

/// Maps a Google Cloud audit log entry in place; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_record(event) {
        return false;
    }
    let mut entry = std::mem::replace(event, Event::new()).into_map();
    for key in ["event", "@timestamp", "tags"] {
        if let Some(value) = entry.remove(key) {
            event.set(key, value);
        }
    }
    let text = |path: &str| {
        ecs::lookup(&entry, path)
            .and_then(ecs::scalar)
            .filter(|s| !s.is_empty())
    };
    event.set("event.kind", "event");
    event.set("event.module", "gcp");
    event.set("event.dataset", "gcp.audit");
    event.set("cloud.provider", "gcp");
    if let Some(t) = text("timestamp").and_then(|t| time::parse_iso8601(&t, None)) {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    for (from, to) in [
        ("insertId", "event.id"),
        ("resource.labels.project_id", "cloud.project.id"),
        ("protoPayload.methodName", "event.action"),
        ("protoPayload.serviceName", "service.name"),
        (
            "protoPayload.requestMetadata.callerSuppliedUserAgent",
            "user_agent.original",
        ),
        (
            "protoPayload.authenticationInfo.principalEmail",
            "user.email",
        ),
    ] {
        if let Some(v) = text(from) {
            ecs::set_str(event, to, &v);
        }
    }
    if let Some(email) = text("protoPayload.authenticationInfo.principalEmail") {
        ecs::set_user(event, "user.name", &email);
    }
    if let Some(log) = text("logName").and_then(|l| {
        let name = l.rsplit("%2F").next()?.rsplit('/').next()?;
        (!name.is_empty()).then(|| name.to_string())
    }) {
        event.set("event.provider", log);
    }
    if let Some(ip) = text("protoPayload.requestMetadata.callerIp") {
        ecs::set_ip(event, "source", &ip);
    }
    let grants: Vec<bool> = ecs::lookup(&entry, "protoPayload.authorizationInfo")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| a.get("granted").and_then(Value::as_bool))
                .collect()
        })
        .unwrap_or_default();
    let status = ecs::lookup(&entry, "protoPayload.status.code").and_then(Value::as_i64);
    let outcome = match status {
        Some(0) => Some("success"),
        Some(_) => Some("failure"),
        None if grants.is_empty() => None,
        None if grants.iter().all(|g| *g) => Some("success"),
        None => Some("failure"),
    };
    if let Some(outcome) = outcome {
        event.set("event.outcome", outcome);
    }
    let method = text("protoPayload.methodName").unwrap_or_default();
    let verb = method
        .rsplit(['.', '/'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut kinds = vec![match verb.as_str() {
        v if v.starts_with("create") || v.starts_with("insert") => "creation",
        v if v.starts_with("delete") || v.starts_with("remove") => "deletion",
        v if [
            "set", "update", "patch", "replace", "add", "enable", "disable",
        ]
        .iter()
        .any(|p| v.starts_with(p)) =>
        {
            "change"
        }
        _ => "access",
    }];
    if !grants.is_empty() {
        kinds.push(if grants.iter().all(|g| *g) {
            "allowed"
        } else {
            "denied"
        });
    }
    ecs::set_array(event, "event.category", &["configuration"]);
    ecs::set_array(event, "event.type", &kinds);
    event.set("gcp.audit", Value::Object(entry));
    true
}

#[cfg(test)]
mod tests {
    use crate::json;
    use serde_json::json;

    #[test]
    fn denied_data_access() {
        let line = r#"{"insertId":"x1","logName":"projects/p/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"bob@example.com"},"authorizationInfo":[{"granted":false,"permission":"storage.objects.get"}],"methodName":"storage.objects.get","requestMetadata":{"callerIp":"81.2.69.143"},"serviceName":"storage.googleapis.com","status":{"code":7}},"resource":{"labels":{"project_id":"p"}},"timestamp":"2021-04-23T14:47:07.535383Z"}"#;
        let event = json::parse(line).unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("storage.objects.get"));
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get("event.type"), Some(&json!(["access", "denied"])));
        assert_eq!(event.get_str("event.provider"), Some("data_access"));
        assert_eq!(event.get_str("source.ip"), Some("81.2.69.143"));
        assert_eq!(event.get_str("user.name"), Some("bob@example.com"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2021-04-23T14:47:07.535Z")
        );
        assert_eq!(event.get_str("gcp.audit.insertId"), Some("x1"));
    }
}
