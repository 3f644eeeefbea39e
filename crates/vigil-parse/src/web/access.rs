//! Access logs in the Common and Combined Log Formats (nginx's default `combined`, Apache's
//! `common` / `combined`), with the variants nginx writes behind proxies:
//!
//! `CLIENTS IDENT USER [dd/Mmm/yyyy:HH:MM:SS +zzzz] "REQUEST" STATUS BYTES ["REFERRER" "USER-AGENT" [EXTRA...]]`
//!
//! where CLIENTS is one address or host name, or a list (`10.0.0.2, 10.0.0.1 1.2.3.4`,
//! possibly with a quoted X-Forwarded-For first). Quoted fields unescape `\"` and `\\`
//! (nginx's `\xHH` escapes are kept as written).
//!
//! ECS: `source.address` / `source.ip` / `source.domain` from the first public address of
//! CLIENTS (else its first IP address, else its first entry), `user.name` (unless `-`), `@timestamp`,
//! `http.request.method` (as written), `url.original` (+ `url.path`, `url.query` ...),
//! `http.version`, `http.response.status_code` and `http.response.body.bytes` (numbers),
//! `http.request.referrer` and `user_agent.original` (unless `-`), `event.outcome`
//! (failure from status 400), `event.category: ["web"]`, `event.type: ["access"]`,
//! `related.ip` / `related.user` / `related.hosts`.
//!
//! Native fields under `access_log.*`: `remote_ip_list` (when CLIENTS has more than one
//! entry), `ident` (unless `-`), `request` (the raw request when it is not
//! `METHOD target [HTTP/x]`, e.g. `-` or a TLS handshake), `extra` (further fields after
//! the user agent, e.g. nginx's `"$http_x_forwarded_for"`).
//!
//! mod_ssl's default `ssl_request_log` (`[time] CLIENT PROTOCOL CIPHER "REQUEST" BYTES`) is
//! decoded too (`decode_ssl_request`), adding `tls.cipher`, `tls.version` and
//! `tls.version_protocol`.

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::Value;
use vigil_core::time::format_timestamp;
use vigil_core::Event;

use super::{categorise, quoted, set_client, set_request};
use crate::ecs::{is_public, outcome_from_status, present, set_str, set_user};
use crate::time;

/// How far into the line the `[time]` field is looked for.
const MAX_PREFIX: usize = 2048;

/// A decoded access log line.
#[derive(Debug)]
pub(crate) struct Access<'a> {
    clients: Vec<&'a str>,
    ident: &'a str,
    user: &'a str,
    time: DateTime<Utc>,
    request: Cow<'a, str>,
    status: Option<u16>,
    bytes: Option<u64>,
    referrer: Option<Cow<'a, str>>,
    agent: Option<Cow<'a, str>>,
    extra: Vec<Cow<'a, str>>,
    /// mod_ssl's `ssl_request_log`: (`SSL_PROTOCOL`, `SSL_CIPHER`).
    tls: Option<(&'a str, &'a str)>,
}

/// Decodes `line` when it is an access log line.
pub(crate) fn decode(line: &str) -> Option<Access<'_>> {
    let b = line.as_bytes();
    let limit = b.len().min(MAX_PREFIX);
    let mut open = None;
    for (i, c) in b[..limit].iter().enumerate() {
        if *c == b'[' && i > 0 && b[i - 1] == b' ' {
            if let Some((t, len)) = time::parse_clf(&b[i + 1..]) {
                if b.get(i + 1 + len) == Some(&b']') {
                    open = Some((i, t, i + 2 + len));
                    break;
                }
            }
        }
    }
    let (open, time, after) = open?;
    let prefix = line.get(..open)?.trim_end();
    let (prefix, user) = prefix.rsplit_once(|c: char| c.is_ascii_whitespace())?;
    let (prefix, ident) = prefix
        .trim_end()
        .rsplit_once(|c: char| c.is_ascii_whitespace())?;
    let clients: Vec<&str> = prefix
        .split(|c: char| c == ',' || c == '"' || c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if clients.is_empty() {
        return None;
    }
    // ` "REQUEST" STATUS BYTES`
    let rest = line.get(after..)?;
    let rest_start = after + (rest.len() - rest.trim_start().len());
    let (request, mut pos) = quoted(line, rest_start)?;
    let next_word = |pos: &mut usize| -> Option<&str> {
        let s = line.get(*pos..)?;
        let trimmed = s.trim_start();
        let start = *pos + (s.len() - trimmed.len());
        let len = trimmed
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(trimmed.len());
        *pos = start + len;
        trimmed.get(..len).filter(|w| !w.is_empty())
    };
    let status_word = next_word(&mut pos)?;
    let status = match status_word {
        "-" => None,
        s if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => return None,
    };
    let bytes_word = next_word(&mut pos)?;
    let bytes = match bytes_word {
        "-" => None,
        s if s.bytes().all(|b| b.is_ascii_digit()) => Some(s.parse().ok()?),
        _ => return None,
    };
    // Optional quoted or bare fields.
    let mut fields = Vec::new();
    loop {
        let s = line.get(pos..).unwrap_or("");
        let trimmed = s.trim_start();
        if trimmed.is_empty() {
            break;
        }
        let start = pos + (s.len() - trimmed.len());
        if trimmed.starts_with('"') {
            match quoted(line, start) {
                Some((value, end)) => {
                    fields.push(value);
                    pos = end;
                }
                None => {
                    fields.push(Cow::Borrowed(trimmed));
                    break;
                }
            }
        } else {
            match next_word(&mut pos) {
                Some(word) => fields.push(Cow::Borrowed(word)),
                None => break,
            }
        }
    }
    let mut fields = fields.into_iter();
    let referrer = fields.next();
    let agent = fields.next();
    Some(Access {
        clients,
        ident,
        user,
        time,
        request,
        status,
        bytes,
        referrer,
        agent,
        extra: fields.collect(),
        tls: None,
    })
}

