//! Ingest endpoints that speak other products' wire protocols, so log shippers configured for
//! them send to Vigil unchanged.
//!
//! * **Elasticsearch `_bulk`**: `POST|PUT /_bulk` and `/{index}/_bulk` take NDJSON
//!   action/source pairs (`index` and `create`; `delete` and `update` are refused per item).
//!   The document's fields become the event, the index name becomes `event.dataset` unless the
//!   document sets one, and the answer has the shape shippers parse (`items[].index._id` is the
//!   stored `event.id`, `_seq_no` its journal sequence number). The calls shippers make before
//!   sending (`GET /`, `_license`, `_xpack`, templates, ILM policies, ingest pipelines,
//!   `_nodes`, cluster health) are answered harmlessly: templates, policies and pipelines are
//!   acknowledged but neither stored nor applied. Every answer carries
//!   `X-Elastic-Product: Elasticsearch`, which Elastic's clients check. An `_id` in an action
//!   is not used (Vigil assigns `event.id`; a document may carry its own). A full queue is
//!   answered 429 `es_rejected_execution_exception` and a full disk 429
//!   `cluster_block_exception` (what Elasticsearch answers at its flood stage), both with
//!   `Retry-After`, so shippers retry.
//! * **Splunk HTTP Event Collector**: `/services/collector[/event[/1.0]]` (concatenated JSON
//!   envelopes), `/services/collector/raw` (one event per line), `/services/collector/ack`
//!   (indexer acknowledgement channels) and `/services/collector/health`, with HEC's status
//!   codes. The token (`Authorization: Splunk vgl_…`, an ingest token) is checked by the auth
//!   middleware (`crate::auth`): missing → 401 code 2, invalid → 403 code 4. The Elasticsearch
//!   routes take the token as HTTP Basic password (or Bearer).
//!   A request is stored whole or not at all: an answer with a non-zero code kept nothing.
//!   Ack ids live in memory: after a restart, earlier ids answer `false` (the client resends).
//!
//! Like `/api/v1/ingest`, both answer only once the events are durable in the journal.
//!
//! Field mapping of a HEC envelope: `event` (object: its fields; string: `message`), `time`
//! (epoch seconds) → `@timestamp`, `host` → `host.name`, `sourcetype` → `event.dataset`,
//! `source` → `log.file.path` when it is a file path (starts with `/`, `\\` or a drive letter
//! like `C:\`) and `splunk.source` otherwise, `index` → `splunk.index`, `fields` → `labels.*`.
//! Envelope values win over the event's own fields; the `host`, `source`, `sourcetype` and
//! `index` query parameters are defaults for fields still unset.

use crate::api::{body_error_status, commit_batch, AppState, CommitError};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::{HeaderName, CONTENT_TYPE, HOST, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use vigil_core::time::format_timestamp;
use vigil_core::{Event, TAG_PARSE_FAILURE};
use vigil_ingest::body::{decode_body, BodyError};
use vigil_ingest::{finalize, Batch, IngestMetrics, SourceInfo};
use vigil_parse::{parse_line, ParseContext};

/// The Elasticsearch version Vigil claims (shippers pick their protocol by it).
pub const ES_VERSION: &str = "8.11.0";
/// `log.source.name` of events that came through `_bulk`.
pub const ES_SOURCE: &str = "elasticsearch-bulk";
/// `log.source.name` of events that came through the HTTP Event Collector.
pub const HEC_SOURCE: &str = "splunk-hec";

const CLUSTER_NAME: &str = "vigil";
const CLUSTER_UUID: &str = "dmlnaWwtc2llbS1ub2Rl";
const NODE_ID: &str = "dmlnaWwtbm9kZQ";
const DELETE_UPDATE_REASON: &str = "not supported: Vigil never deletes or updates events";
/// Longest index name Elasticsearch accepts, in bytes.
const MAX_INDEX_NAME: usize = 255;

// ---------------------------------------------------------------------------------------------
// Elasticsearch
// ---------------------------------------------------------------------------------------------

/// The Elasticsearch-compatible routes (bulk ingest and the handshake calls).
pub(crate) fn elasticsearch_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(es_info))
        .route("/_bulk", post(es_bulk).put(es_bulk))
        .route("/{index}/_bulk", post(es_bulk_into).put(es_bulk_into))
        .route("/_license", get(es_license))
        .route("/_xpack", get(es_xpack))
        .route("/_template/{name}", get(es_template).put(es_acknowledged))
        .route(
            "/_index_template/{name}",
            get(es_index_template).put(es_acknowledged),
        )
        .route(
            "/_ilm/policy/{name}",
            get(es_ilm_policy).put(es_acknowledged),
        )
        .route(
            "/_ingest/pipeline/{name}",
            get(es_pipeline).put(es_acknowledged),
        )
        .route("/_nodes", get(es_nodes))
        .route("/_nodes/{*rest}", get(es_nodes))
        .route("/_cluster/health", get(es_cluster_health))
        .route("/_cluster/health/{*rest}", get(es_cluster_health))
        .route("/_cat/health", get(es_cat_health))
        .method_not_allowed_fallback(es_method_not_allowed)
        .layer(map_response(elastic_product_header))
}

async fn es_method_not_allowed(method: Method, uri: Uri) -> Response {
    es_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        &format!("Incorrect HTTP method for uri [{uri}] and method [{method}]"),
        None,
    )
}

async fn elastic_product_header(mut response: Response) -> Response {
    response.headers_mut().insert(
        HeaderName::from_static("x-elastic-product"),
        HeaderValue::from_static("Elasticsearch"),
    );
    response
}

