//! Header decoding: the RFC 5424 and RFC 3164 examples, NILVALUEs, structured data with
//! escapes, year rollover, zones, detection of JSON / garbage, invalid UTF-8.

mod common;

use common::{ctx, ctx_offset, s};
use serde_json::json;
use vigil_core::TAG_PARSE_FAILURE;
use vigil_parse::{parse_line, parse_syslog};

const BOM: &str = "\u{feff}";

#[test]
fn rfc5424_example_1_nil_procid_and_bom() {
    let line = format!("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - {BOM}'su root' failed for lonvick on /dev/pts/8");
    let event = parse_line(line.as_bytes(), &ctx("2026-01-01T00:00:00Z"));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "@timestamp"), Some("2003-10-11T22:14:15.003Z"));
    assert_eq!(s(&event, "host.name"), Some("mymachine.example.com"));
    assert_eq!(
        s(&event, "log.syslog.hostname"),
        Some("mymachine.example.com")
    );
    assert_eq!(s(&event, "process.name"), Some("su"));
    assert_eq!(s(&event, "log.syslog.appname"), Some("su"));
    assert_eq!(event.get("log.syslog.procid"), None);
    assert_eq!(event.get("process.pid"), None);
    assert_eq!(s(&event, "log.syslog.msgid"), Some("ID47"));
    assert_eq!(event.get("log.syslog.structured_data"), None);
    assert_eq!(s(&event, "log.syslog.version"), Some("1"));
    assert_eq!(event.get("log.syslog.priority"), Some(&json!(34)));
    assert_eq!(event.get("log.syslog.facility.code"), Some(&json!(4)));
    assert_eq!(s(&event, "log.syslog.facility.name"), Some("auth"));
    assert_eq!(event.get("log.syslog.severity.code"), Some(&json!(2)));
    assert_eq!(s(&event, "log.syslog.severity.name"), Some("critical"));
    assert_eq!(
        s(&event, "message"),
        Some("'su root' failed for lonvick on /dev/pts/8")
    );
    assert_eq!(s(&event, "event.original"), Some(line.as_str()));
    assert_eq!(s(&event, "event.kind"), Some("event"));
}

#[test]
fn rfc5424_example_2_microseconds_and_zone() {
    let line = b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.";
    let event = parse_line(line, &ctx("2026-01-01T00:00:00Z"));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "@timestamp"), Some("2003-08-24T12:14:15.000Z"));
    assert_eq!(s(&event, "host.name"), Some("192.0.2.1"));
    assert_eq!(s(&event, "process.name"), Some("myproc"));
    assert_eq!(event.get("process.pid"), Some(&json!(8710)));
    assert_eq!(s(&event, "log.syslog.procid"), Some("8710"));
    assert_eq!(event.get("log.syslog.msgid"), None);
    assert_eq!(s(&event, "log.syslog.facility.name"), Some("local4"));
    assert_eq!(s(&event, "log.syslog.severity.name"), Some("notice"));
    assert_eq!(
        s(&event, "message"),
        Some("%% It's time to make the do-nuts.")
    );
}

#[test]
fn rfc5424_example_3_and_4_structured_data() {
    let line = format!(
        r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] {BOM}An application event log entry..."#
    );
    let event = parse_line(line.as_bytes(), &ctx("2026-01-01T00:00:00Z"));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(
        event.get("log.syslog.structured_data"),
        Some(
            &json!({"exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"}})
        )
    );
    assert_eq!(
        s(&event, "message"),
        Some("An application event log entry...")
    );

    let line = br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]"#;
    let event = parse_line(line, &ctx("2026-01-01T00:00:00Z"));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(
        event.get("log.syslog.structured_data"),
        Some(&json!({
            "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
            "examplePriority@32473": {"class": "high"}
        }))
    );
    assert_eq!(s(&event, "message"), Some(""));
}

#[test]
fn rfc5424_escapes_and_all_nil() {
    let line = br#"<13>1 - - - - - [origin@123 software="a \"quoted\" \\ name" ip="192.0.2.1" note="x\]y \n"] msg"#;
    let event = parse_syslog(line, &ctx("2026-01-01T00:00:00Z"));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(event.get("@timestamp"), None);
    assert_eq!(event.get("host.name"), None);
    assert_eq!(event.get("process.name"), None);
    assert_eq!(
        event.get("log.syslog.structured_data"),
        Some(
            &json!({"origin@123": {"software": "a \"quoted\" \\ name", "ip": "192.0.2.1", "note": "x]y \\n"}})
        )
    );
    assert_eq!(s(&event, "message"), Some("msg"));
    let event = parse_syslog(b"<13>1 - - - - -", &ctx("2026-01-01T00:00:00Z"));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "message"), Some(""));
}

