//! Turns an [`Event`] into a tantivy document in a single walk over its fields.
//!
//! The walk extracts `@timestamp`, `message`, `event.original`, the string values of
//! the [`crate::COLUMN_FIELDS`] and the ECS IP fields into their typed tantivy fields
//! and counts every leaf in the partition's [`Catalog`]. The rest of the event is
//! handed to the `_j` JSON field through [`JsonView`], a zero-copy view that hides the
//! extracted leaves, so the event is never cloned or flattened into an intermediate
//! structure.

use std::net::{IpAddr, Ipv6Addr};

use serde_json::{Map, Value};
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::{DateTime, TantivyDocument};
use vigil_core::Event;

use crate::catalog::Catalog;
use crate::schema::{
    step, FieldType, Fields, Node, LEAF_COL0, LEAF_IP0, LEAF_MSG, LEAF_ORIG, LEAF_TS, MESSAGE,
    ORIGINAL, ORIG_HAS_MSG,
};

/// Parses an IP address as ECS writes it (IPv4 is stored IPv4-mapped).
pub(crate) fn parse_ip(s: &str) -> Option<Ipv6Addr> {
    match s.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => Some(v6),
    }
}

/// Formats an indexed IP the way it was written (IPv4-mapped addresses as IPv4).
pub(crate) fn format_ip(ip: Ipv6Addr) -> String {
    match ip.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => ip.to_string(),
    }
}

/// Reusable state for building documents.
pub(crate) struct DocBuilder {
    fields: Fields,
    path: String,
    ips: Vec<Ipv6Addr>,
}

fn type_bit(t: FieldType) -> u8 {
    1 << t.index()
}

impl DocBuilder {
    pub fn new(fields: Fields) -> Self {
        DocBuilder {
            fields,
            path: String::with_capacity(64),
            ips: Vec::with_capacity(4),
        }
    }

