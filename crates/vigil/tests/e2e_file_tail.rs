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

/// A temporary directory with `logs/`, `data/` and a `vigil.toml` holding one
/// `[[sources.file]]` section (`{logs}` in it stands for the logs directory).
struct Setup {
    _dir: tempfile::TempDir,
    logs: std::path::PathBuf,
    data: std::path::PathBuf,
    config: std::path::PathBuf,
}

impl Setup {
    fn new(source: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap_or_else(|e| panic!("{e}"));
        let setup = Setup {
            data: dir.path().join("data"),
            config: dir.path().join("vigil.toml"),
            logs,
            _dir: dir,
        };
        setup.write_config(source);
        setup
    }

    fn write_config(&self, source: &str) {
        let text = format!(
            "[[sources.file]]\n{}",
            source.replace("{logs}", &self.logs.display().to_string())
        );
        std::fs::write(&self.config, text).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_configured_file_source_is_tailed_across_a_restart() {
    let Setup {
        logs, data, config, ..
    } = &Setup::new(
        "name = \"app-files\"\npaths = [\"{logs}/*.log\"]\nmultiline_start = '^\\d{4}-'\n",
    );
    let path = logs.join("app.log");
    append(
        &path,
        "2026-03-01 tailmarker first\n2026-03-01 tailmarker second failed\njava.lang.Error: x\n\tat a.b(C.java:1)\n2026-03-01 tailmarker third\n",
    );
    let cfg = config.display().to_string();
    let server = Server::start_with(data, &["--config", &cfg]);
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
    let server = Server::start_with(data, &["--config", &cfg]);
    assert_eq!(wait_total(&server, "tailmarker", 5), 5);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(server.search("tailmarker")["total"], 5);
    server.stop();
}

/// `join = "auditd"`: the records auditd writes for one kernel event (same serial) become
/// one event, closed at once by its EOE record; records of other events stay their own.
#[test]
fn audit_log_records_of_one_event_are_joined() {
    let Setup {
        logs, data, config, ..
    } = &Setup::new("name = \"audit-log\"\npaths = [\"{logs}/audit.log\"]\njoin = \"auditd\"\n");
    let path = logs.join("audit.log");
    append(
        &path,
        concat!(
            "type=USER_START msg=audit(1733560000.100:4410): pid=812 uid=0 auid=1000 ses=3 msg='op=PAM:session_open acct=\"dave\" exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=/dev/pts/0 res=success'\n",
            "type=SYSCALL msg=audit(1733560001.250:4411): arch=c000003e syscall=59 success=yes exit=0 a0=55d6f1c0 a1=55d6f1d0 a2=55d6f1e0 a3=8 items=2 ppid=900 pid=901 auid=1000 uid=1000 gid=1000 euid=1000 tty=pts0 ses=3 comm=\"arecord\" exe=\"/usr/bin/arecord\" key=\"audio\"\n",
            "type=EXECVE msg=audit(1733560001.250:4411): argc=3 a0=\"arecord\" a1=\"-vv\" a2=\"-fdat\"\n",
            "type=CWD msg=audit(1733560001.250:4411): cwd=\"/home/dave\"\n",
            "type=PROCTITLE msg=audit(1733560001.250:4411): proctitle=617265636F7264002D7676002D66646174\n",
            "type=EOE msg=audit(1733560001.250:4411): \n",
        ),
    );
    let cfg = config.display().to_string();
    let server = Server::start_with(data, &["--config", &cfg]);
    // Two events: the session record, and the five records of serial 4411 as one.
    assert_eq!(wait_total(&server, "event.module:auditd", 2), 2);
    let joined = server.search("auditd.sequence:4411");
    assert_eq!(joined["total"], 1, "{joined}");
    let hit = &joined["hits"][0];
    assert_eq!(hit["log"]["source"]["name"], "audit-log", "{hit}");
    assert_eq!(hit["process"]["executable"], "/usr/bin/arecord", "{hit}");
    assert_eq!(hit["process"]["title"], "arecord -vv -fdat", "{hit}");
    assert_eq!(
        hit["auditd"]["records"].as_array().map(Vec::len),
        Some(4),
        "{hit}"
    );
    assert_eq!(
        hit["event"]["original"].as_str().map(|t| t.lines().count()),
        Some(5),
        "{hit}"
    );
    server.stop();
}

/// `parser = "json"`: every line of the source is read as JSON; a line that is not (here a
/// syslog line, which auto-detection would have parsed) is kept whole and tagged. An
/// unknown parser name stops the server at startup, naming the source.
#[test]
fn a_pinned_parser_reads_every_line_of_its_source() {
    let source = |parser: &str| {
        format!("name = \"app-json\"\npaths = [\"{{logs}}/app.json\"]\nparser = \"{parser}\"\n")
    };
    let setup = Setup::new(&source("jsonl"));
    let (logs, data, config) = (&setup.logs, &setup.data, &setup.config);
    let cfg = config.display().to_string();
    let out = vigil(&[
        "serve",
        "--config",
        &cfg,
        "--data-dir",
        &data.display().to_string(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("app-json") && err.contains("unknown parser \"jsonl\""),
        "{err}"
    );

    setup.write_config(&source("json"));
    let path = logs.join("app.json");
    append(
        &path,
        concat!(
            "{\"message\": \"pinnedmarker login\", \"user\": {\"name\": \"ann\"}}\n",
            "<13>Dec  7 06:10:00 web-01 sshd[1]: pinnedmarker Failed password for root from 203.0.113.9 port 22 ssh2\n",
        ),
    );
    let server = Server::start_with(data, &["--config", &cfg]);
    assert_eq!(wait_total(&server, "pinnedmarker", 2), 2);
    let json = server.search("pinnedmarker AND user.name:ann");
    assert_eq!(json["total"], 1, "{json}");
    let failed = server.search("pinnedmarker AND tags:_parse_failure");
    assert_eq!(failed["total"], 1, "{failed}");
    let hit = &failed["hits"][0];
    assert!(
        hit["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("not JSON")),
        "{hit}"
    );
    // Kept whole, not parsed as the syslog line it is.
    assert!(hit["source"]["ip"].is_null(), "{hit}");
    assert!(
        hit["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("<13>Dec")),
        "{hit}"
    );
    server.stop();
}
