//! RELP frame decoding in arbitrary chunk splits (frames and errors must not depend on the
//! chunking), plus the `open` offer negotiation for every `open` frame.
//! Input: byte 0 picks the data limit, bytes 1..=4 the chunk sizes, the rest is the stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_ingest::relp::{open_response, FrameError, RelpDecoder, RelpFrame};

#[path = "common.rs"]
mod common;

fn run(max: usize, parts: &[&[u8]]) -> (Vec<RelpFrame>, Option<FrameError>) {
    let mut decoder = RelpDecoder::new(max);
    let mut frames = Vec::new();
    for part in parts {
        decoder.push(part);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let max = match data[0] {
        0 => 128 * 1024,
        n => usize::from(n),
    };
    let stream = &data[5..];
    let whole = run(max, &[stream]);
    let split = run(max, &common::chunks(stream, &data[1..5]));
    assert_eq!(whole, split, "RELP frames depend on the chunking");
    for frame in &whole.0 {
        assert!(frame.data.len() <= max, "data over the limit");
        if frame.command == "open" {
            let _ = open_response(&frame.data);
        }
    }
    // The offers parser on its own, on the raw bytes.
    let _ = open_response(stream);
});
