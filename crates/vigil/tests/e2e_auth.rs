//! Vigil guards itself, end to end with the real binary: the route × role matrix against
//! the route table, login throttling (audited, and visible in the event stream), token
//! scope, sessions (expiry, logout, CSRF), the audit trail (records searches, verifiable,
//! tampering detected), TLS with a pinned self-signed certificate, the first admin's
//! one-time password, the offline user/token CLI, and that no route deletes or changes events.

mod common;

use common::{bearer, create_token, serve_config_args, vigil, Server, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use vigil_auth::{role_allows, Grant, Permission, Role};

/// One principal of the matrix: a role, its grants and its token (None = anonymous).
struct Who {
    label: &'static str,
    role: Option<Role>,
    grants: Vec<Grant>,
    token: Option<String>,
}

fn route_table() -> Vec<(String, String, String)> {
    let out = vigil(&["routes"]);
    assert!(out.status.success());
    common::stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("method"), s("path"), s("access"))
        })
        .collect()
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "tok_0000000000000000")
        .replace("{name}", "nobody")
        .replace("{index}", "matrix-index")
        .replace("{*rest}", "http")
}

fn send(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut request = server
        .client()
        .request(method, server.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        request = bearer(request, t);
    }
    let r = request.send().unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn every_route_allows_exactly_the_roles_the_table_says() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let who = vec![
        Who {
            label: "admin",
            role: Some(Role::Admin),
            grants: vec![],
            token: Some(create_token(&data, "admin", "admin", &[])),
        },
        Who {
            label: "analyst",
            role: Some(Role::Analyst),
            grants: vec![],
            token: Some(create_token(&data, "ann", "analyst", &[])),
        },
        Who {
            label: "analyst+detection-engineer",
            role: Some(Role::Analyst),
            grants: vec![Grant::DetectionEngineer],
            token: Some(server.analyst_token.clone()),
        },
        Who {
            label: "auditor",
            role: Some(Role::Auditor),
            grants: vec![],
            token: Some(create_token(&data, "audrey", "auditor", &[])),
        },
        Who {
            label: "ingest",
            role: Some(Role::Ingest),
            grants: vec![],
            token: Some(server.ingest_token.clone()),
        },
        Who {
            label: "anonymous",
            role: None,
            grants: vec![],
            token: None,
        },
    ];
    let table = route_table();
    assert!(table.len() > 40, "{table:?}");
    let mut checked = 0;
    for (method, path, access) in &table {
        let url_path = concrete(path);
        for w in &who {
            let expected = match (access.as_str(), w.role) {
                ("public", _) => true,
                (_, None) => false,
                ("authenticated", Some(_)) => true,
                (perm, Some(role)) => {
                    let p: Permission = perm.parse().unwrap_or_else(|e| panic!("{perm}: {e}"));
                    role_allows(role, &w.grants, p)
                }
            };
            let (status, body) = send(&server, method, &url_path, w.token.as_deref(), "{}");
            let allowed = status != 401 && status != 403;
            assert_eq!(
                allowed, expected,
                "{method} {path} as {}: got {status} {body}, table says {access}",
                w.label
            );
            // Every declared route is really served (not the router's 404/405 fallback).
            if allowed {
                assert!(
                    body["error"] != "no such endpoint" && status != 405,
                    "{method} {path} is declared but not served: {status} {body}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, table.len() * who.len());
    // Something not in the table is not served at all.
    let (status, _) = send(
        &server,
        "GET",
        "/api/v1/undeclared",
        server.analyst_token.as_str().into(),
        "",
    );
    assert_eq!(status, 404);
    server.stop();
}

fn login(server: &Server, user: &str, password: &str) -> reqwest::blocking::Response {
    server
        .client()
        .post(server.url("/api/v1/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .unwrap_or_else(|e| panic!("login: {e}"))
}

#[test]
fn login_is_throttled_after_five_failures_and_the_failures_are_audited() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let server = Server::start_audited(&data, &[], &[]);
    let auditor = create_token(&data, "audrey", "auditor", &[]);
    for attempt in 1..=5 {
        let r = login(&server, "admin", "wrong-password-guess");
        assert_eq!(r.status().as_u16(), 401, "attempt {attempt}");
    }
    // The 6th attempt is refused without checking, even with the right password.
    let r = login(&server, "admin", ADMIN_PASSWORD);
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(retry > 0, "Retry-After is set");

    // The audit trail has the failures and the lockout.
    let (status, trail) = server.get_as(&auditor, "/api/v1/audit?action=auth.*");
    assert_eq!(status, 200, "{trail}");
    let records = trail["records"].as_array().cloned().unwrap_or_default();
    let count = |action: &str| records.iter().filter(|r| r["action"] == action).count();
    assert!(count("auth.login_failed") >= 6, "{trail}");
    assert_eq!(count("auth.lockout"), 1, "{trail}");
    assert!(records
        .iter()
        .all(|r| !r.to_string().contains("wrong-password-guess")));

    // And the event stream has them as ECS authentication failures, for rules to see.
    let q = "event.dataset:vigil.audit AND event.category:authentication AND event.outcome:failure AND user.name:admin";
    let result = server.wait_for(q, 6);
    assert!(result["total"].as_u64().unwrap_or(0) >= 6, "{result}");
    let hit = &result["hits"][0];
    assert_eq!(hit["event"]["kind"], "event", "{hit}");
    assert!(hit["source"]["ip"].is_string(), "{hit}");
    server.stop();
}

#[test]
fn tokens_are_scoped_to_their_role_and_source() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let server = Server::start(&data);
    // An ingest token cannot search.
    let (status, _) = server.get_as(&server.ingest_token, "/api/v1/search?q=*");
    assert_eq!(status, 403);
    // A token bound to the HEC source may only send as the HEC source.
    let hec_only = create_token(&data, "splunk-fwd", "ingest", &["--source", "splunk-hec"]);
    let r = bearer(
        server.client().post(server.url("/api/v1/ingest")),
        &hec_only,
    )
    .body("{\"message\":\"sneaky\"}\n")
    .send()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 403);
    let r = server
        .client()
        .post(server.url("/services/collector/event"))
        .header("Authorization", format!("Splunk {hec_only}"))
        .body(r#"{"event":"from the forwarder"}"#)
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(server.wait_for("\"from the forwarder\"", 1)["total"], 1);
    assert_eq!(server.search("sneaky")["total"], 0);
    // A revoked token is refused; a garbage token too.
    let id = {
        let out = vigil(&[
            "tokens",
            "list",
            "--data-dir",
            &data.display().to_string(),
            "--owner",
            "splunk-fwd",
            "--json",
        ]);
        let list: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        list[0]["id"].as_str().unwrap_or_default().to_string()
    };
    let out = vigil(&[
        "tokens",
        "revoke",
        &id,
        "--data-dir",
        &data.display().to_string(),
    ]);
    assert!(out.status.success());
    let r = server
        .client()
        .post(server.url("/services/collector/event"))
        .header("Authorization", format!("Splunk {hec_only}"))
        .body(r#"{"event":"after revoke"}"#)
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 403, "HEC answers 403 'Invalid token'");
    assert_eq!(server.get_as("vgl_garbage", "/api/v1/search?q=*").0, 401);
    // Both refusals are on the audit trail as failed authentications (never the secret)
    // and counted in the metrics.
    let auditor = create_token(&data, "audrey", "auditor", &[]);
    let (status, failed) = server.get_as(&auditor, "/api/v1/audit?action=auth.login_failed");
    assert_eq!(status, 200, "{failed}");
    let records = failed["records"].as_array().cloned().unwrap_or_default();
    let targets: Vec<&str> = records
        .iter()
        .filter(|r| r["details"]["credential"] == "token")
        .filter_map(|r| r["target"].as_str())
        .collect();
    assert!(
        targets.contains(&"POST /services/collector/event")
            && targets.contains(&"GET /api/v1/search"),
        "{failed}"
    );
    assert!(!failed.to_string().contains("vgl_garbage"), "{failed}");
    assert!(!failed.to_string().contains(&hec_only), "{failed}");
    let metrics = server
        .client()
        .get(server.url("/metrics"))
        .bearer_auth(&auditor)
        .send()
        .and_then(|r| r.text())
        .unwrap_or_else(|e| panic!("{e}"));
    let failures = metrics
        .lines()
        .find_map(|l| l.strip_prefix("vigil_auth_credential_failures_total "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no credential failure metric:\n{metrics}"));
    assert!(failures >= 2, "{failures}");
    // An admin can issue an ingest token for a shipper but not an analyst token.
    let admin = create_token(&data, "admin", "admin", &[]);
    let (status, created) = server.post_as(
        &admin,
        "/api/v1/tokens",
        &json!({"name": "beats", "owner": "beats-01", "role": "ingest", "source": "elasticsearch-bulk"}),
    );
    assert_eq!(status, 201, "{created}");
    assert!(created["secret"].as_str().unwrap_or("").starts_with("vgl_"));
    let (status, _) = server.post_as(
        &admin,
        "/api/v1/tokens",
        &json!({"name": "sneaky", "role": "analyst"}),
    );
    assert_eq!(status, 403);
    server.stop();
}

fn session_cookie(r: &reqwest::blocking::Response) -> (String, String) {
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let pair = set.split(';').next().unwrap_or_default().to_string();
    (pair, set)
}

fn config_server(dir: &Path, auth: &str, tls: Option<(&Path, &Path)>) -> Server {
    let data = dir.join("data");
    let config = dir.join("vigil.toml");
    let mut text = format!(
        "data_dir = \"{}\"\nhttp = \"127.0.0.1:0\"\nsyslog_udp = \"off\"\nsyslog_tcp = \"off\"\n[auth]\n{auth}\n",
        data.display()
    );
    if let Some((cert, key)) = tls {
        text.push_str(&format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            cert.display(),
            key.display()
        ));
    }
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    let args = serve_config_args(&config);
    Server::spawn_full(&args, &data, false, false, &[], tls.map(|(c, _)| c))
}

#[test]
fn sessions_need_csrf_expire_when_idle_and_end_at_logout() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = config_server(dir.path(), "session_idle_timeout = \"2s\"", None);
    let r = login(&server, "admin", ADMIN_PASSWORD);
    assert_eq!(r.status().as_u16(), 200);
    let (cookie, set_cookie) = session_cookie(&r);
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "no Secure without TLS: {set_cookie}"
    );
    let answer: Value = r.json().unwrap_or(Value::Null);
    let csrf = answer["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!csrf.is_empty());

    let me = |cookie: &str| {
        server
            .client()
            .get(server.url("/api/v1/me"))
            .header("Cookie", cookie)
            .send()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let r = me(&cookie);
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.json::<Value>().unwrap_or(Value::Null)["user"], "admin");

    // A state-changing request with the cookie but without the CSRF header is refused.
    let add = |csrf: Option<&str>, name: &str| {
        let mut request = server
            .client()
            .post(server.url("/api/v1/users"))
            .header("Cookie", &cookie)
            .json(&json!({"name": name, "role": "analyst"}));
        if let Some(c) = csrf {
            request = request.header("X-CSRF-Token", c);
        }
        request.send().unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(add(None, "eve").status().as_u16(), 403);
    assert_eq!(add(Some("wrong"), "eve").status().as_u16(), 403);
    let created = add(Some(&csrf), "carol");
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().unwrap_or(Value::Null);
    let carol_password = created["password"].as_str().unwrap_or_default().to_string();
    assert!(carol_password.len() >= 12, "{created}");

    // Logout ends the session.
    let r = server
        .client()
        .post(server.url("/api/v1/logout"))
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", &csrf)
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(me(&cookie).status().as_u16(), 401);

    // An idle session expires.
    let r = login(&server, "carol", &carol_password);
    assert_eq!(r.status().as_u16(), 200);
    let (carol, _) = session_cookie(&r);
    assert_eq!(me(&carol).status().as_u16(), 200);
    std::thread::sleep(Duration::from_millis(3200));
    assert_eq!(me(&carol).status().as_u16(), 401);
    server.stop();
}

fn audit_segments(data: &Path) -> Vec<std::path::PathBuf> {
    let dir = data.join("audit/segments");
    let mut segs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    segs.sort();
    segs
}

#[test]
fn the_audit_trail_records_searches_and_is_verifiable() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let auditor = create_token(&data, "audrey", "auditor", &[]);
    let admin = create_token(&data, "admin", "admin", &[]);
    server.ingest(&[json!({"message": "x", "user": {"name": "mallory"}}).to_string()]);
    server.wait_for("user.name:mallory", 1);
    let (status, _) =
        server.get_json("/api/v1/search?q=user.name%3Amallory&from=2020-01-01T00:00:00Z");
    assert_eq!(status, 200);

    // Admins cannot read the audit trail; auditors can, and see the query with its range and count.
    assert_eq!(server.get_as(&admin, "/api/v1/audit").0, 403);
    let (status, trail) = server.get_as(&auditor, "/api/v1/audit?action=search&actor=e2e-analyst");
    assert_eq!(status, 200, "{trail}");
    let records = trail["records"].as_array().cloned().unwrap_or_default();
    let hit = records
        .iter()
        .find(|r| {
            r["details"]["query"] == "user.name:mallory"
                && r["details"]["time_range"]["from"] == "2020-01-01T00:00:00Z"
        })
        .unwrap_or_else(|| panic!("search not audited: {trail}"));
    assert_eq!(hit["details"]["result_count"], 1, "{hit}");
    assert_eq!(hit["actor"]["owner"], "e2e-analyst", "{hit}");
    // The CLI's token creations were audited too (through the outbox).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, created) = server.get_as(&auditor, "/api/v1/audit?action=token.create");
        if created["total"].as_u64().unwrap_or(0) >= 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "CLI token creations not audited: {created}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A time range that ends before everything finds nothing.
    let (_, none) = server.get_as(&auditor, "/api/v1/audit?to=2000-01-01T00:00:00Z");
    assert_eq!(none["total"], 0, "{none}");
    server.stop();

    let d = data.display().to_string();
    let out = vigil(&["verify", "--audit", "--data-dir", &d]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    assert!(common::stdout(&out).contains("intact"));

    // One flipped byte in the audit journal is detected.
    let seg = audit_segments(&data)
        .pop()
        .unwrap_or_else(|| panic!("no audit segment"));
    let mut bytes = std::fs::read(&seg).unwrap_or_else(|e| panic!("{e}"));
    let at = bytes.len() * 2 / 3;
    bytes[at] ^= 0x40;
    std::fs::write(&seg, bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = vigil(&["verify", "--audit", "--data-dir", &d]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stdout(&out));
    assert!(common::stdout(&out).contains("TAMPERED"));
    // The event journal itself is untouched and still verifies.
    assert_eq!(vigil(&["verify", "--data-dir", &d]).status.code(), Some(0));
}

#[test]
fn https_with_a_pinned_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let certs = dir.path().join("certs");
    let out = vigil(&[
        "cert",
        "self-signed",
        "--out",
        &certs.display().to_string(),
        "--host",
        "127.0.0.1",
        "--host",
        "localhost",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (cert, key) = (certs.join("vigil.crt"), certs.join("vigil.key"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        assert_eq!(mode & 0o077, 0, "key is private");
    }
    // A missing key is a clear startup error naming the file.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            "data_dir = \"{}\"\nhttp = \"127.0.0.1:0\"\nsyslog_udp = \"off\"\nsyslog_tcp = \"off\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            dir.path().join("bad-data").display(),
            cert.display(),
            dir.path().join("missing.key").display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = vigil(&["serve", "--config", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.key"), "{err}");

    let server = config_server(dir.path(), "", Some((&cert, &key)));
    assert!(server.https);
    let r = server
        .client()
        .get(server.url("/api/v1/health"))
        .send()
        .unwrap_or_else(|e| panic!("pinned HTTPS request failed: {e}"));
    assert_eq!(r.status().as_u16(), 200);
    let hsts = r
        .headers()
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(hsts.contains("max-age="), "HSTS: {hsts}");
    assert!(r.headers().get("content-security-policy").is_some());
    // An authenticated call over TLS, and a cookie with Secure.
    assert_eq!(server.get_json("/api/v1/search?q=*").0, 200);
    let r = login(&server, "admin", ADMIN_PASSWORD);
    let (_, set_cookie) = session_cookie(&r);
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    // A client that does not trust the certificate cannot talk to it; plain HTTP neither.
    let untrusting = reqwest::blocking::Client::new();
    assert!(untrusting.get(server.url("/api/v1/health")).send().is_err());
    let plain = format!("http://{}/api/v1/health", server.http);
    let plain_ok = untrusting
        .get(plain)
        .timeout(Duration::from_secs(5))
        .send()
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    assert!(!plain_ok);
    // The CLI pins the certificate with VIGIL_CA_CERT.
    let out = std::process::Command::new(common::vigil_bin())
        .args([
            "search",
            "*",
            "--server",
            &server.url(""),
            "--token",
            &server.analyst_token,
        ])
        .env("VIGIL_CA_CERT", &cert)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.stop();
}

#[test]
fn no_route_deletes_or_changes_stored_events() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let admin = create_token(&data, "admin", "admin", &[]);
    let lines: Vec<String> = (0..20)
        .map(|i| json!({"message": "evidence", "n": i, "_id": format!("doc-{i}")}).to_string())
        .collect();
    server.ingest(&lines);
    assert_eq!(server.wait_for("message:evidence", 20)["total"], 20);
    let size_before = server.health()["journal"]["size"].as_u64().unwrap_or(0);
    let table = route_table();
    let mut paths: Vec<String> = vec![
        "/api/v1/search",
        "/api/v1/ingest",
        "/api/v1/events",
        "/api/v1/events/doc-1",
        "/_bulk",
        "/logs/_bulk",
        "/logs",
        "/logs/_doc/doc-1",
        "/logs/_doc",
        "/logs/_update/doc-1",
        "/logs/_delete_by_query",
        "/logs/_update_by_query",
        "/_all",
        "/*",
        "/",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    paths.extend(table.iter().map(|(_, p, _)| concrete(p)));
    let bodies = [
        "{\"query\":{\"match_all\":{}}}",
        "{\"delete\":{\"_index\":\"logs\",\"_id\":\"doc-1\"}}\n{\"update\":{\"_index\":\"logs\",\"_id\":\"doc-2\"}}\n{\"doc\":{\"message\":\"changed\"}}\n",
    ];
    for path in &paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            for body in bodies {
                send(&server, method, path, Some(&admin), body);
            }
        }
    }
    // The shipper's token may append, but its delete/update actions are refused per item.
    for path in ["/_bulk", "/logs/_bulk"] {
        for method in ["POST", "PUT"] {
            let (status, answer) =
                send(&server, method, path, Some(&server.ingest_token), bodies[1]);
            assert!(status == 200 || status == 400, "{answer}");
            if status == 200 {
                assert_eq!(answer["errors"], true, "{answer}");
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        server.health()["journal"]["size"].as_u64().unwrap_or(0),
        size_before,
        "the journal changed"
    );
    assert_eq!(server.search("message:evidence")["total"], 20);
    assert_eq!(server.search("message:changed")["total"], 0);
    server.stop();
    let out = vigil(&["verify", "--data-dir", &data.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
}

#[test]
fn first_start_prints_a_one_time_admin_password_and_the_cli_manages_users() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let d = data.display().to_string();
    let args = vec![
        "serve".to_string(),
        "--data-dir".to_string(),
        d.clone(),
        "--http".to_string(),
        "127.0.0.1:0".to_string(),
        "--syslog-udp".to_string(),
        "off".to_string(),
        "--syslog-tcp".to_string(),
        "off".to_string(),
    ];
    let server = Server::spawn_env(&args, &data, false, false, &[("VIGIL_ADMIN_PASSWORD", "")]);
    let log = server.log.lock().map(|l| l.join("\n")).unwrap_or_default();
    let password = log
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("no generated password on the console: {log}"));
    assert!(log.contains("VIGIL INITIAL ADMIN"), "{log}");
    assert_eq!(login(&server, "admin", &password).status().as_u16(), 200);
    // Written nowhere: no file of the data directory holds it.
    fn scan(dir: &Path, needle: &[u8]) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                scan(&p, needle);
            } else if let Ok(bytes) = std::fs::read(&p) {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "the password is in {}",
                    p.display()
                );
            }
        }
    }
    scan(&data, password.as_bytes());

    // Offline user management, while the server runs.
    let out = std::process::Command::new(common::vigil_bin())
        .args([
            "users",
            "add",
            "dana",
            "--role",
            "auditor",
            "--password-stdin",
            "--data-dir",
            &d,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(b"dana-long-password-1\n")?;
            }
            child.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        login(&server, "dana", "dana-long-password-1")
            .status()
            .as_u16(),
        200
    );
    let out = vigil(&[
        "users",
        "set-role",
        "dana",
        "--role",
        "analyst",
        "--data-dir",
        &d,
    ]);
    assert!(out.status.success());
    let out = vigil(&["users", "reset-password", "dana", "--data-dir", &d]);
    assert!(out.status.success());
    let new_password = common::stdout(&out).trim().to_string();
    assert_eq!(
        login(&server, "dana", "dana-long-password-1")
            .status()
            .as_u16(),
        401
    );
    let r = login(&server, "dana", &new_password);
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.json::<Value>().unwrap_or(Value::Null)["role"], "analyst");
    let out = vigil(&["users", "disable", "dana", "--data-dir", &d]);
    assert!(out.status.success());
    assert_eq!(login(&server, "dana", &new_password).status().as_u16(), 401);
    let out = vigil(&["users", "list", "--json", "--data-dir", &d]);
    let users: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let dana = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == "dana"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(dana["disabled"], true, "{users}");
    assert!(!users.to_string().contains("argon2"), "no hashes listed");
    server.stop();
    // The CLI's changes are in the audit trail, which verifies.
    let out = vigil(&["verify", "--audit", "--data-dir", &d]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
}