/// An Elasticsearch error answer: `{"error":{"root_cause":[..],"type":..,"reason":..},"status":..}`.
fn es_error(status: StatusCode, kind: &str, reason: &str, retry_after: Option<u64>) -> Response {
    let cause = json!({ "type": kind, "reason": reason });
    let body = json!({
        "error": { "root_cause": [cause], "type": kind, "reason": reason },
        "status": status.as_u16(),
    });
    let mut response = (status, Json(body)).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

async fn es_info() -> Json<Value> {
    Json(json!({
        "name": CLUSTER_NAME,
        "cluster_name": CLUSTER_NAME,
        "cluster_uuid": CLUSTER_UUID,
        "version": {
            "number": ES_VERSION,
            "build_flavor": "default",
            "build_type": "tar",
            "build_hash": "vigil",
            "build_date": "2023-11-04T10:04:57.184859352Z",
            "build_snapshot": false,
            "lucene_version": "9.8.0",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "You Know, for Search"
    }))
}

async fn es_license() -> Json<Value> {
    Json(json!({
        "license": {
            "status": "active",
            "uid": "00000000-0000-4000-8000-000000000000",
            "type": "basic",
            "issue_date": "2023-11-04T00:00:00.000Z",
            "issue_date_in_millis": 1_699_056_000_000u64,
            "max_nodes": 1000,
            "max_resource_units": null,
            "issued_to": CLUSTER_NAME,
            "issuer": "elasticsearch",
            "start_date_in_millis": -1
        }
    }))
}

async fn es_xpack() -> Json<Value> {
    Json(json!({
        "build": { "hash": "vigil", "date": "2023-11-04T10:04:57.184859352Z" },
        "license": {
            "uid": "00000000-0000-4000-8000-000000000000",
            "type": "basic",
            "mode": "basic",
            "status": "active"
        },
        "features": {
            "ilm": { "available": true, "enabled": true },
            "monitoring": { "available": true, "enabled": false },
            "security": { "available": true, "enabled": false }
        },
        "tagline": "You know, for X"
    }))
}

async fn es_acknowledged() -> Json<Value> {
    Json(json!({ "acknowledged": true }))
}

async fn es_template(Path(name): Path<String>) -> Json<Value> {
    let mut body = Map::new();
    body.insert(
        name,
        json!({ "order": 0, "index_patterns": ["*"], "settings": {}, "mappings": {}, "aliases": {} }),
    );
    Json(Value::Object(body))
}

async fn es_index_template(Path(name): Path<String>) -> Json<Value> {
    Json(json!({
        "index_templates": [{
            "name": name,
            "index_template": { "index_patterns": ["*"], "template": {}, "composed_of": [] }
        }]
    }))
}

async fn es_ilm_policy(Path(name): Path<String>) -> Json<Value> {
    let mut body = Map::new();
    body.insert(
        name,
        json!({
            "version": 1,
            "modified_date": "2023-11-04T00:00:00.000Z",
            "policy": { "phases": { "hot": { "min_age": "0ms", "actions": {} } } }
        }),
    );
    Json(Value::Object(body))
}

async fn es_pipeline(Path(name): Path<String>) -> Json<Value> {
    let mut body = Map::new();
    body.insert(
        name,
        json!({ "description": "accepted by Vigil, which does not run ingest pipelines", "processors": [] }),
    );
    Json(Value::Object(body))
}

async fn es_nodes(headers: HeaderMap) -> Json<Value> {
    // Sniffing clients connect to the publish address: the one they already use.
    let address = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:9200")
        .to_string();
    let mut nodes = Map::new();
    nodes.insert(
        NODE_ID.to_string(),
        json!({
            "name": CLUSTER_NAME,
            "transport_address": address,
            "host": address.rsplit_once(':').map_or(address.as_str(), |(h, _)| h),
            "ip": address.rsplit_once(':').map_or(address.as_str(), |(h, _)| h),
            "version": ES_VERSION,
            "build_flavor": "default",
            "roles": ["data", "ingest", "master"],
            "http": { "publish_address": address, "bound_address": [address] }
        }),
    );
    Json(json!({
        "_nodes": { "total": 1, "successful": 1, "failed": 0 },
        "cluster_name": CLUSTER_NAME,
        "nodes": nodes
    }))
}

fn cluster_status(state: &AppState) -> &'static str {
    if state.pipeline.storage_error.lock().is_some() {
        "red"
    } else {
        "green"
    }
}

async fn es_cluster_health(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({
        "cluster_name": CLUSTER_NAME,
        "status": cluster_status(&state),
        "timed_out": false,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 1,
        "active_shards": 1,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0
    }))
}

async fn es_cat_health(
    State(state): State<Arc<AppState>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let now = Utc::now();
    let status = cluster_status(&state);
    let json_wanted = query
        .ok()
        .and_then(|Query(q)| q.get("format").cloned())
        .is_some_and(|f| f.eq_ignore_ascii_case("json"));
    if json_wanted {
        return Json(json!([{
            "epoch": now.timestamp().to_string(),
            "timestamp": now.format("%H:%M:%S").to_string(),
            "cluster": CLUSTER_NAME,
            "status": status,
            "node.total": "1",
            "node.data": "1",
            "shards": "1",
            "pri": "1",
            "relo": "0",
            "init": "0",
            "unassign": "0",
            "pending_tasks": "0",
            "max_task_wait_time": "-",
            "active_shards_percent": "100.0%"
        }]))
        .into_response();
    }
    format!(
        "{} {} {CLUSTER_NAME} {status} 1 1 1 1 0 0 0 0 - 100.0%\n",
        now.timestamp(),
        now.format("%H:%M:%S")
    )
    .into_response()
}

async fn es_bulk(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    bulk(state, peer, None, headers, body).await
}

