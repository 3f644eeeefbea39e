//! Small ECS setters shared by the format parsers (CEF, LEEF, key=value, firewall, web
//! servers): addresses with `related.*`, ports and numbers, transports, outcomes, MACs.
//!
//! Conventions: empty values and the `-` placeholder set nothing; an address is kept as
//! written (validated, brackets removed) rather than re-serialised, so that what the
//! event says matches the line.

use std::net::IpAddr;

use serde_json::Value;
use vigil_core::Event;

use crate::programs::push_related;

/// Whether `value` carries information (not empty, not `-`).
pub(crate) fn present(value: &str) -> bool {
    !value.is_empty() && value != "-"
}

/// The address without IPv6 brackets, if it is an IP address.
pub(crate) fn ip(value: &str) -> Option<&str> {
    let v = value.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(v);
    v.parse::<IpAddr>().is_ok().then_some(v)
}

/// `<prefix>.ip` and `related.ip` when `value` is an IP address; returns whether set.
pub(crate) fn set_ip(event: &mut Event, prefix: &str, value: &str) -> bool {
    match ip(value) {
        Some(ip) => {
            event.set(&format!("{prefix}.ip"), ip);
            push_related(event, "related.ip", ip);
            true
        }
        None => false,
    }
}

/// `<side>.ip` (with `related.ip`) and `<side>.port`, each when given and valid.
pub(crate) fn set_endpoint(event: &mut Event, side: &str, ip: Option<&str>, port: Option<&str>) {
    if let Some(ip) = ip {
        set_ip(event, side, ip);
    }
    if let Some(port) = port {
        set_port(event, &format!("{side}.port"), port);
    }
}

/// `<path>` and `related.hosts` for a host name.
pub(crate) fn set_domain(event: &mut Event, path: &str, value: &str) {
    let value = value.trim();
    if present(value) {
        event.set(path, value);
        push_related(event, "related.hosts", value);
    }
}

/// `<path>` and `related.user` for a user name.
pub(crate) fn set_user(event: &mut Event, path: &str, value: &str) {
    let value = value.trim();
    if present(value) {
        event.set(path, value);
        push_related(event, "related.user", value);
    }
}

/// A TCP/UDP port (0..=65535) at `path`; returns whether set.
pub(crate) fn set_port(event: &mut Event, path: &str, value: &str) -> bool {
    match value.trim().parse::<u16>() {
        Ok(port) => {
            event.set(path, port);
            true
        }
        Err(_) => false,
    }
}

/// A non-negative integer at `path`; returns whether set.
pub(crate) fn set_number(event: &mut Event, path: &str, value: &str) -> bool {
    match value.trim().parse::<u64>() {
        Ok(n) => {
            event.set(path, n);
            true
        }
        Err(_) => false,
    }
}

/// A string at `path` unless empty or `-`.
pub(crate) fn set_str(event: &mut Event, path: &str, value: &str) {
    if present(value) {
        event.set(path, value);
    }
}

/// An array of strings at `path`.
pub(crate) fn set_array(event: &mut Event, path: &str, values: &[&str]) {
    let values = values.iter().map(|v| Value::from(*v)).collect();
    event.set(path, Value::Array(values));
}

/// A JSON scalar as text: strings as they are, numbers and booleans written out (`42`,
/// `true`); `None` for null, arrays and objects.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The scalar at `path` of `event` as text (see [`scalar`]), unless empty or `-`.
pub(crate) fn text_at(event: &Event, path: &str) -> Option<String> {
    event
        .get(path)
        .and_then(scalar)
        .filter(|s| present(s.trim()))
}

/// IANA protocol numbers of the common transports.
const PROTOCOLS: [(&str, u8); 11] = [
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("udp", 17),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("icmpv6", 58),
    ("ipv6-icmp", 58),
    ("sctp", 132),
    ("udplite", 136),
];

/// `network.transport` (lower case) and `network.iana_number` from a protocol name or
/// number (`TCP`, `udp`, `6`, `ICMPv6`).
pub(crate) fn set_transport(event: &mut Event, value: &str) {
    let value = value.trim();
    if !present(value) {
        return;
    }
    if let Ok(number) = value.parse::<u8>() {
        event.set("network.iana_number", number.to_string());
        if let Some((name, _)) = PROTOCOLS.iter().find(|(_, n)| *n == number) {
            event.set("network.transport", *name);
        }
        return;
    }
    let name = value.to_ascii_lowercase();
    if let Some((_, number)) = PROTOCOLS.iter().find(|(n, _)| *n == name) {
        event.set("network.iana_number", number.to_string());
    }
    event.set("network.transport", name);
}

