//! API tokens for automation (`Authorization: Bearer vgl_…`).
//!
//! Owns the `auth_tokens` table: creating a token (its secret is returned once and stored
//! only as a SHA-256 digest), authenticating a presented secret, revoking, listing, and the
//! rule for which roles an issuer may put on a token ([`issuable`]). It must never store,
//! log or return a token secret after [`TokenStore::create`] returns it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::clock::{from_millis, to_millis, SharedClock};
use crate::error::{AuthError, Result};
use crate::principal::{AuthMethod, Principal};
use crate::roles::{Grant, Permission, Role};
use crate::secret::{random_b64url_32, random_bytes, sha256};
use crate::users::{grants_from_json, grants_to_json, validate_name};

/// Prefix of every token secret (lets secret scanners recognise leaked Vigil tokens).
pub const TOKEN_PREFIX: &str = "vgl_";

/// `last_used_at` is written at most this often per token, so a busy shipper does not
/// turn every request into a database write.
pub const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

/// May an issuer with `issuer_role`/`issuer_grants` create a token with `role`/`grants`?
///
/// A token never exceeds its issuer: the same role with a subset of the issuer's grants is
/// always allowed; additionally an issuer holding [`Permission::ManageTokens`] (admins)
/// may create grant-less `ingest` tokens for shippers. So an admin cannot mint an auditor
/// or analyst token (which would let them read the audit trail or search events), and no
/// one below admin can mint an admin token. Who may be the token's *owner* is the server's
/// rule: without `ManageTokens`, only the issuer themself.
pub fn issuable(issuer_role: Role, issuer_grants: &[Grant], role: Role, grants: &[Grant]) -> bool {
    let same = role == issuer_role && grants.iter().all(|g| issuer_grants.contains(g));
    let ingest = role == Role::Ingest
        && grants.is_empty()
        && crate::roles::role_allows(issuer_role, issuer_grants, Permission::ManageTokens);
    same || ingest
}

/// A request to create a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The user (or, for admin-created service tokens, the service name) the token acts as.
    pub owner: String,
    /// Human label ("filebeat on web-01").
    pub name: String,
    /// The token's role.
    pub role: Role,
    /// The token's grants.
    pub grants: Vec<Grant>,
    /// Bind the token to one ingest source name: it may then only send as that source.
    pub source: Option<String>,
    /// Lifetime; `None` for no expiry.
    pub ttl: Option<Duration>,
}

/// A token's public metadata (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Public id, `tok_` + 16 hex digits; safe to log and show.
    pub id: String,
    /// Owner (user or service name).
    pub owner: String,
    /// Human label.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Grants.
    pub grants: Vec<Grant>,
    /// Bound ingest source, if any.
    pub source: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last successful authentication (to [`LAST_USED_RESOLUTION`]).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS: &str =
    "id, owner, name, role, grants, source, created_at, expires_at, last_used_at, revoked_at";

fn opt_time(row: &SqliteRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    row.try_get::<Option<i64>, _>(col)?
        .map(from_millis)
        .transpose()
}

