//! HTTP ingest bodies: gzip/identity decoding with a size limit, then NDJSON splitting.
//! Input: byte 0 picks the Content-Encoding, the rest is the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_ingest::body::{decode_body, parse_ndjson};

#[path = "common.rs"]
mod common;

const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, raw)) = data.split_first() else {
        return;
    };
    let encoding = match selector % 4 {
        0 => None,
        1 => Some("gzip"),
        2 => Some("identity"),
        _ => Some(" X-GZIP "),
    };
    if let Ok(body) = decode_body(raw, encoding, LIMIT) {
        assert!(body.len() <= LIMIT);
        let (events, _rejections) = parse_ndjson(&body, &common::ctx(), 64 * 1024);
        for event in &events {
            common::check_event(event);
        }
    }
});
