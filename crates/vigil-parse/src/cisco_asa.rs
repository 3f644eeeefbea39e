//! Cisco ASA / FTD / PIX firewall messages: `%ASA-<severity>-<message id>: <text>`, as the
//! message of a syslog record (the tag `%ASA-4-106023:`), or as a line the ASA writes
//! itself (`[Mmm dd yyyy hh:mm:ss: ][host : ]%ASA-...`, zone-less time in the context's zone).
//!
//! ECS: `event.code` (message id), `event.severity` and `log.level` (the ASA severity 0–7),
//! `observer.vendor: Cisco`, `observer.product` (`asa`, `ftd`, `pix`),
//! `observer.type: firewall`, `event.module: cisco`, `event.dataset: cisco.asa`,
//! `event.kind: event`; the native `cisco.asa.message_id`. From the text, for every message:
//! connection tuples (`from IF:IP/PORT to IF:IP/PORT`, `src IF:IP/PORT dst IF:IP/PORT`,
//! `for IF:IP/PORT (...) to IF:IP/PORT`) as `source.*` / `destination.*` and
//! `observer.ingress.interface.name` / `observer.egress.interface.name`, the protocol
//! (`network.transport`), the user (`Username = X`, `User <X>`, `user = X`, `user 'X'`) as
//! `user.name`, a VPN peer (`IP = A.B.C.D`, `IP <A.B.C.D>`) as `source.ip`, `Group = X` /
//! `Group <X>` as `group.name`, `Reason: X` as `event.reason`, and `related.ip` /
//! `related.user`.
//!
//! `event.category` / `event.type` / `event.action` / `event.outcome` by message id:
//! denies (106001, 106006, 106007, 106014, 106015, 106021, 106023, 710003, and 106100 with
//! `denied`) are network / connection, denied, `firewall_deny`, failure; 106100 `permitted`
//! is network / connection, allowed, `firewall_allow`, success; built (302013, 302015,
//! 302017, 302020) network / connection, start, `connection_built`; teardown (302014,
//! 302016, 302018, 302021) network / connection, end, `connection_teardown`; AAA and
//! management logins (113004, 113012, 605005, 611101) authentication / start, success,
//! `user_login`; their failures (113005, 113006, 113015, 605004, 611102) authentication /
//! start, failure, `user_login_failed`; VPN session end (113019, 716002, 722023, 722037)
//! network / info, `vpn_session_ended`; VPN address assignment (722051) network / info,
//! `vpn_address_assigned`; anything else network / info with no action.

use vigil_core::Event;

use crate::programs::push_related;
use crate::{ecs, time, ParseContext};

/// How far into a line the `%ASA-` marker is looked for.
const WINDOW: usize = 96;

/// The marker products.
const PRODUCTS: [(&str, &str); 3] = [("%ASA-", "asa"), ("%FTD-", "ftd"), ("%PIX-", "pix")];

/// A standalone ASA line without `<PRI>` (see the module documentation).
pub(crate) fn line(text: &str, ctx: &ParseContext) -> Option<Event> {
    if text.starts_with('<') {
        return None;
    }
    let start = marker(text)?;
    let prefix = text.get(..start)?.trim_end();
    let mut event = Event::new();
    event.set("event.original", text);
    // `Mmm dd yyyy hh:mm:ss:` (the ASA's own format ends the time with a colon).
    let prefix = prefix.trim_end_matches(':').replacen(": ", " ", 1);
    if !prefix.is_empty() {
        let b = prefix.as_bytes();
        let (ts, len) = time::parse_bsd(b)?;
        let rest = prefix.get(len..)?.trim_start_matches(':').trim();
        let host = rest.trim_end_matches(':').trim();
        if host.contains(' ') {
            return None;
        }
        if let Some(t) = time::resolve_bsd(&ts, ctx.default_offset, ctx.received) {
            event.set("@timestamp", vigil_core::time::format_timestamp(t));
        }
        if !host.is_empty() {
            ecs::set_domain(&mut event, "host.name", host);
        }
    }
    apply(text.get(start..)?, &mut event).then_some(event)
}

/// A syslog record whose tag (`appname`) is `%ASA-n-nnnnnn`, or whose message starts with
/// `%ASA-`; returns whether it was one.
pub(crate) fn apply_syslog(appname: Option<&str>, message: &str, event: &mut Event) -> bool {
    if let Some(tag) = appname.filter(|a| a.starts_with('%')) {
        let joined = format!("{}: {message}", tag.trim_end_matches(':'));
        if apply(&joined, event) {
            event.set("message", message.trim());
            return true;
        }
    }
    message.starts_with('%') && apply(message, event)
}

