//! F5 BIG-IP Advanced Firewall Manager (AFM) logs: the key=value payload of the
//! `[F5@<id> acl_policy_name=... action=Closed hostname=... date_time=Jan 29 2016 06:09:59
//! source_ip=... dest_ip=... ...]` structured element (or the same pairs without it),
//! applied by the key=value decoder ([`crate::kv`]) when an `acl_policy_name` /
//! `acl_rule_name` pair comes with the `[F5@` marker, `bigip_mgmt_ip` or `errdefs_msgno`.
//!
//! ECS: `event.module: f5`, `event.dataset: f5.bigipafm`, `observer.vendor: F5`,
//! `observer.product` (`device_product`, else `BIG-IP AFM`), `observer.type: firewall`,
//! `observer.version` (`device_version`), `observer.ip` (`bigip_mgmt_ip`),
//! `observer.hostname` and `host.name` (`hostname`, the BIG-IP that logged), `@timestamp`
//! (`date_time`, an unquoted `Mmm dd yyyy hh:mm:ss` read from the line, in the context's
//! zone), `source.*` / `destination.*` (`source_ip` / `dest_ip`, ports, NAT from
//! `translated_*`), `user.name` (`source_user`), `network.transport` or `network.type`
//! (`ip_protocol`), `network.vlan.id` (`vlan`), `rule.name` (`acl_rule_name`),
//! `rule.ruleset` (`acl_policy_name`), `event.code` (`errdefs_msgno`), `event.reason`
//! (`drop_reason`), `log.level` (`severity`), `event.action` (`action` as written), and
//! network / connection with allowed (`Accept`, `Established`, `Closed`: start or end) or
//! denied (`Drop`, `Reject`: `event.outcome` failure). The pairs are kept under
//! `f5.bigipafm.*` (instead of `kv.*`).

use vigil_core::time::format_timestamp;
use vigil_core::Event;

use crate::{ecs, kv, time, ParseContext};

/// The value of pair `key` (under `kv.*`) without quotes or the element's closing `]`.
fn pair(event: &Event, key: &str) -> Option<String> {
    event
        .get_str(&format!("kv.{key}"))
        .map(|v| v.trim().trim_end_matches(']').trim_matches('"').to_string())
        .filter(|v| ecs::present(v))
}

/// Whether the decoded pairs are an AFM log.
fn is_afm(event: &Event) -> bool {
    let acl = pair(event, "acl_policy_name").is_some() || pair(event, "acl_rule_name").is_some();
    let marked = event
        .get_str("message")
        .or_else(|| event.get_str("event.original"))
        .is_some_and(|m| m.contains("[F5@"));
    acl && (marked
        || pair(event, "bigip_mgmt_ip").is_some()
        || pair(event, "errdefs_msgno").is_some())
}

/// The unquoted value of `key` in `text`, running over spaces up to the next `word=`
/// (`date_time=Jan 29 2016 06:09:59 dest_ip=...` gives `Jan 29 2016 06:09:59`).
fn spaced_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("{key}=");
    let start = text
        .match_indices(&needle)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text.as_bytes()[i - 1] == b' ')?
        + needle.len();
    let rest = text.get(start..)?;
    let mut end = rest.len();
    let mut offset = 0;
    for word in rest.split(' ') {
        let is_pair = word.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty()
                && k.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        });
        if offset > 0 && is_pair {
            end = offset - 1;
            break;
        }
        offset += word.len() + 1;
    }
    Some(
        rest.get(..end)?
            .trim()
            .trim_end_matches(']')
            .trim_matches('"'),
    )
}

/// Adds the AFM mapping (see the module documentation); returns whether it applied.
pub(crate) fn apply(event: &mut Event, ctx: &ParseContext) -> bool {
    if !is_afm(event) {
        return false;
    }
    event.set("event.module", "f5");
    event.set("event.dataset", "f5.bigipafm");
    event.set("observer.vendor", "F5");
    event.set("observer.type", "firewall");
    let product = pair(event, "device_product").unwrap_or_else(|| "BIG-IP AFM".to_string());
    event.set("observer.product", product);
    for (key, path) in [
        ("device_version", "observer.version"),
        ("hostname", "host.name"),
        ("acl_rule_name", "rule.name"),
        ("acl_policy_name", "rule.ruleset"),
        ("errdefs_msgno", "event.code"),
        ("drop_reason", "event.reason"),
        ("severity", "log.level"),
        ("action", "event.action"),
    ] {
        if let Some(v) = pair(event, key) {
            ecs::set_str(event, path, &v);
        }
    }
    if let Some(host) = pair(event, "hostname") {
        ecs::set_domain(event, "observer.hostname", &host);
    }
    if let Some(ip) = pair(event, "bigip_mgmt_ip") {
        ecs::set_ip(event, "observer", &ip);
    }
    for (ip, port, side) in [
        ("source_ip", "source_port", "source"),
        ("dest_ip", "dest_port", "destination"),
        (
            "translated_source_ip",
            "translated_source_port",
            "source.nat",
        ),
        (
            "translated_dest_ip",
            "translated_dest_port",
            "destination.nat",
        ),
    ] {
        let (ip, port) = (pair(event, ip), pair(event, port));
        ecs::set_endpoint(event, side, ip.as_deref(), port.as_deref());
    }
    if let Some(user) = pair(event, "source_user") {
        ecs::set_user(event, "user.name", &user);
    }
    if let Some(vlan) = pair(event, "vlan") {
        ecs::set_str(event, "network.vlan.id", &vlan);
    }
    match pair(event, "ip_protocol").map(|p| p.to_ascii_lowercase()) {
        Some(v) if v == "ipv4" || v == "ipv6" => event.set("network.type", v),
        Some(v) if v.parse::<u8>().is_ok() || ["tcp", "udp", "icmp", "sctp"].contains(&&*v) => {
            ecs::set_transport(event, &v);
        }
        _ => {}
    }
    let original = event
        .get_str("message")
        .or_else(|| event.get_str("event.original"))
        .unwrap_or("")
        .to_string();
    if let Some(t) = spaced_value(&original, "date_time")
        .and_then(|v| time::parse_device_time(v, ctx.default_offset, ctx.received))
    {
        event.set("@timestamp", format_timestamp(t));
    }
    classify(event);
    kv::move_native(event, "f5.bigipafm");
    if !original.is_empty() {
        if let Some(v) = spaced_value(&original, "date_time") {
            event.set("f5.bigipafm.date_time", v);
        }
    }
    true
}

