//! ArcSight Common Event Format:
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`,
//! standalone or as the message of a syslog record (`... host CEF:0|...`, also after a
//! short tag such as `ASM:CEF:0|...`).
//!
//! Decoding: header fields unescape `\|` and `\\`; the extension is `key=value` pairs
//! where a value runs until the next ` key=` (so values may contain spaces), unescaping
//! `\=`, `\\`, `\n` and `\r`; values are trimmed. A trailing header without extension
//! (`...|Severity`) is accepted.
//!
//! Native fields: the header under `cef.version`, `cef.device.{vendor,product,version,
//! event_class_id}`, `cef.name`, `cef.severity` (as written), and every extension pair
//! verbatim under `cef.extensions.<key>` (string values, keys kept literally, dots
//! included). Custom labels: for any `<key>Label=<label>` whose `<key>` is present
//! (`cs1`/`cs1Label`, `cn2`/`cn2Label`, `cfp1`/`cfp1Label`, `deviceCustomDate1Label` ...)
//! the value of `<key>` is also stored as `cef.extensions.<label>`, unless that name is
//! already a raw key (raw keys win). The raw `cs1`/`cs1Label` pairs are kept too.
//!
//! ECS (short or full extension names):
//!
//! | CEF | ECS |
//! | --- | --- |
//! | Device Vendor / Product / Version | `observer.vendor` / `observer.product` / `observer.version` |
//! | Signature ID | `event.code` |
//! | Name (or the `msg` extension when present) | `message` |
//! | Severity `0`-`10` (or `Low`/`Medium`/`High`/`Very-High` = 0/4/7/9) | `event.severity` |
//! | `src` `dst` (IP addresses) | `source.ip` `destination.ip` (+ `related.ip`) |
//! | `spt` `dpt` | `source.port` `destination.port` |
//! | `suser` `duser` | `source.user.name` `destination.user.name` (+ `related.user`) |
//! | `suid` `duid` | `source.user.id` `destination.user.id` |
//! | `shost` `dhost` | `source.domain` `destination.domain` (+ `related.hosts`) |
//! | `smac` `dmac` | `source.mac` `destination.mac` (ECS notation) |
//! | `sourceTranslatedAddress`/`Port`, `destinationTranslatedAddress`/`Port` | `source.nat.ip`/`port`, `destination.nat.ip`/`port` |
//! | `in` `out` | `source.bytes` `destination.bytes` |
//! | `proto` | `network.transport` (lower case), `network.iana_number` |
//! | `app` | `network.protocol` (lower case) |
//! | `deviceDirection` 0 / 1 | `network.direction` inbound / outbound |
//! | `requestMethod` `request` `requestContext` `requestClientApplication` | `http.request.method` `url.original` `http.request.referrer` `user_agent.original` |
//! | `outcome` | `event.outcome` (success / failure / unknown when recognisable) |
//! | `act` | `event.action` |
//! | `fname` `filePath` `fsize` | `file.name` `file.path` `file.size` |
//! | `dvchost` `dvc` | `observer.hostname` `observer.ip` (a `dvc` that is a name: `observer.hostname`) |
//! | `rt` (epoch ms, `MMM dd [yyyy] HH:mm:ss[.SSS][ zone]`, ISO 8601) | `@timestamp` (zone-less: the context's offset) |
//! | `start` `end` | `event.start` `event.end` |
//!
//! `eventId`/`externalId` are not mapped to `event.id`: that is Vigil's unique event id.

use std::borrow::Cow;

use serde_json::{Map, Value};
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use crate::ecs::{
    set_domain, set_ip, set_mac, set_number, set_outcome, set_port, set_str, set_transport,
    set_user,
};
use crate::error::CefError;
use crate::{time, ParseContext};

/// Parses a line whose CEF record starts at byte `start` (0 for a bare record; after a
/// short prefix such as `ASM:` otherwise) into a new event.
pub fn parse(text: &str, start: usize, ctx: &ParseContext) -> Result<Event, CefError> {
    let cef = text.get(start..).ok_or(CefError("no CEF record"))?;
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", text);
    event.set("event.kind", "event");
    apply(cef, ctx, &mut event)?;
    Ok(event)
}

/// Decodes the CEF record `cef` (starting with `CEF:`) into `event`. On error the event
/// is left untouched.
pub(crate) fn apply(cef: &str, ctx: &ParseContext, event: &mut Event) -> Result<(), CefError> {
    let rest = cef
        .strip_prefix("CEF:")
        .ok_or(CefError("missing 'CEF:' prefix"))?;
    let (header, extension) = split_header(rest, 7);
    if header.len() < 7 {
        return Err(CefError("header has fewer than 7 '|'-separated fields"));
    }
    let version = header[0].trim();
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(CefError("version is not a number"));
    }
    let pairs = split_extension(extension.unwrap_or(""), true);

    let mut device = Map::new();
    device.insert("vendor".into(), header[1].as_ref().into());
    device.insert("product".into(), header[2].as_ref().into());
    device.insert("version".into(), header[3].as_ref().into());
    device.insert("event_class_id".into(), header[4].as_ref().into());
    let mut object = Map::new();
    object.insert("version".into(), version.into());
    object.insert("device".into(), Value::Object(device));
    object.insert("name".into(), header[5].as_ref().into());
    object.insert("severity".into(), header[6].as_ref().into());
    let extensions = extension_map(&pairs);
    if !extensions.is_empty() {
        object.insert("extensions".into(), Value::Object(extensions));
    }
    event.set("cef", Value::Object(object));

    set_str(event, "observer.vendor", header[1].trim());
    set_str(event, "observer.product", header[2].trim());
    set_str(event, "observer.version", header[3].trim());
    set_str(event, "event.code", header[4].trim());
    if !header[5].trim().is_empty() {
        event.set("message", header[5].trim());
    }
    if let Some(severity) = severity(&header[6]) {
        event.set("event.severity", severity);
    }
    for (key, value) in &pairs {
        map_extension(key, value, ctx, event);
    }
    Ok(())
}

