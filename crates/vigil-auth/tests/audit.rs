//! Audit records: ECS form and redaction.

use std::net::IpAddr;

use chrono::{TimeZone, Utc};
use serde_json::json;
use vigil_auth::{redact, Actor, AuditAction, AuditRecord, AuthMethod, Outcome, Principal, Role};

fn t() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

#[test]
fn login_as_ecs() {
    let ip: IpAddr = "198.51.100.4".parse().unwrap();
    let r = AuditRecord::new(
        t(),
        Actor::User {
            name: "alice".into(),
        },
        AuditAction::Login,
        Outcome::Success,
    )
    .with_source_ip(Some(ip));
    let e = r.to_ecs_event_json();
    assert_eq!(e["@timestamp"], "2026-03-01T12:00:00.000Z");
    assert_eq!(e["event"]["kind"], "event");
    assert_eq!(e["event"]["category"], json!(["authentication", "session"]));
    assert_eq!(e["event"]["type"], json!(["start"]));
    assert_eq!(e["event"]["action"], "auth.login");
    assert_eq!(e["event"]["outcome"], "success");
    assert_eq!(e["event"]["module"], "vigil");
    assert_eq!(e["event"]["dataset"], "vigil.audit");
    assert_eq!(e["user"]["name"], "alice");
    assert_eq!(e["source"]["ip"], "198.51.100.4");
}

#[test]
fn failed_login_names_the_attempted_user() {
    let r = AuditRecord::new(
        t(),
        Actor::Anonymous,
        AuditAction::LoginFailed,
        Outcome::Failure,
    )
    .with_target("admin");
    let e = r.to_ecs_event_json();
    assert_eq!(e["user"]["name"], "admin");
    assert_eq!(e["event"]["outcome"], "failure");
    assert_eq!(e["vigil"]["audit"]["actor"], "anonymous");
}

#[test]
fn token_actor_denied_and_iam_target() {
    let p = Principal {
        user: "filebeat".into(),
        role: Role::Ingest,
        grants: vec![],
        via: AuthMethod::Token {
            id: "tok_0011".into(),
            source: None,
        },
    };
    let r = AuditRecord::new(
        t(),
        Actor::from_principal(&p),
        AuditAction::Search,
        Outcome::Denied,
    );
    let e = r.to_ecs_event_json();
    assert_eq!(e["event"]["category"], json!(["database"]));
    assert_eq!(e["event"]["type"], json!(["access", "denied"]));
    assert_eq!(e["event"]["outcome"], "failure");
    assert_eq!(e["vigil"]["audit"]["outcome"], "denied");
    assert_eq!(e["vigil"]["audit"]["token_id"], "tok_0011");
    assert_eq!(e["user"]["name"], "filebeat");
    assert!(e.get("source").is_none());

    let r = AuditRecord::new(
        t(),
        Actor::User {
            name: "root".into(),
        },
        AuditAction::UserAdd,
        Outcome::Success,
    )
    .with_target("bob");
    let e = r.to_ecs_event_json();
    assert_eq!(e["event"]["category"], json!(["iam"]));
    assert_eq!(e["event"]["type"], json!(["user", "creation"]));
    assert_eq!(e["user"]["target"]["name"], "bob");
}

#[test]
fn every_action_has_an_ecs_category() {
    for a in AuditAction::ALL {
        let (cat, ty) = a.ecs_category_type();
        assert!(!cat.is_empty() && !ty.is_empty(), "{a}");
        assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
    }
}

#[test]
fn secrets_are_redacted() {
    let details = json!({
        "query": "user.name:alice",
        "password": "hunter2hunter2",
        "New_Password": "x",
        "api_token": "vgl_abc",
        "Authorization": "Bearer vgl_abc",
        "client_secret": "s",
        "headers": { "Cookie": "vigil_session=abc", "accept": "json" },
        "list": [ { "csrf_token": "c" }, "plain" ],
        "result_count": 3,
    });
    let r = AuditRecord::new(
        t(),
        Actor::User {
            name: "alice".into(),
        },
        AuditAction::Search,
        Outcome::Success,
    )
    .with_details(details);
    let d = r.details();
    assert_eq!(d["query"], "user.name:alice");
    assert_eq!(d["result_count"], 3);
    assert_eq!(d["headers"]["accept"], "json");
    assert_eq!(d["list"][1], "plain");
    for v in [
        &d["password"],
        &d["New_Password"],
        &d["api_token"],
        &d["Authorization"],
        &d["client_secret"],
        &d["headers"]["Cookie"],
        &d["list"][0]["csrf_token"],
    ] {
        assert_eq!(v, "[redacted]");
    }
    let ecs = r.to_ecs_event_json().to_string();
    for secret in ["hunter2hunter2", "vgl_abc", "vigil_session=abc"] {
        assert!(!ecs.contains(secret), "{secret} leaked: {ecs}");
    }
    assert!(!serde_json::to_string(&r).unwrap().contains("hunter2"));

    // Redaction is idempotent and leaves non-objects alone.
    let mut v = json!("password");
    redact(&mut v);
    assert_eq!(v, "password");
}
