//! Linux audit (auditd) records: `type=SYSCALL msg=audit(1364481363.243:24287): arch=...
//! uid=1000 comm="cat" exe="/usr/bin/cat" key=(null)`, standalone (optionally after
//! `node=<host> `) or as the message of a syslog record from `audispd` / `auditd` or a
//! kernel `audit: type=1400 audit(...): ...` line.
//!
//! Mapping: `@timestamp` from `msg=audit(<epoch>.<ms>:<serial>)`, `auditd.sequence`
//! (serial), `event.action` (the record type, lower case), `event.outcome` (`success=` or
//! `res=`), `user.id` (`uid`), `user.audit.id` (`auid`, omitted when unset: 4294967295 or
//! -1), `process.pid` / `process.ppid`, `process.executable` (`exe`), `process.name`
//! (`comm`), `process.title` (decoded `proctitle`), `process.args` (EXECVE `a0..`),
//! `source.ip` (`addr` when an IP), `host.name` (`hostname` unless `?`), `user.name`
//! (`acct`), `event.category` / `event.type` (authentication for USER_AUTH / USER_ACCT /
//! USER_LOGIN, session for USER_START / USER_END, iam for the account and group
//! management records, process for SYSCALL / EXECVE / ANOM_ABEND). The user-space `msg='...'` payload is unpacked into the same fields
//! (the outer record's keys win). Every raw key is kept, unquoted, under `auditd.data.*`.
//!
//! One kernel event is several records sharing the serial; [`join_audit_records`] merges
//! them in a batch, and [`parse_joined`] parses one multi-line text holding the records of
//! one event (what a file source with `join = "auditd"` and `vigil ingest` hand over) into one
//! event.

use chrono::DateTime;
use serde_json::{Map, Value};
use vigil_core::Event;

use crate::ecs;
use crate::programs::{push_related, set_user};

/// The `auid` / `uid` value meaning "unset".
const UNSET_ID: &str = "4294967295";

/// Parses a standalone audit line (`type=... msg=audit(...): ...`, optionally after
/// `node=<name> `); `None` when the line is not one.
pub fn parse(text: &str) -> Option<Event> {
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", text);
    apply(text, &mut event).then_some(event)
}