async fn es_bulk_into(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    bulk(state, peer, Some(index), headers, body).await
}

/// A bulk action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BulkAction {
    Index,
    Create,
    Delete,
    Update,
}

impl BulkAction {
    fn name(self) -> &'static str {
        match self {
            BulkAction::Index => "index",
            BulkAction::Create => "create",
            BulkAction::Delete => "delete",
            BulkAction::Update => "update",
        }
    }
}

/// The outcome of one action of a bulk request, in request order.
#[derive(Debug, PartialEq)]
enum BulkItem {
    /// Stored as the `event`-th event of the batch.
    Stored {
        action: BulkAction,
        index: String,
        event: usize,
    },
    /// Refused; nothing stored for it.
    Failed {
        action: BulkAction,
        index: String,
        id: Option<String>,
        kind: &'static str,
        reason: String,
    },
}

/// A bulk body split into events and per-action outcomes.
#[derive(Debug)]
struct ParsedBulk {
    events: Vec<Event>,
    items: Vec<BulkItem>,
}

/// Parses a bulk body. An action line that cannot be read fails the whole request (as in
/// Elasticsearch: the pairing of the following lines is unknown); a bad document fails its item.
fn parse_bulk(body: &[u8], url_index: Option<&str>, max_line: usize) -> Result<ParsedBulk, String> {
    let mut lines = body
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace));
    let mut parsed = ParsedBulk {
        events: Vec::new(),
        items: Vec::new(),
    };
    while let Some((number, line)) = lines.next() {
        let malformed = |what: String| format!("Malformed action/metadata line [{number}], {what}");
        if line.len() > max_line {
            return Err(malformed(format!(
                "the line is {} bytes, over the {max_line}-byte limit",
                line.len()
            )));
        }
        let action_line: Value = serde_json::from_slice(line)
            .map_err(|e| malformed(format!("expected a JSON object: {e}")))?;
        let Value::Object(action_map) = action_line else {
            return Err(malformed(format!(
                "expected START_OBJECT but found [{}]",
                json_kind(&action_line)
            )));
        };
        let mut entries = action_map.into_iter();
        let (Some((name, meta)), None) = (entries.next(), entries.next()) else {
            return Err(malformed(
                "expected exactly one action: [create], [delete], [index] or [update]".into(),
            ));
        };
        let action = match name.as_str() {
            "index" => BulkAction::Index,
            "create" => BulkAction::Create,
            "delete" => BulkAction::Delete,
            "update" => BulkAction::Update,
            other => {
                return Err(malformed(format!(
                    "expected field [create], [delete], [index] or [update] but found [{other}]"
                )))
            }
        };
        let Value::Object(meta) = meta else {
            return Err(malformed(format!(
                "expected START_OBJECT but found [{}]",
                json_kind(&meta)
            )));
        };
        let index = meta
            .get("_index")
            .and_then(Value::as_str)
            .or(url_index)
            .map(str::to_string);
        let id = match meta.get("_id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let fail = |index: Option<String>, kind: &'static str, reason: String| BulkItem::Failed {
            action,
            index: index.unwrap_or_default(),
            id: id.clone(),
            kind,
            reason,
        };
        match action {
            BulkAction::Delete | BulkAction::Update => {
                if action == BulkAction::Update {
                    // An update carries a document line; skip it.
                    lines.next();
                }
                parsed.items.push(fail(
                    index,
                    "illegal_argument_exception",
                    DELETE_UPDATE_REASON.into(),
                ));
                continue;
            }
            BulkAction::Index | BulkAction::Create => {}
        }
        let Some((_, source)) = lines.next() else {
            parsed.items.push(fail(
                index,
                "action_request_validation_exception",
                format!("Validation Failed: 1: no document follows the action on line {number};"),
            ));
            continue;
        };
        let Some(index) = index else {
            parsed.items.push(fail(
                None,
                "action_request_validation_exception",
                "Validation Failed: 1: index is missing;".into(),
            ));
            continue;
        };
        if index.is_empty() || index.len() > MAX_INDEX_NAME {
            parsed.items.push(fail(
                Some(index),
                "invalid_index_name_exception",
                format!("Invalid index name: must be 1 to {MAX_INDEX_NAME} bytes"),
            ));
            continue;
        }
        if source.len() > max_line {
            let reason = format!(
                "the document is {} bytes, over the {max_line}-byte limit",
                source.len()
            );
            parsed
                .items
                .push(fail(Some(index), "illegal_argument_exception", reason));
            continue;
        }
        match serde_json::from_slice::<Value>(source) {
            Ok(Value::Object(map)) => {
                let mut event = Event::from_map(map);
                if event.get("event.original").is_none() {
                    event.set("event.original", String::from_utf8_lossy(source).as_ref());
                }
                event.set_default("event.dataset", index.as_str());
                parsed.items.push(BulkItem::Stored {
                    action,
                    index,
                    event: parsed.events.len(),
                });
                parsed.events.push(event);
            }
            Ok(other) => {
                let reason = format!(
                    "failed to parse: the document is a JSON {}, not an object",
                    json_kind(&other)
                );
                parsed
                    .items
                    .push(fail(Some(index), "mapper_parsing_exception", reason));
            }
            Err(e) => {
                let reason = format!("failed to parse: {e}");
                parsed
                    .items
                    .push(fail(Some(index), "mapper_parsing_exception", reason));
            }
        }
    }
    Ok(parsed)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "VALUE_NULL",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Number(_) => "VALUE_NUMBER",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

/// An id for an item that was not stored (Elasticsearch reports one for every item).
fn fresh_id() -> String {
    let mut event = Event::new();
    event.ensure_id();
    event.id().unwrap_or_default().to_string()
}

