//! `vigil hunt` (the real binary) against third-party oracles in `../shared/data`:
//! SigmaHQ's own regression tests, EVTX-ATTACK-SAMPLES against the pySigma + SQLite oracle
//! (with every remaining difference explained in docs/sigma-differences.md), the spec's
//! correlation example, and a rule directory with a broken rule.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{test_data, vigil_bin};
use serde_json::Value;

type Hit = (String, String, String); // (rule id, file, record id)

fn hunt_in(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(vigil_bin())
        .arg("hunt")
        .args(args)
        .arg("--quiet")
        .current_dir(cwd)
        .env("VIGIL_LOG", "warn")
        .output()
        .expect("run vigil hunt");
    assert!(
        out.status.success(),
        "vigil hunt {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn data() -> PathBuf {
    let d = test_data();
    std::fs::canonicalize(&d).unwrap_or(d)
}

fn norm(file: &str) -> String {
    file.strip_prefix("./").unwrap_or(file).to_string()
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn hit_set(rows: &[BTreeMap<String, String>]) -> BTreeSet<Hit> {
    rows.iter()
        .map(|r| {
            (
                r["rule_id"].clone(),
                norm(&r["file"]),
                r["record_id"].clone(),
            )
        })
        .collect()
}

struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn of(ours: &BTreeSet<Hit>, oracle: &BTreeSet<Hit>) -> Score {
        let tp = ours.intersection(oracle).count();
        Score {
            tp,
            fp: ours.len() - tp,
            fn_: oracle.len() - tp,
        }
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn line(&self, name: &str) -> String {
        format!(
            "{name:<34} TP {:>5}  FP {:>4}  FN {:>4}  precision {:.4}  recall {:.4}  F1 {:.4}",
            self.tp,
            self.fp,
            self.fn_,
            self.precision(),
            self.recall(),
            self.f1()
        )
    }
}

#[test]
fn sigmahq_regression_tests_all_pass() {
    let data = data();
    let sigmahq = data.join("sigmahq");
    let out = hunt_in(
        &sigmahq,
        &[
            "--rules",
            "rules",
            "--rules",
            "rules-emerging-threats",
            "--rules",
            "rules-threat-hunting",
            "regression_data",
            "--format",
            "json",
        ],
    );
    let mut hits: HashMap<(String, String), usize> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).expect("json line");
        let rule = v["rule_id"].as_str().unwrap().to_string();
        let file = norm(v["file"].as_str().unwrap());
        *hits.entry((rule, file)).or_default() += 1;
    }
    let manifest = read_csv(&data.join("expected/regression_manifest.csv"));
    assert_eq!(manifest.len(), 202);
    let mut failures = Vec::new();
    for row in &manifest {
        let want: usize = row["match_count"].parse().unwrap_or(1);
        let got = hits
            .get(&(row["rule_id"].clone(), row["evtx_path"].clone()))
            .copied()
            .unwrap_or(0);
        if got < want {
            failures.push(format!(
                "{} ({}): {got} hits, want >= {want} on {}",
                row["rule_id"], row["rule_path"], row["evtx_path"]
            ));
        }
    }
    println!(
        "SigmaHQ regression: {}/{} pass",
        manifest.len() - failures.len(),
        manifest.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Differences from the oracle that docs/sigma-differences.md explains, keyed by rule id
/// and file (relative to EVTX-ATTACK-SAMPLES/). `Fn`: the oracle has hits Vigil has not;
/// `Fp`: Vigil has hits the published oracle file has not.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Fn,
    Fp,
}

const EXPLAINED: &[(&str, &str, Side, &str)] = &[
    (
        "c7c8aa1c-5aff-408e-828b-998e3620b341",
        "Execution/rogue_msi_url_1040_1042.evtx",
        Side::Fn,
        "oracle bug: unnamed <Data> list stored as Python repr (backslashes doubled), so '\\\\\\\\' (two backslashes, UNC) matches every path",
    ),
    (
        "0f06a3a5-6a09-413f-8743-e6cf35561297",
        "AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx",
        Side::Fp,
        "Sysmon 19/20/21 is wmi_event; re-running tools/sqlite_oracle.py reproduces these hits, the published CSV lacks them",
    ),
    (
        "0f06a3a5-6a09-413f-8743-e6cf35561297",
        "Persistence/sysmon_20_21_1_CommandLineEventConsumer.evtx",
        Side::Fp,
        "as above (stale oracle CSV)",
    ),
    (
        "0f06a3a5-6a09-413f-8743-e6cf35561297",
        "Persistence/wmighost_sysmon_20_21_1.evtx",
        Side::Fp,
        "as above (stale oracle CSV)",
    ),
    (
        "fe21810c-2a8c-478f-8dd3-5a287fb2a0e0",
        "Persistence/wmighost_sysmon_20_21_1.evtx",
        Side::Fp,
        "Destination contains 'WScript.Shell'; re-run oracle agrees, published CSV lacks it",
    ),
    (
        "8ac03a65-6c84-4116-acad-dc1558ff7a77",
        "Credential Access/babyshark_mimikatz_powershell.evtx",
        Side::Fp,
        "Sysmon EventID 16 (config change); re-run oracle agrees, published CSV lacks it",
    ),
    (
        "48437c39-9e5f-47fb-af95-3d663c3f2919",
        "Defense Evasion/DE_UAC_Disabled_Sysmon_12_13.evtx",
        Side::Fp,
        "EnableLUA set to DWORD 0 (case-insensitive path); re-run oracle agrees, published CSV lacks it",
    ),
];

fn explained(hit: &Hit, side: Side) -> bool {
    EXPLAINED
        .iter()
        .any(|(rule, file, s, _)| *s == side && hit.0 == *rule && hit.1 == *file)
}

#[test]
fn evtx_attack_samples_against_the_sqlite_oracle() {
    let data = data();
    let eas = data.join("evtx/EVTX-ATTACK-SAMPLES");
    let rules = data.join("sigmahq/rules/windows");
    let out = hunt_in(
        &eas,
        &["--rules", rules.to_str().unwrap(), ".", "--format", "csv"],
    );
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), &out.stdout).unwrap();
    let ours = hit_set(&read_csv(tmp.path()));
    let oracle = hit_set(&read_csv(&data.join("expected/sqlite_oracle_eas.csv")));

    let raw = Score::of(&ours, &oracle);
    println!("EVTX-ATTACK-SAMPLES, SigmaHQ rules/windows, against expected/sqlite_oracle_eas.csv");
    println!("{}", raw.line("vigil (raw)"));

    let fps: Vec<&Hit> = ours.difference(&oracle).collect();
    let fns: Vec<&Hit> = oracle.difference(&ours).collect();
    let unexplained_fp: Vec<&&Hit> = fps.iter().filter(|h| !explained(h, Side::Fp)).collect();
    let unexplained_fn: Vec<&&Hit> = fns.iter().filter(|h| !explained(h, Side::Fn)).collect();
    // After explained exclusions: an explained FP counts as agreement (the oracle is wrong),
    // an explained FN is removed from the oracle.
    let explained_fp = fps.len() - unexplained_fp.len();
    let explained_fn = fns.len() - unexplained_fn.len();
    let adjusted = Score {
        tp: raw.tp + explained_fp,
        fp: unexplained_fp.len(),
        fn_: unexplained_fn.len(),
    };
    println!(
        "{}   ({explained_fp} FP and {explained_fn} FN explained)",
        adjusted.line("vigil (explained removed)")
    );
    for (name, file) in [
        ("chainsaw 2.16.4", "chainsaw_2.16.4_eas.csv"),
        (
            "hayabusa 4.0.0 (sigmahq only)",
            "hayabusa_4.0.0_eas_sigmahq_only.csv",
        ),
        (
            "rsigma 0.23.0 (no routing)",
            "rsigma_0.23.0_eas_no_logsource_routing.csv",
        ),
    ] {
        let peer = hit_set(&read_csv(&data.join("expected").join(file)));
        println!("{}", Score::of(&peer, &oracle).line(name));
    }
    for (rule, file, side, reason) in EXPLAINED {
        println!("explained {side:?} {rule} {file}: {reason}");
    }
    for h in &unexplained_fp {
        println!("UNEXPLAINED FP {h:?}");
    }
    for h in &unexplained_fn {
        println!("UNEXPLAINED FN {h:?}");
    }
    // Every explanation still applies (a fixed difference must leave the table).
    for (rule, file, side, _) in EXPLAINED {
        let pool = if *side == Side::Fp { &fps } else { &fns };
        assert!(
            pool.iter().any(|h| h.0 == *rule && h.1 == *file),
            "explained {side:?} {rule} {file} no longer differs: remove it from the table and the doc"
        );
    }
    assert!(
        unexplained_fp.is_empty() && unexplained_fn.is_empty(),
        "{} unexplained FP, {} unexplained FN (listed above)",
        unexplained_fp.len(),
        unexplained_fn.len()
    );
    assert!(adjusted.f1() >= 0.95, "F1 {:.4}", adjusted.f1());
}

