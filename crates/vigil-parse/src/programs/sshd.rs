//! OpenSSH `sshd` messages: logins (`Accepted`/`Failed <method> for ...`), invalid users,
//! disconnects, reverse-mapping break-in warnings, too many authentication failures,
//! and the `pam_unix(sshd:...)` lines it logs (delegated to [`super::pam`]).
//!
//! | message | event.action | event.type | event.outcome |
//! | --- | --- | --- | --- |
//! | `Accepted password for X from IP port N ssh2` | `ssh_login` | start | success |
//! | `Failed password for [invalid user ]X from IP port N ssh2` | `ssh_login` | start | failure |
//! | `Invalid user X from IP [port N]`, `input_userauth_request: invalid user X` | `ssh_invalid_user` | info | failure |
//! | `Connection closed by [authenticating user X ]IP [port N]`, `Disconnected from ...`, `Received disconnect from ...` | `ssh_disconnect` | end | - |
//! | `reverse mapping checking getaddrinfo for H [IP] failed - POSSIBLE BREAK-IN ATTEMPT!` | `ssh_reverse_mapping_failed` | info | - |
//! | `Disconnecting: Too many authentication failures for X`, `maximum authentication attempts exceeded for X from IP ...` | `ssh_too_many_auth_failures` | info | failure |
//! | `Did not receive identification string from IP` | `ssh_no_identification` | info (category network) | - |
//!
//! All set `event.category: ["authentication"]` unless noted, plus `source.ip` (or
//! `source.domain`), `source.port`, `user.name`, `related.ip`, `related.user`.

use vigil_core::Event;

use super::{categorise, pam, set_port, set_source_address, set_user};

/// Recognises one sshd message; returns whether it was understood.
pub fn parse(message: &str, event: &mut Event) -> bool {
    let msg = message
        .strip_prefix("error: ")
        .or_else(|| message.strip_prefix("fatal: "))
        .unwrap_or(message);
    let msg = msg.strip_suffix(" [preauth]").unwrap_or(msg).trim_end();
    if let Some(rest) = msg.strip_prefix("Accepted ") {
        login(rest, true, event)
    } else if let Some(rest) = msg.strip_prefix("Failed ") {
        login(rest, false, event)
    } else if let Some(rest) = msg.strip_prefix("Invalid user ") {
        invalid_user(rest, event)
    } else if let Some(user) = msg.strip_prefix("input_userauth_request: invalid user ") {
        categorise(
            event,
            "authentication",
            "info",
            "ssh_invalid_user",
            Some("failure"),
        );
        set_user(event, user);
        true
    } else if let Some(rest) = msg.strip_prefix("Connection closed by ") {
        disconnect(rest, event)
    } else if let Some(rest) = msg.strip_prefix("Disconnected from ") {
        disconnect(rest, event)
    } else if let Some(rest) = msg.strip_prefix("Received disconnect from ") {
        received_disconnect(rest, event)
    } else if let Some(rest) = msg.strip_prefix("reverse mapping checking getaddrinfo for ") {
        reverse_mapping(rest, event)
    } else if let Some(rest) = msg.strip_prefix("Address ") {
        address_maps_to(rest, event)
    } else if let Some(rest) = msg.strip_prefix("Disconnecting: Too many authentication failures") {
        categorise(
            event,
            "authentication",
            "info",
            "ssh_too_many_auth_failures",
            Some("failure"),
        );
        if let Some(user) = rest.strip_prefix(" for ") {
            set_user(event, user.strip_prefix("invalid user ").unwrap_or(user));
        }
        true
    } else if let Some(rest) = msg.strip_prefix("maximum authentication attempts exceeded for ") {
        categorise(
            event,
            "authentication",
            "info",
            "ssh_too_many_auth_failures",
            Some("failure"),
        );
        user_from_endpoint(rest.strip_prefix("invalid user ").unwrap_or(rest), event);
        true
    } else if let Some(rest) = msg.strip_prefix("Did not receive identification string from ") {
        categorise(event, "network", "info", "ssh_no_identification", None);
        endpoint(rest, event);
        true
    } else if msg.starts_with("pam_unix(") || msg.starts_with("PAM ") {
        pam::parse(msg, event)
    } else {
        false
    }
}

