//! File tailing through the real server: `[[sources.file]]` in vigil.toml, lines appended
//! to a file become searchable events, and a restart neither re-reads nor skips.

mod common;

use common::*;
use std::io::Write;
use std::time::{Duration, Instant};

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{e}"));
    f.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
}

fn wait_total(server: &Server, q: &str, n: u64) -> u64 {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let t = server.search(q)["total"].as_u64().unwrap_or(0);
        if t >= n || Instant::now() > until {
            return t;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_configured_file_source_is_tailed_across_a_restart() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let config = dir.path().join("vigil.toml");
    std::fs::write(
        &config,
        format!(
            "[[sources.file]]\nname = \"app-files\"\npaths = [\"{}/*.log\"]\nmultiline_start = '^\\d{{4}}-'\n",
            logs.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let path = logs.join("app.log");
    append(
        &path,
        "2026-03-01 tailmarker first\n2026-03-01 tailmarker second failed\njava.lang.Error: x\n\tat a.b(C.java:1)\n2026-03-01 tailmarker third\n",
    );
    let cfg = config.display().to_string();
    let server = Server::start_with(&data, &["--config", &cfg]);
    assert_eq!(wait_total(&server, "tailmarker", 3), 3);
    let hit = server.search("tailmarker AND second");
    assert_eq!(hit["total"], 1, "{hit}");
    let hit = &hit["hits"][0];
    assert_eq!(hit["log"]["source"]["name"], "app-files", "{hit}");
    assert_eq!(hit["log"]["file"]["path"], path.display().to_string());
    assert!(
        hit["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("\n\tat a.b(C.java:1)")),
        "{hit}"
    );
    server.stop();
    append(
        &path,
        "2026-03-01 tailmarker fourth\n2026-03-01 tailmarker fifth\n",
    );
    let server = Server::start_with(&data, &["--config", &cfg]);
    assert_eq!(wait_total(&server, "tailmarker", 5), 5);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(server.search("tailmarker")["total"], 5);
    server.stop();
}
