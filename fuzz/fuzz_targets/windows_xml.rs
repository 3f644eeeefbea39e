//! Rendered Windows Event XML (Security/Sysmon/PowerShell, also what EVTX renders to).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = vigil_parse::windows_xml::looks_like(&text);
    if let Some(record) = vigil_parse::windows_xml::record(&text) {
        let event = vigil_parse::windows::event_from_windows_record(&record);
        common::check_event(&event);
    }
    if let Some(event) = vigil_parse::windows_xml::parse(&text) {
        common::check_event(&event);
    }
});