enum BulkRejection {
    Body(BodyError),
    Malformed(String),
}

async fn bulk(
    state: Arc<AppState>,
    peer: SocketAddr,
    url_index: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let limit = state.max_body_bytes;
    let Ok(raw) = axum::body::to_bytes(body, limit).await else {
        return es_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "content_too_long_exception",
            &format!("request body exceeds {limit} bytes"),
            None,
        );
    };
    let encoding = content_encoding(&headers);
    let line_limit = state.max_event_bytes;
    let parsed = tokio::task::spawn_blocking(move || {
        let body = decode_body(&raw, encoding.as_deref(), limit).map_err(BulkRejection::Body)?;
        let mut parsed = parse_bulk(&body, url_index.as_deref(), line_limit)
            .map_err(BulkRejection::Malformed)?;
        let received = Utc::now();
        let source = SourceInfo::network(ES_SOURCE, peer);
        for event in &mut parsed.events {
            finalize(event, &source, received);
        }
        let ids: Vec<String> = parsed
            .events
            .iter()
            .map(|e| e.id().unwrap_or_default().to_string())
            .collect();
        let (batch, ack) = Batch::acked(std::mem::take(&mut parsed.events));
        Ok((batch, ack, ids, parsed.items))
    })
    .await;
    let (batch, ack, ids, items) = match parsed {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(BulkRejection::Body(BodyError::Empty))) => {
            return es_error(
                StatusCode::BAD_REQUEST,
                "action_request_validation_exception",
                "Validation Failed: 1: no requests added;",
                None,
            )
        }
        Ok(Err(BulkRejection::Body(e))) => {
            let status = body_error_status(&e);
            let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "content_too_long_exception"
            } else {
                "parse_exception"
            };
            return es_error(status, kind, &e.to_string(), None);
        }
        Ok(Err(BulkRejection::Malformed(reason))) => {
            return es_error(
                StatusCode::BAD_REQUEST,
                "illegal_argument_exception",
                &reason,
                None,
            )
        }
        Err(e) => {
            return es_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                &format!("bulk task failed: {e}"),
                None,
            )
        }
    };
    let failed = items
        .iter()
        .filter(|i| matches!(i, BulkItem::Failed { .. }))
        .count();
    IngestMetrics::add(&state.metrics.lines_rejected, failed as u64);
    let mut first_seq = 0;
    if !batch.events.is_empty() {
        match commit_batch(&state, batch, ack).await {
            Ok(range) => first_seq = range.start,
            Err(CommitError::Busy) => {
                return es_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "es_rejected_execution_exception",
                    "rejected execution: the ingest queue is full, retry later",
                    Some(1),
                )
            }
            Err(CommitError::Storage(reason)) => {
                // What Elasticsearch answers at the disk flood stage: retryable, nothing kept.
                return es_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "cluster_block_exception",
                    &format!("storage unavailable, nothing of this request was kept: {reason}"),
                    Some(5),
                );
            }
            Err(CommitError::ShuttingDown) => {
                return es_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "node_closed_exception",
                    "the server is shutting down",
                    Some(5),
                )
            }
        }
    }
    let took = started.elapsed().as_millis();
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        bulk_response(took, &items, &ids, first_seq),
    )
        .into_response()
}

/// The `_bulk` answer, keys in Elasticsearch's order (some clients stream-parse it).
fn bulk_response(took: u128, items: &[BulkItem], ids: &[String], first_seq: u64) -> String {
    let quoted = |s: &str| Value::from(s).to_string();
    let errors = items.iter().any(|i| matches!(i, BulkItem::Failed { .. }));
    let mut out = String::with_capacity(48 + items.len() * 220);
    let _ = write!(out, r#"{{"took":{took},"errors":{errors},"items":["#);
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let _ = match item {
            BulkItem::Stored {
                action,
                index,
                event,
            } => write!(
                out,
                r#"{{"{}":{{"_index":{},"_id":{},"_version":1,"result":"created","_shards":{{"total":1,"successful":1,"failed":0}},"_seq_no":{},"_primary_term":1,"status":201}}}}"#,
                action.name(),
                quoted(index),
                quoted(ids.get(*event).map_or("", String::as_str)),
                first_seq + *event as u64,
            ),
            BulkItem::Failed {
                action,
                index,
                id,
                kind,
                reason,
            } => write!(
                out,
                r#"{{"{}":{{"_index":{},"_id":{},"status":400,"error":{{"type":{},"reason":{}}}}}}}"#,
                action.name(),
                quoted(index),
                quoted(&id.clone().unwrap_or_else(fresh_id)),
                quoted(kind),
                quoted(reason),
            ),
        };
    }
    out.push_str("]}");
    out
}

fn content_encoding(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// Splunk HTTP Event Collector
// ---------------------------------------------------------------------------------------------

/// Channels remembered for acknowledgements; the least recently used is forgotten beyond this.
const MAX_ACK_CHANNELS: usize = 10_000;
/// Longest accepted channel id, in bytes (Splunk's are GUIDs, 36 bytes).
const MAX_CHANNEL_LEN: usize = 128;

struct HecState {
    app: Arc<AppState>,
    channels: Mutex<AckChannels>,
}

/// Per channel, the next ack id to hand out. Every id below it is durable: an ack id is only
/// given in a success answer, which is sent once the events are in the journal.
#[derive(Default)]
struct AckChannels {
    channels: HashMap<String, AckChannel>,
    clock: u64,
}

struct AckChannel {
    next: u64,
    used: u64,
}

impl AckChannels {
    fn issue(&mut self, channel: &str) -> u64 {
        self.clock += 1;
        let clock = self.clock;
        if !self.channels.contains_key(channel) && self.channels.len() >= MAX_ACK_CHANNELS {
            if let Some(oldest) = self
                .channels
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(k, _)| k.clone())
            {
                self.channels.remove(&oldest);
            }
        }
        let entry = self
            .channels
            .entry(channel.to_string())
            .or_insert(AckChannel { next: 0, used: 0 });
        entry.used = clock;
        entry.next += 1;
        entry.next - 1
    }

    fn is_acked(&self, channel: &str, ack: u64) -> bool {
        self.channels.get(channel).is_some_and(|c| ack < c.next)
    }
}

