//! Web UI sessions.
//!
//! Owns the `auth_sessions` table: creating a session for a verified user (session id and
//! CSRF token are returned once and stored only as SHA-256 digests), validating a session
//! cookie against the idle and absolute timeouts of a [`SessionPolicy`], CSRF checks and
//! logout. It must never store or log a session id or CSRF token, and must never extend a
//! session past its absolute timeout.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use sqlx::{Row, SqlitePool};

use crate::clock::{from_millis, to_millis, SharedClock};
use crate::error::{AuthError, Result};
use crate::principal::{AuthMethod, CsrfDigest, Principal};
use crate::secret::{random_b64url_32, sha256};
use crate::users::{grants_from_json, User};

/// Session lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends (default 30 minutes).
    pub idle_timeout: Duration,
    /// A session ends this long after login, however active (default 12 hours).
    pub absolute_timeout: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
        }
    }
}

/// The secrets of a new session: set `id` as the session cookie (`HttpOnly`,
/// `SameSite=Strict`, `Secure` under TLS) and give `csrf_token` to the UI, which sends it
/// back in a header on every state-changing request. `Debug` hides both.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionSecrets {
    /// The session id (cookie value).
    pub id: String,
    /// The CSRF token.
    pub csrf_token: String,
    /// When the session ends at the latest (cookie `Max-Age`/`Expires`).
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for SessionSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionSecrets")
            .field("id", &"[redacted]")
            .field("csrf_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The `auth_sessions` table. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct SessionStore {
    pool: SqlitePool,
    clock: SharedClock,
    policy: SessionPolicy,
}

impl SessionStore {
    /// A store over an already-migrated pool (use [`crate::AuthStore::new`] to migrate).
    pub fn new(pool: SqlitePool, clock: SharedClock, policy: SessionPolicy) -> Self {
        SessionStore {
            pool,
            clock,
            policy,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// Start a session for a user that has just been verified
    /// ([`crate::UserStore::verify_password`]). Refused for disabled users.
    pub async fn create(&self, user: &User) -> Result<SessionSecrets> {
        if user.disabled {
            return Err(AuthError::InvalidCredentials);
        }
        let id = random_b64url_32()?;
        let csrf_token = random_b64url_32()?;
        let now = self.clock.now();
        sqlx::query(
            "INSERT INTO auth_sessions (id_hash, user, csrf_hash, created_at, last_seen_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&sha256(id.as_bytes())[..])
        .bind(&user.name)
        .bind(&sha256(csrf_token.as_bytes())[..])
        .bind(to_millis(now))
        .bind(to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(SessionSecrets {
            id,
            csrf_token,
            expires_at: now + self.policy.absolute_timeout,
        })
    }

    /// Validate a session cookie. Unknown, logged-out, idle-expired and absolutely expired
    /// sessions, and sessions of disabled or deleted users, give
    /// [`AuthError::SessionExpired`] (expired ones are deleted). On success the idle timer
    /// restarts and the principal carries the user's *current* role and grants.
    pub async fn validate(&self, session_id: &str) -> Result<Principal> {
        if session_id.is_empty() || session_id.len() > 128 {
            return Err(AuthError::SessionExpired);
        }
        let id_hash = sha256(session_id.as_bytes());
        let now = self.clock.now();
        let row = sqlx::query(
            "SELECT s.user, s.csrf_hash, s.created_at, s.last_seen_at, u.role, u.grants, u.disabled
             FROM auth_sessions s LEFT JOIN auth_users u ON u.name = s.user
             WHERE s.id_hash = ?",
        )
        .bind(&id_hash[..])
        .fetch_optional(&self.pool)
        .await?
        .ok_or(AuthError::SessionExpired)?;
        let created = from_millis(row.try_get("created_at")?)?;
        let last_seen = from_millis(row.try_get("last_seen_at")?)?;
        let role: Option<String> = row.try_get("role")?;
        let disabled = row.try_get::<Option<i64>, _>("disabled")?.unwrap_or(1) != 0;
        let expired = now - last_seen >= self.policy.idle_timeout
            || now - created >= self.policy.absolute_timeout;
        let Some(role) = role.filter(|_| !disabled && !expired) else {
            self.delete(&id_hash).await?;
            return Err(AuthError::SessionExpired);
        };
        let csrf: Vec<u8> = row.try_get("csrf_hash")?;
        let csrf: [u8; 32] = csrf
            .try_into()
            .map_err(|_| AuthError::Corrupt("csrf digest length".to_string()))?;
        let grants: Option<String> = row.try_get("grants")?;
        let principal = Principal {
            user: row.try_get("user")?,
            role: role
                .parse()
                .map_err(|_| AuthError::Corrupt(format!("role {role:?}")))?,
            grants: grants_from_json(grants.as_deref().unwrap_or("[]"))?,
            via: AuthMethod::Session {
                csrf: CsrfDigest(csrf),
            },
        };
        sqlx::query("UPDATE auth_sessions SET last_seen_at = ? WHERE id_hash = ?")
            .bind(to_millis(now))
            .bind(&id_hash[..])
            .execute(&self.pool)
            .await?;
        Ok(principal)
    }

    /// Constant-time CSRF check for a session principal. Returns false for principals that
    /// did not authenticate with a session (for middleware, [`Principal::csrf_ok`] is the
    /// one to call: it lets token principals through).
    pub fn check_csrf(principal: &Principal, presented: &str) -> bool {
        match &principal.via {
            AuthMethod::Session { csrf } => csrf.matches(presented),
            AuthMethod::Token { .. } => false,
        }
    }

    /// End a session. Returns whether it existed.
    pub async fn logout(&self, session_id: &str) -> Result<bool> {
        self.delete(&sha256(session_id.as_bytes())).await
    }

    /// End every session of a user. Returns how many there were.
    pub async fn logout_user(&self, user: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM auth_sessions WHERE user = ?")
            .bind(user)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Delete every expired session (housekeeping; validation already refuses them).
    pub async fn prune_expired(&self) -> Result<u64> {
        let now = self.clock.now();
        Ok(
            sqlx::query("DELETE FROM auth_sessions WHERE last_seen_at <= ? OR created_at <= ?")
                .bind(to_millis(now - self.policy.idle_timeout))
                .bind(to_millis(now - self.policy.absolute_timeout))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Number of live rows (including expired ones not yet pruned).
    pub async fn count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM auth_sessions")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    async fn delete(&self, id_hash: &[u8; 32]) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM auth_sessions WHERE id_hash = ?")
            .bind(&id_hash[..])
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }
}