#[test]
fn correlation_example_through_hunt() {
    let dir = data().join("expected/correlation_example");
    let out = hunt_in(
        &dir,
        &["--rules", "rules.yml", "events.jsonl", "--format", "json"],
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let hit = &lines[0];
    assert_eq!(hit["rule_id"], "b180ead8-d58f-40b2-ae54-c8940995b9b6");
    assert_eq!(
        hit["group_key"],
        serde_json::json!([{"field": "User", "value": "alice"}])
    );
    assert_eq!(hit["correlation"]["kind"], "temporal_ordered");
}

#[test]
fn a_broken_rule_is_reported_and_the_good_rules_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("good.yml"),
        "title: Good\nid: 30000000-0000-4000-8000-000000000001\nlogsource:\n  product: test\ndetection:\n  sel:\n    user: root\n  condition: sel\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("broken.yml"),
        "title: Broken\nid: 30000000-0000-4000-8000-000000000002\nlogsource:\n  product: test\ndetection:\n  sel:\n    user|nosuchmodifier: root\n  condition: sel\n",
    )
    .unwrap();
    std::fs::write(rules.join("not_yaml.yml"), "title: [unclosed\n").unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(&events, "{\"user\": \"root\"}\n{\"user\": \"bob\"}\n").unwrap();
    let out = hunt_in(
        dir.path(),
        &["--rules", "rules", "events.jsonl", "--format", "json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("2 rule(s) not loaded"), "{stderr}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["rule_id"], "30000000-0000-4000-8000-000000000001");
    assert_eq!(lines[0]["record_id"], "1");
}

