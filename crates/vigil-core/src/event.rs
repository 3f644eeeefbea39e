//! The [`Event`]: one JSON object with ECS fields nested by their dotted names
//! (`source.ip` is stored as `{"source": {"ip": ...}}`), plus `event.original`
//! (the raw text) and any native fields a parser keeps under their own names.
//!
//! Canonical bytes (what the journal hashes) are the compact JSON serialisation with
//! keys in sorted order at every level, written explicitly so that a dependency turning on
//! serde_json's `preserve_order` cannot change them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Tag added to `tags` when no parser understood the input; the reason goes to `error.message`.
pub const TAG_PARSE_FAILURE: &str = "_parse_failure";

/// One security event. Cheap to build, serialised canonically for the journal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Event {
    fields: Map<String, Value>,
}

impl Event {
    /// An empty event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps an existing JSON object. Keys containing dots are expanded into nested
    /// objects so that `{"source.ip": "1.2.3.4"}` and `{"source": {"ip": "1.2.3.4"}}`
    /// are the same event.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut event = Event::new();
        for (key, value) in map {
            event.merge(&key, value);
        }
        event
    }

    fn merge(&mut self, path: &str, value: Value) {
        match value {
            Value::Object(inner) => {
                if inner.is_empty() {
                    self.set(path, Value::Object(Map::new()));
                }
                for (k, v) in inner {
                    self.merge(&format!("{path}.{k}"), v);
                }
            }
            other => self.set(path, other),
        }
    }

    /// The underlying JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// Consumes the event into its JSON object.
    pub fn into_map(self) -> Map<String, Value> {
        self.fields
    }

    /// Looks up a dotted path (`source.ip`) through nested objects.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let first = parts.next()?;
        let mut current = self.fields.get(first)?;
        for part in parts {
            current = current.as_object()?.get(part)?;
        }
        Some(current)
    }

    /// The string value at `path`, if it is a string.
    pub fn get_str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// Sets a dotted path, creating intermediate objects. A non-object value in the
    /// way is replaced by an object (the later, more specific field wins).
    pub fn set(&mut self, path: &str, value: impl Into<Value>) {
        let value = value.into();
        let mut parts = path.split('.').peekable();
        let mut map = &mut self.fields;
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                map.insert(part.to_string(), value);
                return;
            }
            // Look up before inserting so an existing level costs no key allocation.
            if !matches!(map.get(part), Some(Value::Object(_))) {
                map.insert(part.to_string(), Value::Object(Map::new()));
            }
            map = match map.get_mut(part) {
                Some(Value::Object(inner)) => inner,
                _ => unreachable!("the level was just made an object"),
            };
        }
    }

    /// Sets `path` only when it is not already present.
    pub fn set_default(&mut self, path: &str, value: impl Into<Value>) {
        if self.get(path).is_none() {
            self.set(path, value);
        }
    }

    /// Removes a dotted path, returning its value.
    pub fn remove(&mut self, path: &str) -> Option<Value> {
        let (parent, last) = match path.rsplit_once('.') {
            Some((parent, last)) => (Some(parent), last),
            None => (None, path),
        };
        let map = match parent {
            None => &mut self.fields,
            Some(parent) => {
                let mut map = &mut self.fields;
                for part in parent.split('.') {
                    map = map.get_mut(part)?.as_object_mut()?;
                }
                map
            }
        };
        map.remove(last)
    }

    /// Adds a tag to the ECS `tags` array (once).
    pub fn add_tag(&mut self, tag: &str) {
        match self.fields.get_mut("tags") {
            Some(Value::Array(tags)) => {
                if !tags.iter().any(|t| t.as_str() == Some(tag)) {
                    tags.push(Value::from(tag));
                }
            }
            _ => {
                self.fields
                    .insert("tags".into(), Value::Array(vec![Value::from(tag)]));
            }
        }
    }

    /// Whether `tags` holds `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        matches!(self.fields.get("tags"), Some(Value::Array(tags)) if tags.iter().any(|t| t.as_str() == Some(tag)))
    }

    /// Marks the event as not understood by any parser, keeping the reason.
    pub fn mark_parse_failure(&mut self, reason: &str) {
        self.add_tag(TAG_PARSE_FAILURE);
        self.set("error.message", reason);
    }

    /// The event id (`event.id`).
    pub fn id(&self) -> Option<&str> {
        self.get_str("event.id")
    }

    /// Assigns a fresh time-ordered unique id (UUIDv7, 32 hex digits) unless one is set.
    pub fn ensure_id(&mut self) {
        if self.id().is_none() {
            self.set("event.id", uuid::Uuid::now_v7().simple().to_string());
        }
    }

    /// `@timestamp` parsed as RFC 3339.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.get_str("@timestamp")
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    }

    /// The canonical bytes of the event (compact JSON, keys sorted): what the journal stores and hashes.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_canonical(&mut out);
        out
    }

    /// Appends the canonical bytes to `out`: keys sorted at every level, whatever order the
    /// map keeps (a dependency may turn on serde_json's `preserve_order`).
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, &SortedMap(&self.fields))
            .expect("serialising a JSON map to memory never fails");
    }

    /// Parses canonical bytes back into an event.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Every leaf field as (dotted path, value); arrays are yielded as one entry.
    pub fn flatten(&self) -> Vec<(String, &Value)> {
        let mut out = Vec::with_capacity(32);
        fn walk<'a>(prefix: &str, map: &'a Map<String, Value>, out: &mut Vec<(String, &'a Value)>) {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    Value::Object(inner) => walk(&path, inner, out),
                    other => out.push((path, other)),
                }
            }
        }
        walk("", &self.fields, &mut out);
        out
    }
}

