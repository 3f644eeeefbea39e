//! Syslog over TLS (RFC 5425) against the real `vigil serve`: a rustls client pinning the
//! self-signed certificate of `vigil cert self-signed`; mutual TLS with a CA made by rcgen
//! (a client without a certificate, with one from another CA, or speaking plain text is
//! refused and counted; the listener keeps serving; the accepted client's certificate names
//! its events); a revoked client certificate is refused, and a CRL published while the server
//! runs applies to the next handshake; bad `[tls]` files are startup errors naming the file; and real rsyslog
//! (`omfwd` with the `gtls` stream driver, Debian package `rsyslog-gnutls`, installed by
//! scripts/test.sh) ships into it, skipped with a message when rsyslogd or gtls is absent.

mod common;

use common::*;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_rustls::rustls;

/// `vigil cert self-signed --out DIR`: (certificate, key) paths.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let out = vigil(&["cert", "self-signed", "--out", &dir.display().to_string()]);
    assert!(
        out.status.success(),
        "vigil cert self-signed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir.join("vigil.crt"), dir.join("vigil.key"))
}

/// A test CA (rcgen) that signs server and client certificates.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut params =
            CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        Ca { cert, key }
    }

    /// Writes `<stem>.crt` and `<stem>.key` signed by this CA; returns their paths.
    fn issue(&self, dir: &Path, stem: &str, cn: &str, client: bool) -> (PathBuf, PathBuf) {
        self.issue_with_serial(dir, stem, cn, client, None)
    }

    /// As [`Ca::issue`], with a chosen serial number (what a CRL names).
    fn issue_with_serial(
        &self,
        dir: &Path,
        stem: &str,
        cn: &str,
        client: bool,
        serial: Option<u64>,
    ) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let sans = if client {
            Vec::new()
        } else {
            vec!["localhost".to_string(), "127.0.0.1".to_string()]
        };
        let mut params = CertificateParams::new(sans).unwrap_or_else(|e| panic!("{e}"));
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Example Ops");
        params.distinguished_name.push(DnType::CommonName, cn);
        params.serial_number = serial.map(SerialNumber::from);
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .unwrap_or_else(|e| panic!("{e}"));
        let (crt, k) = (
            dir.join(format!("{stem}.crt")),
            dir.join(format!("{stem}.key")),
        );
        write_file(&crt, &cert.pem());
        write_file(&k, &key.serialize_pem());
        (crt, k)
    }

    fn write_pem(&self, path: &Path) {
        write_file(path, &self.cert.pem());
    }

    /// Writes a CRL signed by this CA revoking `serials` (number `crl_number`).
    fn write_crl(&self, path: &Path, crl_number: u64, serials: &[u64]) {
        let params = CertificateRevocationListParams {
            this_update: date_time_ymd(2026, 1, 1),
            next_update: date_time_ymd(2036, 1, 1),
            crl_number: SerialNumber::from(crl_number),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|&serial| RevokedCertParams {
                    serial_number: SerialNumber::from(serial),
                    revocation_time: date_time_ymd(2026, 1, 1),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params
            .signed_by(&self.cert, &self.key)
            .unwrap_or_else(|e| panic!("{e}"));
        // Written beside and renamed, as a CA publishing a CRL would: the server never
        // reads half a file.
        let tmp = path.with_extension("tmp");
        write_file(&tmp, &crl.pem().unwrap_or_else(|e| panic!("{e}")));
        std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn config(dir: &Path, cert: &Path, key: &Path, client_ca: Option<&Path>) -> PathBuf {
    let mut text = format!(
        "[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        cert.display(),
        key.display()
    );
    if let Some(ca) = client_ca {
        text.push_str(&format!("client_ca = \"{}\"\n", ca.display()));
    }
    let path = dir.join("vigil.toml");
    write_file(&path, &text);
    path
}

fn serve_args(config: &Path, data: &Path, tls_addr: &str) -> Vec<String> {
    [
        "serve",
        "--config",
        &config.display().to_string(),
        "--data-dir",
        &data.display().to_string(),
        "--http",
        "127.0.0.1:0",
        "--syslog-udp",
        "off",
        "--syslog-tcp",
        "off",
        "--syslog-tls",
        tls_addr,
        "--no-audit-events",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Starts a server with `[tls]` from `config`; the API client pins `server_ca`.
fn start(dir: &Path, config: &Path, server_ca: &Path) -> Server {
    let data = dir.join("data");
    Server::spawn_full(
        &serve_args(config, &data, "127.0.0.1:0"),
        &data,
        false,
        false,
        &[],
        Some(server_ca),
    )
}

/// The syslog-over-TLS address the server logged at startup.
fn tls_addr(server: &Server) -> SocketAddr {
    let log = server.log.lock().map(|l| l.clone()).unwrap_or_default();
    log.iter()
        .filter(|l| l.contains("listening for syslog over TLS"))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("address="))
                .and_then(|a| a.parse().ok())
        })
        .unwrap_or_else(|| panic!("no syslog TLS listener in the log: {log:?}"))
}

/// A rustls client trusting `roots` (PEM), presenting `identity` (cert, key PEM files) if given.
fn client_config(roots: &Path, identity: Option<(&Path, &Path)>) -> Arc<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(roots).unwrap_or_else(|e| panic!("{e}")) {
        store
            .add(cert.unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_root_certificates(store);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .unwrap_or_else(|e| panic!("{e}"))
                .map(|c| c.unwrap_or_else(|e| panic!("{e}")))
                .collect();
            let key = PrivateKeyDer::from_pem_file(key).unwrap_or_else(|e| panic!("{e}"));
            builder
                .with_client_auth_cert(chain, key)
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    Arc::new(config)
}

/// Sends `bytes` over TLS and closes. `Ok` when the server kept the session to the end
/// (a close without `close_notify` counts: Vigil just closes its side), `Err` with the reason
/// when the handshake or the session was refused.
fn send_tls(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
    bytes: &[u8],
) -> Result<(), String> {
    let tcp = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
    let conn = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(bytes).map_err(|e| format!("write: {e}"))?;
    tls.flush().map_err(|e| format!("flush: {e}"))?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    let mut rest = Vec::new();
    match tls.read_to_end(&mut rest) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(()),
        Err(e) => Err(format!("read: {e}")),
    }
}

fn send_plain(addr: SocketAddr, bytes: &[u8]) {
    if let Ok(mut tcp) = TcpStream::connect(addr) {
        let _ = tcp.write_all(bytes);
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(30)));
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest);
    }
}