/// The HEC routes.
pub(crate) fn hec_routes(app: Arc<AppState>) -> Router<Arc<AppState>> {
    let state = Arc::new(HecState {
        app,
        channels: Mutex::new(AckChannels::default()),
    });
    Router::new()
        .route("/services/collector", post(hec_event))
        .route("/services/collector/event", post(hec_event))
        .route("/services/collector/event/1.0", post(hec_event))
        .route("/services/collector/raw", post(hec_raw))
        .route("/services/collector/raw/1.0", post(hec_raw))
        .route("/services/collector/ack", post(hec_ack))
        .route("/services/collector/health", get(hec_health))
        .route("/services/collector/health/1.0", get(hec_health))
        .with_state(state)
}

/// A HEC answer that is not a success.
#[derive(Debug, PartialEq)]
struct HecError {
    status: StatusCode,
    code: u32,
    text: String,
    /// 0-based number of the event that was refused.
    event: Option<usize>,
}

impl HecError {
    fn new(status: StatusCode, code: u32, text: impl Into<String>) -> Self {
        Self {
            status,
            code,
            text: text.into(),
            event: None,
        }
    }

    fn no_data() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 5, "No data")
    }

    fn invalid(event: usize) -> Self {
        Self::at(6, "Invalid data format", event)
    }

    fn at(code: u32, text: &str, event: usize) -> Self {
        Self {
            event: Some(event),
            ..Self::new(StatusCode::BAD_REQUEST, code, text)
        }
    }
}

impl IntoResponse for HecError {
    fn into_response(self) -> Response {
        let mut body = json!({ "text": self.text, "code": self.code });
        if let Some(n) = self.event {
            body["invalid-event-number"] = json!(n);
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::INTERNAL_SERVER_ERROR
        {
            response.headers_mut().insert(
                RETRY_AFTER,
                HeaderValue::from(if self.code == 9 { 1 } else { 5 }),
            );
        }
        response
    }
}

/// Request-level metadata from the query string: defaults for fields an event lacks.
#[derive(Debug, Default, Clone)]
struct HecDefaults {
    host: Option<String>,
    source: Option<String>,
    sourcetype: Option<String>,
    index: Option<String>,
}

impl HecDefaults {
    fn from_query(query: &HashMap<String, String>) -> Self {
        let get = |k: &str| query.get(k).filter(|v| !v.is_empty()).cloned();
        Self {
            host: get("host"),
            source: get("source"),
            sourcetype: get("sourcetype"),
            index: get("index"),
        }
    }

    fn apply(&self, event: &mut Event) {
        if let Some(host) = &self.host {
            event.set_default("host.name", host.as_str());
        }
        if let Some(source) = &self.source {
            event.set_default(source_field(source), source.as_str());
        }
        if let Some(sourcetype) = &self.sourcetype {
            event.set_default("event.dataset", sourcetype.as_str());
        }
        if let Some(index) = &self.index {
            event.set_default("splunk.index", index.as_str());
        }
    }
}

/// Where a HEC `source` goes: `log.file.path` for a file path, `splunk.source` otherwise.
fn source_field(source: &str) -> &'static str {
    let bytes = source.as_bytes();
    let drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/');
    if source.starts_with('/') || source.starts_with("\\\\") || drive {
        "log.file.path"
    } else {
        "splunk.source"
    }
}

/// HEC `time`: epoch seconds with an optional fraction, as a number or a numeric string.
fn hec_time(value: &Value) -> Option<DateTime<Utc>> {
    let secs = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !secs.is_finite() || !(0.0..=253_402_300_799.0).contains(&secs) {
        return None;
    }
    DateTime::from_timestamp_millis((secs * 1000.0).round() as i64)
}

/// A metadata value of the envelope as text (a string or a number).
fn meta_text(value: &Value) -> Result<Option<String>, ()> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(()),
    }
}

/// One HEC envelope (`{"event":..,"time":..,"host":..,...}`) into an event; `n` is its number.
fn hec_envelope(mut envelope: Map<String, Value>, n: usize) -> Result<Event, HecError> {
    let mut event = match envelope.remove("event") {
        None => return Err(HecError::at(12, "Event field is required", n)),
        Some(Value::Null) => return Err(HecError::at(13, "Event field cannot be blank", n)),
        Some(Value::String(text)) => {
            if text.trim().is_empty() {
                return Err(HecError::at(13, "Event field cannot be blank", n));
            }
            let mut event = Event::new();
            event.set("message", text.as_str());
            event.set("event.original", text);
            event
        }
        Some(Value::Object(map)) => {
            if map.is_empty() {
                return Err(HecError::at(13, "Event field cannot be blank", n));
            }
            let original = serde_json::to_string(&map).map_err(|_| HecError::invalid(n))?;
            let mut event = Event::from_map(map);
            event.set_default("event.original", original);
            event
        }
        Some(other) => {
            // Splunk keeps any JSON value as the event's text.
            let text = other.to_string();
            let mut event = Event::new();
            event.set("message", text.as_str());
            event.set("event.original", text);
            event
        }
    };
    if let Some(time) = envelope.get("time").filter(|t| !t.is_null()) {
        let time = hec_time(time).ok_or_else(|| HecError::invalid(n))?;
        event.set("@timestamp", format_timestamp(time));
    }
    let text = |key: &str| meta_text(envelope.get(key).unwrap_or(&Value::Null));
    if let Some(host) = text("host").map_err(|_| HecError::invalid(n))? {
        event.set("host.name", host);
    }
    if let Some(source) = text("source").map_err(|_| HecError::invalid(n))? {
        event.set(source_field(&source), source);
    }
    if let Some(sourcetype) = text("sourcetype").map_err(|_| HecError::invalid(n))? {
        event.set("event.dataset", sourcetype);
    }
    if let Some(index) = text("index").map_err(|_| HecError::invalid(n))? {
        event.set("splunk.index", index);
    }
    match envelope.remove("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            for (key, value) in fields {
                if value.is_object() {
                    return Err(HecError::at(15, "Error in handling indexed fields", n));
                }
                event.set(&format!("labels.{key}"), value);
            }
        }
        Some(_) => return Err(HecError::at(15, "Error in handling indexed fields", n)),
    }
    Ok(event)
}

