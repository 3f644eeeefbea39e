//! Integration tests of the alert store against a real SQLite file on disk.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use tempfile::TempDir;
use vigil_alert::{
    alert_id, open_pool, AlertError, AlertFilter, AlertStatus, AlertStore, NewAlert, RecordOutcome,
    MAX_EVENT_IDS,
};

const MIN: Duration = Duration::from_secs(60);

fn t(secs: i64) -> DateTime<Utc> {
    match Utc.timestamp_opt(1_700_000_000 + secs, 123_456_789) {
        chrono::LocalResult::Single(t) => t,
        _ => panic!("bad test time"),
    }
}

fn key(user: &str) -> Vec<(String, String)> {
    vec![("user".to_string(), user.to_string())]
}

fn new_alert(rule: &str, user: &str, start: i64, end: i64, count: u64) -> NewAlert {
    let group_key = key(user);
    NewAlert {
        id: alert_id(rule, &group_key, t(start)),
        rule_id: rule.to_string(),
        rule_title: format!("Title of {rule}"),
        level: "high".to_string(),
        tags: vec![
            "attack.t1110".to_string(),
            "attack.credential_access".to_string(),
        ],
        author: Some("Jane Doe".to_string()),
        license: Some("DRL-1.1".to_string()),
        rule_file: Some(format!("rules/{rule}.yml")),
        group_key,
        event_ids: (0..count)
            .map(|i| format!("{rule}-{user}-{start}-{i}"))
            .collect(),
        contributing: vec![format!("contrib-{start}")],
        first_event_time: t(start),
        last_event_time: t(end),
        count,
        explanation: json!({"selection": "sel", "field": "EventID", "value": 4625}),
        possibly_incomplete: false,
    }
}

async fn store() -> (TempDir, AlertStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pool = open_pool(&dir.path().join("meta.db")).await.expect("open");
    let store = AlertStore::new(pool).await.expect("store");
    (dir, store)
}

#[tokio::test]
async fn create_then_get_round_trips_every_field() {
    let (_dir, store) = store().await;
    let mut a = new_alert("r1", "alice", 0, 30, 3);
    a.author = None;
    a.possibly_incomplete = true;
    a.group_key.push(("host".into(), "h\u{1f}1 ünï".into()));
    let before = Utc::now();
    let rec = store.record(&a, MIN).await.expect("record");
    assert_eq!(rec.outcome, RecordOutcome::Created);
    assert_eq!(rec.id, a.id);

    let got = store.get(&a.id).await.expect("get").expect("present");
    assert_eq!(got.alert, a);
    assert_eq!(got.status, AlertStatus::Open);
    assert!(got.created_at >= before - chrono::Duration::seconds(1));
    assert_eq!(got.created_at, got.updated_at);
    assert!(store.get("nope").await.expect("get").is_none());
    assert_eq!(store.count().await.expect("count"), 1);

    // JSON shape: NewAlert fields flattened next to status.
    let v = serde_json::to_value(&got).expect("json");
    assert_eq!(v["rule_id"], "r1");
    assert_eq!(v["status"], "open");
}

#[tokio::test]
async fn replay_is_duplicate_and_changes_nothing() {
    let (_dir, store) = store().await;
    let a = new_alert("r1", "alice", 0, 30, 3);
    store.record(&a, MIN).await.expect("record");
    let first = store.get(&a.id).await.expect("get").expect("present");
    let rec = store.record(&a, MIN).await.expect("replay");
    assert_eq!(rec.outcome, RecordOutcome::Duplicate);
    assert_eq!(rec.id, a.id);
    let again = store.get(&a.id).await.expect("get").expect("present");
    assert_eq!(first, again);
    assert_eq!(store.count().await.expect("count"), 1);
}

