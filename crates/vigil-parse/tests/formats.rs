//! CEF, LEEF, key=value, firewall and web server lines through the public entry points
//! (`parse_line`, `parse_syslog`): detection standalone and after a syslog header,
//! escapes, LEEF 2.0 delimiters, logfmt quoting, and broken records tagged, not dropped.

mod common;

use common::{ctx, ctx_offset, s};
use serde_json::{json, Value};
use vigil_core::{Event, TAG_PARSE_FAILURE};
use vigil_parse::{parse_line, parse_syslog};

fn parse(line: &str) -> Event {
    let event = parse_line(line.as_bytes(), &ctx("2026-11-22T12:00:00Z"));
    assert_eq!(s(&event, "event.original"), Some(line), "{line}");
    assert!(s(&event, "message").is_some(), "{line}");
    event
}

fn ok(line: &str) -> Event {
    let event = parse(line);
    assert!(
        !event.has_tag(TAG_PARSE_FAILURE),
        "{line}: {:?}",
        event.get("error.message")
    );
    event
}

fn get<'a>(event: &'a Event, path: &str) -> Option<&'a Value> {
    event.get(path)
}

#[test]
fn cef_standalone_with_escapes() {
    let line = r"CEF:0|Ven\|dor|Pro\\duct|2.1|sig-1|Login a\|b|Very-High|src=10.0.0.1 spt=5555 dst=2001:db8::1 dpt=22 suser=alice duser=root proto=TCP msg=user said a\=b and c\\d\nnext line act=blocked outcome=Failure requestMethod=POST request=https://x/?q\=1 fname=evil.exe shost=laptop dhost=server rt=1763812800000 cs1=eu-west cs1Label=Region cn1=7 cn1Label=Attempts";
    let event = ok(line);
    assert_eq!(s(&event, "cef.device.vendor"), Some("Ven|dor"));
    assert_eq!(s(&event, "cef.device.product"), Some(r"Pro\duct"));
    assert_eq!(s(&event, "cef.name"), Some("Login a|b"));
    assert_eq!(s(&event, "cef.severity"), Some("Very-High"));
    assert_eq!(s(&event, "observer.vendor"), Some("Ven|dor"));
    assert_eq!(s(&event, "observer.version"), Some("2.1"));
    assert_eq!(s(&event, "event.code"), Some("sig-1"));
    assert_eq!(get(&event, "event.severity"), Some(&json!(9)));
    assert_eq!(
        s(&event, "message"),
        Some("user said a=b and c\\d\nnext line")
    );
    assert_eq!(s(&event, "source.ip"), Some("10.0.0.1"));
    assert_eq!(get(&event, "source.port"), Some(&json!(5555)));
    assert_eq!(s(&event, "destination.ip"), Some("2001:db8::1"));
    assert_eq!(get(&event, "destination.port"), Some(&json!(22)));
    assert_eq!(s(&event, "source.user.name"), Some("alice"));
    assert_eq!(s(&event, "destination.user.name"), Some("root"));
    assert_eq!(s(&event, "network.transport"), Some("tcp"));
    assert_eq!(s(&event, "event.action"), Some("blocked"));
    assert_eq!(s(&event, "event.outcome"), Some("failure"));
    assert_eq!(s(&event, "http.request.method"), Some("POST"));
    assert_eq!(s(&event, "url.original"), Some("https://x/?q=1"));
    assert_eq!(s(&event, "file.name"), Some("evil.exe"));
    assert_eq!(s(&event, "source.domain"), Some("laptop"));
    assert_eq!(s(&event, "destination.domain"), Some("server"));
    assert_eq!(s(&event, "@timestamp"), Some("2025-11-22T12:00:00.000Z"));
    // Raw keys and label-named copies under cef.extensions.
    assert_eq!(s(&event, "cef.extensions.src"), Some("10.0.0.1"));
    assert_eq!(s(&event, "cef.extensions.Region"), Some("eu-west"));
    assert_eq!(s(&event, "cef.extensions.cs1"), Some("eu-west"));
    assert_eq!(s(&event, "cef.extensions.Attempts"), Some("7"));
    assert_eq!(get(&event, "related.user"), Some(&json!(["alice", "root"])));
}

