//! Bad input is kept (raw, tagged `_parse_failure`) or refused with a clear 4xx JSON error;
//! never a panic, never a silent drop.

mod common;

use common::Server;
use serde_json::json;
use std::io::Write;

#[test]
fn malformed_syslog_invalid_utf8_and_huge_lines_are_kept_and_tagged() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());

    server.send_udp("<999>garbage without any syslog header");
    let mut invalid = b"<13>Feb  5 10:00:00 h1 app: caf\xe9 bad utf8 marker-utf8".to_vec();
    invalid.push(b'\n');
    server.send_tcp(&invalid);
    let huge = format!(
        "<13>Feb  5 10:00:00 h2 app: marker-huge {}\n",
        "x".repeat(1024 * 1024)
    );
    server.send_tcp(huge.as_bytes());

    let result = server.wait_for("garbage", 1);
    assert_eq!(result["total"], 1, "{result}");
    let hit = &result["hits"][0];
    assert!(
        hit["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("_parse_failure"))),
        "{hit}"
    );
    assert!(hit["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(
        hit["event"]["original"],
        "<999>garbage without any syslog header"
    );

    let result = server.wait_for("marker-utf8", 1);
    let hit = &result["hits"][0];
    assert!(
        hit["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("_parse_failure"))),
        "{hit}"
    );
    assert!(hit["event"]["original"]
        .as_str()
        .unwrap_or("")
        .contains("caf\u{fffd}"));

    let result = server.wait_for("host.name:h2", 1);
    assert_eq!(result["total"], 1);
    let message = result["hits"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.len() > 1024 * 1024,
        "1 MiB line was not kept whole ({} bytes)",
        message.len()
    );
    let metrics = server.metrics_text();
    let failures: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("vigil_parse_failures_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        failures >= 2,
        "parse failures are counted in /metrics: {metrics}"
    );
    server.stop();
}

#[test]
fn http_bad_bodies_get_json_errors_and_bad_lines_are_reported() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());

    let (status, body) = server.ingest_raw(Vec::new(), false);
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("empty")),
        "{body}"
    );

    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all("{\"message\":\"x\"}\n".repeat(1000).as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let gz = enc.finish().unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = server.ingest_raw(gz[..gz.len() / 2].to_vec(), true);
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("gzip")),
        "{body}"
    );

    // A non-JSON line that looks like JSON is kept raw and tagged; a JSON array is rejected with its line number.
    let (status, body) = server.ingest_raw(
        b"{\"message\":\"fine-line\"}\n{not json marker-broken\n[1,2,3]\n".to_vec(),
        false,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"], 1);
    assert_eq!(body["errors"][0]["line"], 3);
    assert!(body["errors"][0]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("array")));
    let result = server.wait_for("marker-broken", 1);
    assert!(result["hits"][0]["tags"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("_parse_failure"))));

    // Bad requests to search: JSON errors with a position for syntax errors.
    let (status, body) = server.get_json("/api/v1/search?q=source.ip%3A%20AND");
    assert_eq!(status, 400);
    assert!(body["position"].is_u64(), "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("expected")),
        "{body}"
    );
    let (status, body) = server.get_json("/api/v1/search?q=*&limit=abc");
    assert_eq!(status, 400);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("limit")));
    let (status, body) = server.get_json("/api/v1/search?q=*&from=yesterday");
    assert_eq!(status, 400);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("yesterday")));
    let (status, body) = server.get_json("/api/v1/nope");
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
    server.stop();
}
