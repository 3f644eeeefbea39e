//! Unit-level checks of the auditd, AWS CloudTrail and GitHub audit log parsers through
//! `parse_line` / `parse_syslog`.

mod common;

use common::{ctx, s};
use serde_json::json;
use vigil_parse::{auditd, cloudtrail, join_audit_records, parse_line, parse_syslog};

const SYSCALL: &str = r#"type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 a0=7fffd19c5592 a1=0 a2=7fffd19c4b50 a3=a items=1 ppid=2686 pid=3538 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm="cat" exe="/usr/bin/cat" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key=(null)"#;
const PROCTITLE: &str =
    "type=PROCTITLE msg=audit(1364481363.243:24287): proctitle=636174002F6574632F736861646F77";
const EXECVE: &str =
    r#"type=EXECVE msg=audit(1364481363.243:24287): argc=3 a0="ls" a1=2D6C61 a2="/tmp/a b""#;
const LOGIN: &str = "type=USER_LOGIN msg=audit(1700000000.5:77): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.7 terminal=ssh res=failed'";

#[test]
fn syscall_record() {
    let e = parse_line(SYSCALL.as_bytes(), &ctx("2013-03-28T00:00:00Z"));
    assert_eq!(s(&e, "@timestamp"), Some("2013-03-28T14:36:03.243Z"));
    assert_eq!(e.get("auditd.sequence"), Some(&json!(24287)));
    assert_eq!(s(&e, "event.action"), Some("syscall"));
    assert_eq!(s(&e, "event.outcome"), Some("failure"));
    assert_eq!(e.get("event.category"), Some(&json!(["process"])));
    assert_eq!(s(&e, "user.id"), Some("1000"));
    assert_eq!(s(&e, "user.audit.id"), Some("1000"));
    assert_eq!(e.get("process.pid"), Some(&json!(3538)));
    assert_eq!(e.get("process.ppid"), Some(&json!(2686)));
    assert_eq!(s(&e, "process.name"), Some("cat"));
    assert_eq!(s(&e, "process.executable"), Some("/usr/bin/cat"));
    assert_eq!(s(&e, "auditd.data.key"), Some("(null)"));
    assert_eq!(s(&e, "auditd.data.exit"), Some("-13"));
    assert_eq!(s(&e, "event.original"), Some(SYSCALL));
    assert!(e.get("tags").is_none());
}

#[test]
fn proctitle_hex_is_decoded() {
    let e = parse_line(PROCTITLE.as_bytes(), &ctx("2013-03-28T00:00:00Z"));
    assert_eq!(s(&e, "process.title"), Some("cat /etc/shadow"));
    assert_eq!(s(&e, "event.action"), Some("proctitle"));
    assert_eq!(auditd::decode_hex_args("41"), "A");
}

#[test]
fn execve_hex_args() {
    let e = parse_line(EXECVE.as_bytes(), &ctx("2013-03-28T00:00:00Z"));
    assert_eq!(
        e.get("process.args"),
        Some(&json!(["ls", "-la", "/tmp/a b"]))
    );
    assert_eq!(s(&e, "auditd.data.a1"), Some("2D6C61"));
    assert_eq!(e.get("event.category"), Some(&json!(["process"])));
}

#[test]
fn unset_auid_is_omitted_and_login_mapped() {
    let e = parse_line(LOGIN.as_bytes(), &ctx("2023-11-14T00:00:00Z"));
    assert_eq!(s(&e, "@timestamp"), Some("2023-11-14T22:13:20.500Z"));
    assert_eq!(s(&e, "user.audit.id"), None);
    assert_eq!(s(&e, "auditd.data.auid"), Some("4294967295"));
    assert_eq!(s(&e, "user.name"), Some("alice"));
    assert_eq!(s(&e, "host.name"), None);
    assert_eq!(s(&e, "source.ip"), Some("203.0.113.7"));
    assert_eq!(s(&e, "event.outcome"), Some("failure"));
    assert_eq!(e.get("event.category"), Some(&json!(["authentication"])));
}

#[test]
fn audit_after_syslog_header() {
    let line = format!("<14>Nov 22 10:00:00 host1 audispd: node=host1 {SYSCALL}");
    let e = parse_syslog(line.as_bytes(), &ctx("2026-11-22T12:00:00Z"));
    assert_eq!(s(&e, "process.executable"), Some("/usr/bin/cat"));
    assert_eq!(s(&e, "@timestamp"), Some("2013-03-28T14:36:03.243Z"));
    assert_eq!(s(&e, "host.name"), Some("host1"));
    let kernel = "<4>Nov 22 10:00:00 host1 kernel: audit: type=1400 audit(1364481363.243:24288): apparmor=\"DENIED\" operation=\"open\" pid=12 comm=\"cat\"";
    let e = parse_syslog(kernel.as_bytes(), &ctx("2026-11-22T12:00:00Z"));
    assert_eq!(e.get("auditd.sequence"), Some(&json!(24288)));
    assert_eq!(s(&e, "auditd.data.apparmor"), Some("DENIED"));
    assert_eq!(s(&e, "event.original"), Some(kernel));
}

