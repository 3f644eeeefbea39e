//! Writing, reading back, restarting and crash recovery.

mod common;

use common::*;
use vigil_journal::checkpoint::{NoteVerifier, PRIVATE_KEY_FILE};
use vigil_journal::merkle::{self, CompactTree};
use vigil_journal::{Journal, JournalError, JournalOptions, JournalReader};

#[test]
fn round_trip_append_get_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    assert!(j.is_empty());
    assert_eq!(j.root(), merkle::EMPTY_ROOT);
    assert_eq!(j.append(&[]).unwrap(), 0);
    let reader = j.reader();
    let mut tree = CompactTree::new();
    let mut next = 0;
    for size in [1u64, 5, 100, 3, 1000] {
        let events = batch(next, size);
        assert_eq!(j.append(&refs(&events)).unwrap(), next);
        for e in &events {
            tree.push_data(e);
        }
        next += size;
        assert_eq!(j.len(), next);
        assert_eq!(
            reader.len(),
            next,
            "the reader sees appends made before the call"
        );
        assert_eq!(j.root(), tree.root());
    }
    for i in [0, 1, 5, 6, 105, 108, 1108] {
        assert_eq!(reader.get(i).unwrap(), event(i));
    }
    assert!(matches!(
        reader.get(next),
        Err(JournalError::OutOfRange { .. })
    ));
    let got = reader.get_many(&[1108, 0, 500, 1, 500]).unwrap();
    assert_eq!(
        got,
        vec![event(1108), event(0), event(500), event(1), event(500)]
    );
    let all: Vec<(u64, Vec<u8>)> = reader.scan(0).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len() as u64, next);
    for (i, (seq, bytes)) in all.iter().enumerate() {
        assert_eq!(*seq, i as u64);
        assert_eq!(*bytes, event(i as u64));
    }
    let tail: Vec<u64> = reader.scan(1100).map(|r| r.unwrap().0).collect();
    assert_eq!(tail, (1100..next).collect::<Vec<_>>());
    assert_eq!(reader.scan(next).count(), 0);
    assert_eq!(reader.scan(next + 10).count(), 0);
}

#[test]
fn restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (len, root) = {
        let j = build(dir.path(), 30, 17, 4, small_segments());
        (j.len(), j.root())
    };
    assert!(segments(dir.path()).len() > 3, "small segments roll");
    let mut j = Journal::open(dir.path(), small_segments()).unwrap();
    assert_eq!(j.recovered_bytes(), 0);
    assert_eq!((j.len(), j.root()), (len, root));
    assert_eq!(j.latest_checkpoint().unwrap().size, len);
    let r = j.reader();
    for i in (0..len).step_by(7) {
        assert_eq!(r.get(i).unwrap(), event(i));
    }
    // Appending after a restart continues the same tree.
    let more = batch(len, 10);
    assert_eq!(j.append(&refs(&more)).unwrap(), len);
    let mut tree = CompactTree::new();
    for i in 0..len + 10 {
        tree.push_data(&event(i));
    }
    assert_eq!(j.root(), tree.root());
    j.checkpoint(time(1000)).unwrap().unwrap();
    drop(j);
    let report = verify(dir.path());
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.records_checked, len + 10);
    assert_eq!(report.checkpoints_checked, 30 / 4 + 2);
}

#[test]
fn restart_without_or_with_damaged_state_rehashes() {
    let dir = tempfile::tempdir().unwrap();
    let (len, root) = {
        let j = build(dir.path(), 10, 20, 3, JournalOptions::default());
        (j.len(), j.root())
    };
    std::fs::remove_file(dir.path().join("state")).unwrap();
    let j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    assert_eq!((j.len(), j.root()), (len, root));
    drop(j);
    let state = dir.path().join("state");
    let mut b = std::fs::read(&state).unwrap();
    let last = b.len() - 10;
    b[last] ^= 1;
    std::fs::write(&state, b).unwrap();
    let j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    assert_eq!((j.len(), j.root()), (len, root));
}

#[test]
fn open_without_fsync_and_crash_between_checkpoint_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let opts = JournalOptions {
        fsync: false,
        ..JournalOptions::default()
    };
    let mut j = build(dir.path(), 3, 10, 1, opts.clone());
    let saved_state = std::fs::read(dir.path().join("state")).unwrap();
    j.append(&refs(&batch(30, 5))).unwrap();
    j.checkpoint(time(99)).unwrap().unwrap();
    let root = j.root();
    drop(j);
    // As if the process died after logging the checkpoint but before saving the state.
    std::fs::write(dir.path().join("state"), saved_state).unwrap();
    let j = Journal::open(dir.path(), opts).unwrap();
    assert_eq!((j.len(), j.root()), (35, root));
    assert_eq!(j.latest_checkpoint().unwrap().size, 35);
}

