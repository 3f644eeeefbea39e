//! Message normalisation: specific sshd, pam_unix and sudo lines map to exact ECS fields.

mod common;

use common::ctx;
use serde_json::{json, Map, Value};
use vigil_core::Event;
use vigil_parse::parse_line;

/// Parses a line received in 2026 and returns the ECS fields the normalisers own.
fn ecs(line: &str) -> Value {
    let event = parse_line(line.as_bytes(), &ctx("2026-03-01T00:00:00Z"));
    assert!(!event.has_tag(vigil_core::TAG_PARSE_FAILURE), "{line}");
    normalised(&event)
}

fn normalised(event: &Event) -> Value {
    let mut out = Map::new();
    for (path, value) in event.flatten() {
        let owned = [
            "event.",
            "source.",
            "user.",
            "related.",
            "process.command_line",
            "process.working_directory",
        ];
        let header = ["event.original", "event.kind"];
        if owned.iter().any(|p| path.starts_with(p)) && !header.contains(&path.as_str()) {
            out.insert(path, value.clone());
        }
    }
    Value::Object(out)
}

#[test]
fn sshd_failed_password() {
    assert_eq!(
        ecs("Dec 10 11:04:45 LabSZ sshd[25539]: Failed password for invalid user user from 103.99.0.122 port 52683 ssh2"),
        json!({
            "event.category": ["authentication"], "event.type": ["start"], "event.action": "ssh_login",
            "event.outcome": "failure", "user.name": "user", "source.ip": "103.99.0.122", "source.port": 52683,
            "related.ip": ["103.99.0.122"], "related.user": ["user"]
        })
    );
    assert_eq!(
        ecs("Dec 10 07:13:56 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 port 42393 ssh2"),
        json!({
            "event.category": ["authentication"], "event.type": ["start"], "event.action": "ssh_login",
            "event.outcome": "failure", "user.name": "root", "source.ip": "5.36.59.76", "source.port": 42393,
            "related.ip": ["5.36.59.76"], "related.user": ["root"]
        })
    );
    // rsyslog's repeat reduction is unwrapped.
    let v = ecs("Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]");
    assert_eq!(v["event.action"], "ssh_login");
    assert_eq!(v["user.name"], "root");
}

#[test]
fn sshd_accepted() {
    assert_eq!(
        ecs("Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2"),
        json!({
            "event.category": ["authentication"], "event.type": ["start"], "event.action": "ssh_login",
            "event.outcome": "success", "user.name": "fztu", "source.ip": "119.137.62.142", "source.port": 49116,
            "related.ip": ["119.137.62.142"], "related.user": ["fztu"]
        })
    );
    let v = ecs("<38>Mar  1 10:00:00 bastion sshd[1]: Accepted publickey for deploy from 2001:db8::7 port 50022 ssh2: ED25519 SHA256:abc");
    assert_eq!(v["event.outcome"], "success");
    assert_eq!(v["user.name"], "deploy");
    assert_eq!(v["source.ip"], "2001:db8::7");
    assert_eq!(v["source.port"], 50022);
}

#[test]
fn sshd_invalid_user() {
    assert_eq!(
        ecs("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"),
        json!({
            "event.category": ["authentication"], "event.type": ["info"], "event.action": "ssh_invalid_user",
            "event.outcome": "failure", "user.name": "webmaster", "source.ip": "173.234.31.186",
            "related.ip": ["173.234.31.186"], "related.user": ["webmaster"]
        })
    );
    let v = ecs("Mar  1 10:00:00 h sshd[1]: Invalid user admin from 10.0.0.5 port 40000");
    assert_eq!(v["source.port"], 40000);
    let v = ecs("Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]");
    assert_eq!(v["event.action"], "ssh_invalid_user");
    assert_eq!(v["user.name"], "webmaster");
    // An empty user name is not a user.
    let v = ecs("Mar  1 10:00:00 h sshd[1]: Invalid user  from 10.0.0.5 port 40000");
    assert_eq!(v.get("user.name"), None);
    assert_eq!(v["source.ip"], "10.0.0.5");
}