/// Category, type and outcome from the AFM `action`.
fn classify(event: &mut Event) {
    let action = pair(event, "action")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut types = vec!["connection"];
    if action.starts_with("drop") || action.starts_with("reject") || action.starts_with("deny") {
        types.push("denied");
        event.set("event.outcome", "failure");
    } else if action.starts_with("accept") || action == "established" || action == "closed" {
        types.push("allowed");
        if action == "closed" {
            types.push("end");
        } else if action == "established" {
            types.push("start");
        }
    } else {
        return;
    }
    ecs::set_array(event, "event.category", &["network"]);
    ecs::set_array(event, "event.type", &types);
}

#[cfg(test)]
mod tests {
    use super::spaced_value;
    use crate::{parse_line, ParseContext};
    use serde_json::json;

    const AFM: &str = "iusm modtempo olab6078.home olaboris tur itv [F5@odoco acl_policy_name=ria acl_policy_type=min acl_rule_name=ite action=Closed hostname=tatemac3541.api.corp bigip_mgmt_ip=10.228.193.207 context_name=liqua context_type=ciade date_time=Jan 29 2016 06:09:59 dest_ip=10.125.114.51 dst_geo=umq dest_port=2288 device_product=pexe device_vendor=nes device_version=1.2262 drop_reason=reveri errdefs_msgno=boNemoe errdefs_msg_name=equepor flow_id=eni ip_protocol=ipv6 severity=low partition_name=ehend route_domain=ritquiin sa_translation_pool=umqui sa_translation_type=reeufugi source_ip=10.208.121.85 src_geo=sperna source_port=884 source_user=billoi translated_dest_ip=10.165.201.71 translated_dest_port=6153 translated_ip_protocol=tatemU translated_route_domain=deF translated_source_ip=10.11.196.142 translated_source_port=5222 translated_vlan=iatnu vlan=3810";

    #[test]
    fn afm_line() {
        let e = parse_line(AFM.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("event.dataset"), Some("f5.bigipafm"));
        assert_eq!(e.get_str("@timestamp"), Some("2016-01-29T06:09:59.000Z"));
        assert_eq!(e.get_str("event.action"), Some("Closed"));
        assert_eq!(e.get_str("source.ip"), Some("10.208.121.85"));
        assert_eq!(e.get("source.port"), Some(&json!(884)));
        assert_eq!(e.get_str("destination.ip"), Some("10.125.114.51"));
        assert_eq!(e.get("destination.port"), Some(&json!(2288)));
        assert_eq!(e.get_str("source.nat.ip"), Some("10.11.196.142"));
        assert_eq!(e.get("destination.nat.port"), Some(&json!(6153)));
        assert_eq!(e.get_str("user.name"), Some("billoi"));
        assert_eq!(e.get_str("host.name"), Some("tatemac3541.api.corp"));
        assert_eq!(e.get_str("observer.ip"), Some("10.228.193.207"));
        assert_eq!(e.get_str("rule.name"), Some("ite"));
        assert_eq!(e.get_str("network.type"), Some("ipv6"));
        assert_eq!(
            e.get("event.type"),
            Some(&json!(["connection", "allowed", "end"]))
        );
        assert_eq!(
            e.get_str("f5.bigipafm.date_time"),
            Some("Jan 29 2016 06:09:59")
        );
        assert_eq!(e.get_str("f5.bigipafm.vlan"), Some("3810"));
        assert_eq!(e.get_str("event.original"), Some(AFM));
    }

    #[test]
    fn afm_drop_is_denied() {
        let line = r#"[F5@12276 acl_policy_name="/Common/p" acl_rule_name="r1" action="Drop" bigip_mgmt_ip="10.0.0.1" date_time="Jan 29 2016 06:09:59" dest_ip="10.0.0.2" dest_port="22" ip_protocol="TCP" source_ip="10.0.0.3" source_port="5000"]"#;
        let e = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("event.outcome"), Some("failure"));
        assert_eq!(e.get_str("network.transport"), Some("tcp"));
        assert_eq!(e.get("source.port"), Some(&json!(5000)));
        assert_eq!(e.get_str("@timestamp"), Some("2016-01-29T06:09:59.000Z"));
    }

    #[test]
    fn spaced_values() {
        assert_eq!(spaced_value("a=1 2 b=3", "a"), Some("1 2"));
        assert_eq!(spaced_value("a=1 2 b=3", "b"), Some("3"));
        assert_eq!(spaced_value("xa=1 a=2", "a"), Some("2"));
        assert_eq!(spaced_value("a=1", "c"), None);
    }
}