/// Byte offset of an `%ASA-n-nnnnnn:` marker at the start or after a space.
fn marker(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let end = b.len().min(WINDOW);
    (0..end).find(|&i| {
        (i == 0 || b[i - 1] == b' ')
            && PRODUCTS
                .iter()
                .any(|(m, _)| b.get(i..i + m.len()) == Some(m.as_bytes()))
    })
}

/// Maps `%ASA-n-nnnnnn: text` (a whole syslog message, or the tag and message joined)
/// into `event`; returns whether it was one.
pub(crate) fn apply(message: &str, event: &mut Event) -> bool {
    let Some((product, rest)) = PRODUCTS
        .iter()
        .find_map(|(m, p)| message.strip_prefix(m).map(|r| (*p, r)))
    else {
        return false;
    };
    let Some((head, text)) = rest.split_once(':') else {
        return false;
    };
    let Some((severity, id)) = head.split_once('-') else {
        return false;
    };
    let (Ok(severity), true) = (
        severity.parse::<u8>(),
        id.len() == 6 && id.bytes().all(|b| b.is_ascii_digit()),
    ) else {
        return false;
    };
    let text = text.trim();
    event.set_default("message", text);
    event.set("event.kind", "event");
    event.set("event.module", "cisco");
    event.set("event.dataset", "cisco.asa");
    event.set("observer.vendor", "Cisco");
    event.set("observer.product", product);
    event.set("observer.type", "firewall");
    event.set("cisco.asa.message_id", id);
    ecs::set_number(event, "event.code", id);
    event.set("event.severity", severity);
    let levels = [
        "emergency",
        "alert",
        "critical",
        "error",
        "warning",
        "notice",
        "informational",
        "debug",
    ];
    if let Some(level) = levels.get(usize::from(severity)) {
        event.set("log.level", *level);
    }
    tuples(text, event);
    details(text, event);
    classify(id, text, event);
    true
}

/// Category, type, action and outcome by message id.
fn classify(id: &str, text: &str, event: &mut Event) {
    let (category, kinds, action, outcome): (&str, &[&str], Option<&str>, Option<&str>) = match id {
        "106001" | "106006" | "106007" | "106014" | "106015" | "106021" | "106023" | "710003" => (
            "network",
            &["connection", "denied"],
            Some("firewall_deny"),
            Some("failure"),
        ),
        "106100" if text.contains(" denied ") => (
            "network",
            &["connection", "denied"],
            Some("firewall_deny"),
            Some("failure"),
        ),
        "106100" if text.contains(" permitted ") => (
            "network",
            &["connection", "allowed"],
            Some("firewall_allow"),
            Some("success"),
        ),
        "302013" | "302015" | "302017" | "302020" => (
            "network",
            &["connection", "start"],
            Some("connection_built"),
            None,
        ),
        "302014" | "302016" | "302018" | "302021" => (
            "network",
            &["connection", "end"],
            Some("connection_teardown"),
            None,
        ),
        "113004" | "113012" | "605005" | "611101" => (
            "authentication",
            &["start"],
            Some("user_login"),
            Some("success"),
        ),
        "113005" | "113006" | "113015" | "605004" | "611102" => (
            "authentication",
            &["start"],
            Some("user_login_failed"),
            Some("failure"),
        ),
        "113019" | "716002" | "722023" | "722037" => {
            ("network", &["info"], Some("vpn_session_ended"), None)
        }
        "722051" => ("network", &["info"], Some("vpn_address_assigned"), None),
        _ => ("network", &["info"], None, None),
    };
    ecs::set_array(event, "event.category", &[category]);
    ecs::set_array(event, "event.type", kinds);
    if let Some(action) = action {
        event.set("event.action", action);
    }
    if let Some(outcome) = outcome {
        event.set("event.outcome", outcome);
    }
}

