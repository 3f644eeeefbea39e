//! Query language and pipes against a known data set.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use vigil_core::Event;
use vigil_index::{FieldType, SearchError, SearchResult, Searcher, TimeRange};

struct Fixture {
    _dir: tempfile::TempDir,
    searcher: Searcher,
    events: Vec<Event>,
    store: BTreeMap<u64, Event>,
}

fn fx() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let events = common::events();
        drop(common::build(dir.path(), &events));
        let searcher = Searcher::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        Fixture {
            store: common::store(&events),
            _dir: dir,
            searcher,
            events,
        }
    })
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn run_in(q: &str, range: TimeRange, limit: usize) -> SearchResult {
    let f = fx();
    f.searcher
        .search(q, range, limit, &f.store)
        .unwrap_or_else(|e| panic!("query {q:?} failed: {e}"))
}

fn run(q: &str) -> SearchResult {
    run_in(q, TimeRange::all(), 1000)
}

fn expect(q: &str, pred: impl Fn(&Event) -> bool) {
    let want = fx().events.iter().filter(|e| pred(e)).count() as u64;
    let got = run(q);
    assert_eq!(got.total, want, "total for {q:?}");
    assert_eq!(got.hits.len() as u64, want, "hits for {q:?}");
    assert!(
        want > 0 || q.contains("nomatch"),
        "query {q:?} should match something"
    );
}

fn s<'a>(e: &'a Event, p: &str) -> &'a str {
    e.get_str(p).unwrap_or("")
}

fn n(e: &Event, p: &str) -> Option<i64> {
    e.get(p).and_then(Value::as_i64)
}

fn msg(e: &Event) -> String {
    s(e, "message").to_lowercase()
}

fn ip_in(e: &Event, p: &str, f: impl Fn(std::net::IpAddr) -> bool) -> bool {
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<std::net::IpAddr>().ok())
            .is_some_and(&f)
    };
    match e.get(p) {
        Some(Value::Array(a)) => a.iter().any(parse),
        Some(v) => parse(v),
        None => false,
    }
}

#[test]
fn keyword_terms_are_exact_and_case_sensitive() {
    expect("user.name:root", |e| s(e, "user.name") == "root");
    expect("user.name:Root", |e| s(e, "user.name") == "Root");
    expect("user.name:\"alice\"", |e| s(e, "user.name") == "alice");
    expect("event.outcome:failure", |e| {
        s(e, "event.outcome") == "failure"
    });
    expect("event.category:network", |e| {
        e.get("event.category")
            .is_some_and(|v| v == &json!(["network"]))
    });
    expect("tags:auth", |e| {
        e.get("tags")
            .is_some_and(|t| t.as_array().is_some_and(|a| a.contains(&json!("auth"))))
    });
    expect(r"file.path:C\:\\Windows\\System32\\cmd.exe", |e| {
        e.get("file.path").is_some()
    });
    expect(r#"file.path:"C:\\Windows\\System32\\cmd.exe""#, |e| {
        e.get("file.path").is_some()
    });
    assert_eq!(run("user.name:nomatch").total, 0);
}

#[test]
fn wildcards() {
    expect("user.name:adm*", |e| s(e, "user.name").starts_with("adm"));
    expect("host.name:web-0?", |e| {
        s(e, "host.name").starts_with("web-0")
    });
    expect("url.path:*/items/1*", |e| {
        s(e, "url.path").starts_with("/api/v1/items/1")
    });
    expect("user.name:*in", |e| s(e, "user.name").ends_with("in"));
    expect("pass*", |e| msg(e).contains("password"));
    expect("message:pyth?n3", |e| msg(e).contains("python3"));
    expect("source.ip:10.0.*", |e| {
        s(e, "source.ip").starts_with("10.0.")
    });
}

