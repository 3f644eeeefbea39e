//! Elasticsearch `_bulk` bodies: action/source line pairing and the `_bulk` answer, which
//! must always be valid JSON. Input: byte 0 picks the URL index and line limit.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_server::shippers::fuzzing::bulk_body;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let url_index = (selector & 1 == 1).then_some("logs-url");
    let max_line = if selector & 2 == 2 { 64 } else { 1 << 20 };
    if let Ok((events, answer)) = bulk_body(body, url_index, max_line) {
        for event in &events {
            common::check_event(event);
        }
        let parsed: serde_json::Value =
            serde_json::from_str(&answer).expect("the _bulk answer must be JSON");
        assert!(parsed["items"].is_array());
    }
});
