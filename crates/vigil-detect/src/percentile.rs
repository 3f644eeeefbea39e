//! `value_percentile` correlations, evaluated by Vigil itself.
//!
//! The Sigma correlation specification's example ("a computer spawned a process name in
//! the last 24h [rarer] than 1% of all the processes": `field: image`, `lte: 1`) defines
//! the aggregate as the share, in percent, that the current event's `field` value has
//! among the events of its group inside the `timespan`. rsigma 0.23 computes a numeric
//! percentile instead and never checks the condition (docs/sigma-differences.md), so these
//! rules are kept away from rsigma and counted here, in event time, with state that is
//! exported with the rest of the detector's state.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rsigma_eval::Event as SigmaEvent;
use rsigma_parser::{ConditionOperator, CorrelationCondition, CorrelationRule};
use serde::{Deserialize, Serialize};

use crate::view::SigmaView;

/// Observations kept per group window; the oldest go first beyond this.
const MAX_WINDOW_ENTRIES: usize = 100_000;

/// One compiled `value_percentile` rule.
#[derive(Debug, Clone)]
pub(crate) struct PercentileRule {
    pub id: String,
    /// The ids of the rules it refers to.
    pub refs: Vec<String>,
    /// Group-by field per referenced rule id (aliases resolved), in group-by order.
    group_by: Vec<(String, HashMap<String, String>)>,
    /// The counted field per referenced rule id (aliases resolved).
    field: (String, HashMap<String, String>),
    pub timespan_secs: u64,
    predicates: Vec<(ConditionOperator, u64)>,
}

impl PercentileRule {
    /// Compiles a correlation of type `value_percentile` whose references are already
    /// resolved to rule ids (`refs`, same order as `corr.rules`); an error names what is
    /// missing.
    pub fn compile(corr: &CorrelationRule, refs: Vec<String>) -> Result<Self, String> {
        let id = corr
            .id
            .clone()
            .ok_or_else(|| "value_percentile correlation without an id".to_string())?;
        let CorrelationCondition::Threshold {
            predicates, field, ..
        } = &corr.condition
        else {
            return Err("value_percentile needs a threshold condition".into());
        };
        let field = match field.as_deref() {
            Some([one]) => one.clone(),
            Some([]) | None => {
                return Err("value_percentile needs `field` in its condition".into());
            }
            Some(_) => return Err("value_percentile counts exactly one field".into()),
        };
        if predicates.is_empty() {
            return Err("value_percentile needs a comparison (lt, lte, gt, gte, eq, neq)".into());
        }
        if corr.timespan.seconds == 0 {
            return Err("value_percentile needs a timespan".into());
        }
        // An alias maps a name to a field per referenced rule (by id or name).
        let per_rule = |name: &str| -> (String, HashMap<String, String>) {
            let mut mapping = HashMap::new();
            if let Some(alias) = corr.aliases.iter().find(|a| a.alias == name) {
                for (reference, target) in &alias.mapping {
                    if let Some(at) = corr.rules.iter().position(|r| r == reference) {
                        if let Some(rule_id) = refs.get(at) {
                            mapping.insert(rule_id.clone(), target.clone());
                        }
                    }
                    mapping.insert(reference.clone(), target.clone());
                }
            }
            (name.to_string(), mapping)
        };
        Ok(Self {
            id,
            group_by: corr.group_by.iter().map(|g| per_rule(g)).collect(),
            field: per_rule(&field),
            refs,
            timespan_secs: corr.timespan.seconds,
            predicates: predicates.clone(),
        })
    }

    fn field_for<'a>(spec: &'a (String, HashMap<String, String>), rule: &str) -> &'a str {
        spec.1.get(rule).map_or(spec.0.as_str(), String::as_str)
    }

    fn holds(&self, share: f64) -> bool {
        self.predicates.iter().all(|(op, bound)| {
            let bound = *bound as f64;
            match op {
                ConditionOperator::Lt => share < bound,
                ConditionOperator::Lte => share <= bound,
                ConditionOperator::Gt => share > bound,
                ConditionOperator::Gte => share >= bound,
                ConditionOperator::Eq => (share - bound).abs() < f64::EPSILON,
                ConditionOperator::Neq => (share - bound).abs() >= f64::EPSILON,
            }
        })
    }
}

/// One observation in a group's window.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Observation {
    ts: i64,
    value: String,
    id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Window {
    observations: VecDeque<Observation>,
    /// Value → observations in the window; rebuilt after a restore.
    #[serde(skip)]
    counts: HashMap<String, u64>,
    last_ts: i64,
}

impl Window {
    fn rebuild_counts(&mut self) {
        self.counts.clear();
        for o in &self.observations {
            *self.counts.entry(o.value.clone()).or_default() += 1;
        }
    }

    fn pop_front(&mut self) {
        if let Some(old) = self.observations.pop_front() {
            if let Some(n) = self.counts.get_mut(&old.value) {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&old.value);
                }
            }
        }
    }
}

/// Persisted windows: correlation id → group key (JSON array of values) → window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PercentileState {
    windows: BTreeMap<String, BTreeMap<String, Window>>,
}

