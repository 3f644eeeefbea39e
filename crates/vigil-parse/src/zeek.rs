//! Zeek logs written as JSON (`LogAscii::use_json`: one object per line with `ts`, `uid`
//! and the `id.orig_h` / `id.orig_p` / `id.resp_h` / `id.resp_p` connection tuple),
//! recognised inside the JSON parser. The log is told by its fields (a `_path` field wins):
//! ssh (`auth_attempts` / `host_key_alg`), dns (`qtype_name` / `rcode_name`), http
//! (`method` with `uri`), ssl (`ssl_history` / `server_name` with `cipher`), conn
//! (`conn_state`), else `log`. The record is kept whole under `zeek.<log>` and ECS is
//! added: `@timestamp` (`ts`, epoch seconds), `event.module: zeek`,
//! `event.dataset: zeek.<log>`, `event.kind: event`, `event.id` (`uid`), `source.ip` /
//! `source.port` / `destination.ip` / `destination.port`, `related.ip`,
//! `event.category: [network]` with `event.type: [connection]` (conn) or
//! `[connection, protocol]` (the application logs), `network.transport` (`proto`),
//! `network.protocol` (the application logs), and per log: ssh `event.outcome` from
//! `auth_success`; http `url.original` (`uri`), `url.domain` (`host`),
//! `http.request.method`, `http.response.status_code`, `user_agent.original`; dns
//! `dns.question.name` (`query`), `dns.question.type` (`qtype_name`),
//! `dns.response_code` (`rcode_name`).

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::{ecs, time};

/// Whether the event is a Zeek JSON log record.
pub fn is_record(event: &Event) -> bool {
    event.get("ts").is_some_and(Value::is_number)
        && event.get_str("uid").is_some()
        && event.get("id.orig_h").is_some()
        && event.get("id.resp_h").is_some()
}

/// Which Zeek log a record comes from.
fn log_of(record: &Map<String, Value>) -> String {
    if let Some(path) = record.get("_path").and_then(Value::as_str) {
        return path.to_string();
    }
    let has = |k: &str| record.contains_key(k);
    let log = if has("auth_attempts") || has("host_key_alg") {
        "ssh"
    } else if has("qtype_name") || has("rcode_name") {
        "dns"
    } else if has("method") && has("uri") {
        "http"
    } else if has("ssl_history") || (has("server_name") && has("cipher")) {
        "ssl"
    } else if has("conn_state") {
        "conn"
    } else {
        "log"
    };
    log.to_string()
}

/// Maps a Zeek JSON record in place (see the module documentation); returns whether it
/// was one.
pub fn apply(event: &mut Event) -> bool {
    if !is_record(event) {
        return false;
    }
    let mut record = std::mem::replace(event, Event::new()).into_map();
    for key in ["event", "@timestamp", "tags"] {
        if let Some(value) = record.remove(key) {
            event.set(key, value);
        }
    }
    let log = log_of(&record);
    let text = |path: &str| {
        let mut parts = path.split('.');
        let first = record.get(parts.next()?)?;
        parts
            .try_fold(first, |v, part| v.as_object()?.get(part))
            .and_then(ecs::scalar)
    };
    event.set("event.module", "zeek");
    event.set("event.dataset", format!("zeek.{log}"));
    event.set("event.kind", "event");
    // Truncated to the millisecond, as the other parsers do with sub-millisecond times.
    if let Some(t) = record
        .get("ts")
        .and_then(Value::as_f64)
        .and_then(|ts| time::from_epoch((ts * 1000.0).floor() / 1000.0))
    {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    if let Some(uid) = text("uid") {
        ecs::set_str(event, "event.id", &uid);
    }
    for (side, host, port) in [
        ("source", "id.orig_h", "id.orig_p"),
        ("destination", "id.resp_h", "id.resp_p"),
    ] {
        ecs::set_endpoint(event, side, text(host).as_deref(), text(port).as_deref());
    }
    if let Some(proto) = text("proto") {
        ecs::set_transport(event, &proto);
    }
    ecs::set_array(event, "event.category", &["network"]);
    if log == "conn" || log == "log" {
        ecs::set_array(event, "event.type", &["connection"]);
    } else {
        ecs::set_array(event, "event.type", &["connection", "protocol"]);
        event.set("network.protocol", log.as_str());
    }
    match log.as_str() {
        "ssh" => match record.get("auth_success").and_then(Value::as_bool) {
            Some(true) => event.set("event.outcome", "success"),
            Some(false) => event.set("event.outcome", "failure"),
            None => {}
        },
        "http" => {
            for (from, to) in [
                ("uri", "url.original"),
                ("host", "url.domain"),
                ("method", "http.request.method"),
                ("user_agent", "user_agent.original"),
            ] {
                if let Some(v) = text(from) {
                    ecs::set_str(event, to, &v);
                }
            }
            if let Some(v) = text("status_code") {
                ecs::set_number(event, "http.response.status_code", &v);
            }
        }
        "dns" => {
            for (from, to) in [
                ("query", "dns.question.name"),
                ("qtype_name", "dns.question.type"),
                ("rcode_name", "dns.response_code"),
            ] {
                if let Some(v) = text(from) {
                    ecs::set_str(event, to, &v);
                }
            }
        }
        _ => {}
    }
    event.set(&format!("zeek.{log}"), Value::Object(record));
    true
}

#[cfg(test)]
mod tests {
    use crate::json;
    use serde_json::{json, Value};

    #[test]
    fn ssh_record() {
        let line = r#"{"ts":1562527532.904291,"uid":"CajWfz1b3qnnWT0BU9","id.orig_h":"192.168.1.2","id.orig_p":48380,"id.resp_h":"192.168.1.1","id.resp_p":22,"version":2,"auth_success":false,"auth_attempts":2}"#;
        let event = json::parse(line).unwrap_or_default();
        assert_eq!(event.get_str("event.dataset"), Some("zeek.ssh"));
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get_str("source.ip"), Some("192.168.1.2"));
        assert_eq!(event.get("destination.port"), Some(&Value::from(22)));
        assert_eq!(
            event.get("event.type"),
            Some(&json!(["connection", "protocol"]))
        );
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2019-07-07T19:25:32.904Z")
        );
        assert_eq!(event.get("zeek.ssh.auth_attempts"), Some(&Value::from(2)));
        assert_eq!(event.get("id"), None);
    }
}