#[test]
fn sshd_disconnects() {
    assert_eq!(
        ecs("Dec 10 06:55:48 LabSZ sshd[24200]: Connection closed by 173.234.31.186 [preauth]"),
        json!({
            "event.category": ["authentication"], "event.type": ["end"], "event.action": "ssh_disconnect",
            "source.ip": "173.234.31.186", "related.ip": ["173.234.31.186"]
        })
    );
    assert_eq!(
        ecs("Mar  1 10:00:00 h sshd[1]: Connection closed by authenticating user root 10.1.1.1 port 5555 [preauth]"),
        json!({
            "event.category": ["authentication"], "event.type": ["end"], "event.action": "ssh_disconnect",
            "user.name": "root", "source.ip": "10.1.1.1", "source.port": 5555,
            "related.ip": ["10.1.1.1"], "related.user": ["root"]
        })
    );
    let v = ecs("Mar  1 10:00:00 h sshd[1]: Disconnected from user alice 10.1.1.2 port 6666");
    assert_eq!(
        (
            v["event.action"].clone(),
            v["user.name"].clone(),
            v["source.port"].clone()
        ),
        (json!("ssh_disconnect"), json!("alice"), json!(6666))
    );
    let v = ecs("Mar  1 10:00:00 h sshd[1]: Disconnected from invalid user bob 10.1.1.3 port 7777 [preauth]");
    assert_eq!(v["user.name"], "bob");
    let v = ecs("Mar  1 10:00:00 h sshd[1]: Disconnected from 10.1.1.4 port 8888 [preauth]");
    assert_eq!(v["source.ip"], "10.1.1.4");
    assert_eq!(v.get("user.name"), None);
    assert_eq!(
        ecs("Dec 10 07:07:45 LabSZ sshd[24206]: Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]"),
        json!({
            "event.category": ["authentication"], "event.type": ["end"], "event.action": "ssh_disconnect",
            "event.reason": "Bye Bye", "source.ip": "52.80.34.196", "related.ip": ["52.80.34.196"]
        })
    );
    let v = ecs("Mar  1 10:00:00 h sshd[1]: Received disconnect from 10.1.1.5 port 2222:11: disconnected by user");
    assert_eq!(
        (v["source.port"].clone(), v["event.reason"].clone()),
        (json!(2222), json!("disconnected by user"))
    );
}

#[test]
fn sshd_reverse_mapping_and_brute_force() {
    assert_eq!(
        ecs("Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!"),
        json!({
            "event.category": ["authentication"], "event.type": ["info"], "event.action": "ssh_reverse_mapping_failed",
            "source.ip": "173.234.31.186", "source.domain": "ns.marryaldkfaczcz.com",
            "related.ip": ["173.234.31.186"], "related.hosts": ["ns.marryaldkfaczcz.com"]
        })
    );
    let v = ecs("Dec 10 07:13:56 LabSZ sshd[24227]: Disconnecting: Too many authentication failures for root [preauth]");
    assert_eq!(
        (
            v["event.action"].clone(),
            v["event.outcome"].clone(),
            v["user.name"].clone()
        ),
        (
            json!("ssh_too_many_auth_failures"),
            json!("failure"),
            json!("root")
        )
    );
    let v = ecs("Mar  1 10:00:00 h sshd[1]: error: maximum authentication attempts exceeded for invalid user x from 10.9.9.9 port 1 ssh2 [preauth]");
    assert_eq!(
        (
            v["event.action"].clone(),
            v["user.name"].clone(),
            v["source.ip"].clone()
        ),
        (
            json!("ssh_too_many_auth_failures"),
            json!("x"),
            json!("10.9.9.9")
        )
    );
}