/// The records of one Linux audit event (SYSCALL, EXECVE, CWD, PROCTITLE, EOE: the layout
/// auditd writes to /var/log/audit/audit.log) between two unrelated records.
const AUDIT_LOG: &str = r#"type=USER_START msg=audit(1733560000.100:4410): pid=812 uid=0 auid=1000 ses=3 msg='op=PAM:session_open acct="dave" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/pts/0 res=success'
type=SYSCALL msg=audit(1733560001.250:4411): arch=c000003e syscall=59 success=yes exit=0 a0=55d6f1c0 a1=55d6f1d0 a2=55d6f1e0 a3=8 items=2 ppid=900 pid=901 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="arecord" exe="/usr/bin/arecord" key="audio"
type=EXECVE msg=audit(1733560001.250:4411): argc=3 a0="arecord" a1="-vv" a2="-fdat"
type=CWD msg=audit(1733560001.250:4411): cwd="/home/dave"
type=PROCTITLE msg=audit(1733560001.250:4411): proctitle=617265636F7264002D7676002D66646174
type=EOE msg=audit(1733560001.250:4411): 
type=USER_END msg=audit(1733560002.100:4412): pid=812 uid=0 auid=1000 ses=3 msg='op=PAM:session_close acct="dave" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/pts/0 res=success'
"#;

#[test]
fn sigmahq_auditd_rules_see_every_record_of_a_joined_audit_event() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("audit.log"), AUDIT_LOG).unwrap();
    // SigmaHQ's own rule, as published: `type: EXECVE` with `a0..a2` of the EXECVE record.
    let rule = test_data().join("sigmahq/rules/linux/auditd/lnx_auditd_audio_capture.yml");
    let out = hunt_in(
        dir.path(),
        &[
            "--rules",
            rule.to_str().unwrap(),
            "audit.log",
            "--format",
            "json",
        ],
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let hit = &lines[0];
    assert_eq!(
        hit["rule_id"], "a7af2487-9c2f-42e4-9bb9-ff961f0561d5",
        "{hit}"
    );
    // The second event of the file: the five records of serial 4411, joined.
    assert_eq!(hit["record_id"], "2", "{hit}");
    assert!(hit["matched"].to_string().contains("arecord"), "{hit}");
}
