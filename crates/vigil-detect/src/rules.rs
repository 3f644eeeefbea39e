//! Loading Sigma rules from files and directories: parse, attach metadata, report errors.
//!
//! A file that fails to parse (or a document in it) is reported with the file, the line
//! and the reason, and every other rule still loads. Each rule gets a stable key (its
//! `id`, else its `name`, else `file-stem#document`) that alerts and statistics refer to.
//! The author and licence travel with every rule: SigmaHQ rules (a tree holding
//! `LICENSE.Detection.Rules.md`) carry `DRL-1.1` unless they name another licence.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rsigma_parser::{
    parse_sigma_yaml, ConditionOperator, CorrelationCondition, CorrelationType, Detection,
    DetectionItem, Detections, LogSource, Modifier, SigmaCollection, SigmaString, SigmaValue,
    SpecialChar, StringPart,
};
use serde::Serialize;

use crate::error::DetectError;

/// What kind of rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Detection,
    Correlation,
    Filter,
}

/// The metadata of one loaded rule, shared by every finding and alert it raises.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub kind: RuleKind,
    pub level: String,
    pub status: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub author: Option<String>,
    pub license: Option<String>,
    pub file: PathBuf,
    /// 1-based line where the rule's YAML document starts.
    pub line: u32,
    pub logsource: LogSource,
    /// For correlations: the rules they refer to.
    pub references: Vec<String>,
}

/// A rule that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    pub file: PathBuf,
    pub line: u32,
    pub reason: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// Rules loaded from disk, ready to build a [`crate::Detector`].
#[derive(Debug, Default)]
pub struct RuleSet {
    pub(crate) collection: SigmaCollection,
    /// Metadata per rule key.
    pub(crate) infos: HashMap<String, Arc<RuleInfo>>,
    /// Rule keys in load order (detections, then correlations, then filters).
    pub(crate) order: Vec<String>,
    pub errors: Vec<RuleError>,
    pub files: usize,
}

impl RuleSet {
    /// Every loaded rule's metadata, in load order.
    pub fn rules(&self) -> impl Iterator<Item = &Arc<RuleInfo>> {
        self.order.iter().filter_map(|k| self.infos.get(k))
    }

    /// The metadata of one rule by key (id).
    pub fn rule(&self, key: &str) -> Option<&Arc<RuleInfo>> {
        self.infos.get(key)
    }

    /// Number of loaded rules of every kind.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no rule loaded.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Appends the rules of `other` (loaded after these): a rule id already present is
    /// reported as a duplicate, as when both were loaded in one pass.
    fn merge(&mut self, other: RuleSet) {
        let RuleSet {
            collection,
            mut infos,
            order,
            errors,
            files: _,
        } = other;
        self.errors.extend(errors);
        for key in order {
            if let Some(info) = infos.remove(&key) {
                insert_info(self, info);
            }
        }
        self.collection.rules.extend(collection.rules);
        self.collection.correlations.extend(collection.correlations);
        self.collection.filters.extend(collection.filters);
    }

    /// Keeps only the rules for which `keep` is true, plus the rules a kept correlation
    /// refers to (by id or name) and every filter.
    pub fn retain(&mut self, keep: impl Fn(&RuleInfo) -> bool) {
        let mut wanted: HashSet<String> = self
            .rules()
            .filter(|info| keep(info))
            .map(|info| info.id.clone())
            .collect();
        for corr in &self.collection.correlations {
            if corr.id.as_ref().is_some_and(|id| wanted.contains(id)) {
                wanted.extend(corr.rules.iter().cloned());
            }
        }
        let mut kept: HashSet<String> = HashSet::new();
        self.collection.rules.retain(|r| {
            let keep = r.id.as_ref().is_some_and(|i| wanted.contains(i))
                || r.name.as_ref().is_some_and(|n| wanted.contains(n));
            if keep {
                kept.extend(r.id.clone());
            }
            keep
        });
        self.collection.correlations.retain(|c| {
            let keep = c.id.as_ref().is_some_and(|i| wanted.contains(i));
            if keep {
                kept.extend(c.id.clone());
            }
            keep
        });
        let infos = &self.infos;
        self.order.retain(|k| {
            kept.contains(k) || infos.get(k).is_some_and(|i| i.kind == RuleKind::Filter)
        });
    }
}