/// Connection tuples: `from IF:IP/PORT to IF:IP/PORT`, `src IF:IP/PORT dst IF:IP/PORT`,
/// `for IF:IP/PORT (...) to IF:IP/PORT`, and the protocol word before them.
fn tuples(text: &str, event: &mut Event) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut sides = [None::<&str>, None::<&str>];
    for pair in words.windows(2) {
        let (keyword, value) = (pair[0], pair[1]);
        let side = match keyword.to_ascii_lowercase().as_str() {
            "from" | "src" | "for" => 0,
            "to" | "dst" => 1,
            _ => continue,
        };
        if sides[side].is_none() && value.contains(':') && value.contains('/') {
            sides[side] = Some(value);
        }
    }
    for (endpoint, (side, interface)) in sides.iter().zip([
        ("source", "observer.ingress.interface.name"),
        ("destination", "observer.egress.interface.name"),
    ]) {
        let Some(endpoint) = endpoint else {
            continue;
        };
        let endpoint = endpoint.trim_end_matches([',', ';']);
        let Some((iface, address)) = endpoint.split_once(':') else {
            continue;
        };
        let (ip, port) = address.split_once('/').unwrap_or((address, ""));
        let port = port.split(['(', ')']).next().unwrap_or("");
        if ecs::set_ip(event, side, ip) {
            push_related(event, "related.ip", ip);
            ecs::set_port(event, &format!("{side}.port"), port);
            ecs::set_str(event, interface, iface);
        }
    }
    let lower = text.to_ascii_lowercase();
    for transport in ["tcp", "udp", "icmp", "gre"] {
        if lower.split_whitespace().any(|w| w == transport) {
            ecs::set_transport(event, transport);
            break;
        }
    }
}

/// User, VPN peer, group and reason phrases.
fn details(text: &str, event: &mut Event) {
    let after = |key: &str| -> Option<&str> {
        let start = text.find(key)? + key.len();
        let rest = &text[start..];
        if let Some(inner) = rest.strip_prefix('<') {
            return inner.split('>').next();
        }
        if let Some(inner) = rest.strip_prefix('\'') {
            return inner.split('\'').next();
        }
        rest.split([',', ' ']).next()
    };
    let user = ["Username = ", "User <", "user = ", "user '", "Username: "]
        .iter()
        .find_map(|k| after(k.trim_end_matches(['<', '\''])).filter(|u| !u.is_empty()));
    if let Some(user) = user {
        ecs::set_user(event, "user.name", user);
    }
    if event.get("source.ip").is_none() {
        if let Some(ip) = ["IP = ", "IP <"]
            .iter()
            .find_map(|k| after(k.trim_end_matches('<')))
        {
            if ecs::set_ip(event, "source", ip) {
                push_related(event, "related.ip", ip);
            }
        }
    }
    if let Some(group) = ["Group = ", "Group <"]
        .iter()
        .find_map(|k| after(k.trim_end_matches('<')))
    {
        ecs::set_str(event, "group.name", group);
    }
    if let Some(reason) = text.split_once("Reason: ").map(|(_, r)| r.trim()) {
        ecs::set_str(event, "event.reason", reason.trim_end_matches('.'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ctx() -> ParseContext {
        ParseContext::new(chrono::DateTime::UNIX_EPOCH)
    }

    #[test]
    fn deny_with_tuple() {
        let mut event = Event::new();
        assert!(apply(
            "%ASA-4-106023: Deny tcp src outside:198.51.100.7/51515 dst inside:10.0.0.5/22 by access-group \"in\" [0x0, 0x0]",
            &mut event
        ));
        assert_eq!(event.get_str("source.ip"), Some("198.51.100.7"));
        assert_eq!(event.get("destination.port"), Some(&Value::from(22)));
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            event.get("event.type"),
            Some(&json!(["connection", "denied"]))
        );
        assert_eq!(event.get_str("network.transport"), Some("tcp"));
        assert_eq!(event.get("event.code"), Some(&Value::from(106023)));
    }

    #[test]
    fn standalone_vpn_line() {
        let event = line(
            "Oct 20 2019 15:42:54: %ASA-4-722037: Group <GroupPolicy_X> User <Paul> IP <83.212.241.149> SVC closing connection: DPD failure.",
            &ctx(),
        )
        .unwrap_or_default();
        assert_eq!(event.get_str("user.name"), Some("Paul"));
        assert_eq!(event.get_str("source.ip"), Some("83.212.241.149"));
        assert_eq!(event.get_str("group.name"), Some("GroupPolicy_X"));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2019-10-20T15:42:54.000Z")
        );
        assert!(line("no marker here", &ctx()).is_none());
        assert!(line("a b c d %ASA-x", &ctx()).is_none());
    }
}
