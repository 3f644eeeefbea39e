//! Input formats of `vigil ingest` beyond one-event-a-line text: Windows EVTX, CSV with a
//! header, and JSON documents (one array of objects, or objects concatenated with or
//! without newlines); any of them, and line files, may be gzip or zstd compressed
//! (detected by magic bytes).
//!
//! Detection (`--format auto`): the extension once `.gz` / `.zst` is stripped (`.evtx`,
//! `.csv`, `.json`; `.ndjson` / `.jsonl` / anything else are lines), then the content: the
//! EVTX signature `ElfFile\0`, or a first non-blank byte `[` for a JSON array. Everything
//! else is read line by line as before (NDJSON, syslog, CEF, ...).
//!
//! EVTX, CSV and JSON documents are decoded whole in memory (they are imported files,
//! not streams). Nothing is dropped: an EVTX record the `evtx` crate cannot read, a CSV
//! row that does not parse and JSON text after a syntax error each become a raw event
//! tagged `_parse_failure` with the reason in `error.message`.
//!
//! CSV: the header names are the keys (dotted names expand into ECS objects, as with
//! NDJSON; `@timestamp` is normalised as for NDJSON); `event.original` is the raw row. Values stay strings, except in the columns
//! listed in [`CSV_NUMERIC_FIELDS`] (ECS numeric fields), where an integer is stored as a
//! number. Empty cells are left out.

use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use vigil_core::Event;

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// By extension and content
    Auto,
    /// One event a line (syslog, NDJSON, CEF, LEEF, key=value, raw)
    Lines,
    /// Windows event log file
    Evtx,
    /// CSV with a header row
    Csv,
    /// A JSON array of objects, or concatenated JSON objects
    Json,
}

/// CSV columns whose integer values are stored as numbers.
pub const CSV_NUMERIC_FIELDS: &[&str] = &[
    "EventID",
    "EventRecordID",
    "source.port",
    "destination.port",
    "client.port",
    "server.port",
    "source.bytes",
    "destination.bytes",
    "source.packets",
    "destination.packets",
    "network.bytes",
    "network.packets",
    "process.pid",
    "process.parent.pid",
    "http.response.status_code",
    "http.response.bytes",
    "http.request.bytes",
    "event.severity",
    "event.duration",
];

/// A file opened for import.
pub enum Input {
    /// Read line by line.
    Lines(Box<dyn BufRead>),
    /// Already decoded to events (not yet finalised).
    Events(Vec<Event>),
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// Opens a file, transparently decompressing gzip or zstd (by magic bytes).
pub fn open_decompressed(path: &Path) -> Result<Box<dyn BufRead>> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut magic = [0u8; 4];
    let mut n = 0;
    while n < 4 {
        let got = file.read(&mut magic[n..])?;
        if got == 0 {
            break;
        }
        n += got;
    }
    let file = File::open(path).with_context(|| format!("cannot reopen {}", path.display()))?;
    if n >= 2 && magic[..2] == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::new(file)),
        )))
    } else if n == 4 && magic == ZSTD_MAGIC {
        let decoder = zstd::stream::read::Decoder::new(file)
            .with_context(|| format!("cannot decompress {}", path.display()))?;
        Ok(Box::new(BufReader::with_capacity(1 << 20, decoder)))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
    }
}

fn by_extension(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .or_else(|| name.strip_suffix(".zstd"))
        .unwrap_or(&name);
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    match ext {
        "evtx" => Some(Format::Evtx),
        "csv" => Some(Format::Csv),
        "json" => Some(Format::Json),
        "ndjson" | "jsonl" | "log" | "txt" => Some(Format::Lines),
        _ => None,
    }
}