#[tokio::test]
async fn merge_inside_suppression_window() {
    let (_dir, store) = store().await;
    let a = new_alert("r1", "alice", 0, 30, 3);
    let mut b = new_alert("r1", "alice", 60, 80, 2);
    b.possibly_incomplete = true;
    b.contributing.push("contrib-0".into()); // already present: not repeated
    store.record(&a, MIN).await.expect("a");
    let rec = store.record(&b, MIN).await.expect("b");
    assert_eq!(rec.outcome, RecordOutcome::Merged);
    assert_eq!(rec.id, a.id);
    assert_eq!(store.count().await.expect("count"), 1);

    let got = store.get(&a.id).await.expect("get").expect("present");
    assert_eq!(got.alert.count, 5);
    assert_eq!(got.alert.first_event_time, t(0));
    assert_eq!(got.alert.last_event_time, t(80));
    let mut want_ids = a.event_ids.clone();
    want_ids.extend(b.event_ids.iter().cloned());
    assert_eq!(got.alert.event_ids, want_ids);
    assert_eq!(got.alert.contributing, vec!["contrib-0", "contrib-60"]);
    assert!(got.alert.possibly_incomplete);
    assert!(got.updated_at >= got.created_at);

    // The merged alert's id resolves to the existing alert.
    let via_alias = store.get(&b.id).await.expect("get").expect("alias");
    assert_eq!(via_alias, got);
    // And replaying it is a duplicate that changes nothing.
    let rec = store.record(&b, MIN).await.expect("replay b");
    assert_eq!(rec.outcome, RecordOutcome::Duplicate);
    assert_eq!(rec.id, a.id);
    assert_eq!(store.get(&a.id).await.expect("get").expect("present"), got);

    // An earlier alert whose window reaches the existing one also merges (min first time).
    let c = new_alert("r1", "alice", -100, -90, 1);
    let rec = store
        .record(&c, Duration::from_secs(1000))
        .await
        .expect("c");
    assert_eq!(rec.outcome, RecordOutcome::Merged);
    let got = store.get(&a.id).await.expect("get").expect("present");
    assert_eq!(got.alert.first_event_time, t(-100));
    assert_eq!(got.alert.last_event_time, t(80));
    assert_eq!(got.alert.count, 6);
}

#[tokio::test]
async fn outside_window_or_other_group_creates() {
    let (_dir, store) = store().await;
    let a = new_alert("r1", "alice", 0, 30, 3);
    store.record(&a, MIN).await.expect("a");
    // last_event_time 30 < 100 - 60: outside.
    let b = new_alert("r1", "alice", 100, 110, 1);
    assert_eq!(
        store.record(&b, MIN).await.expect("b").outcome,
        RecordOutcome::Created
    );
    // Inside the window but another group / another rule.
    let c = new_alert("r1", "bob", 40, 50, 1);
    assert_eq!(
        store.record(&c, MIN).await.expect("c").outcome,
        RecordOutcome::Created
    );
    let d = new_alert("r2", "alice", 40, 50, 1);
    assert_eq!(
        store.record(&d, MIN).await.expect("d").outcome,
        RecordOutcome::Created
    );
    // Zero suppression: only an exact overlap merges.
    let e = new_alert("r1", "alice", 110, 120, 1);
    assert_eq!(
        store.record(&e, Duration::ZERO).await.expect("e").outcome,
        RecordOutcome::Merged
    );
    assert_eq!(store.count().await.expect("count"), 4);
}

#[tokio::test]
async fn closed_alert_is_never_merged_into() {
    let (_dir, store) = store().await;
    let a = new_alert("r1", "alice", 0, 30, 3);
    store.record(&a, MIN).await.expect("a");
    assert!(store
        .set_status(&a.id, AlertStatus::Closed)
        .await
        .expect("close"));
    assert!(!store
        .set_status("missing", AlertStatus::Closed)
        .await
        .expect("close"));
    let b = new_alert("r1", "alice", 40, 50, 1);
    assert_eq!(
        store.record(&b, MIN).await.expect("b").outcome,
        RecordOutcome::Created
    );
    let a_now = store.get(&a.id).await.expect("get").expect("present");
    assert_eq!(a_now.alert.count, 3);
    assert_eq!(a_now.status, AlertStatus::Closed);

    // An acknowledged alert is still merged into.
    assert!(store
        .set_status(&b.id, AlertStatus::Acknowledged)
        .await
        .expect("ack"));
    let c = new_alert("r1", "alice", 55, 56, 1);
    let rec = store.record(&c, MIN).await.expect("c");
    assert_eq!(rec.outcome, RecordOutcome::Merged);
    assert_eq!(rec.id, b.id);
    // set_status through an alias.
    assert!(store
        .set_status(&c.id, AlertStatus::Open)
        .await
        .expect("reopen"));
    assert_eq!(
        store
            .get(&b.id)
            .await
            .expect("get")
            .expect("present")
            .status,
        AlertStatus::Open
    );
}