#[test]
fn torn_tail_is_cut_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (len, root) = {
        let j = build(dir.path(), 5, 10, 1, JournalOptions::default());
        (j.len(), j.root())
    };
    // A crash in the middle of writing the next frame: half of it reached the disk.
    let seg = segments(dir.path()).pop().unwrap();
    let size_before = std::fs::metadata(&seg).unwrap().len();
    let next = vigil_journal::frame::encode_frame(len, &refs(&batch(len, 10))).unwrap();
    let torn = &next[..next.len() / 2];
    append_bytes(&seg, torn);

    // verify() on the un-opened journal: a torn tail, not tampering.
    let report = verify(dir.path());
    assert!(report.failure.is_none(), "{:?}", report.failure);
    let t = report.torn_tail.expect("torn tail reported");
    assert_eq!(
        (t.index, t.offset, t.bytes),
        (len, size_before, torn.len() as u64)
    );

    let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    assert_eq!(j.recovered_bytes(), torn.len() as u64);
    assert_eq!((j.len(), j.root()), (len, root));
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), size_before);
    j.append(&refs(&batch(len, 3))).unwrap();
    j.checkpoint(time(77)).unwrap();
    drop(j);
    let report = verify(dir.path());
    assert!(
        report.failure.is_none() && report.torn_tail.is_none(),
        "{report:?}"
    );
}

#[test]
fn torn_tail_variants() {
    // Whole frame written but its payload damaged (the data never reached the disk), and a
    // header cut short: both are cut when no checkpoint covers them.
    for case in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let (len, root) = {
            let j = build(dir.path(), 3, 10, 1, JournalOptions::default());
            (j.len(), j.root())
        };
        let seg = segments(dir.path()).pop().unwrap();
        let mut next = vigil_journal::frame::encode_frame(len, &refs(&batch(len, 10))).unwrap();
        match case {
            0 => {
                let n = next.len();
                next[n - 5..].fill(0);
            }
            1 => next.truncate(20),
            _ => next.iter_mut().for_each(|b| *b = 0),
        }
        append_bytes(&seg, &next);
        let report = verify(dir.path());
        assert!(
            report.failure.is_none(),
            "case {case}: {:?}",
            report.failure
        );
        assert!(report.torn_tail.is_some(), "case {case}");
        let j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
        assert_eq!(j.recovered_bytes(), next.len() as u64, "case {case}");
        assert_eq!((j.len(), j.root()), (len, root));
    }
}

#[test]
fn torn_new_segment_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let len = build(dir.path(), 4, 10, 1, small_segments()).len();
    let path = dir.path().join("segments").join(format!("{len:020}.seg"));
    std::fs::write(
        &path,
        &vigil_journal::frame::encode_segment_header(len)[..10],
    )
    .unwrap();
    let mut j = Journal::open(dir.path(), small_segments()).unwrap();
    assert_eq!(j.recovered_bytes(), 10);
    assert!(!path.exists());
    assert_eq!(j.append(&refs(&batch(len, 5))).unwrap(), len);
    j.checkpoint(time(5)).unwrap();
    drop(j);
    assert!(verify(dir.path()).failure.is_none());
}

#[test]
fn open_refuses_a_journal_behind_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 4, 10, 1, JournalOptions::default());
    let seg = segments(dir.path()).pop().unwrap();
    let (_, frames) = read_segment(&seg);
    let cut = frames.last().unwrap().offset + 10;
    truncate(&seg, cut);
    let before = snapshot(dir.path());
    match Journal::open(dir.path(), JournalOptions::default()) {
        Err(JournalError::BehindCheckpoint {
            len,
            checkpoint_size,
        }) => assert_eq!((len, checkpoint_size), (30, 40)),
        other => panic!("expected BehindCheckpoint, got {other:?}"),
    }
    assert_eq!(
        snapshot(dir.path()),
        before,
        "a refused open changes nothing"
    );
}

