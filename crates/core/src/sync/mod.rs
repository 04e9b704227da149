//! The sync client: one background task per open database (see `engine`), pushing dirty
//! rows and pulling the server's changes (protocol in docs/SYNC.md).
//!
//! The API the shells use:
//! - [`login`] → [`Credentials`], saved with [`save_credentials`] (local_meta + token file)
//! - [`SyncEngine::start`]`(garage, config)` → [`SyncHandle`] { `status()`, `sync_now()`, `stop()` }
//! - [`load_config`] at start-up: `None` means local-only mode, and then nothing ever
//!   touches the network.
//! - [`logout`] revokes the token on the server (best effort) and forgets it here.

mod client;
mod engine;
mod rows;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use glovebox_protocol::sync::LoginRequest;
use glovebox_protocol::HlcError;
use serde::{Deserialize, Serialize};

pub use engine::{SyncEngine, SyncHandle, SyncReport};
pub use rows::ApplyOutcome;

use crate::store::{meta_get, meta_set};
use crate::Garage;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the sync server: {0}")]
    Network(String),
    #[error("the sync server refused the credentials: {0}")]
    Unauthorized(String),
    #[error("this Glovebox is too old for the sync server: {0}")]
    ProtocolTooOld(String),
    #[error("too many attempts: {0}")]
    RateLimited(String),
    #[error("the sync server failed ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("the sync server rejected the request ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    #[error("sync protocol error: {0}")]
    Protocol(String),
    #[error("clock problem: {0}")]
    Clock(#[from] HlcError),
    #[error("sync is not configured (log in to a server first)")]
    NotConfigured,
    #[error("the sync engine has stopped")]
    Stopped,
    #[error(transparent)]
    Local(#[from] crate::Error),
}

impl SyncError {
    /// Worth retrying later by itself (the server or network may come back); the others
    /// need a person (log in again, update, fix the clock).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Network(_) | SyncError::Server { .. } | SyncError::RateLimited(_)
        )
    }
}

/// What a device needs to talk to its server. The token is a secret: it is kept in a
/// 0600 file beside the database, not in the database.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub server_url: String,
    pub user: String,
    pub device_name: String,
    /// The server's id for this device (shown in `glovebox-server device list`).
    pub device_id: String,
    pub token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("server_url", &self.server_url)
            .field("user", &self.user)
            .field("device_name", &self.device_name)
            .field("device_id", &self.device_id)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Called after a sync round that applied remote rows, with the vehicles they touched;
/// the shell passes these to the report cache's `invalidate_after_sync`.
pub type AppliedHook = Arc<dyn Fn(&[String]) + Send + Sync>;

#[derive(Clone)]
pub struct SyncOptions {
    /// Sync this often even without local changes (to receive other devices' changes).
    pub interval: Duration,
    /// Wait this long after a local write for more before syncing.
    pub debounce: Duration,
    /// First retry delay after a failure; doubles per failure up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Pause before re-sending one failed request inside a round (doubles per attempt).
    pub request_retry_delay: Duration,
    pub push_batch_rows: usize,
    pub push_batch_bytes: usize,
    pub pull_limit: usize,
    pub on_applied: Option<AppliedHook>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            interval: Duration::from_secs(60),
            debounce: Duration::from_secs(2),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            request_retry_delay: Duration::from_millis(250),
            push_batch_rows: glovebox_protocol::sync::CLIENT_MAX_BATCH_ROWS,
            push_batch_bytes: glovebox_protocol::sync::CLIENT_MAX_BATCH_BYTES,
            pull_limit: 500,
            on_applied: None,
        }
    }
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("interval", &self.interval)
            .field("debounce", &self.debounce)
            .field("push_batch_rows", &self.push_batch_rows)
            .field("pull_limit", &self.pull_limit)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub credentials: Credentials,
    pub options: SyncOptions,
}

/// What the UI shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyncState {
    /// No server configured: nothing touches the network.
    LocalOnly,
    /// The server could not be reached; retrying in the background.
    Offline {
        reason: String,
    },
    Idle,
    /// `done` of `total` rows pushed or pulled in this round (total grows as pages arrive).
    Syncing {
        done: u64,
        total: u64,
    },
    Error {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    #[serde(flatten)]
    pub state: SyncState,
    /// Millis since the Unix epoch of the last round that completed.
    pub last_synced_at_ms: Option<i64>,
    /// Local changes not yet on the server.
    pub pending: u64,
}

// local_meta keys (the token itself is in the token file).
const META_SERVER_URL: &str = "sync.server_url";
const META_USER: &str = "sync.user";
const META_DEVICE_NAME: &str = "sync.device_name";
const META_DEVICE_ID: &str = "sync.device_id";
const META_DELETE: &str = "DELETE FROM local_meta WHERE key = ?1";