#[test]
fn numbers_and_comparisons() {
    expect("process.pid:1005", |e| n(e, "process.pid") == Some(1005));
    expect("http.response.status_code:404", |e| {
        n(e, "http.response.status_code") == Some(404)
    });
    expect("http.response.status_code:>=400", |e| {
        n(e, "http.response.status_code").is_some_and(|c| c >= 400)
    });
    expect("http.response.status_code:>400", |e| {
        n(e, "http.response.status_code").is_some_and(|c| c > 400)
    });
    expect("http.response.status_code:<300", |e| {
        n(e, "http.response.status_code").is_some_and(|c| c < 300)
    });
    expect("http.response.status_code:<=302", |e| {
        n(e, "http.response.status_code").is_some_and(|c| c <= 302)
    });
    expect("http.response.bytes:>1000", |e| {
        n(e, "http.response.bytes").is_some_and(|c| c > 1000)
    });
    expect("event.duration:>=30.5", |e| {
        e.get("event.duration")
            .and_then(Value::as_f64)
            .is_some_and(|d| d >= 30.5)
    });
    expect("event.duration:3", |e| {
        e.get("event.duration").and_then(Value::as_f64) == Some(3.0)
    });
    expect("labels.critical:true", |e| {
        e.get("labels.critical") == Some(&json!(true))
    });
    expect("user.name:>b", |e| {
        e.get_str("user.name").is_some_and(|u| u > "b")
    });
    expect("user.name:<=alice", |e| {
        e.get_str("user.name").is_some_and(|u| u <= "alice")
    });
}

#[test]
fn ranges() {
    expect("http.response.status_code:[400 TO 499]", |e| {
        n(e, "http.response.status_code").is_some_and(|c| (400..=499).contains(&c))
    });
    expect("http.response.status_code:{403 TO 500}", |e| {
        n(e, "http.response.status_code").is_some_and(|c| c > 403 && c < 500)
    });
    expect("http.response.status_code:[403 TO 500}", |e| {
        n(e, "http.response.status_code").is_some_and(|c| (403..500).contains(&c))
    });
    expect("http.response.status_code:[* TO 300]", |e| {
        n(e, "http.response.status_code").is_some_and(|c| c <= 300)
    });
    expect("event.duration:[10 TO 20.5]", |e| {
        e.get("event.duration")
            .and_then(Value::as_f64)
            .is_some_and(|d| (10.0..=20.5).contains(&d))
    });
    expect("user.name:[alice TO bob]", |e| {
        e.get_str("user.name")
            .is_some_and(|u| ("alice"..="bob").contains(&u))
    });
    expect("source.ip:[10.0.0.0 TO 10.0.255.255]", |e| {
        s(e, "source.ip").starts_with("10.0.")
    });
    expect(
        "@timestamp:[2026-01-11T00:00:00Z TO 2026-01-12T00:00:00Z}",
        |e| s(e, "@timestamp").starts_with("2026-01-11"),
    );
}

#[test]
fn ip_fields_exact_cidr_v4_v6_and_arrays() {
    expect("source.ip:10.0.1.5", |e| s(e, "source.ip") == "10.0.1.5");
    expect("source.ip:10.0.0.0/8", |e| {
        ip_in(
            e,
            "source.ip",
            |ip| matches!(ip, std::net::IpAddr::V4(v) if v.octets()[0] == 10),
        )
    });
    expect("source.ip:10.0.1.0/24", |e| {
        s(e, "source.ip").starts_with("10.0.1.")
    });
    expect("source.ip:2001:db8::/32", |e| {
        s(e, "source.ip").starts_with("2001:db8")
    });
    expect("source.ip:\"2001:db8::16\"", |e| {
        s(e, "source.ip") == "2001:db8::16"
    });
    expect("related.ip:172.16.0.0/12", |e| {
        e.get("related.ip").is_some()
    });
    expect("related.ip:172.16.3.1", |e| {
        ip_in(e, "related.ip", |ip| ip.to_string() == "172.16.3.1")
    });
    expect("host.ip:fe80::/10", |e| e.get("host.ip").is_some());
    expect("source.ip:unknown", |e| s(e, "source.ip") == "unknown");
    expect("source.ip:>=192.168.0.0", |e| {
        ip_in(
            e,
            "source.ip",
            |ip| matches!(ip, std::net::IpAddr::V4(v) if v.octets()[0] >= 192),
        ) || ip_in(e, "source.ip", |ip| ip.is_ipv6())
    });
    let err = fx()
        .searcher
        .search("source.ip:10.0.0.0/99", TimeRange::all(), 10, &fx().store);
    assert!(
        matches!(err, Err(SearchError::Syntax { position: 10, .. })),
        "{err:?}"
    );
}

