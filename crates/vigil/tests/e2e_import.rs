//! `vigil ingest` of file formats beyond lines: real Windows EVTX files (EVTX-ATTACK-SAMPLES,
//! read in place from the shared test data, counted independently against the flattened
//! `events/eas_flat.jsonl.gz`), CSV with a header, a JSON array, concatenated JSON objects
//! and zstd-compressed input (fixtures written by the tests), offline and via --server.

mod common;

use common::{search_json, stdout, test_data, vigil, Server};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;

const EVTX_FILES: &[&str] = &[
    "Credential Access/tutto_malseclogon.evtx",
    "Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx",
    "Lateral Movement/LM_WMI_4624_4688_TargetHost.evtx",
];

fn evtx_path(rel: &str) -> String {
    test_data()
        .join("evtx/EVTX-ATTACK-SAMPLES")
        .join(rel)
        .display()
        .to_string()
}

/// The flattened events of the given EVTX files (independent of Vigil's decoder).
fn flat_events(files: &[&str]) -> Vec<Value> {
    let path = test_data().join("events/eas_flat.jsonl.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
    reader
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("{e}")))
        .filter_map(|l| {
            let v: Value = serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}"));
            files
                .contains(&v["_file"].as_str().unwrap_or(""))
                .then_some(v)
        })
        .collect()
}

fn count_where(events: &[Value], key: &str, value: &Value) -> u64 {
    events.iter().filter(|e| &e[key] == value).count() as u64
}

