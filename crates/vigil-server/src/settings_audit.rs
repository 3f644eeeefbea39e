//! Settings changes in the audit trail. Vigil's settings (listeners, TLS files, detection,
//! pipelines, sources, limits, authentication policy) come from `vigil.toml` and the command
//! line, so a change takes effect at a start. At every start the effective settings are
//! compared, key by key, with those of the previous start (kept in the metadata database);
//! any difference becomes one `settings.change` audit record listing each changed key with
//! its old and new value, so an administrator cannot quietly weaken the configuration (turn
//! off authentication, drop a rule directory, widen a listener) between two restarts. The
//! first start records the full settings. Values under secret-looking keys are redacted by
//! the audit record itself. The actor is the operating-system account that started the
//! server (`os:<account>`): the configuration file has no author Vigil could prove.

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};
use sqlx::{Row, SqlitePool};
use std::sync::Arc;
use vigil_auth::{Actor, AuditAction, AuditRecord, Outcome};
use vigil_core::Event;

use crate::audit::AuditLog;
use crate::config::Config;

const TABLE: &str = "CREATE TABLE IF NOT EXISTS settings_snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    recorded_at TEXT NOT NULL
)";

/// The effective settings as dotted keys (`detect.rules`, `tls.client_crl`, ...).
pub fn effective_settings(config: &Config) -> Result<Map<String, Value>> {
    let Value::Object(tree) = serde_json::to_value(config).context("cannot serialise settings")?
    else {
        return Ok(Map::new());
    };
    let event = Event::from_map(tree);
    Ok(event
        .flatten()
        .into_iter()
        .map(|(key, value)| (key, value.clone()))
        .collect())
}

/// The keys whose value differs between two snapshots: `(key, before, after)`, with `null`
/// for a key that is absent on one side. Sorted by key.
pub fn changes(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<Value> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let old = before.get(key).unwrap_or(&Value::Null);
            let new = after.get(key).unwrap_or(&Value::Null);
            if old == new {
                return None;
            }
            // A setting named like a secret is reported as changed, never with its value.
            if vigil_auth::audit::is_secret_key(key) {
                let hidden = Value::from(vigil_auth::audit::REDACTED);
                return Some(json!({ "key": key, "from": hidden, "to": hidden }));
            }
            Some(json!({ "key": key, "from": old, "to": new }))
        })
        .collect()
}

/// Compares the settings of this start with the previous start's, audits any difference
/// (the first start records everything), and stores this start's settings.
pub async fn record_settings_changes(
    pool: &SqlitePool,
    audit: &Arc<AuditLog>,
    config: &Config,
) -> Result<usize> {
    sqlx::query(TABLE).execute(pool).await?;
    let current = effective_settings(config)?;
    let previous: Option<String> =
        sqlx::query("SELECT settings FROM settings_snapshot WHERE id = 1")
            .fetch_optional(pool)
            .await?
            .map(|row| row.try_get("settings"))
            .transpose()?;
    let previous: Option<Map<String, Value>> = match previous {
        Some(text) => match serde_json::from_str(&text) {
            Ok(map) => Some(map),
            Err(e) => {
                tracing::warn!(error = %e, "the previous start's settings are unreadable: recording the full settings");
                None
            }
        },
        None => None,
    };
    let source = match &config.file {
        Some((path, _)) => path.display().to_string(),
        None => "defaults and command line".to_string(),
    };
    let (details, changed) = match &previous {
        None => (
            json!({ "first_start": true, "config": source, "settings": current }),
            current.len(),
        ),
        Some(previous) => {
            let diff = changes(previous, &current);
            if diff.is_empty() {
                return Ok(0);
            }
            let n = diff.len();
            (json!({ "config": source, "changes": diff }), n)
        }
    };
    let record = AuditRecord::new(
        chrono::Utc::now(),
        Actor::local_account("os"),
        AuditAction::SettingsChange,
        Outcome::Success,
    )
    .with_target(source)
    .with_details(details);
    audit.record(record).await;
    let text = serde_json::to_string(&current)?;
    sqlx::query(
        "INSERT INTO settings_snapshot (id, settings, recorded_at) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, recorded_at = excluded.recorded_at",
    )
    .bind(text)
    .bind(chrono::Utc::now().to_rfc3339())
    .execute(pool)
    .await?;
    if previous.is_some() {
        tracing::info!(
            changed,
            "settings changed since the previous start: recorded in the audit trail"
        );
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn changes_list_each_differing_key_with_both_values() {
        let before = map(json!({"auth.enabled": true, "detect.rules": ["rules/"], "gone": 1}));
        let after = map(json!({"auth.enabled": false, "detect.rules": ["rules/"], "new": "x"}));
        let diff = changes(&before, &after);
        assert_eq!(
            diff,
            vec![
                json!({"key": "auth.enabled", "from": true, "to": false}),
                json!({"key": "gone", "from": 1, "to": null}),
                json!({"key": "new", "from": null, "to": "x"}),
            ]
        );
        assert!(changes(&after, &after).is_empty());
        let secret = changes(
            &map(json!({"notify.webhook_token": "old-secret"})),
            &map(json!({"notify.webhook_token": "new-secret"})),
        );
        assert_eq!(
            secret,
            vec![json!({"key": "notify.webhook_token", "from": "[redacted]", "to": "[redacted]"})]
        );
    }

    #[test]
    fn effective_settings_are_dotted_keys_of_the_whole_config() {
        let config = Config::default();
        let settings = effective_settings(&config).unwrap_or_default();
        assert_eq!(settings.get("auth.enabled"), Some(&Value::Bool(true)));
        assert!(settings.contains_key("detect.suppression"), "{settings:?}");
        assert!(settings.contains_key("http"), "{settings:?}");
    }
}