#[test]
fn cef_timestamps_and_header_only() {
    let event = ok("CEF:1|V|P|1|100|Name|5|rt=Nov 22 2026 10:00:00.123 UTC");
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:00.123Z"));
    // Zone-less: the context's offset.
    let event = parse_line(
        b"CEF:0|V|P|1|100|Name|5|rt=Nov 22 2026 10:00:00",
        &ctx_offset("2026-11-22T12:00:00Z", 3600),
    );
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T09:00:00.000Z"));
    // No extension at all, with or without the last '|'.
    let event = ok("CEF:0|V|P|1|100|Name|Low|");
    assert_eq!(get(&event, "event.severity"), Some(&json!(0)));
    assert_eq!(s(&event, "message"), Some("Name"));
    let event = ok("CEF:0|V|P|1|100|Name|3");
    assert_eq!(get(&event, "event.severity"), Some(&json!(3)));
    assert_eq!(get(&event, "cef.extensions"), None);
}

#[test]
fn cef_after_syslog_headers() {
    let line = "<134>Nov 22 10:00:00 fw01 CEF:0|Acme|FW|1.0|deny|Denied|7|src=1.2.3.4 dst=10.0.0.5 dpt=443 act=deny";
    let event = ok(line);
    assert_eq!(s(&event, "host.name"), Some("fw01"));
    assert_eq!(get(&event, "log.syslog.priority"), Some(&json!(134)));
    assert_eq!(s(&event, "observer.vendor"), Some("Acme"));
    assert_eq!(s(&event, "message"), Some("Denied"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:00.000Z"));
    // RFC 5424, and the same through the syslog-only entry point.
    let line =
        "<134>1 2026-11-22T10:00:00Z fw01 acme - - - CEF:0|Acme|FW|1.0|deny|Denied|7|src=1.2.3.4";
    for event in [
        ok(line),
        parse_syslog(line.as_bytes(), &ctx("2026-11-22T12:00:00Z")),
    ] {
        assert_eq!(s(&event, "source.ip"), Some("1.2.3.4"));
        assert_eq!(s(&event, "process.name"), Some("acme"));
    }
    // A bare record on a syslog port.
    let event = parse_syslog(
        b"CEF:0|Acme|FW|1.0|deny|Denied|7|src=1.2.3.4",
        &ctx("2026-11-22T12:00:00Z"),
    );
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "cef.device.product"), Some("FW"));
    // Right after the timestamp (no hostname), and a bare LEEF record on a syslog port.
    let event = ok("Nov 22 10:00:00 CEF:0|Acme|FW|1.0|deny|Denied access|7|src=1.2.3.4");
    assert_eq!(get(&event, "host.name"), None);
    assert_eq!(s(&event, "message"), Some("Denied access"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:00.000Z"));
    let event = parse_syslog(
        b"LEEF:1.0|V|P|1|E|src=10.0.0.1",
        &ctx("2026-11-22T12:00:00Z"),
    );
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "source.ip"), Some("10.0.0.1"));
    // After a tag glued to the record (F5 ASM).
    let event = ok("Nov 22 10:00:00 10.1.1.1 ASM:CEF:0|F5|ASM|11.0.0|x|y|8|src=1.2.3.4");
    assert_eq!(s(&event, "observer.product"), Some("ASM"));
    assert_eq!(s(&event, "host.name"), Some("10.1.1.1"));
}

#[test]
fn broken_cef_and_leef_are_tagged_not_dropped() {
    for line in [
        "CEF:0|Vendor|Product",
        "CEF:",
        "CEF:x|a|b|c|d|e|f|",
        "LEEF:1.0|V|P",
        "LEEF:|V|P|1|2|",
    ] {
        let event = parse(line);
        assert!(event.has_tag(TAG_PARSE_FAILURE), "{line}");
        assert!(
            s(&event, "error.message").is_some_and(|m| m.contains("CEF") || m.contains("LEEF")),
            "{line}"
        );
        assert_eq!(s(&event, "message"), Some(line));
    }
    // Inside syslog, the header is kept and the failure recorded.
    let line = "<134>Nov 22 10:00:00 fw01 CEF:0|Acme|FW";
    let event = parse(line);
    assert!(event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "host.name"), Some("fw01"));
    assert_eq!(s(&event, "message"), Some("CEF:0|Acme|FW"));
}

