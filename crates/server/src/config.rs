//! Server configuration: a TOML file, then GLOVEBOX_* environment overrides, then
//! validation of every value with the key named (a bad value stops the server at start,
//! never on the first request).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use glovebox_protocol::rows::MAX_ROW_BYTES;
use glovebox_protocol::sync::Limits;
use serde::Deserialize;

use crate::limiter::IpNet;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("environment variable {name}={value:?} is not valid: {reason}")]
    Env {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("config value {key} (environment {env}) is not valid: {reason}")]
    Invalid {
        key: &'static str,
        env: &'static str,
        reason: String,
    },
}

impl ConfigError {
    /// The config key or environment variable at fault, if any.
    pub fn key(&self) -> Option<&'static str> {
        match self {
            ConfigError::Env { name, .. } => Some(name),
            ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// Smallest `max_body_bytes`: one row of the largest size with its batch around it.
pub const MIN_BODY_BYTES: usize = MAX_ROW_BYTES + 4096;
/// Largest body or page size accepted in the config (a request is held in memory whole).
pub const MAX_CONFIG_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub max_body_bytes: usize,
    pub max_batch_rows: usize,
    pub max_pull_limit: usize,
    /// A pull page stops growing past this many bytes of rows.
    pub max_pull_bytes: usize,
    pub login_attempts_per_minute: u32,
    /// Password verifications (argon2, ~19 MiB and tens of ms each) running at once.
    pub concurrent_logins: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            // A client batch is at most 1 MiB; leave room for JSON overhead.
            max_body_bytes: 4 * 1024 * 1024,
            max_batch_rows: 1000,
            max_pull_limit: 1000,
            max_pull_bytes: 4 * 1024 * 1024,
            login_attempts_per_minute: 10,
            concurrent_logins: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 16),
        }
    }
}

fn invalid(key: &'static str, env: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        env,
        reason: reason.into(),
    }
}

fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &'static str,
    env: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ConfigError> {
    if value < min || value > max {
        return Err(invalid(
            key,
            env,
            format!("{value} is outside {min} to {max}"),
        ));
    }
    Ok(())
}

impl LimitsConfig {
    pub fn to_wire(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_batch_rows: self.max_batch_rows,
            max_pull_limit: self.max_pull_limit,
            max_pull_bytes: self.max_pull_bytes,
            max_row_bytes: MAX_ROW_BYTES,
            login_attempts_per_minute: self.login_attempts_per_minute,
        }
    }

    /// Every value in a range that keeps push, pull and login working: 0 rows per batch
    /// or page, or 0 logins a minute, would silently turn the server off.
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "limits.max_body_bytes",
            "GLOVEBOX_MAX_BODY_BYTES",
            self.max_body_bytes,
            MIN_BODY_BYTES,
            MAX_CONFIG_BYTES,
        )?;
        in_range(
            "limits.max_batch_rows",
            "GLOVEBOX_MAX_BATCH_ROWS",
            self.max_batch_rows,
            1,
            100_000,
        )?;
        in_range(
            "limits.max_pull_limit",
            "GLOVEBOX_MAX_PULL_LIMIT",
            self.max_pull_limit,
            1,
            100_000,
        )?;
        in_range(
            "limits.max_pull_bytes",
            "GLOVEBOX_MAX_PULL_BYTES",
            self.max_pull_bytes,
            MAX_ROW_BYTES,
            MAX_CONFIG_BYTES,
        )?;
        in_range(
            "limits.login_attempts_per_minute",
            "GLOVEBOX_LOGIN_ATTEMPTS_PER_MINUTE",
            self.login_attempts_per_minute,
            1,
            100_000,
        )?;
        in_range(
            "limits.concurrent_logins",
            "GLOVEBOX_CONCURRENT_LOGINS",
            self.concurrent_logins,
            1,
            256,
        )?;
        Ok(())
    }
}

/// Which storage backend serves the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// One file (`database`), one server process. The default.
    Sqlite,
    /// One PostgreSQL database (`storage.url`), any number of server processes.
    Postgres,
}

impl std::str::FromStr for StorageKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "sqlite" => Ok(StorageKind::Sqlite),
            "postgres" => Ok(StorageKind::Postgres),
            other => Err(format!("{other:?}: use \"sqlite\" or \"postgres\"")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    pub kind: StorageKind,
    /// PostgreSQL connection URL (`postgres://user:password@host:port/database`).
    pub url: String,
    /// PostgreSQL connections this process keeps at most.
    pub pool_size: usize,
    /// PostgreSQL cancels statements running longer (0 = no limit).
    pub statement_timeout_ms: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            kind: StorageKind::Sqlite,
            url: String::new(),
            pool_size: 16,
            statement_timeout_ms: 30_000,
        }
    }
}

