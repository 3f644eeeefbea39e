//! `vigil serve --config vigil.toml` takes its keys from the file (flags override), a
//! disabled listener stays off, and `vigil ingest` sends gzip files to a running server.

mod common;

use common::{stdout, test_data, vigil, Server};
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
    let args = vec![
        "serve".to_string(),
        "--config".to_string(),
        config.display().to_string(),
    ];
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
