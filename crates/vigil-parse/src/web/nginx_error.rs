//! The nginx error log:
//! `2026/11/22 10:00:00 [error] 1234#0: *5 message, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"`.
//!
//! The time has no zone: the context's `default_offset` applies. In a syslog message the
//! time may be absent (`[error] 1234#0: ...`); the syslog one then stays. Multi-line
//! messages (PHP-FPM output relayed by FastCGI) arrive as one event per line: only the
//! first line has this shape.
//!
//! ECS: `@timestamp`, `log.level`, `process.pid`, `process.thread.id`, `message` (after
//! `*N `, context included), `event.type` error or info; from the trailing context:
//! `client:` -> `source.address` / `source.ip`, `request:` -> `http.request.method`,
//! `url.original` (+ parts), `http.version`; `referrer:` -> `http.request.referrer`.
//! Native: `nginx.error.connection_id` (`*N`), and `nginx.error.<key>` for every context
//! item (`client`, `server`, `request`, `upstream`, `host`, `referrer` ...).

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value};
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use super::{categorise, error_type, quoted, set_client, set_request};
use crate::ecs::set_str;
use crate::{time, ParseContext};

/// nginx log levels.
const LEVELS: [&str; 8] = [
    "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
];

/// A decoded error line.
#[derive(Debug)]
pub(crate) struct NginxError<'a> {
    time: Option<DateTime<Utc>>,
    level: &'a str,
    pid: u64,
    tid: u64,
    connection: Option<u64>,
    message: &'a str,
    context: Vec<(&'a str, Cow<'a, str>)>,
}

/// Whether `b` starts with `yyyy/mm/dd `.
pub(crate) fn looks_like(b: &[u8]) -> bool {
    b.len() > 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
}

/// Decodes an error line; the leading time is required when `require_time`.
pub(crate) fn decode<'a>(
    line: &'a str,
    ctx: &ParseContext,
    require_time: bool,
) -> Option<NginxError<'a>> {
    let b = line.as_bytes();
    let mut pos = 0;
    let mut time = None;
    if looks_like(b) {
        time = Some(parse_time(b, ctx)?);
        pos = 19;
        (b.get(pos) == Some(&b' ')).then_some(())?;
        pos += 1;
    } else if require_time {
        return None;
    }
    let rest = line.get(pos..)?;
    let (level, rest) = rest.strip_prefix('[')?.split_once("] ")?;
    if !LEVELS.contains(&level) {
        return None;
    }
    let (ids, rest) = match rest.split_once(": ") {
        Some(split) => split,
        None => (rest.strip_suffix(':')?, ""),
    };
    let (pid, tid) = ids.split_once('#')?;
    let pid = pid.parse().ok()?;
    let tid = tid.parse().ok()?;
    let (connection, message) = match rest.strip_prefix('*') {
        Some(after) => match after.split_once(' ') {
            Some((n, message)) if n.bytes().all(|b| b.is_ascii_digit()) => {
                (n.parse().ok(), message)
            }
            _ => (None, rest),
        },
        None => (None, rest),
    };
    let message = message.trim_end();
    Some(NginxError {
        time,
        level,
        pid,
        tid,
        connection,
        message,
        context: context(message),
    })
}

/// `yyyy/mm/dd HH:MM:SS` at the start of `b`, in the context's zone.
fn parse_time(b: &[u8], ctx: &ParseContext) -> Option<DateTime<Utc>> {
    let mut pos = 0;
    let year = time::digits(b, &mut pos, 4, 4)?;
    pos += 1;
    let month = time::digits(b, &mut pos, 2, 2)?;
    pos += 1;
    let day = time::digits(b, &mut pos, 2, 2)?;
    (b.get(pos) == Some(&b' ')).then_some(())?;
    pos += 1;
    let hour = time::digits(b, &mut pos, 2, 2)?;
    (b.get(pos) == Some(&b':')).then_some(())?;
    pos += 1;
    let minute = time::digits(b, &mut pos, 2, 2)?;
    (b.get(pos) == Some(&b':')).then_some(())?;
    pos += 1;
    let second = time::digits(b, &mut pos, 2, 2)?;
    let naive = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
        .and_hms_opt(hour, minute, second)?;
    Some(
        ctx.default_offset
            .from_local_datetime(&naive)
            .single()?
            .with_timezone(&Utc),
    )
}

/// The `, key: value` items that follow `, client: ` at the end of a message.
fn context(message: &str) -> Vec<(&str, Cow<'_, str>)> {
    let mut items = Vec::new();
    let Some(start) = message.find(", client: ") else {
        return items;
    };
    let mut pos = start + 2;
    while let Some(rest) = message.get(pos..) {
        let Some((key, _)) = rest.split_once(": ") else {
            break;
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            break;
        }
        let value_start = pos + key.len() + 2;
        let (value, end) = if message.as_bytes().get(value_start) == Some(&b'"') {
            match quoted(message, value_start) {
                Some(v) => v,
                None => break,
            }
        } else {
            let tail = message.get(value_start..).unwrap_or("");
            let len = tail.find(", ").unwrap_or(tail.len());
            (Cow::Borrowed(&tail[..len]), value_start + len)
        };
        items.push((key, value));
        match message.get(end..) {
            Some(next) if next.starts_with(", ") => pos = end + 2,
            _ => break,
        }
    }
    items
}

impl NginxError<'_> {
    /// Sets the ECS and native fields on `event`.
    pub(crate) fn apply(&self, event: &mut Event) {
        categorise(event, error_type(self.level));
        if let Some(t) = self.time {
            event.set("@timestamp", format_timestamp(t));
        }
        event.set("log.level", self.level);
        event.set("process.pid", self.pid);
        event.set("process.thread.id", self.tid);
        event.set("message", self.message);
        let mut native = Map::new();
        if let Some(id) = self.connection {
            native.insert("connection_id".into(), id.into());
        }
        for (key, value) in &self.context {
            native.insert((*key).to_string(), Value::from(value.as_ref()));
            match *key {
                "client" => set_client(event, value),
                "request" => {
                    set_request(event, value);
                }
                "referrer" => set_str(event, "http.request.referrer", value),
                _ => {}
            }
        }
        if !native.is_empty() {
            event.set("nginx.error", Value::Object(native));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let ctx = ParseContext::default();
        let e = decode(
            r#"2026/11/22 10:00:00 [error] 1234#0: *5 boom, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "h""#,
            &ctx,
            true,
        );
        let e = e.map(|e| {
            (
                e.level,
                e.pid,
                e.tid,
                e.connection,
                e.context
                    .into_iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>(),
            )
        });
        assert_eq!(
            e,
            Some((
                "error",
                1234,
                0,
                Some(5),
                vec![
                    "client=1.2.3.4".to_string(),
                    "server=x".to_string(),
                    "request=GET / HTTP/1.1".to_string(),
                    "host=h".to_string()
                ]
            ))
        );
        let e = decode(
            "2026/11/22 10:00:00 [notice] 1#1: signal process started",
            &ctx,
            true,
        );
        assert_eq!(
            e.map(|e| (e.connection, e.message)),
            Some((None, "signal process started"))
        );
        assert!(decode("[warn] 1#1: x", &ctx, true).is_none());
        assert!(decode("[warn] 1#1: x", &ctx, false).is_some());
        assert!(decode("2026/13/22 10:00:00 [error] 1#0: x", &ctx, true).is_none());
        assert!(decode("2026/11/22 10:00:00 [loud] 1#0: x", &ctx, true).is_none());
        assert!(decode("2026/11/22 10:00:00 [error] 1#0", &ctx, true).is_none());
    }
}
