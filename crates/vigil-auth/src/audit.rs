//! Typed audit records and their ECS form.
//!
//! Owns [`AuditRecord`] (who did what to what, from where, with which outcome), the
//! redaction of secrets in its details, and [`AuditRecord::to_ecs_event_json`], the ECS
//! event emitted into Vigil's own event stream so rules can watch the watchers. It must
//! never store records (the server appends them to the signed audit journal,
//! `vigil-journal`) and must never let a value under a secret-looking key
//! (password, token, secret, authorization, cookie) through.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::principal::{AuthMethod, Principal};

/// Replacement for redacted values.
pub const REDACTED: &str = "[redacted]";

/// Key fragments (case-insensitive) whose values are always redacted.
pub const SECRET_KEY_FRAGMENTS: [&str; 5] =
    ["password", "token", "secret", "authorization", "cookie"];

/// Whether a details key names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEY_FRAGMENTS.iter().any(|f| k.contains(f))
}

/// Replace, recursively (through objects and arrays), the value of every secret-looking key
/// with [`REDACTED`].
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) {
                    *v = Value::String(REDACTED.to_string());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A user with a web session (or the offline CLI acting as a named user).
    User {
        /// User name.
        name: String,
    },
    /// An API token.
    Token {
        /// Token id (`tok_…`).
        id: String,
        /// Token owner.
        owner: String,
    },
    /// No authenticated identity (failed logins, the CLI without a user, the system).
    Anonymous,
}

impl Actor {
    /// The actor for an authenticated principal.
    pub fn from_principal(p: &Principal) -> Self {
        match &p.via {
            AuthMethod::Session { .. } => Actor::User {
                name: p.user.clone(),
            },
            AuthMethod::Token { id, .. } => Actor::Token {
                id: id.clone(),
                owner: p.user.clone(),
            },
        }
    }

    /// The operating-system account this process runs as, as a user named
    /// `<via>:<account>` (`cli:alice` for an offline command, `os:vigil` for the account
    /// that started the server). The account is the process's real uid looked up in
    /// `/etc/passwd` (not `$USER`, which the caller sets), else `uid:<n>`; without `/proc`
    /// (not Linux) `$USER` / `$LOGNAME`.
    pub fn local_account(via: &str) -> Self {
        Actor::User {
            name: format!("{via}:{}", local_account_name()),
        }
    }

    /// The user name to report (`user.name`), if any.
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Actor::User { name } => Some(name),
            Actor::Token { owner, .. } => Some(owner),
            Actor::Anonymous => None,
        }
    }
}

/// The name of the account this process runs as (see [`Actor::local_account`]).
pub fn local_account_name() -> String {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().next().map(str::to_string))
        });
    let Some(uid) = uid else {
        return std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let _password = fields.next()?;
            (fields.next()? == uid).then(|| name.to_string())
        })
        .unwrap_or_else(|| format!("uid:{uid}"))
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User { name } => f.write_str(name),
            Actor::Token { id, owner } => write!(f, "{owner} (token {id})"),
            Actor::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    /// Successful login.
    #[serde(rename = "auth.login")]
    Login,
    /// Failed login.
    #[serde(rename = "auth.login_failed")]
    LoginFailed,
    /// A user or IP was locked out by the throttle.
    #[serde(rename = "auth.lockout")]
    Lockout,
    /// Logout.
    #[serde(rename = "auth.logout")]
    Logout,
    /// A request refused for lack of permission (or CSRF failure).
    #[serde(rename = "auth.denied")]
    AccessDenied,
    /// A search (details: query text, time range, result count).
    #[serde(rename = "search")]
    Search,
    /// A hunt or backtest.
    #[serde(rename = "hunt")]
    Hunt,
    /// An export of events or evidence.
    #[serde(rename = "export")]
    Export,
    /// A read of the audit trail.
    #[serde(rename = "audit.read")]
    AuditRead,
    /// An integrity verification run.
    #[serde(rename = "verify")]
    Verify,
    /// User added.
    #[serde(rename = "user.add")]
    UserAdd,
    /// User disabled.
    #[serde(rename = "user.disable")]
    UserDisable,
    /// User enabled.
    #[serde(rename = "user.enable")]
    UserEnable,
    /// Password reset or changed.
    #[serde(rename = "user.password")]
    UserPassword,
    /// Role or grants changed.
    #[serde(rename = "user.set_role")]
    UserSetRole,
    /// Token created.
    #[serde(rename = "token.create")]
    TokenCreate,
    /// Token revoked.
    #[serde(rename = "token.revoke")]
    TokenRevoke,
    /// Rules reloaded.
    #[serde(rename = "rule.reload")]
    RuleReload,
    /// A rule created, changed or deleted.
    #[serde(rename = "rule.change")]
    RuleChange,
    /// An alert or case updated.
    #[serde(rename = "alert.update")]
    AlertUpdate,
    /// An ingest source added, changed or removed.
    #[serde(rename = "source.change")]
    SourceChange,
    /// A setting (retention, notification target, …) changed.
    #[serde(rename = "settings.change")]
    SettingsChange,
    /// An administrative CLI command.
    #[serde(rename = "admin.command")]
    AdminCommand,
}

