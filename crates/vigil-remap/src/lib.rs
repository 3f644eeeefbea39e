//! User-defined pipelines: VRL programs (Vector Remap Language, the `vrl` crate) that
//! reshape events after Vigil's own parsing, configured as `[[pipelines]]` in `vigil.toml`.
//!
//! Owns compiling the programs (all at startup; an error names the file, line and column
//! and carries VRL's diagnostic), choosing the pipelines for an event (by
//! `log.source.name` and/or a read-only VRL condition) and running them in order on the
//! event as a VRL object. Must never drop an event or panic on one: a runtime error or
//! `abort` leaves the event as it was before that pipeline, tagged [`TAG_VRL_ERROR`] with
//! the reason in `error.message`; and `event.original` always survives unchanged.

mod convert;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use vigil_core::Event;
use vrl::compiler::runtime::{Runtime, Terminate};
use vrl::compiler::state::RuntimeState;
use vrl::compiler::{CompileConfig, Program, TargetValue, TimeZone};
use vrl::value::{Secrets, Value};

/// Tag added to an event on which a pipeline failed at run time.
pub const TAG_VRL_ERROR: &str = "_vrl_error";

/// Where a program's text came from, so errors point into the user's file.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The config file or `.vrl` file.
    pub file: PathBuf,
    /// 1-based line of the program's first character in that file.
    pub line: usize,
    /// 1-based column (in characters) of the program's first character.
    pub column: usize,
}

/// A program's text and where it came from.
#[derive(Debug, Clone)]
pub struct ProgramText {
    /// The VRL source.
    pub text: String,
    /// Its place in a file.
    pub origin: Origin,
}

/// One `[[pipelines]]` entry, its program text already read.
#[derive(Debug, Clone)]
pub struct PipelineSpec {
    /// Name, reported in errors and metrics.
    pub name: String,
    /// The remap program.
    pub program: ProgramText,
    /// `log.source.name` values this pipeline applies to; empty means any source.
    pub sources: Vec<String>,
    /// A VRL boolean expression; when set, the pipeline runs only where it is `true`.
    pub condition: Option<ProgramText>,
}

/// A program that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: pipeline '{pipeline}': {what} does not compile: {message}\n{rendered}", file = .file.display())]
pub struct CompileError {
    /// The pipeline's name.
    pub pipeline: String,
    /// "program" or "condition".
    pub what: &'static str,
    /// File holding the program.
    pub file: PathBuf,
    /// 1-based line of the (first) error in that file.
    pub line: usize,
    /// 1-based column of the (first) error in that file.
    pub column: usize,
    /// VRL's first error message (`error[E103]: ...`).
    pub message: String,
    /// VRL's rendered diagnostics (positions relative to the program).
    pub rendered: String,
}

struct Compiled {
    name: String,
    program: Program,
    /// The program may fail or abort, or leave `.` something other than an object: keep a
    /// copy of the event to go back to.
    needs_backup: bool,
    sources: Vec<String>,
    condition: Option<Program>,
    runs: AtomicU64,
    errors: AtomicU64,
}

/// The compiled pipelines, in configuration order. Shared by every thread that runs them.
pub struct Pipelines {
    pipelines: Vec<Compiled>,
    /// Whether some pipeline applies whatever the source (no `sources` list).
    any_source: bool,
    /// Zone for VRL time functions without an explicit one: UTC, like the rest of Vigil.
    timezone: TimeZone,
}

impl fmt::Debug for Pipelines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.pipelines.iter().map(|p| &p.name))
            .finish()
    }
}

/// Per-thread VRL runtime state, reused between events.
#[derive(Default)]
pub struct Runner {
    runtime: Runtime,
}

impl Runner {
    /// A fresh runtime.
    pub fn new() -> Self {
        Self {
            runtime: Runtime::new(RuntimeState::default()),
        }
    }
}

/// A pipeline's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineStats {
    /// The pipeline's name.
    pub name: String,
    /// Events it ran on (successfully or not).
    pub runs: u64,
    /// Runs that failed (event kept as before, tagged).
    pub errors: u64,
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn compile(
    pipeline: &str,
    what: &'static str,
    text: &ProgramText,
    config: CompileConfig,
) -> Result<Program, Box<CompileError>> {
    let functions = vrl::stdlib::all();
    match vrl::compiler::compile_with_external(
        &text.text,
        &functions,
        &vrl::compiler::state::ExternalEnv::default(),
        config,
    ) {
        Ok(result) => Ok(result.program),
        Err(diagnostics) => {
            let first = diagnostics.errors().first().map(|d| {
                let offset = d
                    .labels
                    .iter()
                    .find(|l| l.primary)
                    .or(d.labels.first())
                    .map_or(0, |l| l.span.start());
                (format!("error[E{}]: {}", d.code, d.message), offset)
            });
            let (message, offset) = first.unwrap_or_else(|| ("invalid program".into(), 0));
            let (l, c) = line_column(&text.text, offset);
            let line = text.origin.line + l - 1;
            let column = if l == 1 {
                text.origin.column + c - 1
            } else {
                c
            };
            let rendered = vrl::diagnostic::Formatter::new(&text.text, diagnostics).to_string();
            Err(Box::new(CompileError {
                pipeline: pipeline.to_string(),
                what,
                file: text.origin.file.clone(),
                line,
                column,
                message,
                rendered,
            }))
        }
    }
}