/// Decodes mod_ssl's default `ssl_request_log` line:
/// `[dd/Mmm/yyyy:HH:MM:SS +zzzz] CLIENT PROTOCOL CIPHER "REQUEST" BYTES`.
pub(crate) fn decode_ssl_request(line: &str) -> Option<Access<'_>> {
    let b = line.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let (time, len) = time::parse_clf(&b[1..])?;
    if b.get(1 + len) != Some(&b']') {
        return None;
    }
    let rest = line.get(2 + len..)?;
    let mut words = rest.split_ascii_whitespace();
    let (client, protocol, cipher) = (words.next()?, words.next()?, words.next()?);
    let start = line.find(" \"")? + 1;
    let (request, end) = quoted(line, start)?;
    let bytes = match line.get(end..)?.trim() {
        "-" => None,
        s if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.parse().ok()?),
        _ => return None,
    };
    Some(Access {
        clients: vec![client],
        ident: "-",
        user: "-",
        time,
        request,
        status: None,
        bytes,
        referrer: None,
        agent: None,
        extra: Vec::new(),
        tls: Some((protocol, cipher)),
    })
}

impl Access<'_> {
    /// The client address: the first public IP of the list, else its first IP, else its
    /// first entry.
    fn client(&self) -> &str {
        let ips = || {
            self.clients
                .iter()
                .filter_map(|c| c.parse::<IpAddr>().ok().map(|ip| (*c, ip)))
        };
        ips()
            .find(|(_, ip)| is_public(ip))
            .or_else(|| ips().next())
            .map(|(c, _)| c)
            .or_else(|| self.clients.first().copied())
            .unwrap_or("")
    }

    /// Sets the ECS and native fields on `event`.
    pub(crate) fn apply(&self, event: &mut Event) {
        categorise(event, "access");
        event.set("@timestamp", format_timestamp(self.time));
        set_client(event, self.client());
        set_user(event, "user.name", self.user);
        if !set_request(event, &self.request) && !self.request.is_empty() {
            event.set("access_log.request", self.request.as_ref());
        }
        if let Some(status) = self.status {
            event.set("http.response.status_code", status);
            outcome_from_status(event, status);
        }
        if let Some(bytes) = self.bytes {
            event.set("http.response.body.bytes", bytes);
        }
        if let Some(referrer) = &self.referrer {
            set_str(event, "http.request.referrer", referrer);
        }
        if let Some(agent) = &self.agent {
            set_str(event, "user_agent.original", agent);
        }
        if self.clients.len() > 1 {
            let list = self.clients.iter().map(|c| Value::from(*c)).collect();
            event.set("access_log.remote_ip_list", Value::Array(list));
        }
        if present(self.ident) {
            event.set("access_log.ident", self.ident);
        }
        if !self.extra.is_empty() {
            let extra = self.extra.iter().map(|e| Value::from(e.as_ref())).collect();
            event.set("access_log.extra", Value::Array(extra));
        }
        if let Some((protocol, cipher)) = self.tls {
            set_str(event, "tls.cipher", cipher);
            let version = [("TLSv", "tls"), ("SSLv", "ssl")]
                .iter()
                .find_map(|(p, name)| protocol.strip_prefix(p).map(|v| (v, *name)));
            if let Some((version, name)) = version {
                set_str(event, "tls.version", version);
                event.set("tls.version_protocol", name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_and_variants() {
        let a = decode(
            r#"1.2.3.4 - bob [22/Nov/2026:10:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 12 "http://r/" "UA \"x\"" "-""#,
        );
        let a = a.map(|a| {
            (
                a.client().to_string(),
                a.user,
                a.status,
                a.bytes,
                a.agent.map(|s| s.into_owned()),
                a.extra.len(),
            )
        });
        assert_eq!(
            a,
            Some((
                "1.2.3.4".to_string(),
                "bob",
                Some(200),
                Some(12),
                Some("UA \"x\"".to_string()),
                1
            ))
        );
        let a = decode(
            r#""10.5.102.222, 199.96.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#,
        );
        assert_eq!(
            a.map(|a| a.client().to_string()),
            Some("199.96.1.1".to_string())
        );
        // Common format, "-" request and bytes.
        let a = decode(r#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -"#);
        assert_eq!(a.map(|a| (a.status, a.bytes)), Some((Some(408), None)));
        assert!(decode(r#"1.2.3.4 - - [22/Nov/2026:10:00:00 +0000] "GET /" abc 1"#).is_none());
        assert!(decode(r#"- - [22/Nov/2026:10:00:00 +0000] "GET /" 200 1"#).is_none());
        assert!(decode("no brackets here").is_none());
    }
}
