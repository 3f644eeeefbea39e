//! Conformance against third-party golden outputs: every test unit under
//! `$VIGIL_TEST_DATA/parsers/<source>/<format>/` (and `parsers/{visible,hidden}/...` when the
//! corpus is split that way) is run through [`parse_line`] and the fields that matter for
//! detection are compared with the golden event (see `docs/ecs-differences.md`).
//!
//! * Only a field the golden has is counted (`null` / empty counts as absent).
//! * Representation-only differences are normalised before comparing and count as matches:
//!   a string vs a one-element array (`event.category: "web"` in ECS 1.x goldens), arrays as
//!   sets, numbers vs numeric strings (ports, pids, status codes), IP address notation,
//!   instants (`@timestamp` in any offset, to Vigil's millisecond precision).
//! * Deliberate value differences are listed in [`documented`] and in
//!   `docs/ecs-differences.md`; they are reported in their own column, not as matches, and
//!   are left out of the percentage's denominator.
//! * `*.geo.*` / `*.as.*` are never compared (the Elastic goldens come from MaxMind's test
//!   databases).
//! * What the goldens assume is pinned per event: the reporting host's zone is the golden
//!   `event.timezone` (Beats ran with `-02:00`), the receive time (and so the year of a
//!   year-less syslog line) is the golden `@timestamp` when it has one; the rsyslog and
//!   loghub vectors, which print year-less times, are pinned to the end of a fixed year.
//!
//! The gate: every format in [`GATED`] (the formats Vigil claims to parse) must match at
//! least 95 % of its compared, undocumented fields. Every other format is reported as
//! "no parser" and listed under "Not yet supported" in `docs/ecs-differences.md`.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use common::{csv_record, ctx_offset, data_dir, lines};
use serde_json::{Map, Value};
use vigil_core::Event;
use vigil_parse::{parse_line, ParseContext};

/// The fields compared for every ECS golden.
const FIELDS: [&str; 15] = [
    "event.category",
    "event.type",
    "event.action",
    "event.outcome",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
    "user.name",
    "host.name",
    "process.name",
    "process.pid",
    "url.original",
    "http.response.status_code",
    "@timestamp",
];

/// The formats Vigil claims to parse: each must reach [`THRESHOLD`]. Adding a parser means
/// adding its format here.
const GATED: &[&str] = &[
    "elastic-beats/apache-access",
    "elastic-beats/apache-error",
    "elastic-beats/auditd",
    "elastic-beats/nginx-access",
    "elastic-beats/nginx-error",
    "elastic-beats/system-auth",
    "elastic-beats/system-syslog",
    "elastic-beats-xpack/cef",
    "elastic-beats-xpack/cisco-asa",
    "elastic-beats-xpack/iptables",
    "elastic-beats-xpack/juniper-srx",
    "elastic-beats-xpack/panw-panos",
    "elastic-integrations/aws-cloudtrail",
    "elastic-integrations/azure-activitylogs",
    "elastic-integrations/crowdstrike-falcon",
    "elastic-integrations/gcp-audit",
    "elastic-integrations/github-audit",
    "elastic-integrations/system-auth",
    "elastic-integrations/zeek-ssh",
    "graylog-cef/cef",
    "loghub/apache-error",
    "loghub/linux-syslog",
    "loghub/openssh",
    "rsyslog-testbench/syslog-rfc3164-rfc5424",
    "wazuh-engine/apache-access",
    "wazuh-engine/apache-error",
    "wazuh-engine/auditd",
    "wazuh-engine/aws-cloudtrail",
    "wazuh-engine/aws-elb",
    "wazuh-engine/aws-s3-server-access",
    "wazuh-engine/f5",
    "wazuh-engine/fortinet",
    "wazuh-engine/mysql",
    "wazuh-engine/nginx",
    "wazuh-engine/postgresql",
    "wazuh-engine/redis",
    "wazuh-engine/sonicwall",
    "wazuh-engine/sophos",
    "wazuh-engine/suricata",
    "wazuh-engine/syslog",
    "wazuh-engine/sysmon-linux",
    "wazuh-engine/windows-eventlog-xml",
    "wazuh-engine/system-auth",
];

/// Formats where Vigil parses part of the corpus (status "partial", not gated), and why.
const PARTIAL: &[(&str, &str)] = &[];

/// Minimum share of matched fields per gated format.
const THRESHOLD: f64 = 95.0;

/// The year the year-less rsyslog and loghub vectors are pinned to.
const PINNED_YEAR: i32 = 2017;

/// One golden event and the input that produced it.
struct Case {
    unit: String,
    input: String,
    /// The expected values: nested or flat dotted ECS.
    golden: Value,
    ctx: ParseContext,
    /// The golden prints times without year or fraction (`%timestamp%` of rsyslog):
    /// `@timestamp` is compared as month, day and time of day.
    yearless: bool,
}

