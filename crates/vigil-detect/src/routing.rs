//! Log-source routing: which events a Sigma rule's `logsource` means, and the field aliases
//! an event needs under that log source.
//!
//! Windows events route by (`Channel`, `EventID`) through the table in `routing/windows.yml`
//! (derived from SigmaHQ's own `tests/thor.yml`): `category: process_creation` means Sysmon 1
//! or Security 4688, `service: security` means the Security channel, a rule with only
//! `product: windows` sees every Windows event. Every other event routes by its ECS fields:
//! `product` from `event.module`/`cloud.provider` (syslog programs are `linux`), `service` from
//! the syslog program, `auth` for the authentication family and `event.dataset`, `category`
//! from each `event.category` value (web access logs are also Sigma's `webserver`). An
//! event that says nothing of its source (no module, program, provider or category: plain
//! JSON with native field names) is seen by every rule.
//! The rules for our own pack are written against exactly this (see `rules/README.md`).

use std::collections::HashMap;

use rsigma_parser::LogSource;
use serde::Deserialize;
use serde_json::Value;
use vigil_core::Event;

use crate::error::DetectError;

const WINDOWS_TABLE: &str = include_str!("../routing/windows.yml");

/// Syslog programs whose lines Sigma's `service: auth` means (`/var/log/auth.log`).
const AUTH_FAMILY: &[&str] = &[
    "sshd",
    "sudo",
    "su",
    "login",
    "systemd-logind",
    "passwd",
    "useradd",
    "usermod",
    "userdel",
    "groupadd",
    "groupdel",
    "groupmod",
    "gpasswd",
    "chage",
    "chpasswd",
    "polkitd",
    "pam",
    "unix_chkpwd",
    "dropbear",
];

#[derive(Debug, Deserialize)]
struct Table {
    services: Vec<ServiceEntry>,
    categories: Vec<CategoryEntry>,
}

#[derive(Debug, Deserialize)]
struct ServiceEntry {
    product: Option<String>,
    service: String,
    channels: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CategoryEntry {
    product: Option<String>,
    category: String,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    event_ids: Option<Vec<i64>>,
    #[serde(default)]
    fieldmappings: HashMap<String, String>,
}

/// What an event is, as far as routing cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSource {
    /// A Windows event log record.
    Windows { channel: String, event_id: i64 },
    /// Anything else, described by ECS.
    Other {
        product: Option<String>,
        services: Vec<String>,
        categories: Vec<String>,
    },
}

/// The routing table.
#[derive(Debug)]
pub struct Router {
    services: HashMap<(Option<String>, String), Vec<String>>,
    categories: Vec<CategoryEntry>,
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| s.to_ascii_lowercase())
}

