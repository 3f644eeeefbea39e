//! `vigil ingest FILE...`: offline import of log files: one event a line (syslog, NDJSON or
//! raw text, detected per line), Windows EVTX, CSV with a header, or JSON documents (an
//! array of objects or concatenated objects); `.gz` and `.zst` by their magic bytes (see
//! the `import` module for detection and `--format`). Into a data directory through the
//! same pipeline the server uses (journal, checkpoints, index), or to a server's ingest API
//! (lines as sent; other formats as the parsed events, one JSON object a line).

pub mod import;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use vigil_core::Event;
use vigil_ingest::{finalize, Batch, SourceInfo};
use vigil_parse::{parse_line_as, ParseContext};
use vigil_server::config::Config;

#[derive(clap::Args)]
pub struct IngestArgs {
    /// Files to import (plain, gzip or zstd)
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Data directory to import into [default: ./vigil-data]; must not be in use by a server
    #[arg(long, default_value = "./vigil-data")]
    data_dir: PathBuf,
    /// Send to a running server instead (e.g. http://127.0.0.1:8080)
    #[arg(long)]
    server: Option<String>,
    /// API token for --server (an ingest token)
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Zone assumed for RFC 3164 timestamps, which carry none
    #[arg(long, default_value = "+00:00")]
    timezone: String,
    /// Lines per batch
    #[arg(long, default_value_t = 5000)]
    batch: usize,
    /// Input format; auto detects it by extension and content
    #[arg(long, value_enum, default_value = "auto")]
    format: import::Format,
    /// A vigil.toml whose `[[pipelines]]` (VRL) run on the imported events, as in the
    /// server (their source name is `file`); only for imports into a data directory
    #[arg(long)]
    config: Option<PathBuf>,
    /// The format of every line instead of auto-detection (json, syslog, cef, leef, kv,
    /// auditd, windows-xml, raw); a line not in it is kept and tagged. Only for imports into
    /// a data directory (a server parses what it receives)
    #[arg(long, default_value = "auto")]
    parser: vigil_parse::Parser,
}

/// A batch read from a file: raw lines, or events decoded by a file format.
pub enum Chunk {
    Lines(Vec<Vec<u8>>),
    Events(Vec<Event>),
}

/// Calls `each` with batches of raw lines (trailing newline removed; the records of one
/// Linux audit event joined into one text) or of decoded events read from `path`.
pub fn for_each_batch(
    path: &Path,
    format: import::Format,
    batch: usize,
    bar: &ProgressBar,
    mut each: impl FnMut(Chunk) -> Result<()>,
) -> Result<()> {
    let mut reader = match import::open(path, format)? {
        import::Input::Lines(reader) => reader,
        import::Input::Events(events) => {
            let mut events = events.into_iter().peekable();
            while events.peek().is_some() {
                each(Chunk::Events(events.by_ref().take(batch).collect()))?;
            }
            bar.inc(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0));
            return Ok(());
        }
    };
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(batch);
    loop {
        let mut line = Vec::new();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        bar.inc(n as u64);
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        // Consecutive Linux audit records of one kernel event (same `audit(time:serial)`)
        // are one event: joined here with `\n`, parsed as one by vigil_parse.
        if let Some(previous) = lines.last_mut() {
            let stamp = vigil_parse::auditd::record_stamp(&line);
            if stamp.is_some() && stamp == vigil_parse::auditd::record_stamp(previous) {
                previous.push(b'\n');
                previous.extend_from_slice(&line);
                continue;
            }
        }
        lines.push(line);
        if lines.len() > batch {
            // The newest line may still be joined by the next one: it opens the next batch.
            let carry = lines.pop();
            each(Chunk::Lines(std::mem::take(&mut lines)))?;
            lines.extend(carry);
        }
    }
    if !lines.is_empty() {
        each(Chunk::Lines(lines))?;
    }
    Ok(())
}

