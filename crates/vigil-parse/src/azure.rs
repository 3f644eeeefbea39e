//! Azure activity log records (the Azure Monitor export: `time`, `category`
//! `Administrative` / `Security` / `ServiceHealth` / `Alert` / `Recommendation` / `Policy` /
//! `Autoscale` / `ResourceHealth`, `operationName`, `resultType`, `callerIpAddress`,
//! `identity` ...), recognised inside the JSON parser by `time` with one of those
//! categories. The record is kept whole under `azure.activitylogs` and ECS is added:
//! `@timestamp` (`time`: ISO 8601, zone-less as UTC, or the US form
//! `M/D/YYYY h:mm:ss[ AM|PM][ ±hh:mm]`), `event.kind: event`, `event.module: azure`,
//! `event.dataset: azure.activitylogs`, `cloud.provider: azure`, `event.action`
//! (`operationName`, or its `value`), `event.outcome` (`resultType` Success / Failure),
//! `source.ip` (`callerIpAddress`), `user.name` (`identity.claims.name`, else `caller`),
//! `cloud.account.id` (the subscription of `resourceId`), and
//! `event.category: [configuration]` with `event.type: [change]` for Administrative
//! operations.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde_json::Value;
use vigil_core::Event;

use crate::{ecs, time};

/// The categories of the activity log.
const CATEGORIES: [&str; 8] = [
    "Administrative",
    "Security",
    "ServiceHealth",
    "Alert",
    "Recommendation",
    "Policy",
    "Autoscale",
    "ResourceHealth",
];

/// Whether the event is an Azure activity log record.
pub fn is_record(event: &Event) -> bool {
    event.get_str("time").is_some()
        && event
            .get_str("category")
            .is_some_and(|c| CATEGORIES.contains(&c))
}

/// Maps an Azure activity log record in place; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_record(event) {
        return false;
    }
    let mut record = std::mem::replace(event, Event::new()).into_map();
    for key in ["event", "@timestamp", "tags"] {
        if let Some(value) = record.remove(key) {
            event.set(key, value);
        }
    }
    let text = |path: &str| {
        let mut parts = path.split('.');
        let first = record.get(parts.next()?)?;
        parts
            .try_fold(first, |v, part| v.as_object()?.get(part))
            .and_then(ecs::scalar)
            .filter(|s| !s.is_empty())
    };
    event.set("event.kind", "event");
    event.set("event.module", "azure");
    event.set("event.dataset", "azure.activitylogs");
    event.set("cloud.provider", "azure");
    if let Some(t) = text("time").as_deref().and_then(parse_time) {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    if let Some(action) = text("operationName").or_else(|| text("operationName.value")) {
        ecs::set_str(event, "event.action", &action);
    }
    if let Some(result) = text("resultType") {
        ecs::set_outcome(event, &result);
    }
    if let Some(ip) = text("callerIpAddress") {
        ecs::set_ip(event, "source", &ip);
    }
    if let Some(user) = record
        .get("identity")
        .and_then(|i| i.get("claims"))
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| text("caller"))
    {
        ecs::set_user(event, "user.name", &user);
    }
    if let Some(subscription) = text("resourceId").and_then(|r| {
        let lower = r.to_ascii_lowercase();
        let start = lower.find("/subscriptions/")? + "/subscriptions/".len();
        r.get(start..)?.split('/').next().map(str::to_string)
    }) {
        ecs::set_str(event, "cloud.account.id", &subscription);
    }
    if text("category").as_deref() == Some("Administrative") {
        ecs::set_array(event, "event.category", &["configuration"]);
        ecs::set_array(event, "event.type", &["change"]);
    }
    event.set("azure.activitylogs", Value::Object(record));
    true
}

/// `time` as ISO 8601 (zone-less: UTC) or `M/D/YYYY h:mm:ss[ AM|PM][ ±hh:mm]`.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let utc = FixedOffset::east_opt(0)?;
    if let Some(t) = time::parse_iso8601(s, Some(utc)) {
        return Some(t);
    }
    let (body, offset) = match s.rsplit_once(' ') {
        Some((body, zone)) if zone.starts_with(['+', '-']) => (body, time::parse_zone(zone)?),
        _ => (s, utc),
    };
    ["%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(body, f).ok())
        .and_then(|t| t.and_local_timezone(offset).single())
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn time_forms() {
        for s in [
            "01/09/2007 09:41:00",
            "1/9/2007 9:41:00 AM",
            "1/9/2007 10:41:00 AM +01:00",
            "2007-01-09T09:41:00",
            "2007-01-09T11:41:00+02:00",
        ] {
            assert_eq!(
                parse_time(s)
                    .map(vigil_core::time::format_timestamp)
                    .as_deref(),
                Some("2007-01-09T09:41:00.000Z"),
                "{s}"
            );
        }
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn administrative_record() {
        let line = r#"{"time":"2019-01-01T10:00:00Z","category":"Administrative","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE","resultType":"Success","callerIpAddress":"81.2.69.143","resourceId":"/SUBSCRIPTIONS/ABC-123/RESOURCEGROUPS/RG","identity":{"claims":{"name":"alice"}}}"#;
        let event = json::parse(line).unwrap_or_default();
        assert_eq!(
            event.get_str("event.action"),
            Some("MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE")
        );
        assert_eq!(event.get_str("event.outcome"), Some("success"));
        assert_eq!(event.get_str("source.ip"), Some("81.2.69.143"));
        assert_eq!(event.get_str("user.name"), Some("alice"));
        assert_eq!(event.get_str("cloud.account.id"), Some("ABC-123"));
        assert_eq!(
            event.get_str("azure.activitylogs.category"),
            Some("Administrative")
        );
        let other = json::parse(r#"{"time":"x","category":"Other"}"#).unwrap_or_default();
        assert_eq!(other.get("azure"), None);
    }
}
