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

/// Formats an instant the way events carry it: RFC 3339, UTC, millisecond precision
/// (`2026-12-08T01:02:03.456Z`). Every parsed event gets one, so the common case (years
/// 0000 to 9999, no leap second) is written digit by digit; the rest goes through chrono,
/// which gives the same text.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    }
    let mut out = [0u8; 24];
    let mut put = |at: usize, value: u32, width: usize| {
        let mut v = value;
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    put(17, t.second(), 2);
    put(20, nanos / 1_000_000, 3);
    for (at, sep) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ] {
        out[at] = sep;
    }
    match std::str::from_utf8(&out) {
        Ok(text) => text.to_owned(),
        Err(_) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_formatted_as_chrono_formats_them() {
        let instants = [
            "2026-12-08T01:02:03.456789Z",
            "2024-02-29T23:59:59.999999999Z",
            "1970-01-01T00:00:00Z",
            "0001-01-01T00:00:00.001Z",
            "9999-12-31T23:59:59.5Z",
            "2000-03-01T12:00:00.010Z",
        ];
        for text in instants {
            let t = DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default();
            assert_eq!(
                format_timestamp(t),
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "{text}"
            );
        }
        // Outside 0000-9999 and leap seconds: chrono's own text.
        let far = DateTime::<Utc>::from_timestamp(300_000_000_000, 0).unwrap_or_default();
        assert!(format_timestamp(far).starts_with("+11476-"));
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .map(|n| n.and_utc())
            .unwrap_or_default();
        assert_eq!(format_timestamp(leap), "2016-12-31T23:59:60.500Z");
        // Every millisecond of a day boundary and a spread of instants agree too.
        for secs in (0..4_102_444_800i64).step_by(86_399_987) {
            let t = DateTime::<Utc>::from_timestamp(secs, 123_000_000).unwrap_or_default();
            assert_eq!(
                format_timestamp(t),
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
        }
    }

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
