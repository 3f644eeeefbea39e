//! Syslog network listeners: UDP (one message per datagram) and TCP (newline or RFC 6587
//! octet-counted framing, detected per frame). Both parse with `vigil_parse::parse_syslog`
//! and hand batches to the pipeline. TCP applies backpressure by awaiting the bounded sink;
//! UDP cannot wait, so datagrams that find the pipeline full are dropped and counted.

use crate::framing::SyslogFramer;
use crate::metrics::IngestMetrics;
use crate::pipeline::{Batch, Sink};
use crate::source::{finalize, SourceInfo};
use chrono::{FixedOffset, Utc};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc::error::TrySendError, Semaphore};
use vigil_core::Event;
use vigil_parse::{parse_syslog_as, ParseContext, Parser};

/// Settings shared by the syslog listeners.
#[derive(Debug, Clone)]
pub struct SyslogSettings {
    /// Zone assumed for RFC 3164 timestamps, which carry none.
    pub default_offset: FixedOffset,
    /// Longest frame kept whole; longer ones are truncated and tagged `_truncated`.
    pub max_frame: usize,
    /// Most TCP connections served at once; further ones wait in the accept queue.
    pub max_connections: usize,
    /// The listener's name (`log.source.name` of its events, and what `[[pipelines]]`
    /// and ingest tokens refer to); `None`: the protocol's default (`syslog-udp`,
    /// `syslog-tcp`, `syslog-tls`, `syslog-relp`).
    pub name: Option<String>,
    /// The format of the messages after the syslog header ([`vigil_parse::parse_syslog_as`]).
    pub parser: Parser,
    /// Join consecutive frames carrying the records of one Linux audit event (same
    /// `audit(time:serial)`) into one event (stream listeners: TCP and TLS).
    pub join_audit: bool,
}

impl SyslogSettings {
    /// The input name for events of this listener: its configured name, else `default`.
    pub fn source_name<'a>(&'a self, default: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(default)
    }
}

impl Default for SyslogSettings {
    fn default() -> Self {
        Self {
            default_offset: FixedOffset::east_opt(0)
                .unwrap_or_else(|| unreachable!("zero offset is valid")),
            max_frame: 4 * 1024 * 1024,
            max_connections: 1024,
            name: None,
            parser: Parser::Auto,
            join_audit: false,
        }
    }
}

/// The transports a syslog listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogProtocol {
    /// One message per datagram.
    Udp,
    /// RFC 6587 octet counting or newline framing.
    Tcp,
    /// RFC 5425 over TLS (the `[tls]` certificate; `client_ca` makes it mutual).
    Tls,
    /// rsyslog's Reliable Event Logging Protocol (acknowledged once journaled).
    Relp,
}

impl SyslogProtocol {
    /// Every transport.
    pub const ALL: [SyslogProtocol; 4] = [
        SyslogProtocol::Udp,
        SyslogProtocol::Tcp,
        SyslogProtocol::Tls,
        SyslogProtocol::Relp,
    ];

    /// How logs and errors name the transport (`listening for syslog over TCP`).
    pub fn label(self) -> &'static str {
        match self {
            SyslogProtocol::Udp => "UDP",
            SyslogProtocol::Tcp => "TCP",
            SyslogProtocol::Tls => "TLS",
            SyslogProtocol::Relp => "RELP",
        }
    }

    /// The input name of an unnamed listener (`syslog_udp = …` and the like).
    pub fn default_name(self) -> &'static str {
        match self {
            SyslogProtocol::Udp => "syslog-udp",
            SyslogProtocol::Tcp => "syslog-tcp",
            SyslogProtocol::Tls => crate::syslog_tls::SOURCE_NAME,
            SyslogProtocol::Relp => "syslog-relp",
        }
    }
}