/// Loads every `.yml`/`.yaml` file under each path (files or directories, recursively).
/// Unreadable paths are an error; rules that do not parse are collected in `errors`.
pub fn load_rules(paths: &[PathBuf]) -> Result<RuleSet, DetectError> {
    let mut set = RuleSet::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| DetectError::Io {
            path: path.clone(),
            source,
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            collect_files(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
        files.sort();
        let license = sigmahq_license(path);
        // Files parse in parallel (YAML parsing is most of a large pack's load time) and
        // merge in file order, so ids, duplicates and errors come out as a serial load.
        use rayon::prelude::*;
        let parsed: Vec<Result<RuleSet, DetectError>> = files
            .par_iter()
            .map(|file| {
                let text = std::fs::read_to_string(file).map_err(|source| DetectError::Io {
                    path: file.clone(),
                    source,
                })?;
                let mut one = RuleSet::default();
                add_text(&mut one, file, &text, license);
                Ok(one)
            })
            .collect();
        for one in parsed {
            set.merge(one?);
            set.files += 1;
        }
    }
    Ok(set)
}

/// Parses rules from YAML text as if read from `file` (used by tests and `rules test`).
pub fn rules_from_text(file: &Path, text: &str) -> RuleSet {
    let mut set = RuleSet {
        files: 1,
        ..RuleSet::default()
    };
    add_text(&mut set, file, text, sigmahq_license(file));
    set
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DetectError> {
    let entries = std::fs::read_dir(dir).map_err(|source| DetectError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| DetectError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out)?;
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

/// Rule test files (`*.tests.yml`) sit beside rules and are not rules.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tests.yml") || n.ends_with(".tests.yaml"))
}

/// `DRL-1.1` when the path lies in a tree whose root holds SigmaHQ's licence file.
fn sigmahq_license(path: &Path) -> Option<&'static str> {
    let start = if path.is_dir() {
        Some(path)
    } else {
        path.parent()
    };
    let mut dir = start;
    while let Some(d) = dir {
        if d.join("LICENSE.Detection.Rules.md").is_file() {
            return Some("DRL-1.1");
        }
        dir = d.parent();
    }
    None
}

/// Start line (1-based) of each YAML document in `text`.
fn document_lines(text: &str) -> Vec<u32> {
    let mut starts = vec![1];
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" && i > 0 {
            starts.push(i as u32 + 2);
        }
    }
    starts
}

