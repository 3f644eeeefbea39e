//! RFC 5424 headers: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP
//! MSGID SP STRUCTURED-DATA [SP MSG]`, NILVALUE `-`, and STRUCTURED-DATA decoded into
//! `{sd-id: {param: value}}` with the `\"`, `\\` and `\]` escapes resolved (a repeated
//! param becomes an array of its values). A UTF-8 BOM at the start of MSG is dropped.

use serde_json::{Map, Value};

use super::Header;
use crate::error::{StructuredDataError, SyslogError};
use crate::time;

/// `VERSION SP` at the start of `rest`, when it looks like RFC 5424: with a PRI, any
/// 1-2 digit version followed by a timestamp or `-`; without one (files written in 5424
/// format minus the PRI), only version 1 followed by a full date.
pub(super) fn version(rest: &str, has_pri: bool) -> Option<(u32, &str)> {
    let b = rest.as_bytes();
    let mut i = 0;
    let mut version: u32 = 0;
    while i < b.len() && i < 2 && b[i].is_ascii_digit() {
        version = version * 10 + u32::from(b[i] - b'0');
        i += 1;
    }
    if i == 0 || b[0] == b'0' || b.get(i) != Some(&b' ') {
        return None;
    }
    let after = &b[i + 1..];
    let nil_timestamp = after.first() == Some(&b'-') && matches!(after.get(1), None | Some(b' '));
    let date_like =
        after.len() >= 5 && after[..4].iter().all(u8::is_ascii_digit) && after[4] == b'-';
    let plausible = if has_pri {
        nil_timestamp || date_like
    } else {
        version == 1 && date_like
    };
    plausible.then(|| (version, rest.get(i + 1..).unwrap_or("")))
}

/// Splits the next space-terminated header field; `-` or an empty field is `None`.
fn field<'a>(s: &'a str, name: &'static str) -> Result<(Option<&'a str>, &'a str), SyslogError> {
    match s.split_once(' ') {
        Some((value, rest)) => Ok((nil(value), rest)),
        None => Err(SyslogError::Truncated5424(name)),
    }
}

fn nil(value: &str) -> Option<&str> {
    (!value.is_empty() && value != "-").then_some(value)
}

/// Parses everything after `VERSION SP`.
pub(super) fn parse(s: &str, pri: Option<u8>, version: u32) -> Result<Header<'_>, SyslogError> {
    let (timestamp, s) = field(s, "HOSTNAME")?;
    let timestamp = match timestamp {
        Some(ts) => Some(
            time::parse_iso8601(ts, None)
                .ok_or_else(|| SyslogError::Invalid5424Timestamp(ts.to_string()))?,
        ),
        None => None,
    };
    let (hostname, s) = field(s, "APP-NAME")?;
    let (appname, s) = field(s, "PROCID")?;
    let (procid, s) = field(s, "MSGID")?;
    // MSGID may end the message (no STRUCTURED-DATA): lenient, treated as NILVALUE.
    let (msgid, s) = match s.split_once(' ') {
        Some((msgid, rest)) => (nil(msgid), rest),
        None => (nil(s), ""),
    };
    let (structured_data, sd_error, msg) = match parse_structured_data(s) {
        Ok((sd, msg)) => (sd, None, msg),
        Err(err) => (None, Some(err), s),
    };
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    Ok(Header {
        pri,
        version: Some(version),
        timestamp,
        hostname,
        appname,
        program: appname,
        procid,
        msgid,
        structured_data,
        sd_error,
        message: msg,
    })
}

/// Decoded STRUCTURED-DATA (`None` for NILVALUE) and the MSG after it.
pub type StructuredDataAndMsg<'a> = (Option<Map<String, Value>>, &'a str);

/// Decodes STRUCTURED-DATA at the start of `s` (`-` or one or more `[id param="v"...]`),
/// returning it (`None` for NILVALUE) and the MSG that follows (leading space removed).
/// Text that is neither `-` nor `[` is taken as MSG with no structured data.
pub fn parse_structured_data(s: &str) -> Result<StructuredDataAndMsg<'_>, StructuredDataError> {
    let b = s.as_bytes();
    match b.first() {
        None => return Ok((None, "")),
        Some(b'-') if matches!(b.get(1), None | Some(b' ')) => {
            return Ok((None, s.get(2..).unwrap_or("")));
        }
        Some(b'[') => {}
        Some(_) => return Ok((None, s)),
    }
    let mut sd = Map::new();
    let mut pos = 0;
    while b.get(pos) == Some(&b'[') {
        pos = parse_element(s, pos + 1, &mut sd)?;
    }
    match b.get(pos) {
        None => Ok((Some(sd), "")),
        Some(b' ') => Ok((Some(sd), s.get(pos + 1..).unwrap_or(""))),
        Some(_) => Err(StructuredDataError(
            "expected a space after the last element",
        )),
    }
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_graphic() && !matches!(c, b'=' | b']' | b'"')
}