/// The numeric severity: 0-10 as written, or the ArcSight words (lower bound of their
/// range: Low 0-3, Medium 4-6, High 7-8, Very-High 9-10).
fn severity(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    if let Ok(n) = raw.parse::<u64>() {
        return Some(n);
    }
    let word: String = raw
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match word.as_str() {
        "low" => Some(0),
        "medium" => Some(4),
        "high" => Some(7),
        "veryhigh" => Some(9),
        _ => None,
    }
}

/// Splits up to `max` `|`-separated header fields (unescaping `\|` and `\\`). Returns the
/// fields and, when all `max` fields were terminated by `|`, the rest after the last one.
/// A last unterminated field is returned as a field (and no rest).
pub(crate) fn split_header(s: &str, max: usize) -> (Vec<Cow<'_, str>>, Option<&str>) {
    let b = s.as_bytes();
    let mut fields = Vec::with_capacity(max);
    let mut start = 0;
    let mut escaped = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
            }
            b'|' => {
                fields.push(header_field(s.get(start..i).unwrap_or(""), escaped));
                escaped = false;
                i += 1;
                start = i;
                if fields.len() == max {
                    return (fields, Some(s.get(start..).unwrap_or("")));
                }
            }
            _ => i += 1,
        }
    }
    fields.push(header_field(s.get(start..).unwrap_or(""), escaped));
    (fields, None)
}

fn header_field(raw: &str, escaped: bool) -> Cow<'_, str> {
    if !escaped {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('|' | '\\')) => out.push(next),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Splits `key=value key2=value with spaces ...`: a key is a run of `[A-Za-z0-9_.-]`
