//! Time parsing shared by the CLI, the API and the index: RFC 3339 instants and
//! relative expressions such as `-24h`, `-30m`, `-7d` and `now`.

use chrono::{DateTime, Duration, Utc};

/// A time expression could not be understood.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid time '{input}': expected RFC 3339 (2026-01-31T12:00:00Z), 'now' or a relative offset like -15m, -24h, -7d")]
pub struct TimeParseError {
    /// The text that was given.
    pub input: String,
}

/// Parses `now`, a relative offset (`-90s`, `-15m`, `-24h`, `-7d`, `-2w`, with or without the
/// leading minus, always meaning the past) or an RFC 3339 timestamp, relative to `now`.
pub fn parse_time_expr(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeParseError> {
    let text = input.trim();
    let err = || TimeParseError {
        input: input.to_string(),
    };
    if text.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let rel = text.strip_prefix("now").unwrap_or(text);
    let rel = rel.strip_prefix('-').unwrap_or(rel);
    if rel.len() < 2 {
        return Err(err());
    }
    let (num, unit) = rel.split_at(rel.len() - 1);
    let n: i64 = num.parse().map_err(|_| err())?;
    let d = match unit {
        "s" => Duration::try_seconds(n),
        "m" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        _ => None,
    }
    .ok_or_else(err)?;
    now.checked_sub_signed(d).ok_or_else(err)
}

/// Formats an instant the way events carry it: RFC 3339, UTC, millisecond precision.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(parse_time_expr("now", now), Ok(now));
        assert_eq!(
            parse_time_expr("-24h", now).map(format_timestamp),
            Ok("2026-01-01T00:00:00.000Z".to_string())
        );
        assert_eq!(
            parse_time_expr("2025-12-31T23:00:00+01:00", now).map(format_timestamp),
            Ok("2025-12-31T22:00:00.000Z".to_string())
        );
        assert!(parse_time_expr("yesterday", now).is_err());
        assert!(parse_time_expr("-5x", now).is_err());
    }
}
