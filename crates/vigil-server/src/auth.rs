//! Who may call what: the one table of every route's required access ([`ROUTES`]), the
//! middleware that authenticates each request and checks it against that table, CSRF for
//! cookie sessions, source binding for ingest tokens, and the security headers every
//! response carries.
//!
//! Credentials, in order: `Authorization: Bearer vgl_…` (API token), `Authorization:
//! Splunk vgl_…` (HEC clients), `Authorization: Basic` with the token as password (the
//! Elasticsearch-compatible routes, as rsyslog's omelasticsearch `uid`/`pwd` and Beats send
//! it), or the `vigil_session` cookie (web UI; state-changing requests must also carry
//! `X-CSRF-Token`). A route missing from [`ROUTES`] is refused.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;
use vigil_auth::{
    authorize, check, Access, AccessDecision, Actor, AuditAction, AuditRecord, AuthStore,
    LoginThrottle, Outcome, Permission as P, Principal, RouteRule,
};

use crate::api::AppState;
use crate::audit::AuditLog;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "vigil_session";
/// Header carrying the CSRF token on state-changing cookie requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

const fn r(method: &'static str, path: &'static str, access: Access) -> RouteRule {
    RouteRule::new(method, path, access)
}
const PUBLIC: Access = Access::Public;
const AUTHENTICATED: Access = Access::Authenticated;
const fn need(p: P) -> Access {
    Access::Need(p)
}

/// Every route the server mounts, with the access it needs. `HEAD` is looked up as `GET`.
/// A unit test checks that every `.route(…)` in the router's source files is listed here
/// and every entry here is mounted.
pub const ROUTES: &[RouteRule] = &[
    // api.rs
    r("POST", "/api/v1/ingest", need(P::IngestEvents)),
    r("GET", "/api/v1/search", need(P::SearchEvents)),
    r("GET", "/api/v1/fields", need(P::SearchEvents)),
    // Public so load balancers and monitors can probe it; anonymous callers get only
    // `{"status": …}`, the figures need `view_health`.
    r("GET", "/api/v1/health", PUBLIC),
    r("GET", "/metrics", need(P::ViewMetrics)),
    // detection_api.rs
    r("GET", "/api/v1/alerts", need(P::ViewAlerts)),
    r("GET", "/api/v1/alerts/{id}", need(P::ViewAlerts)),
    r("POST", "/api/v1/alerts/{id}/status", need(P::WorkAlerts)),
    r("GET", "/api/v1/rules", need(P::ViewRules)),
    r("POST", "/api/v1/rules/reload", need(P::ManageRules)),
    // auth_api.rs
    r("POST", "/api/v1/login", PUBLIC),
    r("POST", "/api/v1/logout", AUTHENTICATED),
    r("GET", "/api/v1/me", AUTHENTICATED),
    r("GET", "/api/v1/users", need(P::ViewUsers)),
    r("POST", "/api/v1/users", need(P::ManageUsers)),
    r("POST", "/api/v1/users/{name}/disable", need(P::ManageUsers)),
    r("POST", "/api/v1/users/{name}/enable", need(P::ManageUsers)),
    r("POST", "/api/v1/users/{name}/role", need(P::ManageUsers)),
    r(
        "POST",
        "/api/v1/users/{name}/reset-password",
        need(P::ManageUsers),
    ),
    r("GET", "/api/v1/tokens", need(P::OwnAccount)),
    r("POST", "/api/v1/tokens", need(P::OwnAccount)),
    r("DELETE", "/api/v1/tokens/{id}", need(P::OwnAccount)),
    r("GET", "/api/v1/audit", need(P::ReadAuditTrail)),
    // shippers.rs: Elasticsearch-compatible (the handshake calls need the shipper's
    // credentials too: they reveal nothing, but nothing anonymous is needed either).
    r("GET", "/", need(P::IngestEvents)),
    r("POST", "/_bulk", need(P::IngestEvents)),
    r("PUT", "/_bulk", need(P::IngestEvents)),
    r("POST", "/{index}/_bulk", need(P::IngestEvents)),
    r("PUT", "/{index}/_bulk", need(P::IngestEvents)),
    r("GET", "/_license", need(P::IngestEvents)),
    r("GET", "/_xpack", need(P::IngestEvents)),
    r("GET", "/_template/{name}", need(P::IngestEvents)),
    r("PUT", "/_template/{name}", need(P::IngestEvents)),
    r("GET", "/_index_template/{name}", need(P::IngestEvents)),
    r("PUT", "/_index_template/{name}", need(P::IngestEvents)),
    r("GET", "/_ilm/policy/{name}", need(P::IngestEvents)),
    r("PUT", "/_ilm/policy/{name}", need(P::IngestEvents)),
    r("GET", "/_ingest/pipeline/{name}", need(P::IngestEvents)),
    r("PUT", "/_ingest/pipeline/{name}", need(P::IngestEvents)),
    r("GET", "/_nodes", need(P::IngestEvents)),
    r("GET", "/_nodes/{*rest}", need(P::IngestEvents)),
    r("GET", "/_cluster/health", need(P::IngestEvents)),
    r("GET", "/_cluster/health/{*rest}", need(P::IngestEvents)),
    r("GET", "/_cat/health", need(P::IngestEvents)),
    // shippers.rs: Splunk HTTP Event Collector (health is unauthenticated, as in Splunk).
    r("POST", "/services/collector", need(P::IngestEvents)),
    r("POST", "/services/collector/event", need(P::IngestEvents)),
    r(
        "POST",
        "/services/collector/event/1.0",
        need(P::IngestEvents),
    ),
    r("POST", "/services/collector/raw", need(P::IngestEvents)),
    r("POST", "/services/collector/raw/1.0", need(P::IngestEvents)),
    r("POST", "/services/collector/ack", need(P::IngestEvents)),
    r("GET", "/services/collector/health", PUBLIC),
    r("GET", "/services/collector/health/1.0", PUBLIC),
    // otlp.rs: OTLP/HTTP logs.
    r("POST", "/v1/logs", need(P::IngestEvents)),
];