/// The 1-based line within `doc` (starting at `start`) that the reason points at, if any.
fn locate(doc: &str, start: u32, reason: &str) -> u32 {
    // YAML errors carry "line N column M" relative to the parsed text.
    if let Some(pos) = reason.find("line ") {
        let digits: String = reason[pos + 5..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = digits.parse::<u32>() {
            return start + n.saturating_sub(1);
        }
    }
    // Otherwise a quoted token ('x' or "x") from the message, found in the document.
    for quote in ['\'', '"', '`'] {
        let mut parts = reason.split(quote);
        parts.next();
        if let Some(token) = parts.next() {
            if token.len() >= 2 {
                if let Some(i) = doc.lines().position(|l| l.contains(token)) {
                    return start + i as u32;
                }
            }
        }
    }
    start
}

fn add_text(set: &mut RuleSet, file: &Path, text: &str, default_license: Option<&str>) {
    let starts = document_lines(text);
    let collection = match parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            let reason = e.to_string();
            set.errors.push(RuleError {
                file: file.to_path_buf(),
                line: locate(text, 1, &reason),
                reason,
            });
            return;
        }
    };
    if !collection.errors.is_empty() {
        attribute_errors(set, file, text, &starts, &collection.errors);
    }
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("rule")
        .to_string();
    let line_of = |title: &str, index: usize| -> u32 {
        // The document whose text names this title; else by position.
        let docs = split_documents(text);
        docs.iter()
            .position(|d| d.lines().any(|l| title_is(l, title)))
            .and_then(|i| starts.get(i).copied())
            .or_else(|| starts.get(index).copied())
            .unwrap_or(1)
    };
    let mut index = 0usize;
    let mut collection = collection;
    for rule in &mut collection.rules {
        normalise_detections(&mut rule.detection);
    }
    for filter in &mut collection.filters {
        normalise_detections(&mut filter.detection);
    }
    normalise_correlations(text, &mut collection);
    for rule in &mut collection.rules {
        let key = rule
            .id
            .clone()
            .or(rule.name.clone())
            .unwrap_or_else(|| format!("{stem}#{index}"));
        if rule.id.is_none() {
            rule.id = Some(key.clone());
        }
        let license = rule
            .license
            .clone()
            .or_else(|| custom_string(&rule.custom_attributes, "license"))
            .or(default_license.map(String::from));
        let info = RuleInfo {
            id: key.clone(),
            title: rule.title.clone(),
            kind: RuleKind::Detection,
            level: rule
                .level
                .map(|l| l.as_str().to_string())
                .unwrap_or_else(|| "medium".into()),
            status: rule.status.map(|s| format!("{s:?}").to_ascii_lowercase()),
            description: rule.description.clone(),
            tags: rule.tags.clone(),
            author: rule.author.clone(),
            license,
            file: file.to_path_buf(),
            line: line_of(&rule.title, index),
            logsource: rule.logsource.clone(),
            references: Vec::new(),
        };
        index += 1;
        insert_info(set, info);
    }
    for corr in &mut collection.correlations {
        let key = corr
            .id
            .clone()
            .or(corr.name.clone())
            .unwrap_or_else(|| format!("{stem}#{index}"));
        if corr.id.is_none() {
            corr.id = Some(key.clone());
        }
        let info = RuleInfo {
            id: key.clone(),
            title: corr.title.clone(),
            kind: RuleKind::Correlation,
            level: corr
                .level
                .map(|l| l.as_str().to_string())
                .unwrap_or_else(|| "medium".into()),
            status: corr.status.map(|s| format!("{s:?}").to_ascii_lowercase()),
            description: corr.description.clone(),
            tags: corr.tags.clone(),
            author: corr.author.clone(),
            license: corr.license.clone().or(default_license.map(String::from)),
            file: file.to_path_buf(),
            line: line_of(&corr.title, index),
            logsource: LogSource::default(),
            references: corr.rules.clone(),
        };
        index += 1;
        insert_info(set, info);
    }
    for filter in &collection.filters {
        let key = filter
            .id
            .clone()
            .or(filter.name.clone())
            .unwrap_or_else(|| format!("{stem}#{index}"));
        let info = RuleInfo {
            id: key,
            title: filter.title.clone(),
            kind: RuleKind::Filter,
            level: "informational".into(),
            status: None,
            description: filter.description.clone(),
            tags: filter.tags.clone(),
            author: filter.author.clone(),
            license: filter.license.clone().or(default_license.map(String::from)),
            file: file.to_path_buf(),
            line: line_of(&filter.title, index),
            logsource: LogSource::default(),
            references: Vec::new(),
        };
        index += 1;
        insert_info(set, info);
    }
    let SigmaCollection {
        rules,
        correlations,
        filters,
        ..
    } = collection;
    set.collection.rules.extend(rules);
    set.collection.correlations.extend(correlations);
    set.collection.filters.extend(filters);
}

/// Rewrites the parsed detections where rsigma 0.23 departs from the Sigma specification
/// (docs/sigma-differences.md), so the engine underneath evaluates what the spec says:
/// - keyword lists under `'|all':` are AND-linked keywords (each anywhere in the event);
///   rsigma reads them as one field-less item whose values must all equal one string;
/// - `startswith`/`endswith` on a value with wildcards: rsigma anchors the regex at the
///   wrong end (`startswith: 'C:\\*\\x'` behaves as endswith); we write the modifier as
///   the equivalent trailing/leading `*` on a whole-value match instead;
/// - `windash` permutes `-`, `/`, `–`, `—`, `―` (spec); rsigma only expands a `-`, so a
///   value written with `/` (` /accepteula`) never matched `-accepteula`. A flag character
///   (one not preceded by a word character and followed by one, pySigma's `\B[-/]\b`) is
///   written as `-` before rsigma expands it;
/// - `base64offset` keeps only the part of each of the three encodings that does not
///   depend on the bytes around the value (as pySigma cuts it); rsigma keeps the last
///   partial character too, so a value followed by other text is missed at some offsets.
fn normalise_detections(detections: &mut Detections) {
    for detection in detections.named.values_mut() {
        normalise_detection(detection);
    }
}