fn token_from_row(row: &SqliteRow) -> Result<TokenInfo> {
    let role: String = row.try_get("role")?;
    let grants: String = row.try_get("grants")?;
    Ok(TokenInfo {
        id: row.try_get("id")?,
        owner: row.try_get("owner")?,
        name: row.try_get("name")?,
        role: role
            .parse()
            .map_err(|_| AuthError::Corrupt(format!("token role {role:?}")))?,
        grants: grants_from_json(&grants)?,
        source: row.try_get("source")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        expires_at: opt_time(row, "expires_at")?,
        last_used_at: opt_time(row, "last_used_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

/// Parse a presented secret into the digest it is stored under; None if malformed.
fn secret_digest(secret: &str) -> Option<[u8; 32]> {
    let body = secret.strip_prefix(TOKEN_PREFIX)?;
    // 32 bytes base64url without padding.
    if body.len() != 43
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some(sha256(secret.as_bytes()))
}

/// The `auth_tokens` table. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct TokenStore {
    pool: SqlitePool,
    clock: SharedClock,
}

impl TokenStore {
    /// A store over an already-migrated pool (use [`crate::AuthStore::new`] to migrate).
    pub fn new(pool: SqlitePool, clock: SharedClock) -> Self {
        TokenStore { pool, clock }
    }

    /// Create a token. Returns its metadata and the secret (`vgl_` + 32 random bytes,
    /// base64url): show the secret once; only its SHA-256 is stored. Authorisation
    /// (who may create which token for whom) is the caller's job, using [`issuable`].
    pub async fn create(&self, req: NewToken) -> Result<(TokenInfo, String)> {
        validate_name(&req.owner)?;
        let label = req.name.trim();
        if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
            return Err(AuthError::InvalidName(
                "token name must be 1-100 printable characters".to_string(),
            ));
        }
        if let Some(s) = &req.source {
            validate_name(s)?;
        }
        if req.ttl.is_some_and(|t| t <= Duration::zero()) {
            return Err(AuthError::InvalidName(
                "token ttl must be positive".to_string(),
            ));
        }
        let now = self.clock.now();
        let expires_at = match req.ttl {
            Some(ttl) => Some(
                now.checked_add_signed(ttl)
                    .ok_or_else(|| AuthError::InvalidName("token ttl too large".to_string()))?,
            ),
            None => None,
        };
        let id_bytes = random_bytes::<8>()?;
        let id = format!(
            "tok_{}",
            id_bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let secret = format!("{TOKEN_PREFIX}{}", random_b64url_32()?);
        let digest = sha256(secret.as_bytes());
        sqlx::query(
            "INSERT INTO auth_tokens (id, owner, name, role, grants, source, secret_hash, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&req.owner)
        .bind(label)
        .bind(req.role.as_str())
        .bind(grants_to_json(&req.grants)?)
        .bind(&req.source)
        .bind(&digest[..])
        .bind(to_millis(now))
        .bind(expires_at.map(to_millis))
        .execute(&self.pool)
        .await?;
        let info = self
            .get(&id)
            .await?
            .ok_or_else(|| AuthError::NoSuchToken(id.clone()))?;
        Ok((info, secret))
    }

    /// Authenticate a presented secret. Malformed, unknown, revoked and expired tokens, and
    /// tokens whose owner is a disabled user, all give [`AuthError::InvalidToken`].
    /// Updates `last_used_at` (at most every [`LAST_USED_RESOLUTION`]).
    pub async fn authenticate(&self, secret: &str) -> Result<Principal> {
        let digest = secret_digest(secret).ok_or(AuthError::InvalidToken)?;
        let now = self.clock.now();
        let row = sqlx::query(
            "SELECT t.id, t.owner, t.role, t.grants, t.source, t.expires_at, t.revoked_at,
                    COALESCE(u.disabled, 0) AS owner_disabled
             FROM auth_tokens t LEFT JOIN auth_users u ON u.name = t.owner
             WHERE t.secret_hash = ?",
        )
        .bind(&digest[..])
        .fetch_optional(&self.pool)
        .await?
        .ok_or(AuthError::InvalidToken)?;
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some()
            || row.try_get::<i64, _>("owner_disabled")? != 0
        {
            return Err(AuthError::InvalidToken);
        }
        if let Some(exp) = opt_time(&row, "expires_at")? {
            if now >= exp {
                return Err(AuthError::InvalidToken);
            }
        }
        let id: String = row.try_get("id")?;
        let role: String = row.try_get("role")?;
        let grants: String = row.try_get("grants")?;
        let principal = Principal {
            user: row.try_get("owner")?,
            role: role
                .parse()
                .map_err(|_| AuthError::Corrupt(format!("token role {role:?}")))?,
            grants: grants_from_json(&grants)?,
            via: AuthMethod::Token {
                id: id.clone(),
                source: row.try_get("source")?,
            },
        };
        // Bookkeeping only: a failed write (a full disk) must not lock every shipper and
        // analyst out, so the token is still accepted.
        let _ = sqlx::query(
            "UPDATE auth_tokens SET last_used_at = ?
             WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
        )
        .bind(to_millis(now))
        .bind(&id)
        .bind(to_millis(now - LAST_USED_RESOLUTION))
        .execute(&self.pool)
        .await;
        Ok(principal)
    }

    /// Revoke a token (idempotent: revoking a revoked token keeps the first time).
    pub async fn revoke(&self, id: &str) -> Result<()> {
        let r =
            sqlx::query("UPDATE auth_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")
                .bind(to_millis(self.clock.now()))
                .bind(id)
                .execute(&self.pool)
                .await?;
        if r.rows_affected() == 0 {
            return Err(AuthError::NoSuchToken(id.to_string()));
        }
        Ok(())
    }

    /// One token's metadata.
    pub async fn get(&self, id: &str) -> Result<Option<TokenInfo>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM auth_tokens WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Tokens (including revoked and expired ones), optionally of one owner, oldest first.
    pub async fn list(&self, owner: Option<&str>) -> Result<Vec<TokenInfo>> {
        let rows = match owner {
            Some(o) => {
                sqlx::query(&format!(
                "SELECT {TOKEN_COLUMNS} FROM auth_tokens WHERE owner = ? ORDER BY created_at, id"
            ))
                .bind(o)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM auth_tokens ORDER BY created_at, id"
                ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(token_from_row).collect()
    }
}