#[tokio::test]
async fn list_filters_and_orders_newest_first() {
    let (_dir, store) = store().await;
    // Five alerts of r1 (distinct users) and two of r2, spaced apart in time.
    for (i, user) in ["u0", "u1", "u2", "u3", "u4"].iter().enumerate() {
        let s = i as i64 * 1000;
        store
            .record(&new_alert("r1", user, s, s + 10, 1), MIN)
            .await
            .expect("r1");
    }
    for (i, user) in ["v0", "v1"].iter().enumerate() {
        let s = 500 + i as i64 * 1000;
        store
            .record(&new_alert("r2", user, s, s + 10, 1), MIN)
            .await
            .expect("r2");
    }
    let all = store.list(&AlertFilter::default()).await.expect("list");
    assert_eq!(all.len(), 7);
    let times: Vec<_> = all.iter().map(|a| a.alert.last_event_time).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
    assert_eq!(all[0].alert.group_key, key("u4"));

    let r2 = store
        .list(&AlertFilter {
            rule: Some("r2".into()),
            ..Default::default()
        })
        .await
        .expect("by id");
    assert_eq!(r2.len(), 2);
    assert!(r2.iter().all(|a| a.alert.rule_id == "r2"));
    let by_title = store
        .list(&AlertFilter {
            rule: Some("Title of r2".into()),
            ..Default::default()
        })
        .await
        .expect("by title");
    assert_eq!(by_title, r2);

    let first_r1 = alert_id("r1", &key("u1"), t(1000));
    store
        .set_status(&first_r1, AlertStatus::Acknowledged)
        .await
        .expect("ack");
    let acked = store
        .list(&AlertFilter {
            status: Some(AlertStatus::Acknowledged),
            ..Default::default()
        })
        .await
        .expect("acked");
    assert_eq!(acked.len(), 1);
    assert_eq!(acked[0].alert.id, first_r1);
    let open = store
        .list(&AlertFilter {
            status: Some(AlertStatus::Open),
            ..Default::default()
        })
        .await
        .expect("open");
    assert_eq!(open.len(), 6);

    // from inclusive, to exclusive, on last_event_time.
    let window = store
        .list(&AlertFilter {
            from: Some(t(1010)),
            to: Some(t(3010)),
            ..Default::default()
        })
        .await
        .expect("window");
    let ends: Vec<_> = window.iter().map(|a| a.alert.last_event_time).collect();
    assert_eq!(ends, vec![t(2010), t(1510), t(1010)]);

    let limited = store
        .list(&AlertFilter {
            limit: Some(2),
            ..Default::default()
        })
        .await
        .expect("limit");
    assert_eq!(limited, all[..2].to_vec());
    let combined = store
        .list(&AlertFilter {
            status: Some(AlertStatus::Open),
            rule: Some("r1".into()),
            from: Some(t(0)),
            to: Some(t(4000)),
            limit: Some(10_000_000),
        })
        .await
        .expect("combined");
    assert_eq!(combined.len(), 3); // u0, u2, u3 (u1 acknowledged, u4 outside)
}

