//! RFC 6587 syslog stream framing (octet counting + newline) fed in arbitrary chunk splits:
//! the frames must not depend on how the stream was chunked, and stay within the limit.
//! Input: byte 0 picks the frame limit, bytes 1..=4 the chunk sizes, the rest is the stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_ingest::framing::{Frame, SyslogFramer};

#[path = "common.rs"]
mod common;

fn run(max: usize, parts: &[&[u8]]) -> (Vec<Frame>, u64, u64) {
    let mut framer = SyslogFramer::new(max);
    let mut frames = Vec::new();
    for part in parts {
        frames.extend(framer.push(part));
    }
    frames.extend(framer.finish());
    (frames, framer.discarded_bytes(), framer.truncated_frames())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let max = match data[0] {
        0 => vigil_ingest::framing::DEFAULT_MAX_FRAME,
        n => usize::from(n),
    };
    let stream = &data[5..];
    let whole = run(max, &[stream]);
    let split = run(max, &common::chunks(stream, &data[1..5]));
    let bytes: Vec<&[u8]> = stream.iter().map(std::slice::from_ref).collect();
    let single = run(max, &bytes);
    assert_eq!(whole, split, "frames depend on the chunking");
    assert_eq!(whole, single, "frames depend on the chunking (byte by byte)");
    let mut total = 0;
    for frame in &whole.0 {
        assert!(frame.bytes.len() <= max, "frame over the limit");
        assert!(!frame.bytes.is_empty() || frame.truncated, "empty frame");
        total += frame.bytes.len();
    }
    assert!(total <= stream.len(), "more frame bytes than input");
});
