//! Helpers for the server tests (tests/server_*.rs): a real server on a loopback port
//! with options the sync helpers do not expose (trusted proxies, a restartable database
//! file), and `Wire`, a device speaking raw protocol 2 over HTTP — so tests can send
//! what no Glovebox client would and see exactly what the server answers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use glovebox_protocol::sync::{
    ErrorBody, PullResponse, PushResponse, StatusResponse, SyncRow, PROTOCOL_HEADER,
    PROTOCOL_VERSION,
};
use glovebox_protocol::{Endpoint, Hlc};
use glovebox_server::limiter::IpNet;
use glovebox_server::{auth, AppState, LimitsConfig, RunningServer};
use serde_json::{json, Value};
use tempfile::TempDir;

pub use crate::sync::PASSWORD;

#[derive(Debug, Clone, Default)]
pub struct SrvOptions {
    pub limits: LimitsConfig,
    pub trusted_proxies: Vec<IpNet>,
}

/// A server over a SQLite file in its own temporary directory.
pub struct Srv {
    pub running: RunningServer,
    pub dir: TempDir,
    pub options: SrvOptions,
}

impl Srv {
    pub async fn start() -> Srv {
        Self::start_with(SrvOptions::default()).await
    }

    pub async fn start_with(options: SrvOptions) -> Srv {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, options, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    async fn start_in(dir: TempDir, options: SrvOptions, addr: SocketAddr) -> Srv {
        let (storage, stats) =
            glovebox_server::open_sqlite(dir.path().join("server.db")).expect("storage");
        options.limits.validate().expect("valid limits");
        let state = Arc::new(
            AppState::new(storage, options.limits.clone(), stats)
                .with_trusted_proxies(options.trusted_proxies.clone()),
        );
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let running = glovebox_server::start(listener, state).expect("serve");
        Srv {
            running,
            dir,
            options,
        }
    }

    pub fn url(&self) -> String {
        self.running.url()
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    pub fn storage(&self) -> &dyn glovebox_server::Storage {
        self.running.state.storage.as_ref()
    }

    /// Creates `name` with [`PASSWORD`].
    pub fn add_user(&self, name: &str) {
        let hash = auth::hash_password(PASSWORD).expect("hash");
        self.storage().add_user(name, &hash).expect("add user");
    }

    /// A device token for `user`, minted in storage (no argon2).
    pub fn mint(&self, user: &str) -> String {
        let id = self.storage().user(user).expect("query").expect("user").id;
        let token = auth::new_token();
        self.storage()
            .add_device(id, "wire", &auth::token_hash(&token))
            .expect("device");
        token
    }

    pub fn wire(&self, user: &str) -> Wire {
        Wire::new(&self.url(), self.mint(user))
    }

    /// Stops the server and starts a new process-like server (new sequence floor) on the
    /// same database and port, after `between` ran on the stopped database file.
    pub async fn restart_with(self, between: impl FnOnce(&std::path::Path)) -> Srv {
        let addr = self.running.addr;
        self.running.stop().await.expect("stop");
        between(&self.dir.path().join("server.db"));
        Self::start_in(self.dir, self.options, addr).await
    }

    pub async fn restart(self) -> Srv {
        self.restart_with(|_| {}).await
    }

    pub async fn status(&self) -> StatusResponse {
        reqwest::get(format!("{}{}", self.url(), Endpoint::Status.path()))
            .await
            .expect("status")
            .json()
            .await
            .expect("status json")
    }
}

/// A consistent copy of a live SQLite database (what a backup tool takes).
pub fn snapshot_db(db: &std::path::Path, to: &std::path::Path) {
    let c = rusqlite::Connection::open(db).expect("open live db");
    c.execute("VACUUM INTO ?1", [to.to_string_lossy()])
        .expect("vacuum into");
}

/// Replaces a stopped server's database with `copy` (a restore from backup).
pub fn restore_db(copy: &std::path::Path, db: &std::path::Path) {
    for suffix in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::copy(copy, db).expect("restore copy");
}

/// An error answer: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub body: ErrorBody,
}

/// A device speaking protocol 2 by hand, with its epoch and cursor.
pub struct Wire {
    pub http: reqwest::Client,
    pub url: String,
    pub token: String,
    pub epoch: Option<String>,
    pub cursor: u64,
}

async fn answer<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> Result<T, Refused> {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    if status == 200 {
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad 200 body {e}: {text}")))
    } else {
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("error {status} without a JSON body ({e}): {text}"));
        Err(Refused { status, body })
    }
}

impl Wire {
    pub fn new(url: &str, token: String) -> Wire {
        Wire {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            token,
            epoch: None,
            cursor: 0,
        }
    }

    pub fn request(&self, e: Endpoint) -> reqwest::RequestBuilder {
        let url = format!("{}{}", self.url, e.path());
        let r = match e.method() {
            glovebox_protocol::Method::Get => self.http.get(url),
            glovebox_protocol::Method::Post => self.http.post(url),
        };
        r.bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
    }

    /// Pushes `rows` (any JSON) with this device's epoch.
    pub async fn push(&mut self, rows: Vec<Value>) -> Result<PushResponse, Refused> {
        let mut body = json!({ "rows": rows });
        if let Some(e) = &self.epoch {
            body["epoch"] = json!(e);
        }
        let r = self
            .request(Endpoint::Push)
            .json(&body)
            .send()
            .await
            .expect("push");
        let resp: PushResponse = answer(r).await?;
        self.epoch = Some(resp.epoch.clone());
        Ok(resp)
    }

    pub async fn pull_page(&mut self, limit: usize) -> Result<PullResponse, Refused> {
        let mut q = vec![
            ("since", self.cursor.to_string()),
            ("limit", limit.to_string()),
        ];
        if let Some(e) = &self.epoch {
            q.push(("epoch", e.clone()));
        }
        let r = self
            .request(Endpoint::Pull)
            .query(&q)
            .send()
            .await
            .expect("pull");
        let page: PullResponse = answer(r).await?;
        self.cursor = page.cursor;
        self.epoch = Some(page.epoch.clone());
        Ok(page)
    }

    /// Pulls until `has_more` is false.
    pub async fn pull_all(&mut self) -> Result<Vec<SyncRow>, Refused> {
        let mut rows = Vec::new();
        loop {
            let page = self.pull_page(500).await?;
            rows.extend(page.rows);
            if !page.has_more {
                return Ok(rows);
            }
        }
    }

    /// What a device does when told the server forgot: start over.
    pub fn reset(&mut self) {
        self.cursor = 0;
        self.epoch = None;
    }
}

/// A UUID-form row id numbered `n`.
pub fn row_id(n: u64) -> String {
    format!("0190aaaa-0000-7000-8000-{n:012x}")
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
}

/// A fuel-record row version.
pub fn fuel_row(id: &str, hlc: &Hlc, notes: &str) -> Value {
    json!({"table": "fuel_records", "id": id, "hlc": hlc.to_string(), "deleted": false,
           "data": {"vehicle_id": row_id(0), "odometer": 1000.5, "is_full": 1, "notes": notes}})
}
