//! Every kind of tampering, done by editing the files on disk, is found by `verify` with the
//! right kind and index.

mod common;

use std::path::Path;

use common::*;
use vigil_journal::checkpoint::{log_entry, Checkpoint, NoteSigner, LOG_FILE, PRIVATE_KEY_FILE};
use vigil_journal::{JournalError, JournalOptions, Tamper, TamperKind};

fn failure(dir: &Path) -> Tamper {
    let report = verify(dir);
    match report.failure {
        Some(t) => t,
        None => panic!("tampering not detected: {report:?}"),
    }
}

fn opts() -> JournalOptions {
    JournalOptions {
        fsync: false,
        ..JournalOptions::default()
    }
}

#[test]
fn intact_journal_verifies() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 12, 40, 3, small_segments());
    let mut calls = Vec::new();
    let report = vigil_journal::verify(dir.path(), None, &mut |n| calls.push(n)).unwrap();
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert!(report.torn_tail.is_none());
    assert_eq!(report.records_checked, 480);
    assert_eq!(report.checkpoints_checked, 4);
    assert_eq!(calls.last(), Some(&480));
    assert!(calls.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn flipped_byte_in_a_frame_is_modified_with_its_first_record() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 6, 10, 1, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (_, frames) = read_segment(&seg);
    let f = &frames[3];
    flip_byte(&seg, f.offset + f.len - 7);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Modified, 30));
    assert_eq!(t.event_id, Some(id(30)));
    assert_eq!(t.kind.to_string(), "modified");
}

#[test]
fn every_flipped_byte_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let opts = JournalOptions {
        segment_max_bytes: 1024,
        ..opts()
    };
    build(dir.path(), 8, 3, 1, opts);
    assert!(segments(dir.path()).len() >= 2);
    for seg in segments(dir.path()) {
        let (first, frames) = read_segment(&seg);
        let len = std::fs::metadata(&seg).unwrap().len();
        let original = std::fs::read(&seg).unwrap();
        for at in 0..len {
            flip_byte(&seg, at);
            let report = verify(dir.path());
            std::fs::write(&seg, &original).unwrap();
            let t = report
                .failure
                .unwrap_or_else(|| panic!("flip at byte {at} of {} not detected", seg.display()));
            let frame = frames
                .iter()
                .find(|f| f.offset <= at && at < f.offset + f.len);
            let want = frame.map_or(first, |f| f.header.first_seq);
            assert_eq!(
                (t.kind, t.index),
                (TamperKind::Modified, want),
                "flip at byte {at} of {}: {t}",
                seg.display()
            );
            if let Some(f) = frame {
                assert_eq!(
                    t.event_id.as_deref(),
                    f.header.first_event_id.as_deref(),
                    "flip at byte {at}: {t}"
                );
            }
        }
    }
}

#[test]
fn deleted_record_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5, 10, 1, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (first, frames) = read_segment(&seg);
    let mut rewritten = as_frames(&frames);
    rewritten[2].1.remove(4); // record 24
    write_segment(&seg, first, &rewritten);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Missing, 24), "{t}");
}

#[test]
fn deleted_last_record_of_a_frame_and_whole_frame_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5, 10, 1, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (first, frames) = read_segment(&seg);
    let original = std::fs::read(&seg).unwrap();

    let mut rewritten = as_frames(&frames);
    rewritten[1].1.pop(); // record 19
    write_segment(&seg, first, &rewritten);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Missing, 19), "{t}");

    std::fs::write(&seg, &original).unwrap();
    let mut rewritten = as_frames(&frames);
    rewritten.remove(2); // records 20..30
    write_segment(&seg, first, &rewritten);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Missing, 20), "{t}");
}

#[test]
fn deleted_segment_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 20, 10, 2, small_segments());
    let segs = segments(dir.path());
    assert!(segs.len() >= 3);
    let (first, _) = read_segment(&segs[1]);
    std::fs::remove_file(&segs[1]).unwrap();
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Missing, first), "{t}");
}