/// Maps an audit record (a syslog message or a whole line) into `event`; returns whether
/// it was one. A kernel `audit: ` prefix is accepted.
pub(crate) fn apply(message: &str, event: &mut Event) -> bool {
    let text = message.trim_start();
    let text = text.strip_prefix("audit:").map_or(text, str::trim_start);
    let mut pairs = tokens(text);
    let mut node = None;
    if pairs.first().is_some_and(|(k, _, _)| k == "node") {
        node = Some(pairs.remove(0).1);
    }
    // The header: `type=X msg=audit(...):` or the kernel's `type=1400 audit(...):`.
    let Some(header) = text.find("audit(") else {
        return false;
    };
    let Some((stamp, rest)) = text[header + 6..].split_once(')') else {
        return false;
    };
    let Some((secs, serial)) = stamp.split_once(':') else {
        return false;
    };
    let Ok(serial) = serial.parse::<u64>() else {
        return false;
    };
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
    let (Ok(whole), Ok(millis)) = (
        whole.parse::<i64>(),
        frac.get(..3).unwrap_or(frac).parse::<u32>(),
    ) else {
        return false;
    };
    let scale = 10u32.pow(3u32.saturating_sub(frac.len().min(3) as u32));
    let record_type = match pairs.first() {
        Some((k, v, _)) if k == "type" => v.clone(),
        _ => return false,
    };
    if let Some(t) = DateTime::from_timestamp(whole, millis.saturating_mul(scale) * 1_000_000) {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    // The key=value pairs after the header, then the user-space `msg='...'` payload.
    let body = rest.strip_prefix(':').unwrap_or(rest);
    let mut data: Vec<(String, String, bool)> = vec![("type".into(), record_type.clone(), false)];
    for (k, v, quoted) in tokens(body) {
        if k == "msg" && quoted {
            for inner in tokens(&v) {
                if !data.iter().any(|(dk, _, _)| *dk == inner.0) {
                    data.push(inner);
                }
            }
        } else if !data.iter().any(|(dk, _, _)| *dk == k) {
            data.push((k, v, quoted));
        }
    }

    event.set("event.kind", "event");
    event.set("event.module", "auditd");
    event.set("auditd.sequence", serial);
    event.set("event.action", record_type.to_ascii_lowercase());
    if let Some(node) = node {
        ecs::set_domain(event, "host.name", &node);
    }
    let (category, types): (&str, &[&str]) = match record_type.as_str() {
        "USER_AUTH" | "USER_ACCT" => ("authentication", &["info"]),
        "USER_LOGIN" => ("authentication", &[]),
        "USER_START" => ("session", &["start"]),
        "USER_END" => ("session", &["end"]),
        "ADD_USER" => ("iam", &["creation", "user"]),
        "DEL_USER" => ("iam", &["deletion", "user"]),
        "ADD_GROUP" => ("iam", &["creation", "group"]),
        "DEL_GROUP" => ("iam", &["deletion", "group"]),
        "USER_CHAUTHTOK" | "USER_MGMT" => ("iam", &["change", "user"]),
        "GRP_MGMT" | "GRP_CHAUTHTOK" => ("iam", &["change", "group"]),
        "ANOM_ABEND" => ("process", &["end"]),
        "SYSCALL" | "EXECVE" => ("process", &[]),
        _ => ("", &[]),
    };
    if !category.is_empty() {
        set_category(event, category);
    }
    if !types.is_empty() {
        ecs::set_array(event, "event.type", types);
    }
    let mut args: Vec<(usize, String)> = Vec::new();
    let mut raw = Map::new();
    for (key, value, quoted) in &data {
        raw.insert(key.clone(), Value::from(value.as_str()));
        let v = value.as_str();
        match key.as_str() {
            "success" => match v {
                "yes" => event.set("event.outcome", "success"),
                "no" => event.set("event.outcome", "failure"),
                _ => {}
            },
            "res" => ecs::set_outcome(event, v),
            "uid" if v != UNSET_ID => ecs::set_str(event, "user.id", v),
            "auid" if v != UNSET_ID && v != "-1" => ecs::set_str(event, "user.audit.id", v),
            "pid" => {
                ecs::set_number(event, "process.pid", v);
            }
            "ppid" => {
                ecs::set_number(event, "process.parent.pid", v);
            }
            "exe" if v != "?" && v != "(null)" => ecs::set_str(event, "process.executable", v),
            "comm" if v != "?" && v != "(null)" => ecs::set_str(event, "process.name", v),
            "proctitle" => {
                let title = if *quoted {
                    v.to_string()
                } else {
                    decode_hex_args(v)
                };
                ecs::set_str(event, "process.title", &title);
            }
            "addr" => {
                ecs::set_ip(event, "source", v);
            }
            "hostname" if v != "?" => ecs::set_domain(event, "host.name", v),
            "acct" if v != "?" && v != "(unknown)" => set_user(event, v),
            _ => {
                if record_type == "EXECVE" {
                    if let Some(n) = key.strip_prefix('a').and_then(|n| n.parse::<usize>().ok()) {
                        let arg = if *quoted {
                            v.to_string()
                        } else {
                            decode_hex_args(v)
                        };
                        args.push((n, arg));
                    }
                }
            }
        }
    }
    if let Some(pid) = event.get("process.parent.pid").cloned() {
        // ECS has process.parent.pid; `ppid` is kept as process.ppid too for lookups.
        event.set("process.ppid", pid);
    }
    if !args.is_empty() {
        args.sort_by_key(|(n, _)| *n);
        let values: Vec<&str> = args.iter().map(|(_, a)| a.as_str()).collect();
        ecs::set_array(event, "process.args", &values);
    }
    if let Some(uid) = event.get_str("user.id").map(str::to_string) {
        push_related(event, "related.user", &uid);
    }
    event.set("auditd.data", Value::Object(raw));
    true
}

fn set_category(event: &mut Event, category: &str) {
    event.set("event.category", Value::Array(vec![Value::from(category)]));
}

/// Decodes an audit hex string (`2F62696E2F6C73002D6C`); NUL-separated arguments are
/// joined with spaces. A value that is not even-length hex is returned unchanged.
pub fn decode_hex_args(value: &str) -> String {
    let b = value.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(2) || !b.iter().all(u8::is_ascii_hexdigit) {
        return value.to_string();
    }
    let bytes: Vec<u8> = b
        .chunks(2)
        .filter_map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    text.split('\0')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `key=value` tokens: values in double or single quotes (returned unquoted, flagged), or
/// bare up to the next blank. Words without `=` and keys that are not `[A-Za-z0-9_-]+` are
/// skipped.
fn tokens(text: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return out;
        }
        let word_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = &rest[..word_end];
        if !rest[word_end..].starts_with('=') {
            rest = &rest[word_end..];
            continue;
        }
        let after = &rest[word_end + 1..];
        let (value, quoted, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => match closing_quote(&after[1..], q) {
                Some(end) => (
                    unescape_quotes(&after[1..1 + end], q),
                    true,
                    &after[end + 2..],
                ),
                None => (unescape_quotes(&after[1..], q), true, ""),
            },
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (after[..end].to_string(), false, &after[end..])
            }
        };
        let valid_key = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid_key {
            out.push((key.to_string(), value, quoted));
        }
        rest = next;
    }
}

