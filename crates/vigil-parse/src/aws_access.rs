//! AWS access logs as Wazuh's AWS module forwards them, one JSON object per request with
//! the log's columns already split (`{"integration": "aws", "aws": {"log_info": {...},
//! ...}}`): S3 server access logs (`bucket_owner`, `operation`, `request_uri`,
//! `http_status` ...) and Elastic Load Balancing access logs (`elb`, `client_ip`,
//! `target_ip`, `elb_status_code`, `request` ...). Recognised inside the JSON parser; the
//! columns are kept under `aws.s3access` / `aws.elb` (`aws.log_info` as sent) and ECS is
//! added: `event.kind: event`, `event.module: aws`, `cloud.provider: aws`,
//! `event.category: [web]`, `event.type: [access]`, `@timestamp` (`time`),
//! `http.request.method` / `url.original` / `http.version` (the request line),
//! `http.response.status_code` with `event.outcome` (failure from 400),
//! `user_agent.original`, and
//! * S3: `event.dataset: aws.s3access`, `source.ip` (`remote_ip`), `user.id`
//!   (`requester`), `event.action` (`operation`), `error.code` (and `event.outcome:
//!   failure` whatever the status), `http.request.referrer`, `http.response.body.bytes`
//!   (`bytes_sent`);
//! * ELB: `event.dataset: aws.elb`, `source.ip` / `source.port` (the client),
//!   `destination.ip` / `destination.port` (the target), `event.action`
//!   (`action_executed`), `observer.name` (the load balancer), `source.bytes` /
//!   `destination.bytes` (`received_bytes` / `sent_bytes`), `tls.cipher` / `tls.version`.

use serde_json::{Map, Value};
use vigil_core::Event;

use crate::{ecs, time};

/// Which access log an `aws` object is.
fn kind(event: &Event) -> Option<&'static str> {
    let aws = event.get("aws")?.as_object()?;
    if aws.contains_key("bucket_owner") && aws.contains_key("operation") {
        Some("s3access")
    } else if aws.contains_key("elb") && aws.contains_key("elb_status_code") {
        Some("elb")
    } else {
        None
    }
}