pub fn progress_bar(total_bytes: u64) -> ProgressBar {
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

pub fn run(args: IngestArgs) -> Result<ExitCode> {
    let total_bytes: u64 = args
        .files
        .iter()
        .map(|f| {
            std::fs::metadata(f)
                .map(|m| m.len())
                .with_context(|| format!("cannot read {}", f.display()))
        })
        .sum::<Result<u64>>()?;
    let batch = args.batch.max(1);
    let bar = progress_bar(total_bytes);
    let started = Instant::now();
    let mut events: u64 = 0;
    let mut failures: u64 = 0;
    if args.server.is_some() && args.config.is_some() {
        bail!("--config is for imports into a data directory: a server runs its own [[pipelines]]");
    }
    if args.server.is_some() && args.parser != vigil_parse::Parser::Auto {
        bail!("--parser is for imports into a data directory: a server parses what it receives");
    }
    match &args.server {
        Some(server) => {
            let url = format!("{}/api/v1/ingest", server.trim_end_matches('/'));
            let client = crate::client::http_client(args.token.as_deref(), None)?;
            for path in &args.files {
                for_each_batch(path, args.format, batch, &bar, |chunk| {
                    let mut body = Vec::new();
                    match chunk {
                        Chunk::Lines(lines) => {
                            for line in &lines {
                                body.extend_from_slice(line);
                                body.push(b'\n');
                            }
                        }
                        Chunk::Events(events) => {
                            for event in &events {
                                event.write_canonical(&mut body);
                                body.push(b'\n');
                            }
                        }
                    }
                    let response = client
                        .post(&url)
                        .body(body)
                        .send()
                        .with_context(|| format!("cannot reach {url}"))?;
                    let status = response.status();
                    let answer: serde_json::Value = response.json().unwrap_or_default();
                    if !status.is_success() {
                        bail!(
                            "{url} answered {status}: {}",
                            answer["error"].as_str().unwrap_or("no reason given")
                        );
                    }
                    events += answer["accepted"].as_u64().unwrap_or(0);
                    failures += answer["rejected"].as_u64().unwrap_or(0);
                    bar.set_message(format!(
                        "{events} events, {:.0}/s",
                        events as f64 / started.elapsed().as_secs_f64()
                    ));
                    Ok(())
                })?;
            }
        }
        None => {
            let remap = match &args.config {
                Some(path) => Config::load(path)?
                    .compile_pipelines()
                    .map_err(anyhow::Error::msg)?,
                None => None,
            };
            let config = Config {
                data_dir: args.data_dir.clone(),
                syslog_timezone: args.timezone.clone(),
                ..Config::default()
            };
            let offset = config.syslog_offset().map_err(anyhow::Error::msg)?;
            let data = vigil_server::DataDir::open(&args.data_dir, &config)?;
            let lock = data.lock;
            let pipeline = vigil_server::Pipeline::start(
                data.journal,
                data.indexer,
                config.queue_batches,
                remap,
            )?;
            let sink = pipeline.sink();
            for path in &args.files {
                let source = SourceInfo {
                    name: vigil_ingest::IMPORT_SOURCE.into(),
                    address: Some(path.display().to_string()),
                };
                for_each_batch(path, args.format, batch, &bar, |chunk| {
                    let ctx = ParseContext {
                        received: chrono::Utc::now(),
                        default_offset: offset,
                    };
                    let decoded: Vec<Event> = match chunk {
                        Chunk::Lines(lines) => lines
                            .iter()
                            .map(|line| parse_line_as(line, &ctx, args.parser))
                            .collect(),
                        Chunk::Events(events) => events,
                    };
                    let parsed: Vec<_> = decoded
                        .into_iter()
                        .map(|mut event| {
                            if event.has_tag(vigil_core::TAG_PARSE_FAILURE) {
                                failures += 1;
                            }
                            finalize(&mut event, &source, ctx.received);
                            event
                        })
                        .collect();
                    events += parsed.len() as u64;
                    let (batch, ack) = Batch::acked(parsed);
                    sink.blocking_send(batch)
                        .map_err(|_| anyhow::anyhow!("the journal writer stopped"))?;
                    match ack.blocking_recv() {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => bail!("cannot store events: {e}"),
                        Err(_) => bail!("the journal writer stopped"),
                    }
                    bar.set_message(format!(
                        "{events} events, {:.0}/s",
                        events as f64 / started.elapsed().as_secs_f64()
                    ));
                    Ok(())
                })?;
            }
            drop(sink);
            bar.set_message("finishing the index");
            pipeline.shutdown();
            drop(lock);
        }
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "imported {events} events from {} file(s), {} bytes, in {secs:.2} s ({:.0} events/s); {failures} {}",
        args.files.len(),
        total_bytes,
        events as f64 / secs.max(1e-9),
        if args.server.is_some() { "lines rejected" } else { "kept raw and tagged _parse_failure" }
    );
    Ok(ExitCode::SUCCESS)
}