/// The ingest source name a route sends as (what a source-bound token must match).
pub fn ingest_source(path: &str) -> &'static str {
    if path == "/api/v1/ingest" {
        crate::api::HTTP_SOURCE
    } else if path.starts_with("/services/collector") {
        crate::shippers::HEC_SOURCE
    } else if is_otlp(path) {
        crate::otlp::OTLP_SOURCE
    } else {
        crate::shippers::ES_SOURCE
    }
}

/// The security half of the server state.
pub struct Security {
    /// Users, tokens, sessions.
    pub store: AuthStore,
    /// Login throttling.
    pub throttle: LoginThrottle,
    /// The audit trail.
    pub audit: Arc<AuditLog>,
    /// Authentication required (`[auth] enabled`).
    pub enabled: bool,
    /// Serving HTTPS (cookies get `Secure`, responses HSTS).
    pub tls: bool,
    /// Requests that presented a wrong or expired token or session.
    pub credential_failures: AtomicU64,
}

/// The caller of a request, as the middleware established it.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The authenticated principal (None: anonymous, or auth disabled).
    pub principal: Option<Principal>,
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// The session id from the cookie, when the principal authenticated with one.
    pub session: Option<SessionId>,
}

/// A session cookie value. `Debug` hides it.
#[derive(Clone)]
pub struct SessionId(pub String);

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

impl Caller {
    /// The audit actor.
    pub fn actor(&self) -> Actor {
        self.principal
            .as_ref()
            .map_or(Actor::Anonymous, Actor::from_principal)
    }

    /// A new audit record by this caller.
    pub fn audit(&self, action: AuditAction, outcome: Outcome) -> AuditRecord {
        AuditRecord::new(chrono::Utc::now(), self.actor(), action, outcome).with_source_ip(self.ip)
    }

    /// Whether the caller has `permission` (always, with auth off).
    pub fn allows(&self, permission: P, enabled: bool) -> bool {
        !enabled
            || self
                .principal
                .as_ref()
                .is_some_and(|p| p.allows(permission))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default())
    }
}

