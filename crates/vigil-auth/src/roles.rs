//! Roles, grants, permissions and the route → permission table mechanism.
//!
//! Owns the separation-of-duties policy of issue 5 as one pure function, [`role_allows`],
//! and the types the server uses to declare, in one table, which [`Access`] every route
//! needs ([`RouteRule`], [`check`], [`authorize`]). It must never grant any permission
//! to modify or delete stored events — no such [`Permission`] exists — and must never let
//! `admin` read or export the audit trail.
//!
//! Model: every principal has exactly one [`Role`] plus a set of [`Grant`]s. Grants are
//! additive and only meaningful for the role they extend: today the single grant is
//! [`Grant::DetectionEngineer`], which gives an `analyst` [`Permission::ManageRules`]. A
//! grant attached to any other role has no effect (it is still stored, so the intent is
//! visible, but [`role_allows`] ignores it).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::principal::Principal;

/// A principal's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, tokens, sources, rules, retention and notification settings.
    Admin,
    /// Searches, works alerts and cases, runs hunts and backtests.
    Analyst,
    /// Read-only everywhere, plus the audit trail, integrity verification, evidence export.
    Auditor,
    /// Only sends events (tokens for shippers).
    Ingest,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Auditor, Role::Ingest];

    /// The stable lowercase name (`admin`, `analyst`, `auditor`, `ingest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
            Role::Ingest => "ingest",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| AuthError::UnknownName(s.to_string()))
    }
}

/// An additive grant on top of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grant {
    /// Lets an `analyst` manage (create, edit, reload, delete) detection rules.
    DetectionEngineer,
}

impl Grant {
    /// Every grant, in a stable order.
    pub const ALL: [Grant; 1] = [Grant::DetectionEngineer];

    /// The stable kebab-case name (`detection-engineer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::DetectionEngineer => "detection-engineer",
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Grant {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grant::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| AuthError::UnknownName(s.to_string()))
    }
}

/// One thing a principal may do. Deliberately, nothing here modifies or deletes a stored
/// event: retention is the only way events leave, and it is a setting ([`Permission::ManageSettings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Send events to the ingest endpoints.
    IngestEvents,
    /// Run searches over stored events.
    SearchEvents,
    /// View alerts and cases.
    ViewAlerts,
    /// Change alert and case status, assignment, notes.
    WorkAlerts,
    /// Run hunts and rule backtests.
    RunHunts,
    /// View detection rules.
    ViewRules,
    /// Create, edit, delete and reload detection rules.
    ManageRules,
    /// View users and tokens (not their secrets, which are never stored).
    ViewUsers,
    /// Add, disable, enable users, reset passwords, change roles.
    ManageUsers,
    /// Create and revoke tokens for other owners (services).
    ManageTokens,
    /// View configured ingest sources.
    ViewSources,
    /// Add, change and remove ingest sources.
    ManageSources,
    /// View settings (retention, notification targets, …).
    ViewSettings,
    /// Change retention settings and notification targets.
    ManageSettings,
    /// Read and search the audit trail.
    ReadAuditTrail,
    /// Run integrity verification of the event and audit journals.
    VerifyIntegrity,
    /// Export evidence bundles (events with inclusion proofs, audit extracts).
    ExportEvidence,
    /// View service health.
    ViewHealth,
    /// View metrics.
    ViewMetrics,
    /// The principal's own account: own session, own password, own API tokens.
    OwnAccount,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 20] = [
        Permission::IngestEvents,
        Permission::SearchEvents,
        Permission::ViewAlerts,
        Permission::WorkAlerts,
        Permission::RunHunts,
        Permission::ViewRules,
        Permission::ManageRules,
        Permission::ViewUsers,
        Permission::ManageUsers,
        Permission::ManageTokens,
        Permission::ViewSources,
        Permission::ManageSources,
        Permission::ViewSettings,
        Permission::ManageSettings,
        Permission::ReadAuditTrail,
        Permission::VerifyIntegrity,
        Permission::ExportEvidence,
        Permission::ViewHealth,
        Permission::ViewMetrics,
        Permission::OwnAccount,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::IngestEvents => "ingest_events",
            Permission::SearchEvents => "search_events",
            Permission::ViewAlerts => "view_alerts",
            Permission::WorkAlerts => "work_alerts",
            Permission::RunHunts => "run_hunts",
            Permission::ViewRules => "view_rules",
            Permission::ManageRules => "manage_rules",
            Permission::ViewUsers => "view_users",
            Permission::ManageUsers => "manage_users",
            Permission::ManageTokens => "manage_tokens",
            Permission::ViewSources => "view_sources",
            Permission::ManageSources => "manage_sources",
            Permission::ViewSettings => "view_settings",
            Permission::ManageSettings => "manage_settings",
            Permission::ReadAuditTrail => "read_audit_trail",
            Permission::VerifyIntegrity => "verify_integrity",
            Permission::ExportEvidence => "export_evidence",
            Permission::ViewHealth => "view_health",
            Permission::ViewMetrics => "view_metrics",
            Permission::OwnAccount => "own_account",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| AuthError::UnknownName(s.to_string()))
    }
}

