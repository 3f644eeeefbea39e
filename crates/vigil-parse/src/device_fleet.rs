//! Device-fleet security events in Vigil's documented JSON format `vigil.device/1`
//! (`docs/formats/device-fleet.md`): what a device, or the fleet / OTA backend on its
//! behalf, reports about updates, sign-ins, configuration and security-control changes,
//! resets, pairing and remote commands. Recognised inside the JSON parser by
//! `"schema": "vigil.device/1"` with a `type` and a `device_id`.
//!
//! The native fields stay as sent; ECS is added so that update events are exactly what
//! `rules/FORMATS.md` (section device-fleet) and the rules under `rules/firmware` expect:
//! `event.module: device_fleet`, `event.dataset` (`device_fleet.update` for `update-*`,
//! `device_fleet.security` otherwise), `event.action` (the `type`, lower case, `_` read as
//! `-`; `auth-success` / `auth-failure` become `login` with that outcome),
//! `event.category` / `event.type` (see the table in the format document), the envelope
//! ([`crate::envelope`]: `@timestamp`, `event.outcome`, `user.*`, `source.*`,
//! `observer.*`, `error.*` (`error.code` in lower snake case), `event.reason`),
//! `device.id` and `host.id` (`device_id`), `host.name` (`hostname`, else the device id),
//! `device.model.identifier` / `.name`, `device.manufacturer`, `host.os.version` and
//! `device_fleet.firmware_version` (`firmware_version`, the running firmware),
//! `host.os.name`, `package.*` (the update `target`), `device_fleet.update.*`
//! (`previous_version`, `campaign_id`) and `device_fleet.target.*` (the target of other
//! events).

use serde_json::Value;
use vigil_core::Event;

use crate::{ecs, envelope};

/// The `schema` name of the format.
pub const SCHEMA: &str = "vigil.device";

/// Whether the event declares the `vigil.device` schema and has a `type` and a device id.
pub fn is_event(event: &Event) -> bool {
    envelope::has_schema(event, SCHEMA)
        && event.get_str("type").is_some()
        && ecs::text_at(event, "device_id").is_some()
}

/// `(event.category, event.type, kind)` for an action; `kind` is `alert` or `event`.
pub fn classify(action: &str) -> (&'static str, &'static str, &'static str) {
    match action {
        "update-install" => ("package", "installation", "event"),
        "update-rollback" => ("package", "change", "event"),
        a if a.starts_with("update-") => ("package", "info", "event"),
        "login" => ("authentication", "start", "event"),
        "logout" => ("authentication", "end", "event"),
        "account-change" | "privilege-change" | "credential-change" => ("iam", "change", "event"),
        "config-change" | "security-control-change" | "policy-change" => {
            ("configuration", "change", "event")
        }
        "pairing" => ("configuration", "creation", "event"),
        "unpairing" => ("configuration", "deletion", "event"),
        "boot" => ("host", "start", "event"),
        "device-reset" | "factory-reset" | "shutdown" => ("host", "change", "event"),
        "remote-command" => ("process", "start", "event"),
        "security-alert" => ("intrusion_detection", "info", "alert"),
        _ => ("host", "info", "event"),
    }
}

/// Adds the ECS fields to a `vigil.device/1` event; returns whether it was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_event(event) {
        return false;
    }
    let raw = event
        .get_str("type")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .replace('_', "-");
    let (action, implied_outcome) = match raw.as_str() {
        "auth-success" | "login-success" => ("login".to_string(), Some("success")),
        "auth-failure" | "login-failure" => ("login".to_string(), Some("failure")),
        _ => (raw, None),
    };
    let (category, kind, event_kind) = classify(&action);
    event.set("event.kind", event_kind);
    event.set("event.module", "device_fleet");
    event.set(
        "event.dataset",
        if action.starts_with("update-") {
            "device_fleet.update"
        } else {
            "device_fleet.security"
        },
    );
    event.set("event.action", action.as_str());
    ecs::set_array(event, "event.category", &[category]);
    ecs::set_array(event, "event.type", &[kind]);
    if let Some(outcome) = implied_outcome {
        event.set("event.outcome", outcome);
    }
    envelope::apply(event, "device");
    if let Some(outcome) = implied_outcome {
        event.set("event.outcome", outcome);
    }
    if let Some(kind) = ecs::text_at(event, "reporter.type") {
        if event.get("observer").is_some() {
            event.set("observer.type", kind);
        }
    }
    if let Some(code) = event.get_str("error.code").map(snake) {
        event.set("error.code", code);
    }

    let device_id = ecs::text_at(event, "device_id").unwrap_or_default();
    event.set("device.id", device_id.as_str());
    event.set("host.id", device_id.as_str());
    let host = ecs::text_at(event, "hostname").unwrap_or_else(|| device_id.clone());
    event.set("host.name", host.as_str());
    crate::programs::push_related(event, "related.hosts", &host);
    envelope::copy(event, "model", "device.model.identifier");
    envelope::copy(event, "model_name", "device.model.name");
    envelope::copy(event, "manufacturer", "device.manufacturer");
    envelope::copy(event, "os_name", "host.os.name");
    if let Some(version) = ecs::text_at(event, "firmware_version") {
        event.set("host.os.version", version.as_str());
        event.set("device_fleet.firmware_version", version);
    }

    if action.starts_with("update-") {
        envelope::copy(event, "target.name", "package.name");
        envelope::copy(event, "target.version", "package.version");
        let package_type = match event.get_str("target.type").map(str::to_ascii_lowercase) {
            Some(t) if t == "software" || t == "application" => "software",
            _ => "firmware",
        };
        if event.get("package").is_some() {
            event.set("package.type", package_type);
        }
        envelope::copy(
            event,
            "update.campaign_id",
            "device_fleet.update.campaign_id",
        );
        envelope::copy(
            event,
            "update.previous_version",
            "device_fleet.update.previous_version",
        );
        if event.get("device_fleet.update.previous_version").is_none()
            && action != "update-rollback"
        {
            // Before the update completes, the running firmware is the previous version.
            if let Some(running) = ecs::text_at(event, "firmware_version") {
                if Some(running.as_str()) != event.get_str("package.version") {
                    event.set("device_fleet.update.previous_version", running);
                }
            }
        }
    } else if let Some(Value::Object(target)) = event.get("target").cloned() {
        for (key, value) in target {
            if let Some(text) = ecs::scalar(&value).filter(|s| ecs::present(s)) {
                event.set(&format!("device_fleet.target.{key}"), text);
            }
        }
    }
    true
}

