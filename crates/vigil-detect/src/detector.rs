//! [`Detector`]: routes each event to the rules of its log source, evaluates them (in
//! parallel over a batch), then feeds correlations in event order, in event time.
//!
//! Rules are grouped by their `logsource`; each group is one compiled engine, so an event
//! only pays for the rules that can see it (the prefilter that keeps cost growing far
//! slower than the rule count), and rsigma's per-engine candidate index prunes further.
//! Routes are cached per (channel, event id) or ECS source shape.
//! Correlations run in event time with a watermark: an event older than the newest seen
//! minus the allowed lateness still raises its own detections but does not enter
//! correlation windows; it is counted, and the next alert of each correlation it would
//! have fed says `possibly_incomplete`. This module must never reorder correlation input.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use parking_lot::RwLock;
use rsigma_eval::{
    CorrelationAction, CorrelationConfig, CorrelationEngine, CorrelationEventMode,
    CorrelationSnapshot, Engine, EvaluationResult, MatchDetailLevel, Pipeline, ResultBody,
};
use rsigma_parser::{CorrelationType, LogSource, SigmaCollection};
use serde::{Deserialize, Serialize};
use vigil_core::Event;

use crate::error::DetectError;
use crate::finding::{CorrelationDetail, Finding, MatchedField};
use crate::percentile::{PercentileEngine, PercentileHit, PercentileRule, PercentileState};
use crate::routing::Router;
use crate::rules::{RuleError, RuleInfo, RuleSet};
use crate::view::SigmaView;

/// How many distinct routes are cached before the cache is cleared.
const ROUTE_CACHE_MAX: usize = 4096;

/// Detector settings.
#[derive(Debug, Clone)]
pub struct DetectConfig {
    /// Values for Sigma placeholders (`%name%` with the `expand` modifier).
    pub placeholders: BTreeMap<String, Vec<String>>,
    /// How far behind the newest event time an event may arrive and still count in
    /// correlation windows.
    pub allowed_lateness_secs: i64,
    /// Event ids kept per correlation window (the alert's evidence, newest last). rsigma
    /// reserves room for up to 64 of them in every active window, so this sets most of a
    /// correlation group's memory (about 32 bytes each).
    pub max_correlation_events: usize,
    /// Correlation groups kept before the oldest are evicted.
    pub max_state_entries: usize,
    /// Threads for the stateless evaluation of a batch.
    pub threads: usize,
    /// Skip rules none of whose literal substrings occur in the event (one Aho-Corasick
    /// pass per event over all rules of its log source). Off by default: on the SigmaHQ
    /// set it costs more than it saves (BENCHMARKS.md, "Streaming detection"); it may pay
    /// with very large literal-heavy packs (IOC lists).
    pub cross_rule_prefilter: bool,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            placeholders: BTreeMap::new(),
            allowed_lateness_secs: 300,
            max_correlation_events: 32,
            max_state_entries: 200_000,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cross_rule_prefilter: false,
        }
    }
}

/// Counters since the detector was built.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DetectStats {
    pub events: u64,
    pub late_events: u64,
    pub findings: u64,
}

/// Everything a restart needs to continue where the detector stopped.
#[derive(Debug, Serialize, Deserialize)]
pub struct DetectorState {
    pub correlation: Option<CorrelationSnapshot>,
    pub max_event_time: i64,
    pub late_since_alert: HashMap<String, u64>,
    pub stats: DetectStats,
    /// Windows of the `value_percentile` correlations.
    #[serde(default)]
    pub percentile: PercentileState,
}

/// (product, category, service), lowercased: rules with the same key share an engine.
type LogSourceKey = (Option<String>, Option<String>, Option<String>);

struct Group {
    logsource: LogSource,
    engine: Engine,
}

struct Route {
    groups: Vec<usize>,
    aliases: Vec<(String, String)>,
}

