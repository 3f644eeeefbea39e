//! Shared helpers: building journals, and reading and rewriting segment files the way an
//! attacker with write access to the disk would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vigil_journal::frame::{
    self, encode_frame_records, encode_segment_header, FrameHeader, SEGMENT_HEADER_LEN,
};
use vigil_journal::{Journal, JournalOptions, VerifyReport};

pub fn event(i: u64) -> Vec<u8> {
    format!(
        r#"{{"event":{{"id":"ev-{i:06}","kind":"event"}},"host":{{"name":"web-{}"}},"message":"user admin{} failed login from 203.0.113.{}"}}"#,
        i % 7,
        i % 13,
        i % 251
    )
    .into_bytes()
}

pub fn id(i: u64) -> String {
    format!("ev-{i:06}")
}

pub fn batch(from: u64, n: u64) -> Vec<Vec<u8>> {
    (from..from + n).map(event).collect()
}

pub fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
    v.iter().map(Vec::as_slice).collect()
}

pub fn time(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0).expect("valid time")
}

/// A journal of `batches` frames of `per_batch` events each, checkpointed after every
/// `cp_every` batches and at the end.
pub fn build(
    dir: &Path,
    batches: u64,
    per_batch: u64,
    cp_every: u64,
    opts: JournalOptions,
) -> Journal {
    let mut j = Journal::open(dir, opts).expect("open");
    for b in 0..batches {
        let events = batch(b * per_batch, per_batch);
        assert_eq!(j.append(&refs(&events)).expect("append"), b * per_batch);
        if (b + 1) % cp_every == 0 {
            j.checkpoint(time(b as i64)).expect("checkpoint");
        }
    }
    j.checkpoint(time(batches as i64)).expect("checkpoint");
    j
}

pub fn small_segments() -> JournalOptions {
    JournalOptions {
        segment_max_bytes: 2048,
        fsync: false,
        ..JournalOptions::default()
    }
}

pub fn verify(dir: &Path) -> VerifyReport {
    vigil_journal::verify(dir, None, &mut |_| {}).expect("verify runs")
}

pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("segments"))
        .expect("segments dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

/// One frame of a segment file as stored.
#[derive(Debug, Clone)]
pub struct StoredFrame {
    pub offset: u64,
    pub len: u64,
    pub header: FrameHeader,
    pub records: Vec<(u64, Vec<u8>)>,
}

pub fn read_segment(path: &Path) -> (u64, Vec<StoredFrame>) {
    let bytes = std::fs::read(path).expect("read segment");
    let first = frame::parse_segment_header(&bytes).expect("segment header");
    let mut frames = Vec::new();
    let mut at = SEGMENT_HEADER_LEN;
    while at < bytes.len() {
        let header = FrameHeader::parse(&bytes[at..]).expect("frame header");
        let end = at + header.frame_len() as usize;
        let raw = header
            .decode_payload(&bytes[at + header.header_len()..end])
            .expect("payload");
        let records = frame::records(&raw)
            .map(|r| r.map(|(s, d)| (s, d.to_vec())))
            .collect::<Result<Vec<_>, _>>()
            .expect("records");
        frames.push(StoredFrame {
            offset: at as u64,
            len: header.frame_len(),
            header,
            records,
        });
        at = end;
    }
    (first, frames)
}

/// A frame to write: the first sequence number its header names, and its `(seq, bytes)` records.
pub type FrameSpec = (u64, Vec<(u64, Vec<u8>)>);

/// Rewrites a segment from `(header first seq, records)` frames, with valid checksums.
pub fn write_segment(path: &Path, first_seq: u64, frames: &[FrameSpec]) {
    let mut bytes = encode_segment_header(first_seq).to_vec();
    for (first, records) in frames {
        let recs: Vec<(u64, &[u8])> = records.iter().map(|(s, d)| (*s, d.as_slice())).collect();
        bytes.extend(encode_frame_records(*first, &recs).expect("encode"));
    }
    std::fs::write(path, bytes).expect("write segment");
}

pub fn as_frames(frames: &[StoredFrame]) -> Vec<FrameSpec> {
    frames
        .iter()
        .map(|f| (f.header.first_seq, f.records.clone()))
        .collect()
}

pub fn flip_byte(path: &Path, at: u64) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at as usize] ^= 0x20;
    std::fs::write(path, bytes).expect("write");
}

pub fn truncate(path: &Path, len: u64) {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    f.set_len(len).expect("truncate");
}

pub fn append_bytes(path: &Path, extra: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    f.write_all(extra).expect("append");
}

/// A snapshot of every file under `dir` (path, bytes), to prove read-only access.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let b = std::fs::read(&p).expect("read");
                out.push((p, b));
            }
        }
    }
    out.sort();
    out
}