/// HTTP hardening: every wait a client can cause is bounded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// A connection must send a request's headers within this (also: idle keep-alive).
    pub header_timeout_secs: u64,
    /// A request body must arrive within this.
    pub body_timeout_secs: u64,
    /// A whole request, body and answer, must finish within this.
    pub request_timeout_secs: u64,
    /// Open connections at most; more are answered 503 and closed.
    pub max_connections: usize,
    /// On shutdown, requests in flight get this long to finish.
    pub shutdown_grace_secs: u64,
    /// Serve `/metrics` on this address instead of `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// Require `Authorization: Bearer <metrics_token>` for `/metrics`.
    pub metrics_token: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_timeout_secs: 10,
            body_timeout_secs: 60,
            request_timeout_secs: 120,
            max_connections: 4096,
            shutdown_grace_secs: 30,
            metrics_listen: None,
            metrics_token: None,
        }
    }
}

impl HttpConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "http.header_timeout_secs",
            "GLOVEBOX_HTTP_HEADER_TIMEOUT_SECS",
            self.header_timeout_secs,
            1,
            3600,
        )?;
        in_range(
            "http.body_timeout_secs",
            "GLOVEBOX_HTTP_BODY_TIMEOUT_SECS",
            self.body_timeout_secs,
            1,
            3600,
        )?;
        in_range(
            "http.request_timeout_secs",
            "GLOVEBOX_HTTP_REQUEST_TIMEOUT_SECS",
            self.request_timeout_secs,
            1,
            3600,
        )?;
        in_range(
            "http.max_connections",
            "GLOVEBOX_HTTP_MAX_CONNECTIONS",
            self.max_connections,
            1,
            1_000_000,
        )?;
        in_range(
            "http.shutdown_grace_secs",
            "GLOVEBOX_HTTP_SHUTDOWN_GRACE_SECS",
            self.shutdown_grace_secs,
            0,
            3600,
        )?;
        if let Some(t) = &self.metrics_token {
            if t.len() < 16 || !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(invalid(
                    "http.metrics_token",
                    "GLOVEBOX_METRICS_TOKEN",
                    "at least 16 printable characters without spaces",
                ));
            }
        }
        Ok(())
    }

    pub fn header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_timeout_secs)
    }
    pub fn body_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.body_timeout_secs)
    }
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs)
    }
    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_grace_secs)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    /// The SQLite database file (with `storage.kind = "sqlite"`).
    pub database: PathBuf,
    /// Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<String>,
    pub storage: StorageConfig,
    pub limits: LimitsConfig,
    pub http: HttpConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            database: PathBuf::from("glovebox-server.db"),
            trusted_proxies: Vec::new(),
            storage: StorageConfig::default(),
            limits: LimitsConfig::default(),
            http: HttpConfig::default(),
        }
    }
}

