//! `vigil bench`: a load generator for a running server. It sends synthetic but realistic
//! syslog (sshd, sudo, kernel firewall, web access; varied hosts, users and IPs) over TCP
//! or HTTP at a target or maximum rate, then waits until the server reports every event
//! durable (and indexed), and prints sustained events/s, acknowledgement latency p50/p99
//! (HTTP batches, measured by a probe during TCP runs) and the server's peak RSS.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::io::{BufWriter, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq)]
pub enum Mode {
    /// Syslog over TCP (newline framing), with an HTTP latency probe alongside.
    Tcp,
    /// NDJSON batches over HTTP; every batch's acknowledgement is timed.
    Http,
    /// No load: runs `--query` `--repeat` times through the search API and reports latency.
    Search,
    /// No server: the detection engine alone over `--events` (or the syslog mix), replayed
    /// `--repeat` times with `--rules`; reports events/s, findings and peak RSS.
    Detect,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// The server's HTTP address (health, metrics and HTTP ingest)
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// API token for health, metrics and search (an analyst's)
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// API token for HTTP ingest (an ingest token) [default: --token]
    #[arg(long, env = "VIGIL_INGEST_TOKEN", hide_env_values = true)]
    ingest_token: Option<String>,
    /// The server's syslog TCP address
    #[arg(long, default_value = "127.0.0.1:5514")]
    tcp: SocketAddr,
    /// Transport to load
    #[arg(long, value_enum, default_value_t = Mode::Tcp)]
    mode: Mode,
    /// Target events per second over all connections; 0 sends as fast as possible
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Seconds to send for
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Parallel connections
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// Events per HTTP request
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Seconds to wait for the server to make everything durable and indexed
    #[arg(long, default_value_t = 300)]
    drain_timeout: u64,
    /// Query for `--mode search`
    #[arg(long, default_value = "source.ip:10.0.0.1")]
    query: String,
    /// Times to run the query in `--mode search`, or to replay the events in `--mode detect`
    #[arg(long, default_value_t = 50)]
    pub repeat: usize,
    /// Rule files or directories for `--mode detect` (repeatable)
    #[arg(long = "rules")]
    pub rules: Vec<std::path::PathBuf>,
    /// Events for `--mode detect` (NDJSON or syslog lines, .gz accepted); default: the syslog mix
    #[arg(long)]
    pub events: Option<std::path::PathBuf>,
    /// `--mode detect`: first feed this many failed SSH logins from distinct addresses, so
    /// that many correlation groups are active during the run
    #[arg(long, default_value_t = 0)]
    pub correlation_groups: usize,
    /// `--mode detect`: the cross-rule literal prefilter (one Aho-Corasick pass per event over
    /// the literals of all rules of its log source) on or off
    #[arg(long, value_enum, default_value_t = crate::hunt::Prefilter::Off)]
    pub prefilter: crate::hunt::Prefilter,
}

/// Runs one query repeatedly and reports the server-side and round-trip latency.
fn run_search(
    client: &reqwest::blocking::Client,
    server: &str,
    args: &BenchArgs,
) -> Result<ExitCode> {
    let url = format!("{server}/api/v1/search");
    let mut took = Vec::new();
    let mut round_trip = Vec::new();
    let mut total = 0;
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        let response = client
            .get(&url)
            .query(&[("q", args.query.as_str()), ("limit", "100")])
            .send()?;
        let status = response.status();
        let body: Value = response.json().context("search answer is not JSON")?;
        if !status.is_success() {
            bail!("search answered {status}: {body}");
        }
        round_trip.push(t.elapsed().as_secs_f64() * 1000.0);
        took.push(body["took_ms"].as_f64().unwrap_or(0.0));
        total = body["total"].as_u64().unwrap_or(0);
    }
    took.sort_by(f64::total_cmp);
    round_trip.sort_by(f64::total_cmp);
    let stored = health(client, server)?["journal"]["size"]
        .as_u64()
        .unwrap_or(0);
    println!(
        "query:                  {} ({total} matches of {stored} stored events)",
        args.query
    );
    println!(
        "server time:            p50 {:.1} ms, p99 {:.1} ms over {} runs",
        percentile(&took, 50.0),
        percentile(&took, 99.0),
        took.len()
    );
    println!(
        "round trip:             p50 {:.1} ms, p99 {:.1} ms",
        percentile(&round_trip, 50.0),
        percentile(&round_trip, 99.0)
    );
    Ok(ExitCode::SUCCESS)
}