impl AuditAction {
    /// Every action, in a stable order.
    pub const ALL: [AuditAction; 23] = [
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::Lockout,
        AuditAction::Logout,
        AuditAction::AccessDenied,
        AuditAction::Search,
        AuditAction::Hunt,
        AuditAction::Export,
        AuditAction::AuditRead,
        AuditAction::Verify,
        AuditAction::UserAdd,
        AuditAction::UserDisable,
        AuditAction::UserEnable,
        AuditAction::UserPassword,
        AuditAction::UserSetRole,
        AuditAction::TokenCreate,
        AuditAction::TokenRevoke,
        AuditAction::RuleReload,
        AuditAction::RuleChange,
        AuditAction::AlertUpdate,
        AuditAction::SourceChange,
        AuditAction::SettingsChange,
        AuditAction::AdminCommand,
    ];

    /// The `event.action` string, e.g. `auth.login`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "auth.login",
            AuditAction::LoginFailed => "auth.login_failed",
            AuditAction::Lockout => "auth.lockout",
            AuditAction::Logout => "auth.logout",
            AuditAction::AccessDenied => "auth.denied",
            AuditAction::Search => "search",
            AuditAction::Hunt => "hunt",
            AuditAction::Export => "export",
            AuditAction::AuditRead => "audit.read",
            AuditAction::Verify => "verify",
            AuditAction::UserAdd => "user.add",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserEnable => "user.enable",
            AuditAction::UserPassword => "user.password",
            AuditAction::UserSetRole => "user.set_role",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::RuleReload => "rule.reload",
            AuditAction::RuleChange => "rule.change",
            AuditAction::AlertUpdate => "alert.update",
            AuditAction::SourceChange => "source.change",
            AuditAction::SettingsChange => "settings.change",
            AuditAction::AdminCommand => "admin.command",
        }
    }

    /// ECS `event.category` and `event.type` for this action (before the outcome adds
    /// `denied`).
    pub fn ecs_category_type(self) -> (&'static [&'static str], &'static [&'static str]) {
        use AuditAction as A;
        match self {
            A::Login => (&["authentication", "session"], &["start"]),
            A::LoginFailed => (&["authentication"], &["start"]),
            A::Lockout => (&["authentication"], &["info"]),
            A::Logout => (&["authentication", "session"], &["end"]),
            A::AccessDenied => (&["iam"], &["denied"]),
            A::Search | A::Hunt | A::Export | A::AuditRead => (&["database"], &["access"]),
            A::Verify => (&["database"], &["info"]),
            A::UserAdd => (&["iam"], &["user", "creation"]),
            A::UserDisable | A::UserEnable | A::UserPassword | A::UserSetRole => {
                (&["iam"], &["user", "change"])
            }
            A::TokenCreate => (&["iam"], &["creation"]),
            A::TokenRevoke => (&["iam"], &["deletion"]),
            A::RuleReload
            | A::RuleChange
            | A::AlertUpdate
            | A::SourceChange
            | A::SettingsChange
            | A::AdminCommand => (&["configuration"], &["change"]),
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Success,
    /// Tried and failed (bad password, invalid input, error).
    Failure,
    /// Refused by authorisation or throttling.
    Denied,
}

impl Outcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// One audit record. Built with [`AuditRecord::new`] and the `with_*` methods; the details
/// are redacted on the way in, so a record can be serialised and journaled as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    time: DateTime<Utc>,
    actor: Actor,
    source_ip: Option<IpAddr>,
    action: AuditAction,
    target: Option<String>,
    outcome: Outcome,
    details: Value,
}