    /// Builds the document for `event`; `ts_nanos` is its parsed `@timestamp`, if valid.
    pub fn build(
        &mut self,
        seq: u64,
        event: &Event,
        ts_nanos: Option<i64>,
        cat: &mut Catalog,
    ) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_u64(self.fields.seq, seq);
        let mut mask: u32 = 0;
        if let Some(n) = ts_nanos {
            doc.add_date(self.fields.ts, DateTime::from_timestamp_nanos(n));
        }
        self.path.clear();
        let message = event.get_str(MESSAGE);
        self.walk(
            event.as_map(),
            Some(Node::Root),
            message,
            ts_nanos.is_some(),
            &mut doc,
            &mut mask,
            cat,
        );
        doc.add_field_value(
            self.fields.json,
            JsonView {
                value: Inner::Map(event.as_map()),
                node: Some(Node::Root),
                mask,
            },
        );
        doc
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        map: &Map<String, Value>,
        node: Option<Node>,
        message: Option<&str>,
        ts_valid: bool,
        doc: &mut TantivyDocument,
        mask: &mut u32,
        cat: &mut Catalog,
    ) {
        for (key, value) in map {
            let len = self.path.len();
            if len > 0 {
                self.path.push('.');
            }
            self.path.push_str(key);
            let child = node.and_then(|n| step(n, key));
            match (child, value) {
                (Some(Node::Leaf(LEAF_TS)), _) if ts_valid => {
                    *mask |= 1 << LEAF_TS;
                    cat.add(&self.path, FieldType::Date);
                }
                (Some(Node::Leaf(LEAF_MSG)), Value::String(s)) => {
                    *mask |= 1 << LEAF_MSG;
                    doc.add_text(self.fields.msg, s);
                    doc.add_text(self.fields.has, MESSAGE);
                    cat.add(&self.path, FieldType::Text);
                }
                (Some(Node::Leaf(LEAF_ORIG)), Value::String(s)) => {
                    *mask |= 1 << LEAF_ORIG;
                    doc.add_text(self.fields.has, ORIGINAL);
                    // Most originals embed the message: index only the rest (the
                    // message words are in `_msg`), which nearly halves the text work.
                    match message
                        .filter(|m| m.len() >= 8)
                        .and_then(|m| s.find(m).map(|at| (at, m.len())))
                    {
                        Some((at, len)) => {
                            doc.add_text(self.fields.has, ORIG_HAS_MSG);
                            for part in [&s[..at], &s[at + len..]] {
                                if !part.trim().is_empty() {
                                    doc.add_text(self.fields.orig, part);
                                }
                            }
                        }
                        None => doc.add_text(self.fields.orig, s),
                    }
                    cat.add(&self.path, FieldType::Text);
                }
                (Some(Node::Leaf(leaf)), v)
                    if (LEAF_COL0..LEAF_IP0).contains(&leaf) && all_strings(v) =>
                {
                    // Strings (or arrays of them) go to the column; any other value
                    // stays in `_j` below.
                    let field = self.fields.cols[(leaf - LEAF_COL0) as usize];
                    let mut any = false;
                    for s in v
                        .as_array()
                        .map_or(std::slice::from_ref(v), |a| a.as_slice())
                        .iter()
                        .filter_map(Value::as_str)
                    {
                        doc.add_text(field, s);
                        any = true;
                    }
                    if any {
                        cat.add(&self.path, FieldType::Keyword);
                    }
                    *mask |= 1 << leaf;
                }
                (Some(Node::Leaf(leaf)), v) if leaf >= LEAF_IP0 => {
                    self.ips.clear();
                    let all_valid = collect_ips(v, &mut self.ips);
                    let field = self.fields.ips[(leaf - LEAF_IP0) as usize];
                    for ip in &self.ips {
                        doc.add_ip_addr(field, *ip);
                    }
                    if !self.ips.is_empty() {
                        cat.add(&self.path, FieldType::Ip);
                    }
                    if all_valid && !self.ips.is_empty() {
                        *mask |= 1 << leaf;
                    } else {
                        // Unparseable values stay searchable as keywords in `_j`.
                        self.leaf(value, ts_valid, doc, mask, cat, true);
                    }
                }
                (_, Value::Object(inner)) => {
                    let next = match child {
                        Some(Node::Leaf(_)) | None => None,
                        other => other,
                    };
                    self.walk(inner, next, message, ts_valid, doc, mask, cat);
                }
                _ => self.leaf(value, ts_valid, doc, mask, cat, false),
            }
            self.path.truncate(len);
        }
    }

    /// Counts a leaf that goes to `_j` (arrays of objects are walked).
    fn leaf(
        &mut self,
        value: &Value,
        ts_valid: bool,
        doc: &mut TantivyDocument,
        mask: &mut u32,
        cat: &mut Catalog,
        skip_ips: bool,
    ) {
        let mut types: u8 = 0;
        let mut objects = Vec::new();
        classify(value, &mut types, &mut objects, 0);
        if skip_ips {
            // Valid IPs of an IP field were counted as `ip` already.
            let mut bad = 0u8;
            let mut scratch = Vec::new();
            if let Value::Array(a) = value {
                for v in a {
                    if v.as_str().and_then(parse_ip).is_none() {
                        classify(v, &mut bad, &mut scratch, 0);
                    }
                }
            } else if value.as_str().and_then(parse_ip).is_none() {
                classify(value, &mut bad, &mut scratch, 0);
            }
            types = bad;
        }
        cat.add_mask(&self.path, types);
        for obj in objects {
            self.walk(obj, None, None, ts_valid, doc, mask, cat);
        }
    }
}

/// Whether `v` is a string or an array of strings (nulls allowed).
fn all_strings(v: &Value) -> bool {
    match v {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(|i| i.is_string() || i.is_null()),
        _ => false,
    }
}

