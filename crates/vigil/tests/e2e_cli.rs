//! The command line as a user runs it: `vigil ingest` of the real loghub samples, `vigil
//! search` in table/JSON/CSV (on the data directory and via --server), and the query
//! language's operators and pipes against known data.

mod common;

use common::{search_json, stdout, test_data, vigil, Server};
use serde_json::{json, Value};

fn loghub(name: &str) -> String {
    test_data()
        .join(format!("loghub/{name}/{name}_2k.log"))
        .display()
        .to_string()
}

fn count_lines_containing(path: &str, needle: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| l.contains(needle))
        .count() as u64
}

#[test]
fn loghub_samples_import_offline_and_answer_queries() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().display().to_string();
    let (linux, openssh, apache) = (loghub("Linux"), loghub("OpenSSH"), loghub("Apache"));
    let apache_path = apache.clone();
    let out = vigil(&["ingest", &linux, &openssh, &apache, "--data-dir", &data]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("imported 6000 events"),
        "{}",
        stdout(&out)
    );

    assert_eq!(search_json(&data, "*", &[])["total"], 6000);
    // Every OpenSSH line is sshd on host LabSZ.
    assert_eq!(search_json(&data, "host.name:LabSZ", &[])["total"], 2000);
    let failed = count_lines_containing(&openssh, "Failed password for");
    let result = search_json(
        &data,
        "host.name:LabSZ AND event.outcome:failure AND \"Failed password\"",
        &[],
    );
    assert_eq!(result["total"], failed);
    // Failed-password sources, grouped: the top IP's count matches a direct count of the file.
    let result = search_json(
        &data,
        "host.name:LabSZ AND \"Failed password\" | stats count() by source.ip | sort -count | head 1",
        &[],
    );
    let top_ip = result["rows"][0][0]
        .as_str()
        .unwrap_or_else(|| panic!("{result}"))
        .to_string();
    let expected = std::fs::read_to_string(&openssh)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("Failed password for") && l.contains(&format!("from {top_ip} port")))
        .count() as u64;
    assert_eq!(result["rows"][0][1], expected, "{result}");
    // Apache error-log lines are parsed too: nothing of the three files is left unparsed.
    assert_eq!(search_json(&data, "tags:_parse_failure", &[])["total"], 0);
    let apache = std::fs::read_to_string(&apache_path).unwrap_or_default();
    let errors = apache.lines().filter(|l| l.contains("] [error] ")).count() as u64;
    let result = search_json(&data, "log.level:error", &[]);
    assert_eq!(result["total"], errors);
    assert!(result["hits"][0]["event"]["original"]
        .as_str()
        .unwrap_or("")
        .starts_with('['));

    // Table and CSV output.
    let out = vigil(&[
        "search",
        "host.name:combo | stats count() by process.name | sort -count | head 3",
        "--data-dir",
        &data,
    ]);
    let table = stdout(&out);
    assert!(
        table.lines().next().unwrap_or("").contains("process.name"),
        "{table}"
    );
    assert!(table.contains("sshd"), "{table}");
    let out = vigil(&[
        "search",
        "host.name:combo | fields host.name, process.name | head 2",
        "--data-dir",
        &data,
        "--format",
        "csv",
    ]);
    let csv = stdout(&out);
    let csv_lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        csv_lines.first().copied(),
        Some("host.name,process.name"),
        "{csv}"
    );
    assert_eq!(csv_lines.len(), 3, "{csv}");
    assert!(csv_lines[1].starts_with("combo,"));

    // A syntax error names the position, exit code 2.
    let out = vigil(&["search", "host.name:(", "--data-dir", &data]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected"));

    let out = vigil(&["verify", "--data-dir", &data]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("records checked:     6000"));
}

fn known_events() -> Vec<String> {
    let mut lines = Vec::new();
    let users = ["alice", "bob", "carol", "admin"];
    for i in 0..40u64 {
        let ip = if i % 2 == 0 {
            format!("10.0.{}.{}", i % 4, i)
        } else {
            format!("203.0.113.{i}")
        };
        let status = [200, 404, 500, 302][(i % 4) as usize];
        lines.push(
            json!({
                "@timestamp": format!("2026-03-0{}T{:02}:{:02}:00Z", 1 + i / 20, (i % 20), i),
                "message": if i % 3 == 0 { format!("Failed password for {} from {ip}", users[(i % 4) as usize]) } else { format!("request served id {i}") },
                "source": {"ip": ip},
                "user": {"name": users[(i % 4) as usize]},
                "http": {"response": {"status_code": status, "bytes": i * 100}},
                "event": {"outcome": if i % 3 == 0 { "failure" } else { "success" }},
                "host": {"name": format!("web-{}", i % 3)},
            })
            .to_string(),
        );
    }
    lines
}

