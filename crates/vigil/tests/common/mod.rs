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

pub struct Server {
    child: Option<Child>,
    pub data_dir: PathBuf,
    pub http: SocketAddr,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
    client: reqwest::blocking::Client,
}

fn address_in(line: &str) -> Option<SocketAddr> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("address="))
        .and_then(|a| a.parse().ok())
}

impl Server {
    /// Starts a server on `data_dir` with extra flags.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
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
        Self::spawn(&args, data_dir, true, true)
    }

    /// Starts `vigil` with exactly `args`, waiting for the listeners it should report.
    pub fn spawn(args: &[String], data_dir: &Path, want_udp: bool, want_tcp: bool) -> Server {
        let mut child = Command::new(vigil_bin())
            .args(args)
            .env("VIGIL_LOG", "info")
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
                http = address_in(&line);
            } else if line.contains("syslog over UDP") {
                udp = address_in(&line);
            } else if line.contains("syslog over TCP") {
                tcp = address_in(&line);
            }
        }
        let server = Server {
            child: Some(child),
            data_dir: data_dir.to_path_buf(),
            http: http.unwrap_or_else(|| unreachable!()),
            udp: udp.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
            tcp: tcp.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
            log,
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        };
        server.wait_healthy();
        server
    }

    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, &[])
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http, path)
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

    pub fn get_json(&self, path_and_query: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path_and_query))
            .send()
            .unwrap_or_else(|e| panic!("GET {path_and_query}: {e}"));
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    /// POSTs a body to the ingest endpoint; returns status and JSON answer.
    pub fn ingest_raw(&self, body: Vec<u8>, gzip: bool) -> (u16, Value) {
        let mut request = self.client.post(self.url("/api/v1/ingest")).body(body);
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
        let r = self
            .client
            .get(self.url("/api/v1/search"))
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
