//! Fortinet FortiGate (and FortiManager / FortiAnalyzer forwarded) logs: key=value lines
//! with `devid`, `logid` and `type` (`date=2020-04-23 time=12:32:48 devname="fw1"
//! devid="FG100E" logid="0000000013" type="traffic" subtype="forward" ...`), applied by the
//! key=value decoder ([`crate::kv`]) after the generic mapping (`srcip`, `dstip`,
//! `srcport`, `dstport`, `user`, `action`, `proto` ...).
//!
//! ECS: `observer.vendor: Fortinet`, `observer.product: FortiGate`, `observer.type:
//! firewall`, `observer.name` (`devname`), `observer.serial_number` (`devid`),
//! `event.code` (`logid`), `event.module: fortinet`, `event.dataset: fortinet.firewall`,
//! `@timestamp` (`date` + `time` in `tz`, else the context's zone), `url.original` (`url`),
//! `url.domain` (`hostname`), `observer.ingress.interface.name` /
//! `observer.egress.interface.name` (`srcintf` / `dstintf`), `rule.id` (`policyid`),
//! `source.bytes` / `destination.bytes` (`sentbyte` / `rcvdbyte`), and by `type`:
//! traffic — network / connection with allowed or denied (`action` deny, block, drop,
//! reset ...) and `end` for a closed session, `event.outcome` failure when denied else
//! success; utm — `event.kind: alert` for blocked or detected threats, webfilter
//! network + web, ips intrusion_detection, virus malware, app-ctrl network, with allowed
//! or denied; event/user (FSSO, VPN and admin logons) — authentication with start
//! (logon) or end (logoff) and `event.outcome` from `status`.

use chrono::NaiveDateTime;
use vigil_core::Event;

use crate::{ecs, time, ParseContext};

/// Whether the decoded pairs (under `kv.*`) are a FortiGate log.
fn is_fortigate(event: &Event) -> bool {
    ["kv.devid", "kv.logid", "kv.type"]
        .iter()
        .all(|k| event.get_str(k).is_some())
}

/// Adds the FortiGate mapping (see the module documentation); returns whether it applied.
pub(crate) fn apply(event: &mut Event, ctx: &ParseContext) -> bool {
    if !is_fortigate(event) {
        return false;
    }
    let kv = |event: &Event, key: &str| {
        event
            .get_str(&format!("kv.{key}"))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v != "N/A")
    };
    event.set("event.module", "fortinet");
    event.set("event.dataset", "fortinet.firewall");
    event.set("observer.vendor", "Fortinet");
    event.set("observer.product", "FortiGate");
    event.set("observer.type", "firewall");
    for (key, path) in [
        ("devname", "observer.name"),
        ("devid", "observer.serial_number"),
        ("logid", "event.code"),
        ("url", "url.original"),
        ("hostname", "url.domain"),
        ("srcintf", "observer.ingress.interface.name"),
        ("dstintf", "observer.egress.interface.name"),
        ("policyid", "rule.id"),
    ] {
        if let Some(v) = kv(event, key) {
            ecs::set_str(event, path, &v);
        }
    }
    for (key, path) in [
        ("sentbyte", "source.bytes"),
        ("rcvdbyte", "destination.bytes"),
    ] {
        if let Some(v) = kv(event, key) {
            ecs::set_number(event, path, &v);
        }
    }
    if let (Some(date), Some(clock)) = (kv(event, "date"), kv(event, "time")) {
        let offset = kv(event, "tz")
            .and_then(|z| time::parse_zone(&z))
            .unwrap_or(ctx.default_offset);
        if let Some(t) =
            NaiveDateTime::parse_from_str(&format!("{date} {clock}"), "%Y-%m-%d %H:%M:%S")
                .ok()
                .and_then(|t| t.and_local_timezone(offset).single())
        {
            event.set("@timestamp", vigil_core::time::format_timestamp(t.to_utc()));
        }
    }
    let kind = kv(event, "type").unwrap_or_default().to_ascii_lowercase();
    let subtype = kv(event, "subtype")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let action = kv(event, "action").unwrap_or_default().to_ascii_lowercase();
    let denied = ["deny", "block", "drop", "reset", "reject", "dropped"]
        .iter()
        .any(|d| action.starts_with(d))
        || action == "ip-conn";
    let verdict = if denied { "denied" } else { "allowed" };
    match kind.as_str() {
        "traffic" => {
            let mut types = vec!["connection", verdict];
            if denied
                || matches!(
                    action.as_str(),
                    "close" | "timeout" | "server-rst" | "client-rst"
                )
            {
                types.push("end");
            } else if action == "start" {
                types.push("start");
            }
            ecs::set_array(event, "event.category", &["network"]);
            ecs::set_array(event, "event.type", &types);
            event.set("event.outcome", if denied { "failure" } else { "success" });
        }
        "utm" => {
            let categories: &[&str] = match subtype.as_str() {
                "webfilter" => &["network", "web"],
                "ips" | "anomaly" => &["intrusion_detection", "network"],
                "virus" => &["malware", "network"],
                _ => &["network"],
            };
            let detected = denied || action == "detected" || action == "monitored";
            if detected {
                event.set("event.kind", "alert");
            }
            ecs::set_array(event, "event.category", categories);
            ecs::set_array(event, "event.type", &[verdict]);
        }
        "event" if subtype == "user" || subtype == "vpn" || subtype == "system" => {
            let logon = action.contains("logon") || action.contains("login");
            let logoff = action.contains("logoff") || action.contains("logout");
            if logon || logoff {
                ecs::set_array(event, "event.category", &["authentication"]);
                ecs::set_array(event, "event.type", &[if logoff { "end" } else { "start" }]);
                if let Some(status) = kv(event, "status") {
                    ecs::set_outcome(event, &status);
                }
            }
        }
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::{parse_line, ParseContext};
    use serde_json::json;

    #[test]
    fn traffic_deny() {
        let line = r#"date=2020-04-23 time=01:16:08 devname="fw1" devid="FG100E" logid="0000000013" type="traffic" subtype="forward" level="notice" tz="-0500" srcip=10.10.10.10 srcport=60899 dstip=175.16.199.1 dstport=161 proto=17 action="deny" policyid=0 sentbyte=10 rcvdbyte=0"#;
        let event = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(event.get_str("observer.name"), Some("fw1"));
        assert_eq!(
            event.get("event.type"),
            Some(&json!(["connection", "denied", "end"]))
        );
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get("source.port"), Some(&json!(60899)));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2020-04-23T06:16:08.000Z")
        );
        assert_eq!(event.get_str("event.action"), Some("deny"));
    }
}
