//! HTTP endpoints for detection: alerts (`/api/v1/alerts`, `/api/v1/alerts/{id}`, triage with
//! `POST /api/v1/alerts/{id}/status`, audited with the old and new status) and rules
//! (`/api/v1/rules`, `POST /api/v1/rules/reload`). Bad parameters get a 400 with a JSON
//! error; a server without detection answers 503.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use vigil_alert::{AlertFilter, AlertStatus, AlertStore};
use vigil_index::TimeRange;

use crate::api::{parse_range, ApiError, AppState};
use crate::detection::request_reload;
use crate::store::JournalStore;

/// Most events returned with one alert.
const MAX_ALERT_EVENTS: usize = 100;

/// The detection routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/{id}", get(get_alert))
        .route("/api/v1/alerts/{id}/status", post(set_alert_status))
        .route("/api/v1/rules", get(list_rules))
        .route("/api/v1/rules/reload", post(reload_rules))
}

fn store(state: &AppState) -> Result<AlertStore, ApiError> {
    state.alerts.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "detection is disabled on this server",
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertParams {
    status: Option<String>,
    rule: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

async fn list_alerts(
    State(state): State<Arc<AppState>>,
    params: Result<Query<AlertParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| bad_request(e.body_text()))?;
    let store = store(&state)?;
    let status = match params.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<AlertStatus>()
                .map_err(|e| bad_request(e.to_string()))?,
        ),
    };
    let range = parse_range(params.from.as_deref(), params.to.as_deref()).map_err(bad_request)?;
    let limit = match params.limit.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<u32>()
                .ok()
                .filter(|n| (1..=vigil_alert::MAX_LIST_LIMIT).contains(n))
                .ok_or_else(|| {
                    bad_request(format!(
                        "invalid limit '{text}': expected a number from 1 to {}",
                        vigil_alert::MAX_LIST_LIMIT
                    ))
                })?,
        ),
    };
    let filter = AlertFilter {
        status,
        rule: params.rule.filter(|r| !r.trim().is_empty()),
        from: range.from,
        to: range.to,
        limit,
    };
    let alerts = store.list(&filter).await.map_err(internal)?;
    Ok(Json(json!({ "count": alerts.len(), "alerts": alerts })).into_response())
}

/// An alert id from a path, checked (400 when it cannot be one).
fn alert_id(id: &str) -> Result<&str, ApiError> {
    if id.is_empty()
        || id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad_request(format!("invalid alert id '{id}'")));
    }
    Ok(id)
}

fn no_alert(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no alert with id '{id}'"))
}

