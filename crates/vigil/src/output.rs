//! Printing search results: an aligned table for people, JSON and CSV for programs.

use anyhow::Result;
use serde_json::Value;
use std::io::Write;

/// How `vigil search` prints.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// The API's JSON.
    Json,
    /// Comma-separated values with a header line.
    Csv,
}

const DEFAULT_HIT_COLUMNS: [&str; 4] = ["@timestamp", "host.name", "process.name", "message"];
const MAX_CELL: usize = 120;

fn lookup<'a>(event: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = event.get(path) {
        return Some(v);
    }
    let mut current = event;
    for part in path.split('.') {
        current = current.get(part)?;
    }
    Some(current)
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Columns and rows of a result, whether it is hits or an aggregation.
fn table(result: &Value) -> (Vec<String>, Vec<Vec<String>>) {
    if let Some(rows) = result["rows"].as_array() {
        let columns: Vec<String> = result["columns"]
            .as_array()
            .map(|c| c.iter().map(|v| cell(Some(v))).collect())
            .unwrap_or_default();
        let rows = rows
            .iter()
            .map(|row| {
                row.as_array()
                    .map(|cells| cells.iter().map(|v| cell(Some(v))).collect())
                    .unwrap_or_default()
            })
            .collect();
        return (columns, rows);
    }
    let hits = result["hits"].as_array().cloned().unwrap_or_default();
    // Projected hits (`| fields a, b`) come with their column list.
    let columns: Vec<String> = match result["columns"].as_array() {
        Some(cols) if !cols.is_empty() => cols.iter().map(|v| cell(Some(v))).collect(),
        _ => DEFAULT_HIT_COLUMNS.iter().map(|s| s.to_string()).collect(),
    };
    let rows = hits
        .iter()
        .map(|hit| columns.iter().map(|c| cell(lookup(hit, c))).collect())
        .collect();
    (columns, rows)
}

fn csv_escape(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Prints a search result in the chosen format.
pub fn print_result(result: &Value, format: Format) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, result)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let (columns, rows) = table(result);
            writeln!(
                out,
                "{}",
                columns
                    .iter()
                    .map(|c| csv_escape(c))
                    .collect::<Vec<_>>()
                    .join(",")
            )?;
            for row in rows {
                writeln!(
                    out,
                    "{}",
                    row.iter()
                        .map(|c| csv_escape(c))
                        .collect::<Vec<_>>()
                        .join(",")
                )?;
            }
        }
        Format::Table => {
            let (columns, rows) = table(result);
            let clip = |s: &str| -> String {
                let flat = s.replace(['\n', '\r', '\t'], " ");
                if flat.chars().count() > MAX_CELL {
                    format!("{}…", flat.chars().take(MAX_CELL - 1).collect::<String>())
                } else {
                    flat
                }
            };
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| clip(c)).collect())
                .collect();
            let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
            for row in &rows {
                for (i, c) in row.iter().enumerate() {
                    if let Some(w) = widths.get_mut(i) {
                        *w = (*w).max(c.chars().count());
                    }
                }
            }
            let line = |cells: &[String]| -> String {
                let last = cells.len().saturating_sub(1);
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if i == last {
                            c.clone()
                        } else {
                            format!("{c:<w$}", w = widths[i])
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
            };
            writeln!(out, "{}", line(&columns))?;
            for row in &rows {
                writeln!(out, "{}", line(row))?;
            }
            let shown = rows.len();
            let total = result["total"].as_u64().unwrap_or(shown as u64);
            let took = result["took_ms"].as_f64().unwrap_or(0.0);
            if result["rows"].is_array() {
                writeln!(out, "-- {shown} rows from {total} events in {took:.1} ms")?;
            } else {
                writeln!(out, "-- {shown} of {total} events in {took:.1} ms")?;
            }
        }
    }
    Ok(())
}
