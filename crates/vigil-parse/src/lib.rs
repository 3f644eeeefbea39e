//! Vigil's decoders: turn one received line or message into an ECS [`Event`].
//!
//! [`parse_line`] auto-detects the format: a JSON object (AWS CloudTrail records
//! ([`cloudtrail`]), GitHub and GitLab audit events ([`github`], [`gitlab`]),
//! Dependency-Track notifications ([`dependency_track`]), and Vigil's documented PKI /
//! signing ([`pki`]) and device-fleet ([`device_fleet`]) formats get ECS added), a Linux
//! audit record ([`auditd`]), CEF ([`cef`]), LEEF ([`leef`]),
//! the Apache / nginx error logs, syslog RFC 5424 or RFC 3164, an nginx / Apache access
//! log line ([`web`]), a Linux firewall line ([`programs::kernel`]), key=value / logfmt
//! ([`kv`]), else a raw line tagged [`TAG_PARSE_FAILURE`] (the order and its cheap
//! pre-checks are documented in the `detect` module). [`parse_syslog`] is the
//! syslog-only entry point used by the syslog listeners (it also takes a bare CEF or LEEF
//! record). After a syslog header, the message goes through the same kind of detection:
//! CEF / LEEF, the per-program registry ([`programs`]), web servers by program name,
//! firewall lines, key=value.
//!
//! Vendor formats (each module says what it owns): Suricata EVE ([`suricata`]), Zeek JSON
//! ([`zeek`]), Azure activity ([`azure`]), GCP audit ([`gcp_audit`]), CrowdStrike Falcon
//! ([`crowdstrike`]) and AWS S3 / ELB access records ([`aws_access`]) inside the JSON
//! parser; rendered Windows Event XML ([`windows_xml`]); Cisco ASA ([`cisco_asa`]), Juniper
//! SRX, PAN-OS, FortiGate / FortiClient, SonicWall, Sophos XG / UTM and F5 BIG-IP AFM
//! firewalls; MySQL, PostgreSQL and Redis logs.
//! `tests/conformance.rs` compares all of them with third-party goldens
//! (`docs/ecs-differences.md`).
//!
//! Parsers never panic and never drop input: every syslog or raw event keeps the full
//! line in `event.original` and has a `message` (a JSON object is taken as sent: it gets
//! `event.original` unless it has one, and a `message` only if it has one). They set
//! `@timestamp` only from the content (RFC 3339, UTC, milliseconds); the caller assigns
//! ids, `event.ingested`, `log.source` and the receive-time fallback. Each format keeps
//! its native fields under its own name (`auditd.data.*`, `cef.*`, `leef.*`, `kv.*`, `iptables.*`,
//! `access_log.*`, `apache.error.*`, `nginx.error.*`, `log.syslog.*`, `logind.*`,
//! `shadow_utils.*`; JSON sources keep their objects as sent) next to ECS.

pub mod auditd;
pub mod aws_access;
pub mod azure;
pub mod cef;
pub mod cisco_asa;
pub mod cloudtrail;
pub mod crowdstrike;
pub mod dependency_track;
mod detect;
pub mod device_fleet;
mod ecs;
mod envelope;
pub mod error;
mod f5;
mod fortinet;
pub mod gcp_audit;
pub mod github;
pub mod gitlab;
pub mod json;
mod juniper;
pub mod kv;
pub mod leef;
mod mysql;
mod panos;
mod pinned;
pub mod pki;
mod postgresql;
pub mod programs;
mod redis;
mod sonicwall;
mod sophos;
pub mod suricata;
pub mod syslog;
mod time;
pub mod web;
pub mod windows;
mod windows_security;
pub mod windows_xml;
pub mod zeek;

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use vigil_core::{Event, TAG_PARSE_FAILURE};

pub use auditd::join_audit_records;
pub use error::{CefError, JsonError, LeefError, SyslogError};
pub use pinned::{
    parse_line_as, parse_syslog_as, parse_syslog_audit_group, syslog_audit_record, Parser,
    UnknownParser,
};

/// What a parser needs to know about the message beyond its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseContext {
    /// When the message was received; used to infer the year of RFC 3164 timestamps.
    pub received: DateTime<Utc>,
    /// Zone assumed for timestamps that carry none (RFC 3164); UTC by default.
    pub default_offset: FixedOffset,
}

impl ParseContext {
    /// A context for a message received at `received`, assuming UTC for zone-less timestamps.
    pub fn new(received: DateTime<Utc>) -> Self {
        Self {
            received,
            default_offset: utc_offset(),
        }
    }

