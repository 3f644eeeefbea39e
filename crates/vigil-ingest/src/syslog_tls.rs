//! Syslog over TLS (RFC 5425): accepts TCP connections, completes the TLS handshake (bounded
//! by a timeout; the caller's acceptor decides whether a client certificate is required and
//! which CAs it must chain to), then reads frames exactly as the TCP listener does (RFC 5425
//! octet counting, or newline framing as rsyslog may send; see [`crate::framing`]).
//!
//! A failed or timed-out handshake is logged and counted
//! ([`IngestMetrics::tls_handshake_failures`]) and never stops the listener. Connections
//! (handshakes included) are bounded by `SyslogSettings::max_connections`; an established
//! connection that sends nothing for the idle timeout is closed. When the client presented a
//! certificate, every event of the connection carries its identity in ECS `tls.client.*`
//! fields (subject DN and common name, issuer, serial, SHA-256 of the DER), set after
//! parsing and replacing any `tls.client` of the message, so a message cannot claim another
//! sender's identity. It owns no key material and
//! no trust decision: the [`TlsAcceptor`] is built by the server from `[tls]` and handed over
//! through a watch channel, so a renewed certificate or an updated CRL applies to the next
//! handshake without a restart.

use crate::metrics::IngestMetrics;
use crate::pipeline::Sink;
use crate::source::SourceInfo;
use crate::syslog::{accept_connections, serve_stream, StreamContext, SyslogSettings};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::rustls::ServerConnection;
use tokio_rustls::TlsAcceptor;

/// The input name of events received over TLS (`log.source.name`).
pub const SOURCE_NAME: &str = "syslog-tls";

/// Timeouts of the TLS listener.
#[derive(Debug, Clone)]
pub struct TlsTimeouts {
    /// Longest a client may take to complete the handshake.
    pub handshake: Duration,
    /// An established connection silent for this long is closed (`None`: never).
    pub idle: Option<Duration>,
}

impl Default for TlsTimeouts {
    fn default() -> Self {
        Self {
            handshake: Duration::from_secs(10),
            idle: Some(Duration::from_secs(600)),
        }
    }
}

/// Accepts syslog-over-TLS connections until the sink closes. Each handshake uses the
/// acceptor current in `acceptor` at the time the connection arrives.
pub async fn serve_tls(
    listener: TcpListener,
    acceptor: watch::Receiver<TlsAcceptor>,
    sink: Sink,
    settings: SyslogSettings,
    timeouts: TlsTimeouts,
    metrics: Arc<IngestMetrics>,
) {
    let max = settings.max_connections;
    accept_connections(listener, &sink.clone(), max, "syslog TLS", |stream, peer| {
        let acceptor = acceptor.borrow().clone();
        let sink = sink.clone();
        let settings = settings.clone();
        let timeouts = timeouts.clone();
        let metrics = metrics.clone();
        async move {
            let tls = match tokio::time::timeout(timeouts.handshake, acceptor.accept(stream)).await
            {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    IngestMetrics::add(&metrics.tls_handshake_failures, 1);
                    tracing::warn!(%peer, error = %e, "syslog TLS handshake failed");
                    return;
                }
                Err(_) => {
                    IngestMetrics::add(&metrics.tls_handshake_failures, 1);
                    tracing::warn!(%peer, timeout = ?timeouts.handshake, "syslog TLS handshake timed out");
                    return;
                }
            };
            let fields = connection_fields(tls.get_ref().1);
            if let Some((_, subject)) = fields.iter().find(|(k, _)| *k == "tls.client.subject") {
                tracing::debug!(%peer, client = %subject, "syslog TLS client connected");
            }
            let source = SourceInfo::network(settings.source_name(crate::syslog::SyslogProtocol::Tls.default_name()), peer);
            let conn = StreamContext {
                source: &source,
                fields: &fields,
                idle_timeout: timeouts.idle,
            };
            IngestMetrics::add(&metrics.tls_connections, 1);
            if let Err(e) = serve_stream(tls, &conn, sink, &settings, &metrics).await {
                tracing::debug!(%peer, error = %e, "syslog TLS connection ended with an error");
            }
            metrics.tls_connections.fetch_sub(1, Ordering::Relaxed);
        }
    })
    .await;
}

/// The ECS fields every event of a TLS connection gets when the client presented a
/// certificate: its identity, replacing any `tls.client` the message itself carried, and the
/// protocol version. None without a client certificate (`log.source.name` says TLS).
pub fn connection_fields(connection: &ServerConnection) -> Vec<(&'static str, Value)> {
    let Some(leaf) = connection.peer_certificates().and_then(|c| c.first()) else {
        return Vec::new();
    };
    let mut fields: Vec<(&'static str, Value)> = vec![
        ("tls.client", Value::Null),
        ("tls.established", Value::Bool(true)),
        ("tls.version_protocol", "tls".into()),
    ];
    if let Some(version) = connection.protocol_version() {
        let text = match version {
            tokio_rustls::rustls::ProtocolVersion::TLSv1_3 => "1.3".to_string(),
            tokio_rustls::rustls::ProtocolVersion::TLSv1_2 => "1.2".to_string(),
            other => format!("{other:?}"),
        };
        fields.push(("tls.version", text.into()));
    }
    fields.extend(client_fields(leaf.as_ref()));
    fields
}

/// `tls.client.*` for a client certificate (DER).
pub fn client_fields(der: &[u8]) -> Vec<(&'static str, Value)> {
    let sha256: String = Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let mut fields: Vec<(&'static str, Value)> = vec![("tls.client.hash.sha256", sha256.into())];
    if let Some(names) = crate::x509::cert_names(der) {
        if let Some(cn) = names.common_name {
            fields.push(("tls.client.x509.subject.common_name", cn.into()));
        }
        fields.push((
            "tls.client.x509.subject.distinguished_name",
            names.subject.clone().into(),
        ));
        fields.push(("tls.client.subject", names.subject.into()));
        fields.push((
            "tls.client.x509.issuer.distinguished_name",
            names.issuer.clone().into(),
        ));
        fields.push(("tls.client.issuer", names.issuer.into()));
        fields.push(("tls.client.x509.serial_number", names.serial.into()));
    }
    fields
}
