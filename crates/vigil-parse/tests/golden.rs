//! Golden comparisons against real third-party samples and the normalised output their own
//! test suites expect, read in place from `$VIGIL_TEST_DATA/parsers` (see its README and
//! MANIFEST.json; the Elastic-License and SSPL files must not be copied into this repo):
//!
//! * `elastic-beats/{apache-access,apache-error,nginx-access,nginx-error}` (Apache-2.0) and
//!   `elastic-beats-xpack/{cef,iptables}` (ELv2): Filebeat module goldens, a JSON array of
//!   flat dotted ECS keys, one object per event, `log.offset` = byte offset of its line.
//!   Every `*.log` with a `*.log-expected.json` next to it is a unit.
//! * `graylog-cef/cef/*.json` (SSPL): one CEF vector per file with the expected header and
//!   label-resolved extension values.
//!
//! The context is pinned per golden event the way the Beats harness ran: received at the
//! golden `@timestamp`, zone-less times in the golden `event.timezone`.
//!
//! Fields are compared both ways: a listed field absent from the golden must be absent
//! from the event too. Deliberate differences, normalised before comparing:
//! * `-` placeholders (`user.name`, `http.request.referrer`, `user_agent.original`) are
//!   absent in Vigil's events: `-` means "no value" in these formats;
//! * `event.category` / `event.type` are ECS arrays (`["web"]`; the ECS 1.x goldens have
//!   a string);
//! * `http.request.method` keeps the line's casing (ECS >= 1.6; the Apache golden lower-cases);
//! * MAC addresses use the ECS notation `90-10-28-5F-62-24` (the golden `90:10:28:5f:62:24`);
//! * `nginx.access.remote_ip_list` is `access_log.remote_ip_list`, set only for more than
//!   one address;
//! * CEF extensions keep the raw short keys (`src`), Beats renames them (`sourceAddress`):
//!   compared through a name table, values as strings (Vigil keeps them as written);
//! * raw iptables fields keep the kernel's names (`TTL=118` -> `iptables.TTL: "118"`),
//!   Beats renames and converts them (`iptables.ttl: 118`): compared through a table;
//! * a multi-line nginx error (PHP output relayed by FastCGI) is one event per line for
//!   Vigil: the first line carries the event (its message is the golden's first line),
//!   the continuation lines are raw events tagged `_parse_failure`.

mod common;

use std::path::Path;

use chrono::{DateTime, Utc};
use common::{ctx, ctx_offset, data_dir, read_data, s};
use serde_json::{Map, Value};
use vigil_core::{Event, TAG_PARSE_FAILURE};
use vigil_parse::{parse_line, ParseContext};

/// One Beats unit: the input bytes and the golden events.
struct Unit {
    name: String,
    input: Vec<u8>,
    golden: Vec<Map<String, Value>>,
}

/// Every `*.log` + `*.log-expected.json` pair under `parsers/<dir>`.
fn units(dir: &str) -> Vec<Unit> {
    let path = data_dir().join("parsers").join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set VIGIL_TEST_DATA)", path.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".log"))
        .filter(|name| path.join(format!("{name}-expected.json")).exists())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no units in {}", path.display());
    names
        .into_iter()
        .map(|name| {
            let input = read_data(&format!("parsers/{dir}/{name}"));
            let golden = read_data(&format!("parsers/{dir}/{name}-expected.json"));
            let golden: Vec<Value> = serde_json::from_slice(&golden)
                .unwrap_or_else(|e| panic!("{dir}/{name}-expected.json: {e}"));
            let golden = golden
                .into_iter()
                .filter_map(|v| v.as_object().cloned())
                .collect();
            Unit {
                name: format!("{dir}/{name}"),
                input,
                golden,
            }
        })
        .collect()
}

/// The line starting at byte `offset`.
fn line_at(data: &[u8], offset: usize) -> &[u8] {
    let rest = data.get(offset..).unwrap_or_default();
    let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    &rest[..end]
}