#[test]
fn existence() {
    expect("_exists_:http.response.status_code", |e| {
        e.get("http.response.status_code").is_some()
    });
    expect("user.name:*", |e| e.get("user.name").is_some());
    expect("_exists_:message", |e| e.get("message").is_some());
    expect("_exists_:event.original", |e| {
        e.get("event.original").is_some()
    });
    expect("_exists_:source", |e| e.get("source").is_some());
    expect("_exists_:destination.ip", |e| {
        e.get("destination.ip").is_some()
    });
    expect("_exists_:@timestamp", |e| e.timestamp().is_some());
    expect("NOT _exists_:user.name", |e| e.get("user.name").is_none());
}

#[test]
fn boolean_logic_and_precedence() {
    expect("NOT user.name:root", |e| s(e, "user.name") != "root");
    expect("-user.name:root", |e| s(e, "user.name") != "root");
    expect("user.name:root OR user.name:bob", |e| {
        matches!(s(e, "user.name"), "root" | "bob")
    });
    expect("event.outcome:failure AND user.name:admin", |e| {
        s(e, "event.outcome") == "failure" && s(e, "user.name") == "admin"
    });
    // AND binds tighter than OR.
    expect(
        "user.name:root OR user.name:alice event.outcome:success",
        |e| {
            s(e, "user.name") == "root"
                || (s(e, "user.name") == "alice" && s(e, "event.outcome") == "success")
        },
    );
    expect(
        "(user.name:root OR user.name:alice) event.outcome:failure",
        |e| matches!(s(e, "user.name"), "root" | "alice") && s(e, "event.outcome") == "failure",
    );
    expect("user.name:(root OR alice) -event.outcome:success", |e| {
        matches!(s(e, "user.name"), "root" | "alice") && s(e, "event.outcome") != "success"
    });
    expect("tags:ssh NOT (user.name:alice OR user.name:bob)", |e| {
        e.get("tags")
            .is_some_and(|t| t.as_array().is_some_and(|a| a.contains(&json!("ssh"))))
            && !matches!(s(e, "user.name"), "alice" | "bob")
    });
    expect("*", |_| true);
    expect("", |_| true);
    expect("* AND user.name:bob", |e| s(e, "user.name") == "bob");
}

#[test]
fn full_text_and_phrases() {
    expect("failed", |e| msg(e).contains("failed"));
    expect("FAILED Password", |e| msg(e).contains("failed password"));
    expect("\"failed password for root\"", |e| {
        msg(e).contains("failed password for root")
    });
    assert_eq!(run("\"password failed\"").total, 0);
    expect("message:\"for alice\"", |e| msg(e).contains("for alice"));
    expect("message:kernel", |e| msg(e).contains("kernel"));
    // event.original is searched by bare words too.
    expect("sshd", |e| {
        msg(e).contains("sshd") || s(e, "event.original").contains("sshd")
    });
    expect("event.original:sshd", |e| {
        s(e, "event.original").contains("sshd")
    });
    // The original embeds the message: words of either part match `event.original:`.
    expect("event.original:\"failed password for root\"", |e| {
        s(e, "event.original")
            .to_lowercase()
            .contains("failed password for root")
    });
    expect("event.original:fail*", |e| {
        s(e, "event.original").to_lowercase().contains("fail")
    });
    expect("\"Jan 10\"", |e| s(e, "event.original").contains("Jan 10"));
    expect("-\"failed password\"", |e| {
        !msg(e).contains("failed password")
    });
    // A bare IP is tokenised into a phrase.
    expect("192.168.1.6", |e| msg(e).contains("192.168.1.6 "));
}