#[test]
fn swapped_records_are_reordered() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5, 10, 1, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (first, frames) = read_segment(&seg);
    let mut rewritten = as_frames(&frames);
    rewritten[3].1.swap(2, 6); // records 32 and 36
    write_segment(&seg, first, &rewritten);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Reordered, 32), "{t}");
    assert_eq!(t.event_id, Some(id(32)));
}

#[test]
fn swapped_frames_are_reordered() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5, 10, 1, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (first, frames) = read_segment(&seg);
    let mut rewritten = as_frames(&frames);
    rewritten.swap(1, 2);
    write_segment(&seg, first, &rewritten);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Reordered, 10), "{t}");
    assert_eq!(t.event_id, Some(id(10)));
}

#[test]
fn swapped_and_renumbered_records_break_the_signed_root() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 6, 10, 2, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (first, frames) = read_segment(&seg);
    let mut rewritten = as_frames(&frames);
    // Swap the contents of records 45 and 47 but keep the numbering consistent.
    let recs = &mut rewritten[4].1;
    let a = recs[5].1.clone();
    recs[5].1 = recs[7].1.clone();
    recs[7].1 = a;
    write_segment(&seg, first, &rewritten);
    let t = failure(dir.path());
    // Checkpoints at 20, 40, 60: the range 40..60 no longer matches.
    assert_eq!((t.kind, t.index), (TamperKind::Modified, 40), "{t}");
    assert!(t.detail.contains("40..60"), "{t}");
}

#[test]
fn edited_record_with_fixed_checksums_breaks_the_signed_root() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 6, 10, 3, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (first, frames) = read_segment(&seg);
    let mut rewritten = as_frames(&frames);
    rewritten[1].1[3].1 = br#"{"event":{"id":"ev-000013"},"message":"nothing happened"}"#.to_vec();
    write_segment(&seg, first, &rewritten);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Modified, 0), "{t}");
    assert!(t.detail.contains("0..30"), "{t}");
}

#[test]
fn truncation_below_the_last_checkpoint() {
    // Cut in the middle of a frame.
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5, 10, 1, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let (_, frames) = read_segment(&seg);
    truncate(&seg, frames[3].offset + 20);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Truncated, 30), "{t}");
    assert_eq!(t.kind.to_string(), "truncated");

    // Cut exactly at a frame boundary.
    truncate(&seg, frames[2].offset);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Truncated, 20), "{t}");

    // Newest segments deleted.
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 20, 10, 2, small_segments());
    let segs = segments(dir.path());
    let (first, _) = read_segment(&segs[segs.len() - 2]);
    std::fs::remove_file(&segs[segs.len() - 1]).unwrap();
    std::fs::remove_file(&segs[segs.len() - 2]).unwrap();
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Truncated, first), "{t}");

    // Everything deleted.
    std::fs::remove_dir_all(dir.path().join("segments")).unwrap();
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Truncated, 0), "{t}");
}

/// Rewrites the `n`th (0-based) checkpoint in the log with `edit` applied to its note.
fn edit_log_entry(dir: &Path, n: usize, edit: impl Fn(&str) -> String) {
    let cps = vigil_journal::checkpoint::read_checkpoints(dir).unwrap();
    let mut bytes = Vec::new();
    for (i, cp) in cps.iter().enumerate() {
        let note = if i == n {
            edit(&cp.note)
        } else {
            cp.note.clone()
        };
        bytes.extend(log_entry(&note));
    }
    std::fs::write(dir.join(LOG_FILE), bytes).unwrap();
}