/// at the start or after whitespace, followed by an unescaped `=`; its value runs until
/// the whitespace before the next key and is trimmed. With `unescape`, CEF extension
/// escapes are decoded (`\=`, `\\`, `\n`, `\r`, and `\|` leniently). Text before the first
/// key is ignored (it stays in `event.original`).
pub(crate) fn split_extension(ext: &str, unescape: bool) -> Vec<(&str, Cow<'_, str>)> {
    let b = ext.as_bytes();
    // (key start, '=' position)
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    // Only `=` and `\\` matter: jump between them (SIMD search; extensions run to kilobytes).
    while i < b.len() {
        let Some(found) = memchr::memchr2(b'=', b'\\', &b[i..]) else {
            break;
        };
        i += found;
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        let mut k = i;
        while k > 0 && is_key_char(b[k - 1]) {
            k -= 1;
        }
        let after_value = keys.last().is_none_or(|(_, eq)| k > *eq);
        if k < i && after_value && (k == 0 || matches!(b[k - 1], b' ' | b'\t')) {
            keys.push((k, i));
        }
        i += 1;
    }
    let mut pairs = Vec::with_capacity(keys.len());
    for (n, (key_start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(b.len(), |(next, _)| *next);
        let key = ext.get(*key_start..*eq).unwrap_or("");
        let raw = ext.get(eq + 1..end).unwrap_or("").trim();
        let value = if unescape && raw.contains('\\') {
            Cow::Owned(unescape_value(raw))
        } else {
            Cow::Borrowed(raw)
        };
        pairs.push((key, value));
    }
    pairs
}

fn unescape_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('=') => out.push('='),
            Some('\\') => out.push('\\'),
            Some('|') => out.push('|'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The raw pairs as a JSON object (last duplicate wins), plus label-named copies.
fn extension_map(pairs: &[(&str, Cow<'_, str>)]) -> Map<String, Value> {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert((*key).to_string(), Value::from(value.as_ref()));
    }
    let mut labelled = Vec::new();
    for (key, label) in pairs {
        let Some(base) = key.strip_suffix("Label").filter(|b| !b.is_empty()) else {
            continue;
        };
        let label = label.trim();
        if label.is_empty() || map.contains_key(label) {
            continue;
        }
        if let Some(value) = map.get(base) {
            labelled.push((label.to_string(), value.clone()));
        }
    }
    for (label, value) in labelled {
        map.insert(label, value);
    }
    map
}

/// Maps one extension pair to ECS.
fn map_extension(key: &str, value: &str, ctx: &ParseContext, event: &mut Event) {
    if value.is_empty() {
        return;
    }
    match key {
        "src" | "sourceAddress" => {
            set_ip(event, "source", value);
        }
        "dst" | "destinationAddress" => {
            set_ip(event, "destination", value);
        }
        "spt" | "sourcePort" => {
            set_port(event, "source.port", value);
        }
        "dpt" | "destinationPort" => {
            set_port(event, "destination.port", value);
        }
        "suser" | "sourceUserName" => set_user(event, "source.user.name", value),
        "duser" | "destinationUserName" => set_user(event, "destination.user.name", value),
        "suid" | "sourceUserId" => set_str(event, "source.user.id", value),
        "duid" | "destinationUserId" => set_str(event, "destination.user.id", value),
        "shost" | "sourceHostName" => set_domain(event, "source.domain", value),
        "dhost" | "destinationHostName" => set_domain(event, "destination.domain", value),
        "smac" | "sourceMacAddress" => set_mac(event, "source.mac", value),
        "dmac" | "destinationMacAddress" => set_mac(event, "destination.mac", value),
        "sourceTranslatedAddress" => {
            set_ip(event, "source.nat", value);
        }
        "destinationTranslatedAddress" => {
            set_ip(event, "destination.nat", value);
        }
        "sourceTranslatedPort" => {
            set_port(event, "source.nat.port", value);
        }
        "destinationTranslatedPort" => {
            set_port(event, "destination.nat.port", value);
        }
        "in" | "bytesIn" => {
            set_number(event, "source.bytes", value);
        }
        "out" | "bytesOut" => {
            set_number(event, "destination.bytes", value);
        }
        "proto" | "transportProtocol" => set_transport(event, value),
        "app" | "applicationProtocol" => {
            event.set("network.protocol", value.to_ascii_lowercase());
        }
        "deviceDirection" => match value {
            "0" => event.set("network.direction", "inbound"),
            "1" => event.set("network.direction", "outbound"),
            _ => {}
        },
        "requestMethod" => set_str(event, "http.request.method", value),
        "request" | "requestUrl" => set_str(event, "url.original", value),
        "requestContext" => set_str(event, "http.request.referrer", value),
        "requestClientApplication" => set_str(event, "user_agent.original", value),
        "outcome" | "eventOutcome" => set_outcome(event, value),
        "act" | "deviceAction" => set_str(event, "event.action", value),
        "fname" | "fileName" => set_str(event, "file.name", value),
        "filePath" => set_str(event, "file.path", value),
        "fsize" | "fileSize" => {
            set_number(event, "file.size", value);
        }
        "dvchost" | "deviceHostName" => set_domain(event, "observer.hostname", value),
        "dvc" | "deviceAddress" => set_device_address(event, value),
        "rt" | "deviceReceiptTime" => set_time(event, "@timestamp", value, ctx),
        "start" | "startTime" => set_time(event, "event.start", value, ctx),
        "end" | "endTime" => set_time(event, "event.end", value, ctx),
        "msg" | "message" => event.set("message", value),
        _ => {}
    }
}

/// `dvc`: `observer.ip`, or `observer.hostname` for a name (unless `dvchost` set one).
fn set_device_address(event: &mut Event, value: &str) {
    if set_ip(event, "observer", value) || event.get("observer.hostname").is_some() {
        return;
    }
    set_domain(event, "observer.hostname", value);
}

fn set_time(event: &mut Event, path: &str, value: &str, ctx: &ParseContext) {
    if let Some(t) = time::parse_device_time(value, ctx.default_offset, ctx.received) {
        event.set(path, format_timestamp(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(ext: &str) -> Vec<(String, String)> {
        split_extension(ext, true)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_owned()))
            .collect()
    }

    fn kv(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn header_escapes() {
        let (fields, rest) = split_header(r"0|Ven\|dor|Pro\\duct|1.0|100|a \n b|5|src=1", 7);
        assert_eq!(fields[1], "Ven|dor");
        assert_eq!(fields[2], r"Pro\duct");
        assert_eq!(fields[5], r"a \n b");
        assert_eq!(rest, Some("src=1"));
        let (fields, rest) = split_header("0|a|b", 7);
        assert_eq!((fields.len(), rest), (3, None));
        let (fields, rest) = split_header(r"0|a\", 7);
        assert_eq!((fields[1].as_ref(), rest), (r"a\", None));
    }

    #[test]
    fn extension_values_and_escapes() {
        assert_eq!(
            pairs(r"msg=hello world src=10.0.0.1 request=/a?b\=c&d\=e cs1=x\\y\nz act="),
            kv(&[
                ("msg", "hello world"),
                ("src", "10.0.0.1"),
                ("request", "/a?b=c&d=e"),
                ("cs1", "x\\y\nz"),
                ("act", "")
            ])
        );
        // Unescaped '=' inside a value not preceded by a space stays in the value.
        assert_eq!(
            pairs("request=https://x/?a=b c=d   "),
            kv(&[("request", "https://x/?a=b"), ("c", "d")])
        );
        assert_eq!(pairs("  "), kv(&[]));
        assert_eq!(pairs("=x"), kv(&[]));
        assert_eq!(pairs(r"a=\"), kv(&[("a", "\\")]));
    }

    #[test]
    fn labels_become_keys() {
        let p = split_extension(
            "cs1=maui cs1Label=policy_name cn1=5 cn1Label=src src=1.2.3.4 cs2Label=orphan",
            true,
        );
        let map = extension_map(&p);
        assert_eq!(map.get("policy_name"), Some(&Value::from("maui")));
        assert_eq!(map.get("cs1"), Some(&Value::from("maui")));
        // A label that names a raw key does not overwrite it.
        assert_eq!(map.get("src"), Some(&Value::from("1.2.3.4")));
        assert_eq!(map.get("orphan"), None);
    }

    #[test]
    fn severities() {
        assert_eq!(severity("10"), Some(10));
        assert_eq!(severity("Low"), Some(0));
        assert_eq!(severity("Very-High"), Some(9));
        assert_eq!(severity("Unknown"), None);
    }
}
