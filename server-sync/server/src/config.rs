//! The server's configuration: one TOML file, read into a typed struct with defaults, then
//! validated before anything starts.
//!
//! ```toml
//! listen = "0.0.0.0:8080"          # plain HTTP; TLS is terminated by the site's reverse proxy
//!
//! [site]
//! time_zone = "Asia/Makassar"       # WITA; Asia/Jakarta (WIB), Asia/Jayapura (WIT); a site may
//!                                   # have its own (settings page, `sites put --time-zone`)
//!
//! [storage]
//! backend = "sqlite"                # or "postgres"
//! sqlite_path = "/var/lib/hadir/hadir.db"
//! # postgres_url = "host=/run/postgresql user=hadir dbname=hadir"
//! # template_key_path = "/var/lib/hadir/hadir-template.key"  # default: beside sqlite_path
//!
//! [ingest]
//! max_future_skew_s = 600           # records further in the future are quarantined
//! earliest_record = "2024-01-01"    # records before this date (UTC) are quarantined
//! max_body_bytes = 8388608
//!
//! [enrolment]
//! token_ttl_hours = 72
//!
//! [http]                            # each listener (the dashboard's and the terminals')
//! request_timeout_s = 60            # until the answer's head; longer is answered 408
//! max_in_flight = 512               # requests at once; more are answered 503
//!
//! [log]
//! format = "text"                   # or "json"
//! filter = "info"                   # tracing env-filter syntax; RUST_LOG overrides
//!
//! [templates]                       # face templates uploaded by kiosks
//! model_version = "faceplugin-face-recognition-js@0.0.1/fr_feature.onnx#87aacdfe57510db2"
//! embedding_len = 512
//!
//! [dashboard]                       # read by the dashboard module
//! trusted_proxies = ["127.0.0.1"]   # the TLS proxy in front: logins and device API refusals counted per real client
//! # map_library_dir = "/usr/share/hadir/leaflet"      # Leaflet (`cargo xtask setup` installs it)
//! # map_tiles = "https://{s}.tiles.example/{z}/{x}/{y}.png"  # absent: points and areas without tiles
//! # map_attribution = "© the tile source"
//!
//! [zkteco]                          # ZKTeco terminals (attendance PUSH); absent: off
//! listen = "0.0.0.0:8081"           # a listener of its own, plain HTTP
//! max_body_bytes = 2097152          # a larger upload is answered 413
//! ```
//!
//! An unknown key, a wrong type or an invalid value stops start-up with an error that names
//! the key (and, for syntax errors, the line) and says what is expected.

use crate::ingest::IngestPolicy;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or a key is unknown or of the wrong type.
    #[error("config {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message (line, column, key).
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("config {path}: key `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
}

/// Which database backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The backend.
    pub backend: Backend,
    /// The SQLite file (backend `sqlite`).
    pub sqlite_path: PathBuf,
    /// The PostgreSQL connection string (backend `postgres`).
    pub postgres_url: Option<String>,
    /// The key file that seals face templates (made at first start, mode 0600); by default
    /// `hadir-template.key` beside `sqlite_path` (also for PostgreSQL). Back it up apart from
    /// the database: without it the templates are lost.
    pub template_key_path: Option<PathBuf>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            backend: Backend::Sqlite,
            sqlite_path: PathBuf::from("hadir.db"),
            postgres_url: None,
            template_key_path: None,
        }
    }
}

impl StorageConfig {
    /// The template key file to use.
    pub fn template_key_path(&self) -> PathBuf {
        self.template_key_path.clone().unwrap_or_else(|| crate::storage::sealed::default_key_path(&self.sqlite_path))
    }
}

/// `[ingest]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// How far in the future a record may be, seconds.
    pub max_future_skew_s: u64,
    /// The earliest plausible record date, `YYYY-MM-DD` (UTC).
    pub earliest_record: String,
    /// The largest upload body, bytes.
    pub max_body_bytes: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig { max_future_skew_s: 600, earliest_record: "2024-01-01".into(), max_body_bytes: 8 << 20 }
    }
}

/// `[enrolment]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrolmentConfig {
    /// How long a new enrolment token stays valid, hours.
    pub token_ttl_hours: u32,
}

