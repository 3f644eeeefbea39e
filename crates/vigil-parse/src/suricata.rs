//! Suricata EVE JSON records (`eve.json`: one object per line with `timestamp`,
//! `event_type` and, except for `stats`, `src_ip` / `dest_ip`), recognised inside the JSON
//! parser. The record is kept whole under `suricata.eve` (its `http`, `dns`, `tls` and
//! `flow` objects would otherwise collide with ECS fields of another shape) and ECS is
//! added:
//!
//! * `@timestamp` (`timestamp`), `event.module: suricata`, `event.dataset: suricata.eve`,
//!   `event.kind` (`alert` for alerts, `metric` for stats, else `event`);
//! * `source.ip` / `source.port` / `destination.ip` / `destination.port`, `related.ip`,
//!   `network.transport` (`proto`), `network.protocol` (`app_proto` unless `failed`),
//!   `source.bytes` / `source.packets` / `destination.bytes` / `destination.packets` and
//!   `network.bytes` / `network.packets` from `flow`;
//! * by `event_type`: alert — `event.category: [network, intrusion_detection]`,
//!   `event.type: [allowed]` or `[denied]` (`alert.action: blocked`), `rule.id`
//!   (`signature_id`), `rule.name` (`signature`), `rule.category`, `event.severity`,
//!   `message` (the signature); flow — `[network]` / `[connection, start|end]` (`flow.state`
//!   new / closed); http — `[network, web]` / `[protocol, access]` and `event.outcome`
//!   from the status; fileinfo — `[network]` / `[info]`; every other protocol record
//!   (dns, tls, ssh, smtp ...) — `[network]` / `[protocol]`;
//! * an `http` object (on http, alert and fileinfo records): `url.original`, `url.domain`,
//!   `http.request.method`, `http.response.status_code`, `http.response.body.bytes`,
//!   `user_agent.original`; a `dns` object: `dns.question.name`, `dns.type`,
//!   `dns.response_code`.

use chrono::DateTime;
use serde_json::{Map, Value};
use vigil_core::Event;

use crate::ecs;

/// Whether the event is a Suricata EVE record.
pub fn is_record(event: &Event) -> bool {
    let Some(kind) = event.get_str("event_type") else {
        return false;
    };
    event.get_str("timestamp").is_some()
        && (event.get("src_ip").is_some() || (kind == "stats" && event.get("stats").is_some()))
}

/// Maps a Suricata EVE record in place (see the module documentation); returns whether it
/// was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_record(event) {
        return false;
    }
    let mut eve = std::mem::replace(event, Event::new()).into_map();
    for key in ["event", "@timestamp", "tags"] {
        if let Some(value) = eve.remove(key) {
            event.set(key, value);
        }
    }
    let text = |path: &str| ecs::lookup(&eve, path).and_then(ecs::scalar);
    let kind = text("event_type").unwrap_or_default();
    event.set("event.module", "suricata");
    event.set("event.dataset", "suricata.eve");
    event.set(
        "event.kind",
        match kind.as_str() {
            "alert" => "alert",
            "stats" => "metric",
            _ => "event",
        },
    );
    if let Some(t) =
        text("timestamp").and_then(|t| DateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
    {
        event.set(
            "@timestamp",
            vigil_core::time::format_timestamp(t.with_timezone(&chrono::Utc)),
        );
    }
    for (side, ip, port) in [
        ("source", "src_ip", "src_port"),
        ("destination", "dest_ip", "dest_port"),
    ] {
        ecs::set_endpoint(event, side, text(ip).as_deref(), text(port).as_deref());
    }
    if let Some(proto) = text("proto") {
        ecs::set_transport(event, &proto);
    }
    if let Some(app) = text("app_proto").filter(|a| a != "failed") {
        event.set("network.protocol", app.to_ascii_lowercase());
    }
    flow_counters(&eve, event);
    let (category, types): (&[&str], Vec<&str>) = match kind.as_str() {
        "alert" => {
            let blocked = text("alert.action").is_some_and(|a| a == "blocked");
            (
                &["network", "intrusion_detection"],
                vec![if blocked { "denied" } else { "allowed" }],
            )
        }
        "flow" => {
            let mut types = vec!["connection"];
            match text("flow.state").as_deref() {
                Some("new") => types.push("start"),
                Some("closed") => types.push("end"),
                _ => {}
            }
            (&["network"], types)
        }
        "http" => (&["network", "web"], vec!["protocol", "access"]),
        "fileinfo" => (&["network"], vec!["info"]),
        "stats" | "" => (&[], vec![]),
        _ => (&["network"], vec!["protocol"]),
    };
    if !category.is_empty() {
        ecs::set_array(event, "event.category", category);
        ecs::set_array(event, "event.type", &types);
    }
    if kind == "alert" {
        for (from, to) in [
            ("alert.signature_id", "rule.id"),
            ("alert.signature", "rule.name"),
            ("alert.category", "rule.category"),
        ] {
            if let Some(v) = text(from) {
                ecs::set_str(event, to, &v);
            }
        }
        if let Some(v) = text("alert.signature") {
            ecs::set_str(event, "message", &v);
        }
        if let Some(v) = text("alert.severity") {
            ecs::set_number(event, "event.severity", &v);
        }
    }
    for (from, to) in [
        ("http.url", "url.original"),
        ("http.hostname", "url.domain"),
        ("http.http_method", "http.request.method"),
        ("http.http_user_agent", "user_agent.original"),
        ("dns.rrname", "dns.question.name"),
        ("dns.type", "dns.type"),
        ("dns.rcode", "dns.response_code"),
    ] {
        if let Some(v) = text(from) {
            ecs::set_str(event, to, &v);
        }
    }
    if let Some(v) = text("http.length") {
        ecs::set_number(event, "http.response.body.bytes", &v);
    }
    if let Some(status) = text("http.status") {
        ecs::set_number(event, "http.response.status_code", &status);
        if let (Ok(code), "http") = (status.parse::<u16>(), kind.as_str()) {
            ecs::outcome_from_status(event, code);
        }
    }
    event.set("suricata.eve", Value::Object(eve));
    true
}

