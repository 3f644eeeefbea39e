//! `vigil.toml`: every key optional, each with the same name as its `vigil serve` flag
//! (dashes become underscores). Command-line flags override the file.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A configuration problem, reported with the file it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys / wrong types.
    #[error("invalid config {path}: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The TOML parser's message (with line and column).
        message: String,
    },
}

/// Names of the built-in inputs other than the unnamed syslog listeners (whose names are
/// [`vigil_ingest::syslog::SyslogProtocol::default_name`]); no `[[sources.*]]` may take any.
const BUILT_IN_SOURCE_NAMES: [&str; 5] = [
    crate::api::HTTP_SOURCE,
    crate::shippers::ES_SOURCE,
    crate::shippers::HEC_SOURCE,
    crate::otlp::OTLP_SOURCE,
    vigil_ingest::IMPORT_SOURCE,
];

/// One syslog listener to start ([`Config::syslog_listeners`]).
#[derive(Debug, Clone)]
pub struct SyslogListener {
    /// Its transport.
    pub protocol: vigil_ingest::syslog::SyslogProtocol,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its `[[sources.syslog]]` name; `None` for the unnamed listeners.
    pub name: Option<String>,
    /// The format after the syslog header.
    pub parser: vigil_parse::Parser,
    /// Join the frames of one Linux audit event (`join = "auditd"`).
    pub join_audit: bool,
}

/// The server's settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the journal, index and keys live.
    pub data_dir: PathBuf,
    /// HTTP API address.
    pub http: SocketAddr,
    /// Syslog UDP address; `""` in the file or `--syslog-udp off` disables it.
    #[serde(deserialize_with = "optional_addr")]
    pub syslog_udp: Option<SocketAddr>,
    /// Syslog TCP address; `""` in the file or `--syslog-tcp off` disables it.
    #[serde(deserialize_with = "optional_addr")]
    pub syslog_tcp: Option<SocketAddr>,
    /// Syslog over RELP (rsyslog `omrelp`) address; off unless set (`--syslog-relp`).
    #[serde(deserialize_with = "optional_addr")]
    pub syslog_relp: Option<SocketAddr>,
    /// Syslog over TLS (RFC 5425) address; off unless set (`--syslog-tls`). Needs `[tls]`
    /// (`client_ca` there makes client certificates mandatory: mutual TLS).
    #[serde(deserialize_with = "optional_addr")]
    pub syslog_tls: Option<SocketAddr>,
    /// A syslog-over-TLS connection sending nothing for this long is closed ("10m"; "0s": never).
    pub syslog_tls_idle_timeout: String,
    /// Other inputs: `[[sources.file]]` (file tailing).
    pub sources: vigil_ingest::file_tail::SourcesConfig,
    /// fsync the journal before acknowledging (group commit). Turning this off trades durability for speed.
    pub fsync: bool,
    /// Index events for search. Off only for measuring the journal alone.
    pub index: bool,
    /// UTC offset assumed for RFC 3164 syslog timestamps, which carry no zone ("+00:00", "-05:00").
    pub syslog_timezone: String,
    /// Largest HTTP request body accepted, after decompression, in bytes.
    pub max_body_bytes: usize,
    /// Largest single event (line or frame), in bytes.
    pub max_event_bytes: usize,
    /// Events waiting for the journal before sources are slowed down.
    pub queue_batches: usize,
    /// Journal segment size before a new one starts, in bytes.
    pub segment_bytes: u64,
    /// Detection: Sigma rules, correlation and alerts (`[detect]`).
    pub detect: DetectSettings,
    /// Users, sessions and API tokens (`[auth]`).
    pub auth: AuthSettings,
    /// HTTPS for the API (`[tls]`); absent means plain HTTP.
    pub tls: Option<TlsSettings>,
    /// Longest time one HTTP request may take before it is answered 408 ("60s").
    pub request_timeout: String,
    /// Most HTTP requests served at once; more wait for a free slot.
    pub max_concurrent_requests: usize,
    /// User-defined pipelines (`[[pipelines]]`): VRL programs run on events after Vigil's
    /// own parsing, in order, chosen by source name and/or a condition.
    pub pipelines: Vec<PipelineSettings>,
    /// The file this configuration was read from, with its text (for error positions).
    #[serde(skip)]
    pub file: Option<(PathBuf, std::sync::Arc<str>)>,
}

