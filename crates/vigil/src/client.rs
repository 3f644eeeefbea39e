//! The HTTP client the `--server` commands share: sends `Authorization: Bearer <token>`
//! (from `--token` or `VIGIL_TOKEN`) and, for HTTPS with a private CA or a self-signed
//! certificate, trusts the PEM file named by `VIGIL_CA_CERT` in addition to the system roots.

use anyhow::{Context, Result};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use std::time::Duration;

/// A blocking client carrying `token` (if any) on every request.
pub fn http_client(
    token: Option<&str>,
    timeout: Option<Duration>,
) -> Result<reqwest::blocking::Client> {
    let mut builder = reqwest::blocking::Client::builder();
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    if let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("the token contains characters that cannot be sent in a header")?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        builder = builder.default_headers(headers);
    }
    if let Some(path) = std::env::var_os("VIGIL_CA_CERT") {
        let pem = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read VIGIL_CA_CERT {}",
                std::path::Path::new(&path).display()
            )
        })?;
        let cert = reqwest::Certificate::from_pem(&pem).with_context(|| {
            format!(
                "VIGIL_CA_CERT {} is not a PEM certificate",
                std::path::Path::new(&path).display()
            )
        })?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().context("cannot set up the HTTP client")
}