/// `event.outcome` from a free-form outcome word (`Success`, `failed`, `Failure` ...);
/// unknown words set nothing.
pub(crate) fn set_outcome(event: &mut Event, value: &str) {
    let lower = value.trim().to_ascii_lowercase();
    let outcome = match lower.as_str() {
        "success" | "succeeded" | "successful" | "ok" | "allowed" | "allow" | "accept"
        | "accepted" | "pass" | "passed" => "success",
        "failure" | "failed" | "fail" | "failures" | "denied" | "deny" | "blocked" | "block"
        | "rejected" | "reject" | "error" => "failure",
        "unknown" => "unknown",
        _ => return,
    };
    event.set("event.outcome", outcome);
}

/// `event.outcome` from an HTTP status: failure from 400 on.
pub(crate) fn outcome_from_status(event: &mut Event, status: u16) {
    event.set(
        "event.outcome",
        if status >= 400 { "failure" } else { "success" },
    );
}

/// A MAC address in the ECS notation (RFC 7042: upper-case hex pairs joined by `-`), from
/// `aa:bb:cc:dd:ee:ff`, `aa-bb-...` or `aabb.ccdd.eeff`.
pub(crate) fn mac(value: &str) -> Option<String> {
    let hex: Vec<u8> = value
        .bytes()
        .filter(|b| !matches!(b, b':' | b'-' | b'.'))
        .collect();
    if hex.len() != 12 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, pair) in hex.chunks(2).enumerate() {
        if i > 0 {
            out.push('-');
        }
        for b in pair {
            out.push(char::from(b.to_ascii_uppercase()));
        }
    }
    Some(out)
}

/// `<path>` as an ECS MAC address when `value` is one.
pub(crate) fn set_mac(event: &mut Event, path: &str, value: &str) {
    if let Some(mac) = mac(value) {
        event.set(path, mac);
    }
}

/// Whether an address is publicly routable: not private (RFC 1918), loopback,
/// link-local, unspecified, broadcast, shared (100.64/10), unique-local (fc00::/7).
pub(crate) fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Splits one CSV record (PAN-OS logs, PostgreSQL csvlog): a field in double quotes may
/// contain commas, and `""` inside quotes is a quote.
pub(crate) fn split_csv(record: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

/// The value at a dotted path (`a.b.c`) of a JSON object, through nested objects.
pub(crate) fn lookup<'a>(map: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = map.get(parts.next()?)?;
    parts.try_fold(first, |v, part| v.as_object()?.get(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        assert_eq!(
            mac("90:10:28:5f:62:24").as_deref(),
            Some("90-10-28-5F-62-24")
        );
        assert_eq!(mac("9010.285f.6224").as_deref(), Some("90-10-28-5F-62-24"));
        assert_eq!(mac("90:10:28:5f:62"), None);
        assert_eq!(mac("zz:10:28:5f:62:24"), None);
    }

    #[test]
    fn transports_and_outcomes() {
        let mut event = Event::new();
        set_transport(&mut event, "TCP");
        assert_eq!(event.get_str("network.transport"), Some("tcp"));
        assert_eq!(event.get_str("network.iana_number"), Some("6"));
        set_transport(&mut event, "47");
        assert_eq!(event.get_str("network.transport"), Some("gre"));
        assert_eq!(event.get_str("network.iana_number"), Some("47"));
        set_outcome(&mut event, "Failure");
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        set_outcome(&mut event, "maybe");
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
    }

    #[test]
    fn public_addresses() {
        let public = |s: &str| s.parse::<IpAddr>().map(|ip| is_public(&ip)).ok();
        assert_eq!(public("10.0.0.1"), Some(false));
        assert_eq!(public("100.64.1.1"), Some(false));
        assert_eq!(public("199.96.1.1"), Some(true));
        assert_eq!(public("fd00::1"), Some(false));
        assert_eq!(public("2a03:0000:10ff:f00f:0000:0000:0:8000"), Some(true));
    }
}
