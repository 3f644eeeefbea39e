//! Users and their passwords.
//!
//! Owns the `auth_users` table: adding, listing, disabling and enabling users, changing
//! roles and passwords, verifying a login, and creating the initial `admin`. Passwords are
//! hashed with Argon2id (default parameters) on a blocking thread. It must never store,
//! log or return a password or its hash outside this module (except the one-time generated
//! passwords it hands to its caller), and must never reveal whether a failed login named an
//! unknown user, a disabled user, or a wrong password.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::clock::{from_millis, to_millis, SharedClock};
use crate::error::{AuthError, Result};
use crate::roles::{Grant, Role};
use crate::secret::{random_bytes, random_password};
use crate::tokens::issuable;

/// Minimum password length, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Maximum password length, in bytes (bounds the hashing work an attacker can request).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Length of generated passwords (initial admin, resets).
pub const GENERATED_PASSWORD_CHARS: usize = 20;
/// Name of the user created on first start.
pub const INITIAL_ADMIN: &str = "admin";

/// A user, without any password material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Unique login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Additive grants.
    pub grants: Vec<Grant>,
    /// Disabled users cannot log in; their sessions are ended and their tokens refused.
    pub disabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last password change (creation, reset or change).
    pub password_changed_at: DateTime<Utc>,
}

/// Check a password against the policy: at least [`MIN_PASSWORD_CHARS`] characters and at
/// most [`MAX_PASSWORD_BYTES`] bytes.
pub fn check_password_policy(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters long (got {chars})"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::WeakPassword(format!(
            "must be at most {MAX_PASSWORD_BYTES} bytes long"
        )));
    }
    Ok(())
}

/// Check a user/owner/source name: 1–64 characters from `A-Z a-z 0-9 . _ @ -`.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::InvalidName(format!(
            "{:?}: use 1-64 characters from A-Z a-z 0-9 . _ @ -",
            truncate(name, 80)
        )))
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub(crate) fn grants_to_json(grants: &[Grant]) -> Result<String> {
    let mut g = grants.to_vec();
    g.sort_by_key(|g| g.as_str());
    g.dedup();
    serde_json::to_string(&g).map_err(|e| AuthError::Corrupt(e.to_string()))
}

pub(crate) fn grants_from_json(s: &str) -> Result<Vec<Grant>> {
    serde_json::from_str(s).map_err(|e| AuthError::Corrupt(format!("grants {s:?}: {e}")))
}

/// Hash a password with Argon2id on a blocking thread.
pub(crate) async fn hash_password(password: String) -> Result<String> {
    let salt = random_bytes::<16>()?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// A valid Argon2id hash of a random, discarded password, used to spend the same time on
/// unknown users as on known ones.
fn dummy_hash() -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let salt = random_bytes::<16>()?;
    let pw = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    let h = Argon2::default()
        .hash_password(&pw, &salt)
        .map_err(|e| AuthError::Hash(e.to_string()))?
        .to_string();
    Ok(DUMMY.get_or_init(|| h))
}

/// Verify `password` against the PHC string `hash` (or the dummy hash when `None`) on a
/// blocking thread. Returns false on any mismatch or unparsable hash.
async fn verify_hash(hash: Option<String>, password: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let real = hash.is_some();
        let h = match hash {
            Some(h) => h,
            None => dummy_hash()?.to_string(),
        };
        let Ok(parsed) = PasswordHash::new(&h) else {
            return Ok(false);
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

const USER_COLUMNS: &str = "id, name, role, grants, disabled, created_at, password_changed_at";

fn user_from_row(row: &SqliteRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    let grants: String = row.try_get("grants")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: role
            .parse()
            .map_err(|_| AuthError::Corrupt(format!("role {role:?}")))?,
        grants: grants_from_json(&grants)?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: from_millis(row.try_get("created_at")?)?,
        password_changed_at: from_millis(row.try_get("password_changed_at")?)?,
    })
}

/// The `auth_users` table. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct UserStore {
    pool: SqlitePool,
    clock: SharedClock,
}

impl UserStore {
    /// A store over an already-migrated pool (use [`crate::AuthStore::new`] to migrate).
    pub fn new(pool: SqlitePool, clock: SharedClock) -> Self {
        UserStore { pool, clock }
    }

    /// Add a user with no grants. Fails on a bad name, a weak password or a duplicate.
    pub async fn add(&self, name: &str, role: Role, password: &str) -> Result<User> {
        self.add_with_grants(name, role, &[], password).await
    }

