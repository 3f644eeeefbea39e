//! Account endpoints: login/logout/me, users, API tokens and the audit trail. What each
//! needs is declared in [`crate::auth::ROUTES`]; the handlers add the finer rules (only
//! admins create tokens for others, a token never exceeds its issuer) and write an audit
//! record for every change. Secrets (passwords, token secrets, session ids, CSRF tokens)
//! appear only in the one response that hands them out.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use vigil_auth::{
    issuable, AuditAction, AuthError, Grant, NewToken, Outcome, Permission, Role, ThrottleDecision,
};

use crate::api::{parse_range, ApiError, AppState};
use crate::audit::AuditFilter;
use crate::auth::{Caller, SESSION_COOKIE};

/// The account routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(add_user))
        .route("/api/v1/users/{name}/disable", post(disable_user))
        .route("/api/v1/users/{name}/enable", post(enable_user))
        .route("/api/v1/users/{name}/role", post(set_role))
        .route("/api/v1/users/{name}/reset-password", post(reset_password))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(read_audit))
}

/// Maps a library error to a client answer (never carries a secret: `AuthError` holds none).
fn auth_error(e: AuthError) -> ApiError {
    let status = match &e {
        e if e.is_unauthenticated() => StatusCode::UNAUTHORIZED,
        AuthError::WeakPassword(_) | AuthError::InvalidName(_) | AuthError::UnknownName(_) => {
            StatusCode::BAD_REQUEST
        }
        AuthError::UserExists(_) => StatusCode::CONFLICT,
        AuthError::NoSuchUser(_) | AuthError::NoSuchToken(_) => StatusCode::NOT_FOUND,
        AuthError::NotIssuable(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "account operation failed");
    }
    ApiError::new(status, e.to_string())
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))
}

fn parse_grants(grants: &[String]) -> Result<Vec<Grant>, ApiError> {
    grants
        .iter()
        .map(|g| g.parse::<Grant>().map_err(auth_error))
        .collect()
}

fn auth_off() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "authentication is disabled on this server ([auth] enabled = false)",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    #[serde(alias = "user", alias = "name")]
    username: String,
    password: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let sec = &state.security;
    if !sec.enabled {
        return Err(auth_off());
    }
    let user = body.username.trim().to_string();
    if let ThrottleDecision::Refuse { retry_after } = sec.throttle.check(&user, caller.ip) {
        let record = caller
            .audit(AuditAction::LoginFailed, Outcome::Denied)
            .with_target(user.clone())
            .with_details(
                json!({ "reason": "throttled", "retry_after_seconds": retry_after.as_secs() }),
            );
        sec.audit.record(record).await;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed logins: try again later",
        )
        .retry_after(retry_after.as_secs().max(1)));
    }
    match sec.store.users.verify_password(&user, &body.password).await {
        Ok(account) => {
            sec.throttle.record_success(&user);
            let session = sec
                .store
                .sessions
                .create(&account)
                .await
                .map_err(auth_error)?;
            let record = caller
                .audit(AuditAction::Login, Outcome::Success)
                .with_target(user.clone())
                .with_details(json!({ "method": "password" }));
            // The actor of a login is the user who just proved who they are.
            let record = vigil_auth::AuditRecord::new(
                record.time(),
                vigil_auth::Actor::User { name: user.clone() },
                AuditAction::Login,
                Outcome::Success,
            )
            .with_source_ip(caller.ip)
            .with_target(user.clone())
            .with_details(record.details().clone());
            sec.audit.record(record).await;
            let max_age = (session.expires_at - chrono::Utc::now())
                .num_seconds()
                .max(0);
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
                session.id,
                if sec.tls { "; Secure" } else { "" }
            );
            let mut response = Json(json!({
                "user": account.name,
                "role": account.role,
                "grants": account.grants,
                "csrf_token": session.csrf_token,
                "expires_at": session.expires_at,
            }))
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(e) if e.is_unauthenticated() => {
            let decision = sec.throttle.record_failure(&user, caller.ip);
            let record = caller
                .audit(AuditAction::LoginFailed, Outcome::Failure)
                .with_target(user.clone())
                .with_details(json!({ "reason": "invalid credentials" }));
            sec.audit.record(record).await;
            if let ThrottleDecision::Refuse { retry_after } = decision {
                let record = caller
                    .audit(AuditAction::Lockout, Outcome::Denied)
                    .with_target(user.clone())
                    .with_details(json!({ "lockout_seconds": retry_after.as_secs() }));
                sec.audit.record(record).await;
            }
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid credentials",
            ))
        }
        Err(e) => Err(auth_error(e)),
    }
}