/// A `/services/collector/event` body: JSON envelopes, concatenated with or without whitespace.
fn parse_hec_events(body: &[u8], max_event: usize) -> Result<Vec<Event>, HecError> {
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let mut events = Vec::new();
    loop {
        let n = events.len();
        let start = stream.byte_offset();
        let Some(item) = stream.next() else { break };
        if stream.byte_offset() - start > max_event {
            return Err(HecError::invalid(n));
        }
        match item {
            Ok(Value::Object(envelope)) => events.push(hec_envelope(envelope, n)?),
            Ok(_) | Err(_) => return Err(HecError::invalid(n)),
        }
    }
    if events.is_empty() {
        return Err(HecError::no_data());
    }
    Ok(events)
}

/// A `/services/collector/raw` body: one event per line, parsed like any log line.
fn parse_hec_raw(
    body: &[u8],
    ctx: &ParseContext,
    max_event: usize,
) -> Result<Vec<Event>, HecError> {
    let mut events = Vec::new();
    for line in body.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.len() > max_event {
            return Err(HecError::invalid(events.len()));
        }
        events.push(parse_line(line, ctx));
    }
    if events.is_empty() {
        return Err(HecError::no_data());
    }
    Ok(events)
}

/// The request's channel: `X-Splunk-Request-Channel`, else the `channel` query parameter.
fn hec_channel(
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<String>, HecError> {
    let channel = match headers.get("x-splunk-request-channel") {
        Some(v) => Some(v.to_str().map_err(|_| invalid_channel())?.to_string()),
        None => query.get("channel").cloned(),
    };
    match channel {
        None => Ok(None),
        Some(c)
            if !c.is_empty()
                && c.len() <= MAX_CHANNEL_LEN
                && c.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(c))
        }
        Some(_) => Err(invalid_channel()),
    }
}

fn invalid_channel() -> HecError {
    HecError::new(StatusCode::BAD_REQUEST, 11, "Invalid data channel")
}

#[derive(Clone, Copy)]
enum HecKind {
    Event,
    Raw,
}

async fn hec_event(
    State(hec): State<Arc<HecState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    hec_ingest(hec, peer, query, headers, body, HecKind::Event)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn hec_raw(
    State(hec): State<Arc<HecState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    hec_ingest(hec, peer, query, headers, body, HecKind::Raw)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Reads and decodes a HEC body.
async fn hec_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, HecError> {
    let limit = state.max_body_bytes;
    let raw = axum::body::to_bytes(body, limit).await.map_err(|_| {
        HecError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            6,
            format!("Content too large: the limit is {limit} bytes"),
        )
    })?;
    let encoding = content_encoding(headers);
    tokio::task::spawn_blocking(move || {
        decode_body(&raw, encoding.as_deref(), limit)
            .map(|b| b.into_owned())
            .map_err(|e| match e {
                BodyError::Empty => HecError::no_data(),
                other => HecError::new(body_error_status(&other), 6, other.to_string()),
            })
    })
    .await
    .map_err(|e| HecError::new(StatusCode::INTERNAL_SERVER_ERROR, 8, e.to_string()))?
}

async fn hec_ingest(
    hec: Arc<HecState>,
    peer: SocketAddr,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
    kind: HecKind,
) -> Result<Response, HecError> {
    let state = &hec.app;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let channel = hec_channel(&headers, &query)?;
    let defaults = HecDefaults::from_query(&query);
    let body = hec_body(state, &headers, body).await?;
    let max_event = state.max_event_bytes;
    let offset = state.syslog_offset;
    let metrics = state.metrics.clone();
    let (batch, ack) = tokio::task::spawn_blocking(move || {
        let received = Utc::now();
        let mut events = match kind {
            HecKind::Event => parse_hec_events(&body, max_event)?,
            HecKind::Raw => {
                let ctx = ParseContext {
                    received,
                    default_offset: offset,
                };
                parse_hec_raw(&body, &ctx, max_event)?
            }
        };
        let source = SourceInfo::network(HEC_SOURCE, peer);
        for event in &mut events {
            if event.has_tag(TAG_PARSE_FAILURE) {
                IngestMetrics::add(&metrics.parse_failures, 1);
            }
            defaults.apply(event);
            finalize(event, &source, received);
        }
        Ok::<_, HecError>(Batch::acked(events))
    })
    .await
    .map_err(|e| HecError::new(StatusCode::INTERNAL_SERVER_ERROR, 8, e.to_string()))??;
    commit_batch(state, batch, ack).await.map_err(|e| match e {
        CommitError::Busy | CommitError::ShuttingDown => {
            HecError::new(StatusCode::SERVICE_UNAVAILABLE, 9, "Server is busy")
        }
        CommitError::Storage(_) => HecError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            8,
            "Internal server error",
        ),
    })?;
    let mut answer = json!({ "text": "Success", "code": 0 });
    if let Some(channel) = channel {
        answer["ackId"] = json!(hec.channels.lock().issue(&channel));
    }
    Ok(Json(answer).into_response())
}