/// `flow.bytes_toserver` etc. as `source.bytes` / `destination.bytes` and the totals.
fn flow_counters(eve: &Map<String, Value>, event: &mut Event) {
    let number = |path: &str| ecs::lookup(eve, path).and_then(Value::as_u64);
    let mut totals = [None::<u64>, None::<u64>];
    for (i, unit) in ["bytes", "pkts"].iter().enumerate() {
        let ecs_unit = if *unit == "pkts" { "packets" } else { "bytes" };
        for (side, dir) in [("source", "toserver"), ("destination", "toclient")] {
            if let Some(n) = number(&format!("flow.{unit}_{dir}")) {
                event.set(&format!("{side}.{ecs_unit}"), n);
                totals[i] = Some(totals[i].unwrap_or(0).saturating_add(n));
            }
        }
    }
    if let Some(bytes) = totals[0] {
        event.set("network.bytes", bytes);
    }
    if let Some(packets) = totals[1] {
        event.set("network.packets", packets);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn alert_with_http() {
        let line = r#"{"timestamp":"2018-10-03T14:42:44.836744+0000","flow_id":1,"event_type":"alert","src_ip":"192.168.1.146","src_port":32858,"dest_ip":"89.160.20.112","dest_port":80,"proto":"TCP","alert":{"action":"allowed","signature_id":2013028,"signature":"ET POLICY curl User-Agent Outbound","category":"Attempted Information Leak","severity":2},"http":{"hostname":"example.net","url":"/","http_method":"GET","status":200},"app_proto":"http","flow":{"pkts_toserver":4,"pkts_toclient":3,"bytes_toserver":347,"bytes_toclient":1654}}"#;
        let event = json::parse(line).unwrap_or_default();
        assert_eq!(event.get_str("event.kind"), Some("alert"));
        assert_eq!(
            event.get("event.category"),
            Some(&serde_json::json!(["network", "intrusion_detection"]))
        );
        assert_eq!(event.get_str("source.ip"), Some("192.168.1.146"));
        assert_eq!(event.get("destination.port"), Some(&Value::from(80)));
        assert_eq!(event.get_str("url.original"), Some("/"));
        assert_eq!(
            event.get("http.response.status_code"),
            Some(&Value::from(200))
        );
        assert_eq!(event.get_str("rule.id"), Some("2013028"));
        assert_eq!(event.get("network.bytes"), Some(&Value::from(2001)));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2018-10-03T14:42:44.836Z")
        );
        assert_eq!(event.get_str("suricata.eve.event_type"), Some("alert"));
        assert_eq!(event.get_str("event.original"), Some(line));
        assert_eq!(event.get("http.url"), None);
    }

    #[test]
    fn flow_and_non_eve_json() {
        let line = r#"{"timestamp":"2019-08-09T10:51:23.453468-0400","event_type":"flow","src_ip":"fe80::1","dest_ip":"ff02::1:2","proto":"UDP","app_proto":"failed","flow":{"state":"new"}}"#;
        let event = json::parse(line).unwrap_or_default();
        assert_eq!(
            event.get("event.type"),
            Some(&serde_json::json!(["connection", "start"]))
        );
        assert_eq!(event.get("network.protocol"), None);
        assert_eq!(event.get_str("network.transport"), Some("udp"));
        let other = json::parse(r#"{"event_type":"x","msg":"hi"}"#).unwrap_or_default();
        assert_eq!(other.get("suricata"), None);
    }
}