#[tokio::test]
async fn rule_stats_sum_counts() {
    let (_dir, store) = store().await;
    store
        .record(&new_alert("r1", "a", 0, 10, 3), MIN)
        .await
        .expect("1");
    store
        .record(&new_alert("r1", "a", 20, 25, 4), MIN)
        .await
        .expect("2 merged");
    store
        .record(&new_alert("r1", "b", 0, 40, 5), MIN)
        .await
        .expect("3");
    store
        .record(&new_alert("r2", "a", 0, 7, 1), MIN)
        .await
        .expect("4");
    let stats = store.rule_stats().await.expect("stats");
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[0].rule_id, "r1");
    assert_eq!(stats[0].alerts, 2);
    assert_eq!(stats[0].hits, 12);
    assert_eq!(stats[0].last_hit, Some(t(40)));
    assert!(stats[0].last_updated.is_some());
    assert_eq!(stats[1].rule_id, "r2");
    assert_eq!(stats[1].alerts, 1);
    assert_eq!(stats[1].hits, 1);
    assert_eq!(stats[1].last_hit, Some(t(7)));
    assert!(AlertStore::new(store.pool().clone()).await.is_ok());
}

#[tokio::test]
async fn event_id_cap_keeps_count() {
    let (_dir, store) = store().await;
    let a = new_alert("r1", "alice", 0, 10, 700);
    store.record(&a, MIN).await.expect("a");
    let b = new_alert("r1", "alice", 20, 30, 600);
    store.record(&b, MIN).await.expect("b");
    let got = store.get(&a.id).await.expect("get").expect("present");
    assert_eq!(got.alert.count, 1300);
    assert_eq!(got.alert.event_ids.len(), MAX_EVENT_IDS);
    // The oldest are kept: all of a's, then b's first 300.
    assert_eq!(got.alert.event_ids[..700], a.event_ids[..]);
    assert_eq!(got.alert.event_ids[700..], b.event_ids[..300]);

    // A single oversized alert is capped on insert too.
    let big = new_alert("r9", "x", 0, 1, 1500);
    store.record(&big, MIN).await.expect("big");
    let got = store.get(&big.id).await.expect("get").expect("present");
    assert_eq!(got.alert.count, 1500);
    assert_eq!(got.alert.event_ids, big.event_ids[..MAX_EVENT_IDS].to_vec());
}

#[tokio::test]
async fn reopening_the_file_keeps_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meta.db");
    let a = new_alert("r1", "alice", 0, 30, 3);
    let b = new_alert("r1", "alice", 40, 50, 1);
    let before = {
        let store = AlertStore::new(open_pool(&path).await.expect("open"))
            .await
            .expect("s");
        store.record(&a, MIN).await.expect("a");
        store.record(&b, MIN).await.expect("b");
        store
            .set_status(&a.id, AlertStatus::Acknowledged)
            .await
            .expect("ack");
        let got = store.get(&a.id).await.expect("get").expect("present");
        store.pool().close().await;
        got
    };
    let pool = open_pool(&path).await.expect("reopen");
    // Another crate's table in the same file is left alone.
    sqlx::query("CREATE TABLE IF NOT EXISTS other_crate (x INTEGER)")
        .execute(&pool)
        .await
        .expect("other table");
    let store = AlertStore::new(pool).await.expect("store");
    assert_eq!(store.count().await.expect("count"), 1);
    assert_eq!(
        store.get(&a.id).await.expect("get").expect("present"),
        before
    );
    assert_eq!(
        store.get(&b.id).await.expect("alias").expect("present"),
        before
    );
    assert_eq!(
        store.record(&b, MIN).await.expect("replay").outcome,
        RecordOutcome::Duplicate
    );
    let version: i64 = sqlx::query_scalar("SELECT MAX(version) FROM alert_schema_version")
        .fetch_one(store.pool())
        .await
        .expect("version");
    assert_eq!(version, 1);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alert_schema_version")
        .fetch_one(store.pool())
        .await
        .expect("rows");
    assert_eq!(rows, 1);
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .expect("journal");
    assert_eq!(journal, "wal");
}

