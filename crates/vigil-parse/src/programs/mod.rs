//! Message-level normalisation after the syslog header: a small registry of parsers
//! routed by program name (one module per program), each mapping the messages it knows
//! to ECS (`event.category/type/action/outcome`, `source.*`, `user.*`, `related.*`).
//!
//! Routing: a tag with a `(pam_unix)` suffix (`sshd(pam_unix)`) goes to [`pam`]; then the
//! registry entry for `process.name`; then any message starting with `pam_unix(`.
//! `message repeated N times: [ ... ]` wrappers are unwrapped first. A message no parser
//! knows keeps the event as the header gave it, which is not a parse failure.
//!
//! To add a program: a module with `fn parse(message, &mut Event) -> bool` and an entry
//! in [`REGISTRY`]. `kernel` ([`kernel`]: iptables / nftables / UFW firewall lines) is
//! registered here; formats that are not tied to one program (CEF, LEEF, web servers,
//! key=value) are detected around this registry by the crate's format detection.

pub mod accounts;
pub mod kernel;
pub mod logind;
pub mod pam;
pub mod sshd;
pub mod su;
pub mod sudo;

use std::net::IpAddr;

use serde_json::Value;
use vigil_core::Event;

/// One registered program parser.
#[derive(Debug, Clone, Copy)]
pub struct ProgramParser {
    /// `process.name` values routed to it.
    pub programs: &'static [&'static str],
    /// Maps a message to ECS fields; returns whether it recognised the message.
    pub parse: fn(&str, &mut Event) -> bool,
}

/// Every registered program parser.
pub const REGISTRY: &[ProgramParser] = &[
    ProgramParser {
        programs: &["sshd", "sshd-session", "sshd-auth"],
        parse: sshd::parse,
    },
    ProgramParser {
        programs: &["kernel"],
        parse: kernel::parse,
    },
    ProgramParser {
        programs: &["sudo"],
        parse: sudo::parse,
    },
    ProgramParser {
        programs: &["su"],
        parse: su::parse,
    },
    ProgramParser {
        programs: &["systemd-logind"],
        parse: logind::parse,
    },
    ProgramParser {
        programs: &[
            "useradd", "usermod", "userdel", "groupadd", "groupdel", "passwd", "chage", "gpasswd",
        ],
        parse: accounts::parse,
    },
    ProgramParser {
        programs: &["login", "gdm", "gdm-password", "cron", "CRON", "crond"],
        parse: pam::parse,
    },
];

/// Normalises `message` of a syslog event from `program` (full tag `appname`).
/// Returns whether some parser recognised the message.
pub fn normalise(
    program: Option<&str>,
    appname: Option<&str>,
    message: &str,
    event: &mut Event,
) -> bool {
    if message.is_empty() {
        return false;
    }
    let message = unwrap_repeated(message);
    if appname.is_some_and(|a| a.ends_with("(pam_unix)")) {
        return pam::parse_body(message, event);
    }
    if let Some(program) = program {
        if let Some(parser) = REGISTRY.iter().find(|p| p.programs.contains(&program)) {
            return (parser.parse)(message, event);
        }
    }
    if message.starts_with("pam_unix(") {
        return pam::parse(message, event);
    }
    false
}

/// `message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]`
/// (rsyslog's reduction) yields the inner message.
fn unwrap_repeated(message: &str) -> &str {
    message
        .strip_prefix("message repeated ")
        .and_then(|r| r.split_once(" times: ["))
        .map(|(_, inner)| inner.strip_suffix(']').unwrap_or(inner).trim())
        .unwrap_or(message)
}

// ---- helpers shared by the program modules ----

/// Sets the ECS categorisation fields.
pub(crate) fn categorise(
    event: &mut Event,
    category: &str,
    kind: &str,
    action: &str,
    outcome: Option<&str>,
) {
    event.set("event.category", Value::Array(vec![Value::from(category)]));
    event.set("event.type", Value::Array(vec![Value::from(kind)]));
    event.set("event.action", action);
    if let Some(outcome) = outcome {
        event.set("event.outcome", outcome);
    }
}

/// Appends `value` to the array at `path` (`related.ip`), once.
pub(crate) fn push_related(event: &mut Event, path: &str, value: &str) {
    // In place when the array exists (no remove and re-insert).
    if let Some(Value::Array(values)) = event.get_mut(path) {
        if !values.iter().any(|v| v.as_str() == Some(value)) {
            values.push(Value::from(value));
        }
        return;
    }
    event.set(path, Value::Array(vec![Value::from(value)]));
}

/// `user.name` and `related.user` (nothing for an empty name).
pub(crate) fn set_user(event: &mut Event, name: &str) {
    if !name.is_empty() {
        event.set("user.name", name);
        push_related(event, "related.user", name);
    }
}

/// `source.ip` + `related.ip` for an IP address, else `source.domain` + `related.hosts`
/// for a host name. Brackets around IPv6 are removed.
pub(crate) fn set_source_address(event: &mut Event, address: &str) {
    let address = address.trim_start_matches('[').trim_end_matches(']');
    if address.is_empty() {
        return;
    }
    if let Ok(ip) = address.parse::<IpAddr>() {
        // A parsed IPv4 address is already in canonical form (the parser refuses leading
        // zeros and short forms); only IPv6 needs re-formatting.
        let ip = match ip {
            IpAddr::V4(_) => address.to_string(),
            IpAddr::V6(_) => ip.to_string(),
        };
        push_related(event, "related.ip", &ip);
        event.set("source.ip", ip);
    } else {
        event.set("source.domain", address);
        push_related(event, "related.hosts", address);
    }
}

/// `source.port` when `port` is a number.
pub(crate) fn set_port(event: &mut Event, port: &str) {
    if let Ok(port) = port.parse::<u16>() {
        event.set("source.port", port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_is_unwrapped() {
        assert_eq!(
            unwrap_repeated(
                "message repeated 5 times: [ Failed password for root from 1.2.3.4 port 22]"
            ),
            "Failed password for root from 1.2.3.4 port 22"
        );
        assert_eq!(unwrap_repeated("message repeated"), "message repeated");
    }

    #[test]
    fn addresses() {
        let mut event = Event::new();
        set_source_address(&mut event, "10.0.0.1");
        set_source_address(&mut event, "10.0.0.1");
        assert_eq!(event.get_str("source.ip"), Some("10.0.0.1"));
        set_source_address(&mut event, "[2001:db8::1]");
        assert_eq!(event.get_str("source.ip"), Some("2001:db8::1"));
        set_source_address(&mut event, "example.com");
        set_source_address(&mut event, "");
        assert_eq!(event.get_str("source.domain"), Some("example.com"));
        let related =
            serde_json::json!({"ip": ["10.0.0.1", "2001:db8::1"], "hosts": ["example.com"]});
        assert_eq!(event.get("related"), Some(&related));
    }
}
