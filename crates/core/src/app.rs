//! `App`: a running Glovebox, composed once for every front end. [`App::open`] opens the
//! garage in a data directory and starts what runs beside it:
//! - the report cache, warming the overview and dashboards in the background;
//! - the sync engine, when this device is signed in to a server;
//! - the reminder notifier (the policy is [`crate::notify`]; a shell only shows);
//! - a watcher of other processes' writes (a CLI import, `glovebox sync now` on the same
//!   file), which invalidates the cache and tells the shell, like a local change.
//!
//! Shells subscribe to [`AppEvent`]s and call methods; they hold no rules of their own.
//! The command line opens the same `App` with [`AppOptions::command_line`] (nothing in the
//! background).

use std::collections::BTreeSet;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, ErrorPayload, Result};
use crate::export::{self, backup, CsvKind};
use crate::garage::BatchSummary;
use crate::notify::{self, Notification};
use crate::reports::{CacheConfig, Reports};
use crate::sync::{self, SyncConfig, SyncEngine, SyncError, SyncHandle, SyncOptions, SyncReport};
use crate::sync::{SyncState, SyncStatus};
use crate::{generator, import, Garage};

pub use logs::{FuelLog, OdometerLog, ServiceLog};

/// The database file inside a data directory.
pub const DB_FILE: &str = "glovebox.db";
/// Urgency by date moves with the clock, not only with writes: look again this often.
const NOTIFY_RECHECK: Duration = Duration::from_secs(15 * 60);
/// Bursts of writes (an import, the demo generator) become one notifier check.
const NOTIFY_COALESCE: Duration = Duration::from_millis(500);
/// Change events arriving within this window reach the shell as one.
const CHANGE_COALESCE: Duration = Duration::from_millis(15);

#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Warm the overview and the dashboards on a background thread.
    pub warm_reports: bool,
    /// Start the sync engine when the device is signed in.
    pub sync: bool,
    pub sync_options: SyncOptions,
    /// Announce reminders that turn urgent (as [`AppEvent::Notify`]).
    pub notifications: bool,
    /// Look for other processes' commits this often (`None`: do not watch).
    pub watch_interval: Option<Duration>,
}

impl AppOptions {
    /// The desktop app: everything on.
    pub fn desktop() -> AppOptions {
        AppOptions {
            warm_reports: true,
            sync: true,
            sync_options: SyncOptions::default(),
            notifications: true,
            watch_interval: Some(Duration::from_millis(400)),
        }
    }

    /// One command and exit: nothing runs in the background.
    pub fn command_line() -> AppOptions {
        AppOptions {
            warm_reports: false,
            sync: false,
            sync_options: SyncOptions::default(),
            notifications: false,
            watch_interval: None,
        }
    }
}

/// Records changed; the shell refreshes what it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Changed {
    /// The vehicles whose records changed.
    pub vehicles: Vec<String>,
    /// Another process wrote to the database: anything may have changed.
    pub all: bool,
}

#[derive(Debug, Clone)]
pub enum AppEvent {
    Changed(Changed),
    Sync(SyncStatus),
    Notify(Notification),
    /// An import in progress (the wizard's progress bar).
    Import(import::Progress),
}

type Listener = Arc<dyn Fn(&AppEvent) + Send + Sync>;

#[derive(Default)]
struct Listeners(RwLock<Vec<Listener>>);

impl Listeners {
    fn emit(&self, e: &AppEvent) {
        let list = self.0.read().unwrap_or_else(|p| p.into_inner()).clone();
        for l in list {
            l(e);
        }
    }
}

enum Touch {
    Vehicle(String),
    All,
}

/// The account this device is signed in with (the token is never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncAccount {
    pub server_url: String,
    pub user: String,
    pub device_name: String,
    pub device_id: String,
}

/// Everything Settings → Sync shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncSettings {
    pub account: Option<SyncAccount>,
    pub status: SyncStatus,
    /// Which store holds the token (`None` when signed out).
    pub token_kind: Option<sync::TokenStore>,
    /// Where the token is kept, in words.
    pub token_store: String,
    /// The server URL is plain http to a host other than this machine.
    pub insecure: Option<String>,
}

