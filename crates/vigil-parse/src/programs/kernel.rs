//! Linux firewall log lines from the kernel: the iptables / nftables `LOG` target and UFW,
//! `[UFW BLOCK] IN=eth0 OUT= MAC=... SRC=1.2.3.4 DST=10.0.0.5 LEN=60 ... PROTO=TCP SPT=44321
//! DPT=22 WINDOW=... SYN URGP=0`, optionally after a dmesg clock (`[12345.678901] `).
//! Routed from program `kernel`, and by shape (`IN=` and `OUT=` words) from any other
//! program or from a line without syslog header.
//!
//! Native fields: every `KEY=value` under `iptables.<KEY>` as written (`iptables.IN`,
//! `iptables.TTL`, `iptables.MAC` ...); a key repeated after `PROTO=` (the UDP `LEN`, the
//! ICMP echo `ID`) goes to `iptables.<proto>.<KEY>` (`iptables.udp.LEN`); bare words
//! (`DF`, `SYN`, `ACK` ...) to the array `iptables.flags`; the packet quoted by an ICMP
//! error (`[SRC=... DST=... ]`) to `iptables.embedded` the same way; the log prefix to
//! `iptables.prefix`.
//!
//! ECS: `event.category: ["network"]`; `event.type: ["denied"]` when the prefix says
//! BLOCK/DROP/REJECT/DENY (ECS's allowed value for a refused connection), `["allowed"]`
//! for ALLOW/ACCEPT/PASS/PERMIT, else `["info"]`; `event.action` = the prefix in lower
//! case with blanks as `-` (`[UFW BLOCK]` -> `ufw-block`); `source.ip`/`port`,
//! `destination.ip`/`port` (+ `related.ip`); `network.transport` (lower case),
//! `network.iana_number`, `network.type` (ipv4/ipv6); `observer.ingress.interface.name`
//! (IN), `observer.egress.interface.name` (OUT); `destination.mac` / `source.mac` from
//! the first two addresses of `MAC=` (ECS notation).

use std::net::IpAddr;

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::ecs::{set_array, set_ip, set_mac, set_port, set_transport};

/// Recognises a netfilter log line; returns whether it was one.
pub fn parse(message: &str, event: &mut Event) -> bool {
    parse_with_prefix(message, None, event)
}

/// As [`parse`]; when the line has no log prefix before `IN=`, `tag` (the syslog tag of a
/// line logged without the `kernel:` tag, e.g. `DENY:`) stands for it.
pub(crate) fn parse_with_prefix(message: &str, tag: Option<&str>, event: &mut Event) -> bool {
    let body = strip_dmesg_clock(message);
    let Some(at) = word_start(body, "IN=") else {
        return false;
    };
    let fields = body.get(at..).unwrap_or("");
    if word_start(fields, "OUT=").is_none() {
        return false;
    }
    let prefix = body.get(..at).unwrap_or("").trim();
    let prefix = if prefix.is_empty() {
        tag.unwrap_or("").trim()
    } else {
        prefix
    };
    let packet = Packet::decode(fields);

    let mut object = packet.fields;
    if !packet.flags.is_empty() {
        object.insert("flags".into(), strings(&packet.flags));
    }
    if !packet.embedded.is_empty() || !packet.embedded_flags.is_empty() {
        let mut embedded = packet.embedded;
        if !packet.embedded_flags.is_empty() {
            embedded.insert("flags".into(), strings(&packet.embedded_flags));
        }
        object.insert("embedded".into(), Value::Object(embedded));
    }
    if !prefix.is_empty() {
        object.insert("prefix".into(), prefix.into());
    }
    let get = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let [src, dst, spt, dpt, proto, input, output, mac] =
        ["SRC", "DST", "SPT", "DPT", "PROTO", "IN", "OUT", "MAC"].map(get);
    event.set("iptables", Value::Object(object));

    set_array(event, "event.category", &["network"]);
    set_array(event, "event.type", &[verdict(prefix)]);
    let action = action(prefix);
    if !action.is_empty() {
        event.set("event.action", action);
    }
    set_ip(event, "source", &src);
    set_ip(event, "destination", &dst);
    set_port(event, "source.port", &spt);
    set_port(event, "destination.port", &dpt);
    set_transport(event, &proto);
    match src.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => event.set("network.type", "ipv4"),
        Ok(IpAddr::V6(_)) => event.set("network.type", "ipv6"),
        Err(_) => {}
    }
    if !input.is_empty() {
        event.set("observer.ingress.interface.name", input);
    }
    if !output.is_empty() {
        event.set("observer.egress.interface.name", output);
    }
    // MAC= is destination (6 bytes), source (6 bytes), EtherType (2 bytes).
    let octets: Vec<&str> = mac.split(':').collect();
    if octets.len() >= 12 {
        set_mac(event, "destination.mac", &octets[..6].join(":"));
        set_mac(event, "source.mac", &octets[6..12].join(":"));
    }
    true
}

