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

pub(crate) fn month_of(b: &[u8]) -> Option<u32> {
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
pub(crate) fn digits(b: &[u8], pos: &mut usize, min: usize, max: usize) -> Option<u32> {
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
/// hh:mm:ss`, optionally ending with a `:`) at the start of `b`. Returns the timestamp and
/// the bytes consumed; the timestamp must be followed by a space or the end.
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
    // A colon right after the time (`Mar  7 19:06:53: host`, Cisco's `... 2008 19:06:53:`)
    // belongs to the timestamp.
    if b.get(pos) == Some(&b':') && matches!(b.get(pos + 1), None | Some(b' ')) {
        pos += 1;
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
    // The usual case, a line within months of its receipt: the year that puts it within 180
    // days is the answer (any other is at least 365 - 180 days further away).
    if let Some(this_year) = at_year(received_year) {
        let year = match (this_year - received).num_days() {
            d if d > 182 => received_year - 1,
            d if d < -182 => received_year + 1,
            _ => received_year,
        };
        let guess = if year == received_year {
            Some(this_year)
        } else {
            at_year(year)
        };
        if let Some(t) = guess.filter(|t| *t <= limit && (*t - received).num_days().abs() <= 180) {
            return Some(t);
        }
    }
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

/// A zone designator: `Z`, `UTC`, `GMT`, `UT`, `+hh:mm`, `+hhmm`, `+hh`, `GMT+hh:mm`,
/// `UTC-5`, or one of a few common abbreviations (`CET`, `EST`, `PDT` ...).
pub(crate) fn parse_zone(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    let hours = |h: i32| FixedOffset::east_opt(h * 3600);
    match s {
        "Z" | "z" | "UTC" | "GMT" | "UT" => return hours(0),
        "CET" | "BST" | "WAT" => return hours(1),
        "CEST" | "EET" | "SAST" => return hours(2),
        "EEST" | "MSK" => return hours(3),
        "IST" => return FixedOffset::east_opt(5 * 3600 + 1800),
        "JST" | "KST" => return hours(9),
        "AEST" => return hours(10),
        "EST" => return hours(-5),
        "EDT" | "AST" => return hours(-4),
        "CST" => return hours(-6),
        "CDT" => return hours(-5),
        "MST" => return hours(-7),
        "MDT" => return hours(-6),
        "PST" => return hours(-8),
        "PDT" => return hours(-7),
        _ => {}
    }
    let numeric = s
        .strip_prefix("UTC")
        .or_else(|| s.strip_prefix("GMT"))
        .unwrap_or(s);
    numeric_offset(numeric)
}

/// `+hh`, `+h`, `+hhmm` or `+hh:mm` (also `-`).
fn numeric_offset(s: &str) -> Option<FixedOffset> {
    let b = s.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let mut pos = 1;
    let hh = digits(b, &mut pos, 1, 2)?;
    if b.get(pos) == Some(&b':') {
        pos += 1;
    }
    let mm = if pos < b.len() {
        digits(b, &mut pos, 2, 2)?
    } else {
        0
    };
    if pos != b.len() || hh > 23 || mm > 59 {
        return None;
    }
    let seconds = i32::try_from(hh * 3600 + mm * 60).ok()?;
    FixedOffset::east_opt(sign * seconds)
}

/// A device timestamp (CEF `rt`, LEEF `devTime` without a format): epoch milliseconds
/// (or seconds), `MMM dd [yyyy] HH:mm:ss[.SSS][ zone]` (year inferred when absent), or
/// ISO 8601. Zone-less forms are in `offset`.
pub(crate) fn parse_device_time(
    s: &str,
    offset: FixedOffset,
    received: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    if b.len() <= 20 && b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return s.parse::<f64>().ok().and_then(from_epoch);
    }
    if let Some((ts, len)) = parse_bsd(b) {
        let rest = s.get(len..).unwrap_or("").trim();
        let offset = if rest.is_empty() {
            offset
        } else {
            parse_zone(rest)?
        };
        return resolve_bsd(&ts, offset, received);
    }
    parse_iso8601(s, Some(offset))
}

/// Parses `value` with a Java `SimpleDateFormat` pattern (LEEF `devTimeFormat`, e.g.
/// `MMM dd yyyy HH:mm:ss.SSS zzz`, `yyyy-MM-dd'T'HH:mm:ssXXX`, `dd/MM/yyyy HH:mm:ss`).
/// Letters understood: y M d H k h K m s S a E z Z X (others are skipped as numbers or
/// words). Without a zone in the value, `offset` applies; without a year, it is inferred.
pub(crate) fn parse_java_pattern(
    value: &str,
    pattern: &str,
    offset: FixedOffset,
    received: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let v = value.trim().as_bytes();
    let p = pattern.as_bytes();
    let mut vp = 0;
    let mut pp = 0;
    let (mut year, mut month, mut day) = (None, None, None);
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0);
    let mut pm: Option<bool> = None;
    let mut zone: Option<FixedOffset> = None;
    while pp < p.len() {
        let c = p[pp];
        if c == b'\'' {
            // Quoted literal; '' is a quote.
            pp += 1;
            if p.get(pp) == Some(&b'\'') {
                (v.get(vp) == Some(&b'\'')).then_some(())?;
                vp += 1;
                pp += 1;
                continue;
            }
            while pp < p.len() && p[pp] != b'\'' {
                (v.get(vp) == Some(&p[pp])).then_some(())?;
                vp += 1;
                pp += 1;
            }
            pp += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            if c == b' ' {
                while v.get(vp) == Some(&b' ') {
                    vp += 1;
                }
            } else {
                (v.get(vp) == Some(&c)).then_some(())?;
                vp += 1;
            }
            pp += 1;
            continue;
        }
        let start = pp;
        while pp < p.len() && p[pp] == c {
            pp += 1;
        }
        let n = pp - start;
        match c {
            b'y' | b'u' if n == 2 => {
                year = Some(2000 + i32::try_from(digits(v, &mut vp, 2, 2)?).ok()?);
            }
            b'y' | b'u' => year = Some(i32::try_from(digits(v, &mut vp, 1, 4)?).ok()?),
            b'M' | b'L' if n >= 3 => {
                month = Some(month_of(v.get(vp..)?)?);
                while v.get(vp).is_some_and(u8::is_ascii_alphabetic) {
                    vp += 1;
                }
            }
            b'M' | b'L' => month = Some(digits(v, &mut vp, 1, 2)?),
            b'd' => day = Some(digits(v, &mut vp, 1, 2)?),
            b'H' | b'k' => hour = digits(v, &mut vp, 1, 2)? % 24,
            b'h' | b'K' => hour = digits(v, &mut vp, 1, 2)? % 12,
            b'm' => minute = digits(v, &mut vp, 1, 2)?,
            b's' => second = digits(v, &mut vp, 1, 2)?,
            b'S' => {
                let before = vp;
                nanos = fraction_nanos(v, &mut vp);
                (vp > before).then_some(())?;
            }
            b'a' => {
                let word = v.get(vp..vp + 2)?;
                pm = Some(word.eq_ignore_ascii_case(b"pm"));
                vp += 2;
            }
            b'z' | b'Z' | b'X' | b'x' | b'O' => {
                let end = v
                    .get(vp..)?
                    .iter()
                    .position(|b| *b == b' ')
                    .map_or(v.len(), |e| vp + e);
                zone = Some(parse_zone(std::str::from_utf8(v.get(vp..end)?).ok()?)?);
                vp = end;
            }
            _ if v.get(vp).is_some_and(u8::is_ascii_digit) => {
                digits(v, &mut vp, 1, 9)?;
            }
            _ => {
                while v.get(vp).is_some_and(u8::is_ascii_alphabetic) {
                    vp += 1;
                }
            }
        }
    }
    if pm == Some(true) {
        hour += 12;
    }
    let ts = BsdTimestamp {
        month: month?,
        day: day?,
        year,
        hour,
        minute,
        second,
        nanos,
    };
    resolve_bsd(&ts, zone.unwrap_or(offset), received)
}

/// The Common Log Format time `dd/Mmm/yyyy:HH:MM:SS[.frac] +zzzz` at the start of `b`
/// (without brackets); returns the instant and the bytes consumed.
pub(crate) fn parse_clf(b: &[u8]) -> Option<(DateTime<Utc>, usize)> {
    let mut pos = 0;
    let day = digits(b, &mut pos, 2, 2)?;
    (b.get(pos) == Some(&b'/')).then_some(())?;
    let month = month_of(b.get(pos + 1..)?)?;
    pos += 4;
    (b.get(pos) == Some(&b'/')).then_some(())?;
    pos += 1;
    let year = i32::try_from(digits(b, &mut pos, 4, 4)?).ok()?;
    let expect =
        |c: u8, pos: &mut usize| -> Option<()> { (b.get(*pos) == Some(&c)).then(|| *pos += 1) };
    expect(b':', &mut pos)?;
    let hour = digits(b, &mut pos, 2, 2)?;
    expect(b':', &mut pos)?;
    let minute = digits(b, &mut pos, 2, 2)?;
    expect(b':', &mut pos)?;
    let second = digits(b, &mut pos, 2, 2)?;
    let mut nanos = 0;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        nanos = fraction_nanos(b, &mut pos);
    }
    expect(b' ', &mut pos)?;
    let zone_start = pos;
    pos += 1;
    digits(b, &mut pos, 4, 4)?;
    let offset = numeric_offset(std::str::from_utf8(b.get(zone_start..pos)?).ok()?)?;
    let naive =
        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    let t = offset
        .from_local_datetime(&naive)
        .single()?
        .with_timezone(&Utc);
    Some((t, pos))
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

    #[test]
    fn zones_and_device_times() {
        assert_eq!(parse_zone("UTC"), Some(zero()));
        assert_eq!(
            parse_zone("+02:00").map(|o| o.local_minus_utc()),
            Some(7200)
        );
        assert_eq!(
            parse_zone("-0530").map(|o| o.local_minus_utc()),
            Some(-19800)
        );
        assert_eq!(
            parse_zone("GMT+01:00").map(|o| o.local_minus_utc()),
            Some(3600)
        );
        assert_eq!(parse_zone("PDT").map(|o| o.local_minus_utc()), Some(-25200));
        assert_eq!(parse_zone("+25:00"), None);
        assert_eq!(parse_zone("Mars"), None);
        let received = utc("2026-06-01T00:00:00Z");
        assert_eq!(
            parse_device_time("1700000000123", zero(), received),
            Some(utc("2023-11-14T22:13:20.123Z"))
        );
        assert_eq!(
            parse_device_time("Sep 10 2010 16:03:00", zero(), received),
            Some(utc("2010-09-10T16:03:00Z"))
        );
        assert_eq!(
            parse_device_time("Sep 10 2010 16:03:00.250 CEST", zero(), received),
            Some(utc("2010-09-10T14:03:00.250Z"))
        );
        assert_eq!(
            parse_device_time("May 10 16:03:00", zero(), received),
            Some(utc("2026-05-10T16:03:00Z"))
        );
        assert_eq!(
            parse_device_time("2026-01-02T03:04:05+01:00", zero(), received),
            Some(utc("2026-01-02T02:04:05Z"))
        );
        assert_eq!(
            parse_device_time("Sep 10 2010 16:03:00 Mars", zero(), received),
            None
        );
        assert_eq!(parse_device_time("", zero(), received), None);
    }

    #[test]
    fn java_patterns() {
        let received = utc("2026-06-01T00:00:00Z");
        let p = |v: &str, f: &str| parse_java_pattern(v, f, zero(), received);
        assert_eq!(
            p(
                "Jan 05 2026 10:11:12.345 UTC",
                "MMM dd yyyy HH:mm:ss.SSS zzz"
            ),
            Some(utc("2026-01-05T10:11:12.345Z"))
        );
        assert_eq!(
            p("2026-01-05T10:11:12+0200", "yyyy-MM-dd'T'HH:mm:ssZ"),
            Some(utc("2026-01-05T08:11:12Z"))
        );
        assert_eq!(
            p("05/01/26 01:02:03 PM", "dd/MM/yy hh:mm:ss a"),
            Some(utc("2026-01-05T13:02:03Z"))
        );
        assert_eq!(
            p(
                "Mon, 05 January 2026 10:11:12",
                "EEE, dd MMMM yyyy HH:mm:ss"
            ),
            Some(utc("2026-01-05T10:11:12Z"))
        );
        assert_eq!(p("2026-01-05", "yyyy/MM/dd"), None);
        assert_eq!(p("", "yyyy"), None);
    }

    #[test]
    fn clf_times() {
        assert_eq!(
            parse_clf(b"26/Dec/2016:16:16:29 +0200]"),
            Some((utc("2016-12-26T14:16:29Z"), 26))
        );
        assert_eq!(
            parse_clf(b"07/Dec/2016:11:05:07.5 -0100"),
            Some((utc("2016-12-07T12:05:07.5Z"), 28))
        );
        assert_eq!(parse_clf(b"26/Dec/2016:16:16:29"), None);
        assert_eq!(parse_clf(b"26/Dex/2016:16:16:29 +0200"), None);
        assert_eq!(parse_clf(b"31/Feb/2016:16:16:29 +0200"), None);
    }
}
