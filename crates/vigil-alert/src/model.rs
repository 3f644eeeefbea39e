//! The alert data model: [`NewAlert`], [`Alert`], [`AlertStatus`], [`AlertFilter`],
//! [`Recorded`]/[`RecordOutcome`] and [`RuleStats`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// At most this many event ids are kept per alert; later ones are dropped (the
/// alert's `count` still counts them).
pub const MAX_EVENT_IDS: usize = 1000;
/// [`AlertFilter::limit`] when none is given.
pub const DEFAULT_LIST_LIMIT: u32 = 100;
/// The largest [`AlertFilter::limit`] honoured; larger values are clamped.
pub const MAX_LIST_LIMIT: u32 = 10_000;

/// An alert as produced by the detection engine, before it is stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewAlert {
    /// Deterministic id computed by the caller (see [`crate::alert_id`]).
    pub id: String,
    pub rule_id: String,
    pub rule_title: String,
    /// informational|low|medium|high|critical
    pub level: String,
    /// e.g. `attack.t1110`
    pub tags: Vec<String>,
    pub author: Option<String>,
    /// e.g. `DRL-1.1` for SigmaHQ rules.
    pub license: Option<String>,
    pub rule_file: Option<String>,
    /// field -> value; empty for plain detections.
    pub group_key: Vec<(String, String)>,
    pub event_ids: Vec<String>,
    /// For correlations: ids/titles of contributing rules or alerts.
    pub contributing: Vec<String>,
    pub first_event_time: DateTime<Utc>,
    pub last_event_time: DateTime<Utc>,
    /// Number of matching events (or correlation aggregate count).
    pub count: u64,
    /// Which selection / field / value matched; stored as JSON text.
    pub explanation: serde_json::Value,
    /// Late events were dropped from a correlation window.
    pub possibly_incomplete: bool,
}

/// A stored alert: the [`NewAlert`] fields (flattened in JSON) plus its life cycle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Alert {
    #[serde(flatten)]
    pub alert: NewAlert,
    pub status: AlertStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where an alert is in its triage life cycle.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Closed,
}

impl AlertStatus {
    /// All statuses, in life-cycle order.
    pub const ALL: [AlertStatus; 3] = [
        AlertStatus::Open,
        AlertStatus::Acknowledged,
        AlertStatus::Closed,
    ];

    /// The lowercase name used in the database, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Closed => "closed",
        }
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not an [`AlertStatus`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown alert status {value:?}: expected one of open, acknowledged, closed")]
pub struct ParseStatusError {
    pub value: String,
}

impl FromStr for AlertStatus {
    type Err = ParseStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AlertStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| ParseStatusError {
                value: s.to_string(),
            })
    }
}

/// Which alerts [`crate::AlertStore::list`] returns.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    /// Rule id or exact rule title.
    pub rule: Option<String>,
    /// On `last_event_time`, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// On `last_event_time`, exclusive.
    pub to: Option<DateTime<Utc>>,
    /// Default [`DEFAULT_LIST_LIMIT`], clamped to [`MAX_LIST_LIMIT`].
    pub limit: Option<u32>,
}

/// What [`crate::AlertStore::record`] did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Recorded {
    /// The id of the stored alert that now holds the recorded one: the new id when
    /// `Created`, the existing alert's id when `Merged`, and for `Duplicate` the stored
    /// alert the id belongs to (itself, or the alert it was merged into).
    pub id: String,
    pub outcome: RecordOutcome,
}

/// See [`crate::AlertStore::record`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum RecordOutcome {
    Created,
    Merged,
    Duplicate,
}

/// Per-rule totals from [`crate::AlertStore::rule_stats`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuleStats {
    pub rule_id: String,
    /// Number of stored alerts for the rule.
    pub alerts: u64,
    /// Sum of the alerts' counts.
    pub hits: u64,
    /// Latest `last_event_time` of the rule's alerts.
    pub last_hit: Option<DateTime<Utc>>,
    /// Latest `updated_at` of the rule's alerts.
    pub last_updated: Option<DateTime<Utc>>,
}
