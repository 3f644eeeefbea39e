//! MySQL / MariaDB server logs: the error log (`2023-06-09T12:04:49.269222Z 0 [System]
//! [MY-013172] [Server] message` in 8.0, `2023-06-09T15:33:05.690097Z 0 [Note] message` in
//! 5.7, `161209 13:08:33 mysqld_safe message` / `161209 13:08:33 [Note] message` in older
//! servers) and slow query log entries (`# Time: ...\n# User@Host: user[user] @ host [ip]
//! ...\n# Query_time: ...\nSET timestamp=...;\nquery;` as one multi-line record).
//!
//! ECS: `event.kind: event`, `event.module: mysql`, `event.category: [database]`,
//! `event.type: [info]` (plus `error` for `[ERROR]` lines), `@timestamp` (zone-less old
//! times in the context's zone), `log.level` (the bracketed level, lower case),
//! `event.code` (`MY-nnnnnn`), `mysql.thread_id`, `mysql.subsystem`, `message`; the slow
//! log adds `event.dataset: mysql.slowlog`, `user.name`, `source.domain` / `source.ip`
//! (`@ host [ip]`), `mysql.slowlog.query_time` / `lock_time` / `rows_sent` /
//! `rows_examined` (numbers), `mysql.slowlog.query`; error log lines have
//! `event.dataset: mysql.error`.

use chrono::NaiveDateTime;
use vigil_core::Event;

use crate::programs::push_related;
use crate::{ecs, time, ParseContext};

/// Levels of the error log.
const LEVELS: [&str; 6] = ["System", "Note", "Warning", "ERROR", "Error", "Info"];

/// An error log line or a slow log record; `None` when `text` is neither.
pub(crate) fn parse(text: &str, ctx: &ParseContext) -> Option<Event> {
    if text.starts_with("# Time: ") || text.starts_with("# User@Host: ") {
        return slow(text, ctx);
    }
    error_line(text, ctx)
}

fn new_event(text: &str, dataset: &str) -> Event {
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("event.kind", "event");
    event.set("event.module", "mysql");
    event.set("event.dataset", dataset);
    ecs::set_array(&mut event, "event.category", &["database"]);
    ecs::set_array(&mut event, "event.type", &["info"]);
    event
}

fn error_line(text: &str, ctx: &ParseContext) -> Option<Event> {
    let (stamp, rest) = text.split_once(' ')?;
    let (time, rest) = if stamp.len() == 6 && stamp.bytes().all(|b| b.is_ascii_digit()) {
        // `161209 13:08:33 ...` (day may be space-padded: `161209  3:08:33`).
        let rest = rest.trim_start();
        let (clock, rest) = rest.split_once(' ')?;
        let t = NaiveDateTime::parse_from_str(&format!("{stamp} {clock}"), "%y%m%d %H:%M:%S")
            .ok()?
            .and_local_timezone(ctx.default_offset)
            .single()?
            .to_utc();
        (t, rest)
    } else {
        let b = stamp.as_bytes();
        let iso = b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T';
        if !iso {
            return None;
        }
        (time::parse_iso8601(stamp, Some(ctx.default_offset))?, rest)
    };
    let mut words = rest.splitn(2, ' ');
    let first = words.next().unwrap_or("");
    let (thread, rest) = if first.bytes().all(|b| b.is_ascii_digit()) && !first.is_empty() {
        (Some(first), words.next().unwrap_or(""))
    } else {
        (None, rest)
    };
    let level = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .filter(|(l, _)| LEVELS.contains(l));
    let program = rest.starts_with("mysqld_safe ") || rest.starts_with("mysqld ");
    if level.is_none() && !program {
        return None;
    }
    let mut event = new_event(text, "mysql.error");
    event.set("@timestamp", vigil_core::time::format_timestamp(time));
    if let Some(thread) = thread {
        ecs::set_number(&mut event, "mysql.thread_id", thread);
    }
    let mut message = rest;
    if let Some((level, after)) = level {
        event.set("log.level", level.to_ascii_lowercase());
        if level.eq_ignore_ascii_case("error") {
            ecs::set_array(&mut event, "event.type", &["info", "error"]);
        }
        message = after.trim_start();
        // 8.0: `[MY-013172] [Server] message`
        if let Some((code, after)) = message.strip_prefix("[MY-").and_then(|r| r.split_once(']')) {
            event.set("event.code", format!("MY-{code}"));
            message = after.trim_start();
            if let Some((subsystem, after)) =
                message.strip_prefix('[').and_then(|r| r.split_once(']'))
            {
                event.set("mysql.subsystem", subsystem);
                message = after.trim_start();
            }
        }
    }
    event.set("message", message);
    Some(event)
}