fn normalise_detection(detection: &mut Detection) {
    match detection {
        Detection::AllOf(items) => {
            for item in items.iter_mut() {
                fix_base64offset(item);
                fix_anchored_wildcards(item);
                fix_windash(item);
            }
            let is_all_keywords = |item: &DetectionItem| {
                item.field.name.is_none()
                    && item.field.modifiers == [Modifier::All]
                    && item.values.len() > 1
            };
            if items.iter().any(is_all_keywords) {
                let mut parts = Vec::new();
                let mut rest = Vec::new();
                for item in std::mem::take(items) {
                    if is_all_keywords(&item) {
                        parts.extend(
                            item.values
                                .into_iter()
                                .map(|v| Detection::Keywords(vec![v])),
                        );
                    } else {
                        rest.push(item);
                    }
                }
                if !rest.is_empty() {
                    parts.insert(0, Detection::AllOf(rest));
                }
                *detection = Detection::And(parts);
            }
        }
        Detection::AnyOf(inner) | Detection::And(inner) => {
            inner.iter_mut().for_each(normalise_detection);
        }
        Detection::ArrayMatch { body, .. } => normalise_detection(body),
        Detection::Conditional { named, .. } => {
            named.values_mut().for_each(normalise_detection);
        }
        Detection::Keywords(_) => {}
    }
}

/// Correlation rules where rsigma 0.23 departs from the spec (docs/sigma-differences.md):
/// - `temporal` without a `condition` must see every referenced rule in the window (spec
///   "Temporal Proximity"); rsigma's default is "at least one", which fires on every
///   matching event, so the default becomes `gte: <number of rules>`;
///
/// (`value_percentile`, which rsigma computes differently, is evaluated by
/// `crate::percentile` instead.)
fn normalise_correlations(text: &str, collection: &mut SigmaCollection) {
    if collection.correlations.is_empty() {
        return;
    }
    // Titles of the correlation documents that give no condition.
    let mut no_condition: HashSet<String> = HashSet::new();
    for doc in split_documents(text) {
        let Ok(value) = yaml_serde::from_str::<yaml_serde::Value>(&doc) else {
            continue;
        };
        let Some(corr) = value.get("correlation") else {
            continue;
        };
        if corr.get("condition").is_none() {
            if let Some(title) = value.get("title").and_then(|t| t.as_str()) {
                no_condition.insert(title.to_string());
            }
        }
    }
    for corr in collection.correlations.iter_mut() {
        if corr.correlation_type == CorrelationType::Temporal && no_condition.contains(&corr.title)
        {
            if let CorrelationCondition::Threshold { predicates, .. } = &mut corr.condition {
                *predicates = vec![(ConditionOperator::Gte, corr.rules.len().max(1) as u64)];
            }
        }
    }
}

/// Expands `%name%` placeholders (spec "Placeholders") in the values of items that carry the
/// `expand` modifier, with the configured values: one value per combination, each read as a
/// Sigma string (so `*`/`?` in a configured value are wildcards, as in pySigma's
/// `value_placeholders`), and the modifier is dropped. Values without `expand` are never
/// touched (`%temp%` stays literal) and `\%` is a plain percent sign. A value naming a
/// placeholder that is not configured is left to the engine. `None` when nothing is
/// configured.
pub(crate) fn expand_placeholders(
    collection: &SigmaCollection,
    vars: &BTreeMap<String, Vec<String>>,
) -> Option<SigmaCollection> {
    if vars.is_empty() {
        return None;
    }
    let mut out = collection.clone();
    for rule in &mut out.rules {
        for detection in rule.detection.named.values_mut() {
            expand_in_detection(detection, vars);
        }
    }
    for filter in &mut out.filters {
        for detection in filter.detection.named.values_mut() {
            expand_in_detection(detection, vars);
        }
    }
    Some(out)
}

fn expand_in_detection(detection: &mut Detection, vars: &BTreeMap<String, Vec<String>>) {
    match detection {
        Detection::AllOf(items) => {
            for item in items.iter_mut() {
                expand_item(item, vars);
            }
        }
        Detection::AnyOf(inner) | Detection::And(inner) => {
            inner.iter_mut().for_each(|d| expand_in_detection(d, vars));
        }
        Detection::ArrayMatch { body, .. } => expand_in_detection(body, vars),
        Detection::Conditional { named, .. } => {
            named
                .values_mut()
                .for_each(|d| expand_in_detection(d, vars));
        }
        Detection::Keywords(_) => {}
    }
}

