//! Wires Vigil's pipeline together and serves it: opens the data directory (journal,
//! index, keys), starts the journal writer and indexer, the syslog listeners and the HTTP
//! API, and shuts all of it down cleanly on SIGINT/SIGTERM without losing anything that
//! was acknowledged.
//!
//! Layout of a data directory: `journal/` (segments, checkpoints, keys), `index/` (one
//! tantivy index per time partition), `vigil.lock` (held by the one process writing).

pub mod api;
pub mod audit;
pub mod auth;
pub mod auth_api;
pub mod config;
pub mod detection;
pub mod detection_api;
pub mod otlp;
pub mod pipeline;
pub mod settings_audit;
pub mod shippers;
pub mod sources;
pub mod store;
pub mod tls;

use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

pub use config::Config;
pub use pipeline::Pipeline;
pub use store::JournalStore;

/// The journal's directory inside a data directory.
pub fn journal_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("journal")
}

/// The index's directory inside a data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

/// A data directory opened for writing: exclusive to this process while it lives.
pub struct DataDir {
    /// The journal writer.
    pub journal: vigil_journal::Journal,
    /// The index writer, unless indexing is off.
    pub indexer: Option<vigil_index::Indexer>,
    /// The data directory lock, held for as long as this value lives.
    pub lock: File,
}

