//! Timestamps found in log text: the BSD syslog form `Mmm dd hh:mm:ss` (no year, no
//! zone) with year inference against the receive time, ISO 8601 / RFC 3339, and epoch
//! numbers. Hand-written for the hot path; chrono does the calendar arithmetic.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// How far in the future (relative to the receive time) an inferred RFC 3164 timestamp
/// may be; beyond that the previous year is taken (clock skew vs. year rollover).
const MAX_FUTURE_DAYS: i64 = 31;

/// A BSD syslog timestamp as written: no zone, usually no year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BsdTimestamp {
    pub month: u32,
    pub day: u32,
    pub year: Option<i32>,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

fn month_of(b: &[u8]) -> Option<u32> {
    let lower = [
        b.first()?.to_ascii_lowercase(),
        b.get(1)?.to_ascii_lowercase(),
        b.get(2)?.to_ascii_lowercase(),
    ];
    MONTHS
        .iter()
        .position(|m| **m == lower)
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Reads 1..=max ASCII digits at `*pos`, advancing it.
fn digits(b: &[u8], pos: &mut usize, min: usize, max: usize) -> Option<u32> {
    let start = *pos;
    let mut value: u32 = 0;
    while *pos < b.len() && *pos - start < max && b[*pos].is_ascii_digit() {
        value = value * 10 + u32::from(b[*pos] - b'0');
        *pos += 1;
    }
    (*pos - start >= min).then_some(value)
}

fn skip_spaces(b: &[u8], pos: &mut usize) -> usize {
    let start = *pos;
    while *pos < b.len() && b[*pos] == b' ' {
        *pos += 1;
    }
    *pos - start
}

/// Parses `Mmm dd hh:mm:ss[.frac]` (day space- or zero-padded, optionally `Mmm dd yyyy
/// hh:mm:ss`) at the start of `b`. Returns the timestamp and the bytes consumed; the
/// timestamp must be followed by a space or the end.
pub(crate) fn parse_bsd(b: &[u8]) -> Option<(BsdTimestamp, usize)> {
    let month = month_of(b)?;
    let mut pos = 3;
    if skip_spaces(b, &mut pos) == 0 {
        return None;
    }
    let day = digits(b, &mut pos, 1, 2)?;
    if skip_spaces(b, &mut pos) == 0 {
        return None;
    }
    // Optional year (Cisco and others): four digits and a space before the time.
    let mut year = None;
    if b.len() > pos + 4 && b[pos..pos + 4].iter().all(u8::is_ascii_digit) && b[pos + 4] == b' ' {
        let mut p = pos;
        year = digits(b, &mut p, 4, 4).and_then(|y| i32::try_from(y).ok());
        pos = p + 1;
    }
    let hour = digits(b, &mut pos, 2, 2)?;
    (b.get(pos) == Some(&b':')).then_some(())?;
    pos += 1;
    let minute = digits(b, &mut pos, 2, 2)?;
    (b.get(pos) == Some(&b':')).then_some(())?;
    pos += 1;
    let second = digits(b, &mut pos, 2, 2)?;
    let mut nanos = 0;
    if b.get(pos) == Some(&b'.') && b.get(pos + 1).is_some_and(u8::is_ascii_digit) {
        pos += 1;
        nanos = fraction_nanos(b, &mut pos);
    }
    match b.get(pos) {
        None | Some(b' ') => {}
        _ => return None,
    }
    Some((
        BsdTimestamp {
            month,
            day,
            year,
            hour,
            minute,
            second,
            nanos,
        },
        pos,
    ))
}

/// Reads fraction digits (any count, nanosecond precision kept) at `*pos`.
fn fraction_nanos(b: &[u8], pos: &mut usize) -> u32 {
    let mut nanos: u32 = 0;
    let mut scale: u32 = 100_000_000;
    while *pos < b.len() && b[*pos].is_ascii_digit() {
        nanos += u32::from(b[*pos] - b'0') * scale;
        scale /= 10;
        *pos += 1;
    }
    nanos
}

/// Resolves a BSD timestamp in `offset` to an instant. Without a year, takes the year that
/// puts it closest to `received` while not more than [`MAX_FUTURE_DAYS`] in the future.
pub(crate) fn resolve_bsd(
    ts: &BsdTimestamp,
    offset: FixedOffset,
    received: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let at_year = |year: i32| -> Option<DateTime<Utc>> {
        let date = NaiveDate::from_ymd_opt(year, ts.month, ts.day)?;
        let naive = date.and_hms_nano_opt(ts.hour, ts.minute, ts.second, ts.nanos)?;
        Some(
            offset
                .from_local_datetime(&naive)
                .single()?
                .with_timezone(&Utc),
        )
    };
    if let Some(year) = ts.year {
        return at_year(year);
    }
    let received_year = received.with_timezone(&offset).year();
    let limit = received
        .checked_add_signed(Duration::days(MAX_FUTURE_DAYS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let best = [received_year - 1, received_year, received_year + 1]
        .into_iter()
        .filter_map(at_year)
        .filter(|t| *t <= limit)
        .min_by_key(|t| (*t - received).num_seconds().unsigned_abs());
    // Feb 29 may need to go back further than one year to find a leap year.
    best.or_else(|| {
        ((received_year - 8)..(received_year - 1))
            .rev()
            .find_map(at_year)
    })
}

/// Parses an ISO 8601 / RFC 3339 timestamp (`T` or space separator, optional fraction).
/// Without a zone, `default_offset` is assumed (UTC when `None`).
pub(crate) fn parse_iso8601(s: &str, default_offset: Option<FixedOffset>) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let b = s.as_bytes();
    // Only plausible shapes reach chrono's slower format parser.
    if b.len() < 19 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()?;
    match default_offset {
        Some(offset) => Some(
            offset
                .from_local_datetime(&naive)
                .single()?
                .with_timezone(&Utc),
        ),
        None => Some(naive.and_utc()),
    }
}

/// An epoch number: seconds below 1e11 (until year 5138), milliseconds above.
pub(crate) fn from_epoch(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() {
        return None;
    }
    let millis = if n.abs() < 1e11 { n * 1000.0 } else { n };
    if millis.abs() > 8.0e15 {
        return None;
    }
    // In range by the check above, so the cast is exact enough (ms precision).
    #[allow(clippy::cast_possible_truncation)]
    let millis = millis.round() as i64;
    DateTime::from_timestamp_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn zero() -> FixedOffset {
        chrono::Offset::fix(&Utc)
    }

    fn bsd(s: &str) -> BsdTimestamp {
        parse_bsd(s.as_bytes())
            .map(|(t, _)| t)
            .unwrap_or(BsdTimestamp {
                month: 0,
                day: 0,
                year: None,
                hour: 0,
                minute: 0,
                second: 0,
                nanos: 0,
            })
    }

    #[test]
    fn bsd_shapes() {
        assert_eq!(
            parse_bsd(b"Jun 14 15:16:01 combo").map(|(_, n)| n),
            Some(15)
        );
        assert_eq!(
            parse_bsd(b"Jul  7 08:06:15 combo").map(|(t, _)| t.day),
            Some(7)
        );
        assert_eq!(parse_bsd(b"Jul 7 08:06:15").map(|(t, _)| t.day), Some(7));
        assert_eq!(
            parse_bsd(b"Jul 07 2024 08:06:15 x").map(|(t, _)| t.year),
            Some(Some(2024))
        );
        assert_eq!(
            parse_bsd(b"Jul 07 08:06:15.250 x").map(|(t, _)| t.nanos),
            Some(250_000_000)
        );
        assert_eq!(parse_bsd(b"Jux 07 08:06:15"), None);
        assert_eq!(parse_bsd(b"Jul 07 08:06:15x"), None);
        assert_eq!(parse_bsd(b"Jul 07 08:06"), None);
        assert_eq!(parse_bsd(b"Jul"), None);
    }

    #[test]
    fn year_rollover() {
        let received = utc("2026-01-01T00:10:00Z");
        let t = resolve_bsd(&bsd("Dec 31 23:59:59"), zero(), received);
        assert_eq!(t, Some(utc("2025-12-31T23:59:59Z")));
        // Slightly in the future (clock skew) stays in the current year.
        let t = resolve_bsd(&bsd("Jan  1 00:15:00"), zero(), received);
        assert_eq!(t, Some(utc("2026-01-01T00:15:00Z")));
        // A January message received late December (sender clock ahead) is next year.
        let t = resolve_bsd(&bsd("Jan  2 00:00:00"), zero(), utc("2025-12-31T12:00:00Z"));
        assert_eq!(t, Some(utc("2026-01-02T00:00:00Z")));
        // Months old messages (replayed files) stay in the past.
        let t = resolve_bsd(&bsd("Jun 14 15:16:01"), zero(), utc("2005-08-01T00:00:00Z"));
        assert_eq!(t, Some(utc("2005-06-14T15:16:01Z")));
        let t = resolve_bsd(&bsd("Dec 10 06:55:46"), zero(), utc("2017-03-01T00:00:00Z"));
        assert_eq!(t, Some(utc("2016-12-10T06:55:46Z")));
    }

    #[test]
    fn leap_day_and_offsets() {
        let t = resolve_bsd(&bsd("Feb 29 12:00:00"), zero(), utc("2026-03-05T00:00:00Z"));
        assert_eq!(t, Some(utc("2024-02-29T12:00:00Z")));
        let plus2 = FixedOffset::east_opt(7200).unwrap_or_else(zero);
        let t = resolve_bsd(&bsd("Jan  1 01:00:00"), plus2, utc("2026-01-01T00:00:00Z"));
        assert_eq!(t, Some(utc("2025-12-31T23:00:00Z")));
        assert_eq!(
            resolve_bsd(&bsd("Feb 30 12:00:00"), zero(), utc("2026-03-05T00:00:00Z")),
            None
        );
    }

    #[test]
    fn iso_and_epoch() {
        assert_eq!(
            parse_iso8601("2026-01-02T03:04:05.5+01:00", None),
            Some(utc("2026-01-02T02:04:05.5Z"))
        );
        assert_eq!(
            parse_iso8601("2026-01-02T03:04:05", None),
            Some(utc("2026-01-02T03:04:05Z"))
        );
        let plus1 = FixedOffset::east_opt(3600).unwrap_or_else(zero);
        assert_eq!(
            parse_iso8601("2026-01-02 03:04:05", Some(plus1)),
            Some(utc("2026-01-02T02:04:05Z"))
        );
        assert_eq!(parse_iso8601("2026-13-02T03:04:05Z", None), None);
        assert_eq!(from_epoch(f64::NAN), None);
        assert_eq!(from_epoch(1e300), None);
    }
}
