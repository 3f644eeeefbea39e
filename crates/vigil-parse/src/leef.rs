//! IBM QRadar Log Event Extended Format, versions 1.0 and 2.0, standalone or as the
//! message of a syslog record:
//!
//! * `LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value...`
//! * `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|key=value<D>key=value...`, where the
//!   delimiter field is optional: one character (`^`), or its code in hex (`x5E`, `0x5E`,
//!   `x09`); an empty or absent field means tab.
//!
//! Header fields unescape `\|` and `\\`. Attributes are split at the delimiter, then at
//! the first `=`; a piece without `=` is appended (with the delimiter) to the previous
//! value. Lenient fallback for senders that ignore the delimiter: when it never occurs
//! but the attributes hold several `key=` words, they are split like CEF (a value runs
//! until the next ` key=`). Attribute values are kept as written (no unescaping: LEEF
//! has none, and Windows paths are common), trimmed.
//!
//! Native fields: header under `leef.header.{version,vendor,product,product_version,
//! event_id,delimiter}`, every attribute verbatim under `leef.<key>` (an attribute
//! literally named `header` is stored as `leef._header`).
//!
//! ECS:
//!
//! | LEEF | ECS |
//! | --- | --- |
//! | Vendor / Product / Version | `observer.vendor` / `observer.product` / `observer.version` |
//! | EventID | `event.code` |
//! | `src` `dst` (IP addresses) | `source.ip` `destination.ip` (+ `related.ip`) |
//! | `srcPort` `dstPort` | `source.port` `destination.port` |
//! | `srcPostNAT` `dstPostNAT`, `srcPostNATPort` `dstPostNATPort` | `source.nat.ip` `destination.nat.ip`, `.nat.port` |
//! | `srcMAC` `dstMAC` | `source.mac` `destination.mac` |
//! | `srcBytes` `dstBytes` `srcPackets` `dstPackets` | `source.bytes` `destination.bytes` `source.packets` `destination.packets` |
//! | `usrName` | `user.name` (+ `related.user`) |
//! | `proto` (name or number) | `network.transport`, `network.iana_number` |
//! | `sev` (1-10) | `event.severity` |
//! | `devTime` with `devTimeFormat` (Java pattern), else epoch ms / `MMM dd yyyy HH:mm:ss[.SSS][ zzz]` / ISO 8601 | `@timestamp` (zone-less: the context's offset) |
//! | `url` | `url.original` |
//! | `action` | `event.action` |
//! | `msg` / `message` | `message` (otherwise the whole line or syslog message) |

use std::borrow::Cow;

use serde_json::{Map, Value};
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use crate::cef::{split_extension, split_header};
use crate::ecs::{set_ip, set_mac, set_number, set_port, set_str, set_transport, set_user};
use crate::error::LeefError;
use crate::{time, ParseContext};

/// Parses a line whose LEEF record starts at byte `start` into a new event.
pub fn parse(text: &str, start: usize, ctx: &ParseContext) -> Result<Event, LeefError> {
    let leef = text.get(start..).ok_or(LeefError("no LEEF record"))?;
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", text);
    event.set("event.kind", "event");
    apply(leef, ctx, &mut event)?;
    Ok(event)
}

/// Decodes the LEEF record `leef` (starting with `LEEF:`) into `event`; on error the event
/// is left untouched.
pub(crate) fn apply(leef: &str, ctx: &ParseContext, event: &mut Event) -> Result<(), LeefError> {
    let rest = leef
        .strip_prefix("LEEF:")
        .ok_or(LeefError("missing 'LEEF:' prefix"))?;
    let (header, attributes) = split_header(rest, 5);
    if header.len() < 5 {
        return Err(LeefError("header has fewer than 5 '|'-separated fields"));
    }
    let version = header[0].trim();
    let major = version.split('.').next().unwrap_or("");
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LeefError("version is not a number"));
    }
    let attributes = attributes.unwrap_or("");
    let (delimiter, attributes) = if major == "1" {
        (None, attributes)
    } else {
        delimiter_field(attributes)
    };
    let pairs = split_attributes(attributes, delimiter.unwrap_or('\t'));

    let mut head = Map::new();
    head.insert("version".into(), version.into());
    head.insert("vendor".into(), header[1].as_ref().into());
    head.insert("product".into(), header[2].as_ref().into());
    head.insert("product_version".into(), header[3].as_ref().into());
    head.insert("event_id".into(), header[4].as_ref().into());
    if let Some(d) = delimiter {
        head.insert("delimiter".into(), d.to_string().into());
    }
    let mut object = Map::new();
    object.insert("header".into(), Value::Object(head));
    for (key, value) in &pairs {
        let key = if *key == "header" { "_header" } else { key };
        object.insert(key.to_string(), Value::from(value.as_ref()));
    }
    event.set("leef", Value::Object(object));

    set_str(event, "observer.vendor", header[1].trim());
    set_str(event, "observer.product", header[2].trim());
    set_str(event, "observer.version", header[3].trim());
    set_str(event, "event.code", header[4].trim());
    let mut dev_time = None;
    let mut dev_time_format = None;
    for (key, value) in &pairs {
        let value = value.as_ref();
        match *key {
            "devTime" => dev_time = Some(value),
            "devTimeFormat" => dev_time_format = Some(value),
            _ => map_attribute(key, value, event),
        }
    }
    if let Some(value) = dev_time {
        let t = match dev_time_format.filter(|f| !f.trim().is_empty()) {
            Some(format) => {
                time::parse_java_pattern(value, format, ctx.default_offset, ctx.received)
            }
            None => time::parse_device_time(value, ctx.default_offset, ctx.received),
        };
        if let Some(t) = t {
            event.set("@timestamp", format_timestamp(t));
        }
    }
    Ok(())
}