impl DataDir {
    /// Opens (creating if needed) the journal and index under `data_dir`, taking its lock.
    pub fn open(data_dir: &Path, config: &Config) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let lock_path = data_dir.join("vigil.lock");
        let lock = File::create(&lock_path)
            .with_context(|| format!("cannot create {}", lock_path.display()))?;
        lock.try_lock().map_err(|_| {
            anyhow::anyhow!(
                "data directory {} is in use by another vigil process (lock {} is held); stop it or use --server",
                data_dir.display(),
                lock_path.display()
            )
        })?;
        let options = vigil_journal::JournalOptions {
            segment_max_bytes: config.segment_bytes,
            fsync: config.fsync,
            ..vigil_journal::JournalOptions::default()
        };
        let journal = vigil_journal::Journal::open(&journal_dir(data_dir), options)
            .with_context(|| format!("cannot open the journal in {}", data_dir.display()))?;
        if journal.recovered_bytes() > 0 {
            tracing::warn!(
                bytes = journal.recovered_bytes(),
                "journal had a torn tail (unacknowledged partial write after a crash): cut back to the last whole record"
            );
        }
        let indexer = if config.index {
            Some(
                vigil_index::Indexer::open(
                    &index_dir(data_dir),
                    vigil_index::IndexOptions::default(),
                )
                .with_context(|| format!("cannot open the index in {}", data_dir.display()))?,
            )
        } else {
            None
        };
        Ok(Self {
            journal,
            indexer,
            lock,
        })
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<()> {
    let signals = ShutdownSignals::register();
    let syslog_offset = config.syslog_offset().map_err(anyhow::Error::msg)?;
    // User-defined pipelines compile before anything is opened: a broken one stops startup.
    let remap = config.compile_pipelines().map_err(anyhow::Error::msg)?;
    if let Some(remap) = &remap {
        tracing::info!(pipelines = ?remap, "user-defined pipelines compiled");
    }
    // Syslog over TLS: certificate, key, client CA and CRL are checked before anything is
    // opened, then watched for changes.
    let listeners = config.syslog_listeners().map_err(anyhow::Error::msg)?;
    let wants_tls = listeners
        .iter()
        .any(|l| l.protocol == vigil_ingest::syslog::SyslogProtocol::Tls);
    let syslog_tls = match wants_tls {
        true => {
            let acceptor = tls::watched_syslog_acceptor(config.tls.as_ref())?;
            let idle = config::parse_duration(&config.syslog_tls_idle_timeout)
                .map_err(|e| anyhow::anyhow!("syslog_tls_idle_timeout: {e}"))?;
            let timeouts = vigil_ingest::syslog_tls::TlsTimeouts {
                idle: (!idle.is_zero()).then_some(idle),
                ..Default::default()
            };
            Some((acceptor, timeouts))
        }
        false => None,
    };
    let data = DataDir::open(&config.data_dir, &config)?;
    let reader = data.journal.reader();
    let public_key = data.journal.public_key_path();
    // A searcher of its own (not the writer's) keeps working when the writer is reopened after an error.
    let searcher = match &data.indexer {
        Some(_) => Some(
            vigil_index::Searcher::open(&index_dir(&config.data_dir))
                .context("cannot open the index for search")?,
        ),
        None => None,
    };
    let lock = data.lock;
    let detect_reader = data.journal.reader();
    let pipeline = Pipeline::start(data.journal, data.indexer, config.queue_batches, remap)
        .context("cannot start the pipeline")?;
    let meta = config.data_dir.join("meta.db");
    let pool = vigil_alert::open_pool(&meta)
        .await
        .with_context(|| format!("cannot open the metadata database {}", meta.display()))?;
    let detection = if config.detect.enabled {
        let settings = detection::DetectionSettings::from_config(&config.detect)
            .map_err(anyhow::Error::msg)?;
        let store = vigil_alert::AlertStore::new(pool.clone())
            .await
            .context("cannot open the alert store")?;
        let service = detection::DetectionService::start(
            &config.data_dir,
            settings,
            detect_reader,
            store.clone(),
            tokio::runtime::Handle::current(),
            pipeline.sink(),
        )
        .map_err(anyhow::Error::msg)?;
        let _already = service
            .shared
            .ack_clock
            .set(pipeline.state.ack_clock.clone());
        if config.detect.max_lag > 0 {
            let shared = service.shared.clone();
            let _already = pipeline.state.detection_pace.set(pipeline::DetectionPace {
                evaluated_upto: Box::new(move || {
                    shared
                        .processed_upto
                        .load(std::sync::atomic::Ordering::Relaxed)
                }),
                max_lag: config.detect.max_lag,
            });
        }
        Some((service, store))
    } else {
        None
    };
    let security = open_security(&config, pool.clone(), pipeline.sink()).await?;
    settings_audit::record_settings_changes(&pool, &security.audit, &config)
        .await
        .context("cannot record the settings in the audit trail")?;
    let tls = match &config.tls {
        Some(settings) => Some(tls::acceptor(settings)?),
        None => None,
    };
    let metrics = Arc::new(vigil_ingest::IngestMetrics::default());
    let syslog_settings = vigil_ingest::syslog::SyslogSettings {
        default_offset: syslog_offset,
        max_frame: config.max_event_bytes,
        ..Default::default()
    };

    let http = TcpListener::bind(config.http)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", config.http))?;
    let sources = sources::start(
        &config,
        &listeners,
        syslog_tls,
        pipeline.sink(),
        &syslog_settings,
        metrics.clone(),
    )
    .await?;
    if !config.http.ip().is_loopback() && tls.is_none() {
        tracing::warn!(address = %config.http, "HTTP API is listening on a non-loopback address without TLS: credentials and events cross the network in the clear; set [tls] cert and key");
    }
    if !security.enabled {
        tracing::warn!("authentication is DISABLED ([auth] enabled = false): anyone who reaches the HTTP port can search, ingest and change rules");
    }
    if tls.is_some() {
        tracing::info!(address = %http.local_addr()?, "listening for HTTPS (API and ingest)");
    } else {
        tracing::info!(address = %http.local_addr()?, "listening for HTTP (API and ingest)");
    }
    tracing::info!(
        data_dir = %config.data_dir.display(),
        public_key = %public_key.display(),
        records = pipeline.state.journal_size.load(std::sync::atomic::Ordering::Relaxed),
        "vigil is ready"
    );

    let state = Arc::new(api::AppState {
        sink: pipeline.sink(),
        searcher,
        reader,
        metrics,
        pipeline: pipeline.state.clone(),
        max_body_bytes: config.max_body_bytes,
        max_event_bytes: config.max_event_bytes,
        syslog_offset,
        started: Instant::now(),
        data_dir: config.data_dir.clone(),
        detection: detection
            .as_ref()
            .map(|(service, _)| service.shared.clone()),
        detection_settings: detection
            .as_ref()
            .map(|(service, _)| service.settings.clone()),
        alerts: detection.as_ref().map(|(_, store)| store.clone()),
        security: security.clone(),
        request_timeout: config::parse_duration(&config.request_timeout)
            .map_err(anyhow::Error::msg)?,
        max_concurrent_requests: config.max_concurrent_requests,
    });
    let outbox = {
        let audit = security.audit.clone();
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = audit.drain_outbox(&pool).await {
                    tracing::error!(error = %format!("{e:#}"), "cannot move CLI audit records into the audit journal");
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        })
    };
    let app =
        api::router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    match tls {
        Some(acceptor) => {
            use axum::serve::ListenerExt;
            // tap_io gives the TLS listener the same ConnectInfo<SocketAddr> as plain TCP.
            let listener = tls::TlsListener::new(http, acceptor).tap_io(|_| {});
            axum::serve(listener, app)
                .with_graceful_shutdown(signals.wait())
                .await
                .context("HTTPS server failed")?;
        }
        None => {
            axum::serve(http, app)
                .with_graceful_shutdown(signals.wait())
                .await
                .context("HTTP server failed")?;
        }
    }
    outbox.abort();