impl AuditRecord {
    /// A record with no source IP, no target and empty details.
    pub fn new(time: DateTime<Utc>, actor: Actor, action: AuditAction, outcome: Outcome) -> Self {
        AuditRecord {
            time,
            actor,
            source_ip: None,
            action,
            target: None,
            outcome,
            details: Value::Object(Map::new()),
        }
    }

    /// Set the client address.
    pub fn with_source_ip(mut self, ip: Option<IpAddr>) -> Self {
        self.source_ip = ip;
        self
    }

    /// Set what was acted on (user name, token id, rule id, alert id, setting name, …).
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Set the details (redacted here).
    pub fn with_details(mut self, mut details: Value) -> Self {
        redact(&mut details);
        self.details = details;
        self
    }

    /// When.
    pub fn time(&self) -> DateTime<Utc> {
        self.time
    }
    /// Who.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    /// From where.
    pub fn source_ip(&self) -> Option<IpAddr> {
        self.source_ip
    }
    /// What.
    pub fn action(&self) -> AuditAction {
        self.action
    }
    /// On what.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }
    /// How it ended.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }
    /// Redacted details.
    pub fn details(&self) -> &Value {
        &self.details
    }

    /// The record as an ECS event for Vigil's own event stream.
    ///
    /// Fields: `@timestamp`, `message`, `event.{kind: event, category, type, action,
    /// outcome, module: vigil, dataset: vigil.audit}`, `user.name`, `user.target.name`
    /// (user actions), `source.ip`, and `vigil.audit.{actor, token_id, target, outcome,
    /// details}`. ECS knows only success/failure outcomes, so `denied` becomes
    /// `event.outcome: failure` with `denied` added to `event.type`, and the exact outcome
    /// is kept in `vigil.audit.outcome`.
    pub fn to_ecs_event_json(&self) -> Value {
        let (category, types) = self.action.ecs_category_type();
        let mut types: Vec<&str> = types.to_vec();
        if self.outcome == Outcome::Denied && !types.contains(&"denied") {
            types.push("denied");
        }
        let ecs_outcome = match self.outcome {
            Outcome::Success => "success",
            Outcome::Failure | Outcome::Denied => "failure",
        };
        let mut details = self.details.clone();
        redact(&mut details);

        let mut audit = Map::new();
        audit.insert("actor".into(), json!(self.actor.to_string()));
        audit.insert("outcome".into(), json!(self.outcome.as_str()));
        if let Actor::Token { id, .. } = &self.actor {
            audit.insert("token_id".into(), json!(id));
        }
        if let Some(t) = &self.target {
            audit.insert("target".into(), json!(t));
        }
        audit.insert("details".into(), details);

        let mut event = json!({
            "@timestamp": self.time.to_rfc3339_opts(SecondsFormat::Millis, true),
            "message": format!("{} {} by {}", self.action, self.outcome.as_str(), self.actor),
            "event": {
                "kind": "event",
                "category": category,
                "type": types,
                "action": self.action.as_str(),
                "outcome": ecs_outcome,
                "module": "vigil",
                "dataset": "vigil.audit",
            },
            "vigil": { "audit": Value::Object(audit) },
        });
        let mut user = Map::new();
        if let Some(name) = self.actor.user_name() {
            user.insert("name".into(), json!(name));
        } else if matches!(
            self.action,
            AuditAction::Login | AuditAction::LoginFailed | AuditAction::Lockout
        ) {
            // A failed login has no authenticated actor; the attempted name is the target,
            // and brute-force rules key on `user.name`.
            if let Some(t) = &self.target {
                user.insert("name".into(), json!(t));
            }
        }
        if matches!(
            self.action,
            AuditAction::UserAdd
                | AuditAction::UserDisable
                | AuditAction::UserEnable
                | AuditAction::UserPassword
                | AuditAction::UserSetRole
        ) {
            if let Some(t) = &self.target {
                user.insert("target".into(), json!({ "name": t }));
            }
        }
        if let Value::Object(root) = &mut event {
            if !user.is_empty() {
                root.insert("user".into(), Value::Object(user));
            }
            if let Some(ip) = self.source_ip {
                root.insert("source".into(), json!({ "ip": ip.to_string() }));
            }
        }
        event
    }
}
