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
//! (logon) or end (logoff) and `event.outcome` from `status`. A blocked UTM event is
//! `event.outcome: failure`. The pairs are kept under `fortinet.firewall.*` (instead of
//! `kv.*`).
//!
//! FortiClient endpoint logs (`[Month dd hh:mm:ss host] proto=udp service=http status=deny
//! src=... dst=... src_port=... dst_port=... server_app=... pid=... app_name=...
//! traff_direct=external block_count=... logon_user=user@domain msg=...`: a `status` pair
//! with `logon_user` or `traff_direct`, no `devid`): `observer.vendor: Fortinet`,
//! `observer.product: FortiClient`, `observer.type: endpoint`, `event.dataset:
//! fortinet.clientendpoint`, `@timestamp` and `host.name` from the header when no syslog
//! header gave them (month written out or abbreviated, the year inferred), `event.action`
//! (`status`), network / connection with allowed or denied and `event.outcome` success or
//! failure from it, `user.name` / `user.domain` (`logon_user`), `network.protocol`
//! (`service`), `network.direction` (`traff_direct`), `process.name` (`app_name`); the
//! pairs under `fortinet.clientendpoint.*`.

use chrono::{NaiveDateTime, Timelike};
use vigil_core::Event;

use crate::time::BsdTimestamp;
use crate::{ecs, kv, time, ParseContext};

/// Whether the decoded pairs (under `kv.*`) are a FortiGate log.
fn is_fortigate(event: &Event) -> bool {
    ["kv.devid", "kv.logid", "kv.type"]
        .iter()
        .all(|k| event.get_str(k).is_some())
}

