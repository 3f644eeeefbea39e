//! Shared checks for the fuzz targets (included with `#[path]`, not a target itself).
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use vigil_core::Event;
use vigil_parse::ParseContext;

/// A fixed parse context, so a crash reproduces whatever the clock says.
pub fn ctx() -> ParseContext {
    ParseContext::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap())
}

/// What the journal does with every event: canonical bytes, read back, written again
/// identically.
pub fn check_event(event: &Event) {
    let bytes = event.to_canonical_bytes();
    let back = Event::from_canonical_bytes(&bytes).expect("canonical bytes must read back");
    assert_eq!(back.to_canonical_bytes(), bytes, "canonical bytes must be stable");
}

/// Splits `data` into chunks whose sizes come from `sizes` (cycled; 0 means 1).
pub fn chunks<'a>(data: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut n = 0;
    while !rest.is_empty() {
        let size = if sizes.is_empty() {
            rest.len()
        } else {
            usize::from(sizes[n % sizes.len()]).max(1)
        };
        let (head, tail) = rest.split_at(size.min(rest.len()));
        out.push(head);
        rest = tail;
        n += 1;
    }
    out
}
