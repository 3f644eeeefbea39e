//! JSON lines (NDJSON): one JSON object per line becomes the event as is, dotted keys
//! expanded. `event.original` is set to the line unless the object has one, and a
//! parseable `@timestamp` is normalised to RFC 3339 UTC with millisecond precision.
//! AWS CloudTrail records ([`crate::cloudtrail`]), GitHub and GitLab audit events
//! ([`crate::github`], [`crate::gitlab`]), Dependency-Track notifications
//! ([`crate::dependency_track`]) and Vigil's own `vigil.pki/1` and `vigil.device/1`
//! formats ([`crate::pki`], [`crate::device_fleet`]) keep their fields and get ECS fields
//! added (the first that recognises the object wins). Suricata EVE records
//! ([`crate::suricata`]), Zeek JSON logs ([`crate::zeek`]), Azure activity log records
//! ([`crate::azure`]), Google Cloud audit log entries ([`crate::gcp_audit`]) and
//! CrowdStrike Falcon streaming API events ([`crate::crowdstrike`]) are moved under
//! `suricata.eve` / `zeek.<log>` / `azure.activitylogs` / `gcp.audit` / `crowdstrike.*` with
//! ECS added next to them, as are S3 / ELB access logs forwarded by Wazuh
//! ([`crate::aws_access`]).

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::error::JsonError;
use crate::{
    aws_access, azure, cloudtrail, crowdstrike, dependency_track, device_fleet, gcp_audit, github,
    gitlab, pki, suricata, time, zeek,
};

/// Parses a JSON object line into an event.
pub fn parse(text: &str) -> Result<Event, JsonError> {
    let map: Map<String, Value> = serde_json::from_str(text)?;
    let mut event = Event::from_map(map);
    event.set_default("event.original", text);
    normalise_timestamp(&mut event);
    let _recognised = cloudtrail::apply(&mut event)
        || cloudtrail::apply_file(&mut event)
        || cloudtrail::apply_envelope(&mut event)
        || github::apply(&mut event)
        || gitlab::apply(&mut event)
        || dependency_track::apply(&mut event)
        || pki::apply(&mut event)
        || device_fleet::apply(&mut event)
        || suricata::apply(&mut event)
        || zeek::apply(&mut event)
        || azure::apply(&mut event)
        || gcp_audit::apply(&mut event)
        || crowdstrike::apply(&mut event)
        || aws_access::apply(&mut event);
    Ok(event)
}

/// Rewrites `@timestamp` to the canonical form. A string in RFC 3339 (or ISO 8601 without
/// zone, taken as UTC) or a number of epoch seconds / milliseconds is accepted; anything
/// else is moved to `vigil.original_timestamp` and tagged `_timestamp_parse_failure`,
/// so that the caller's receive-time fallback applies.
fn normalise_timestamp(event: &mut Event) {
    let Some(value) = event.get("@timestamp") else {
        return;
    };
    let parsed = match value {
        Value::String(s) => time::parse_iso8601(s, None),
        Value::Number(n) => n.as_f64().and_then(time::from_epoch),
        _ => None,
    };
    match parsed {
        Some(t) => event.set("@timestamp", vigil_core::time::format_timestamp(t)),
        None => {
            if let Some(original) = event.remove("@timestamp") {
                event.set("vigil.original_timestamp", original);
            }
            event.add_tag(TAG_TIMESTAMP_FAILURE);
        }
    }
}

/// Tag for a JSON event whose `@timestamp` could not be understood.
pub const TAG_TIMESTAMP_FAILURE: &str = "_timestamp_parse_failure";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_with_dotted_keys() {
        let line = r#"{"source.ip":"10.0.0.1","message":"hi","@timestamp":"2026-01-02T03:04:05.123456+01:00"}"#;
        let event = parse(line).unwrap_or_default();
        assert_eq!(event.get_str("source.ip"), Some("10.0.0.1"));
        assert_eq!(event.get_str("event.original"), Some(line));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-01-02T02:04:05.123Z")
        );
    }

    #[test]
    fn keeps_existing_original_and_epoch_timestamps() {
        let event =
            parse(r#"{"event":{"original":"x"},"@timestamp":1700000000123}"#).unwrap_or_default();
        assert_eq!(event.get_str("event.original"), Some("x"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2023-11-14T22:13:20.123Z")
        );
        let event = parse(r#"{"@timestamp":1700000000}"#).unwrap_or_default();
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2023-11-14T22:13:20.000Z")
        );
    }

    #[test]
    fn bad_timestamp_is_moved_aside() {
        let event = parse(r#"{"@timestamp":"yesterday"}"#).unwrap_or_default();
        assert_eq!(event.get("@timestamp"), None);
        assert_eq!(
            event.get("vigil.original_timestamp"),
            Some(&json!("yesterday"))
        );
        assert!(event.has_tag(TAG_TIMESTAMP_FAILURE));
    }

    #[test]
    fn non_objects_are_errors() {
        assert!(parse("[1,2]").is_err());
        assert!(parse("{\"a\":").is_err());
    }
}
