//! A source's pinned parser (`parser = "json"` on a `[[sources.file]]`): the format its
//! lines are in, instead of auto-detection, so a line of that source is never taken for
//! another format. A line that is not in the pinned format is kept whole and tagged
//! `_parse_failure` with the reason (`not JSON: …`), as any line no parser understands.
//! `raw` keeps every line as `message` without trying any parser (and without a failure
//! tag: nothing was expected of it).

use std::fmt;
use std::str::FromStr;

use vigil_core::Event;

use crate::{auditd, cef, detect, json, kv, leef, raw_event, windows_xml, with_text, ParseContext};

/// The formats a source can be pinned to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Parser {
    /// Auto-detection ([`crate::parse_line`]).
    #[default]
    Auto,
    /// RFC 5424 / RFC 3164 syslog, the message routed by program ([`crate::parse_syslog`]).
    Syslog,
    /// One JSON object per line (vendor JSON such as CloudTrail recognised).
    Json,
    /// CEF, after an optional syslog header or prefix.
    Cef,
    /// LEEF 1.0 / 2.0, after an optional syslog header or prefix.
    Leef,
    /// key=value pairs (logfmt), with the vendor mappings that apply.
    Kv,
    /// Linux audit records (one record, or the records of one event joined by `\n`).
    Auditd,
    /// A Windows event as XML (`<Event xmlns=…>`).
    WindowsXml,
    /// No parsing: the line is the `message`.
    Raw,
}

impl Parser {
    /// Every parser name, as configured.
    pub const NAMES: [&'static str; 9] = [
        "auto",
        "syslog",
        "json",
        "cef",
        "leef",
        "kv",
        "auditd",
        "windows-xml",
        "raw",
    ];

    /// The configured name.
    pub fn name(self) -> &'static str {
        match self {
            Parser::Auto => "auto",
            Parser::Syslog => "syslog",
            Parser::Json => "json",
            Parser::Cef => "cef",
            Parser::Leef => "leef",
            Parser::Kv => "kv",
            Parser::Auditd => "auditd",
            Parser::WindowsXml => "windows-xml",
            Parser::Raw => "raw",
        }
    }
}

impl fmt::Display for Parser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a [`Parser`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown parser {0:?}: expected one of auto, syslog, json, cef, leef, kv, auditd, windows-xml, raw")]
pub struct UnknownParser(pub String);

impl FromStr for Parser {
    type Err = UnknownParser;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Parser::Auto,
            "syslog" => Parser::Syslog,
            "json" | "ndjson" => Parser::Json,
            "cef" => Parser::Cef,
            "leef" => Parser::Leef,
            "kv" | "logfmt" | "key-value" => Parser::Kv,
            "auditd" => Parser::Auditd,
            "windows-xml" => Parser::WindowsXml,
            "raw" => Parser::Raw,
            _ => return Err(UnknownParser(s.to_string())),
        })
    }
}

/// Parses one line with `parser` (see the module documentation).
pub fn parse_line_as(line: &[u8], ctx: &ParseContext, parser: Parser) -> Event {
    match parser {
        Parser::Auto => crate::parse_line(line, ctx),
        Parser::Syslog => crate::parse_syslog(line, ctx),
        _ => with_text(line, |text| parse_text_as(text, ctx, parser)),
    }
}

/// Parses one syslog message of a listener pinned to `parser`: the syslog header (when
/// there is one) gives `@timestamp`, `host.name`, `process.*` and `log.syslog.*`, and the
/// message after it is read as `parser` (a JSON body's own fields win over the header's);
/// a frame without a syslog header is read whole as `parser`. `event.original` is the
/// whole frame either way. `auto` and `syslog` are [`crate::parse_syslog`]; `raw` keeps the
/// frame as the `message`.
pub fn parse_syslog_as(frame: &[u8], ctx: &ParseContext, parser: Parser) -> Event {
    match parser {
        Parser::Auto | Parser::Syslog => crate::parse_syslog(frame, ctx),
        Parser::Raw => parse_line_as(frame, ctx, Parser::Raw),
        _ => with_text(frame, |text| {
            match crate::syslog::parse_header_only(text, ctx) {
                Ok((header, message)) => {
                    let mut event = parse_text_as(message, ctx, parser);
                    add_header(&mut event, &header, text);
                    event
                }
                // No syslog header: the frame is the record.
                Err(_) => parse_text_as(text, ctx, parser),
            }
        }),
    }
}