/// `[[pipelines]]`: one VRL program and when it runs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSettings {
    /// Name, shown in errors, tags and metrics.
    pub name: String,
    /// The VRL program, inline.
    #[serde(default)]
    pub source: Option<toml::Spanned<String>>,
    /// A `.vrl` file holding the program (instead of `source`).
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Runs only on events whose `log.source.name` is one of these (`syslog-tcp`,
    /// `syslog-udp`, `http`, a `[[sources.file]]` name, ...); empty: every source.
    #[serde(default)]
    pub sources: Vec<String>,
    /// A VRL boolean expression (read-only); the pipeline runs only where it is `true`.
    #[serde(default)]
    pub condition: Option<toml::Spanned<String>>,
}

/// `[auth]`: who may use the API.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// Put every audit record into the event stream too, as an ECS event
    /// (`event.dataset: vigil.audit`), so detection rules can watch the watchers.
    pub audit_events: bool,
    /// Require authentication (see docs/security.md). Turning it off leaves every route
    /// open to anyone who can reach the port: only for throw-away local experiments.
    pub enabled: bool,
    /// A web session unused for this long ends ("30m").
    pub session_idle_timeout: String,
    /// A web session ends this long after login, however active ("12h").
    pub session_absolute_timeout: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            audit_events: true,
            session_idle_timeout: "30m".into(),
            session_absolute_timeout: "12h".into(),
        }
    }
}

/// `[tls]`: certificate and key (PEM) for HTTPS; the same pair serves syslog over TLS.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA bundle that syslog-over-TLS clients' certificates must chain to: when set,
    /// a client without such a certificate is refused (mutual TLS). The API is unaffected.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// PEM certificate revocation lists (`X509 CRL` blocks, one file) for `client_ca`: a
    /// client whose certificate is revoked is refused. Every CA below the trust anchor in a
    /// client's chain needs its CRL here (an uncovered certificate is refused). The file is
    /// re-read when it changes.
    #[serde(default)]
    pub client_crl: Option<PathBuf>,
}

/// `[detect]`: where rules come from and how alerts are raised.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectSettings {
    /// Run detection on the event stream.
    pub enabled: bool,
    /// Rule files or directories (recursed); the SigmaHQ repository can be listed as is.
    pub rules: Vec<PathBuf>,
    /// The same rule and group key within this window (event time) update one alert
    /// instead of raising another ("10m", "1h", "0s").
    pub suppression: String,
    /// How late (behind the newest event time) an event may arrive and still count in
    /// correlation windows.
    pub allowed_lateness: String,
    /// Values for Sigma placeholders used with `|expand` (`approved_cas = ["CN=Corp CA"]`).
    pub placeholders: std::collections::BTreeMap<String, Vec<String>>,
    /// Reload rules when their files change.
    pub watch: bool,
    /// A live source (syslog host, HTTP sender) that sent before and has been silent this
    /// long raises Vigil's own `source-silent` event ("0s" turns the monitor off).
    pub silence_threshold: String,
    /// Event ids kept per correlation window as the alert's evidence (the newest); the
    /// alert still counts every event. Each active window reserves room for these.
    pub max_correlation_events: usize,
    /// Correlation windows (rule × group key) kept before the stalest are evicted.
    pub max_correlation_groups: usize,
    /// rsigma's cross-rule Aho-Corasick prefilter (off: measured slower on SigmaHQ; try it
    /// with very large literal-heavy packs such as IOC lists).
    pub cross_rule_prefilter: bool,
    /// Journal records detection may lag behind before ingestion waits for it (up to 2 s per
    /// journal frame), so that under overload senders slow down instead of alerts falling
    /// behind; 0: ingestion never waits for detection.
    pub max_lag: u64,
}

impl Default for DetectSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            rules: vec![PathBuf::from("rules")],
            suppression: "10m".into(),
            allowed_lateness: "5m".into(),
            placeholders: Default::default(),
            watch: true,
            silence_threshold: "15m".into(),
            max_correlation_events: vigil_detect::DetectConfig::default().max_correlation_events,
            max_correlation_groups: vigil_detect::DetectConfig::default().max_state_entries,
            cross_rule_prefilter: vigil_detect::DetectConfig::default().cross_rule_prefilter,
            max_lag: 8_192,
        }
    }
}