impl Default for EnrolmentConfig {
    fn default() -> Self {
        EnrolmentConfig { token_ttl_hours: 72 }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (for log shippers).
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Line format.
    pub format: LogFormat,
    /// Filter directives (`info`, `hadir_server=debug` …).
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Text, filter: "info".into() }
    }
}

/// `[http]`: each listener's request limits ([`crate::limits`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Seconds a request may take until its answer's head.
    pub request_timeout_s: u64,
    /// Requests handled at once.
    pub max_in_flight: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let d = crate::limits::HttpLimits::default();
        HttpConfig { request_timeout_s: d.request_timeout.as_secs(), max_in_flight: d.max_in_flight }
    }
}

/// `[templates]`: face templates uploaded by kiosks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemplatesConfig {
    /// The face model's version string; templates of another model are refused.
    pub model_version: String,
    /// Values per embedding.
    pub embedding_len: usize,
}

impl Default for TemplatesConfig {
    fn default() -> Self {
        let p = crate::roster::TemplatePolicy::default();
        TemplatesConfig { model_version: p.model_version, embedding_len: p.embedding_len }
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `[storage]`.
    pub storage: StorageConfig,
    /// `[ingest]`.
    pub ingest: IngestConfig,
    /// `[enrolment]`.
    pub enrolment: EnrolmentConfig,
    /// `[http]`.
    pub http: HttpConfig,
    /// `[log]`.
    pub log: LogConfig,
    /// `[templates]`.
    pub templates: TemplatesConfig,
    /// `[site]`.
    pub site: SiteConfig,
    /// `[dashboard]`, passed as is to the dashboard module.
    pub dashboard: toml::Table,
    /// `[zkteco]`: the ZKTeco terminals' listener; absent: terminals are not served.
    pub zkteco: Option<ZktecoConfig>,
}

/// `[zkteco]`: where ZKTeco terminals push their logs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZktecoConfig {
    /// The listener's address (e.g. `0.0.0.0:8081`).
    pub listen: String,
    /// The largest request body, bytes (default 2 MiB).
    #[serde(default = "default_zk_body")]
    pub max_body_bytes: usize,
}

fn default_zk_body() -> usize {
    hadir_zkteco::Limits::DEFAULT_MAX_BODY_BYTES
}

/// `[site]`: what the office is.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// The IANA time zone of every site without one of its own (the settings page gives a
    /// site its own): days, lateness, reports, the board and the kiosks' result screens are
    /// in its site's zone.
    pub time_zone: String,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig { time_zone: hadir_rules::DEFAULT_ZONE.to_owned() }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            storage: StorageConfig::default(),
            ingest: IngestConfig::default(),
            enrolment: EnrolmentConfig::default(),
            http: HttpConfig::default(),
            log: LogConfig::default(),
            templates: TemplatesConfig::default(),
            site: SiteConfig::default(),
            dashboard: toml::Table::new(),
            zkteco: None,
        }
    }
}

/// The configuration after validation: typed values ready to use.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// The file as read.
    pub raw: Config,
    /// The listen address.
    pub listen: SocketAddr,
    /// The ingest policy.
    pub policy: IngestPolicy,
    /// The sites' time zone.
    pub zone: hadir_rules::SiteZone,
    /// The ZKTeco terminals' listener address, when on.
    pub zkteco_listen: Option<SocketAddr>,
}

/// Why the configured store cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The face-template key file cannot be read or made.
    #[error("face-template key (storage.template_key_path = {path}): {source}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::storage::sealed::KeyFileError,
    },
    /// The database cannot be opened or reached.
    #[error("{what}: {source}")]
    Store {
        /// Which database (the SQLite file, or `storage.postgres_url`).
        what: String,
        /// Why.
        #[source]
        source: crate::storage::StorageError,
    },
}