#[derive(Default)]
struct Tally {
    events: usize,
    compared: usize,
    matched: usize,
    documented: BTreeMap<&'static str, usize>,
    mismatches: Vec<String>,
}

impl Tally {
    fn documented_total(&self) -> usize {
        self.documented.values().sum()
    }

    /// Matched share of the compared fields that are not documented differences.
    fn percent(&self) -> f64 {
        let base = self.compared - self.documented_total();
        if base == 0 {
            100.0
        } else {
            100.0 * self.matched as f64 / base as f64
        }
    }
}

// ---------------------------------------------------------------------------------------
// Locating units

/// Every `(source/format, directory)` in the corpus, visible and hidden halves merged
/// (`parsers/<source>/<format>`, `parsers/{visible,hidden}/...` or `{visible,hidden}/parsers/...`).
fn format_dirs() -> BTreeMap<String, Vec<PathBuf>> {
    let root = data_dir().join("parsers");
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut roots = vec![root.clone()];
    for split in ["visible", "hidden"] {
        for candidate in [root.join(split), data_dir().join(split).join("parsers")] {
            if candidate.is_dir() {
                roots.push(candidate);
            }
        }
    }
    for base in roots {
        for source in sorted_dir(&base) {
            let name = file_name(&source);
            if !source.is_dir() || matches!(name.as_str(), "LICENSES" | "visible" | "hidden") {
                continue;
            }
            for format in sorted_dir(&source) {
                if format.is_dir() {
                    out.entry(format!("{name}/{}", file_name(&format)))
                        .or_default()
                        .push(format);
                }
            }
        }
    }
    out
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read_text(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(input, golden)` file pairs in a directory: `X` + `X-expected.json` (Elastic),
/// `N_input.*` + `N_expected.json`, `input.txt` + `expected.json`,
/// `input_K.txt` + `expected_K.json` (Wazuh).
fn pairs(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for path in sorted_dir(dir) {
        let name = file_name(&path);
        let golden = if let Some(stem) = name.strip_suffix("-expected.json") {
            dir.join(format!("{stem}-expected.json"))
                .exists()
                .then(|| dir.join(stem))
                .filter(|input| input.exists())
                .map(|input| (input, path.clone()))
        } else if let Some(stem) = name.strip_suffix("_expected.json") {
            ["txt", "xml", "log", "json"]
                .iter()
                .map(|ext| dir.join(format!("{stem}_input.{ext}")))
                .find(|p| p.exists())
                .map(|input| (input, path.clone()))
        } else if name == "expected.json" {
            Some(dir.join("input.txt"))
                .filter(|p| p.exists())
                .map(|input| (input, path.clone()))
        } else if let Some(kind) = name
            .strip_prefix("expected_")
            .and_then(|n| n.strip_suffix(".json"))
        {
            Some(dir.join(format!("input_{kind}.txt")))
                .filter(|p| p.exists())
                .map(|input| (input, path.clone()))
        } else {
            None
        };
        out.extend(golden);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Pinning the harness context

/// A zone as the goldens write it (`-02:00`, `+0000`, `Z`, `UTC`); `None` for names.
fn zone_offset(zone: &str) -> Option<i32> {
    if matches!(zone, "Z" | "UTC" | "GMT") {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Received at the golden `@timestamp` (the year of year-less lines), zone-less times in
/// the golden `event.timezone`.
fn golden_ctx(golden: &Value) -> ParseContext {
    let received = lookup(golden, "@timestamp")
        .and_then(Value::as_str)
        .filter(|t| DateTime::parse_from_rfc3339(t).is_ok())
        .unwrap_or("2026-01-01T00:00:00Z")
        .to_string();
    let offset = lookup(golden, "event.timezone")
        .and_then(Value::as_str)
        .and_then(zone_offset)
        .unwrap_or(0);
    ctx_offset(&received, offset)
}

fn pinned_ctx() -> ParseContext {
    ctx_offset(&format!("{PINNED_YEAR}-12-31T23:59:59Z"), 0)
}

// ---------------------------------------------------------------------------------------
// Collecting cases per source

fn golden_events(path: &Path) -> Vec<Value> {
    match read_json(path) {
        Value::Array(events) => events,
        Value::Object(mut map) => match map.remove("expected") {
            Some(Value::Array(events)) => events,
            _ => vec![Value::Object(map)],
        },
        other => vec![other],
    }
}

fn non_empty_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// Pairs golden events with their input: the line at `log.offset` (Beats), else the
/// golden `event.original` / `log.original` when it is contained in the input (Wazuh,
/// Integrations; multi-line records too), else the n-th line when the counts agree, else
/// the whole input (one multi-line record; a JSON document is compacted to one line).
fn ecs_cases(format: &str, dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for (input_path, golden_path) in pairs(dir) {
        let unit = format!("{format}/{}", file_name(&input_path));
        let input = read_text(&input_path);
        let lines = non_empty_lines(&input);
        let golden = golden_events(&golden_path);
        let golden_len = golden.len();
        let zip = golden.len() == lines.len();
        let records = event_elements(&input);
        let whole = || match serde_json::from_str::<Value>(&input) {
            Ok(v) => v.to_string(),
            Err(_) => input.trim_end().to_string(),
        };
        for (n, golden) in golden.into_iter().enumerate() {
            let original = ["event.original", "log.original"]
                .iter()
                .find_map(|f| lookup(&golden, f).and_then(Value::as_str))
                .filter(|o| !o.is_empty() && input.contains(*o))
                .map(str::to_string);
            let at_offset = lookup(&golden, "log.offset")
                .and_then(Value::as_u64)
                .and_then(|o| usize::try_from(o).ok())
                .and_then(|o| input.get(o..))
                .map(|rest| rest.lines().next().unwrap_or("").to_string());
            let text = at_offset
                .or(original)
                .or_else(|| (lines.len() == 1).then(|| lines[0].clone()))
                .or_else(|| lines.get(n).filter(|_| zip).cloned())
                .or_else(|| {
                    records
                        .get(n)
                        .filter(|_| records.len() == golden_len)
                        .cloned()
                })
                .unwrap_or_else(whole);
            let ctx = golden_ctx(&golden);
            cases.push(Case {
                unit: unit.clone(),
                input: text,
                golden,
                ctx,
                yearless: false,
            });
        }
    }
    cases
}

/// The `<Event>...</Event>` elements of a rendered Windows event log (several per file).
fn event_elements(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(start) = rest.find("<Event") {
        let after = &rest[start + 6..];
        if !after.starts_with([' ', '>', '\n', '\r']) {
            rest = after;
            continue;
        }
        let Some(end) = after.find("</Event>") else {
            break;
        };
        out.push(rest[start..start + 6 + end + 8].to_string());
        rest = &after[end + 8..];
    }
    out
}

/// rsyslog testbench: `*.parse*` files hold (input, `%PRI%,%syslogfacility-text%,
/// %syslogseverity-text%,%timestamp%,%hostname%,%programname%,%syslogtag%,%msg%`) line
/// pairs; `*.ts3164` (input, `%timestamp%`).
fn rsyslog_cases(format: &str, dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for path in sorted_dir(dir) {
        let name = file_name(&path);
        let timestamp_only = name.ends_with(".ts3164");
        if !timestamp_only && !name.contains(".parse") {
            continue;
        }
        let text = read_text(&path);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        for pair in lines.chunks_exact(2) {
            let (input, want) = (pair[0], pair[1]);
            let mut golden = Map::new();
            let timestamp = if timestamp_only {
                Some(want.to_string())
            } else {
                let cols: Vec<&str> = want.splitn(8, ',').collect();
                if cols.len() < 8 {
                    continue;
                }
                let mut put = |field: &str, value: &str| {
                    if !value.is_empty() && value != "~H" {
                        golden.insert(field.into(), Value::from(value));
                    }
                };
                put("log.syslog.priority", cols[0]);
                put("log.syslog.facility.name", cols[1]);
                put("log.syslog.severity.name", cols[2]);
                put("host.name", cols[4]);
                put("process.name", cols[5]);
                put("message", cols[7].trim_start());
                Some(cols[3].to_string())
            };
            if let Some(instant) = timestamp.and_then(|t| rsyslog_instant(input, &t)) {
                golden.insert("@timestamp".into(), Value::from(instant));
            }
            cases.push(Case {
                unit: format!("{format}/{name}"),
                input: input.to_string(),
                golden: Value::Object(golden),
                ctx: pinned_ctx(),
                yearless: true,
            });
        }
    }
    cases
}

/// rsyslog prints `%timestamp%` as `Mmm dd hh:mm:ss` in the message's own offset (RFC 5424)
/// or as written (RFC 3164, no zone: UTC in the pinned context, year [`PINNED_YEAR`]).
fn rsyslog_instant(input: &str, printed: &str) -> Option<String> {
    let local =
        NaiveDateTime::parse_from_str(&format!("{PINNED_YEAR} {printed}"), "%Y %b %e %H:%M:%S")
            .ok()?;
    // RFC 5424: the year and offset come from the line's own timestamp.
    let after_pri = input.split_once('>').map_or(input, |(_, rest)| rest);
    if let Some(rest) = after_pri.strip_prefix("1 ") {
        let stamp = rest.split(' ').next()?;
        let own = DateTime::parse_from_rfc3339(stamp).ok()?;
        let local = NaiveDateTime::parse_from_str(
            &format!("{} {printed}", own.format("%Y")),
            "%Y %b %e %H:%M:%S",
        )
        .ok()?;
        let t = own.offset().from_local_datetime(&local).single()?;
        return Some(t.with_timezone(&Utc).to_rfc3339());
    }
    Some(local.and_utc().to_rfc3339())
}

/// Graylog's CEF fixtures: header and label-resolved extensions, mapped to the ECS fields
/// Vigil derives from them.
fn graylog_cases(format: &str, dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for path in sorted_dir(dir) {
        if !file_name(&path).ends_with(".json") {
            continue;
        }
        let fixture = lenient_json(&read_text(&path));
        let Some(input) = fixture.get("testString").and_then(Value::as_str) else {
            continue;
        };
        let ext = fixture.get("extensions").cloned().unwrap_or(Value::Null);
        let mut golden = Map::new();
        for (key, field) in [
            ("src", "source.ip"),
            ("spt", "source.port"),
            ("dst", "destination.ip"),
            ("dpt", "destination.port"),
            ("act", "event.action"),
            ("request", "url.original"),
            ("suser", "user.name"),
            ("dvchost", "observer.hostname"),
            ("dproc", "process.name"),
            ("dpid", "process.pid"),
            ("outcome", "event.outcome"),
        ] {
            if let Some(v) = ext.get(key) {
                golden.insert(field.into(), v.clone());
            }
        }
        if let Some(rt) = ext.get("rt").and_then(Value::as_str) {
            golden.insert("@timestamp".into(), Value::from(rt));
        }
        for (key, field) in [
            ("deviceVendor", "observer.vendor"),
            ("deviceProduct", "observer.product"),
            ("deviceVersion", "observer.version"),
            ("deviceEventClassId", "event.code"),
            ("name", "cef.name"),
            ("severity", "cef.severity"),
        ] {
            if let Some(v) = fixture.get(key) {
                golden.insert(field.into(), v.clone());
            }
        }
        cases.push(Case {
            unit: format!("{format}/{}", file_name(&path)),
            input: input.to_string(),
            golden: Value::Object(golden),
            ctx: pinned_ctx(),
            yearless: false,
        });
    }
    cases
}

/// Two upstream Graylog fixtures have `//` comment lines (Jackson is lenient).
fn lenient_json(text: &str) -> Value {
    let strict: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let strict = strict.replace(",\n  }", "\n  }").replace(",\n}", "\n}");
    serde_json::from_str(&strict).unwrap_or(Value::Null)
}

/// loghub: each `X_2k.log` line with its `X_2k.log_structured.csv` row (header fields).
fn loghub_cases(format: &str, dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for path in sorted_dir(dir) {
        let name = file_name(&path);
        if !name.ends_with(".log") {
            continue;
        }
        let csv_path = dir.join(format!("{name}_structured.csv"));
        if !csv_path.exists() {
            continue;
        }
        let data = std::fs::read(&path).unwrap_or_default();
        let csv = read_text(&csv_path);
        let mut rows = csv.lines().map(csv_record);
        let header = rows.next().unwrap_or_default();
        for (line, row) in lines(&data).into_iter().zip(rows) {
            let col = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .and_then(|i| row.get(i))
                    .filter(|v| !v.is_empty())
                    .cloned()
            };
            let mut golden = Map::new();
            let stamp = if let Some(time) = col("Time").filter(|t| t.len() > 8) {
                // Apache: `Sun Dec 04 04:47:44 2005`, zone-less (UTC in the pinned context).
                NaiveDateTime::parse_from_str(&time, "%a %b %d %H:%M:%S %Y").ok()
            } else {
                let month = col("Month").or_else(|| col("Date")).unwrap_or_default();
                let day = col("Date")
                    .filter(|_| col("Month").is_some())
                    .or_else(|| col("Day"))
                    .unwrap_or_default();
                let time = col("Time").unwrap_or_default();
                NaiveDateTime::parse_from_str(
                    &format!("{PINNED_YEAR} {month} {day} {time}"),
                    "%Y %b %d %H:%M:%S",
                )
                .ok()
            };
            if let Some(t) = stamp {
                golden.insert("@timestamp".into(), Value::from(t.and_utc().to_rfc3339()));
            }
            if col("Month").is_some() {
                // Linux: Level = host, Component = program tag.
                if let Some(host) = col("Level") {
                    golden.insert("host.name".into(), Value::from(host));
                }
                if let Some(component) = col("Component") {
                    let program = component.split('(').next().unwrap_or("").to_string();
                    let program = match program.split_once(' ') {
                        Some((p, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                            p.to_string()
                        }
                        _ => program,
                    };
                    golden.insert("process.name".into(), Value::from(program));
                }
                if let Some(pid) = col("PID") {
                    golden.insert("process.pid".into(), Value::from(pid));
                }
            } else if col("Pid").is_some() {
                // OpenSSH: Component = host.
                if let Some(host) = col("Component") {
                    golden.insert("host.name".into(), Value::from(host));
                }
                golden.insert("process.name".into(), Value::from("sshd"));
                if let Some(pid) = col("Pid") {
                    golden.insert("process.pid".into(), Value::from(pid));
                }
            } else if let Some(level) = col("Level") {
                golden.insert("log.level".into(), Value::from(level));
            }
            cases.push(Case {
                unit: format!("{format}/{name}"),
                input: String::from_utf8_lossy(line).trim_end().to_string(),
                golden: Value::Object(golden),
                ctx: pinned_ctx(),
                yearless: false,
            });
        }
    }
    cases
}

fn cases_for(format: &str, dirs: &[PathBuf]) -> Vec<Case> {
    let source = format.split('/').next().unwrap_or("");
    dirs.iter()
        .flat_map(|dir| match source {
            "rsyslog-testbench" => rsyslog_cases(format, dir),
            "graylog-cef" => graylog_cases(format, dir),
            "loghub" => loghub_cases(format, dir),
            _ => ecs_cases(format, dir),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Comparing

/// A value in flat dotted (`"event.category"`), nested or mixed form.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    if let Some(v) = map.get(path) {
        return Some(v);
    }
    let mut split = path.len();
    while let Some(dot) = path[..split].rfind('.') {
        if let Some(child) = map.get(&path[..dot]) {
            if let Some(v) = lookup(child, &path[dot + 1..]) {
                return Some(v);
            }
        }
        split = dot;
    }
    None
}

/// Comparable form of a value: arrays as sorted sets, numbers as text, IPs and instants
/// canonical. `None` for null / empty.
fn norm(field: &str, value: &Value) -> Option<Vec<String>> {
    let mut out: Vec<String> = match value {
        Value::Null => return None,
        Value::Array(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    };
    if out.is_empty() || out.iter().all(String::is_empty) {
        return None;
    }
    for v in &mut out {
        if field == "@timestamp" {
            if let Some(t) = instant(v) {
                *v = t;
            }
        } else if field.ends_with(".ip") {
            if let Ok(ip) = v.parse::<IpAddr>() {
                *v = ip.to_string();
            }
        } else if field.ends_with(".port") || field.ends_with(".pid") || field.ends_with("_code") {
            if let Ok(n) = v.parse::<f64>() {
                *v = format!("{n}");
            }
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// An RFC 3339 instant (or `yyyy-mm-dd hh:mm:ss`, or CEF's `Mmm dd yyyy hh:mm:ss`, or epoch
/// milliseconds, as UTC) at millisecond precision.
fn instant(text: &str) -> Option<String> {
    let t = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z").map(|t| t.into()))
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%b %d %Y %H:%M:%S",
                "%b %d %Y %H:%M:%S%.f",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            .map(|t| t.and_utc())
        })
        .or_else(|| {
            text.parse::<i64>()
                .ok()
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        })?;
    Some(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// A deliberate difference between Vigil and a golden: the section of
/// `docs/ecs-differences.md` that explains it, or `None` when the mismatch is not one.
/// Each rule is as narrow as the difference: the format, the field and the values.
fn documented(
    format: &str,
    field: &str,
    want: &[String],
    got: Option<&[String]>,
    case: &Case,
) -> Option<&'static str> {
    let source = format.split('/').next().unwrap_or("");
    let want1 = want.first().map(String::as_str).unwrap_or("");
    let got1 = got.and_then(|g| g.first()).map(String::as_str);
    let input = case.input.as_str();
    let has = |v: &str| want.iter().any(|w| w == v);
    let section = match (field, want1, got1) {
        // `-` is "no value" in access logs.
        ("user.name" | "process.name", "-", None) => "dash-placeholder",
        // 4688: process.* is the new process (NewProcessId); Wazuh takes the creator's id.
        ("process.pid", _, Some(_)) if input.contains(">4688<") => "windows-4688-pid",
        // 5156 / 5157: ProcessID is decimal; Wazuh reads it as hexadecimal.
        ("process.pid", w, Some(g))
            if (input.contains(">5156<") || input.contains(">5157<"))
                && u64::from_str_radix(g, 16)
                    .ok()
                    .map(|n| n.to_string())
                    .as_deref()
                    == Some(w) =>
        {
            "windows-wfp-pid"
        }
        // Vigil's actions are the record type / its own snake_case verbs.
        ("event.action", _, Some(g)) if format.ends_with("/auditd") => {
            (g.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then_some("auditd-action")?
        }
        ("event.action", "logged-on", Some("session_opened"))
        | ("event.action", "logged-off", Some("session_closed")) => "session-action",
        ("event.action", "ssh_login", Some("ssh_invalid_user")) => "ssh-invalid-user-action",
        // `session opened for user root by alice(uid=0)`: user.name is the session's user.
        ("user.name", w, Some(_)) if input.contains(&format!(" by {w}(")) => "session-user",
        // sshd `Accepted ...`: authentication/start; the session is pam_unix's event.
        ("event.category", _, Some("authentication"))
            if has("session")
                && got.is_some_and(|g| g.len() == 1)
                && input.contains("Accepted ") =>
        {
            "ssh-login-type"
        }
        ("event.type", "info", Some("start"))
            if input.contains("Accepted ") || input.contains("Failed ") =>
        {
            "ssh-login-type"
        }
        // Wazuh marks every decoded line a success; Vigil only results.
        ("event.outcome", "success" | "unknown", None)
            if format == "wazuh-engine/system-auth" || format == "wazuh-engine/sysmon-linux" =>
        {
            "wazuh-default-outcome"
        }
        ("event.outcome", "success", Some("failure")) if input.contains("NOT in sudoers") => {
            "wazuh-default-outcome"
        }
        // GitHub: the integration adds `web` to every event.
        ("event.category", _, Some(_)) if format.ends_with("github-audit") && has("web") => {
            let rest: Vec<&String> = want.iter().filter(|w| *w != "web").collect();
            let got_all: Vec<&String> = got.map(|g| g.iter().collect()).unwrap_or_default();
            (rest == got_all).then_some("github-web-category")?
        }
        // Wazuh's nginx decoder puts the first listed address in destination.*.
        ("destination.ip" | "destination.port", _, None) if format == "wazuh-engine/nginx" => {
            "wazuh-nginx-destination"
        }
        // GCP: the integration adds `network` to an authorised API call.
        ("event.category", _, Some(_)) if format.ends_with("/gcp-audit") && has("network") => {
            let rest: Vec<&String> = want.iter().filter(|w| *w != "network").collect();
            let got_all: Vec<&String> = got.map(|g| g.iter().collect()).unwrap_or_default();
            (rest == got_all).then_some("gcp-network-category")?
        }
        // Sysmon 4: Wazuh says service_start for `State` Stopped too.
        ("event.action", "service_start", Some("service_stop"))
            if input.contains("<Data Name=\"State\">Stopped<") =>
        {
            "sysmon-service-state"
        }
        // `service` is no ECS category.
        ("event.category", _, Some(_)) if has("service") => {
            let rest: Vec<&String> = want.iter().filter(|w| *w != "service").collect();
            let got_all: Vec<&String> = got.map(|g| g.iter().collect()).unwrap_or_default();
            (rest == got_all).then_some("non-ecs-service-category")?
        }
        // A denied connection is a failed connection for Vigil; Beats reports the device's
        // action (the block) as a success.
        ("event.outcome", "success", Some("failure"))
            if input.contains("action=\"BLOCK\"") || input.contains(",deny,") =>
        {
            "denied-outcome"
        }
        // `network_traffic` is no ECS category (Beats' PAN-OS module adds it).
        ("event.category", _, Some(_)) if has("network_traffic") => {
            let rest: Vec<&String> = want.iter().filter(|w| *w != "network_traffic").collect();
            let got_all: Vec<&String> = got.map(|g| g.iter().collect()).unwrap_or_default();
            (rest == got_all).then_some("non-ecs-network-traffic-category")?
        }
        // Wazuh's Fortinet goldens misspell the outcome.
        ("event.outcome", "sucess", _) if format == "wazuh-engine/fortinet" => "wazuh-outcome-typo",
        // FortiClient `status=deny`, Sophos XG `log_subtype="Drop"`: the connection failed.
        ("event.outcome", "success" | "unknown", Some("failure"))
            if (format == "wazuh-engine/fortinet" && input.contains(" status=deny "))
                || (format == "wazuh-engine/sophos" && input.contains("log_subtype=\"Drop\"")) =>
        {
            "denied-outcome"
        }
        // FSSO logon: `user` is no type of `authentication`.
        ("event.type", _, Some(_)) if format == "wazuh-engine/fortinet" && has("user") => {
            let rest: Vec<&String> = want.iter().filter(|w| *w != "user").collect();
            let got_all: Vec<&String> = got.map(|g| g.iter().collect()).unwrap_or_default();
            (rest == got_all).then_some("fortinet-authentication-type")?
        }
        // FortiGate web filter: Vigil adds `web` to `network`.
        ("event.category", _, Some(_))
            if format == "wazuh-engine/fortinet" && input.contains("subtype=\"webfilter\"") =>
        {
            let got_all: Vec<&String> = got.map(|g| g.iter().collect()).unwrap_or_default();
            let rest: Vec<&String> = got_all.into_iter().filter(|v| *v != "web").collect();
            let want_all: Vec<&String> = want.iter().collect();
            (rest == want_all).then_some("fortinet-webfilter-category")?
        }
        // A FortiManager sample with both `srcport=` and `src_port=`: Vigil keeps the
        // port that goes with the address it took (`src=`, the later pair).
        ("source.port", w, Some(g))
            if format == "wazuh-engine/fortinet"
                && input.contains(&format!(" srcport={w} "))
                && input.contains(&format!(" src_port={g} ")) =>
        {
            "fortimanager-duplicate-fields"
        }
        // Sophos XG: Wazuh keeps the case of `log_subtype` for IDP only.
        ("event.action", w, Some(g))
            if format == "wazuh-engine/sophos" && w != g && w.to_ascii_lowercase() == g =>
        {
            "sophos-action-case"
        }
        // Sophos XG anti-spam: Wazuh appends every category and type it knows.
        ("event.category" | "event.type", _, Some(_))
            if format == "wazuh-engine/sophos" && input.contains("log_type=\"Anti-Spam\"") =>
        {
            "sophos-antispam-category"
        }
        // An empty address written as a blank.
        ("source.ip" | "destination.ip", w, None) if w.trim().is_empty() => "wazuh-blank-address",
        // Sophos XG informational logs (wireless): Wazuh's default outcome and the
        // Filebeat module's default host name, neither in the line.
        ("event.outcome", "success", None)
            if format == "wazuh-engine/sophos" && input.contains("log_subtype=\"Information\"") =>
        {
            "wazuh-default-outcome"
        }
        ("host.name", w, None) if format == "wazuh-engine/sophos" && !input.contains(w) => {
            "sophos-default-host-name"
        }
        // `unknown` outcome where the source reports no result: Vigil leaves it unset.
        ("event.outcome", "unknown", None) => "outcome-unknown",
        // CloudTrail assumed role: Vigil's user is the role session, Wazuh's the role.
        ("user.name", w, Some(_))
            if format.ends_with("aws-cloudtrail")
                && input.contains(&format!("assumed-role/{w}/")) =>
        {
            "cloudtrail-assumed-role-user"
        }
        // ELB: Wazuh takes the request URL's host and port as the source; Vigil the client.
        ("source.ip", w, Some(_))
            if format.ends_with("aws-elb") && input.contains(&format!("://{w}")) =>
        {
            "wazuh-elb-source"
        }
        ("source.port", w, Some(_))
            if format.ends_with("aws-elb") && input.contains(&format!(":{w}/")) =>
        {
            "wazuh-elb-source"
        }
        // Wazuh puts the load balancer's name in process.name; Vigil in observer.name.
        ("process.name", _, None) if format.ends_with("aws-elb") => "wazuh-elb-process-name",
        // An access log line is web / access in ECS (`connection` is no type of `web`).
        ("event.type", "connection", Some("access")) if format.ends_with("aws-elb") => {
            "elb-access-type"
        }
        // The Wazuh agent's name, not in the log line (database logs carry no host).
        ("host.name", _, None) if format == "wazuh-engine/mysql" => "wazuh-agent-host",
        // Cisco ASA: Beats labels every message `firewall-rule`; Vigil names the message.
        ("event.action", "firewall-rule", Some(_)) if format.ends_with("/cisco-asa") => {
            "cisco-asa-action"
        }
        // 113019 `IP = peer`: the VPN client is the source for Vigil.
        ("destination.ip", w, None)
            if format.ends_with("/cisco-asa")
                && input.contains(&format!("IP = {w}"))
                && got_source(case, w) =>
        {
            "cisco-asa-vpn-peer"
        }
        ("event.type", "error", Some("info")) if format == "wazuh-engine/apache-error" => {
            "wazuh-apache-error-type"
        }
        // rsyslog's own names and defaults.
        ("log.syslog.severity.name", w, Some(g)) if source == "rsyslog-testbench" => {
            let same = g.starts_with(w) || (w == "err" && g == "error");
            same.then_some("syslog-severity-names")?
        }
        (
            "log.syslog.priority" | "log.syslog.facility.name" | "log.syslog.severity.name",
            _,
            None,
        ) if source == "rsyslog-testbench" && !input.starts_with('<') => "syslog-no-pri",
        ("process.name", w, Some(g))
            if source == "rsyslog-testbench" && w.starts_with(&format!("{g}(")) =>
        {
            "syslog-program-module"
        }
        ("message", w, Some(_)) if source == "rsyslog-testbench" && rsyslog_escaped(w) => {
            "syslog-control-escapes"
        }
        ("process.name", _, None) if source == "rsyslog-testbench" => "syslog-tag-without-colon",
        ("message", w, Some(g))
            if source == "rsyslog-testbench" && g.starts_with('[') && g.ends_with(w) =>
        {
            "syslog-invalid-sd"
        }
        ("message", w, Some(g)) if source == "rsyslog-testbench" && g.ends_with(w) => {
            "syslog-tag-without-colon"
        }
        _ => return None,
    };
    Some(section)
}

/// Whether Vigil put `ip` in `source.ip` for this case's input.
fn got_source(case: &Case, ip: &str) -> bool {
    parse_line(case.input.as_bytes(), &case.ctx).get_str("source.ip") == Some(ip)
}

/// rsyslog's `#ooo` escape of a control or 8-bit byte (`#011` for a tab).
fn rsyslog_escaped(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(3))
        .any(|i| b[i] == b'#' && b[i + 1..i + 4].iter().all(u8::is_ascii_digit))
}

fn compare(format: &str, case: &Case, event: &Event, fields: &[String], tally: &mut Tally) {
    tally.events += 1;
    for field in fields {
        if field.contains(".geo.") || field.contains(".as.") {
            continue;
        }
        let Some(mut want) = lookup(&case.golden, field).and_then(|v| norm(field, v)) else {
            continue;
        };
        let mut got = event.get(field).and_then(|v| norm(field, v));
        if case.yearless && field == "@timestamp" {
            // `2017-03-07T19:06:53.000Z` -> `03-07T19:06:53`
            let cut = |v: &mut Vec<String>| {
                for t in v.iter_mut() {
                    *t = t.get(5..19).unwrap_or(t).to_string();
                }
            };
            cut(&mut want);
            if let Some(g) = got.as_mut() {
                cut(g);
            }
        }
        tally.compared += 1;
        if got.as_ref() == Some(&want) {
            tally.matched += 1;
        } else if let Some(section) = GATED
            .contains(&format)
            .then(|| documented(format, field, &want, got.as_deref(), case))
            .flatten()
        {
            *tally.documented.entry(section).or_default() += 1;
        } else {
            tally.mismatches.push(format!(
                "{}: {field}: golden {want:?}, vigil {got:?}\n      input: {}",
                case.unit,
                case.input.chars().take(160).collect::<String>()
            ));
        }
    }
}

/// The fields compared for a format: the ECS list, plus the native header fields of the
/// non-ECS goldens (they carry what their suites check).
fn fields_for(format: &str) -> Vec<String> {
    let mut fields: Vec<String> = FIELDS.iter().map(|f| f.to_string()).collect();
    match format.split('/').next().unwrap_or("") {
        "rsyslog-testbench" => fields.extend(
            [
                "log.syslog.priority",
                "log.syslog.facility.name",
                "log.syslog.severity.name",
                "message",
            ]
            .map(String::from),
        ),
        "graylog-cef" => fields.extend(
            [
                "observer.vendor",
                "observer.product",
                "observer.version",
                "observer.hostname",
                "event.code",
                "cef.name",
                "cef.severity",
            ]
            .map(String::from),
        ),
        "loghub" => fields.push("log.level".into()),
        _ => {}
    }
    fields
}

#[test]
fn conformance_against_golden_outputs() {
    let formats = format_dirs();
    assert!(
        !formats.is_empty(),
        "no test units under {} (set VIGIL_TEST_DATA)",
        data_dir().join("parsers").display()
    );
    let mut results: Vec<(String, Tally)> = Vec::new();
    for (format, dirs) in &formats {
        let fields = fields_for(format);
        let mut tally = Tally::default();
        for case in cases_for(format, dirs) {
            let event = parse_line(case.input.as_bytes(), &case.ctx);
            compare(format, &case, &event, &fields, &mut tally);
        }
        results.push((format.clone(), tally));
    }

    let show_all = std::env::var_os("VIGIL_CONFORMANCE_VERBOSE").is_some();
    println!();
    println!(
        "{:<46} {:<9} {:>6} {:>8} {:>7} {:>10} {:>7}",
        "format", "status", "events", "compared", "matched", "documented", "%"
    );
    let mut failures = Vec::new();
    for (format, tally) in &results {
        let gated = GATED.contains(&format.as_str());
        println!(
            "{:<46} {:<9} {:>6} {:>8} {:>7} {:>10} {:>6.1}%",
            format,
            if gated {
                "parser"
            } else if PARTIAL.iter().any(|(f, _)| f == format) {
                "partial"
            } else {
                "no parser"
            },
            tally.events,
            tally.compared,
            tally.matched,
            tally.documented_total(),
            tally.percent()
        );
        if gated && tally.percent() < THRESHOLD {
            failures.push(format!("{format}: {:.1}%", tally.percent()));
        }
    }
    println!();
    for (format, tally) in &results {
        if !tally.documented.is_empty() {
            println!("{format}: documented differences {:?}", tally.documented);
        }
        let gated = GATED.contains(&format.as_str());
        if gated || show_all {
            for m in tally
                .mismatches
                .iter()
                .take(if show_all { 1000 } else { 12 })
            {
                println!("  MISMATCH {m}");
            }
        }
    }
    for (format, why) in PARTIAL {
        println!("{format}: partial: {why}");
    }
    for gated in GATED {
        assert!(
            results.iter().any(|(f, t)| f == gated && t.events > 0),
            "gated format {gated} has no units"
        );
    }
    assert!(
        failures.is_empty(),
        "below {THRESHOLD}% on the detection fields: {failures:?}"
    );
}

#[test]
fn zone_offsets_as_goldens_write_them() {
    assert_eq!(zone_offset("-02:00"), Some(-7200));
    assert_eq!(zone_offset("+0000"), Some(0));
    assert_eq!(zone_offset("+05:30"), Some(19800));
    assert_eq!(zone_offset("CEST"), None);
    let offset = FixedOffset::east_opt(0).map(|o| o.local_minus_utc());
    assert_eq!(offset, Some(0));
}
