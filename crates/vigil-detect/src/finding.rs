//! [`Finding`]: what a rule found, with the evidence an analyst needs to trust it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::rules::RuleInfo;

/// One field that made a selection match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedField {
    pub selection: Option<String>,
    pub field: String,
    pub value: Value,
}

/// What a correlation counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrelationDetail {
    /// `event_count`, `value_count`, `temporal`, …
    pub kind: String,
    /// The aggregate that met the condition (count, distinct values, sum, …).
    pub aggregated_value: f64,
    pub timespan_secs: u64,
    /// The rules the correlation refers to.
    pub rules: Vec<String>,
}

/// A rule that matched: one event (a detection) or a window of events (a correlation).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: Arc<RuleInfo>,
    pub correlation: Option<CorrelationDetail>,
    /// Field → value of the correlation's `group-by`; empty for detections.
    pub group_key: Vec<(String, String)>,
    /// The matching event ids (for correlations, those kept in the window, newest last).
    pub event_ids: Vec<String>,
    pub first_event_time: DateTime<Utc>,
    pub last_event_time: DateTime<Utc>,
    pub matched_selections: Vec<String>,
    pub matched_fields: Vec<MatchedField>,
    /// Events later than the allowed lateness were left out of this correlation's windows.
    pub possibly_incomplete: bool,
    /// Index of the triggering event in the batch given to the detector.
    pub event_index: usize,
}

impl Finding {
    /// The time that, with the rule and group key, identifies this finding: the event's time
    /// for a detection (with its id, see [`Finding::identity`]), the triggering event's time
    /// for a correlation.
    pub fn window_time(&self) -> DateTime<Utc> {
        self.last_event_time
    }

    /// A deterministic identity for alert ids: for a detection the group key is the event
    /// id, so two matching events are two alerts unless the store merges them.
    pub fn identity(&self) -> Vec<(String, String)> {
        if self.correlation.is_none() && self.group_key.is_empty() {
            if let Some(id) = self.event_ids.first() {
                return vec![("event.id".to_string(), id.clone())];
            }
        }
        self.group_key.clone()
    }

    /// Which selection and which field/value made the rule match, as stored with the alert.
    pub fn explanation(&self) -> Value {
        match &self.correlation {
            None => json!({
                "selections": self.matched_selections,
                "fields": self.matched_fields,
            }),
            Some(c) => json!({
                "correlation": c.kind,
                "aggregated_value": c.aggregated_value,
                "timespan_secs": c.timespan_secs,
                "rules": c.rules,
                "group_by": self.group_key.iter().map(|(k, v)| json!({"field": k, "value": v})).collect::<Vec<_>>(),
            }),
        }
    }
}