fn expand_item(item: &mut DetectionItem, vars: &BTreeMap<String, Vec<String>>) {
    if !item.field.modifiers.contains(&Modifier::Expand) {
        return;
    }
    let mut values = Vec::new();
    for value in &item.values {
        let SigmaValue::String(s) = value else {
            return;
        };
        let Some(expanded) = expand_template(&s.original, vars) else {
            return;
        };
        values.extend(
            expanded
                .iter()
                .map(|v| SigmaValue::String(SigmaString::new(v))),
        );
    }
    item.values = values;
    item.field.modifiers.retain(|m| *m != Modifier::Expand);
}

/// Every expansion of `template`, or `None` when it names an unconfigured placeholder.
fn expand_template(template: &str, vars: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    let mut results = vec![String::new()];
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\%") {
            results.iter_mut().for_each(|r| r.push('%'));
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('%') {
            if let Some(end) = after.find('%') {
                let name = &after[..end];
                let values = vars.get(name)?;
                if values.is_empty() {
                    return None;
                }
                results = results
                    .iter()
                    .flat_map(|r| values.iter().map(move |v| format!("{r}{v}")))
                    .collect();
                rest = &after[end + 1..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        results.iter_mut().for_each(|r| r.push(c));
        rest = &rest[c.len_utf8()..];
    }
    Some(results)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three position-independent encodings of `data` (pySigma's `base64offset`).
fn base64_offsets(data: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    (0..3)
        .filter_map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(data);
            let encoded = base64(&padded);
            let cut = match (data.len() + i) % 3 {
                0 => 0,
                1 => 3,
                _ => 2,
            };
            let end = encoded.len().saturating_sub(cut);
            (START[i] < end).then(|| encoded[START[i]..end].to_string())
        })
        .collect()
}

fn fix_base64offset(item: &mut DetectionItem) {
    let mods = &item.field.modifiers;
    // With `all` each value's three encodings would have to stay grouped: leave it.
    if !mods.contains(&Modifier::Base64Offset) || mods.contains(&Modifier::All) {
        return;
    }
    let encode: fn(&str) -> Vec<u8> = if mods.contains(&Modifier::Utf16) {
        |s| {
            let mut v = vec![0xFF, 0xFE];
            v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            v
        }
    } else if mods.contains(&Modifier::Utf16be) {
        |s| s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    } else if mods.contains(&Modifier::Wide) {
        |s| s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    } else {
        |s| s.as_bytes().to_vec()
    };
    let mut values = Vec::new();
    for value in &item.values {
        let SigmaValue::String(s) = value else {
            return;
        };
        let Some(plain) = s.as_plain() else {
            return;
        };
        // Base64 text has no wildcard or escape characters.
        values.extend(
            base64_offsets(&encode(&plain))
                .iter()
                .map(|p| SigmaValue::String(SigmaString::new(p))),
        );
    }
    item.field.modifiers.retain(|m| {
        !matches!(
            m,
            Modifier::Base64Offset | Modifier::Wide | Modifier::Utf16 | Modifier::Utf16be
        )
    });
    if !item.field.modifiers.contains(&Modifier::Contains) {
        item.field.modifiers.push(Modifier::Contains);
    }
    item.values = values;
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn flag_dashes_to_minus(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let before_ok = i == 0 || !word(chars[i - 1]);
            let after_ok = chars.get(i + 1).is_some_and(|&n| word(n));
            if DASHES.contains(&c) && c != '-' && before_ok && after_ok {
                '-'
            } else {
                c
            }
        })
        .collect()
}

fn fix_windash(item: &mut DetectionItem) {
    if !item.field.modifiers.contains(&Modifier::WindAsh) {
        return;
    }
    for value in &mut item.values {
        if let SigmaValue::String(s) = value {
            for part in &mut s.parts {
                if let StringPart::Plain(text) = part {
                    *text = flag_dashes_to_minus(text);
                }
            }
            s.original = flag_dashes_to_minus(&s.original);
        }
    }
}

fn fix_anchored_wildcards(item: &mut DetectionItem) {
    let mods = &item.field.modifiers;
    let starts = mods.contains(&Modifier::StartsWith);
    let ends = mods.contains(&Modifier::EndsWith);
    // Only plain string matching (optionally `cased`/`all`): other modifiers transform
    // the value first and are compiled differently.
    let simple = mods.iter().all(|m| {
        matches!(
            m,
            Modifier::StartsWith | Modifier::EndsWith | Modifier::Cased | Modifier::All
        )
    });
    let has_wildcard = item
        .values
        .iter()
        .any(|v| matches!(v, SigmaValue::String(s) if !s.is_plain()));
    if starts == ends || !simple || !has_wildcard {
        return;
    }
    if !item
        .values
        .iter()
        .all(|v| matches!(v, SigmaValue::String(_)))
    {
        return;
    }
    for value in &mut item.values {
        if let SigmaValue::String(s) = value {
            let star = StringPart::Special(SpecialChar::WildcardMulti);
            if starts {
                s.parts.push(star);
                s.original.push('*');
            } else {
                s.parts.insert(0, star);
                s.original.insert(0, '*');
            }
        }
    }
    item.field
        .modifiers
        .retain(|m| !matches!(m, Modifier::StartsWith | Modifier::EndsWith));
}

/// Whether a YAML line is `title: <exactly this title>` (quoted or not).
fn title_is(line: &str, title: &str) -> bool {
    line.trim_start()
        .strip_prefix("title:")
        .is_some_and(|v| v.trim().trim_matches(['\'', '"']) == title)
}

fn insert_info(set: &mut RuleSet, info: impl Into<Arc<RuleInfo>>) {
    let info: Arc<RuleInfo> = info.into();
    if let Some(existing) = set.infos.get(&info.id) {
        set.errors.push(RuleError {
            file: info.file.clone(),
            line: info.line,
            reason: format!(
                "duplicate rule id {} (already loaded from {}:{}); both are loaded, alerts name the id",
                info.id,
                existing.file.display(),
                existing.line
            ),
        });
        return;
    }
    set.order.push(info.id.clone());
    set.infos.insert(info.id.clone(), info);
}

fn custom_string(attrs: &HashMap<String, yaml_serde::Value>, key: &str) -> Option<String> {
    attrs.get(key).and_then(|v| v.as_str()).map(String::from)
}

fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" && i > 0 {
            docs.push(String::new());
            continue;
        }
        if let Some(last) = docs.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    docs
}

