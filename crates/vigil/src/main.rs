//! `vigil`: the one binary. `serve` runs the server; `ingest`, `search` and `verify` work on
//! a data directory directly or against a running server; `bench` loads a running server.

mod admin;
mod alerts;
mod bench;
mod bench_detect;
mod client;
mod hunt;
mod ingest;
mod output;
mod rules_cmd;
mod search;
mod verify;

use anyhow::{Context, Result};

/// Events are built on network threads and freed on the journal thread: glibc's malloc
/// serialises that on arena locks (a third of the CPU under load), mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use vigil_server::config::{parse_optional_addr, Config};

#[derive(Parser)]
#[command(name = "vigil", version, about = "Vigil: a SIEM in one binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server: syslog UDP/TCP and HTTP ingest, journal, index and API.
    Serve(ServeArgs),
    /// Search stored events (the data directory directly, or a server with --server).
    Search(search::SearchArgs),
    /// Verify the journal: every record, the Merkle tree and every signed checkpoint.
    Verify(verify::VerifyArgs),
    /// Import log files (syslog or NDJSON, .gz accepted) into a data directory or a server.
    Ingest(ingest::IngestArgs),
    /// List alerts, or show one (from a data directory or a server with --server).
    Alerts(alerts::AlertsArgs),
    /// Run Sigma rules over log files (EVTX, JSON, syslog; directories recursed) without a server.
    Hunt(hunt::HuntArgs),
    /// Rule management: validate, test (sibling .tests.yml cases), backtest over stored history.
    Rules(rules_cmd::RulesArgs),
    /// Load a running server with realistic syslog and report events/s, ack latency and RSS.
    Bench(bench::BenchArgs),
    /// Users (offline, on the data directory's metadata database): add, list, disable, reset-password, set-role.
    Users(admin::UsersArgs),
    /// API tokens (offline): create (secret shown once), list, revoke.
    Tokens(admin::TokensArgs),
    /// Certificates: `vigil cert self-signed --out DIR` for a quick HTTPS start.
    Cert(admin::CertArgs),
    /// Print the HTTP route table with each route's required access (JSON lines).
    Routes,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Configuration file (vigil.toml); every key is optional.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory [default: ./vigil-data]
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// HTTP API address [default: 127.0.0.1:8080]
    #[arg(long)]
    http: Option<SocketAddr>,
    /// Syslog UDP address, or "off" [default: 127.0.0.1:5514]
    #[arg(long)]
    syslog_udp: Option<String>,
    /// Syslog TCP address, or "off" [default: 127.0.0.1:5514]
    #[arg(long)]
    syslog_tcp: Option<String>,
    /// Syslog over RELP (rsyslog omrelp) address, or "off" [default: off]
    #[arg(long)]
    syslog_relp: Option<String>,
    /// Syslog over TLS (RFC 5425) address, or "off"; needs [tls] in the config [default: off]
    #[arg(long)]
    syslog_tls: Option<String>,
    /// Do not index (journal only; for measuring ingest without the index).
    #[arg(long)]
    no_index: bool,
    /// Sigma rule file or directory (repeatable; replaces [detect] rules)
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Do not run detection
    #[arg(long)]
    no_detect: bool,
    /// Do not put audit records into the event stream (they still go to the audit journal).
    #[arg(long)]
    no_audit_events: bool,
    /// Do not fsync the journal before acknowledging (faster, loses acknowledged events on power loss).
    #[arg(long)]
    no_fsync: bool,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tantivy=warn,evtx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn serve_config(args: ServeArgs) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Some(http) = args.http {
        config.http = http;
    }
    if let Some(udp) = args.syslog_udp {
        config.syslog_udp =
            parse_optional_addr(&udp).map_err(|e| anyhow::anyhow!("--syslog-udp: {e}"))?;
    }
    if let Some(tcp) = args.syslog_tcp {
        config.syslog_tcp =
            parse_optional_addr(&tcp).map_err(|e| anyhow::anyhow!("--syslog-tcp: {e}"))?;
    }
    if let Some(relp) = args.syslog_relp {
        config.syslog_relp =
            parse_optional_addr(&relp).map_err(|e| anyhow::anyhow!("--syslog-relp: {e}"))?;
    }
    if let Some(tls) = args.syslog_tls {
        config.syslog_tls =
            parse_optional_addr(&tls).map_err(|e| anyhow::anyhow!("--syslog-tls: {e}"))?;
    }
    if args.no_index {
        config.index = false;
    }
    if args.no_fsync {
        config.fsync = false;
    }
    if !args.rules.is_empty() {
        config.detect.rules = args.rules;
    }
    if args.no_detect {
        config.detect.enabled = false;
    }
    if args.no_audit_events {
        config.auth.audit_events = false;
    }
    Ok(config)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let outcome = match cli.command {
        Command::Serve(args) => serve_config(args).and_then(|config| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?
                .block_on(vigil_server::serve(config))
                .map(|()| ExitCode::SUCCESS)
        }),
        Command::Search(args) => search::run(args),
        Command::Verify(args) => Ok(verify::run(args)),
        Command::Ingest(args) => ingest::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Hunt(args) => hunt::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Alerts(args) => alerts::run(args),
        Command::Users(args) => admin::users(args),
        Command::Tokens(args) => admin::tokens(args),
        Command::Cert(args) => admin::cert(args),
        Command::Routes => admin::routes(),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
