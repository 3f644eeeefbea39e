//! `vigil rules <validate|test|backtest>`: rule management without a server.
//!
//! - `validate` loads and compiles every rule under the given paths and reports each rule
//!   that fails with its file, line and reason.
//! - `test` runs each rule file's sibling `<stem>.tests.yml` cases (format: `rules/README.md`)
//!   through Vigil's real parsers and the detection engine and compares the alert counts.
//! - `backtest` runs one rule over the history stored in a data directory's journal
//!   (read-only: no lock, nothing written) and reports the alerts it would have raised.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::{json, Value};
use vigil_core::time::{format_timestamp, parse_time_expr};
use vigil_core::Event;
use vigil_detect::{
    event_time, is_test_file, load_rules, DetectConfig, Detector, Finding, RuleError, RuleInfo,
    RuleSet,
};
use vigil_ingest::{finalize, SourceInfo};
use vigil_parse::{parse_line, ParseContext};

use crate::hunt::parse_placeholders;

#[derive(clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(clap::Subcommand)]
enum RulesCommand {
    /// Load and compile rules; report every invalid rule (file:line: reason). Exit 1 if any.
    Validate(ValidateArgs),
    /// Run each rule's sibling `<stem>.tests.yml` cases through the parsers and the engine.
    Test(TestArgs),
    /// Run one rule over the stored history of a data directory and report its alerts.
    Backtest(BacktestArgs),
}

/// Output format of `validate` and `backtest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// Rule files or directories (recursed; `*.tests.yml` skipped)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Placeholder values for rules using `|expand`: NAME=value1,value2 (repeatable).
    /// Placeholders not given are filled with a dummy value, so that such rules are still
    /// checked (a server rejects them unless `[detect.placeholders]` configures them).
    #[arg(long = "placeholder")]
    placeholders: Vec<String>,
    /// Output: text, or JSON {files, rules, errors}
    #[arg(long, value_enum, default_value = "table")]
    format: RulesFormat,
}

#[derive(clap::Args)]
struct TestArgs {
    /// Rule files or directories (recursed)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// A rule file without a `<stem>.tests.yml` fails
    #[arg(long)]
    require_tests: bool,
}

#[derive(clap::Args)]
struct BacktestArgs {
    /// A rule file, or the id or title of a rule found in the --rules directories
    rule: String,
    /// Data directory holding the history (read only; may be in use by a server)
    #[arg(long, default_value = "./vigil-data")]
    data_dir: PathBuf,
    /// Start of the event-time range (inclusive): -30d, -24h, now, RFC 3339
    #[arg(long, default_value = "-30d", allow_hyphen_values = true)]
    from: String,
    /// End of the event-time range (exclusive)
    #[arg(long, default_value = "now", allow_hyphen_values = true)]
    to: String,
    /// Where to look a rule id or title up (repeatable)
    #[arg(long = "rules", default_value = "rules/")]
    rules: Vec<PathBuf>,
    /// Placeholder values for rules using `|expand`: NAME=value1,value2 (repeatable)
    #[arg(long = "placeholder")]
    placeholders: Vec<String>,
    /// Output: a report, or one JSON document
    #[arg(long, value_enum, default_value = "table")]
    format: RulesFormat,
    /// No progress bar
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: RulesArgs) -> Result<ExitCode> {
    match args.command {
        RulesCommand::Validate(a) => validate(a),
        RulesCommand::Test(a) => test(a),
        RulesCommand::Backtest(a) => backtest(a),
    }
}

/// The detector settings of a server with the default configuration.
fn server_config() -> DetectConfig {
    let settings = &vigil_server::config::Config::default().detect;
    let lateness = vigil_server::config::parse_duration(&settings.allowed_lateness)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(300);
    DetectConfig {
        allowed_lateness_secs: lateness,
        ..DetectConfig::default()
    }
}

// ---------------------------------------------------------------- validate

/// Every `%name%` used in a rule file (for filling unconfigured placeholders).
fn placeholder_names(paths: &[PathBuf]) -> Result<HashSet<String>> {
    let mut names = HashSet::new();
    for file in rule_files(paths)? {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if !text.contains("expand") {
            continue;
        }
        for (i, part) in text.split('%').enumerate() {
            if i % 2 == 1
                && !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
            {
                names.insert(part.to_string());
            }
        }
    }
    Ok(names)
}

fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let set = load_rules(&args.paths)?;
    let mut placeholders = parse_placeholders(&args.placeholders)?;
    for name in placeholder_names(&args.paths)? {
        placeholders
            .entry(name)
            .or_insert_with(|| vec!["vigil-validate-placeholder".to_string()]);
    }
    let config = DetectConfig {
        placeholders,
        threads: 1,
        ..DetectConfig::default()
    };
    let (_detector, compile_errors) = Detector::new(&set, &config)?;
    let mut errors: Vec<&RuleError> = set.errors.iter().chain(&compile_errors).collect();
    errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let loaded = set.len().saturating_sub(compile_errors.len());
    match args.format {
        RulesFormat::Json => {
            let doc = json!({
                "files": set.files,
                "rules": loaded,
                "errors": errors.iter().map(|e| json!({
                    "file": e.file.display().to_string(),
                    "line": e.line,
                    "reason": e.reason,
                })).collect::<Vec<_>>(),
            });
            println!("{doc}");
        }
        RulesFormat::Table => {
            for e in &errors {
                eprintln!("{e}");
            }
            println!(
                "{} files, {loaded} rules loaded, {} errors",
                set.files,
                errors.len()
            );
        }
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

// ---------------------------------------------------------------- test

/// Rule files under the paths (a file given explicitly is taken as is), sorted.
fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot list {}", dir.display()))?
                .path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            ) && !is_test_file(&path)
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            files.sort();
            out.extend(files);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// `<stem>.tests.yml` (or `.tests.yaml`) beside a rule file.
