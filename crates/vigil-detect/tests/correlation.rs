//! Sigma correlation rules (spec: `../shared/data/spec/specification/
//! sigma-correlation-rules-specification.md`): every correlation type, group-by, timespan
//! edges, aliases, `generate`, chaining, the spec's own example with its expected alert,
//! event time with late and out-of-order events, restart through exported state, and
//! determinism.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use vigil_core::Event;
use vigil_detect::{rules_from_text, DetectConfig, Detector, DetectorState, Finding};

const T0: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z

fn at(secs: i64) -> String {
    Utc.timestamp_opt(T0 + secs, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn event(v: Value) -> Event {
    Event::from_map(v.as_object().cloned().expect("object"))
}

/// An event at `secs` after T0 with the given fields and id `e<n>`.
fn ev(n: usize, secs: i64, fields: Value) -> Event {
    let mut map = fields.as_object().cloned().unwrap();
    map.insert("@timestamp".into(), json!(at(secs)));
    map.insert("event".into(), json!({"id": format!("e{n}")}));
    Event::from_map(map)
}

fn config() -> DetectConfig {
    DetectConfig {
        threads: 1,
        allowed_lateness_secs: 300,
        ..DetectConfig::default()
    }
}

fn detector(yaml: &str, cfg: &DetectConfig) -> Detector {
    let set = rules_from_text(Path::new("corr.yml"), yaml);
    assert!(set.errors.is_empty(), "rule errors: {:?}", set.errors);
    let (det, errors) = Detector::new(&set, cfg).expect("detector");
    assert!(errors.is_empty(), "compile errors: {errors:?}");
    det
}

fn run(yaml: &str, events: &[Event]) -> Vec<Finding> {
    detector(yaml, &config()).process_batch(events)
}

fn correlations(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.correlation.is_some())
        .collect()
}

fn group(f: &Finding) -> Vec<(String, String)> {
    f.group_key.clone()
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const FAILED: &str = "title: Failed logon
id: 10000000-0000-4000-8000-000000000001
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
";

const SUCCESS: &str = "title: Successful logon
id: 10000000-0000-4000-8000-000000000002
name: successful_logon
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
    condition: selection
";

fn with_base(corr: &str) -> String {
    format!("{corr}---\n{FAILED}---\n{SUCCESS}")
}

const EVENT_COUNT: &str = "title: Brute force
id: 20000000-0000-4000-8000-000000000001
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [User]
    timespan: 5m
    condition:
        gte: 3
";

fn failed(n: usize, secs: i64, user: &str) -> Event {
    ev(
        n,
        secs,
        json!({"EventID": 4625, "User": user, "Computer": "pc1", "IpAddress": "10.0.0.9"}),
    )
}

fn success(n: usize, secs: i64, user: &str) -> Event {
    ev(
        n,
        secs,
        json!({"EventID": 4624, "User": user, "Computer": "pc1", "IpAddress": "10.0.0.9"}),
    )
}

#[test]
fn event_count_with_group_by() {
    let events = vec![
        failed(1, 0, "alice"),
        failed(2, 10, "bob"),
        failed(3, 60, "alice"),
        failed(4, 70, "bob"),
        failed(5, 120, "alice"),
    ];
    let findings = run(&with_base(EVENT_COUNT), &events);
    // Base rules are not findings by default (generate: false).
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.rule.id, "20000000-0000-4000-8000-000000000001");
    assert_eq!(group(f), kv(&[("User", "alice")]));
    let c = f.correlation.as_ref().unwrap();
    assert_eq!(c.kind, "event_count");
    assert_eq!(c.aggregated_value, 3.0);
    assert_eq!(c.timespan_secs, 300);
    assert_eq!(f.event_index, 4);
    assert_eq!(f.first_event_time.timestamp(), T0);
    assert_eq!(f.last_event_time.timestamp(), T0 + 120);
    let ids: BTreeSet<&str> = f.event_ids.iter().map(String::as_str).collect();
    assert_eq!(ids, BTreeSet::from(["e1", "e3", "e5"]));
}

#[test]
fn timespan_edges() {
    // Just inside: the third event 299 s after the first.
    let inside = vec![failed(1, 0, "a"), failed(2, 150, "a"), failed(3, 299, "a")];
    assert_eq!(run(&with_base(EVENT_COUNT), &inside).len(), 1);
    // Just outside: 301 s after the first, so the first has left the window.
    let outside = vec![failed(1, 0, "a"), failed(2, 150, "a"), failed(3, 301, "a")];
    assert_eq!(run(&with_base(EVENT_COUNT), &outside).len(), 0);
    // ... and a fourth event inside the window of the second completes it again.
    let mut more = outside.clone();
    more.push(failed(4, 400, "a"));
    assert_eq!(run(&with_base(EVENT_COUNT), &more).len(), 1);
}

#[test]
fn group_by_two_fields() {
    let corr = EVENT_COUNT.replace("group-by: [User]", "group-by: [User, Computer]");
    let e = |n, secs, user: &str, host: &str| {
        ev(
            n,
            secs,
            json!({"EventID": 4625, "User": user, "Computer": host}),
        )
    };
    let events = vec![
        e(1, 0, "alice", "pc1"),
        e(2, 1, "alice", "pc2"),
        e(3, 2, "alice", "pc1"),
        e(4, 3, "alice", "pc2"),
        e(5, 4, "alice", "pc1"),
    ];
    let findings = run(&with_base(&corr), &events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        group(&findings[0]),
        kv(&[("User", "alice"), ("Computer", "pc1")])
    );
}

#[test]
fn value_count_counts_distinct_values() {
    let corr = "title: Password spray
id: 20000000-0000-4000-8000-000000000002
correlation:
    type: value_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 10m
    condition:
        field: User
        gte: 3
";
    let e = |n, secs, user: &str, ip: &str| {
        ev(
            n,
            secs,
            json!({"EventID": 4625, "User": user, "IpAddress": ip}),
        )
    };
    // 10.0.0.1 tries three users; 10.0.0.2 one user four times.
    let events = vec![
        e(1, 0, "alice", "10.0.0.1"),
        e(2, 1, "bob", "10.0.0.2"),
        e(3, 2, "alice", "10.0.0.1"),
        e(4, 3, "bob", "10.0.0.2"),
        e(5, 4, "bob", "10.0.0.1"),
        e(6, 5, "bob", "10.0.0.2"),
        e(7, 6, "bob", "10.0.0.2"),
        e(8, 7, "carol", "10.0.0.1"),
    ];
    let findings = run(&with_base(corr), &events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(group(&findings[0]), kv(&[("IpAddress", "10.0.0.1")]));
    assert_eq!(
        findings[0].correlation.as_ref().unwrap().aggregated_value,
        3.0
    );
    assert_eq!(findings[0].event_index, 7);
}

const TRANSFER: &str = "title: Transfer
id: 10000000-0000-4000-8000-000000000003
name: transfer
logsource:
    product: test
detection:
    selection:
        action: transfer
    condition: selection
";

fn transfer(n: usize, secs: i64, user: &str, bytes: i64) -> Event {
    ev(
        n,
        secs,
        json!({"action": "transfer", "User": user, "Bytes": bytes}),
    )
}

#[test]
fn value_sum() {
    let corr = "title: Exfil volume
id: 20000000-0000-4000-8000-000000000003
correlation:
    type: value_sum
    rules: [transfer]
    group-by: [User]
    timespan: 1h
    condition:
        field: Bytes
        gt: 1000
";
    let events = vec![
        transfer(1, 0, "alice", 600),
        transfer(2, 10, "bob", 900),
        transfer(3, 20, "alice", 400), // 1000: not > 1000
        transfer(4, 30, "alice", 1),   // 1001
        transfer(5, 40, "bob", 100),   // 1000
    ];
    let findings = run(&format!("{corr}---\n{TRANSFER}"), &events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(group(&findings[0]), kv(&[("User", "alice")]));
    assert_eq!(
        findings[0].correlation.as_ref().unwrap().aggregated_value,
        1001.0
    );
    assert_eq!(findings[0].event_index, 3);
}

#[test]
fn value_avg() {
    let corr = "title: Large average transfer
id: 20000000-0000-4000-8000-000000000004
correlation:
    type: value_avg
    rules: [transfer]
    group-by: [User]
    timespan: 1h
    condition:
        field: Bytes
        gte: 500
";
    let events = vec![
        transfer(1, 0, "alice", 100),
        transfer(2, 10, "bob", 400),
        transfer(3, 20, "alice", 800), // avg 450
        transfer(4, 30, "bob", 500),   // avg 450
        transfer(5, 40, "alice", 650), // avg 516.7
    ];
    let findings = run(&format!("{corr}---\n{TRANSFER}"), &events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(group(&findings[0]), kv(&[("User", "alice")]));
    let avg = findings[0].correlation.as_ref().unwrap().aggregated_value;
    assert!((avg - 1550.0 / 3.0).abs() < 1e-6, "{avg}");
    assert_eq!(findings[0].event_index, 4);
}

const PROCESS: &str = "title: Process started
id: 10000000-0000-4000-8000-000000000004
name: process_creation
logsource:
    product: test
detection:
    selection:
        action: exec
    condition: selection
";

/// The specification's example: a process name that makes up at most 1% of a computer's
/// process starts in the last 24h.
const RARE_PROCESS: &str = "title: Rare process on a computer
id: 20000000-0000-4000-8000-000000000005
correlation:
    type: value_percentile
    rules: [process_creation]
    group-by: [ComputerName]
    timespan: 24h
    condition:
        field: image
        lte: 1
";

fn exec(n: usize, secs: i64, computer: &str, image: &str) -> Event {
    ev(
        n,
        secs,
        json!({"action": "exec", "ComputerName": computer, "image": image}),
    )
}

#[test]
fn value_percentile_finds_a_value_rare_in_its_group() {
    let mut events = Vec::new();
    // ws1: 150 ordinary starts, then one rare image (1 of 151 = 0.66%).
    for i in 0..150 {
        let image = if i % 2 == 0 {
            "svchost.exe"
        } else {
            "explorer.exe"
        };
        events.push(exec(i, i as i64 * 60, "ws1", image));
    }
    events.push(exec(150, 150 * 60, "ws1", "mimikatz.exe"));
    // ws2: the same image among only 10 starts is 9%, not rare by this rule.
    for i in 0..10 {
        events.push(exec(200 + i, 151 * 60 + i as i64, "ws2", "svchost.exe"));
    }
    events.push(exec(300, 152 * 60, "ws2", "mimikatz.exe"));
    let findings = run(&format!("{RARE_PROCESS}---\n{PROCESS}"), &events);
    let found = correlations(&findings);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(
        group(f),
        kv(&[("ComputerName", "ws1"), ("image", "mimikatz.exe")])
    );
    let detail = f.correlation.as_ref().unwrap();
    assert_eq!(detail.kind, "value_percentile");
    assert!(
        (detail.aggregated_value - 100.0 / 151.0).abs() < 1e-9,
        "{detail:?}"
    );
    assert_eq!(f.event_ids, vec!["e150".to_string()]);
    assert_eq!(f.event_index, 150);
    // `generate` is off: the process starts the correlation consumed are not findings.
    assert_eq!(findings.len(), 1);
}

#[test]
fn value_percentile_forgets_what_left_the_timespan() {
    let yaml = format!("{RARE_PROCESS}---\n{PROCESS}").replace("timespan: 24h", "timespan: 1h");
    let mut events = Vec::new();
    // 200 starts of a common image, then two hours later a rare one: the common starts
    // have left the window, so the rare image is 100% of what is left and does not fire.
    for i in 0..200 {
        events.push(exec(i, i as i64, "ws1", "svchost.exe"));
    }
    events.push(exec(500, 2 * 3600, "ws1", "mimikatz.exe"));
    let findings = run(&yaml, &events);
    assert!(correlations(&findings).is_empty(), "{findings:#?}");
    // Within the hour it fires.
    events.pop();
    events.push(exec(500, 1800, "ws1", "mimikatz.exe"));
    assert_eq!(correlations(&run(&yaml, &events)).len(), 1);
}

#[test]
fn value_percentile_needs_its_field() {
    let yaml = format!("{RARE_PROCESS}---\n{PROCESS}").replace("        field: image\n", "");
    let set = rules_from_text(Path::new("p.yml"), &yaml);
    let (_, errors) = Detector::new(&set, &config()).unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].reason.contains("field"), "{}", errors[0]);
    assert_eq!(errors[0].file, Path::new("p.yml"));
    assert_eq!(errors[0].line, 1);
}

const TEMPORAL: &str = "title: Failure and success
id: 20000000-0000-4000-8000-000000000006
correlation:
    type: temporal
    rules: [failed_logon, successful_logon]
    group-by: [User]
    timespan: 5m
";

#[test]
fn temporal_needs_every_rule_in_any_order() {
    // Success before failure still counts for `temporal`.
    let events = vec![
        success(1, 0, "alice"),
        failed(2, 10, "bob"),
        failed(3, 20, "alice"),
        failed(4, 30, "bob"),
    ];
    let findings = run(&with_base(TEMPORAL), &events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(group(&findings[0]), kv(&[("User", "alice")]));
    assert_eq!(findings[0].correlation.as_ref().unwrap().kind, "temporal");
    assert_eq!(findings[0].event_index, 2);
    // Too far apart: no finding.
    let apart = vec![success(1, 0, "alice"), failed(2, 301, "alice")];
    assert_eq!(run(&with_base(TEMPORAL), &apart).len(), 0);
}

#[test]
fn temporal_ordered_needs_the_order() {
    let corr = TEMPORAL
        .replace("type: temporal", "type: temporal_ordered")
        .replace(
            "20000000-0000-4000-8000-000000000006",
            "20000000-0000-4000-8000-000000000007",
        );
    let in_order = vec![failed(1, 0, "alice"), success(2, 10, "alice")];
    let findings = run(&with_base(&corr), &in_order);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].correlation.as_ref().unwrap().kind,
        "temporal_ordered"
    );
    let reversed = vec![success(1, 0, "alice"), failed(2, 10, "alice")];
    assert_eq!(run(&with_base(&corr), &reversed).len(), 0);
    // Different groups do not combine.
    let mixed = vec![failed(1, 0, "alice"), success(2, 10, "bob")];
    assert_eq!(run(&with_base(&corr), &mixed).len(), 0);
}

#[test]
fn aliases_map_different_fields_to_one_group() {
    let yaml = "title: Error then connection from the same address
id: 20000000-0000-4000-8000-000000000008
correlation:
    type: temporal
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
---
title: Internal error
id: 10000000-0000-4000-8000-000000000010
name: internal_error
logsource:
    product: test
detection:
    selection:
        http.response.status_code: 500
    condition: selection
---
title: New connection
id: 10000000-0000-4000-8000-000000000011
name: new_network_connection
logsource:
    product: test
detection:
    selection:
        kind: connection
    condition: selection
";
    let err = |n, secs, ip: &str| {
        ev(
            n,
            secs,
            json!({"http": {"response": {"status_code": 500}}, "destination": {"ip": ip}}),
        )
    };
    let conn = |n, secs, ip: &str| ev(n, secs, json!({"kind": "connection", "source": {"ip": ip}}));
    let events = vec![
        err(1, 0, "10.0.0.1"),
        conn(2, 2, "10.0.0.2"),
        conn(3, 4, "10.0.0.1"),
    ];
    let findings = run(yaml, &events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(group(&findings[0]), kv(&[("internal_ip", "10.0.0.1")]));
    assert_eq!(findings[0].event_index, 2);
}

#[test]
fn generate_true_also_emits_the_base_rule_matches() {
    // `generate` sits at the document root (correlation JSON schema).
    let gen = format!("{EVENT_COUNT}generate: true\n");
    let events = vec![failed(1, 0, "a"), failed(2, 1, "a"), failed(3, 2, "a")];
    let findings = run(&with_base(&gen), &events);
    let base: Vec<_> = findings
        .iter()
        .filter(|f| f.correlation.is_none())
        .collect();
    assert_eq!(base.len(), 3, "{findings:#?}");
    assert!(base
        .iter()
        .all(|f| f.rule.id == "10000000-0000-4000-8000-000000000001"));
    assert_eq!(correlations(&findings).len(), 1);
    // Default: only the correlation.
    let findings = run(&with_base(EVENT_COUNT), &events);
    assert_eq!(findings.len(), 1);
    assert!(findings[0].correlation.is_some());
    // A detection rule no correlation refers to is always a finding.
    let other = format!(
        "{EVENT_COUNT}---\n{FAILED}---\n{}",
        SUCCESS.replace("name: successful_logon\n", "")
    );
    let findings = run(&other, &[success(1, 0, "a")]);
    assert_eq!(findings.len(), 1);
}

#[test]
fn chained_correlation() {
    // event_count of failures, then a success: a temporal_ordered over a correlation.
    let yaml = "title: Many failures then success
id: 20000000-0000-4000-8000-000000000009
correlation:
    type: temporal_ordered
    rules: [many_failed, successful_logon]
    group-by: [User]
    timespan: 10m
---
title: Many failures
id: 20000000-0000-4000-8000-000000000010
name: many_failed
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [User]
    timespan: 10m
    condition:
        gte: 3
";
    let yaml = format!("{yaml}---\n{FAILED}---\n{SUCCESS}");
    let events = vec![
        failed(1, 0, "alice"),
        failed(2, 10, "alice"),
        success(3, 15, "bob"),
        failed(4, 20, "alice"),
        failed(5, 25, "bob"),
        success(6, 30, "alice"),
        success(7, 40, "bob"),
    ];
    let findings = run(&yaml, &events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].rule.id, "20000000-0000-4000-8000-000000000009");
    assert_eq!(group(&findings[0]), kv(&[("User", "alice")]));
    assert_eq!(findings[0].event_index, 5);
    // Without the success: nothing (the inner correlation is not a finding by default).
    assert_eq!(run(&yaml, &events[..5]).len(), 0);
}

fn data_dir() -> PathBuf {
    match std::env::var_os("VIGIL_TEST_DATA") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

#[test]
fn spec_example_gives_exactly_the_expected_alert() {
    let dir = data_dir().join("expected/correlation_example");
    let rules = std::fs::read_to_string(dir.join("rules.yml")).expect("rules.yml");
    let expected: Value = serde_json::from_str(
        std::fs::read_to_string(dir.join("expected_alerts.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let events: Vec<Event> = std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut e = event(serde_json::from_str(line).unwrap());
            // Ids as the oracle names them: file index 0, 1-based line.
            e.set("event.id", format!("0:{}", i + 1));
            e
        })
        .collect();
    let set = rules_from_text(&dir.join("rules.yml"), &rules);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let (mut det, errors) = Detector::new(&set, &config()).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let findings = det.process_batch(&events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.rule.id, "b180ead8-d58f-40b2-ae54-c8940995b9b6");
    let groups: Value = serde_json::from_str(expected["group_keys"].as_str().unwrap()).unwrap();
    assert_eq!(groups, json!({"User": "alice"}));
    assert_eq!(group(f), kv(&[("User", "alice")]));
    assert_eq!(f.correlation.as_ref().unwrap().kind, "temporal_ordered");
    // The window: the alert's time is the oracle's occurrence time, its start within the
    // oracle's window.
    let window_start = expected["window_start"].as_f64().unwrap() as i64;
    let window_end = expected["window_end"].as_f64().unwrap() as i64;
    assert_eq!(f.last_event_time.timestamp(), window_end);
    assert!(f.first_event_time.timestamp() >= window_start, "{f:#?}");
    // Every event we name is one of the oracle's (the success and the failures that led to
    // it; the window keeps the events of the correlation itself).
    let oracle_ids: BTreeSet<String> =
        serde_json::from_str(expected["event_ids"].as_str().unwrap()).unwrap();
    let ours: BTreeSet<String> = f.event_ids.iter().cloned().collect();
    assert!(!ours.is_empty());
    assert!(
        ours.is_subset(&oracle_ids),
        "ours {ours:?} oracle {oracle_ids:?}"
    );
    // The success that completes the chain is the triggering event.
    assert_eq!(events[f.event_index].id(), Some("0:18"));
    assert!(ours.contains("0:18"), "{ours:?}");
}

#[test]
fn out_of_order_within_lateness_still_counts() {
    // 120 s out of order, lateness 300 s.
    let events = vec![failed(1, 200, "a"), failed(2, 80, "a"), failed(3, 210, "a")];
    let mut det = detector(&with_base(EVENT_COUNT), &config());
    let findings = det.process_batch(&events);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(!findings[0].possibly_incomplete);
    assert_eq!(det.stats().late_events, 0);
}

#[test]
fn too_late_events_are_counted_and_flagged() {
    let cfg = DetectConfig {
        allowed_lateness_secs: 60,
        ..config()
    };
    let mut det = detector(&with_base(EVENT_COUNT), &cfg);
    // Max seen 1000; an event at 900 is 100 s late (> 60): it does not enter the window.
    let first = det.process_batch(&[failed(1, 1000, "a"), failed(2, 900, "a")]);
    assert!(first.is_empty());
    assert_eq!(det.stats().late_events, 1);
    // Two more in time: without the late one the window holds 3 only now.
    let second = det.process_batch(&[failed(3, 1001, "a")]);
    assert!(
        second.is_empty(),
        "the late event must not count: {second:#?}"
    );
    let third = det.process_batch(&[failed(4, 1002, "a")]);
    assert_eq!(third.len(), 1, "{third:#?}");
    assert!(third[0].possibly_incomplete);
    // The flag is for the next finding only.
    let more = det.process_batch(&[
        failed(5, 1010, "a"),
        failed(6, 1011, "a"),
        failed(7, 1012, "a"),
    ]);
    assert_eq!(more.len(), 1);
    assert!(!more[0].possibly_incomplete);
    // A late event that matches no correlation input is not counted.
    det.process_batch(&[success(8, 10, "a")]);
    assert_eq!(det.stats().late_events, 1);
}

/// Identity of a finding for comparing runs.
fn key(f: &Finding) -> (String, Vec<(String, String)>, i64, i64, Vec<String>) {
    (
        f.rule.id.clone(),
        f.group_key.clone(),
        f.first_event_time.timestamp(),
        f.last_event_time.timestamp(),
        f.event_ids.clone(),
    )
}

/// A mixed stream for restart and determinism: several users, all correlation types that
/// refer to the failed/success rules.
fn mixed_stream() -> Vec<Event> {
    let users = ["alice", "bob", "carol", "dave"];
    let mut out = Vec::new();
    for i in 0..400usize {
        let user = users[(i * 7 + i / 5) % users.len()];
        let secs = (i as i64) * 13 + ((i as i64 * 31) % 17); // mostly increasing, small jitter
        let e = if i % 9 == 0 {
            success(i, secs, user)
        } else {
            failed(i, secs, user)
        };
        out.push(e);
    }
    out
}

fn all_types_yaml() -> String {
    let temporal = TEMPORAL.replace("timespan: 5m", "timespan: 2m");
    let ordered = TEMPORAL
        .replace("type: temporal", "type: temporal_ordered")
        .replace(
            "20000000-0000-4000-8000-000000000006",
            "20000000-0000-4000-8000-000000000007",
        );
    let vc = "title: Users per address
id: 20000000-0000-4000-8000-000000000002
correlation:
    type: value_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 3m
    condition:
        field: User
        gte: 3
";
    let pct = "title: Rare user for an address
id: 20000000-0000-4000-8000-000000000008
correlation:
    type: value_percentile
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 10m
    condition:
        field: User
        lte: 20
";
    format!(
        "{EVENT_COUNT}---\n{temporal}---\n{ordered}---\n{vc}---\n{pct}---\n{FAILED}---\n{SUCCESS}"
    )
}

#[test]
fn restart_with_exported_state_neither_loses_nor_repeats() {
    let yaml = all_types_yaml();
    let events = mixed_stream();
    let whole: Vec<_> = detector(&yaml, &config())
        .process_batch(&events)
        .iter()
        .map(key)
        .collect();
    assert!(
        whole.len() > 10,
        "the stream should raise findings: {}",
        whole.len()
    );
    for kind in [
        "20000000-0000-4000-8000-000000000008",
        "20000000-0000-4000-8000-000000000002",
    ] {
        assert!(whole.iter().any(|k| k.0 == kind), "{kind} never fired");
    }

    for split in [1, 57, 200, 399] {
        let mut first = detector(&yaml, &config());
        let mut got: Vec<_> = first
            .process_batch(&events[..split])
            .iter()
            .map(key)
            .collect();
        let state = serde_json::to_string(&first.export_state()).unwrap();
        drop(first);
        let restored: DetectorState = serde_json::from_str(&state).unwrap();
        let mut second = detector(&yaml, &config());
        second.import_state(restored).unwrap();
        got.extend(second.process_batch(&events[split..]).iter().map(key));
        assert_eq!(got, whole, "split at {split}");
        assert_eq!(second.stats().events, events.len() as u64);
    }
}

#[test]
fn same_input_same_findings() {
    let yaml = all_types_yaml();
    let events = mixed_stream();
    let a: Vec<_> = detector(&yaml, &config())
        .process_batch(&events)
        .iter()
        .map(key)
        .collect();
    let b: Vec<_> = detector(&yaml, &config())
        .process_batch(&events)
        .iter()
        .map(key)
        .collect();
    assert_eq!(a, b);
    // Batching and threads do not change the result either.
    let parallel = DetectConfig {
        threads: 2,
        ..config()
    };
    let mut det = detector(&yaml, &parallel);
    let mut c = Vec::new();
    for chunk in events.chunks(97) {
        c.extend(det.process_batch(chunk).iter().map(key));
    }
    assert_eq!(a, c);
}
