//! The HTTP API (axum): ingest, search, fields, health and Prometheus metrics. Every
//! error is a JSON object `{"error": "..."}` with a 4xx/5xx status; nothing here panics on input.

use crate::pipeline::PipelineState;
use crate::store::JournalStore;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use vigil_core::time::parse_time_expr;
use vigil_index::{SearchError, Searcher, TimeRange};
use vigil_ingest::body::{decode_body, parse_ndjson, BodyError};
use vigil_ingest::{finalize, AckError, Batch, IngestMetrics, Sink, SourceInfo};
use vigil_journal::JournalReader;
use vigil_parse::ParseContext;

/// Most hits one search returns.
pub const MAX_SEARCH_LIMIT: usize = 10_000;

/// `log.source.name` of events sent to the NDJSON ingest endpoint (and the source an ingest
/// token is bound to for it).
pub const HTTP_SOURCE: &str = "http";

/// What the handlers share.
pub struct AppState {
    /// Where ingested batches go.
    pub sink: Sink,
    /// The index reader, when indexing is on.
    pub searcher: Option<Searcher>,
    /// Journal access for fetching hits.
    pub reader: JournalReader,
    /// Ingest counters.
    pub metrics: Arc<IngestMetrics>,
    /// Pipeline figures.
    pub pipeline: Arc<PipelineState>,
    /// Largest accepted body (after decompression).
    pub max_body_bytes: usize,
    /// Largest accepted line.
    pub max_event_bytes: usize,
    /// Zone for RFC 3164 lines sent over HTTP.
    pub syslog_offset: chrono::FixedOffset,
    /// Server start time.
    pub started: Instant,
    /// The data directory (for disk usage).
    pub data_dir: std::path::PathBuf,
    /// The detection thread's figures and controls, when detection is on.
    pub detection: Option<Arc<crate::detection::DetectionShared>>,
    /// Detection settings (for reloads).
    pub detection_settings: Option<crate::detection::DetectionSettings>,
    /// The alert store, when detection is on.
    pub alerts: Option<vigil_alert::AlertStore>,
    /// Users, tokens, sessions, throttling and the audit trail.
    pub security: Arc<crate::auth::Security>,
    /// Longest time one request may take.
    pub request_timeout: Duration,
    /// Most requests served at once.
    pub max_concurrent_requests: usize,
}

/// A JSON error response.
pub struct ApiError {
    pub(crate) status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
            retry_after: None,
        }
    }

    /// Adds a `Retry-After` header (seconds).
    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// Builds the router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/ingest", post(ingest))
        .route("/api/v1/search", get(search))
        .route("/api/v1/fields", get(fields))
        .route("/api/v1/health", get(health))
        .route("/metrics", get(metrics))
        .merge(crate::detection_api::routes())
        .merge(crate::shippers::elasticsearch_routes())
        .merge(crate::shippers::hec_routes(state.clone()))
        .merge(crate::otlp::routes())
        .merge(crate::auth_api::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::middleware,
        ))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this endpoint",
            )
        })
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::middleware::from_fn_with_state(
                    state.security.tls,
                    crate::auth::security_headers,
                ))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    state.request_timeout,
                ))
                // Global: one semaphore shared by every route (Router::layer wraps each route).
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    state.max_concurrent_requests.max(1),
                )),
        )
        .with_state(state)
}

