//! Helpers for the sync tests: a real server on an ephemeral loopback port over a
//! temporary database, devices with their own temporary garages, a fault-injecting
//! loopback proxy, and a comparable snapshot of a garage's synced rows.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use glovebox_core::fuel::FuelInput;
use glovebox_core::sync::{self, SyncConfig, SyncEngine, SyncHandle, SyncOptions};
use glovebox_core::vehicles::VehicleInput;
use glovebox_core::{Garage, RecordKind, WriteOptions};
use glovebox_server::{auth, LimitsConfig, RunningServer};

use crate::backend::{self, Backend, ServerDb};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub server: RunningServer,
    /// The server's storage on the backend `GLOVEBOX_TEST_PG_URL` selects (SQLite by
    /// default); after `server`, so the server is dropped before its database.
    pub db: ServerDb,
    pub dir: TempDir,
    pub limits: LimitsConfig,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(LimitsConfig::default()).await
    }

    pub async fn start_with(limits: LimitsConfig) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = ServerDb::create(&Backend::from_env(), dir.path()).await;
        let server =
            backend::start_server(SocketAddr::from(([127, 0, 0, 1], 0)), &db, limits.clone())
                .await
                .unwrap_or_else(|e| panic!("server starts on {}: {e}", db.backend_name()));
        TestServer {
            server,
            db,
            dir,
            limits,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn add_user(&self, name: &str) {
        let hash = auth::hash_password(PASSWORD).expect("hash");
        self.server
            .state
            .storage
            .add_user(name, &hash)
            .expect("add user");
    }

    /// Stops the server and starts a new one on the same database and port.
    pub async fn restart(self) -> TestServer {
        self.stop().await.start().await
    }

    pub async fn stop(self) -> StoppedServer {
        let addr = self.server.addr;
        self.server.stop().await.expect("server stops");
        StoppedServer {
            addr,
            db: self.db,
            dir: self.dir,
            limits: self.limits,
        }
    }

    /// A consistent copy of the server's database as it is now (what a backup tool
    /// takes), on either backend.
    pub async fn backup(&self) -> crate::server::Backup {
        crate::server::backup_db(&self.db, self.dir.path()).await
    }

    /// Stops the server, puts `backup` in place of its database (a restore) and starts it
    /// again on the same port.
    pub async fn restore_from(self, backup: crate::server::Backup) -> TestServer {
        let mut stopped = self.stop().await;
        stopped.db = crate::server::restore_db(backup, stopped.db);
        stopped.start().await
    }

    /// A device token minted in storage (no argon2 login).
    pub fn mint(&self, user: &str) -> (String, String) {
        let storage = &self.server.state.storage;
        let id = storage.user(user).expect("query").expect("user").id;
        let token = auth::new_token();
        let device_id = storage
            .add_device(id, "test", &auth::token_hash(&token))
            .expect("device");
        (token, device_id)
    }

    /// Synced rows the server holds for `user` (every version counted once).
    pub fn rows_of(&self, user: &str) -> u64 {
        self.server
            .state
            .storage
            .user(user)
            .expect("user query")
            .expect("user exists")
            .rows
    }
}

/// A stopped server's database and port, to start it again.
pub struct StoppedServer {
    pub addr: SocketAddr,
    pub db: ServerDb,
    pub dir: TempDir,
    pub limits: LimitsConfig,
}

impl StoppedServer {
    pub async fn start(self) -> TestServer {
        let server = backend::start_server(self.addr, &self.db, self.limits.clone())
            .await
            .unwrap_or_else(|e| {
                let backend = self.db.backend_name();
                panic!("server restarts on the same port ({backend}): {e}")
            });
        TestServer {
            server,
            db: self.db,
            dir: self.dir,
            limits: self.limits,
        }
    }
}

/// Options for tests: never sync by timer, debounce or backoff (tests call `sync_now`).
pub fn test_options() -> SyncOptions {
    SyncOptions {
        interval: Duration::from_secs(3600),
        debounce: Duration::from_secs(3600),
        // The engine never retries on its own in tests (that would race with the test's
        // faults); sync_now does not wait for the backoff.
        backoff_base: Duration::from_secs(3600),
        backoff_max: Duration::from_secs(3600),
        request_retry_delay: Duration::from_millis(5),
        ..SyncOptions::default()
    }
}

pub struct Device {
    pub garage: Arc<Garage>,
    pub handle: SyncHandle,
    pub dir: TempDir,
}

