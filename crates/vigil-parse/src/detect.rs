//! Format auto-detection for a whole line ([`line`]) and for the message of a syslog record
//! ([`syslog_body`]). Every step checks a cheap prefix or shape before running a parser.
//!
//! A line, in order:
//! 0. `<?xml` / `<Event` with a `<System>` element: a rendered Windows event
//!    ([`crate::windows_xml`]);
//! 1. `{` (after blanks): a JSON object ([`crate::json`]);
//! 2. `type=` / `node=` at the start and `audit(` in the line: a Linux audit record
//!    ([`crate::auditd`]);
//! 3. `CEF:` / `LEEF:` at the start: [`crate::cef`] / [`crate::leef`] (a broken record is a
//!    parse failure, not tried as anything else);
//! 4. a PAN-OS CSV record after an optional `Mmm dd hh:mm:ss [host]` header
//!    ([`crate::panos`]); a MySQL error log line or slow log record ([`crate::mysql`]), a
//!    PostgreSQL csvlog line ([`crate::postgresql`]), a Redis log line ([`crate::redis`]); `[` or `yyyy/mm/dd `: the Apache / nginx error logs
//!    ([`crate::web`]);
//! 5. a Sophos UTM line (`[<PRI>]yyyy:m:d-hh:mm:ss host prog[pid]: ...`,
//!    [`crate::sophos`]), whose message goes through [`syslog_body`];
//!    syslog, RFC 5424 or RFC 3164 ([`crate::syslog`]), whose message goes through
//!    [`syslog_body`]; else a Cisco ASA line the firewall wrote itself
//!    (`Mmm dd yyyy hh:mm:ss: %ASA-...`, [`crate::cisco_asa`]);
//! 6. an access log line (`... [dd/Mmm/yyyy:HH:MM:SS +zzzz] "..." NNN ...`, or mod_ssl's
//!    `[dd/Mmm/yyyy:HH:MM:SS +zzzz] IP TLSv1.2 CIPHER "..." NNN`);
//! 7. a netfilter log line without syslog header (`IN=` and `OUT=` words);
//! 8. a CEF / LEEF record after a short prefix (`ASM:CEF:0|...`, within the first 64 bytes);
//! 9. key=value / logfmt ([`crate::kv`]);
//! 10. otherwise the raw line tagged `_parse_failure`.
//!
//! A syslog message, in order: Juniper SRX structured data (`junos@...`,
//! [`crate::juniper`]); a CEF / LEEF record at its start or after a short prefix;
//! an audit record (program `audispd` / `auditd` / `audisp-syslog`, or a message starting
//! with `type=` or the kernel's `audit: `);
//! a Cisco ASA tag (`%ASA-4-106023:`) or message; a rendered Windows / Sysmon for Linux
//! event (`<Event>...`); a PAN-OS CSV record; the per-program registry
//! ([`crate::programs`], which includes the `kernel` firewall lines); web server lines for
//! programs `nginx*`, `apache*`, `httpd*`; a netfilter line from any other program (its
//! tag standing for the log prefix when there is none);
//! key=value. A message nothing recognises keeps the syslog fields and is not a failure.

use vigil_core::Event;

use crate::programs::{self, kernel};
use crate::{
    add_failure, auditd, cef, cisco_asa, json, juniper, kv, leef, mysql, panos, postgresql,
    raw_event, redis, sophos, syslog, web, windows_xml, ParseContext,
};

/// How far into a line or message a `CEF:` / `LEEF:` marker is looked for.
const MARKER_WINDOW: usize = 64;

/// Auto-detects and parses one line (line ending stripped, valid UTF-8).
pub(crate) fn line(text: &str, ctx: &ParseContext) -> Event {
    if windows_xml::looks_like(text) {
        if let Some(event) = windows_xml::parse(text) {
            return event;
        }
    }
    if text.trim_start().starts_with('{') {
        return match json::parse(text) {
            Ok(event) => event,
            Err(why) => raw_event(text, &why.to_string()),
        };
    }
    if auditd::looks_like(text) {
        let event = if text.contains('\n') {
            auditd::parse_joined(text)
        } else {
            auditd::parse(text)
        };
        if let Some(event) = event {
            return event;
        }
    }
    if let Some(event) = cef_or_leef(text, 0, ctx) {
        return event;
    }
    if let Some(event) = panos::line(text, ctx) {
        return event;
    }
    if let Some(event) = mysql::parse(text, ctx) {
        return event;
    }
    if let Some(event) = postgresql::parse(text, ctx).or_else(|| redis::parse(text, ctx)) {
        return event;
    }
    let b = text.as_bytes();
    if let Some(event) = web::error_line(text, ctx) {
        return event;
    }
    if let Some(event) = sophos::utm_line(text, ctx) {
        return event;
    }
    let why = match syslog::parse(text, ctx) {
        Ok(event) => return event,
        Err(why) => why,
    };
    if let Some(event) = cisco_asa::line(text, ctx) {
        return event;
    }
    if b.first() != Some(&b'[') {
        if let Some(event) = web::access_line(text) {
            return event;
        }
    } else if let Some(event) = web::ssl_request_line(text) {
        return event;
    }
    if let Some(event) = firewall_line(text) {
        return event;
    }
    if let Some(event) = find_record(text).and_then(|start| cef_or_leef(text, start, ctx)) {
        return event;
    }
    if let Some(event) = kv::parse(text, ctx) {
        return event;
    }
    raw_event(
        text,
        &format!(
            "unrecognised format (not JSON or syslog, nor CEF, LEEF, web server, firewall or key=value): {why}"
        ),
    )
}

