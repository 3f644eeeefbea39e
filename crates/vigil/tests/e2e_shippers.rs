//! Shipper-compatible endpoints on the real server: Elasticsearch `_bulk` (with the handshake
//! calls shippers make first), Splunk HEC (event, raw, ack channels, error codes), and a real
//! shipper, rsyslog's omelasticsearch, sending to Vigil as if it were Elasticsearch.

mod common;

use common::{find_rsyslogd, Reaped, Server};
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A client sending the server's ingest token the way Elasticsearch shippers do: HTTP
/// Basic with the token as the password (rsyslog omelasticsearch `uid`/`pwd`, Beats).
fn client(server: &Server) -> reqwest::blocking::Client {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("elastic:{}", server.ingest_token));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Basic {basic}"))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    reqwest::blocking::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap_or_else(|e| panic!("{e}"));
    enc.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Status, the `X-Elastic-Product` header and the JSON body of a response.
fn es_answer(r: reqwest::blocking::Response) -> (u16, Option<String>, Value) {
    let status = r.status().as_u16();
    let product = r
        .headers()
        .get("x-elastic-product")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, product, r.json().unwrap_or(Value::Null))
}

fn only_hit(server: &Server, q: &str) -> Value {
    let result = server.wait_for(q, 1);
    assert_eq!(result["total"], 1, "{q}: {result}");
    result["hits"][0].clone()
}