#[test]
fn records_are_joined_by_serial() {
    let c = ctx("2013-03-28T00:00:00Z");
    let events: Vec<_> = [SYSCALL, EXECVE, PROCTITLE, LOGIN]
        .iter()
        .map(|l| parse_line(l.as_bytes(), &c))
        .collect();
    let joined = join_audit_records(&events);
    assert_eq!(joined.len(), 2);
    assert_eq!(s(&joined[0], "event.action"), Some("syscall"));
    assert_eq!(s(&joined[0], "process.title"), Some("cat /etc/shadow"));
    assert_eq!(
        joined[0]
            .get("auditd.records")
            .and_then(|r| r.as_array())
            .map(Vec::len),
        Some(2)
    );
}

const TRAIL_FAIL: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/bob","userName":"bob"},"eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.4","userAgent":"aws-cli/2.0","errorCode":"AccessDenied","errorMessage":"User is not authorized"}"#;

#[test]
fn cloudtrail_failure() {
    let e = parse_line(TRAIL_FAIL.as_bytes(), &ctx("2024-01-02T00:00:00Z"));
    assert_eq!(s(&e, "@timestamp"), Some("2024-01-02T03:04:05.000Z"));
    assert_eq!(s(&e, "event.outcome"), Some("failure"));
    assert_eq!(s(&e, "error.code"), Some("AccessDenied"));
    assert_eq!(s(&e, "error.message"), Some("User is not authorized"));
    assert_eq!(s(&e, "event.action"), Some("CreateUser"));
    assert_eq!(s(&e, "event.provider"), Some("iam.amazonaws.com"));
    assert_eq!(e.get("event.category"), Some(&json!(["iam"])));
    assert_eq!(s(&e, "cloud.provider"), Some("aws"));
    assert_eq!(s(&e, "cloud.region"), Some("us-east-1"));
    assert_eq!(s(&e, "source.ip"), Some("198.51.100.4"));
    assert_eq!(s(&e, "user.name"), Some("bob"));
    assert_eq!(s(&e, "user.id"), Some("arn:aws:iam::123456789012:user/bob"));
    assert_eq!(s(&e, "user_agent.original"), Some("aws-cli/2.0"));
    assert_eq!(s(&e, "eventName"), Some("CreateUser"));
    assert!(e.get("tags").is_none());
}

#[test]
fn cloudtrail_records_file() {
    let one = format!(r#"{{"Records":[{TRAIL_FAIL}]}}"#);
    let e = parse_line(one.as_bytes(), &ctx("2024-01-02T00:00:00Z"));
    assert_eq!(s(&e, "event.action"), Some("CreateUser"));
    assert_eq!(s(&e, "event.original"), Some(one.as_str()));
    let two = format!(r#"{{"Records":[{TRAIL_FAIL},{TRAIL_FAIL}]}}"#);
    let e = parse_line(two.as_bytes(), &ctx("2024-01-02T00:00:00Z"));
    assert_eq!(e.get("aws.cloudtrail.record_count"), Some(&json!(2)));
    assert!(e.get("Records").is_some());
    let split = cloudtrail::split_records(&two).unwrap_or_default();
    assert_eq!(split.len(), 2);
    assert_eq!(s(&split[1], "event.outcome"), Some("failure"));
    let login = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","sourceIPAddress":"AWS Internal"}"#;
    let e = parse_line(login.as_bytes(), &ctx("2024-01-02T00:00:00Z"));
    assert_eq!(e.get("event.category"), Some(&json!(["authentication"])));
    assert_eq!(s(&e, "event.outcome"), Some("success"));
    assert_eq!(s(&e, "source.address"), Some("AWS Internal"));
}

#[test]
fn github_categories() {
    let c = ctx("2025-01-01T00:00:00Z");
    let cases = [
        ("org.add_member", "iam", "creation"),
        ("org.remove_member", "iam", "deletion"),
        ("team.add_repository", "iam", "creation"),
        ("repo.update_member", "iam", "change"),
        ("repo.create", "configuration", "creation"),
        ("protected_branch.destroy", "configuration", "deletion"),
        ("repo.access", "configuration", "change"),
    ];
    for (action, category, kind) in cases {
        let line = format!(
            r#"{{"@timestamp":1741611463961,"action":"{action}","actor":"octo","org":"acme","repo":"acme/x","actor_location":{{"country_code":"DE"}}}}"#
        );
        let e = parse_line(line.as_bytes(), &c);
        assert_eq!(
            e.get("event.category"),
            Some(&json!([category])),
            "{action}"
        );
        assert_eq!(e.get("event.type"), Some(&json!([kind])), "{action}");
        assert_eq!(s(&e, "event.action"), Some(action));
        assert_eq!(s(&e, "user.name"), Some("octo"));
        assert_eq!(s(&e, "organization.name"), Some("acme"));
        assert_eq!(s(&e, "github.repo"), Some("acme/x"));
        assert_eq!(s(&e, "source.geo.country_iso_code"), Some("DE"));
        assert_eq!(s(&e, "@timestamp"), Some("2025-03-10T12:57:43.961Z"));
    }
    // Not GitHub: no dot in the action, or neither actor nor org.
    let e = parse_line(br#"{"action":"login","actor":"x"}"#, &c);
    assert!(e.get("event.category").is_none());
    let e = parse_line(br#"{"action":"a.b","user":"x"}"#, &c);
    assert!(e.get("event.category").is_none());
}
