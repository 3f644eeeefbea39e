//! RELP listener: rsyslog's Reliable Event Logging Protocol (librelp's `omrelp`/`imrelp`),
//! so a sender gets each message acknowledged only once it is in the journal.
//!
//! A frame is `TXNR SP COMMAND SP DATALEN [SP DATA] LF` (TXNR and DATALEN at most 9 digits,
//! COMMAND 1 to 32 letters; no SP and no DATA when DATALEN is 0). The server answers each
//! command with `TXNR rsp DATALEN [SP DATA] LF`, as librelp does:
//! - `open` (client offers `relp_version`, `relp_software`, `commands`): `200 OK` followed by
//!   the server's offers, one per line: `relp_version=0`, `relp_software=vigil,…`,
//!   `commands=syslog`; a client that does not offer `syslog` gets
//!   `500 required command not supported by client`;
//! - `syslog`: the message is parsed like a syslog TCP frame and `200 OK` is sent only once
//!   the batch holding it is acknowledged by the journal writer. Frames read together form
//!   one batch (one group commit); answers go out in order while the next frames are read;
//! - `close`: an empty `rsp`, then the connection is closed;
//! - `rsp` from the client (to a `serverclose`) is ignored; any other command gets
//!   `500 command not supported`.
//!
//! A malformed frame ends the session with `0 serverclose 0` (the sender reconnects and
//! retransmits what was not acknowledged); a frame whose DATALEN is above the limit is refused
//! before its data is buffered (`500 frame too large`, then `serverclose`). If the journal
//! refuses a batch (disk full) its messages are not acknowledged: the session is closed with
//! `serverclose` and the sender retries them. RELP is at-least-once: after a crash the sender
//! re-sends every message of its window whose `rsp` it had not processed, journaled or not
//! (rsyslog's window is 128: a `kill -9` during a burst duplicates up to 128 messages).

use crate::metrics::IngestMetrics;
use crate::pipeline::{AckError, Batch, Sink};
use crate::source::{finalize, SourceInfo};
use crate::syslog::{accept_connections, SyslogSettings};
use chrono::Utc;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use vigil_core::Event;
use vigil_parse::{parse_syslog_as, ParseContext};

/// Most digits of TXNR and DATALEN.
const MAX_DIGITS: usize = 9;
/// Longest command name.
const MAX_COMMAND: usize = 32;
/// Most messages per batch.
const MAX_BATCH: usize = 1024;

/// One RELP frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelpFrame {
    /// Transaction number.
    pub txnr: u32,
    /// Command (`open`, `syslog`, `close`, `rsp`, …).
    pub command: String,
    /// The data part (empty when DATALEN is 0).
    pub data: Vec<u8>,
}

/// Why a byte stream is not valid RELP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The bytes do not follow the frame syntax.
    #[error("malformed RELP frame: {0}")]
    Malformed(&'static str),
    /// DATALEN is above the limit.
    #[error("RELP frame {txnr} announces {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The frame's transaction number.
        txnr: u32,
        /// Its DATALEN.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Splits a RELP byte stream into frames; feed it what the socket returns, in any chunking.
/// Memory is bounded by the data limit plus a header.
#[derive(Debug, Clone)]
pub struct RelpDecoder {
    buf: Vec<u8>,
    start: usize,
    max_data: usize,
}

enum Parsed {
    Frame(RelpFrame, usize),
    Incomplete,
}

fn number(
    bytes: &[u8],
    at: usize,
    what: &'static str,
) -> Result<Option<(usize, usize)>, FrameError> {
    let mut i = at;
    let mut value = 0usize;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        if i - at == MAX_DIGITS {
            return Err(FrameError::Malformed(what));
        }
        value = value * 10 + usize::from(bytes[i] - b'0');
        i += 1;
    }
    if i == bytes.len() {
        return Ok(None);
    }
    if i == at {
        return Err(FrameError::Malformed(what));
    }
    Ok(Some((value, i)))
}

