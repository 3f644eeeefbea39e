//! Palo Alto Networks PAN-OS logs in the default syslog CSV format
//! (`FUTURE_USE,receive time,serial,TYPE,subtype,...`), TRAFFIC and THREAT records, as the
//! message of a syslog record or after a bare `Mmm dd hh:mm:ss [host]` header.
//!
//! ECS from the fixed leading columns: `@timestamp` (generated time: RFC 3339, or the
//! device's zone-less `yyyy/mm/dd hh:mm:ss` in the context's zone), `source.ip`,
//! `destination.ip`, `source.nat.ip` / `destination.nat.ip`, `rule.name`, `user.name` and
//! `source.user.name` (source user), `destination.user.name`, `network.application`,
//! `observer.ingress.zone` / `observer.egress.zone`,
//! `observer.ingress.interface.name` / `observer.egress.interface.name`, the ports and NAT
//! ports, `network.transport`, `observer.serial_number`, `observer.vendor: Palo Alto
//! Networks`, `observer.product: PAN-OS`, `observer.type: firewall`, `event.module: panw`,
//! `event.dataset: panw.panos`, `related.ip` / `related.user`. TRAFFIC adds
//! `network.bytes` / `source.bytes` / `destination.bytes`, `network.packets` /
//! `source.packets` / `destination.packets` and `event.category: [network]` with
//! `event.type` connection plus start / end (subtype) and allowed / denied (action),
//! `event.action` `flow_started` / `flow_terminated` / `flow_denied`, `event.outcome`
//! (success when allowed, failure when denied, dropped or reset). THREAT adds
//! `event.kind: alert`, `event.category: [intrusion_detection, network]`,
//! `event.type: [info]` plus allowed / denied, `event.action: threat_detected`,
//! `url.original` (url subtype), `rule.category` (threat category) and the threat name as
//! `message`. The columns are kept as a list under `panw.panos.fields`.

use chrono::NaiveDateTime;
use serde_json::Value;
use vigil_core::Event;

use crate::programs::push_related;
use crate::{ecs, time, ParseContext};

/// The log types recognised in the fourth column.
const TYPES: [&str; 2] = ["TRAFFIC", "THREAT"];

/// Byte offset of a PAN-OS CSV record in `text` (at the start or after a space, within
/// the first 160 bytes).
pub(crate) fn record_start(text: &str) -> Option<usize> {
    // Tried on every syslog line: only commas are visited (most lines have none in reach),
    // each with the run of digits before it (the record's first column).
    let b = text.as_bytes();
    let reach = b.len().min(160 + 20);
    if !b[..reach].contains(&b',') {
        return None;
    }
    b[..reach]
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == b',')
        .find_map(|(comma, _)| {
            let digits = b[..comma]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let start = comma - digits;
            (digits > 0
                && start < 160
                && (start == 0 || b[start - 1] == b' ')
                && looks_like(&text[start..]))
            .then_some(start)
        })
}

/// Whether `text` starts like a PAN-OS CSV record of a known type.
fn looks_like(text: &str) -> bool {
    // Cheap first: the first column must be digits up to a comma.
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if text.as_bytes().get(digits) != Some(&b',') {
        return false;
    }
    let mut cols = text.splitn(5, ',');
    let (Some(first), Some(_received), Some(_serial), Some(kind)) =
        (cols.next(), cols.next(), cols.next(), cols.next())
    else {
        return false;
    };
    first.bytes().all(|b| b.is_ascii_digit()) && TYPES.contains(&kind)
}

/// A standalone line: an optional `Mmm dd hh:mm:ss [host]` header, then the record.
pub(crate) fn line(text: &str, ctx: &ParseContext) -> Option<Event> {
    let start = record_start(text)?;
    let header = text.get(..start)?.trim();
    let mut event = Event::new();
    event.set("event.original", text);
    if !header.is_empty() {
        let (_, len) = time::parse_bsd(header.as_bytes())?;
        let host = header.get(len..)?.trim();
        if host.contains(' ') {
            return None;
        }
        if !host.is_empty() {
            ecs::set_domain(&mut event, "host.name", host);
        }
    }
    apply(text.get(start..)?, ctx, &mut event).then_some(event)
}

