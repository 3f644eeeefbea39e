//! Syslog messages: detection of RFC 5424 vs RFC 3164 (BSD, with or without `<PRI>`),
//! and the mapping of the decoded header to ECS (`host.name`, `process.*`,
//! `log.syslog.*`, `@timestamp`). The message body is then handed to the format
//! detection for messages (CEF, LEEF, the per-program normalisers in
//! [`crate::programs`], web servers, firewall lines, key=value).

mod rfc3164;
mod rfc5424;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use crate::error::{StructuredDataError, SyslogError};
use crate::{add_failure, ParseContext};

pub use rfc5424::parse_structured_data;

/// ECS names of the syslog facilities, by code.
pub const FACILITY_NAMES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// ECS names of the syslog severities, by code.
pub const SEVERITY_NAMES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// The decoded header of a syslog message, borrowing from the text.
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    pub pri: Option<u8>,
    pub version: Option<u32>,
    pub timestamp: Option<DateTime<Utc>>,
    pub hostname: Option<&'a str>,
    /// APP-NAME (5424) or the full TAG (3164, e.g. `sshd(pam_unix)`).
    pub appname: Option<&'a str>,
    /// The program name proper (`sshd`), for `process.name` and routing.
    pub program: Option<&'a str>,
    pub procid: Option<&'a str>,
    pub msgid: Option<&'a str>,
    pub structured_data: Option<Map<String, Value>>,
    pub sd_error: Option<StructuredDataError>,
    pub message: &'a str,
}

/// Parses a syslog message (line ending already stripped) into an event.
pub fn parse(text: &str, ctx: &ParseContext) -> Result<Event, SyslogError> {
    let header = parse_header(text, ctx)?;
    let (program, appname, message) = (header.program, header.appname, header.message);
    let structured_data = header.structured_data.is_some();
    let mut event = build(text, header);
    crate::detect::syslog_body(program, appname, message, structured_data, ctx, &mut event);
    Ok(event)
}

/// The header of a syslog message as an event (`@timestamp`, `host.name`, `process.*`,
/// `log.syslog.*`, `event.original` = `text`, `message` = the message) and the message
/// itself, left for a pinned body parser ([`crate::parse_syslog_as`]).
pub(crate) fn parse_header_only<'a>(
    text: &'a str,
    ctx: &ParseContext,
) -> Result<(Event, &'a str), SyslogError> {
    let header = parse_header(text, ctx)?;
    let message = header.message;
    Ok((build(text, header), message))
}

/// The message of a syslog record (what follows its header), or `None` when `text` has no
/// syslog header.
pub(crate) fn message_of<'a>(text: &'a str, ctx: &ParseContext) -> Option<&'a str> {
    parse_header(text, ctx).ok().map(|header| header.message)
}

fn parse_header<'a>(text: &'a str, ctx: &ParseContext) -> Result<Header<'a>, SyslogError> {
    if text.trim().is_empty() {
        return Err(SyslogError::Empty);
    }
    let (pri, rest) = if text.starts_with('<') {
        let (pri, rest) = parse_pri(text)?;
        (Some(pri), rest)
    } else {
        (None, text)
    };
    match rfc5424::version(rest, pri.is_some()) {
        Some((version, after)) => rfc5424::parse(after, pri, version),
        None => rfc3164::parse(rest, pri, ctx),
    }
}

/// `<PRI>` at the start of `text`: 1 to 3 digits, at most 191.
fn parse_pri(text: &str) -> Result<(u8, &str), SyslogError> {
    let b = text.as_bytes();
    let mut value: u32 = 0;
    let mut i = 1;
    while i < b.len() && i <= 4 && b[i].is_ascii_digit() {
        value = value * 10 + u32::from(b[i] - b'0');
        i += 1;
    }
    if i == 1 {
        return Err(SyslogError::InvalidPri("expected digits after '<'"));
    }
    if i > 4 || b.get(i) != Some(&b'>') {
        return Err(SyslogError::InvalidPri("expected 1 to 3 digits and '>'"));
    }
    let pri = u8::try_from(value)
        .ok()
        .filter(|p| *p <= 191)
        .ok_or(SyslogError::InvalidPri("out of range 0-191"))?;
    Ok((pri, text.get(i + 1..).unwrap_or("")))
}

/// The process id as a number, when it is one.
fn pid_number(procid: &str) -> Option<u64> {
    if procid.is_empty() || !procid.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    procid.parse().ok()
}

/// The event of a syslog header, before its message is parsed.
fn build(text: &str, header: Header<'_>) -> Event {
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", header.message);
    event.set("event.kind", "event");
    if let Some(t) = header.timestamp {
        event.set("@timestamp", format_timestamp(t));
    }
    if let Some(host) = header.hostname {
        event.set("host.name", host);
    }
    if let Some(program) = header.program {
        event.set("process.name", program);
    }
    if let Some(pid) = header.procid.and_then(pid_number) {
        event.set("process.pid", pid);
    }
    // `log.syslog` is built as one object: cheaper than a dotted set per field.
    let mut syslog = Map::new();
    let mut put = |key: &str, value: Value| {
        syslog.insert(key.to_string(), value);
    };
    if let Some(host) = header.hostname {
        put("hostname", host.into());
    }
    if let Some(app) = header.appname {
        put("appname", app.into());
    }
    if let Some(procid) = header.procid {
        put("procid", procid.into());
    }
    if let Some(msgid) = header.msgid {
        put("msgid", msgid.into());
    }
    if let Some(version) = header.version {
        put("version", version.to_string().into());
    }
    if let Some(sd) = header.structured_data {
        put("structured_data", Value::Object(sd));
    }
    if let Some(pri) = header.pri {
        let facility = usize::from(pri >> 3);
        let severity = usize::from(pri & 7);
        put("priority", pri.into());
        put("facility", code_and_name(facility, &FACILITY_NAMES));
        put("severity", code_and_name(severity, &SEVERITY_NAMES));
    }
    if !syslog.is_empty() {
        event.set("log.syslog", Value::Object(syslog));
    }
    if let Some(err) = header.sd_error {
        add_failure(&mut event, &err.to_string());
    }
    event
}

/// `{"code": n, "name": "..."}` (no name for an unknown code).
fn code_and_name(code: usize, names: &[&str]) -> Value {
    let mut object = Map::new();
    object.insert("code".to_string(), code.into());
    if let Some(name) = names.get(code) {
        object.insert("name".to_string(), (*name).into());
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pri_bounds() {
        assert_eq!(parse_pri("<0>x"), Ok((0, "x")));
        assert_eq!(parse_pri("<191>"), Ok((191, "")));
        assert!(parse_pri("<192>x").is_err());
        assert!(parse_pri("<1234>x").is_err());
        assert!(parse_pri("<>x").is_err());
        assert!(parse_pri("<12x").is_err());
        assert!(parse_pri("<").is_err());
    }

    #[test]
    fn pids() {
        assert_eq!(pid_number("123"), Some(123));
        assert_eq!(pid_number("+5"), None);
        assert_eq!(pid_number(""), None);
        assert_eq!(pid_number("99999999999999999999999"), None);
    }
}
