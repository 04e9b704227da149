//! The sync client: one background task per open database (see `engine` and `round`),
//! pushing dirty rows and pulling the server's changes (protocol in docs/SYNC.md).
//!
//! The API the shells use:
//! - [`login`] → [`Credentials`], saved with [`save_credentials`] (the token in the
//!   keychain or a private file, see [`TokenStore`]; the rest in local_meta)
//! - [`SyncEngine::start`]`(garage, config)` → [`SyncHandle`] { `status()`, `subscribe()`,
//!   `sync_now()`, `stop()` }
//! - [`load_config`] at start-up: `None` means local-only mode, and then nothing ever
//!   touches the network.
//! - [`logout`] revokes the token on the server (best effort) and forgets it here.
//! - [`pending_changes`], [`counts`], [`quarantined_rows`], [`rejected_rows`],
//!   [`problems`] (both lists told by vehicle and date), [`token_store`], [`last_reset`]
//!   for the Settings → Sync view; [`retry_quarantined`] on request.
//!
//! The pieces: `apply` (per-row apply, decode → validate → write, with `decode`),
//! `quarantine` and `rejected` (what could not be applied or pushed), `cursor` (cursor,
//! epoch and reset), `clock` (the HLC high-water mark), `instance` (a restored or copied
//! database), `token` (where the token lives), `client` (HTTP). Their SQL is in store/ (`sync_rows`,
//! `quarantine`, `rejected`, and `local_meta` for the rest).

mod apply;
mod client;
pub(crate) mod clock;
mod cursor;
mod decode;
mod engine;
mod instance;
mod problems;
mod push;
mod quarantine;
mod rejected;
mod round;
#[cfg(test)]
mod tests;
mod token;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use glovebox_protocol::sync::LoginRequest;
use glovebox_protocol::HlcError;
use serde::{Deserialize, Serialize};

pub use apply::ApplyOutcome;
pub use engine::{SyncEngine, SyncHandle, SyncReport};
pub use problems::{SyncProblem, SyncProblems};
pub use quarantine::QuarantinedRow;
pub use rejected::RejectedRow;
pub use token::TokenStore;

use crate::events::ChangeSource;
use crate::store::{meta_delete, meta_get, meta_set, sync_rows, Store};
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
    /// The server does not hold what this device synced with it (409: restored from an
    /// older copy, a new database at the same address, a re-created account, or an epoch
    /// or cursor that no longer fits): the engine resets and sends everything again.
    pub fn means_server_forgot(&self) -> bool {
        matches!(self, SyncError::Rejected { status: 409, .. })
    }

    /// A request too large for the server (413): the engine halves the batch.
    pub fn is_too_large(&self) -> bool {
        matches!(self, SyncError::Rejected { status: 413, .. })
    }

    /// "The server forgot", made by the client itself (an epoch or a cursor that does
    /// not fit what it remembers).
    pub(crate) fn server_forgot(
        code: glovebox_protocol::sync::ErrorCode,
        message: impl Into<String>,
    ) -> SyncError {
        SyncError::Rejected {
            status: code.status(),
            code: code.as_str().to_owned(),
            message: message.into(),
        }
    }

    /// Stable, machine-readable code (for the shells).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Network(_) => "sync_network",
            SyncError::Unauthorized(_) => "sync_unauthorized",
            SyncError::ProtocolTooOld(_) => "sync_protocol_too_old",
            SyncError::RateLimited(_) => "sync_rate_limited",
            SyncError::Server { .. } => "sync_server",
            e if e.means_server_forgot() => "sync_server_forgot",
            e if e.is_too_large() => "sync_too_large",
            SyncError::Rejected { .. } => "sync_rejected",
            SyncError::Protocol(_) => "sync_protocol",
            SyncError::Clock(_) => "sync_clock",
            SyncError::NotConfigured => "sync_not_configured",
            SyncError::Stopped => "sync_stopped",
            SyncError::Local(e) => e.code(),
        }
    }

    /// Worth retrying later by itself (the server or network may come back); the others
    /// need a person (log in again, update, fix the clock).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Network(_)
                | SyncError::Server { .. }
                | SyncError::RateLimited(_)
                // A reply cut mid-body reads as undecodable.
                | SyncError::Protocol(_)
        )
    }
}

/// What a device needs to talk to its server. The token is a secret: it is kept in the
/// keychain or a 0600 file beside the database (see [`TokenStore`]), never in the
/// database.
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
            // As many as a default server gives: fewer transactions on both sides.
            pull_limit: 1000,
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
    /// Local changes not yet on the server (leaving out versions the server rejected:
    /// [`counts`] and [`rejected_rows`] have those).
    pub pending: u64,
}

