//! Windows event log records (as the `evtx` crate's JSON output renders them) to events.
//!
//! The native field names Sigma rules use are kept at the top level: the `System` fields
//! flattened (`EventID`, `Channel`, `Computer`, `EventRecordID`, `Level`, `Task`, `Keywords`,
//! ...; XML attributes as `Element_Attribute`, e.g. `Provider_Name`, `Security_UserID`,
//! `TimeCreated_SystemTime`, `Execution_ProcessID`), and the `EventData` / `UserData` leaf
//! names with spaces removed (`<Data Name="X">` elements become `X`; unnamed `<Data>`
//! lists become a `Data` array). ECS fields are added next to them: `@timestamp` (from
//! `TimeCreated`), `event.code`, `event.provider`, `host.name`, `winlog.*`, and for a few
//! well-known events (4624/4625 logons, 4688 and Sysmon 1 process creation) the
//! `event.category` / `event.outcome` / `user.name` / `source.ip` / `process.*` fields;
//! the `windows_security` module then adds the ECS categorisation of the Security, Sysmon and
//! PowerShell events by id. The rendered XML form is read by [`crate::windows_xml`].
//! `event.original` is the record's JSON text.

use serde_json::{Map, Value};
use vigil_core::Event;

/// Builds an event from one record in the `evtx` crate's JSON form (`{"Event": {...}}`).
/// Never fails: a record without an `Event` object keeps its JSON text and is tagged
/// `_parse_failure`.
pub fn event_from_windows_record(record: &Value) -> Event {
    let original = record.to_string();
    let root = record.get("Event").unwrap_or(record);
    let Some(root) = root.as_object() else {
        let mut event = Event::new();
        event.set("event.original", original.as_str());
        event.set("message", original.as_str());
        event.mark_parse_failure("windows record: not a JSON object");
        return event;
    };
    let mut fields = Map::new();
    if let Some(system) = root.get("System").and_then(Value::as_object) {
        for (name, value) in system {
            flatten_system(name, value, &mut fields);
        }
    }
    for section in ["EventData", "UserData"] {
        if let Some(data) = root.get(section) {
            flatten_data(data, None, &mut fields);
        }
    }
    if !root.contains_key("System") {
        let mut event = Event::new();
        event.set("event.original", original.as_str());
        event.set("message", original.as_str());
        event.mark_parse_failure("windows record: no System element");
        return event;
    }
    // Keep the native names as top-level keys without dotted expansion (none contain dots
    // after space removal in practice; any that do are nested, which search handles alike).
    let mut event = Event::from_map(fields);
    add_ecs(&mut event);
    event.set("event.original", original);
    event
}

/// Scalars to JSON values; `#text` wrappers unwrapped.
fn text_of(value: &Value) -> Option<Value> {
    match value {
        Value::Object(map) => map.get("#text").and_then(text_of),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn flatten_system(name: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(attrs)) = map.get("#attributes") {
                for (attr, v) in attrs {
                    if attr == "xmlns" {
                        continue;
                    }
                    out.insert(format!("{name}_{attr}"), v.clone());
                }
            }
            if let Some(text) = map.get("#text").and_then(text_of) {
                out.insert(name.to_string(), text);
            }
            for (child, v) in map {
                if !child.starts_with('#') {
                    flatten_system(child, v, out);
                }
            }
        }
        Value::Null => {}
        other => {
            out.insert(name.to_string(), other.clone());
        }
    }
}

/// EventData / UserData: leaves under their own names (spaces removed).
fn flatten_data(value: &Value, name: Option<&str>, out: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "#attributes" {
                    continue;
                }
                if key == "#text" {
                    // Text of an element that also has attributes.
                    if let Some(name) = name {
                        if let Some(t) = text_of(v) {
                            out.insert(clean(name), t);
                        }
                    }
                    continue;
                }
                flatten_data(v, Some(key), out);
            }
        }
        Value::Array(items) => {
            if let Some(name) = name {
                let values: Vec<Value> = items.iter().filter_map(text_of).collect();
                out.insert(clean(name), Value::Array(values));
            }
        }
        Value::Null => {}
        other => {
            if let Some(name) = name {
                out.insert(clean(name), other.clone());
            }
        }
    }
}

fn clean(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

fn as_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_pid(value: &Value) -> Option<Value> {
    match value {
        Value::Number(n) => Some(Value::Number(n.clone())),
        Value::String(s) => {
            let s = s.trim();
            let n = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse::<u64>().ok(),
            };
            n.map(Value::from)
        }
        _ => None,
    }
}

