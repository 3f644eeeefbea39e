//! Sources started beside the syslog listeners: the RELP listener (`syslog_relp`) and file
//! tailing (`[[sources.file]]`). Both hand batches to the pipeline and wait for the journal's
//! acknowledgement before confirming anything (a RELP `rsp`, a persisted file offset).

use crate::config::Config;
use anyhow::{Context, Result};
use std::sync::Arc;
use tokio::net::TcpListener;
use vigil_ingest::file_tail::{FileTailer, TailSettings};
use vigil_ingest::syslog::SyslogSettings;
use vigil_ingest::{IngestMetrics, Sink};

/// The running sources of this module.
pub struct Sources {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    tailer: Option<FileTailer>,
}

/// Binds the RELP listener and starts the file tailer, as configured.
pub async fn start(
    config: &Config,
    sink: Sink,
    syslog: &SyslogSettings,
    metrics: Arc<IngestMetrics>,
) -> Result<Sources> {
    let mut tasks = Vec::new();
    if let Some(addr) = config.syslog_relp {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for syslog over RELP on {addr}"))?;
        tracing::info!(address = %listener.local_addr()?, "listening for syslog over RELP");
        tasks.push(tokio::spawn(vigil_ingest::relp::serve_relp(
            listener,
            sink.clone(),
            syslog.clone(),
            metrics.clone(),
        )));
    }
    let tailer = if config.sources.file.is_empty() {
        None
    } else {
        let mut settings = TailSettings::new(&config.data_dir);
        settings.max_event_bytes = config.max_event_bytes;
        settings.default_offset = syslog.default_offset;
        Some(
            FileTailer::start(&config.sources.file, settings, sink, metrics)
                .map_err(anyhow::Error::msg)?,
        )
    };
    Ok(Sources { tasks, tailer })
}

impl Sources {
    /// Stops accepting and reading; the tailer finishes its batch in flight (the pipeline
    /// must still be running).
    pub async fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
        if let Some(tailer) = self.tailer {
            let _ = tokio::task::spawn_blocking(move || tailer.stop()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn relp_is_off_by_default_and_file_sources_are_read_from_the_config() {
        assert_eq!(Config::default().syslog_relp, None);
        let cfg: Config = toml::from_str(
            "syslog_relp = \"127.0.0.1:2514\"\n[[sources.file]]\nname = \"app\"\npaths = [\"/var/log/app/*.log\"]\nmultiline_start = '^\\d'\nexclude = [\"*.gz\"]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.syslog_relp.map(|a| a.port()), Some(2514));
        assert_eq!(cfg.sources.file.len(), 1);
        assert_eq!(cfg.sources.file[0].multiline_start.as_deref(), Some("^\\d"));
        assert!(
            toml::from_str::<Config>("[[sources.file]]\nname = \"a\"\npaths = []\nbogus = 1")
                .is_err()
        );
    }
}
