//! The shared vocabulary of Vigil: the [`Event`] that flows from sources through the
//! journal to the index and detectors, dotted field paths over it, and time helpers.
//!
//! This crate owns no I/O. It must never depend on any other Vigil crate.

pub mod event;
pub mod time;

pub use event::{Event, TAG_PARSE_FAILURE};
