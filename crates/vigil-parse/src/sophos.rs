//! Sophos firewalls: Sophos XG / SFOS key=value logs (`device="SFW" date=2020-05-18
//! time=14:38:45 timezone="CEST" device_name="XG230" device_id=... log_id=010101600001
//! log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" ...`), applied
//! by the key=value decoder ([`crate::kv`]) when `log_id`, `log_type` and `device_name` or
//! `device_id` are present ([`apply_xg`]), and the Sophos UTM syslog form
//! (`[<PRI>]2016:1:29-06:09:59 host prog[pid]: message`, [`utm_line`]), whose message
//! then goes through the usual syslog message detection.
//!
//! XG ECS: `event.module: sophos`, `event.dataset: sophos.xg`, `observer.vendor: Sophos`,
//! `observer.product: XG`, `observer.type: firewall`, `observer.name` (`device_name`),
//! `observer.serial_number` (`device_id`), `event.code` (`log_id`), `log.level` and
//! `event.severity` (`priority`), `@timestamp` (`date` + `time` in `timezone`, else the
//! context's zone) and `event.timezone`, `source.*` / `destination.*` (`src_ip` /
//! `sourceip`, ports, `src_mac`, NAT from `tran_*`, bytes, packets, `src_domainname`,
//! e-mail addresses), `source.user.*` (`user_name`, `user_gp`), `url.original` (`url`),
//! `url.domain` (`domain`), `http.response.status_code` (`status_code` /
//! `httpresponsecode`), `user_agent.original`, `rule.*` (`fw_rule_id`, or the IPS
//! `signature_id` / `signature_msg` / `classification`), interfaces and zones,
//! `event.duration`, `event.id` (`eventid`), `event.reason`. `event.action` is
//! `log_subtype` in lower case for the verdict logs; by `log_type`: Firewall network /
//! connection (start or end from `connevent`), Content Filtering network + web, IDP and
//! ATP intrusion_detection (an alert), Anti-Virus and Sandstorm malware (an alert),
//! Anti-Spam email / info, Event authentication logs authentication / start, System
//! Health host / info, Wireless Protection network / info; allowed or denied with
//! `event.outcome` success or failure from `log_subtype` (`Allowed`, `Denied`, `Drop`).
//! The pairs are kept under `sophos.xg.*` (instead of `kv.*`).
//!
//! UTM ECS: `@timestamp` (the device's local time in the context's zone), `host.name`,
//! `process.name`, `process.pid` (also Apache's `[pid N:tid T]` of `reverseproxy`),
//! `log.syslog.*`, `observer.vendor: Sophos`, `observer.product: UTM`,
//! `event.dataset: sophos.utm`; key=value messages (`confd`, `ulogd`: `srcip`, `user` ...)
//! keep their pairs under `sophos.utm.*`.

use chrono::{NaiveDate, NaiveDateTime};
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use crate::programs::push_related;
use crate::syslog::{FACILITY_NAMES, SEVERITY_NAMES};
use crate::{detect, ecs, kv, time, ParseContext};