#[test]
fn edited_checkpoint_size_or_root_is_a_bad_signature() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 4, 10, 1, opts());
    let original = std::fs::read(dir.path().join(LOG_FILE)).unwrap();

    edit_log_entry(dir.path(), 1, |n| n.replacen("\n20\n", "\n21\n", 1));
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::BadSignature, 21), "{t}");
    assert_eq!(t.kind.to_string(), "bad signature");

    std::fs::write(dir.path().join(LOG_FILE), &original).unwrap();
    edit_log_entry(dir.path(), 2, |n| {
        let mut lines: Vec<String> = n.split('\n').map(str::to_string).collect();
        lines[2] = lines[2].replacen(|c: char| c.is_ascii_alphabetic(), "A", 1);
        if lines[2] == n.split('\n').nth(2).unwrap() {
            lines[2] = lines[2].replacen('A', "B", 1);
        }
        lines.join("\n")
    });
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::BadSignature, 30), "{t}");

    // The latest checkpoint file edited.
    std::fs::write(dir.path().join(LOG_FILE), &original).unwrap();
    let latest = dir.path().join("checkpoint");
    let note = std::fs::read_to_string(&latest).unwrap();
    std::fs::write(&latest, note.replacen("\n40\n", "\n41\n", 1)).unwrap();
    let t = failure(dir.path());
    assert_eq!(t.kind, TamperKind::BadSignature, "{t}");
}

#[test]
fn replaced_key_or_foreign_checkpoint_is_a_bad_signature() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3, 10, 1, opts());
    let pub_path = dir.path().join("keys").join("checkpoint.pub");
    let original_pub = std::fs::read(&pub_path).unwrap();
    let intruder = NoteSigner::from_seed("vigil.local/journal", [42u8; 32]).unwrap();

    // The exported public key replaced by another one.
    std::fs::write(
        &pub_path,
        format!("{}\n", intruder.verifier().to_key_string()),
    )
    .unwrap();
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::BadSignature, 10), "{t}");
    std::fs::write(&pub_path, &original_pub).unwrap();

    // A checkpoint signed with another key appended to the log.
    let cps = vigil_journal::checkpoint::read_checkpoints(dir.path()).unwrap();
    let last = cps.last().unwrap();
    let forged = intruder
        .sign(&Checkpoint::body(
            "vigil.local/journal",
            last.size,
            &last.root,
            time(500),
        ))
        .unwrap();
    let mut log = std::fs::read(dir.path().join(LOG_FILE)).unwrap();
    let clean_log = log.clone();
    log.extend(log_entry(&forged));
    std::fs::write(dir.path().join(LOG_FILE), &log).unwrap();
    let t = failure(dir.path());
    assert_eq!(t.kind, TamperKind::BadSignature, "{t}");
    std::fs::write(dir.path().join(LOG_FILE), &clean_log).unwrap();
    assert!(verify(dir.path()).failure.is_none());

    // Verifying against an explicitly given, different key.
    let other_key = dir.path().join("other.pub");
    std::fs::write(&other_key, intruder.verifier().to_key_string()).unwrap();
    let report = vigil_journal::verify(dir.path(), Some(&other_key), &mut |_| {}).unwrap();
    assert_eq!(
        report.failure.map(|t| t.kind),
        Some(TamperKind::BadSignature)
    );
}

#[test]
fn validly_signed_checkpoint_with_a_wrong_root_names_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = build(dir.path(), 3, 10, 1, opts());
    j.append(&refs(&batch(30, 10))).unwrap();
    drop(j);
    // Someone holding the key signs a checkpoint of size 40 over a different history.
    let key = std::fs::read_to_string(dir.path().join("keys").join(PRIVATE_KEY_FILE)).unwrap();
    let signer = NoteSigner::parse(&key).unwrap();
    let forged = signer
        .sign(&Checkpoint::body(
            "vigil.local/journal",
            40,
            &[7u8; 32],
            time(600),
        ))
        .unwrap();
    let mut log = std::fs::read(dir.path().join(LOG_FILE)).unwrap();
    log.extend(log_entry(&forged));
    std::fs::write(dir.path().join(LOG_FILE), &log).unwrap();
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Modified, 30), "{t}");
    assert!(t.detail.contains("30..40"), "{t}");
}

