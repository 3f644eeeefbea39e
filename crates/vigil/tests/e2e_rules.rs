//! `vigil rules validate|test|backtest` as a user runs them: invalid rules named with file,
//! line and reason; the shipped pack's own test cases; a rule replayed over stored history.

mod common;

use common::{stdout, test_data, vigil};
use std::path::{Path, PathBuf};
use std::process::Output;

fn pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

const GOOD_RULE: &str = "title: Sudo To Root
id: 0b4c6a44-8d1e-4f57-9a3c-1f2e3d4c5b6a
status: test
logsource:
    product: linux
    service: sudo
detection:
    selection:
        message|contains: 'COMMAND=/bin/bash'
    condition: selection
level: medium
";

const BAD_MODIFIER_RULE: &str = "title: Bad Modifier
id: 6f1d2c3b-4a5e-4f60-8b7a-9c8d7e6f5a4b
status: test
logsource:
    product: linux
detection:
    selection:
        message|notamodifier: 'x'
    condition: selection
level: low
";

const BROKEN_YAML_RULE: &str = "title: Broken
id: 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d
logsource:
    product: linux
detection:
    selection:
        message: [unclosed
    condition: selection
";

#[test]
fn validate_names_each_invalid_rule_and_counts_the_good_ones() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "good.yml", GOOD_RULE);
    write(dir.path(), "bad_modifier.yml", BAD_MODIFIER_RULE);
    write(dir.path(), "broken_yaml.yml", BROKEN_YAML_RULE);
    let d = dir.path().display().to_string();
    let out = vigil(&["rules", "validate", &d]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}\n{}", stdout(&out));
    for name in ["bad_modifier.yml", "broken_yaml.yml"] {
        let line = err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not reported:\n{err}"));
        // file:line: reason
        let rest = line.split_once(&format!("{name}:")).map(|(_, r)| r);
        let (num, reason) = rest
            .and_then(|r| r.split_once(": "))
            .unwrap_or_else(|| panic!("not file:line: reason: {line}"));
        assert!(num.parse::<u32>().is_ok_and(|n| n >= 1), "{line}");
        assert!(!reason.trim().is_empty(), "{line}");
    }
    assert!(
        err.to_lowercase().contains("notamodifier"),
        "the reason names the bad modifier:\n{err}"
    );
    assert!(!err.contains("good.yml"), "{err}");
    assert!(
        stdout(&out).contains("3 files, 1 rules loaded, 2 errors"),
        "{}",
        stdout(&out)
    );

    let out = vigil(&["rules", "validate", &d, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(doc["files"], 3, "{doc}");
    assert_eq!(doc["rules"], 1, "{doc}");
    assert_eq!(doc["errors"].as_array().map(Vec::len), Some(2), "{doc}");

    std::fs::remove_file(dir.path().join("bad_modifier.yml")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(dir.path().join("broken_yaml.yml")).unwrap_or_else(|e| panic!("{e}"));
    let out = vigil(&["rules", "validate", &d]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 files, 1 rules loaded, 0 errors"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn validate_accepts_the_shipped_pack_and_the_sigmahq_corpus() {
    let out = vigil(&["rules", "validate", &pack().display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let sigma = test_data().join("sigmahq/rules");
    if !sigma.is_dir() {
        eprintln!(
            "note: {} is absent; SigmaHQ validation skipped",
            sigma.display()
        );
        return;
    }
    let out = vigil(&[
        "rules",
        "validate",
        &sigma.display().to_string(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(out.status.code(), Some(0), "{}", doc["errors"]);
    assert!(doc["rules"].as_u64().is_some_and(|n| n > 3000), "{doc}");
}

#[test]
fn the_shipped_pack_passes_its_own_tests() {
    let out = vigil(&["rules", "test", &pack().display().to_string()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(!text.contains("FAIL"), "{text}");
    assert!(text.contains("0 failed, 0 without tests"), "{text}");
}

#[test]
fn a_failing_case_is_named_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "sudo_root.yml", GOOD_RULE);
    write(
        dir.path(),
        "sudo_root.tests.yml",
        r#"cases:
  - name: "sudo to a root shell"
    expect: 1
    events:
      - log: "Nov 22 10:00:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash"
  - name: "a benign sudo command is expected to alert (wrong on purpose)"
    expect: 1
    events:
      - log: "Nov 22 10:00:02 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/ls"
"#,
    );
    let out = vigil(&["rules", "test", &dir.path().display().to_string()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    assert!(text.contains("FAIL"), "{text}");
    let failing = text
        .lines()
        .find(|l| l.contains("wrong on purpose"))
        .unwrap_or_else(|| panic!("the failing case is not named:\n{text}"));
    assert!(failing.contains("expected 1, got 0"), "{failing}");
    assert!(
        !text.contains("\"sudo to a root shell\""),
        "a passing case is not listed as failing:\n{text}"
    );

    // A malformed tests file fails with its name and the reason.
    write(
        dir.path(),
        "sudo_root.tests.yml",
        "cases:\n  - name: x\n    expected: 1\n    events: []\n",
    );
    let out = vigil(&["rules", "test", &dir.path().display().to_string()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("sudo_root.tests.yml") && text.contains("malformed"),
        "{text}"
    );

    // Without a tests file the rule is listed; --require-tests makes that a failure.
    std::fs::remove_file(dir.path().join("sudo_root.tests.yml")).unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path().display().to_string();
    let out = vigil(&["rules", "test", &d]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("NO TESTS"), "{}", stdout(&out));
    let out = vigil(&["rules", "test", &d, "--require-tests"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn backtest_counts_the_alerts_a_rule_would_have_raised() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    // Two hours ago, in the RFC 3164 form whose year `vigil ingest` infers.
    let base = chrono::Utc::now() - chrono::Duration::hours(2);
    let stamp = |secs: i64| {
        (base + chrono::Duration::seconds(secs))
            .format("%b %e %H:%M:%S")
            .to_string()
    };
    let mut lines = Vec::new();
    lines.push(format!(
        "{} web1 sshd[800]: Accepted publickey for deploy from 192.0.2.10 port 40000 ssh2",
        stamp(0)
    ));
    for i in 0..12 {
        lines.push(format!(
            "{} web1 sshd[812]: Failed password for root from 203.0.113.77 port {} ssh2",
            stamp(1 + i),
            50000 + i
        ));
    }
    lines.push(format!(
        "{} web1 sshd[813]: Failed password for admin from 198.51.100.4 port 50100 ssh2",
        stamp(14)
    ));
    lines.push(format!(
        "{} web1 CRON[900]: (root) CMD (run-parts /etc/cron.hourly)",
        stamp(15)
    ));
    let log = write(dir.path(), "auth.log", &(lines.join("\n") + "\n"));
    let d = data.display().to_string();
    let out = vigil(&["ingest", &log.display().to_string(), "--data-dir", &d]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = snapshot(&data);

    let rule = pack().join("linux/ssh_brute_force.yml");
    let out = vigil(&[
        "rules",
        "backtest",
        &rule.display().to_string(),
        "--data-dir",
        &d,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(doc["alerts"], 1, "{doc}");
    assert_eq!(doc["events_in_range"], 15, "{doc}");
    assert_eq!(
        doc["by_group"][0]["group"], "source.ip=203.0.113.77",
        "{doc}"
    );
    assert_eq!(doc["by_host"][0]["host"], "web1", "{doc}");
    let finding = &doc["findings"][0];
    assert!(
        finding["event_ids"]
            .as_array()
            .is_some_and(|ids| ids.len() >= 11),
        "{finding}"
    );

    // By title from the pack, as a table.
    let out = vigil(&[
        "rules",
        "backtest",
        "SSH Brute Force From A Single Source IP",
        "--rules",
        &pack().display().to_string(),
        "--data-dir",
        &d,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("alerts: 1"), "{text}");
    assert!(text.contains("203.0.113.77"), "{text}");

    // A range that starts after the events: nothing.
    let after = (base + chrono::Duration::minutes(5)).to_rfc3339();
    let out = vigil(&[
        "rules",
        "backtest",
        &rule.display().to_string(),
        "--data-dir",
        &d,
        "--from",
        &after,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(doc["alerts"], 0, "{doc}");
    assert_eq!(doc["events_in_range"], 0, "{doc}");

    // Backtesting wrote nothing into the data directory.
    assert_eq!(snapshot(&data), before);
}

/// Every file under `dir` with its size and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{e}"));
            if meta.is_dir() {
                stack.push(path);
            } else {
                let modified = meta.modified().unwrap_or_else(|e| panic!("{e}"));
                out.push((path, meta.len(), modified));
            }
        }
    }
    out.sort();
    out
}