/// What signing in needs.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignIn {
    pub server_url: String,
    pub user: String,
    pub password: String,
    pub device_name: String,
    /// The user saw the plain-http warning and signs in anyway.
    #[serde(default)]
    pub allow_insecure: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignedOut {
    /// The server revoked this device's token.
    pub revoked: bool,
    /// Why not, when it could not.
    pub warning: Option<String>,
}

/// What one "Sync now" did, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncSummary {
    pub pushed: u64,
    pub pulled: u64,
    pub applied: u64,
    pub vehicles: u64,
}

impl From<&SyncReport> for SyncSummary {
    fn from(r: &SyncReport) -> Self {
        SyncSummary {
            pushed: r.pushed as u64,
            pulled: r.pulled as u64,
            applied: r.applied as u64,
            vehicles: r.vehicles.len() as u64,
        }
    }
}

/// What a restore wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Restored {
    pub vehicles: u64,
    pub fuel: u64,
    pub service: u64,
    pub odometer: u64,
    pub reminders: u64,
    pub completions: u64,
}

impl From<BatchSummary> for Restored {
    fn from(s: BatchSummary) -> Self {
        Restored {
            vehicles: s.vehicles,
            fuel: s.fuel,
            service: s.service,
            odometer: s.odometer,
            reminders: s.reminders,
            completions: s.completions,
        }
    }
}

/// Errors of the App's own operations: the core's, sync's, and a refused sign-in URL.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Core(#[from] Error),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("{0}")]
    InsecureServer(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Core(e) => e.code(),
            AppError::Sync(SyncError::Local(e)) => e.code(),
            AppError::Sync(e) => match e {
                SyncError::Network(_) => "sync_network",
                SyncError::Unauthorized(_) => "sync_unauthorized",
                SyncError::ProtocolTooOld(_) => "sync_protocol_too_old",
                SyncError::RateLimited(_) => "sync_rate_limited",
                SyncError::Server { .. } => "sync_server",
                SyncError::Rejected { .. } => "sync_rejected",
                SyncError::Protocol(_) => "sync_protocol",
                SyncError::Clock(_) => "sync_clock",
                SyncError::NotConfigured => "sync_not_configured",
                SyncError::Stopped => "sync_stopped",
                SyncError::Local(_) => "error",
            },
            AppError::InsecureServer(_) => "sync_insecure_server",
        }
    }

    /// The sign-in field an error concerns, so the form can show it there.
    fn field(&self) -> Option<&str> {
        match self {
            AppError::Core(e) => e.field(),
            AppError::Sync(SyncError::Unauthorized(_)) => Some("password"),
            AppError::Sync(SyncError::Network(_)) | AppError::InsecureServer(_) => {
                Some("server_url")
            }
            _ => None,
        }
    }

    pub fn to_payload(&self) -> ErrorPayload {
        match self {
            AppError::Core(e) => e.to_payload(),
            other => ErrorPayload {
                code: other.code().to_owned(),
                message: other.to_string(),
                field: other.field().map(str::to_owned),
            },
        }
    }
}

pub type AppResult<T> = std::result::Result<T, AppError>;

/// Why a server URL deserves a warning: plain http to a host that is not this machine
/// sends the password and every record readable on the way.
pub fn insecure_server_warning(url: &str) -> Option<String> {
    let rest = url.trim().strip_prefix("http://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| {
        format!(
            "{host} is reached over plain http: your password and records would travel \
             unencrypted. Use https unless this network is yours alone."
        )
    })
}

struct SyncSlot {
    handle: Option<Arc<SyncHandle>>,
}

pub struct App {
    garage: Arc<Garage>,
    reports: Arc<Reports>,
    options: AppOptions,
    listeners: Arc<Listeners>,
    sync: Mutex<SyncSlot>,
    /// Owns the sync engine's tasks; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    stop: Arc<AtomicBool>,
    notify_tx: Option<mpsc::Sender<Touch>>,
    /// Set to cancel the import running now (one at a time).
    import_cancel: Mutex<Option<Arc<AtomicBool>>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("garage", &self.garage).finish()
    }
}

impl App {
    /// The desktop app over `data_dir/glovebox.db`, with everything running.
    pub fn open(data_dir: impl AsRef<Path>) -> AppResult<Arc<App>> {
        App::open_dir(data_dir, AppOptions::desktop())
    }