fn total(dir: &str, q: &str) -> u64 {
    search_json(dir, q, &[])["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("no total for {q}"))
}

fn ingest_ok(args: &[&str]) -> String {
    let out = vigil(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

fn hits(dir: &str, q: &str) -> Vec<Value> {
    search_json(dir, q, &[])["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A field of a hit, whether the output nests it or keeps it dotted.
fn field<'a>(hit: &'a Value, path: &str) -> &'a Value {
    let hit = hit.get("_source").unwrap_or(hit);
    if let Some(v) = hit.get(path) {
        return v;
    }
    let mut v = hit;
    for part in path.split('.') {
        v = &v[part];
    }
    v
}

fn check_evtx_data(data: &str, expected: &[Value]) {
    assert_eq!(total(data, "*"), expected.len() as u64);
    assert_eq!(total(data, "tags:_parse_failure"), 0);
    for id in [4624u64, 4625, 4688] {
        assert_eq!(
            total(data, &format!("EventID:{id}")),
            count_where(expected, "EventID", &Value::from(id)),
            "EventID:{id}"
        );
    }
    let sysmon = Value::from("Microsoft-Windows-Sysmon/Operational");
    assert_eq!(
        total(
            data,
            "Channel:\"Microsoft-Windows-Sysmon/Operational\" AND EventID:1"
        ),
        expected
            .iter()
            .filter(|e| e["Channel"] == sysmon && e["EventID"] == 1)
            .count() as u64
    );
    assert_eq!(
        total(data, "Channel:Security"),
        count_where(expected, "Channel", &Value::from("Security"))
    );
    assert_eq!(
        total(data, "host.name:MSEDGEWIN10"),
        count_where(expected, "Computer", &Value::from("MSEDGEWIN10"))
    );
    assert_eq!(
        total(data, "event.code:4688"),
        count_where(expected, "EventID", &Value::from(4688))
    );
}

#[test]
fn evtx_files_import_one_event_per_record() {
    let expected = flat_events(EVTX_FILES);
    assert!(expected.len() > 20, "too few records: {}", expected.len());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().display().to_string();
    let mut args = vec!["ingest".to_string()];
    args.extend(EVTX_FILES.iter().map(|f| evtx_path(f)));
    args.extend(["--data-dir".to_string(), data.clone()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ingest_ok(&args);
    assert!(
        out.contains(&format!("imported {} events", expected.len())),
        "{out}"
    );
    check_evtx_data(&data, &expected);

    // Mapped fields: a 4625 is a failed authentication; 4688 / Sysmon 1 have process fields.
    for hit in hits(&data, "EventID:4625") {
        assert_eq!(field(&hit, "event.category"), "authentication");
        assert_eq!(field(&hit, "event.outcome"), "failure");
        assert_eq!(
            field(&hit, "Provider_Name"),
            "Microsoft-Windows-Security-Auditing"
        );
        assert_eq!(field(&hit, "winlog.channel"), "Security");
        assert!(field(&hit, "user.name").is_string(), "{hit}");
    }
    let flat_4688: Vec<&Value> = expected.iter().filter(|e| e["EventID"] == 4688).collect();
    let found = hits(&data, "EventID:4688");
    assert_eq!(found.len(), flat_4688.len());
    for hit in &found {
        let record = field(hit, "winlog.record_id");
        let flat = flat_4688
            .iter()
            .find(|e| &e["EventRecordID"] == record)
            .unwrap_or_else(|| panic!("no flat record for {hit}"));
        assert_eq!(field(hit, "process.executable"), &flat["NewProcessName"]);
        assert_eq!(field(hit, "NewProcessName"), &flat["NewProcessName"]);
        assert_eq!(field(hit, "Computer"), &flat["Computer"]);
        assert!(field(hit, "event.original").is_string());
        assert!(field(hit, "@timestamp").as_str().is_some_and(
            |t| t.starts_with(&flat["TimeCreated_SystemTime"].as_str().unwrap_or("?")[..19])
        ));
    }
    for hit in hits(
        &data,
        "Channel:\"Microsoft-Windows-Sysmon/Operational\" AND EventID:1",
    ) {
        assert_eq!(field(&hit, "process.executable"), field(&hit, "Image"));
        assert!(field(&hit, "process.pid").is_number(), "{hit}");
    }

    let out = vigil(&["verify", "--data-dir", &data]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "verify: {}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn evtx_via_server_matches_offline() {
    let files = &EVTX_FILES[..2];
    let expected = flat_events(files);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let url = server.url("");
    let mut args = vec!["ingest".to_string()];
    args.extend(files.iter().map(|f| evtx_path(f)));
    args.extend([
        "--server".to_string(),
        url,
        "--token".to_string(),
        server.ingest_token.clone(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ingest_ok(&args);
    assert!(
        out.contains(&format!("imported {} events", expected.len())),
        "{out}"
    );
    let answer = server.wait_for(
        "EventID:4688",
        count_where(&expected, "EventID", &Value::from(4688)),
    );
    assert!(answer["total"].as_u64().unwrap_or(0) > 0);
    assert_eq!(
        server.wait_for("*", expected.len() as u64)["total"],
        expected.len() as u64
    );
    let hosts = server.search("host.name:MSEDGEWIN10");
    assert_eq!(
        hosts["total"],
        count_where(&expected, "Computer", &Value::from("MSEDGEWIN10"))
    );
    server.stop();
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

const CSV: &str = "@timestamp,source.ip,source.port,user.name,message,code\n\
2024-05-01T10:00:00Z,10.0.0.1,5000,alice,\"login ok, first\",007\n\
2024-05-01T10:00:01Z,10.0.0.2,5001,bob,login failed,42\n\
2024-05-01T10:00:02Z,10.0.0.1,5002,alice,\"multi\nline\",\n";

#[test]
fn csv_json_and_zstd_files_import() {
    let fixtures = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let f = fixtures.path();
    let csv = write(f, "events.csv", CSV.as_bytes());
    let array = write(
        f,
        "array.json",
        br#"[ {"user": {"name": "carol"}, "event.action": "array-1"},
              {"user.name": "dave", "event": {"action": "array-2"}, "@timestamp": "2024-05-02T00:00:00Z"} ]"#,
    );
    // Concatenated objects without newlines, detected by --format json (no extension).
    let concat = write(
        f,
        "concat.data",
        br#"{"event.action":"concat","n":1}{"event.action":"concat","n":2} {"event.action":"concat","n":3}"#,
    );
    // NDJSON compressed with zstd, detected by magic bytes (no telling extension).
    let ndjson = "{\"event.action\":\"zstd\",\"n\":1}\n{\"event.action\":\"zstd\",\"n\":2}\n";
    let zst = write(
        f,
        "lines.bin",
        &zstd::encode_all(ndjson.as_bytes(), 3).unwrap_or_else(|e| panic!("{e}")),
    );
    // A zstd-compressed CSV: the extension under .zst tells the format.
    let csv_zst = write(
        f,
        "more.csv.zst",
        &zstd::encode_all(CSV.as_bytes(), 3).unwrap_or_else(|e| panic!("{e}")),
    );

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().display().to_string();
    let out = ingest_ok(&["ingest", &csv, &array, &zst, &csv_zst, "--data-dir", &data]);
    assert!(out.contains("imported 10 events"), "{out}");
    let out = ingest_ok(&["ingest", &concat, "--format", "json", "--data-dir", &data]);
    assert!(out.contains("imported 3 events"), "{out}");

    assert_eq!(total(&data, "*"), 13);
    assert_eq!(total(&data, "tags:_parse_failure"), 0);
    // CSV: header names as keys, dotted ones nested; ports numeric, other numbers strings.
    assert_eq!(total(&data, "user.name:alice"), 4);
    assert_eq!(total(&data, "source.ip:10.0.0.2"), 2);
    let rows = hits(&data, "user.name:bob");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(field(row, "source.port"), 5001);
        assert_eq!(field(row, "code"), "42");
        assert_eq!(field(row, "message"), "login failed");
        assert_eq!(
            field(row, "event.original"),
            "2024-05-01T10:00:01Z,10.0.0.2,5001,bob,login failed,42"
        );
        assert_eq!(field(row, "@timestamp"), "2024-05-01T10:00:01.000Z");
    }
    let first = hits(&data, "source.port:5000");
    assert_eq!(first.len(), 2);
    assert_eq!(field(&first[0], "code"), "007");
    assert_eq!(field(&first[0], "message"), "login ok, first");
    // JSON array.
    let carol = hits(&data, "user.name:carol");
    assert_eq!(carol.len(), 1);
    assert_eq!(field(&carol[0], "event.action"), "array-1");
    assert_eq!(total(&data, "event.action:array-2 AND user.name:dave"), 1);
    // Concatenated objects and zstd NDJSON.
    assert_eq!(total(&data, "event.action:concat"), 3);
    let concat_hits = hits(&data, "event.action:concat AND n:2");
    assert_eq!(concat_hits.len(), 1);
    assert_eq!(
        field(&concat_hits[0], "event.original"),
        r#"{"event.action":"concat","n":2}"#
    );
    assert_eq!(total(&data, "event.action:zstd"), 2);

    let out = vigil(&["verify", "--data-dir", &data]);
    assert_eq!(out.status.code(), Some(0), "verify: {}", stdout(&out));
}

#[test]
fn broken_inputs_are_kept_and_tagged() {
    let fixtures = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let f = fixtures.path();
    let json = write(f, "bad.json", br#"{"a":1}{"a":2}{"a": oops"#);
    let mut evtx = b"ElfFile\0".to_vec();
    evtx.extend_from_slice(&[0u8; 200]);
    let evtx = write(f, "bad.evtx", &evtx);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().display().to_string();
    let out = ingest_ok(&["ingest", &json, &evtx, "--data-dir", &data]);
    assert!(out.contains("imported 4 events"), "{out}");
    assert!(out.contains("2 kept raw"), "{out}");
    assert_eq!(total(&data, "tags:_parse_failure"), 2);
    assert_eq!(total(&data, "a:2"), 1);
}

/// `vigil ingest --parser`: every line read in one format instead of auto-detected; a line
/// not in it is kept and tagged; an unknown name is a usage error.
#[test]
fn a_pinned_parser_reads_every_line() {
    let fixtures = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let f = fixtures.path();
    let lines = write(
        f,
        "mixed.log",
        b"user=bob action=login pinnedimport=1\n<13>Dec  7 06:10:00 web-01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2\n",
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().display().to_string();
    let out = ingest_ok(&["ingest", &lines, "--parser", "kv", "--data-dir", &data]);
    assert!(out.contains("imported 2 events"), "{out}");
    assert_eq!(total(&data, "user.name:bob"), 1);
    // The syslog line has key=value-looking text nowhere: kept, tagged, not read as syslog.
    assert_eq!(total(&data, "tags:_parse_failure"), 1);
    assert_eq!(total(&data, "source.ip:203.0.113.9"), 0);
    let raw = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let raw_data = raw.path().display().to_string();
    ingest_ok(&["ingest", &lines, "--parser", "raw", "--data-dir", &raw_data]);
    assert_eq!(total(&raw_data, "tags:_parse_failure"), 0);
    assert_eq!(total(&raw_data, "user.name:bob"), 0);
    let out = vigil(&["ingest", &lines, "--parser", "xml", "--data-dir", &raw_data]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown parser \"xml\""),
        "{out:?}"
    );
}
