//! The Apache httpd error log, 2.2 and 2.4 forms:
//!
//! * `[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] message`
//! * `[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] message`
//!
//! The time carries the year but no zone: the context's `default_offset` applies. In a
//! syslog message (httpd's `ErrorLog syslog:`) the time may be absent; the syslog one
//! then stays.
//!
//! ECS: `@timestamp`, `log.level` (`error`, `notice`, `trace3` ...), `process.pid`,
//! `process.thread.id`, `source.address` / `source.ip` / `source.port` from
//! `[client ...]` right after the level or pid block, `message` (the rest), `event.type`
//! error or info. Native: `apache.error.module` (`core` in `[core:error]`).

use chrono::{DateTime, Utc};
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use super::{categorise, error_type, set_client};
use crate::{time, ParseContext};

/// Apache log levels.
const LEVELS: [&str; 16] = [
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", "trace1", "trace2",
    "trace3", "trace4", "trace5", "trace6", "trace7", "trace8",
];

/// A decoded error line.
#[derive(Debug)]
pub(crate) struct ApacheError<'a> {
    time: Option<DateTime<Utc>>,
    module: Option<&'a str>,
    level: &'a str,
    pid: Option<u64>,
    tid: Option<u64>,
    client: Option<&'a str>,
    message: &'a str,
}

/// The content of a `[...]` block at the start of `s` and the rest after it (and one
/// space).
fn block(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let (content, rest) = inner.split_once(']')?;
    Some((content, rest.strip_prefix(' ').unwrap_or(rest)))
}

/// Decodes an error line; the leading time block is required when `require_time`.
pub(crate) fn decode<'a>(
    line: &'a str,
    ctx: &ParseContext,
    require_time: bool,
) -> Option<ApacheError<'a>> {
    let mut rest = line;
    let mut time = None;
    let (first, after) = block(rest)?;
    if let Some(t) = parse_time(first, ctx) {
        time = Some(t);
        rest = after;
    } else if require_time {
        return None;
    }
    let (level_block, after) = block(rest)?;
    let (module, level) = match level_block.split_once(':') {
        Some((module, level)) => (Some(module), level),
        None => (None, level_block),
    };
    if !LEVELS.contains(&level)
        || module.is_some_and(|m| {
            m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
    {
        return None;
    }
    rest = after;
    let (mut pid, mut tid) = (None, None);
    if let Some((content, after)) = block(rest).filter(|(c, _)| c.starts_with("pid ")) {
        let ids = content.strip_prefix("pid ").unwrap_or("");
        let (p, t) = match ids.split_once(":tid ") {
            Some((p, t)) => (p, Some(t)),
            None => (ids, None),
        };
        pid = p.trim().parse().ok();
        tid = t.and_then(|t| t.trim().parse().ok());
        rest = after;
    }
    let mut client = None;
    if let Some((content, after)) = block(rest).filter(|(c, _)| c.starts_with("client ")) {
        client = content.strip_prefix("client ");
        rest = after;
    }
    Some(ApacheError {
        time,
        module,
        level,
        pid,
        tid,
        client,
        message: rest.trim_end(),
    })
}

/// `Www Mmm dd HH:MM:SS[.ffffff] yyyy` in the context's zone.
fn parse_time(s: &str, ctx: &ParseContext) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    // Weekday.
    (b.len() > 4 && b[..3].iter().all(u8::is_ascii_alphabetic) && b[3] == b' ').then_some(())?;
    let (mut ts, len) = time::parse_bsd(&b[4..])?;
    if ts.year.is_some() {
        return None;
    }
    let mut pos = 4 + len;
    (b.get(pos) == Some(&b' ')).then_some(())?;
    pos += 1;
    let year = time::digits(b, &mut pos, 4, 4)?;
    if pos != b.len() {
        return None;
    }
    ts.year = Some(i32::try_from(year).ok()?);
    time::resolve_bsd(&ts, ctx.default_offset, ctx.received)
}

impl ApacheError<'_> {
    /// Sets the ECS and native fields on `event`.
    pub(crate) fn apply(&self, event: &mut Event) {
        categorise(event, error_type(self.level));
        if let Some(t) = self.time {
            event.set("@timestamp", format_timestamp(t));
        }
        event.set("log.level", self.level);
        if let Some(module) = self.module {
            event.set("apache.error.module", module);
        }
        if let Some(pid) = self.pid {
            event.set("process.pid", pid);
        }
        if let Some(tid) = self.tid {
            event.set("process.thread.id", tid);
        }
        if let Some(client) = self.client {
            set_client(event, client);
        }
        event.set("message", self.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ParseContext {
        ParseContext::default()
    }

    #[test]
    fn forms() {
        let e = decode(
            "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00037: x",
            &ctx(),
            true,
        );
        let e = e.map(|e| (e.module, e.level, e.pid, e.tid, e.client, e.message));
        assert_eq!(
            e,
            Some((
                Some("core"),
                "error",
                Some(1234),
                Some(5678),
                Some("1.2.3.4:5678"),
                "AH00037: x"
            ))
        );
        let e = decode(
            "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
            &ctx(),
            true,
        );
        assert_eq!(e.map(|e| e.message), Some("workerEnv.init() ok"));
        // Without time only when allowed (syslog).
        assert!(decode("[core:warn] [pid 1] x", &ctx(), true).is_none());
        assert!(decode("[core:warn] [pid 1] x", &ctx(), false).is_some());
        assert!(decode("[Sun Dec 04 04:47:44 2005] [loud] x", &ctx(), true).is_none());
        assert!(decode("[Sun Dec 04 04:47:44] [error] x", &ctx(), true).is_none());
        assert!(decode("[Sun Dec 04 04:47:44 2005]", &ctx(), true).is_none());
    }
}
