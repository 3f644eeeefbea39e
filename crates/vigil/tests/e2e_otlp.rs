//! OTLP/HTTP logs (`POST /v1/logs`) on the real server: OTLP JSON requests with gzip, OTLP's
//! error answers (a bad body is a 400 and the listener goes on), token source binding, and a
//! real client, the OpenTelemetry Python SDK's OTLP HTTP exporters (protobuf and JSON), whose
//! logs must come out searchable with their ECS fields.
//!
//! The Python SDK is looked for in `VIGIL_OTLP_PYTHON` or `target/otlp-venv/bin/python`
//! (scripts/test.sh installs it there); without it the exporter test is skipped with a message.

mod common;

use common::{bearer, create_token, Server};
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap_or_else(|e| panic!("{e}"));
    enc.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// Posts an OTLP body; returns status, Content-Type and the body as JSON (Null if not JSON).
fn post_otlp(
    server: &Server,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
    gzipped: bool,
) -> (u16, String, Value) {
    let mut request = bearer(server.client().post(server.url("/v1/logs")), token)
        .header("Content-Type", content_type)
        .body(body);
    if gzipped {
        request = request.header("Content-Encoding", "gzip");
    }
    let r = request
        .send()
        .unwrap_or_else(|e| panic!("POST /v1/logs: {e}"));
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().unwrap_or_default();
    (
        status,
        ctype,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn only_hit(server: &Server, q: &str) -> Value {
    let result = server.wait_for(q, 1);
    assert_eq!(result["total"], 1, "{q}: {result}");
    result["hits"][0].clone()
}

fn metric(server: &Server, name: &str) -> u64 {
    server
        .metrics_text()
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing"))
}

fn json_request(run: &str) -> Value {
    json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "billing"}},
            {"key": "host.name", "value": {"stringValue": "db-7"}},
            {"key": "service.version", "value": {"stringValue": "9.1"}}
        ]},
        "scopeLogs": [{
            "scope": {"name": "billing.jobs"},
            "logRecords": [{
                "timeUnixNano": "1700000000000000000",
                "severityNumber": 17,
                "severityText": "ERROR",
                "body": {"stringValue": "invoice run failed"},
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": "eee19b7ec3c1b174",
                "attributes": [
                    {"key": "run.id", "value": {"stringValue": run}},
                    {"key": "user.name", "value": {"stringValue": "svc-billing"}},
                    {"key": "retries", "value": {"intValue": "2"}}
                ]
            }]
        }]
    }]})
}