// local_meta keys (the token itself is in the keychain or the token file).
const META_SERVER_URL: &str = "sync.server_url";
const META_USER: &str = "sync.user";
const META_DEVICE_NAME: &str = "sync.device_name";
const META_DEVICE_ID: &str = "sync.device_id";
pub(crate) const META_LAST_SYNCED: &str = "sync.last_synced_at";

/// The token file's path (used when no keychain answers; see [`token_store`]).
pub fn token_path(garage: &Garage) -> PathBuf {
    token::file_path(garage.store().path())
}

/// Where this database's token is kept, `None` when it is not logged in.
pub fn token_store(garage: &Garage) -> Result<Option<TokenStore>, SyncError> {
    Ok(token::kind(garage.store())?)
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
/// the whole garage and this device receives the account's. Every login is a new device
/// for the server, and takes a new HLC node id here too: a database copied before it was
/// first logged in must not share one with its original.
pub fn save_credentials(garage: &Garage, c: &Credentials) -> Result<(), SyncError> {
    let store = garage.store();
    token::save(store, &c.token)?;
    let node = store.write("sync.save_credentials", |tx| {
        let same_account = meta_get(tx, META_SERVER_URL)?.as_deref() == Some(&c.server_url)
            && meta_get(tx, META_USER)?.as_deref() == Some(&c.user);
        if !same_account {
            cursor::reset(tx, &format!("signed in to {} as {}", c.server_url, c.user))?;
        }
        meta_set(tx, META_SERVER_URL, &c.server_url)?;
        meta_set(tx, META_USER, &c.user)?;
        meta_set(tx, META_DEVICE_NAME, &c.device_name)?;
        meta_set(tx, META_DEVICE_ID, &c.device_id)?;
        instance::new_node_id(tx)
    })?;
    garage.clock().set_node(node);
    instance::adopt(store)?;
    Ok(())
}

/// The saved credentials, or `None` in local-only mode.
pub fn load_credentials(garage: &Garage) -> Result<Option<Credentials>, SyncError> {
    let store = garage.store();
    let Some(server_url) = store.meta_get(META_SERVER_URL)? else {
        return Ok(None);
    };
    let Some(token) = token::load(store)? else {
        return Ok(None);
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
    token::delete(garage.store())?;
    garage.store().write("sync.logout", |tx| {
        for key in [META_SERVER_URL, META_DEVICE_ID] {
            meta_delete(tx, key)?;
        }
        Ok(())
    })?;
    instance::forget(garage.store())?;
    remote
}

/// Last completed round, for `glovebox sync status` without a running engine.
pub fn last_synced_at(garage: &Garage) -> Result<Option<i64>, SyncError> {
    Ok(garage
        .store()
        .meta_get(META_LAST_SYNCED)?
        .and_then(|s| s.parse().ok()))
}

/// Local changes not yet pushed (versions the server rejected are counted by
/// [`rejected_rows`] instead).
pub fn pending_changes(garage: &Garage) -> Result<u64, SyncError> {
    Ok(garage
        .store()
        .read("sync.count_dirty", sync_rows::count_dirty)?)
}

/// Pulled rows this build could not apply, newest first, with their reasons.
pub fn quarantined_rows(garage: &Garage) -> Result<Vec<QuarantinedRow>, SyncError> {
    Ok(garage
        .store()
        .read("sync.quarantine_list", quarantine::list)?)
}

/// Local versions the server refused, newest first, with its reasons.
pub fn rejected_rows(garage: &Garage) -> Result<Vec<RejectedRow>, SyncError> {
    Ok(garage.store().read("sync.rejected_list", rejected::list)?)
}

/// Both lists at once (one read), each row told by its kind, vehicle and date, for
/// Settings → Sync.
pub fn problems(garage: &Garage) -> Result<SyncProblems, SyncError> {
    Ok(garage.store().read("sync.problems", problems::list)?)
}

/// Retries every quarantined row now (they are retried by themselves after an upgrade).
pub fn retry_quarantined(garage: &Garage) -> Result<ApplyOutcome, SyncError> {
    let ctx = apply::ApplyCtx::sync_at(garage.clock().wall_millis());
    Ok(
        garage.transaction("sync.quarantine_retry", ChangeSource::Sync, |w| {
            let out = quarantine::retry(w, quarantine::Retry::All, &ctx)?;
            garage.fold_seen(&out);
            Ok(out)
        })?,
    )
}

/// The last time this device started over with its server, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastReset {
    pub at_ms: i64,
    pub reason: String,
}

pub fn last_reset(garage: &Garage) -> Result<Option<LastReset>, SyncError> {
    Ok(garage
        .store()
        .read("sync.last_reset", cursor::last_reset)?
        .map(|(at_ms, reason)| LastReset { at_ms, reason }))
}

/// What waits, for a badge: changes to push, rows that could not be applied, versions the
/// server refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
// The import report has a `Counts` of its own: the UI's name says which.
#[cfg_attr(feature = "ts", ts(rename = "SyncCounts"))]
pub struct Counts {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quarantined: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rejected: u64,
}

/// The three counts at once (one read).
pub fn counts(garage: &Garage) -> Result<Counts, SyncError> {
    Ok(garage.store().read("sync.counts", |c| {
        Ok(Counts {
            pending: sync_rows::count_dirty(c)?,
            quarantined: quarantine::count(c)?,
            rejected: rejected::count(c)?,
        })
    })?)
}

/// Every row of every synced table as a `SyncRow`, vehicles first, each table by id (the
/// backup's content).
pub(crate) use crate::store::sync_rows::for_each_row;

/// Writes rows of a backup as they are (HLCs, tombstones), dirty so they reach the server,
/// after the same checks as pulled rows; the first row that fails fails the whole
/// restore. Returns the live rows restored per kind.
pub(crate) fn restore_rows(
    garage: &Garage,
    rows: &[glovebox_protocol::sync::SyncRow],
) -> crate::Result<crate::garage::BatchSummary> {
    let ctx = apply::ApplyCtx {
        now_ms: None,
        dirty: true,
        on_problem: apply::OnProblem::Fail,
    };
    garage.transaction("restore.rows", ChangeSource::Import, |w| {
        let out = apply::apply_rows(w, rows, &ctx)?;
        garage.fold_seen(&out);
        let mut s = crate::garage::BatchSummary::default();
        for r in rows.iter().filter(|r| !r.deleted) {
            match glovebox_protocol::SyncTable::from_name(&r.table) {
                Some(glovebox_protocol::SyncTable::Vehicles) => s.vehicles += 1,
                Some(glovebox_protocol::SyncTable::FuelRecords) => s.fuel += 1,
                Some(glovebox_protocol::SyncTable::ServiceRecords) => s.service += 1,
                Some(glovebox_protocol::SyncTable::OdometerRecords) => s.odometer += 1,
                Some(glovebox_protocol::SyncTable::Reminders) => s.reminders += 1,
                Some(glovebox_protocol::SyncTable::ReminderCompletions) => s.completions += 1,
                None => {}
            }
        }
        Ok(s)
    })
}

/// Runs when a database opens, before its clock is made: notices a restored or copied
/// database (`instance`).
pub(crate) fn at_open(store: &Store) -> crate::Result<()> {
    if let Some(reason) = instance::check_at_open(store)? {
        tracing::warn!("{reason}: this device will send everything again on its next sync");
    }
    Ok(())
}

/// Runs once the opened garage is made: after an upgrade, retries quarantined rows and
/// moves unreadable ones out of the way (`quarantine`).
pub(crate) fn after_open(garage: &Garage) -> crate::Result<()> {
    quarantine::at_open(garage)
}

/// This build's version as quarantine and rejection entries record it: the package
/// version plus a fingerprint of what it can read (schema version and every code it
/// knows), so a build that learned a value retries what an older one could not apply.
pub(crate) fn app_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        use crate::units::{Currency, DistanceUnit, EconomyUnit, FuelKind, VolumeUnit};
        let mut known: Vec<String> = vec![crate::store::SUPPORTED_SCHEMA_VERSION.to_string()];
        known.extend(FuelKind::ALL.iter().map(|k| k.code().to_owned()));
        known.extend(DistanceUnit::ALL.iter().map(|k| k.code().to_owned()));
        known.extend(VolumeUnit::ALL.iter().map(|k| k.code().to_owned()));
        known.extend(EconomyUnit::ALL.iter().map(|k| k.code().to_owned()));
        known.extend(Currency::all().map(|c| c.code().to_owned()));
        known.extend(
            crate::service::ServiceKind::ALL
                .iter()
                .map(|k| k.code().to_owned()),
        );
        known.extend(
            [
                crate::reminders::Schedule::Fixed,
                crate::reminders::Schedule::FromCompletion,
            ]
            .iter()
            .map(|s| s.code().to_owned()),
        );
        // FNV-1a: stable across builds and platforms (std's hasher is not).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in known.join(",").bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{}+{:08x}", env!("CARGO_PKG_VERSION"), h as u32)
    })
}
