//! [`SigmaView`]: rsigma's `Event` trait over a Vigil [`vigil_core::Event`], without copying.
//!
//! Field lookup follows Sigma's rules for Vigil's events: a flat top-level key first (Windows
//! events keep their Sigma names such as `CommandLine` at the top level), then the
//! log-source field aliases of the event (Security 4688 `NewProcessName` answers for
//! `Image`), then dotted ECS paths through nested objects (`source.ip`). Unnamed Windows
//! `Data` lists read as one space-joined string, as SigmaHQ's own test oracle reads them.
//! Linux audit events answer a plain field name (`type`, `a0`, `exe`, `key`: SigmaHQ's
//! `service: auditd` rules use the raw record keys) from `auditd.data.*`, of the event and of
//! every record joined into it (`auditd.records[]`), so a rule sees all records of the
//! kernel event (`type: EXECVE` matches a SYSCALL+EXECVE+PATH event).
//! Keyword search covers every string except `event.original` when the event has a
//! `message` or parsed fields (the raw text would repeat every value, and make a keyword
//! match the syslog header or a JSON event's key names); a raw event with nothing else is
//! searched in its `event.original`.
//! This view must never allocate on a plain field hit; it must never clone the event.

use std::borrow::Cow;

use rsigma_eval::event::{Event as SigmaEvent, EventValue};
use serde_json::{Map, Value};
use vigil_core::Event;

/// Recursion cap for nested values (deeper structures are not searched by keywords).
const MAX_DEPTH: usize = 32;

/// A borrowed view of one event as rsigma sees it.
pub struct SigmaView<'a> {
    event: &'a Event,
    aliases: &'a [(String, String)],
    skip_original: bool,
    /// Every string keyword search looks at, gathered on the first keyword match: a rule's
    /// keyword list searches them once per keyword, so walking the event's tree each time
    /// was most of the cost of keyword rules.
    strings: std::cell::OnceCell<Vec<Cow<'a, str>>>,
}

impl<'a> SigmaView<'a> {
    /// A view with the given (rule field, event field) aliases.
    pub fn new(event: &'a Event, aliases: &'a [(String, String)]) -> Self {
        let skip_original = has_parsed_text(event.as_map());
        Self {
            event,
            aliases,
            skip_original,
            strings: std::cell::OnceCell::new(),
        }
    }

    /// The event behind the view.
    pub fn event(&self) -> &'a Event {
        self.event
    }

    fn map(&self) -> &'a Map<String, Value> {
        self.event.as_map()
    }
}

/// Whether the event carries its text outside `event.original`: a `message`, or fields a
/// parser took out of it (any top-level key but Vigil's bookkeeping ones). Keyword search then
/// leaves `event.original` out: it would repeat every value (and match a JSON event's key
/// names, or a syslog header).
fn has_parsed_text(map: &Map<String, Value>) -> bool {
    map.contains_key("message")
        || map.keys().any(|k| {
            !matches!(
                k.as_str(),
                "event" | "@timestamp" | "tags" | "error" | "log"
            )
        })
}

fn value_of<'v>(key: &str, value: &'v Value) -> EventValue<'v> {
    if key == "Data" {
        if let Value::Array(items) = value {
            if items.iter().all(|v| !v.is_object() && !v.is_array()) {
                let joined: Vec<String> = items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                return EventValue::Str(Cow::Owned(joined.join(" ")));
            }
        }
    }
    EventValue::from(value)
}

/// Walks a dotted path; arrays on the way contribute every element's value.
fn collect_path<'v>(value: &'v Value, parts: &[&str], out: &mut Vec<EventValue<'v>>) {
    let Some((first, rest)) = parts.split_first() else {
        out.push(EventValue::from(value));
        return;
    };
    match value {
        Value::Object(map) => {
            if let Some(next) = map.get(*first) {
                collect_path(next, rest, out);
            } else if !rest.is_empty() {
                // A key that itself contains dots (kept flat by a source).
                if let Some(next) = map.get(parts.join(".").as_str()) {
                    out.push(EventValue::from(next));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_path(item, parts, out);
            }
        }
        _ => {}
    }
}

fn collect_strings<'v>(value: &'v Value, depth: usize, out: &mut Vec<Cow<'v, str>>) {
    if depth == 0 {
        return;
    }
    match value {
        Value::String(s) => out.push(Cow::Borrowed(s)),
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_strings(v, depth - 1, out)),
        Value::Object(map) => map
            .values()
            .for_each(|v| collect_strings(v, depth - 1, out)),
        _ => {}
    }
}

