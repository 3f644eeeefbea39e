//! Counters every source updates; the server renders them as Prometheus text.

use std::sync::atomic::{AtomicU64, Ordering};

/// Ingest counters, shared by all sources.
#[derive(Debug, Default)]
pub struct IngestMetrics {
    /// Events accepted into the pipeline.
    pub events_received: AtomicU64,
    /// Events whose content no parser understood (kept, tagged `_parse_failure`).
    pub parse_failures: AtomicU64,
    /// UDP datagrams dropped because the pipeline was full.
    pub udp_dropped: AtomicU64,
    /// Stream frames longer than the frame limit (kept truncated, tagged `_truncated`).
    pub frames_truncated: AtomicU64,
    /// HTTP requests refused for backpressure (429/503).
    pub http_throttled: AtomicU64,
    /// NDJSON lines rejected with a reason.
    pub lines_rejected: AtomicU64,
    /// Open TCP connections.
    pub tcp_connections: AtomicU64,
    /// Nanoseconds spent parsing and normalising (all sources).
    pub parse_nanos: AtomicU64,
    /// RELP `syslog` messages acknowledged (`200 OK` after the journal append).
    pub relp_messages: AtomicU64,
    /// RELP sessions ended for a protocol error (malformed or oversized frame, bad command).
    pub relp_errors: AtomicU64,
    /// Open RELP connections.
    pub relp_connections: AtomicU64,
    /// Events read by file tailing.
    pub file_events: AtomicU64,
    /// File tailing errors (unreadable file, bad offsets file, storage refusals).
    pub file_errors: AtomicU64,
    /// OTLP requests refused whole (undecodable body, unsupported type or encoding, too large).
    pub otlp_requests_rejected: AtomicU64,
    /// OTLP log records refused in a partial success (over the event size limit).
    pub otlp_records_rejected: AtomicU64,
    /// Open syslog-over-TLS connections (handshake completed).
    pub tls_connections: AtomicU64,
    /// Syslog-over-TLS handshakes that failed or timed out (plain-text client, no or
    /// untrusted client certificate, protocol mismatch).
    pub tls_handshake_failures: AtomicU64,
}

impl IngestMetrics {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
