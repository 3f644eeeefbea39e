//! logfmt / `key=value` lines: `level=info msg="hello world" user=alice src=10.0.0.1`,
//! standalone or as the message of a syslog record from a program no other parser knows.
//!
//! Tokens are separated by whitespace. A pair is `key=value` where the key is
//! `[A-Za-z0-9_.@/-]+` (not starting with `=`) and the value is bare (up to whitespace),
//! empty, or quoted with `"` or `'` (escapes `\"`, `\'`, `\\`, `\n`, `\r`, `\t`; an
//! unterminated quote runs to the end). Anything else is a bare word. A line is taken
//! as key=value only when it has at least two pairs and the pairs cover at least two
//! thirds of its non-blank bytes, so prose with the odd `x=y` is not.
//!
//! Native fields: every pair under `kv.<key>` (string values as decoded; keys kept
//! literally, dots included; last duplicate wins). `kv.*` rather than the pairs' own
//! names because those are free-form: `host=web1` or `event=login` as top-level fields
//! would collide with ECS objects of the same name, and `message`/`tags`/`@timestamp`
//! would be overwritten with unchecked types.
//!
//! ECS (key names matched case-insensitively):
//!
//! | key | ECS |
//! | --- | --- |
//! | `src` `src_ip` `srcip` `source_ip` `source` `client_ip` | `source.ip` (IP addresses only) |
//! | `dst` `dst_ip` `dstip` `dest` `dest_ip` `destination_ip` `destination` | `destination.ip` (IP addresses only) |
//! | `src_port` `srcport` `sport` `spt` `source_port` / `dst_port` `dstport` `dport` `dpt` `dest_port` `destination_port` | `source.port` / `destination.port` |
//! | `user` `username` `user_name` `usr` | `user.name` (+ `related.user`) |
//! | `msg` `message` | `message` (otherwise the whole line or syslog message) |
//! | `level` `lvl` `severity` `loglevel` `log_level` | `log.level` |
//! | `time` `ts` `timestamp` `@timestamp` (ISO 8601) | `@timestamp` |
//! | `proto` `protocol` | `network.transport` (lower case), `network.iana_number` |
//! | `action` | `event.action` |
//! | `pid` (a number) | `process.pid` (unless the syslog header gave one) |
//!
//! FortiGate logs (`devid`, `logid` and `type` present), FortiClient logs (`logon_user` /
//! `traff_direct` with `status`), SonicWall logs (`id`, `sn`, `m`), Sophos XG logs
//! (`log_id`, `log_type`, `device_name`) and F5 BIG-IP AFM logs (`acl_*` with `[F5@` or
//! `bigip_mgmt_ip`) get their vendor mapping on top (`fortinet`, `sonicwall`, `sophos`,
//! `f5` modules), which moves the pairs from `kv.*` to the vendor's prefix
//! (`fortinet.firewall.*`, `sophos.xg.*`, `f5.bigipafm.*` ...; SonicWall keeps `kv.*`).

use std::borrow::Cow;

use serde_json::{Map, Value};
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use crate::ecs::{set_ip, set_number, set_port, set_str, set_transport, set_user};
use crate::{time, ParseContext};

/// The pairs of `s` when it is mostly key=value (see the module documentation).
pub(crate) fn pairs(s: &str) -> Option<Vec<(&str, Cow<'_, str>)>> {
    // Cheap reject: at least two '=' are needed.
    let b = s.as_bytes();
    if b.iter().filter(|c| **c == b'=').take(2).count() < 2 {
        return None;
    }
    let mut pairs = Vec::new();
    let mut paired = 0usize;
    let mut total = 0usize;
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        while i < b.len() && is_key_char(b[i]) {
            i += 1;
        }
        if i > start && b.get(i) == Some(&b'=') {
            let key = s.get(start..i).unwrap_or("");
            i += 1;
            let value = match b.get(i) {
                Some(q @ (b'"' | b'\'')) => {
                    let (value, end) = quoted(s, i + 1, *q);
                    i = end;
                    value
                }
                _ => {
                    let value_start = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    Cow::Borrowed(s.get(value_start..i).unwrap_or(""))
                }
            };
            paired += i - start;
            total += i - start;
            pairs.push((key, value));
            continue;
        }
        // A bare word: skip to the next whitespace.
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        total += i - start;
    }
    (pairs.len() >= 2 && paired * 3 >= total * 2).then_some(pairs)
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'@' | b'/')
}

