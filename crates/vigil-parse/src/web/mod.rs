//! Web server logs: access logs in the Common / Combined Log Format written by nginx and
//! Apache httpd ([`access`]), the Apache httpd error log ([`apache_error`]) and the nginx
//! error log ([`nginx_error`]). Each is recognised standalone (by its shape) or as the
//! message of a syslog record from program `nginx`, `apache2`, `httpd` (and names that
//! start with those).
//!
//! All set `event.kind: "event"` and `event.category: ["web"]`; access lines
//! `event.type: ["access"]`, error lines `["error"]` for levels emerg, alert, crit and
//! error and `["info"]` otherwise.

pub mod access;
pub mod apache_error;
pub mod nginx_error;

use std::borrow::Cow;

use vigil_core::Event;

use crate::ecs::{ip, present, set_array, set_domain, set_ip, set_port};
use crate::ParseContext;

/// Whether a syslog program name is a web server whose messages are tried here.
pub(crate) fn is_web_program(program: &str) -> bool {
    ["nginx", "apache", "httpd"].iter().any(|p| {
        program
            .get(..p.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(p))
    })
}

/// Decodes a syslog message from a web server into `event`; returns whether it was
/// understood. Error lines may come without their own timestamp (the syslog one stays).
pub(crate) fn apply_body(message: &str, ctx: &ParseContext, event: &mut Event) -> bool {
    let message = message.trim_start();
    match message.as_bytes().first() {
        Some(b'[') => {
            if let Some(e) = apache_error::decode(message, ctx, false) {
                e.apply(event);
                return true;
            }
            if let Some(e) = nginx_error::decode(message, ctx, false) {
                e.apply(event);
                return true;
            }
        }
        Some(b) if b.is_ascii_digit() => {
            if let Some(e) = nginx_error::decode(message, ctx, true) {
                e.apply(event);
                return true;
            }
        }
        _ => {}
    }
    match access::decode(message) {
        Some(a) => {
            a.apply(event);
            true
        }
        None => false,
    }
}

/// A standalone Apache (`[Www Mmm dd ...`) or nginx (`yyyy/mm/dd ...`) error line.
pub(crate) fn error_line(text: &str, ctx: &ParseContext) -> Option<Event> {
    let b = text.as_bytes();
    if b.first() == Some(&b'[') {
        let line = apache_error::decode(text, ctx, true)?;
        Some(new_event(text, |event| line.apply(event)))
    } else if nginx_error::looks_like(b) {
        let line = nginx_error::decode(text, ctx, true)?;
        Some(new_event(text, |event| line.apply(event)))
    } else {
        None
    }
}

/// A standalone access log line.
pub(crate) fn access_line(text: &str) -> Option<Event> {
    let line = access::decode(text)?;
    Some(new_event(text, |event| line.apply(event)))
}

/// A standalone mod_ssl `ssl_request_log` line (`[time] CLIENT PROTOCOL CIPHER "REQUEST" BYTES`).
pub(crate) fn ssl_request_line(text: &str) -> Option<Event> {
    let line = access::decode_ssl_request(text)?;
    Some(new_event(text, |event| line.apply(event)))
}

fn new_event(text: &str, apply: impl FnOnce(&mut Event)) -> Event {
    let mut event = Event::new();
    event.set("event.original", text);
    event.set("message", text);
    apply(&mut event);
    event
}

/// `event.kind`, `event.category: ["web"]` and `event.type`.
fn categorise(event: &mut Event, kind: &str) {
    event.set("event.kind", "event");
    set_array(event, "event.category", &["web"]);
    set_array(event, "event.type", &[kind]);
}

/// `event.type` of an error line's level.
fn error_type(level: &str) -> &'static str {
    match level {
        "emerg" | "alert" | "crit" | "error" => "error",
        _ => "info",
    }
}

/// A client address as written (`1.2.3.4`, `1.2.3.4:5678`, `[::1]:5678`, `::1`, a host
/// name): `source.address`, then `source.ip` (+ `related.ip`) or `source.domain`
/// (+ `related.hosts`), and `source.port`.
fn set_client(event: &mut Event, address: &str) {
    let address = address.trim();
    if !present(address) {
        return;
    }
    let (host, port) = split_host_port(address);
    event.set("source.address", host);
    if !set_ip(event, "source", host) {
        set_domain(event, "source.domain", host);
    }
    if let Some(port) = port {
        set_port(event, "source.port", port);
    }
}

/// `host:port` / `[v6]:port` / bare host or IPv6 address.
fn split_host_port(address: &str) -> (&str, Option<&str>) {
    if let Some(rest) = address.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            return (host, after.strip_prefix(':'));
        }
    }
    if ip(address).is_some() {
        return (address, None);
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host, Some(port))
        }
        _ => (address, None),
    }
}

