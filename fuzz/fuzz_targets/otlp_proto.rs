//! OTLP/HTTP logs, binary protobuf: decode an `ExportLogsServiceRequest` and map it to events.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_server::otlp::{convert_request, decode_request, Encoding};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = decode_request(data, Encoding::Protobuf) {
        let converted = convert_request(request, &common::ctx(), 64 * 1024);
        for event in &converted.events {
            common::check_event(event);
        }
    }
});