/// A Prometheus value from /metrics.
fn metric(server: &Server, name: &str) -> u64 {
    server
        .metrics_text()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} is not on /metrics"))
}

/// Polls until `metric` reaches `n` (the deadline is only reached on failure).
fn wait_metric(server: &Server, name: &str, n: u64) -> u64 {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let v = metric(server, name);
        if v >= n || Instant::now() > until {
            return v;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn octet(msg: &str) -> Vec<u8> {
    format!("{} {msg}", msg.len()).into_bytes()
}

const FAILURES: &str = "vigil_ingest_tls_handshake_failures_total";

#[test]
fn tls_client_pinning_the_self_signed_certificate_gets_lines_searchable() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (cert, key) = self_signed(&dir.path().join("certs"));
    let cfg = config(dir.path(), &cert, &key, None);
    let server = start(dir.path(), &cfg, &cert);
    let addr = tls_addr(&server);
    assert_eq!(metric(&server, FAILURES), 0);
    // Both framings on one connection: newline (rsyslog's default) and RFC 5425 octet counting.
    let mut stream = b"<13>Dec  6 06:00:00 host-a app: tlsmarker framing=newline seq=1\n".to_vec();
    stream.extend(octet(
        "<14>1 2026-12-06T06:00:01Z host-b app 42 - - tlsmarker framing=octet seq=2\nwith an embedded newline",
    ));
    stream.extend(b"<13>Dec  6 06:00:02 host-a app: tlsmarker framing=newline seq=3\r\n");
    send_tls(addr, client_config(&cert, None), &stream).unwrap_or_else(|e| panic!("{e}"));
    let result = server.wait_for("tlsmarker", 3);
    assert_eq!(result["total"], 3, "{result}");
    let hits = server.search("\"seq=2\"");
    let hit = &hits["hits"][0];
    assert_eq!(hit["log"]["source"]["name"], "syslog-tls", "{hit}");
    assert_eq!(hit["host"]["name"], "host-b", "{hit}");
    assert!(
        hit["message"]
            .as_str()
            .unwrap_or("")
            .contains("embedded newline"),
        "{hit}"
    );
    assert!(
        hit["tls"].is_null(),
        "no client certificate, no tls fields: {hit}"
    );
    // A plain-text sender is refused and counted; the listener keeps serving.
    send_plain(addr, b"<13>Dec  6 06:00:03 host-c app: plaintextmarker\n");
    assert_eq!(wait_metric(&server, FAILURES, 1), 1);
    send_tls(
        addr,
        client_config(&cert, None),
        b"<13>Dec  6 06:00:04 host-a app: tlsmarker after the plain-text client\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.wait_for("tlsmarker", 4)["total"], 4);
    assert_eq!(server.search("plaintextmarker")["total"], 0);
    server.stop();
}

#[test]
fn mutual_tls_admits_only_clients_of_the_ca_and_names_them() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap_or_else(|e| panic!("{e}"));
    let (server_cert, server_key) = self_signed(&certs.join("server"));
    let ca = Ca::new("Vigil Test Client CA");
    let ca_pem = certs.join("client-ca.pem");
    ca.write_pem(&ca_pem);
    let (good_cert, good_key) = ca.issue(&certs, "web-01", "web-01.example", true);
    let rogue = Ca::new("Someone Else's CA");
    let (rogue_cert, rogue_key) = rogue.issue(&certs, "rogue", "web-01.example", true);
    let cfg = config(dir.path(), &server_cert, &server_key, Some(&ca_pem));
    let server = start(dir.path(), &cfg, &server_cert);
    let addr = tls_addr(&server);
    let line = |tag: &str| format!("<13>Dec  6 06:10:00 web-01 app: {tag} user=dave\n");

    // No certificate: refused.
    let refused = send_tls(
        addr,
        client_config(&server_cert, None),
        line("refusedmarker").as_bytes(),
    );
    assert!(refused.is_err(), "a client without a certificate got in");
    assert_eq!(wait_metric(&server, FAILURES, 1), 1);
    // A certificate from another CA, same CN: refused.
    let refused = send_tls(
        addr,
        client_config(&server_cert, Some((&rogue_cert, &rogue_key))),
        line("refusedmarker").as_bytes(),
    );
    assert!(refused.is_err(), "a client of another CA got in");
    assert_eq!(wait_metric(&server, FAILURES, 2), 2);
    // Plain text: refused.
    send_plain(addr, line("refusedmarker").as_bytes());
    assert_eq!(wait_metric(&server, FAILURES, 3), 3);

    // The CA's client gets in, and its certificate names its events, whatever they claim.
    let good = client_config(&server_cert, Some((&good_cert, &good_key)));
    let spoof = r#"{"message":"mtlsmarker spoof","tls":{"client":{"x509":{"subject":{"common_name":"admin"}}}}}"#;
    let mut stream = line("mtlsmarker first").into_bytes();
    stream.extend(octet(spoof));
    send_tls(addr, good.clone(), &stream).unwrap_or_else(|e| panic!("{e}"));
    let result = server.wait_for("mtlsmarker", 2);
    assert_eq!(result["total"], 2, "{result}");
    for hit in result["hits"].as_array().cloned().unwrap_or_default() {
        let client: &Value = &hit["tls"]["client"];
        assert_eq!(
            client["x509"]["subject"]["common_name"], "web-01.example",
            "{hit}"
        );
        assert_eq!(
            client["subject"], "CN=web-01.example,O=Example Ops",
            "{hit}"
        );
        assert_eq!(client["issuer"], "CN=Vigil Test Client CA", "{hit}");
        assert_eq!(
            client["hash"]["sha256"].as_str().map(str::len),
            Some(64),
            "{hit}"
        );
        assert_eq!(hit["log"]["source"]["name"], "syslog-tls", "{hit}");
        assert_eq!(hit["tls"]["established"], true, "{hit}");
        assert_eq!(hit["tls"]["version"], "1.3", "{hit}");
    }
    // Searchable by the sender's name.
    let by_cn = server.search("tls.client.x509.subject.common_name:\"web-01.example\"");
    assert_eq!(by_cn["total"], 2, "{by_cn}");
    // The listener still serves after all the refusals; nothing refused was stored.
    send_tls(addr, good, line("mtlsmarker second").as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.wait_for("mtlsmarker", 3)["total"], 3);
    assert_eq!(server.search("refusedmarker")["total"], 0);
    assert_eq!(metric(&server, FAILURES), 3);
    server.stop();
}

#[test]
fn a_revoked_client_certificate_is_refused_and_a_new_crl_applies_without_restart() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap_or_else(|e| panic!("{e}"));
    let (server_cert, server_key) = self_signed(&certs.join("server"));
    let ca = Ca::new("Vigil Test Client CA");
    let ca_pem = certs.join("client-ca.pem");
    ca.write_pem(&ca_pem);
    let (alice_cert, alice_key) =
        ca.issue_with_serial(&certs, "alice", "alice.example", true, Some(1001));
    let (bob_cert, bob_key) = ca.issue_with_serial(&certs, "bob", "bob.example", true, Some(1002));
    let crl = certs.join("client-ca.crl");
    ca.write_crl(&crl, 1, &[1002]);
    let cfg = dir.path().join("vigil.toml");
    write_file(
        &cfg,
        &format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\nclient_crl = \"{}\"\n",
            server_cert.display(),
            server_key.display(),
            ca_pem.display(),
            crl.display()
        ),
    );
    let server = start(dir.path(), &cfg, &server_cert);
    let addr = tls_addr(&server);
    let alice = client_config(&server_cert, Some((&alice_cert, &alice_key)));
    let bob = client_config(&server_cert, Some((&bob_cert, &bob_key)));
    let line = |tag: &str| format!("<13>Dec  7 06:10:00 web-01 app: {tag}\n");

    // Bob's certificate is on the CRL: refused and counted; Alice's is not: her line is stored.
    let refused = send_tls(addr, bob.clone(), line("crlmarker bob").as_bytes());
    assert!(refused.is_err(), "a revoked certificate got in");
    assert_eq!(wait_metric(&server, FAILURES, 1), 1);
    send_tls(
        addr,
        alice.clone(),
        line("crlmarker alice before").as_bytes(),
    )
    .unwrap_or_else(|e| panic!("alice was refused: {e}"));
    assert_eq!(server.wait_for("crlmarker", 1)["total"], 1);

    // The CA publishes a new CRL revoking Alice too: without a restart, her next handshake
    // is refused (the file is checked every two seconds; poll until the reload shows).
    ca.write_crl(&crl, 2, &[1001, 1002]);
    let until = Instant::now() + Duration::from_secs(60);
    let mut attempts: u64 = 0;
    loop {
        attempts += 1;
        match send_tls(
            addr,
            alice.clone(),
            line("crlmarker alice probe").as_bytes(),
        ) {
            Err(_) => break,
            Ok(()) if Instant::now() > until => {
                panic!("the new CRL was not applied after {attempts} handshakes")
            }
            Ok(()) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    let log = server.log.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        log.iter()
            .any(|l| l.contains("revocation list changed: reloaded")),
        "no reload in the log: {log:?}"
    );
    // Only probes sent before the reload were stored, and nothing of Bob's.
    let stored = server.wait_for("crlmarker", attempts);
    assert_eq!(stored["total"], attempts, "{stored}");
    assert_eq!(server.search("bob")["total"], 0);

    // A CRL that stops loading (garbage written over it) keeps the last good one in force.
    write_file(&crl, "not a CRL");
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        send_tls(addr, alice, line("crlmarker after garbage").as_bytes()).is_err(),
        "a broken CRL file dropped the revocations"
    );
    let log = server.log.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        log.iter()
            .any(|l| l.contains("do not load") && l.contains("client-ca.crl")),
        "the broken CRL was not reported: {log:?}"
    );
    server.stop();
}