/// Serialises a JSON map with its keys in sorted order, recursively.
struct SortedMap<'a>(&'a Map<String, Value>);

/// Serialises a JSON value with every object's keys in sorted order.
struct SortedValue<'a>(&'a Value);

impl Serialize for SortedMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut entries: Vec<(&String, &Value)> = self.0.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            map.serialize_entry(k, &SortedValue(v))?;
        }
        map.end()
    }
}

impl Serialize for SortedValue<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self.0 {
            Value::Object(map) => SortedMap(map).serialize(serializer),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&SortedValue(item))?;
                }
                seq.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_keys_expand_into_nested_objects() {
        let map = json!({"source.ip": "10.0.0.1", "source": {"port": 22}, "message": "x"});
        let event = Event::from_map(map.as_object().cloned().unwrap_or_default());
        assert_eq!(event.get_str("source.ip"), Some("10.0.0.1"));
        assert_eq!(event.get("source.port"), Some(&json!(22)));
    }

    #[test]
    fn canonical_bytes_sort_keys_and_round_trip() {
        let mut event = Event::new();
        event.set("z", 1);
        event.set("a.b", "c");
        event.set("a.a", json!([{"y": 1, "x": 2}]));
        let bytes = event.to_canonical_bytes();
        assert_eq!(bytes, br#"{"a":{"a":[{"x":2,"y":1}],"b":"c"},"z":1}"#);
        assert_eq!(Event::from_canonical_bytes(&bytes).ok(), Some(event));
    }

    #[test]
    fn tags_and_parse_failure() {
        let mut event = Event::new();
        event.mark_parse_failure("no parser matched");
        event.mark_parse_failure("no parser matched");
        assert!(event.has_tag(TAG_PARSE_FAILURE));
        assert_eq!(event.get("tags"), Some(&json!(["_parse_failure"])));
        assert_eq!(event.get_str("error.message"), Some("no parser matched"));
    }

    #[test]
    fn set_remove_and_flatten() {
        let mut event = Event::new();
        event.set("host.name", "web1");
        event.set("host.ip", json!(["10.0.0.1"]));
        let mut flat: Vec<String> = event.flatten().into_iter().map(|(k, _)| k).collect();
        flat.sort();
        assert_eq!(flat, vec!["host.ip", "host.name"]);
        assert_eq!(event.remove("host.name"), Some(json!("web1")));
        assert_eq!(event.get("host.name"), None);
    }
}
