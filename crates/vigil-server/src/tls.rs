//! TLS with rustls from `[tls]`: loads the PEM certificate chain, key and (for syslog mutual
//! TLS) client CA bundle and certificate revocation lists (a clear error naming the file when
//! one is missing or unusable); builds the HTTPS acceptor and the syslog-over-TLS acceptor
//! (client certificates required and verified against `client_ca` and `client_crl` when they
//! are set), rebuilding the latter when one of its files changes; and a listener that
//! completes HTTPS handshakes off the accept loop (each bounded by a timeout) and hands
//! finished connections to axum.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Context, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::server::TlsStream;
use tokio_rustls::{rustls, TlsAcceptor};

use crate::config::TlsSettings;

/// Longest a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once (beyond this, new connections wait in the kernel backlog).
const MAX_HANDSHAKES: usize = 256;
/// How often the syslog TLS files are checked for changes (a renewed certificate, a new CRL).
const RELOAD_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// Every PEM block of type `T` in the file at `path` (`what` and `block` name the file and the
/// block in errors); an unreadable file, bad PEM or no such block is an error naming the file.
fn read_pem_blocks<T: PemObject>(path: &Path, what: &str, block: &str) -> Result<Vec<T>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))?;
    let items: Vec<T> = T::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!("{what} {} is not valid PEM: {e}", path.display()))?;
    if items.is_empty() {
        return Err(anyhow!("{what} {} holds no {block} block", path.display()));
    }
    Ok(items)
}

/// Reads a PEM certificate chain.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    read_pem_blocks(path, "TLS certificate", "CERTIFICATE")
}

/// Reads a PEM private key (PKCS#8, PKCS#1 or SEC1). Never prints key material.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read TLS key {}", path.display()))?;
    PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|_| anyhow!("TLS key {} holds no usable PEM private key", path.display()))
}

/// Reads a PEM CA bundle into a root store (every certificate must be a usable trust anchor).
pub fn load_client_roots(path: &Path) -> Result<rustls::RootCertStore> {
    let certs: Vec<CertificateDer<'static>> =
        read_pem_blocks(path, "TLS client CA bundle", "CERTIFICATE")?;
    let mut roots = rustls::RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots.add(cert).map_err(|e| {
            anyhow!(
                "TLS client CA bundle {}: certificate #{} cannot be a trust anchor: {e}",
                path.display(),
                i + 1
            )
        })?;
    }
    Ok(roots)
}

/// Reads PEM certificate revocation lists (one file may hold several `X509 CRL` blocks).
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    read_pem_blocks(path, "TLS certificate revocation list", "X509 CRL")
}

/// What client certificates must satisfy (mutual TLS).
struct ClientTrust<'a> {
    ca_path: &'a Path,
    roots: rustls::RootCertStore,
    crl_path: Option<&'a Path>,
    crls: Vec<CertificateRevocationListDer<'static>>,
}

