//! OTLP/HTTP logs ingestion: `POST /v1/logs`, so OpenTelemetry SDKs and collectors export
//! their logs to Vigil as to any OTLP endpoint.
//!
//! Owns decoding an `ExportLogsServiceRequest` (binary protobuf, `application/x-protobuf`, or
//! the OTLP JSON encoding, `application/json`: hex trace/span ids, integer enums, camelCase
//! keys; either gzip-compressed with `Content-Encoding: gzip`), mapping each log record to an
//! ECS [`Event`], and answering with OTLP's status semantics. It must never acknowledge a
//! record before its journal append returned (the answer waits for the batch's ack), and never
//! panic or stop the listener on a body it cannot read (400, counted in
//! `vigil_otlp_requests_rejected_total`).
//!
//! Field mapping (the record's own fields win; attributes fill what the body did not set):
//! * `timeUnixNano` (else the body's own timestamp, else `observedTimeUnixNano`) → `@timestamp`;
//! * `severityText` → `log.level` (from `severityNumber` when empty), `severityNumber` →
//!   `event.severity`;
//! * a string body → `message`, run through the parser auto-detection as the HEC raw endpoint
//!   does (a syslog, JSON, CEF… line gets its ECS fields; plain text stays plain, untagged);
//!   a kvlist body → the event's fields; any other body → `message` as text; `event.original`
//!   is the body's text (or its JSON);
//! * `traceId`/`spanId` → `trace.id`/`span.id` (hex), `eventName` → `event.action`, the scope
//!   name → `log.logger`;
//! * resource and record attributes: the semantic-convention names ECS spells differently are
//!   renamed (`service.instance.id` → `service.node.name`, `deployment.environment[.name]` →
//!   `service.environment`, `os.*` → `host.os.*`, `host.arch` → `host.architecture`,
//!   `process.executable.name` → `process.name`, `exception.*` → `error.*`, `code.*` →
//!   `log.origin.*`, `thread.*` → `process.thread.*`); names in an ECS field set both share
//!   (`service.*`, `host.*`, `user.*`, `source.*`, `url.*`, `http.*`, …) are kept as they are;
//!   anything else goes to `labels.<key>` with dots made underscores (`labels.telemetry_sdk_name`).
//!
//! Answers, in the request's encoding: 200 with an empty `ExportLogsServiceResponse` when all was
//! stored, or with `partialSuccess` (`rejectedLogRecords`, `errorMessage`) when records over the
//! event size limit were refused; 400 (`google.rpc.Status`, code 3) for a body that cannot be
//! decoded, 413 and 415 likewise, not to be retried; 429 (queue full) and 503 (storage error,
//! shutting down) with `Retry-After`, which OTLP exporters retry. A request is stored whole or
//! not at all, apart from the records its partial success names.

use crate::api::{body_error_status, commit_batch, AppState, CommitError};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use serde_json::{json, Map, Number, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use vigil_core::time::format_timestamp;
use vigil_core::{Event, TAG_PARSE_FAILURE};
use vigil_ingest::body::decode_body;
use vigil_ingest::{finalize, Batch, IngestMetrics, SourceInfo};
use vigil_parse::{parse_line, ParseContext};

/// `log.source.name` of events that came through OTLP (and the source an ingest token is bound
/// to for it).
pub const OTLP_SOURCE: &str = "otlp";
/// The OTLP/HTTP logs path.
pub const LOGS_PATH: &str = "/v1/logs";

/// `google.rpc.Code` values used in error answers.
const CODE_INVALID_ARGUMENT: i32 = 3;
const CODE_RESOURCE_EXHAUSTED: i32 = 8;
const CODE_INTERNAL: i32 = 13;
const CODE_UNAVAILABLE: i32 = 14;

/// The OTLP routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v1/logs", post(export_logs))
}

/// The two OTLP/HTTP encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Binary protobuf (`application/x-protobuf`).
    Protobuf,
    /// OTLP JSON (`application/json`).
    Json,
}