/// Parses one SD-ELEMENT after its `[`; returns the position after its `]`.
fn parse_element(
    s: &str,
    mut pos: usize,
    sd: &mut Map<String, Value>,
) -> Result<usize, StructuredDataError> {
    let b = s.as_bytes();
    let id_start = pos;
    while pos < b.len() && is_name_char(b[pos]) {
        pos += 1;
    }
    if pos == id_start {
        return Err(StructuredDataError("empty SD-ID"));
    }
    let id = &s[id_start..pos];
    let mut params = Map::new();
    loop {
        match b.get(pos) {
            Some(b']') => {
                pos += 1;
                break;
            }
            Some(b' ') => pos += 1,
            None => return Err(StructuredDataError("unterminated element")),
            Some(_) => {
                return Err(StructuredDataError(
                    "invalid character in SD-ID or after a param",
                ))
            }
        }
        if b.get(pos) == Some(&b']') {
            continue;
        }
        let name_start = pos;
        while pos < b.len() && is_name_char(b[pos]) {
            pos += 1;
        }
        if pos == name_start {
            return Err(StructuredDataError("empty PARAM-NAME"));
        }
        let name = &s[name_start..pos];
        if b.get(pos) != Some(&b'=') || b.get(pos + 1) != Some(&b'"') {
            return Err(StructuredDataError("expected =\" after PARAM-NAME"));
        }
        pos += 2;
        let value_start = pos;
        let mut escaped = false;
        loop {
            match b.get(pos) {
                None => return Err(StructuredDataError("unterminated PARAM-VALUE")),
                Some(b'\\') => {
                    escaped = true;
                    pos += 2;
                }
                Some(b'"') => break,
                Some(_) => pos += 1,
            }
        }
        // `pos` is at an ASCII quote, so both ends are char boundaries.
        let raw = s.get(value_start..pos).unwrap_or("");
        pos += 1;
        let value = if escaped {
            unescape(raw)
        } else {
            raw.to_string()
        };
        add_param(&mut params, name, value);
    }
    // A repeated SD-ID (not allowed by the RFC) merges into the first.
    match sd.get_mut(id) {
        Some(Value::Object(existing)) => {
            for (k, v) in params {
                existing.entry(k).or_insert(v);
            }
        }
        _ => {
            sd.insert(id.to_string(), Value::Object(params));
        }
    }
    Ok(pos)
}

fn add_param(params: &mut Map<String, Value>, name: &str, value: String) {
    match params.get_mut(name) {
        None => {
            params.insert(name.to_string(), Value::String(value));
        }
        Some(Value::Array(values)) => values.push(Value::String(value)),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, Value::String(value)]);
        }
    }
}

/// Resolves `\"`, `\\` and `\]`; any other backslash is kept as written (RFC 5424 6.3.3).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some(next @ ('"' | '\\' | ']')) => {
                out.push(next);
                chars.next();
            }
            _ => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sd(s: &str) -> (Value, &str) {
        match parse_structured_data(s) {
            Ok((map, msg)) => (map.map(Value::Object).unwrap_or(Value::Null), msg),
            Err(e) => (Value::String(e.to_string()), "<error>"),
        }
    }

    #[test]
    fn structured_data_elements_and_escapes() {
        let (v, msg) = sd(
            r#"[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] hi"#,
        );
        assert_eq!(
            v,
            json!({"exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
                   "examplePriority@32473": {"class": "high"}})
        );
        assert_eq!(msg, "hi");
        let (v, msg) = sd(r#"[a@1 p="q\"uo\\te\]d" r="back\slash"]"#);
        assert_eq!(v, json!({"a@1": {"p": "q\"uo\\te]d", "r": "back\\slash"}}));
        assert_eq!(msg, "");
        let (v, _) = sd(r#"[a@1 ip="1" ip="2" ip="3"][b@1]"#);
        assert_eq!(v, json!({"a@1": {"ip": ["1", "2", "3"]}, "b@1": {}}));
    }

    #[test]
    fn structured_data_nil_and_errors() {
        assert_eq!(sd("- msg"), (Value::Null, "msg"));
        assert_eq!(sd("-"), (Value::Null, ""));
        assert_eq!(sd("plain msg"), (Value::Null, "plain msg"));
        for bad in [
            r#"[a p="x"#,
            "[",
            "[]",
            r#"[a p=x]"#,
            r#"[a p="x"]junk"#,
            r#"[a ="x"]"#,
            r#"[a p="x\"#,
        ] {
            assert_eq!(sd(bad).1, "<error>", "{bad}");
        }
    }

    #[test]
    fn version_detection() {
        assert_eq!(
            version("1 2003-10-11T22:14:15.003Z x", true).map(|v| v.0),
            Some(1)
        );
        assert_eq!(version("1 - - - - -", true).map(|v| v.0), Some(1));
        assert_eq!(
            version("1 2003-10-11T22:14:15.003Z x", false).map(|v| v.0),
            Some(1)
        );
        assert_eq!(version("1 - - - - -", false), None);
        assert_eq!(version("10 apples", true), None);
        assert_eq!(version("Oct 11 22:14:15", true), None);
        assert_eq!(version("0 2003-", true), None);
    }
}