impl Validated {
    /// Opens the configured store with its face-template key (made beside it if missing).
    pub async fn open_store(&self) -> Result<crate::storage::Store, OpenError> {
        use crate::storage::{Store, TemplateKey};
        let s = &self.raw.storage;
        let key_path = s.template_key_path();
        let key = TemplateKey::load_or_create(&key_path).map_err(|source| OpenError::Key { path: key_path.clone(), source })?;
        match s.backend {
            Backend::Sqlite => Store::open_sqlite_with_key(&s.sqlite_path, key)
                .map_err(|source| OpenError::Store { what: format!("opening {}", s.sqlite_path.display()), source }),
            Backend::Postgres => {
                // Validation guarantees the URL is there.
                let url = s.postgres_url.as_deref().unwrap_or_default();
                let store = Store::connect_postgres(url)
                    .await
                    .map_err(|source| OpenError::Store { what: "connecting to PostgreSQL (storage.postgres_url)".into(), source })?;
                Ok(store.with_template_key(key))
            }
        }
    }

    /// Every listener's request limits (`[http]`).
    pub fn http_limits(&self) -> crate::limits::HttpLimits {
        crate::limits::HttpLimits {
            request_timeout: std::time::Duration::from_secs(self.raw.http.request_timeout_s),
            max_in_flight: self.raw.http.max_in_flight,
        }
    }
}

