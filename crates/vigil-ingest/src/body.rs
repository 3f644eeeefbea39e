//! HTTP ingest bodies: gzip decoding and NDJSON splitting. One JSON object per line becomes
//! an event; a plain-text line is parsed like a syslog line (or kept raw); a line that looks
//! like JSON but is not is kept raw and tagged `_parse_failure`. Only lines that cannot be
//! stored at all (over the size limit, or a JSON value that is not an object) are rejected,
//! each with its line number and reason.

use flate2::read::MultiGzDecoder;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Read;
use vigil_core::Event;
use vigil_parse::{parse_line, ParseContext};

/// A body that cannot be read at all (the request is answered 4xx).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BodyError {
    /// Nothing was sent.
    #[error("empty body: send one JSON object (or one raw log line) per line")]
    Empty,
    /// The gzip stream is corrupt or truncated.
    #[error("invalid gzip body: {0}")]
    Gzip(String),
    /// The decompressed body is larger than the limit.
    #[error("body exceeds {limit} bytes after decompression")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A content encoding we do not speak.
    #[error("unsupported Content-Encoding '{0}': use gzip or none")]
    UnsupportedEncoding(String),
}

/// One rejected line: its 1-based number and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejection {
    /// 1-based line number in the (decompressed) body.
    pub line: usize,
    /// Why the line was not stored.
    pub reason: String,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decodes a request body: gzip when `Content-Encoding: gzip` or the gzip magic is present.
pub fn decode_body<'a>(
    raw: &'a [u8],
    content_encoding: Option<&str>,
    limit: usize,
) -> Result<Cow<'a, [u8]>, BodyError> {
    let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase());
    let gzip = match encoding.as_deref() {
        None | Some("") | Some("identity") => raw.starts_with(&GZIP_MAGIC),
        Some("gzip") | Some("x-gzip") => true,
        Some(other) => return Err(BodyError::UnsupportedEncoding(other.to_string())),
    };
    let body: Cow<'a, [u8]> = if gzip {
        let mut out = Vec::with_capacity(raw.len() * 4);
        let decoder = MultiGzDecoder::new(raw);
        decoder
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| BodyError::Gzip(e.to_string()))?;
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    if body.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(BodyError::Empty);
    }
    Ok(body)
}

/// Splits an NDJSON body into events and rejections. Blank lines are skipped.
pub fn parse_ndjson(
    body: &[u8],
    ctx: &ParseContext,
    max_line: usize,
) -> (Vec<Event>, Vec<Rejection>) {
    let mut events = Vec::new();
    let mut rejections = Vec::new();
    for (index, raw_line) in body.split(|&b| b == b'\n').enumerate() {
        let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let number = index + 1;
        if line.len() > max_line {
            rejections.push(Rejection {
                line: number,
                reason: format!(
                    "line is {} bytes, over the {max_line}-byte limit",
                    line.len()
                ),
            });
            continue;
        }
        match parse_json_line(line) {
            JsonLine::Object(event) => events.push(event),
            JsonLine::NotAnObject(kind) => rejections.push(Rejection {
                line: number,
                reason: format!("JSON {kind} is not an event: expected a JSON object"),
            }),
            JsonLine::Broken(reason) => {
                let text = String::from_utf8_lossy(line);
                let mut event = Event::new();
                event.set("message", text.as_ref());
                event.set("event.original", text.as_ref());
                event.mark_parse_failure(&format!("invalid JSON: {reason}"));
                events.push(event);
            }
            JsonLine::NotJson => events.push(parse_line(line, ctx)),
        }
    }
    (events, rejections)
}

enum JsonLine {
    Object(Event),
    NotAnObject(&'static str),
    Broken(String),
    NotJson,
}

fn parse_json_line(line: &[u8]) -> JsonLine {
    let trimmed = line.trim_ascii_start();
    let looks_like_json = matches!(trimmed.first(), Some(b'{') | Some(b'['));
    if !looks_like_json {
        return JsonLine::NotJson;
    }
    match serde_json::from_slice::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::Object(map)) => {
            let mut event = Event::from_map(map);
            if event.get("event.original").is_none() {
                event.set("event.original", String::from_utf8_lossy(line).as_ref());
            }
            JsonLine::Object(event)
        }
        Ok(serde_json::Value::Array(_)) => JsonLine::NotAnObject("array"),
        Ok(_) => JsonLine::NotAnObject("value"),
        Err(e) => JsonLine::Broken(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn ctx() -> ParseContext {
        ParseContext {
            received: chrono::Utc::now(),
            default_offset: chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()),
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = enc.write_all(data);
        enc.finish().unwrap_or_default()
    }

    #[test]
    fn gzip_bodies_decode_and_truncated_gzip_is_an_error() {
        let body = gzip(b"{\"message\":\"hi\"}\n");
        assert_eq!(
            decode_body(&body, Some("gzip"), 1 << 20).map(|b| b.into_owned()),
            Ok(b"{\"message\":\"hi\"}\n".to_vec())
        );
        assert_eq!(decode_body(&body, None, 1 << 20).map(|b| b.len()), Ok(17));
        let cut = &body[..body.len() / 2];
        assert!(matches!(
            decode_body(cut, Some("gzip"), 1 << 20),
            Err(BodyError::Gzip(_))
        ));
        assert_eq!(decode_body(b" \n", None, 10), Err(BodyError::Empty));
        assert_eq!(
            decode_body(b"0123456789ab", None, 10),
            Err(BodyError::TooLarge { limit: 10 })
        );
    }

    #[test]
    fn ndjson_lines_become_events_or_rejections() {
        let body =
            b"{\"message\":\"a\",\"source.ip\":\"10.0.0.1\"}\n\nplain text line\n[1,2]\n{broken\n";
        let (events, rejections) = parse_ndjson(body, &ctx(), 1 << 20);
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].get_str("source.ip"), Some("10.0.0.1"));
        assert_eq!(events[1].get_str("event.original"), Some("plain text line"));
        assert!(events[2].has_tag(vigil_core::TAG_PARSE_FAILURE));
        assert_eq!(rejections.len(), 1);
        assert_eq!(rejections[0].line, 4);
    }
}