/// The policy: may a principal with `role` and `grants` exercise `permission`?
///
/// | role | permissions |
/// |---|---|
/// | admin | manage users/tokens/sources/rules/settings, view users/sources/settings/rules, health, metrics, own account — no event search, no alerts, no audit trail, no evidence export |
/// | analyst | search, view+work alerts, run hunts, view rules/sources, health, metrics, own account; manage rules with `detection-engineer` |
/// | auditor | every `View*`, search, audit trail, integrity verification, evidence export, own account; nothing that changes state (no `Manage*`, no `WorkAlerts`, no hunts) |
/// | ingest | ingest events only |
pub fn role_allows(role: Role, grants: &[Grant], permission: Permission) -> bool {
    use Permission as P;
    match role {
        Role::Admin => matches!(
            permission,
            P::ManageUsers
                | P::ManageTokens
                | P::ManageSources
                | P::ManageRules
                | P::ManageSettings
                | P::ViewUsers
                | P::ViewSources
                | P::ViewSettings
                | P::ViewRules
                | P::ViewHealth
                | P::ViewMetrics
                | P::OwnAccount
        ),
        Role::Analyst => {
            matches!(
                permission,
                P::SearchEvents
                    | P::ViewAlerts
                    | P::WorkAlerts
                    | P::RunHunts
                    | P::ViewRules
                    | P::ViewSources
                    | P::ViewHealth
                    | P::ViewMetrics
                    | P::OwnAccount
            ) || (permission == P::ManageRules && grants.contains(&Grant::DetectionEngineer))
        }
        Role::Auditor => matches!(
            permission,
            P::SearchEvents
                | P::ViewAlerts
                | P::ViewRules
                | P::ViewUsers
                | P::ViewSources
                | P::ViewSettings
                | P::ViewHealth
                | P::ViewMetrics
                | P::ReadAuditTrail
                | P::VerifyIntegrity
                | P::ExportEvidence
                | P::OwnAccount
        ),
        Role::Ingest => permission == P::IngestEvents,
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No authentication (login page, health probe for load balancers, static assets).
    Public,
    /// Any authenticated principal (e.g. `GET /api/v1/me`).
    Authenticated,
    /// An authenticated principal whose role allows this permission.
    Need(Permission),
}

/// One row of the server's route table: `method` + axum path pattern → required access.
///
/// The server keeps a `const ROUTES: &[RouteRule]` listing every route it mounts; its
/// middleware looks the request up with [`authorize`] using axum's `MatchedPath`, so a
/// route missing from the table is refused ([`AccessDecision::Undeclared`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRule {
    /// HTTP method in upper case (`GET`, `POST`, …).
    pub method: &'static str,
    /// The axum path pattern exactly as mounted, e.g. `/api/v1/alerts/{id}`.
    pub path: &'static str,
    /// What the route needs.
    pub access: Access,
}

impl RouteRule {
    /// Convenience constructor for `const` tables.
    pub const fn new(method: &'static str, path: &'static str, access: Access) -> Self {
        RouteRule {
            method,
            path,
            access,
        }
    }
}

/// Find the rule for `method` (case-insensitive) and the matched axum path pattern.
pub fn check<'t>(
    table: &'t [RouteRule],
    method: &str,
    matched_path: &str,
) -> Option<&'t RouteRule> {
    table
        .iter()
        .find(|r| r.path == matched_path && r.method.eq_ignore_ascii_case(method))
}

/// The middleware's verdict for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessDecision {
    /// Let the request through.
    Allow,
    /// No (valid) credentials on a route that needs them: 401.
    Unauthenticated,
    /// Authenticated, but the role lacks the permission: 403.
    Forbidden(Permission),
    /// The route is not in the table: refuse (500 in debug builds, 403 in release) — a
    /// route without a declared permission is a bug.
    Undeclared,
}

/// Look the route up and decide for `principal` (None when the request carried no valid
/// credentials).
pub fn authorize(
    table: &[RouteRule],
    method: &str,
    matched_path: &str,
    principal: Option<&Principal>,
) -> AccessDecision {
    let Some(rule) = check(table, method, matched_path) else {
        return AccessDecision::Undeclared;
    };
    match (rule.access, principal) {
        (Access::Public, _) => AccessDecision::Allow,
        (_, None) => AccessDecision::Unauthenticated,
        (Access::Authenticated, Some(_)) => AccessDecision::Allow,
        (Access::Need(p), Some(principal)) => {
            if principal.allows(p) {
                AccessDecision::Allow
            } else {
                AccessDecision::Forbidden(p)
            }
        }
    }
}
