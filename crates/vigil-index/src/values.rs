//! Field values read from tantivy's columnar fast fields.
//!
//! [`SegColumn`] resolves a dotted field name in one segment (the `_ts` date column,
//! a typed IP column, or every typed column of a `_j` JSON path) and yields
//! segment-local [`SegVal`]s (strings as dictionary ordinals, so grouping never
//! touches string bytes). [`GVal`] is the global, hashable form used once results
//! leave the segment.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::net::Ipv6Addr;

use serde_json::Value;
use tantivy::columnar::{Column, DynamicColumn, StrColumn};
use tantivy::{DateTime, SegmentReader};

use crate::doc::format_ip;
use crate::error::SearchError;
use crate::query::compile::{field_kind, FieldKind};
use crate::schema::{col_field_name, ip_field_name, Fields, F_JSON, F_TS};

/// A value inside one segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SegVal {
    Str(u64),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Date(i64),
    Ip(Ipv6Addr),
}

impl SegVal {
    /// Hashable encoding (tag, payload) with numbers normalised.
    #[inline]
    pub fn key(self) -> (u8, u128) {
        match self {
            SegVal::Str(o) => (1, o as u128),
            SegVal::I64(i) => (2, i as u64 as u128),
            SegVal::U64(u) => match i64::try_from(u) {
                Ok(i) => (2, i as u64 as u128),
                Err(_) => (3, u as u128),
            },
            SegVal::F64(f) => {
                if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                    (2, (f as i64) as u64 as u128)
                } else {
                    (4, f.to_bits() as u128)
                }
            }
            SegVal::Bool(b) => (5, b as u128),
            SegVal::Date(n) => (6, n as u64 as u128),
            SegVal::Ip(ip) => (7, u128::from(ip)),
        }
    }

    /// Numeric value for metrics (dates as nanoseconds, flagged).
    #[inline]
    pub fn number(self) -> Option<(f64, bool)> {
        match self {
            SegVal::I64(i) => Some((i as f64, false)),
            SegVal::U64(u) => Some((u as f64, false)),
            SegVal::F64(f) => Some((f, false)),
            SegVal::Date(n) => Some((n as f64, true)),
            _ => None,
        }
    }
}

/// A global value (strings resolved).
#[derive(Debug, Clone)]
pub(crate) enum GVal {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    Date(i64),
    Ip(Ipv6Addr),
}

impl PartialEq for GVal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for GVal {}

impl Hash for GVal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            GVal::Null => 0u8.hash(state),
            GVal::Bool(b) => (1u8, b).hash(state),
            GVal::I64(i) => (2u8, *i as f64 as u64).hash(state),
            GVal::U64(u) => (2u8, *u as f64 as u64).hash(state),
            GVal::F64(f) => (2u8, *f as u64).hash(state),
            GVal::Str(s) => (3u8, s).hash(state),
            GVal::Date(n) => (4u8, n).hash(state),
            GVal::Ip(ip) => (5u8, ip).hash(state),
        }
    }
}

impl GVal {
    fn rank(&self) -> u8 {
        match self {
            GVal::Null => 0,
            GVal::Bool(_) => 1,
            GVal::I64(_) | GVal::U64(_) | GVal::F64(_) => 2,
            GVal::Str(_) => 3,
            GVal::Date(_) => 4,
            GVal::Ip(_) => 5,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            GVal::I64(i) => Some(*i as f64),
            GVal::U64(u) => Some(*u as f64),
            GVal::F64(f) => Some(*f),
            _ => None,
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            GVal::Null => Value::Null,
            GVal::Bool(b) => Value::Bool(*b),
            GVal::I64(i) => Value::from(*i),
            GVal::U64(u) => Value::from(*u),
            GVal::F64(f) => number_json(*f),
            GVal::Str(s) => Value::String(s.clone()),
            GVal::Date(n) => Value::String(format_nanos(*n)),
            GVal::Ip(ip) => Value::String(format_ip(*ip)),
        }
    }

