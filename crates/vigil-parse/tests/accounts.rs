//! Linux account programs after the syslog header (`su`, `systemd-logind`, shadow-utils'
//! `useradd` / `usermod` / `userdel` / `groupadd` / `groupdel` / `passwd` / `chage` /
//! `gpasswd`) through the public entry point [`parse_line`], against the real lines and
//! goldens of `$VIGIL_TEST_DATA/parsers/wazuh-engine/system-auth` (Wazuh engine test
//! suite) and `parsers/elastic-integrations/system-auth`, plus the `su(pam_unix)` lines
//! of loghub's Linux sample.
//!
//! Compared with the Wazuh goldens (for every golden that categorises the event): `event.category`,
//! `event.type`, `event.outcome`, `user.name`, `user.id`, `group.name`, `group.id`,
//! `process.name`, `process.pid`. One deliberate difference: Wazuh puts the path
//! `/etc/group` in `file.name`; Vigil sets `file.path: /etc/group` and `file.name: group`
//! (ECS: `file.name` is the name without directory).

mod common;

use common::{ctx, lines, read_data, s};
use serde_json::{json, Value};
use vigil_core::{Event, TAG_PARSE_FAILURE};
use vigil_parse::parse_line;

const PROGRAMS: [&str; 10] = [
    "su",
    "systemd-logind",
    "useradd",
    "usermod",
    "userdel",
    "groupadd",
    "groupdel",
    "passwd",
    "chage",
    "gpasswd",
];

/// The value at a dotted path of a nested golden object.
fn golden_at<'a>(golden: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(golden, |v, part| v.as_object().and_then(|m| m.get(part)))
}

/// Scalars compared as strings (Wazuh writes `process.pid` as a number, ids as strings).
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

#[test]
fn wazuh_goldens_for_account_programs() {
    let mut compared = 0;
    for unit in ["auth", "rhel_79", "ubuntu_1204"] {
        let golden = read_data(&format!(
            "parsers/wazuh-engine/system-auth/{unit}_expected.json"
        ));
        let golden: Vec<Value> = serde_json::from_slice(&golden).unwrap_or_default();
        assert!(!golden.is_empty(), "{unit}: no goldens");
        for expected in golden {
            let Some(original) = golden_at(&expected, "event.original").and_then(Value::as_str)
            else {
                continue;
            };
            let program = golden_at(&expected, "process.name").and_then(Value::as_str);
            if !program.is_some_and(|p| PROGRAMS.contains(&p)) {
                continue;
            }
            let timestamp = golden_at(&expected, "event.start")
                .and_then(Value::as_str)
                .unwrap_or("2024-12-31T00:00:00Z");
            let event = parse_line(original.as_bytes(), &ctx(timestamp));
            assert!(!event.has_tag(TAG_PARSE_FAILURE), "{original}");
            assert!(s(&event, "message").is_some(), "{original}");
            // Every account line is recognised, even those Wazuh leaves uncategorised.
            assert!(
                event.get("event.action").is_some(),
                "not recognised: {original}"
            );
            let mut fields = vec!["process.name", "process.pid"];
            if golden_at(&expected, "event.category").is_some() {
                fields.extend([
                    "event.category",
                    "event.type",
                    "event.outcome",
                    "user.name",
                    "user.id",
                    "group.name",
                    "group.id",
                ]);
            }
            for field in fields {
                let want = golden_at(&expected, field);
                let got = event.get(field);
                match (want, got) {
                    (Some(Value::Array(_)), _) => assert_eq!(got, want, "{field}: {original}"),
                    _ => assert_eq!(text(got), text(want), "{field}: {original}"),
                }
                compared += 1;
            }
            if let Some(path) = golden_at(&expected, "file.name").and_then(Value::as_str) {
                assert_eq!(s(&event, "file.path"), Some(path), "{original}");
            }
        }
    }
    assert!(compared >= 100, "only {compared} fields compared");
}

/// Elastic's system-auth sample of `su`'s pam_unix session line: `su` routes it to the pam
/// module (Elastic's golden names the invoking user `milad` in `user.name` and `root` in
/// `user.effective.name`; Vigil's pam module names the session user, a known difference
/// owned by the pam parser).
#[test]
fn elastic_su_session_line() {
    let line = "<86>1 2023-10-06T09:45:15.664648+02:00 test.lab.com su - - - pam_unix(su-l:session): session opened for user root by milad(uid=0)";
    let event = parse_line(line.as_bytes(), &ctx("2023-10-06T08:00:00Z"));
    assert_eq!(s(&event, "process.name"), Some("su"));
    assert_eq!(event.get("event.category"), Some(&json!(["session"])));
    assert_eq!(s(&event, "event.action"), Some("session_opened"));
    assert_eq!(s(&event, "@timestamp"), Some("2023-10-06T07:45:15.664Z"));
}

#[test]
fn su_lines_of_shadow_utils_and_util_linux() {
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            "Feb 24 00:12:14 server01 su[1001]: Successful su for user02 by root",
            "root",
            "user02",
            "success",
        ),
        (
            "Feb 24 00:12:14 server01 su[1001]: FAILED su for root by user01",
            "user01",
            "root",
            "failure",
        ),
        (
            "Nov 22 10:00:01 host1 su[4242]: (to root) alice on pts/0",
            "alice",
            "root",
            "success",
        ),
        (
            "Nov 22 10:00:01 host1 su[4242]: FAILED SU (to root) alice on pts/0",
            "alice",
            "root",
            "failure",
        ),
    ];
    for (line, actor, target, outcome) in cases {
        let event = parse_line(line.as_bytes(), &ctx("2026-11-22T12:00:00Z"));
        assert_eq!(
            event.get("event.category"),
            Some(&json!(["authentication"])),
            "{line}"
        );
        assert_eq!(s(&event, "event.action"), Some("su"), "{line}");
        assert_eq!(s(&event, "user.name"), Some(actor), "{line}");
        assert_eq!(s(&event, "user.target.name"), Some(target), "{line}");
        assert_eq!(s(&event, "event.outcome"), Some(outcome), "{line}");
        assert_eq!(s(&event, "event.original"), Some(line));
    }
}