#[test]
fn otlp_json_requests_are_stored_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let token = server.ingest_token.clone();

    // A gzip-compressed OTLP JSON request.
    let body = json_request("json-gz").to_string().into_bytes();
    let (status, ctype, answer) = post_otlp(&server, &token, "application/json", gzip(&body), true);
    assert_eq!(status, 200, "{answer}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    assert_eq!(answer, json!({}), "full success has no partialSuccess");
    let hit = only_hit(&server, "labels.run_id:\"json-gz\"");
    assert_eq!(hit["@timestamp"], "2023-11-14T22:13:20.000Z");
    assert_eq!(hit["message"], "invoice run failed");
    assert_eq!(hit["event"]["original"], "invoice run failed");
    assert_eq!(hit["service"]["name"], "billing");
    assert_eq!(hit["service"]["version"], "9.1");
    assert_eq!(hit["host"]["name"], "db-7");
    assert_eq!(hit["log"]["level"], "ERROR");
    assert_eq!(hit["log"]["logger"], "billing.jobs");
    assert_eq!(hit["log"]["source"]["name"], "otlp");
    assert_eq!(hit["event"]["severity"], 17);
    assert_eq!(hit["trace"]["id"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(hit["span"]["id"], "eee19b7ec3c1b174");
    assert_eq!(hit["user"]["name"], "svc-billing");
    assert_eq!(hit["labels"]["retries"], 2);

    // Bad bodies: 400 with a google.rpc.Status-shaped JSON error, counted; nothing stored.
    let before = metric(&server, "vigil_otlp_requests_rejected_total");
    for bad in [
        &b"{\"resourceLogs\":[{"[..],
        b"[1,2,3]",
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"not-hex"}]}]}]}"#,
    ] {
        let (status, ctype, answer) =
            post_otlp(&server, &token, "application/json", bad.to_vec(), false);
        assert_eq!(status, 400, "{answer}");
        assert!(ctype.starts_with("application/json"), "{ctype}");
        assert_eq!(answer["code"], 3, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.contains("invalid OTLP JSON")),
            "{answer}"
        );
    }
    // A body that claims gzip but is not.
    let (status, _, answer) =
        post_otlp(&server, &token, "application/json", b"plain".to_vec(), true);
    assert_eq!(status, 400, "{answer}");
    // Garbage protobuf: 400 too (its body is a protobuf Status, as OTLP wants).
    let (status, ctype, _) = post_otlp(
        &server,
        &token,
        "application/x-protobuf",
        vec![0x0a, 0xff, 0x01, 0x00],
        false,
    );
    assert_eq!(status, 400);
    assert_eq!(ctype, "application/x-protobuf");
    // An unsupported type.
    let (status, _, answer) = post_otlp(&server, &token, "text/plain", b"hi".to_vec(), false);
    assert_eq!(status, 415, "{answer}");
    assert_eq!(
        metric(&server, "vigil_otlp_requests_rejected_total"),
        before + 6
    );

    // The listener goes on: an empty request is a success, and the next good one is stored.
    let (status, _, answer) = post_otlp(&server, &token, "application/json", b"{}".to_vec(), false);
    assert_eq!(status, 200, "{answer}");
    let body = json_request("after-bad").to_string().into_bytes();
    let (status, _, answer) = post_otlp(&server, &token, "application/json", body, false);
    assert_eq!(status, 200, "{answer}");
    only_hit(&server, "labels.run_id:\"after-bad\"");

    // Auth: no token is 401; a token bound to another source is 403; one bound to `otlp` works.
    let r = server
        .client()
        .post(server.url("/v1/logs"))
        .header("Content-Type", "application/json")
        .body(json_request("anonymous").to_string())
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 401);
    let hec_only = create_token(&data, "splunk-fwd", "ingest", &["--source", "splunk-hec"]);
    let body = json_request("wrong-source").to_string().into_bytes();
    let (status, _, _) = post_otlp(&server, &hec_only, "application/json", body, false);
    assert_eq!(status, 403);
    let otlp_only = create_token(&data, "otel-collector", "ingest", &["--source", "otlp"]);
    let body = json_request("bound-token").to_string().into_bytes();
    let (status, _, answer) = post_otlp(&server, &otlp_only, "application/json", body, false);
    assert_eq!(status, 200, "{answer}");
    let hit = only_hit(&server, "labels.run_id:\"bound-token\"");
    assert_eq!(hit["log"]["source"]["name"], "otlp");
    assert_eq!(server.search("labels.run_id:\"wrong-source\"")["total"], 0);
    assert_eq!(server.search("labels.run_id:\"anonymous\"")["total"], 0);
    server.stop();
}

/// The Python interpreter with the OpenTelemetry SDK, if installed.
fn otel_python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("VIGIL_OTLP_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/otlp-venv/bin/python"),
    };
    candidate.exists().then_some(candidate)
}