/// Byte offset of the quote `q` closing a value, skipping backslash-escaped quotes
/// (`msg="unit=x comm=\\"systemd\\""`, as some forwarders write user-space payloads).
fn closing_quote(s: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == q && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

/// A quoted value with its backslash-escaped quotes unescaped.
fn unescape_quotes(s: &str, q: char) -> String {
    s.replace(&format!("\\{q}"), &q.to_string())
}

/// Merges records that share `auditd.sequence` (one kernel event): the first record's
/// fields win, the later records are appended whole under `auditd.records[]` and their
/// fields fill in what the first lacks. Events without a sequence pass through unchanged;
/// order of first appearance is kept.
pub fn join_audit_records(events: &[Event]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut index: Vec<(u64, usize)> = Vec::new();
    for event in events {
        let Some(seq) = event.get("auditd.sequence").and_then(Value::as_u64) else {
            out.push(event.clone());
            continue;
        };
        match index.iter().find(|(s, _)| *s == seq) {
            None => {
                index.push((seq, out.len()));
                out.push(event.clone());
            }
            Some(&(_, at)) => merge_record(&mut out[at], event),
        }
    }
    out
}

/// Folds a later record of the same event into `first` (see [`join_audit_records`]).
fn merge_record(first: &mut Event, record: &Event) {
    for (path, value) in record.flatten() {
        if !path.starts_with("auditd.") && path != "event.original" && path != "message" {
            first.set_default(&path, value.clone());
        }
    }
    let mut records = match first.remove("auditd.records") {
        Some(Value::Array(r)) => r,
        _ => Vec::new(),
    };
    records.push(Value::Object(record.clone().into_map()));
    first.set("auditd.records", Value::Array(records));
}

/// The `<time>:<serial>` stamp of an audit record line as auditd writes it (`type=… msg=audit(…)`,
/// optionally after `node=<host> `): records of one kernel event share it. Any other line
/// (tried on every imported line) is rejected by its first bytes.
pub fn record_stamp(line: &[u8]) -> Option<&[u8]> {
    if !(line.starts_with(b"type=") || line.starts_with(b"node=")) {
        return None;
    }
    let head = &line[..line.len().min(256 + 6)];
    let at = head.windows(6).position(|w| w == b"audit(")? + 6;
    let len = line[at..].iter().take(64).position(|b| *b == b')')?;
    Some(&line[at..at + len])
}

/// Whether an audit record line is the end-of-event marker (`type=EOE`).
pub fn is_end_of_event(line: &[u8]) -> bool {
    let line = line
        .strip_prefix(b"node=")
        .and_then(|rest| {
            rest.iter()
                .position(|b| *b == b' ')
                .map(|sp| &rest[sp + 1..])
        })
        .unwrap_or(line);
    line.starts_with(b"type=EOE ")
}

/// Whether the first line of `text` is an audit record (`type=…`/`node=…` with `audit(`).
pub(crate) fn looks_like(text: &str) -> bool {
    // Tried on every line: the prefix check first, the search for the first line's end after.
    if !(text.starts_with("type=") || text.starts_with("node=")) {
        return false;
    }
    let first = text.split('\n').next().unwrap_or("");
    first.contains("audit(")
}

/// The records of one audit event, one per line (a file source joining by serial hands
/// them over this way), as one event: the first record's fields, the others folded in as
/// [`join_audit_records`] does, `event.original` and `message` the whole text. `None` when
/// no line is an audit record. Lines that are not records are kept in the original only.
pub fn parse_joined(text: &str) -> Option<Event> {
    let mut records = text
        .split('\n')
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.trim().is_empty())
        .filter_map(parse);
    let mut event = records.next()?;
    for record in records {
        merge_record(&mut event, &record);
    }
    event.set("event.original", text);
    event.set("message", text);
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_of_one_event_parse_as_one() {
        let text = "type=SYSCALL msg=audit(1733560001.250:4411): arch=c000003e syscall=59 success=yes exit=0 a0=55d6f1c0 ppid=900 pid=901 auid=1000 uid=1000 comm=\"arecord\" exe=\"/usr/bin/arecord\" key=\"audio\"\n\
                    type=EXECVE msg=audit(1733560001.250:4411): argc=3 a0=\"arecord\" a1=\"-vv\" a2=\"-fdat\"\n\
                    type=PROCTITLE msg=audit(1733560001.250:4411): proctitle=617265636F7264002D7676002D66646174\n\
                    type=EOE msg=audit(1733560001.250:4411): ";
        assert!(looks_like(text));
        assert_eq!(
            record_stamp(text.as_bytes()),
            Some(&b"1733560001.250:4411"[..])
        );
        assert!(record_stamp(b"Dec  7 host app: audit(1.2:3) quoted").is_none());
        assert_eq!(
            record_stamp(b"node=web-01 type=EOE msg=audit(1.2:3): "),
            Some(&b"1.2:3"[..])
        );
        assert!(is_end_of_event(b"type=EOE msg=audit(1.2:3): "));
        assert!(is_end_of_event(b"node=web-01 type=EOE msg=audit(1.2:3): "));
        assert!(!is_end_of_event(b"type=EXECVE msg=audit(1.2:3): "));
        let event = parse_joined(text).unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("syscall"));
        assert_eq!(event.get("auditd.sequence"), Some(&Value::from(4411)));
        assert_eq!(
            event.get_str("process.executable"),
            Some("/usr/bin/arecord")
        );
        // Fields only a later record has (EXECVE's arguments, PROCTITLE's title) fill in.
        assert_eq!(event.get_str("process.title"), Some("arecord -vv -fdat"));
        assert_eq!(
            event
                .get("auditd.records")
                .and_then(Value::as_array)
                .map(Vec::len),
            Some(3)
        );
        assert_eq!(event.get_str("event.original"), Some(text));
        assert!(parse_joined("not an audit record\nnor this").is_none());
    }

    #[test]
    fn hex_and_tokens() {
        assert_eq!(decode_hex_args("2F62696E2F6C73002D6C"), "/bin/ls -l");
        assert_eq!(decode_hex_args("xyz"), "xyz");
        let t = tokens(r#"a=1 b="two words" junk c='x=1 y' d"#);
        assert_eq!(t.len(), 3);
        assert_eq!(t[1], ("b".into(), "two words".into(), true));
    }
}
