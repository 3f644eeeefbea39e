//! RFC 3164 (BSD) headers: `[<PRI>]TIMESTAMP [HOSTNAME ]TAG[PID]: MSG`, where TIMESTAMP
//! is `Mmm dd hh:mm:ss` (year inferred, zone assumed) or an ISO 8601 instant (rsyslog's
//! high-precision format). TAG forms: `sshd:`, `sshd[123]:`, `sshd(pam_unix)[19939]:`,
//! `/usr/sbin/cron[9]:` (program `cron`), `postfix/smtpd[5]:`, and the two-word `syslogd 1.4.1:` / `-- root[2421]:` seen in
//! real files. `process.name` is the program proper (`sshd`), the full tag goes to
//! `log.syslog.appname`. With a PRI but no recognisable header the whole rest is MSG
//! (RFC 3164 4.3.3), which is not a parse failure.

use chrono::{DateTime, Utc};

use super::Header;
use crate::error::SyslogError;
use crate::{time, ParseContext};

/// Longest TAG word looked at (RFC 3164 says 32; real programs exceed it).
const MAX_TAG_WORD: usize = 64;
/// Longest `[PID]` content looked at.
const MAX_PID: usize = 24;

/// A parsed TAG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tag<'a> {
    full: &'a str,
    program: &'a str,
    pid: Option<&'a str>,
}

/// Parses everything after the optional `<PRI>`.
pub(super) fn parse<'a>(
    rest: &'a str,
    pri: Option<u8>,
    ctx: &ParseContext,
) -> Result<Header<'a>, SyslogError> {
    // Some senders put a space between `<PRI>` and the timestamp.
    let rest = match (pri, rest.strip_prefix(' ')) {
        (Some(_), Some(trimmed)) if timestamp(trimmed, ctx).is_ok() => trimmed,
        _ => rest,
    };
    match timestamp(rest, ctx) {
        Ok((t, len)) => {
            let (hostname, tag, message) = split_host_tag(rest.get(len..).unwrap_or(""));
            Ok(header(pri, Some(t), hostname, tag, message))
        }
        Err(_) if pri.is_some() => {
            let (tag, message) = parse_tag(rest);
            Ok(header(pri, None, None, tag, message))
        }
        Err(e) => Err(e),
    }
}

fn header<'a>(
    pri: Option<u8>,
    timestamp: Option<DateTime<Utc>>,
    hostname: Option<&'a str>,
    tag: Option<Tag<'a>>,
    message: &'a str,
) -> Header<'a> {
    Header {
        pri,
        timestamp,
        hostname: hostname.filter(|h| *h != "-"),
        appname: tag.map(|t| t.full),
        program: tag.map(|t| t.program),
        procid: tag.and_then(|t| t.pid),
        message,
        ..Header::default()
    }
}

/// The timestamp at the start of `s` and its length in bytes.
fn timestamp(s: &str, ctx: &ParseContext) -> Result<(DateTime<Utc>, usize), SyslogError> {
    let b = s.as_bytes();
    if let Some((bsd, len)) = time::parse_bsd(b) {
        let t = time::resolve_bsd(&bsd, ctx.default_offset, ctx.received)
            .ok_or(SyslogError::InvalidTimestamp)?;
        return Ok((t, len));
    }
    let iso_like = b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't');
    if !iso_like {
        return Err(SyslogError::NoHeader);
    }
    let len = b.iter().position(|c| *c == b' ').unwrap_or(b.len());
    let token = s.get(..len).unwrap_or("");
    let t = time::parse_iso8601(token, Some(ctx.default_offset))
        .ok_or(SyslogError::InvalidTimestamp)?;
    Ok((t, len))
}

