//! End-to-end harness: starts the real `vigil` binary on a temporary data directory with
//! every listener on an ephemeral loopback port (read back from its startup log), and talks
//! to it over real sockets.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn vigil_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

/// The shared third-party test data (`../shared/data` from the workspace root by default).
pub fn test_data() -> PathBuf {
    match std::env::var_os("VIGIL_TEST_DATA") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// Runs a `vigil` subcommand to completion.
pub fn vigil(args: &[&str]) -> Output {
    Command::new(vigil_bin())
        .args(args)
        .env("VIGIL_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("cannot run vigil {args:?}: {e}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The initial admin's password in every test server (VIGIL_ADMIN_PASSWORD).
pub const ADMIN_PASSWORD: &str = "e2e-admin-password-0123";

/// Writes a test file (a config, a certificate, a program), failing the test with the path.
pub fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// `vigil serve --config <config>`, as arguments for [`Server::spawn`].
pub fn serve_config_args(config: &Path) -> Vec<String> {
    vec![
        "serve".to_string(),
        "--config".to_string(),
        config.display().to_string(),
    ]
}

/// Creates an API token offline (`vigil tokens create`), as an operator would; returns the secret.
pub fn create_token(data_dir: &Path, owner: &str, role: &str, extra: &[&str]) -> String {
    let dir = data_dir.display().to_string();
    let mut args = vec![
        "tokens",
        "create",
        "--data-dir",
        &dir,
        "--owner",
        owner,
        "--role",
        role,
    ];
    args.extend_from_slice(extra);
    let out = vigil(&args);
    assert!(
        out.status.success(),
        "vigil tokens create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = stdout(&out).trim().to_string();
    assert!(
        secret.starts_with("vgl_"),
        "unexpected token output {secret:?}"
    );
    secret
}

/// Adds `Authorization: Bearer <token>`.
pub fn bearer(
    request: reqwest::blocking::RequestBuilder,
    token: &str,
) -> reqwest::blocking::RequestBuilder {
    request.header("Authorization", format!("Bearer {token}"))
}

pub struct Server {
    child: Option<Child>,
    /// An analyst token with the detection-engineer grant (search, alerts, rules, health, metrics).
    pub analyst_token: String,
    /// An ingest token (HTTP ingest, Elasticsearch `_bulk`, Splunk HEC).
    pub ingest_token: String,
    /// Serving HTTPS (`[tls]`).
    pub https: bool,
    pub data_dir: PathBuf,
    pub http: SocketAddr,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
    client: reqwest::blocking::Client,
}

/// The `address=` a server log line reports (its listeners log one each).
pub fn address_in(line: &str) -> Option<SocketAddr> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("address="))
        .and_then(|a| a.parse().ok())
}

impl Server {
    /// Starts a server on `data_dir` with extra flags.
    /// Audit records stay out of the event stream (`--no-audit-events`) so event counts are
    /// exactly what the test sent; see [`Server::start_audited`].
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        let mut all = vec!["--no-audit-events"];
        all.extend_from_slice(extra);
        Self::start_audited(data_dir, &all, &[])
    }

    /// Starts a server whose audit records also go into the event stream (the default
    /// configuration), with extra flags and environment.
    pub fn start_audited(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args: Vec<String> = vec![
            "serve".into(),
            "--data-dir".into(),
            data_dir.display().to_string(),
        ];
        for a in [
            "--http",
            "127.0.0.1:0",
            "--syslog-udp",
            "127.0.0.1:0",
            "--syslog-tcp",
            "127.0.0.1:0",
        ] {
            args.push(a.into());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::spawn_env(&args, data_dir, true, true, env)
    }

    /// Starts `vigil` with exactly `args`, waiting for the listeners it should report.
    pub fn spawn(args: &[String], data_dir: &Path, want_udp: bool, want_tcp: bool) -> Server {
        Self::spawn_env(args, data_dir, want_udp, want_tcp, &[])
    }

    /// Like [`Server::spawn`], with extra environment variables. Provisions credentials the
    /// way an operator would (offline `vigil tokens create`, `VIGIL_ADMIN_PASSWORD`).
    pub fn spawn_env(
        args: &[String],
        data_dir: &Path,
        want_udp: bool,
        want_tcp: bool,
        env: &[(&str, &str)],
    ) -> Server {
        Self::spawn_full(args, data_dir, want_udp, want_tcp, env, None)
    }

    /// Like [`Server::spawn_env`]; `ca` is a PEM certificate the test client trusts (pins)
    /// for a server started with `[tls]`.
    pub fn spawn_full(
        args: &[String],
        data_dir: &Path,
        want_udp: bool,
        want_tcp: bool,
        env: &[(&str, &str)],
        ca: Option<&Path>,
    ) -> Server {
        let analyst_token = create_token(
            data_dir,
            "e2e-analyst",
            "analyst",
            &["--grant", "detection-engineer"],
        );
        let ingest_token = create_token(data_dir, "e2e-shipper", "ingest", &[]);
        let mut command = Command::new(vigil_bin());
        command
            .args(args)
            .env("VIGIL_LOG", "info")
            .env("VIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start vigil serve: {e}"));
        let stderr = child
            .stderr
            .take()
            .unwrap_or_else(|| panic!("no stderr pipe"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let log_writer = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line.clone());
                if let Ok(mut l) = log_writer.lock() {
                    l.push(line);
                }
            }
        });
        let (mut http, mut udp, mut tcp) = (None, None, None);
        let mut https = false;
        let deadline = Instant::now() + Duration::from_secs(120);
        while http.is_none() || (want_udp && udp.is_none()) || (want_tcp && tcp.is_none()) {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(remaining).unwrap_or_else(|_| {
                panic!(
                    "server did not report its addresses; log: {:?}",
                    log.lock().map(|l| l.clone())
                )
            });
            if line.contains("listening for HTTP") {
                https = line.contains("listening for HTTPS");
                http = address_in(&line);
            } else if line.contains("syslog over UDP") {
                udp = address_in(&line);
            } else if line.contains("syslog over TCP") {
                tcp = address_in(&line);
            }
        }
        let server = Server {
            child: Some(child),
            analyst_token,
            ingest_token,
            data_dir: data_dir.to_path_buf(),
            http: http.unwrap_or_else(|| unreachable!()),
            udp: udp.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
            tcp: tcp.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
            log,
            https,
            client: {
                let mut builder =
                    reqwest::blocking::Client::builder().timeout(Duration::from_secs(60));
                if let Some(ca) = ca {
                    let pem = std::fs::read(ca).unwrap_or_else(|e| panic!("{e}"));
                    let cert =
                        reqwest::Certificate::from_pem(&pem).unwrap_or_else(|e| panic!("{e}"));
                    builder = builder
                        .add_root_certificate(cert)
                        .tls_built_in_root_certs(false);
                }
                builder.build().unwrap_or_else(|e| panic!("{e}"))
            },
        };
        server.wait_healthy();
        server
    }

    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, &[])
    }

    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.http, path)
    }

    /// The plain (unauthenticated) client.
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// GET with a token; returns status and JSON answer.
    pub fn get_as(&self, token: &str, path_and_query: &str) -> (u16, Value) {
        let r = bearer(self.client.get(self.url(path_and_query)), token)
            .send()
            .unwrap_or_else(|e| panic!("GET {path_and_query}: {e}"));
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    /// POST a JSON body with a token; returns status and JSON answer.
    pub fn post_as(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = bearer(self.client.post(self.url(path)), token)
            .json(body)
            .send()
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    /// The Prometheus text of /metrics (with the analyst token).
    pub fn metrics_text(&self) -> String {
        bearer(self.client.get(self.url("/metrics")), &self.analyst_token)
            .send()
            .and_then(|r| r.text())
            .unwrap_or_else(|e| panic!("GET /metrics: {e}"))
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = self.client.get(self.url("/api/v1/health")).send() {
                if r.status().is_success() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server never became healthy");
    }

    pub fn health(&self) -> Value {
        self.get_json("/api/v1/health").1
    }

    /// GET with the analyst token.
    pub fn get_json(&self, path_and_query: &str) -> (u16, Value) {
        let r = bearer(
            self.client.get(self.url(path_and_query)),
            &self.analyst_token,
        )
        .send()
        .unwrap_or_else(|e| panic!("GET {path_and_query}: {e}"));
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    /// POSTs a body to the ingest endpoint; returns status and JSON answer.
    pub fn ingest_raw(&self, body: Vec<u8>, gzip: bool) -> (u16, Value) {
        let mut request = bearer(
            self.client.post(self.url("/api/v1/ingest")),
            &self.ingest_token,
        )
        .body(body);
        if gzip {
            request = request.header("Content-Encoding", "gzip");
        }
        let r = request
            .send()
            .unwrap_or_else(|e| panic!("POST ingest: {e}"));
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn ingest(&self, lines: &[String]) -> Value {
        let body = lines.join("\n").into_bytes();
        let (status, answer) = self.ingest_raw(body, false);
        assert_eq!(status, 200, "ingest failed: {answer}");
        answer
    }

    /// Runs a search through the API.
    pub fn search(&self, q: &str) -> Value {
        self.search_with(q, &[])
    }

    pub fn search_with(&self, q: &str, extra: &[(&str, &str)]) -> Value {
        let mut params = vec![("q", q)];
        params.extend_from_slice(extra);
        let r = bearer(
            self.client.get(self.url("/api/v1/search")),
            &self.analyst_token,
        )
        .query(&params)
        .send()
        .unwrap_or_else(|e| panic!("search {q}: {e}"));
        let status = r.status().as_u16();
        let body: Value = r.json().unwrap_or(Value::Null);
        assert_eq!(status, 200, "search {q} answered {status}: {body}");
        body
    }

    /// Polls until `q` matches at least `n` events (new events are searchable within ~2 s).
    pub fn wait_for(&self, q: &str, n: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let result = self.search(q);
            if result["total"].as_u64().unwrap_or(0) >= n || Instant::now() > deadline {
                return result;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn send_udp(&self, line: &str) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        socket
            .send_to(line.as_bytes(), self.udp)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn send_tcp(&self, bytes: &[u8]) {
        let mut stream = TcpStream::connect(self.tcp).unwrap_or_else(|e| panic!("{e}"));
        stream.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
        stream.flush().unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// SIGTERM and wait: a clean shutdown.
    pub fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
            assert!(
                status.success(),
                "server exited with {status} after SIGTERM; log: {:?}",
                self.log.lock().map(|l| l.clone())
            );
        }
    }

    /// SIGKILL: a crash.
    pub fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A small tmpfs mounted for disk-full tests, unmounted on drop. `None` when this machine
/// does not allow mounting (the caller says so and stops).
pub struct SmallDisk(PathBuf);

impl SmallDisk {
    pub fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| SmallDisk(at.to_path_buf()))
    }

    /// Gives the disk more room (space returns).
    pub fn grow(&self, size: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// 1 KiB of hex noise that zstd cannot shrink much, deterministic per `seed`.
pub fn noise(seed: &mut u64) -> String {
    (0..64)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            format!("{:016x}", *seed)
        })
        .collect()
}

/// Runs `vigil search` on a data directory with JSON output (plus `extra` flags) and parses it.
pub fn search_json(dir: &str, q: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "search",
        q,
        "--data-dir",
        dir,
        "--format",
        "json",
        "--limit",
        "10000",
    ];
    args.extend_from_slice(extra);
    let out = vigil(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "search {q}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("search {q} output is not JSON: {e}"))
}

/// A child process killed when dropped (so a failing assertion does not leave it running).
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// rsyslogd, when it is installed with every output/driver module named (`omrelp.so`,
/// `lmnsd_gtls.so`, …; none for plain rsyslogd).
pub fn find_rsyslogd(modules: &[&str]) -> Option<String> {
    let rsyslogd = [
        "/usr/sbin/rsyslogd",
        "/sbin/rsyslogd",
        "/usr/local/sbin/rsyslogd",
    ]
    .iter()
    .find(|p| Path::new(p).exists())?;
    let has = |module: &str| {
        Path::new("/usr/lib/rsyslog").join(module).exists()
            || std::fs::read_dir("/usr/lib").is_ok_and(|dirs| {
                dirs.flatten()
                    .any(|d| d.path().join("rsyslog").join(module).exists())
            })
    };
    modules.iter().all(|m| has(m)).then(|| rsyslogd.to_string())
}

/// Starts `rsyslogd -n` with the configuration text (written to `work/rsyslog.conf`).
pub fn start_rsyslogd(rsyslogd: &str, work: &Path, conf_text: &str) -> Reaped {
    let conf = work.join("rsyslog.conf");
    std::fs::write(&conf, conf_text).unwrap_or_else(|e| panic!("{e}"));
    let child = Command::new(rsyslogd)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(work.join("rsyslogd.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {rsyslogd}: {e}"));
    Reaped(child)
}
