//! `vigil search`: runs a query against the data directory (read-only, safe while a server
//! writes it) or a server's API, and prints a table, JSON or CSV.

use crate::output::{print_result, Format};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use vigil_server::api::{parse_range, search_error_json, search_result_json, MAX_SEARCH_LIMIT};

#[derive(clap::Args)]
pub struct SearchArgs {
    /// The query, e.g. 'source.ip:10.0.0.0/8 AND event.outcome:failure | stats count() by user.name'
    query: String,
    /// Start of the time range: RFC 3339 or relative (-24h, -7d, now)
    #[arg(long)]
    from: Option<String>,
    /// End of the time range [default: now]
    #[arg(long)]
    to: Option<String>,
    /// Most hits to show
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Data directory to read [default: ./vigil-data]
    #[arg(long, default_value = "./vigil-data")]
    data_dir: PathBuf,
    /// Ask a running server instead (e.g. http://127.0.0.1:8080)
    #[arg(long)]
    server: Option<String>,
    /// API token for --server (an analyst's or auditor's)
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

pub fn run(args: SearchArgs) -> Result<ExitCode> {
    if args.limit == 0 || args.limit > MAX_SEARCH_LIMIT {
        bail!("--limit must be from 1 to {MAX_SEARCH_LIMIT}");
    }
    let response = match &args.server {
        Some(server) => remote(&args, server)?,
        None => local(&args)?,
    };
    match response {
        Ok(result) => {
            print_result(&result, args.format)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!(
                "error: {}",
                error["error"].as_str().unwrap_or("search failed")
            );
            if let Some(pos) = error["position"].as_u64() {
                eprintln!("  {}", args.query);
                eprintln!("  {}^", " ".repeat(pos as usize));
            }
            Ok(ExitCode::from(2))
        }
    }
}

fn local(args: &SearchArgs) -> Result<Result<Value, Value>> {
    let range =
        parse_range(args.from.as_deref(), args.to.as_deref()).map_err(anyhow::Error::msg)?;
    let index_dir = vigil_server::index_dir(&args.data_dir);
    let journal_dir = vigil_server::journal_dir(&args.data_dir);
    if !journal_dir.exists() {
        bail!(
            "no journal in {}: ingest something first, or point --data-dir / --server at your data",
            args.data_dir.display()
        );
    }
    let searcher = vigil_index::Searcher::open(&index_dir)
        .with_context(|| format!("cannot open the index in {}", index_dir.display()))?;
    let reader = vigil_journal::JournalReader::open(&journal_dir)
        .with_context(|| format!("cannot open the journal in {}", journal_dir.display()))?;
    let started = Instant::now();
    let result = searcher.search(
        &args.query,
        range,
        args.limit,
        &vigil_server::JournalStore(&reader),
    );
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(match result {
        Ok(result) => Ok(search_result_json(&result, took_ms)),
        Err(e) => Err(search_error_json(&e)),
    })
}

fn remote(args: &SearchArgs, server: &str) -> Result<Result<Value, Value>> {
    let url = format!("{}/api/v1/search", server.trim_end_matches('/'));
    let mut params = vec![("q", args.query.clone()), ("limit", args.limit.to_string())];
    if let Some(from) = &args.from {
        params.push(("from", from.clone()));
    }
    if let Some(to) = &args.to {
        params.push(("to", to.clone()));
    }
    let response = crate::client::http_client(args.token.as_deref(), None)?
        .get(&url)
        .query(&params)
        .send()
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .with_context(|| format!("{url} answered {status} with a body that is not JSON"))?;
    Ok(if status.is_success() {
        Ok(body)
    } else {
        Err(body)
    })
}
