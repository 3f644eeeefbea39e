//! Juniper SRX firewall logs in structured syslog (RFC 5424 with an `SD-ID` of
//! `junos@2636.*`, app name `RT_FLOW` / `RT_SECINTEL` / `RT_IDP` / `RT_UTM` ...), mapped
//! from the structured data the syslog parser already decoded
//! (`log.syslog.structured_data`).
//!
//! ECS: `observer.vendor: Juniper`, `observer.product: SRX`, `observer.type: firewall`,
//! `event.module: juniper`, `event.dataset: juniper.srx`, `source.ip` / `source.port` /
//! `destination.ip` / `destination.port` (`source-address` ...), the NAT addresses as
//! `source.nat.*` / `destination.nat.*`, `network.iana_number` / `network.transport`
//! (`protocol-id`), `network.application` (`application` unless `N/A`), `user.name`
//! (`username` unless `N/A`), `rule.name` (`policy-name`), `observer.ingress.zone` /
//! `observer.egress.zone`, `related.ip`; by message id: `RT_FLOW_SESSION_CREATE` network /
//! connection, start, allowed, `flow_started`, success; `RT_FLOW_SESSION_CLOSE` network /
//! connection, end, allowed, `flow_terminated`, success; `RT_FLOW_SESSION_DENY` network /
//! connection, denied, `flow_denied`, failure; `SECINTEL_ACTION_LOG` (a security
//! intelligence feed hit: C&C, blocklists) `event.kind: alert`, malware and network /
//! connection, info, denied or allowed (`action` BLOCK / PERMIT), `malware_detected`,
//! failure when blocked; `RT_IDP_ATTACK_LOG_EVENT` intrusion_detection and network / info,
//! `intrusion_detected`. The native parameters stay in `log.syslog.structured_data`.

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::ecs;
use crate::programs::push_related;

/// Maps an SRX structured syslog record in place; returns whether it was one.
pub(crate) fn apply(event: &mut Event) -> bool {
    let Some(params) = junos_params(event) else {
        return false;
    };
    let msgid = event
        .get_str("log.syslog.msgid")
        .unwrap_or_default()
        .to_string();
    let get = |key: &str| {
        params
            .get(key)
            .and_then(ecs::scalar)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v != "N/A" && v != "None")
    };
    event.set("event.kind", "event");
    event.set("event.module", "juniper");
    event.set("event.dataset", "juniper.srx");
    event.set("observer.vendor", "Juniper");
    event.set("observer.product", "SRX");
    event.set("observer.type", "firewall");
    for (side, address, port) in [
        ("source", "source-address", "source-port"),
        ("destination", "destination-address", "destination-port"),
        ("source.nat", "nat-source-address", "nat-source-port"),
        (
            "destination.nat",
            "nat-destination-address",
            "nat-destination-port",
        ),
    ] {
        if let Some(ip) = get(address) {
            if ecs::set_ip(event, side, &ip) {
                push_related(event, "related.ip", &ip);
                if let Some(port) = get(port) {
                    ecs::set_port(event, &format!("{side}.port"), &port);
                }
            }
        }
    }
    if let Some(protocol) = get("protocol-id") {
        ecs::set_transport(event, &protocol);
    }
    for (key, path) in [
        ("application", "network.application"),
        ("policy-name", "rule.name"),
        ("source-zone-name", "observer.ingress.zone"),
        ("destination-zone-name", "observer.egress.zone"),
    ] {
        if let Some(v) = get(key) {
            ecs::set_str(event, path, &v);
        }
    }
    if let Some(user) = get("username") {
        ecs::set_user(event, "user.name", &user);
    }
    let blocked = get("action").is_some_and(|a| {
        matches!(
            a.to_ascii_uppercase().as_str(),
            "BLOCK" | "DROP" | "DENY" | "REJECT" | "CLOSE"
        )
    });
    let (kind, categories, types, action, outcome): (&str, &[&str], &[&str], &str, &str) =
        match msgid.as_str() {
            "RT_FLOW_SESSION_CREATE" => (
                "event",
                &["network"],
                &["connection", "start", "allowed"],
                "flow_started",
                "success",
            ),
            "RT_FLOW_SESSION_CLOSE" => (
                "event",
                &["network"],
                &["connection", "end", "allowed"],
                "flow_terminated",
                "success",
            ),
            "RT_FLOW_SESSION_DENY" => (
                "event",
                &["network"],
                &["connection", "denied"],
                "flow_denied",
                "failure",
            ),
            "SECINTEL_ACTION_LOG" if blocked => (
                "alert",
                &["malware", "network"],
                &["connection", "denied", "info"],
                "malware_detected",
                "failure",
            ),
            "SECINTEL_ACTION_LOG" => (
                "alert",
                &["malware", "network"],
                &["connection", "allowed", "info"],
                "malware_detected",
                "success",
            ),
            "RT_IDP_ATTACK_LOG_EVENT" => (
                "alert",
                &["intrusion_detection", "network"],
                &["info"],
                "intrusion_detected",
                "",
            ),
            _ => ("event", &[], &[], "", ""),
        };
    event.set("event.kind", kind);
    if !categories.is_empty() {
        ecs::set_array(event, "event.category", categories);
        ecs::set_array(event, "event.type", types);
        event.set("event.action", action);
    }
    if !outcome.is_empty() {
        event.set("event.outcome", outcome);
    }
    true
}

/// The parameters of the `junos@...` structured data element.
fn junos_params(event: &Event) -> Option<Map<String, Value>> {
    let sd = event.get("log.syslog.structured_data")?.as_object()?;
    sd.iter()
        .find(|(id, _)| id.starts_with("junos@"))
        .and_then(|(_, params)| params.as_object().cloned())
}

#[cfg(test)]
mod tests {
    use crate::{parse_line, ParseContext};
    use serde_json::{json, Value};

    #[test]
    fn flow_session_close() {
        let line = r#"<14>1 2019-11-14T09:37:51.184+01:00 fw1 RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.129 reason="idle Timeout" source-address="10.0.0.1" source-port="5353" destination-address="224.0.0.251" destination-port="5353" protocol-id="17" policy-name="p1" source-zone-name="trust" destination-zone-name="untrust" username="N/A"]"#;
        let event = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(event.get_str("event.action"), Some("flow_terminated"));
        assert_eq!(event.get_str("source.ip"), Some("10.0.0.1"));
        assert_eq!(event.get("destination.port"), Some(&Value::from(5353)));
        assert_eq!(event.get_str("network.transport"), Some("udp"));
        assert_eq!(
            event.get("event.type"),
            Some(&json!(["connection", "end", "allowed"]))
        );
        assert_eq!(event.get("user.name"), None);
        assert_eq!(event.get_str("rule.name"), Some("p1"));
    }
}