async fn ingest(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let raw = axum::body::to_bytes(body, state.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body exceeds {} bytes", state.max_body_bytes),
            )
        })?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let limit = state.max_body_bytes;
    let line_limit = state.max_event_bytes;
    let offset = state.syslog_offset;
    let metrics = state.metrics.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let body = decode_body(&raw, encoding.as_deref(), limit)?;
        let received = chrono::Utc::now();
        let ctx = ParseContext {
            received,
            default_offset: offset,
        };
        let (mut events, rejections) = parse_ndjson(&body, &ctx, line_limit);
        let source = SourceInfo::network(HTTP_SOURCE, peer);
        for event in &mut events {
            if event.has_tag(vigil_core::TAG_PARSE_FAILURE) {
                IngestMetrics::add(&metrics.parse_failures, 1);
            }
            finalize(event, &source, received);
        }
        Ok::<_, vigil_ingest::body::BodyError>((Batch::acked(events), rejections))
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("ingest task failed: {e}"),
        )
    })?;
    let ((batch, ack), rejections) =
        parsed.map_err(|e| ApiError::new(body_error_status(&e), e.to_string()))?;
    IngestMetrics::add(&state.metrics.lines_rejected, rejections.len() as u64);
    let accepted = batch.events.len();
    let mut first_seq = None;
    if accepted > 0 {
        first_seq = Some(commit_batch(&state, batch, ack).await?.start);
    }
    let status = if accepted == 0 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut body = json!({
        "accepted": accepted,
        "rejected": rejections.len(),
        "errors": rejections,
    });
    if let Some(seq) = first_seq {
        body["first_seq"] = json!(seq);
    }
    if accepted == 0 {
        body["error"] = json!("no line of the body could be stored");
    }
    Ok((status, Json(body)).into_response())
}

/// The status for a request body that cannot be read at all.
pub(crate) fn body_error_status(e: &BodyError) -> StatusCode {
    match e {
        BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        BodyError::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Why a batch handed to the pipeline was not stored (nothing of it was kept).
#[derive(Debug)]
pub(crate) enum CommitError {
    /// The ingest queue stayed full for 2 s (counted in `vigil_http_throttled_total`).
    Busy,
    /// The disk is full or unwritable.
    Storage(String),
    /// The server is stopping.
    ShuttingDown,
}

impl From<CommitError> for ApiError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Busy => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "ingest queue is full: retry after the given delay",
                );
                err.retry_after = Some(1);
                err
            }
            CommitError::Storage(reason) => {
                let mut err = ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    format!("storage unavailable: {reason}"),
                );
                err.retry_after = Some(5);
                err
            }
            CommitError::ShuttingDown => shutting_down(),
        }
    }
}

/// Hands an acknowledged batch to the pipeline and waits until it is durable; returns the
/// journal range of its events (counted in `vigil_events_received_total`). Every HTTP ingest
/// endpoint answers only after this returns.
pub(crate) async fn commit_batch(
    state: &AppState,
    batch: Batch,
    ack: oneshot::Receiver<Result<Range<u64>, AckError>>,
) -> Result<Range<u64>, CommitError> {
    let accepted = batch.events.len();
    let permit = match tokio::time::timeout(Duration::from_secs(2), state.sink.reserve()).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) => return Err(CommitError::ShuttingDown),
        Err(_) => {
            IngestMetrics::add(&state.metrics.http_throttled, 1);
            return Err(CommitError::Busy);
        }
    };
    permit.send(batch);
    match ack.await {
        Ok(Ok(range)) => {
            IngestMetrics::add(&state.metrics.events_received, accepted as u64);
            Ok(range)
        }
        Ok(Err(AckError::Storage(reason))) => Err(CommitError::Storage(reason)),
        Ok(Err(AckError::ShuttingDown)) | Err(_) => Err(CommitError::ShuttingDown),
    }
}

fn shutting_down() -> ApiError {
    let mut err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server is shutting down");
    err.retry_after = Some(5);
    err
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

/// Parses the `from`/`to` pair of a request or command line into a [`TimeRange`].
pub fn parse_range(from: Option<&str>, to: Option<&str>) -> Result<TimeRange, String> {
    let now = chrono::Utc::now();
    let parse = |v: Option<&str>| -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
        match v.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => parse_time_expr(text, now)
                .map(Some)
                .map_err(|e| e.to_string()),
        }
    };
    let range = TimeRange {
        from: parse(from)?,
        to: parse(to)?,
    };
    if let (Some(f), Some(t)) = (range.from, range.to) {
        if f > t {
            return Err(format!("'from' ({f}) is after 'to' ({t})"));
        }
    }
    Ok(range)
}

/// Turns a search failure into the JSON error shape shared by the API and the CLI.
pub fn search_error_json(e: &SearchError) -> Value {
    match e {
        SearchError::Syntax {
            position,
            expected,
            message,
        } => {
            json!({ "error": e.to_string(), "position": position, "expected": expected, "message": message })
        }
        other => json!({ "error": other.to_string() }),
    }
}

