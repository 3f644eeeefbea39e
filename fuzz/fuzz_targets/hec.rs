//! Splunk HEC bodies: `/services/collector/event` (concatenated JSON envelopes) and
//! `/services/collector/raw` (one log line per line). Input: byte 0 picks the event limit.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_server::shippers::fuzzing::{hec_event_body, hec_raw_body};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let max_event = if selector & 1 == 1 { 64 } else { 1 << 20 };
    if let Ok(events) = hec_event_body(body, max_event) {
        for event in &events {
            common::check_event(event);
        }
    }
    if let Ok(events) = hec_raw_body(body, &common::ctx(), max_event) {
        for event in &events {
            common::check_event(event);
        }
    }
});