impl Pipelines {
    /// Compiles every pipeline; the first that fails is the error.
    pub fn compile(specs: &[PipelineSpec]) -> Result<Self, Box<CompileError>> {
        let mut pipelines = Vec::with_capacity(specs.len());
        for spec in specs {
            let program = compile(
                &spec.name,
                "program",
                &spec.program,
                CompileConfig::default(),
            )?;
            let condition = match &spec.condition {
                Some(text) => {
                    let mut config = CompileConfig::default();
                    config.set_read_only();
                    let condition = compile(&spec.name, "condition", text, config)?;
                    Some(condition)
                }
                None => None,
            };
            let info = program.info();
            let root = program
                .final_type_info()
                .state
                .external
                .target_kind()
                .clone();
            pipelines.push(Compiled {
                name: spec.name.clone(),
                needs_backup: info.fallible
                    || info.abortable
                    || !(root.is_object() && root.is_exact()),
                program,
                sources: spec.sources.clone(),
                condition,
                runs: AtomicU64::new(0),
                errors: AtomicU64::new(0),
            });
        }
        let any_source = pipelines.iter().any(|p| p.sources.is_empty());
        Ok(Self {
            pipelines,
            any_source,
            timezone: TimeZone::parse("UTC").unwrap_or_default(),
        })
    }

    /// Whether no pipeline is configured.
    pub fn is_empty(&self) -> bool {
        self.pipelines.is_empty()
    }

    /// Each pipeline's counters, in configuration order.
    pub fn stats(&self) -> Vec<PipelineStats> {
        self.pipelines
            .iter()
            .map(|p| PipelineStats {
                name: p.name.clone(),
                runs: p.runs.load(Ordering::Relaxed),
                errors: p.errors.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Runtime errors of all pipelines.
    pub fn errors_total(&self) -> u64 {
        self.pipelines
            .iter()
            .map(|p| p.errors.load(Ordering::Relaxed))
            .sum()
    }

    /// Runs the pipelines that apply to `event`, in order. Returns whether the event was
    /// changed (its canonical bytes must then be computed again).
    pub fn apply(&self, event: &mut Event, runner: &mut Runner) -> bool {
        let source = event.get_str("log.source.name").unwrap_or("");
        let applies = |p: &Compiled| p.sources.is_empty() || p.sources.iter().any(|s| s == source);
        if !self.any_source && !self.pipelines.iter().any(applies) {
            return false;
        }
        let selected: Vec<&Compiled> = self.pipelines.iter().filter(|p| applies(p)).collect();
        let mut target = TargetValue {
            value: convert::to_vrl(event.as_map()),
            metadata: Value::Object(Default::default()),
            secrets: Secrets::default(),
        };
        let mut ran = false;
        let mut failures: Vec<String> = Vec::new();
        for pipeline in selected {
            if let Some(condition) = &pipeline.condition {
                runner.runtime.clear();
                match runner
                    .runtime
                    .resolve(&mut target, condition, &self.timezone)
                {
                    Ok(Value::Boolean(true)) => {}
                    Ok(Value::Boolean(false)) => continue,
                    Ok(other) => {
                        pipeline.errors.fetch_add(1, Ordering::Relaxed);
                        failures.push(format!(
                            "pipeline '{}': condition returned {} instead of a boolean",
                            pipeline.name,
                            other.kind()
                        ));
                        continue;
                    }
                    Err(e) => {
                        pipeline.errors.fetch_add(1, Ordering::Relaxed);
                        failures.push(format!("pipeline '{}': condition: {e}", pipeline.name));
                        continue;
                    }
                }
            }
            pipeline.runs.fetch_add(1, Ordering::Relaxed);
            let backup = pipeline.needs_backup.then(|| target.value.clone());
            runner.runtime.clear();
            let outcome = runner
                .runtime
                .resolve(&mut target, &pipeline.program, &self.timezone);
            let failure = match outcome {
                Ok(_) if target.value.is_object() => None,
                Ok(_) => Some(format!(
                    "the program set the event to {} instead of an object",
                    target.value.kind()
                )),
                Err(Terminate::Abort(e)) => Some(format!("aborted: {e}")),
                Err(e) => Some(e.to_string()),
            };
            ran = true;
            if let Some(reason) = failure {
                pipeline.errors.fetch_add(1, Ordering::Relaxed);
                failures.push(format!("pipeline '{}': {reason}", pipeline.name));
                match backup {
                    Some(before) => target.value = before,
                    // Cannot happen (such a program keeps a backup); keep the event safe anyway.
                    None => target.value = convert::to_vrl(event.as_map()),
                }
            }
        }
        if !ran && failures.is_empty() {
            return false;
        }
        let original = event.get("event.original").cloned();
        if ran {
            let fields = match convert::to_json(target.value) {
                serde_json::Value::Object(map) => map,
                // Checked after every run: the value is an object.
                _ => return false,
            };
            *event = Event::from_map(fields);
        }
        if let Some(original) = original {
            if event.get("event.original") != Some(&original) {
                event.set("event.original", original);
            }
        }
        if !failures.is_empty() {
            event.add_tag(TAG_VRL_ERROR);
            let mut message = failures.join("; ");
            if let Some(previous) = event.get_str("error.message") {
                message = format!("{previous}; {message}");
            }
            event.set("error.message", message);
        }
        true
    }
}

#[cfg(test)]
mod tests;