#[test]
fn leef_1_tab_separated() {
    let line = "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black\tproto=6\tdevTime=Nov 22 2026 10:00:00.250 UTC\tmsg=hello world";
    let event = ok(line);
    assert_eq!(s(&event, "leef.header.version"), Some("1.0"));
    assert_eq!(s(&event, "leef.header.vendor"), Some("Microsoft"));
    assert_eq!(s(&event, "leef.header.product_version"), Some("4.0 SP1"));
    assert_eq!(s(&event, "leef.header.event_id"), Some("15345"));
    assert_eq!(s(&event, "leef.cat"), Some("anomaly"));
    assert_eq!(s(&event, "leef.src"), Some("192.0.2.0"));
    assert_eq!(s(&event, "observer.vendor"), Some("Microsoft"));
    assert_eq!(s(&event, "observer.product"), Some("MSExchange"));
    assert_eq!(s(&event, "event.code"), Some("15345"));
    assert_eq!(s(&event, "source.ip"), Some("192.0.2.0"));
    assert_eq!(s(&event, "destination.ip"), Some("172.50.123.1"));
    assert_eq!(get(&event, "source.port"), Some(&json!(81)));
    assert_eq!(get(&event, "destination.port"), Some(&json!(21)));
    assert_eq!(s(&event, "user.name"), Some("joe.black"));
    assert_eq!(s(&event, "network.transport"), Some("tcp"));
    assert_eq!(s(&event, "network.iana_number"), Some("6"));
    assert_eq!(get(&event, "event.severity"), Some(&json!(5)));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:00.250Z"));
    assert_eq!(s(&event, "message"), Some("hello world"));
}

