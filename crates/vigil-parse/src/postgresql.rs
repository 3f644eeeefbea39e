//! PostgreSQL `csvlog` lines (`log_destination = 'csvlog'`): `log_time, user_name,
//! database_name, process_id, connection_from, session_id, session_line_num, command_tag,
//! session_start_time, virtual_transaction_id, transaction_id, error_severity,
//! sql_state_code, message, detail, hint, internal_query, internal_query_pos, context,
//! query, query_pos, location, application_name[, backend_type, ...]`.
//!
//! ECS: `event.kind: event`, `event.module: postgresql`, `event.dataset: postgresql.log`,
//! `event.category: [database]`, `event.type: [info]` (plus `error` for ERROR, FATAL and
//! PANIC), `@timestamp`, `user.name`, `process.pid`, `source.ip` / `source.port` (or
//! `source.domain`) from `connection_from`, `log.level` (the severity), `event.code` (SQL
//! state), `message`, `postgresql.database`, `postgresql.command_tag`,
//! `postgresql.application_name`, `postgresql.session_id`. Authentication failures (SQL
//! state 28P01 / 28000: `password authentication failed for user ...`) are
//! `event.category: [database, authentication]`, `event.type: [start]`,
//! `event.outcome: failure`, `event.action: authentication_failed`.

use vigil_core::Event;

use crate::programs::push_related;
use crate::{ecs, time, ParseContext};

/// Severities of the `error_severity` column.
const SEVERITIES: [&str; 12] = [
    "LOG",
    "ERROR",
    "FATAL",
    "PANIC",
    "WARNING",
    "NOTICE",
    "INFO",
    "DEBUG",
    "DEBUG1",
    "DEBUG2",
    "DEBUG3",
    "STATEMENT",
];

/// A csvlog line; `None` when `text` is not one.
pub(crate) fn parse(text: &str, ctx: &ParseContext) -> Option<Event> {
    let b = text.as_bytes();
    let looks = b.len() > 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[..4].iter().all(u8::is_ascii_digit);
    if !looks {
        return None;
    }
    let cols = crate::ecs::split_csv(text);
    if cols.len() < 23 || !SEVERITIES.contains(&cols[11].as_str()) {
        return None;
    }
    let col = |i: usize| cols.get(i).map(String::as_str).filter(|c| !c.is_empty());
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("event.kind", "event");
    event.set("event.module", "postgresql");
    event.set("event.dataset", "postgresql.log");
    let severity = cols[11].clone();
    let error = matches!(severity.as_str(), "ERROR" | "FATAL" | "PANIC");
    ecs::set_array(&mut event, "event.category", &["database"]);
    ecs::set_array(
        &mut event,
        "event.type",
        if error { &["info", "error"] } else { &["info"] },
    );
    if let Some(t) = col(0).and_then(|t| parse_time(t, ctx)) {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    if let Some(user) = col(1) {
        ecs::set_user(&mut event, "user.name", user);
    }
    if let Some(pid) = col(3) {
        ecs::set_number(&mut event, "process.pid", pid);
    }
    if let Some(from) = col(4) {
        let (host, port) = from.rsplit_once(':').unwrap_or((from, ""));
        if ecs::set_ip(&mut event, "source", host) {
            push_related(&mut event, "related.ip", host);
            ecs::set_port(&mut event, "source.port", port);
        } else if host != "[local]" {
            ecs::set_str(&mut event, "source.domain", host);
        }
    }
    event.set("log.level", severity.as_str());
    for (i, path) in [
        (2, "postgresql.database"),
        (5, "postgresql.session_id"),
        (7, "postgresql.command_tag"),
        (12, "event.code"),
        (13, "message"),
        (22, "postgresql.application_name"),
    ] {
        if let Some(v) = col(i) {
            ecs::set_str(&mut event, path, v);
        }
    }
    if matches!(col(12), Some("28P01" | "28000"))
        && col(13).is_some_and(|m| m.contains("authentication failed"))
    {
        ecs::set_array(
            &mut event,
            "event.category",
            &["database", "authentication"],
        );
        ecs::set_array(&mut event, "event.type", &["start"]);
        event.set("event.outcome", "failure");
        event.set("event.action", "authentication_failed");
    }
    Some(event)
}

/// `1992-07-10 01:07:24.374 UTC` (the zone is an abbreviation or an offset).
fn parse_time(text: &str, ctx: &ParseContext) -> Option<chrono::DateTime<chrono::Utc>> {
    let (stamp, zone) = text.rsplit_once(' ')?;
    let offset = time::parse_zone(zone).unwrap_or(ctx.default_offset);
    time::parse_iso8601(&stamp.replacen(' ', "T", 1), Some(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csvlog_lines() {
        let ctx = ParseContext::new(chrono::DateTime::UNIX_EPOCH);
        let line = r#"1992-07-10 01:07:24.374 UTC,"postgres","db",86,"107.64.99.7:20200",b0061e5.69,23,"CHECKPOINT",1992-07-10 01:06:20 UTC,3/0,0,LOG,00000,"duration: 15.136 ms  statement: checkpoint;",,,,,,,,,"psql","client backend""#;
        let e = parse(line, &ctx).unwrap_or_default();
        assert_eq!(e.get_str("user.name"), Some("postgres"));
        assert_eq!(e.get("process.pid"), Some(&json!(86)));
        assert_eq!(e.get_str("source.ip"), Some("107.64.99.7"));
        assert_eq!(e.get_str("@timestamp"), Some("1992-07-10T01:07:24.374Z"));
        let failed = r#"2024-01-02 03:04:05.000 UTC,"mallory","db",90,"10.0.0.9:5000",x.1,1,"authentication",2024-01-02 03:04:05 UTC,,0,FATAL,28P01,"password authentication failed for user ""mallory""",,,,,,,,,"","client backend""#;
        let e = parse(failed, &ctx).unwrap_or_default();
        assert_eq!(e.get_str("event.outcome"), Some("failure"));
        assert_eq!(e.get_str("user.name"), Some("mallory"));
        assert!(parse("2024-01-02 03:04:05 just text", &ctx).is_none());
    }
}
