//! CrowdStrike Falcon streaming API events (`{"metadata": {"eventType":
//! "DetectionSummaryEvent", "eventCreationTime": <epoch ms>, ...}, "event": {...}}`),
//! recognised inside the JSON parser by `metadata.eventType` with `metadata.customerIDString`
//! or `metadata.eventCreationTime`. The record is kept under `crowdstrike.metadata` and
//! `crowdstrike.event` (its `event` object would otherwise be ECS `event.*`) and ECS is
//! added: `@timestamp` (`eventCreationTime`), `event.module: crowdstrike`,
//! `event.dataset: crowdstrike.falcon`, `event.url` (`FalconHostLink`), `user.name`
//! (`UserName`), `host.name` (`ComputerName`), `process.pid` / `process.command_line` /
//! `process.executable` (`ProcessId`, `CommandLine`, `FilePath` + `FileName`),
//! `file.hash.*` (`MD5String`, `SHA1String`, `SHA256String`), `threat.tactic.name` /
//! `threat.technique.name`, `event.severity` (`Severity`), `message` (`DetectDescription`),
//! and by event type: DetectionSummaryEvent / EppDetectionSummaryEvent — `event.kind:
//! alert`, malware / info, `detection`; IncidentSummaryEvent — alert, malware / info,
//! `incident`; AuthActivityAuditEvent — authentication / start (logins) or info,
//! `event.action` (`OperationName`), `event.outcome` (`Success`), `source.ip`
//! (`UserIp`); UserActivityAuditEvent — iam / change, `OperationName`, `Success`;
//! RemoteResponseSessionStartEvent / EndEvent — session / start or end;
//! FirewallMatchEvent — network / connection with allowed or denied.

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::{ecs, time};

/// Whether the event is a Falcon streaming API event.
pub fn is_record(event: &Event) -> bool {
    event.get_str("metadata.eventType").is_some()
        && (event.get("metadata.customerIDString").is_some()
            || event.get("metadata.eventCreationTime").is_some())
}

