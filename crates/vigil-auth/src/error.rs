//! The crate's error type.
//!
//! Owns [`AuthError`], the one error every operation returns. It must never carry a secret:
//! no variant holds a password, token, session id or hash, so an error can be logged or
//! returned to a client (after mapping to a status code) without leaking credentials.

use thiserror::Error;

/// Everything that can go wrong in this crate.
///
/// The server maps these to HTTP statuses: the credential variants
/// ([`AuthError::is_unauthenticated`]) to 401 with one generic message, the input variants
/// to 400/404/409, and [`AuthError::Db`], [`AuthError::Hash`], [`AuthError::Random`] and
/// [`AuthError::Corrupt`] to 500.
#[derive(Debug, Error)]
pub enum AuthError {
    /// Unknown user, wrong password or disabled account: deliberately indistinguishable.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The session does not exist, was logged out, or hit its idle/absolute timeout.
    #[error("session expired or unknown")]
    SessionExpired,
    /// The API token is malformed, unknown, revoked or expired, or its owner is disabled.
    #[error("invalid or expired token")]
    InvalidToken,
    /// A password does not meet the policy; the text says why (never the password itself).
    #[error("password rejected: {0}")]
    WeakPassword(String),
    /// A user, token or source name is not acceptable.
    #[error("invalid name: {0}")]
    InvalidName(String),
    /// A role, grant or permission name could not be parsed.
    #[error("unknown role, grant or permission: {0}")]
    UnknownName(String),
    /// A user with that name already exists.
    #[error("user already exists: {0}")]
    UserExists(String),
    /// No user with that name.
    #[error("no such user: {0}")]
    NoSuchUser(String),
    /// No token with that id.
    #[error("no such token: {0}")]
    NoSuchToken(String),
    /// The issuer may not create a token with the requested role or grants.
    #[error("not allowed to issue a token with role {0}")]
    NotIssuable(String),
    /// The metadata database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Argon2 failed (not a wrong password: that is [`AuthError::InvalidCredentials`]).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The operating system's random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// A stored row could not be understood.
    #[error("corrupt auth record: {0}")]
    Corrupt(String),
}

impl AuthError {
    /// True for the errors a client sees as "401 Unauthorized".
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            AuthError::InvalidCredentials | AuthError::SessionExpired | AuthError::InvalidToken
        )
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;
