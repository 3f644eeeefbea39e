//! SonicWall firewall logs (SonicOS enhanced syslog: `id=firewall sn=SERIAL time="..."
//! fw=IP pri=6 c=262144 m=98 msg="Connection Opened" n=23419 src=IP:PORT:IFACE[:HOST]
//! dst=IP:PORT:IFACE[:HOST] proto=tcp/50000 ...`), applied by the key=value decoder
//! ([`crate::kv`]) when `id`, `sn` and `m` are present.
//!
//! ECS: `observer.vendor: SonicWall`, `observer.type: firewall`, `observer.serial_number`
//! (`sn`), `observer.ip` (`fw`), `observer.ingress.interface.name` /
//! `observer.egress.interface.name`, `event.module: sonicwall`,
//! `event.dataset: sonicwall.firewall`, `event.code` (`m`, the message id), `message`
//! (`msg`), `@timestamp` (`time`, the device's local time in the context's zone),
//! `source.*` / `destination.*` (ip, port, and the host name when given) from `src` /
//! `dst`, `network.transport` (`proto`), `user.name` (`usr`), and for well-known message
//! ids: 98 connection opened (network / connection, start), 537 connection closed
//! (network / connection, end), 36 / 37 / 38 / 173 / 174 dropped packets (network /
//! connection, denied, failure), 97 web site hit (web / access), 14 / 16 web site blocked
//! (web / denied, failure), 236 / 1080 admin or user login allowed (authentication /
//! start, success), 24 / 237 / 1081 / 560 login denied (authentication / start, failure).

use chrono::NaiveDateTime;
use vigil_core::Event;

use crate::programs::push_related;
use crate::{ecs, ParseContext};

/// Adds the SonicWall mapping (see the module documentation); returns whether it applied.
pub(crate) fn apply(event: &mut Event, ctx: &ParseContext) -> bool {
    let kv = |event: &Event, key: &str| {
        event
            .get_str(&format!("kv.{key}"))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if kv(event, "id").is_none() || kv(event, "sn").is_none() || kv(event, "m").is_none() {
        return false;
    }
    event.set("event.module", "sonicwall");
    event.set("event.dataset", "sonicwall.firewall");
    event.set("observer.vendor", "SonicWall");
    event.set("observer.type", "firewall");
    if let Some(sn) = kv(event, "sn") {
        ecs::set_str(event, "observer.serial_number", &sn);
    }
    if let Some(fw) = kv(event, "fw") {
        ecs::set_ip(event, "observer", &fw);
    }
    let code = kv(event, "m").unwrap_or_default();
    ecs::set_number(event, "event.code", &code);
    if let Some(msg) = kv(event, "msg") {
        event.set("message", msg);
    }
    if let Some(t) = kv(event, "time")
        .and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S").ok())
        .and_then(|t| t.and_local_timezone(ctx.default_offset).single())
    {
        event.set("@timestamp", vigil_core::time::format_timestamp(t.to_utc()));
    }
    for (key, side, interface) in [
        ("src", "source", "observer.ingress.interface.name"),
        ("dst", "destination", "observer.egress.interface.name"),
    ] {
        let Some(value) = kv(event, key) else {
            continue;
        };
        // IPv4 `ip:port:iface[:host]` (an IPv6 address is taken whole when it parses).
        let mut parts = value.split(':');
        let ip = if value.parse::<std::net::IpAddr>().is_ok() {
            value.as_str()
        } else {
            parts.next().unwrap_or("")
        };
        if ecs::set_ip(event, side, ip) {
            push_related(event, "related.ip", ip);
            if let Some(port) = parts.next() {
                ecs::set_port(event, &format!("{side}.port"), port);
            }
            if let Some(iface) = parts.next().filter(|i| !i.is_empty()) {
                ecs::set_str(event, interface, iface);
            }
            if let Some(host) = parts.next().filter(|h| !h.is_empty()) {
                ecs::set_str(event, &format!("{side}.domain"), host);
            }
        }
    }
    if let Some(proto) = kv(event, "proto") {
        let transport = proto.split('/').next().unwrap_or("");
        ecs::set_transport(event, transport);
    }
    let (categories, types, outcome): (&[&str], &[&str], Option<&str>) = match code.as_str() {
        "98" => (&["network"], &["connection", "start"], None),
        "537" => (&["network"], &["connection", "end"], None),
        "36" | "37" | "38" | "173" | "174" => {
            (&["network"], &["connection", "denied"], Some("failure"))
        }
        "97" => (&["web"], &["access"], None),
        "14" | "16" => (&["web"], &["denied"], Some("failure")),
        "236" | "1080" => (&["authentication"], &["start"], Some("success")),
        "24" | "237" | "560" | "1081" => (&["authentication"], &["start"], Some("failure")),
        _ => (&[], &[], None),
    };
    if !categories.is_empty() {
        ecs::set_array(event, "event.category", categories);
        ecs::set_array(event, "event.type", types);
    }
    if let Some(outcome) = outcome {
        event.set("event.outcome", outcome);
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::{parse_line, ParseContext};
    use serde_json::json;

    #[test]
    fn connection_opened() {
        let line = r#"Jan  3 13:45:36 192.168.5.1 id=firewall sn=000SERIAL time="2007-01-03 14:48:06" fw=89.160.20.156 pri=6 c=262144 m=98 msg="Connection Opened" n=23419 src=2.2.2.2:36701:WAN dst=89.160.20.156:50000:WAN:host.example proto=tcp/50000"#;
        let e = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("source.ip"), Some("2.2.2.2"));
        assert_eq!(e.get("source.port"), Some(&json!(36701)));
        assert_eq!(e.get_str("destination.domain"), Some("host.example"));
        assert_eq!(e.get_str("network.transport"), Some("tcp"));
        assert_eq!(e.get_str("message"), Some("Connection Opened"));
        assert_eq!(e.get("event.type"), Some(&json!(["connection", "start"])));
    }
}