#[test]
fn alert_id_is_deterministic_and_input_sensitive() {
    let k = vec![
        ("user".to_string(), "alice".to_string()),
        ("host".into(), "h1".into()),
    ];
    let base = alert_id("r1", &k, t(0));
    assert_eq!(base, alert_id("r1", &k, t(0)));
    assert_eq!(base.len(), 32);
    assert!(base
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

    let mut others = vec![
        alert_id("r2", &k, t(0)),
        alert_id("r1", &k, t(1)),
        alert_id("r1", &k, t(0) + chrono::Duration::nanoseconds(1)),
        alert_id("r1", &[], t(0)),
        alert_id("r1", &k[..1], t(0)),
        alert_id("r1", &[("user".into(), "alicf".into()), k[1].clone()], t(0)),
        alert_id("r1", &[("usr".into(), "alice".into()), k[1].clone()], t(0)),
        alert_id("r1", &[k[1].clone(), k[0].clone()], t(0)),
    ];
    assert!(!others.contains(&base));
    others.sort();
    others.dedup();
    assert_eq!(others.len(), 8);
}

#[tokio::test]
async fn corrupt_json_column_is_an_error_not_a_panic() {
    let (_dir, store) = store().await;
    let a = new_alert("r1", "alice", 0, 30, 3);
    store.record(&a, MIN).await.expect("a");
    sqlx::query("UPDATE alerts SET explanation = '{not json' WHERE id = ?")
        .bind(&a.id)
        .execute(store.pool())
        .await
        .expect("corrupt");
    match store.get(&a.id).await {
        Err(AlertError::Corrupt { id, reason }) => {
            assert_eq!(id, a.id);
            assert!(reason.contains("explanation"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(matches!(
        store.list(&AlertFilter::default()).await,
        Err(AlertError::Corrupt { .. })
    ));

    // A corrupt event_ids column is reported when merging into it, and nothing changes.
    sqlx::query("UPDATE alerts SET explanation = '{}', event_ids = '[1, 2' WHERE id = ?")
        .bind(&a.id)
        .execute(store.pool())
        .await
        .expect("corrupt");
    let b = new_alert("r1", "alice", 40, 50, 1);
    assert!(matches!(
        store.record(&b, MIN).await,
        Err(AlertError::Corrupt { .. })
    ));
    let count: i64 = sqlx::query_scalar("SELECT count FROM alerts WHERE id = ?")
        .bind(&a.id)
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(count, 3);

    // An unknown status is corrupt too.
    sqlx::query("UPDATE alerts SET event_ids = '[]', status = 'weird' WHERE id = ?")
        .bind(&a.id)
        .execute(store.pool())
        .await
        .expect("corrupt");
    assert!(matches!(
        store.get(&a.id).await,
        Err(AlertError::Corrupt { .. })
    ));
}

#[test]
fn status_parse_and_display() {
    for s in AlertStatus::ALL {
        assert_eq!(s.to_string().parse::<AlertStatus>(), Ok(s));
    }
    assert_eq!(AlertStatus::Acknowledged.to_string(), "acknowledged");
    let err = "Opened".parse::<AlertStatus>().expect_err("bad");
    let msg = err.to_string();
    assert!(
        msg.contains("Opened") && msg.contains("open, acknowledged, closed"),
        "{msg}"
    );
    assert_eq!(
        serde_json::to_string(&AlertStatus::Closed).expect("json"),
        "\"closed\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_records_stay_consistent() {
    let (_dir, store) = store().await;
    let mut tasks = Vec::new();
    for i in 0..8i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Same alert recorded twice by every task, plus one overlapping alert each.
            let same = new_alert("r1", "alice", 0, 10, 1);
            let own = new_alert("r1", "alice", 1 + i, 5 + i, 1);
            let mut outcomes = Vec::new();
            for a in [&same, &own, &same] {
                outcomes.push(store.record(a, MIN).await.expect("record").outcome);
            }
            outcomes
        }));
    }
    let mut created = 0;
    for t in tasks {
        for o in t.await.expect("join") {
            if o == RecordOutcome::Created {
                created += 1;
            }
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.count().await.expect("count"), 1);
    let all = store.list(&AlertFilter::default()).await.expect("list");
    // One "same" (1) plus eight distinct "own" alerts (1 each) were absorbed.
    assert_eq!(all[0].alert.count, 9);
}