/// Longest triage note kept with a status change.
const MAX_STATUS_REASON: usize = 2_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/alerts/{id}/status` `{"status": "acknowledged", "reason": "…"}`: moves an
/// alert through triage (open, acknowledged, closed). Every change, and every refused one,
/// is in the audit trail with the alert, the old and new status and the reason.
async fn set_alert_status(
    State(state): State<Arc<AppState>>,
    caller: crate::auth::Caller,
    Path(id): Path<String>,
    body: Result<Json<StatusChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let store = store(&state)?;
    let id = alert_id(&id)?;
    let Json(change) = body.map_err(|e| bad_request(e.body_text()))?;
    let status = change
        .status
        .trim()
        .parse::<AlertStatus>()
        .map_err(|e| bad_request(e.to_string()))?;
    let reason = change.reason.map(|r| r.trim().to_string());
    if reason.as_ref().is_some_and(|r| r.len() > MAX_STATUS_REASON) {
        return Err(bad_request(format!(
            "reason is longer than {MAX_STATUS_REASON} bytes"
        )));
    }
    let Some(before) = store.get(id).await.map_err(internal)? else {
        return Err(no_alert(id));
    };
    let alert_id = before.alert.id.clone();
    store
        .set_status(&alert_id, status)
        .await
        .map_err(internal)?;
    let record = caller
        .audit(
            vigil_auth::AuditAction::AlertUpdate,
            vigil_auth::Outcome::Success,
        )
        .with_target(alert_id.clone())
        .with_details(json!({
            "rule_id": before.alert.rule_id,
            "from": before.status,
            "to": status,
            "reason": reason,
        }));
    state.security.audit.record(record).await;
    let Some(after) = store.get(&alert_id).await.map_err(internal)? else {
        return Err(no_alert(&alert_id));
    };
    Ok(Json(serde_json::to_value(&after).map_err(internal)?).into_response())
}

async fn get_alert(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = store(&state)?;
    let id = alert_id(&id)?;
    let Some(alert) = store.get(id).await.map_err(internal)? else {
        return Err(no_alert(id));
    };
    let mut events = Vec::new();
    if let Some(searcher) = state.searcher.clone() {
        let ids: Vec<String> = alert
            .alert
            .event_ids
            .iter()
            .take(MAX_ALERT_EVENTS)
            .filter(|i| {
                i.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            })
            .cloned()
            .collect();
        if !ids.is_empty() {
            let query = ids
                .iter()
                .map(|i| format!("event.id:\"{i}\""))
                .collect::<Vec<_>>()
                .join(" OR ");
            let pad = chrono::Duration::days(1);
            let range = TimeRange {
                from: Some(alert.alert.first_event_time - pad),
                to: Some(alert.alert.last_event_time + pad),
            };
            let reader = state.reader.clone();
            let result = tokio::task::spawn_blocking(move || {
                searcher.search(&query, range, MAX_ALERT_EVENTS, &JournalStore(&reader))
            })
            .await
            .map_err(internal)?;
            match result {
                Ok(result) => events = result.hits,
                Err(e) => tracing::warn!(error = %e, "cannot fetch the events of an alert"),
            }
        }
    }
    let mut body = serde_json::to_value(&alert).map_err(internal)?;
    body["events"] = Value::Array(events);
    Ok(Json(body).into_response())
}

async fn list_rules(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let Some(detection) = state.detection.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "detection is disabled on this server",
        ));
    };
    let stats: HashMap<String, vigil_alert::RuleStats> = match &state.alerts {
        Some(store) => store
            .rule_stats()
            .await
            .map_err(internal)?
            .into_iter()
            .map(|s| (s.rule_id.clone(), s))
            .collect(),
        None => HashMap::new(),
    };
    let view = detection.rules.read().clone();
    let rules: Vec<Value> = view
        .rules
        .iter()
        .map(|r| {
            let s = stats.get(&r.id);
            json!({
                "id": r.id,
                "title": r.title,
                "kind": r.kind,
                "level": r.level,
                "status": "loaded",
                "rule_status": r.status,
                "tags": r.tags,
                "author": r.author,
                "license": r.license,
                "file": r.file,
                "line": r.line,
                "alerts": s.map_or(0, |s| s.alerts),
                "hits": s.map_or(0, |s| s.hits),
                "last_hit": s.and_then(|s| s.last_hit),
            })
        })
        .collect();
    Ok(Json(json!({
        "count": rules.len(),
        "files": view.files,
        "loaded_at": view.loaded_at,
        "rules": rules,
        "errors": view.errors,
    }))
    .into_response())
}

async fn reload_rules(
    State(state): State<Arc<AppState>>,
    caller: crate::auth::Caller,
) -> Result<Response, ApiError> {
    let (Some(detection), Some(settings)) =
        (state.detection.clone(), state.detection_settings.clone())
    else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "detection is disabled on this server",
        ));
    };
    let report = tokio::task::spawn_blocking(move || request_reload(&detection, &settings))
        .await
        .map_err(internal)?;
    let outcome = if report.is_ok() {
        vigil_auth::Outcome::Success
    } else {
        vigil_auth::Outcome::Failure
    };
    let details = match &report {
        Ok(r) => json!({ "files": r.files, "rules": r.rules, "errors": r.errors.len() }),
        Err(e) => json!({ "error": e.to_string() }),
    };
    let record = caller
        .audit(vigil_auth::AuditAction::RuleReload, outcome)
        .with_details(details);
    state.security.audit.record(record).await;
    let report = report.map_err(internal)?;
    Ok(Json(json!({
        "files": report.files,
        "rules": report.rules,
        "errors": report.errors,
    }))
    .into_response())
}