/// The credential a request presented.
enum Presented {
    Token(String),
    Session(String),
    None,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn presented(headers: &HeaderMap, basic_allowed: bool) -> Presented {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("splunk") {
            return Presented::Token(rest.to_string());
        }
        if scheme.eq_ignore_ascii_case("basic") && basic_allowed {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            if let Some((_, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
                return Presented::Token(password.to_string());
            }
        }
        // An Authorization header we do not understand counts as a bad credential.
        return Presented::Token(String::new());
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(id) => Presented::Session(id),
        None => Presented::None,
    }
}

fn is_hec(path: &str) -> bool {
    path.starts_with("/services/collector")
}

fn is_otlp(path: &str) -> bool {
    path == crate::otlp::LOGS_PATH
}

fn is_es(path: &str) -> bool {
    !path.starts_with("/api/") && !is_hec(path) && !is_otlp(path) && path != "/metrics"
}

/// A refusal in the shape the route's clients understand.
fn refuse(path: &str, status: StatusCode, message: &str) -> Response {
    let mut response = if is_hec(path) {
        let (text, code) = if status == StatusCode::UNAUTHORIZED {
            ("Token is required", 2)
        } else {
            ("Invalid token", 4)
        };
        (
            status,
            Json(json!({ "text": text, "code": code, "error": message })),
        )
            .into_response()
    } else if is_es(path) {
        let cause = json!({ "type": "security_exception", "reason": message });
        (
            status,
            Json(json!({
                "error": { "root_cause": [cause], "type": "security_exception", "reason": message },
                "status": status.as_u16(),
            })),
        )
            .into_response()
    } else {
        (status, Json(json!({ "error": message }))).into_response()
    };
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if is_es(path) {
            "Basic realm=\"vigil\", Bearer realm=\"vigil\""
        } else {
            "Bearer realm=\"vigil\""
        };
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    response
}

fn state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The authentication and authorisation middleware (a `route_layer`, so `MatchedPath` is set).
pub async fn middleware(
    State(state): State<Arc<AppState>>,
    matched: Option<MatchedPath>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let path = matched.as_ref().map_or("", |m| m.as_str()).to_string();
    let method = request.method().clone();
    let lookup = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    let sec = &state.security;
    let Some(rule) = check(ROUTES, lookup, &path) else {
        tracing::error!(method = %method, path = %path, "route has no declared access: refused");
        let status = if cfg!(debug_assertions) {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::FORBIDDEN
        };
        return refuse(&path, status, "this route declares no access rule");
    };
    let mut caller = Caller {
        principal: None,
        ip,
        session: None,
    };
    if !sec.enabled {
        request.extensions_mut().insert(caller);
        return next.run(request).await;
    }
    // OTel collectors' basicauth extension sends Basic too.
    let credential = presented(request.headers(), is_es(&path) || is_otlp(&path));
    let credential_kind = match &credential {
        Presented::None => "none",
        Presented::Token(_) => "token",
        Presented::Session(_) => "session",
    };
    let authenticated = match credential {
        Presented::None => Ok(None),
        Presented::Token(secret) => sec.store.tokens.authenticate(&secret).await.map(Some),
        Presented::Session(id) => {
            let result = sec.store.sessions.validate(&id).await.map(Some);
            if result.is_ok() {
                caller.session = Some(SessionId(id));
            }
            result
        }
    };
    match authenticated {
        Ok(p) => caller.principal = p,
        Err(e) if e.is_unauthenticated() => {
            // A wrong or expired token/session is an authentication failure on the record
            // (and in the event stream, where Vigil's own rules watch for guessing); the
            // secret itself is never written.
            sec.credential_failures.fetch_add(1, Ordering::Relaxed);
            let record = caller
                .audit(AuditAction::LoginFailed, Outcome::Failure)
                .with_target(format!("{method} {path}"))
                .with_details(json!({ "credential": credential_kind }));
            sec.audit.record(record).await;
            if rule.access != Access::Public {
                // Splunk answers a bad token with 403 "Invalid token"; everything else 401.
                let status = if is_hec(&path) {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::UNAUTHORIZED
                };
                return refuse(&path, status, "invalid or expired credentials");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot check credentials");
            return refuse(
                &path,
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot check credentials",
            );
        }
    }
    match authorize(ROUTES, lookup, &path, caller.principal.as_ref()) {
        AccessDecision::Allow => {}
        AccessDecision::Unauthenticated => {
            return refuse(&path, StatusCode::UNAUTHORIZED, "authentication required");
        }
        AccessDecision::Forbidden(p) => {
            let record = caller
                .audit(AuditAction::AccessDenied, Outcome::Denied)
                .with_target(format!("{method} {path}"))
                .with_details(json!({ "permission": p.as_str() }));
            sec.audit.record(record).await;
            return refuse(
                &path,
                StatusCode::FORBIDDEN,
                &format!("permission '{p}' is required"),
            );
        }
        AccessDecision::Undeclared => {
            return refuse(&path, StatusCode::FORBIDDEN, "route declares no access");
        }
    }
    if let Some(principal) = &caller.principal {
        if state_changing(&method) {
            let presented = request
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok());
            if !principal.csrf_ok(presented) {
                let record = caller
                    .audit(AuditAction::AccessDenied, Outcome::Denied)
                    .with_target(format!("{method} {path}"))
                    .with_details(json!({ "reason": "missing or wrong CSRF header" }));
                sec.audit.record(record).await;
                return refuse(
                    &path,
                    StatusCode::FORBIDDEN,
                    "missing or wrong X-CSRF-Token header",
                );
            }
        }
        if rule.access == Access::Need(P::IngestEvents) {
            let source = ingest_source(&path);
            if !principal.may_send_as(source) {
                let record = caller
                    .audit(AuditAction::AccessDenied, Outcome::Denied)
                    .with_target(format!("{method} {path}"))
                    .with_details(
                        json!({ "reason": "token bound to another source", "source": source }),
                    );
                sec.audit.record(record).await;
                return refuse(
                    &path,
                    StatusCode::FORBIDDEN,
                    &format!("this token may not send as source '{source}'"),
                );
            }
        }
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Adds the security headers to every response (and HSTS under TLS).
pub async fn security_headers(State(tls): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.route("PATH", get(..).post(..))` in the router sources, as (METHOD, PATH).
    fn mounted() -> Vec<(String, String)> {
        let sources = [
            include_str!("api.rs"),
            include_str!("detection_api.rs"),
            include_str!("shippers.rs"),
            include_str!("auth_api.rs"),
            include_str!("otlp.rs"),
        ];
        let mut out = Vec::new();
        for src in sources {
            let mut rest = src;
            while let Some(at) = rest.find(".route(") {
                rest = &rest[at + ".route(".len()..];
                // The call's text up to its matching parenthesis.
                let mut depth = 1;
                let mut end = 0;
                for (i, c) in rest.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let call = &rest[..end];
                let Some(start) = call.find('"') else {
                    continue;
                };
                let Some(len) = call[start + 1..].find('"') else {
                    continue;
                };
                let path = &call[start + 1..start + 1 + len];
                let methods = &call[start + 1 + len..];
                for m in ["get", "post", "put", "delete", "patch"] {
                    let direct = format!("{m}(");
                    let chained = format!(".{m}(");
                    let hit = methods
                        .split(|c: char| c.is_whitespace() || c == ',')
                        .any(|w| w.starts_with(&direct) || w.starts_with(&chained))
                        || methods.contains(&chained);
                    if hit {
                        out.push((m.to_uppercase(), path.to_string()));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_mounted_route_is_declared_and_every_declared_route_is_mounted() {
        let mounted = mounted();
        assert!(
            mounted.len() > 40,
            "route scan found too little: {mounted:?}"
        );
        for (method, path) in &mounted {
            assert!(
                check(ROUTES, method, path).is_some(),
                "{method} {path} is mounted but not declared in ROUTES"
            );
        }
        for rule in ROUTES {
            assert!(
                mounted
                    .iter()
                    .any(|(m, p)| m == rule.method && p == rule.path),
                "{} {} is declared in ROUTES but not mounted",
                rule.method,
                rule.path
            );
        }
        let mut seen = std::collections::HashSet::new();
        for rule in ROUTES {
            assert!(
                seen.insert((rule.method, rule.path)),
                "duplicate ROUTES entry {} {}",
                rule.method,
                rule.path
            );
        }
    }

    #[test]
    fn no_route_modifies_events() {
        // Event resources accept only reads and appends.
        for rule in ROUTES {
            assert!(
                !(rule.method == "DELETE" || rule.method == "PATCH")
                    || rule.path.starts_with("/api/v1/tokens"),
                "{} {} would change stored data",
                rule.method,
                rule.path
            );
        }
    }
}