/// A small deterministic PRNG (xorshift64*), enough to vary synthetic logs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Distinct generated lines each TCP connection cycles through.
const POOL: usize = 50_000;

const USERS: [&str; 12] = [
    "root", "admin", "alice", "bob", "carol", "deploy", "backup", "oracle", "test", "ubuntu",
    "git", "svc-ci",
];
const PATHS: [&str; 8] = [
    "/",
    "/login",
    "/api/v1/items",
    "/wp-login.php",
    "/static/app.js",
    "/admin",
    "/api/v1/orders?id=42",
    "/.env",
];
const COMMANDS: [&str; 5] = [
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/apt-get upgrade -y",
    "/bin/cat /etc/shadow",
    "/usr/sbin/useradd -m tmpuser",
    "/usr/bin/journalctl -u sshd",
];
const AGENTS: [&str; 3] = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "curl/8.5.0",
    "python-requests/2.32.3",
];

/// Generates realistic RFC 3164 syslog lines.
pub(crate) struct Generator {
    rng: Rng,
}

impl Generator {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        }
    }

    fn ip(&mut self) -> String {
        match self.rng.below(4) {
            0 => format!(
                "10.{}.{}.{}",
                self.rng.below(4),
                self.rng.below(256),
                1 + self.rng.below(254)
            ),
            1 => format!("192.168.{}.{}", self.rng.below(8), 1 + self.rng.below(254)),
            _ => format!(
                "{}.{}.{}.{}",
                1 + self.rng.below(223),
                self.rng.below(256),
                self.rng.below(256),
                1 + self.rng.below(254)
            ),
        }
    }

    /// One line with the given timestamp.
    pub(crate) fn line(&mut self, stamp: &str) -> String {
        let (pri, body) = self.entry();
        format!("<{pri}>{stamp} {body}")
    }

    /// A line that happened at `at`: the syslog header and the times inside the message
    /// (nginx's) agree, so replayed streams keep a consistent event time.
    pub(crate) fn line_at(&mut self, at: chrono::DateTime<chrono::Utc>) -> String {
        let (pri, body) = self.entry_at(at);
        format!("<{pri}>{} {body}", at.format("%b %e %H:%M:%S"))
    }

    /// A priority and the rest of a line after the timestamp.
    fn entry(&mut self) -> (u8, String) {
        self.entry_at(chrono::Utc::now())
    }

    /// [`Generator::entry`] for an event at `at`.
    fn entry_at(&mut self, at: chrono::DateTime<chrono::Utc>) -> (u8, String) {
        let host = format!("srv-{:02}", self.rng.below(50));
        let pid = 1000 + self.rng.below(60000);
        let user = self.rng.pick(&USERS).to_string();
        let ip = self.ip();
        let port = 1024 + self.rng.below(64000);
        match self.rng.below(10) {
            0..=3 => (38, format!(
                "{host} sshd[{pid}]: Failed password for {}{user} from {ip} port {port} ssh2",
                if self.rng.below(3) == 0 { "invalid user " } else { "" }
            )),
            4 => (38, format!("{host} sshd[{pid}]: Accepted publickey for {user} from {ip} port {port} ssh2")),
            5 => (85, format!(
                "{host} sudo: {user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND={}",
                self.rng.below(8),
                self.rng.pick(&COMMANDS)
            )),
            6 | 7 => (4, format!(
                "{host} kernel: [{}.{:06}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC={ip} DST=10.0.0.{} LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID={} DF PROTO=TCP SPT={port} DPT={} WINDOW=29200 RES=0x00 SYN URGP=0",
                self.rng.below(900000),
                self.rng.below(1000000),
                1 + self.rng.below(254),
                self.rng.below(65535),
                [22u64, 23, 80, 443, 3389, 5432][self.rng.below(6) as usize]
            )),
            _ => (190, format!(
                "{host} nginx: {ip} - - [{}] \"GET {} HTTP/1.1\" {} {} \"-\" \"{}\"",
                at.format("%d/%b/%Y:%H:%M:%S +0000"),
                self.rng.pick(&PATHS),
                [200u64, 200, 200, 301, 403, 404, 500][self.rng.below(7) as usize],
                self.rng.below(20000),
                self.rng.pick(&AGENTS)
            )),
        }
    }
}