#[test]
fn logind_sessions() {
    let ctx = ctx("2026-11-22T12:00:00Z");
    let event = parse_line(
        b"Nov 22 10:00:01 host1 systemd-logind[812]: New session 3 of user alice.",
        &ctx,
    );
    assert_eq!(s(&event, "event.action"), Some("new_session"));
    assert_eq!(event.get("event.type"), Some(&json!(["start"])));
    assert_eq!(s(&event, "user.name"), Some("alice"));
    assert_eq!(s(&event, "logind.session.id"), Some("3"));
    let line =
        "<38>1 2026-11-22T10:05:00.000+01:00 host1 systemd-logind 812 - - Removed session 3.";
    let event = parse_line(line.as_bytes(), &ctx);
    assert_eq!(s(&event, "event.action"), Some("removed_session"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T09:05:00.000Z"));
    // Not a session message: the syslog event as the header gave it.
    let event = parse_line(
        b"Nov 22 10:00:01 host1 systemd-logind[812]: Watching system buttons on /dev/input/event0 (Power Button)",
        &ctx,
    );
    assert_eq!(event.get("event.action"), None);
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
}

/// The rule pack's privileged-group rule matches usermod / gpasswd by `message`: the
/// parser must leave it as the program wrote it.
#[test]
fn group_membership_keeps_the_message() {
    let ctx = ctx("2026-11-22T12:00:00Z");
    let event = parse_line(
        b"Nov 22 10:00:01 host1 usermod[902]: add 'mallory' to group 'sudo'",
        &ctx,
    );
    assert_eq!(s(&event, "message"), Some("add 'mallory' to group 'sudo'"));
    assert_eq!(s(&event, "event.action"), Some("add_user_to_group"));
    assert_eq!(s(&event, "group.name"), Some("sudo"));
    assert_eq!(s(&event, "user.target.name"), Some("mallory"));
    let event = parse_line(
        b"Nov 22 10:00:02 host1 gpasswd[903]: user mallory added by root to group wheel",
        &ctx,
    );
    assert_eq!(
        s(&event, "message"),
        Some("user mallory added by root to group wheel")
    );
    assert_eq!(s(&event, "user.name"), Some("root"));
    assert_eq!(s(&event, "group.name"), Some("wheel"));
    let event = parse_line(
        b"Nov 22 10:00:03 host1 groupdel[904]: group 'devs' removed from /etc/gshadow",
        &ctx,
    );
    assert_eq!(event.get("event.type"), Some(&json!(["group", "deletion"])));
}

/// loghub's Linux sample: every `su(pam_unix)` line stays a pam session event.
#[test]
fn loghub_su_pam_lines() {
    let data = read_data("loghub/Linux/Linux_2k.log");
    let mut seen = 0;
    for line in lines(&data) {
        let marker = b" su(pam_unix)[";
        if !line.windows(marker.len()).any(|w| w == marker) {
            continue;
        }
        let event = parse_line(line, &ctx("2005-07-01T00:00:00Z"));
        let category = event.get("event.category").cloned();
        assert!(
            category == Some(json!(["session"])) || category == Some(json!(["authentication"])),
            "{}",
            String::from_utf8_lossy(line)
        );
        assert!(
            s(&event, "user.name").is_some(),
            "{}",
            String::from_utf8_lossy(line)
        );
        seen += 1;
    }
    assert!(seen >= 100, "{seen} su(pam_unix) lines");
}

/// Truncated and mangled account lines: never a panic, never dropped, never a failure
/// (the syslog header is still understood).
#[test]
fn malformed_account_lines() {
    let samples = [
        "Feb 24 00:12:02 server01 useradd[1001]: new user: name=user02, UID=1001, GID=1003, home=/home/user02, shell=/bin/bash",
        "Feb 24 00:12:14 server01 su[1001]: Successful su for user02 by root",
        "Nov 22 10:00:01 host1 systemd-logind[812]: New session 3 of user alice.",
        "Oct 19 12:54:40 server03 usermod[10003]: change user 'user03' expiration from '2001-01-01' to '2243-10-16'",
        "Nov 22 10:00:02 host1 gpasswd[903]: user mallory added by root to group wheel",
    ];
    let ctx = ctx("2026-11-22T12:00:00Z");
    for sample in samples {
        for end in (1..=sample.len()).filter(|i| sample.is_char_boundary(*i)) {
            let cut = &sample[..end];
            let event: Event = parse_line(cut.as_bytes(), &ctx);
            assert_eq!(s(&event, "event.original"), Some(cut));
            assert!(
                s(&event, "message").is_some() || event.has_tag(TAG_PARSE_FAILURE),
                "{cut}"
            );
        }
        for junk in ["'", "''", " by ", "=", ", ", "\u{1}", "é"] {
            let mangled = format!("{sample}{junk}");
            let event = parse_line(mangled.as_bytes(), &ctx);
            assert_eq!(s(&event, "event.original"), Some(mangled.as_str()));
        }
    }
}
