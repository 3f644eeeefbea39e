//! Named syslog listeners (`[[sources.syslog]]`): each has its own name (`log.source.name`,
//! what `[[pipelines]] sources` selects), transport, pinned parser and optional audit-record
//! joining (`join = "auditd"`); the unnamed
//! `syslog_tcp` listener beside them keeps auto-detection. A name used twice or an unknown
//! parser stops `vigil serve` with the source named.

mod common;

use common::{address_in, serve_config_args, vigil, write_file, Server};
use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};

/// The address the server logged for the listener of source `name`.
fn listener_address(server: &Server, name: &str) -> SocketAddr {
    let log = server.log.lock().map(|l| l.clone()).unwrap_or_default();
    let needle = format!("source={name} ");
    log.iter()
        .filter(|line| line.contains("listening for syslog") && line.contains(&needle))
        .find_map(|line| address_in(line))
        .unwrap_or_else(|| panic!("no listener logged for source {name}: {log:?}"))
}

fn send_tcp(to: SocketAddr, text: &str) {
    let mut stream = TcpStream::connect(to).unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    stream.flush().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn named_listeners_parse_with_their_pinned_parser_and_select_pipelines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let config = dir.path().join("vigil.toml");
    write_file(
        &config,
        &format!(
            r#"data_dir = "{data}"
http = "127.0.0.1:0"
syslog_udp = "off"
syslog_tcp = "127.0.0.1:0"

[[sources.syslog]]
name = "apps"
protocol = "tcp"
listen = "127.0.0.1:0"
parser = "json"

[[sources.syslog]]
name = "firewalls"
protocol = "udp"
listen = "127.0.0.1:0"
parser = "cef"

[[sources.syslog]]
name = "audit"
protocol = "tcp"
listen = "127.0.0.1:0"
join = "auditd"

[[pipelines]]
name = "mark-apps"
sources = ["apps"]
source = '.labels.via = "apps pipeline"'
"#,
            data = data.display()
        ),
    );
    let args = serve_config_args(&config);
    let server = Server::spawn(&args, &data, false, true);
    let apps = listener_address(&server, "apps");
    let firewalls = listener_address(&server, "firewalls");
    let unnamed = listener_address(&server, "syslog-tcp");
    assert_ne!(apps, unnamed, "the unnamed listener is a separate socket");

    // An application's JSON lines forwarded with an RFC 5424 header, and a stray sshd line.
    let json_frame = r#"<14>1 2026-12-07T06:10:00Z app-01 billing 42 - - {"user": {"name": "ann"}, "event": {"action": "refund"}}"#;
    let sshd = "<38>Dec  7 06:10:01 app-01 sshd[7]: Failed password for root from 203.0.113.9 port 22 ssh2";
    send_tcp(apps, &format!("{json_frame}\n{sshd}\n"));
    // The same JSON frame on the unnamed (auto) listener.
    send_tcp(unnamed, &format!("{json_frame}\n"));
    // CEF over syslog to the firewall listener, and a line that is not CEF.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let cef = "<134>Dec  7 06:10:02 fw-1 CEF:0|Acme|Edge|1.0|100|Blocked inbound|5|src=192.0.2.10 dst=198.51.100.20 dpt=3389 act=blocked";
    udp.send_to(cef.as_bytes(), firewalls)
        .unwrap_or_else(|e| panic!("{e}"));
    udp.send_to(b"<134>Dec  7 06:10:03 fw-1 kernel: link up", firewalls)
        .unwrap_or_else(|e| panic!("{e}"));

    let hit = server.wait_for("log.source.name:apps AND user.name:ann", 1);
    let event = &hit["hits"][0];
    assert_eq!(event["event"]["action"], "refund", "{event}");
    assert_eq!(
        event["host"]["name"], "app-01",
        "header fields kept: {event}"
    );
    assert_eq!(event["process"]["name"], "billing", "{event}");
    assert_eq!(event["@timestamp"], "2026-12-07T06:10:00.000Z", "{event}");
    assert_eq!(event["event"]["original"], json_frame, "{event}");
    assert_eq!(event["labels"]["via"], "apps pipeline", "{event}");

    // The sshd line on the JSON source: kept whole, tagged, not parsed as sshd.
    let bad = server.wait_for("log.source.name:apps AND tags:_parse_failure", 1);
    let event = &bad["hits"][0];
    assert_eq!(event["event"]["original"], sshd, "{event}");
    assert!(
        event["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("not JSON")),
        "{event}"
    );
    assert!(event["source"]["ip"].is_null(), "{event}");

    // The unnamed TCP listener auto-detects: the JSON body is not taken apart, and the
    // apps pipeline does not run on it.
    let auto = server.wait_for("log.source.name:syslog-tcp", 1);
    let event = &auto["hits"][0];
    assert!(event["user"].is_null(), "{event}");
    assert!(event["labels"].is_null(), "{event}");

    let fw = server.wait_for("log.source.name:firewalls AND source.ip:192.0.2.10", 1);
    let event = &fw["hits"][0];
    assert_eq!(event["destination"]["port"], 3389, "{event}");
    assert_eq!(event["host"]["name"], "fw-1", "{event}");
    let not_cef = server.wait_for("log.source.name:firewalls AND tags:_parse_failure", 1);
    assert!(
        not_cef["hits"][0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not CEF")),
        "{not_cef}"
    );

    // audisp-syslog forwards one audit record per message: the records of one kernel
    // event become one event, closed by EOE, or by a record of the next event, or after a
    // second with nothing more.
    let audit = listener_address(&server, "audit");
    let head = "<14>Dec  7 06:20:00 web-02 audisp-syslog:";
    // The connection stays open: the last event must come out without it closing.
    let mut sender = TcpStream::connect(audit).unwrap_or_else(|e| panic!("{e}"));
    sender
        .write_all(
        format!(
            "{head} type=SYSCALL msg=audit(1733560001.250:4411): arch=c000003e syscall=59 success=yes exit=0 ppid=900 pid=901 auid=1000 uid=1000 comm=\"arecord\" exe=\"/usr/bin/arecord\" key=\"audio\"\n\
             {head} type=EXECVE msg=audit(1733560001.250:4411): argc=2 a0=\"arecord\" a1=\"-vv\"\n\
             {head} type=PROCTITLE msg=audit(1733560001.250:4411): proctitle=617265636F7264002D7676\n\
             {head} type=EOE msg=audit(1733560001.250:4411): \n\
             <38>Dec  7 06:20:01 web-02 sshd[7]: Accepted publickey for deploy from 192.0.2.44 port 50022 ssh2\n\
             {head} type=USER_LOGIN msg=audit(1733560002.100:4412): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.9 terminal=sshd res=failed'\n"
        )
        .as_bytes(),
    )
        .unwrap_or_else(|e| panic!("{e}"));
    sender.flush().unwrap_or_else(|e| panic!("{e}"));
    let joined = server.wait_for("log.source.name:audit AND auditd.sequence:4411", 1);
    assert_eq!(joined["total"], 1, "one event for four records: {joined}");
    let event = &joined["hits"][0];
    assert_eq!(
        event["process"]["executable"], "/usr/bin/arecord",
        "{event}"
    );
    assert_eq!(event["process"]["title"], "arecord -vv", "{event}");
    assert_eq!(event["host"]["name"], "web-02", "{event}");
    assert_eq!(
        event["auditd"]["records"].as_array().map(Vec::len),
        Some(3),
        "{event}"
    );
    // The last record had no EOE and nothing followed it: emitted after the wait.
    let last = server.wait_for("log.source.name:audit AND auditd.sequence:4412", 1);
    assert_eq!(last["hits"][0]["event"]["outcome"], "failure", "{last}");
    let all = server.wait_for("log.source.name:audit", 3);
    assert_eq!(all["total"], 3, "two audit events and the sshd line: {all}");
    drop(sender);
    server.stop();
}

#[test]
fn a_taken_name_or_an_unknown_parser_stops_startup_naming_the_source() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let config = dir.path().join("vigil.toml");
    let cases = [
        (
            "[[sources.syslog]]\nname = \"edge\"\nprotocol = \"udp\"\nlisten = \"127.0.0.1:0\"\n\
             [[sources.syslog]]\nname = \"edge\"\nprotocol = \"tcp\"\nlisten = \"127.0.0.1:0\"\n",
            "[[sources.syslog]] 'edge': the source name is already taken",
        ),
        (
            "[[sources.syslog]]\nname = \"syslog-tcp\"\nprotocol = \"tcp\"\nlisten = \"127.0.0.1:0\"\n",
            "'syslog-tcp': the source name is already taken",
        ),
        (
            "[[sources.syslog]]\nname = \"edge\"\nprotocol = \"tcp\"\nlisten = \"127.0.0.1:0\"\nparser = \"xml\"\n",
            "[[sources.syslog]] 'edge': unknown parser \"xml\"",
        ),
        (
            "[[sources.syslog]]\nname = \"edge\"\nprotocol = \"sctp\"\nlisten = \"127.0.0.1:0\"\n",
            "unknown variant `sctp`",
        ),
        (
            "[[sources.syslog]]\nname = \"edge\"\nprotocol = \"udp\"\nlisten = \"127.0.0.1:0\"\njoin = \"auditd\"\n",
            "[[sources.syslog]] 'edge': join = \"auditd\" needs a stream listener (protocol tcp or tls), not udp",
        ),
        (
            "[[sources.syslog]]\nname = \"edge\"\nprotocol = \"tcp\"\nlisten = \"127.0.0.1:0\"\njoin = \"multiline\"\n",
            "[[sources.syslog]] 'edge': unknown join \"multiline\"",
        ),
    ];
    for (sources, expected) in cases {
        write_file(
            &config,
            &format!(
                "data_dir = \"{}\"\nhttp = \"127.0.0.1:0\"\nsyslog_udp = \"off\"\nsyslog_tcp = \"off\"\n{sources}",
                data.display()
            ),
        );
        let out = vigil(&["serve", "--config", &config.display().to_string()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
}