fn add_ecs(event: &mut Event) {
    let get = |e: &Event, k: &str| e.as_map().get(k).cloned();
    if let Some(Value::String(time)) = get(event, "TimeCreated_SystemTime") {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&time) {
            event.set(
                "@timestamp",
                vigil_core::time::format_timestamp(t.with_timezone(&chrono::Utc)),
            );
        }
    }
    let event_id = get(event, "EventID").and_then(|v| as_string(&v));
    if let Some(id) = &event_id {
        // EventID as a number, as Sigma rules compare it.
        if let Ok(n) = id.parse::<u64>() {
            event.set("EventID", n);
        }
        event.set("event.code", id.as_str());
    }
    if let Some(computer) = get(event, "Computer").and_then(|v| as_string(&v)) {
        event.set("host.name", computer);
    }
    if let Some(channel) = get(event, "Channel").and_then(|v| as_string(&v)) {
        event.set("winlog.channel", channel);
    }
    let provider = get(event, "Provider_Name").and_then(|v| as_string(&v));
    if let Some(provider) = &provider {
        event.set("winlog.provider_name", provider.as_str());
        event.set("event.provider", provider.as_str());
    }
    if let Some(record_id) = get(event, "EventRecordID") {
        event.set("winlog.record_id", record_id);
    }
    event.set("event.kind", "event");
    let sysmon = provider.as_deref() == Some("Microsoft-Windows-Sysmon");
    match (event_id.as_deref(), sysmon) {
        (Some(id @ ("4624" | "4625")), false) => {
            event.set("event.category", "authentication");
            event.set(
                "event.outcome",
                if id == "4624" { "success" } else { "failure" },
            );
            if let Some(user) = get(event, "TargetUserName").and_then(|v| as_string(&v)) {
                event.set("user.name", user);
            }
            if let Some(ip) = get(event, "IpAddress").and_then(|v| as_string(&v)) {
                let ip = ip.trim();
                if !ip.is_empty() && ip != "-" {
                    event.set("source.ip", ip);
                }
            }
        }
        (Some("4688"), false) | (Some("1"), true) => {
            event.set("event.category", "process");
            event.set("event.type", "start");
            if let Some(cmd) = get(event, "CommandLine").and_then(|v| as_string(&v)) {
                event.set("process.command_line", cmd);
            }
            let exe = if sysmon { "Image" } else { "NewProcessName" };
            if let Some(exe) = get(event, exe).and_then(|v| as_string(&v)) {
                event.set("process.executable", exe);
            }
            let pid = if sysmon { "ProcessId" } else { "NewProcessId" };
            if let Some(pid) = get(event, pid).and_then(|v| as_pid(&v)) {
                event.set("process.pid", pid);
            }
        }
        _ => {}
    }
    if let Some(id) = event_id.as_deref().and_then(|id| id.parse::<u64>().ok()) {
        crate::windows_security::apply(event, id, provider.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn security_4624_maps_native_and_ecs_fields() {
        let record = json!({"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing", "Guid": "{54849625}"}},
                "EventID": 4624, "Level": 0, "Task": 12544, "Keywords": "0x8020000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2019-04-27T15:57:25.868863Z"}},
                "EventRecordID": 42, "Channel": "Security", "Computer": "DC01",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}}
            },
            "EventData": {"TargetUserName": "alice", "IpAddress": "10.0.0.5", "Logon Type": 3}
        }});
        let e = event_from_windows_record(&record);
        assert_eq!(e.get("EventID"), Some(&json!(4624)));
        assert_eq!(
            e.get_str("Provider_Name"),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(e.get_str("Security_UserID"), Some("S-1-5-18"));
        assert_eq!(e.get("LogonType"), Some(&json!(3)));
        assert_eq!(e.get_str("@timestamp"), Some("2019-04-27T15:57:25.868Z"));
        assert_eq!(e.get_str("event.code"), Some("4624"));
        assert_eq!(e.get_str("host.name"), Some("DC01"));
        assert_eq!(e.get_str("winlog.channel"), Some("Security"));
        assert_eq!(e.get("winlog.record_id"), Some(&json!(42)));
        assert_eq!(e.get_str("event.outcome"), Some("success"));
        assert_eq!(e.get_str("user.name"), Some("alice"));
        assert_eq!(e.get_str("source.ip"), Some("10.0.0.5"));
        assert!(e.get_str("event.original").is_some());
        assert!(!e.has_tag(vigil_core::TAG_PARSE_FAILURE));
    }

    #[test]
    fn sysmon_1_and_unnamed_data() {
        let record = json!({"Event": {
            "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 1},
                "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "PC"},
            "EventData": {"Image": "C:\\a.exe", "CommandLine": "a.exe -x", "ProcessId": 12}
        }});
        let e = event_from_windows_record(&record);
        assert_eq!(e.get("EventID"), Some(&json!(1)));
        assert_eq!(e.get_str("process.executable"), Some("C:\\a.exe"));
        assert_eq!(e.get_str("process.command_line"), Some("a.exe -x"));
        assert_eq!(e.get("process.pid"), Some(&json!(12)));

        let record = json!({"Event": {"System": {"EventID": 1033, "Computer": "PC"},
            "EventData": {"Data": ["a", "b"], "Binary": "00"}}});
        let e = event_from_windows_record(&record);
        assert_eq!(e.get("Data"), Some(&json!(["a", "b"])));
    }

    #[test]
    fn garbage_is_kept_and_tagged() {
        let e = event_from_windows_record(&json!([1, 2]));
        assert!(e.has_tag(vigil_core::TAG_PARSE_FAILURE));
        assert_eq!(e.get_str("event.original"), Some("[1,2]"));
    }
}
