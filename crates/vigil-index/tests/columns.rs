//! The column-only keyword fields (`event.id`, `event.ingested`): lookups, wildcards,
//! ranges, existence, aggregations and sorting, and hits mapped back to the right
//! events through the `_seq` column (nothing is stored in the index).

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};
use vigil_core::Event;
use vigil_index::{FieldType, IndexOptions, Indexer, SearchResult, Searcher, TimeRange};

struct Fixture {
    _dir: tempfile::TempDir,
    searcher: Searcher,
    events: Vec<Event>,
    store: BTreeMap<u64, Event>,
}

const N: u64 = 60;

/// UUIDv7-like id (32 lowercase hex digits) of event `i`.
fn id(i: u64) -> String {
    let ms = 0x019b_c000_0000u64 + i * 1000;
    format!(
        "{ms:012x}7{:03x}{:x}{:015x}",
        (i * 0x9e3) & 0xfff,
        8 + (i & 3),
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 4
    )
}

fn ingested(i: u64) -> String {
    format!("2026-02-{:02}T10:00:{:02}.{:03}Z", 1 + i / 30, i % 30, i)
}

/// 60 events over two days, plus an id that is a number, an array of ids, an event
/// without an id and an `event.ingested` that is not a string.
fn events() -> Vec<Event> {
    let mut out: Vec<Event> = (0..N)
        .map(|i| {
            common::ev(json!({
                "@timestamp": format!("2026-02-{:02}T09:{:02}:00Z", 1 + i / 30, i % 30),
                "message": format!("login attempt {i}"),
                "event": {"id": id(i), "ingested": ingested(i), "outcome": if i % 3 == 0 { "failure" } else { "success" }},
                "user": {"name": format!("u{}", i % 4)},
            }))
        })
        .collect();
    out.push(common::ev(json!({
        "@timestamp": "2026-02-01T12:00:00Z",
        "message": "numeric id",
        "event": {"id": 4242, "ingested": 17},
    })));
    out.push(common::ev(json!({
        "@timestamp": "2026-02-01T12:00:01Z",
        "message": "two ids",
        "event": {"id": ["aaaa0000", "bbbb1111"]},
    })));
    out.push(common::ev(json!({
        "@timestamp": "2026-02-01T12:00:02Z",
        "message": "no id",
        "event": {"outcome": "unknown"},
    })));
    out
}

fn fx() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let events = events();
        {
            // Several commits: several segments per partition.
            let mut ix = Indexer::open(dir.path(), IndexOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            for (i, e) in events.iter().enumerate() {
                ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
                if i % 7 == 6 {
                    ix.commit().unwrap_or_else(|e| panic!("{e}"));
                }
            }
            ix.commit().unwrap_or_else(|e| panic!("{e}"));
        }
        let searcher = Searcher::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        Fixture {
            store: common::store(&events),
            _dir: dir,
            searcher,
            events,
        }
    })
}

fn run(q: &str) -> SearchResult {
    let f = fx();
    f.searcher
        .search(q, TimeRange::all(), 1000, &f.store)
        .unwrap_or_else(|e| panic!("query {q:?} failed: {e}"))
}

/// The messages of the hits, sorted.
fn messages(r: &SearchResult) -> Vec<String> {
    let mut m: Vec<String> = r
        .hits
        .iter()
        .map(|h| h["message"].as_str().unwrap_or_default().to_string())
        .collect();
    m.sort();
    m
}

fn expect(q: &str, pred: impl Fn(&Event) -> bool) {
    let want: Vec<&Event> = fx().events.iter().filter(|e| pred(e)).collect();
    let got = run(q);
    assert_eq!(got.total, want.len() as u64, "total for {q:?}");
    let mut want: Vec<String> = want
        .iter()
        .map(|e| e.get_str("message").unwrap_or_default().to_string())
        .collect();
    want.sort();
    assert_eq!(messages(&got), want, "hits for {q:?}");
    assert!(!want.is_empty(), "{q:?} should match something");
}

fn str_of<'a>(e: &'a Event, p: &str) -> &'a str {
    e.get_str(p).unwrap_or("")
}