    /// The same context with another zone for zone-less timestamps.
    pub fn with_offset(mut self, default_offset: FixedOffset) -> Self {
        self.default_offset = default_offset;
        self
    }
}

impl Default for ParseContext {
    /// Received now, zone-less timestamps in UTC.
    fn default() -> Self {
        Self::new(Utc::now())
    }
}

fn utc_offset() -> FixedOffset {
    Utc.fix()
}

/// Auto-detects and parses one line or message.
///
/// A JSON object becomes [`Event::from_map`] with `event.original` set to the line unless
/// present (CloudTrail and GitHub audit events get ECS added); audit records, CEF /
/// LEEF records, web server logs, syslog (RFC 5424 or RFC 3164, with or
/// without `<PRI>`), firewall and key=value lines are decoded to ECS; anything else is a
/// raw event (`message` = the line) tagged [`TAG_PARSE_FAILURE`] with the reason in
/// `error.message`, as is a line that starts like CEF or LEEF but is not valid. Invalid
/// UTF-8 is decoded lossily and tagged `_parse_failure` ("invalid UTF-8");
/// `event.original` keeps the lossy text, and `message` is set to it if absent. Trailing
/// CR, LF and NUL bytes are stripped first.
pub fn parse_line(line: &[u8], ctx: &ParseContext) -> Event {
    with_text(line, |text| parse_text(text, ctx))
}

/// Parses a syslog message only (for the syslog listeners). A bare CEF or LEEF record
/// (`CEF:0|...` / `LEEF:...` with no syslog header, as some appliances send) is decoded
/// too; anything else that is not syslog comes back as the raw event tagged
/// `_parse_failure` (`not a syslog message: <why>`).
pub fn parse_syslog(line: &[u8], ctx: &ParseContext) -> Event {
    with_text(line, |text| match syslog::parse(text, ctx) {
        Ok(event) => event,
        Err(why) => detect::cef_or_leef(text, 0, ctx)
            .unwrap_or_else(|| raw_event(text, &format!("not a syslog message: {why}"))),
    })
}

fn parse_text(text: &str, ctx: &ParseContext) -> Event {
    detect::line(text, ctx)
}

/// Strips the line ending, decodes (lossily if needed), parses, and tags invalid UTF-8.
fn with_text(line: &[u8], parse: impl FnOnce(&str) -> Event) -> Event {
    let line = trim_line_end(line);
    let (text, lossy) = match std::str::from_utf8(line) {
        Ok(text) => (Cow::Borrowed(text), false),
        Err(_) => (String::from_utf8_lossy(line), true),
    };
    let mut event = parse(&text);
    if lossy {
        add_failure(&mut event, "invalid UTF-8");
        // A failure always carries the text (a JSON object may have had no `message`).
        event.set_default("message", text.as_ref());
    }
    event
}

/// The line without its trailing CR, LF and NUL bytes (some UDP senders end datagrams
/// with a NUL).
pub fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r' | b'\0') {
        end -= 1;
    }
    &line[..end]
}

/// An event holding only the text, tagged as not understood.
pub(crate) fn raw_event(text: &str, reason: &str) -> Event {
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", text);
    event.mark_parse_failure(reason);
    event
}

/// Tags a parse failure, keeping any reason already recorded (`first; second`).
pub(crate) fn add_failure(event: &mut Event, reason: &str) {
    let combined = match event.get_str("error.message") {
        Some(existing) if event.has_tag(TAG_PARSE_FAILURE) && existing != reason => {
            format!("{reason}; {existing}")
        }
        _ => reason.to_string(),
    };
    event.mark_parse_failure(&combined);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_are_trimmed() {
        assert_eq!(trim_line_end(b"abc\r\n"), b"abc");
        assert_eq!(trim_line_end(b"abc\n\0"), b"abc");
        assert_eq!(trim_line_end(b"a\rb\r"), b"a\rb");
        assert_eq!(trim_line_end(b"\r\n"), b"");
        assert_eq!(trim_line_end(b""), b"");
    }

    #[test]
    fn failures_accumulate_reasons() {
        let mut event = Event::new();
        add_failure(&mut event, "second");
        add_failure(&mut event, "first");
        assert_eq!(event.get_str("error.message"), Some("first; second"));
        assert!(event.has_tag(TAG_PARSE_FAILURE));
    }

    #[test]
    fn context_defaults_to_utc() {
        let ctx = ParseContext::default();
        assert_eq!(ctx.default_offset.local_minus_utc(), 0);
        let east = FixedOffset::east_opt(3600).unwrap_or(ctx.default_offset);
        assert_eq!(ctx.with_offset(east).default_offset, east);
    }
}
