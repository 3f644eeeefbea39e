//! `vigil alerts`: list alerts (or show one with its events) from a running server
//! (`--server`) or straight from a data directory's metadata database (read-only use), and
//! triage one on a server (`vigil alerts ID --set-status acknowledged --reason …`, audited
//! under the token's owner).

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use vigil_alert::{AlertFilter, AlertStatus, AlertStore};

use crate::output::{print_result, Format};

#[derive(clap::Args)]
pub struct AlertsArgs {
    /// Show one alert (with its events when asking a server)
    id: Option<String>,
    /// Data directory [default: ./vigil-data]
    #[arg(long, default_value = "./vigil-data")]
    data_dir: std::path::PathBuf,
    /// Ask a running server instead (e.g. http://127.0.0.1:8080)
    #[arg(long)]
    server: Option<String>,
    /// API token for --server (an analyst's or auditor's)
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// open, acknowledged or closed
    #[arg(long)]
    status: Option<String>,
    /// Rule id or exact title
    #[arg(long)]
    rule: Option<String>,
    /// Earliest last-event time (-24h, RFC 3339, now)
    #[arg(long)]
    from: Option<String>,
    /// Latest last-event time, exclusive
    #[arg(long)]
    to: Option<String>,
    /// Most alerts listed
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Move the alert ID to this status (open, acknowledged, closed); needs --server and an
    /// analyst's token, and is recorded in the audit trail
    #[arg(long, requires_all = ["id", "server"])]
    set_status: Option<String>,
    /// Triage note kept with --set-status in the audit trail
    #[arg(long, requires = "set_status")]
    reason: Option<String>,
}

fn rows_of(alerts: &[Value]) -> Value {
    let columns = [
        "last_event_time",
        "level",
        "rule_title",
        "group_key",
        "count",
        "status",
        "id",
    ];
    let rows: Vec<Value> = alerts
        .iter()
        .map(|a| {
            let group = a["group_key"]
                .as_array()
                .map(|pairs| {
                    pairs
                        .iter()
                        .filter_map(|p| {
                            Some(format!("{}={}", p.get(0)?.as_str()?, p.get(1)?.as_str()?))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            Value::Array(
                columns
                    .iter()
                    .map(|c| {
                        if *c == "group_key" {
                            Value::String(group.clone())
                        } else {
                            a[*c].clone()
                        }
                    })
                    .collect(),
            )
        })
        .collect();
    serde_json::json!({ "total": alerts.len(), "columns": columns, "rows": rows })
}

pub fn run(args: AlertsArgs) -> Result<ExitCode> {
    let (alerts, single) = match &args.server {
        Some(server) => from_server(server, &args)?,
        None => from_data_dir(&args)?,
    };
    match (single, args.format) {
        (Some(alert), _) => println!("{}", serde_json::to_string_pretty(&alert)?),
        (None, Format::Json) => println!("{}", serde_json::to_string_pretty(&alerts)?),
        (None, format) => print_result(&rows_of(&alerts), format)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn from_server(server: &str, args: &AlertsArgs) -> Result<(Vec<Value>, Option<Value>)> {
    let base = server.trim_end_matches('/');
    let client = crate::client::http_client(args.token.as_deref(), None)?;
    let response = match (&args.id, &args.set_status) {
        (Some(id), Some(status)) => client
            .post(format!("{base}/api/v1/alerts/{id}/status"))
            .json(&serde_json::json!({ "status": status, "reason": args.reason }))
            .send(),
        (Some(id), None) => client.get(format!("{base}/api/v1/alerts/{id}")).send(),
        (None, _) => {
            let mut query: Vec<(&str, String)> = vec![("limit", args.limit.to_string())];
            for (k, v) in [
                ("status", &args.status),
                ("rule", &args.rule),
                ("from", &args.from),
                ("to", &args.to),
            ] {
                if let Some(v) = v {
                    query.push((k, v.clone()));
                }
            }
            client
                .get(format!("{base}/api/v1/alerts"))
                .query(&query)
                .send()
        }
    }
    .with_context(|| format!("cannot reach {base}"))?;
    let status = response.status();
    let body: Value = response.json().unwrap_or_default();
    if !status.is_success() {
        bail!(
            "{base} answered {status}: {}",
            body["error"].as_str().unwrap_or("no reason given")
        );
    }
    if args.id.is_some() {
        return Ok((Vec::new(), Some(body)));
    }
    Ok((body["alerts"].as_array().cloned().unwrap_or_default(), None))
}

fn from_data_dir(args: &AlertsArgs) -> Result<(Vec<Value>, Option<Value>)> {
    let path = args.data_dir.join("meta.db");
    if !path.exists() {
        bail!(
            "no alerts database at {} (has a server run on this data directory?)",
            path.display()
        );
    }
    let now = chrono::Utc::now();
    let time = |v: &Option<String>| -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        v.as_deref()
            .map(|t| {
                vigil_core::time::parse_time_expr(t, now).map_err(|e| anyhow::anyhow!("{t}: {e}"))
            })
            .transpose()
    };
    let filter = AlertFilter {
        status: args
            .status
            .as_deref()
            .map(str::parse::<AlertStatus>)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--status: {e}"))?,
        rule: args.rule.clone(),
        from: time(&args.from)?,
        to: time(&args.to)?,
        limit: Some(args.limit),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let pool = vigil_alert::open_pool(&path).await?;
        let store = AlertStore::new(pool).await?;
        if let Some(id) = &args.id {
            let alert = store
                .get(id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no alert with id '{id}'"))?;
            return Ok((Vec::new(), Some(serde_json::to_value(alert)?)));
        }
        let alerts = store.list(&filter).await?;
        Ok((
            alerts
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()?,
            None,
        ))
    })
}