/// Attributes the collection's per-document errors to their documents by parsing each
/// document alone (only on the error path).
fn attribute_errors(set: &mut RuleSet, file: &Path, text: &str, starts: &[u32], errors: &[String]) {
    let docs = split_documents(text);
    let mut attributed = 0;
    for (i, doc) in docs.iter().enumerate() {
        let start = starts.get(i).copied().unwrap_or(1);
        if let Ok(single) = parse_sigma_yaml(doc) {
            for reason in &single.errors {
                set.errors.push(RuleError {
                    file: file.to_path_buf(),
                    line: locate(doc, start, reason),
                    reason: reason.clone(),
                });
                attributed += 1;
            }
        }
    }
    if attributed < errors.len() {
        for reason in errors.iter().skip(attributed) {
            set.errors.push(RuleError {
                file: file.to_path_buf(),
                line: locate(text, 1, reason),
                reason: reason.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_document_names_its_line_and_the_good_one_loads() {
        let text = "title: good\nid: 11111111-1111-4111-8111-111111111111\nlogsource: {product: linux}\ndetection:\n  sel: {a: b}\n  condition: sel\n---\ntitle: bad\nlogsource: {product: linux}\ndetection:\n  sel:\n    a|nosuchmodifier: b\n  condition: sel\n";
        let set = rules_from_text(Path::new("x.yml"), text);
        assert_eq!(set.len(), 1, "{:?}", set.errors);
        assert_eq!(set.errors.len(), 1);
        let err = &set.errors[0];
        assert!(err.reason.contains("nosuchmodifier"), "{err}");
        assert_eq!(err.line, 12, "{err}");
    }

    #[test]
    fn yaml_syntax_error_has_a_line() {
        let text = "title: x\nlogsource: {product: linux\ndetection:\n";
        let set = rules_from_text(Path::new("y.yml"), text);
        assert!(set.is_empty());
        assert_eq!(set.errors.len(), 1);
        assert!(set.errors[0].line >= 2, "{}", set.errors[0]);
    }

    #[test]
    fn rules_without_id_get_a_stable_key() {
        let text =
            "title: t\nlogsource: {product: linux}\ndetection:\n  sel: {a: b}\n  condition: sel\n";
        let set = rules_from_text(Path::new("dir/my_rule.yml"), text);
        assert_eq!(set.rules().next().map(|r| r.id.as_str()), Some("my_rule#0"));
    }
}