/// Splits `[ ]HOSTNAME TAG: MSG` after the timestamp. A first word that is itself a
/// tag (`sshd[1]:`, `kernel:`) means the hostname was left out (local syslog).
fn split_host_tag(after: &str) -> (Option<&str>, Option<Tag<'_>>, &str) {
    let content = after.trim_start_matches(' ');
    if content.is_empty() {
        return (None, None, "");
    }
    // A CEF / LEEF record right after the timestamp: no hostname, no tag.
    if content.starts_with("CEF:") || content.starts_with("LEEF:") {
        return (None, None, content);
    }
    let word_len = content.find(' ').unwrap_or(content.len());
    let word = &content[..word_len];
    if is_tag_word(word) {
        let (tag, message) = parse_tag(content);
        return (None, tag, message);
    }
    let (tag, message) = parse_tag(content[word_len..].trim_start_matches(' '));
    (Some(word), tag, message)
}

fn is_tag_word(word: &str) -> bool {
    word.len() > 1
        && (word.ends_with(':')
            || (word.contains('[') && (word.ends_with(']') || word.ends_with("]:"))))
}

/// End of a tag word starting at `start`: the first `:`, `[` or space (bounded).
fn word_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() && i - start < MAX_TAG_WORD && !matches!(b[i], b':' | b'[' | b' ') {
        i += 1;
    }
    i
}

/// Parses `TAG[PID]: MSG` at the start of `s`; without a recognisable tag, all of `s`
/// is the message.
pub(super) fn parse_tag(s: &str) -> (Option<Tag<'_>>, &str) {
    let b = s.as_bytes();
    let first = word_end(b, 0);
    if first == 0 {
        return (None, s);
    }
    let parsed = match b.get(first) {
        Some(b':') => after_colon(s, first, first),
        Some(b'[') => after_pid(s, first),
        Some(b' ') => {
            let second = word_end(b, first + 1);
            match b.get(second) {
                _ if second == first + 1 => None,
                // `-- root[2421]:`: a pid makes a two-word tag credible.
                Some(b'[') => after_pid(s, second),
                // `syslogd 1.4.1:`: program and version.
                Some(b':') if b[first + 1].is_ascii_digit() => after_colon(s, second, first),
                _ => None,
            }
        }
        _ => None,
    };
    match parsed {
        Some((tag, message)) => (Some(tag), message),
        None => (None, s),
    }
}

/// `TAG: MSG` with the colon at `colon`; the program is `s[..program_end]`.
fn after_colon(s: &str, colon: usize, program_end: usize) -> Option<(Tag<'_>, &str)> {
    // `http://...` is not a tag: the colon must end the word.
    if !matches!(s.as_bytes().get(colon + 1), None | Some(b' ')) {
        return None;
    }
    let tag = Tag {
        full: s.get(..colon)?,
        program: program_name(s.get(..program_end)?),
        pid: None,
    };
    Some((tag, s.get(colon + 1..)?.trim_start_matches(' ')))
}

/// `TAG[PID]: MSG` (colon optional) with the `[` at `bracket`.
fn after_pid(s: &str, bracket: usize) -> Option<(Tag<'_>, &str)> {
    let b = s.as_bytes();
    let close = bracket
        + 1
        + b.get(bracket + 1..)?
            .iter()
            .take(MAX_PID + 1)
            .position(|c| *c == b']')?;
    let rest = match b.get(close + 1) {
        None => "",
        Some(b':') | Some(b' ') => s.get(close + 2..).unwrap_or(""),
        Some(_) => return None,
    };
    let full = s.get(..bracket)?;
    let tag = Tag {
        full,
        program: program_name(full),
        pid: s.get(bracket + 1..close).filter(|p| !p.is_empty()),
    };
    Some((tag, rest.trim_start_matches(' ')))
}