/// Whether `python` can import `module`.
fn has_module(python: &Path, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn emit(python: &Path, server: &Server, encoding: &str, run: &str, gzip: bool) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otlp/emit_logs.py");
    let mut command = Command::new(python);
    command
        .arg(&script)
        .args(["--endpoint", &server.url("")])
        .args(["--token", &server.ingest_token])
        .args(["--encoding", encoding, "--run", run]);
    if gzip {
        command.arg("--gzip");
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "emit_logs.py ({encoding}) failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn opentelemetry_python_sdk_exports_into_vigil() {
    let Some(python) = otel_python() else {
        eprintln!(
            "SKIPPED opentelemetry_python_sdk_exports_into_vigil: no Python with the \
             OpenTelemetry SDK (scripts/test.sh installs it in target/otlp-venv; or set \
             VIGIL_OTLP_PYTHON)"
        );
        return;
    };
    let encodings: Vec<(&str, &str)> = [
        (
            "proto",
            "opentelemetry.exporter.otlp.proto.http._log_exporter",
        ),
        (
            "json",
            "opentelemetry.exporter.otlp.json.http._log_exporter",
        ),
    ]
    .into_iter()
    .filter(|(name, module)| {
        let ok = has_module(&python, module);
        if !ok {
            eprintln!("SKIPPED the {name} encoding: {module} is not installed");
        }
        ok
    })
    .collect();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(&dir.path().join("data"));
    for (encoding, _) in encodings {
        let run = format!("py-{encoding}");
        // Protobuf goes gzip-compressed, JSON plain: both paths of the decoder.
        let ids = emit(&python, &server, encoding, &run, encoding == "proto");
        let trace_id = ids["trace_id"].as_str().unwrap_or_default().to_string();
        let span_id = ids["span_id"].as_str().unwrap_or_default().to_string();
        assert_eq!(trace_id.len(), 32, "{ids}");
        let result = server.wait_for(&format!("labels.run_id:\"{run}\""), 3);
        assert_eq!(result["total"], 3, "{encoding}: {result}");

        // The stdlib logging bridge: message, level, attributes, trace context, resource.
        let hit = only_hit(
            &server,
            &format!("labels.run_id:\"{run}\" AND message:\"payment declined for order 1234\""),
        );
        assert_eq!(hit["log"]["level"], "WARN", "{hit}");
        assert_eq!(hit["event"]["severity"], 13);
        assert_eq!(hit["log"]["logger"], "vigil.e2e.logging");
        assert_eq!(hit["user"]["name"], "alice");
        assert_eq!(hit["labels"]["order_total"], 12.5);
        assert_eq!(hit["service"]["name"], format!("otlp-e2e-{encoding}"));
        assert_eq!(hit["service"]["version"], "1.2.3");
        assert_eq!(hit["service"]["environment"], "e2e");
        assert_eq!(hit["host"]["name"], format!("otlp-host-{encoding}"));
        assert_eq!(hit["trace"]["id"], trace_id.as_str());
        assert_eq!(hit["span"]["id"], span_id.as_str());
        assert_eq!(hit["labels"]["telemetry_sdk_language"], "python");
        assert!(hit["log"]["origin"]["function"].is_string(), "{hit}");
        assert_eq!(hit["log"]["source"]["name"], "otlp");
        assert!(hit["@timestamp"].is_string());

        // A kvlist body becomes fields; the event name is the action.
        let hit = only_hit(
            &server,
            &format!("labels.run_id:\"{run}\" AND action:\"card-check\""),
        );
        assert_eq!(hit["outcome"], "failure", "{hit}");
        assert_eq!(hit["source"]["ip"], "192.0.2.10");
        assert_eq!(hit["event"]["action"], "payment.check");
        assert_eq!(hit["log"]["level"], "ERROR");
        assert_eq!(hit["log"]["logger"], "vigil.e2e.api");
        assert!(hit["event"]["original"].is_string());

        // A syslog line as body is parsed like any syslog line.
        let hit = only_hit(
            &server,
            &format!("labels.run_id:\"{run}\" AND source.ip:\"192.0.2.7\""),
        );
        assert_eq!(hit["host"]["name"], "fw1", "{hit}");
        assert_eq!(
            hit["event"]["original"],
            "<38>Jan 11 10:00:00 fw1 sshd[42]: Failed password for root from 192.0.2.7 port 22 ssh2"
        );
        assert_eq!(hit["service"]["name"], format!("otlp-e2e-{encoding}"));
    }
    server.stop();
}