impl RelpDecoder {
    /// A decoder refusing frames whose data is longer than `max_data` bytes.
    pub fn new(max_data: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_data,
        }
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a complete frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed. After an error the
    /// stream cannot be resynchronised: the session must end.
    pub fn next_frame(&mut self) -> Result<Option<RelpFrame>, FrameError> {
        match self.parse()? {
            Parsed::Frame(frame, len) => {
                self.start += len;
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                }
                Ok(Some(frame))
            }
            Parsed::Incomplete => Ok(None),
        }
    }

    fn parse(&self) -> Result<Parsed, FrameError> {
        let b = &self.buf[self.start..];
        if b.is_empty() {
            return Ok(Parsed::Incomplete);
        }
        let Some((txnr, i)) = number(b, 0, "transaction number expected")? else {
            return Ok(Parsed::Incomplete);
        };
        if b[i] != b' ' {
            return Err(FrameError::Malformed(
                "space expected after the transaction number",
            ));
        }
        let cmd_start = i + 1;
        let mut j = cmd_start;
        while j < b.len() && b[j].is_ascii_alphabetic() {
            if j - cmd_start == MAX_COMMAND {
                return Err(FrameError::Malformed("command too long"));
            }
            j += 1;
        }
        if j == b.len() {
            return Ok(Parsed::Incomplete);
        }
        if j == cmd_start || b[j] != b' ' {
            return Err(FrameError::Malformed("command expected"));
        }
        let command = String::from_utf8_lossy(&b[cmd_start..j]).into_owned();
        let Some((len, k)) = number(b, j + 1, "data length expected")? else {
            return Ok(Parsed::Incomplete);
        };
        let txnr = txnr as u32;
        if len == 0 {
            if b[k] != b'\n' {
                return Err(FrameError::Malformed("trailer (LF) expected"));
            }
            return Ok(Parsed::Frame(
                RelpFrame {
                    txnr,
                    command,
                    data: Vec::new(),
                },
                k + 1,
            ));
        }
        if b[k] != b' ' {
            return Err(FrameError::Malformed(
                "space expected after the data length",
            ));
        }
        if len > self.max_data {
            return Err(FrameError::TooLarge {
                txnr,
                len,
                max: self.max_data,
            });
        }
        let data_start = k + 1;
        let end = data_start + len;
        if b.len() <= end {
            return Ok(Parsed::Incomplete);
        }
        if b[end] != b'\n' {
            return Err(FrameError::Malformed(
                "trailer (LF) expected after the data",
            ));
        }
        Ok(Parsed::Frame(
            RelpFrame {
                txnr,
                command,
                data: b[data_start..end].to_vec(),
            },
            end + 1,
        ))
    }
}

/// Encodes a response frame: `TXNR rsp DATALEN [SP DATA] LF`.
pub fn response(txnr: u32, data: &[u8]) -> Vec<u8> {
    encode(txnr, "rsp", data)
}

fn encode(txnr: u32, command: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("{txnr} {command} {}", data.len()).into_bytes();
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data);
    }
    out.push(b'\n');
    out
}

/// The server-initiated close (`0 serverclose 0`).
pub const SERVERCLOSE: &[u8] = b"0 serverclose 0\n";

/// The answer to `open`: our offers, or why the session cannot be used.
pub fn open_response(client_offers: &[u8]) -> Result<Vec<u8>, &'static str> {
    let text = String::from_utf8_lossy(client_offers);
    let mut syslog = false;
    for line in text.lines() {
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        if name.trim() == "commands" {
            syslog |= value.split(',').any(|c| c.trim() == "syslog");
        }
    }
    if !syslog {
        return Err("500 required command not supported by client");
    }
    Ok(format!(
        "200 OK\nrelp_version=0\nrelp_software=vigil,{},https://github.com/vigil-siem/vigil\ncommands=syslog",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes())
}

type AckRx = oneshot::Receiver<Result<Range<u64>, AckError>>;

/// What the writer half sends, in order.
enum Reply {
    /// Bytes to send now (after everything queued before them).
    Now(Vec<u8>),
    /// `200 OK` for each of `txnrs` once the batch is durable.
    AfterAck(AckRx, Vec<u32>),
    /// Last bytes of the session; then the connection is closed.
    Close(Vec<u8>),
}