fn eq_opt(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

impl Router {
    /// The built-in table (Windows from thor.yml, ECS for the rest).
    pub fn builtin() -> Result<Self, DetectError> {
        let table: Table =
            yaml_serde::from_str(WINDOWS_TABLE).map_err(|e| DetectError::Routing {
                reason: e.to_string(),
            })?;
        let mut services: HashMap<(Option<String>, String), Vec<String>> = HashMap::new();
        for s in table.services {
            services
                .entry((lower(&s.product), s.service.to_ascii_lowercase()))
                .or_default()
                .extend(s.channels);
        }
        Ok(Self {
            services,
            categories: table.categories,
        })
    }

    /// A cache key for the route of `event`: equal keys mean equal [`Router::classify`]
    /// results, because it holds exactly the raw fields `classify` reads (each
    /// length-prefixed, so no two inputs share a key). One allocation, no lowercasing: the
    /// route cache is looked up with it before anything is classified.
    pub fn route_key_of(&self, event: &Event) -> String {
        use std::fmt::Write as _;
        let map = event.as_map();
        let mut key = String::with_capacity(96);
        let put = |key: &mut String, value: Option<&str>| match value {
            Some(v) => {
                let _ = write!(key, "{}:{v}", v.len());
            }
            None => key.push('-'),
        };
        if let (Some(Value::String(channel)), Some(event_id)) =
            (map.get("Channel"), map.get("EventID"))
        {
            let id = match event_id {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            if let Some(id) = id {
                key.push('w');
                put(&mut key, Some(channel));
                let _ = write!(key, "{id}");
                return key;
            }
        }
        key.push('o');
        for path in [
            "event.module",
            "process.name",
            "cloud.provider",
            "event.dataset",
        ] {
            put(&mut key, event.get_str(path));
        }
        key.push(if event.get("log.syslog").is_some() {
            's'
        } else {
            '-'
        });
        key.push(if event.get("http.request.method").is_some() {
            'm'
        } else {
            '-'
        });
        match event.get("event.category") {
            Some(Value::String(c)) => put(&mut key, Some(c)),
            Some(Value::Array(items)) => {
                let _ = write!(key, "[{}", items.len());
                for item in items {
                    put(&mut key, item.as_str());
                }
            }
            _ => key.push('-'),
        }
        key
    }

    /// Classifies one event.
    pub fn classify(&self, event: &Event) -> EventSource {
        let map = event.as_map();
        if let (Some(Value::String(channel)), Some(event_id)) =
            (map.get("Channel"), map.get("EventID"))
        {
            let event_id = match event_id {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            if let Some(event_id) = event_id {
                return EventSource::Windows {
                    channel: channel.clone(),
                    event_id,
                };
            }
        }
        let module = event.get_str("event.module").map(str::to_ascii_lowercase);
        let program = event.get_str("process.name").map(str::to_ascii_lowercase);
        let syslog = event.get("log.syslog").is_some();
        let product = match module.as_deref() {
            Some("auditd" | "system" | "linux") => Some("linux".to_string()),
            Some(other) => Some(other.to_string()),
            None => match event.get_str("cloud.provider") {
                Some(cloud) => Some(cloud.to_ascii_lowercase()),
                None if syslog || program.is_some() => Some("linux".to_string()),
                None => None,
            },
        };
        let mut services = Vec::new();
        if let Some(program) = &program {
            if AUTH_FAMILY.contains(&program.as_str()) {
                services.push("auth".to_string());
            }
            services.push(program.clone());
        }
        if module.as_deref() == Some("auditd") {
            services.push("auditd".to_string());
        }
        if syslog {
            services.push("syslog".to_string());
        }
        if let Some(dataset) = event.get_str("event.dataset") {
            services.push(dataset.to_ascii_lowercase());
        }
        services.sort();
        services.dedup();
        let mut categories: Vec<String> = match event.get("event.category") {
            Some(Value::String(s)) => vec![s.to_ascii_lowercase()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect(),
            _ => Vec::new(),
        };
        if categories.iter().any(|c| c == "web") && event.get("http.request.method").is_some() {
            categories.push("webserver".to_string());
        }
        categories.sort();
        categories.dedup();
        EventSource::Other {
            product,
            services,
            categories,
        }
    }

    fn category_entries<'a>(
        &'a self,
        rule: &'a LogSource,
        channel: &'a str,
        event_id: i64,
    ) -> impl Iterator<Item = &'a CategoryEntry> + 'a {
        let category = rule.category.as_deref().unwrap_or("");
        self.categories.iter().filter(move |entry| {
            entry.category.eq_ignore_ascii_case(category)
                && eq_opt(&entry.product, &rule.product)
                && entry
                    .event_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&event_id))
                && (entry.channels.is_empty() || entry.channels.iter().any(|c| c == channel))
        })
    }

    /// Whether a rule with this `logsource` sees this event.
    pub fn rule_matches(&self, rule: &LogSource, source: &EventSource) -> bool {
        match source {
            EventSource::Windows { channel, event_id } => {
                if rule.category.is_some() {
                    return self
                        .category_entries(rule, channel, *event_id)
                        .next()
                        .is_some();
                }
                if let Some(service) = &rule.service {
                    return self
                        .services
                        .get(&(lower(&rule.product), service.to_ascii_lowercase()))
                        .is_some_and(|channels| channels.iter().any(|c| c == channel));
                }
                rule.product
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case("windows"))
            }
            EventSource::Other {
                product,
                services,
                categories,
            } => {
                if product.is_none() && services.is_empty() && categories.is_empty() {
                    // Nothing says where the event came from (plain JSON with native
                    // field names): every rule may judge it, as Sigma engines without
                    // routing do.
                    return true;
                }
                let product_ok = match (&rule.product, product) {
                    (None, _) => true,
                    (Some(r), Some(e)) => r.eq_ignore_ascii_case(e),
                    (Some(_), None) => false,
                };
                let service_ok = rule
                    .service
                    .as_ref()
                    .is_none_or(|s| services.iter().any(|e| e.eq_ignore_ascii_case(s)));
                let category_ok = rule
                    .category
                    .as_ref()
                    .is_none_or(|c| categories.iter().any(|e| e.eq_ignore_ascii_case(c)));
                product_ok && service_ok && category_ok
            }
        }
    }

    /// The (rule field, event field) aliases of an event: every field mapping of a
    /// category entry the event belongs to (Security 4688: `Image` ← `NewProcessName`).
    pub fn aliases(&self, source: &EventSource) -> Vec<(String, String)> {
        let EventSource::Windows { channel, event_id } = source else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for entry in &self.categories {
            if entry
                .event_ids
                .as_ref()
                .is_some_and(|ids| ids.contains(event_id))
                && (entry.channels.is_empty() || entry.channels.iter().any(|c| c == channel))
            {
                for (from, to) in &entry.fieldmappings {
                    if !out.iter().any(|(f, _)| f == from) {
                        out.push((from.clone(), to.clone()));
                    }
                }
            }
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ls(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            product: product.map(String::from),
            category: category.map(String::from),
            service: service.map(String::from),
            ..LogSource::default()
        }
    }

    fn event(v: Value) -> Event {
        match v {
            Value::Object(map) => Event::from_map(map),
            _ => unreachable!("test events are objects"),
        }
    }

    #[test]
    fn process_creation_is_sysmon_1_or_security_4688() {
        let r = Router::builtin().expect("embedded table parses");
        let rule = ls(Some("windows"), Some("process_creation"), None);
        let sysmon1 = r.classify(&event(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}),
        ));
        let sec4688 = r.classify(&event(json!({"Channel": "Security", "EventID": "4688"})));
        let sec4624 = r.classify(&event(json!({"Channel": "Security", "EventID": 4624})));
        assert!(r.rule_matches(&rule, &sysmon1));
        assert!(r.rule_matches(&rule, &sec4688));
        assert!(!r.rule_matches(&rule, &sec4624));
        assert_eq!(
            r.aliases(&sec4688),
            vec![
                ("Image".to_string(), "NewProcessName".to_string()),
                ("ParentImage".to_string(), "ParentProcessName".to_string())
            ]
        );
        assert!(r.aliases(&sysmon1).is_empty());
        assert!(r.rule_matches(&ls(Some("windows"), None, Some("security")), &sec4624));
        assert!(!r.rule_matches(&ls(Some("windows"), None, Some("sysmon")), &sec4624));
        assert!(r.rule_matches(&ls(Some("windows"), None, None), &sec4624));
        assert!(!r.rule_matches(&ls(Some("linux"), None, None), &sec4624));
    }

    #[test]
    fn syslog_programs_route_as_linux_services() {
        let r = Router::builtin().expect("embedded table parses");
        let sshd = r.classify(&event(json!({
            "process": {"name": "sshd"}, "log": {"syslog": {"priority": 38}},
            "event": {"category": ["authentication"]}
        })));
        assert!(r.rule_matches(&ls(Some("linux"), None, Some("sshd")), &sshd));
        assert!(r.rule_matches(&ls(Some("linux"), None, Some("auth")), &sshd));
        assert!(r.rule_matches(&ls(None, Some("authentication"), None), &sshd));
        assert!(!r.rule_matches(&ls(Some("linux"), None, Some("sudo")), &sshd));
        assert!(!r.rule_matches(&ls(Some("windows"), None, None), &sshd));
        let aws = r.classify(&event(
            json!({"cloud": {"provider": "aws"}, "event": {"category": "iam"}}),
        ));
        assert!(r.rule_matches(&ls(Some("aws"), Some("iam"), None), &aws));
    }

    #[test]
    fn route_keys_separate_what_classification_separates() {
        let r = Router::builtin().expect("embedded table parses");
        let sshd = |ip: &str| {
            event(
                json!({"process": {"name": "sshd"}, "log": {"syslog": {"hostname": "h"}},
                "event": {"category": ["authentication"]}, "source": {"ip": ip}}),
            )
        };
        // Events of one shape share a key (and so a cached route) whatever their values.
        assert_eq!(
            r.route_key_of(&sshd("10.0.0.1")),
            r.route_key_of(&sshd("10.0.0.2"))
        );
        let events = [
            sshd("10.0.0.1"),
            event(json!({"process": {"name": "sudo"}, "log": {"syslog": {"hostname": "h"}}})),
            event(json!({"process": {"name": "sshd"}})),
            event(json!({"process": {"name": "sshd"}, "event": {"category": "authentication"}})),
            event(json!({"process": {"name": "ssh|d"}})),
            event(json!({"process": {"name": "ssh"}, "event": {"module": "d"}})),
            event(json!({"Channel": "Security", "EventID": 4624})),
            event(json!({"Channel": "Security", "EventID": 4625})),
            event(
                json!({"Channel": "Security", "EventID": "not a number", "process": {"name": "x"}}),
            ),
            event(
                json!({"event": {"dataset": "nginx.access", "category": ["web"]}, "http": {"request": {"method": "GET"}}}),
            ),
            event(json!({"event": {"dataset": "nginx.access", "category": ["web"]}})),
        ];
        let keys: std::collections::HashSet<String> =
            events.iter().map(|e| r.route_key_of(e)).collect();
        assert_eq!(keys.len(), events.len(), "{keys:?}");
    }
}