impl Encoding {
    /// The encoding a `Content-Type` names (parameters such as `charset` are ignored).
    pub fn from_content_type(value: &str) -> Option<Self> {
        let mime = value.split(';').next().unwrap_or("").trim();
        if mime.eq_ignore_ascii_case("application/x-protobuf")
            || mime.eq_ignore_ascii_case("application/protobuf")
        {
            Some(Encoding::Protobuf)
        } else if mime.eq_ignore_ascii_case("application/json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// `google.rpc.Status`, the body of OTLP error answers (details are not sent).
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    /// A `google.rpc.Code`.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// What went wrong.
    #[prost(string, tag = "2")]
    pub message: String,
}

/// An OTLP error answer.
#[derive(Debug)]
pub struct OtlpError {
    status: StatusCode,
    code: i32,
    message: String,
    retry_after: Option<u64>,
    encoding: Encoding,
}

impl OtlpError {
    fn new(status: StatusCode, code: i32, message: impl Into<String>, encoding: Encoding) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            encoding,
        }
    }

    fn bad_request(message: impl Into<String>, encoding: Encoding) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            CODE_INVALID_ARGUMENT,
            message,
            encoding,
        )
    }

    fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for OtlpError {
    fn into_response(self) -> Response {
        let body = match self.encoding {
            Encoding::Protobuf => RpcStatus {
                code: self.code,
                message: self.message,
            }
            .encode_to_vec(),
            // `code`/`message` are google.rpc.Status; `error` is what Vigil's other JSON
            // errors carry.
            Encoding::Json => json!({
                "code": self.code,
                "message": self.message,
                "error": self.message,
            })
            .to_string()
            .into_bytes(),
        };
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(self.encoding.content_type()),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Decodes an (uncompressed) `ExportLogsServiceRequest`.
pub fn decode_request(body: &[u8], encoding: Encoding) -> Result<ExportLogsServiceRequest, String> {
    match encoding {
        Encoding::Protobuf => ExportLogsServiceRequest::decode(body)
            .map_err(|e| format!("invalid OTLP protobuf: {e}")),
        Encoding::Json => {
            serde_json::from_slice(body).map_err(|e| format!("invalid OTLP JSON: {e}"))
        }
    }
}

/// The events of a request and how many of its records were refused (with the first reason).
#[derive(Debug, Default)]
pub struct Converted {
    /// One event per accepted log record, not yet finalised.
    pub events: Vec<Event>,
    /// Records refused (over the event size limit).
    pub rejected: u64,
    /// Why the first refused record was refused.
    pub reason: Option<String>,
}

/// Maps every log record of a request to an event. `max_event` bounds a record's body text.
pub fn convert_request(
    request: ExportLogsServiceRequest,
    ctx: &ParseContext,
    max_event: usize,
) -> Converted {
    let mut out = Converted::default();
    for resource_logs in request.resource_logs {
        // Mapped once per resource, copied into each of its records.
        let resource = mapped_attributes(
            resource_logs
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default(),
        );
        for scope_logs in resource_logs.scope_logs {
            let scope_name = scope_logs
                .scope
                .as_ref()
                .map(|s| s.name.as_str())
                .filter(|n| !n.is_empty());
            for record in scope_logs.log_records {
                match convert_record(record, &resource, scope_name, ctx, max_event) {
                    Ok(event) => out.events.push(event),
                    Err(reason) => {
                        out.rejected += 1;
                        out.reason.get_or_insert(reason);
                    }
                }
            }
        }
    }
    out
}

/// One log record into an event.
fn convert_record(
    record: LogRecord,
    resource: &[(String, Value)],
    scope_name: Option<&str>,
    ctx: &ParseContext,
    max_event: usize,
) -> Result<Event, String> {
    let mut event = match record.body.and_then(|b| b.value) {
        None => Event::new(),
        Some(any_value::Value::StringValue(text)) => {
            if text.len() > max_event {
                return Err(too_large(text.len(), max_event));
            }
            string_body(&text, ctx)
        }
        Some(any_value::Value::KvlistValue(list)) => {
            let map = kv_map(list.values);
            let original = Value::Object(map.clone()).to_string();
            if original.len() > max_event {
                return Err(too_large(original.len(), max_event));
            }
            let mut event = Event::from_map(map);
            event.set("event.original", original);
            event
        }
        Some(other) => {
            let text = match any_to_json(other) {
                Value::String(s) => s,
                value => value.to_string(),
            };
            if text.len() > max_event {
                return Err(too_large(text.len(), max_event));
            }
            let mut event = Event::new();
            event.set("message", text.as_str());
            event.set("event.original", text);
            event
        }
    };

    let time = nanos_to_time(record.time_unix_nano);
    if let Some(time) = time {
        event.set("@timestamp", format_timestamp(time));
    } else if event.timestamp().is_none() {
        if let Some(observed) = nanos_to_time(record.observed_time_unix_nano) {
            event.set("@timestamp", format_timestamp(observed));
        }
    }
    if !record.severity_text.is_empty() {
        event.set("log.level", record.severity_text);
    } else if let Some(level) = severity_level(record.severity_number) {
        event.set("log.level", level);
    }
    if record.severity_number > 0 {
        event.set("event.severity", record.severity_number);
    }
    if let Some(id) = hex_id(&record.trace_id, 16) {
        event.set("trace.id", id);
    }
    if let Some(id) = hex_id(&record.span_id, 8) {
        event.set("span.id", id);
    }
    if !record.event_name.is_empty() {
        event.set("event.action", record.event_name);
    }
    if let Some(name) = scope_name {
        event.set("log.logger", name);
    }
    for (path, value) in mapped_attributes(record.attributes) {
        set_attribute(&mut event, &path, value);
    }
    for (path, value) in resource {
        set_attribute(&mut event, path, value.clone());
    }
    Ok(event)
}

fn too_large(len: usize, max: usize) -> String {
    format!("a log record body is {len} bytes, over the {max}-byte event limit")
}

/// A string body: a line the parsers understand keeps their fields; plain text stays plain.
fn string_body(text: &str, ctx: &ParseContext) -> Event {
    if !text.trim().is_empty() {
        let parsed = parse_line(text.as_bytes(), ctx);
        if !parsed.has_tag(TAG_PARSE_FAILURE) {
            return parsed;
        }
    }
    let mut event = Event::new();
    event.set("message", text);
    event.set("event.original", text);
    event
}

/// Unix nanoseconds into a time (0, "unset" in OTLP, and values past 2262 give none).
fn nanos_to_time(nanos: u64) -> Option<DateTime<Utc>> {
    if nanos == 0 {
        return None;
    }
    i64::try_from(nanos)
        .ok()
        .map(DateTime::from_timestamp_nanos)
}

/// The level name of an OTLP severity number (1-4 trace … 21-24 fatal).
fn severity_level(number: i32) -> Option<&'static str> {
    Some(match number {
        1..=4 => "trace",
        5..=8 => "debug",
        9..=12 => "info",
        13..=16 => "warn",
        17..=20 => "error",
        21..=24 => "fatal",
        _ => return None,
    })
}

/// A trace or span id as lowercase hex, when it has the right length and is not all zero.
fn hex_id(bytes: &[u8], len: usize) -> Option<String> {
    if bytes.len() != len || bytes.iter().all(|&b| b == 0) {
        return None;
    }
    let mut out = String::with_capacity(len * 2);
    for b in bytes {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
    }
    Some(out)
}

/// Semantic-convention attribute names that ECS spells differently.
const RENAMED: &[(&str, &str)] = &[
    ("service.instance.id", "service.node.name"),
    ("deployment.environment", "service.environment"),
    ("deployment.environment.name", "service.environment"),
    ("host.arch", "host.architecture"),
    ("os.type", "host.os.type"),
    ("os.name", "host.os.name"),
    ("os.version", "host.os.version"),
    ("os.description", "host.os.full"),
    ("process.executable.name", "process.name"),
    ("process.executable.path", "process.executable"),
    ("process.command_line", "process.command_line"),
    ("exception.type", "error.type"),
    ("exception.message", "error.message"),
    ("exception.stacktrace", "error.stack_trace"),
    ("code.function", "log.origin.function"),
    ("code.function.name", "log.origin.function"),
    ("code.filepath", "log.origin.file.name"),
    ("code.file.path", "log.origin.file.name"),
    ("code.lineno", "log.origin.file.line"),
    ("code.line.number", "log.origin.file.line"),
    ("thread.id", "process.thread.id"),
    ("thread.name", "process.thread.name"),
    ("log.file.path", "log.file.path"),
    ("log.file.name", "log.file.name"),
];

/// ECS field sets whose names the semantic conventions share: attributes under them are kept
/// under their own name.
const SHARED_FIELD_SETS: &[&str] = &[
    "client",
    "cloud",
    "container",
    "destination",
    "dns",
    "file",
    "group",
    "host",
    "http",
    "network",
    "process",
    "server",
    "service",
    "source",
    "tls",
    "url",
    "user",
    "user_agent",
];

/// Where an attribute goes in the event.
fn attribute_path(key: &str) -> String {
    if let Some((_, to)) = RENAMED.iter().find(|(from, _)| *from == key) {
        return (*to).to_string();
    }
    if let Some((set, rest)) = key.split_once('.') {
        let well_formed = !rest.is_empty() && !rest.split('.').any(str::is_empty);
        if well_formed && SHARED_FIELD_SETS.contains(&set) {
            return key.to_string();
        }
    }
    format!("labels.{}", key.replace('.', "_"))
}

/// Attributes as (event path, value), skipping empty keys and unset values.
fn mapped_attributes(attributes: Vec<KeyValue>) -> Vec<(String, Value)> {
    attributes
        .into_iter()
        .filter(|kv| !kv.key.is_empty())
        .filter_map(|kv| {
            let value = kv.value.and_then(|v| v.value)?;
            Some((attribute_path(&kv.key), any_to_json(value)))
        })
        .collect()
}

/// Sets an attribute unless the event already has that field (the body wins; a value already
/// there as an object, say `host` from a parsed body, is not replaced either).
fn set_attribute(event: &mut Event, path: &str, value: Value) {
    if event.get(path).is_none() {
        event.set(path, value);
    }
}

/// A kvlist as a JSON object (later duplicate keys win; empty keys are dropped).
fn kv_map(values: Vec<KeyValue>) -> Map<String, Value> {
    let mut map = Map::new();
    for kv in values {
        if kv.key.is_empty() {
            continue;
        }
        let value = kv
            .value
            .and_then(|v| v.value)
            .map_or(Value::Null, any_to_json);
        map.insert(kv.key, value);
    }
    map
}

/// An OTLP `AnyValue` as JSON (bytes as base64, non-finite doubles as text).
fn any_to_json(value: any_value::Value) -> Value {
    match value {
        any_value::Value::StringValue(s) => Value::String(s),
        any_value::Value::BoolValue(b) => Value::Bool(b),
        any_value::Value::IntValue(i) => Value::Number(i.into()),
        any_value::Value::DoubleValue(d) => {
            Number::from_f64(d).map_or_else(|| Value::String(d.to_string()), Value::Number)
        }
        any_value::Value::ArrayValue(array) => Value::Array(
            array
                .values
                .into_iter()
                .map(|v: AnyValue| v.value.map_or(Value::Null, any_to_json))
                .collect(),
        ),
        any_value::Value::KvlistValue(list) => Value::Object(kv_map(list.values)),
        any_value::Value::BytesValue(bytes) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        // A reference into a profiles dictionary, which logs do not have.
        any_value::Value::StringValueStrindex(_) => Value::Null,
    }
}

/// The success answer, in the request's encoding.
fn success(encoding: Encoding, rejected: u64, reason: Option<String>) -> Response {
    let partial = (rejected > 0).then(|| ExportLogsPartialSuccess {
        rejected_log_records: i64::try_from(rejected).unwrap_or(i64::MAX),
        error_message: reason.unwrap_or_default(),
    });
    let body = match encoding {
        Encoding::Protobuf => ExportLogsServiceResponse {
            partial_success: partial,
        }
        .encode_to_vec(),
        Encoding::Json => match partial {
            None => b"{}".to_vec(),
            Some(p) => json!({
                "partialSuccess": {
                    "rejectedLogRecords": p.rejected_log_records.to_string(),
                    "errorMessage": p.error_message,
                }
            })
            .to_string()
            .into_bytes(),
        },
    };
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(encoding.content_type()),
    );
    response
}