/// A syslog frame carrying one Linux audit record (audisp-syslog and the like forward one
/// record per message; a bare record without a header counts too): its `time:serial`
/// stamp, which the records of one kernel event share, and whether it is the
/// end-of-event record (`type=EOE`). `None` for any other frame.
pub fn syslog_audit_record<'a>(frame: &'a [u8], ctx: &ParseContext) -> Option<(&'a [u8], bool)> {
    let text = std::str::from_utf8(crate::trim_line_end(frame)).ok()?;
    let message = crate::syslog::message_of(text, ctx).unwrap_or(text);
    let stamp = auditd::record_stamp(message.as_bytes())?;
    Some((stamp, auditd::is_end_of_event(message.as_bytes())))
}

/// The syslog frames of one audit event (consecutive frames with the same
/// [`syslog_audit_record`] stamp) as one event: the first frame's syslog header, the
/// records joined as [`auditd::parse_joined`] does, `event.original` the frames one per
/// line.
pub fn parse_syslog_audit_group(frames: &[&[u8]], ctx: &ParseContext) -> Event {
    let mut lossy = false;
    let texts: Vec<std::borrow::Cow<'_, str>> = frames
        .iter()
        .map(|frame| {
            let text = String::from_utf8_lossy(crate::trim_line_end(frame));
            lossy |= matches!(text, std::borrow::Cow::Owned(_));
            text
        })
        .collect();
    let original = texts.join("\n");
    let mut header = None;
    let mut messages = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        if i == 0 {
            if let Ok((first, message)) = crate::syslog::parse_header_only(text, ctx) {
                header = Some(first);
                messages.push(message);
                continue;
            }
        }
        messages.push(crate::syslog::message_of(text, ctx).unwrap_or(text));
    }
    let records = messages.join("\n");
    let mut event = auditd::parse_joined(&records).unwrap_or_else(|| {
        raw_event(
            &records,
            "not an audit record: no `type=… msg=audit(…)` header",
        )
    });
    if let Some(header) = &header {
        add_header(&mut event, header, &original);
    } else {
        event.set("event.original", original.as_str());
    }
    if lossy {
        crate::add_failure(&mut event, "invalid UTF-8");
    }
    event
}

/// Completes a message's event with its syslog header's fields, where the message did not
/// set them, and makes the whole frame its `event.original`.
fn add_header(event: &mut Event, header: &Event, frame: &str) {
    for (path, value) in header.flatten() {
        if path != "event.original" {
            event.set_default(&path, value.clone());
        }
    }
    event.set("event.original", frame);
}

