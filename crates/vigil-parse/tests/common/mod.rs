//! Helpers shared by the integration tests: the sample data location, a UTC context,
//! a tiny CSV reader for loghub's structured files.

#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Utc};
use vigil_core::Event;
use vigil_parse::ParseContext;

/// `$VIGIL_TEST_DATA`, default `../../../shared/data` from the crate directory.
pub fn data_dir() -> PathBuf {
    std::env::var_os("VIGIL_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Reads a sample file under the data directory; a missing file fails the test loudly.
pub fn read_data(relative: &str) -> Vec<u8> {
    let path = data_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "test data {} unreadable ({e}); set VIGIL_TEST_DATA to the shared data directory",
            path.display()
        )
    })
}

/// The non-empty lines of a file, line endings kept (the parser strips them).
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|b| *b == b'\n')
        .filter(|l| !l.iter().all(|b| matches!(b, b'\r' | b'\n')))
        .collect()
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("bad test timestamp {s}: {e}"))
}

/// A context received at `received` (RFC 3339), zone-less timestamps in UTC.
pub fn ctx(received: &str) -> ParseContext {
    ParseContext::new(utc(received))
}

/// A context received at `received` with zone-less timestamps at `offset_secs` east of UTC.
pub fn ctx_offset(received: &str, offset_secs: i32) -> ParseContext {
    let offset = FixedOffset::east_opt(offset_secs).unwrap_or_else(|| panic!("bad offset"));
    ctx(received).with_offset(offset)
}

/// Splits one CSV record (RFC 4180 quoting; no embedded newlines in loghub files).
pub fn csv_record(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches(['\r', '\n']).chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A string field, for concise assertions.
pub fn s<'a>(event: &'a Event, path: &str) -> Option<&'a str> {
    event.get_str(path)
}