pub fn open_garage(dir: &TempDir) -> Arc<Garage> {
    Arc::new(Garage::open(dir.path().join("garage.db")).expect("open garage"))
}

impl Device {
    /// Opens a fresh garage, logs in as `user` through `url` and starts its engine.
    pub async fn new(url: &str, user: &str, name: &str) -> Device {
        Self::with_options(url, user, name, test_options()).await
    }

    pub async fn with_options(url: &str, user: &str, name: &str, options: SyncOptions) -> Device {
        let dir = tempfile::tempdir().expect("tempdir");
        let garage = open_garage(&dir);
        let creds = sync::login(url, user, PASSWORD, name).await.expect("login");
        sync::save_credentials(&garage, &creds).expect("save credentials");
        let handle = SyncEngine::start(
            garage.clone(),
            Some(SyncConfig {
                credentials: creds,
                options,
            }),
        );
        // Let the start-up round finish before the test queues faults or writes: a
        // sync_now is served after it, and its own result does not matter here.
        let _ = handle.sync_now().await;
        Device {
            garage,
            handle,
            dir,
        }
    }

    pub async fn sync(&self) -> sync::SyncReport {
        self.handle.sync_now().await.expect("sync succeeds")
    }

    /// Syncs until a round succeeds, at most `tries` rounds (for fault tests).
    pub async fn sync_until_ok(&self, tries: usize) -> sync::SyncReport {
        let mut last = None;
        for _ in 0..tries {
            match self.handle.sync_now().await {
                Ok(r) => return r,
                Err(e) => last = Some(e),
            }
        }
        panic!("no successful sync in {tries} rounds; last error: {last:?}");
    }

    pub fn snapshot(&self) -> Snapshot {
        snapshot(&self.garage)
    }

    /// A device with a token minted in storage (no argon2 login), its HLC following
    /// `wall` when given (a device whose clock is off), its engine started and its
    /// start-up round done.
    pub async fn minted(
        srv: &TestServer,
        url: &str,
        user: &str,
        wall: Option<fn() -> u64>,
    ) -> Device {
        let (token, device_id) = srv.mint(user);
        let dir = tempfile::tempdir().expect("tempdir");
        let garage = open_garage_with(&dir, wall);
        let credentials = sync::Credentials {
            server_url: url.to_owned(),
            user: user.to_owned(),
            device_name: "test".into(),
            device_id,
            token,
        };
        sync::save_credentials(&garage, &credentials).expect("save credentials");
        Self::started(garage, dir).await
    }

    /// Starts the engine of an open, logged-in garage and waits for its start-up round.
    pub async fn started(garage: Arc<Garage>, dir: TempDir) -> Device {
        let config = sync::load_config(&garage)
            .expect("load config")
            .expect("logged in");
        let handle = SyncEngine::start(
            garage.clone(),
            Some(SyncConfig {
                credentials: config.credentials,
                options: test_options(),
            }),
        );
        let _ = handle.sync_now().await;
        Device {
            garage,
            handle,
            dir,
        }
    }

    /// The app restarts: the engine stops, the database closes and opens again, a new
    /// engine starts (and runs its start-up round).
    pub async fn restart(self, wall: Option<fn() -> u64>) -> Device {
        let Device {
            garage,
            handle,
            dir,
        } = self;
        handle.stop().await;
        drop(garage);
        Self::started(open_garage_with(&dir, wall), dir).await
    }
}

/// Opens the test garage in `dir`, its HLC following `wall` when given.
pub fn open_garage_with(dir: &TempDir, wall: Option<fn() -> u64>) -> Arc<Garage> {
    let g = Garage::open(dir.path().join("garage.db")).expect("open garage");
    Arc::new(match wall {
        Some(w) => g.with_wall_clock(w),
        None => g,
    })
}

/// Every synced row: (table, id) → (hlc, deleted, domain columns). Excludes the local
/// columns `dirty` and `updated_at`.
pub type Snapshot = BTreeMap<(String, String), String>;

pub fn snapshot(garage: &Garage) -> Snapshot {
    snapshot_where(garage, |_| true)
}

/// The rows this device wrote locally with an HLC above `bound` (still dirty): what one
/// local operation wrote, when `bound` is the clock's reading before it.
pub fn written_since(garage: &Garage, bound: (u64, u32)) -> Snapshot {
    // 'g' sorts after every hex digit: rows stamped exactly at `bound` are left out.
    let b = glovebox_protocol::Hlc::new(bound.0, bound.1, "g").to_string();
    snapshot_where(garage, |row| {
        row["dirty"].as_i64() == Some(1) && row["hlc"].as_str().is_some_and(|h| h > b.as_str())
    })
}