impl Config {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Validated, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        Config::parse(&text, path)
    }

    /// Parses and validates text (`path` is only for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Validated, ConfigError> {
        let raw: Config = toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })?;
        raw.validate(path)
    }

    /// Checks values and builds the typed parts.
    pub fn validate(self, path: &Path) -> Result<Validated, ConfigError> {
        let invalid = |key, message: String| ConfigError::Invalid { path: path.into(), key, message };
        let listen: SocketAddr = self
            .listen
            .parse()
            .map_err(|_| invalid("listen", format!("{:?} is not an address like \"0.0.0.0:8080\"", self.listen)))?;
        match self.storage.backend {
            Backend::Sqlite if self.storage.sqlite_path.as_os_str().is_empty() => {
                return Err(invalid("storage.sqlite_path", "must name the database file".into()));
            }
            Backend::Postgres if self.storage.postgres_url.as_deref().is_none_or(str::is_empty) => {
                return Err(invalid(
                    "storage.postgres_url",
                    "is required when storage.backend = \"postgres\" (e.g. \"host=/run/postgresql user=hadir dbname=hadir\")".into(),
                ));
            }
            _ => {}
        }
        if self.ingest.max_future_skew_s == 0 || self.ingest.max_future_skew_s > 86_400 {
            return Err(invalid("ingest.max_future_skew_s", format!("{} must be 1 to 86400", self.ingest.max_future_skew_s)));
        }
        let date = time::Date::parse(&self.ingest.earliest_record, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| invalid("ingest.earliest_record", format!("{:?} is not a date YYYY-MM-DD", self.ingest.earliest_record)))?;
        let earliest_ms = (date.midnight().assume_utc().unix_timestamp()) * 1000;
        if self.ingest.max_body_bytes < 64 * 1024 {
            return Err(invalid("ingest.max_body_bytes", format!("{} is below 65536; a batch of records needs more", self.ingest.max_body_bytes)));
        }
        if self.enrolment.token_ttl_hours == 0 {
            return Err(invalid("enrolment.token_ttl_hours", "must be at least 1".into()));
        }
        if !(1..=3600).contains(&self.http.request_timeout_s) {
            return Err(invalid("http.request_timeout_s", format!("{} must be 1 to 3600", self.http.request_timeout_s)));
        }
        if !(1..=100_000).contains(&self.http.max_in_flight) {
            return Err(invalid("http.max_in_flight", format!("{} must be 1 to 100000", self.http.max_in_flight)));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            return Err(invalid("log.filter", format!("{:?} is not a tracing filter (e.g. \"info\")", self.log.filter)));
        }
        if self.templates.model_version.trim().is_empty() {
            return Err(invalid("templates.model_version", "must name the face model (hadir_models::MODEL_VERSION)".into()));
        }
        if self.templates.embedding_len == 0 || self.templates.embedding_len > 4096 {
            return Err(invalid("templates.embedding_len", format!("{} must be 1 to 4096", self.templates.embedding_len)));
        }
        let zone = hadir_rules::SiteZone::parse(&self.site.time_zone).map_err(|e| invalid("site.time_zone", e.to_string()))?;
        let policy = IngestPolicy {
            max_future_ms: self.ingest.max_future_skew_s as i64 * 1000,
            earliest_ms,
            templates: crate::roster::TemplatePolicy {
                model_version: self.templates.model_version.clone(),
                embedding_len: self.templates.embedding_len,
            },
            zone: zone.clone(),
            clock: hadir_rules::ClockRules::default(),
            fix: hadir_rules::place::FixLimits::default(),
            plausibility: hadir_rules::plausibility::PlausibilityRules::default(),
        };
        let zkteco_listen = match &self.zkteco {
            None => None,
            Some(z) => {
                let addr: SocketAddr = z
                    .listen
                    .parse()
                    .map_err(|_| invalid("zkteco.listen", format!("{:?} is not an address like \"0.0.0.0:8081\"", z.listen)))?;
                if addr == listen {
                    return Err(invalid("zkteco.listen", format!("{addr} is the main `listen` address; terminals need a port of their own")));
                }
                if z.max_body_bytes < 64 * 1024 || z.max_body_bytes > 64 << 20 {
                    return Err(invalid("zkteco.max_body_bytes", format!("{} must be 65536 to 67108864", z.max_body_bytes)));
                }
                // Terminals take TimeZone in whole hours.
                if let Err(e) = hadir_zkteco::TerminalZone::from_offset(zone.offset()) {
                    return Err(invalid("site.time_zone", format!("ZKTeco terminals: {e}")));
                }
                Some(addr)
            }
        };
        Ok(Validated { raw: self, listen, policy, zone, zkteco_listen })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Validated, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn empty_file_gives_defaults() {
        let v = parse("").unwrap();
        assert_eq!(v.raw, Config::default());
        assert_eq!(v.listen.port(), 8080);
        assert_eq!(v.policy, IngestPolicy::default());
        assert_eq!(v.zkteco_listen, None);
        let v = parse("[zkteco]\nlisten = \"0.0.0.0:8081\"").unwrap();
        assert_eq!(v.zkteco_listen.map(|a| a.port()), Some(8081));
        assert_eq!(v.raw.zkteco.map(|z| z.max_body_bytes), Some(2 << 20));
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("listen = \"nowhere\"", "`listen`"),
            ("[storage]\nbackend = \"postgres\"", "storage.postgres_url"),
            ("[storage]\nbackend = \"oracle\"", "oracle"),
            ("[ingest]\nmax_future_skew_s = 0", "ingest.max_future_skew_s"),
            ("[ingest]\nearliest_record = \"yesterday\"", "ingest.earliest_record"),
            ("[ingest]\nmax_bodybytes = 5", "max_bodybytes"),
            ("[log]\nformat = \"xml\"", "xml"),
            ("[enrolment]\ntoken_ttl_hours = -1", "token_ttl_hours"),
            ("[templates]\nmodel_version = \" \"", "templates.model_version"),
            ("[templates]\nembedding_len = 0", "templates.embedding_len"),
            ("[http]\nrequest_timeout_s = 0", "http.request_timeout_s"),
            ("[http]\nmax_in_flight = 0", "http.max_in_flight"),
            ("[zkteco]\nlisten = \"port 8081\"", "zkteco.listen"),
            ("[zkteco]\nlisten = \"127.0.0.1:8080\"", "zkteco.listen"),
            ("[zkteco]\nlisten = \"0.0.0.0:8081\"\nmax_body_bytes = 10", "zkteco.max_body_bytes"),
            ("[zkteco]\nport = 8081", "port"),
        ];
        for (text, want) in cases {
            let e = parse(text).expect_err(text).to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(e.contains("test.toml"), "{e}");
        }
    }

    #[test]
    fn a_full_file_parses() {
        let v = parse(
            "listen = \"0.0.0.0:9000\"\n[storage]\nbackend = \"postgres\"\npostgres_url = \"host=/run/postgresql dbname=hadir\"\n\
             [ingest]\nmax_future_skew_s = 60\nearliest_record = \"2025-06-01\"\n[log]\nformat = \"json\"\n[dashboard]\nanything = 1\n",
        )
        .unwrap();
        assert_eq!(v.raw.storage.backend, Backend::Postgres);
        assert_eq!(v.policy.max_future_ms, 60_000);
        assert_eq!(v.policy.earliest_ms, 1_748_736_000_000);
        assert_eq!(v.raw.dashboard.get("anything").and_then(|x| x.as_integer()), Some(1));
    }
}
