//! Offline administration on a data directory: `vigil users …`, `vigil tokens …` (the
//! metadata database, usable while a server runs: SQLite handles the concurrency) and
//! `vigil cert self-signed`. Every change is audited: the record goes through the outbox in
//! the metadata database, straight into the audit journal when no server holds the data
//! directory, or into it (and the event stream) by the running server within a second.
//! Secrets are printed once, to stdout, and nowhere else.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vigil_auth::{Actor, AuditAction, AuditRecord, AuthStore, Grant, NewToken, Outcome, Role};

#[derive(clap::Args)]
pub struct UsersArgs {
    /// Data directory [default: ./vigil-data]
    #[arg(long, default_value = "./vigil-data", global = true)]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(clap::Subcommand)]
enum UsersCommand {
    /// Add a user; prints a generated password once unless --password-stdin is given.
    Add {
        /// Login name
        name: String,
        /// admin, analyst, auditor or ingest
        #[arg(long)]
        role: String,
        /// Additive grant (detection-engineer); repeatable
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (no password material is stored in the clear, none is shown)
    List {
        /// JSON output
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: their sessions end and their tokens are refused
    Disable { name: String },
    /// Re-enable a disabled user
    Enable { name: String },
    /// Replace a user's password with a generated one, printed once
    ResetPassword { name: String },
    /// Change a user's role and grants
    SetRole {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long = "grant")]
        grants: Vec<String>,
    },
}

#[derive(clap::Args)]
pub struct TokensArgs {
    /// Data directory [default: ./vigil-data]
    #[arg(long, default_value = "./vigil-data", global = true)]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: TokensCommand,
}

#[derive(clap::Subcommand)]
enum TokensCommand {
    /// Create an API token; prints the secret once on stdout (details on stderr)
    Create {
        /// The user or service the token acts as
        #[arg(long)]
        owner: String,
        /// admin, analyst, auditor or ingest
        #[arg(long)]
        role: String,
        /// Additive grant (detection-engineer); repeatable
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Bind to one ingest source: http, elasticsearch-bulk, splunk-hec or otlp
        #[arg(long)]
        source: Option<String>,
        /// Human label
        #[arg(long, default_value = "cli")]
        name: String,
        /// Lifetime ("30d", "12h"); default: no expiry
        #[arg(long)]
        ttl: Option<String>,
    },
    /// List tokens (ids and metadata; secrets are never stored)
    List {
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id (tok_…)
    Revoke { id: String },
}

#[derive(clap::Args)]
pub struct CertArgs {
    #[command(subcommand)]
    command: CertCommand,
}

#[derive(clap::Subcommand)]
enum CertCommand {
    /// Write a self-signed certificate and key (vigil.crt, vigil.key) for a quick start
    SelfSigned {
        /// Directory to write into (created if missing)
        #[arg(long)]
        out: PathBuf,
        /// Host name or IP address the certificate is for; repeatable [default: localhost, 127.0.0.1, ::1]
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn open_store(data_dir: &Path) -> Result<(sqlx::SqlitePool, AuthStore)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let meta = data_dir.join("meta.db");
    let pool = vigil_alert::open_pool(&meta)
        .await
        .with_context(|| format!("cannot open the metadata database {}", meta.display()))?;
    let store = AuthStore::new(pool.clone())
        .await
        .context("cannot open the user tables")?;
    Ok((pool, store))
}

fn cli_actor() -> Actor {
    Actor::local_account("cli")
}

/// Audits an offline command: outbox, then straight into the audit journal if no server
/// holds the data directory (a running server drains the outbox itself).
async fn audit(
    pool: &sqlx::SqlitePool,
    data_dir: &Path,
    action: AuditAction,
    outcome: Outcome,
    target: &str,
    details: serde_json::Value,
) -> Result<()> {
    let mut details = details;
    details["via"] = json!("cli");
    let record = AuditRecord::new(chrono::Utc::now(), cli_actor(), action, outcome)
        .with_target(target)
        .with_details(details);
    vigil_server::audit::enqueue(pool, &record)
        .await
        .context("cannot queue the audit record")?;
    let lock_path = data_dir.join("vigil.lock");
    if let Ok(lock) = std::fs::File::create(&lock_path) {
        if lock.try_lock().is_ok() {
            vigil_server::audit::drain_offline(pool, data_dir).await?;
            drop(lock);
        }
    }
    Ok(())
}

fn parse_role(text: &str) -> Result<Role> {
    text.parse()
        .map_err(|_| anyhow!("unknown role '{text}': expected admin, analyst, auditor or ingest"))
}

fn parse_grants(grants: &[String]) -> Result<Vec<Grant>> {
    grants
        .iter()
        .map(|g| {
            g.parse()
                .map_err(|_| anyhow!("unknown grant '{g}': expected detection-engineer"))
        })
        .collect()
}

pub fn users(args: UsersArgs) -> Result<ExitCode> {
    runtime()?.block_on(users_async(args))
}

async fn users_async(args: UsersArgs) -> Result<ExitCode> {
    let (pool, store) = open_store(&args.data_dir).await?;
    let dir = &args.data_dir;
    match args.command {
        UsersCommand::Add {
            name,
            role,
            grants,
            password_stdin,
        } => {
            let role = parse_role(&role)?;
            let grants = parse_grants(&grants)?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from stdin")?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let initial = match &password {
                Some(p) => p.clone(),
                None => {
                    let mut bytes = [0u8; 24];
                    getrandom_fill(&mut bytes)?;
                    bytes.iter().map(|b| format!("{b:02x}")).collect()
                }
            };
            let result = store
                .users
                .add_with_grants(&name, role, &grants, &initial)
                .await;
            let outcome = if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            audit(
                &pool,
                dir,
                AuditAction::UserAdd,
                outcome,
                &name,
                json!({ "role": role, "grants": grants }),
            )
            .await?;
            result.map_err(|e| anyhow!("cannot add user {name}: {e}"))?;
            eprintln!("added user {name} ({role})");
            if password.is_none() {
                let generated = store.users.reset_password(&name).await?;
                eprintln!("password (shown only now):");
                println!("{generated}");
            }
        }
        UsersCommand::List { json } => {
            let users = store.users.list().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                println!(
                    "{:<24} {:<9} {:<20} {:<9} created",
                    "name", "role", "grants", "disabled"
                );
                for u in users {
                    let grants: Vec<&str> = u.grants.iter().map(|g| g.as_str()).collect();
                    println!(
                        "{:<24} {:<9} {:<20} {:<9} {}",
                        u.name,
                        u.role.as_str(),
                        grants.join(","),
                        u.disabled,
                        u.created_at.format("%Y-%m-%dT%H:%M:%SZ")
                    );
                }
            }
        }
        UsersCommand::Disable { name } => {
            let result = store.users.disable(&name).await;
            finish(
                &pool,
                dir,
                AuditAction::UserDisable,
                &name,
                json!({}),
                result,
            )
            .await?;
            eprintln!("disabled {name}");
        }
        UsersCommand::Enable { name } => {
            let result = store.users.enable(&name).await;
            finish(
                &pool,
                dir,
                AuditAction::UserEnable,
                &name,
                json!({}),
                result,
            )
            .await?;
            eprintln!("enabled {name}");
        }
        UsersCommand::ResetPassword { name } => {
            let result = store.users.reset_password(&name).await;
            let (unit, password) = match result {
                Ok(p) => (Ok(()), Some(p)),
                Err(e) => (Err(e), None),
            };
            finish(
                &pool,
                dir,
                AuditAction::UserPassword,
                &name,
                json!({ "kind": "reset" }),
                unit,
            )
            .await?;
            eprintln!("new password for {name} (shown only now):");
            println!("{}", password.unwrap_or_default());
        }
        UsersCommand::SetRole { name, role, grants } => {
            let role = parse_role(&role)?;
            let grants = parse_grants(&grants)?;
            let result = store.users.set_role(&name, role, &grants).await;
            finish(
                &pool,
                dir,
                AuditAction::UserSetRole,
                &name,
                json!({ "role": role, "grants": grants }),
                result,
            )
            .await?;
            eprintln!("{name} is now {role}");
        }
    }
    pool.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn finish(
    pool: &sqlx::SqlitePool,
    dir: &Path,
    action: AuditAction,
    target: &str,
    details: serde_json::Value,
    result: Result<(), vigil_auth::AuthError>,
) -> Result<()> {
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    audit(pool, dir, action, outcome, target, details).await?;
    result.map_err(|e| anyhow!("{target}: {e}"))
}

fn getrandom_fill(bytes: &mut [u8]) -> Result<()> {
    // Argon2's salt generation already needs the OS RNG; read it the same way.
    let mut f = std::fs::File::open("/dev/urandom").context("cannot open /dev/urandom")?;
    std::io::Read::read_exact(&mut f, bytes).context("cannot read /dev/urandom")
}

pub fn tokens(args: TokensArgs) -> Result<ExitCode> {
    runtime()?.block_on(tokens_async(args))
}

async fn tokens_async(args: TokensArgs) -> Result<ExitCode> {
    let (pool, store) = open_store(&args.data_dir).await?;
    let dir = &args.data_dir;
    match args.command {
        TokensCommand::Create {
            owner,
            role,
            grants,
            source,
            name,
            ttl,
        } => {
            let role = parse_role(&role)?;
            let grants = parse_grants(&grants)?;
            let ttl = match ttl {
                None => None,
                Some(t) => Some(chrono::Duration::from_std(
                    vigil_server::config::parse_duration(&t).map_err(|e| anyhow!("--ttl: {e}"))?,
                )?),
            };
            let result = store
                .tokens
                .create(NewToken {
                    owner: owner.clone(),
                    name: name.clone(),
                    role,
                    grants: grants.clone(),
                    source: source.clone(),
                    ttl,
                })
                .await;
            let (outcome, target) = match &result {
                Ok((info, _)) => (Outcome::Success, info.id.clone()),
                Err(_) => (Outcome::Failure, owner.clone()),
            };
            audit(
                &pool,
                dir,
                AuditAction::TokenCreate,
                outcome,
                &target,
                json!({ "owner": owner, "role": role, "grants": grants, "source": source, "label": name }),
            )
            .await?;
            let (info, secret) = result.map_err(|e| anyhow!("cannot create the token: {e}"))?;
            eprintln!(
                "created token {} for {} ({}{}); the secret below is shown only now:",
                info.id,
                info.owner,
                info.role,
                info.source
                    .as_deref()
                    .map(|s| format!(", source {s}"))
                    .unwrap_or_default()
            );
            let mut out = std::io::stdout().lock();
            writeln!(out, "{secret}")?;
        }
        TokensCommand::List { owner, json } => {
            let tokens = store.tokens.list(owner.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                println!(
                    "{:<21} {:<16} {:<8} {:<18} {:<20} {:<20} revoked",
                    "id", "owner", "role", "source", "name", "last used"
                );
                for t in tokens {
                    println!(
                        "{:<21} {:<16} {:<8} {:<18} {:<20} {:<20} {}",
                        t.id,
                        t.owner,
                        t.role.as_str(),
                        t.source.as_deref().unwrap_or("-"),
                        t.name,
                        t.last_used_at
                            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                            .unwrap_or_else(|| "never".into()),
                        t.revoked_at
                            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                            .unwrap_or_else(|| "-".into()),
                    );
                }
            }
        }
        TokensCommand::Revoke { id } => {
            let result = store.tokens.revoke(&id).await;
            finish(&pool, dir, AuditAction::TokenRevoke, &id, json!({}), result).await?;
            eprintln!("revoked {id}");
        }
    }
    pool.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn cert(args: CertArgs) -> Result<ExitCode> {
    match args.command {
        CertCommand::SelfSigned { out, hosts } => {
            let hosts = if hosts.is_empty() {
                vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
            } else {
                hosts
            };
            let certified = rcgen::generate_simple_self_signed(hosts.clone())
                .context("cannot generate the certificate")?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let cert_path = out.join("vigil.crt");
            let key_path = out.join("vigil.key");
            if key_path.exists() || cert_path.exists() {
                bail!(
                    "{} or {} already exists: not overwriting",
                    cert_path.display(),
                    key_path.display()
                );
            }
            std::fs::write(&cert_path, certified.cert.pem())
                .with_context(|| format!("cannot write {}", cert_path.display()))?;
            write_private(&key_path, certified.key_pair.serialize_pem().as_bytes())?;
            println!("certificate: {}", cert_path.display());
            println!("key:         {}", key_path.display());
            println!("hosts:       {}", hosts.join(", "));
            println!(
                "use in vigil.toml:\n[tls]\ncert = \"{}\"\nkey = \"{}\"",
                cert_path.display(),
                key_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `vigil routes`: the route table (method, path, access) as JSON lines, for review and tests.
pub fn routes() -> Result<ExitCode> {
    for rule in vigil_server::auth::ROUTES {
        let access = match rule.access {
            vigil_auth::Access::Public => "public".to_string(),
            vigil_auth::Access::Authenticated => "authenticated".to_string(),
            vigil_auth::Access::Need(p) => p.as_str().to_string(),
        };
        println!(
            "{}",
            json!({ "method": rule.method, "path": rule.path, "access": access })
        );
    }
    Ok(ExitCode::SUCCESS)
}