#[test]
fn dates() {
    expect("@timestamp:2026-01-10", |e| {
        s(e, "@timestamp").starts_with("2026-01-10")
    });
    expect("@timestamp:>=2026-01-11", |e| {
        s(e, "@timestamp") >= "2026-01-11"
    });
    expect("@timestamp:>2026-01-11", |e| {
        s(e, "@timestamp") >= "2026-01-12"
    });
    expect("@timestamp:<2026-01-11T12:00:00Z", |e| {
        e.timestamp()
            .is_some_and(|t| t < super_t("2026-01-11T12:00:00Z"))
    });
}

fn super_t(s: &str) -> DateTime<Utc> {
    t(s)
}

#[test]
fn hits_are_newest_first_limited_and_counted() {
    let r = run_in("*", TimeRange::all(), 5);
    assert_eq!(r.total, fx().events.len() as u64);
    assert_eq!(r.hits.len(), 5);
    let ts: Vec<&str> = r
        .hits
        .iter()
        .map(|h| h["@timestamp"].as_str().unwrap_or(""))
        .collect();
    let mut sorted = ts.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ts, sorted);
    let newest = fx()
        .events
        .iter()
        .filter_map(|e| e.get_str("@timestamp"))
        .max()
        .unwrap_or("");
    assert_eq!(ts[0], newest);
    assert!(!r.is_aggregation);
}

#[test]
fn partition_pruning_by_time_range() {
    let day11 = TimeRange::new(
        Some(t("2026-01-11T00:00:00Z")),
        Some(t("2026-01-12T00:00:00Z")),
    );
    let r = run_in("*", day11, 1000);
    let want = fx()
        .events
        .iter()
        .filter(|e| s(e, "@timestamp").starts_with("2026-01-11"))
        .count();
    assert_eq!(r.total as usize, want);
    assert!(r.hits.iter().all(|h| h["@timestamp"]
        .as_str()
        .is_some_and(|t| t.starts_with("2026-01-11"))));
    // A window inside a day filters on _ts within the partition.
    let part = TimeRange::new(
        Some(t("2026-01-10T06:00:00Z")),
        Some(t("2026-01-10T12:00:00Z")),
    );
    let want = fx()
        .events
        .iter()
        .filter(|e| {
            e.timestamp()
                .is_some_and(|ts| ts >= t("2026-01-10T06:00:00Z") && ts < t("2026-01-10T12:00:00Z"))
        })
        .count();
    assert_eq!(run_in("*", part, 1000).total as usize, want);
    // Open-ended ranges; the undated event is only in unbounded searches.
    let after = TimeRange::new(Some(t("2026-01-12T00:00:00Z")), None);
    let want = fx()
        .events
        .iter()
        .filter(|e| s(e, "@timestamp") >= "2026-01-12")
        .count();
    assert_eq!(run_in("*", after, 1000).total as usize, want);
    assert_eq!(run_in("kernel", after, 10).total, 0);
    assert_eq!(run("kernel").total, 1);
    let none = TimeRange::new(Some(t("2030-01-01T00:00:00Z")), None);
    assert_eq!(run_in("*", none, 10).total, 0);
}