/// Maps a PAN-OS CSV record into `event`; returns whether it was one.
pub(crate) fn apply(record: &str, ctx: &ParseContext, event: &mut Event) -> bool {
    if !looks_like(record) {
        return false;
    }
    let cols = crate::ecs::split_csv(record);
    let col = |i: usize| {
        cols.get(i)
            .map(|c| c.trim())
            .filter(|c| !c.is_empty() && *c != "N/A")
    };
    let kind = col(3).unwrap_or_default().to_string();
    event.set_default("message", record);
    event.set("event.kind", "event");
    event.set("event.module", "panw");
    event.set("event.dataset", "panw.panos");
    event.set("observer.vendor", "Palo Alto Networks");
    event.set("observer.product", "PAN-OS");
    event.set("observer.type", "firewall");
    if let Some(serial) = col(2) {
        ecs::set_str(event, "observer.serial_number", serial);
    }
    if let Some(t) = col(6).and_then(|t| timestamp(t, ctx)) {
        event.set("@timestamp", t);
    }
    for (side, ip_col, port_col) in [
        ("source", 7, 24),
        ("destination", 8, 25),
        ("source.nat", 9, 26),
        ("destination.nat", 10, 27),
    ] {
        if let Some(ip) = col(ip_col) {
            if ecs::set_ip(event, side, ip) {
                if !side.ends_with("nat") {
                    push_related(event, "related.ip", ip);
                }
                if let Some(port) = col(port_col) {
                    ecs::set_port(event, &format!("{side}.port"), port);
                }
            }
        }
    }
    for (i, path) in [
        (11, "rule.name"),
        (14, "network.application"),
        (16, "observer.ingress.zone"),
        (17, "observer.egress.zone"),
        (18, "observer.ingress.interface.name"),
        (19, "observer.egress.interface.name"),
    ] {
        if let Some(v) = col(i) {
            ecs::set_str(event, path, v);
        }
    }
    if let Some(user) = col(12) {
        ecs::set_user(event, "user.name", user);
        ecs::set_str(event, "source.user.name", user);
    }
    if let Some(user) = col(13) {
        ecs::set_str(event, "destination.user.name", user);
        push_related(event, "related.user", user);
    }
    if let Some(proto) = col(29) {
        ecs::set_transport(event, proto);
    }
    let action = col(30).unwrap_or_default().to_ascii_lowercase();
    let allowed = action == "allow" || action == "alert";
    let denied = action.starts_with("deny")
        || action.starts_with("drop")
        || action.starts_with("reset")
        || action.starts_with("block");
    let verdict = if denied { "denied" } else { "allowed" };
    if kind == "TRAFFIC" {
        for (i, path) in [
            (31, "network.bytes"),
            (32, "source.bytes"),
            (33, "destination.bytes"),
            (34, "network.packets"),
            (44, "source.packets"),
            (45, "destination.packets"),
        ] {
            if let Some(v) = col(i) {
                ecs::set_number(event, path, v);
            }
        }
        let subtype = col(4).unwrap_or_default();
        let (phase, name) = match subtype {
            "start" => (Some("start"), "flow_started"),
            "end" => (Some("end"), "flow_terminated"),
            _ => (None, "flow_denied"),
        };
        let name = if denied { "flow_denied" } else { name };
        let mut types = vec!["connection"];
        types.extend(phase);
        types.push(verdict);
        ecs::set_array(event, "event.category", &["network"]);
        ecs::set_array(event, "event.type", &types);
        event.set("event.action", name);
    } else {
        event.set("event.kind", "alert");
        ecs::set_array(event, "event.category", &["intrusion_detection", "network"]);
        ecs::set_array(event, "event.type", &["info", verdict]);
        event.set("event.action", "threat_detected");
        if col(4) == Some("url") {
            if let Some(url) = col(31) {
                ecs::set_str(event, "url.original", url);
            }
        }
        if let Some(threat) = col(32) {
            event.set("message", threat);
        }
        if let Some(category) = col(33) {
            ecs::set_str(event, "rule.category", category);
        }
    }
    if denied {
        event.set("event.outcome", "failure");
    } else if allowed {
        event.set("event.outcome", "success");
    }
    let fields = cols.iter().map(|c| Value::from(c.as_str())).collect();
    event.set("panw.panos.fields", Value::Array(fields));
    true
}

/// RFC 3339, or the device's `yyyy/mm/dd hh:mm:ss` in the context's zone.
fn timestamp(text: &str, ctx: &ParseContext) -> Option<String> {
    let t = time::parse_iso8601(text, Some(ctx.default_offset)).or_else(|| {
        NaiveDateTime::parse_from_str(text, "%Y/%m/%d %H:%M:%S")
            .ok()?
            .and_local_timezone(ctx.default_offset)
            .single()
            .map(|t| t.to_utc())
    })?;
    Some(vigil_core::time::format_timestamp(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn traffic_deny_with_host() {
        let line = "Oct 30 09:46:42 fw01 1,2021/05/26 16:27:07,0123,TRAFFIC,drop,2305,2021/05/26 16:26:47,10.0.0.5,8.8.8.8,0.0.0.0,0.0.0.0,block-dns,,,dns,vsys1,trust,untrust,ethernet1/2,,fwd,2021/05/26 16:26:47,0,1,53000,53,0,0,0x0,udp,deny,80,80,0,1";
        let event = line_event(line);
        assert_eq!(event.get_str("host.name"), Some("fw01"));
        assert_eq!(event.get_str("event.action"), Some("flow_denied"));
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            event.get("event.type"),
            Some(&json!(["connection", "denied"]))
        );
        assert_eq!(event.get("destination.port"), Some(&json!(53)));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2021-05-26T16:26:47.000Z")
        );
        assert_eq!(crate::ecs::split_csv(r#"a,"b,c",d"#), vec!["a", "b,c", "d"]);
    }

    fn line_event(text: &str) -> Event {
        line(text, &ParseContext::new(chrono::DateTime::UNIX_EPOCH)).unwrap_or_default()
    }
}