/// The context the Beats harness ran with for one golden event.
fn golden_ctx(golden: &Map<String, Value>) -> ParseContext {
    let received = golden
        .get("@timestamp")
        .and_then(Value::as_str)
        .unwrap_or("2026-01-01T00:00:00Z");
    let offset = golden
        .get("event.timezone")
        .and_then(Value::as_str)
        .and_then(|z| {
            DateTime::parse_from_str(&format!("2000-01-01T00:00:00{z}"), "%Y-%m-%dT%H:%M:%S%:z")
                .ok()
        })
        .map_or(0, |t| t.offset().local_minus_utc());
    ctx_offset(received, offset)
}

fn instant(value: &Value) -> Option<String> {
    let t = DateTime::parse_from_rfc3339(value.as_str()?).ok()?;
    Some(t.with_timezone(&Utc).to_rfc3339())
}

/// The golden value of `field` in Vigil's conventions (see the module documentation).
fn want(field: &str, value: Option<&Value>) -> Option<Value> {
    let value = value?;
    match (field, value) {
        ("user.name" | "http.request.referrer" | "user_agent.original", Value::String(s))
            if s == "-" =>
        {
            None
        }
        ("event.category" | "event.type", Value::String(_)) => {
            Some(Value::Array(vec![value.clone()]))
        }
        ("@timestamp", _) => instant(value).map(Value::from),
        ("http.request.method", Value::String(s)) => Some(Value::from(s.to_ascii_uppercase())),
        (f, Value::String(s)) if f.ends_with(".mac") => {
            Some(Value::from(s.to_ascii_uppercase().replace(':', "-")))
        }
        ("access_log.remote_ip_list", Value::Array(list)) if list.len() < 2 => None,
        _ => Some(value.clone()),
    }
}

/// Vigil's value of `field`, comparable with [`want`].
fn got(field: &str, event: &Event) -> Option<Value> {
    let value = event.get(field)?;
    match field {
        "@timestamp" => instant(value).map(Value::from),
        _ => Some(value.clone()),
    }
}

/// Compares `fields` (golden name, Vigil name) both ways; returns the count compared.
fn compare(at: &str, golden: &Map<String, Value>, event: &Event, fields: &[(&str, &str)]) -> usize {
    for (golden_name, ours) in fields {
        assert_eq!(
            got(ours, event),
            want(ours, golden.get(*golden_name)),
            "{at}: {ours} (golden {golden_name})\nevent: {}",
            serde_json::to_string(event).unwrap_or_default()
        );
    }
    fields.len()
}

fn same(fields: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    fields.iter().map(|f| (*f, *f)).collect()
}

/// Parses every golden event's line and compares `fields`; checks that every input line
/// keeps `event.original` and that golden lines are no parse failures. Returns (events,
/// field comparisons).
fn run_units(dir: &str, fields: &[(&str, &str)]) -> (usize, usize) {
    let (mut events, mut compared) = (0, 0);
    for unit in units(dir) {
        let mut starts = Vec::new();
        for (n, golden) in unit.golden.iter().enumerate() {
            let offset = golden
                .get("log.offset")
                .and_then(Value::as_u64)
                .unwrap_or_else(|| panic!("{}: event {n} has no log.offset", unit.name));
            let offset = usize::try_from(offset).unwrap_or(usize::MAX);
            starts.push(offset);
            let line = line_at(&unit.input, offset);
            let text = String::from_utf8_lossy(line);
            let at = format!("{} event {n}: {text}", unit.name);
            let event = parse_line(line, &golden_ctx(golden));
            assert!(
                !event.has_tag(TAG_PARSE_FAILURE),
                "{at}: {:?}",
                event.get("error.message")
            );
            assert_eq!(
                s(&event, "event.original"),
                Some(text.trim_end_matches('\r')),
                "{at}"
            );
            let mut golden = golden.clone();
            let multiline = golden
                .get("log.flags")
                .is_some_and(|f| f.to_string().contains("multiline"));
            if multiline {
                let first = golden
                    .get("message")
                    .and_then(Value::as_str)
                    .and_then(|m| m.lines().next())
                    .unwrap_or("")
                    .to_string();
                golden.insert("message".into(), Value::from(first));
            }
            compared += compare(&at, &golden, &event, fields);
            events += 1;
        }
        // Every other line (multi-line continuations) is kept, not dropped.
        let mut offset = 0;
        for line in unit.input.split_inclusive(|b| *b == b'\n') {
            let start = offset;
            offset += line.len();
            let text = String::from_utf8_lossy(vigil_parse::trim_line_end(line)).into_owned();
            if text.trim().is_empty() {
                continue;
            }
            let event = parse_line(line, &ctx("2026-01-01T00:00:00Z"));
            assert_eq!(s(&event, "event.original"), Some(text.as_str()));
            assert!(
                starts.contains(&start) || event.has_tag(TAG_PARSE_FAILURE),
                "{}: line at {start} is not in the golden but parsed: {text}",
                unit.name
            );
        }
    }
    eprintln!("{dir}: {events} events, {compared} field comparisons");
    (events, compared)
}