impl<'a> SigmaView<'a> {
    /// Every searchable string (see the module documentation), gathered once per view.
    fn strings(&self) -> &[Cow<'a, str>] {
        self.strings.get_or_init(|| {
            let mut out = Vec::with_capacity(32);
            for (key, value) in self.map() {
                if key == "event" && self.skip_original {
                    if let Value::Object(inner) = value {
                        inner
                            .iter()
                            .filter(|(k, _)| k.as_str() != "original")
                            .for_each(|(_, v)| collect_strings(v, MAX_DEPTH, &mut out));
                        continue;
                    }
                }
                if key == "Data" {
                    if let EventValue::Str(joined) = value_of(key, value) {
                        out.push(joined);
                        continue;
                    }
                }
                collect_strings(value, MAX_DEPTH, &mut out);
            }
            out
        })
    }

    /// Visits every searchable string; stops early when `visit` returns true.
    fn any_string(&self, visit: &mut dyn FnMut(&str) -> bool) -> bool {
        self.strings().iter().any(|s| visit(s))
    }

    fn lookup(&self, path: &str) -> Option<EventValue<'_>> {
        let map = self.map();
        if let Some(v) = map.get(path) {
            return Some(value_of(path, v));
        }
        if let Some((_, target)) = self.aliases.iter().find(|(from, _)| from == path) {
            if let Some(v) = map.get(target.as_str()) {
                return Some(value_of(target, v));
            }
        }
        if !path.contains('.') {
            return self.audit_record_field(path);
        }
        // The common case, objects all the way down: no allocation.
        let mut current = None::<&Value>;
        let mut through_objects = true;
        for part in path.split('.') {
            let next = match current {
                None => map.get(part),
                Some(Value::Object(inner)) => inner.get(part),
                Some(Value::Array(_)) => {
                    through_objects = false;
                    break;
                }
                Some(_) => None,
            };
            match next {
                Some(v) => current = Some(v),
                None => return None,
            }
        }
        if through_objects {
            return current.map(|v| value_of(path, v));
        }
        // An array on the way: every element's value.
        let parts: Vec<&str> = path.split('.').collect();
        if !map.contains_key(parts[0]) {
            return None;
        }
        let mut found = Vec::new();
        if let Some(next) = map.get(parts[0]) {
            collect_path(next, &parts[1..], &mut found);
        }
        match found.len() {
            0 => None,
            1 => found.pop(),
            _ => Some(EventValue::Array(found)),
        }
    }
}

impl SigmaView<'_> {
    /// A raw audit record key (`a0`) from `auditd.data` of the event and of each record in
    /// `auditd.records[]`; every value found, so any record can match.
    fn audit_record_field(&self, key: &str) -> Option<EventValue<'_>> {
        let auditd = self.map().get("auditd")?.as_object()?;
        let mut found = Vec::new();
        if let Some(v) = auditd
            .get("data")
            .and_then(Value::as_object)
            .and_then(|d| d.get(key))
        {
            found.push(EventValue::from(v));
        }
        if let Some(Value::Array(records)) = auditd.get("records") {
            for record in records {
                if let Some(v) = record
                    .get("auditd")
                    .and_then(|a| a.get("data"))
                    .and_then(|d| d.get(key))
                {
                    found.push(EventValue::from(v));
                }
            }
        }
        match found.len() {
            0 => None,
            1 => found.pop(),
            _ => Some(EventValue::Array(found)),
        }
    }
}

