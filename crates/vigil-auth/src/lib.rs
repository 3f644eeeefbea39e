//! Vigil guards itself: users, roles, API tokens, web sessions, login throttling and typed
//! audit records (issue 5, library half).
//!
//! This crate owns the `auth_*` tables of the metadata database and the policy of who may
//! do what ([`role_allows`]). It must never store a password, token secret, session id or
//! CSRF token in the clear, never log one, and never offer a way to modify or delete stored
//! events. It knows nothing about HTTP: the server maps [`Principal`], [`AccessDecision`]
//! and [`AuthError`] onto requests and responses, and appends [`AuditRecord`]s to the
//! signed audit journal.
//!
//! Build an [`AuthStore`] from the server's `SqlitePool` (the same metadata database as
//! `vigil-alert`); it migrates its tables idempotently.

pub mod audit;
pub mod clock;
pub mod error;
pub mod principal;
pub mod roles;
mod secret;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use std::sync::Arc;

use sqlx::SqlitePool;

pub use audit::{redact, Actor, AuditAction, AuditRecord, Outcome};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use error::{AuthError, Result};
pub use principal::{AuthMethod, CsrfDigest, Principal};
pub use roles::{
    authorize, check, role_allows, Access, AccessDecision, Grant, Permission, Role, RouteRule,
};
pub use sessions::{SessionPolicy, SessionSecrets, SessionStore};
pub use throttle::{LoginThrottle, ThrottleDecision, ThrottlePolicy};
pub use tokens::{issuable, NewToken, TokenInfo, TokenStore, TOKEN_PREFIX};
pub use users::{check_password_policy, User, UserStore};

/// The schema, applied idempotently by [`AuthStore::new`]. Times are Unix milliseconds.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS auth_users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        grants TEXT NOT NULL DEFAULT '[]',
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        password_changed_at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS auth_tokens (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        grants TEXT NOT NULL DEFAULT '[]',
        source TEXT,
        secret_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER,
        revoked_at INTEGER
    )",
    "CREATE INDEX IF NOT EXISTS auth_tokens_owner ON auth_tokens(owner)",
    "CREATE TABLE IF NOT EXISTS auth_sessions (
        id_hash BLOB PRIMARY KEY,
        user TEXT NOT NULL,
        csrf_hash BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS auth_sessions_user ON auth_sessions(user)",
];

/// Create the `auth_*` tables if missing. Safe to run on every start.
pub async fn migrate(pool: &SqlitePool) -> Result<()> {
    for stmt in MIGRATIONS {
        sqlx::query(stmt).execute(pool).await?;
    }
    Ok(())
}

/// Everything persistent, over one pool. Cheap to clone.
#[derive(Clone)]
pub struct AuthStore {
    /// Users and passwords.
    pub users: UserStore,
    /// API tokens.
    pub tokens: TokenStore,
    /// Web sessions.
    pub sessions: SessionStore,
    clock: SharedClock,
}

impl AuthStore {
    /// Migrate and open with the system clock and the default [`SessionPolicy`].
    pub async fn new(pool: SqlitePool) -> Result<Self> {
        Self::with_options(pool, Arc::new(SystemClock), SessionPolicy::default()).await
    }

    /// Migrate and open with an explicit clock (tests) and session policy (config).
    pub async fn with_options(
        pool: SqlitePool,
        clock: SharedClock,
        policy: SessionPolicy,
    ) -> Result<Self> {
        migrate(&pool).await?;
        Ok(AuthStore {
            users: UserStore::new(pool.clone(), clock.clone()),
            tokens: TokenStore::new(pool.clone(), clock.clone()),
            sessions: SessionStore::new(pool, clock.clone(), policy),
            clock,
        })
    }

    /// The clock the stores use (hand it to [`LoginThrottle::new`] too).
    pub fn clock(&self) -> SharedClock {
        self.clock.clone()
    }
}
