//! `vigil serve --config vigil.toml` takes its keys from the file (flags override), a
//! disabled listener stays off, and `vigil ingest` sends gzip files to a running server.

mod common;

use common::{create_token, serve_config_args, stdout, test_data, vigil, Server};
use flate2::write::GzEncoder;
use std::io::Write;

#[test]
fn config_file_sets_data_dir_and_listeners() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("from-config");
    let config = dir.path().join("vigil.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\nhttp = \"127.0.0.1:0\"\nsyslog_udp = \"off\"\nsyslog_tcp = \"127.0.0.1:0\"\nsyslog_timezone = \"+02:00\"\n",
            data.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let args = serve_config_args(&config);
    let server = Server::spawn(&args, &data, false, true);
    let log = server.log.lock().map(|l| l.join("\n")).unwrap_or_default();
    assert!(
        !log.contains("syslog over UDP"),
        "UDP was disabled in the config: {log}"
    );
    // RFC 3164 carries no zone: the configured +02:00 applies.
    server.send_tcp(b"<13>Mar  3 12:00:00 cfg-host app: zone check\n");
    let result = server.wait_for("host.name:cfg-host", 1);
    let ts = result["hits"][0]["@timestamp"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(ts.ends_with("-03-03T10:00:00.000Z"), "{ts}");
    assert!(
        data.join("journal").is_dir(),
        "data_dir from the config was not used"
    );
    server.stop();

    // A config with a typo is refused with the file and the key.
    std::fs::write(&config, "htp = \"127.0.0.1:0\"\n").unwrap_or_else(|e| panic!("{e}"));
    let out = vigil(&["serve", "--config", &config.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("vigil.toml") && err.contains("htp"), "{err}");
}

#[test]
fn ingest_sends_gzip_files_to_a_running_server() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(&dir.path().join("data"));
    let source = test_data().join("loghub/OpenSSH/OpenSSH_2k.log");
    let text = std::fs::read(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    let gz_path = dir.path().join("openssh.log.gz");
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&gz_path, enc.finish().unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));

    let out = vigil(&[
        "ingest",
        &gz_path.display().to_string(),
        "--server",
        &server.url(""),
        "--token",
        &server.ingest_token,
        "--batch",
        "500",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("imported 2000 events"),
        "{}",
        stdout(&out)
    );
    let result = server.wait_for("host.name:LabSZ", 2000);
    assert_eq!(result["total"], 2000);
    assert_eq!(result["hits"][0]["log"]["source"]["name"], "http");
    server.stop();
}

/// Settings take effect at a start: each start's settings are compared with the previous
/// start's and every changed key is in the audit trail, old and new value, so nobody can
/// quietly weaken the configuration between two restarts.
#[test]
fn settings_changed_between_starts_are_in_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let config = dir.path().join("vigil.toml");
    let write_config = |extra: &str| {
        std::fs::write(
            &config,
            format!(
                "data_dir = \"{}\"\nhttp = \"127.0.0.1:0\"\nsyslog_udp = \"off\"\nsyslog_tcp = \"127.0.0.1:0\"\n{extra}",
                data.display()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    };
    let args = serve_config_args(&config);
    write_config("[detect]\nsuppression = \"10m\"\n");
    Server::spawn(&args, &data, false, true).stop();
    // The same settings again: nothing to record.
    Server::spawn(&args, &data, false, true).stop();
    write_config("[detect]\nsuppression = \"1h\"\n[auth]\nsession_idle_timeout = \"2h\"\n");
    let server = Server::spawn(&args, &data, false, true);
    let auditor = create_token(&data, "audrey", "auditor", &[]);
    let (status, trail) = server.get_as(&auditor, "/api/v1/audit?action=settings.change");
    assert_eq!(status, 200, "{trail}");
    let records = trail["records"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 2, "{trail}");
    let first = records
        .iter()
        .find(|r| r["details"]["first_start"] == true)
        .unwrap_or_else(|| panic!("no first-start record: {trail}"));
    assert_eq!(first["details"]["settings"]["detect.suppression"], "10m");
    assert_eq!(first["details"]["settings"]["auth.enabled"], true);
    let change = records
        .iter()
        .find(|r| r["details"]["changes"].is_array())
        .unwrap_or_else(|| panic!("no change record: {trail}"));
    assert_eq!(
        change["details"]["changes"],
        serde_json::json!([
            {"key": "auth.session_idle_timeout", "from": "30m", "to": "2h"},
            {"key": "detect.suppression", "from": "10m", "to": "1h"},
        ]),
        "{change}"
    );
    assert_eq!(change["target"], config.display().to_string());
    // Who: the OS account that started the server (this test's), never anonymous.
    let account = std::process::Command::new("id")
        .arg("-un")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    assert_eq!(change["actor"]["kind"], "user", "{change}");
    assert_eq!(change["actor"]["name"], format!("os:{account}"), "{change}");
    assert!(server
        .log
        .lock()
        .map(|l| l
            .iter()
            .any(|l| l.contains("settings changed since the previous start")))
        .unwrap_or(false));
    server.stop();
}