/// Parses a duration such as `90s`, `10m`, `2h`, `7d` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| {
        format!("invalid duration '{text}': expected a number and a unit (s, m, h, d)")
    })?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        other => {
            return Err(format!(
                "invalid duration '{text}': unknown unit '{other}' (s, m, h, d)"
            ))
        }
    };
    Ok(std::time::Duration::from_secs(secs))
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./vigil-data"),
            http: SocketAddr::from(([127, 0, 0, 1], 8080)),
            syslog_udp: Some(SocketAddr::from(([127, 0, 0, 1], 5514))),
            syslog_tcp: Some(SocketAddr::from(([127, 0, 0, 1], 5514))),
            syslog_relp: None,
            syslog_tls: None,
            syslog_tls_idle_timeout: "10m".into(),
            sources: Default::default(),
            fsync: true,
            index: true,
            syslog_timezone: "+00:00".into(),
            max_body_bytes: 64 * 1024 * 1024,
            max_event_bytes: 4 * 1024 * 1024,
            queue_batches: 16,
            segment_bytes: 256 * 1024 * 1024,
            detect: DetectSettings::default(),
            auth: AuthSettings::default(),
            tls: None,
            request_timeout: "60s".into(),
            max_concurrent_requests: 512,
            pipelines: Vec::new(),
            file: None,
        }
    }
}

fn optional_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    parse_optional_addr(&text).map_err(serde::de::Error::custom)
}

/// Line and column (1-based) in the config text where a string value's content starts:
/// after its opening quotes and, for a `"""`/`'''` string, the newline TOML trims there.
/// Exact for literal strings and for basic strings without escapes before the error.
fn spanned_start(text: &str, value: &toml::Spanned<String>) -> (usize, usize) {
    let start = value.span().start;
    let rest = text.get(start..).unwrap_or("");
    let mut offset = start;
    if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        offset += 3;
        let after = &rest[3..];
        if after.starts_with("\r\n") {
            offset += 2;
        } else if after.starts_with('\n') {
            offset += 1;
        }
    } else if rest.starts_with('"') || rest.starts_with('\'') {
        offset += 1;
    }
    vigil_remap::line_column(text, offset)
}

/// Parses a listen address, where `""`, `off` and `none` mean "disabled".
pub fn parse_optional_addr(text: &str) -> Result<Option<SocketAddr>, String> {
    match text.trim() {
        "" | "off" | "none" => Ok(None),
        other => other
            .parse()
            .map(Some)
            .map_err(|e| format!("invalid address '{other}': {e} (expected IP:PORT or 'off')")),
    }
}