#[test]
fn an_idle_sender_is_disconnected_and_the_listener_keeps_serving() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (cert, key) = self_signed(&dir.path().join("certs"));
    let cfg = dir.path().join("vigil.toml");
    write_file(
        &cfg,
        &format!(
            "syslog_tls_idle_timeout = \"1s\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            cert.display(),
            key.display()
        ),
    );
    let server = start(dir.path(), &cfg, &cert);
    let addr = tls_addr(&server);
    // A sender that completes the handshake, sends one line and then nothing: the server
    // closes the connection (the read ends) once it has been idle for the timeout.
    let tcp = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    tcp.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap_or_else(|e| panic!("{e}"));
    let name = ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
    let conn = rustls::ClientConnection::new(client_config(&cert, None), name)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"<13>Dec  6 06:20:00 host-a app: idlemarker before going quiet\n")
        .unwrap_or_else(|e| panic!("{e}"));
    tls.flush().unwrap_or_else(|e| panic!("{e}"));
    let mut rest = Vec::new();
    match tls.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) => assert_eq!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof,
            "the idle connection was not closed by the server: {e}"
        ),
    }
    assert_eq!(server.wait_for("idlemarker", 1)["total"], 1);
    send_tls(
        addr,
        client_config(&cert, None),
        b"<13>Dec  6 06:20:01 host-a app: idlemarker next sender\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.wait_for("idlemarker", 2)["total"], 2);
    // Both connections are closed (the gauge drops just after the socket closes: poll).
    let until = Instant::now() + Duration::from_secs(30);
    while metric(&server, "vigil_ingest_tls_connections") != 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(metric(&server, "vigil_ingest_tls_connections"), 0);
    server.stop();
}