fn snapshot_where(
    garage: &Garage,
    keep: impl Fn(&glovebox_core::testing::Row) -> bool,
) -> Snapshot {
    let mut out = Snapshot::new();
    for (table, rows) in glovebox_core::testing::all_rows(garage).expect("snapshot") {
        for row in rows.iter().filter(|r| keep(r)) {
            let id = row["id"].as_str().unwrap_or_default().to_owned();
            let mut desc = String::new();
            for (n, v) in row {
                if n != "dirty" && n != "updated_at" {
                    desc.push_str(&format!("{n}={v};"));
                }
            }
            out.insert((table.clone(), id), desc);
        }
    }
    out
}

pub fn day(d: u32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .expect("date")
        .and_hms_opt(8, 0, 0)
        .expect("time")
        + chrono::Duration::days(i64::from(d))
}

pub fn add_vehicle(g: &Garage, name: &str) -> String {
    g.create_vehicle(&VehicleInput::new(name))
        .expect("vehicle")
        .id
}

pub fn fuel_input(vehicle_id: &str, odometer: f64, notes: &str) -> FuelInput {
    FuelInput {
        vehicle_id: vehicle_id.to_owned(),
        occurred_at: day((odometer as u32) % 300),
        odometer,
        quantity: 40.0,
        total_cost_minor: 6000,
        is_full: true,
        missed_previous: false,
        station: String::new(),
        notes: notes.to_owned(),
        tags: Vec::new(),
    }
}

pub fn add_fuel(g: &Garage, vehicle_id: &str, odometer: f64, notes: &str) -> String {
    g.add_fuel(
        &fuel_input(vehicle_id, odometer, notes),
        WriteOptions::CONFIRMED,
    )
    .expect("fuel")
    .id
}

pub fn edit_fuel(g: &Garage, vehicle_id: &str, id: &str, odometer: f64, notes: &str) {
    g.update_fuel(
        id,
        &fuel_input(vehicle_id, odometer, notes),
        WriteOptions::CONFIRMED,
    )
    .expect("edit fuel");
}

pub fn delete_fuel(g: &Garage, id: &str) {
    g.delete(RecordKind::Fuel, id).expect("delete fuel");
}

/// The HLC text of one row, to predict which of two concurrent writes wins.
pub fn hlc_of(g: &Garage, table: &str, id: &str) -> String {
    glovebox_core::testing::hlc_of(g, table, id).expect("row exists")
}

// ----- fault-injecting proxy ------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Forward normally (consumes a queue entry: "let the next N through").
    Pass,
    /// Answer 500 without forwarding.
    Error500,
    /// Forward, wait until the server starts answering (so it has committed), then
    /// close the client's connection without a byte of the answer.
    CutResponse,
    /// Forward the request twice (a duplicate delivery); the client gets the second
    /// answer.
    Duplicate,
    /// Answer 413 `batch_too_large` without forwarding (a proxy or server with a smaller
    /// limit than it announced).
    TooLarge,
    /// Forward, read the whole answer (the server has committed), then hold it: the
    /// client waits until it gives up or is killed. `FaultProxy::held` counts these.
    Hold,
    /// Wait before forwarding until the test opens the gate (`FaultProxy::open_gate`):
    /// something can happen to the server between two requests of one round.
    /// `FaultProxy::wait_gated` waits for a request to arrive here.
    Gate,
}

