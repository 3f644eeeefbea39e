//! `vigil verify`: re-checks the journal offline and reports in words and exit codes
//! (0 intact, 1 tampered, 2 unusable input).

use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Data directory [default: ./vigil-data]
    #[arg(long, default_value = "./vigil-data")]
    data_dir: PathBuf,
    /// Public key to check checkpoint signatures with [default: the data directory's exported key]
    #[arg(long)]
    public_key: Option<PathBuf>,
    /// Verify the audit journal (<data-dir>/audit) instead of the event journal
    #[arg(long)]
    audit: bool,
}

pub fn run(args: VerifyArgs) -> ExitCode {
    let journal_dir = if args.audit {
        vigil_server::audit::audit_dir(&args.data_dir)
    } else {
        vigil_server::journal_dir(&args.data_dir)
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} verifying: {human_pos} records ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut progress = |n: u64| bar.set_position(n);
    let report = vigil_journal::verify(&journal_dir, args.public_key.as_deref(), &mut progress);
    bar.finish_and_clear();
    match report {
        Err(e) => {
            eprintln!("error: cannot verify {}: {e}", journal_dir.display());
            ExitCode::from(2)
        }
        Ok(report) => {
            let secs = report.elapsed.as_secs_f64();
            println!("records checked:     {}", report.records_checked);
            println!("checkpoints checked: {}", report.checkpoints_checked);
            println!(
                "time:                {:.3} s ({:.0} records/s)",
                secs,
                report.records_checked as f64 / secs.max(1e-9)
            );
            match report.failure {
                None => {
                    println!("result:              intact");
                    ExitCode::SUCCESS
                }
                Some(t) => {
                    println!("result:              TAMPERED");
                    println!(
                        "first bad record:    index {} (event id {}): {}: {}",
                        t.index,
                        t.event_id.as_deref().unwrap_or("unknown"),
                        t.kind,
                        t.detail
                    );
                    ExitCode::from(1)
                }
            }
        }
    }
}
