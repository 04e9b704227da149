//! Server configuration: a TOML file, then GLOVEBOX_* environment overrides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use glovebox_protocol::sync::Limits;
use serde::Deserialize;

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
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub max_body_bytes: usize,
    pub max_batch_rows: usize,
    pub max_pull_limit: usize,
    pub login_attempts_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            // A client batch is at most 1 MiB; leave room for JSON overhead.
            max_body_bytes: 4 * 1024 * 1024,
            max_batch_rows: 1000,
            max_pull_limit: 1000,
            login_attempts_per_minute: 10,
        }
    }
}

impl LimitsConfig {
    pub fn to_wire(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_batch_rows: self.max_batch_rows,
            max_pull_limit: self.max_pull_limit,
            max_pull_bytes: self.max_body_bytes,
            max_row_bytes: glovebox_protocol::rows::MAX_ROW_BYTES,
            login_attempts_per_minute: self.login_attempts_per_minute,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    pub database: PathBuf,
    pub limits: LimitsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            database: PathBuf::from("glovebox-server.db"),
            limits: LimitsConfig::default(),
        }
    }
}

impl Config {
    /// Reads `path` (if given), then applies environment overrides from `env`.
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
        Ok(config)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| ConfigError::Env {
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
        if let Some(v) = env("GLOVEBOX_MAX_BODY_BYTES") {
            self.limits.max_body_bytes = parse("GLOVEBOX_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = env("GLOVEBOX_MAX_BATCH_ROWS") {
            self.limits.max_batch_rows = parse("GLOVEBOX_MAX_BATCH_ROWS", v)?;
        }
        if let Some(v) = env("GLOVEBOX_MAX_PULL_LIMIT") {
            self.limits.max_pull_limit = parse("GLOVEBOX_MAX_PULL_LIMIT", v)?;
        }
        if let Some(v) = env("GLOVEBOX_LOGIN_ATTEMPTS_PER_MINUTE") {
            self.limits.login_attempts_per_minute = parse("GLOVEBOX_LOGIN_ATTEMPTS_PER_MINUTE", v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.toml");
        std::fs::write(
            &p,
            "listen = \"127.0.0.1:9000\"\ndatabase = \"/tmp/x.db\"\n[limits]\nmax_batch_rows = 7\n",
        )
        .unwrap();
        let c = Config::load(Some(&p), |k| {
            (k == "GLOVEBOX_MAX_PULL_LIMIT").then(|| "9".to_owned())
        })
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.limits.max_batch_rows, 7);
        assert_eq!(c.limits.max_pull_limit, 9);
        assert_eq!(
            c.limits.max_body_bytes,
            LimitsConfig::default().max_body_bytes
        );
    }

    #[test]
    fn bad_env_value_is_named() {
        let e =
            Config::load(None, |k| (k == "GLOVEBOX_LISTEN").then(|| "nope".into())).unwrap_err();
        assert!(e.to_string().contains("GLOVEBOX_LISTEN"), "{e}");
    }
}
