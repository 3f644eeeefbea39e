//! The common part of Vigil's own documented JSON source formats (`vigil.pki/1`,
//! `docs/formats/pki-signing.md`; `vigil.device/1`, `docs/formats/device-fleet.md`):
//! the `schema` marker and the envelope fields every such event may carry — `time`
//! (RFC 3339 with the sender's zone), `type`, `outcome`, `actor`, `origin`, `system`,
//! `reporter`, `diagnostics`, `reason` — mapped to ECS the same way for every format.
//! The format modules ([`crate::pki`], [`crate::device_fleet`]) map the rest.
//!
//! It never removes or rewrites a native field: the envelope stays as sent next to ECS.

use chrono::{DateTime, FixedOffset};
use vigil_core::Event;

use crate::{ecs, time};

/// Whether the event declares `schema` = `<name>/<version>` for the format `name`.
pub(crate) fn has_schema(event: &Event, name: &str) -> bool {
    event
        .get_str("schema")
        .and_then(|s| s.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|version| !version.is_empty())
}

/// The event's `time` with the zone it was sent in, when it carries one.
pub(crate) fn local_time(event: &Event) -> Option<DateTime<FixedOffset>> {
    event
        .get_str("time")
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
}

/// Maps the envelope fields (see the module documentation). `observer_type` is the
/// `observer.type` of the reporting system.
pub(crate) fn apply(event: &mut Event, observer_type: &str) {
    if event.get("@timestamp").is_none() {
        if let Some(t) = ecs::text_at(event, "time").and_then(|t| time::parse_iso8601(&t, None)) {
            event.set("@timestamp", vigil_core::time::format_timestamp(t));
        }
    }
    if let Some(outcome) = ecs::text_at(event, "outcome") {
        ecs::set_outcome(event, &outcome);
        if outcome.eq_ignore_ascii_case("partial") {
            event.set("event.outcome", "unknown");
        }
    }
    if let Some(name) = ecs::text_at(event, "actor.name") {
        ecs::set_user(event, "user.name", &name);
    }
    if let Some(id) = ecs::text_at(event, "actor.id") {
        event.set("user.id", id);
    }
    if let Some(email) = ecs::text_at(event, "actor.email") {
        event.set("user.email", email);
    }
    if let Some(ip) = ecs::text_at(event, "origin.ip") {
        ecs::set_ip(event, "source", &ip);
    }
    if let Some(port) = ecs::text_at(event, "origin.port") {
        ecs::set_port(event, "source.port", &port);
    }
    if let Some(host) = ecs::text_at(event, "origin.hostname") {
        ecs::set_domain(event, "source.domain", &host);
    }
    if let Some(host) = ecs::text_at(event, "system.hostname") {
        event.set("host.name", host.as_str());
        crate::programs::push_related(event, "related.hosts", &host);
    }
    if let Some(id) = ecs::text_at(event, "system.id") {
        event.set("host.id", id);
    }
    let mut reported = false;
    for key in ["vendor", "product", "version", "hostname"] {
        if let Some(value) = ecs::text_at(event, &format!("reporter.{key}")) {
            event.set(&format!("observer.{key}"), value);
            reported = true;
        }
    }
    if reported {
        event.set("observer.type", observer_type);
    }
    if let Some(code) = ecs::text_at(event, "diagnostics.code") {
        event.set("error.code", code);
    }
    if let Some(message) = ecs::text_at(event, "diagnostics.message") {
        event.set("error.message", message);
    }
    if let Some(reason) = ecs::text_at(event, "reason") {
        event.set("event.reason", reason);
    }
}

/// An RFC 3339 value of `path`, normalised to UTC milliseconds, at `target`.
pub(crate) fn set_time(event: &mut Event, path: &str, target: &str) {
    if let Some(t) = ecs::text_at(event, path).and_then(|t| time::parse_iso8601(&t, None)) {
        event.set(target, vigil_core::time::format_timestamp(t));
    }
}

/// A number (JSON number or numeric string) of `path` at `target`.
pub(crate) fn set_number(event: &mut Event, path: &str, target: &str) {
    let number = match event.get(path) {
        Some(serde_json::Value::Number(n)) => Some(n.clone()),
        Some(serde_json::Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .map(serde_json::Number::from)
            .or_else(|| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
            }),
        _ => None,
    };
    if let Some(number) = number {
        event.set(target, serde_json::Value::Number(number));
    }
}

/// Copies the scalar at `path` (as text) to `target`.
pub(crate) fn copy(event: &mut Event, path: &str, target: &str) {
    if let Some(value) = ecs::text_at(event, path) {
        event.set(target, value);
    }
}
