//! `vigil_parse::parse_line` (auto-detection over every format) and `parse_syslog` on
//! arbitrary bytes: never panic, always keep the text, and produce journal-safe events.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let ctx = common::ctx();
    let event = vigil_parse::parse_line(data, &ctx);
    common::check_event(&event);
    if !vigil_parse::trim_line_end(data).is_empty() {
        assert!(
            event.get("event.original").is_some() || event.get("message").is_some(),
            "a non-empty line must be kept"
        );
    }
    let event = vigil_parse::parse_syslog(data, &ctx);
    common::check_event(&event);
});