/// The optional LEEF 2.0 delimiter field at the start of `s`, and the attributes after it.
fn delimiter_field(s: &str) -> (Option<char>, &str) {
    // Hex: x5E| or 0x5E| (1 to 4 hex digits).
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .or_else(|| s.strip_prefix('x'))
        .or_else(|| s.strip_prefix('X'));
    if let Some(hex) = hex {
        if let Some((digits, rest)) = hex.split_once('|') {
            if (1..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                let c = u32::from_str_radix(digits, 16)
                    .ok()
                    .and_then(char::from_u32);
                if let Some(c) = c {
                    return (Some(c), rest);
                }
            }
        }
    }
    let mut chars = s.chars();
    if let Some(c) = chars.next() {
        let after = chars.as_str();
        if let Some(rest) = after.strip_prefix('|') {
            return (Some(c), rest);
        }
        if c == '|' {
            // Empty delimiter field: tab.
            return (None, after);
        }
    }
    (None, s)
}

/// Splits attributes at `delimiter` (see the module documentation for the fallback).
fn split_attributes(s: &str, delimiter: char) -> Vec<(&str, Cow<'_, str>)> {
    if !s.contains(delimiter) {
        let pairs = split_extension(s, false);
        if pairs.len() > 1 {
            return pairs;
        }
    }
    let mut pairs: Vec<(&str, Cow<'_, str>)> = Vec::new();
    for piece in s.split(delimiter) {
        match piece.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                pairs.push((key.trim(), Cow::Borrowed(value.trim())));
            }
            _ => {
                if piece.trim().is_empty() {
                    continue;
                }
                if let Some((_, value)) = pairs.last_mut() {
                    let joined = format!("{value}{delimiter}{piece}");
                    *value = Cow::Owned(joined.trim().to_string());
                }
            }
        }
    }
    pairs
}

/// Maps one attribute to ECS.
fn map_attribute(key: &str, value: &str, event: &mut Event) {
    if value.is_empty() {
        return;
    }
    match key {
        "src" => {
            set_ip(event, "source", value);
        }
        "dst" => {
            set_ip(event, "destination", value);
        }
        "srcPort" => {
            set_port(event, "source.port", value);
        }
        "dstPort" => {
            set_port(event, "destination.port", value);
        }
        "srcPostNAT" => {
            set_ip(event, "source.nat", value);
        }
        "dstPostNAT" => {
            set_ip(event, "destination.nat", value);
        }
        "srcPostNATPort" => {
            set_port(event, "source.nat.port", value);
        }
        "dstPostNATPort" => {
            set_port(event, "destination.nat.port", value);
        }
        "srcMAC" => set_mac(event, "source.mac", value),
        "dstMAC" => set_mac(event, "destination.mac", value),
        "srcBytes" => {
            set_number(event, "source.bytes", value);
        }
        "dstBytes" => {
            set_number(event, "destination.bytes", value);
        }
        "srcPackets" => {
            set_number(event, "source.packets", value);
        }
        "dstPackets" => {
            set_number(event, "destination.packets", value);
        }
        "usrName" => set_user(event, "user.name", value),
        "proto" => set_transport(event, value),
        "sev" => {
            set_number(event, "event.severity", value);
        }
        "url" => set_str(event, "url.original", value),
        "action" => set_str(event, "event.action", value),
        "msg" | "message" => event.set("message", value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(s: &str, d: char) -> Vec<(String, String)> {
        split_attributes(s, d)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_owned()))
            .collect()
    }

    #[test]
    fn delimiter_forms() {
        assert_eq!(delimiter_field("^|a=1^b=2"), (Some('^'), "a=1^b=2"));
        assert_eq!(delimiter_field("x5E|a=1^b=2"), (Some('^'), "a=1^b=2"));
        assert_eq!(delimiter_field("0x09|a=1"), (Some('\t'), "a=1"));
        assert_eq!(delimiter_field("||a=1|b=2"), (Some('|'), "a=1|b=2"));
        assert_eq!(delimiter_field("|a=1"), (None, "a=1"));
        assert_eq!(delimiter_field("a=1\tb=2"), (None, "a=1\tb=2"));
        assert_eq!(delimiter_field("xyz=1"), (None, "xyz=1"));
        assert_eq!(delimiter_field(""), (None, ""));
    }

    #[test]
    fn attribute_splitting() {
        assert_eq!(
            attrs("src=1.2.3.4\tmsg=a b\tpath=C:\\new", '\t'),
            vec![
                ("src".to_string(), "1.2.3.4".to_string()),
                ("msg".to_string(), "a b".to_string()),
                ("path".to_string(), "C:\\new".to_string()),
            ]
        );
        // A piece without '=' belongs to the previous value.
        assert_eq!(
            attrs("a=1^2^b=3", '^'),
            vec![
                ("a".to_string(), "1^2".to_string()),
                ("b".to_string(), "3".to_string())
            ]
        );
        // Space-separated fallback.
        assert_eq!(
            attrs("src=1.2.3.4 usrName=bob smith", '\t'),
            vec![
                ("src".to_string(), "1.2.3.4".to_string()),
                ("usrName".to_string(), "bob smith".to_string())
            ]
        );
    }
}