#[test]
fn leef_2_custom_delimiters() {
    for (delimiter, sep) in [
        ("^", "^"),
        ("x5E", "^"),
        ("0x5e", "^"),
        ("x7C", "|"),
        ("", "\t"),
    ] {
        let line = format!(
            "LEEF:2.0|Lancope|StealthWatch|1.0|41|{delimiter}|src=10.0.1.8{sep}dst=10.0.0.5{sep}sev=5{sep}devTime=22-11-2026 10:00:00 +0100{sep}devTimeFormat=dd-MM-yyyy HH:mm:ss Z{sep}usrName=bob smith"
        );
        let event = ok(&line);
        assert_eq!(s(&event, "source.ip"), Some("10.0.1.8"), "{line}");
        assert_eq!(s(&event, "destination.ip"), Some("10.0.0.5"), "{line}");
        assert_eq!(s(&event, "user.name"), Some("bob smith"), "{line}");
        assert_eq!(
            s(&event, "@timestamp"),
            Some("2026-11-22T09:00:00.000Z"),
            "{line}"
        );
        assert_eq!(
            s(&event, "leef.devTimeFormat"),
            Some("dd-MM-yyyy HH:mm:ss Z")
        );
        let expected = (!delimiter.is_empty()).then_some(sep);
        assert_eq!(s(&event, "leef.header.delimiter"), expected, "{line}");
    }
    // No delimiter field at all: tab; epoch-millisecond devTime.
    let event = ok("LEEF:2.0|V|P|1|E|src=10.0.0.1\tdevTime=1795341600000");
    assert_eq!(s(&event, "source.ip"), Some("10.0.0.1"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:00.000Z"));
    // In syslog.
    let event = ok("<13>Nov 22 10:00:00 qradar LEEF:2.0|V|P|1|E|^|src=10.0.0.1^dst=10.0.0.2");
    assert_eq!(s(&event, "host.name"), Some("qradar"));
    assert_eq!(s(&event, "destination.ip"), Some("10.0.0.2"));
}

#[test]
fn logfmt_lines() {
    let event = ok(
        r#"level=info msg="hello \"big\" world" user=alice src=10.0.0.1 dst=10.0.0.2 dport=443 time=2026-11-22T10:00:00Z"#,
    );
    assert_eq!(s(&event, "kv.level"), Some("info"));
    assert_eq!(s(&event, "kv.msg"), Some("hello \"big\" world"));
    assert_eq!(s(&event, "message"), Some("hello \"big\" world"));
    assert_eq!(s(&event, "log.level"), Some("info"));
    assert_eq!(s(&event, "user.name"), Some("alice"));
    assert_eq!(s(&event, "source.ip"), Some("10.0.0.1"));
    assert_eq!(s(&event, "destination.ip"), Some("10.0.0.2"));
    assert_eq!(get(&event, "destination.port"), Some(&json!(443)));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:00.000Z"));
    // Without msg the line is the message; non-IP src is kept raw only.
    let line = "severity=warn username=bob src=laptop.local action=login";
    let event = ok(line);
    assert_eq!(s(&event, "message"), Some(line));
    assert_eq!(s(&event, "log.level"), Some("warn"));
    assert_eq!(s(&event, "user.name"), Some("bob"));
    assert_eq!(s(&event, "event.action"), Some("login"));
    assert_eq!(get(&event, "source.ip"), None);
    assert_eq!(s(&event, "kv.src"), Some("laptop.local"));
    // Dotted keys stay literal under kv.
    let event = ok("a.b=1 c.d=2");
    assert_eq!(get(&event, "kv"), Some(&json!({"a.b": "1", "c.d": "2"})));
    // Prose with the odd '=' is not key=value.
    let event = parse("the result was x=1 after y=2 attempts at reconnecting to the server");
    assert!(event.has_tag(TAG_PARSE_FAILURE));
    // Inside syslog from an unknown program.
    let event = ok(r#"<14>Nov 22 10:00:00 web1 myapp[42]: level=error msg="db down" user=svc"#);
    assert_eq!(s(&event, "process.name"), Some("myapp"));
    assert_eq!(s(&event, "message"), Some("db down"));
    assert_eq!(s(&event, "log.level"), Some("error"));
}

#[test]
fn ufw_and_iptables_lines() {
    let line = "Nov 22 10:00:00 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=1.2.3.4 DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=44321 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0";
    let event = ok(line);
    assert_eq!(get(&event, "event.category"), Some(&json!(["network"])));
    assert_eq!(get(&event, "event.type"), Some(&json!(["denied"])));
    assert_eq!(s(&event, "event.action"), Some("ufw-block"));
    assert_eq!(s(&event, "source.ip"), Some("1.2.3.4"));
    assert_eq!(get(&event, "source.port"), Some(&json!(44321)));
    assert_eq!(s(&event, "destination.ip"), Some("10.0.0.5"));
    assert_eq!(get(&event, "destination.port"), Some(&json!(22)));
    assert_eq!(s(&event, "network.transport"), Some("tcp"));
    assert_eq!(s(&event, "network.iana_number"), Some("6"));
    assert_eq!(s(&event, "network.type"), Some("ipv4"));
    assert_eq!(s(&event, "observer.ingress.interface.name"), Some("eth0"));
    assert_eq!(get(&event, "observer.egress.interface.name"), None);
    assert_eq!(s(&event, "source.mac"), Some("66-77-88-99-AA-BB"));
    assert_eq!(s(&event, "destination.mac"), Some("00-11-22-33-44-55"));
    assert_eq!(s(&event, "iptables.TTL"), Some("52"));
    assert_eq!(s(&event, "iptables.OUT"), Some(""));
    assert_eq!(get(&event, "iptables.flags"), Some(&json!(["DF", "SYN"])));
    assert_eq!(s(&event, "iptables.prefix"), Some("[UFW BLOCK]"));
    assert_eq!(s(&event, "host.name"), Some("gw"));
    // Allowed, numeric protocol, IPv6, UDP length repeated after PROTO.
    let event = ok("Nov 22 10:00:00 gw kernel: [UFW ALLOW] IN= OUT=eth1 SRC=2001:db8::1 DST=2001:db8::2 LEN=80 PROTO=UDP SPT=5353 DPT=53 LEN=40");
    assert_eq!(get(&event, "event.type"), Some(&json!(["allowed"])));
    assert_eq!(s(&event, "network.type"), Some("ipv6"));
    assert_eq!(s(&event, "observer.egress.interface.name"), Some("eth1"));
    assert_eq!(s(&event, "iptables.LEN"), Some("80"));
    assert_eq!(s(&event, "iptables.udp.LEN"), Some("40"));
    let event =
        ok("Nov 22 10:00:00 gw kernel: nft-drop: IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.5 PROTO=47");
    assert_eq!(s(&event, "network.iana_number"), Some("47"));
    assert_eq!(s(&event, "network.transport"), Some("gre"));
    assert_eq!(s(&event, "event.action"), Some("nft-drop"));
    // Without syslog header (dmesg, journal exports).
    let event =
        ok("[UFW BLOCK] IN=eth0 OUT= SRC=1.2.3.4 DST=10.0.0.5 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=1");
    assert_eq!(s(&event, "event.action"), Some("ufw-block"));
    assert_eq!(s(&event, "iptables.icmp.ID"), None);
    assert_eq!(s(&event, "iptables.ID"), Some("7"));
    // Other kernel lines are untouched.
    let event = ok("Nov 22 10:00:00 gw kernel: eth0: link up");
    assert_eq!(get(&event, "iptables"), None);
    assert_eq!(s(&event, "message"), Some("eth0: link up"));
}

#[test]
fn web_servers_over_syslog() {
    let line = r#"<190>Nov 22 10:00:00 web1 nginx: 203.0.113.9 - alice [22/Nov/2026:10:00:00 +0100] "GET /login?next=/home HTTP/2.0" 302 0 "https://example.com/" "curl/8.0""#;
    let event = ok(line);
    assert_eq!(s(&event, "process.name"), Some("nginx"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T09:00:00.000Z"));
    assert_eq!(s(&event, "source.ip"), Some("203.0.113.9"));
    assert_eq!(s(&event, "user.name"), Some("alice"));
    assert_eq!(s(&event, "url.path"), Some("/login"));
    assert_eq!(s(&event, "url.query"), Some("next=/home"));
    assert_eq!(s(&event, "http.version"), Some("2.0"));
    assert_eq!(get(&event, "http.response.status_code"), Some(&json!(302)));
    assert_eq!(get(&event, "http.response.body.bytes"), Some(&json!(0)));
    assert_eq!(
        s(&event, "http.request.referrer"),
        Some("https://example.com/")
    );
    assert_eq!(s(&event, "user_agent.original"), Some("curl/8.0"));
    assert_eq!(s(&event, "event.outcome"), Some("success"));
    assert_eq!(get(&event, "event.category"), Some(&json!(["web"])));
    let event = ok(
        r#"<187>Nov 22 10:00:00 web1 nginx: 2026/11/22 10:00:00 [error] 1234#0: *5 connect() failed, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1""#,
    );
    assert_eq!(s(&event, "log.level"), Some("error"));
    assert_eq!(get(&event, "process.pid"), Some(&json!(1234)));
    assert_eq!(s(&event, "source.ip"), Some("1.2.3.4"));
    assert_eq!(get(&event, "nginx.error.connection_id"), Some(&json!(5)));
    let event = ok("<187>Nov 22 10:00:00 web1 httpd[99]: [core:error] [pid 99] [client 1.2.3.4:5678] AH00126: Invalid URI");
    assert_eq!(s(&event, "log.level"), Some("error"));
    assert_eq!(get(&event, "source.port"), Some(&json!(5678)));
    assert_eq!(s(&event, "message"), Some("AH00126: Invalid URI"));
    // The syslog time stays when the message has none.
    assert_eq!(s(&event, "@timestamp"), Some("2026-11-22T10:00:00.000Z"));
    // Apache 2.4 error log standalone, zone from the context.
    let event = parse_line(
        b"[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00037: Symbolic link not allowed",
        &ctx_offset("2026-01-01T00:00:00Z", -7200),
    );
    assert_eq!(s(&event, "@timestamp"), Some("2000-10-11T16:32:52.123Z"));
    assert_eq!(get(&event, "process.thread.id"), Some(&json!(5678)));
    assert_eq!(s(&event, "apache.error.module"), Some("core"));
    assert_eq!(s(&event, "source.ip"), Some("1.2.3.4"));
}
