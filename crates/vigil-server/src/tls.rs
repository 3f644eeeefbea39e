//! TLS with rustls from `[tls]`: loads the PEM certificate chain, key and (for syslog mutual
//! TLS) client CA bundle (a clear error naming the file when one is missing or unusable);
//! builds the HTTPS acceptor and the syslog-over-TLS acceptor (client certificates required
//! and verified against `client_ca` when it is set); and a listener that completes HTTPS
//! handshakes off the accept loop (each bounded by a timeout) and hands finished
//! connections to axum.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::{rustls, TlsAcceptor};

use crate::config::TlsSettings;

/// Longest a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once (beyond this, new connections wait in the kernel backlog).
const MAX_HANDSHAKES: usize = 256;

/// Reads a PEM certificate chain.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read TLS certificate {}", path.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!("TLS certificate {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(anyhow!(
            "TLS certificate {} holds no CERTIFICATE block",
            path.display()
        ));
    }
    Ok(certs)
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
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read TLS client CA bundle {}", path.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            anyhow!(
                "TLS client CA bundle {} is not valid PEM: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(anyhow!(
            "TLS client CA bundle {} holds no CERTIFICATE block",
            path.display()
        ));
    }
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

fn server_config(
    settings: &TlsSettings,
    client_roots: Option<(&Path, rustls::RootCertStore)>,
) -> Result<rustls::ServerConfig> {
    let certs = load_certs(&settings.cert)?;
    let key = load_key(&settings.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?;
    let builder = match client_roots {
        None => builder.with_no_client_auth(),
        Some((path, roots)) => {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| {
                anyhow!(
                    "cannot use the TLS client CA bundle {}: {e}",
                    path.display()
                )
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
/// when `client_ca` is set, a client certificate chaining to it is required (mutual TLS).
/// Without `[tls]` it is an error saying so.
pub fn syslog_acceptor(settings: Option<&TlsSettings>) -> Result<TlsAcceptor> {
    let settings = settings.ok_or_else(|| {
        anyhow!("syslog_tls is set but there is no [tls] section: syslog over TLS needs [tls] cert and key (and client_ca for mutual TLS)")
    })?;
    let roots = match &settings.client_ca {
        Some(path) => Some((path.as_path(), load_client_roots(path)?)),
        None => None,
    };
    Ok(TlsAcceptor::from(Arc::new(server_config(settings, roots)?)))
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