    /// Add a user with grants.
    pub async fn add_with_grants(
        &self,
        name: &str,
        role: Role,
        grants: &[Grant],
        password: &str,
    ) -> Result<User> {
        validate_name(name)?;
        check_password_policy(password)?;
        let hash = hash_password(password.to_string()).await?;
        let now = to_millis(self.clock.now());
        let res = sqlx::query(
            "INSERT INTO auth_users (name, role, grants, password_hash, disabled, created_at, password_changed_at)
             VALUES (?, ?, ?, ?, 0, ?, ?)",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(grants_to_json(grants)?)
        .bind(hash)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AuthError::UserExists(name.to_string()))
            }
            Err(e) => return Err(e.into()),
        }
        self.get(name)
            .await?
            .ok_or_else(|| AuthError::NoSuchUser(name.to_string()))
    }

    /// One user by name.
    pub async fn get(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM auth_users WHERE name = ?"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// All users, by name.
    pub async fn list(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM auth_users ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Number of users.
    pub async fn count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM auth_users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// Disable a user and end all their sessions. Their tokens are refused while disabled.
    pub async fn disable(&self, name: &str) -> Result<()> {
        self.set_disabled(name, true).await?;
        self.end_sessions(name).await
    }

    /// Re-enable a disabled user.
    pub async fn enable(&self, name: &str) -> Result<()> {
        self.set_disabled(name, false).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let r = sqlx::query("UPDATE auth_users SET disabled = ? WHERE name = ?")
            .bind(i64::from(disabled))
            .bind(name)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        Ok(())
    }

    async fn end_sessions(&self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM auth_sessions WHERE user = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replace a user's password with a random [`GENERATED_PASSWORD_CHARS`]-character one,
    /// end their sessions, and return it (show it once; it is stored only hashed).
    pub async fn reset_password(&self, name: &str) -> Result<String> {
        let password = random_password(GENERATED_PASSWORD_CHARS)?;
        self.set_password(name, &password).await?;
        Ok(password)
    }

    /// Set a user's password (policy-checked) and end their sessions.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<()> {
        check_password_policy(password)?;
        let hash = hash_password(password.to_string()).await?;
        let r = sqlx::query(
            "UPDATE auth_users SET password_hash = ?, password_changed_at = ? WHERE name = ?",
        )
        .bind(hash)
        .bind(to_millis(self.clock.now()))
        .bind(name)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        self.end_sessions(name).await
    }

    /// Change a user's role and grants. Sessions pick the new role up on their next
    /// request; the user's own tokens that the new role could not have issued (see
    /// [`crate::tokens::issuable`]), other than `ingest` tokens, are revoked.
    pub async fn set_role(&self, name: &str, role: Role, grants: &[Grant]) -> Result<()> {
        let r = sqlx::query("UPDATE auth_users SET role = ?, grants = ? WHERE name = ?")
            .bind(role.as_str())
            .bind(grants_to_json(grants)?)
            .bind(name)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        let rows = sqlx::query(
            "SELECT id, role, grants FROM auth_tokens WHERE owner = ? AND revoked_at IS NULL",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        let now = to_millis(self.clock.now());
        for row in rows {
            let id: String = row.try_get("id")?;
            let t_role: String = row.try_get("role")?;
            let t_grants: String = row.try_get("grants")?;
            let t_role: Role = t_role
                .parse()
                .map_err(|_| AuthError::Corrupt(format!("token role {t_role:?}")))?;
            let t_grants = grants_from_json(&t_grants)?;
            if t_role != Role::Ingest && !issuable(role, grants, t_role, &t_grants) {
                sqlx::query("UPDATE auth_tokens SET revoked_at = ? WHERE id = ?")
                    .bind(now)
                    .bind(&id)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Verify a login. Unknown user, disabled user and wrong password all return
    /// [`AuthError::InvalidCredentials`], and all run one Argon2 verification (against a
    /// dummy hash for unknown users) so their timing matches.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<User> {
        let row = if validate_name(name).is_ok() {
            sqlx::query(&format!(
                "SELECT {USER_COLUMNS}, password_hash FROM auth_users WHERE name = ?"
            ))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
        } else {
            None
        };
        let (user, hash) = match &row {
            Some(r) => (
                Some(user_from_row(r)?),
                Some(r.try_get::<String, _>("password_hash")?),
            ),
            None => (None, None),
        };
        // Over-long passwords are refused without hashing (bounded work), but only after
        // the lookup so that path's timing does not depend on the user existing.
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::InvalidCredentials);
        }
        let ok = verify_hash(hash, password.to_string()).await?;
        match user {
            Some(u) if ok && !u.disabled => Ok(u),
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    /// First start: when there are no users at all, create [`INITIAL_ADMIN`] with
    /// `env_password` (policy-checked; typically `VIGIL_ADMIN_PASSWORD`) or with a random
    /// [`GENERATED_PASSWORD_CHARS`]-character password. Returns `Some(generated)` only when
    /// a password was generated — the caller prints it once and keeps it nowhere else —
    /// and `None` when users already existed or the given password was used.
    pub async fn ensure_initial_admin(
        &self,
        env_password: Option<String>,
    ) -> Result<Option<String>> {
        if self.count().await? > 0 {
            return Ok(None);
        }
        let (password, generated) = match env_password {
            Some(p) => (p, false),
            None => (random_password(GENERATED_PASSWORD_CHARS)?, true),
        };
        match self.add(INITIAL_ADMIN, Role::Admin, &password).await {
            Ok(_) => Ok(generated.then_some(password)),
            // Another process created it between our count and insert.
            Err(AuthError::UserExists(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
