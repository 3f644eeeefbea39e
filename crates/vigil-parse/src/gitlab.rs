//! GitLab audit events, as GitLab streams them (audit event streaming: `author_id`,
//! `author_name`, `entity_type`, `entity_path`, `details{...}`, `ip_address`,
//! `event_type` / `event_name`, `target_type`, `target_details`, `created_at`) or writes
//! them to `audit_json.log` (the same fields flat, `time` for the time, `change` / `from`
//! / `to` at the top level). Recognised inside the JSON parser: an object with
//! `entity_type` and `author_id` or `author_name`, and no ECS `event.module` of its own.
//!
//! Native fields stay as sent; ECS is added (see `rules/FORMATS.md`, section gitlab):
//! `event.module: gitlab`, `event.dataset: gitlab.audit`, `event.kind: event`,
//! `event.action` (the audit event type verbatim: `event_type`, else `event_name`, else
//! `details.event_name`, else `audit_event`), `event.category` (iam for membership, user,
//! token, key and permission events, authentication for sign-ins, configuration for
//! everything else), `event.type` (creation / deletion / change by the verb, start for
//! sign-ins), `event.outcome` (failure for `*failed*` events, else success), `user.name` /
//! `user.id` (the author), `source.ip` (`ip_address`), `user.target.name` (the member of
//! a `member_*` event), and `gitlab.entity_type`, `gitlab.entity_path`,
//! `gitlab.target_type`, `gitlab.target_details`, `gitlab.details.*` (the `details`
//! object with scalars as strings: `"true"`, `"42"`; `change` / `from` / `to` of
//! `audit_json.log` are folded in). `@timestamp` comes from `created_at` (else `time`).

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::{ecs, time};

/// Whether the event looks like a GitLab audit event.
pub fn is_event(event: &Event) -> bool {
    event.get("event.module").is_none()
        && event.get_str("entity_type").is_some()
        && (event.get("author_id").is_some() || event.get_str("author_name").is_some())
}

/// Adds the ECS fields to a GitLab audit event; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_event(event) {
        return false;
    }
    let action = ["event_type", "event_name", "details.event_name"]
        .iter()
        .find_map(|path| ecs::text_at(event, path))
        .unwrap_or_else(|| "audit_event".to_string());
    event.set("event.kind", "event");
    event.set("event.module", "gitlab");
    event.set("event.dataset", "gitlab.audit");
    event.set("event.action", action.as_str());
    let (category, kind, outcome) = classify(&action);
    ecs::set_array(event, "event.category", &[category]);
    ecs::set_array(event, "event.type", &[kind]);
    event.set("event.outcome", outcome);

    let author =
        ecs::text_at(event, "author_name").or_else(|| ecs::text_at(event, "details.author_name"));
    if let Some(author) = author {
        ecs::set_user(event, "user.name", &author);
    }
    if let Some(id) = ecs::text_at(event, "author_id") {
        event.set("user.id", id);
    }
    if let Some(email) = ecs::text_at(event, "details.author_email") {
        event.set("user.email", email);
    }
    let address =
        ecs::text_at(event, "ip_address").or_else(|| ecs::text_at(event, "details.ip_address"));
    if let Some(address) = address {
        ecs::set_ip(event, "source", &address);
    }
    for (field, native) in [
        ("entity_type", "entity_type"),
        ("entity_path", "entity_path"),
        ("entity_id", "entity_id"),
        ("target_type", "target_type"),
        ("target_details", "target_details"),
        ("target_id", "target_id"),
    ] {
        let value = ecs::text_at(event, native)
            .or_else(|| ecs::text_at(event, &format!("details.{native}")));
        if let Some(value) = value {
            event.set(&format!("gitlab.{field}"), value);
        }
    }
    let mut details = match event.get("details") {
        Some(Value::Object(map)) => stringify(map),
        _ => Map::new(),
    };
    // audit_json.log writes the change at the top level.
    for key in ["change", "from", "to", "add", "remove", "as"] {
        if details.contains_key(key) {
            continue;
        }
        if let Some(value) = event.get(key).and_then(ecs::scalar) {
            details.insert(key.to_string(), Value::from(value));
        }
    }
    if !details.is_empty() {
        event.set("gitlab.details", Value::Object(details));
    }
    if action.starts_with("member_") {
        if let Some(member) = ecs::text_at(event, "gitlab.target_details") {
            ecs::set_user(event, "user.target.name", &member);
        }
    }
    if let Some(message) = ecs::text_at(event, "details.custom_message") {
        event.set_default("message", message);
    }
    if event.get("@timestamp").is_none() {
        let stamp = ecs::text_at(event, "created_at").or_else(|| ecs::text_at(event, "time"));
        if let Some(t) = stamp.and_then(|t| time::parse_iso8601(&t, None)) {
            event.set("@timestamp", vigil_core::time::format_timestamp(t));
        }
    }
    true
}

/// The `details` object with every scalar as a string, nested objects kept (likewise
/// converted) and arrays as sent.
fn stringify(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Object(inner) => Value::Object(stringify(inner)),
                Value::Array(_) | Value::Null => value.clone(),
                other => ecs::scalar(other).map_or(Value::Null, Value::from),
            };
            (key.clone(), value)
        })
        .collect()
}

