//! Linux audit records: each line through `auditd::parse` and `parse_line`, then the batch
//! through `join_audit_records` (records sharing `auditd.sequence` merged), and the whole
//! input as one multi-line event (`auditd::parse_joined`, `parse_line` on the joined text,
//! as a file source with `join = "auditd"` hands it over), with the stamp helpers.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let ctx = common::ctx();
    let mut events = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        let text = String::from_utf8_lossy(line);
        if let Some(event) = vigil_parse::auditd::parse(&text) {
            common::check_event(&event);
            events.push(event);
        }
        events.push(vigil_parse::parse_line(line, &ctx));
    }
    let joined = vigil_parse::join_audit_records(&events);
    assert!(joined.len() <= events.len());
    for event in &joined {
        common::check_event(event);
    }
    for line in data.split(|&b| b == b'\n') {
        if let Some(stamp) = vigil_parse::auditd::record_stamp(line) {
            assert!(stamp.len() <= 64);
        }
        let _ = vigil_parse::auditd::is_end_of_event(line);
    }
    let text = String::from_utf8_lossy(data);
    if let Some(event) = vigil_parse::auditd::parse_joined(&text) {
        common::check_event(&event);
    }
    common::check_event(&vigil_parse::parse_line(data, &ctx));
});