/// An HTTP request line `METHOD target [HTTP/x.y]`: `http.request.method`,
/// `url.original` (+ `url.path`, `url.query`, `url.fragment`, and for an absolute URL
/// `url.scheme`, `url.domain`, `url.port`), `http.version`. Returns whether it was one.
fn set_request(event: &mut Event, request: &str) -> bool {
    let request = request.trim();
    let Some((method, rest)) = request.split_once(' ') else {
        return false;
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let rest = rest.trim();
    let (target, version) = match rest.rsplit_once(' ') {
        Some((target, protocol)) if protocol.starts_with("HTTP/") => {
            (target.trim(), protocol.strip_prefix("HTTP/"))
        }
        _ => (rest, None),
    };
    if target.is_empty() {
        return false;
    }
    event.set("http.request.method", method);
    event.set("url.original", target);
    set_url_parts(event, target);
    if let Some(version) = version.filter(|v| !v.is_empty()) {
        event.set("http.version", version);
    }
    true
}

/// `url.scheme`, `url.domain`, `url.port`, `url.path`, `url.query` and `url.fragment` of a
/// request target (`/a?b`) or an absolute URL; nothing for other forms.
pub(crate) fn set_url_parts(event: &mut Event, target: &str) {
    let (target, fragment) = match target.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (target, None),
    };
    let (before_query, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let path = if before_query.starts_with('/') {
        Some(before_query)
    } else if let Some((scheme, rest)) = before_query.split_once("://") {
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+')
        {
            return;
        }
        event.set("url.scheme", scheme.to_ascii_lowercase());
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (domain, port) = split_host_port(host);
        if !domain.is_empty() {
            event.set("url.domain", domain);
        }
        if let Some(port) = port {
            set_port(event, "url.port", port);
        }
        path
    } else {
        return;
    };
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        event.set("url.path", path);
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        event.set("url.query", query);
    }
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        event.set("url.fragment", fragment);
    }
}

/// A `"..."` string starting at byte `start` of `s` (which must be `"`), with `\"` and
/// `\\` unescaped; returns it and the index after the closing quote.
fn quoted(s: &str, start: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = s.as_bytes();
    (b.get(start) == Some(&b'"')).then_some(())?;
    let mut i = start + 1;
    let mut escaped = false;
    while i < b.len() && b[i] != b'"' {
        if b[i] == b'\\' {
            escaped = true;
            i += 1;
        }
        i += 1;
    }
    if i >= b.len() {
        return None;
    }
    let raw = s.get(start + 1..i)?;
    let value = if escaped {
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('\\', Some(next @ ('"' | '\\'))) => {
                    out.push(next);
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    Some((value, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_programs() {
        assert!(is_web_program("nginx"));
        assert!(is_web_program("Apache2"));
        assert!(is_web_program("httpd"));
        assert!(!is_web_program("sshd"));
        assert!(!is_web_program("ngin"));
    }

    #[test]
    fn host_ports() {
        assert_eq!(split_host_port("1.2.3.4:5678"), ("1.2.3.4", Some("5678")));
        assert_eq!(split_host_port("[::1]:80"), ("::1", Some("80")));
        assert_eq!(split_host_port("::1"), ("::1", None));
        assert_eq!(split_host_port("example.com"), ("example.com", None));
    }

    #[test]
    fn requests() {
        let mut event = Event::new();
        assert!(set_request(
            &mut event,
            "GET http://user@example.com:8080/a/b?x=1#top HTTP/1.0"
        ));
        assert_eq!(event.get_str("url.domain"), Some("example.com"));
        assert_eq!(event.get("url.port"), Some(&serde_json::json!(8080)));
        assert_eq!(event.get_str("url.path"), Some("/a/b"));
        assert_eq!(event.get_str("url.query"), Some("x=1"));
        assert_eq!(event.get_str("url.fragment"), Some("top"));
        assert_eq!(event.get_str("http.version"), Some("1.0"));
        assert!(!set_request(&mut Event::new(), "-"));
        assert!(!set_request(&mut Event::new(), ""));
        assert!(!set_request(&mut Event::new(), "\\x16\\x03\\x01 junk"));
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(
            quoted(r#""a \"b\" \\ c" rest"#, 0).map(|(v, n)| (v.into_owned(), n)),
            Some((r#"a "b" \ c"#.to_string(), 14))
        );
        assert_eq!(quoted(r#""open"#, 0), None);
        assert_eq!(quoted("x", 0), None);
    }
}
