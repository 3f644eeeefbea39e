//! `[[pipelines]]` (VRL) in `vigil.toml`: the real server parses a custom app format out of
//! syslog `message` lines received over TCP, a failing program keeps the event tagged
//! `_vrl_error` (and counted in /metrics), and a broken program stops `vigil serve` with
//! the file, line, column and VRL's diagnostic.

mod common;

use common::{serve_config_args, vigil, write_file, Server};
use serde_json::json;

#[test]
fn pipelines_reshape_events_and_tag_runtime_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let config = dir.path().join("vigil.toml");
    let strict = dir.path().join("strict.vrl");
    write_file(
        &strict,
        "# Fails at run time on anything that is not JSON after 'json:'.\n\
         .payload = parse_json!(slice!(.message, 5))\n",
    );
    write_file(
        &config,
        &format!(
            r#"data_dir = "{data}"
http = "127.0.0.1:0"
syslog_udp = "off"
syslog_tcp = "127.0.0.1:0"

[[pipelines]]
name = "shop"
sources = ["syslog-tcp"]
condition = 'starts_with(string(.message) ?? "", "app=")'
source = '''
kv = parse_key_value!(.message)
.shop = kv
.user.name = del(.shop.user)
.shop.amount = to_float!(.shop.amount)
del(.event.original)
'''

[[pipelines]]
name = "strict-json"
file = "{strict}"
condition = 'starts_with(string(.message) ?? "", "json:")'

[[pipelines]]
name = "only-http"
sources = ["http"]
source = '.touched_by_http_pipeline = true'
"#,
            data = data.display(),
            strict = strict.display()
        ),
    );
    let args = serve_config_args(&config);
    let server = Server::spawn(&args, &data, false, true);
    server.send_tcp(
        b"<14>Mar  3 12:00:00 web-1 shopd: app=shop user=bob action=checkout amount=12.5\n\
          <14>Mar  3 12:00:01 web-1 shopd: json: {not json\n\
          <14>Mar  3 12:00:02 web-1 shopd: plain line\n",
    );

    let hit = server.wait_for("user.name:bob", 1);
    assert_eq!(hit["total"], 1, "{hit}");
    let event = &hit["hits"][0];
    assert_eq!(event["shop"]["app"], "shop", "{event}");
    assert_eq!(event["shop"]["action"], "checkout", "{event}");
    assert_eq!(event["shop"]["amount"], json!(12.5), "{event}");
    assert!(event["shop"]["user"].is_null(), "renamed away: {event}");
    // The program deleted event.original; Vigil keeps it.
    assert!(
        event["event"]["original"]
            .as_str()
            .is_some_and(|o| o.contains("user=bob")),
        "{event}"
    );
    assert!(event["touched_by_http_pipeline"].is_null(), "{event}");

    let failed = server.wait_for("tags:_vrl_error", 1);
    assert_eq!(failed["total"], 1, "{failed}");
    let event = &failed["hits"][0];
    let message = event["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("pipeline 'strict-json'"), "{event}");
    assert!(message.contains("unable to parse json"), "{event}");
    assert!(event["payload"].is_null(), "{event}");
    assert!(
        event["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("json: {not json")),
        "kept as before the pipeline: {event}"
    );

    // A line no pipeline selects is stored as Vigil parsed it.
    let plain = server.wait_for(
        "host.name:web-1 AND NOT tags:_vrl_error AND NOT user.name:bob",
        1,
    );
    assert_eq!(plain["total"], 1, "{plain}");
    assert!(plain["hits"][0]["shop"].is_null(), "{plain}");

    let metrics = server.metrics_text();
    assert!(
        metrics
            .lines()
            .any(|l| l == "vigil_pipeline_errors_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vigil_pipeline_runs_by_name_total{pipeline=\"shop\"} 1"),
        "{metrics}"
    );
    server.stop();
}

#[test]
fn a_broken_program_stops_startup_with_its_position() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("vigil.toml");
    let data = dir.path().join("data");
    // Line 7 of the file is `.b = parse_json(.message)`: the fallible call (column 6) is not handled.
    write_file(
        &config,
        &format!(
            "data_dir = \"{}\"\nhttp = \"127.0.0.1:0\"\n\n[[pipelines]]\nname = \"broken\"\nsource = \"\"\"\n.b = parse_json(.message)\n\"\"\"\n",
            data.display()
        ),
    );
    let out = vigil(&["serve", "--config", &config.display().to_string()]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let at = format!("{}:7:6: pipeline 'broken'", config.display());
    assert!(err.contains(&at), "expected {at} in: {err}");
    assert!(err.contains("error[E103]"), "{err}");
    assert!(err.contains("unhandled fallible assignment"), "{err}");
    assert!(!data.join("journal").exists(), "nothing is opened: {err}");

    // The same in a .vrl file: positions are in that file.
    let program = dir.path().join("bad.vrl");
    write_file(&program, "# comment\n.a = 1\n.c = upcase(.missing) +\n");
    write_file(
        &config,
        &format!(
            "data_dir = \"{}\"\nhttp = \"127.0.0.1:0\"\n[[pipelines]]\nname = \"from-file\"\nfile = \"{}\"\n",
            data.display(),
            program.display()
        ),
    );
    let out = vigil(&["serve", "--config", &config.display().to_string()]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:", program.display())) && err.contains("pipeline 'from-file'"),
        "{err}"
    );
    assert!(err.contains("error[E"), "{err}");
}