/// `<method> for [invalid user ]X from IP port N ssh2[: key info]`
fn login(rest: &str, success: bool, event: &mut Event) -> bool {
    let Some((method, rest)) = rest.split_once(" for ") else {
        return false;
    };
    if method.is_empty() || method.contains(' ') {
        return false;
    }
    let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
    if !rest.contains(" from ") {
        return false;
    }
    let outcome = if success { "success" } else { "failure" };
    categorise(event, "authentication", "start", "ssh_login", Some(outcome));
    user_from_endpoint(rest, event);
    true
}

/// `X from IP[ port N ...]`: the user may be empty or contain spaces, so split at the last ` from `.
fn user_from_endpoint(rest: &str, event: &mut Event) {
    match rest.rsplit_once(" from ") {
        Some((user, addr)) => {
            set_user(event, user);
            endpoint(addr, event);
        }
        None => set_user(event, rest.split(' ').next().unwrap_or("")),
    }
}

/// `X from IP[ port N]`
fn invalid_user(rest: &str, event: &mut Event) -> bool {
    categorise(
        event,
        "authentication",
        "info",
        "ssh_invalid_user",
        Some("failure"),
    );
    user_from_endpoint(rest, event);
    true
}

/// `IP[ port N][ anything]`: sets `source.*`.
fn endpoint(s: &str, event: &mut Event) {
    let (addr, rest) = s.split_once(' ').unwrap_or((s, ""));
    set_source_address(event, addr);
    if let Some(port) = rest.strip_prefix("port ") {
        set_port(event, port.split(' ').next().unwrap_or(""));
    }
}

/// After `Connection closed by ` / `Disconnected from `:
/// `[authenticating user X |invalid user X |user X ]IP[ port N]`.
fn disconnect(rest: &str, event: &mut Event) -> bool {
    categorise(event, "authentication", "end", "ssh_disconnect", None);
    let with_user = rest
        .strip_prefix("authenticating user ")
        .or_else(|| rest.strip_prefix("invalid user "))
        .or_else(|| rest.strip_prefix("user "));
    match with_user {
        Some(s) => {
            let before_port = s.rfind(" port ").map_or(s, |i| &s[..i]);
            match before_port.rfind(' ') {
                Some(i) => {
                    set_user(event, &s[..i]);
                    endpoint(&s[i + 1..], event);
                }
                None => endpoint(s, event),
            }
        }
        None => endpoint(rest, event),
    }
    true
}

/// `IP: 11: Bye Bye` (old) or `IP port N:11: disconnected by user`.
fn received_disconnect(rest: &str, event: &mut Event) -> bool {
    let (addr, port, reason) = match rest.split_once(" port ") {
        Some((addr, after)) => match after.split_once(':') {
            Some((port, reason)) => (addr, Some(port), reason),
            None => (addr, Some(after), ""),
        },
        None => match rest.split_once(": ") {
            Some((addr, reason)) => (addr, None, reason),
            None => (rest, None, ""),
        },
    };
    categorise(event, "authentication", "end", "ssh_disconnect", None);
    set_source_address(event, addr);
    if let Some(port) = port {
        set_port(event, port);
    }
    // Drop the numeric SSH disconnect code: `11: Bye Bye` -> `Bye Bye`.
    let reason = reason.trim_start();
    let reason = match reason.split_once(':') {
        Some((code, text)) if !code.is_empty() && code.bytes().all(|c| c.is_ascii_digit()) => {
            text.trim()
        }
        _ => reason.trim(),
    };
    if !reason.is_empty() {
        event.set("event.reason", reason);
    }
    true
}

/// `H [IP] failed - POSSIBLE BREAK-IN ATTEMPT!`
fn reverse_mapping(rest: &str, event: &mut Event) -> bool {
    let Some((host, after)) = rest.split_once(" [") else {
        return false;
    };
    let Some((ip, _)) = after.split_once(']') else {
        return false;
    };
    categorise(
        event,
        "authentication",
        "info",
        "ssh_reverse_mapping_failed",
        None,
    );
    set_source_address(event, ip);
    set_source_address(event, host);
    true
}

/// `IP maps to H, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!`
fn address_maps_to(rest: &str, event: &mut Event) -> bool {
    let Some((ip, after)) = rest.split_once(" maps to ") else {
        return false;
    };
    let Some((host, _)) = after.split_once(", ") else {
        return false;
    };
    categorise(
        event,
        "authentication",
        "info",
        "ssh_reverse_mapping_failed",
        None,
    );
    set_source_address(event, ip);
    set_source_address(event, host);
    true
}