#[test]
fn pam_unix_in_sshd() {
    assert_eq!(
        ecs("Dec 10 11:04:43 LabSZ sshd[25544]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=183.62.140.253  user=root"),
        json!({
            "event.category": ["authentication"], "event.type": ["info"], "event.action": "authentication_failure",
            "event.outcome": "failure", "user.name": "root", "source.ip": "183.62.140.253",
            "related.ip": ["183.62.140.253"], "related.user": ["root"]
        })
    );
    let v = ecs("Dec 10 09:32:20 LabSZ sshd[24680]: pam_unix(sshd:session): session opened for user fztu by (uid=0)");
    assert_eq!(
        v,
        json!({"event.category": ["session"], "event.type": ["start"], "event.action": "session_opened",
               "event.outcome": "success", "user.name": "fztu", "related.user": ["fztu"]})
    );
    let v = ecs("Mar  1 10:00:00 h sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.8  user=root");
    assert_eq!(
        (v["event.action"].clone(), v["source.ip"].clone()),
        (json!("authentication_failure"), json!("10.0.0.8"))
    );
}

#[test]
fn pam_unix_old_style_tags() {
    // Linux_2k.log: the pam module is in the tag and rhost is a host name.
    assert_eq!(
        ecs("Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root"),
        json!({
            "event.category": ["authentication"], "event.type": ["info"], "event.action": "authentication_failure",
            "event.outcome": "failure", "user.name": "root", "source.domain": "220-135-151-1.hinet-ip.hinet.net",
            "related.hosts": ["220-135-151-1.hinet-ip.hinet.net"], "related.user": ["root"]
        })
    );
    let v = ecs("Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown");
    assert_eq!(
        (v["event.action"].clone(), v["event.outcome"].clone()),
        (json!("user_unknown"), json!("failure"))
    );
    let v =
        ecs("Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)");
    assert_eq!(
        (v["event.action"].clone(), v["user.name"].clone()),
        (json!("session_opened"), json!("cyrus"))
    );
    let v = ecs("Jun 15 04:06:19 combo su(pam_unix)[21416]: session closed for user cyrus");
    assert_eq!(
        (v["event.type"].clone(), v["event.action"].clone()),
        (json!(["end"]), json!("session_closed"))
    );
    // Any program logging pam_unix(...) is understood.
    let v = ecs("Mar  1 10:00:00 h systemd[1]: pam_unix(systemd-user:session): session opened for user root(uid=0) by root(uid=0)");
    assert_eq!(v["user.name"], "root");
}

#[test]
fn sudo_commands() {
    assert_eq!(
        ecs("Mar  1 10:00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -la /root"),
        json!({
            "event.category": ["process"], "event.type": ["start"], "event.action": "sudo", "event.outcome": "success",
            "user.name": "alice", "user.effective.name": "root", "related.user": ["alice", "root"],
            "process.command_line": "/bin/ls -la /root", "process.working_directory": "/home/alice"
        })
    );
    assert_eq!(
        ecs("Mar  1 10:00:00 web1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id"),
        json!({
            "event.category": ["process"], "event.type": ["info"], "event.action": "sudo", "event.outcome": "failure",
            "event.reason": "3 incorrect password attempts",
            "user.name": "bob", "user.effective.name": "root", "related.user": ["bob", "root"],
            "process.command_line": "/usr/bin/id", "process.working_directory": "/tmp"
        })
    );
    let v = ecs("Mar  1 10:00:00 web1 sudo: mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c 'a ; b'");
    assert_eq!(v["event.outcome"], "failure");
    assert_eq!(v["process.command_line"], "/bin/sh -c 'a ; b'");
    let v = ecs("Mar  1 10:00:00 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice");
    assert_eq!(
        (v["event.outcome"].clone(), v["user.name"].clone()),
        (json!("failure"), json!("alice"))
    );
    assert_eq!(v.get("source.ip"), None);
}

#[test]
fn unknown_messages_keep_the_header() {
    let event = parse_line(
        b"Mar  1 10:00:00 h sshd[1]: Server listening on :: port 22.",
        &ctx("2026-03-01T00:00:00Z"),
    );
    assert!(!event.has_tag(vigil_core::TAG_PARSE_FAILURE));
    assert_eq!(event.get("event.action"), None);
    assert_eq!(event.get_str("process.name"), Some("sshd"));
    let event = parse_line(
        b"Mar  1 10:00:00 h sudo: something else entirely",
        &ctx("2026-03-01T00:00:00Z"),
    );
    assert_eq!(event.get("event.action"), None);
}