#[test]
fn elasticsearch_handshake_answers_like_a_cluster() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let http = client(&server);

    let (status, product, info) = es_answer(
        http.get(server.url("/"))
            .send()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(status, 200);
    assert_eq!(product.as_deref(), Some("Elasticsearch"));
    assert_eq!(info["version"]["number"], "8.11.0");
    assert_eq!(info["version"]["build_flavor"], "default");
    assert_eq!(info["tagline"], "You Know, for Search");
    assert!(info["cluster_name"].is_string());

    let head = http
        .head(server.url("/"))
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(
        head.headers()
            .get("x-elastic-product")
            .and_then(|v| v.to_str().ok()),
        Some("Elasticsearch")
    );

    let get_ok = |path: &str| -> Value {
        let (status, product, body) = es_answer(
            http.get(server.url(path))
                .send()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(status, 200, "GET {path}: {body}");
        assert_eq!(product.as_deref(), Some("Elasticsearch"), "GET {path}");
        body
    };
    assert_eq!(get_ok("/_license")["license"]["status"], "active");
    assert_eq!(get_ok("/_xpack")["license"]["status"], "active");
    assert_eq!(get_ok("/_cluster/health")["status"], "green");
    assert_eq!(get_ok("/_nodes/http")["_nodes"]["total"], 1);
    assert!(get_ok("/_template/filebeat")["filebeat"].is_object());
    assert_eq!(
        get_ok("/_index_template/logs")["index_templates"][0]["name"],
        "logs"
    );
    assert!(get_ok("/_ilm/policy/filebeat")["filebeat"]["policy"].is_object());
    assert!(get_ok("/_ingest/pipeline/p1")["p1"].is_object());

    for path in [
        "/_template/filebeat",
        "/_index_template/logs",
        "/_ilm/policy/filebeat",
        "/_ingest/pipeline/p1",
    ] {
        let (status, product, body) = es_answer(
            http.put(server.url(path))
                .header("Content-Type", "application/json")
                .body(r#"{"index_patterns":["logs-*"],"settings":{}}"#)
                .send()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(status, 200, "PUT {path}: {body}");
        assert_eq!(product.as_deref(), Some("Elasticsearch"));
        assert_eq!(body, json!({"acknowledged": true}), "PUT {path}");
    }
    // Vigil's own API is unchanged and not branded.
    let r = http
        .get(server.url("/api/v1/health"))
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.headers().get("x-elastic-product").is_none());
    server.stop();
}

#[test]
fn elasticsearch_bulk_stores_documents_and_answers_per_item() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let http = client(&server);

    let body = ndjson(&[
        json!({"index": {"_index": "web-logs"}}),
        json!({"@timestamp": "2026-02-05T10:00:00Z", "message": "GET /index.html", "source.ip": "10.9.0.1", "http": {"response": {"status_code": 200}}}),
        json!({"create": {"_index": "auth-logs"}}),
        json!({"@timestamp": "2026-02-05T10:00:01Z", "message": "login ok", "user.name": "alice"}),
        json!({"index": {"_index": "web-logs"}}),
        json!("a string is not a document"),
        json!({"create": {"_index": "auth-logs"}}),
        json!({"@timestamp": "2026-02-05T10:00:02Z", "message": "login failed", "user.name": "mallory", "event": {"dataset": "own.dataset"}}),
        json!({"delete": {"_index": "web-logs", "_id": "abc"}}),
        json!({"update": {"_index": "web-logs", "_id": "abc"}}),
        json!({"doc": {"message": "changed"}}),
        json!({"index": {"_index": "web-logs"}}),
        json!({"@timestamp": "2026-02-05T10:00:03Z", "message": "GET /favicon.ico", "source.ip": "10.9.0.2"}),
    ]);
    // A document line that is not JSON at all, between two good ones.
    let body = body.replacen(
        "{\"delete\"",
        "{\"index\":{\"_index\":\"web-logs\"}}\n{not json\n{\"delete\"",
        1,
    );
    let (status, product, answer) = es_answer(
        http.post(server.url("/_bulk"))
            .header("Content-Type", "application/x-ndjson")
            .header("Content-Encoding", "gzip")
            .body(gzip(body.as_bytes()))
            .send()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(product.as_deref(), Some("Elasticsearch"));
    assert_eq!(answer["errors"], true);
    assert!(answer["took"].is_u64());
    let items = answer["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {answer}"));
    let shape: Vec<(String, u64)> = items
        .iter()
        .map(|item| {
            let (action, result) = item
                .as_object()
                .and_then(|o| o.iter().next())
                .unwrap_or_else(|| panic!("bad item {item}"));
            (action.clone(), result["status"].as_u64().unwrap_or(0))
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("index", 201),
        ("create", 201),
        ("index", 400),
        ("create", 201),
        ("index", 400),
        ("delete", 400),
        ("update", 400),
        ("index", 201),
    ]
    .iter()
    .map(|(a, s)| (a.to_string(), *s))
    .collect();
    assert_eq!(shape, expected, "{answer}");
    assert_eq!(
        items[2]["index"]["error"]["type"],
        "mapper_parsing_exception"
    );
    assert_eq!(
        items[4]["index"]["error"]["type"],
        "mapper_parsing_exception"
    );
    assert_eq!(
        items[5]["delete"]["error"]["reason"],
        "not supported: Vigil never deletes or updates events"
    );
    assert_eq!(
        items[6]["update"]["error"]["reason"],
        "not supported: Vigil never deletes or updates events"
    );
    let created: Vec<&Value> = [0, 1, 3, 7]
        .iter()
        .map(|&i| {
            let item = &items[i];
            item.get("index")
                .or_else(|| item.get("create"))
                .unwrap_or(&Value::Null)
        })
        .collect();
    for c in &created {
        assert_eq!(c["result"], "created");
        assert_eq!(c["_version"], 1);
        assert_eq!(c["_primary_term"], 1);
        assert_eq!(c["_shards"]["failed"], 0);
    }
    let seqs: Vec<u64> = created
        .iter()
        .map(|c| c["_seq_no"].as_u64().unwrap_or(u64::MAX))
        .collect();
    assert_eq!(seqs, vec![seqs[0], seqs[0] + 1, seqs[0] + 2, seqs[0] + 3]);

    // Each `_id` is the stored event's event.id; the index name is event.dataset.
    let datasets = ["web-logs", "auth-logs", "own.dataset", "web-logs"];
    for (c, dataset) in created.iter().zip(datasets) {
        assert_eq!(
            c["_index"],
            if dataset == "own.dataset" {
                "auth-logs"
            } else {
                dataset
            }
        );
        let id = c["_id"].as_str().unwrap_or_else(|| panic!("no _id: {c}"));
        let hit = only_hit(&server, &format!("event.id:\"{id}\""));
        assert_eq!(hit["event"]["id"], id);
        assert_eq!(hit["event"]["dataset"], dataset);
        assert_eq!(hit["log"]["source"]["name"], "elasticsearch-bulk");
        assert!(hit["event"]["original"]
            .as_str()
            .unwrap_or("")
            .starts_with('{'));
    }
    let web = server.wait_for("event.dataset:\"web-logs\"", 2);
    assert_eq!(web["total"], 2, "{web}");
    let hit = only_hit(&server, "user.name:alice");
    assert_eq!(hit["event"]["dataset"], "auth-logs");
    assert_eq!(hit["@timestamp"], "2026-02-05T10:00:01Z");
    let hit = only_hit(&server, "source.ip:10.9.0.1");
    assert_eq!(hit["http"]["response"]["status_code"], 200);

    // The index in the URL applies to actions that name none.
    let body = ndjson(&[
        json!({"create": {}}),
        json!({"message": "from the url index", "marker": "url-index"}),
    ]);
    let (status, product, answer) = es_answer(
        http.put(server.url("/firewall-2026.02/_bulk"))
            .body(body)
            .send()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(product.as_deref(), Some("Elasticsearch"));
    assert_eq!(answer["errors"], false);
    assert_eq!(answer["items"][0]["create"]["_index"], "firewall-2026.02");
    let hit = only_hit(&server, "marker:\"url-index\"");
    assert_eq!(hit["event"]["dataset"], "firewall-2026.02");

    // Whole-request failures: an unreadable action line, an empty body.
    let (status, product, answer) = es_answer(
        http.post(server.url("/_bulk"))
            .body("{\"upsert\":{}}\n{\"message\":\"x\"}\n")
            .send()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(status, 400, "{answer}");
    assert_eq!(product.as_deref(), Some("Elasticsearch"));
    assert_eq!(answer["error"]["type"], "illegal_argument_exception");
    assert_eq!(answer["status"], 400);
    let (status, _, answer) = es_answer(
        http.post(server.url("/_bulk"))
            .body("\n")
            .send()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["error"]["type"],
        "action_request_validation_exception"
    );

    assert_eq!(server.wait_for("*", 5)["total"], 5);
    server.stop();
}

fn hec_post(server: &Server, path: &str, body: impl Into<reqwest::blocking::Body>) -> (u16, Value) {
    hec_post_with(server, path, body, &[])
}

fn hec_post_with(
    server: &Server,
    path: &str,
    body: impl Into<reqwest::blocking::Body>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = client(server)
        .post(server.url(path))
        .header("Authorization", format!("Splunk {}", server.ingest_token))
        .body(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let r = request
        .send()
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn splunk_hec_event_raw_ack_and_error_codes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let success = json!({"text": "Success", "code": 0});

    // Concatenated envelopes without separators: an object event, a string event.
    let body = concat!(
        r#"{"time":1700000000.123,"host":"hec-web1","source":"/var/log/nginx/access.log","sourcetype":"nginx:access","index":"web","event":{"message":"GET /login","source.ip":"10.7.0.1","http":{"response":{"status_code":302}}},"fields":{"env":"prod","team":"blue"}}"#,
        r#"{"time":"1700000001","host":"hec-app1","source":"my-app","sourcetype":"app","event":"payment accepted for order 77"}"#,
    );
    let (status, answer) = hec_post(&server, "/services/collector/event", body);
    assert_eq!((status, &answer), (200, &success));
    let hit = only_hit(&server, "host.name:\"hec-web1\"");
    assert_eq!(hit["@timestamp"], "2023-11-14T22:13:20.123Z");
    assert_eq!(hit["message"], "GET /login");
    assert_eq!(hit["source"]["ip"], "10.7.0.1");
    assert_eq!(hit["http"]["response"]["status_code"], 302);
    assert_eq!(hit["event"]["dataset"], "nginx:access");
    assert_eq!(hit["log"]["file"]["path"], "/var/log/nginx/access.log");
    assert_eq!(hit["splunk"]["index"], "web");
    assert_eq!(hit["labels"]["env"], "prod");
    assert_eq!(hit["labels"]["team"], "blue");
    assert_eq!(hit["log"]["source"]["name"], "splunk-hec");
    let hit = only_hit(&server, "host.name:\"hec-app1\"");
    assert_eq!(hit["message"], "payment accepted for order 77");
    assert_eq!(hit["event"]["original"], "payment accepted for order 77");
    assert_eq!(hit["splunk"]["source"], "my-app");
    assert_eq!(hit["@timestamp"], "2023-11-14T22:13:21.000Z");
    assert_eq!(
        only_hit(&server, "labels.env:prod")["host"]["name"],
        "hec-web1"
    );

    // Newline-separated envelopes, gzip, on the other event paths.
    let lines =
        "{\"event\":\"gz one\",\"host\":\"hec-gz\"}\n{\"event\":\"gz two\",\"host\":\"hec-gz\"}\n";
    for path in ["/services/collector", "/services/collector/event/1.0"] {
        let (status, answer) = hec_post_with(
            &server,
            path,
            gzip(lines.as_bytes()),
            &[("Content-Encoding", "gzip")],
        );
        assert_eq!((status, &answer), (200, &success), "{path}");
    }
    assert_eq!(server.wait_for("host.name:\"hec-gz\"", 4)["total"], 4);

    // Raw: one event per line, parsed like any log line; query parameters as defaults.
    let raw = "<38>Feb  5 10:01:02 bastion sshd[4242]: Failed password for root from 10.0.1.5 port 52144 ssh2\nraw plain line for hec\n";
    let (status, answer) = hec_post(
        &server,
        "/services/collector/raw?host=raw-host&sourcetype=raw:st&index=main",
        raw,
    );
    assert_eq!((status, &answer), (200, &success));
    let hit = only_hit(&server, "process.name:sshd");
    assert_eq!(hit["host"]["name"], "bastion");
    assert_eq!(hit["source"]["ip"], "10.0.1.5");
    assert_eq!(hit["event"]["dataset"], "raw:st");
    assert_eq!(hit["splunk"]["index"], "main");
    assert_eq!(hit["log"]["source"]["name"], "splunk-hec");
    let hit = only_hit(&server, "\"raw plain line for hec\"");
    assert_eq!(hit["host"]["name"], "raw-host");

    // Errors: HEC's codes, and nothing of a refused request is stored.
    let (status, answer) = hec_post(
        &server,
        "/services/collector/event",
        r#"{"event":"kept? no"}{"event":"second","host":}"#,
    );
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({"text": "Invalid data format", "code": 6, "invalid-event-number": 1})
    );
    let (status, answer) = hec_post(&server, "/services/collector/event", "");
    assert_eq!(
        (status, answer),
        (400, json!({"text": "No data", "code": 5}))
    );
    let (status, answer) = hec_post(&server, "/services/collector/raw", " \n ");
    assert_eq!(
        (status, answer),
        (400, json!({"text": "No data", "code": 5}))
    );
    let (status, answer) = hec_post(&server, "/services/collector/event", r#"{"host":"x"}"#);
    assert_eq!(status, 400);
    assert_eq!(answer["code"], 12);
    assert_eq!(answer["text"], "Event field is required");
    assert_eq!(answer["invalid-event-number"], 0);

    // Acknowledgement channel round trip (header, then query parameter).
    let channel = "11111111-2222-3333-4444-555555555555";
    let mut ack_ids = Vec::new();
    for i in 0..2 {
        let (status, answer) = hec_post_with(
            &server,
            "/services/collector/event",
            format!("{{\"event\":\"acked {i}\",\"host\":\"hec-ack\"}}"),
            &[("X-Splunk-Request-Channel", channel)],
        );
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["text"], "Success");
        assert_eq!(answer["code"], 0);
        ack_ids.push(
            answer["ackId"]
                .as_u64()
                .unwrap_or_else(|| panic!("{answer}")),
        );
    }
    assert_eq!(ack_ids, vec![0, 1]);
    let (status, answer) = hec_post(
        &server,
        &format!("/services/collector/raw?channel={channel}"),
        "acked raw line",
    );
    assert_eq!((status, answer["ackId"].clone()), (200, json!(2)));
    let (status, answer) = hec_post_with(
        &server,
        "/services/collector/ack",
        r#"{"acks":[0,1,2,7]}"#,
        &[("X-Splunk-Request-Channel", channel)],
    );
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"acks": {"0": true, "1": true, "2": true, "7": false}})
    );
    let (status, answer) = hec_post(&server, "/services/collector/ack", r#"{"acks":[0]}"#);
    assert_eq!(status, 400);
    assert_eq!(answer["code"], 10);
    assert_eq!(server.wait_for("host.name:\"hec-ack\"", 2)["total"], 2);

    let (status, health) = server.get_json("/services/collector/health");
    assert_eq!(
        (status, health),
        (200, json!({"text": "HEC is healthy", "code": 17}))
    );

    // 2 + 4 + 2 + 3 events were accepted; the refused requests left nothing behind.
    let all = server.wait_for("*", 11);
    assert_eq!(all["total"], 11, "{all}");
    assert_eq!(server.search("\"kept? no\"")["total"], 0);
    server.stop();
}

/// A bulk body of documents zstd cannot shrink much, so a small disk fills quickly.
fn incompressible_bulk(batch: u64, docs: u64) -> String {
    let mut state = batch.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..docs)
        .map(|i| {
            let noise = common::noise(&mut state);
            format!(
                "{}\n{}\n",
                json!({"create": {"_index": "fill"}}),
                json!({"message": format!("fill {batch}/{i}"), "batch_no": batch, "noise": noise})
            )
        })
        .collect()
}

#[test]
fn a_full_disk_is_a_retryable_error_for_shippers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mnt = dir.path().join("small-disk");
    let Some(disk) = common::SmallDisk::mount(&mnt, "6m") else {
        eprintln!("disk-full shipper test not run: this machine does not allow mounting a tmpfs");
        return;
    };
    let server = Server::start(&mnt.join("data"));
    let http = client(&server);

    let mut acked = 0u64;
    let mut refused = None;
    for batch in 0..5000u64 {
        let r = http
            .post(server.url("/_bulk"))
            .body(incompressible_bulk(batch, 20))
            .send()
            .unwrap_or_else(|e| panic!("{e}"));
        let retry_after = r.headers().get("retry-after").cloned();
        let (status, product, answer) = es_answer(r);
        match status {
            200 => {
                assert_eq!(answer["errors"], false, "{answer}");
                acked += 20;
            }
            _ => {
                refused = Some((status, product, answer, retry_after));
                break;
            }
        }
    }
    let (status, product, answer, retry_after) =
        refused.unwrap_or_else(|| panic!("the 6 MiB disk never filled"));
    // What Elasticsearch answers at its flood stage: 429, which every shipper retries.
    assert_eq!(status, 429, "{answer}");
    assert_eq!(product.as_deref(), Some("Elasticsearch"));
    assert_eq!(answer["error"]["type"], "cluster_block_exception");
    assert!(retry_after.is_some());
    assert_eq!(
        server.get_as(&server.ingest_token, "/_cluster/health").1["status"],
        "red"
    );
    // The same documents as HEC envelopes.
    let hec_body: String = incompressible_bulk(7777, 20)
        .lines()
        .skip(1)
        .step_by(2)
        .map(|doc| format!("{{\"event\":{doc}}}"))
        .collect();
    let (status, answer) = hec_post(&server, "/services/collector/event", hec_body);
    assert_eq!(
        (status, answer),
        (500, json!({"text": "Internal server error", "code": 8}))
    );
    assert_eq!(server.get_json("/services/collector/health").0, 503);

    // Space returns: both endpoints take events again.
    assert!(disk.grow("64m"), "cannot grow the tmpfs");
    let (status, _, answer) = es_answer(
        http.post(server.url("/_bulk"))
            .body(incompressible_bulk(9999, 20))
            .send()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(status, 200, "{answer}");
    acked += 20;
    let (status, answer) = hec_post(
        &server,
        "/services/collector/event",
        r#"{"event":"after the disk grew"}"#,
    );
    assert_eq!((status, answer["code"].clone()), (200, json!(0)));
    acked += 1;
    assert_eq!(
        server.get_as(&server.ingest_token, "/_cluster/health").1["status"],
        "green"
    );
    // Exactly the acknowledged events are stored: nothing of the refused requests.
    let all = server.wait_for("*", acked);
    assert_eq!(all["total"], acked, "{all}");
    server.stop();
}

#[test]
fn rsyslog_omelasticsearch_ships_into_vigil() {
    let Some(rsyslogd) = find_rsyslogd(&["omelasticsearch.so"]) else {
        eprintln!(
            "SKIPPED rsyslog_omelasticsearch_ships_into_vigil: rsyslogd is not installed \
             (apt-get install rsyslog rsyslog-elasticsearch; scripts/test.sh does this)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let work = dir.path().join("rsyslog");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(&data);
    let input = work.join("app.log");
    let first: Vec<String> = (0..3)
        .map(|i| format!("rsyslog shipped line {i} user=carol"))
        .collect();
    std::fs::write(&input, first.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let error_file = work.join("es-errors.json");
    let conf = work.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{work}")
module(load="imfile")
module(load="omelasticsearch")
template(name="vigil-json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host.name" name="hostname" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="log.file.path" name="$!metadata!filename" format="jsonf")
}}
input(type="imfile" File="{input}" Tag="app:" addMetadata="on")
action(type="omelasticsearch" server="127.0.0.1" serverport="{port}"
       searchIndex="rsyslog-e2e" template="vigil-json" bulkmode="on"
       uid="rsyslog" pwd="{token}" errorfile="{errors}")
"#,
            work = work.display(),
            input = input.display(),
            port = server.http.port(),
            errors = error_file.display(),
            token = server.ingest_token,
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let child = Command::new(&rsyslogd)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(work.join("rsyslogd.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {rsyslogd}: {e}"));
    let mut rsyslog = Reaped(child);

    let result = server.wait_for("event.dataset:\"rsyslog-e2e\"", 3);
    if result["total"] != 3 {
        let _ = rsyslog.0.kill();
        let out = stderr_of(&mut rsyslog.0);
        panic!("rsyslog did not ship the file: {result}; rsyslogd said: {out}");
    }
    eprintln!(
        "rsyslog: 3 lines searchable in Vigil {} ms after rsyslogd started",
        started.elapsed().as_millis()
    );
    let hit = only_hit(&server, "message:\"rsyslog shipped line 1 user=carol\"");
    assert_eq!(hit["log"]["source"]["name"], "elasticsearch-bulk");
    assert_eq!(hit["log"]["file"]["path"], input.display().to_string());
    assert!(
        !hit["host"]["name"].as_str().unwrap_or("").is_empty(),
        "{hit}"
    );
    assert!(hit["@timestamp"].is_string());

    // Lines appended while it runs are shipped too. VIGIL_ES_E2E_LINES=N appends N lines
    // instead of 2 and prints the sustained rate (BENCHMARKS.md: "rsyslog omelasticsearch").
    let extra: u64 = std::env::var("VIGIL_ES_E2E_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 2)
        .unwrap_or(2);
    let mut text = String::with_capacity(extra as usize * 48);
    for i in 3..3 + extra {
        text.push_str(&format!("rsyslog shipped line {i} user=carol\n"));
    }
    let appended = Instant::now();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    drop(file);
    let until = Instant::now() + Duration::from_secs(30 + extra / 2_000);
    let result = loop {
        let result = server.search("event.dataset:\"rsyslog-e2e\"");
        if result["total"].as_u64() >= Some(3 + extra) || Instant::now() > until {
            break result;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(result["total"], 3 + extra, "{result}");
    let seconds = appended.elapsed().as_secs_f64();
    eprintln!(
        "rsyslog omelasticsearch: {extra} lines searchable in {seconds:.2} s = {:.0} events/s",
        extra as f64 / seconds
    );

    drop(rsyslog);
    let errors = std::fs::read_to_string(&error_file).unwrap_or_default();
    assert!(
        errors.is_empty(),
        "omelasticsearch reported errors: {errors}"
    );
    server.stop();
}

/// Everything a stopped child wrote to stderr.
fn stderr_of(child: &mut Child) -> String {
    use std::io::Read;
    let _ = child.wait();
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}
