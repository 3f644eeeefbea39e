//! `vigil hunt --rules DIR PATH...`: Sigma over log files without a server.
//!
//! Files (directories are recursed) are decoded by the same readers as `vigil ingest`
//! (EVTX, JSON/NDJSON, CSV, syslog and other lines; `.gz`/`.zst`), on a reader thread,
//! while the detector evaluates the previous batch on every core; correlations see the
//! events in file order. Each hit prints the rule, the file, the record id (EVTX
//! `EventRecordID`, else the 1-based line or object number), the event time and the fields
//! that matched. Nothing is written anywhere.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use vigil_core::Event;
use vigil_detect::{load_rules, DetectConfig, Detector, Finding};
use vigil_parse::{parse_line, ParseContext};

use crate::ingest::{for_each_batch, import, progress_bar, Chunk};

/// Output format of `vigil hunt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HuntFormat {
    Table,
    Json,
    Csv,
}

#[derive(clap::Args)]
pub struct HuntArgs {
    /// Sigma rule file or directory (repeatable)
    #[arg(long = "rules", required = true)]
    rules: Vec<PathBuf>,
    /// Log files or directories (recursed)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output: a table, JSON (one hit a line) or CSV
    #[arg(long, value_enum, default_value = "table")]
    format: HuntFormat,
    /// Input format; auto detects it by extension and content
    #[arg(long, value_enum, default_value = "auto")]
    input_format: import::Format,
    /// Placeholder values for rules using `|expand`: NAME=value1,value2 (repeatable)
    #[arg(long = "placeholder")]
    placeholders: Vec<String>,
    /// Zone assumed for RFC 3164 timestamps, which carry none
    #[arg(long, default_value = "+00:00")]
    timezone: String,
    /// Threads evaluating rules [default: all cores]
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar
    #[arg(long)]
    quiet: bool,
    /// rsigma's cross-rule literal prefilter (one Aho-Corasick pass per event over all
    /// literals of its log source's rules); off by default: on the SigmaHQ rules it costs
    /// more per event than it saves (BENCHMARKS.md)
    #[arg(long, value_enum, default_value = "off")]
    prefilter: Prefilter,
}

/// `--prefilter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Prefilter {
    On,
    Off,
}

/// One hit as printed.
struct Hit {
    finding: Finding,
    file: String,
    record: String,
    timestamp: String,
}

/// Parses `NAME=v1,v2` placeholder arguments.
pub fn parse_placeholders(items: &[String]) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in items {
        let Some((name, values)) = item.split_once('=') else {
            bail!("--placeholder {item:?}: expected NAME=value1,value2");
        };
        out.entry(name.trim().to_string()).or_default().extend(
            values
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()),
        );
    }
    Ok(out)
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot list {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            collect_files(&entry, out)?;
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// A file's events with their record ids, in file order.
type FileBatch = (usize, Vec<(String, Event)>);

fn record_id(event: &Event, ordinal: usize) -> String {
    match event.get("EventRecordID").or_else(|| event.get("_record")) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => ordinal.to_string(),
    }
}