async fn hec_ack(
    State(hec): State<Arc<HecState>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let channel = match hec_channel(&headers, &query) {
        Ok(Some(channel)) => channel,
        Ok(None) => {
            return HecError::new(StatusCode::BAD_REQUEST, 10, "Data channel is missing")
                .into_response()
        }
        Err(e) => return e.into_response(),
    };
    let body = match hec_body(&hec.app, &headers, body).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let ids: Option<Vec<u64>> = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("acks")?
            .as_array()?
            .iter()
            .map(Value::as_u64)
            .collect()
    });
    let Some(ids) = ids else {
        return HecError::new(StatusCode::BAD_REQUEST, 6, "Invalid data format").into_response();
    };
    let channels = hec.channels.lock();
    let acks: Map<String, Value> = ids
        .into_iter()
        .map(|id| (id.to_string(), Value::Bool(channels.is_acked(&channel, id))))
        .collect();
    Json(json!({ "acks": acks })).into_response()
}

async fn hec_health(State(hec): State<Arc<HecState>>) -> Response {
    let state = &hec.app;
    if state.sink.capacity() == 0 {
        return HecError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            18,
            "HEC is unhealthy, queues are full",
        )
        .into_response();
    }
    if state.pipeline.storage_error.lock().is_some() {
        return HecError::new(StatusCode::SERVICE_UNAVAILABLE, 8, "Internal server error")
            .into_response();
    }
    Json(json!({ "text": "HEC is healthy", "code": 17 })).into_response()
}