    /// Display form used for timechart series names.
    pub fn label(&self) -> String {
        match self.to_json() {
            Value::String(s) => s,
            Value::Null => "null".into(),
            other => other.to_string(),
        }
    }

    /// From a JSON value (in-memory pipeline); arrays are handled by the caller.
    pub fn from_json(v: &Value) -> GVal {
        match v {
            Value::Null => GVal::Null,
            Value::Bool(b) => GVal::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    GVal::I64(i)
                } else if let Some(u) = n.as_u64() {
                    GVal::U64(u)
                } else {
                    GVal::F64(n.as_f64().unwrap_or(0.0))
                }
            }
            Value::String(s) => GVal::Str(s.clone()),
            other => GVal::Str(other.to_string()),
        }
    }
}

impl PartialOrd for GVal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GVal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (GVal::I64(a), GVal::I64(b)) => a.cmp(b),
            (GVal::U64(a), GVal::U64(b)) => a.cmp(b),
            (GVal::Bool(a), GVal::Bool(b)) => a.cmp(b),
            (GVal::Str(a), GVal::Str(b)) => a.cmp(b),
            (GVal::Date(a), GVal::Date(b)) => a.cmp(b),
            (GVal::Ip(a), GVal::Ip(b)) => a.cmp(b),
            _ => match (self.as_f64(), other.as_f64()) {
                (Some(a), Some(b)) => a.total_cmp(&b),
                _ => self.rank().cmp(&other.rank()),
            },
        }
    }
}