/// Maps a forwarded S3 server access or ELB access log record in place; returns whether
/// it was one.
pub fn apply(event: &mut Event) -> bool {
    let Some(kind) = kind(event) else {
        return false;
    };
    let mut map = std::mem::replace(event, Event::new()).into_map();
    let mut columns = match map.remove("aws") {
        Some(Value::Object(columns)) => columns,
        _ => Map::new(),
    };
    for key in ["event", "@timestamp", "tags"] {
        if let Some(value) = map.remove(key) {
            event.set(key, value);
        }
    }
    if let Some(info) = columns.remove("log_info") {
        event.set("aws.log_info", info);
    }
    let col = |key: &str| {
        columns
            .get(key)
            .and_then(ecs::scalar)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v != "-")
    };
    event.set("event.kind", "event");
    event.set("event.module", "aws");
    event.set("event.dataset", format!("aws.{kind}"));
    event.set("cloud.provider", "aws");
    ecs::set_array(event, "event.category", &["web"]);
    ecs::set_array(event, "event.type", &["access"]);
    if let Some(t) = col("time").and_then(|t| {
        time::parse_iso8601(&t, None).or_else(|| time::parse_clf(t.as_bytes()).map(|(t, _)| t))
    }) {
        event.set("@timestamp", vigil_core::time::format_timestamp(t));
    }
    let (request, status) = if kind == "s3access" {
        ("request_uri", "http_status")
    } else {
        ("request", "elb_status_code")
    };
    if let Some(line) = col(request) {
        let mut parts = line.split_whitespace();
        if let (Some(method), Some(target)) = (parts.next(), parts.next()) {
            ecs::set_str(event, "http.request.method", method);
            ecs::set_str(event, "url.original", target);
            if let Some(version) = parts.next().and_then(|v| v.strip_prefix("HTTP/")) {
                ecs::set_str(event, "http.version", version);
            }
        }
    }
    if let Some(code) = col(status).and_then(|s| s.parse::<u16>().ok()) {
        event.set("http.response.status_code", code);
        ecs::outcome_from_status(event, code);
    }
    if let Some(agent) = col("user_agent") {
        ecs::set_str(event, "user_agent.original", &agent);
    }
    if kind == "s3access" {
        if let Some(ip) = col("remote_ip") {
            ecs::set_ip(event, "source", &ip);
        }
        if col("error_code").is_some() {
            event.set("event.outcome", "failure");
        }
        for (key, path) in [
            ("requester", "user.id"),
            ("operation", "event.action"),
            ("error_code", "error.code"),
            ("referer", "http.request.referrer"),
        ] {
            if let Some(v) = col(key) {
                ecs::set_str(event, path, &v);
            }
        }
        if let Some(v) = col("bytes_sent") {
            ecs::set_number(event, "http.response.body.bytes", &v);
        }
    } else {
        for (side, ip, port) in [
            ("source", "client_ip", "client_port"),
            ("destination", "target_ip", "target_port"),
        ] {
            if let Some(ip) = col(ip) {
                if ecs::set_ip(event, side, &ip) {
                    if let Some(port) = col(port) {
                        ecs::set_port(event, &format!("{side}.port"), &port);
                    }
                }
            }
        }
        for (key, path) in [
            ("action_executed", "event.action"),
            ("ssl_cipher", "tls.cipher"),
            ("elb", "observer.name"),
        ] {
            if let Some(v) = col(key) {
                ecs::set_str(event, path, &v);
            }
        }
        if let Some(version) =
            col("ssl_protocol").and_then(|p| p.strip_prefix("TLSv").map(str::to_string))
        {
            ecs::set_str(event, "tls.version", &version);
        }
        for (key, path) in [
            ("received_bytes", "source.bytes"),
            ("sent_bytes", "destination.bytes"),
        ] {
            if let Some(v) = col(key) {
                ecs::set_number(event, path, &v);
            }
        }
    }
    event.set(&format!("aws.{kind}"), Value::Object(columns));
    true
}

#[cfg(test)]
mod tests {
    use crate::json;
    use serde_json::Value;

    #[test]
    fn s3_and_elb() {
        let s3 = r#"{"integration":"aws","aws":{"log_info":{"s3bucket":"b"},"bucket_owner":"o","bucket":"b","time":"29/Apr/2021:08:59:21 +0000","remote_ip":"81.2.69.143","requester":"-","operation":"REST.GET.OBJECT","key":"k","request_uri":"GET /k HTTP/1.1","http_status":"403","error_code":"AccessDenied"}}"#;
        let event = json::parse(s3).unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("REST.GET.OBJECT"));
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(
            event.get("http.response.status_code"),
            Some(&Value::from(403))
        );
        assert_eq!(
            event.get_str("@timestamp"),
            Some("2021-04-29T08:59:21.000Z")
        );
        assert_eq!(event.get("user.id"), None);
        assert_eq!(event.get_str("aws.s3access.bucket"), Some("b"));
        let elb = r#"{"aws":{"type":"http","time":"2020-11-23T23:57:06.780380Z","elb":"app/x","client_ip":"209.17.97.74","client_port":"51444","target_ip":"10.0.0.125","target_port":"80","elb_status_code":"200","request":"GET http://example.com:80/ HTTP/1.1","action_executed":"forward"}}"#;
        let event = json::parse(elb).unwrap_or_default();
        assert_eq!(event.get_str("source.ip"), Some("209.17.97.74"));
        assert_eq!(event.get("destination.port"), Some(&Value::from(80)));
        assert_eq!(
            event.get_str("url.original"),
            Some("http://example.com:80/")
        );
        assert_eq!(event.get_str("event.outcome"), Some("success"));
    }
}