impl SigmaEvent for SigmaView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        self.lookup(path)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.any_string(&mut |s| pred(s))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::new();
        self.any_string(&mut |s| {
            out.push(Cow::Owned(s.to_string()));
            false
        });
        out
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        self.any_string(&mut |s| {
            visit(s);
            false
        });
    }

    /// Only what correlation buffers keep of an event: its id and time. Vigil keeps the
    /// whole event in the journal, so the engine never needs a copy.
    fn to_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(id) = self.event.id() {
            out.insert("id".into(), Value::String(id.to_string()));
        }
        if let Some(ts) = self.event.get("@timestamp") {
            out.insert("@timestamp".into(), ts.clone());
        }
        Value::Object(out)
    }

    fn top_level_keys(&self) -> Option<Vec<Cow<'_, str>>> {
        let mut keys: Vec<Cow<'_, str>> = Vec::new();
        self.visit_top_level_keys(&mut |k| keys.push(Cow::Owned(k.to_string())));
        Some(keys)
    }

    /// The event's own keys, the aliases it answers, and (audit events) the raw record
    /// keys it answers through [`SigmaView::audit_record_field`]: rsigma's candidate index
    /// probes only fields under these.
    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        for key in self.map().keys() {
            visit(key);
        }
        for (from, target) in self.aliases {
            if self.map().contains_key(target.as_str()) {
                visit(from);
            }
        }
        if let Some(auditd) = self.map().get("auditd").and_then(Value::as_object) {
            if let Some(own) = auditd.get("data").and_then(Value::as_object) {
                own.keys().for_each(|k| visit(k));
            }
            if let Some(Value::Array(records)) = auditd.get("records") {
                for record in records {
                    let data = record
                        .get("auditd")
                        .and_then(|a| a.get("data"))
                        .and_then(Value::as_object);
                    if let Some(data) = data {
                        data.keys().for_each(|k| visit(k));
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: Value) -> Event {
        match v {
            Value::Object(map) => Event::from_map(map),
            _ => unreachable!("test events are objects"),
        }
    }

    #[test]
    fn flat_then_alias_then_nested() {
        let e = event(
            json!({"NewProcessName": "C:\\x.exe", "source": {"ip": "10.0.0.1"}, "CommandLine": "x"}),
        );
        let aliases = vec![("Image".to_string(), "NewProcessName".to_string())];
        let v = SigmaView::new(&e, &aliases);
        assert_eq!(
            v.get_field("CommandLine"),
            Some(EventValue::Str(Cow::Borrowed("x")))
        );
        assert_eq!(
            v.get_field("Image"),
            Some(EventValue::Str(Cow::Borrowed("C:\\x.exe")))
        );
        assert_eq!(
            v.get_field("source.ip"),
            Some(EventValue::Str(Cow::Borrowed("10.0.0.1")))
        );
        assert_eq!(v.get_field("source.port"), None);
        assert_eq!(v.get_field("ParentImage"), None);
        let mut keys = Vec::new();
        v.visit_top_level_keys(&mut |k| keys.push(k.to_string()));
        assert!(keys.contains(&"Image".to_string()));
    }

    #[test]
    fn unnamed_data_list_reads_joined() {
        let e = event(json!({"Data": ["a.msi", "C:\\Users\\x\\AppData"]}));
        let v = SigmaView::new(&e, &[]);
        assert_eq!(
            v.get_field("Data"),
            Some(EventValue::Str(Cow::Owned(
                "a.msi C:\\Users\\x\\AppData".into()
            )))
        );
        assert!(v.any_string_value(&|s| s.contains("msi C:")));
    }

    #[test]
    fn keywords_skip_original_when_message_exists() {
        let e = event(
            json!({"message": "Failed password", "event": {"original": "<34>host sshd: Failed password", "action": "x"}}),
        );
        let v = SigmaView::new(&e, &[]);
        assert!(v.any_string_value(&|s| s.contains("Failed")));
        assert!(!v.any_string_value(&|s| s.contains("<34>")));
        let raw = event(json!({"event": {"original": "only raw text"}}));
        assert!(SigmaView::new(&raw, &[]).any_string_value(&|s| s.contains("raw")));
        // A JSON event (no message): its fields are searched, not the JSON text they came from.
        let json_event = event(json!({
            "Image": "C:\\Windows\\System32\\cmd.exe",
            "event": {"original": "{\"Image\": \"C:\\\\Windows\\\\System32\\\\cmd.exe\"}"}
        }));
        let v = SigmaView::new(&json_event, &[]);
        assert!(v.any_string_value(&|s| s.ends_with("cmd.exe")));
        assert!(
            !v.any_string_value(&|s| s.contains("\"Image\"")),
            "key names are not text"
        );
    }

    #[test]
    fn arrays_on_a_path_give_every_value() {
        let e =
            event(json!({"related": {"ip": ["1.1.1.1", "2.2.2.2"]}, "a": [{"b": 1}, {"b": 2}]}));
        let v = SigmaView::new(&e, &[]);
        assert!(matches!(v.get_field("a.b"), Some(EventValue::Array(items)) if items.len() == 2));
        assert!(
            matches!(v.get_field("related.ip"), Some(EventValue::Array(items)) if items.len() == 2)
        );
    }

    #[test]
    fn to_json_is_only_id_and_time() {
        let e = event(
            json!({"@timestamp": "2026-01-01T00:00:00Z", "event": {"id": "abc"}, "big": "x"}),
        );
        assert_eq!(
            SigmaView::new(&e, &[]).to_json(),
            json!({"id": "abc", "@timestamp": "2026-01-01T00:00:00Z"})
        );
    }
}