/// Where the token lives: beside the database, readable by its owner only.
pub fn token_path(garage: &Garage) -> PathBuf {
    let mut p = garage.store().path().as_os_str().to_owned();
    p.push(".sync-token");
    PathBuf::from(p)
}

fn write_token(path: &std::path::Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    // An existing file keeps its old mode on open; tighten it explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(token.as_bytes())?;
    f.sync_all()
}

/// Logs in with a user name and password and registers this device.
pub async fn login(
    server_url: &str,
    user: &str,
    password: &str,
    device_name: &str,
) -> Result<Credentials, SyncError> {
    let c = client::Client::new(server_url, None)?;
    let status = c.status().await?;
    if status.min_protocol > glovebox_protocol::sync::PROTOCOL_VERSION {
        return Err(SyncError::ProtocolTooOld(format!(
            "the server needs protocol {} or later",
            status.min_protocol
        )));
    }
    let resp = c
        .login(&LoginRequest {
            user: user.to_owned(),
            password: password.to_owned(),
            device_name: device_name.to_owned(),
        })
        .await?;
    Ok(Credentials {
        server_url: server_url.trim_end_matches('/').to_owned(),
        user: user.to_owned(),
        device_name: device_name.to_owned(),
        device_id: resp.device_id,
        token: resp.token,
    })
}

/// Saves credentials. If they name a different server or user than before, every local
/// row is marked for pushing and the pull cursor restarts, so the new account receives
/// the whole garage and this device receives the account's.
pub fn save_credentials(garage: &Garage, c: &Credentials) -> Result<(), SyncError> {
    write_token(&token_path(garage), &c.token).map_err(crate::Error::from)?;
    garage.store().write("sync.save_credentials", |tx| {
        let same_account = meta_get(tx, META_SERVER_URL)?.as_deref() == Some(&c.server_url)
            && meta_get(tx, META_USER)?.as_deref() == Some(&c.user);
        if !same_account {
            rows::reset_for_new_account(tx)?;
        }
        meta_set(tx, META_SERVER_URL, &c.server_url)?;
        meta_set(tx, META_USER, &c.user)?;
        meta_set(tx, META_DEVICE_NAME, &c.device_name)?;
        meta_set(tx, META_DEVICE_ID, &c.device_id)?;
        Ok(())
    })?;
    Ok(())
}

/// The saved credentials, or `None` in local-only mode.
pub fn load_credentials(garage: &Garage) -> Result<Option<Credentials>, SyncError> {
    let store = garage.store();
    let Some(server_url) = store.meta_get(META_SERVER_URL)? else {
        return Ok(None);
    };
    let token = match std::fs::read_to_string(token_path(garage)) {
        Ok(t) => t.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(crate::Error::from(e).into()),
    };
    Ok(Some(Credentials {
        server_url,
        user: store.meta_get(META_USER)?.unwrap_or_default(),
        device_name: store.meta_get(META_DEVICE_NAME)?.unwrap_or_default(),
        device_id: store.meta_get(META_DEVICE_ID)?.unwrap_or_default(),
        token,
    }))
}

/// Saved credentials with default options; `None` in local-only mode.
pub fn load_config(garage: &Garage) -> Result<Option<SyncConfig>, SyncError> {
    Ok(load_credentials(garage)?.map(|credentials| SyncConfig {
        credentials,
        options: SyncOptions::default(),
    }))
}

/// Revokes this device's token on the server (if reachable) and forgets the credentials.
/// Returns the server's error, if any, after forgetting locally anyway: a lost laptop's
/// owner can also revoke the device with `glovebox-server device revoke`.
pub async fn logout(garage: &Garage) -> Result<(), SyncError> {
    let creds = load_credentials(garage)?;
    let remote = match &creds {
        Some(c) => {
            client::Client::new(&c.server_url, Some(c.token.clone()))?
                .logout()
                .await
        }
        None => Ok(()),
    };
    match std::fs::remove_file(token_path(garage)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(crate::Error::from(e).into()),
    }
    garage.store().write("sync.logout", |tx| {
        for key in [META_SERVER_URL, META_DEVICE_ID] {
            tx.prepare_cached(META_DELETE)?.execute([key])?;
        }
        Ok(())
    })?;
    remote
}

/// Last completed round, for `glovebox sync status` without a running engine.
pub fn last_synced_at(garage: &Garage) -> Result<Option<i64>, SyncError> {
    Ok(garage
        .store()
        .meta_get(rows::META_LAST_SYNCED)?
        .and_then(|s| s.parse().ok()))
}

/// Local changes not yet pushed.
pub fn pending_changes(garage: &Garage) -> Result<u64, SyncError> {
    Ok(garage.store().read("sync.count_dirty", rows::count_dirty)?)
}
