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
        // Room for a typical event's top-level keys, so building one does not regrow
        // (and, with serde_json's `preserve_order`, rehash) the map several times.
        Self {
            fields: Map::with_capacity(16),
        }
    }

    /// Wraps an existing JSON object. Keys containing dots are expanded into nested
    /// objects so that `{"source.ip": "1.2.3.4"}` and `{"source": {"ip": "1.2.3.4"}}`
    /// are the same event.
    pub fn from_map(map: Map<String, Value>) -> Self {
        // Nothing to expand: the object is already the event (same keys, same order).
        if !has_dotted_key(&map) {
            return Self { fields: map };
        }
        let mut event = Event::new();
        for (key, value) in map {
            merge_into(&mut event.fields, &key, value);
        }
        event
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
        let mut map = &self.fields;
        let mut rest = path;
        while let Some((part, tail)) = split_dot(rest) {
            map = map.get(part)?.as_object()?;
            rest = tail;
        }
        map.get(rest)
    }

    /// The string value at `path`, if it is a string.
    pub fn get_str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// Sets a dotted path, creating intermediate objects. A non-object value in the
    /// way is replaced by an object (the later, more specific field wins).
    pub fn set(&mut self, path: &str, value: impl Into<Value>) {
        let (parent, last) = parent_of(&mut self.fields, path);
        parent.insert(last.to_string(), value.into());
    }

    /// The value at a dotted path, mutably (to extend an array or object in place).
    pub fn get_mut(&mut self, path: &str) -> Option<&mut Value> {
        let mut parts = path.split('.');
        let first = parts.next()?;
        let mut current = self.fields.get_mut(first)?;
        for part in parts {
            current = current.as_object_mut()?.get_mut(part)?;
        }
        Some(current)
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

/// The object holding the last part of a dotted `path`, creating intermediate objects
/// (a non-object value in the way is replaced by an object), and that last part.
fn parent_of<'a, 'p>(
    mut map: &'a mut Map<String, Value>,
    path: &'p str,
) -> (&'a mut Map<String, Value>, &'p str) {
    let mut rest = path;
    while let Some((part, tail)) = split_dot(rest) {
        rest = tail;
        // One lookup per level (the key allocation costs less than hashing twice).
        let slot = map.entry(part).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        map = match slot {
            Value::Object(inner) => inner,
            _ => unreachable!("the level was just made an object"),
        };
    }
    (map, rest)
}

/// `path.split_once('.')` by a plain byte scan (paths are short).
fn split_dot(path: &str) -> Option<(&str, &str)> {
    let i = path.bytes().position(|b| b == b'.')?;
    Some((&path[..i], &path[i + 1..]))
}

/// Whether any key of `map` or of an object nested in it (not inside arrays) has a dot.
fn has_dotted_key(map: &Map<String, Value>) -> bool {
    map.iter().any(|(k, v)| {
        k.bytes().any(|b| b == b'.') || matches!(v, Value::Object(inner) if has_dotted_key(inner))
    })
}

/// `Event::set(path, value)` for a scalar; an object is merged key by key (dotted keys
/// expanded), an empty object replaces what is at `path`. The same result as setting
/// every leaf by its full dotted path, without building those paths.
fn merge_into(map: &mut Map<String, Value>, path: &str, value: Value) {
    let (parent, last) = parent_of(map, path);
    match value {
        Value::Object(inner) if !inner.is_empty() => {
            // A new level with nothing to expand is moved in whole.
            if !has_dotted_key(&inner) && !parent.contains_key(last) {
                parent.insert(last.to_string(), Value::Object(inner));
                return;
            }
            let slot = parent
                .entry(last)
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(target) = slot else {
                unreachable!("the level was just made an object")
            };
            for (k, v) in inner {
                merge_into(target, &k, v);
            }
        }
        other => {
            parent.insert(last.to_string(), other);
        }
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
    fn from_map_is_setting_every_leaf_by_its_path() {
        // Dotted keys at several levels, a scalar replaced by an object, empty objects,
        // objects inside arrays (kept as they are), and a plain nested object.
        let map = json!({
            "a.b": 1,
            "a": {"c": 2, "d.e": 3, "f": {}},
            "x": 5,
            "x.y": {"z": 6},
            "e": {},
            "arr": [{"k.l": 1}],
            "plain": {"p": {"q": 1}},
            "": {"": 7}
        });
        let event = Event::from_map(map.as_object().cloned().unwrap_or_default());
        let mut expected = Event::new();
        expected.set("a.b", 1);
        expected.set("a.c", 2);
        expected.set("a.d.e", 3);
        expected.set("a.f", json!({}));
        expected.set("x", 5);
        expected.set("x.y.z", 6);
        expected.set("e", json!({}));
        expected.set("arr", json!([{"k.l": 1}]));
        expected.set("plain.p.q", 1);
        expected.set(".", 7);
        assert_eq!(event, expected);
        // Without dotted keys the object is taken as it is, order included.
        let plain = json!({"z": {"b": 1, "a": {}}, "m": [1]});
        let plain = plain.as_object().cloned().unwrap_or_default();
        let event = Event::from_map(plain.clone());
        assert_eq!(event.as_map(), &plain);
        assert_eq!(
            event.as_map().keys().collect::<Vec<_>>(),
            plain.keys().collect::<Vec<_>>()
        );
    }

    #[test]
    fn get_mut_reaches_nested_values() {
        let mut event = Event::new();
        event.set("related.ip", json!(["10.0.0.1"]));
        if let Some(Value::Array(values)) = event.get_mut("related.ip") {
            values.push(json!("10.0.0.2"));
        }
        assert_eq!(
            event.get("related.ip"),
            Some(&json!(["10.0.0.1", "10.0.0.2"]))
        );
        assert!(event.get_mut("related.hosts").is_none());
        assert!(event.get_mut("related.ip.x").is_none());
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
