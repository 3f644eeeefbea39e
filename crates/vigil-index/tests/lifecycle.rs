//! Reopening, replay overlap, visibility of new commits/partitions, locking.

mod common;

use std::collections::BTreeMap;

use serde_json::json;
use vigil_core::Event;
use vigil_index::{IndexError, IndexOptions, Indexer, Searcher, TimeRange};

fn total(s: &Searcher, q: &str) -> u64 {
    s.search(q, TimeRange::all(), 0, &BTreeMap::<u64, Event>::new())
        .map(|r| r.total)
        .unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reopen_after_commit_and_replay_overlap_adds_nothing_twice() {
    let dir = tmp();
    let events = common::events();
    let n = events.len() as u64;
    {
        let ix = common::build(dir.path(), &events);
        assert_eq!(ix.next_seq(), n);
        assert_eq!(total(&ix.searcher(), "*"), n);
    }
    let mut ix =
        Indexer::open(dir.path(), IndexOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ix.next_seq(), n);
    // The caller replays from a bit earlier than next_seq: the overlap is ignored.
    for (i, e) in events.iter().enumerate().skip(n as usize - 10) {
        ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
    }
    let extra = common::ev(json!({"@timestamp": "2026-01-12T23:00:00Z", "message": "late event"}));
    ix.add(n, &extra).unwrap_or_else(|e| panic!("{e}"));
    ix.commit().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ix.next_seq(), n + 1);
    assert_eq!(total(&ix.searcher(), "*"), n + 1);
    drop(ix);
    let s = Searcher::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(total(&s, "*"), n + 1);
    assert_eq!(total(&s, "late"), 1);
}

#[test]
fn uncommitted_events_are_replayed_after_a_crash() {
    let dir = tmp();
    let events = common::events();
    {
        let mut ix =
            Indexer::open(dir.path(), IndexOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        for (i, e) in events.iter().enumerate().take(20) {
            ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
        }
        ix.commit().unwrap_or_else(|e| panic!("{e}"));
        for (i, e) in events.iter().enumerate().skip(20) {
            ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
        }
        // "crash": dropped without commit
    }
    let mut ix =
        Indexer::open(dir.path(), IndexOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ix.next_seq(), 20);
    for (i, e) in events.iter().enumerate().skip(ix.next_seq() as usize) {
        ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
    }
    ix.commit().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(total(&ix.searcher(), "*"), events.len() as u64);
}

#[test]
fn searchers_see_new_commits_and_partitions() {
    let dir = tmp();
    let mut ix =
        Indexer::open(dir.path(), IndexOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let live = ix.searcher();
    let ev = |d: u32| {
        common::ev(json!({"@timestamp": format!("2026-02-{d:02}T10:00:00Z"), "message": "hello"}))
    };
    ix.add(0, &ev(1)).unwrap_or_else(|e| panic!("{e}"));
    ix.commit().unwrap_or_else(|e| panic!("{e}"));
    let other = Searcher::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(total(&live, "hello"), 1);
    assert_eq!(total(&other, "hello"), 1);
    // A new partition, created after both searchers.
    ix.add(1, &ev(2)).unwrap_or_else(|e| panic!("{e}"));
    ix.add(2, &ev(1)).unwrap_or_else(|e| panic!("{e}"));
    ix.commit().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        total(&live, "hello"),
        3,
        "in-process searcher sees commits at once"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        total(&other, "hello"),
        3,
        "read-only searcher sees them within ~1 s"
    );
    let feb2 = TimeRange::new(
        chrono::DateTime::parse_from_rfc3339("2026-02-02T00:00:00Z")
            .ok()
            .map(|t| t.to_utc()),
        None,
    );
    assert_eq!(
        other
            .search("hello", feb2, 0, &BTreeMap::<u64, Event>::new())
            .map(|r| r.total)
            .ok(),
        Some(1)
    );
}

#[test]
fn writer_eviction_with_small_memory_budget() {
    let dir = tmp();
    let opts = IndexOptions {
        writer_memory_bytes: 1,
        ..IndexOptions::default()
    };
    let events = common::events();
    {
        let mut ix = Indexer::open(dir.path(), opts.clone()).unwrap_or_else(|e| panic!("{e}"));
        // Events alternate between three days, so the single writer keeps switching.
        for (i, e) in events.iter().enumerate() {
            ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
        }
        // crash before the global commit: evicted partitions were committed with their payload
    }
    let mut ix = Indexer::open(dir.path(), opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ix.next_seq(), 0);
    for (i, e) in events.iter().enumerate() {
        ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
    }
    ix.commit().unwrap_or_else(|e| panic!("{e}"));
    let s = ix.searcher();
    assert_eq!(
        total(&s, "*"),
        events.len() as u64,
        "no duplicates after replay"
    );
    let fields = s.fields().unwrap_or_else(|e| panic!("{e}"));
    let msg = fields.iter().find(|f| f.name == "message").map(|f| f.count);
    assert_eq!(
        msg,
        Some(events.iter().filter(|e| e.get("message").is_some()).count() as u64)
    );
}

#[test]
fn one_writer_per_directory_and_fixed_partition_width() {
    let dir = tmp();
    let ix = Indexer::open(dir.path(), IndexOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        Indexer::open(dir.path(), IndexOptions::default()),
        Err(IndexError::Locked(_))
    ));
    // Read-only searchers do not need the lock.
    assert!(Searcher::open(dir.path()).is_ok());
    drop(ix);
    let hourly = IndexOptions {
        partition: chrono::Duration::hours(1),
        ..IndexOptions::default()
    };
    assert!(matches!(
        Indexer::open(dir.path(), hourly),
        Err(IndexError::PartitionMismatch { .. })
    ));
    assert!(Searcher::open(&dir.path().join("missing")).is_err());
}

#[test]
fn hourly_partitions() {
    let dir = tmp();
    let opts = IndexOptions {
        partition: chrono::Duration::hours(1),
        ..IndexOptions::default()
    };
    let mut ix = Indexer::open(dir.path(), opts).unwrap_or_else(|e| panic!("{e}"));
    for h in 0..3u64 {
        let e =
            common::ev(json!({"@timestamp": format!("2026-03-01T0{h}:30:00Z"), "message": "tick"}));
        ix.add(h, &e).unwrap_or_else(|e| panic!("{e}"));
    }
    ix.commit().unwrap_or_else(|e| panic!("{e}"));
    assert!(dir.path().join("2026-03-01T01-00-00Z").is_dir());
    let s = Searcher::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let r = TimeRange::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-01T01:00:00Z")
            .ok()
            .map(|t| t.to_utc()),
        chrono::DateTime::parse_from_rfc3339("2026-03-01T02:00:00Z")
            .ok()
            .map(|t| t.to_utc()),
    );
    assert_eq!(
        s.search("tick", r, 0, &BTreeMap::<u64, Event>::new())
            .map(|r| r.total)
            .ok(),
        Some(1)
    );
}