/// Compiled rules plus correlation state.
pub struct Detector {
    router: Router,
    groups: Vec<Group>,
    routes: RwLock<HashMap<String, Arc<Route>>>,
    correlation: Option<CorrelationEngine>,
    /// `value_percentile` correlations (not given to rsigma, see `crate::percentile`).
    percentile: PercentileEngine,
    /// Rule ids whose detections feed a correlation.
    correlation_inputs: HashSet<String>,
    /// Rule ids (detections or correlations) whose own matches are not findings
    /// (referenced by a correlation with `generate: false`).
    correlation_only: HashSet<String>,
    /// Correlation id → the rule ids it refers to.
    correlation_refs: HashMap<String, Vec<String>>,
    infos: HashMap<String, Arc<RuleInfo>>,
    lateness: i64,
    max_event_time: i64,
    late_since_alert: HashMap<String, u64>,
    stats: DetectStats,
    threads: usize,
}

fn new_engine(pipeline: &Option<Pipeline>, prefilter: bool) -> Engine {
    let mut engine = match pipeline {
        Some(p) => Engine::new_with_pipeline(p.clone()),
        None => Engine::new(),
    };
    engine.set_match_detail(MatchDetailLevel::Summary);
    // One Aho-Corasick automaton over every rule's literal substrings: a rule whose
    // literals do not occur in the event is not evaluated at all.
    engine.set_cross_rule_ac(prefilter);
    engine
}

/// Fields tried, in order, for an event's time when `@timestamp` is absent.
const TIME_FIELDS: &[&str] = &[
    "timestamp",
    "TimeCreated_SystemTime",
    "EventTime",
    "eventTime",
    "time",
];

/// The event's time: `@timestamp`, else a common native time field (RFC 3339,
/// `YYYY-MM-DD HH:MM:SS[.fff]` read as UTC, or epoch seconds), else `None`.
pub fn event_time(event: &Event) -> Option<DateTime<Utc>> {
    if let Some(t) = event.timestamp() {
        return Some(t);
    }
    TIME_FIELDS.iter().find_map(|f| match event.get(f)? {
        serde_json::Value::String(s) => parse_loose_time(s),
        serde_json::Value::Number(n) => n
            .as_i64()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single()),
        _ => None,
    })
}

fn parse_loose_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    None
}

fn time_of(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_else(Utc::now)
}