/// Accepts RELP connections until the sink closes.
pub async fn serve_relp(
    listener: TcpListener,
    sink: Sink,
    settings: SyslogSettings,
    metrics: Arc<IngestMetrics>,
) {
    let max = settings.max_connections;
    accept_connections(listener, &sink.clone(), max, "RELP", |stream, peer| {
        let sink = sink.clone();
        let settings = settings.clone();
        let metrics = metrics.clone();
        async move {
            IngestMetrics::add(&metrics.relp_connections, 1);
            if let Err(e) = serve_connection(stream, peer, sink, &settings, &metrics).await {
                tracing::debug!(%peer, error = %e, "RELP connection ended with an error");
            }
            metrics
                .relp_connections
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    })
    .await;
}

async fn write_replies(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Reply>,
    metrics: Arc<IngestMetrics>,
    peer: SocketAddr,
) -> std::io::Result<()> {
    while let Some(reply) = rx.recv().await {
        match reply {
            Reply::Now(bytes) => wr.write_all(&bytes).await?,
            Reply::AfterAck(ack, txnrs) => match ack.await {
                Ok(Ok(_)) => {
                    let mut out = Vec::with_capacity(txnrs.len() * 20);
                    for t in &txnrs {
                        out.extend_from_slice(&response(*t, b"200 OK"));
                    }
                    wr.write_all(&out).await?;
                    IngestMetrics::add(&metrics.relp_messages, txnrs.len() as u64);
                }
                Ok(Err(e)) => {
                    tracing::warn!(%peer, error = %e, "journal refused RELP messages: not acknowledged, closing the session so the sender retries");
                    let _ = wr.write_all(SERVERCLOSE).await;
                    let _ = wr.shutdown().await;
                    return Ok(());
                }
                Err(_) => {
                    let _ = wr.write_all(SERVERCLOSE).await;
                    let _ = wr.shutdown().await;
                    return Ok(());
                }
            },
            Reply::Close(bytes) => {
                wr.write_all(&bytes).await?;
                let _ = wr.shutdown().await;
                return Ok(());
            }
        }
    }
    let _ = wr.shutdown().await;
    Ok(())
}

struct Pending {
    events: Vec<Event>,
    txnrs: Vec<u32>,
}

impl Pending {
    /// Hands the accumulated messages to the pipeline; `false` if it is shutting down.
    async fn flush(
        &mut self,
        sink: &Sink,
        replies: &mpsc::Sender<Reply>,
        metrics: &IngestMetrics,
    ) -> bool {
        if self.events.is_empty() {
            return true;
        }
        let n = self.events.len() as u64;
        let (batch, ack) = Batch::acked(std::mem::take(&mut self.events));
        let txnrs = std::mem::take(&mut self.txnrs);
        if sink.send(batch).await.is_err() {
            return false;
        }
        IngestMetrics::add(&metrics.events_received, n);
        replies.send(Reply::AfterAck(ack, txnrs)).await.is_ok()
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    sink: Sink,
    settings: &SyslogSettings,
    metrics: &Arc<IngestMetrics>,
) -> std::io::Result<()> {
    let source = SourceInfo::network(
        settings.source_name(crate::syslog::SyslogProtocol::Relp.default_name()),
        peer,
    );
    let _ = stream.set_nodelay(true);
    let (mut rd, wr) = stream.into_split();
    let (replies, reply_rx) = mpsc::channel::<Reply>(64);
    let writer = tokio::spawn(write_replies(wr, reply_rx, metrics.clone(), peer));
    let mut decoder = RelpDecoder::new(settings.max_frame);
    let mut buf = vec![0u8; 256 * 1024];
    let mut pending = Pending {
        events: Vec::new(),
        txnrs: Vec::new(),
    };
    let mut open = false;
    'read: loop {
        let n = rd.read(&mut buf).await?;
        if n == 0 {
            pending.flush(&sink, &replies, metrics).await;
            break;
        }
        decoder.push(&buf[..n]);
        let ctx = ParseContext {
            received: Utc::now(),
            default_offset: settings.default_offset,
        };
        let started = std::time::Instant::now();
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    IngestMetrics::add(&metrics.relp_errors, 1);
                    tracing::warn!(%peer, error = %e, "RELP protocol error: closing the session");
                    pending.flush(&sink, &replies, metrics).await;
                    let mut last = Vec::new();
                    if let FrameError::TooLarge { txnr, .. } = e {
                        last.extend_from_slice(&response(txnr, b"500 frame too large"));
                    }
                    last.extend_from_slice(SERVERCLOSE);
                    let _ = replies.send(Reply::Close(last)).await;
                    break 'read;
                }
            };
            match frame.command.as_str() {
                "syslog" if open => {
                    let mut event = parse_syslog_as(&frame.data, &ctx, settings.parser);
                    if event.has_tag(vigil_core::TAG_PARSE_FAILURE) {
                        IngestMetrics::add(&metrics.parse_failures, 1);
                    }
                    finalize(&mut event, &source, ctx.received);
                    pending.events.push(event);
                    pending.txnrs.push(frame.txnr);
                    if pending.events.len() >= MAX_BATCH
                        && !pending.flush(&sink, &replies, metrics).await
                    {
                        break 'read;
                    }
                }
                "syslog" => {
                    IngestMetrics::add(&metrics.relp_errors, 1);
                    let mut last = response(frame.txnr, b"500 session not open");
                    last.extend_from_slice(SERVERCLOSE);
                    let _ = replies.send(Reply::Close(last)).await;
                    break 'read;
                }
                "open" => {
                    if !pending.flush(&sink, &replies, metrics).await {
                        break 'read;
                    }
                    if open {
                        let _ = replies
                            .send(Reply::Now(response(
                                frame.txnr,
                                b"200 connection already open - ignored",
                            )))
                            .await;
                        continue;
                    }
                    match open_response(&frame.data) {
                        Ok(offers) => {
                            open = true;
                            let _ = replies
                                .send(Reply::Now(response(frame.txnr, &offers)))
                                .await;
                        }
                        Err(why) => {
                            IngestMetrics::add(&metrics.relp_errors, 1);
                            tracing::warn!(%peer, reason = why, "RELP open refused");
                            let _ = replies
                                .send(Reply::Close(response(frame.txnr, why.as_bytes())))
                                .await;
                            break 'read;
                        }
                    }
                }
                "close" => {
                    pending.flush(&sink, &replies, metrics).await;
                    let _ = replies.send(Reply::Close(response(frame.txnr, b""))).await;
                    break 'read;
                }
                "rsp" => {}
                _ => {
                    if !pending.flush(&sink, &replies, metrics).await {
                        break 'read;
                    }
                    let _ = replies
                        .send(Reply::Now(response(
                            frame.txnr,
                            b"500 command not supported",
                        )))
                        .await;
                }
            }
        }
        IngestMetrics::add(&metrics.parse_nanos, started.elapsed().as_nanos() as u64);
        if !pending.flush(&sink, &replies, metrics).await {
            break;
        }
    }
    drop(replies);
    let _ = writer.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(decoder: &mut RelpDecoder) -> Result<Vec<RelpFrame>, FrameError> {
        let mut out = Vec::new();
        while let Some(f) = decoder.next_frame()? {
            out.push(f);
        }
        Ok(out)
    }

    fn frame(txnr: u32, command: &str, data: &[u8]) -> RelpFrame {
        RelpFrame {
            txnr,
            command: command.into(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn valid_frames_in_one_read() {
        let mut d = RelpDecoder::new(1024);
        d.push(b"1 open 30 relp_version=0\ncommands=syslog\n2 syslog 11 <13>hello x\n3 close 0\n");
        assert_eq!(
            frames(&mut d),
            Ok(vec![
                frame(1, "open", b"relp_version=0\ncommands=syslog"),
                frame(2, "syslog", b"<13>hello x"),
                frame(3, "close", b""),
            ])
        );
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn frames_fragmented_byte_by_byte() {
        let stream = b"12 syslog 5 a\nb c\n13 syslog 3 xyz\n14 close 0\n";
        let mut d = RelpDecoder::new(1024);
        let mut got = Vec::new();
        for b in stream {
            d.push(&[*b]);
            got.extend(frames(&mut d).unwrap_or_else(|e| panic!("{e}")));
        }
        assert_eq!(
            got,
            vec![
                frame(12, "syslog", b"a\nb c"),
                frame(13, "syslog", b"xyz"),
                frame(14, "close", b"")
            ]
        );
    }

    #[test]
    fn malformed_frames_are_errors() {
        for bad in [
            &b"x syslog 1 a\n"[..],
            b"1syslog 1 a\n",
            b"1 sys1og 1 a\n",
            b"1  syslog 1 a\n",
            b"1 syslog x a\n",
            b"1 syslog 1a\n",
            b"1 syslog 1 ab\n",
            b"1 close 0 \n",
            b"1234567890 syslog 1 a\n",
            b"1 syslog 1234567890 a\n",
            b"1 abcdefghijklmnopqrstuvwxyzabcdefghij 1 a\n",
        ] {
            let mut d = RelpDecoder::new(1024);
            d.push(bad);
            assert!(
                matches!(d.next_frame(), Err(FrameError::Malformed(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn oversized_frames_are_refused_before_their_data_arrives() {
        let mut d = RelpDecoder::new(10);
        d.push(b"7 syslog 11 ");
        assert_eq!(
            d.next_frame(),
            Err(FrameError::TooLarge {
                txnr: 7,
                len: 11,
                max: 10
            })
        );
        let mut d = RelpDecoder::new(10);
        d.push(b"7 syslog 10 0123456789\n");
        assert_eq!(d.next_frame(), Ok(Some(frame(7, "syslog", b"0123456789"))));
    }

    #[test]
    fn responses_and_offers_follow_librelp() {
        assert_eq!(response(5, b"200 OK"), b"5 rsp 6 200 OK\n");
        assert_eq!(response(9, b""), b"9 rsp 0\n");
        let offers =
            open_response(b"relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog")
                .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&offers);
        assert!(text.starts_with("200 OK\nrelp_version=0\nrelp_software=vigil,"));
        assert!(text.ends_with("\ncommands=syslog"));
        assert!(open_response(b"relp_version=0\ncommands=other").is_err());
    }
}