#[test]
fn lookup_by_event_id_returns_that_event() {
    for i in [0, 17, 31, N - 1] {
        let r = run(&format!("event.id:{}", id(i)));
        assert_eq!(r.total, 1);
        assert_eq!(r.hits.len(), 1);
        // The hit is the right journal event: seq read from the `_seq` column.
        assert_eq!(
            Some(&r.hits[0]),
            Some(&Value::Object(fx().events[i as usize].as_map().clone()))
        );
    }
    assert_eq!(run(&format!("event.id:\"{}\"", id(5))).total, 1);
    assert_eq!(run("event.id:0123456789abcdef0123456789abcdef").total, 0);
    // Case-sensitive like every keyword.
    assert_eq!(run(&format!("event.id:{}", id(5).to_uppercase())).total, 0);
    // Ids that are not strings stay searchable.
    expect("event.id:4242", |e| str_of(e, "message") == "numeric id");
    expect("event.id:bbbb1111", |e| str_of(e, "message") == "two ids");
    expect(&format!("event.id:({} OR {})", id(1), id(2)), |e| {
        [id(1), id(2)].iter().any(|x| str_of(e, "event.id") == x)
    });
    expect(&format!("user.name:u1 AND NOT event.id:{}", id(1)), |e| {
        str_of(e, "user.name") == "u1" && str_of(e, "event.id") != id(1)
    });
}