#[test]
fn query_language_operators_and_pipes_over_the_api_and_cli() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    server.ingest(&known_events());
    server.wait_for("*", 40);
    let total = |q: &str| {
        server.search_with(
            q,
            &[
                ("from", "2026-03-01T00:00:00Z"),
                ("to", "2026-03-03T00:00:00Z"),
            ],
        )["total"]
            .clone()
    };

    assert_eq!(total("user.name:alice"), 10);
    assert_eq!(total("user.name:ali*"), 10);
    assert_eq!(total("user.name:?ob"), 10);
    assert_eq!(total("user.name:alice OR user.name:bob"), 20);
    assert_eq!(total("user.name:alice AND NOT event.outcome:failure"), 6);
    assert_eq!(
        total("(user.name:alice OR user.name:bob) event.outcome:failure"),
        7
    );
    assert_eq!(total("http.response.status_code:>=404"), 20);
    assert_eq!(total("http.response.status_code:[300 TO 404]"), 20);
    assert_eq!(total("http.response.bytes:<1000"), 10);
    assert_eq!(total("source.ip:10.0.0.0/8"), 20);
    assert_eq!(total("source.ip:203.0.113.0/24 AND user.name:bob"), 10);
    assert_eq!(total("\"Failed password\""), 14);
    assert_eq!(total("failed"), 14);
    assert_eq!(total("message:\"request served\""), 26);
    // Time range prunes to the first day only.
    let first_day = server.search_with(
        "*",
        &[
            ("from", "2026-03-01T00:00:00Z"),
            ("to", "2026-03-01T23:59:59Z"),
        ],
    );
    assert_eq!(first_day["total"], 20);

    let stats = server.search_with(
        "* | stats count(), count_distinct(source.ip), min(http.response.bytes), max(http.response.bytes), sum(http.response.bytes), avg(http.response.bytes) by user.name | sort user.name",
        &[("from", "2026-03-01T00:00:00Z")],
    );
    assert_eq!(stats["rows"][1][0], "alice", "{stats}");
    let alice = &stats["rows"][1];
    assert_eq!(alice[1], 10);
    assert_eq!(alice[2], 10);
    assert_eq!(alice[3].as_f64(), Some(0.0));
    assert_eq!(alice[4].as_f64(), Some(3600.0));
    assert_eq!(alice[5].as_f64(), Some(18000.0));
    assert_eq!(alice[6].as_f64(), Some(1800.0));

    let top = server.search_with(
        "* | stats count() by host.name | sort -count | head 1",
        &[("from", "2026-03-01T00:00:00Z")],
    );
    assert_eq!(top["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(top["rows"][0], json!(["web-0", 14]));

    let chart = server.search_with(
        "* | timechart span=1d count()",
        &[("from", "2026-03-01T00:00:00Z")],
    );
    assert_eq!(chart["columns"][0], "_time");
    let counts: Vec<u64> = chart["rows"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|row| row[1].as_u64())
                .filter(|&c| c > 0)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(counts, vec![20, 20], "{chart}");

    let sorted = server.search_with(
        "* | sort -http.response.bytes | head 3 | fields user.name, http.response.bytes",
        &[("from", "2026-03-01T00:00:00Z")],
    );
    assert_eq!(sorted["hits"].as_array().map(Vec::len), Some(3));
    let first = &sorted["hits"][0];
    let bytes = first
        .get("http.response.bytes")
        .or_else(|| first.pointer("/http/response/bytes"));
    assert_eq!(bytes, Some(&json!(3900)), "{sorted}");

    // The CLI against the running server gives the same answers.
    let out = vigil(&[
        "search",
        "user.name:alice",
        "--server",
        &server.url(""),
        "--token",
        &server.analyst_token,
        "--from",
        "2026-03-01T00:00:00Z",
        "--format",
        "json",
    ]);
    let via_cli: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(via_cli["total"], 10);
    // And reading the data directory directly while the server runs.
    let local = search_json(
        &dir.path().display().to_string(),
        "user.name:alice",
        &["--from", "2026-03-01T00:00:00Z"],
    );
    assert_eq!(local["total"], 10);

    let (status, fields) = server.get_json("/api/v1/fields");
    assert_eq!(status, 200);
    let names: Vec<&str> = fields["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    for expected in [
        "user.name",
        "source.ip",
        "http.response.status_code",
        "message",
    ] {
        assert!(
            names.contains(&expected),
            "fields lacks {expected}: {names:?}"
        );
    }
    server.stop();
}