/// A CEF or LEEF record starting at `start`, as an event (a broken record is a raw event
/// tagged `_parse_failure`); `None` when `text[start..]` starts with neither marker.
pub(crate) fn cef_or_leef(text: &str, start: usize, ctx: &ParseContext) -> Option<Event> {
    let record = text.get(start..)?;
    if record.starts_with("CEF:") {
        return Some(
            cef::parse(text, start, ctx).unwrap_or_else(|why| raw_event(text, &why.to_string())),
        );
    }
    if record.starts_with("LEEF:") {
        return Some(
            leef::parse(text, start, ctx).unwrap_or_else(|why| raw_event(text, &why.to_string())),
        );
    }
    None
}

/// Byte offset of a `CEF:<digit>` or `LEEF:<digit>` marker at the start of `s` or after a
/// space, `:` or `>` within the first [`MARKER_WINDOW`] bytes.
pub(crate) fn find_record(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let end = b.len().min(MARKER_WINDOW);
    // Tried on every line: most have no `EF:` near the start at all.
    let reach = b.len().min(MARKER_WINDOW + 4);
    memchr::memmem::find(&b[..reach], b"EF:")?;
    (0..end).find(|&i| {
        (i == 0 || matches!(b[i - 1], b' ' | b':' | b'>'))
            && [&b"CEF:"[..], b"LEEF:"].iter().any(|m| {
                b.get(i..i + m.len()) == Some(*m)
                    && b.get(i + m.len()).is_some_and(u8::is_ascii_digit)
            })
    })
}

/// A netfilter log line without syslog header.
fn firewall_line(text: &str) -> Option<Event> {
    if !text.contains("IN=") {
        return None;
    }
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", text);
    event.set("event.kind", "event");
    kernel::parse(text, &mut event).then_some(event)
}

/// Normalises the message of a syslog record from `program` (full tag `appname`) into
/// `event`. See the module documentation for the order.
pub(crate) fn syslog_body(
    program: Option<&str>,
    appname: Option<&str>,
    message: &str,
    structured_data: bool,
    ctx: &ParseContext,
    event: &mut Event,
) {
    if structured_data && juniper::apply(event) {
        return;
    }
    if message.is_empty() {
        return;
    }
    if let Some(start) = find_record(message) {
        let record = message.get(start..).unwrap_or("");
        let result = if record.starts_with("CEF:") {
            cef::apply(record, ctx, event).map_err(|e| e.to_string())
        } else {
            leef::apply(record, ctx, event).map_err(|e| e.to_string())
        };
        if let Err(why) = result {
            add_failure(event, &why);
        }
        return;
    }
    let audit_program = matches!(program, Some("audispd" | "auditd" | "audisp-syslog"));
    if (audit_program || message.starts_with("type=") || message.starts_with("audit: "))
        && message.contains("audit(")
        && auditd::apply(message, event)
    {
        return;
    }
    if cisco_asa::apply_syslog(appname, message, event) {
        return;
    }
    if windows_xml::apply_syslog(message, event) {
        return;
    }
    if panos::apply(message, ctx, event) {
        return;
    }
    if programs::normalise(program, appname, message, event) {
        return;
    }
    if program.is_some_and(web::is_web_program) && web::apply_body(message, ctx, event) {
        return;
    }
    if program != Some("kernel")
        && message.contains("IN=")
        && kernel::parse_with_prefix(message, appname, event)
    {
        return;
    }
    kv::apply(message, ctx, event);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_markers() {
        assert_eq!(find_record("CEF:0|a"), Some(0));
        assert_eq!(find_record("ASM:CEF:0|a"), Some(4));
        assert_eq!(find_record("host LEEF:2.0|a"), Some(5));
        assert_eq!(find_record("XCEF:0|a"), None);
        assert_eq!(find_record("CEF:x"), None);
        assert_eq!(find_record(&format!("{}CEF:0|", " ".repeat(80))), None);
    }
}