/// `(event.category, event.type, event.outcome)` for an audit event type.
pub fn classify(action: &str) -> (&'static str, &'static str, &'static str) {
    let a = action.to_ascii_lowercase();
    let failed = a.contains("fail");
    let outcome = if failed { "failure" } else { "success" };
    let sign_in = a.starts_with("login_")
        || a.contains("authenticated")
        || a.contains("sign_in")
        || a.contains("signin");
    if sign_in {
        return ("authentication", "start", outcome);
    }
    let iam = [
        "member",
        "user_",
        "access_token",
        "deploy_key",
        "deploy_token",
        "ssh_key",
    ]
    .iter()
    .chain(&[
        "gpg_key",
        "two_factor",
        "password",
        "permission",
        "role",
        "_admin",
    ])
    .any(|word| a.contains(word));
    let category = if iam { "iam" } else { "configuration" };
    let kind = if [
        "created",
        "added",
        "registered",
        "_create",
        "_add",
        "invited",
    ]
    .iter()
    .any(|w| a.contains(w))
    {
        "creation"
    } else if [
        "destroyed",
        "removed",
        "deleted",
        "_destroy",
        "_delete",
        "_remove",
    ]
    .iter()
    .any(|w| a.contains(w))
    {
        "deletion"
    } else {
        "change"
    };
    (category, kind, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Event {
        crate::json::parse(line).unwrap_or_default()
    }

    /// The example of GitLab's audit event streaming documentation, shape for shape.
    const STREAMED: &str = r#"{"id":1,"author_id":1,"entity_id":6,"entity_type":"Project","details":{"author_name":"example_username","target_id":29,"target_type":"Ci::Runner","target_details":"2bd2c0b2","custom_message":"Registered instance runner","ip_address":"127.0.0.1","entity_path":"example-group/example-project"},"ip_address":"127.0.0.1","author_name":"example_username","entity_path":"example-group/example-project","target_details":"2bd2c0b2","created_at":"2022-02-02T10:50:37.823Z","target_type":"Ci::Runner","target_id":29,"event_type":"ci_runner_registered"}"#;

    #[test]
    fn streamed_event() {
        let event = parse(STREAMED);
        assert_eq!(event.get_str("event.module"), Some("gitlab"));
        assert_eq!(event.get_str("event.action"), Some("ci_runner_registered"));
        assert_eq!(event.get_str("user.name"), Some("example_username"));
        assert_eq!(event.get_str("user.id"), Some("1"));
        assert_eq!(event.get_str("source.ip"), Some("127.0.0.1"));
        assert_eq!(event.get_str("gitlab.entity_type"), Some("Project"));
        assert_eq!(event.get_str("gitlab.target_type"), Some("Ci::Runner"));
        assert_eq!(event.get_str("gitlab.details.target_id"), Some("29"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2022-02-02T10:50:37.823Z")
        );
        assert_eq!(event.get_str("event.original"), Some(STREAMED));
        assert_eq!(
            event.get("event.type"),
            Some(&serde_json::json!(["creation"]))
        );
        assert_eq!(event.get("author_id"), Some(&serde_json::json!(1)));
    }

    #[test]
    fn force_push_and_member_events() {
        let line = r#"{"author_id":42,"author_name":"mallory","entity_type":"Project","entity_path":"acme/firmware","target_type":"ProtectedBranch","target_details":"main","ip_address":"198.51.100.31","created_at":"2026-11-22T10:00:01Z","event_type":"protected_branch_allow_force_push_updated","details":{"change":"allow_force_push","from":false,"to":true}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("gitlab.details.to"), Some("true"));
        assert_eq!(event.get_str("gitlab.details.from"), Some("false"));
        assert_eq!(
            event.get("event.category"),
            Some(&serde_json::json!(["configuration"]))
        );
        let line = r#"{"author_id":7,"author_name":"owner","entity_type":"Group","entity_path":"acme","target_details":"bob","target_type":"User","event_name":"member_updated","time":"2026-11-22T10:00:01.000Z","change":"access_level","from":"Developer","to":"Owner"}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.action"), Some("member_updated"));
        assert_eq!(
            event.get("event.category"),
            Some(&serde_json::json!(["iam"]))
        );
        assert_eq!(event.get_str("user.target.name"), Some("bob"));
        assert_eq!(event.get_str("gitlab.details.to"), Some("Owner"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-11-22T10:00:01.000Z")
        );
    }

    #[test]
    fn failed_sign_in() {
        let (c, t, o) = classify("login_failed_with_standard_authentication");
        assert_eq!((c, t, o), ("authentication", "start", "failure"));
        assert_eq!(classify("member_destroyed"), ("iam", "deletion", "success"));
    }

    #[test]
    fn odd_values_do_not_panic() {
        for line in [
            r#"{"entity_type":"Project","author_id":null,"author_name":5,"details":[1],"ip_address":"not-an-ip","created_at":"soon"}"#,
            r#"{"entity_type":7,"author_name":"x"}"#,
            r#"{"entity_type":"Project","author_name":"x","details":{"a":{"b":null}},"event_type":{"x":1}}"#,
        ] {
            let event = parse(line);
            assert_eq!(event.get_str("event.original"), Some(line));
        }
    }
}
