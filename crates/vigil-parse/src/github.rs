//! GitHub audit log events: a JSON object whose `action` contains a dot (`repo.create`,
//! `org.add_member`, `protected_branch.destroy`) and which has an `actor` or `org`,
//! recognised inside the JSON parser. Native fields stay as sent; ECS is added:
//! `event.action`, `event.kind: event`, `user.name` (`actor`, with `related.user`),
//! `user.id` (`actor_id`), `source.ip` (`actor_ip`), `user.target.name` (`user`, the member
//! acted on), `event.module: github`, `event.dataset: github.audit`,
//! `organization.name` (`org`), `github.repo` (`repo`),
//! `source.geo.country_iso_code` (`actor_location.country_code`), `event.category` (iam
//! for org / team / business membership and permission changes, configuration for
//! everything else: repository, branch protection, hooks, settings, API requests) and
//! `event.type` (creation, deletion or change from the action's verb). `@timestamp` (epoch
//! milliseconds) is normalised by the JSON parser; `created_at` stands in when absent.

use serde_json::Value;
use vigil_core::Event;

use crate::{ecs, time};

/// Whether the event looks like a GitHub audit log entry.
pub fn is_event(event: &Event) -> bool {
    event.get_str("action").is_some_and(|a| {
        a.contains('.') && !a.starts_with('.') && !a.ends_with('.') && !a.contains(' ')
    }) && (event.get_str("actor").is_some() || event.get_str("org").is_some())
}

/// Adds the ECS fields to a GitHub audit event; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_event(event) {
        return false;
    }
    let action = event.get_str("action").unwrap_or_default().to_string();
    event.set("event.kind", "event");
    event.set("event.module", "github");
    event.set("event.dataset", "github.audit");
    event.set("event.action", action.as_str());
    if let Some(ip) = event.get_str("actor_ip").map(str::to_string) {
        if ip.parse::<std::net::IpAddr>().is_ok() {
            ecs::set_str(event, "source.ip", &ip);
        }
    }
    if let Some(target) = event.get_str("user").map(str::to_string) {
        ecs::set_str(event, "user.target.name", &target);
    }
    if let Some(actor) = event.get_str("actor").map(str::to_string) {
        ecs::set_user(event, "user.name", &actor);
    }
    if let Some(id) = event.get("actor_id").and_then(scalar) {
        ecs::set_str(event, "user.id", &id);
    }
    if let Some(org) = event.get_str("org").map(str::to_string) {
        ecs::set_str(event, "organization.name", &org);
    }
    if let Some(repo) = event.get_str("repo").map(str::to_string) {
        ecs::set_str(event, "github.repo", &repo);
    }
    if let Some(cc) = event
        .get_str("actor_location.country_code")
        .map(str::to_string)
    {
        ecs::set_str(event, "source.geo.country_iso_code", &cc);
    }
    if event.get("@timestamp").is_none() {
        if let Some(t) = event
            .get("created_at")
            .and_then(Value::as_f64)
            .and_then(time::from_epoch)
        {
            event.set("@timestamp", vigil_core::time::format_timestamp(t));
        }
    }
    let (category, kind) = classify(&action);
    event.set("event.category", Value::Array(vec![Value::from(category)]));
    event.set("event.type", Value::Array(vec![Value::from(kind)]));
    true
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `(event.category, event.type)` for an action.
pub fn classify(action: &str) -> (&'static str, &'static str) {
    let (area, verb) = action.split_once('.').unwrap_or((action, ""));
    let iam_area = matches!(area, "team" | "org_credential_authorization" | "role")
        || (matches!(area, "org" | "business" | "enterprise" | "repo")
            && (verb.contains("member")
                || verb.contains("admin")
                || verb.contains("collaborator")
                || verb.contains("owner")
                || verb.contains("invit")))
        || verb.contains("permission");
    let category = if iam_area { "iam" } else { "configuration" };
    let kind =
        if verb.starts_with("create") || verb.starts_with("add") || verb.starts_with("invite") {
            "creation"
        } else if verb.starts_with("destroy")
            || verb.starts_with("delete")
            || verb.starts_with("remove")
        {
            "deletion"
        } else {
            "change"
        };
    (category, kind)
}