/// The decoded `KEY=value` words of a log line.
#[derive(Default)]
struct Packet<'a> {
    fields: Map<String, Value>,
    flags: Vec<&'a str>,
    embedded: Map<String, Value>,
    embedded_flags: Vec<&'a str>,
}

impl<'a> Packet<'a> {
    fn decode(fields: &'a str) -> Self {
        let mut packet = Packet::default();
        let mut proto: Option<String> = None;
        let mut inside = false;
        for word in fields.split_ascii_whitespace() {
            let mut word = word;
            let mut closes = false;
            if let Some(rest) = word.strip_prefix('[') {
                inside = true;
                word = rest;
            }
            if let Some(rest) = word.strip_suffix(']') {
                closes = inside;
                word = rest;
            }
            if !word.is_empty() {
                if inside {
                    add(&mut packet.embedded, &mut packet.embedded_flags, word, None);
                } else {
                    if let Some(p) = word.strip_prefix("PROTO=") {
                        proto = Some(p.to_ascii_lowercase());
                    }
                    add(
                        &mut packet.fields,
                        &mut packet.flags,
                        word,
                        proto.as_deref(),
                    );
                }
            }
            if closes {
                inside = false;
            }
        }
        packet
    }
}

/// Adds one word: `KEY=value` to `map` (a repeat after PROTO= under `<proto>.KEY`),
/// anything else to `flags`.
fn add<'a>(
    map: &mut Map<String, Value>,
    flags: &mut Vec<&'a str>,
    word: &'a str,
    proto: Option<&str>,
) {
    let Some((key, value)) = word.split_once('=').filter(|(k, _)| !k.is_empty()) else {
        flags.push(word);
        return;
    };
    if !map.contains_key(key) {
        map.insert(key.to_string(), value.into());
        return;
    }
    match proto.filter(|p| !p.is_empty() && map.get(*p).is_none_or(Value::is_object)) {
        Some(proto) => {
            if let Value::Object(sub) = map
                .entry(proto.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
            {
                sub.insert(key.to_string(), value.into());
            }
        }
        None => {
            map.insert(key.to_string(), value.into());
        }
    }
}

fn strings(values: &[&str]) -> Value {
    Value::Array(values.iter().map(|v| Value::from(*v)).collect())
}

/// Skips a dmesg clock `[ 1234.567890] ` at the start.
fn strip_dmesg_clock(s: &str) -> &str {
    let Some(rest) = s.strip_prefix('[') else {
        return s;
    };
    match rest.split_once(']') {
        Some((clock, after))
            if !clock.trim().is_empty()
                && clock
                    .trim()
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.') =>
        {
            after.trim_start()
        }
        _ => s,
    }
}

/// Byte offset of `word` at the start of `s` or after a space.
fn word_start(s: &str, word: &str) -> Option<usize> {
    s.match_indices(word)
        .map(|(i, _)| i)
        .find(|i| *i == 0 || s.as_bytes().get(i - 1) == Some(&b' '))
}

/// `event.type` from the words of the prefix.
fn verdict(prefix: &str) -> &'static str {
    let upper = prefix.to_ascii_uppercase();
    let has = |words: &[&str]| words.iter().any(|w| upper.contains(w));
    if has(&["BLOCK", "DROP", "REJECT", "DENY", "DENIED", "DISCARD"]) {
        "denied"
    } else if has(&["ALLOW", "ACCEPT", "PASS", "PERMIT"]) {
        "allowed"
    } else {
        "info"
    }
}

/// `[UFW BLOCK]` -> `ufw-block`, `IPTables-Dropped:` -> `iptables-dropped`.
fn action(prefix: &str) -> String {
    let trimmed =
        prefix.trim_matches(|c: char| c == '[' || c == ']' || c == ':' || c.is_whitespace());
    let mut out = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        if c.is_whitespace() || c == '_' {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(action("[UFW BLOCK]"), "ufw-block");
        assert_eq!(action("IPTables-Dropped: "), "iptables-dropped");
        assert_eq!(action(""), "");
        assert_eq!(verdict("[UFW ALLOW]"), "allowed");
        assert_eq!(verdict("[UFW LIMIT BLOCK]"), "denied");
        assert_eq!(verdict("[UFW AUDIT]"), "info");
    }

    #[test]
    fn dmesg_clock_and_words() {
        assert_eq!(
            strip_dmesg_clock("[ 12.5] [UFW BLOCK] IN="),
            "[UFW BLOCK] IN="
        );
        assert_eq!(strip_dmesg_clock("[UFW BLOCK] IN="), "[UFW BLOCK] IN=");
        assert_eq!(word_start("XIN=a IN=b", "IN="), Some(6));
        assert_eq!(word_start("XIN=a", "IN="), None);
    }
}