/// A quoted value whose content starts at `start`; returns it and the index after the
/// closing quote (or the end).
fn quoted(s: &str, start: usize, quote: u8) -> (Cow<'_, str>, usize) {
    let b = s.as_bytes();
    let mut i = start;
    let mut escaped = false;
    while i < b.len() && b[i] != quote {
        if b[i] == b'\\' {
            escaped = true;
            i += 1;
        }
        i += 1;
    }
    let end = i.min(b.len());
    let raw = s.get(start..end).unwrap_or("");
    let value = if escaped {
        Cow::Owned(unescape(raw))
    } else {
        Cow::Borrowed(raw)
    };
    (value, (end + 1).min(b.len()))
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(c @ ('"' | '\'' | '\\')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Parses a standalone key=value line into a new event, if it is one.
pub fn parse(text: &str, ctx: &ParseContext) -> Option<Event> {
    let pairs = pairs(text)?;
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", text);
    event.set("event.kind", "event");
    apply_pairs(&pairs, ctx, &mut event);
    vendor(&mut event, ctx);
    Some(event)
}

/// Decodes `message` into `event` when it is mostly key=value; returns whether it was.
pub(crate) fn apply(message: &str, ctx: &ParseContext, event: &mut Event) -> bool {
    match pairs(message) {
        Some(pairs) => {
            apply_pairs(&pairs, ctx, event);
            vendor(event, ctx);
            true
        }
        None => false,
    }
}

/// The vendor mapping on top of the generic one, the first that recognises the pairs;
/// returns whether one applied.
fn vendor(event: &mut Event, ctx: &ParseContext) -> bool {
    crate::fortinet::apply(event, ctx)
        || crate::sonicwall::apply(event, ctx)
        || crate::sophos::apply_xg(event, ctx)
        || crate::f5::apply(event, ctx)
}

/// Moves the decoded pairs from `kv.*` to a vendor's own prefix (`sophos.xg`,
/// `fortinet.firewall` ...), once its mapping has used them.
pub(crate) fn move_native(event: &mut Event, prefix: &str) {
    if let Some(pairs) = event.remove("kv") {
        event.set(prefix, pairs);
    }
}

fn apply_pairs(pairs: &[(&str, Cow<'_, str>)], ctx: &ParseContext, event: &mut Event) {
    let mut object = Map::new();
    for (key, value) in pairs {
        object.insert((*key).to_string(), Value::from(value.as_ref()));
    }
    event.set("kv", Value::Object(object));
    for (key, value) in pairs {
        let value = value.as_ref();
        if value.is_empty() {
            continue;
        }
        let key = key.to_ascii_lowercase();
        match key.as_str() {
            "src" | "src_ip" | "srcip" | "source_ip" | "source" | "client_ip" => {
                set_ip(event, "source", value);
            }
            "dst" | "dst_ip" | "dstip" | "dest" | "dest_ip" | "destination_ip" | "destination" => {
                set_ip(event, "destination", value);
            }
            "src_port" | "srcport" | "sport" | "spt" | "source_port" => {
                set_port(event, "source.port", value);
            }
            "dst_port" | "dstport" | "dport" | "dpt" | "dest_port" | "destination_port" => {
                set_port(event, "destination.port", value);
            }
            "user" | "username" | "user_name" | "usr" => set_user(event, "user.name", value),
            "msg" | "message" => event.set("message", value),
            "level" | "lvl" | "severity" | "loglevel" | "log_level" => {
                set_str(event, "log.level", value);
            }
            "time" | "ts" | "timestamp" | "@timestamp" => {
                if let Some(t) = time::parse_iso8601(value, Some(ctx.default_offset)) {
                    event.set("@timestamp", format_timestamp(t));
                }
            }
            "proto" | "protocol" => set_transport(event, value),
            "action" => set_str(event, "event.action", value),
            "pid" if event.get("process.pid").is_none() => {
                set_number(event, "process.pid", value);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(s: &str) -> Option<Vec<(String, String)>> {
        pairs(s).map(|p| {
            p.into_iter()
                .map(|(k, v)| (k.to_string(), v.into_owned()))
                .collect()
        })
    }

    fn owned(items: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn quoting() {
        assert_eq!(
            kv(r#"level=info msg="hello \"big\" world" user=alice empty= q='a b' src=10.0.0.1"#),
            owned(&[
                ("level", "info"),
                ("msg", "hello \"big\" world"),
                ("user", "alice"),
                ("empty", ""),
                ("q", "a b"),
                ("src", "10.0.0.1")
            ])
        );
        assert_eq!(
            kv(r#"a=1 b="unterminated \"x"#),
            owned(&[("a", "1"), ("b", "unterminated \"x")])
        );
        assert_eq!(
            kv(r#"a="x\ny\\" b=2"#),
            owned(&[("a", "x\ny\\"), ("b", "2")])
        );
    }

    #[test]
    fn detection_threshold() {
        assert_eq!(kv("just a sentence with one a=b"), None);
        assert_eq!(kv("a=1"), None);
        assert_eq!(kv("Starting up the frobnicator now: a=1 b=2"), None);
        assert!(kv("INFO a=1 b=2 c=3 user=alice").is_some());
        assert_eq!(kv("2026-01-01T00:00:00Z INFO a=1 b=2"), None);
        assert_eq!(kv("=== == ="), None);
    }
}