/// The value of pair `key` (under `kv.*`), trimmed, unless empty.
fn pair(event: &Event, key: &str) -> Option<String> {
    event
        .get_str(&format!("kv.{key}"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether the decoded pairs are a Sophos XG log.
fn is_xg(event: &Event) -> bool {
    pair(event, "log_id").is_some()
        && pair(event, "log_type").is_some()
        && (pair(event, "device_name").is_some() || pair(event, "device_id").is_some())
}

/// Syslog severity number of a Sophos `priority` name.
fn severity(priority: &str) -> Option<u8> {
    Some(match priority.to_ascii_lowercase().as_str() {
        "emergency" => 0,
        "alert" => 1,
        "critical" => 2,
        "error" => 3,
        "warning" => 4,
        "notification" | "notice" => 5,
        "information" | "informational" => 6,
        "debug" => 7,
        _ => return None,
    })
}

/// `allowed` / `denied` for a verdict `log_subtype`, `None` for the informational ones.
fn verdict(subtype: &str) -> Option<&'static str> {
    match subtype.to_ascii_lowercase().as_str() {
        "allowed" | "allow" | "accept" | "accepted" | "pass" => Some("allowed"),
        "denied" | "deny" | "drop" | "dropped" | "blocked" | "block" | "reject" | "rejected" => {
            Some("denied")
        }
        _ => None,
    }
}

/// Adds the Sophos XG mapping (see the module documentation); returns whether it applied.
pub(crate) fn apply_xg(event: &mut Event, ctx: &ParseContext) -> bool {
    if !is_xg(event) {
        return false;
    }
    event.set("event.module", "sophos");
    event.set("event.dataset", "sophos.xg");
    event.set("observer.vendor", "Sophos");
    event.set("observer.product", "XG");
    event.set("observer.type", "firewall");
    for (key, path) in [
        ("device_name", "observer.name"),
        ("device_id", "observer.serial_number"),
        ("log_id", "event.code"),
        ("priority", "log.level"),
        ("in_interface", "observer.ingress.interface.name"),
        ("out_interface", "observer.egress.interface.name"),
        ("srczone", "observer.ingress.zone"),
        ("dstzone", "observer.egress.zone"),
        ("url", "url.original"),
        ("domain", "url.domain"),
        ("user_agent", "user_agent.original"),
        ("eventid", "event.id"),
        ("reason", "event.reason"),
        ("email_subject", "email.subject"),
        ("from_email_address", "source.user.email"),
        ("to_email_address", "destination.user.email"),
        ("user_gp", "source.user.group.name"),
    ] {
        if let Some(v) = pair(event, key) {
            ecs::set_str(event, path, &v);
        }
    }
    // `url.scheme`, `url.domain`, `url.port`, `url.path`, `url.query` from the URL.
    if let Some(url) = event.get_str("url.original").map(str::to_string) {
        crate::web::set_url_parts(event, &url);
    }
    if let Some(level) = pair(event, "priority").and_then(|p| severity(&p)) {
        event.set("event.severity", level);
    }
    set_time(event, ctx);
    set_addresses(event);
    if let Some(user) = pair(event, "user_name") {
        ecs::set_user(event, "source.user.name", &user);
    }
    for (key, path) in [
        ("sent_bytes", "source.bytes"),
        ("recv_bytes", "destination.bytes"),
        ("sent_pkts", "source.packets"),
        ("recv_pkts", "destination.packets"),
    ] {
        if let Some(v) = pair(event, key) {
            ecs::set_number(event, path, &v);
        }
    }
    if let Some(status) = pair(event, "status_code").or_else(|| pair(event, "httpresponsecode")) {
        ecs::set_number(event, "http.response.status_code", &status);
    }
    if let Some(seconds) = pair(event, "duration").and_then(|d| d.parse::<u64>().ok()) {
        event.set("event.duration", seconds.saturating_mul(1_000_000_000));
    }
    // An IPS signature is the rule that matched; else the firewall rule.
    if let Some(id) = pair(event, "signature_id").or_else(|| pair(event, "fw_rule_id")) {
        ecs::set_str(event, "rule.id", &id);
    }
    for (key, path) in [
        ("signature_msg", "rule.name"),
        ("classification", "rule.category"),
    ] {
        if let Some(v) = pair(event, key) {
            ecs::set_str(event, path, &v);
        }
    }
    classify(event);
    kv::move_native(event, "sophos.xg");
    true
}

/// `@timestamp` from `date` + `time` in `timezone` (else the context's zone).
fn set_time(event: &mut Event, ctx: &ParseContext) {
    let zone = pair(event, "timezone");
    if let Some(zone) = &zone {
        event.set("event.timezone", zone.as_str());
    }
    let (Some(date), Some(clock)) = (pair(event, "date"), pair(event, "time")) else {
        return;
    };
    let offset = zone
        .and_then(|z| time::parse_zone(&z))
        .unwrap_or(ctx.default_offset);
    if let Some(t) = NaiveDateTime::parse_from_str(&format!("{date} {clock}"), "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|t| t.and_local_timezone(offset).single())
    {
        event.set("@timestamp", format_timestamp(t.to_utc()));
    }
}

/// Addresses the generic key=value mapping does not know (`sourceip`, NAT, MAC, domains).
fn set_addresses(event: &mut Event) {
    if let Some(ip) = pair(event, "sourceip") {
        ecs::set_ip(event, "source", &ip);
    }
    if let Some(ip) = pair(event, "destinationip") {
        ecs::set_ip(event, "destination", &ip);
    }
    for (ip_key, port_key, side) in [
        ("tran_src_ip", "tran_src_port", "source.nat"),
        ("tran_dst_ip", "tran_dst_port", "destination.nat"),
    ] {
        if let Some(ip) = pair(event, ip_key) {
            if ecs::set_ip(event, side, &ip) {
                if let Some(port) = pair(event, port_key) {
                    ecs::set_port(event, &format!("{side}.port"), &port);
                }
            }
        }
    }
    if let Some(mac) = pair(event, "src_mac") {
        ecs::set_mac(event, "source.mac", &mac);
    }
    for (key, path) in [
        ("src_domainname", "source.domain"),
        ("dst_domainname", "destination.domain"),
    ] {
        if let Some(domain) = pair(event, key) {
            ecs::set_domain(event, path, &domain);
        }
    }
}

/// `event.kind` / `category` / `type` / `action` / `outcome` from `log_type` and
/// `log_subtype`.
fn classify(event: &mut Event) {
    let log_type = pair(event, "log_type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let subtype = pair(event, "log_subtype").unwrap_or_default();
    let verdict = verdict(&subtype);
    if verdict.is_some() {
        event.set("event.action", subtype.to_ascii_lowercase());
        event.set(
            "event.outcome",
            if verdict == Some("denied") {
                "failure"
            } else {
                "success"
            },
        );
    }
    let with_verdict = |base: &[&'static str]| {
        let mut types = base.to_vec();
        types.extend(verdict);
        types
    };
    let (categories, types, alert): (&[&str], Vec<&str>, bool) = match log_type.as_str() {
        "firewall" => {
            let mut types = with_verdict(&["connection"]);
            match pair(event, "connevent").as_deref() {
                Some("Start") => types.push("start"),
                Some("Stop") => types.push("end"),
                _ => {}
            }
            (&["network"], types, false)
        }
        "content filtering" | "ssl" | "waf" => (&["network", "web"], with_verdict(&[]), false),
        "idp" | "atp" => (&["intrusion_detection", "network"], with_verdict(&[]), true),
        "anti-virus" | "sandstorm" | "sandbox" => {
            (&["malware", "network"], with_verdict(&[]), true)
        }
        "anti-spam" => (&["email"], with_verdict(&["info"]), false),
        "event" if subtype.eq_ignore_ascii_case("authentication") => {
            if let Some(status) = pair(event, "status") {
                ecs::set_outcome(event, &status);
            }
            (&["authentication"], vec!["start"], false)
        }
        "system health" => (&["host"], vec!["info"], false),
        "wireless protection" => (&["network"], vec!["info"], false),
        _ => (&[], Vec::new(), false),
    };
    if alert && verdict.is_some() {
        event.set("event.kind", "alert");
    }
    if !categories.is_empty() && !types.is_empty() {
        ecs::set_array(event, "event.category", categories);
        ecs::set_array(event, "event.type", &types);
    }
}

// ---------------------------------------------------------------------------------------
// Sophos UTM

/// `YYYY:M:D-HH:MM:SS` (fields not zero-padded) at the start of `s`, and its length.
fn utm_time(s: &str) -> Option<(NaiveDateTime, usize)> {
    let end = s.find(' ')?;
    let stamp = s.get(..end)?;
    let (date, clock) = stamp.split_once('-')?;
    let mut d = date.split(':').map(str::parse::<u32>);
    let (year, month, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut c = clock.split(':').map(str::parse::<u32>);
    let (hour, minute, second) = (c.next()?.ok()?, c.next()?.ok()?, c.next()?.ok()?);
    if d.next().is_some() || c.next().is_some() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some((date.and_hms_opt(hour, minute, second)?, end))
}

/// A Sophos UTM syslog line (see the module documentation), or `None` when `text` does
/// not start with the UTM timestamp, a host and a `prog[pid]:` / `prog:` tag.
pub(crate) fn utm_line(text: &str, ctx: &ParseContext) -> Option<Event> {
    let (pri, rest) = match text.strip_prefix('<') {
        Some(after) => {
            let (digits, rest) = after.split_once('>')?;
            (Some(digits.parse::<u8>().ok().filter(|p| *p <= 191)?), rest)
        }
        None => (None, text),
    };
    let b = rest.as_bytes();
    if b.len() < 20 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b':' {
        return None;
    }
    let (local, len) = utm_time(rest)?;
    let after = rest.get(len + 1..)?;
    let (host, after) = after.split_once(' ')?;
    let (tag, message) = match after.split_once(": ") {
        Some(split) => split,
        None => (after.strip_suffix(':')?, ""),
    };
    let (program, pid) = match tag.split_once('[') {
        Some((program, pid)) => (program, Some(pid.strip_suffix(']')?)),
        None => (tag, None),
    };
    let tag_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
    };
    if host.is_empty() || !tag_ok(program) {
        return None;
    }
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", message);
    event.set("event.kind", "event");
    if let Some(t) = local.and_local_timezone(ctx.default_offset).single() {
        event.set("@timestamp", format_timestamp(t.to_utc()));
    }
    event.set("host.name", host);
    event.set("log.syslog.hostname", host);
    event.set("process.name", program);
    event.set("log.syslog.appname", program);
    if let Some(pid) = pid {
        event.set("log.syslog.procid", pid);
        ecs::set_number(&mut event, "process.pid", pid);
    }
    if let Some(pri) = pri {
        let (facility, severity) = (usize::from(pri >> 3), usize::from(pri & 7));
        event.set("log.syslog.priority", pri);
        event.set("log.syslog.facility.code", facility);
        event.set("log.syslog.severity.code", severity);
        if let Some(name) = FACILITY_NAMES.get(facility) {
            event.set("log.syslog.facility.name", *name);
        }
        if let Some(name) = SEVERITY_NAMES.get(severity) {
            event.set("log.syslog.severity.name", *name);
        }
    }
    push_related(&mut event, "related.hosts", host);
    detect::syslog_body(
        Some(program),
        Some(program),
        message,
        false,
        ctx,
        &mut event,
    );
    event.set("event.module", "sophos");
    event.set("event.dataset", "sophos.utm");
    event.set("observer.vendor", "Sophos");
    event.set("observer.product", "UTM");
    event.set("observer.type", "firewall");
    if event.get("process.pid").is_none() {
        apache_brackets(&mut event, message);
    }
    kv::move_native(&mut event, "sophos.utm");
    Some(event)
}

/// The reverse proxy (Apache) writes `[module:level] [pid N:tid T]` in its message.
fn apache_brackets(event: &mut Event, message: &str) {
    for group in message.split('[').skip(1) {
        let Some((inner, _)) = group.split_once(']') else {
            continue;
        };
        if let Some(pid) = inner.strip_prefix("pid ") {
            let pid = pid.split([':', ' ']).next().unwrap_or("");
            ecs::set_number(event, "process.pid", pid);
            return;
        }
        if let Some((_, level)) = inner.split_once(':') {
            if event.get("log.level").is_none() && level.bytes().all(|c| c.is_ascii_lowercase()) {
                ecs::set_str(event, "log.level", level);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse_line, ParseContext};
    use serde_json::json;

    #[test]
    fn xg_firewall_allowed() {
        let line = r#"device="SFW" date=2020-05-18 time=14:38:45 timezone="CEST" device_name="XG230" device_id=1234567890123456 log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" status="Allow" priority=Information duration=0 fw_rule_id=61 policy_type=2 user_name="elastic@user.local" user_gp="elastic.group.local" iap=0 in_interface="ipsec0" out_interface="Port2" src_mac=00:00:00:00:00:00 src_ip=10.84.234.7 src_country_code=R1 dst_ip=172.16.34.50 dst_country_code=R1 protocol="TCP" src_port=58543 dst_port=443 sent_pkts=0  recv_pkts=0 sent_bytes=0 recv_bytes=0 tran_src_ip="" tran_src_port=0 srczonetype="VPN" srczone="VPN" dstzonetype="VPN" dstzone="VPN" connevent="Start" connid="1615935064""#;
        let e = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("event.dataset"), Some("sophos.xg"));
        assert_eq!(e.get_str("observer.name"), Some("XG230"));
        assert_eq!(e.get_str("source.ip"), Some("10.84.234.7"));
        assert_eq!(e.get("source.port"), Some(&json!(58543)));
        assert_eq!(e.get_str("destination.ip"), Some("172.16.34.50"));
        assert_eq!(e.get("destination.port"), Some(&json!(443)));
        assert_eq!(e.get_str("network.transport"), Some("tcp"));
        assert_eq!(e.get_str("user.name"), Some("elastic@user.local"));
        assert_eq!(e.get("event.category"), Some(&json!(["network"])));
        assert_eq!(
            e.get("event.type"),
            Some(&json!(["connection", "allowed", "start"]))
        );
        assert_eq!(e.get_str("event.action"), Some("allowed"));
        assert_eq!(e.get_str("event.outcome"), Some("success"));
        assert_eq!(e.get_str("observer.ingress.zone"), Some("VPN"));
        assert_eq!(e.get_str("rule.id"), Some("61"));
        assert_eq!(e.get("event.severity"), Some(&json!(6)));
        // `timezone="CEST"` is honoured: 14:38:45 +02:00.
        assert_eq!(e.get_str("@timestamp"), Some("2020-05-18T12:38:45.000Z"));
        assert_eq!(e.get_str("event.timezone"), Some("CEST"));
        assert_eq!(e.get_str("sophos.xg.log_component"), Some("Firewall Rule"));
        assert!(e.get("kv").is_none());
        assert_eq!(e.get_str("event.original"), Some(line));
    }

    #[test]
    fn xg_atp_drop_is_a_denied_alert() {
        let line = r#"device="SFW" date=2020-05-18 time=14:38:34 timezone="CEST" device_name="XG230" device_id=1234567890123456 log_id=086504418010 log_type="ATP" log_component="Web" log_subtype="Drop" priority=Warning user_name="" protocol="TCP" src_port=57579 dst_port=80 sourceip=172.16.34.24 destinationip=13.226.155.22 url=http://sophostest.com/callhome/index.html threatname=C2/Generic-A eventid=E91DAD80-BDE4-4682-B7E8-FE394B70A36C eventtype="Standard""#;
        let e = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("source.ip"), Some("172.16.34.24"));
        assert_eq!(e.get_str("destination.ip"), Some("13.226.155.22"));
        assert_eq!(
            e.get_str("url.original"),
            Some("http://sophostest.com/callhome/index.html")
        );
        assert_eq!(e.get_str("url.scheme"), Some("http"));
        assert_eq!(e.get_str("url.domain"), Some("sophostest.com"));
        assert_eq!(e.get_str("url.path"), Some("/callhome/index.html"));
        assert_eq!(e.get_str("event.kind"), Some("alert"));
        assert_eq!(e.get_str("event.action"), Some("drop"));
        assert_eq!(e.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            e.get("event.category"),
            Some(&json!(["intrusion_detection", "network"]))
        );
        assert_eq!(e.get_str("sophos.xg.threatname"), Some("C2/Generic-A"));
    }

    #[test]
    fn xg_content_filter_and_idp() {
        let line = r#"device="SFW" date=2020-05-18 time=14:38:53 timezone="CEST" device_name="XG230" device_id=1234567890123456 log_id=050901616001 log_type="Content Filtering" log_component="HTTP" log_subtype="Allowed" status="" priority=Information fw_rule_id=2 url="http://update.eset.com/eset_upd/ep7/dll/update.ver.signed" src_ip=1.128.3.4 dst_ip=91.228.167.133 protocol="TCP" src_port=65391 dst_port=80 sent_bytes=980 recv_bytes=295 domain=update.eset.com status_code="304""#;
        let e = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(e.get("http.response.status_code"), Some(&json!(304)));
        assert_eq!(e.get_str("url.domain"), Some("update.eset.com"));
        assert_eq!(e.get("source.bytes"), Some(&json!(980)));
        assert_eq!(e.get("event.category"), Some(&json!(["network", "web"])));

        let idp = r#"device="SFW" date=2020-05-18 time=14:38:55 timezone="CEST" device_name="XG230" device_id=1234567890123456 log_id=020804407002 log_type="IDP" log_component="Signatures" log_subtype="Drop" priority=Warning idp_policy_id=7 fw_rule_id=23 user_name="" signature_id=1616 signature_msg="PROTOCOL-DNS named version attempt" classification="Attempted Information Leak" rule_priority=1 src_ip=89.160.20.156 dst_ip=67.43.156.12 protocol="UDP" src_port=58914 dst_port=53"#;
        let e = parse_line(idp.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("rule.id"), Some("1616"));
        assert_eq!(
            e.get_str("rule.name"),
            Some("PROTOCOL-DNS named version attempt")
        );
        assert_eq!(e.get("destination.port"), Some(&json!(53)));
        assert_eq!(e.get_str("event.outcome"), Some("failure"));
    }

    #[test]
    fn xg_informational_logs_have_no_verdict() {
        let line = r#"device="SFW" date=2017-02-01 time=14:17:35 timezone="IST" device_name="SG115" device_id=S110016E28BA631 log_id=106025618011 log_type="Wireless Protection" log_component="Wireless Protection" log_subtype="Information" priority=Information ap=A40024A636F7862 ssid=SPIDIGO2015 clients_conn_SSID=2"#;
        let e = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("observer.serial_number"), Some("S110016E28BA631"));
        assert_eq!(e.get_str("event.outcome"), None);
        assert_eq!(e.get_str("event.action"), None);
        assert_eq!(e.get_str("@timestamp"), Some("2017-02-01T08:47:35.000Z"));
        assert_eq!(e.get_str("sophos.xg.ssid"), Some("SPIDIGO2015"));
    }

    #[test]
    fn utm_syslog_lines() {
        let ctx = ParseContext::default();
        let e = parse_line(
            b"2016:1:29-06:09:59 localhost.localdomain smtpd[905]: MASTER[nnumqua]: QR globally disabled, status one set to 'disabled'",
            &ctx,
        );
        assert_eq!(e.get_str("@timestamp"), Some("2016-01-29T06:09:59.000Z"));
        assert_eq!(e.get_str("host.name"), Some("localhost.localdomain"));
        assert_eq!(e.get_str("process.name"), Some("smtpd"));
        assert_eq!(e.get("process.pid"), Some(&json!(905)));
        assert_eq!(e.get_str("event.dataset"), Some("sophos.utm"));

        let e = parse_line(
            b"2016:3:26-10:20:16 ctetura3009.www5.corp reverseproxy: [lita] [adeseru:medium] [pid 7692:eaq] amest configured -- corp normal operations",
            &ctx,
        );
        assert_eq!(e.get("process.pid"), Some(&json!(7692)));
        assert_eq!(e.get_str("log.level"), Some("medium"));

        let e = parse_line(
            b"2016:3:12-03:17:42 data4478.api.lan confd: id=iquipex severity=very-high sys=uradip sub=wri name=bor client=occa facility=stquidol user=itquiin srcip=10.106.239.55 version=1.3129",
            &ctx,
        );
        assert_eq!(e.get_str("source.ip"), Some("10.106.239.55"));
        assert_eq!(e.get_str("user.name"), Some("itquiin"));
        assert_eq!(e.get_str("sophos.utm.sub"), Some("wri"));
        assert_eq!(e.get_str("@timestamp"), Some("2016-03-12T03:17:42.000Z"));
    }

    #[test]
    fn not_utm_falls_back() {
        let line = "2016:1:29-99:09:59 host prog: text";
        let e = parse_line(line.as_bytes(), &ParseContext::default());
        assert_eq!(e.get_str("event.original"), Some(line));
        assert_ne!(e.get_str("event.dataset"), Some("sophos.utm"));
    }
}