impl Config {
    /// Reads a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.file = Some((path.to_path_buf(), text.into()));
        Ok(config)
    }

    /// Reads the `[[pipelines]]` programs (inline or from their `.vrl` files) and compiles
    /// them. `None` when there are none: the pipeline then has no remap stage at all.
    pub fn compile_pipelines(
        &self,
    ) -> Result<Option<std::sync::Arc<vigil_remap::Pipelines>>, String> {
        if self.pipelines.is_empty() {
            return Ok(None);
        }
        let (config_path, config_text) = match &self.file {
            Some((path, text)) => (path.clone(), text.clone()),
            None => (PathBuf::from("vigil.toml"), std::sync::Arc::from("")),
        };
        let inline = |value: &toml::Spanned<String>| {
            let (line, column) = spanned_start(&config_text, value);
            vigil_remap::ProgramText {
                text: value.get_ref().clone(),
                origin: vigil_remap::Origin {
                    file: config_path.clone(),
                    line,
                    column,
                },
            }
        };
        let mut specs = Vec::with_capacity(self.pipelines.len());
        let mut names = std::collections::HashSet::new();
        for p in &self.pipelines {
            let at = format!("{}: [[pipelines]] '{}'", config_path.display(), p.name);
            if p.name.trim().is_empty() {
                return Err(format!(
                    "{}: [[pipelines]] needs a name",
                    config_path.display()
                ));
            }
            if !names.insert(p.name.as_str()) {
                return Err(format!("{at}: the name is used twice"));
            }
            let program = match (&p.source, &p.file) {
                (Some(source), None) => inline(source),
                (None, Some(file)) => vigil_remap::ProgramText {
                    text: std::fs::read_to_string(file)
                        .map_err(|e| format!("{at}: cannot read {}: {e}", file.display()))?,
                    origin: vigil_remap::Origin {
                        file: file.clone(),
                        line: 1,
                        column: 1,
                    },
                },
                _ => return Err(format!("{at}: set exactly one of `source` and `file`")),
            };
            specs.push(vigil_remap::PipelineSpec {
                name: p.name.clone(),
                program,
                sources: p.sources.clone(),
                condition: p.condition.as_ref().map(inline),
            });
        }
        vigil_remap::Pipelines::compile(&specs)
            .map(|p| Some(std::sync::Arc::new(p)))
            .map_err(|e| e.to_string())
    }

    /// Every syslog listener to start: the unnamed `syslog_udp`/`_tcp`/`_tls`/`_relp`
    /// addresses, then each `[[sources.syslog]]`. A source name used twice (among syslog and
    /// file sources, or a built-in input's name), an empty name or an unknown parser is an
    /// error naming the source.
    pub fn syslog_listeners(&self) -> Result<Vec<SyslogListener>, String> {
        use vigil_ingest::syslog::SyslogProtocol;
        let mut listeners: Vec<SyslogListener> = [
            (SyslogProtocol::Udp, self.syslog_udp),
            (SyslogProtocol::Tcp, self.syslog_tcp),
            (SyslogProtocol::Tls, self.syslog_tls),
            (SyslogProtocol::Relp, self.syslog_relp),
        ]
        .into_iter()
        .filter_map(|(protocol, addr)| {
            addr.map(|addr| SyslogListener {
                protocol,
                addr,
                name: None,
                parser: vigil_parse::Parser::Auto,
                join_audit: false,
            })
        })
        .collect();
        let mut names: std::collections::HashSet<&str> = SyslogProtocol::ALL
            .iter()
            .map(|p| p.default_name())
            .chain(BUILT_IN_SOURCE_NAMES)
            .collect();
        for file in &self.sources.file {
            if !names.insert(file.name.as_str()) {
                return Err(format!(
                    "[[sources.file]] '{}': the source name is already taken (names must be unique across sources and must not be a built-in input's)",
                    file.name
                ));
            }
        }
        for source in &self.sources.syslog {
            let at = format!("[[sources.syslog]] '{}'", source.name);
            if source.name.trim().is_empty() {
                return Err("[[sources.syslog]] needs a name".to_string());
            }
            if !names.insert(source.name.as_str()) {
                return Err(format!("{at}: the source name is already taken (names must be unique across sources and must not be a built-in input's)"));
            }
            let parser = match &source.parser {
                Some(name) => name.parse().map_err(|e| format!("{at}: {e}"))?,
                None => vigil_parse::Parser::Auto,
            };
            let join_audit = match source.join.as_deref() {
                None => false,
                Some("auditd") => match source.protocol {
                    SyslogProtocol::Tcp | SyslogProtocol::Tls => true,
                    other => {
                        return Err(format!(
                            "{at}: join = \"auditd\" needs a stream listener (protocol tcp or tls), not {}",
                            other.label().to_ascii_lowercase()
                        ))
                    }
                },
                Some(other) => {
                    return Err(format!(
                        "{at}: unknown join {other:?}: the only one is \"auditd\""
                    ))
                }
            };
            listeners.push(SyslogListener {
                protocol: source.protocol,
                addr: source.listen,
                name: Some(source.name.clone()),
                parser,
                join_audit,
            });
        }
        Ok(listeners)
    }

    /// The zone for RFC 3164 timestamps.
    pub fn syslog_offset(&self) -> Result<chrono::FixedOffset, String> {
        let text = self.syslog_timezone.trim();
        if text.eq_ignore_ascii_case("utc") || text == "Z" {
            return Ok(chrono::FixedOffset::east_opt(0)
                .unwrap_or_else(|| unreachable!("zero offset is valid")));
        }
        chrono::DateTime::parse_from_rfc3339(&format!("2000-01-01T00:00:00{text}"))
            .map(|t| *t.offset())
            .map_err(|_| {
                format!("invalid syslog_timezone '{text}': expected an offset like +01:00 or UTC")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional_and_unknown_keys_are_rejected() {
        let cfg: Config = toml::from_str("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.http.port(), 8080);
        let cfg: Config = toml::from_str("syslog_udp = \"off\"\nhttp = \"127.0.0.1:9999\"")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.syslog_udp, None);
        assert_eq!(cfg.http.port(), 9999);
        assert!(toml::from_str::<Config>("htp = \"x\"").is_err());
        let cfg = Config {
            syslog_timezone: "-05:00".into(),
            ..Config::default()
        };
        assert_eq!(
            cfg.syslog_offset().map(|o| o.local_minus_utc()),
            Ok(-5 * 3600)
        );
    }

    #[test]
    fn auth_and_tls_sections() {
        let cfg: Config = toml::from_str(
            "[auth]\nsession_idle_timeout = \"5m\"\n[tls]\ncert = \"a.pem\"\nkey = \"b.pem\"",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(cfg.auth.enabled && cfg.auth.audit_events);
        assert_eq!(cfg.auth.session_idle_timeout, "5m");
        assert_eq!(
            cfg.tls.map(|t| (t.cert, t.key)),
            Some((PathBuf::from("a.pem"), PathBuf::from("b.pem")))
        );
        assert!(Config::default().tls.is_none());
        assert_eq!(Config::default().syslog_tls, None);
        let cfg: Config = toml::from_str(
            "syslog_tls = \"127.0.0.1:6514\"\n[tls]\ncert = \"a.pem\"\nkey = \"b.pem\"\nclient_ca = \"ca.pem\"",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.syslog_tls.map(|a| a.port()), Some(6514));
        assert_eq!(
            cfg.tls.and_then(|t| t.client_ca),
            Some(PathBuf::from("ca.pem"))
        );
        assert!(toml::from_str::<Config>("[tls]\ncert = \"a.pem\"").is_err());
        assert!(toml::from_str::<Config>("[auth]\nenabeld = true").is_err());
    }

    #[test]
    fn pipelines_compile_with_positions_in_the_config_file() {
        let text = "http = \"127.0.0.1:0\"\n\n[[pipelines]]\nname = \"kv\"\nsources = [\"syslog-tcp\"]\nsource = '''\n.a = 1\n.b = parse_json(.message)\n'''\n\n[[pipelines]]\nname = \"cond\"\ncondition = '  .x == '\nsource = '.c = 1'\n";
        let mut cfg: Config = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        cfg.file = Some((PathBuf::from("/etc/vigil/vigil.toml"), text.into()));
        assert_eq!(cfg.pipelines.len(), 2);
        let err = cfg.compile_pipelines().err().unwrap_or_default();
        // `.b = parse_json(.message)` is line 8; the fallible call starts at column 6.
        assert!(
            err.starts_with(
                "/etc/vigil/vigil.toml:8:6: pipeline 'kv': program does not compile: error[E103]"
            ),
            "{err}"
        );
        // The program from a file that cannot be read.
        cfg.pipelines[0].source = None;
        cfg.pipelines[0].file = Some(PathBuf::from("/nonexistent/kv.vrl"));
        let err = cfg.compile_pipelines().err().unwrap_or_default();
        assert!(err.contains("cannot read /nonexistent/kv.vrl"), "{err}");
        // The condition (inline, single-quoted, on line 13) does not compile either.
        cfg.pipelines.remove(0);
        let err = cfg.compile_pipelines().err().unwrap_or_default();
        assert!(err.starts_with("/etc/vigil/vigil.toml:13:"), "{err}");
        assert!(
            err.contains("pipeline 'cond': condition does not compile"),
            "{err}"
        );
        cfg.pipelines[0].condition = None;
        assert!(cfg.compile_pipelines().is_ok_and(|p| p.is_some()));
        assert!(Config::default()
            .compile_pipelines()
            .is_ok_and(|p| p.is_none()));
        assert!(toml::from_str::<Config>("[[pipelines]]\nname = \"a\"\nsorce = \"\"").is_err());
        let both: Config =
            toml::from_str("[[pipelines]]\nname = \"a\"\nsource = \".a = 1\"\nfile = \"x.vrl\"")
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(both
            .compile_pipelines()
            .err()
            .is_some_and(|e| e.contains("exactly one of `source` and `file`")));
    }

    #[test]
    fn detect_section_and_durations() {
        let cfg: Config = toml::from_str(
            "[detect]\nrules = [\"a\", \"b\"]\nsuppression = \"5m\"\n[detect.placeholders]\napproved_cas = [\"CN=Corp\"]",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.detect.rules.len(), 2);
        assert_eq!(
            cfg.detect.placeholders["approved_cas"],
            vec!["CN=Corp".to_string()]
        );
        assert!(toml::from_str::<Config>("[detect]\nrulez = []").is_err());
        assert_eq!(
            parse_duration("5m"),
            Ok(std::time::Duration::from_secs(300))
        );
        assert_eq!(parse_duration("42"), Ok(std::time::Duration::from_secs(42)));
        assert!(parse_duration("5 parsecs").is_err());
    }
}