impl Detector {
    /// Compiles a rule set. Rules that fail to compile are returned as errors (with their
    /// file and line) and left out; the rest load.
    pub fn new(
        rules: &RuleSet,
        config: &DetectConfig,
    ) -> Result<(Self, Vec<RuleError>), DetectError> {
        let router = Router::builtin()?;
        // Placeholders are expanded in the rules themselves (`rules::expand_placeholders`,
        // the spec's semantics) instead of through rsigma's `value_placeholders` pipeline,
        // which also rewrote `%name%` in values without `expand` and read `*` in configured
        // values literally (docs/sigma-differences.md).
        let pipeline: Option<Pipeline> = None;
        let expanded = crate::rules::expand_placeholders(&rules.collection, &config.placeholders);
        let mut errors = Vec::new();
        let collection = expanded.as_ref().unwrap_or(&rules.collection);

        // A rule using `|expand` with a placeholder that has no configured value would match
        // the literal `%name%` (and, under `not`, everything): reject it, naming the setting.
        let mut unresolved: HashSet<String> = HashSet::new();
        for rule in &collection.rules {
            let mut missing = Vec::new();
            for detection in rule.detection.named.values() {
                missing_placeholders(detection, &config.placeholders, &mut missing);
            }
            if !missing.is_empty() {
                missing.sort();
                missing.dedup();
                if let Some(id) = &rule.id {
                    unresolved.insert(id.clone());
                }
                errors.push(error_for(
                    rules,
                    rule.id.as_deref(),
                    &format!(
                        "placeholder {} has no value: set it under [detect.placeholders] (or --placeholder NAME=value)",
                        missing.iter().map(|m| format!("%{m}%")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }

        // Group detection rules by log source.
        let mut group_of: HashMap<LogSourceKey, usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut logsources: Vec<LogSource> = Vec::new();
        for (i, rule) in collection.rules.iter().enumerate() {
            if rule.id.as_ref().is_some_and(|id| unresolved.contains(id)) {
                continue;
            }
            let ls = &rule.logsource;
            let key = (
                ls.product.as_ref().map(|s| s.to_ascii_lowercase()),
                ls.category.as_ref().map(|s| s.to_ascii_lowercase()),
                ls.service.as_ref().map(|s| s.to_ascii_lowercase()),
            );
            let g = *group_of.entry(key).or_insert_with(|| {
                members.push(Vec::new());
                logsources.push(ls.clone());
                members.len() - 1
            });
            members[g].push(i);
        }
        // Groups are independent: they compile in parallel, in group order.
        use rayon::prelude::*;
        let compiled: Vec<(Group, Vec<RuleError>)> = members
            .par_iter()
            .enumerate()
            .map(|(g, idxs)| {
                let mut engine = new_engine(&pipeline, config.cross_rule_prefilter);
                let mut group_errors = Vec::new();
                // One batched add: the engine's indexes are built once per group.
                let group_rules: Vec<&rsigma_parser::SigmaRule> =
                    idxs.iter().map(|&i| &collection.rules[i]).collect();
                for (at, e) in engine.add_rules(group_rules.iter().copied()) {
                    let id = group_rules.get(at).and_then(|r| r.id.as_deref());
                    group_errors.push(error_for(rules, id, &e.to_string()));
                }
                for filter in &collection.filters {
                    // A filter names the rules it applies to; other groups ignore it.
                    let _ = engine.apply_filter(filter);
                }
                let group = Group {
                    logsource: logsources[g].clone(),
                    engine,
                };
                (group, group_errors)
            })
            .collect();
        let mut groups = Vec::with_capacity(compiled.len());
        for (group, group_errors) in compiled {
            errors.extend(group_errors);
            groups.push(group);
        }

        // Correlations: their own engine holds the referenced rules (for identity) and the
        // correlation state; detection itself runs in the groups above.
        let mut name_to_id: HashMap<String, String> = HashMap::new();
        for rule in &collection.rules {
            if let (Some(name), Some(id)) = (&rule.name, &rule.id) {
                name_to_id.insert(name.clone(), id.clone());
            }
        }
        for corr in &collection.correlations {
            if let (Some(name), Some(id)) = (&corr.name, &corr.id) {
                name_to_id.insert(name.clone(), id.clone());
            }
        }
        let resolve = |r: &String| name_to_id.get(r).cloned().unwrap_or_else(|| r.clone());
        let mut correlation = None;
        let mut correlation_inputs = HashSet::new();
        let mut correlation_only = HashSet::new();
        let mut generated = HashSet::new();
        let mut correlation_refs = HashMap::new();
        let mut percentile_rules = Vec::new();
        let is_percentile = |c: &&rsigma_parser::CorrelationRule| {
            c.correlation_type == CorrelationType::ValuePercentile
        };
        for corr in collection.correlations.iter().filter(is_percentile) {
            let refs: Vec<String> = corr.rules.iter().map(&resolve).collect();
            match PercentileRule::compile(corr, refs) {
                Ok(rule) => percentile_rules.push(rule),
                Err(reason) => errors.push(error_for(rules, corr.id.as_deref(), &reason)),
            }
        }
        let mut referenced_by_percentile: HashSet<String> = HashSet::new();
        for rule in &percentile_rules {
            referenced_by_percentile.extend(rule.refs.iter().cloned());
        }
        if !collection.correlations.is_empty() {
            let mut referenced: HashSet<String> = HashSet::new();
            for corr in &collection.correlations {
                let refs: Vec<String> = corr.rules.iter().map(&resolve).collect();
                for r in &refs {
                    if corr.correlation_type != CorrelationType::ValuePercentile {
                        referenced.insert(r.clone());
                    }
                    if corr.generate {
                        generated.insert(r.clone());
                    } else {
                        correlation_only.insert(r.clone());
                    }
                }
                if let Some(id) = &corr.id {
                    correlation_refs.insert(id.clone(), refs);
                }
            }
            let mut sub = SigmaCollection::new();
            sub.rules = collection
                .rules
                .iter()
                .filter(|r| r.id.as_ref().is_some_and(|id| referenced.contains(id)))
                .cloned()
                .collect();
            let cfg = CorrelationConfig {
                // A firing consumes its window: the next alert for the group needs the
                // condition met again by new events (so a long brute force is a series of
                // threshold crossings the alert store merges, not one alert per event).
                action_on_match: CorrelationAction::Reset,
                max_state_entries: config.max_state_entries,
                correlation_event_mode: CorrelationEventMode::Refs,
                max_correlation_events: config.max_correlation_events,
                ..CorrelationConfig::default()
            };
            let mut engine = CorrelationEngine::new(cfg);
            if let Some(p) = &pipeline {
                engine.add_pipeline(p.clone());
            }
            if let Err(e) = engine.add_collection(&sub) {
                errors.push(RuleError {
                    file: "<correlation inputs>".into(),
                    line: 0,
                    reason: e.to_string(),
                });
            }
            for corr in collection.correlations.iter().filter(|c| !is_percentile(c)) {
                if let Err(e) = engine.add_correlation(corr) {
                    errors.push(error_for(rules, corr.id.as_deref(), &e.to_string()));
                }
            }
            let rsigma_has_correlations =
                collection.correlations.iter().any(|c| !is_percentile(&c));
            correlation_inputs = referenced;
            correlation_inputs.extend(referenced_by_percentile);
            if rsigma_has_correlations {
                correlation = Some(engine);
            }
        }
        for id in &generated {
            correlation_only.remove(id);
        }

        let infos = rules.infos.clone();
        Ok((
            Self {
                router,
                groups,
                routes: RwLock::new(HashMap::new()),
                correlation,
                percentile: PercentileEngine::new(
                    percentile_rules,
                    config.max_state_entries,
                    config.max_correlation_events,
                ),
                correlation_inputs,
                correlation_only,
                correlation_refs,
                infos,
                lateness: config.allowed_lateness_secs.max(0),
                max_event_time: i64::MIN,
                late_since_alert: HashMap::new(),
                stats: DetectStats::default(),
                threads: config.threads.max(1),
            },
            errors,
        ))
    }

    /// Number of compiled detection rules (all groups).
    pub fn detection_rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.engine.rule_count()).sum()
    }

    /// Number of log-source groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Active correlation groups (state entries).
    pub fn correlation_state_count(&self) -> usize {
        self.correlation.as_ref().map_or(0, |c| c.state_count()) + self.percentile.group_count()
    }

    /// Counters since start (or since the imported state).
    pub fn stats(&self) -> &DetectStats {
        &self.stats
    }

    /// A rule's metadata by id.
    pub fn rule(&self, id: &str) -> Option<&Arc<RuleInfo>> {
        self.infos.get(id)
    }

    fn route(&self, event: &Event) -> Arc<Route> {
        let key = self.router.route_key_of(event);
        if let Some(route) = self.routes.read().get(&key) {
            return route.clone();
        }
        let source = self.router.classify(event);
        let groups = self
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| self.router.rule_matches(&g.logsource, &source))
            .map(|(i, _)| i)
            .collect();
        let route = Arc::new(Route {
            groups,
            aliases: self.router.aliases(&source),
        });
        let mut cache = self.routes.write();
        if cache.len() >= ROUTE_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, route.clone());
        route
    }

    /// Stateless: every detection rule that matches this event (before correlation).
    fn evaluate(&self, event: &Event) -> Vec<EvaluationResult> {
        let route = self.route(event);
        if route.groups.is_empty() {
            return Vec::new();
        }
        let view = SigmaView::new(event, &route.aliases);
        let mut out = Vec::new();
        for &g in &route.groups {
            out.extend(self.groups[g].engine.evaluate(&view));
        }
        out
    }

    /// Evaluates a batch: detections in parallel, then correlations in order. Findings come
    /// out in event order.
    pub fn process_batch(&mut self, events: &[Event]) -> Vec<Finding> {
        let detections = self.evaluate_parallel(events);
        let mut findings = Vec::new();
        for (index, (event, dets)) in events.iter().zip(detections).enumerate() {
            self.correlate(index, event, dets, &mut findings);
        }
        self.stats.events += events.len() as u64;
        self.stats.findings += findings.len() as u64;
        findings
    }

    /// One event (convenience over [`Detector::process_batch`]).
    pub fn process(&mut self, event: &Event) -> Vec<Finding> {
        self.process_batch(std::slice::from_ref(event))
    }

    fn evaluate_parallel(&self, events: &[Event]) -> Vec<Vec<EvaluationResult>> {
        if self.threads <= 1 || events.len() < 64 {
            return events.iter().map(|e| self.evaluate(e)).collect();
        }
        use rayon::prelude::*;
        let chunk = events.len().div_ceil(self.threads * 4).max(16);
        events
            .par_chunks(chunk)
            .map(|part| part.iter().map(|e| self.evaluate(e)).collect::<Vec<_>>())
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    }

    fn correlate(
        &mut self,
        index: usize,
        event: &Event,
        dets: Vec<EvaluationResult>,
        out: &mut Vec<Finding>,
    ) {
        let ts = event_time(event).unwrap_or_else(Utc::now).timestamp();
        if dets.is_empty() {
            self.max_event_time = self.max_event_time.max(ts);
            return;
        }
        let feeds_correlation = dets.iter().any(|d| {
            d.header
                .rule_id
                .as_ref()
                .is_some_and(|id| self.correlation_inputs.contains(id))
        });
        let late = self.max_event_time != i64::MIN
            && ts < self.max_event_time.saturating_sub(self.lateness);
        self.max_event_time = self.max_event_time.max(ts);
        let mut percentile_hits = Vec::new();
        let results = if feeds_correlation && !late {
            if !self.percentile.is_empty() {
                let matched: Vec<String> = dets
                    .iter()
                    .filter_map(|d| d.header.rule_id.clone())
                    .filter(|id| self.percentile.counts(id))
                    .collect();
                if !matched.is_empty() {
                    let route = self.route(event);
                    let view = SigmaView::new(event, &route.aliases);
                    percentile_hits = self.percentile.observe(&view, &matched, ts);
                }
            }
            let view = SigmaView::new(event, &[]);
            match self.correlation.as_mut() {
                Some(engine) => engine.process_with_detections(&view, dets, ts),
                None => dets,
            }
        } else {
            if feeds_correlation && late {
                self.stats.late_events += 1;
                for det in &dets {
                    let Some(id) = &det.header.rule_id else {
                        continue;
                    };
                    for (corr, refs) in &self.correlation_refs {
                        if refs.contains(id) {
                            *self.late_since_alert.entry(corr.clone()).or_default() += 1;
                        }
                    }
                }
            }
            dets
        };
        for result in results {
            let Some(id) = result.header.rule_id.clone() else {
                continue;
            };
            if self.correlation_only.contains(&id) {
                continue;
            }
            let Some(rule) = self.infos.get(&id).cloned() else {
                continue;
            };
            let event_id = event.id().map(String::from);
            let finding = match result.body {
                ResultBody::Detection(body) => Finding {
                    rule,
                    correlation: None,
                    group_key: Vec::new(),
                    event_ids: event_id.into_iter().collect(),
                    first_event_time: time_of(ts),
                    last_event_time: time_of(ts),
                    matched_selections: body.matched_selections,
                    matched_fields: body
                        .matched_fields
                        .into_iter()
                        .map(|m| MatchedField {
                            selection: m.selection,
                            field: m.field,
                            value: m.value,
                        })
                        .collect(),
                    possibly_incomplete: false,
                    event_index: index,
                },
                ResultBody::Correlation(body) => {
                    let refs = body.event_refs.unwrap_or_default();
                    let first = refs.iter().map(|r| r.timestamp).min().unwrap_or(ts).min(ts);
                    let late = self.late_since_alert.remove(&id).unwrap_or(0) > 0;
                    Finding {
                        correlation: Some(CorrelationDetail {
                            kind: body.correlation_type.as_str().to_string(),
                            aggregated_value: body.aggregated_value,
                            timespan_secs: body.timespan_secs,
                            rules: self.correlation_refs.get(&id).cloned().unwrap_or_default(),
                        }),
                        rule,
                        group_key: body.group_key,
                        event_ids: refs.into_iter().filter_map(|r| r.id).collect(),
                        first_event_time: time_of(first),
                        last_event_time: time_of(ts),
                        matched_selections: Vec::new(),
                        matched_fields: Vec::new(),
                        possibly_incomplete: late,
                        event_index: index,
                    }
                }
            };
            out.push(finding);
        }
        for hit in percentile_hits {
            if let Some(finding) = self.percentile_finding(index, ts, hit) {
                out.push(finding);
            }
        }
    }

    fn percentile_finding(&mut self, index: usize, ts: i64, hit: PercentileHit) -> Option<Finding> {
        if self.correlation_only.contains(&hit.rule_id) {
            return None;
        }
        let rule = self.infos.get(&hit.rule_id).cloned()?;
        let late = self.late_since_alert.remove(&hit.rule_id).unwrap_or(0) > 0;
        Some(Finding {
            rule,
            correlation: Some(CorrelationDetail {
                kind: "value_percentile".into(),
                aggregated_value: hit.share,
                timespan_secs: hit.timespan_secs,
                rules: hit.refs,
            }),
            group_key: hit.group_key,
            event_ids: hit.event_ids,
            first_event_time: time_of(hit.first_ts.min(ts)),
            last_event_time: time_of(ts),
            matched_selections: Vec::new(),
            matched_fields: Vec::new(),
            possibly_incomplete: late,
            event_index: index,
        })
    }

    /// The state to persist with the consumer offset.
    pub fn export_state(&self) -> DetectorState {
        DetectorState {
            correlation: self.correlation.as_ref().map(|c| c.export_state()),
            max_event_time: self.max_event_time,
            late_since_alert: self.late_since_alert.clone(),
            stats: self.stats.clone(),
            percentile: self.percentile.export_state(),
        }
    }

    /// Restores persisted state (after [`Detector::new`] with the same or changed rules:
    /// windows of correlations that no longer exist are dropped).
    pub fn import_state(&mut self, state: DetectorState) -> Result<(), DetectError> {
        if let (Some(engine), Some(snapshot)) = (self.correlation.as_mut(), state.correlation) {
            if !engine.import_state(snapshot) {
                return Err(DetectError::State {
                    reason: "correlation snapshot version differs".into(),
                });
            }
        }
        self.max_event_time = state.max_event_time;
        self.percentile.import_state(state.percentile);
        self.late_since_alert = state.late_since_alert;
        self.stats = state.stats;
        Ok(())
    }
}

/// Names of `%placeholder%` values under an `expand` modifier that `values` does not define.
fn missing_placeholders(
    detection: &rsigma_parser::Detection,
    values: &BTreeMap<String, Vec<String>>,
    out: &mut Vec<String>,
) {
    use rsigma_parser::{Detection, Modifier, SigmaValue};
    match detection {
        Detection::AllOf(items) => {
            for item in items
                .iter()
                .filter(|i| i.field.has_modifier(Modifier::Expand))
            {
                for value in &item.values {
                    let SigmaValue::String(s) = value else {
                        continue;
                    };
                    let mut rest = s.original.as_str();
                    while let Some(start) = rest.find('%') {
                        let after = &rest[start + 1..];
                        let Some(end) = after.find('%') else { break };
                        let name = &after[..end];
                        if !name.is_empty() && !values.contains_key(name) {
                            out.push(name.to_string());
                        }
                        rest = &after[end + 1..];
                    }
                }
            }
        }
        Detection::AnyOf(subs) => {
            for sub in subs {
                missing_placeholders(sub, values, out);
            }
        }
        _ => {}
    }
}

fn error_for(rules: &RuleSet, id: Option<&str>, reason: &str) -> RuleError {
    let info = id.and_then(|id| rules.infos.get(id));
    RuleError {
        file: info
            .map(|i| i.file.clone())
            .unwrap_or_else(|| "<unknown>".into()),
        line: info.map_or(0, |i| i.line),
        reason: reason.to_string(),
    }
}
