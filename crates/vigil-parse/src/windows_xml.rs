//! Windows events in their rendered XML form (`<Event xmlns="http://schemas.microsoft.com/
//! win/2004/08/events/event"><System>...</System><EventData>...</EventData></Event>`, as
//! `wevtutil qe /f:xml`, Windows Event Forwarding and agents such as Wazuh's eventchannel
//! reader write them, optionally inside `<?xml ...?><Events>...</Events>`).
//!
//! A small XML reader (elements, attributes, text, the five named entities and numeric
//! character references, CDATA, comments and processing instructions skipped; nesting
//! limited to `MAX_DEPTH`) turns the first `<Event>` element into the record shape the
//! `evtx` crate renders (`{"Event": {"System": {...}, "EventData": {...}}}`: attributes
//! under `#attributes`, text under `#text` when an element also has attributes,
//! `<Data Name="X">v</Data>` as `"X": "v"`, unnamed `<Data>` as a `Data` list), which
//! [`crate::windows::event_from_windows_record`] maps. `event.original` is the XML text.
//! As the message of a syslog record (Sysmon for Linux) the fields are added to the syslog
//! event (`apply_syslog`).

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::windows;

/// Deepest element nesting accepted (Event XML is about four levels deep).
const MAX_DEPTH: usize = 32;

/// One parsed element.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

/// Whether `text` looks like rendered Event XML (an `<Event` element with `<System>`).
pub fn looks_like(text: &str) -> bool {
    let start = text.trim_start();
    (start.starts_with("<?xml") || start.starts_with("<Event")) && text.contains("<System")
}

/// Parses the first `<Event>` of `text` into an event; `None` when there is none or the
/// XML is malformed.
pub fn parse(text: &str) -> Option<Event> {
    let record = record(text)?;
    let mut event = windows::event_from_windows_record(&record);
    event.set("event.original", text);
    Some(event)
}

/// Adds the fields of a rendered Windows event carried as a syslog message (Sysmon for
/// Linux writes `sysmon: <Event>...</Event>`) to the syslog `event`; returns whether the
/// message was one. The event's own time, host and process fields win over the header's.
pub(crate) fn apply_syslog(message: &str, event: &mut Event) -> bool {
    if !message.starts_with("<Event") || !looks_like(message) {
        return false;
    }
    let Some(record) = record(message) else {
        return false;
    };
    let parsed = windows::event_from_windows_record(&record);
    for (path, value) in parsed.flatten() {
        if path != "event.original" && path != "message" {
            event.set(&path, value.clone());
        }
    }
    true
}

/// The evtx-style JSON record of the first `<Event>` element of `text`.
pub fn record(text: &str) -> Option<Value> {
    let mut reader = Reader { s: text, pos: 0 };
    let root = reader.document()?;
    let event = find(&root, "Event")?;
    let mut out = Map::new();
    for child in &event.children {
        let value = match child.name.as_str() {
            "EventData" => event_data(child),
            _ => generic(child),
        };
        out.insert(child.name.clone(), value);
    }
    let mut wrapper = Map::new();
    wrapper.insert("Event".into(), Value::Object(out));
    Some(Value::Object(wrapper))
}

fn find<'a>(element: &'a Element, name: &str) -> Option<&'a Element> {
    if element.name == name {
        return Some(element);
    }
    element.children.iter().find_map(|c| find(c, name))
}

/// `<Data Name="X">v</Data>` as `"X": "v"`; unnamed `<Data>` as a `Data` list; other
/// children (`Binary`) by their names.
fn event_data(element: &Element) -> Value {
    let mut out = Map::new();
    let mut unnamed = Vec::new();
    for child in &element.children {
        let name = child
            .attributes
            .iter()
            .find(|(k, _)| k == "Name")
            .map(|(_, v)| v.clone());
        match (child.name.as_str(), name) {
            ("Data", Some(name)) => {
                out.insert(name, Value::from(child.text.trim()));
            }
            ("Data", None) => unnamed.push(Value::from(child.text.trim())),
            _ => {
                out.insert(child.name.clone(), generic(child));
            }
        }
    }
    if !unnamed.is_empty() {
        out.insert("Data".into(), Value::Array(unnamed));
    }
    Value::Object(out)
}