async fn search(
    State(state): State<Arc<AppState>>,
    caller: crate::auth::Caller,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let audit_query = params.q.clone().unwrap_or_else(|| "*".to_string());
    let audit_range = json!({ "from": params.from, "to": params.to });
    let result = run_search(&state, params).await;
    let (outcome, count) = match &result {
        Ok((_, total)) => (vigil_auth::Outcome::Success, Some(*total)),
        Err(_) => (vigil_auth::Outcome::Failure, None),
    };
    let record = caller
        .audit(vigil_auth::AuditAction::Search, outcome)
        .with_details(json!({
            "query": audit_query,
            "time_range": audit_range,
            "result_count": count,
        }));
    state.security.audit.record(record).await;
    result.map(|(response, _)| response)
}

async fn run_search(state: &AppState, params: SearchParams) -> Result<(Response, u64), ApiError> {
    let Some(searcher) = state.searcher.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "indexing is disabled on this server (index = false)",
        ));
    };
    let query = params.q.unwrap_or_else(|| "*".to_string());
    let limit = match params.limit.as_deref() {
        None | Some("") => 100,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_SEARCH_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "invalid limit '{text}': expected a number from 1 to {MAX_SEARCH_LIMIT}"
                    ),
                )
            })?,
    };
    let range = parse_range(params.from.as_deref(), params.to.as_deref())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    let reader = state.reader.clone();
    let started = Instant::now();
    let result = tokio::task::spawn_blocking(move || {
        searcher.search(&query, range, limit, &JournalStore(&reader))
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("search task failed: {e}"),
        )
    })?;
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(result) => Ok((
            Json(search_result_json(&result, took_ms)).into_response(),
            result.total,
        )),
        Err(e @ SearchError::Syntax { .. }) => Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            body: search_error_json(&e),
            retry_after: None,
        }),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )),
    }
}

/// The JSON shape of a search result: `hits` + `total`, or `columns` + `rows` for aggregations.
pub fn search_result_json(result: &vigil_index::SearchResult, took_ms: f64) -> Value {
    if result.is_aggregation {
        json!({ "total": result.total, "took_ms": took_ms, "columns": result.columns, "rows": result.rows })
    } else {
        let mut body = json!({ "total": result.total, "took_ms": took_ms, "hits": result.hits });
        if !result.columns.is_empty() {
            body["columns"] = json!(result.columns);
        }
        body
    }
}

async fn fields(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let Some(searcher) = state.searcher.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "indexing is disabled on this server",
        ));
    };
    let fields = tokio::task::spawn_blocking(move || searcher.fields())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| json!({ "name": f.name, "type": f.field_type.to_string(), "count": f.count }))
        .collect();
    Ok(Json(json!({ "fields": fields })).into_response())
}

/// Resident set size and its peak, in bytes, from /proc (Linux); zeros elsewhere.
pub fn memory_usage() -> (u64, u64) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (0, 0);
    };
    let read = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (read("VmRSS:"), read("VmHWM:"))
}

/// Bytes under a directory (files only), 0 when it does not exist.
fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