fn stamp() -> String {
    chrono::Utc::now().format("%b %e %H:%M:%S").to_string()
}

fn health(client: &reqwest::blocking::Client, server: &str) -> Result<Value> {
    let url = format!("{server}/api/v1/health");
    client
        .get(&url)
        .send()
        .with_context(|| format!("cannot reach {url}: is `vigil serve` running?"))?
        .json()
        .context("health answer is not JSON")
}

/// The server's Prometheus counters by name (empty when unreachable).
fn server_metrics(
    client: &reqwest::blocking::Client,
    server: &str,
) -> std::collections::HashMap<String, f64> {
    let text = client
        .get(format!("{server}/metrics"))
        .send()
        .and_then(|r| r.text())
        .unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Sleeps as needed so that `sent` events over `elapsed` stay at `rate` per second.
fn pace(rate_per_thread: f64, sent: u64, started: Instant) {
    if rate_per_thread <= 0.0 {
        return;
    }
    let due = Duration::from_secs_f64(sent as f64 / rate_per_thread);
    if let Some(wait) = due.checked_sub(started.elapsed()) {
        std::thread::sleep(wait);
    }
}

fn post_batch(client: &reqwest::blocking::Client, url: &str, body: Vec<u8>) -> Result<(u64, f64)> {
    let t = Instant::now();
    let response = client.post(url).body(body).send()?;
    let status = response.status();
    let answer: Value = response.json().unwrap_or_default();
    if !status.is_success() {
        bail!("ingest answered {status}: {answer}");
    }
    Ok((
        answer["accepted"].as_u64().unwrap_or(0),
        t.elapsed().as_secs_f64() * 1000.0,
    ))
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let server = args.server.trim_end_matches('/').to_string();
    let client = crate::client::http_client(args.token.as_deref(), Some(Duration::from_secs(60)))?;
    let ingest_client = crate::client::http_client(
        args.ingest_token.as_deref().or(args.token.as_deref()),
        Some(Duration::from_secs(60)),
    )?;
    if args.mode == Mode::Detect {
        return crate::bench_detect::run(&args);
    }
    if args.mode == Mode::Search {
        return run_search(&client, &server, &args);
    }
    let before = health(&client, &server)?;
    let metrics_before = server_metrics(&client, &server);
    let start_size = before["journal"]["size"].as_u64().unwrap_or(0);
    let index_on = before["index"]["enabled"].as_bool().unwrap_or(false);
    let ingest_url = format!("{server}/api/v1/ingest");
    let duration = Duration::from_secs(args.duration.max(1));
    let connections = args.connections.max(1);
    let rate_per_thread = args.rate as f64 / connections as f64;
    let sent = Arc::new(AtomicU64::new(0));
    let raw_bytes = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    println!(
        "vigil bench: {:?} load, {} connection(s), {} for {} s against {server}",
        args.mode,
        connections,
        if args.rate == 0 {
            "max rate".to_string()
        } else {
            format!("{} events/s", args.rate)
        },
        duration.as_secs()
    );
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..connections {
        let sent = sent.clone();
        let raw_bytes = raw_bytes.clone();
        let latencies = latencies.clone();
        let client = ingest_client.clone();
        let url = ingest_url.clone();
        let mode = args.mode;
        let tcp = args.tcp;
        let batch = args.batch.max(1);
        workers.push(std::thread::spawn(move || -> Result<()> {
            let mut generator = Generator::new(worker as u64 + 1);
            let mut mine: u64 = 0;
            match mode {
                Mode::Tcp => {
                    let stream = TcpStream::connect(tcp)
                        .with_context(|| format!("cannot connect to syslog TCP {tcp}"))?;
                    let mut out = BufWriter::with_capacity(256 * 1024, stream);
                    // Pre-generate the varied part so the generator is not what is measured.
                    let pool: Vec<(String, String)> = (0..POOL)
                        .map(|_| {
                            let (pri, body) = generator.entry();
                            (format!("<{pri}>"), body)
                        })
                        .collect();
                    let mut next = 0usize;
                    while started.elapsed() < duration {
                        let stamp = stamp();
                        let mut bytes = 0;
                        for _ in 0..500 {
                            let (pri, body) = &pool[next % POOL];
                            next += 1;
                            bytes += pri.len() + stamp.len() + body.len() + 2;
                            out.write_all(pri.as_bytes())?;
                            out.write_all(stamp.as_bytes())?;
                            out.write_all(b" ")?;
                            out.write_all(body.as_bytes())?;
                            out.write_all(b"\n")?;
                        }
                        mine += 500;
                        sent.fetch_add(500, Ordering::Relaxed);
                        raw_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
                        pace(rate_per_thread, mine, started);
                    }
                    out.flush()?;
                }
                Mode::Search | Mode::Detect => {}
                Mode::Http => {
                    while started.elapsed() < duration {
                        let stamp = stamp();
                        let mut body = Vec::with_capacity(batch * 160);
                        for _ in 0..batch {
                            body.extend_from_slice(generator.line(&stamp).as_bytes());
                            body.push(b'\n');
                        }
                        raw_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                        let (accepted, ms) = post_batch(&client, &url, body)?;
                        if let Ok(mut l) = latencies.lock() {
                            l.push(ms);
                        }
                        mine += accepted;
                        sent.fetch_add(accepted, Ordering::Relaxed);
                        pace(rate_per_thread, mine, started);
                    }
                }
            }
            Ok(())
        }));
    }
    // During TCP runs, a probe measures how long an acknowledged HTTP batch takes under load.
    let probe = (args.mode == Mode::Tcp).then(|| {
        let client = ingest_client.clone();
        let url = ingest_url.clone();
        let latencies = latencies.clone();
        let stop = stop.clone();
        let probe_sent = sent.clone();
        std::thread::spawn(move || {
            let mut generator = Generator::new(99);
            while !stop.load(Ordering::Relaxed) {
                let stamp = stamp();
                let body: Vec<u8> = (0..100)
                    .flat_map(|_| format!("{}\n", generator.line(&stamp)).into_bytes())
                    .collect();
                if let Ok((accepted, ms)) = post_batch(&client, &url, body) {
                    probe_sent.fetch_add(accepted, Ordering::Relaxed);
                    if let Ok(mut l) = latencies.lock() {
                        l.push(ms);
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    });
    for worker in workers {
        match worker.join() {
            Ok(result) => result?,
            Err(_) => bail!("a load thread panicked"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(probe) = probe {
        let _ = probe.join();
    }
    let send_secs = started.elapsed().as_secs_f64();
    let total = sent.load(Ordering::Relaxed);
    let target = start_size + total;
    let deadline = Instant::now() + Duration::from_secs(args.drain_timeout);
    let mut durable_at = None;
    let mut indexed_at = None;
    let mut detected_at = None;
    let detect_on = !before["detection"].is_null();
    let mut last = before.clone();
    while Instant::now() < deadline
        && (durable_at.is_none()
            || (index_on && indexed_at.is_none())
            || (detect_on && detected_at.is_none()))
    {
        last = health(&client, &server)?;
        let elapsed = started.elapsed().as_secs_f64();
        if durable_at.is_none() && last["journal"]["size"].as_u64().unwrap_or(0) >= target {
            durable_at = Some(elapsed);
        }
        if index_on
            && indexed_at.is_none()
            && last["index"]["indexed"].as_u64().unwrap_or(0) >= target
        {
            indexed_at = Some(elapsed);
        }
        if detect_on
            && detected_at.is_none()
            && last["detection"]["processed"].as_u64().unwrap_or(0) >= target
        {
            detected_at = Some(elapsed);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let stored = last["journal"]["size"]
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(start_size);
    println!(
        "events sent:            {total} in {send_secs:.2} s ({:.0} events/s offered)",
        total as f64 / send_secs
    );
    match durable_at {
        Some(t) => println!("durable (journal):      {:.0} events/s sustained ({t:.2} s until the last was fsync'd)", total as f64 / t),
        None => println!("durable (journal):      only {stored} of {total} events after the drain timeout"),
    }
    if index_on {
        match indexed_at {
            Some(t) => println!("searchable (index):     {:.0} events/s sustained ({t:.2} s until the last was committed)", total as f64 / t),
            None => println!("searchable (index):     not caught up after the drain timeout"),
        }
    } else {
        println!("searchable (index):     indexing is off on this server");
    }
    println!(
        "ack latency (HTTP):     p50 {:.1} ms, p99 {:.1} ms over {} batches",
        percentile(&lat, 50.0),
        percentile(&lat, 99.0),
        lat.len()
    );
    let metrics_after = server_metrics(&client, &server);
    let spent = |name: &str| {
        (metrics_after.get(name).copied().unwrap_or(0.0)
            - metrics_before.get(name).copied().unwrap_or(0.0))
            / 1e9
    };
    let (parse, journal, index) = (
        spent("vigil_parse_nanoseconds_total"),
        spent("vigil_journal_append_nanoseconds_total"),
        spent("vigil_index_nanoseconds_total"),
    );
    let busy = (parse + journal + index).max(1e-9);
    println!(
        "server time by stage:   parse {parse:.1} s ({:.0} %), journal {journal:.1} s ({:.0} %), index {index:.1} s ({:.0} %)",
        100.0 * parse / busy,
        100.0 * journal / busy,
        100.0 * index / busy
    );
    let raw = raw_bytes.load(Ordering::Relaxed) as f64;
    let load_events = total as f64;
    if raw > 0.0 && start_size == 0 && stored > 0 {
        let journal = last["disk"]["journal_bytes"].as_f64().unwrap_or(0.0);
        let index = last["disk"]["index_bytes"].as_f64().unwrap_or(0.0);
        let raw_per_event = raw / load_events;
        println!(
            "on disk:                {:.0} B/event (journal {:.0} + index {:.0}) for {:.0} raw B/event: {:.2}x raw",
            (journal + index) / stored as f64,
            journal / stored as f64,
            index / stored as f64,
            raw_per_event,
            (journal + index) / stored as f64 / raw_per_event
        );
    }
    if detect_on {
        let d = &last["detection"];
        let ms = |v: &Value, p: &str| v[p].as_u64().map_or("-".to_string(), |x| x.to_string());
        match detected_at {
            Some(t) => println!("detected (rules):       {:.0} events/s sustained ({t:.2} s until the last was evaluated), {} alerts", total as f64 / t, d["alerts_created"]),
            None => println!("detected (rules):       not caught up after the drain timeout ({} of {})", d["processed"], target),
        }
        println!(
            "alert latency:          from ack p50 {} ms, p99 {} ms; from receipt p50 {} ms, p99 {} ms (recent alerts)",
            ms(&d["alert_latency_from_ack_ms"], "p50"),
            ms(&d["alert_latency_from_ack_ms"], "p99"),
            ms(&d["alert_latency_ms"], "p50"),
            ms(&d["alert_latency_ms"], "p99"),
        );
    }
    println!(
        "server RSS:             {:.0} MB now, {:.0} MB peak",
        last["rss_bytes"].as_f64().unwrap_or(0.0) / 1e6,
        last["peak_rss_bytes"].as_f64().unwrap_or(0.0) / 1e6
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_lines_are_varied_syslog() {
        let mut generator = Generator::new(7);
        let lines: Vec<String> = (0..200)
            .map(|_| generator.line("Nov 22 10:00:00"))
            .collect();
        assert!(lines.iter().all(|l| l.starts_with('<')));
        for program in ["sshd[", "sudo:", "kernel:", "nginx:"] {
            assert!(
                lines.iter().any(|l| l.contains(program)),
                "no {program} line"
            );
        }
        let hosts: std::collections::HashSet<&str> =
            lines.iter().filter_map(|l| l.split(' ').nth(3)).collect();
        assert!(hosts.len() > 10);
    }

    #[test]
    fn a_line_at_a_time_carries_that_time_throughout() {
        let mut generator = Generator::new(7);
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:20:30Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        let lines: Vec<String> = (0..100).map(|_| generator.line_at(at)).collect();
        assert!(lines.iter().all(|l| l.contains("Mar  1 10:20:30 ")));
        let nginx: Vec<&String> = lines.iter().filter(|l| l.contains("nginx:")).collect();
        assert!(!nginx.is_empty());
        assert!(nginx
            .iter()
            .all(|l| l.contains("[01/Mar/2026:10:20:30 +0000]")));
    }
}