#[test]
fn rfc5424_bad_structured_data_keeps_the_header() {
    let line = br#"<13>1 2026-01-01T00:00:00Z host app 1 - [broken p="x] msg"#;
    let event = parse_line(line, &ctx("2026-01-01T00:00:00Z"));
    assert!(event.has_tag(TAG_PARSE_FAILURE));
    assert!(s(&event, "error.message").is_some_and(|m| m.contains("structured data")));
    assert_eq!(s(&event, "host.name"), Some("host"));
    assert_eq!(s(&event, "message"), Some(r#"[broken p="x] msg"#));
}

#[test]
fn rfc5424_bad_headers_are_failures() {
    for line in [
        "<13>1 2026-13-01T00:00:00Z host app 1 - - msg",
        "<13>1 2026-01-01T00:00:00Z host",
        "<13>1 -",
    ] {
        let event = parse_syslog(line.as_bytes(), &ctx("2026-01-01T00:00:00Z"));
        assert!(event.has_tag(TAG_PARSE_FAILURE), "{line}");
        assert!(
            s(&event, "error.message").is_some_and(|m| m.starts_with("not a syslog message: ")),
            "{line}"
        );
        assert_eq!(s(&event, "message"), Some(line));
        assert_eq!(s(&event, "event.original"), Some(line));
    }
}

#[test]
fn rfc5424_without_pri_as_written_to_files() {
    let event = parse_line(
        b"1 2026-02-03T04:05:06.789+01:00 web1 nginx 42 - - hello",
        &ctx("2026-02-03T04:00:00Z"),
    );
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "@timestamp"), Some("2026-02-03T03:05:06.789Z"));
    assert_eq!(s(&event, "host.name"), Some("web1"));
    assert_eq!(event.get("log.syslog.priority"), None);
}

#[test]
fn rfc3164_examples() {
    let c = ctx("2026-10-20T00:00:00Z");
    let event = parse_line(
        b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        &c,
    );
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "@timestamp"), Some("2026-10-11T22:14:15.000Z"));
    assert_eq!(s(&event, "host.name"), Some("mymachine"));
    assert_eq!(s(&event, "process.name"), Some("su"));
    assert_eq!(s(&event, "log.syslog.severity.name"), Some("critical"));
    assert_eq!(
        s(&event, "message"),
        Some("'su root' failed for lonvick on /dev/pts/8")
    );
    assert_eq!(event.get("log.syslog.version"), None);

    let event = parse_line(b"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", &c);
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "@timestamp"), Some("2026-02-05T17:32:18.000Z"));
    assert_eq!(s(&event, "host.name"), Some("10.0.0.99"));
    assert_eq!(event.get("process.name"), None);
    assert_eq!(s(&event, "message"), Some("Use the BFG!"));
    assert_eq!(s(&event, "log.syslog.facility.name"), Some("user"));

    // A PRI with no recognisable header: the rest is the message (RFC 3164 4.3.3).
    let line = b"<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!";
    let event = parse_line(line, &c);
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(event.get("@timestamp"), None);
    assert_eq!(s(&event, "log.syslog.severity.name"), Some("emergency"));
    assert_eq!(s(&event, "log.syslog.facility.name"), Some("kern"));
    assert_eq!(
        s(&event, "message"),
        Some(&String::from_utf8_lossy(line)[3..])
    );
}

#[test]
fn rfc3164_tags_and_missing_hostname() {
    let c = ctx("2026-03-01T00:00:00Z");
    let event = parse_line(
        b"<38>Feb 28 12:00:00 sshd[77]: Server listening on 0.0.0.0 port 22.",
        &c,
    );
    assert_eq!(event.get("host.name"), None);
    assert_eq!(s(&event, "process.name"), Some("sshd"));
    assert_eq!(event.get("process.pid"), Some(&json!(77)));
    assert_eq!(s(&event, "log.syslog.facility.name"), Some("auth"));
    let event = parse_line(b"<13>sshd[9]: no header at all", &c);
    assert_eq!(s(&event, "process.name"), Some("sshd"));
    assert_eq!(s(&event, "message"), Some("no header at all"));
    let event = parse_line(b"Feb 28 12:00:00 - app: nil host", &c);
    assert_eq!(event.get("host.name"), None);
    assert_eq!(s(&event, "process.name"), Some("app"));
}

#[test]
fn rfc3164_iso_timestamp_high_precision() {
    let c = ctx_offset("2026-03-01T00:00:00Z", 3600);
    let event = parse_line(b"2026-02-28T23:59:59.123456+02:00 web1 sudo: x", &c);
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "@timestamp"), Some("2026-02-28T21:59:59.123Z"));
    assert_eq!(s(&event, "host.name"), Some("web1"));
    assert_eq!(s(&event, "process.name"), Some("sudo"));
    // Without a zone, the context's zone applies.
    let event = parse_line(b"<13>2026-02-28T23:59:59 web1 app: y", &c);
    assert_eq!(s(&event, "@timestamp"), Some("2026-02-28T22:59:59.000Z"));
}