#[test]
fn open_refuses_damage_in_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 4, 10, 1, JournalOptions::default());
    let seg = segments(dir.path()).pop().unwrap();
    let (_, frames) = read_segment(&seg);
    flip_byte(&seg, frames[1].offset + 2);
    let before = snapshot(dir.path());
    assert!(matches!(
        Journal::open(dir.path(), JournalOptions::default()),
        Err(JournalError::Corrupt { .. })
    ));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn keys_and_checkpoint_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    assert_eq!(j.checkpoint(time(0)).unwrap(), None, "nothing to sign yet");
    j.append(&refs(&batch(0, 3))).unwrap();
    let cp = j.checkpoint(time(1)).unwrap().expect("a checkpoint");
    assert_eq!(
        j.checkpoint(time(2)).unwrap(),
        None,
        "same size: no new checkpoint"
    );
    assert_eq!(cp.size, 3);
    assert_eq!(cp.root, j.root());
    assert_eq!(cp.time, time(1));

    let pub_line = std::fs::read_to_string(j.public_key_path()).unwrap();
    let verifier = NoteVerifier::parse(pub_line.trim()).unwrap();
    assert_eq!(verifier.name(), "vigil.local/journal");
    assert!(pub_line.starts_with(&format!("vigil.local/journal+{:08x}+", verifier.id())));
    let text = verifier.verify(&cp.note).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(cp.root);
    assert_eq!(
        text,
        format!("vigil.local/journal\n3\n{b64}\ntime 2023-11-14T22:13:21Z\n")
    );
    let sig_line = cp.note.lines().last().unwrap();
    assert!(sig_line.starts_with("\u{2014} vigil.local/journal "));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("checkpoint")).unwrap(),
        cp.note
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys").join(PRIVATE_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let all = vigil_journal::checkpoint::read_checkpoints(dir.path()).unwrap();
    assert_eq!(all, vec![cp.clone()]);
    // The same key is used after a restart.
    drop(j);
    let j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    assert_eq!(j.verifier(), verifier);
    assert_eq!(j.latest_checkpoint(), Some(&cp));
}

#[test]
fn external_reader_is_read_only_and_refreshes() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = build(dir.path(), 6, 25, 2, small_segments());
    let before = snapshot(dir.path());
    let r = JournalReader::open(dir.path()).unwrap();
    assert_eq!(r.len(), 150);
    assert_eq!(r.get(149).unwrap(), event(149));
    let n = r.scan(0).filter(|x| x.is_ok()).count();
    assert_eq!(n, 150);
    assert_eq!(
        snapshot(dir.path()),
        before,
        "opening and reading modifies nothing"
    );

    for k in 0..5 {
        j.append(&refs(&batch(150 + k * 20, 20))).unwrap();
    }
    assert_eq!(r.len(), 150, "a separate reader is a snapshot");
    assert_eq!(r.refresh().unwrap(), 250);
    assert_eq!(r.get(249).unwrap(), event(249));
    // A frame half written by the writer is not visible yet.
    let seg = segments(dir.path()).pop().unwrap();
    let next = vigil_journal::frame::encode_frame(250, &refs(&batch(250, 5))).unwrap();
    append_bytes(&seg, &next[..next.len() - 3]);
    assert_eq!(r.refresh().unwrap(), 250);
    assert!(JournalReader::open(&dir.path().join("nope")).is_err());
}

#[test]
fn reader_threads_see_appends() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), small_segments()).unwrap();
    let reader = j.reader();
    let handle = std::thread::spawn(move || {
        let mut seen = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(120) {
            let len = reader.len();
            for item in reader.scan(seen) {
                let (seq, bytes) = item.unwrap();
                assert_eq!(bytes, event(seq));
                seen = seq + 1;
            }
            assert!(seen >= len);
            if seen >= 2000 {
                break;
            }
            std::thread::yield_now();
        }
        seen
    });
    for b in 0..100 {
        j.append(&refs(&batch(b * 20, 20))).unwrap();
    }
    assert_eq!(handle.join().unwrap(), 2000);
}

#[test]
fn proofs_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), small_segments()).unwrap();
    j.append(&refs(&batch(0, 37))).unwrap();
    let cp1 = j.checkpoint(time(1)).unwrap().unwrap();
    j.append(&refs(&batch(37, 60))).unwrap();
    let cp2 = j.checkpoint(time(2)).unwrap().unwrap();
    let r = j.reader();
    for index in [0u64, 1, 36, 50, 96] {
        let proof = merkle::inclusion_proof(&r, index, cp2.size).unwrap();
        merkle::verify_inclusion(
            &merkle::leaf_hash(&event(index)),
            index,
            cp2.size,
            &proof,
            &cp2.root,
        )
        .unwrap();
    }
    let proof = merkle::inclusion_proof(&r, 5, cp1.size).unwrap();
    merkle::verify_inclusion(
        &merkle::leaf_hash(&event(5)),
        5,
        cp1.size,
        &proof,
        &cp1.root,
    )
    .unwrap();
    let c = merkle::consistency_proof(&r, cp1.size, cp2.size).unwrap();
    merkle::verify_consistency(cp1.size, cp2.size, &cp1.root, &cp2.root, &c).unwrap();
    assert!(merkle::inclusion_proof(&r, 97, 97).is_err());
    assert!(merkle::inclusion_proof(&r, 0, 98).is_err());
}