pub fn run(args: HuntArgs) -> Result<ExitCode> {
    let set = load_rules(&args.rules)?;
    let mut config = DetectConfig {
        placeholders: parse_placeholders(&args.placeholders)?,
        // Offline files are not a live stream: no event is "late".
        allowed_lateness_secs: i64::MAX / 4,
        ..DetectConfig::default()
    };
    if let Some(t) = args.threads {
        config.threads = t.max(1);
    }
    let mut files = Vec::new();
    for p in &args.paths {
        collect_files(p, &mut files)?;
    }
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    config.cross_rule_prefilter = args.prefilter == Prefilter::On;
    let (mut detector, compile_errors) = Detector::new(&set, &config)?;
    let errors = set.errors.len() + compile_errors.len();
    for e in set.errors.iter().chain(&compile_errors) {
        tracing::debug!("rule not loaded: {e}");
    }
    if errors > 0 {
        eprintln!(
            "warning: {errors} rule(s) not loaded (see `vigil rules validate`); {} loaded",
            detector.detection_rule_count()
        );
    }
    let offset = vigil_server::config::Config {
        syslog_timezone: args.timezone.clone(),
        ..vigil_server::config::Config::default()
    }
    .syslog_offset()
    .map_err(anyhow::Error::msg)?;

    let bar = progress_bar(total);
    if args.quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let display: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();

    let (tx, rx) = mpsc::sync_channel::<Result<FileBatch>>(4);
    let mut hits: Vec<Hit> = Vec::new();
    let mut events_seen: u64 = 0;
    std::thread::scope(|scope| -> Result<()> {
        let reader_bar = bar.clone();
        let files_ref = &files;
        let format = args.input_format;
        scope.spawn(move || {
            for (index, path) in files_ref.iter().enumerate() {
                let mut ordinal = 0usize;
                let result = for_each_batch(path, format, 20_000, &reader_bar, |chunk| {
                    let ctx = ParseContext {
                        received: chrono::Utc::now(),
                        default_offset: offset,
                    };
                    let events: Vec<Event> = match chunk {
                        Chunk::Lines(lines) => lines.iter().map(|l| parse_line(l, &ctx)).collect(),
                        Chunk::Events(events) => events,
                    };
                    let batch = events
                        .into_iter()
                        .map(|mut event| {
                            ordinal += 1;
                            let record = record_id(&event, ordinal);
                            event.set("event.id", format!("{index}:{record}"));
                            (record, event)
                        })
                        .collect();
                    tx.send(Ok((index, batch)))
                        .map_err(|_| anyhow::anyhow!("hunt stopped"))
                });
                if let Err(e) = result {
                    let _ = tx.send(Err(e.context(format!("{}", path.display()))));
                    return;
                }
            }
        });
        for message in rx {
            let (index, batch) = message?;
            let (records, events): (Vec<String>, Vec<Event>) = batch.into_iter().unzip();
            events_seen += events.len() as u64;
            for finding in detector.process_batch(&events) {
                let event = &events[finding.event_index];
                hits.push(Hit {
                    file: display[index].clone(),
                    record: records[finding.event_index].clone(),
                    timestamp: vigil_detect::event_time(event)
                        .map(vigil_core::time::format_timestamp)
                        .unwrap_or_default(),
                    finding,
                });
            }
            bar.set_message(format!("{events_seen} events, {} hits", hits.len()));
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    print_hits(&hits, args.format)?;
    eprintln!(
        "{} hits from {} rules over {events_seen} events in {} files, {:.2} s ({:.0} events/s)",
        hits.len(),
        detector.detection_rule_count(),
        files.len(),
        elapsed.as_secs_f64(),
        events_seen as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn matched_text(f: &Finding) -> String {
    if f.correlation.is_some() {
        let group: Vec<String> = f
            .group_key
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        return format!("{} events; {}", f.event_ids.len(), group.join(" "));
    }
    f.matched_fields
        .iter()
        .map(|m| {
            let v = match &m.value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{}={}", m.field, v)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn hit_json(h: &Hit) -> Value {
    let f = &h.finding;
    json!({
        "rule_id": f.rule.id,
        "title": f.rule.title,
        "level": f.rule.level,
        "tags": f.rule.tags,
        "author": f.rule.author,
        "license": f.rule.license,
        "file": h.file,
        "record_id": h.record,
        "timestamp": h.timestamp,
        "matched": f.matched_fields,
        "correlation": f.correlation,
        "group_key": f.group_key.iter().map(|(k, v)| json!({"field": k, "value": v})).collect::<Vec<_>>(),
        "event_ids": if f.correlation.is_some() { json!(f.event_ids) } else { Value::Null },
    })
}

fn print_hits(hits: &[Hit], format: HuntFormat) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        HuntFormat::Json => {
            for h in hits {
                writeln!(out, "{}", hit_json(h))?;
            }
        }
        HuntFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "rule_id",
                "title",
                "level",
                "tags",
                "file",
                "record_id",
                "timestamp",
                "matched",
            ])?;
            for h in hits {
                let f = &h.finding;
                w.write_record([
                    f.rule.id.as_str(),
                    f.rule.title.as_str(),
                    f.rule.level.as_str(),
                    f.rule.tags.join(" ").as_str(),
                    h.file.as_str(),
                    h.record.as_str(),
                    h.timestamp.as_str(),
                    matched_text(f).as_str(),
                ])?;
            }
            w.flush()?;
        }
        HuntFormat::Table => {
            let rows: Vec<[String; 6]> = hits
                .iter()
                .map(|h| {
                    let f = &h.finding;
                    [
                        h.timestamp.clone(),
                        f.rule.level.clone(),
                        truncate(&f.rule.title, 60),
                        format!("{}#{}", short_path(&h.file), h.record),
                        truncate(&f.rule.tags.join(" "), 40),
                        truncate(&matched_text(f), 80),
                    ]
                })
                .collect();
            let header = ["time", "level", "rule", "file#record", "tags", "matched"];
            let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
            for row in &rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: &[&str]| -> String {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(&header))?;
            for row in &rows {
                let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                writeln!(out, "{}", line(&cells))?;
            }
        }
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn short_path(p: &str) -> String {
    let parts: Vec<&str> = p.rsplit('/').take(2).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}
