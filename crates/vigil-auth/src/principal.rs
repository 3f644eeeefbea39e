//! The authenticated caller of a request.
//!
//! Owns [`Principal`] and [`AuthMethod`]: who is calling, with which role and grants, and
//! how they proved it. A principal is produced only by [`crate::SessionStore::validate`]
//! or [`crate::TokenStore::authenticate`]; it must never carry a raw secret (the session's
//! CSRF token is held only as a SHA-256 digest, and its `Debug` output hides even that).

use std::fmt;

use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::roles::{role_allows, Grant, Permission, Role};
use crate::secret::sha256;

/// SHA-256 digest of a session's CSRF token. Compared in constant time; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfDigest(pub(crate) [u8; 32]);

impl CsrfDigest {
    /// Constant-time check of a presented CSRF token against this digest.
    pub fn matches(&self, presented: &str) -> bool {
        let d = sha256(presented.as_bytes());
        bool::from(d.ct_eq(&self.0))
    }
}

impl fmt::Debug for CsrfDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfDigest([redacted])")
    }
}

/// How the principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthMethod {
    /// A web session cookie; state-changing requests must present the CSRF token.
    Session {
        /// Digest of the session's CSRF token.
        #[serde(skip)]
        csrf: CsrfDigest,
    },
    /// An API token (`Authorization: Bearer vgl_…`).
    Token {
        /// The token's public id (`tok_…`), safe to log.
        id: String,
        /// The one ingest source this token may send as, if bound.
        source: Option<String>,
    },
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// User name (sessions) or token owner (tokens).
    pub user: String,
    /// Effective role: the user's role for sessions, the token's role for tokens.
    pub role: Role,
    /// Effective grants.
    pub grants: Vec<Grant>,
    /// How the principal authenticated.
    pub via: AuthMethod,
}

impl Principal {
    /// Whether this principal's role and grants allow `permission` ([`role_allows`]).
    pub fn allows(&self, permission: Permission) -> bool {
        role_allows(self.role, &self.grants, permission)
    }

    /// CSRF check for a state-changing request: session principals must present the
    /// matching token (constant-time compare); token principals carry no ambient
    /// credential, so they pass.
    pub fn csrf_ok(&self, presented: Option<&str>) -> bool {
        match &self.via {
            AuthMethod::Session { csrf } => presented.is_some_and(|p| csrf.matches(p)),
            AuthMethod::Token { .. } => true,
        }
    }

    /// Whether this principal may send events as ingest source `source`: tokens bound to
    /// a source may send only as that source; everything else is unrestricted here (the
    /// permission check is separate).
    pub fn may_send_as(&self, source: &str) -> bool {
        match &self.via {
            AuthMethod::Token {
                source: Some(bound),
                ..
            } => bound == source,
            _ => true,
        }
    }

    /// The token id, if the principal authenticated with a token.
    pub fn token_id(&self) -> Option<&str> {
        match &self.via {
            AuthMethod::Token { id, .. } => Some(id),
            AuthMethod::Session { .. } => None,
        }
    }
}