#[test]
fn stats_count_by_field() {
    let r = run("event.action:ssh_login | stats count() by user.name");
    assert!(r.is_aggregation);
    assert_eq!(r.columns, vec!["user.name", "count()"]);
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for e in &fx().events {
        if s(e, "event.action") == "ssh_login" {
            *want.entry(s(e, "user.name").to_string()).or_default() += 1;
        }
    }
    let got: BTreeMap<String, u64> = r
        .rows
        .iter()
        .map(|row| {
            (
                row[0].as_str().unwrap_or("").to_string(),
                row[1].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(r.total, want.values().sum::<u64>());
}

#[test]
fn stats_metrics_and_nulls() {
    let r = run("_exists_:http.response.status_code | stats count(), count_distinct(source.ip), min(http.response.bytes), max(http.response.bytes), avg(http.response.bytes) as avg_bytes, sum(http.response.bytes)");
    assert_eq!(
        r.columns,
        vec![
            "count()",
            "count_distinct(source.ip)",
            "min(http.response.bytes)",
            "max(http.response.bytes)",
            "avg_bytes",
            "sum(http.response.bytes)"
        ]
    );
    let bytes: Vec<i64> = fx()
        .events
        .iter()
        .filter_map(|e| n(e, "http.response.bytes"))
        .collect();
    let row = &r.rows[0];
    assert_eq!(row[0], json!(bytes.len()));
    assert_eq!(row[1], json!(bytes.len()));
    assert_eq!(row[2], json!(bytes.iter().min()));
    assert_eq!(row[3], json!(bytes.iter().max()));
    let sum: i64 = bytes.iter().sum();
    assert_eq!(row[5], json!(sum));
    assert!((row[4].as_f64().unwrap_or(0.0) - sum as f64 / bytes.len() as f64).abs() < 1e-9);

    // Missing group values are null; two group fields.
    let r = run("tags:ssh | stats count() by event.outcome, source.port");
    assert_eq!(r.columns, vec!["event.outcome", "source.port", "count()"]);
    assert!(r
        .rows
        .iter()
        .any(|row| row[0] == json!("success") && row[1].is_null()));
    assert!(r
        .rows
        .iter()
        .any(|row| row[0] == json!("failure") && row[1].is_i64()));
    // Arrays count in each group.
    let r = run("* | stats count() by tags");
    let m: BTreeMap<String, u64> = r
        .rows
        .iter()
        .map(|row| {
            (
                row[0].as_str().unwrap_or("null").to_string(),
                row[1].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let ssh = fx().events.iter().filter(|e| e.has_tag("ssh")).count() as u64;
    assert_eq!(m.get("ssh"), Some(&ssh));
    assert!(m.contains_key("null"));
    // Stats with no match still has one row.
    let r = run("user.name:nomatch | stats count()");
    assert_eq!(r.rows, vec![vec![json!(0)]]);
    // min/max of @timestamp is a date.
    let r = run("* | stats min(@timestamp), max(@timestamp)");
    assert_eq!(r.rows[0][0], json!("2026-01-10T00:00:00.000Z"));
    // Aggregating a full-text field is refused.
    let err = fx().searcher.search(
        "* | stats count() by message",
        TimeRange::all(),
        10,
        &fx().store,
    );
    assert!(matches!(err, Err(SearchError::Unsupported(_))), "{err:?}");
    // by IP field renders IPs as text.
    let r = run("source.ip:10.0.1.5 | stats count() by source.ip");
    assert_eq!(r.rows, vec![vec![json!("10.0.1.5"), json!(1)]]);
}

#[test]
fn pipes_compose() {
    let r = run("* | stats count() by host.name | sort -count() | head 2");
    assert_eq!(r.rows.len(), 2);
    let counts: Vec<u64> = r
        .rows
        .iter()
        .map(|row| row[1].as_u64().unwrap_or(0))
        .collect();
    assert!(counts[0] >= counts[1]);
    let r2 = run("* | stats count() by host.name | sort -count | head 2");
    assert_eq!(r.rows, r2.rows);
    let r = run("* | stats count() as n by host.name | sort n, -host.name");
    let ns: Vec<u64> = r
        .rows
        .iter()
        .map(|row| row[1].as_u64().unwrap_or(0))
        .collect();
    assert!(ns.windows(2).all(|w| w[0] <= w[1]));
    let r = run("* | stats count() by host.name | fields count()");
    assert_eq!(r.columns, vec!["count()"]);
    // Hits: sort by a field, head, fields.
    let r = run("_exists_:http.response.bytes | sort -http.response.bytes | head 3 | fields http.response.bytes, url.path");
    assert_eq!(r.hits.len(), 3);
    assert_eq!(r.columns, vec!["http.response.bytes", "url.path"]);
    let b: Vec<i64> = r
        .hits
        .iter()
        .map(|h| h["http"]["response"]["bytes"].as_i64().unwrap_or(-1))
        .collect();
    let mut all: Vec<i64> = fx()
        .events
        .iter()
        .filter_map(|e| n(e, "http.response.bytes"))
        .collect();
    all.sort_by(|a, b| b.cmp(a));
    assert_eq!(b, all[..3].to_vec());
    assert!(r.hits[0].get("message").is_none());
    assert!(r.hits[0]["url"]["path"].is_string());
    // Sort ascending by keyword, then in-memory re-sort after head.
    let r = run("_exists_:user.name | sort user.name | head 4 | sort -process.pid");
    assert_eq!(r.hits.len(), 4);
    let names: Vec<&str> = r
        .hits
        .iter()
        .map(|h| h["user"]["name"].as_str().unwrap_or(""))
        .collect();
    let mut users: Vec<&str> = fx()
        .events
        .iter()
        .filter_map(|e| e.get_str("user.name"))
        .collect();
    users.sort();
    let mut first4 = users[..4].to_vec();
    let mut got = names.clone();
    first4.sort();
    got.sort();
    assert_eq!(got, first4);
    // head before stats: stats runs on the fetched hits.
    let r = run("tags:ssh | head 5 | stats count() by event.outcome");
    let total: u64 = r.rows.iter().map(|row| row[1].as_u64().unwrap_or(0)).sum();
    assert_eq!(total, 5);
    // timechart on fetched hits.
    let r = run("tags:ssh | head 10 | timechart span=1d count()");
    let total: u64 = r.rows.iter().map(|row| row[1].as_u64().unwrap_or(0)).sum();
    assert_eq!(total, 10);
    // stats of stats.
    let r = run("* | stats count() by host.name | stats sum(count()) as all");
    assert_eq!(r.rows[0][0], json!(fx().events.len()));
    // limit caps hits, not total.
    let r = run_in("tags:ssh | head 100", TimeRange::all(), 3);
    assert_eq!(r.hits.len(), 3);
    // head with no number = 10.
    assert_eq!(run("* | head").hits.len(), 10);
}

#[test]
fn timechart() {
    let range = TimeRange::new(
        Some(t("2026-01-10T00:00:00Z")),
        Some(t("2026-01-13T00:00:00Z")),
    );
    let r = run_in("* | timechart span=1d count()", range, 10);
    assert!(r.is_aggregation);
    assert_eq!(r.columns, vec!["_time", "count()"]);
    assert_eq!(r.rows.len(), 3);
    assert_eq!(r.rows[0][0], json!("2026-01-10T00:00:00.000Z"));
    let day10 = fx()
        .events
        .iter()
        .filter(|e| s(e, "@timestamp").starts_with("2026-01-10"))
        .count();
    assert_eq!(r.rows[0][1], json!(day10));
    let sum: u64 = r.rows.iter().map(|row| row[1].as_u64().unwrap_or(0)).sum();
    assert_eq!(sum, r.total);

    let r = run_in(
        "event.action:ssh_login | timechart span=1d count() by event.outcome",
        range,
        10,
    );
    assert_eq!(r.columns.len(), 3);
    assert!(
        r.columns.contains(&"success".to_string()) && r.columns.contains(&"failure".to_string())
    );
    let total: u64 = r
        .rows
        .iter()
        .flat_map(|row| row[1..].iter())
        .map(|v| v.as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, r.total);

    // Hourly buckets with gaps filled; several aggregations.
    let r = run_in(
        "* | timechart span=1h count(), max(http.response.bytes)",
        range,
        10,
    );
    assert_eq!(r.rows.len(), 72);
    assert_eq!(
        r.columns,
        vec!["_time", "count()", "max(http.response.bytes)"]
    );
    assert!(r
        .rows
        .iter()
        .any(|row| row[1] == json!(0) && row[2].is_null()));

    // Series limit folds the rest into OTHER.
    let r = run_in(
        "* | timechart span=1d limit=2 count() by host.name",
        range,
        10,
    );
    assert_eq!(r.columns.len(), 4);
    assert_eq!(r.columns[3], "OTHER");

    // Automatic span, unbounded range: covers the data.
    let r = run("* | timechart count()");
    assert!(!r.rows.is_empty());
    let sum: u64 = r.rows.iter().map(|row| row[1].as_u64().unwrap_or(0)).sum();
    assert_eq!(sum + 1, r.total, "the undated event has no bucket");

    // Too many buckets is an error, not an OOM.
    let err = fx()
        .searcher
        .search("* | timechart span=1s count()", range, 10, &fx().store);
    assert!(matches!(err, Err(SearchError::Unsupported(_))), "{err:?}");
}

#[test]
fn field_catalogue() {
    let fields = fx().searcher.fields().unwrap_or_else(|e| panic!("{e}"));
    let get = |name: &str| fields.iter().find(|f| f.name == name).cloned();
    let events = &fx().events;
    let count = |p: &str| events.iter().filter(|e| e.get(p).is_some()).count() as u64;
    let ip = get("source.ip").unwrap_or_else(|| panic!("source.ip missing"));
    assert_eq!(ip.field_type, FieldType::Ip);
    assert_eq!(ip.count, count("source.ip"));
    assert_eq!(
        get("@timestamp").map(|f| f.field_type),
        Some(FieldType::Date)
    );
    assert_eq!(
        get("@timestamp").map(|f| f.count),
        Some(count("@timestamp"))
    );
    assert_eq!(
        get("message").map(|f| (f.field_type, f.count)),
        Some((FieldType::Text, count("message")))
    );
    assert_eq!(
        get("user.name").map(|f| f.field_type),
        Some(FieldType::Keyword)
    );
    assert_eq!(
        get("process.pid").map(|f| f.field_type),
        Some(FieldType::Long)
    );
    assert_eq!(
        get("event.duration").map(|f| f.field_type),
        Some(FieldType::Double)
    );
    assert_eq!(
        get("labels.critical").map(|f| f.field_type),
        Some(FieldType::Boolean)
    );
    assert_eq!(
        get("related.ip").map(|f| (f.field_type, f.count)),
        Some((FieldType::Ip, count("related.ip")))
    );
    assert_eq!(get("tags").map(|f| f.count), Some(count("tags")));
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn syntax_errors_name_position_and_expectation() {
    let cases = [
        ("user.name: root", 10, "expected a value after ':'"),
        ("(user.name:root", 15, "expected ')' to close the '(' at 0, found end of query"),
        ("a OR", 4, "expected a search term, found end of query"),
        ("status:[1 TO 2", 14, "expected ']' or '}' to close the range, found end of query"),
        ("status:[1 2]", 10, "expected 'TO', found '2'"),
        ("* | stats", 9, "expected an aggregation (count(), count_distinct(f), min(f), max(f), avg(f), sum(f)), found end of query"),
        ("* | stats avg()", 10, "expected a field name in avg()"),
        ("* | sorted x", 4, "expected a command (stats, timechart, sort, head, fields), found 'sorted'"),
        ("* | timechart span=5q count()", 19, "expected a span like 30s, 5m, 1h or 1d, found '5q'"),
        ("\"unterminated", 13, "expected '\"' to close the quote opened at 0"),
        ("http.response.status_code:>=", 28, "expected a value after '>='"),
        ("@timestamp:>yesterday", 12, "expected a date (RFC 3339, YYYY-MM-DD, now or -15m), found 'yesterday'"),
    ];
    for (q, pos, message) in cases {
        match fx().searcher.search(q, TimeRange::all(), 10, &fx().store) {
            Err(e @ SearchError::Syntax { .. }) => {
                let SearchError::Syntax {
                    position,
                    message: m,
                    ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!((*position, m.as_str()), (pos, message), "for {q:?}");
                assert_eq!(e.to_string(), format!("syntax error at {pos}: {message}"));
            }
            other => panic!("{q:?}: expected a syntax error, got {other:?}"),
        }
    }
    // Positions are in characters, not bytes.
    match vigil_index::check_query("message:é ünïcödé:") {
        Err(SearchError::Syntax { position, .. }) => assert_eq!(position, 18),
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_never_panics() {
    let queries = [
        "user.name:adm* AND (source.ip:10.0.0.0/8 OR -\"failed password\") | stats count() by host.name | sort -count | head 5",
        "http.response.status_code:[400 TO 499} event.duration:>=1.5 | timechart span=1h count(), avg(event.duration) by host.name",
        "_exists_:user.name NOT user.name:(root OR \"bob\") | fields user.name, source.ip | sort +user.name",
        "source.ip:2001:db8::/32 @timestamp:>=2026-01-11 message:\"for root\" | head 3",
        r#"file.path:C\:\\Windows\\* tags:* | stats dc(source.ip) as n, min(@timestamp), max(process.pid)"#,
    ];
    let f = fx();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let alphabet: Vec<char> = "ab:*?\"()[]{}|,=-+<>/\\ .09éTOANDORNOT_exists_ stats by sort head"
        .chars()
        .collect();
    let mut inputs: Vec<String> = Vec::new();
    for q in queries {
        let chars: Vec<char> = q.chars().collect();
        for i in 0..=chars.len() {
            inputs.push(chars[..i].iter().collect());
            inputs.push(chars[i..].iter().collect());
        }
        for _ in 0..100 {
            let mut c = chars.clone();
            let pos = (next() as usize) % (c.len() + 1);
            let ch = alphabet[(next() as usize) % alphabet.len()];
            c.insert(pos, ch);
            if !c.is_empty() {
                let del = (next() as usize) % c.len();
                c.remove(del);
            }
            inputs.push(c.into_iter().collect());
        }
    }
    for _ in 0..300 {
        let len = (next() as usize) % 30;
        inputs.push(
            (0..len)
                .map(|_| alphabet[(next() as usize) % alphabet.len()])
                .collect(),
        );
    }
    for q in [
        "source.ip:[10.0.0.5 TO 10.0.0.1]",
        "source.ip:{10.0.0.1 TO 10.0.0.2}",
        "http.response.status_code:[500 TO 400]",
        "http.response.status_code:{400 TO 400}",
        "user.name:[z TO a]",
        "@timestamp:[2026-01-12 TO 2026-01-10]",
        "x:[* TO *] y:{* TO *}",
        "event.duration:>1e400 event.duration:<-1e400 process.pid:99999999999999999999999",
        "@timestamp:>9999-12-31 @timestamp:<0001-01-01 @timestamp:-99999999d",
        "process.pid:>18446744073709551615 process.pid:<-9223372036854775808",
        "event.duration:[1 TO 18446744073709551615] event.duration:[-1.5 TO 3]",
        "source.ip:::/0 source.ip:0.0.0.0/0 source.ip:255.255.255.255/32 source.ip:*.*",
        "_exists_:\"\" _exists_:a..b _exists_:. a.:x .a:x",
        "* | sort -message",
        "* | sort a, b, c, d | head 1",
        "* | stats count() by a, b, c, d, e, f, g",
        "* | timechart span=1w count() by tags | sort -_time | head 2",
        "* | head 0 | stats count()",
        "* | fields | head",
        "NOT * | stats min(x)",
        "\"\" | stats count()",
        "message:\"\" message:* message:*a*",
    ] {
        inputs.push(q.to_string());
    }
    inputs.push("(".repeat(500));
    inputs.push("NOT ".repeat(500) + "a");
    inputs.push("a:".repeat(200));
    for q in &inputs {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f.searcher.search(q, TimeRange::all(), 5, &f.store)
        }));
        assert!(r.is_ok(), "query panicked: {q:?}");
    }
}

#[test]
fn searcher_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Searcher>();
    fn assert_send<T: Send + 'static>() {}
    assert_send::<vigil_index::Indexer>();
    let s2 = fx().searcher.clone();
    let h = std::thread::spawn(move || {
        s2.search("*", TimeRange::all(), 1, &BTreeMap::<u64, Event>::new())
            .map(|r| r.total)
    });
    // An empty store cannot return the hit: that is a store error.
    assert!(matches!(h.join().ok(), Some(Err(SearchError::Store(_)))));
}