/// A loopback HTTP proxy, one request per connection. Requests whose path starts with
/// the next queued fault's prefix consume that fault; all others pass.
pub struct FaultProxy {
    pub addr: SocketAddr,
    faults: Arc<Mutex<VecDeque<(&'static str, FaultKind)>>>,
    pub forwarded: Arc<Mutex<Vec<String>>>,
    /// Requests answered by the server and held back from the client (`FaultKind::Hold`).
    pub held: Arc<std::sync::atomic::AtomicUsize>,
    gate: Arc<Gate>,
}

/// Requests waiting at `FaultKind::Gate`, and the permits that let them on.
struct Gate {
    waiting: std::sync::atomic::AtomicUsize,
    open: tokio::sync::Semaphore,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            waiting: Default::default(),
            open: tokio::sync::Semaphore::new(0),
        }
    }
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let faults: Arc<Mutex<VecDeque<(&'static str, FaultKind)>>> = Arc::default();
        let forwarded: Arc<Mutex<Vec<String>>> = Arc::default();
        let held: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let gate: Arc<Gate> = Arc::default();
        let (f, fw, h, g) = (
            faults.clone(),
            forwarded.clone(),
            held.clone(),
            gate.clone(),
        );
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (f, fw, h, g) = (f.clone(), fw.clone(), h.clone(), g.clone());
                tokio::spawn(proxy_one(conn, upstream, f, fw, h, g));
            }
        });
        FaultProxy {
            addr,
            faults,
            forwarded,
            held,
            gate,
        }
    }

    /// Waits (at most `timeout`) until `n` requests wait at a gate; false on timeout.
    pub async fn wait_gated(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.gate.waiting.load(std::sync::atomic::Ordering::SeqCst) < n {
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Lets one request waiting at a gate (or the next to arrive) go on.
    pub fn open_gate(&self) {
        self.gate.open.add_permits(1);
    }

    /// Drops every queued fault: from now on everything passes.
    pub fn clear_faults(&self) {
        self.faults.lock().expect("faults").clear();
    }

    /// Waits (at most `timeout`) until `n` answers are held back; false on timeout.
    pub async fn wait_held(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.held.load(std::sync::atomic::Ordering::SeqCst) < n {
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn push_fault(&self, path_prefix: &'static str, kind: FaultKind) {
        self.faults
            .lock()
            .expect("faults")
            .push_back((path_prefix, kind));
    }

    pub fn pending_faults(&self) -> usize {
        self.faults.lock().expect("faults").len()
    }
}

async fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

async fn proxy_one(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Arc<Mutex<VecDeque<(&'static str, FaultKind)>>>,
    forwarded: Arc<Mutex<Vec<String>>>,
    held: Arc<std::sync::atomic::AtomicUsize>,
    gate: Arc<Gate>,
) {
    let Some(req) = read_request(&mut client).await else {
        return;
    };
    let line_end = req.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
    let line = String::from_utf8_lossy(&req[..line_end]).to_string();
    let path = line.split(' ').nth(1).unwrap_or("").to_owned();
    let fault = {
        let mut f = faults.lock().expect("faults");
        match f.front() {
            Some((prefix, kind)) if path.starts_with(prefix) => {
                let k = *kind;
                f.pop_front();
                k
            }
            _ => FaultKind::Pass,
        }
    };
    let canned = match fault {
        FaultKind::Error500 => Some((
            "500 Internal Server Error",
            r#"{"code":"internal","message":"injected failure"}"#,
        )),
        FaultKind::TooLarge => Some((
            "413 Payload Too Large",
            r#"{"code":"batch_too_large","message":"injected: too many rows"}"#,
        )),
        _ => None,
    };
    if let Some((status, body)) = canned {
        let resp = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = client.write_all(resp.as_bytes()).await;
        return;
    }
    if fault == FaultKind::Gate {
        gate.waiting
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let Ok(permit) = gate.open.acquire().await else {
            return;
        };
        permit.forget();
    }
    // One request per connection keeps the proxy simple: ask the server to close after it.
    let mut fwd = req[..line_end + 2].to_vec();
    fwd.extend_from_slice(b"connection: close\r\n");
    fwd.extend_from_slice(&req[line_end + 2..]);
    if fault == FaultKind::Duplicate {
        // The first delivery's answer is lost; the second is the client's.
        if forward(&fwd, upstream).await.is_none() {
            return;
        }
        forwarded.lock().expect("forwarded").push(line.clone());
    }
    let Ok(mut up) = TcpStream::connect(upstream).await else {
        return; // Server down: the client sees its connection closed.
    };
    if up.write_all(&fwd).await.is_err() {
        return;
    }
    forwarded.lock().expect("forwarded").push(line);
    let mut resp = Vec::new();
    if fault == FaultKind::CutResponse {
        let mut first = [0u8; 1];
        let _ = up.read(&mut first).await;
        return; // Both connections drop here.
    }
    let _ = up.read_to_end(&mut resp).await;
    if fault == FaultKind::Hold {
        held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // Until the client goes away (killed, or its request timed out).
        let mut probe = [0u8; 1];
        let _ = client.read(&mut probe).await;
        return;
    }
    let _ = client.write_all(&resp).await;
    let _ = client.shutdown().await;
}

/// Sends one request upstream and reads the whole answer.
async fn forward(req: &[u8], upstream: SocketAddr) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await.ok()?;
    up.write_all(req).await.ok()?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await.ok()?;
    Some(resp)
}