/// Collects the valid IPs of `v` (a string or an array of strings); returns whether all were valid.
fn collect_ips(v: &Value, out: &mut Vec<Ipv6Addr>) -> bool {
    match v {
        Value::String(s) => match parse_ip(s) {
            Some(ip) => {
                out.push(ip);
                true
            }
            None => false,
        },
        Value::Array(items) => {
            let mut all = true;
            for item in items {
                match item.as_str().and_then(parse_ip) {
                    Some(ip) => out.push(ip),
                    None => all &= item.is_null(),
                }
            }
            all
        }
        Value::Null => true,
        _ => false,
    }
}

fn classify<'a>(
    v: &'a Value,
    types: &mut u8,
    objects: &mut Vec<&'a Map<String, Value>>,
    depth: usize,
) {
    match v {
        Value::Null => {}
        Value::Bool(_) => *types |= type_bit(FieldType::Boolean),
        Value::Number(n) => {
            if n.is_f64() {
                *types |= type_bit(FieldType::Double)
            } else {
                *types |= type_bit(FieldType::Long)
            }
        }
        Value::String(_) => *types |= type_bit(FieldType::Keyword),
        Value::Array(items) => {
            if depth < 8 {
                for item in items {
                    classify(item, types, objects, depth + 1);
                }
            }
        }
        Value::Object(m) => objects.push(m),
    }
}

#[derive(Debug, Clone, Copy)]
enum Inner<'a> {
    Map(&'a Map<String, Value>),
    Value(&'a Value),
}

/// A borrowed view of the event for the `_j` field: strings stay strings (no date
/// sniffing), and the leaves flagged in `mask` (indexed in typed fields) are hidden.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonView<'a> {
    value: Inner<'a>,
    node: Option<Node>,
    mask: u32,
}

pub(crate) struct ObjIter<'a> {
    iter: serde_json::map::Iter<'a>,
    node: Option<Node>,
    mask: u32,
}

impl<'a> Iterator for ObjIter<'a> {
    type Item = (&'a str, JsonView<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (k, v) = self.iter.next()?;
            let child = self.node.and_then(|n| step(n, k));
            if let Some(Node::Leaf(leaf)) = child {
                if self.mask & (1 << leaf) != 0 {
                    continue;
                }
            }
            let node = match child {
                Some(Node::Leaf(_)) => None,
                other => other,
            };
            return Some((
                k.as_str(),
                JsonView {
                    value: Inner::Value(v),
                    node,
                    mask: self.mask,
                },
            ));
        }
    }
}

pub(crate) struct ArrIter<'a> {
    iter: std::slice::Iter<'a, Value>,
}

impl<'a> Iterator for ArrIter<'a> {
    type Item = JsonView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.iter.next().map(|v| JsonView {
            value: Inner::Value(v),
            node: None,
            mask: 0,
        })
    }
}

impl<'a> tantivy::schema::Value<'a> for JsonView<'a> {
    type ArrayIter = ArrIter<'a>;
    type ObjectIter = ObjIter<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        let obj = |m: &'a Map<String, Value>| {
            ReferenceValue::Object(ObjIter {
                iter: m.iter(),
                node: self.node,
                mask: self.mask,
            })
        };
        match self.value {
            Inner::Map(m) => obj(m),
            Inner::Value(v) => match v {
                Value::Null => ReferenceValue::Leaf(ReferenceValueLeaf::Null),
                Value::Bool(b) => ReferenceValue::Leaf(ReferenceValueLeaf::Bool(*b)),
                Value::Number(n) => ReferenceValue::Leaf(if let Some(i) = n.as_i64() {
                    ReferenceValueLeaf::I64(i)
                } else if let Some(u) = n.as_u64() {
                    ReferenceValueLeaf::U64(u)
                } else {
                    ReferenceValueLeaf::F64(n.as_f64().unwrap_or(0.0))
                }),
                Value::String(s) => ReferenceValue::Leaf(ReferenceValueLeaf::Str(s)),
                Value::Array(a) => ReferenceValue::Array(ArrIter { iter: a.iter() }),
                Value::Object(m) => obj(m),
            },
        }
    }
}