/// Entry points for the `cargo fuzz` targets in `fuzz/` (not a stable API): the `_bulk` and
/// HEC body decoders exactly as the endpoints call them, without a server.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Decodes a `_bulk` body: the stored events and the `_bulk` answer (ids are the events'
    /// numbers), or the reason the whole request fails.
    pub fn bulk_body(
        body: &[u8],
        url_index: Option<&str>,
        max_line: usize,
    ) -> Result<(Vec<Event>, String), String> {
        let parsed = parse_bulk(body, url_index, max_line)?;
        let ids: Vec<String> = (0..parsed.events.len()).map(|n| n.to_string()).collect();
        let answer = bulk_response(0, &parsed.items, &ids, 0);
        Ok((parsed.events, answer))
    }

    /// Decodes a HEC `/services/collector/event` body: the events, or the HEC error code.
    pub fn hec_event_body(body: &[u8], max_event: usize) -> Result<Vec<Event>, u32> {
        parse_hec_events(body, max_event).map_err(|e| e.code)
    }

    /// Decodes a HEC `/services/collector/raw` body: the events, or the HEC error code.
    pub fn hec_raw_body(
        body: &[u8],
        ctx: &ParseContext,
        max_event: usize,
    ) -> Result<Vec<Event>, u32> {
        parse_hec_raw(body, ctx, max_event).map_err(|e| e.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_pairs_actions_with_documents() {
        let body = concat!(
            "{\"index\":{\"_index\":\"web\"}}\n",
            "{\"message\":\"a\",\"source.ip\":\"10.0.0.1\"}\n",
            "\n",
            "{\"create\":{}}\n",
            "{\"message\":\"b\",\"event\":{\"dataset\":\"own\"}}\n",
            "{\"delete\":{\"_index\":\"web\",\"_id\":\"1\"}}\n",
            "{\"update\":{\"_index\":\"web\",\"_id\":\"2\"}}\n",
            "{\"doc\":{\"x\":1}}\n",
            "{\"index\":{\"_index\":\"web\"}}\n",
            "[1,2]\n",
            "{\"index\":{\"_index\":\"web\"}}\n",
            "{broken\n",
        );
        let parsed = parse_bulk(body.as_bytes(), Some("fallback"), 1 << 20)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.events.len(), 2);
        assert_eq!(parsed.events[0].get_str("event.dataset"), Some("web"));
        assert_eq!(parsed.events[0].get_str("source.ip"), Some("10.0.0.1"));
        assert_eq!(
            parsed.events[0].get_str("event.original"),
            Some("{\"message\":\"a\",\"source.ip\":\"10.0.0.1\"}")
        );
        assert_eq!(parsed.events[1].get_str("event.dataset"), Some("own"));
        assert_eq!(parsed.items.len(), 6);
        assert!(matches!(
            &parsed.items[1],
            BulkItem::Stored { action: BulkAction::Create, index, event: 1 } if index == "fallback"
        ));
        for (i, kind) in [
            (2, "illegal_argument_exception"),
            (3, "illegal_argument_exception"),
            (4, "mapper_parsing_exception"),
            (5, "mapper_parsing_exception"),
        ] {
            assert!(
                matches!(&parsed.items[i], BulkItem::Failed { kind: k, .. } if *k == kind),
                "item {i}: {:?}",
                parsed.items[i]
            );
        }
    }

    /// Regression (fuzz/es_bulk, FUZZING.md): a float was parsed one ULP off, so the event
    /// stored `…4163637` for a sent `…4163634` and, read back from the journal, wrote other
    /// canonical bytes than the journal held. Needs serde_json's `float_roundtrip`.
    #[test]
    fn bulk_floats_are_stored_as_sent_and_read_back_identically() {
        let body = b"{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"|s\":1617123417.4163634,\"\":22}\n";
        let parsed = parse_bulk(body, None, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        let event = &parsed.events[0];
        // 1617123417.4163634 and 1617123417.4163635 are the same f64 (the latter is shortest).
        assert_eq!(
            event.get("|s").map(Value::to_string).as_deref(),
            Some("1617123417.4163635")
        );
        let bytes = event.to_canonical_bytes();
        let back = Event::from_canonical_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.to_canonical_bytes(), bytes);
    }

    #[test]
    fn bulk_response_is_valid_json_in_elasticsearch_order() {
        let body = "{\"index\":{\"_index\":\"a\\\"b\"}}\n{\"m\":1}\n{\"delete\":{\"_id\":\"7\"}}\n";
        let parsed =
            parse_bulk(body.as_bytes(), Some("u"), 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        let text = bulk_response(3, &parsed.items, &["id0".to_string()], 41);
        assert!(text.starts_with(r#"{"took":3,"errors":true,"items":[{"index":{"_index":"#));
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(v["items"][0]["index"]["_index"], "a\"b");
        assert_eq!(v["items"][0]["index"]["_id"], "id0");
        assert_eq!(v["items"][0]["index"]["_seq_no"], 41);
        assert_eq!(v["items"][0]["index"]["status"], 201);
        assert_eq!(v["items"][1]["delete"]["_id"], "7");
        assert_eq!(v["items"][1]["delete"]["_index"], "u");
        assert_eq!(v["items"][1]["delete"]["status"], 400);
        assert_eq!(
            v["items"][1]["delete"]["error"]["reason"],
            DELETE_UPDATE_REASON
        );
    }

    #[test]
    fn malformed_action_lines_fail_the_request() {
        assert!(parse_bulk(b"{\"upsert\":{}}\n{}\n", None, 1 << 20).is_err());
        assert!(parse_bulk(b"not json\n", None, 1 << 20).is_err());
        assert!(parse_bulk(b"{\"index\":{},\"create\":{}}\n{}\n", None, 1 << 20).is_err());
        let parsed =
            parse_bulk(b"{\"index\":{}}\n{}\n", None, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(&parsed.items[0], BulkItem::Failed { reason, .. } if reason.contains("index is missing"))
        );
    }

    #[test]
    fn hec_envelopes_map_to_ecs() {
        let body = br#"{"time":1700000000.123,"host":"h1","source":"/var/log/app.log","sourcetype":"st","index":"main","event":{"user.name":"bob"},"fields":{"env":"prod"}}{"event":"plain text","source":"udp:514"}"#;
        let events = parse_hec_events(body, 1 << 20).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(e.get_str("@timestamp"), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(e.get_str("host.name"), Some("h1"));
        assert_eq!(e.get_str("log.file.path"), Some("/var/log/app.log"));
        assert_eq!(e.get_str("event.dataset"), Some("st"));
        assert_eq!(e.get_str("splunk.index"), Some("main"));
        assert_eq!(e.get_str("user.name"), Some("bob"));
        assert_eq!(e.get_str("labels.env"), Some("prod"));
        assert_eq!(events[1].get_str("message"), Some("plain text"));
        assert_eq!(events[1].get_str("splunk.source"), Some("udp:514"));
    }

    #[test]
    fn hec_errors_carry_codes_and_event_numbers() {
        let code = |body: &[u8]| parse_hec_events(body, 1 << 20).map_err(|e| (e.code, e.event));
        assert_eq!(code(b"  ").err(), Some((5, None)));
        assert_eq!(
            code(b"{\"event\":\"a\"}{\"event\":").err(),
            Some((6, Some(1)))
        );
        assert_eq!(code(b"{\"event\":\"a\"}[1]").err(), Some((6, Some(1))));
        assert_eq!(
            code(b"{\"event\":\"a\"}{\"host\":\"x\"}").err(),
            Some((12, Some(1)))
        );
        assert_eq!(code(b"{\"event\":\"\"}").err(), Some((13, Some(0))));
        assert_eq!(
            code(b"{\"event\":\"a\",\"time\":\"soon\"}").err(),
            Some((6, Some(0)))
        );
        assert_eq!(
            code(b"{\"event\":\"a\",\"fields\":{\"x\":{\"y\":1}}}").err(),
            Some((15, Some(0)))
        );
        assert_eq!(code(b"{\"event\":\"0123456789\"}").map(|e| e.len()), Ok(1));
        assert_eq!(
            parse_hec_events(b"{\"event\":\"0123456789\"}", 10).map_err(|e| e.code),
            Err(6)
        );
    }

    #[test]
    fn ack_ids_count_per_channel_and_channels_are_bounded() {
        let mut acks = AckChannels::default();
        assert_eq!(acks.issue("a"), 0);
        assert_eq!(acks.issue("a"), 1);
        assert_eq!(acks.issue("b"), 0);
        assert!(acks.is_acked("a", 1));
        assert!(!acks.is_acked("a", 2));
        assert!(!acks.is_acked("c", 0));
        for i in 0..MAX_ACK_CHANNELS + 5 {
            acks.issue(&format!("ch{i}"));
        }
        assert_eq!(acks.channels.len(), MAX_ACK_CHANNELS);
    }

    #[test]
    fn sources_that_are_paths_go_to_log_file_path() {
        assert_eq!(source_field("/var/log/syslog"), "log.file.path");
        assert_eq!(source_field("C:\\logs\\a.log"), "log.file.path");
        assert_eq!(source_field("\\\\share\\a.log"), "log.file.path");
        assert_eq!(source_field("http:app"), "splunk.source");
        assert_eq!(source_field("udp:514"), "splunk.source");
    }
}
