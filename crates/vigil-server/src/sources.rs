//! The inputs started beside the HTTP API: every syslog listener (UDP, TCP, TLS, RELP; the
//! unnamed `syslog_*` addresses and each named `[[sources.syslog]]`) and file tailing
//! (`[[sources.file]]`). They hand batches to the pipeline; RELP and the tailer wait for the
//! journal's acknowledgement before confirming anything (a RELP `rsp`, a persisted offset).

use crate::config::{Config, SyslogListener};
use anyhow::{Context, Result};
use std::sync::Arc;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use vigil_ingest::file_tail::{FileTailer, TailSettings};
use vigil_ingest::syslog::{SyslogProtocol, SyslogSettings};
use vigil_ingest::syslog_tls::TlsTimeouts;
use vigil_ingest::{IngestMetrics, Sink};

/// The syslog-over-TLS acceptor (reloaded on certificate changes by its task) and timeouts.
pub type SyslogTls = (
    (watch::Receiver<TlsAcceptor>, tokio::task::JoinHandle<()>),
    TlsTimeouts,
);

/// The running sources of this module.
pub struct Sources {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    tailer: Option<FileTailer>,
}

/// Binds every syslog listener and starts the file tailer, as configured. `tls` must be
/// given when a listener speaks TLS.
pub async fn start(
    config: &Config,
    listeners: &[SyslogListener],
    tls: Option<SyslogTls>,
    sink: Sink,
    syslog: &SyslogSettings,
    metrics: Arc<IngestMetrics>,
) -> Result<Sources> {
    let mut tasks = Vec::new();
    let tls = match tls {
        Some(((acceptor, reload_task), timeouts)) => {
            tasks.push(reload_task);
            Some((acceptor, timeouts))
        }
        None => None,
    };
    for listener in listeners {
        let settings = SyslogSettings {
            name: listener.name.clone(),
            parser: listener.parser,
            join_audit: listener.join_audit,
            ..syslog.clone()
        };
        let name = settings
            .source_name(listener.protocol.default_name())
            .to_string();
        let addr = listener.addr;
        let task = match listener.protocol {
            SyslogProtocol::Udp => {
                let socket = UdpSocket::bind(addr).await.with_context(|| {
                    format!("cannot listen for syslog over UDP ({name}) on {addr}")
                })?;
                tracing::info!(source = %name, parser = %listener.parser, address = %socket.local_addr()?, "listening for syslog over UDP");
                tokio::spawn(vigil_ingest::syslog::serve_udp(
                    socket,
                    sink.clone(),
                    settings,
                    metrics.clone(),
                ))
            }
            SyslogProtocol::Tcp => tokio::spawn(vigil_ingest::syslog::serve_tcp(
                bind_stream(listener, &name).await?,
                sink.clone(),
                settings,
                metrics.clone(),
            )),
            SyslogProtocol::Tls => {
                let Some((acceptor, timeouts)) = &tls else {
                    return Err(anyhow::anyhow!(
                        "syslog over TLS ({name}) has no acceptor: [tls] is required"
                    ));
                };
                let socket = bind_stream(listener, &name).await?;
                let mutual = config.tls.as_ref().is_some_and(|t| t.client_ca.is_some());
                let revocation = config.tls.as_ref().is_some_and(|t| t.client_crl.is_some());
                tracing::info!(source = %name, mutual_tls = mutual, revocation_list = revocation, "syslog over TLS client certificates");
                tokio::spawn(vigil_ingest::syslog_tls::serve_tls(
                    socket,
                    acceptor.clone(),
                    sink.clone(),
                    settings,
                    timeouts.clone(),
                    metrics.clone(),
                ))
            }
            SyslogProtocol::Relp => tokio::spawn(vigil_ingest::relp::serve_relp(
                bind_stream(listener, &name).await?,
                sink.clone(),
                settings,
                metrics.clone(),
            )),
        };
        tasks.push(task);
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

/// Binds a stream (TCP, TLS, RELP) listener and logs where it listens.
async fn bind_stream(listener: &SyslogListener, name: &str) -> Result<TcpListener> {
    let (addr, what) = (listener.addr, listener.protocol.label());
    let socket = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for syslog over {what} ({name}) on {addr}"))?;
    tracing::info!(source = %name, parser = %listener.parser, address = %socket.local_addr()?, "listening for syslog over {what}");
    Ok(socket)
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