#[test]
fn invalid_options_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for opts in [
        JournalOptions {
            origin: String::new(),
            ..JournalOptions::default()
        },
        JournalOptions {
            origin: "a\nb".into(),
            ..JournalOptions::default()
        },
        JournalOptions {
            segment_max_bytes: 10,
            ..JournalOptions::default()
        },
    ] {
        assert!(matches!(
            Journal::open(dir.path(), opts),
            Err(JournalError::InvalidOptions(_))
        ));
    }
}

#[test]
fn torn_checkpoint_log_entry_is_cut_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let j = build(dir.path(), 3, 10, 1, JournalOptions::default());
    let cp = j.latest_checkpoint().unwrap().clone();
    drop(j);
    let log = dir.path().join("checkpoints.log");
    let len = std::fs::metadata(&log).unwrap().len();
    let partial = &vigil_journal::checkpoint::log_entry(&cp.note)[..40];
    append_bytes(&log, partial);
    assert!(verify(dir.path()).failure.is_none());
    let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    assert_eq!(j.recovered_bytes(), 40);
    assert_eq!(std::fs::metadata(&log).unwrap().len(), len);
    assert_eq!(j.latest_checkpoint(), Some(&cp));
    j.append(&refs(&batch(30, 1))).unwrap();
    j.checkpoint(time(50)).unwrap().unwrap();
    drop(j);
    assert!(verify(dir.path()).failure.is_none());
}

#[test]
fn cut_at_every_byte() {
    // Four frames; the checkpoint covers the first two. A cut anywhere after the covered
    // frames is a torn tail (verify: no failure; open: cut back to the last whole frame); a
    // cut inside them is a truncation (verify: Truncated; open: refused).
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
    j.append(&refs(&batch(0, 4))).unwrap();
    j.append(&refs(&batch(4, 4))).unwrap();
    j.checkpoint(time(1)).unwrap().unwrap();
    j.append(&refs(&batch(8, 4))).unwrap();
    j.append(&refs(&batch(12, 4))).unwrap();
    drop(j);
    let seg = segments(dir.path()).pop().unwrap();
    let original = std::fs::read(&seg).unwrap();
    let (_, frames) = read_segment(&seg);
    let ends: Vec<u64> = frames.iter().map(|f| f.offset + f.len).collect();
    let covered_end = ends[1];
    for cut in 0..original.len() as u64 {
        std::fs::write(&seg, &original[..cut as usize]).unwrap();
        let whole = ends.iter().filter(|&&e| e <= cut).count() as u64;
        let records = whole * 4;
        let report = verify(dir.path());
        if cut >= covered_end {
            assert!(report.failure.is_none(), "cut {cut}: {:?}", report.failure);
            assert_eq!(report.records_checked, records, "cut {cut}");
            let whole_end = ends.iter().copied().filter(|&e| e <= cut).max().unwrap();
            assert_eq!(report.torn_tail.is_some(), cut > whole_end, "cut {cut}");
            let j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
            assert_eq!(j.len(), records, "cut {cut}");
            assert_eq!(j.recovered_bytes(), cut - whole_end, "cut {cut}");
            drop(j);
        } else {
            let t = report
                .failure
                .unwrap_or_else(|| panic!("cut {cut} not detected"));
            assert_eq!(
                (t.kind, t.index),
                (vigil_journal::TamperKind::Truncated, records),
                "cut {cut}: {t}"
            );
            assert!(
                Journal::open(dir.path(), JournalOptions::default()).is_err(),
                "cut {cut}"
            );
        }
        // Readers never panic either.
        if let Ok(r) = JournalReader::open(dir.path()) {
            assert_eq!(r.scan(0).filter(|x| x.is_ok()).count() as u64, r.len());
        }
    }
}

#[test]
fn reading_a_damaged_frame_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let j = build(dir.path(), 3, 10, 1, JournalOptions::default());
    let r = j.reader();
    let seg = segments(dir.path()).pop().unwrap();
    let (_, frames) = read_segment(&seg);
    flip_byte(&seg, frames[1].offset + frames[1].len - 2);
    assert!(matches!(r.get(15), Err(JournalError::Corrupt { .. })));
    assert_eq!(r.get(5).unwrap(), event(5));
    let items: Vec<_> = r.scan(0).collect();
    assert_eq!(
        items.len(),
        11,
        "10 good records, then the error, then the end"
    );
    assert!(items[10].is_err());
    assert!(r.get_many(&[1, 2, 12]).is_err());
}

#[test]
fn journal_moves_between_threads() {
    fn check<T: Send>() {}
    check::<Journal>();
    check::<JournalReader>();
}