/// Runs `vigil serve` expecting it to fail at startup; returns its stderr.
fn startup_error(dir: &Path, config_text: &str) -> String {
    let cfg = dir.join("bad.toml");
    write_file(&cfg, config_text);
    let data = dir.join("data-bad");
    let mut child = Command::new(vigil_bin())
        .args(serve_args(&cfg, &data, "127.0.0.1:0"))
        .env("VIGIL_LOG", "warn")
        .env("VIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start vigil: {e}"));
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vigil serve kept running with {config_text:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert!(
        !status.success() && status.code().is_some(),
        "{config_text:?}: {status}: {stderr}"
    );
    eprintln!("startup error: {}", stderr.trim());
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_tls_files_are_startup_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (cert, key) = self_signed(&dir.path().join("certs"));
    let missing = dir.path().join("no-such.crt");
    let garbage = dir.path().join("garbage.pem");
    write_file(&garbage, "this is not a certificate\n");
    let tls = |cert: &Path, key: &Path, ca: Option<&Path>| {
        let mut t = format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            cert.display(),
            key.display()
        );
        if let Some(ca) = ca {
            t.push_str(&format!("client_ca = \"{}\"\n", ca.display()));
        }
        t
    };
    let err = startup_error(dir.path(), "");
    assert!(err.contains("no [tls] section"), "{err}");
    let err = startup_error(dir.path(), &tls(&missing, &key, None));
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("No such file"), "{err}");
    let err = startup_error(dir.path(), &tls(&cert, &missing, None));
    assert!(err.contains(&missing.display().to_string()), "{err}");
    let err = startup_error(dir.path(), &tls(&garbage, &key, None));
    assert!(err.contains(&garbage.display().to_string()), "{err}");
    assert!(err.contains("no CERTIFICATE"), "{err}");
    let err = startup_error(dir.path(), &tls(&cert, &key, Some(&missing)));
    assert!(
        err.contains("client CA bundle") && err.contains(&missing.display().to_string()),
        "{err}"
    );
    let err = startup_error(dir.path(), &tls(&cert, &key, Some(&garbage)));
    assert!(err.contains(&garbage.display().to_string()), "{err}");
    // A revocation list without mutual TLS, a missing one, one that is not a CRL.
    let with_crl = |crl: &Path| {
        format!(
            "{}client_crl = \"{}\"\n",
            tls(&cert, &key, Some(&cert)),
            crl.display()
        )
    };
    let err = startup_error(
        dir.path(),
        &format!(
            "{}client_crl = \"{}\"\n",
            tls(&cert, &key, None),
            garbage.display()
        ),
    );
    assert!(err.contains("without client_ca"), "{err}");
    let err = startup_error(dir.path(), &with_crl(&missing));
    assert!(
        err.contains("revocation list") && err.contains(&missing.display().to_string()),
        "{err}"
    );
    let err = startup_error(dir.path(), &with_crl(&garbage));
    assert!(
        err.contains("no X509 CRL") && err.contains(&garbage.display().to_string()),
        "{err}"
    );
    // The key of another certificate.
    let (_, other_key) = self_signed(&dir.path().join("other"));
    let err = startup_error(dir.path(), &tls(&cert, &other_key, None));
    assert!(err.contains("cannot be used together"), "{err}");
}

