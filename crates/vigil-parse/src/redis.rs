//! Redis server log lines: `pid:role dd Mmm yyyy hh:mm:ss.mmm LEVEL message` (Redis 3+, role
//! `M` master, `S` replica, `C` child, `X` sentinel), the older `[pid] dd Mmm hh:mm:ss LEVEL
//! message`, and `dd Mmm hh:mm:ss LEVEL message` without pid, where LEVEL is `.` debug,
//! `-` verbose, `*` notice, `#` warning.
//!
//! ECS: `event.kind: event`, `event.module: redis`, `event.dataset: redis.log`,
//! `event.category: [database]`, `event.type: [info]`, `@timestamp` (year inferred when
//! absent, zone-less in the context's zone), `process.pid`, `redis.log.role` (master,
//! replica, child, sentinel), `log.level`, `message`.

use chrono::{NaiveDate, NaiveDateTime};
use vigil_core::Event;

use crate::{ecs, time, ParseContext};

/// A Redis log line; `None` when `text` is not one.
pub(crate) fn parse(text: &str, ctx: &ParseContext) -> Option<Event> {
    // Tried on every line: a Redis line starts with its pid, `[pid]` or the day of month.
    if !text
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'[')
    {
        return None;
    }
    // Optional `pid:role ` or `[pid] `.
    let (pid, role, rest) = match text.split_once(' ') {
        Some((head, rest)) if head.starts_with('[') && head.ends_with(']') => {
            (Some(&head[1..head.len() - 1]), None, rest)
        }
        Some((head, rest)) if head.contains(':') => {
            let (pid, role) = head.split_once(':')?;
            (Some(pid), Some(role), rest)
        }
        _ => (None, None, text),
    };
    if pid.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let role = match role {
        None => None,
        Some("M") => Some("master"),
        Some("S") => Some("replica"),
        Some("C") => Some("child"),
        Some("X") => Some("sentinel"),
        Some(_) => return None,
    };
    // `dd Mmm [yyyy ]hh:mm:ss[.mmm] LEVEL message`
    let (day, rest) = rest.split_once(' ')?;
    let (month, rest) = rest.split_once(' ')?;
    let (third, rest) = rest.split_once(' ')?;
    let (year, clock, rest) = if third.len() == 4 && third.bytes().all(|b| b.is_ascii_digit()) {
        let (clock, rest) = rest.split_once(' ')?;
        (Some(third), clock, rest)
    } else {
        (None, third, rest)
    };
    let (level, message) = rest.split_once(' ').unwrap_or((rest, ""));
    let level = match level {
        "." => "debug",
        "-" => "verbose",
        "*" => "notice",
        "#" => "warning",
        _ => return None,
    };
    let day: u32 = day.parse().ok()?;
    let month = time::month_of(month.as_bytes())?;
    let clock = clock.split('.').collect::<Vec<_>>();
    let (hms, millis) = (
        clock.first().copied()?,
        clock.get(1).copied().unwrap_or("0"),
    );
    let time_of_day = chrono::NaiveTime::parse_from_str(hms, "%H:%M:%S").ok()?;
    let millis: u32 = millis.get(..3).unwrap_or(millis).parse().ok()?;
    let at_year = |year: i32| -> Option<chrono::DateTime<chrono::Utc>> {
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        let naive = NaiveDateTime::new(date, time_of_day)
            + chrono::Duration::milliseconds(i64::from(millis));
        naive
            .and_local_timezone(ctx.default_offset)
            .single()
            .map(|t| t.to_utc())
    };
    let t = match year.and_then(|y| y.parse::<i32>().ok()) {
        Some(year) => at_year(year)?,
        None => {
            // The year that puts the line closest to (and not after) the receive time.
            let now = ctx.received;
            let this = at_year(chrono::Datelike::year(&now))?;
            if this > now + chrono::Duration::days(1) {
                at_year(chrono::Datelike::year(&now) - 1)?
            } else {
                this
            }
        }
    };
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("event.kind", "event");
    event.set("event.module", "redis");
    event.set("event.dataset", "redis.log");
    ecs::set_array(&mut event, "event.category", &["database"]);
    ecs::set_array(&mut event, "event.type", &["info"]);
    event.set("@timestamp", vigil_core::time::format_timestamp(t));
    if let Some(pid) = pid {
        ecs::set_number(&mut event, "process.pid", pid);
    }
    if let Some(role) = role {
        event.set("redis.log.role", role);
    }
    event.set("log.level", level);
    event.set("message", message);
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn log_line_forms() {
        let ctx = ParseContext::new(
            chrono::DateTime::parse_from_rfc3339("2023-06-01T00:00:00Z")
                .map(|t| t.to_utc())
                .unwrap_or_default(),
        );
        let e = parse(
            "26571:M 27 Dec 2018 11:19:18.874 * Synchronization with replica 10.0.0.1:6023 succeeded",
            &ctx,
        )
        .unwrap_or_default();
        assert_eq!(e.get("process.pid"), Some(&json!(26571)));
        assert_eq!(e.get_str("redis.log.role"), Some("master"));
        assert_eq!(e.get_str("log.level"), Some("notice"));
        assert_eq!(e.get_str("@timestamp"), Some("2018-12-27T11:19:18.874Z"));
        let e = parse("[2932] 31 May 04:32:08 - 0 clients connected", &ctx).unwrap_or_default();
        assert_eq!(e.get_str("@timestamp"), Some("2023-05-31T04:32:08.000Z"));
        assert_eq!(e.get_str("message"), Some("0 clients connected"));
        assert!(parse("30 May 10:04:45 x not redis", &ctx).is_none());
        assert!(parse("a:b c", &ctx).is_none());
    }
}