/// The program proper of a tag: without a `(module)` suffix, and the file name of an
/// absolute path (`/usr/sbin/cron` -> `cron`; `postfix/smtpd` stays as it is).
fn program_name(tag: &str) -> &str {
    let tag = match tag.rfind('(') {
        Some(open) if open > 0 && tag.ends_with(')') => &tag[..open],
        _ => tag,
    };
    match tag.rsplit_once('/') {
        Some((_, base)) if tag.starts_with('/') && !base.is_empty() => base,
        _ => tag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts<'a> = Option<(&'a str, &'a str, Option<&'a str>)>;

    fn tag(s: &str) -> (Parts<'_>, &str) {
        let (t, msg) = parse_tag(s);
        (t.map(|t| (t.full, t.program, t.pid)), msg)
    }

    #[test]
    fn tag_forms() {
        assert_eq!(
            tag("sshd[123]: hi"),
            (Some(("sshd", "sshd", Some("123"))), "hi")
        );
        assert_eq!(
            tag("kernel: isapnp: x"),
            (Some(("kernel", "kernel", None)), "isapnp: x")
        );
        assert_eq!(
            tag("sshd(pam_unix)[19939]: authentication failure; x"),
            (
                Some(("sshd(pam_unix)", "sshd", Some("19939"))),
                "authentication failure; x"
            )
        );
        assert_eq!(
            tag("syslogd 1.4.1: restart."),
            (Some(("syslogd 1.4.1", "syslogd", None)), "restart.")
        );
        assert_eq!(
            tag("-- root[2421]: ROOT LOGIN ON tty2"),
            (
                Some(("-- root", "-- root", Some("2421"))),
                "ROOT LOGIN ON tty2"
            )
        );
        assert_eq!(
            tag("/usr/sbin/cron[9]: x"),
            (Some(("/usr/sbin/cron", "cron", Some("9"))), "x")
        );
        assert_eq!(
            tag("postfix/smtpd[5]: connect"),
            (
                Some(("postfix/smtpd", "postfix/smtpd", Some("5"))),
                "connect"
            )
        );
        assert_eq!(
            tag("sshd[12] no colon"),
            (Some(("sshd", "sshd", Some("12"))), "no colon")
        );
        assert_eq!(tag("sshd:"), (Some(("sshd", "sshd", None)), ""));
        assert_eq!(tag("http://x y"), (None, "http://x y"));
        assert_eq!(
            tag("just some words: here"),
            (None, "just some words: here")
        );
        assert_eq!(tag(": x"), (None, ": x"));
        assert_eq!(tag("a[1"), (None, "a[1"));
        assert_eq!(tag("a[1]x"), (None, "a[1]x"));
        assert_eq!(tag(""), (None, ""));
    }

    #[test]
    fn host_and_tag() {
        let (h, t, m) = split_host_tag(" combo  -- root[2421]: ROOT LOGIN ON tty2");
        assert_eq!(
            (h, t.map(|t| t.program), m),
            (Some("combo"), Some("-- root"), "ROOT LOGIN ON tty2")
        );
        let (h, t, m) = split_host_tag(" sshd[5]: hi");
        assert_eq!((h, t.map(|t| t.program), m), (None, Some("sshd"), "hi"));
        let (h, t, m) = split_host_tag(" host just text");
        assert_eq!((h, t, m), (Some("host"), None, "just text"));
        assert_eq!(split_host_tag(" host"), (Some("host"), None, ""));
        assert_eq!(split_host_tag(""), (None, None, ""));
        assert_eq!(
            split_host_tag(" CEF:0|V|P|1|s|a name|5|"),
            (None, None, "CEF:0|V|P|1|s|a name|5|")
        );
    }

    #[test]
    fn colon_after_time_and_space_after_pri() {
        let ctx = ParseContext::new(chrono::DateTime::UNIX_EPOCH);
        for rest in [
            "Mar 7 2008 19:06:53: example tag: text",
            "Mar 7 19:06:53: example tag: text",
            " Mar  7 19:06:53 example tag: text",
        ] {
            let header = parse(rest, Some(38), &ctx);
            let header = header.unwrap_or_else(|e| panic!("{rest}: {e}"));
            assert_eq!(header.hostname, Some("example"), "{rest}");
            assert_eq!(header.program, Some("tag"), "{rest}");
            assert_eq!(header.message, "text", "{rest}");
            assert!(header.timestamp.is_some(), "{rest}");
        }
        // The ASA's own format: no host, the message id as the tag.
        let header = parse("Jun 08 2020 12:59:57: %ASA-4-722037: Group <G>", None, &ctx);
        let header = header.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.hostname, None);
        assert_eq!(header.appname, Some("%ASA-4-722037"));
    }
}