/// Opens `path` in the given (or detected) format.
pub fn open(path: &Path, format: Format) -> Result<Input> {
    let mut reader = open_decompressed(path)?;
    let format = match format {
        Format::Auto => match by_extension(path) {
            Some(f) => f,
            None => {
                let head = reader
                    .fill_buf()
                    .with_context(|| format!("cannot read {}", path.display()))?;
                if head.starts_with(EVTX_MAGIC) {
                    Format::Evtx
                } else if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
                    Format::Json
                } else {
                    Format::Lines
                }
            }
        },
        other => other,
    };
    if format == Format::Lines {
        return Ok(Input::Lines(reader));
    }
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Input::Events(match format {
        Format::Evtx => evtx_events(bytes),
        Format::Csv => csv_events(&bytes),
        _ => json_events(&bytes),
    }))
}

fn failure(original: &str, reason: &str) -> Event {
    let mut event = Event::new();
    event.set("event.original", original);
    event.set("message", original);
    event.mark_parse_failure(reason);
    event
}

/// Every record of an EVTX file, via the `evtx` crate's JSON output.
pub fn evtx_events(bytes: Vec<u8>) -> Vec<Event> {
    let mut parser = match evtx::EvtxParser::from_buffer(bytes) {
        Ok(p) => p,
        Err(e) => return vec![failure("", &format!("evtx: cannot read the file: {e}"))],
    };
    parser
        .records_json_value()
        .map(|record| match record {
            Ok(record) => vigil_parse::windows::event_from_windows_record(&record.data),
            Err(e) => failure(&e.to_string(), &format!("evtx: {e}")),
        })
        .collect()
}

/// Rows of a CSV file with a header.
pub fn csv_events(bytes: &[u8]) -> Vec<Event> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            let text = String::from_utf8_lossy(bytes);
            return vec![failure(&text, &format!("csv: cannot read the header: {e}"))];
        }
    };
    let mut events = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte() as usize;
        let result = reader.read_record(&mut record);
        let end = (reader.position().byte() as usize).min(bytes.len());
        let raw = String::from_utf8_lossy(&bytes[start.min(end)..end]);
        let raw = raw.trim_end_matches(['\r', '\n']);
        match result {
            Ok(false) => break,
            Ok(true) => {
                let mut map = Map::new();
                for (name, value) in headers.iter().zip(record.iter()) {
                    if value.is_empty() || name.is_empty() {
                        continue;
                    }
                    let value = match value.trim().parse::<i64>() {
                        Ok(n) if CSV_NUMERIC_FIELDS.contains(&name.as_str()) => Value::from(n),
                        _ => Value::from(value),
                    };
                    map.insert(name.clone(), value);
                }
                // Through the JSON decoder for its `@timestamp` normalisation.
                let mut event = match vigil_parse::json::parse(&Value::Object(map).to_string()) {
                    Ok(event) => event,
                    Err(e) => failure(raw, &format!("csv: {e}")),
                };
                event.set("event.original", raw);
                events.push(event);
            }
            Err(e) => {
                events.push(failure(raw, &format!("csv: {e}")));
                if end <= start {
                    break;
                }
            }
        }
    }
    events
}

fn json_object(text: &str) -> Event {
    match vigil_parse::json::parse(text) {
        Ok(event) => event,
        Err(e) => failure(text, &format!("json: {e}")),
    }
}

/// A JSON array of objects, or a sequence of JSON values (concatenated, any whitespace).
pub fn json_events(bytes: &[u8]) -> Vec<Event> {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        match serde_json::from_str::<Vec<Value>>(trimmed) {
            Ok(items) => return items.iter().map(|v| json_object(&v.to_string())).collect(),
            Err(e) => return vec![failure(trimmed, &format!("json array: {e}"))],
        }
    }
    let mut events = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let mut start = 0;
    loop {
        match stream.next() {
            None => break,
            Some(Ok(_)) => {
                let end = stream.byte_offset();
                let piece = text[start..end].trim();
                events.push(json_object(piece));
                start = end;
            }
            Some(Err(e)) => {
                let rest = text[start..].trim();
                if !rest.is_empty() {
                    events.push(failure(rest, &format!("json: {e}")));
                }
                break;
            }
        }
    }
    events
}