/// `Signature Invalid` / `signature-invalid` → `signature_invalid`.
fn snake(code: &str) -> String {
    code.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(line: &str) -> Event {
        crate::json::parse(line).unwrap_or_default()
    }

    const SIGNATURE_FAILED: &str = r#"{"schema":"vigil.device/1","time":"2026-11-22T11:00:01.250+01:00","type":"update_signature_check","outcome":"failure","device_id":"gw200-000123","model":"GW-200","manufacturer":"Acme","firmware_version":"4.1.3","actor":{"type":"process","name":"ota-agent"},"origin":{"ip":"203.0.113.7","hostname":"ota.acme.example"},"target":{"type":"firmware","name":"gw-200-firmware","version":"4.2.0"},"update":{"campaign_id":"rollout-2026-11"},"diagnostics":{"code":"SIGNATURE-INVALID","message":"signature invalid","detail":{"key_id":"fw-release-2026"}},"reporter":{"type":"device"}}"#;

    #[test]
    fn signature_check_failure() {
        let event = parse(SIGNATURE_FAILED);
        assert_eq!(event.get_str("event.module"), Some("device_fleet"));
        assert_eq!(event.get_str("event.dataset"), Some("device_fleet.update"));
        assert_eq!(
            event.get_str("event.action"),
            Some("update-signature-check")
        );
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-11-22T10:00:01.250Z")
        );
        assert_eq!(event.get_str("device.id"), Some("gw200-000123"));
        assert_eq!(event.get_str("host.id"), Some("gw200-000123"));
        assert_eq!(event.get_str("host.name"), Some("gw200-000123"));
        assert_eq!(event.get_str("device.model.identifier"), Some("GW-200"));
        assert_eq!(event.get_str("host.os.version"), Some("4.1.3"));
        assert_eq!(event.get_str("package.name"), Some("gw-200-firmware"));
        assert_eq!(event.get_str("package.version"), Some("4.2.0"));
        assert_eq!(event.get_str("package.type"), Some("firmware"));
        assert_eq!(event.get_str("error.code"), Some("signature_invalid"));
        assert_eq!(
            event.get_str("device_fleet.update.previous_version"),
            Some("4.1.3")
        );
        assert_eq!(event.get_str("source.ip"), Some("203.0.113.7"));
        assert_eq!(event.get("event.category"), Some(&json!(["package"])));
        assert_eq!(event.get("event.type"), Some(&json!(["info"])));
        assert_eq!(event.get_str("event.original"), Some(SIGNATURE_FAILED));
    }

    #[test]
    fn rollback_and_login() {
        let line = r#"{"schema":"vigil.device/1","time":"2026-11-22T10:00:01Z","type":"update-rollback","device_id":"gw200-7","firmware_version":"4.1.3","target":{"name":"gw-200-firmware","version":"4.2.0"},"update":{"previous_version":"4.1.3"},"diagnostics":{"code":"watchdog_timeout"}}"#;
        let event = parse(line);
        assert_eq!(event.get("event.type"), Some(&json!(["change"])));
        assert_eq!(
            event.get_str("device_fleet.update.previous_version"),
            Some("4.1.3")
        );
        let line = r#"{"schema":"vigil.device/1","time":"2026-11-22T10:00:01-05:00","type":"auth_failure","device_id":"cam-1","hostname":"cam-lobby","actor":{"type":"user","name":"admin"},"origin":{"ip":"198.51.100.9","interface":"eth0"},"target":{"type":"service","name":"web-ui"}}"#;
        let event = parse(line);
        assert_eq!(event.get_str("event.action"), Some("login"));
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            event.get("event.category"),
            Some(&json!(["authentication"]))
        );
        assert_eq!(event.get_str("user.name"), Some("admin"));
        assert_eq!(event.get_str("host.name"), Some("cam-lobby"));
        assert_eq!(event.get_str("device_fleet.target.name"), Some("web-ui"));
        assert_eq!(
            event.get_str("event.dataset"),
            Some("device_fleet.security")
        );
    }

    #[test]
    fn odd_values_do_not_panic() {
        for line in [
            r#"{"schema":"vigil.device/1","type":"update-install","device_id":5,"target":"x","update":[],"diagnostics":{"code":7}}"#,
            r#"{"schema":"vigil.device/1","type":"","device_id":"d","time":"garbage","target":{"a":null}}"#,
            r#"{"schema":"vigil.device/1","type":"boot"}"#,
        ] {
            let event = parse(line);
            assert_eq!(event.get_str("event.original"), Some(line));
        }
        assert!(!is_event(&parse(
            r#"{"schema":"vigil.device/1","type":"boot"}"#
        )));
    }
}