fn tests_file_of(rule_file: &Path) -> Option<PathBuf> {
    let stem = rule_file.file_stem()?.to_str()?;
    ["tests.yml", "tests.yaml"]
        .iter()
        .map(|ext| rule_file.with_file_name(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    placeholders: BTreeMap<String, Vec<String>>,
    cases: Vec<TestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    name: String,
    expect: usize,
    events: Vec<TestEvent>,
    #[serde(default)]
    repeat: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestEvent {
    #[serde(default)]
    log: Option<String>,
    #[serde(default)]
    json: Option<Value>,
}

/// The fixed reception time of test events (RFC 3164 year inference is deterministic).
fn test_received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// One test input turned into an event as the server would: parsed, then finalized.
fn test_event(item: &TestEvent, ordinal: usize) -> Result<Event, String> {
    let received = test_received();
    let mut event = match (&item.log, &item.json) {
        (Some(line), None) => parse_line(line.as_bytes(), &ParseContext::new(received)),
        (None, Some(value @ Value::Object(_))) => {
            let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
            vigil_parse::json::parse(&text).map_err(|e| format!("event {ordinal}: {e}"))?
        }
        (None, Some(_)) => return Err(format!("event {ordinal}: `json:` is not an object")),
        _ => {
            return Err(format!(
                "event {ordinal}: each event needs exactly one of `log:` or `json:`"
            ))
        }
    };
    if event.id().is_none() {
        event.set("event.id", format!("test-{ordinal}"));
    }
    let source = SourceInfo {
        name: "rules-test".to_string(),
        address: None,
    };
    finalize(&mut event, &source, received);
    Ok(event)
}

/// A case's events: parsed, then the whole list repeated `repeat` times, repetition `i`
/// shifted by `i` seconds.
fn case_events(case: &TestCase) -> Result<Vec<Event>, String> {
    let base: Vec<Event> = case
        .events
        .iter()
        .enumerate()
        .map(|(i, item)| test_event(item, i + 1))
        .collect::<Result<_, _>>()?;
    let repeat = case.repeat.unwrap_or(1);
    if repeat == 0 {
        return Err("`repeat` must be at least 1".to_string());
    }
    let mut out = Vec::with_capacity(base.len() * repeat);
    for r in 0..repeat {
        for event in &base {
            let mut e = event.clone();
            if r > 0 {
                if let Some(t) = e.timestamp() {
                    e.set(
                        "@timestamp",
                        format_timestamp(t + chrono::Duration::seconds(r as i64)),
                    );
                }
                let id = format!("{}-r{r}", e.id().unwrap_or("test"));
                e.set("event.id", id);
            }
            out.push(e);
        }
    }
    Ok(out)
}

/// The `id` of the first YAML document of a rule file.
fn first_document_id(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut first = String::new();
    for line in text.lines() {
        if line.trim_end() == "---" {
            if first.lines().any(|l| {
                let l = l.trim();
                !l.is_empty() && !l.starts_with('#')
            }) {
                break;
            }
            first.clear();
            continue;
        }
        first.push_str(line);
        first.push('\n');
    }
    let doc: yaml_serde::Value = yaml_serde::from_str(&first).ok()?;
    doc.get("id")?.as_str().map(str::to_string)
}

/// The file's alerting rule: its first document (README of the pack), found by its `id`;
/// else the rule that starts first in the file.
fn alerting_rule(set: &RuleSet, file: &Path) -> Option<Arc<RuleInfo>> {
    if let Some(id) = first_document_id(file) {
        if let Some(rule) = set.rules().find(|r| r.id == id) {
            return Some(rule.clone());
        }
    }
    set.rules()
        .filter(|r| r.file == file)
        .min_by_key(|r| r.line)
        .cloned()
}

enum RuleOutcome {
    Pass(usize),
    Fail(Vec<String>),
    NoTests,
}

fn summarize_titles(findings: &[Finding]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *counts.entry(f.rule.title.as_str()).or_default() += 1;
    }
    if counts.is_empty() {
        return "no findings".to_string();
    }
    counts
        .iter()
        .map(|(t, n)| format!("{n}× {t}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn test_rule_file(file: &Path) -> Result<(String, RuleOutcome)> {
    let set = load_rules(&[file.to_path_buf()])?;
    let title = alerting_rule(&set, file)
        .map(|r| r.title.clone())
        .unwrap_or_else(|| "(no rule)".to_string());
    let Some(tests_path) = tests_file_of(file) else {
        return Ok((title, RuleOutcome::NoTests));
    };
    let mut failures = Vec::new();
    for e in &set.errors {
        failures.push(format!("invalid rule: {e}"));
    }
    let Some(rule) = alerting_rule(&set, file) else {
        failures.push(format!("{}: no rule loaded", file.display()));
        return Ok((title, RuleOutcome::Fail(failures)));
    };
    let text = std::fs::read_to_string(&tests_path)
        .with_context(|| format!("cannot read {}", tests_path.display()))?;
    let tests: TestFile = match yaml_serde::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            failures.push(format!("{}: malformed: {e}", tests_path.display()));
            return Ok((title, RuleOutcome::Fail(failures)));
        }
    };
    if tests.cases.is_empty() {
        failures.push(format!("{}: malformed: no cases", tests_path.display()));
    }
    let config = DetectConfig {
        placeholders: tests.placeholders.clone(),
        threads: 1,
        ..server_config()
    };
    for case in &tests.cases {
        let events = match case_events(case) {
            Ok(e) => e,
            Err(reason) => {
                failures.push(format!(
                    "{}: malformed case {:?}: {reason}",
                    tests_path.display(),
                    case.name
                ));
                continue;
            }
        };
        let (mut detector, compile_errors) = Detector::new(&set, &config)?;
        if let Some(e) = compile_errors.first() {
            failures.push(format!("case {:?}: rule does not compile: {e}", case.name));
            continue;
        }
        let findings = detector.process_batch(&events);
        let got = findings.iter().filter(|f| f.rule.id == rule.id).count();
        if got != case.expect {
            failures.push(format!(
                "case {:?}: expected {}, got {} ({})",
                case.name,
                case.expect,
                got,
                summarize_titles(&findings)
            ));
        }
    }
    Ok(if failures.is_empty() {
        (title, RuleOutcome::Pass(tests.cases.len()))
    } else {
        (title, RuleOutcome::Fail(failures))
    })
}

fn test(args: TestArgs) -> Result<ExitCode> {
    let files = rule_files(&args.paths)?;
    let (mut passed, mut failed, mut untested, mut cases) = (0usize, 0usize, 0usize, 0usize);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in &files {
        let (title, outcome) = test_rule_file(file)?;
        let shown = file.display();
        match outcome {
            RuleOutcome::Pass(n) => {
                passed += 1;
                cases += n;
                writeln!(out, "PASS      {title}  ({shown}, {n} cases)")?;
            }
            RuleOutcome::Fail(reasons) => {
                failed += 1;
                writeln!(out, "FAIL      {title}  ({shown})")?;
                for r in reasons {
                    writeln!(out, "          {r}")?;
                }
            }
            RuleOutcome::NoTests => {
                untested += 1;
                let tag = if args.require_tests {
                    "FAIL"
                } else {
                    "NO TESTS"
                };
                writeln!(out, "{tag:<8}  {title}  ({shown}): no tests file")?;
            }
        }
    }
    writeln!(
        out,
        "{} rule files: {passed} passed ({cases} cases), {failed} failed, {untested} without tests",
        files.len()
    )?;
    out.flush()?;
    let ok = failed == 0 && !(args.require_tests && untested > 0);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

// ---------------------------------------------------------------- backtest

/// Loads the rule named by `spec` (a file, or an id / title under `dirs`) with what its
/// correlations reference; returns the set and the rule whose alerts are counted.
fn backtest_rules(spec: &str, dirs: &[PathBuf]) -> Result<(RuleSet, Arc<RuleInfo>)> {
    let path = Path::new(spec);
    if path.is_file() {
        let set = load_rules(&[path.to_path_buf()])?;
        for e in &set.errors {
            eprintln!("warning: {e}");
        }
        let Some(rule) = alerting_rule(&set, path) else {
            bail!("{spec}: no rule loaded");
        };
        return Ok((set, rule));
    }
    let mut set = load_rules(dirs)?;
    let wanted = spec.trim();
    let found: Vec<Arc<RuleInfo>> = set
        .rules()
        .filter(|r| r.id == wanted || r.title.eq_ignore_ascii_case(wanted))
        .cloned()
        .collect();
    let rule = match found.as_slice() {
        [one] => one.clone(),
        [] => bail!(
            "no rule with id or title {spec:?} in {} (and no such file)",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        many => bail!(
            "{} rules are titled {spec:?}; name one by id: {}",
            many.len(),
            many.iter()
                .map(|r| format!("{} ({})", r.id, r.file.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let id = rule.id.clone();
    set.retain(|r| r.id == id);
    Ok((set, rule))
}

struct Backtest {
    scanned: u64,
    in_range: u64,
    findings: Vec<(Finding, Option<String>, Option<DateTime<Utc>>)>,
}

fn backtest(args: BacktestArgs) -> Result<ExitCode> {
    let now = Utc::now();
    let from = parse_time_expr(&args.from, now).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = parse_time_expr(&args.to, now).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let (set, rule) = backtest_rules(&args.rule, &args.rules)?;
    let config = DetectConfig {
        placeholders: parse_placeholders(&args.placeholders)?,
        ..server_config()
    };
    let (mut detector, compile_errors) = Detector::new(&set, &config)?;
    if !compile_errors.is_empty() {
        for e in &compile_errors {
            eprintln!("{e}");
        }
        bail!("the rule does not compile");
    }
    let journal = vigil_server::journal_dir(&args.data_dir);
    let reader = vigil_journal::JournalReader::open(&journal)
        .with_context(|| format!("cannot open the journal in {}", args.data_dir.display()))?;
    let total = reader.len();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {human_pos}/{human_len} events ({per_sec}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if args.quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut result = Backtest {
        scanned: 0,
        in_range: 0,
        findings: Vec::new(),
    };
    let mut batch: Vec<Event> = Vec::with_capacity(4096);
    let mut flush = |batch: &mut Vec<Event>, result: &mut Backtest| {
        for finding in detector.process_batch(batch) {
            if finding.rule.id != rule.id {
                continue;
            }
            let event = &batch[finding.event_index];
            let host = event.get_str("host.name").map(str::to_string);
            let time = event_time(event);
            result.findings.push((finding, host, time));
        }
        batch.clear();
    };
    for record in reader.scan(0) {
        let (seq, bytes) = record.context("reading the journal")?;
        result.scanned += 1;
        if result.scanned.is_multiple_of(4096) {
            bar.set_position(result.scanned);
            bar.set_message(format!("{} alerts", result.findings.len()));
        }
        let event = Event::from_canonical_bytes(&bytes)
            .with_context(|| format!("journal record {seq} is not an event"))?;
        let Some(t) = event_time(&event) else {
            continue;
        };
        if t < from || t >= to {
            continue;
        }
        result.in_range += 1;
        batch.push(event);
        if batch.len() >= 4096 {
            flush(&mut batch, &mut result);
        }
    }
    flush(&mut batch, &mut result);
    bar.finish_and_clear();
    print_backtest(&args, &rule, from, to, &result)?;
    Ok(ExitCode::SUCCESS)
}

fn group_text(f: &Finding) -> String {
    if f.group_key.is_empty() {
        return "-".to_string();
    }
    f.group_key
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn matched_text(f: &Finding) -> String {
    if let Some(c) = &f.correlation {
        return format!("{} {} ({})", c.kind, c.aggregated_value, group_text(f));
    }
    f.matched_fields
        .iter()
        .map(|m| {
            let v = match &m.value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{}={v}", m.field)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_backtest(
    args: &BacktestArgs,
    rule: &RuleInfo,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    result: &Backtest,
) -> Result<()> {
    let mut by_group: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_host: BTreeMap<String, usize> = BTreeMap::new();
    for (f, host, _) in &result.findings {
        *by_group.entry(group_text(f)).or_default() += 1;
        *by_host
            .entry(host.clone().unwrap_or_else(|| "-".to_string()))
            .or_default() += 1;
    }
    let times: Vec<DateTime<Utc>> = result.findings.iter().filter_map(|(_, _, t)| *t).collect();
    let first = times.iter().min().map(|t| format_timestamp(*t));
    let last = times.iter().max().map(|t| format_timestamp(*t));
    let shown: Vec<_> = result.findings.iter().take(20).collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        RulesFormat::Json => {
            let doc = json!({
                "rule": {
                    "id": rule.id,
                    "title": rule.title,
                    "level": rule.level,
                    "file": rule.file.display().to_string(),
                },
                "from": format_timestamp(from),
                "to": format_timestamp(to),
                "events_scanned": result.scanned,
                "events_in_range": result.in_range,
                "alerts": result.findings.len(),
                "first": first,
                "last": last,
                "by_group": by_group.iter().map(|(g, n)| json!({"group": g, "alerts": n})).collect::<Vec<_>>(),
                "by_host": by_host.iter().map(|(h, n)| json!({"host": h, "alerts": n})).collect::<Vec<_>>(),
                "findings": shown.iter().map(|(f, host, t)| json!({
                    "time": t.map(format_timestamp),
                    "host": host,
                    "group_key": f.group_key.iter().map(|(k, v)| json!({"field": k, "value": v})).collect::<Vec<_>>(),
                    "first_event_time": format_timestamp(f.first_event_time),
                    "last_event_time": format_timestamp(f.last_event_time),
                    "event_ids": f.event_ids,
                    "matched": f.matched_fields,
                    "correlation": f.correlation,
                })).collect::<Vec<_>>(),
            });
            writeln!(out, "{doc}")?;
        }
        RulesFormat::Table => {
            writeln!(
                out,
                "rule:   {} ({}, {})",
                rule.title,
                rule.id,
                rule.file.display()
            )?;
            writeln!(
                out,
                "range:  {} .. {} (event time); {} events read, {} in range",
                format_timestamp(from),
                format_timestamp(to),
                result.scanned,
                result.in_range
            )?;
            writeln!(out, "alerts: {}", result.findings.len())?;
            if let (Some(first), Some(last)) = (&first, &last) {
                writeln!(out, "first:  {first}\nlast:   {last}")?;
            }
            if !result.findings.is_empty() {
                writeln!(out, "\nby group:")?;
                for (g, n) in &by_group {
                    writeln!(out, "  {n:>6}  {g}")?;
                }
                writeln!(out, "\nby host:")?;
                for (h, n) in &by_host {
                    writeln!(out, "  {n:>6}  {h}")?;
                }
                writeln!(
                    out,
                    "\nfirst {} alerts (time, host, events, matched):",
                    shown.len()
                )?;
                for (f, host, t) in &shown {
                    let ids = if f.event_ids.len() > 3 {
                        format!(
                            "{} … {} ({} events)",
                            f.event_ids[0],
                            f.event_ids[f.event_ids.len() - 1],
                            f.event_ids.len()
                        )
                    } else {
                        f.event_ids.join(",")
                    };
                    writeln!(
                        out,
                        "  {}  {}  {}  {}",
                        t.map(format_timestamp).unwrap_or_default(),
                        host.as_deref().unwrap_or("-"),
                        ids,
                        matched_text(f)
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}