/// Maps a Falcon streaming API event in place; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_record(event) {
        return false;
    }
    let mut record = std::mem::replace(event, Event::new()).into_map();
    // The JSON parser put `event.original` into the record's own `event` object.
    let mut payload = match record.remove("event") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(original) = payload.remove("original") {
        event.set("event.original", original);
    }
    for key in ["@timestamp", "tags"] {
        if let Some(value) = record.remove(key) {
            event.set(key, value);
        }
    }
    let metadata = record
        .remove("metadata")
        .and_then(|m| match m {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default();
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key).and_then(ecs::scalar).filter(|v| !v.is_empty())
    };
    let kind = text(&metadata, "eventType").unwrap_or_default();
    event.set("event.kind", "event");
    event.set("event.module", "crowdstrike");
    event.set("event.dataset", "crowdstrike.falcon");
    if let Some(t) = metadata
        .get("eventCreationTime")
        .and_then(Value::as_f64)
        .and_then(time::from_epoch)
    {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    for (key, path) in [
        ("FalconHostLink", "event.url"),
        ("ComputerName", "host.name"),
        ("CommandLine", "process.command_line"),
        ("MD5String", "file.hash.md5"),
        ("SHA1String", "file.hash.sha1"),
        ("SHA256String", "file.hash.sha256"),
        ("Tactic", "threat.tactic.name"),
        ("Technique", "threat.technique.name"),
        ("DetectDescription", "message"),
    ] {
        if let Some(v) = text(&payload, key) {
            ecs::set_str(event, path, &v);
        }
    }
    if let Some(user) = text(&payload, "UserName") {
        ecs::set_user(event, "user.name", &user);
    }
    if let Some(pid) = text(&payload, "ProcessId") {
        ecs::set_number(event, "process.pid", &pid);
    }
    if let Some(severity) = text(&payload, "Severity") {
        ecs::set_number(event, "event.severity", &severity);
    }
    if let (Some(path), Some(name)) = (text(&payload, "FilePath"), text(&payload, "FileName")) {
        let sep = if path.contains('\\') { "\\" } else { "/" };
        let full = format!("{}{sep}{name}", path.trim_end_matches(['/', '\\']));
        ecs::set_str(event, "process.executable", &full);
        ecs::set_str(event, "process.name", &name);
    }
    let (categories, types, action): (&[&str], &[&str], Option<String>) = match kind.as_str() {
        "DetectionSummaryEvent" | "EppDetectionSummaryEvent" => {
            event.set("event.kind", "alert");
            (&["malware"], &["info"], Some("detection".into()))
        }
        "IncidentSummaryEvent" => {
            event.set("event.kind", "alert");
            (&["malware"], &["info"], Some("incident".into()))
        }
        "AuthActivityAuditEvent" => {
            let operation = text(&payload, "OperationName");
            let login = operation
                .as_deref()
                .is_some_and(|o| o.to_ascii_lowercase().contains("login"));
            if let Some(ip) = text(&payload, "UserIp") {
                ecs::set_ip(event, "source", &ip);
            }
            (
                &["authentication"],
                if login { &["start"] } else { &["info"] },
                operation,
            )
        }
        "UserActivityAuditEvent" => (&["iam"], &["change"], text(&payload, "OperationName")),
        "RemoteResponseSessionStartEvent" => (&["session"], &["start"], None),
        "RemoteResponseSessionEndEvent" => (&["session"], &["end"], None),
        "FirewallMatchEvent" => {
            let blocked = text(&payload, "RuleAction").is_some_and(|a| a == "2" || a == "deny");
            (
                &["network"],
                if blocked {
                    &["connection", "denied"]
                } else {
                    &["connection", "allowed"]
                },
                None,
            )
        }
        _ => (&[], &[], None),
    };
    if !categories.is_empty() {
        ecs::set_array(event, "event.category", categories);
        ecs::set_array(event, "event.type", types);
    }
    if let Some(action) = action {
        ecs::set_str(event, "event.action", &action);
    }
    if let Some(success) = payload.get("Success").and_then(Value::as_bool) {
        event.set("event.outcome", if success { "success" } else { "failure" });
    }
    event.set("crowdstrike.metadata", Value::Object(metadata));
    event.set("crowdstrike.event", Value::Object(payload));
    if !record.is_empty() {
        event.set("crowdstrike.other", Value::Object(record));
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::json;
    use serde_json::json;

    #[test]
    fn detection_and_auth_events() {
        let line = r#"{"metadata":{"customerIDString":"c1","eventType":"DetectionSummaryEvent","eventCreationTime":1583295476766},"event":{"ComputerName":"h1","UserName":"bob","Severity":4,"FileName":"x.exe","FilePath":"\\Device\\HarddiskVolume1\\tmp","ProcessId":42}}"#;
        let event = json::parse(line).unwrap_or_default();
        assert_eq!(event.get_str("event.kind"), Some("alert"));
        assert_eq!(event.get_str("event.action"), Some("detection"));
        assert_eq!(event.get_str("user.name"), Some("bob"));
        assert_eq!(event.get_str("process.name"), Some("x.exe"));
        assert_eq!(event.get_str("event.original"), Some(line));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2020-03-04T04:17:56.766Z")
        );
        assert_eq!(event.get_str("crowdstrike.event.ComputerName"), Some("h1"));
        let auth = r#"{"metadata":{"eventType":"AuthActivityAuditEvent","eventCreationTime":1583295476766},"event":{"OperationName":"userAuthenticate","Success":false,"UserId":"a@b.c","UserIp":"81.2.69.143"}}"#;
        let event = json::parse(auth).unwrap_or_default();
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            event.get("event.category"),
            Some(&json!(["authentication"]))
        );
        assert_eq!(event.get_str("source.ip"), Some("81.2.69.143"));
    }
}