#[test]
fn rfc3164_year_rollover() {
    let line = b"<13>Dec 31 23:59:58 host app: last second of the year";
    let event = parse_line(line, &ctx("2026-01-01T00:00:03Z"));
    assert_eq!(s(&event, "@timestamp"), Some("2025-12-31T23:59:58.000Z"));
    let event = parse_line(line, &ctx("2025-12-31T23:59:59Z"));
    assert_eq!(s(&event, "@timestamp"), Some("2025-12-31T23:59:58.000Z"));
    // Sender a little ahead: Jan 1 received on Dec 31 is next year.
    let event = parse_line(
        b"<13>Jan  1 00:00:02 host app: early",
        &ctx("2025-12-31T23:59:59Z"),
    );
    assert_eq!(s(&event, "@timestamp"), Some("2026-01-01T00:00:02.000Z"));
    // Zone: 00:30 local at +02:00 on Jan 1 is Dec 31 22:30 UTC.
    let event = parse_line(
        b"Jan  1 00:30:00 host app: tz",
        &ctx_offset("2026-01-01T00:00:00Z", 7200),
    );
    assert_eq!(s(&event, "@timestamp"), Some("2025-12-31T22:30:00.000Z"));
    // An impossible date is no timestamp: without a PRI the line is not syslog.
    let event = parse_line(b"Feb 30 00:00:00 host app: x", &ctx("2026-03-01T00:00:00Z"));
    assert!(event.has_tag(TAG_PARSE_FAILURE));
}

#[test]
fn json_line() {
    let line = br#"{"@timestamp":"2026-01-02T03:04:05Z","message":"hello","source.ip":"10.1.2.3","event":{"kind":"alert"}}"#;
    let event = parse_line(line, &ctx("2026-01-02T03:04:06Z"));
    assert!(!event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "message"), Some("hello"));
    assert_eq!(s(&event, "source.ip"), Some("10.1.2.3"));
    assert_eq!(s(&event, "event.kind"), Some("alert"));
    assert_eq!(s(&event, "@timestamp"), Some("2026-01-02T03:04:05.000Z"));
    assert_eq!(
        s(&event, "event.original"),
        Some(std::str::from_utf8(line).unwrap_or_default())
    );
    // Line ending stripped; an existing event.original is kept.
    let event = parse_line(
        b"  {\"event.original\":\"raw\"}\r\n",
        &ctx("2026-01-02T03:04:06Z"),
    );
    assert_eq!(s(&event, "event.original"), Some("raw"));
    // Broken JSON is a raw failure event.
    let event = parse_line(b"{\"a\": ", &ctx("2026-01-02T03:04:06Z"));
    assert!(event.has_tag(TAG_PARSE_FAILURE));
    assert!(s(&event, "error.message").is_some_and(|m| m.starts_with("invalid JSON object")));
    assert_eq!(s(&event, "message"), Some("{\"a\": "));
}

#[test]
fn garbage_line_is_tagged_not_dropped() {
    let event = parse_line(
        b"hello world, this is not a log line\r\n",
        &ctx("2026-01-01T00:00:00Z"),
    );
    assert!(event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(
        s(&event, "message"),
        Some("hello world, this is not a log line")
    );
    assert_eq!(
        s(&event, "event.original"),
        Some("hello world, this is not a log line")
    );
    assert!(s(&event, "error.message").is_some_and(|m| m.contains("not JSON or syslog")));
    let event = parse_syslog(b"hello", &ctx("2026-01-01T00:00:00Z"));
    assert!(s(&event, "error.message").is_some_and(|m| m.starts_with("not a syslog message: ")));
    let event = parse_line(b"", &ctx("2026-01-01T00:00:00Z"));
    assert!(event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "message"), Some(""));
    let event = parse_line(
        b"<999>Jan  1 00:00:00 host app: x",
        &ctx("2026-01-01T00:00:00Z"),
    );
    assert!(s(&event, "error.message").is_some_and(|m| m.contains("invalid PRI")));
}

#[test]
fn invalid_utf8_is_lossy_and_tagged() {
    let line = b"<13>Jan  1 00:00:00 host app: caf\xe9 \xff";
    let event = parse_line(line, &ctx("2026-01-01T00:00:01Z"));
    assert!(event.has_tag(TAG_PARSE_FAILURE));
    assert_eq!(s(&event, "error.message"), Some("invalid UTF-8"));
    assert_eq!(
        s(&event, "event.original"),
        Some("<13>Jan  1 00:00:00 host app: caf\u{fffd} \u{fffd}")
    );
    // The header is still decoded.
    assert_eq!(s(&event, "host.name"), Some("host"));
    assert_eq!(s(&event, "message"), Some("caf\u{fffd} \u{fffd}"));
    // Both reasons when it is garbage too.
    let event = parse_syslog(b"\xff\xfe", &ctx("2026-01-01T00:00:01Z"));
    assert!(s(&event, "error.message")
        .is_some_and(|m| m.starts_with("invalid UTF-8; not a syslog message")));
}