// ---- real rsyslog over TLS ----

#[allow(clippy::too_many_arguments)]
fn start_rsyslog(
    rsyslogd: &str,
    work: &Path,
    input: &Path,
    port: u16,
    ca: &Path,
    identity: Option<(&Path, &Path)>,
    framing: &str,
) -> Reaped {
    let identity = identity
        .map(|(c, k)| {
            format!(
                "\n       DefaultNetstreamDriverCertFile=\"{}\" DefaultNetstreamDriverKeyFile=\"{}\"",
                c.display(),
                k.display()
            )
        })
        .unwrap_or_default();
    let conf = format!(
        r#"global(workDirectory="{work}"
       DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="{ca}"{identity})
module(load="imfile")
input(type="imfile" File="{input}" Tag="tlsapp:")
action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
       StreamDriverPermittedPeers="localhost" TCP_Framing="{framing}"
       action.resumeRetryCount="-1" action.resumeInterval="1"
       queue.type="LinkedList" queue.size="500000")
"#,
        work = work.display(),
        ca = ca.display(),
        input = input.display(),
    );
    start_rsyslogd(rsyslogd, work, &conf)
}

/// rsyslog reads `n` lines with imfile and forwards them over TLS; returns the server.
fn rsyslog_run(label: &str, n: usize, mutual: bool, framing: &str) {
    let Some(rsyslogd) = find_rsyslogd(&["lmnsd_gtls.so"]) else {
        eprintln!(
            "SKIPPED rsyslog over TLS ({label}): rsyslogd or its gtls driver is not installed \
             (apt-get install rsyslog rsyslog-gnutls; scripts/test.sh does this)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let certs = dir.path().join("certs");
    let work = dir.path().join("rsyslog");
    std::fs::create_dir_all(&certs).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    // One CA signs Vigil's certificate (rsyslog checks it, by name) and the sender's.
    let ca = Ca::new("Vigil Test CA");
    let ca_pem = certs.join("ca.pem");
    ca.write_pem(&ca_pem);
    let (server_cert, server_key) = ca.issue(&certs, "vigil", "localhost", false);
    let (client_cert, client_key) = ca.issue(&certs, "sender", "rsyslog-sender.example", true);
    let cfg = config(
        dir.path(),
        &server_cert,
        &server_key,
        mutual.then_some(ca_pem.as_path()),
    );
    let server = start(dir.path(), &cfg, &ca_pem);
    let port = tls_addr(&server).port();
    let input = work.join("app.log");
    let text: String = (0..n)
        .map(|i| format!("tlsrsyslogmarker seq={i:07} user=erin action=ship\n"))
        .collect();
    write_file(&input, &text);
    let started = Instant::now();
    let identity = mutual.then_some((client_cert.as_path(), client_key.as_path()));
    let _rsyslog = start_rsyslog(&rsyslogd, &work, &input, port, &ca_pem, identity, framing);
    let until = Instant::now() + Duration::from_secs(300);
    let mut got = 0;
    while Instant::now() < until {
        got = server.search("tlsrsyslogmarker")["total"]
            .as_u64()
            .unwrap_or(0);
        if got >= n as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let elapsed = started.elapsed();
    assert_eq!(
        got,
        n as u64,
        "not every line arrived ({label}); log: {:?}",
        server.log.lock().map(|l| l.clone())
    );
    eprintln!(
        "rsyslog omfwd gtls ({label}): {n} lines searchable in {} ms ({:.0} events/s end to end, including rsyslog start and indexing)",
        elapsed.as_millis(),
        n as f64 / elapsed.as_secs_f64()
    );
    let hit = server.search("\"seq=0000042\"");
    assert_eq!(hit["total"], 1, "{hit}");
    let hit = &hit["hits"][0];
    assert_eq!(hit["log"]["source"]["name"], "syslog-tls", "{hit}");
    assert_eq!(hit["process"]["name"], "tlsapp", "{hit}");
    if mutual {
        assert_eq!(
            hit["tls"]["client"]["x509"]["subject"]["common_name"], "rsyslog-sender.example",
            "{hit}"
        );
    } else {
        assert!(hit["tls"]["client"].is_null(), "{hit}");
    }
    assert_eq!(metric(&server, FAILURES), 0);
    server.stop();
}

#[test]
fn rsyslog_gtls_octet_counted_with_mutual_tls() {
    // VIGIL_TLS_E2E_LINES sets a bigger run for measuring throughput.
    let n: usize = std::env::var("VIGIL_TLS_E2E_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    rsyslog_run("octet-counted, mutual TLS", n, true, "octet-counted");
}

#[test]
fn rsyslog_gtls_newline_framing_without_client_certificate() {
    rsyslog_run("traditional framing", 2_000, false, "traditional");
}