/// An element as the evtx crate renders it: text alone as a string; attributes under
/// `#attributes` with the text under `#text`; children by name (a repeated name as a list).
fn generic(element: &Element) -> Value {
    let text = element.text.trim();
    if element.attributes.is_empty() && element.children.is_empty() {
        return if text.is_empty() {
            Value::Null
        } else {
            Value::from(text)
        };
    }
    let mut out = Map::new();
    if !element.attributes.is_empty() {
        let attrs = element
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        out.insert("#attributes".into(), Value::Object(attrs));
    }
    if !text.is_empty() {
        out.insert("#text".into(), Value::from(text));
    }
    for child in &element.children {
        let value = generic(child);
        match out.get_mut(&child.name) {
            Some(Value::Array(list)) => list.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                out.insert(child.name.clone(), value);
            }
        }
    }
    Value::Object(out)
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    /// Skips blanks, the XML declaration, processing instructions, comments and DOCTYPE.
    fn skip_misc(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            let end = if trimmed.starts_with("<?") {
                trimmed.find("?>").map(|e| e + 2)
            } else if trimmed.starts_with("<!--") {
                trimmed.find("-->").map(|e| e + 3)
            } else if trimmed.starts_with("<!") && !trimmed.starts_with("<![CDATA[") {
                trimmed.find('>').map(|e| e + 1)
            } else {
                return;
            };
            match end {
                Some(end) => self.pos += end,
                None => {
                    self.pos = self.s.len();
                    return;
                }
            }
        }
    }

    fn document(&mut self) -> Option<Element> {
        self.skip_misc();
        self.element(0)
    }

    /// An element starting at `<` (after `skip_misc`).
    fn element(&mut self, depth: usize) -> Option<Element> {
        if depth > MAX_DEPTH || !self.rest().starts_with('<') {
            return None;
        }
        self.pos += 1;
        let name_len = self
            .rest()
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        let qualified = self.rest().get(..name_len)?;
        let name = local(qualified).to_string();
        if name.is_empty() {
            return None;
        }
        self.pos += name_len;
        let mut element = Element {
            name,
            ..Element::default()
        };
        // Attributes.
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if let Some(after) = trimmed.strip_prefix("/>") {
                self.pos = self.s.len() - after.len();
                return Some(element);
            }
            if trimmed.starts_with('>') {
                self.pos += 1;
                break;
            }
            let eq = trimmed.find('=')?;
            let key = trimmed.get(..eq)?.trim();
            let after_eq = trimmed.get(eq + 1..)?.trim_start();
            let quote = after_eq
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')?;
            let value_len = after_eq.get(1..)?.find(quote)?;
            let value = unescape(after_eq.get(1..1 + value_len)?);
            self.pos = self.s.len() - after_eq.len() + value_len + 2;
            if !key.starts_with("xmlns") {
                element.attributes.push((local(key).to_string(), value));
            }
        }
        // Content.
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return None;
            }
            if let Some(body) = rest.strip_prefix("<![CDATA[") {
                let end = body.find("]]>")?;
                element.text.push_str(body.get(..end)?);
                self.pos += 9 + end + 3;
            } else if rest.starts_with("<!--") || rest.starts_with("<?") {
                self.skip_misc();
            } else if rest.starts_with("</") {
                let end = rest.find('>')?;
                self.pos += end + 1;
                return Some(element);
            } else if rest.starts_with('<') {
                let child = self.element(depth + 1)?;
                element.children.push(child);
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                element.text.push_str(&unescape(rest.get(..end)?));
                self.pos += end;
            }
        }
    }
}

/// The local part of a qualified name (`ns:Name` -> `Name`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Resolves the five named entities and numeric character references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';').filter(|i| *i <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let entity = &after[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LOGON: &str = r#"<?xml version="1.0"?>
<Events>
  <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
    <System>
      <Provider Name="Microsoft-Windows-Security-Auditing" Guid="{5484}" />
      <EventID>4624</EventID>
      <Keywords>0x8020000000000000</Keywords>
      <TimeCreated SystemTime="2015-11-12T00:24:35.079785200Z" />
      <Execution ProcessID="716" ThreadID="760" />
      <Channel>Security</Channel>
      <Computer>WIN-1</Computer>
    </System>
    <EventData>
      <Data Name="TargetUserName">Admin &amp; Co</Data>
      <Data Name="IpAddress">127.0.0.1</Data>
      <!-- a comment -->
      <Data><![CDATA[raw <text>]]></Data>
    </EventData>
  </Event>
</Events>"#;

    #[test]
    fn event_xml_to_record_and_event() {
        let record = record(LOGON).unwrap_or_default();
        assert_eq!(
            record.pointer("/Event/System/Provider/#attributes/Name"),
            Some(&json!("Microsoft-Windows-Security-Auditing"))
        );
        assert_eq!(
            record.pointer("/Event/EventData/TargetUserName"),
            Some(&json!("Admin & Co"))
        );
        assert_eq!(
            record.pointer("/Event/EventData/Data"),
            Some(&json!(["raw <text>"]))
        );
        assert!(looks_like(LOGON));
        let event = parse(LOGON).unwrap_or_default();
        assert_eq!(event.get_str("host.name"), Some("WIN-1"));
        assert_eq!(event.get_str("event.code"), Some("4624"));
        assert_eq!(event.get_str("event.original"), Some(LOGON));
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2015-11-12T00:24:35.079Z")
        );
    }

    #[test]
    fn malformed_xml_is_none() {
        assert!(parse("<Event><System>").is_none());
        assert!(parse("<Event a=>").is_none());
        assert!(parse(&"<a>".repeat(100)).is_none());
        assert_eq!(
            unescape("a &lt; b &#65;&#x42; &bogus; &"),
            "a < b AB &bogus; &"
        );
    }
}
