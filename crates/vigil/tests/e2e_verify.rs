//! `vigil verify` on a data directory a real server wrote: intact gives exit 0; each kind
//! of tampering gives exit 1 and names the first bad record; unusable input gives exit 2.

mod common;

use common::{stdout, vigil, Server};
use serde_json::json;
use std::path::{Path, PathBuf};
use vigil_journal::frame::{self, FrameHeader, SEGMENT_HEADER_LEN};

const BATCHES: u64 = 4;
const PER_BATCH: u64 = 50;

/// A data directory with 4 frames of 50 events each (each HTTP batch is acknowledged before
/// the next is sent, so each is its own journal frame).
fn written_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    for b in 0..BATCHES {
        let lines: Vec<String> = (0..PER_BATCH)
            .map(|i| {
                json!({"message": format!("audit record {b}/{i}"), "user.name": "alice"})
                    .to_string()
            })
            .collect();
        server.ingest(&lines);
        // Let a checkpoint cover each batch.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    server.stop();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

fn segment(data: &Path) -> PathBuf {
    let dir = data.join("journal/segments");
    let mut segs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    segs.sort();
    assert_eq!(segs.len(), 1, "expected one segment: {segs:?}");
    segs.remove(0)
}

struct StoredFrame {
    offset: usize,
    len: usize,
    header: FrameHeader,
    records: Vec<(u64, Vec<u8>)>,
}

fn frames(bytes: &[u8]) -> Vec<StoredFrame> {
    let mut out = Vec::new();
    let mut pos = SEGMENT_HEADER_LEN;
    while pos < bytes.len() {
        let header =
            FrameHeader::parse(&bytes[pos..]).unwrap_or_else(|e| panic!("frame at {pos}: {e}"));
        let start = pos + header.header_len();
        let end = start + header.payload_len as usize;
        let raw = header
            .decode_payload(&bytes[start..end])
            .unwrap_or_else(|e| panic!("{e}"));
        let records = frame::record_spans(&raw)
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|s| {
                (
                    s.seq,
                    raw[s.start as usize..(s.start + s.len) as usize].to_vec(),
                )
            })
            .collect();
        out.push(StoredFrame {
            offset: pos,
            len: end - pos,
            header,
            records,
        });
        pos = end;
    }
    out
}

/// Replaces frame `n` of the segment with `records` re-encoded (valid checksums).
fn rewrite_frame(seg: &Path, n: usize, edit: impl FnOnce(&mut Vec<(u64, Vec<u8>)>)) {
    let bytes = std::fs::read(seg).unwrap_or_else(|e| panic!("{e}"));
    let mut all = frames(&bytes);
    let target = &mut all[n];
    edit(&mut target.records);
    let refs: Vec<(u64, &[u8])> = target
        .records
        .iter()
        .map(|(s, b)| (*s, b.as_slice()))
        .collect();
    let encoded = frame::encode_frame_records(target.header.first_seq, &refs)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = bytes[..target.offset].to_vec();
    out.extend_from_slice(&encoded);
    out.extend_from_slice(&bytes[target.offset + target.len..]);
    std::fs::write(seg, out).unwrap_or_else(|e| panic!("{e}"));
}

fn verify(data: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let data = data.display().to_string();
    let mut args = vec!["verify", "--data-dir", &data];
    args.extend_from_slice(extra);
    let out = vigil(&args);
    (
        out.status.code(),
        stdout(&out) + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn verify_detects_every_kind_of_tampering_and_names_the_record() {
    let original = written_data_dir();
    let (code, out) = verify(original.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("records checked:     200"), "{out}");
    assert!(out.contains("intact"), "{out}");
    let seg = segment(original.path());
    let layout = frames(&std::fs::read(&seg).unwrap_or_default());
    assert_eq!(
        layout.len(),
        BATCHES as usize,
        "one frame per acknowledged batch"
    );
    let event_id = |n: usize, i: usize| -> String {
        let record: serde_json::Value =
            serde_json::from_slice(&layout[n].records[i].1).unwrap_or_default();
        record["event"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let case = |name: &str| -> PathBuf {
        let dir = work.path().join(name);
        copy_dir(original.path(), &dir);
        dir
    };

    // A flipped byte in the middle of the third frame: records 100.. are named.
    let dir = case("flip");
    let mut bytes = std::fs::read(segment(&dir)).unwrap_or_default();
    let at = layout[2].offset + layout[2].len / 2;
    bytes[at] ^= 0x40;
    std::fs::write(segment(&dir), bytes).unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("index 100 "), "{out}");
    assert!(out.contains(&event_id(2, 0)), "{out}");
    assert!(out.contains("modified"), "{out}");

    // A record deleted (frame re-encoded with valid checksums): the missing index is named.
    let dir = case("delete");
    rewrite_frame(&segment(&dir), 1, |records| {
        records.remove(7);
    });
    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("index 57 "), "{out}");
    assert!(out.contains("missing"), "{out}");

    // Two records swapped.
    let dir = case("swap");
    rewrite_frame(&segment(&dir), 3, |records| records.swap(3, 4));
    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("index 153 "), "{out}");
    assert!(out.contains("reordered"), "{out}");

    // A record's content changed and re-encoded consistently: the signed roots disagree.
    let dir = case("edit");
    rewrite_frame(&segment(&dir), 0, |records| {
        let text = String::from_utf8_lossy(&records[10].1).replace("alice", "mallory");
        records[10].1 = text.into_bytes();
    });
    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("modified"), "{out}");

    // Truncated below the signed size: the first missing index is named.
    let dir = case("truncate");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(segment(&dir))
        .unwrap_or_else(|e| panic!("{e}"));
    file.set_len(layout[3].offset as u64)
        .unwrap_or_else(|e| panic!("{e}"));
    drop(file);
    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("index 150 "), "{out}");
    assert!(out.contains("truncated"), "{out}");

    // A forged checkpoint key: the checkpoints do not verify against the real public key.
    let other = written_data_dir();
    let dir = case("forged-key");
    std::fs::copy(
        other.path().join("journal/keys/checkpoint.pub"),
        dir.join("journal/keys/checkpoint.pub"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("signature"), "{out}");
    // The same with the genuine journal but someone else's key given explicitly.
    let other_key = other
        .path()
        .join("journal/keys/checkpoint.pub")
        .display()
        .to_string();
    let (code, out) = verify(original.path(), &["--public-key", &other_key]);
    assert_eq!(code, Some(1), "{out}");

    // Unusable input: exit 2.
    let (code, out) = verify(&work.path().join("does-not-exist"), &[]);
    assert_eq!(code, Some(2), "{out}");
}
