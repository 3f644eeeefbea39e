//! AWS CloudTrail records: a JSON object with `eventSource` ending in `.amazonaws.com`
//! and an `eventName`, recognised inside the JSON parser. The native fields stay as sent;
//! ECS is added: `@timestamp` (`eventTime`), `event.action` (`eventName`),
//! `event.provider` (`eventSource`), `event.kind: event`, `cloud.provider: aws`,
//! `cloud.region` (`awsRegion`), `source.ip` (`sourceIPAddress` when an IP, else
//! `source.address`), `user_agent.original`, `user.name` (`userIdentity.userName`),
//! `user.id` (`userIdentity.arn`, else `principalId`), `event.outcome` (failure when
//! `errorCode` is present), `error.code` / `error.message`, `event.category` (iam for
//! `iam.amazonaws.com`, authentication for `ConsoleLogin` and STS role / token calls),
//! `event.type: [info]`. For an assumed role without `userName`, `user.name` is the
//! session name of the ARN (`assumed-role/ROLE/SESSION`) and `user.roles` the role. Records
//! inside Wazuh's AWS envelope (`{"aws": {"source": "cloudtrail", ...}}`) are unwrapped
//! (`apply_envelope`).
//!
//! A whole CloudTrail file (`{"Records":[...]}`) on one line: with one record, the event
//! is that record (mapped as above, `event.original` the whole line); with several, the
//! event keeps `Records` as sent, `cloud.provider` and `aws.cloudtrail.record_count`, and
//! sources call [`split_records`] to get one event per record.

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::{ecs, time};

/// Whether the event is a CloudTrail record.
pub fn is_record(event: &Event) -> bool {
    event
        .get_str("eventSource")
        .is_some_and(|s| s.ends_with(".amazonaws.com"))
        && event.get("eventName").is_some()
}

/// Adds the ECS fields to a CloudTrail record; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_record(event) {
        return false;
    }
    let get = |event: &Event, path: &str| event.get_str(path).map(str::to_string);
    let source = get(event, "eventSource").unwrap_or_default();
    let name = event
        .get("eventName")
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .unwrap_or_default();
    if let Some(t) = get(event, "eventTime").and_then(|t| time::parse_iso8601(&t, None)) {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    event.set("event.kind", "event");
    ecs::set_str(event, "event.action", &name);
    event.set("event.provider", source.as_str());
    event.set("cloud.provider", "aws");
    if let Some(region) = get(event, "awsRegion") {
        ecs::set_str(event, "cloud.region", &region);
    }
    if let Some(address) = get(event, "sourceIPAddress") {
        if !ecs::set_ip(event, "source", &address) {
            ecs::set_str(event, "source.address", &address);
        }
    }
    if let Some(agent) = get(event, "userAgent") {
        ecs::set_str(event, "user_agent.original", &agent);
    }
    if let Some(user) = get(event, "userIdentity.userName") {
        ecs::set_user(event, "user.name", &user);
    } else if get(event, "userIdentity.type").as_deref() == Some("AssumedRole") {
        // `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: the session (often the person)
        // is the user, the role goes to user.roles.
        let arn = get(event, "userIdentity.arn").unwrap_or_default();
        if let Some((role, session)) = arn
            .split_once(":assumed-role/")
            .and_then(|(_, rest)| rest.split_once('/'))
        {
            ecs::set_user(event, "user.name", session);
            ecs::set_array(event, "user.roles", &[role]);
        }
    }
    if let Some(id) =
        get(event, "userIdentity.arn").or_else(|| get(event, "userIdentity.principalId"))
    {
        ecs::set_str(event, "user.id", &id);
    }
    match event.get("errorCode").cloned() {
        Some(code) if !code.is_null() => {
            event.set("event.outcome", "failure");
            let code = code
                .as_str()
                .map_or_else(|| code.to_string(), str::to_string);
            ecs::set_str(event, "error.code", &code);
            if let Some(message) = get(event, "errorMessage") {
                ecs::set_str(event, "error.message", &message);
            }
        }
        // A failed console sign-in carries no errorCode: the result is in responseElements.
        _ if get(event, "responseElements.ConsoleLogin").as_deref() == Some("Failure") => {
            event.set("event.outcome", "failure");
            if let Some(message) = get(event, "errorMessage") {
                ecs::set_str(event, "error.message", &message);
            }
        }
        _ => event.set("event.outcome", "success"),
    }
    let category = if name == "ConsoleLogin"
        || (source == "sts.amazonaws.com"
            && (name.starts_with("AssumeRole")
                || name.starts_with("GetSessionToken")
                || name == "GetFederationToken"))
        || source == "signin.amazonaws.com"
    {
        Some("authentication")
    } else if source == "iam.amazonaws.com" {
        Some("iam")
    } else {
        None
    };
    if let Some(category) = category {
        event.set("event.category", Value::Array(vec![Value::from(category)]));
    }
    event.set("event.type", Value::Array(vec![Value::from("info")]));
    true
}