fn server_config(
    settings: &TlsSettings,
    client_trust: Option<ClientTrust<'_>>,
) -> Result<rustls::ServerConfig> {
    let certs = load_certs(&settings.cert)?;
    let key = load_key(&settings.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?;
    let builder = match client_trust {
        None => builder.with_no_client_auth(),
        Some(trust) => {
            // With CRLs, every certificate of the client's chain below the trust anchor must
            // be covered by one of them (rustls' default: unknown revocation status is
            // refused), so a CA whose CRL was forgotten fails closed.
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(trust.roots),
                provider,
            )
            .with_crls(trust.crls)
            .build()
            .map_err(|e| match trust.crl_path {
                Some(crl) => anyhow!(
                    "cannot use the TLS client CA bundle {} with the revocation list {}: {e}",
                    trust.ca_path.display(),
                    crl.display()
                ),
                None => anyhow!(
                    "cannot use the TLS client CA bundle {}: {e}",
                    trust.ca_path.display()
                ),
            })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder.with_single_cert(certs, key).map_err(|e| {
        anyhow!(
            "TLS certificate {} and key {} cannot be used together: {e}",
            settings.cert.display(),
            settings.key.display()
        )
    })
}

/// The rustls server configuration for `[tls]` (HTTPS: no client certificates).
pub fn acceptor(settings: &TlsSettings) -> Result<TlsAcceptor> {
    let mut config = server_config(settings, None)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The acceptor for syslog over TLS (`syslog_tls`): the `[tls]` certificate and key and,
/// when `client_ca` is set, a client certificate chaining to it is required (mutual TLS) and,
/// when `client_crl` is set too, must not be revoked. Without `[tls]` it is an error saying so.
pub fn syslog_acceptor(settings: Option<&TlsSettings>) -> Result<TlsAcceptor> {
    let settings = settings.ok_or_else(|| {
        anyhow!("syslog_tls is set but there is no [tls] section: syslog over TLS needs [tls] cert and key (and client_ca for mutual TLS)")
    })?;
    let trust = match (&settings.client_ca, &settings.client_crl) {
        (Some(ca_path), crl_path) => Some(ClientTrust {
            ca_path,
            roots: load_client_roots(ca_path)?,
            crl_path: crl_path.as_deref(),
            crls: match crl_path {
                Some(path) => load_crls(path)?,
                None => Vec::new(),
            },
        }),
        (None, Some(crl)) => {
            return Err(anyhow!(
                "[tls] client_crl = {} is set without client_ca: revocation lists apply to client certificates, which only mutual TLS asks for",
                crl.display()
            ))
        }
        (None, None) => None,
    };
    Ok(TlsAcceptor::from(Arc::new(server_config(settings, trust)?)))
}

/// The syslog-over-TLS acceptor, rebuilt whenever one of its files (certificate, key, client
/// CA bundle, revocation list) changes on disk, so a renewed certificate or a freshly
/// published CRL applies to the next handshake without a restart. A change that does not
/// load (a half-written file, a key that no longer matches) is logged and the previous
/// acceptor stays in use; the check repeats until the files load.
pub fn watched_syslog_acceptor(
    settings: Option<&TlsSettings>,
) -> Result<(watch::Receiver<TlsAcceptor>, tokio::task::JoinHandle<()>)> {
    let initial = syslog_acceptor(settings)?;
    let Some(settings) = settings.cloned() else {
        return Err(anyhow!("syslog_tls is set but there is no [tls] section"));
    };
    let (tx, rx) = watch::channel(initial);
    let files: Vec<PathBuf> = [
        Some(settings.cert.clone()),
        Some(settings.key.clone()),
        settings.client_ca.clone(),
        settings.client_crl.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut seen = modification_times(&files);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(RELOAD_CHECK_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = modification_times(&files);
            if now == seen {
                continue;
            }
            match syslog_acceptor(Some(&settings)) {
                Ok(acceptor) => {
                    seen = now;
                    tracing::info!(files = ?files, "syslog TLS certificate, key, CA or revocation list changed: reloaded");
                    if tx.send(acceptor).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "syslog TLS files changed but do not load; still using the previous ones");
                    // Tried again when they change again (a mid-write file changes once more).
                    seen = now;
                }
            }
        }
    });
    Ok((rx, task))
}

fn modification_times(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .collect()
}

/// A listener yielding TLS connections whose handshake has completed.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    _accept: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `listener`.
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> Self {
        let local = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (tx, ready) = mpsc::channel(64);
        let limit = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
        let accept = tokio::spawn(async move {
            loop {
                let Ok(permit) = limit.clone().acquire_owned().await else {
                    return;
                };
                let (stream, peer) = match listener.accept().await {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot accept an HTTPS connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, error = %e, "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Self {
            local,
            ready,
            _accept: accept,
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self._accept.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(pair) => pair,
            // The accept task ended (cannot happen while the listener lives): wait forever.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