    /// `data_dir/glovebox.db` with `options`.
    pub fn open_dir(data_dir: impl AsRef<Path>, options: AppOptions) -> AppResult<Arc<App>> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(Error::from)?;
        App::open_db(dir.join(DB_FILE), options)
    }

    /// The database at `path` with `options` (the command line: nothing in the background).
    pub fn open_db(path: impl AsRef<Path>, options: AppOptions) -> AppResult<Arc<App>> {
        App::with_garage(Garage::open(path)?, options)
    }

    /// An already opened garage (tests replace its clock).
    pub fn with_garage(garage: Garage, options: AppOptions) -> AppResult<Arc<App>> {
        let garage = Arc::new(garage);
        let reports = if options.warm_reports {
            Reports::start(garage.clone(), CacheConfig::default()).map_err(Error::from)?
        } else {
            Reports::new(garage.clone(), CacheConfig::default())
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("glovebox-sync")
            .enable_all()
            .build()
            .map_err(Error::from)?;
        let listeners = Arc::new(Listeners::default());
        let stop = Arc::new(AtomicBool::new(false));

        // Local writes (and sync, and imports) reach the shell through one coalescing thread,
        // so a sync that touched a thousand vehicles is one refresh, not a thousand.
        let (change_tx, change_rx) = mpsc::channel::<Touch>();
        let notify_tx = options.notifications.then(|| {
            let (tx, rx) = mpsc::channel::<Touch>();
            spawn_notifier(garage.clone(), listeners.clone(), stop.clone(), rx);
            tx
        });
        {
            let (change_tx, notify_tx) = (Mutex::new(change_tx.clone()), notify_tx.clone());
            let notify_tx = notify_tx.map(Mutex::new);
            garage.subscribe(move |e| {
                let _ = lock(&change_tx).send(Touch::Vehicle(e.vehicle_id.clone()));
                if let Some(tx) = &notify_tx {
                    let _ = lock(tx).send(Touch::Vehicle(e.vehicle_id.clone()));
                }
            });
        }
        spawn_change_forwarder(listeners.clone(), stop.clone(), change_rx);
        if let Some(every) = options.watch_interval {
            spawn_watcher(
                garage.clone(),
                reports.clone(),
                stop.clone(),
                every,
                change_tx,
                notify_tx.clone(),
            );
        }

        let app = Arc::new(App {
            garage,
            reports,
            options,
            listeners,
            sync: Mutex::new(SyncSlot { handle: None }),
            runtime: Some(runtime),
            stop,
            notify_tx,
            import_cancel: Mutex::new(None),
        });
        if app.options.sync {
            if let Some(config) = sync::load_config(&app.garage)? {
                app.start_engine(config.credentials);
            }
        }
        Ok(app)
    }

    pub fn garage(&self) -> &Arc<Garage> {
        &self.garage
    }

    pub fn reports(&self) -> &Arc<Reports> {
        &self.reports
    }

    pub fn db_path(&self) -> &Path {
        self.garage.store().path()
    }

    /// Calls `f` for every event, on the thread that produced it (keep it quick).
    pub fn subscribe(&self, f: impl Fn(&AppEvent) + Send + Sync + 'static) {
        self.listeners
            .0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::new(f));
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the App")
    }

    /// Runs `fut` to completion on the App's runtime, for callers outside any runtime
    /// (the command line).
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        self.runtime().block_on(fut)
    }

    /// Fills an empty garage with the demo data set (three vehicles, three years).
    pub fn load_demo(&self) -> Result<generator::GenerateSummary> {
        let today = self.garage.now().date();
        let cfg = generator::GeneratorConfig::new(generator::DatasetSize::Demo, 42, today);
        generator::generate(&self.garage, &cfg)
    }

    /// Re-checks reminders at once (e.g. after the shell gained a notification daemon).
    pub fn recheck_reminders(&self) {
        if let Some(tx) = &self.notify_tx {
            let _ = tx.send(Touch::All);
        }
    }

    // ----- files --------------------------------------------------------------------------

    /// Writes one vehicle's records of `kind` as CSV to `path`; returns the rows written.
    pub fn export_csv(&self, vehicle_id: &str, kind: CsvKind, path: &Path) -> Result<u64> {
        write_file(path, |w| export::csv(&self.garage, vehicle_id, kind, w))
    }

    /// Writes reminders as an iCalendar file (one vehicle's, or every vehicle's).
    pub fn export_ics(&self, vehicle_id: Option<&str>, path: &Path) -> Result<u64> {
        write_file(path, |w| export::ics::write(&self.garage, vehicle_id, w))
    }

    /// A full backup of the database to `path`; returns the records written.
    pub fn backup_to(&self, path: &Path) -> Result<u64> {
        write_file(path, |w| backup::write(&self.garage, w))
    }

    /// Restores a backup into this (empty) garage, or refuses saying why.
    pub fn restore_from(&self, path: &Path) -> Result<Restored> {
        let file = std::fs::File::open(path).map_err(|e| {
            Error::validation("backup", format!("cannot open {}: {e}", path.display()))
        })?;
        Ok(backup::restore(&self.garage, &mut BufReader::new(file))?.into())
    }

    // ----- import ---------------------------------------------------------------------------

    /// What importing `path` with `opts` would do; nothing is written. The wizard calls it
    /// again after each choice until the report's `needs` is empty.
    pub fn import_preview(
        &self,
        path: &Path,
        opts: &import::ImportOptions,
    ) -> Result<import::ImportReport> {
        import::preview(&self.garage, path, opts)
    }

    /// Imports `path` in one transaction, announcing progress as [`AppEvent::Import`];
    /// [`App::cancel_import`] stops it with nothing written (`Error::Cancelled`).
    pub fn import_commit(
        &self,
        path: &Path,
        opts: &import::ImportOptions,
    ) -> Result<import::ImportReport> {
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut slot = lock(&self.import_cancel);
            if slot.is_some() {
                return Err(Error::Other("another import is running".into()));
            }
            *slot = Some(cancel.clone());
        }
        let listeners = self.listeners.clone();
        let progress = move |p: import::Progress| listeners.emit(&AppEvent::Import(p));
        let out = import::commit(&self.garage, path, opts, &progress, &cancel);
        *lock(&self.import_cancel) = None;
        out
    }

    /// Cancels the running import, if any; returns whether one was running.
    pub fn cancel_import(&self) -> bool {
        match &*lock(&self.import_cancel) {
            Some(c) => {
                c.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    // ----- sync -----------------------------------------------------------------------------

    fn handle(&self) -> Option<Arc<SyncHandle>> {
        lock(&self.sync).handle.clone()
    }

    fn start_engine(&self, credentials: sync::Credentials) {
        let mut options = self.options.sync_options.clone();
        let reports = self.reports.clone();
        options.on_applied = Some(Arc::new(move |vehicles: &[String]| {
            reports.invalidate_after_sync(Some(vehicles));
        }));
        let config = SyncConfig {
            credentials,
            options,
        };
        let handle = {
            let _enter = self.runtime().enter();
            SyncEngine::start(self.garage.clone(), Some(config))
        };
        // Forward every status change to the shell until the engine stops.
        let mut rx = handle.subscribe();
        let listeners = self.listeners.clone();
        let garage = self.garage.clone();
        self.runtime().spawn(async move {
            while rx.changed().await.is_ok() {
                let mut status = rx.borrow_and_update().clone();
                status.pending = sync::pending_changes(&garage).unwrap_or(status.pending);
                listeners.emit(&AppEvent::Sync(status));
            }
        });
        lock(&self.sync).handle = Some(Arc::new(handle));
    }

    async fn stop_engine(&self) {
        let Some(handle) = lock(&self.sync).handle.take() else {
            return;
        };
        match Arc::try_unwrap(handle) {
            Ok(h) => {
                // Wait for a round in flight, on the runtime the engine runs on.
                let _ = self.runtime().spawn(h.stop()).await;
            }
            // A "Sync now" still holds it: dropping ours stops the engine when it ends.
            Err(shared) => drop(shared),
        }
    }

    /// The engine's status, with the pending count read afresh.
    pub fn sync_status(&self) -> SyncStatus {
        let pending = sync::pending_changes(&self.garage).unwrap_or(0);
        match self.handle() {
            Some(h) => SyncStatus {
                pending,
                ..h.status()
            },
            None => SyncStatus {
                state: SyncState::LocalOnly,
                last_synced_at_ms: sync::last_synced_at(&self.garage).unwrap_or(None),
                pending,
            },
        }
    }

    pub fn sync_settings(&self) -> AppResult<SyncSettings> {
        let account = sync::load_credentials(&self.garage)?.map(|c| SyncAccount {
            server_url: c.server_url,
            user: c.user,
            device_name: c.device_name,
            device_id: c.device_id,
        });
        let insecure = account
            .as_ref()
            .and_then(|a| insecure_server_warning(&a.server_url));
        let token_kind = sync::token_store(&self.garage)?;
        let token_store = match token_kind {
            Some(sync::TokenStore::Keychain) => {
                "the system keychain (Secret Service), not on disk".to_owned()
            }
            // Signed out, a fresh sign-in falls back to this file when no keychain answers.
            Some(sync::TokenStore::File) | None => format!(
                "a file only you can read (mode 0600): {}",
                sync::token_path(&self.garage).display()
            ),
        };
        Ok(SyncSettings {
            account,
            status: self.sync_status(),
            token_kind,
            token_store,
            insecure,
        })
    }

    /// The rows sync quarantined on pull and the ones the server rejected, told by kind,
    /// vehicle and date (Settings → Sync).
    pub fn sync_problems(&self) -> AppResult<sync::SyncProblems> {
        Ok(sync::problems(&self.garage)?)
    }

    /// Pending, quarantined and rejected counts at once (the sidebar's badge).
    pub fn sync_counts(&self) -> AppResult<sync::Counts> {
        Ok(sync::counts(&self.garage)?)
    }

    /// Signs in, saves the credentials and starts the engine (which syncs at once).
    pub async fn sign_in(&self, req: SignIn) -> AppResult<SyncSettings> {
        let url = req.server_url.trim().to_owned();
        if url.is_empty() {
            return Err(Error::validation("server_url", "enter the server's address").into());
        }
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(Error::validation(
                "server_url",
                "the address starts with https:// (or http://)",
            )
            .into());
        }
        if req.user.trim().is_empty() {
            return Err(Error::validation("user", "enter your user name").into());
        }
        if req.password.is_empty() {
            return Err(Error::validation("password", "enter your password").into());
        }
        if let (Some(w), false) = (insecure_server_warning(&url), req.allow_insecure) {
            return Err(AppError::InsecureServer(w));
        }
        let device = match req.device_name.trim() {
            "" => "Glovebox desktop".to_owned(),
            d => d.to_owned(),
        };
        let user = req.user.trim().to_owned();
        let creds = self
            .runtime()
            .spawn(async move { sync::login(&url, &user, &req.password, &device).await })
            .await
            .map_err(|e| Error::Other(format!("sign-in task failed: {e}")))??;
        self.stop_engine().await;
        sync::save_credentials(&self.garage, &creds)?;
        self.start_engine(creds);
        self.sync_settings()
    }

    /// Stops the engine, revokes the token on the server and forgets it here (locally
    /// even when the server cannot be reached: the result says so).
    pub async fn sign_out(&self) -> AppResult<SignedOut> {
        self.stop_engine().await;
        let garage = self.garage.clone();
        let remote = self
            .runtime()
            .spawn(async move { sync::logout(&garage).await })
            .await
            .map_err(|e| Error::Other(format!("sign-out task failed: {e}")))?;
        self.listeners.emit(&AppEvent::Sync(self.sync_status()));
        Ok(match remote {
            Ok(()) => SignedOut {
                revoked: true,
                warning: None,
            },
            Err(SyncError::Local(e)) => return Err(e.into()),
            Err(e) => SignedOut {
                revoked: false,
                warning: Some(format!(
                    "the server could not revoke this device ({e}); its owner can run \
                     `glovebox-server device revoke`"
                )),
            },
        })
    }

    /// One full round now (after any in flight).
    pub async fn sync_now(&self) -> AppResult<SyncSummary> {
        let Some(handle) = self.handle() else {
            return Err(SyncError::NotConfigured.into());
        };
        let report = self
            .runtime()
            .spawn(async move { handle.sync_now().await })
            .await
            .map_err(|e| Error::Other(format!("sync task failed: {e}")))??;
        Ok(SyncSummary::from(&report))
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        lock(&self.sync).handle = None;
        // Safe inside an async context too, unlike dropping the runtime.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The whole history's window: fixed bounds, so the Fuel tab always hits one cache key.
fn lifetime() -> (chrono::NaiveDateTime, chrono::NaiveDateTime) {
    let at = |y| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    };
    (at(1900), at(2200))
}

/// Writes a file the user chose: fully or not at all (a failure removes the partial file).
fn write_file(path: &Path, f: impl FnOnce(&mut dyn Write) -> Result<u64>) -> Result<u64> {
    let tmp = sibling_tmp(path);
    let out = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| {
            Error::validation("path", format!("cannot write {}: {e}", path.display()))
        })?;
        let mut w = BufWriter::new(file);
        let n = f(&mut w)?;
        let file = w.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(n)
    })();
    if out.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    out
}