    tracing::info!("shutting down: draining the pipeline");
    sources.stop().await;
    drop(state);
    tokio::task::spawn_blocking(move || {
        pipeline.shutdown();
        if let Some((service, _)) = detection {
            service.shutdown();
        }
    })
    .await
    .context("pipeline shutdown failed")?;
    drop(lock);
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Opens users, tokens and sessions, creates the first admin on first start, and the audit log.
async fn open_security(
    config: &Config,
    pool: sqlx::SqlitePool,
    sink: vigil_ingest::Sink,
) -> Result<Arc<auth::Security>> {
    let idle = config::parse_duration(&config.auth.session_idle_timeout)
        .map_err(|e| anyhow::anyhow!("[auth] session_idle_timeout: {e}"))?;
    let absolute = config::parse_duration(&config.auth.session_absolute_timeout)
        .map_err(|e| anyhow::anyhow!("[auth] session_absolute_timeout: {e}"))?;
    let policy = vigil_auth::SessionPolicy {
        idle_timeout: chrono::Duration::from_std(idle)?,
        absolute_timeout: chrono::Duration::from_std(absolute)?,
    };
    let store =
        vigil_auth::AuthStore::with_options(pool, Arc::new(vigil_auth::SystemClock), policy)
            .await
            .context("cannot open the user database")?;
    let env_password = std::env::var("VIGIL_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    match store.users.ensure_initial_admin(env_password).await {
        Ok(Some(generated)) => {
            // Printed once, to the console only: not logged, not stored in the clear.
            eprintln!(
                "\n==================== VIGIL INITIAL ADMIN ====================\n\
                 user:     {}\n\
                 password: {generated}\n\
                 This password is shown only now. Log in and keep it safe, or set\n\
                 VIGIL_ADMIN_PASSWORD before the first start to choose it.\n\
                 =============================================================\n",
                vigil_auth::users::INITIAL_ADMIN
            );
        }
        Ok(None) => {}
        Err(e) => {
            return Err(anyhow::anyhow!(
                "cannot create the initial admin user (VIGIL_ADMIN_PASSWORD): {e}"
            ))
        }
    }
    let audit = audit::AuditLog::open(&config.data_dir, config.auth.audit_events.then_some(sink))?;
    let throttle =
        vigil_auth::LoginThrottle::new(vigil_auth::ThrottlePolicy::default(), store.clock());
    Ok(Arc::new(auth::Security {
        store,
        throttle,
        audit,
        enabled: config.auth.enabled,
        tls: config.tls.is_some(),
        credential_failures: Default::default(),
    }))
}

/// SIGINT and SIGTERM, registered when `serve` starts: a signal that arrives while the
/// server is still starting, or the instant it is ready, stops it cleanly instead of killing
/// it with the default action (a handler installed only when the shutdown future is first
/// polled leaves that window open).
struct ShutdownSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    fn register() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listen = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for {name}");
                    None
                }
            };
            Self {
                interrupt: listen(SignalKind::interrupt(), "SIGINT"),
                terminate: listen(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Resolves at the first SIGINT or SIGTERM.
    async fn wait(self) {
        #[cfg(unix)]
        {
            async fn next(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                _ = next(self.interrupt) => tracing::info!("SIGINT received"),
                _ = next(self.terminate) => tracing::info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
            tracing::info!("Ctrl-C received");
        }
    }
}