fn slow(text: &str, ctx: &ParseContext) -> Option<Event> {
    let mut event = new_event(text, "mysql.slowlog");
    event.set("message", text);
    let mut query = Vec::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# Time: ") {
            if let Some(t) = time::parse_iso8601(t.trim(), Some(ctx.default_offset)) {
                event.set("@timestamp", vigil_core::time::format_timestamp(t));
            }
        } else if let Some(rest) = line.strip_prefix("# User@Host: ") {
            // `root[root] @ localhost [127.0.0.1]  Id:     8`
            let (user, host) = rest.split_once(" @ ").unwrap_or((rest, ""));
            let name = user.split('[').next().unwrap_or("").trim();
            if !name.is_empty() {
                ecs::set_user(&mut event, "user.name", name);
            }
            let host = host.split("  Id:").next().unwrap_or("").trim();
            let (domain, ip) = match host.split_once('[') {
                Some((d, ip)) => (d.trim(), ip.trim_end_matches(']').trim()),
                None => (host, ""),
            };
            if !domain.is_empty() {
                ecs::set_str(&mut event, "source.domain", domain);
            }
            if ecs::set_ip(&mut event, "source", ip) {
                push_related(&mut event, "related.ip", ip);
            }
        } else if let Some(rest) = line.strip_prefix("# Query_time: ") {
            let line = format!("Query_time: {rest}");
            let words: Vec<&str> = line.split_whitespace().collect();
            for pair in words.chunks(2) {
                if let [key, value] = pair {
                    let key = key.trim_end_matches(':').to_ascii_lowercase();
                    if let Ok(n) = value.parse::<f64>() {
                        event.set(&format!("mysql.slowlog.{key}"), n);
                    }
                }
            }
        } else if !line.starts_with('#') && !line.starts_with("SET timestamp=") {
            query.push(line);
        }
    }
    if !query.is_empty() {
        event.set("mysql.slowlog.query", query.join("\n"));
    }
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> ParseContext {
        ParseContext::new(chrono::DateTime::UNIX_EPOCH)
    }

    #[test]
    fn error_log_forms() {
        let e = parse(
            "2023-06-09T12:04:49.269222Z 0 [System] [MY-013172] [Server] Received SHUTDOWN",
            &ctx(),
        )
        .unwrap_or_default();
        assert_eq!(e.get_str("event.code"), Some("MY-013172"));
        assert_eq!(e.get_str("mysql.subsystem"), Some("Server"));
        assert_eq!(e.get_str("message"), Some("Received SHUTDOWN"));
        assert_eq!(e.get_str("@timestamp"), Some("2023-06-09T12:04:49.269Z"));
        let e = parse(
            "2023-06-09T17:11:48.730952Z 0 [ERROR] unknown variable",
            &ctx(),
        )
        .unwrap_or_default();
        assert_eq!(e.get("event.type"), Some(&json!(["info", "error"])));
        let e =
            parse("161209 13:08:33 mysqld_safe Starting mysqld daemon", &ctx()).unwrap_or_default();
        assert_eq!(e.get_str("@timestamp"), Some("2016-12-09T13:08:33.000Z"));
        assert!(parse("2023-06-09T12:04:49Z host sshd[1]: hi", &ctx()).is_none());
    }

    #[test]
    fn slow_log_record() {
        let text = "# Time: 2023-06-09T12:20:51.418903Z\n# User@Host: root[root] @ localhost [127.0.0.1]  Id:     8\n# Query_time: 3.000207  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 1\nSET timestamp=1686313248;\nselect sleep(3);";
        let e = parse(text, &ctx()).unwrap_or_default();
        assert_eq!(e.get_str("user.name"), Some("root"));
        assert_eq!(e.get_str("source.ip"), Some("127.0.0.1"));
        assert_eq!(e.get("mysql.slowlog.rows_examined"), Some(&json!(1.0)));
        assert_eq!(e.get_str("mysql.slowlog.query"), Some("select sleep(3);"));
    }
}