/// Adds the FortiGate mapping (see the module documentation); returns whether it applied.
pub(crate) fn apply(event: &mut Event, ctx: &ParseContext) -> bool {
    if !is_fortigate(event) {
        return apply_client(event, ctx);
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
    // `url.scheme`, `url.domain`, `url.port`, `url.path`, `url.query` from the URL.
    if let Some(url) = event.get_str("url.original").map(str::to_string) {
        crate::web::set_url_parts(event, &url);
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
            if denied {
                event.set("event.outcome", "failure");
            }
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
    kv::move_native(event, "fortinet.firewall");
    true
}

/// Adds the FortiClient mapping (see the module documentation); returns whether it applied.
fn apply_client(event: &mut Event, ctx: &ParseContext) -> bool {
    let kv = |event: &Event, key: &str| {
        event
            .get_str(&format!("kv.{key}"))
            .map(|v| v.trim().to_string())
            .filter(|v| ecs::present(v))
    };
    let Some(status) = kv(event, "status") else {
        return false;
    };
    if kv(event, "logon_user").is_none() && kv(event, "traff_direct").is_none() {
        return false;
    }
    event.set("event.module", "fortinet");
    event.set("event.dataset", "fortinet.clientendpoint");
    event.set("observer.vendor", "Fortinet");
    event.set("observer.product", "FortiClient");
    event.set("observer.type", "endpoint");
    if event.get("@timestamp").is_none() && event.get("host.name").is_none() {
        let original = event.get_str("event.original").unwrap_or("").to_string();
        client_header(event, &original, ctx);
    }
    event.set("event.action", status.as_str());
    let lower = status.to_ascii_lowercase();
    let verdict = if ["deny", "block", "drop", "reject"]
        .iter()
        .any(|d| lower.starts_with(d))
    {
        Some(("denied", "failure"))
    } else if ["allow", "accept", "pass"]
        .iter()
        .any(|a| lower.starts_with(a))
    {
        Some(("allowed", "success"))
    } else {
        None
    };
    if let Some((verdict, outcome)) = verdict {
        ecs::set_array(event, "event.category", &["network"]);
        ecs::set_array(event, "event.type", &["connection", verdict]);
        event.set("event.outcome", outcome);
    }
    if let Some(user) = kv(event, "logon_user") {
        // `user@domain` (or `DOMAIN\user`).
        let (name, domain) = match (user.split_once('@'), user.split_once('\\')) {
            (Some((name, domain)), _) => (name, Some(domain)),
            (None, Some((domain, name))) => (name, Some(domain)),
            (None, None) => (user.as_str(), None),
        };
        ecs::set_user(event, "user.name", name);
        if let Some(domain) = domain {
            ecs::set_str(event, "user.domain", domain);
        }
    }
    if let Some(service) = kv(event, "service") {
        event.set("network.protocol", service.to_ascii_lowercase());
    }
    if let Some(direction) = kv(event, "traff_direct").map(|d| d.to_ascii_lowercase()) {
        if [
            "inbound", "outbound", "internal", "external", "ingress", "egress",
        ]
        .contains(&direction.as_str())
        {
            event.set("network.direction", direction);
        }
    }
    if let Some(app) = kv(event, "app_name") {
        ecs::set_str(event, "process.name", &app);
    }
    kv::move_native(event, "fortinet.clientendpoint");
    true
}

/// `Month dd hh:mm:ss host` before the pairs of a FortiClient line: `@timestamp` (year
/// inferred, the context's zone) and `host.name`.
fn client_header(event: &mut Event, original: &str, ctx: &ParseContext) {
    let mut words = original.split_whitespace();
    let (Some(month), Some(day), Some(clock)) = (words.next(), words.next(), words.next()) else {
        return;
    };
    if !month.bytes().all(|c| c.is_ascii_alphabetic()) || month.len() < 3 {
        return;
    }
    let Some(month) = time::month_of(month.as_bytes()) else {
        return;
    };
    let Ok(day) = day.parse::<u32>() else {
        return;
    };
    let Ok(t) = chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S") else {
        return;
    };
    let stamp = BsdTimestamp {
        month,
        day,
        year: None,
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        nanos: 0,
    };
    if let Some(at) = time::resolve_bsd(&stamp, ctx.default_offset, ctx.received) {
        event.set("@timestamp", vigil_core::time::format_timestamp(at));
    }
    if let Some(host) = words.next().filter(|h| !h.contains('=')) {
        event.set("host.name", host);
        ecs::set_domain(event, "host.hostname", host);
    }
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
        assert_eq!(event.get_str("fortinet.firewall.devid"), Some("FG100E"));
        assert!(event.get("kv").is_none());
    }

    #[test]
    fn webfilter_block_is_a_failure() {
        let line = r#"date=2020-04-23 time=12:17:48 devname="testswitch1" devid="somerouterid" logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" tz="-0500" policyid=100602 user="elasticuser" srcip=192.168.2.1 srcport=61930 dstip=175.16.199.1 dstport=443 proto=6 service="HTTPS" hostname="elastic.co" action="blocked" url="/config/""#;
        let event = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get_str("event.kind"), Some("alert"));
        assert_eq!(event.get_str("url.original"), Some("/config/"));
        assert_eq!(event.get_str("url.path"), Some("/config/"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2020-04-23T17:17:48.000Z")
        );
    }

    #[test]
    fn forticlient_endpoint() {
        let line = "January 29 06:09:59 boNemoe4402.www.invalid proto=udp service=http status=deny src=10.150.92.220 dst=10.102.123.34 src_port=7178 dst_port=3994 server_app=reeufugi pid=7880 app_name=enderitq traff_direct=external block_count=5286 logon_user=sumdo@litesse6379.api.domain msg=failure";
        let ctx = ParseContext::new(
            chrono::DateTime::parse_from_rfc3339("2023-02-01T00:00:00Z")
                .map(|t| t.to_utc())
                .unwrap_or_default(),
        );
        let e = parse_line(line.as_bytes(), &ctx);
        assert_eq!(e.get_str("event.dataset"), Some("fortinet.clientendpoint"));
        assert_eq!(e.get_str("@timestamp"), Some("2023-01-29T06:09:59.000Z"));
        assert_eq!(e.get_str("host.name"), Some("boNemoe4402.www.invalid"));
        assert_eq!(e.get_str("source.ip"), Some("10.150.92.220"));
        assert_eq!(e.get("source.port"), Some(&json!(7178)));
        assert_eq!(e.get_str("destination.ip"), Some("10.102.123.34"));
        assert_eq!(e.get("destination.port"), Some(&json!(3994)));
        assert_eq!(e.get_str("user.name"), Some("sumdo"));
        assert_eq!(e.get_str("user.domain"), Some("litesse6379.api.domain"));
        assert_eq!(e.get("process.pid"), Some(&json!(7880)));
        assert_eq!(e.get_str("event.action"), Some("deny"));
        assert_eq!(e.get_str("event.outcome"), Some("failure"));
        assert_eq!(e.get_str("network.direction"), Some("external"));
        assert_eq!(e.get_str("fortinet.clientendpoint.msg"), Some("failure"));
        assert_eq!(e.get_str("event.original"), Some(line));
    }
}