/// One `[[sources.syslog]]` entry: a named listener with its own parser.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogSourceConfig {
    /// The source's name (`log.source.name` of its events; what `[[pipelines]] sources`
    /// and source-bound ingest tokens name).
    pub name: String,
    /// `udp`, `tcp`, `tls` or `relp`.
    pub protocol: SyslogProtocol,
    /// The address to listen on (`IP:PORT`).
    pub listen: SocketAddr,
    /// The format of the messages after the syslog header (`json`, `cef`, `leef`, `kv`,
    /// `auditd`, `windows-xml`, `raw`; default `auto`: routed by program and content).
    #[serde(default)]
    pub parser: Option<String>,
    /// `"auditd"`: join the consecutive frames of one Linux audit event (audisp-syslog
    /// forwards one record per message) into one event. TCP and TLS only.
    #[serde(default)]
    pub join: Option<String>,
}

/// Tag added to an event whose frame was cut at the frame limit.
pub const TAG_TRUNCATED: &str = "_truncated";

/// Most events read from one socket before they are handed to the pipeline as one batch.
const MAX_BATCH: usize = 1024;

/// One frame of a syslog listener as an event: parsed as the listener's parser, with the
/// connection's `fields`, truncation tag and `log.source`.
pub(crate) fn parse_frame(
    bytes: &[u8],
    truncated: bool,
    ctx: &ParseContext,
    conn: &StreamContext<'_>,
    parser: Parser,
    metrics: &IngestMetrics,
) -> Event {
    let event = parse_syslog_as(bytes, ctx, parser);
    complete(event, truncated, ctx, conn, metrics)
}

/// What every parsed frame (or joined group of frames) gets: the connection's fields, the
/// truncation tag, the metrics, and [`finalize`].
fn complete(
    mut event: Event,
    truncated: bool,
    ctx: &ParseContext,
    conn: &StreamContext<'_>,
    metrics: &IngestMetrics,
) -> Event {
    let (source, fields) = (conn.source, conn.fields);
    for (path, value) in fields {
        if value.is_null() {
            event.remove(path);
        } else {
            event.set(path, value.clone());
        }
    }
    if truncated {
        event.add_tag(TAG_TRUNCATED);
        IngestMetrics::add(&metrics.frames_truncated, 1);
    }
    if event.has_tag(vigil_core::TAG_PARSE_FAILURE) {
        IngestMetrics::add(&metrics.parse_failures, 1);
    }
    finalize(&mut event, source, ctx.received);
    event
}

/// Serves syslog over UDP until the sink closes.
pub async fn serve_udp(
    socket: UdpSocket,
    sink: Sink,
    settings: SyslogSettings,
    metrics: Arc<IngestMetrics>,
) {
    let mut buf = vec![0u8; 65536];
    let mut batch: Vec<Event> = Vec::new();
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "syslog UDP receive failed");
                continue;
            }
        };
        let ctx = ParseContext {
            received: Utc::now(),
            default_offset: settings.default_offset,
        };
        let handle = |len: usize, peer: SocketAddr, buf: &[u8], batch: &mut Vec<Event>| {
            let source = SourceInfo::network(
                settings.source_name(SyslogProtocol::Udp.default_name()),
                peer,
            );
            let frame = trim_frame(&buf[..len]);
            if !frame.is_empty() {
                let conn = StreamContext {
                    source: &source,
                    fields: &[],
                    idle_timeout: None,
                };
                batch.push(parse_frame(
                    frame,
                    false,
                    &ctx,
                    &conn,
                    settings.parser,
                    &metrics,
                ));
            }
        };
        handle(len, peer, &buf, &mut batch);
        // Drain whatever else is already queued in the socket, without waiting.
        while batch.len() < MAX_BATCH {
            match socket.try_recv_from(&mut buf) {
                Ok((len, peer)) => handle(len, peer, &buf, &mut batch),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        let n = batch.len() as u64;
        match sink.try_send(Batch::unacked(std::mem::take(&mut batch))) {
            Ok(()) => IngestMetrics::add(&metrics.events_received, n),
            Err(TrySendError::Full(_)) => IngestMetrics::add(&metrics.udp_dropped, n),
            Err(TrySendError::Closed(_)) => return,
        }
    }
}

fn trim_frame(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len();
    while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r' | 0) {
        end -= 1;
    }
    &bytes[..end]
}