fn sibling_tmp(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn spawn_change_forwarder(
    listeners: Arc<Listeners>,
    stop: Arc<AtomicBool>,
    rx: mpsc::Receiver<Touch>,
) {
    let body = move || {
        while !stop.load(Ordering::Relaxed) {
            let first = match rx.recv_timeout(Duration::from_millis(500)) {
                Ok(t) => t,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            std::thread::sleep(CHANGE_COALESCE);
            let mut all = false;
            let mut vehicles = BTreeSet::new();
            for t in std::iter::once(first).chain(rx.try_iter()) {
                match t {
                    Touch::All => all = true,
                    Touch::Vehicle(v) => {
                        vehicles.insert(v);
                    }
                }
            }
            listeners.emit(&AppEvent::Changed(Changed {
                vehicles: vehicles.into_iter().collect(),
                all,
            }));
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("glovebox-changes".into())
        .spawn(body)
    {
        tracing::warn!("could not start the change forwarder: {e}");
    }
}

fn spawn_notifier(
    garage: Arc<Garage>,
    listeners: Arc<Listeners>,
    stop: Arc<AtomicBool>,
    rx: mpsc::Receiver<Touch>,
) {
    let body = move || {
        // The first check covers everything (levels may have moved while the app was shut).
        let mut pending: Option<BTreeSet<String>> = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let ids: Option<Vec<String>> = pending.take().map(|s| s.into_iter().collect());
            match notify::check(&garage, ids.as_deref()) {
                Ok(list) => {
                    for n in list {
                        tracing::info!(reminder = %n.reminder_id, "reminder notification");
                        listeners.emit(&AppEvent::Notify(n));
                    }
                }
                Err(e) => tracing::warn!("reminder check failed: {e}"),
            }
            // Wait for a change (or the recheck period), then gather the burst.
            let mut touched = BTreeSet::new();
            let mut all = false;
            let mut waited = Duration::ZERO;
            let first = loop {
                match rx.recv_timeout(Duration::from_millis(500)) {
                    Ok(t) => break Some(t),
                    Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => {
                        waited += Duration::from_millis(500);
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        if waited >= NOTIFY_RECHECK {
                            break None;
                        }
                    }
                }
            };
            match first {
                None => all = true,
                Some(t) => {
                    std::thread::sleep(NOTIFY_COALESCE);
                    for t in std::iter::once(t).chain(rx.try_iter()) {
                        match t {
                            Touch::All => all = true,
                            Touch::Vehicle(v) => {
                                touched.insert(v);
                            }
                        }
                    }
                }
            }
            pending = (!all).then_some(touched);
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("glovebox-notifier".into())
        .spawn(body)
    {
        tracing::warn!("could not start the reminder notifier: {e}");
    }
}

/// Watches for commits by other processes: SQLite's `data_version` on the writer
/// connection changes exactly when another connection committed (never for its own
/// commits, and this process's readers never write). Such a commit may touch anything,
/// so the whole cache is invalidated and the shell refreshes everything.
fn spawn_watcher(
    garage: Arc<Garage>,
    reports: Arc<Reports>,
    stop: Arc<AtomicBool>,
    every: Duration,
    changes: mpsc::Sender<Touch>,
    notify: Option<mpsc::Sender<Touch>>,
) {
    let body = move || {
        let mut last = garage.store().data_version().ok();
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(every);
            let now = match garage.store().data_version() {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!("watching for other processes' writes failed: {e}");
                    continue;
                }
            };
            if now != last {
                last = now;
                tracing::info!("another process changed the database");
                reports.invalidate_after_sync(None);
                let _ = changes.send(Touch::All);
                if let Some(tx) = &notify {
                    let _ = tx.send(Touch::All);
                }
            }
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("glovebox-watcher".into())
        .spawn(body)
    {
        tracing::warn!("could not start the database watcher: {e}");
    }
}

mod logs;
#[cfg(test)]
mod tests;