async fn export_logs(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match export(&state, peer, &headers, body).await {
        Ok(response) => response,
        Err(error) => {
            if error.status.is_client_error() && error.status != StatusCode::TOO_MANY_REQUESTS {
                IngestMetrics::add(&state.metrics.otlp_requests_rejected, 1);
                tracing::debug!(status = %error.status, reason = %error.message, "OTLP request refused");
            }
            error.into_response()
        }
    }
}

async fn export(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OtlpError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        return Err(OtlpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            CODE_INVALID_ARGUMENT,
            format!(
                "unsupported Content-Type {content_type:?}: send application/x-protobuf or application/json"
            ),
            Encoding::Json,
        ));
    };
    let limit = state.max_body_bytes;
    let raw = axum::body::to_bytes(body, limit).await.map_err(|_| {
        OtlpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            CODE_INVALID_ARGUMENT,
            format!("body exceeds {limit} bytes"),
            encoding,
        )
    })?;
    let content_encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let max_event = state.max_event_bytes;
    let offset = state.syslog_offset;
    let metrics = state.metrics.clone();
    let (converted, batch) = tokio::task::spawn_blocking(move || {
        let request = if raw.is_empty() {
            // An empty protobuf message is a valid (empty) request.
            ExportLogsServiceRequest::default()
        } else {
            let body = decode_body(&raw, content_encoding.as_deref(), limit).map_err(|e| {
                OtlpError::new(
                    body_error_status(&e),
                    CODE_INVALID_ARGUMENT,
                    e.to_string(),
                    encoding,
                )
            })?;
            decode_request(&body, encoding).map_err(|e| OtlpError::bad_request(e, encoding))?
        };
        let received = Utc::now();
        let ctx = ParseContext {
            received,
            default_offset: offset,
        };
        let mut converted = convert_request(request, &ctx, max_event);
        let source = SourceInfo::network(OTLP_SOURCE, peer);
        let mut events = std::mem::take(&mut converted.events);
        for event in &mut events {
            if event.has_tag(TAG_PARSE_FAILURE) {
                IngestMetrics::add(&metrics.parse_failures, 1);
            }
            finalize(event, &source, received);
        }
        IngestMetrics::add(&metrics.otlp_records_rejected, converted.rejected);
        let batch = (!events.is_empty()).then(|| Batch::acked(events));
        Ok::<_, OtlpError>((converted, batch))
    })
    .await
    .map_err(|e| {
        OtlpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            CODE_INTERNAL,
            format!("ingest task failed: {e}"),
            encoding,
        )
    })??;
    if let Some((batch, ack)) = batch {
        commit_batch(state, batch, ack).await.map_err(|e| match e {
            CommitError::Busy => OtlpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                CODE_RESOURCE_EXHAUSTED,
                "ingest queue is full: retry later",
                encoding,
            )
            .retry_after(1),
            CommitError::ShuttingDown => OtlpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                CODE_UNAVAILABLE,
                "the server is shutting down",
                encoding,
            )
            .retry_after(5),
            CommitError::Storage(reason) => {
                tracing::warn!(%reason, "OTLP batch not stored");
                OtlpError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    CODE_UNAVAILABLE,
                    "storage is unavailable",
                    encoding,
                )
                .retry_after(30)
            }
        })?;
    }
    Ok(success(encoding, converted.rejected, converted.reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValueList};
    use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
    use opentelemetry_proto::tonic::resource::v1::Resource;

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.to_string(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    fn s(text: &str) -> any_value::Value {
        any_value::Value::StringValue(text.to_string())
    }

    fn ctx() -> ParseContext {
        ParseContext::default()
    }

    /// A request as an SDK builds it: one resource, one scope, a text and a kvlist record.
    fn hand_built() -> ExportLogsServiceRequest {
        let text = LogRecord {
            time_unix_nano: 1_700_000_000_123_456_789,
            observed_time_unix_nano: 1_700_000_001_000_000_000,
            severity_number: 13,
            severity_text: "WARN".into(),
            body: Some(AnyValue {
                value: Some(s("disk almost full")),
            }),
            attributes: vec![
                kv("user.name", s("alice")),
                kv("tenant.id", s("t-42")),
                kv("exception.type", s("IOError")),
                kv("attempt", any_value::Value::IntValue(3)),
            ],
            trace_id: (1..=16).collect(),
            span_id: (1..=8).collect(),
            ..Default::default()
        };
        let structured = LogRecord {
            observed_time_unix_nano: 1_700_000_002_000_000_000,
            severity_number: 17,
            body: Some(AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: vec![
                        kv("action", s("login")),
                        kv("source.ip", s("10.1.2.3")),
                        kv("ok", any_value::Value::BoolValue(false)),
                    ],
                })),
            }),
            ..Default::default()
        };
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![
                        kv("service.name", s("checkout")),
                        kv("service.version", s("1.4.2")),
                        kv("host.name", s("web-1")),
                        kv("deployment.environment.name", s("prod")),
                        kv("telemetry.sdk.language", s("python")),
                    ],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "app.payments".into(),
                        ..Default::default()
                    }),
                    log_records: vec![text, structured],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn check_hand_built(events: &[Event]) {
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(e.get_str("@timestamp"), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(e.get_str("message"), Some("disk almost full"));
        assert_eq!(e.get_str("event.original"), Some("disk almost full"));
        assert!(!e.has_tag(TAG_PARSE_FAILURE), "{e:?}");
        assert_eq!(e.get_str("log.level"), Some("WARN"));
        assert_eq!(e.get("event.severity"), Some(&json!(13)));
        assert_eq!(
            e.get_str("trace.id"),
            Some("0102030405060708090a0b0c0d0e0f10")
        );
        assert_eq!(e.get_str("span.id"), Some("0102030405060708"));
        assert_eq!(e.get_str("log.logger"), Some("app.payments"));
        assert_eq!(e.get_str("service.name"), Some("checkout"));
        assert_eq!(e.get_str("service.version"), Some("1.4.2"));
        assert_eq!(e.get_str("service.environment"), Some("prod"));
        assert_eq!(e.get_str("host.name"), Some("web-1"));
        assert_eq!(e.get_str("user.name"), Some("alice"));
        assert_eq!(e.get_str("error.type"), Some("IOError"));
        assert_eq!(e.get_str("labels.tenant_id"), Some("t-42"));
        assert_eq!(e.get("labels.attempt"), Some(&json!(3)));
        assert_eq!(e.get_str("labels.telemetry_sdk_language"), Some("python"));

        let k = &events[1];
        assert_eq!(k.get_str("@timestamp"), Some("2023-11-14T22:13:22.000Z"));
        assert_eq!(k.get_str("action"), Some("login"));
        assert_eq!(k.get_str("source.ip"), Some("10.1.2.3"));
        assert_eq!(k.get("ok"), Some(&json!(false)));
        assert_eq!(k.get_str("log.level"), Some("error"));
        assert_eq!(k.get("event.severity"), Some(&json!(17)));
        assert!(k.get("trace.id").is_none());
        let original: Value = serde_json::from_str(k.get_str("event.original").unwrap_or(""))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(original["source.ip"], "10.1.2.3");
    }

    #[test]
    fn protobuf_request_maps_to_ecs() {
        let bytes = hand_built().encode_to_vec();
        let request = decode_request(&bytes, Encoding::Protobuf).unwrap_or_else(|e| panic!("{e}"));
        let converted = convert_request(request, &ctx(), 1 << 20);
        assert_eq!(converted.rejected, 0);
        check_hand_built(&converted.events);
    }

    #[test]
    fn json_request_maps_to_ecs() {
        // The OTLP JSON encoding, written out by hand: hex ids, integer enums, 64-bit integers
        // as strings, camelCase keys.
        let body = r#"{"resourceLogs":[{"resource":{"attributes":[
            {"key":"service.name","value":{"stringValue":"checkout"}},
            {"key":"service.version","value":{"stringValue":"1.4.2"}},
            {"key":"host.name","value":{"stringValue":"web-1"}},
            {"key":"deployment.environment.name","value":{"stringValue":"prod"}},
            {"key":"telemetry.sdk.language","value":{"stringValue":"python"}}]},
          "scopeLogs":[{"scope":{"name":"app.payments"},"logRecords":[
            {"timeUnixNano":"1700000000123456789","observedTimeUnixNano":"1700000001000000000",
             "severityNumber":13,"severityText":"WARN","body":{"stringValue":"disk almost full"},
             "attributes":[{"key":"user.name","value":{"stringValue":"alice"}},
               {"key":"tenant.id","value":{"stringValue":"t-42"}},
               {"key":"exception.type","value":{"stringValue":"IOError"}},
               {"key":"attempt","value":{"intValue":"3"}}],
             "traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"},
            {"observedTimeUnixNano":1700000002000000000,"severityNumber":17,
             "body":{"kvlistValue":{"values":[{"key":"action","value":{"stringValue":"login"}},
               {"key":"source.ip","value":{"stringValue":"10.1.2.3"}},
               {"key":"ok","value":{"boolValue":false}}]}},
             "unknownField":"ignored"}]}]}]}"#;
        let request =
            decode_request(body.as_bytes(), Encoding::Json).unwrap_or_else(|e| panic!("{e}"));
        let converted = convert_request(request, &ctx(), 1 << 20);
        assert_eq!(converted.rejected, 0);
        check_hand_built(&converted.events);
    }

    #[test]
    fn string_bodies_go_through_parser_detection() {
        let record = |body: &str| LogRecord {
            body: Some(AnyValue {
                value: Some(s(body)),
            }),
            ..Default::default()
        };
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![kv("host.name", s("collector-1"))],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    log_records: vec![
                        record("<38>Jan 11 10:00:00 fw1 sshd[42]: Failed password for root from 192.0.2.7 port 22 ssh2"),
                        record(r#"{"user":{"name":"bob"},"message":"hi"}"#),
                        record("just words"),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let converted = convert_request(request, &ctx(), 1 << 20);
        let [syslog, json_line, plain] = &converted.events[..] else {
            panic!("{:?}", converted.events);
        };
        // The parsed line's own host wins over the resource's.
        assert_eq!(syslog.get_str("host.name"), Some("fw1"));
        assert_eq!(syslog.get_str("source.ip"), Some("192.0.2.7"));
        assert_eq!(json_line.get_str("user.name"), Some("bob"));
        assert_eq!(json_line.get_str("host.name"), Some("collector-1"));
        assert_eq!(plain.get_str("message"), Some("just words"));
        assert!(!plain.has_tag(TAG_PARSE_FAILURE));
    }

    #[test]
    fn oversized_records_are_a_partial_success() {
        let mut request = hand_built();
        request.resource_logs[0].scope_logs[0].log_records[0].body = Some(AnyValue {
            value: Some(s(&"x".repeat(100))),
        });
        let converted = convert_request(request, &ctx(), 60);
        assert_eq!(converted.events.len(), 1);
        assert_eq!(converted.rejected, 1);
        assert!(converted
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("60-byte")));
        let response = success(Encoding::Json, converted.rejected, converted.reason);
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn malformed_bodies_are_refused_with_a_reason() {
        assert!(decode_request(b"{\"resourceLogs\":[{", Encoding::Json).is_err());
        assert!(decode_request(b"[1,2]", Encoding::Json).is_err());
        assert!(decode_request(
            br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz"}]}]}]}"#,
            Encoding::Json
        )
        .is_err());
        // Field 1 (resource_logs) as a length-delimited field running past the end.
        assert!(decode_request(&[0x0a, 0xff, 0x01, 0x00], Encoding::Protobuf).is_err());
        let error = OtlpError::bad_request("invalid OTLP JSON: eof", Encoding::Json);
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let response = error.into_response();
        assert_eq!(
            response.headers().get(CONTENT_TYPE),
            Some(&HeaderValue::from_static("application/json"))
        );
    }

    #[test]
    fn mutated_bodies_never_panic() {
        // Truncations and byte flips of valid bodies in both encodings (a cheap, deterministic
        // stand-in for fuzzing): each either decodes and converts or is an error.
        let proto = hand_built().encode_to_vec();
        let json_body = serde_json::to_vec(&hand_built()).unwrap_or_else(|e| panic!("{e}"));
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (body, encoding) in [(proto, Encoding::Protobuf), (json_body, Encoding::Json)] {
            assert!(decode_request(&body, encoding).is_ok(), "{encoding:?}");
            for cut in 0..body.len() {
                if let Ok(request) = decode_request(&body[..cut], encoding) {
                    convert_request(request, &ctx(), 1 << 20);
                }
            }
            for _ in 0..2000 {
                let mut mutated = body.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() % mutated.len() as u64) as usize;
                    mutated[at] = next() as u8;
                }
                if let Ok(request) = decode_request(&mutated, encoding) {
                    convert_request(request, &ctx(), 1 << 20);
                }
            }
        }
    }

    #[test]
    fn content_types_select_the_encoding() {
        assert_eq!(
            Encoding::from_content_type("application/x-protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::from_content_type("Application/JSON; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
        assert_eq!(Encoding::from_content_type(""), None);
    }

    #[test]
    fn attribute_names_map_to_ecs_or_labels() {
        assert_eq!(attribute_path("service.name"), "service.name");
        assert_eq!(attribute_path("os.type"), "host.os.type");
        assert_eq!(attribute_path("code.lineno"), "log.origin.file.line");
        assert_eq!(attribute_path("http.request.method"), "http.request.method");
        assert_eq!(attribute_path("event.original"), "labels.event_original");
        assert_eq!(attribute_path("message"), "labels.message");
        assert_eq!(attribute_path("user."), "labels.user_");
        assert_eq!(attribute_path("k8s.pod.name"), "labels.k8s_pod_name");
    }
}