/// Accepts TCP connections until the sink closes, at most `max_connections` at once, and
/// runs `handle` for each on its own task; the connection's slot is freed when it returns.
/// An accept error (out of file descriptors, …) is logged as `"<what> accept failed"` and
/// retried, never ending the listener.
pub(crate) async fn accept_connections<F, Fut>(
    listener: TcpListener,
    sink: &Sink,
    max_connections: usize,
    what: &'static str,
    mut handle: F,
) where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(max_connections));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "{what} accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        if sink.is_closed() {
            return;
        }
        let connection = handle(stream, peer);
        tokio::spawn(async move {
            connection.await;
            drop(permit);
        });
    }
}

/// Accepts syslog TCP connections until the sink closes.
pub async fn serve_tcp(
    listener: TcpListener,
    sink: Sink,
    settings: SyslogSettings,
    metrics: Arc<IngestMetrics>,
) {
    let max = settings.max_connections;
    accept_connections(
        listener,
        &sink.clone(),
        max,
        "syslog TCP",
        |stream, peer| {
            let sink = sink.clone();
            let settings = settings.clone();
            let metrics = metrics.clone();
            async move {
                IngestMetrics::add(&metrics.tcp_connections, 1);
                let source = SourceInfo::network(
                    settings.source_name(SyslogProtocol::Tcp.default_name()),
                    peer,
                );
                let conn = StreamContext {
                    source: &source,
                    fields: &[],
                    idle_timeout: None,
                };
                if let Err(e) = serve_stream(stream, &conn, sink, &settings, &metrics).await {
                    tracing::debug!(%peer, error = %e, "syslog TCP connection ended with an error");
                }
                metrics
                    .tcp_connections
                    .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
        },
    )
    .await;
}

/// What one stream connection (TCP or TLS) adds to the reading of its frames.
pub(crate) struct StreamContext<'a> {
    /// The input and peer, for `log.source`.
    pub source: &'a SourceInfo,
    /// Fields set on every event of the connection after parsing (they win over the
    /// message's own), e.g. the TLS client identity; a `null` value removes the path.
    pub fields: &'a [(&'static str, serde_json::Value)],
    /// Close the connection when nothing arrives for this long.
    pub idle_timeout: Option<std::time::Duration>,
}

/// Reads syslog frames (octet counting or newline, per frame) from a byte stream until it
/// ends, handing them to the sink in batches (awaiting it: backpressure).
pub(crate) async fn serve_stream<S: AsyncRead + Unpin>(
    mut stream: S,
    conn: &StreamContext<'_>,
    sink: Sink,
    settings: &SyslogSettings,
    metrics: &IngestMetrics,
) -> std::io::Result<()> {
    let source = conn.source;
    let mut framer = SyslogFramer::new(settings.max_frame);
    let mut buf = vec![0u8; 256 * 1024];
    let mut audit = settings.join_audit.then(AuditJoin::default);
    loop {
        // An audit event whose end has not arrived waits at most AUDIT_GROUP_WAIT.
        let waiting = audit.as_ref().is_some_and(|a| !a.frames.is_empty());
        let wait = match (conn.idle_timeout, waiting) {
            (Some(idle), true) => Some(idle.min(AUDIT_GROUP_WAIT)),
            (None, true) => Some(AUDIT_GROUP_WAIT),
            (idle, false) => idle,
        };
        let step = match wait {
            None => Step::read(stream.read(&mut buf).await?),
            Some(limit) => match tokio::time::timeout(limit, stream.read(&mut buf)).await {
                Ok(read) => Step::read(read?),
                Err(_) if waiting && Some(limit) != conn.idle_timeout => Step::FlushAudit,
                Err(_) => {
                    tracing::debug!(peer = ?source.address, input = %source.name, "closing an idle syslog connection");
                    Step::End
                }
            },
        };
        let frames = match step {
            Step::Bytes(n) => framer.push(&buf[..n]),
            Step::End => framer.finish().into_iter().collect(),
            Step::FlushAudit => Vec::new(),
        };
        let ctx = ParseContext {
            received: Utc::now(),
            default_offset: settings.default_offset,
        };
        let started = std::time::Instant::now();
        let mut events: Vec<Event> = match &mut audit {
            None => frames
                .iter()
                .map(|f| parse_frame(&f.bytes, f.truncated, &ctx, conn, settings.parser, metrics))
                .collect(),
            Some(join) => {
                let mut events = Vec::with_capacity(frames.len());
                for frame in frames {
                    join.push(frame, &ctx, conn, settings.parser, metrics, &mut events);
                }
                events
            }
        };
        if !matches!(step, Step::Bytes(_)) {
            if let Some(join) = &mut audit {
                join.flush(&ctx, conn, metrics, &mut events);
            }
        }
        if !events.is_empty() {
            // Building a batch serialises each event to its canonical bytes: part of the parse cost.
            let batches: Vec<Batch> = chunk_events(events)
                .into_iter()
                .map(Batch::unacked)
                .collect();
            IngestMetrics::add(&metrics.parse_nanos, started.elapsed().as_nanos() as u64);
            for batch in batches {
                let count = batch.events.len() as u64;
                if sink.send(batch).await.is_err() {
                    return Ok(());
                }
                IngestMetrics::add(&metrics.events_received, count);
            }
        }
        if step == Step::End {
            return Ok(());
        }
    }
}