async fn logout(State(state): State<Arc<AppState>>, caller: Caller) -> Result<Response, ApiError> {
    let sec = &state.security;
    if let Some(session) = &caller.session {
        sec.store
            .sessions
            .logout(&session.0)
            .await
            .map_err(auth_error)?;
    }
    sec.audit
        .record(caller.audit(AuditAction::Logout, Outcome::Success))
        .await;
    let mut response = Json(json!({ "logged_out": true })).into_response();
    let clear = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if sec.tls { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

async fn me(caller: Caller) -> Result<Json<Value>, ApiError> {
    let Some(p) = caller.principal else {
        return Err(auth_off());
    };
    let permissions: Vec<&str> = Permission::ALL
        .iter()
        .filter(|perm| p.allows(**perm))
        .map(|perm| perm.as_str())
        .collect();
    Ok(Json(json!({
        "user": p.user,
        "role": p.role,
        "grants": p.grants,
        "via": p.via,
        "permissions": permissions,
    })))
}

async fn list_users(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let users = state
        .security
        .store
        .users
        .list()
        .await
        .map_err(auth_error)?;
    Ok(Json(json!({ "users": users })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    name: String,
    role: String,
    #[serde(default)]
    grants: Vec<String>,
    /// Omitted: a password is generated and returned once.
    password: Option<String>,
}

async fn add_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let role: Role = body.role.parse().map_err(auth_error)?;
    let grants = parse_grants(&body.grants)?;
    let users = &state.security.store.users;
    let (password, generated) = match body.password {
        Some(p) => (p, false),
        None => (random_password()?, true),
    };
    let result = users
        .add_with_grants(&body.name, role, &grants, &password)
        .await;
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let record = caller
        .audit(AuditAction::UserAdd, outcome)
        .with_target(body.name.clone())
        .with_details(json!({ "role": role, "grants": grants }));
    state.security.audit.record(record).await;
    let user = result.map_err(auth_error)?;
    let mut answer = json!({ "user": user });
    if generated {
        // Shown once; stored only as an Argon2id hash.
        let reset = users.reset_password(&body.name).await.map_err(auth_error)?;
        answer["password"] = json!(reset);
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// A throw-away strong password for a new account (replaced by a generated one at once).
fn random_password() -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("random source failed: {e}"),
        )
    })?;
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

async fn user_change(
    state: &AppState,
    caller: &Caller,
    action: AuditAction,
    name: &str,
    details: Value,
    result: Result<(), AuthError>,
) -> Result<(), ApiError> {
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let record = caller
        .audit(action, outcome)
        .with_target(name.to_string())
        .with_details(details);
    state.security.audit.record(record).await;
    result.map_err(auth_error)
}

async fn disable_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let result = state.security.store.users.disable(&name).await;
    user_change(
        &state,
        &caller,
        AuditAction::UserDisable,
        &name,
        json!({}),
        result,
    )
    .await?;
    Ok(Json(json!({ "user": name, "disabled": true })))
}

async fn enable_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let result = state.security.store.users.enable(&name).await;
    user_change(
        &state,
        &caller,
        AuditAction::UserEnable,
        &name,
        json!({}),
        result,
    )
    .await?;
    Ok(Json(json!({ "user": name, "disabled": false })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
    #[serde(default)]
    grants: Vec<String>,
}

async fn set_role(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    body: Result<Json<RoleBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(body)?;
    let role: Role = body.role.parse().map_err(auth_error)?;
    let grants = parse_grants(&body.grants)?;
    let result = state
        .security
        .store
        .users
        .set_role(&name, role, &grants)
        .await;
    let details = json!({ "role": role, "grants": grants });
    user_change(
        &state,
        &caller,
        AuditAction::UserSetRole,
        &name,
        details,
        result,
    )
    .await?;
    Ok(Json(
        json!({ "user": name, "role": role, "grants": grants }),
    ))
}

async fn reset_password(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let result = state.security.store.users.reset_password(&name).await;
    let (unit, password) = match result {
        Ok(p) => (Ok(()), Some(p)),
        Err(e) => (Err(e), None),
    };
    let details = json!({ "kind": "reset" });
    user_change(
        &state,
        &caller,
        AuditAction::UserPassword,
        &name,
        details,
        unit,
    )
    .await?;
    Ok(Json(json!({ "user": name, "password": password })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenListParams {
    owner: Option<String>,
}

async fn list_tokens(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<TokenListParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let sec = &state.security;
    let all = caller.allows(Permission::ManageTokens, sec.enabled);
    let own = caller.principal.as_ref().map(|p| p.user.clone());
    let owner = match (all, params.owner, own) {
        (true, requested, _) => requested,
        (false, Some(requested), Some(me)) if requested == me => Some(me),
        (false, None, Some(me)) => Some(me),
        _ => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "only your own tokens (permission 'manage_tokens' lists others)",
            ))
        }
    };
    let tokens = sec
        .store
        .tokens
        .list(owner.as_deref())
        .await
        .map_err(auth_error)?;
    Ok(Json(json!({ "tokens": tokens })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenBody {
    name: String,
    /// Default: the caller.
    owner: Option<String>,
    /// Default: the caller's role.
    role: Option<String>,
    #[serde(default)]
    grants: Vec<String>,
    source: Option<String>,
    /// Lifetime ("30d", "12h"); omitted: no expiry.
    ttl: Option<String>,
}

async fn create_token(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let sec = &state.security;
    let Some(issuer) = caller.principal.clone() else {
        return Err(auth_off());
    };
    let role: Role = match &body.role {
        Some(r) => r.parse().map_err(auth_error)?,
        None => issuer.role,
    };
    let grants = parse_grants(&body.grants)?;
    let owner = body.owner.clone().unwrap_or_else(|| issuer.user.clone());
    if owner != issuer.user && !issuer.allows(Permission::ManageTokens) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only your own tokens (permission 'manage_tokens' creates them for others)",
        ));
    }
    if !issuable(issuer.role, &issuer.grants, role, &grants) {
        let record = caller
            .audit(AuditAction::TokenCreate, Outcome::Denied)
            .with_target(owner.clone())
            .with_details(json!({ "role": role, "grants": grants }));
        sec.audit.record(record).await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("a {} may not issue a {role} token", issuer.role),
        ));
    }
    let ttl = match body.ttl.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            crate::config::parse_duration(text)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))
                .and_then(|d| {
                    chrono::Duration::from_std(d)
                        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))
                })?,
        ),
    };
    let result = sec
        .store
        .tokens
        .create(NewToken {
            owner: owner.clone(),
            name: body.name.clone(),
            role,
            grants: grants.clone(),
            source: body.source.clone(),
            ttl,
        })
        .await;
    let (outcome, target) = match &result {
        Ok((info, _)) => (Outcome::Success, info.id.clone()),
        Err(_) => (Outcome::Failure, owner.clone()),
    };
    let record = caller
        .audit(AuditAction::TokenCreate, outcome)
        .with_target(target)
        .with_details(json!({ "owner": owner, "role": role, "grants": grants, "source": body.source, "label": body.name }));
    sec.audit.record(record).await;
    let (info, secret) = result.map_err(auth_error)?;
    let mut response = (
        StatusCode::CREATED,
        Json(json!({ "token": info, "secret": secret })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn revoke_token(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sec = &state.security;
    let Some(info) = sec.store.tokens.get(&id).await.map_err(auth_error)? else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such token"));
    };
    let own = caller
        .principal
        .as_ref()
        .is_some_and(|p| p.user == info.owner);
    if !own && !caller.allows(Permission::ManageTokens, sec.enabled) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only your own tokens (permission 'manage_tokens' revokes others)",
        ));
    }
    let result = sec.store.tokens.revoke(&id).await;
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let record = caller
        .audit(AuditAction::TokenRevoke, outcome)
        .with_target(id.clone())
        .with_details(json!({ "owner": info.owner }));
    sec.audit.record(record).await;
    result.map_err(auth_error)?;
    Ok(Json(json!({ "id": id, "revoked": true })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    limit: Option<String>,
}

async fn read_audit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let range = parse_range(params.from.as_deref(), params.to.as_deref())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    let limit = match params.limit.as_deref() {
        None | Some("") => 1000,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("invalid limit '{text}': expected a number from 1 to 100000"),
                )
            })?,
    };
    let filter = AuditFilter {
        from: range.from,
        to: range.to,
        actor: params.actor.clone(),
        action: params.action.clone(),
    };
    let audit = state.security.audit.clone();
    let search_filter = filter.clone();
    let records = tokio::task::spawn_blocking(move || audit.search(&search_filter, limit))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
    let record = caller
        .audit(AuditAction::AuditRead, Outcome::Success)
        .with_details(json!({
            "from": params.from, "to": params.to, "actor": params.actor,
            "action": params.action, "result_count": records.len(),
        }));
    state.security.audit.record(record).await;
    Ok(Json(json!({ "total": records.len(), "records": records })))
}
