//! `vigil bench --mode detect`: the detection engine alone, no server. Loads `--rules`,
//! decodes `--events` (or generates the syslog mix of `vigil bench`) once, then replays the
//! events `--repeat` times through the detector in batches of the size the server uses,
//! each replay shifted forward in time so correlation windows see a live stream. Reports
//! rule load time, events/s, findings, active correlation groups and peak RSS.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{Duration as ChronoDuration, Utc};
use vigil_core::Event;
use vigil_detect::{load_rules, DetectConfig, Detector};
use vigil_parse::{parse_line, ParseContext};

use crate::bench::{BenchArgs, Generator};
use crate::ingest::{for_each_batch, import, Chunk};

/// Events per detector batch (as the server's detection thread).
const BATCH: usize = 4096;
/// Events generated for the syslog mix when no `--events` is given.
const MIX_EVENTS: usize = 100_000;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn load_events(args: &BenchArgs) -> Result<Vec<Event>> {
    let ctx = ParseContext {
        received: Utc::now(),
        default_offset: chrono::FixedOffset::east_opt(0)
            .unwrap_or_else(|| unreachable!("zero offset")),
    };
    let mut events = Vec::new();
    match &args.events {
        Some(path) => {
            let bar = indicatif::ProgressBar::hidden();
            for_each_batch(path, import::Format::Auto, 20_000, &bar, |chunk| {
                match chunk {
                    Chunk::Lines(lines) => events.extend(lines.iter().map(|l| parse_line(l, &ctx))),
                    Chunk::Events(decoded) => events.extend(decoded),
                }
                Ok(())
            })
            .with_context(|| format!("cannot read {}", path.display()))?;
        }
        None => {
            let mut generator = Generator::new(7);
            let start = Utc::now() - ChronoDuration::hours(1);
            for i in 0..MIX_EVENTS {
                let t = start + ChronoDuration::milliseconds(i as i64 * 10);
                let line = generator.line_at(t);
                events.push(parse_line(line.as_bytes(), &ctx));
            }
        }
    }
    for (i, event) in events.iter_mut().enumerate() {
        event.set("event.id", format!("bench-{i}"));
    }
    Ok(events)
}

/// Moves every event's time forward by `shift` (so each replay is a later stretch of stream).
fn shifted(events: &[Event], shift: ChronoDuration) -> Vec<Event> {
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(t) = vigil_detect::event_time(&e) {
                e.set("@timestamp", vigil_core::time::format_timestamp(t + shift));
            }
            e
        })
        .collect()
}

pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    if args.rules.is_empty() {
        bail!("--mode detect needs --rules DIR (repeatable)");
    }
    let started = Instant::now();
    let set = load_rules(&args.rules)?;
    let config = DetectConfig {
        cross_rule_prefilter: args.prefilter != crate::hunt::Prefilter::Off,
        ..DetectConfig::default()
    };
    let (mut detector, errors) = Detector::new(&set, &config)?;
    let load_secs = started.elapsed().as_secs_f64();
    println!(
        "rules:                  {} loaded ({} not loaded) in {} log-source groups, {:.2} s",
        detector.detection_rule_count(),
        set.errors.len() + errors.len(),
        detector.group_count(),
        load_secs
    );
    let rss_rules = peak_rss_mb();

    if args.correlation_groups > 0 {
        let ctx = ParseContext {
            received: Utc::now(),
            default_offset: chrono::FixedOffset::east_opt(0)
                .unwrap_or_else(|| unreachable!("zero offset")),
        };
        let stamp = (Utc::now() - ChronoDuration::minutes(2))
            .format("%b %e %H:%M:%S")
            .to_string();
        let mut batch = Vec::with_capacity(BATCH);
        for i in 0..args.correlation_groups {
            let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            let line = format!(
                "<38>{stamp} srv-01 sshd[99]: Failed password for user{} from {ip} port 4242 ssh2",
                i % 50
            );
            batch.push(parse_line(line.as_bytes(), &ctx));
            if batch.len() == BATCH {
                detector.process_batch(&batch);
                batch.clear();
            }
        }
        detector.process_batch(&batch);
        println!(
            "correlation groups:     {} active after {} distinct sources, peak RSS {:.0} MB",
            detector.correlation_state_count(),
            args.correlation_groups,
            peak_rss_mb()
        );
    }

    let events = load_events(args)?;
    if events.is_empty() {
        bail!("no events to replay");
    }
    let span = {
        let times: Vec<_> = events.iter().filter_map(vigil_detect::event_time).collect();
        match (times.iter().min(), times.iter().max()) {
            (Some(a), Some(b)) => (*b - *a) + ChronoDuration::seconds(1),
            _ => ChronoDuration::seconds(1),
        }
    };
    let replays = args.repeat.max(1);
    let mut findings = 0usize;
    let mut busy = std::time::Duration::ZERO;
    for r in 0..replays {
        for chunk in events.chunks(BATCH) {
            let batch = shifted(chunk, span * r as i32);
            let t = Instant::now();
            findings += detector.process_batch(&batch).len();
            busy += t.elapsed();
        }
    }
    let secs = busy.as_secs_f64();
    let total = events.len() * replays;
    println!(
        "events:                 {} ({} distinct x {} replays)",
        total,
        events.len(),
        replays
    );
    println!(
        "detection:              {:.0} events/s ({:.2} s)",
        total as f64 / secs,
        secs
    );
    println!("findings:               {findings}");
    println!(
        "correlation groups:     {}",
        detector.correlation_state_count()
    );
    println!("late events:            {}", detector.stats().late_events);
    println!(
        "peak RSS:               {:.0} MB (after loading rules: {:.0} MB)",
        peak_rss_mb(),
        rss_rules
    );
    Ok(ExitCode::SUCCESS)
}