impl Config {
    /// Reads `path` (if given), applies environment overrides from `env`, validates.
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match path {
            None => Config::default(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: p.to_owned(),
                    source,
                })?
            }
        };
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.limits.validate()?;
        self.http.validate()?;
        match self.storage.kind {
            StorageKind::Sqlite => {
                if self.database.as_os_str().is_empty() {
                    return Err(invalid(
                        "database",
                        "GLOVEBOX_DATABASE",
                        "must not be empty",
                    ));
                }
            }
            StorageKind::Postgres => {
                if self.storage.url.trim().is_empty() {
                    return Err(invalid(
                        "storage.url",
                        "GLOVEBOX_STORAGE_URL",
                        "storage.kind is \"postgres\": give the database URL",
                    ));
                }
                if let Err(e) = self.storage.url.parse::<tokio_postgres::Config>() {
                    // The error text never includes the URL (it may hold a password).
                    return Err(invalid(
                        "storage.url",
                        "GLOVEBOX_STORAGE_URL",
                        e.to_string(),
                    ));
                }
            }
        }
        in_range(
            "storage.pool_size",
            "GLOVEBOX_STORAGE_POOL_SIZE",
            self.storage.pool_size,
            1,
            1000,
        )?;
        in_range(
            "storage.statement_timeout_ms",
            "GLOVEBOX_STORAGE_STATEMENT_TIMEOUT_MS",
            self.storage.statement_timeout_ms,
            0,
            3_600_000,
        )?;
        self.trusted_proxies()?;
        Ok(())
    }

    /// The storage this config names.
    pub fn storage_spec(&self) -> crate::storage::StorageSpec {
        use crate::storage::{PostgresOptions, SqliteOptions, StorageSpec};
        match self.storage.kind {
            StorageKind::Sqlite => StorageSpec::Sqlite {
                path: self.database.clone(),
                options: SqliteOptions::default(),
            },
            StorageKind::Postgres => StorageSpec::Postgres(PostgresOptions {
                pool_size: self.storage.pool_size,
                statement_timeout: std::time::Duration::from_millis(
                    self.storage.statement_timeout_ms,
                ),
                ..PostgresOptions::new(self.storage.url.clone())
            }),
        }
    }

    /// `trusted_proxies`, parsed.
    pub fn trusted_proxies(&self) -> Result<Vec<IpNet>, ConfigError> {
        self.trusted_proxies
            .iter()
            .map(|s| {
                s.parse()
                    .map_err(|e: String| invalid("trusted_proxies", "GLOVEBOX_TRUSTED_PROXIES", e))
            })
            .collect()
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
                name,
                reason: e.to_string(),
                value,
            })
        }
        if let Some(v) = env("GLOVEBOX_LISTEN") {
            self.listen = parse("GLOVEBOX_LISTEN", v)?;
        }
        if let Some(v) = env("GLOVEBOX_DATABASE") {
            self.database = PathBuf::from(v);
        }
        if let Some(v) = env("GLOVEBOX_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = env("GLOVEBOX_STORAGE_KIND") {
            self.storage.kind = parse("GLOVEBOX_STORAGE_KIND", v)?;
        }
        if let Some(v) = env("GLOVEBOX_STORAGE_URL") {
            self.storage.url = v;
        }
        if let Some(v) = env("GLOVEBOX_STORAGE_POOL_SIZE") {
            self.storage.pool_size = parse("GLOVEBOX_STORAGE_POOL_SIZE", v)?;
        }
        if let Some(v) = env("GLOVEBOX_STORAGE_STATEMENT_TIMEOUT_MS") {
            self.storage.statement_timeout_ms = parse("GLOVEBOX_STORAGE_STATEMENT_TIMEOUT_MS", v)?;
        }
        let h = &mut self.http;
        if let Some(v) = env("GLOVEBOX_HTTP_HEADER_TIMEOUT_SECS") {
            h.header_timeout_secs = parse("GLOVEBOX_HTTP_HEADER_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("GLOVEBOX_HTTP_BODY_TIMEOUT_SECS") {
            h.body_timeout_secs = parse("GLOVEBOX_HTTP_BODY_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("GLOVEBOX_HTTP_REQUEST_TIMEOUT_SECS") {
            h.request_timeout_secs = parse("GLOVEBOX_HTTP_REQUEST_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("GLOVEBOX_HTTP_MAX_CONNECTIONS") {
            h.max_connections = parse("GLOVEBOX_HTTP_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = env("GLOVEBOX_HTTP_SHUTDOWN_GRACE_SECS") {
            h.shutdown_grace_secs = parse("GLOVEBOX_HTTP_SHUTDOWN_GRACE_SECS", v)?;
        }
        if let Some(v) = env("GLOVEBOX_METRICS_LISTEN") {
            h.metrics_listen = Some(parse("GLOVEBOX_METRICS_LISTEN", v)?);
        }
        if let Some(v) = env("GLOVEBOX_METRICS_TOKEN") {
            h.metrics_token = Some(v.trim().to_owned());
        }
        let l = &mut self.limits;
        if let Some(v) = env("GLOVEBOX_MAX_BODY_BYTES") {
            l.max_body_bytes = parse("GLOVEBOX_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = env("GLOVEBOX_MAX_BATCH_ROWS") {
            l.max_batch_rows = parse("GLOVEBOX_MAX_BATCH_ROWS", v)?;
        }
        if let Some(v) = env("GLOVEBOX_MAX_PULL_LIMIT") {
            l.max_pull_limit = parse("GLOVEBOX_MAX_PULL_LIMIT", v)?;
        }
        if let Some(v) = env("GLOVEBOX_MAX_PULL_BYTES") {
            l.max_pull_bytes = parse("GLOVEBOX_MAX_PULL_BYTES", v)?;
        }
        if let Some(v) = env("GLOVEBOX_LOGIN_ATTEMPTS_PER_MINUTE") {
            l.login_attempts_per_minute = parse("GLOVEBOX_LOGIN_ATTEMPTS_PER_MINUTE", v)?;
        }
        if let Some(v) = env("GLOVEBOX_CONCURRENT_LOGINS") {
            l.concurrent_logins = parse("GLOVEBOX_CONCURRENT_LOGINS", v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn file_then_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.toml");
        std::fs::write(
            &p,
            "listen = \"127.0.0.1:9000\"\ndatabase = \"/tmp/x.db\"\n\
             trusted_proxies = [\"10.0.0.0/8\"]\n[limits]\nmax_batch_rows = 7\n",
        )
        .unwrap();
        let c = Config::load(Some(&p), env_of(&[("GLOVEBOX_MAX_PULL_LIMIT", "9")])).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.limits.max_batch_rows, 7);
        assert_eq!(c.limits.max_pull_limit, 9);
        assert_eq!(c.trusted_proxies().unwrap().len(), 1);
        assert_eq!(
            c.limits.max_body_bytes,
            LimitsConfig::default().max_body_bytes
        );
    }

    #[test]
    fn bad_env_value_is_named() {
        let e = Config::load(None, env_of(&[("GLOVEBOX_LISTEN", "nope")])).unwrap_err();
        assert!(e.to_string().contains("GLOVEBOX_LISTEN"), "{e}");
    }

    #[test]
    fn zeros_and_out_of_range_values_are_refused_naming_the_key() {
        for (env, value, key) in [
            ("GLOVEBOX_MAX_PULL_LIMIT", "0", "limits.max_pull_limit"),
            ("GLOVEBOX_MAX_BATCH_ROWS", "0", "limits.max_batch_rows"),
            ("GLOVEBOX_MAX_BODY_BYTES", "0", "limits.max_body_bytes"),
            ("GLOVEBOX_MAX_PULL_BYTES", "10", "limits.max_pull_bytes"),
            (
                "GLOVEBOX_LOGIN_ATTEMPTS_PER_MINUTE",
                "0",
                "limits.login_attempts_per_minute",
            ),
            (
                "GLOVEBOX_CONCURRENT_LOGINS",
                "0",
                "limits.concurrent_logins",
            ),
            ("GLOVEBOX_TRUSTED_PROXIES", "10.0.0.0/40", "trusted_proxies"),
            ("GLOVEBOX_DATABASE", "", "database"),
            ("GLOVEBOX_STORAGE_POOL_SIZE", "0", "storage.pool_size"),
            ("GLOVEBOX_HTTP_MAX_CONNECTIONS", "0", "http.max_connections"),
            (
                "GLOVEBOX_HTTP_HEADER_TIMEOUT_SECS",
                "0",
                "http.header_timeout_secs",
            ),
            ("GLOVEBOX_METRICS_TOKEN", "short", "http.metrics_token"),
        ] {
            let e = Config::load(None, env_of(&[(env, value)])).unwrap_err();
            assert_eq!(e.key(), Some(key), "{env}={value}: {e}");
            assert!(
                e.to_string().contains(key) && e.to_string().contains(env),
                "{e}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.toml");
        std::fs::write(&p, "[limits]\nmax_pull_limit = 0\n").unwrap();
        let e = Config::load(Some(&p), env_of(&[])).unwrap_err();
        assert_eq!(e.key(), Some("limits.max_pull_limit"));
        std::fs::write(&p, "[limits]\nmax_pull_limit = -1\n").unwrap();
        assert!(Config::load(Some(&p), env_of(&[])).is_err());
        assert!(Config::load(None, env_of(&[("GLOVEBOX_MAX_PULL_LIMIT", "-1")])).is_err());
    }

    #[test]
    fn postgres_needs_a_url_and_the_kind_is_checked() {
        let e = Config::load(None, env_of(&[("GLOVEBOX_STORAGE_KIND", "postgres")])).unwrap_err();
        assert_eq!(e.key(), Some("storage.url"));
        let e = Config::load(None, env_of(&[("GLOVEBOX_STORAGE_KIND", "mysql")])).unwrap_err();
        assert_eq!(e.key(), Some("GLOVEBOX_STORAGE_KIND"));
        let e = Config::load(
            None,
            env_of(&[
                ("GLOVEBOX_STORAGE_KIND", "postgres"),
                ("GLOVEBOX_STORAGE_URL", "postgres://u:secret@h:notaport/db"),
            ]),
        )
        .unwrap_err();
        assert_eq!(e.key(), Some("storage.url"));
        assert!(!e.to_string().contains("secret"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.toml");
        std::fs::write(
            &p,
            "[storage]\nkind = \"postgres\"\nurl = \"postgres://u@127.0.0.1:5432/g\"\n\
             pool_size = 4\n[http]\nmax_connections = 10\nmetrics_listen = \"127.0.0.1:9100\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&p), env_of(&[("GLOVEBOX_STORAGE_POOL_SIZE", "5")])).unwrap();
        assert_eq!(
            (c.storage.kind, c.storage.pool_size),
            (StorageKind::Postgres, 5)
        );
        assert_eq!(c.http.max_connections, 10);
        assert!(c.http.metrics_listen.is_some());
    }

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }
}