/// A float as JSON, as an integer when it is one (so sums of counts print as `12`).
pub(crate) fn number_json(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// RFC 3339 with milliseconds, UTC.
pub(crate) fn format_nanos(n: i64) -> String {
    vigil_core::time::format_timestamp(chrono::DateTime::from_timestamp_nanos(n))
}

enum JCol {
    Str(StrColumn),
    I64(Column<i64>),
    U64(Column<u64>),
    F64(Column<f64>),
    Bool(Column<bool>),
    Date(Column<DateTime>),
    Ip(Column<Ipv6Addr>),
}

/// Fails for fields that have no fast columns (the full-text fields).
pub(crate) fn check_columnar(fields: &Fields, name: &str) -> Result<(), SearchError> {
    match field_kind(fields, name) {
        FieldKind::Text(_, n) => Err(SearchError::Unsupported(format!(
            "'{n}' is a full-text field: it cannot be aggregated or sorted on"
        ))),
        _ => Ok(()),
    }
}

/// Compares two values of the same segment (strings by ordinal, which follows byte order).
#[inline]
pub(crate) fn cmp_seg(a: SegVal, b: SegVal) -> Ordering {
    fn rank(v: SegVal) -> u8 {
        match v {
            SegVal::Bool(_) => 1,
            SegVal::I64(_) | SegVal::U64(_) | SegVal::F64(_) => 2,
            SegVal::Str(_) => 3,
            SegVal::Date(_) => 4,
            SegVal::Ip(_) => 5,
        }
    }
    match (a, b) {
        (SegVal::Str(x), SegVal::Str(y)) => x.cmp(&y),
        (SegVal::I64(x), SegVal::I64(y)) => x.cmp(&y),
        (SegVal::Date(x), SegVal::Date(y)) => x.cmp(&y),
        (SegVal::Ip(x), SegVal::Ip(y)) => x.cmp(&y),
        (SegVal::Bool(x), SegVal::Bool(y)) => x.cmp(&y),
        _ => match (a.number(), b.number()) {
            (Some((x, false)), Some((y, false))) => x.total_cmp(&y),
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

/// A field's columns in one segment.
pub(crate) struct SegColumn {
    cols: Vec<JCol>,
}

impl SegColumn {
    /// Opens the columns of `name` (a dotted event field). Full-text fields cannot be read.
    pub fn open(fields: &Fields, reader: &SegmentReader, name: &str) -> tantivy::Result<SegColumn> {
        let ff = reader.fast_fields();
        let column_name = match field_kind(fields, name) {
            FieldKind::Ts => F_TS.to_string(),
            FieldKind::Ip(i) => ip_field_name(crate::schema::IP_FIELDS[i]),
            // Rejected by `check_columnar` before any search runs.
            FieldKind::Text(..) => return Ok(SegColumn { cols: Vec::new() }),
            // String values only (like the IP fields, other values in `_j` are not read).
            FieldKind::Column(i) => col_field_name(crate::schema::COLUMN_FIELDS[i]),
            FieldKind::Json(path) => format!("{F_JSON}.{path}"),
        };
        let mut cols = Vec::new();
        for handle in ff.dynamic_column_handles(&column_name)? {
            let col = handle.open()?;
            cols.push(match col {
                DynamicColumn::Str(c) => JCol::Str(c),
                DynamicColumn::I64(c) => JCol::I64(c),
                DynamicColumn::U64(c) => JCol::U64(c),
                DynamicColumn::F64(c) => JCol::F64(c),
                DynamicColumn::Bool(c) => JCol::Bool(c),
                DynamicColumn::DateTime(c) => JCol::Date(c),
                DynamicColumn::IpAddr(c) => JCol::Ip(c),
                DynamicColumn::Bytes(_) => continue,
            });
        }
        Ok(SegColumn { cols })
    }

    /// Appends every value of `doc` to `out`.
    #[inline]
    pub fn values(&self, doc: u32, out: &mut Vec<SegVal>) {
        for c in &self.cols {
            match c {
                JCol::Str(c) => out.extend(c.ords().values_for_doc(doc).map(SegVal::Str)),
                JCol::I64(c) => out.extend(c.values_for_doc(doc).map(SegVal::I64)),
                JCol::U64(c) => out.extend(c.values_for_doc(doc).map(SegVal::U64)),
                JCol::F64(c) => out.extend(c.values_for_doc(doc).map(SegVal::F64)),
                JCol::Bool(c) => out.extend(c.values_for_doc(doc).map(SegVal::Bool)),
                JCol::Date(c) => out.extend(
                    c.values_for_doc(doc)
                        .map(|d| SegVal::Date(d.into_timestamp_nanos())),
                ),
                JCol::Ip(c) => out.extend(c.values_for_doc(doc).map(SegVal::Ip)),
            }
        }
    }

    /// The global form of a [`SegVal::key`].
    pub fn resolve_key(&self, key: (u8, u128), buf: &mut String) -> GVal {
        let p = key.1;
        match key.0 {
            1 => self.resolve(SegVal::Str(p as u64), buf),
            2 => GVal::I64(p as u64 as i64),
            3 => GVal::U64(p as u64),
            4 => GVal::F64(f64::from_bits(p as u64)),
            5 => GVal::Bool(p != 0),
            6 => GVal::Date(p as u64 as i64),
            7 => GVal::Ip(Ipv6Addr::from(p)),
            _ => GVal::Null,
        }
    }

    /// The global form of a segment value.
    pub fn resolve(&self, v: SegVal, buf: &mut String) -> GVal {
        match v {
            SegVal::Str(ord) => {
                for c in &self.cols {
                    if let JCol::Str(c) = c {
                        buf.clear();
                        if let Ok(true) = c.ord_to_str(ord, buf) {
                            return GVal::Str(buf.clone());
                        }
                    }
                }
                GVal::Null
            }
            SegVal::I64(i) => GVal::I64(i),
            SegVal::U64(u) => GVal::U64(u),
            SegVal::F64(f) => {
                if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                    GVal::I64(f as i64)
                } else {
                    GVal::F64(f)
                }
            }
            SegVal::Bool(b) => GVal::Bool(b),
            SegVal::Date(n) => GVal::Date(n),
            SegVal::Ip(ip) => GVal::Ip(ip),
        }
    }
}