/// A `value_percentile` rule whose condition held for an event.
#[derive(Debug, Clone)]
pub(crate) struct PercentileHit {
    pub rule_id: String,
    pub timespan_secs: u64,
    pub refs: Vec<String>,
    /// Group-by fields and values, then the counted field and its value.
    pub group_key: Vec<(String, String)>,
    /// Share of the value in the group's window, in percent.
    pub share: f64,
    /// Ids of the window's events with this value (newest last, at most `max_ids`).
    pub event_ids: Vec<String>,
    pub first_ts: i64,
}

/// Every `value_percentile` rule with its windows.
#[derive(Debug, Default)]
pub(crate) struct PercentileEngine {
    rules: Vec<PercentileRule>,
    state: PercentileState,
    max_groups: usize,
    max_ids: usize,
}

impl PercentileEngine {
    pub fn new(rules: Vec<PercentileRule>, max_groups: usize, max_ids: usize) -> Self {
        Self {
            rules,
            state: PercentileState::default(),
            max_groups: max_groups.max(1),
            max_ids: max_ids.max(1),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether any rule counts matches of `rule_id`.
    pub fn counts(&self, rule_id: &str) -> bool {
        self.rules
            .iter()
            .any(|r| r.refs.iter().any(|x| x == rule_id))
    }

    /// Number of group windows held.
    pub fn group_count(&self) -> usize {
        self.state.windows.values().map(BTreeMap::len).sum()
    }

    /// Counts one event that matched `matched` (rule ids) at event time `ts`.
    pub fn observe(
        &mut self,
        view: &SigmaView<'_>,
        matched: &[String],
        ts: i64,
    ) -> Vec<PercentileHit> {
        let mut hits = Vec::new();
        for rule in &self.rules {
            let Some(via) = matched.iter().find(|m| rule.refs.contains(m)) else {
                continue;
            };
            let field = PercentileRule::field_for(&rule.field, via);
            let Some(value) = view
                .get_field(field)
                .and_then(|v| v.as_str().map(|s| s.into_owned()))
            else {
                continue;
            };
            let mut key_values = Vec::with_capacity(rule.group_by.len());
            for spec in &rule.group_by {
                let name = PercentileRule::field_for(spec, via);
                let v = view
                    .get_field(name)
                    .and_then(|v| v.as_str().map(|s| s.into_owned()))
                    .unwrap_or_default();
                key_values.push((spec.0.clone(), v));
            }
            let key = serde_json::to_string(&key_values.iter().map(|(_, v)| v).collect::<Vec<_>>())
                .unwrap_or_default();
            let windows = self.state.windows.entry(rule.id.clone()).or_default();
            let window = windows.entry(key).or_default();
            let horizon = ts.saturating_sub(rule.timespan_secs as i64);
            while window.observations.front().is_some_and(|o| o.ts <= horizon)
                || window.observations.len() >= MAX_WINDOW_ENTRIES
            {
                window.pop_front();
            }
            window.observations.push_back(Observation {
                ts,
                value: value.clone(),
                id: view.event().id().map(String::from),
            });
            *window.counts.entry(value.clone()).or_default() += 1;
            window.last_ts = window.last_ts.max(ts);
            let total = window.observations.len() as f64;
            let share = window.counts.get(&value).copied().unwrap_or(0) as f64 * 100.0 / total;
            if rule.holds(share) {
                let same: Vec<&Observation> = window
                    .observations
                    .iter()
                    .filter(|o| o.value == value)
                    .collect();
                let first_ts = same.iter().map(|o| o.ts).min().unwrap_or(ts);
                let skip = same.len().saturating_sub(self.max_ids);
                let mut group_key = key_values;
                group_key.push((rule.field.0.clone(), value));
                hits.push(PercentileHit {
                    rule_id: rule.id.clone(),
                    timespan_secs: rule.timespan_secs,
                    refs: rule.refs.clone(),
                    group_key,
                    share,
                    event_ids: same
                        .iter()
                        .skip(skip)
                        .filter_map(|o| o.id.clone())
                        .collect(),
                    first_ts,
                });
            }
        }
        self.evict_groups();
        hits
    }

    /// Keeps at most `max_groups` windows, dropping the least recently fed.
    fn evict_groups(&mut self) {
        let mut total = self.group_count();
        while total > self.max_groups {
            let oldest = self
                .state
                .windows
                .iter()
                .flat_map(|(rule, groups)| groups.iter().map(move |(k, w)| (w.last_ts, rule, k)))
                .min_by_key(|(ts, _, _)| *ts)
                .map(|(_, r, k)| (r.clone(), k.clone()));
            let Some((rule, key)) = oldest else { break };
            if let Some(groups) = self.state.windows.get_mut(&rule) {
                groups.remove(&key);
            }
            total -= 1;
        }
    }

    pub fn export_state(&self) -> PercentileState {
        self.state.clone()
    }

    /// Restores windows of the rules that still exist.
    pub fn import_state(&mut self, mut state: PercentileState) {
        state
            .windows
            .retain(|id, _| self.rules.iter().any(|r| &r.id == id));
        for groups in state.windows.values_mut() {
            for window in groups.values_mut() {
                window.rebuild_counts();
            }
        }
        self.state = state;
    }
}