#[test]
fn inconsistent_checkpoint_files_are_bad_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 4, 10, 1, opts());
    let log_path = dir.path().join(LOG_FILE);
    let original = std::fs::read(&log_path).unwrap();
    let cps = vigil_journal::checkpoint::read_checkpoints(dir.path()).unwrap();

    // An old checkpoint replayed at the end: sizes go backwards.
    let mut log = original.clone();
    log.extend(log_entry(&cps[1].note));
    std::fs::write(&log_path, &log).unwrap();
    let t = failure(dir.path());
    assert_eq!(t.kind, TamperKind::BadCheckpoint, "{t}");
    assert_eq!(t.kind.to_string(), "bad checkpoint");

    // The log cut back: the latest checkpoint file is not in it any more.
    let mut log = Vec::new();
    for cp in &cps[..2] {
        log.extend(log_entry(&cp.note));
    }
    std::fs::write(&log_path, &log).unwrap();
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::BadCheckpoint, 40), "{t}");

    // Garbage in the middle of the log.
    let mut log = original.clone();
    log[10] ^= 0xff;
    std::fs::write(&log_path, &log).unwrap();
    let t = failure(dir.path());
    assert_eq!(t.kind, TamperKind::BadCheckpoint, "{t}");

    // A torn last log entry is not tampering.
    std::fs::write(&log_path, &original).unwrap();
    let mut log = original.clone();
    log.extend(&log_entry(&cps[3].note)[..30]);
    std::fs::write(&log_path, &log).unwrap();
    assert!(verify(dir.path()).failure.is_none());
}

#[test]
fn a_damaged_tail_covered_by_a_checkpoint_is_tampering() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3, 10, 1, opts());
    let seg = segments(dir.path()).pop().unwrap();
    let len = std::fs::metadata(&seg).unwrap().len();
    flip_byte(&seg, len - 3);
    let t = failure(dir.path());
    assert_eq!((t.kind, t.index), (TamperKind::Modified, 20), "{t}");
    assert_eq!(t.event_id, Some(id(20)));
}

#[test]
fn unusable_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        vigil_journal::verify(&dir.path().join("none"), None, &mut |_| {}),
        Err(JournalError::NotFound(_))
    ));
    assert!(matches!(
        vigil_journal::verify(dir.path(), None, &mut |_| {}),
        Err(JournalError::NotFound(_))
    ));
    build(dir.path(), 2, 5, 1, opts());
    std::fs::remove_file(dir.path().join("keys").join("checkpoint.pub")).unwrap();
    assert!(matches!(
        vigil_journal::verify(dir.path(), None, &mut |_| {}),
        Err(JournalError::NoKey(_))
    ));
    let bad_key = dir.path().join("bad.pub");
    std::fs::write(&bad_key, "not a key").unwrap();
    assert!(matches!(
        vigil_journal::verify(dir.path(), Some(&bad_key), &mut |_| {}),
        Err(JournalError::BadKey { .. })
    ));
}

#[test]
fn verify_while_the_writer_runs_reports_no_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut j = vigil_journal::Journal::open(&path, small_segments()).unwrap();
    j.append(&refs(&batch(0, 10))).unwrap();
    j.checkpoint(time(0)).unwrap();
    let writer = std::thread::spawn(move || {
        for b in 1..400u64 {
            j.append(&refs(&batch(b * 10, 10))).unwrap();
            if b % 3 == 0 {
                j.checkpoint(time(b as i64)).unwrap();
            }
        }
    });
    let mut runs = 0;
    while !writer.is_finished() || runs == 0 {
        let report = verify(&path);
        assert!(report.failure.is_none(), "run {runs}: {:?}", report.failure);
        runs += 1;
    }
    writer.join().unwrap();
    let report = verify(&path);
    assert!(
        report.failure.is_none() && report.torn_tail.is_none(),
        "{report:?}"
    );
    assert_eq!(report.records_checked, 4000);
}