/// What one wait on a stream connection gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// This many bytes arrived.
    Bytes(usize),
    /// The stream ended (or stayed idle past its timeout): the last frame and any pending
    /// audit event are emitted, then the connection closes.
    End,
    /// A pending audit event waited its longest: it is emitted, and reading goes on.
    FlushAudit,
}

impl Step {
    fn read(n: usize) -> Self {
        if n == 0 {
            Step::End
        } else {
            Step::Bytes(n)
        }
    }
}

/// How long the records of an audit event wait for the next one (or `EOE`) before they are
/// emitted as they are.
const AUDIT_GROUP_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// Most records joined into one audit event; a longer run is emitted in parts.
const AUDIT_GROUP_MAX: usize = 256;

/// The audit event being assembled on one stream connection ([`SyslogSettings::join_audit`]).
#[derive(Default)]
struct AuditJoin {
    stamp: Vec<u8>,
    frames: Vec<Vec<u8>>,
    truncated: bool,
}

impl AuditJoin {
    /// Takes one frame: a record of the pending event joins it; any other frame closes the
    /// pending event first (a record starts the next one, anything else is parsed alone).
    fn push(
        &mut self,
        frame: crate::framing::Frame,
        ctx: &ParseContext,
        conn: &StreamContext<'_>,
        parser: Parser,
        metrics: &IngestMetrics,
        out: &mut Vec<Event>,
    ) {
        let Some((stamp, end)) = vigil_parse::syslog_audit_record(&frame.bytes, ctx) else {
            self.flush(ctx, conn, metrics, out);
            out.push(parse_frame(
                &frame.bytes,
                frame.truncated,
                ctx,
                conn,
                parser,
                metrics,
            ));
            return;
        };
        if stamp != self.stamp.as_slice() || self.frames.len() >= AUDIT_GROUP_MAX {
            self.flush(ctx, conn, metrics, out);
            self.stamp = stamp.to_vec();
        }
        self.truncated |= frame.truncated;
        self.frames.push(frame.bytes);
        if end {
            self.flush(ctx, conn, metrics, out);
        }
    }

    /// Emits the pending event, if any.
    fn flush(
        &mut self,
        ctx: &ParseContext,
        conn: &StreamContext<'_>,
        metrics: &IngestMetrics,
        out: &mut Vec<Event>,
    ) {
        if self.frames.is_empty() {
            return;
        }
        let frames: Vec<&[u8]> = self.frames.iter().map(Vec::as_slice).collect();
        let event = vigil_parse::parse_syslog_audit_group(&frames, ctx);
        out.push(complete(event, self.truncated, ctx, conn, metrics));
        self.frames.clear();
        self.stamp.clear();
        self.truncated = false;
    }
}

fn chunk_events(mut events: Vec<Event>) -> Vec<Vec<Event>> {
    let mut chunks = Vec::new();
    while events.len() > MAX_BATCH {
        let rest = events.split_off(MAX_BATCH);
        chunks.push(events);
        events = rest;
    }
    chunks.push(events);
    chunks
}