const ACCESS: &[&str] = &[
    "@timestamp",
    "source.address",
    "source.ip",
    "source.domain",
    "user.name",
    "http.request.method",
    "http.version",
    "http.response.status_code",
    "http.response.body.bytes",
    "http.request.referrer",
    "url.original",
    "user_agent.original",
];

#[test]
fn beats_apache_access() {
    let mut fields = same(ACCESS);
    fields.extend(same(&["event.outcome", "event.category"]));
    let (events, _) = run_units("elastic-beats/apache-access", &fields);
    assert!(events >= 6);
}

#[test]
fn beats_nginx_access() {
    let mut fields = same(ACCESS);
    fields.push(("nginx.access.remote_ip_list", "access_log.remote_ip_list"));
    let (events, _) = run_units("elastic-beats/nginx-access", &fields);
    assert!(events >= 7);
}

#[test]
fn beats_apache_error() {
    let fields = same(&[
        "@timestamp",
        "log.level",
        "message",
        "process.pid",
        "process.thread.id",
        "apache.error.module",
        "event.category",
        "event.type",
        "source.address",
        "source.ip",
        "source.port",
    ]);
    let (events, _) = run_units("elastic-beats/apache-error", &fields);
    assert!(events >= 1);
}

#[test]
fn beats_nginx_error() {
    let fields = same(&[
        "@timestamp",
        "log.level",
        "message",
        "process.pid",
        "process.thread.id",
        "nginx.error.connection_id",
    ]);
    let (events, _) = run_units("elastic-beats/nginx-error", &fields);
    assert!(events >= 4);
}

#[test]
fn beats_iptables() {
    let fields = same(&[
        "@timestamp",
        "source.ip",
        "destination.ip",
        "source.port",
        "destination.port",
        "source.mac",
        "destination.mac",
        "network.transport",
        "network.type",
    ]);
    run_units("elastic-beats-xpack/iptables", &fields);
    // Raw fields: Beats' converted names and values against the kernel's words.
    let raw = [
        ("iptables.input_device", "IN"),
        ("iptables.output_device", "OUT"),
        ("iptables.length", "LEN"),
        ("iptables.id", "ID"),
        ("iptables.ttl", "TTL"),
        ("iptables.tos", "TOS"),
        ("iptables.precedence_bits", "PREC"),
        ("iptables.icmp.type", "TYPE"),
        ("iptables.icmp.code", "CODE"),
        ("iptables.source_port", "SPT"),
        ("iptables.destination_port", "DPT"),
    ];
    let mut compared = 0;
    for unit in units("elastic-beats-xpack/iptables") {
        for golden in &unit.golden {
            let offset = golden
                .get("log.offset")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let line = line_at(&unit.input, usize::try_from(offset).unwrap_or(0));
            let event = parse_line(line, &golden_ctx(golden));
            for (beats, kernel) in raw {
                let ours = s(&event, &format!("iptables.{kernel}"));
                let Some(want) = golden.get(beats) else {
                    continue;
                };
                let ours = ours.map(|v| match v.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16)
                        .map(Value::from)
                        .unwrap_or_default(),
                    None => v
                        .parse::<u64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| Value::from(v)),
                });
                assert_eq!(
                    ours.as_ref(),
                    Some(want),
                    "{}: {beats} vs iptables.{kernel}",
                    unit.name
                );
                compared += 1;
            }
            if let Some(want) = golden.get("iptables.ether_type") {
                let mac = s(&event, "iptables.MAC").unwrap_or("");
                let ether: String = mac.split(':').skip(12).collect();
                assert_eq!(
                    u64::from_str_radix(&ether, 16)
                        .ok()
                        .map(Value::from)
                        .as_ref(),
                    Some(want)
                );
                compared += 1;
            }
        }
    }
    eprintln!("elastic-beats-xpack/iptables: {compared} raw field comparisons");
    assert!(compared >= 10, "{compared}");
}