fn parse_text_as(text: &str, ctx: &ParseContext, parser: Parser) -> Event {
    match parser {
        Parser::Json => {
            json::parse(text).unwrap_or_else(|why| raw_event(text, &format!("not JSON: {why}")))
        }
        Parser::Cef | Parser::Leef => {
            let marker = if parser == Parser::Cef {
                "CEF:"
            } else {
                "LEEF:"
            };
            let start = detect::find_record(text)
                .filter(|&at| text.get(at..).is_some_and(|r| r.starts_with(marker)));
            let Some(start) = start else {
                return raw_event(
                    text,
                    &format!("not {}: no `{marker}` record", parser.name().to_uppercase()),
                );
            };
            let parsed = if parser == Parser::Cef {
                cef::parse(text, start, ctx).map_err(|e| e.to_string())
            } else {
                leef::parse(text, start, ctx).map_err(|e| e.to_string())
            };
            parsed.unwrap_or_else(|why| raw_event(text, &why))
        }
        Parser::Kv => kv::parse(text, ctx)
            .unwrap_or_else(|| raw_event(text, "not key=value: no key=value pairs")),
        Parser::Auditd => {
            let parsed = if text.contains('\n') {
                auditd::parse_joined(text)
            } else {
                auditd::parse(text)
            };
            parsed.unwrap_or_else(|| {
                raw_event(text, "not an audit record: no `type=… msg=audit(…)` header")
            })
        }
        Parser::WindowsXml => windows_xml::parse(text)
            .unwrap_or_else(|| raw_event(text, "not a Windows event in XML")),
        Parser::Raw => {
            let mut event = Event::new();
            event.set("event.original", text);
            event.set("message", text);
            event.set("event.kind", "event");
            event
        }
        Parser::Auto | Parser::Syslog => crate::parse_line(text.as_bytes(), ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::TAG_PARSE_FAILURE;

    fn ctx() -> ParseContext {
        ParseContext::default()
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for name in Parser::NAMES {
            let parser: Parser = name.parse().unwrap_or_default();
            assert_eq!(parser.name(), name);
        }
        let err = "xml"
            .parse::<Parser>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("unknown parser \"xml\"") && err.contains("windows-xml"),
            "{err}"
        );
    }

    #[test]
    fn a_pinned_json_source_does_not_guess() {
        let ok = parse_line_as(
            br#"{"user": {"name": "ann"}, "message": "hi"}"#,
            &ctx(),
            Parser::Json,
        );
        assert_eq!(ok.get_str("user.name"), Some("ann"));
        assert!(!ok.has_tag(TAG_PARSE_FAILURE));
        // A syslog line on a JSON source is kept and tagged, not parsed as syslog.
        let line = "<13>Dec  7 06:10:00 web-01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2";
        let bad = parse_line_as(line.as_bytes(), &ctx(), Parser::Json);
        assert!(bad.has_tag(TAG_PARSE_FAILURE));
        assert!(bad
            .get_str("error.message")
            .is_some_and(|m| m.starts_with("not JSON")));
        assert_eq!(bad.get_str("message"), Some(line));
        assert!(bad.get("source.ip").is_none());
    }

    #[test]
    fn raw_keeps_the_line_untouched_and_untagged() {
        let line = r#"{"looks": "like json"} but is an app's text"#;
        let event = parse_line_as(line.as_bytes(), &ctx(), Parser::Raw);
        assert_eq!(event.get_str("message"), Some(line));
        assert!(!event.has_tag(TAG_PARSE_FAILURE));
        assert!(event.get("looks").is_none());
    }

    #[test]
    fn cef_kv_auditd_and_xml_pins() {
        let cef = parse_line_as(
            b"Dec  7 06:10:00 fw CEF:0|Vendor|Product|1.0|100|Blocked|5|src=10.0.0.1 dst=10.0.0.2",
            &ctx(),
            Parser::Cef,
        );
        assert_eq!(cef.get_str("source.ip"), Some("10.0.0.1"));
        let not_cef = parse_line_as(b"LEEF:1.0|V|P|1|E|src=1.2.3.4", &ctx(), Parser::Cef);
        assert!(not_cef.has_tag(TAG_PARSE_FAILURE));
        let leef = parse_line_as(b"LEEF:1.0|V|P|1|E|src=1.2.3.4", &ctx(), Parser::Leef);
        assert_eq!(leef.get_str("source.ip"), Some("1.2.3.4"));
        let kv = parse_line_as(b"user=bob action=login src_ip=10.1.1.1", &ctx(), Parser::Kv);
        assert!(!kv.has_tag(TAG_PARSE_FAILURE));
        assert!(parse_line_as(b"just words", &ctx(), Parser::Kv).has_tag(TAG_PARSE_FAILURE));
        let audit = parse_line_as(
            b"type=USER_LOGIN msg=audit(1733560000.100:7): pid=1 uid=0 acct=\"root\" res=failed",
            &ctx(),
            Parser::Auditd,
        );
        assert_eq!(audit.get_str("event.module"), Some("auditd"));
        assert!(parse_line_as(b"<Event>", &ctx(), Parser::WindowsXml).has_tag(TAG_PARSE_FAILURE));
    }

    #[test]
    fn a_pinned_syslog_listener_reads_the_header_then_the_message_as_pinned() {
        // rsyslog forwarding an application's JSON lines: header fields plus the JSON's own.
        let frame = r#"<14>1 2026-12-07T06:10:00Z app-01 billing 42 - - {"user": {"name": "ann"}, "event": {"action": "refund"}, "host": {"name": "billing-7"}}"#;
        let event = parse_syslog_as(frame.as_bytes(), &ctx(), Parser::Json);
        assert!(!event.has_tag(TAG_PARSE_FAILURE), "{event:?}");
        assert_eq!(event.get_str("user.name"), Some("ann"));
        assert_eq!(event.get_str("event.action"), Some("refund"));
        // The message's own host wins; the header's stays under log.syslog.
        assert_eq!(event.get_str("host.name"), Some("billing-7"));
        assert_eq!(event.get_str("log.syslog.hostname"), Some("app-01"));
        assert_eq!(event.get_str("process.name"), Some("billing"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2026-12-07T06:10:00.000Z")
        );
        assert_eq!(event.get_str("event.original"), Some(frame));

        // The same frame on an auto listener is not read as JSON (key=value at most).
        let auto = parse_syslog_as(frame.as_bytes(), &ctx(), Parser::Auto);
        assert!(auto.get("user.name").is_none());

        // A bare JSON frame (no syslog header) is the record.
        let bare = parse_syslog_as(br#"{"user": {"name": "bob"}}"#, &ctx(), Parser::Json);
        assert_eq!(bare.get_str("user.name"), Some("bob"));

        // A frame whose message is not JSON is kept whole with the header and tagged.
        let text = "<13>Dec  7 06:10:00 web-01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2";
        let bad = parse_syslog_as(text.as_bytes(), &ctx(), Parser::Json);
        assert!(bad.has_tag(TAG_PARSE_FAILURE));
        assert_eq!(bad.get_str("event.original"), Some(text));
        assert_eq!(bad.get_str("host.name"), Some("web-01"));
        assert!(bad
            .get_str("message")
            .is_some_and(|m| m.starts_with("Failed password")));
        assert!(bad.get("source.ip").is_none());
    }

    #[test]
    fn a_pinned_kv_listener_maps_pairs_after_the_header() {
        let frame =
            "<134>Dec  7 06:10:00 gw-1 appliance: user=carol action=deny src_ip=198.51.100.7";
        let event = parse_syslog_as(frame.as_bytes(), &ctx(), Parser::Kv);
        assert!(!event.has_tag(TAG_PARSE_FAILURE), "{event:?}");
        assert_eq!(event.get_str("host.name"), Some("gw-1"));
        assert_eq!(event.get_str("event.original"), Some(frame));
        let raw = parse_syslog_as(frame.as_bytes(), &ctx(), Parser::Raw);
        assert_eq!(raw.get_str("message"), Some(frame));
        assert!(raw.get("host.name").is_none());
    }

    #[test]
    fn audit_records_forwarded_over_syslog_join_into_one_event() {
        let frames: [&[u8]; 4] = [
            b"<14>Dec  7 06:10:00 web-01 audisp-syslog: type=SYSCALL msg=audit(1733560001.250:4411): arch=c000003e syscall=59 success=yes exit=0 ppid=900 pid=901 auid=1000 uid=1000 comm=\"arecord\" exe=\"/usr/bin/arecord\" key=\"audio\"",
            b"<14>Dec  7 06:10:00 web-01 audisp-syslog: type=EXECVE msg=audit(1733560001.250:4411): argc=2 a0=\"arecord\" a1=\"-vv\"",
            b"<14>Dec  7 06:10:00 web-01 audisp-syslog: type=PROCTITLE msg=audit(1733560001.250:4411): proctitle=617265636F7264002D7676",
            b"<14>Dec  7 06:10:00 web-01 audisp-syslog: type=EOE msg=audit(1733560001.250:4411): ",
        ];
        let stamps: Vec<_> = frames
            .iter()
            .map(|f| syslog_audit_record(f, &ctx()))
            .collect();
        assert!(stamps
            .iter()
            .all(|s| s.map(|(stamp, _)| stamp) == Some(&b"1733560001.250:4411"[..])));
        assert_eq!(stamps[3].map(|(_, end)| end), Some(true));
        assert_eq!(stamps[0].map(|(_, end)| end), Some(false));
        assert!(syslog_audit_record(
            b"<14>Dec  7 06:10:00 web-01 sshd[1]: audit(1.2:3) quoted",
            &ctx()
        )
        .is_none());
        assert!(syslog_audit_record(b"type=EOE msg=audit(1.2:3): ", &ctx()).is_some());

        let event = parse_syslog_audit_group(&frames, &ctx());
        assert!(!event.has_tag(TAG_PARSE_FAILURE), "{event:?}");
        assert_eq!(event.get_str("host.name"), Some("web-01"));
        assert_eq!(
            event.get_str("process.executable"),
            Some("/usr/bin/arecord")
        );
        assert_eq!(event.get_str("process.title"), Some("arecord -vv"));
        assert_eq!(
            event
                .get("auditd.records")
                .and_then(|r| r.as_array())
                .map(Vec::len),
            Some(3)
        );
        let original = event.get_str("event.original").unwrap_or_default();
        assert_eq!(original.lines().count(), 4);
        assert!(original.starts_with("<14>Dec  7 06:10:00 web-01 audisp-syslog: type=SYSCALL"));
    }
}