#[test]
fn hits_map_to_the_right_events_in_every_order() {
    let ids = |r: &SearchResult| -> Vec<String> {
        r.hits
            .iter()
            .map(|h| h["event"]["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // Newest first by @timestamp (every hit is checked against its seq's event).
    let r = run("user.name:u2");
    let mut want: Vec<&Event> = fx()
        .events
        .iter()
        .filter(|e| str_of(e, "user.name") == "u2")
        .collect();
    want.sort_by_key(|e| std::cmp::Reverse(str_of(e, "@timestamp").to_string()));
    let want_ids: Vec<String> = want
        .iter()
        .map(|e| str_of(e, "event.id").to_string())
        .collect();
    assert_eq!(ids(&r), want_ids);
    // Sorted in the index on the id column.
    let mut all: Vec<String> = (0..N).map(id).collect();
    all.sort();
    let r = run("event.outcome:* NOT message:numeric NOT message:two | sort event.id");
    assert_eq!(ids(&r)[..all.len()], all[..]);
    let r = run("event.id:0* | sort -event.id | head 3");
    all.reverse();
    assert_eq!(ids(&r), all[..3].to_vec());
    let r = run("* | sort -event.ingested | head 2");
    assert_eq!(
        ids(&r),
        vec![id(N - 1), id(N - 2)],
        "event.ingested sorts as a keyword"
    );
}

#[test]
fn wildcards_on_column_fields() {
    let pre = &id(12)[..20];
    expect(&format!("event.id:{pre}*"), |e| {
        str_of(e, "event.id").starts_with(pre)
    });
    // All ids share their first digits: a prefix matching them all.
    expect("event.id:019*", |e| {
        str_of(e, "event.id").starts_with("019")
    });
    let tail = &id(40)[26..];
    expect(&format!("event.id:*{tail}"), |e| {
        str_of(e, "event.id").ends_with(tail)
    });
    let mid = &id(33)[14..22];
    expect(&format!("event.id:*{mid}*"), |e| {
        str_of(e, "event.id").contains(mid)
    });
    // Matches spread over the dictionary (non-contiguous ordinals): every 4th id has
    // the variant digit 8.
    expect("event.id:????????????????8*", |e| {
        str_of(e, "event.id").len() == 32 && str_of(e, "event.id").as_bytes()[16] == b'8'
    });
    // `?` is one character.
    let mut q = id(7);
    q.replace_range(13..14, "?");
    q.replace_range(20..21, "?");
    expect(&format!("event.id:{q}"), |e| {
        let s = str_of(e, "event.id");
        s.len() == 32 && s[..13] == id(7)[..13] && s[14..20] == id(7)[14..20]
    });
    expect("event.id:bbbb*", |e| str_of(e, "message") == "two ids");
    expect("event.ingested:2026-02-02T*", |e| {
        str_of(e, "event.ingested").starts_with("2026-02-02T")
    });
    assert_eq!(run("event.id:zz*").total, 0);
}

#[test]
fn ranges_and_comparisons_on_column_fields() {
    let a = ingested(10);
    let b = ingested(20);
    expect(&format!("event.ingested:[{a} TO {b}]"), |e| {
        let s = str_of(e, "event.ingested");
        !s.is_empty() && s >= a.as_str() && s <= b.as_str()
    });
    expect(&format!("event.ingested:{{{a} TO {b}}}"), |e| {
        let s = str_of(e, "event.ingested");
        s > a.as_str() && s < b.as_str()
    });
    expect(&format!("event.ingested:>={}", ingested(50)), |e| {
        str_of(e, "event.ingested") >= ingested(50).as_str()
    });
    expect(&format!("event.id:<{}", id(3)), |e| {
        let s = str_of(e, "event.id");
        e.get("event.id").is_some_and(Value::is_string) && s < id(3).as_str()
    });
    // A number compares as a number in `_j`.
    expect("event.ingested:<100", |e| {
        e.get("event.ingested").and_then(Value::as_i64) == Some(17)
    });
}

#[test]
fn existence_of_column_fields() {
    expect("_exists_:event.id", |e| e.get("event.id").is_some());
    expect("event.id:*", |e| e.get("event.id").is_some());
    expect("NOT _exists_:event.id", |e| e.get("event.id").is_none());
    expect("_exists_:event.ingested", |e| {
        e.get("event.ingested").is_some()
    });
    expect("event.ingested:[* TO *]", |e| {
        e.get("event.ingested").is_some()
    });
    expect("_exists_:event", |e| e.get("event").is_some());
}

#[test]
fn stats_and_timechart_on_column_fields() {
    let r = run("* | stats count() by event.id");
    // One row per string id (the array counts in both of its groups) plus the
    // events whose id is missing or not a string (the number is not a column value).
    let mut ids: Vec<Value> = (0..N).map(|i| Value::String(id(i))).collect();
    ids.extend([json!("aaaa0000"), json!("bbbb1111"), Value::Null]);
    ids.sort_by_key(|v| v.as_str().map(str::to_string));
    let got: Vec<Value> = r.rows.iter().map(|row| row[0].clone()).collect();
    let mut got_sorted = got.clone();
    got_sorted.sort_by_key(|v| v.as_str().map(str::to_string));
    assert_eq!(got_sorted, ids);
    let null_row = r.rows.iter().find(|row| row[0].is_null());
    assert_eq!(null_row.map(|row| row[1].clone()), Some(json!(2)));
    let r = run(
        "event.outcome:failure | stats count(event.ingested) as n, count_distinct(event.id) as d",
    );
    let failures = fx()
        .events
        .iter()
        .filter(|e| str_of(e, "event.outcome") == "failure")
        .count();
    assert_eq!(r.rows, vec![vec![json!(failures), json!(failures)]]);
    let r = run("* | timechart span=1d limit=2 count() by event.id");
    assert_eq!(r.columns[0], "_time");
    assert_eq!(
        r.columns.len(),
        4,
        "_time, two series and OTHER: {:?}",
        r.columns
    );
    let counted: i64 = r
        .rows
        .iter()
        .flat_map(|row| row[1..].iter().filter_map(Value::as_i64))
        .sum();
    // Every event once, the one with two ids twice.
    assert_eq!(counted, fx().events.len() as i64 + 1);
}

#[test]
fn catalogue_lists_column_fields_as_keywords() {
    let fields = fx().searcher.fields().unwrap_or_else(|e| panic!("{e}"));
    let get = |name: &str| fields.iter().find(|f| f.name == name).cloned();
    let id = get("event.id").unwrap_or_else(|| panic!("event.id missing"));
    assert_eq!(id.field_type, FieldType::Keyword);
    assert_eq!(id.count, N + 2);
    let ing = get("event.ingested").unwrap_or_else(|| panic!("event.ingested missing"));
    assert_eq!(ing.field_type, FieldType::Keyword);
    assert_eq!(ing.count, N + 1);
}