/// Beats' full CEF extension names and the short keys of the inputs.
const CEF_NAMES: &[(&str, &str)] = &[
    ("sourceAddress", "src"),
    ("destinationAddress", "dst"),
    ("sourcePort", "spt"),
    ("destinationPort", "dpt"),
    ("sourceUserName", "suser"),
    ("destinationUserName", "duser"),
    ("sourceUserPrivileges", "spriv"),
    ("destinationUserPrivileges", "dpriv"),
    ("transportProtocol", "proto"),
    ("requestUrl", "request"),
    ("sourceGeoLatitude", "slat"),
    ("sourceGeoLongitude", "slong"),
];

#[test]
fn beats_cef() {
    let fields = same(&[
        "cef.version",
        "cef.device.vendor",
        "cef.device.product",
        "cef.device.version",
        "cef.device.event_class_id",
        "cef.name",
        "cef.severity",
        "observer.vendor",
        "observer.product",
        "observer.version",
        "event.code",
        "event.severity",
        "message",
        "source.ip",
        "source.port",
        "destination.ip",
        "destination.port",
        "source.user.name",
        "destination.user.name",
        "network.transport",
        "http.request.method",
        "http.request.referrer",
        "url.original",
        "destination.nat.ip",
    ]);
    let (events, _) = run_units("elastic-beats-xpack/cef", &fields);
    assert!(events >= 4);
    // Every golden extension value, through the name table; related.* as sets.
    let mut compared = 0;
    for unit in units("elastic-beats-xpack/cef") {
        for golden in &unit.golden {
            let offset = golden
                .get("log.offset")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let line = line_at(&unit.input, usize::try_from(offset).unwrap_or(0));
            let event = parse_line(line, &golden_ctx(golden));
            for (key, want) in golden {
                let Some(full) = key.strip_prefix("cef.extensions.") else {
                    continue;
                };
                let short = CEF_NAMES
                    .iter()
                    .find(|(f, _)| *f == full)
                    .map_or(full, |(_, s)| *s);
                let want = match want {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let ours = event
                    .get("cef.extensions")
                    .and_then(|e| e.get(short))
                    .and_then(Value::as_str);
                assert_eq!(ours, Some(want.as_str()), "{}: {key} vs {short}", unit.name);
                compared += 1;
            }
            for related in ["related.ip", "related.user"] {
                let sorted = |v: Option<&Value>| {
                    let mut list: Vec<String> = v
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default();
                    list.sort();
                    list
                };
                assert_eq!(
                    sorted(event.get(related)),
                    sorted(golden.get(related)),
                    "{related}"
                );
                compared += 1;
            }
        }
    }
    eprintln!("elastic-beats-xpack/cef: {compared} extension and related.* comparisons");
    assert!(compared >= 30, "{compared}");
}

/// Reads a Graylog fixture leniently: two upstream files have `//` comment lines.
fn graylog_fixture(path: &Path) -> Map<String, Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let strict: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    // A comment removed before a closing brace can leave a trailing comma.
    let strict = strict.replace(",\n  }", "\n  }").replace(",\n}", "\n}");
    serde_json::from_str(&strict).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A Graylog-converted date (`2010-09-10T15:58:23Z`) against the raw CEF date.
fn cef_date_matches(raw: &str, iso: &str) -> bool {
    let parsed = chrono::NaiveDateTime::parse_from_str(raw, "%b %d %Y %H:%M:%S")
        .map(|t| t.and_utc().to_rfc3339());
    let want = DateTime::parse_from_rfc3339(iso).map(|t| t.with_timezone(&Utc).to_rfc3339());
    matches!((parsed, want), (Ok(a), Ok(b)) if a == b)
}

#[test]
fn graylog_cef_vectors() {
    let dir = data_dir().join("parsers/graylog-cef/cef");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (set VIGIL_TEST_DATA)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 9, "{}", paths.len());
    let (mut vectors, mut compared) = (0, 0);
    for path in &paths {
        let fixture = graylog_fixture(path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let input = fixture
            .get("testString")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let event = parse_line(input.as_bytes(), &ctx("2026-01-01T00:00:00Z"));
        assert!(
            !event.has_tag(TAG_PARSE_FAILURE),
            "{name}: {:?}",
            event.get("error.message")
        );
        assert_eq!(s(&event, "event.original"), Some(input));
        let text = |key: &str| match fixture.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
            None => None,
        };
        for (key, path) in [
            ("cefVersion", "cef.version"),
            ("deviceVendor", "cef.device.vendor"),
            ("deviceProduct", "cef.device.product"),
            ("deviceVersion", "cef.device.version"),
            ("deviceEventClassId", "cef.device.event_class_id"),
            ("name", "cef.name"),
            ("severity", "cef.severity"),
            ("deviceVendor", "observer.vendor"),
            ("deviceProduct", "observer.product"),
            ("deviceVersion", "observer.version"),
            ("deviceEventClassId", "event.code"),
        ] {
            assert_eq!(
                s(&event, path).map(String::from),
                text(key),
                "{name}: {path}"
            );
            compared += 1;
        }
        let severity = text("severity").and_then(|s| s.parse::<u64>().ok());
        assert_eq!(
            event.get("event.severity").and_then(Value::as_u64),
            severity,
            "{name}"
        );
        compared += 1;
        let empty = Map::new();
        let extensions = fixture
            .get("extensions")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let ours = event
            .get("cef.extensions")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (key, want) in extensions {
            let at = format!("{name}: extension {key}");
            match (key.as_str(), want) {
                // Graylog's syslog level and facility of the envelope.
                ("level", _) => {
                    assert_eq!(event.get("log.syslog.severity.code"), Some(want), "{at}")
                }
                ("facility", _) => {
                    assert_eq!(event.get("log.syslog.facility.name"), Some(want), "{at}");
                }
                (_, Value::Number(n)) => {
                    let ours = ours
                        .get(key)
                        .and_then(Value::as_str)
                        .and_then(|v| v.parse::<f64>().ok());
                    assert_eq!(ours, n.as_f64(), "{at}");
                }
                (_, Value::String(iso))
                    if iso.len() == 20 && iso.ends_with('Z') && iso.contains('T') =>
                {
                    let raw = ours.get(key).and_then(Value::as_str).unwrap_or("");
                    assert!(cef_date_matches(raw, iso), "{at}: {raw} vs {iso}");
                    if key == "rt" {
                        assert_eq!(
                            event.get("@timestamp").and_then(instant),
                            instant(want),
                            "{at}"
                        );
                    }
                }
                (_, Value::String(want)) => {
                    assert_eq!(
                        ours.get(key).and_then(Value::as_str),
                        Some(want.as_str()),
                        "{at}"
                    );
                }
                _ => panic!("{at}: unexpected golden {want}"),
            }
            compared += 1;
        }
        // ECS from the extensions.
        let ext = |k: &str| {
            extensions.get(k).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        for (key, path) in [
            ("src", "source.ip"),
            ("dst", "destination.ip"),
            ("act", "event.action"),
            ("request", "url.original"),
            ("requestMethod", "http.request.method"),
        ] {
            assert_eq!(
                s(&event, path).map(String::from),
                ext(key),
                "{name}: {path}"
            );
            compared += 1;
        }
        for (key, path) in [("spt", "source.port"), ("dpt", "destination.port")] {
            assert_eq!(
                event.get(path).map(Value::to_string),
                ext(key),
                "{name}: {path}"
            );
            compared += 1;
        }
        let message = ext("msg").or_else(|| text("name"));
        assert_eq!(
            s(&event, "message").map(String::from),
            message,
            "{name}: message"
        );
        compared += 1;
        vectors += 1;
    }
    eprintln!("graylog-cef: {vectors} vectors, {compared} comparisons");
}
