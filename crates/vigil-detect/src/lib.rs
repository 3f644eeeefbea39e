//! Vigil's detection: Sigma rules (detections, filters, correlations) evaluated over Vigil
//! events in event time, with log-source routing and field aliases, behind an interface
//! that does not expose the engine underneath (rsigma today).
//!
//! Flow: [`load_rules`] → [`RuleSet`] → [`Detector::new`] → [`Detector::process_batch`]
//! gives [`Finding`]s (a detection on one event, or a correlation over many), which the
//! server turns into stored alerts. [`Detector::export_state`] / [`Detector::import_state`]
//! carry correlation windows across restarts.

mod detector;
mod error;
mod finding;
mod percentile;
mod routing;
mod rules;
mod view;

pub use detector::{event_time, DetectConfig, DetectStats, Detector, DetectorState};
pub use error::DetectError;
pub use finding::{CorrelationDetail, Finding, MatchedField};
pub use percentile::PercentileState;
pub use routing::{EventSource, Router};
pub use rules::{
    is_test_file, load_rules, rules_from_text, RuleError, RuleInfo, RuleKind, RuleSet,
};
pub use view::SigmaView;
