//! What every event gets on entry, whichever source it came from: an id, `event.ingested`,
//! `@timestamp` (falling back to the receive time), and `log.source` naming the input and peer.

use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use vigil_core::time::format_timestamp;
use vigil_core::Event;

/// `log.source.name` of events imported offline (`vigil ingest`).
pub const IMPORT_SOURCE: &str = "file";

/// Where an event came from: the input's name and, for network inputs, the peer address.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// Input name, e.g. `syslog-tcp`, `http`, `file`.
    pub name: String,
    /// The peer's socket address, or a file path for offline imports.
    pub address: Option<String>,
}

impl SourceInfo {
    /// A network input with its peer.
    pub fn network(name: &str, peer: SocketAddr) -> Self {
        Self {
            name: name.to_string(),
            address: Some(peer.to_string()),
        }
    }
}

/// Completes a parsed event: assigns `event.id`, sets `event.ingested` to `received`, falls back
/// `@timestamp` to `received` when the content gave none, and records `log.source`.
pub fn finalize(event: &mut Event, source: &SourceInfo, received: DateTime<Utc>) {
    event.ensure_id();
    let received_text = format_timestamp(received);
    if event.timestamp().is_none() {
        if event.get("@timestamp").is_some() {
            // A timestamp we cannot read is kept as a native field rather than lost.
            if let Some(bad) = event.remove("@timestamp") {
                event.set("event.created_raw", bad);
            }
        }
        event.set("@timestamp", received_text.clone());
    }
    event.set("event.ingested", received_text);
    event.set("log.source.name", source.name.as_str());
    if let Some(address) = &source.address {
        event.set("log.source.address", address.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finalize_fills_id_times_and_source() {
        let received = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut event = Event::new();
        event.set("@timestamp", "not a time");
        let peer: SocketAddr = ([127, 0, 0, 1], 5000).into();
        finalize(
            &mut event,
            &SourceInfo::network("syslog-udp", peer),
            received,
        );
        assert_eq!(event.id().map(str::len), Some(32));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-03-01T10:00:00.000Z")
        );
        assert_eq!(event.get_str("event.created_raw"), Some("not a time"));
        assert_eq!(event.get_str("log.source.name"), Some("syslog-udp"));
        assert_eq!(event.get_str("log.source.address"), Some("127.0.0.1:5000"));
    }
}