/// A CloudTrail record as Wazuh's AWS module forwards it (`{"integration": "aws", "aws":
/// {"source": "cloudtrail", <record fields>, "log_info": {...}}}`): the record is taken
/// out of the envelope and mapped as above (`aws.log_info` and `aws.source` kept,
/// `event.original` the whole line). Returns whether it was one.
pub(crate) fn apply_envelope(event: &mut Event) -> bool {
    if event.get_str("aws.source") != Some("cloudtrail") || event.get("aws.eventName").is_none() {
        return false;
    }
    let mut map = std::mem::replace(event, Event::new()).into_map();
    let original = map.get("event").and_then(|e| e.get("original")).cloned();
    let mut inner = match map.remove("aws") {
        Some(Value::Object(inner)) => inner,
        _ => Map::new(),
    };
    let mut aws = Map::new();
    for key in ["source", "log_info"] {
        if let Some(v) = inner.remove(key) {
            aws.insert(key.to_string(), v);
        }
    }
    *event = Event::from_map(inner);
    event.set("aws", Value::Object(aws));
    if let Some(original) = original {
        event.set("event.original", original);
    }
    apply(event)
}

/// For a `{"Records":[...]}` object: maps a single record in place, or marks a
/// multi-record file (see the module documentation). Returns whether it was one.
pub(crate) fn apply_file(event: &mut Event) -> bool {
    let Some(Value::Array(records)) = event.get("Records") else {
        return false;
    };
    if records.len() == 1 {
        if let Some(Value::Object(record)) = records.first().cloned() {
            let original = event.get("event.original").cloned();
            let mut single = Event::from_map(record);
            if let Some(original) = original {
                single.set("event.original", original);
            }
            if is_record(&single) {
                apply(&mut single);
                *event = single;
                return true;
            }
        }
        return false;
    }
    let count = records.len();
    event.set("cloud.provider", "aws");
    event.set("event.kind", "event");
    event.set("aws.cloudtrail.record_count", count);
    true
}

/// One mapped event per record of a CloudTrail file line (`{"Records":[...]}`), each with
/// its record's JSON as `event.original`; `None` when the text is not such a file.
pub fn split_records(text: &str) -> Option<Vec<Event>> {
    let map: Map<String, Value> = serde_json::from_str(text).ok()?;
    let Some(Value::Array(records)) = map.get("Records") else {
        return None;
    };
    Some(
        records
            .iter()
            .map(|record| {
                let original = record.to_string();
                let mut event = match record {
                    Value::Object(m) => Event::from_map(m.clone()),
                    other => {
                        let mut e = Event::new();
                        e.set("message", other.to_string());
                        e
                    }
                };
                event.set_default("event.original", original);
                apply(&mut event);
                event
            })
            .collect(),
    )
}