async fn health(State(state): State<Arc<AppState>>, caller: crate::auth::Caller) -> Json<Value> {
    let p = &state.pipeline;
    let journal = p.journal_size.load(Ordering::Relaxed);
    let indexed = p.indexed_upto.load(Ordering::Relaxed);
    let storage_error = p.storage_error.lock().clone();
    if !caller.allows(vigil_auth::Permission::ViewHealth, state.security.enabled) {
        // Anonymous probes (load balancers) learn only whether the service is healthy.
        return Json(json!({ "status": if storage_error.is_some() { "degraded" } else { "ok" } }));
    }
    let (rss, peak) = memory_usage();
    Json(json!({
        "status": if storage_error.is_some() { "degraded" } else { "ok" },
        "journal": { "size": journal, "checkpoint_size": p.checkpoint_size.load(Ordering::Relaxed) },
        "index": { "enabled": state.searcher.is_some(), "indexed": indexed, "lag": journal.saturating_sub(indexed) },
        "storage_error": storage_error,
        "disk": {
            "journal_bytes": dir_bytes(&crate::journal_dir(&state.data_dir)),
            "index_bytes": dir_bytes(&crate::index_dir(&state.data_dir)),
        },
        "rss_bytes": rss,
        "peak_rss_bytes": peak,
        "uptime_seconds": state.started.elapsed().as_secs(),
        "detection": state.detection.as_ref().map(|d| {
            let processed = d.processed_upto.load(Ordering::Relaxed);
            let latency = d.latency_percentiles();
            let from_ack = d.ack_latency_percentiles();
            json!({
                "processed": processed,
                "lag": journal.saturating_sub(processed),
                "rules": d.rules.read().rules.len(),
                "rule_errors": d.rules.read().errors.len(),
                "alerts_created": d.alerts_created.load(Ordering::Relaxed),
                "alerts_merged": d.alerts_merged.load(Ordering::Relaxed),
                "late_events": d.late_events.load(Ordering::Relaxed),
                "correlation_groups": d.correlation_groups.load(Ordering::Relaxed),
                "alert_latency_ms": latency.map(|(p50, p99)| json!({"p50": p50, "p99": p99})),
                "alert_latency_from_ack_ms": from_ack.map(|(p50, p99)| json!({"p50": p50, "p99": p99})),
            })
        }),
    }))
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let m = &state.metrics;
    let p = &state.pipeline;
    let (rss, peak) = memory_usage();
    let relaxed = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    // (name, help, value); names ending in _total are counters, the rest gauges.
    let series: [(&str, &str, u64); 19] = [
        (
            "vigil_parse_nanoseconds_total",
            "Nanoseconds spent parsing, normalising and serialising syslog events.",
            relaxed(&m.parse_nanos),
        ),
        (
            "vigil_events_received_total",
            "Events accepted into the pipeline.",
            relaxed(&m.events_received),
        ),
        (
            "vigil_parse_failures_total",
            "Events kept raw and tagged _parse_failure.",
            relaxed(&m.parse_failures),
        ),
        (
            "vigil_udp_dropped_total",
            "Syslog UDP messages dropped because the pipeline was full.",
            relaxed(&m.udp_dropped),
        ),
        (
            "vigil_frames_truncated_total",
            "Stream frames cut at the frame limit.",
            relaxed(&m.frames_truncated),
        ),
        (
            "vigil_http_throttled_total",
            "Ingest requests answered 429.",
            relaxed(&m.http_throttled),
        ),
        (
            "vigil_lines_rejected_total",
            "NDJSON lines rejected.",
            relaxed(&m.lines_rejected),
        ),
        (
            "vigil_otlp_requests_rejected_total",
            "OTLP requests refused whole (bad body, type or encoding).",
            relaxed(&m.otlp_requests_rejected),
        ),
        (
            "vigil_otlp_records_rejected_total",
            "OTLP log records refused in a partial success.",
            relaxed(&m.otlp_records_rejected),
        ),
        (
            "vigil_tcp_connections",
            "Open syslog TCP connections.",
            relaxed(&m.tcp_connections),
        ),
        (
            "vigil_journal_records",
            "Records in the journal.",
            relaxed(&p.journal_size),
        ),
        (
            "vigil_journal_checkpoint_size",
            "Tree size of the latest signed checkpoint.",
            relaxed(&p.checkpoint_size),
        ),
        (
            "vigil_journal_frames_total",
            "Journal frames (group commits) written.",
            relaxed(&p.frames_written),
        ),
        (
            "vigil_index_indexed_records",
            "Journal records committed to the index.",
            relaxed(&p.indexed_upto),
        ),
        (
            "vigil_journal_append_nanoseconds_total",
            "Nanoseconds spent appending to the journal.",
            relaxed(&p.journal_nanos),
        ),
        (
            "vigil_index_nanoseconds_total",
            "Nanoseconds spent indexing and committing.",
            relaxed(&p.index_nanos),
        ),
        (
            "vigil_ingest_detection_wait_nanoseconds_total",
            "Nanoseconds the journal writer waited for detection to catch up ([detect] max_lag).",
            relaxed(&p.detection_wait_nanos),
        ),
        ("vigil_process_resident_bytes", "Resident memory.", rss),
        (
            "vigil_process_resident_peak_bytes",
            "Peak resident memory.",
            peak,
        ),
    ];
    let mut series = series.to_vec();
    series.extend([
        (
            "vigil_ingest_tls_connections",
            "Open syslog-over-TLS connections.",
            relaxed(&m.tls_connections),
        ),
        (
            "vigil_ingest_tls_handshake_failures_total",
            "Syslog-over-TLS handshakes that failed or timed out.",
            relaxed(&m.tls_handshake_failures),
        ),
    ]);
    series.push((
        "vigil_pipeline_errors_total",
        "Events on which a user-defined [[pipelines]] VRL program failed (kept as before it, tagged _vrl_error).",
        p.remap.as_ref().map_or(0, |r| r.errors_total()),
    ));
    series.push((
        "vigil_auth_credential_failures_total",
        "Requests with a wrong or expired token or session (each is on the audit trail).",
        relaxed(&state.security.credential_failures),
    ));
    if let Some(d) = &state.detection {
        let (p50, p99) = d.latency_percentiles().unwrap_or((0, 0));
        let (ack_p50, ack_p99) = d.ack_latency_percentiles().unwrap_or((0, 0));
        series.extend([
            (
                "vigil_detect_processed_records",
                "Journal records evaluated by detection.",
                relaxed(&d.processed_upto),
            ),
            (
                "vigil_detect_events_total",
                "Events evaluated by detection since start.",
                relaxed(&d.events),
            ),
            (
                "vigil_detect_late_events_total",
                "Events later than the allowed lateness, left out of correlation windows.",
                relaxed(&d.late_events),
            ),
            (
                "vigil_alerts_created_total",
                "Alerts created.",
                relaxed(&d.alerts_created),
            ),
            (
                "vigil_alerts_merged_total",
                "Findings merged into an existing alert (suppression window).",
                relaxed(&d.alerts_merged),
            ),
            (
                "vigil_alerts_duplicate_total",
                "Findings already stored (replay after a restart).",
                relaxed(&d.alerts_duplicate),
            ),
            (
                "vigil_alert_store_errors_total",
                "Failed attempts to store an alert (retried).",
                relaxed(&d.store_errors),
            ),
            (
                "vigil_detect_correlation_groups",
                "Active correlation groups.",
                relaxed(&d.correlation_groups),
            ),
            (
                "vigil_alert_latency_p50_milliseconds",
                "Event ingested to alert stored, median of recent alerts.",
                p50,
            ),
            (
                "vigil_alert_latency_p99_milliseconds",
                "Event ingested to alert stored, 99th percentile of recent alerts.",
                p99,
            ),
            (
                "vigil_alert_latency_from_ack_p50_milliseconds",
                "Event acknowledged (journal append) to alert stored, median of recent alerts.",
                ack_p50,
            ),
            (
                "vigil_alert_latency_from_ack_p99_milliseconds",
                "Event acknowledged (journal append) to alert stored, 99th percentile of recent alerts.",
                ack_p99,
            ),
        ]);
    }
    let mut text = String::new();
    for (name, help, value) in series {
        let kind = if name.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    }
    if let Some(remap) = &p.remap {
        // Per pipeline, in their own families so the unlabelled totals above stay simple.
        text.push_str("# HELP vigil_pipeline_runs_by_name_total Events each user-defined pipeline ran on.\n# TYPE vigil_pipeline_runs_by_name_total counter\n");
        for stats in remap.stats() {
            text.push_str(&format!(
                "vigil_pipeline_runs_by_name_total{{pipeline=\"{}\"}} {}\n",
                prometheus_label(&stats.name),
                stats.runs
            ));
        }
        text.push_str("# HELP vigil_pipeline_errors_by_name_total Runtime errors of each user-defined pipeline.\n# TYPE vigil_pipeline_errors_by_name_total counter\n");
        for stats in remap.stats() {
            text.push_str(&format!(
                "vigil_pipeline_errors_by_name_total{{pipeline=\"{}\"}} {}\n",
                prometheus_label(&stats.name),
                stats.errors
            ));
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Escapes a Prometheus label value.
fn prometheus_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
