//! Helpers for the server tests (tests/server_*.rs): a real server on a loopback port
//! with options the sync helpers do not expose (trusted proxies, HTTP limits, backups and
//! restores), on the backend `GLOVEBOX_TEST_PG_URL` selects (see `backend`), and `Wire`,
//! a device speaking raw protocol 2 over HTTP — so tests can send what no Glovebox client
//! would and see exactly what the server answers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use glovebox_protocol::sync::{
    ErrorBody, PullResponse, PushResponse, StatusResponse, SyncRow, PROTOCOL_HEADER,
    PROTOCOL_VERSION,
};
use glovebox_protocol::{Endpoint, Hlc};
use glovebox_server::limiter::IpNet;
use glovebox_server::{auth, AppState, HttpConfig, LimitsConfig, RunningServer};

use crate::backend::{Backend, ServerDb};
use serde_json::{json, Value};
use tempfile::TempDir;

pub use crate::sync::PASSWORD;

#[derive(Debug, Clone, Default)]
pub struct SrvOptions {
    pub limits: LimitsConfig,
    pub trusted_proxies: Vec<IpNet>,
    /// With `metrics_listen` set, `/metrics` gets a listener of its own.
    pub http: HttpConfig,
}

/// A server over a database of its own (a SQLite file in `dir`, or a PostgreSQL database).
pub struct Srv {
    pub running: RunningServer,
    pub dir: TempDir,
    pub db: ServerDb,
    pub options: SrvOptions,
}

/// A copy of a server's database taken while it runs (what a backup tool takes).
pub enum Backup {
    Sqlite(PathBuf),
    Postgres(ServerDb),
}

fn server_spec(db: &ServerDb) -> glovebox_server::StorageSpec {
    glovebox_server::StorageSpec::parse(&db.spec().to_string()).expect("storage spec")
}

impl Srv {
    pub async fn start() -> Srv {
        Self::start_with(SrvOptions::default()).await
    }

    pub async fn start_with(options: SrvOptions) -> Srv {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = ServerDb::create(&Backend::from_env(), dir.path()).await;
        Self::start_in(dir, db, options, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    async fn start_in(dir: TempDir, db: ServerDb, options: SrvOptions, addr: SocketAddr) -> Srv {
        let stats = Arc::new(glovebox_server::stats::QueryStats::new());
        let storage = server_spec(&db).open(stats.clone()).expect("storage");
        options.limits.validate().expect("valid limits");
        let state = Arc::new(
            AppState::new(storage, options.limits.clone(), stats)
                .with_trusted_proxies(options.trusted_proxies.clone())
                .with_http(options.http.clone()),
        );
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let metrics = match options.http.metrics_listen {
            Some(a) => Some(
                tokio::net::TcpListener::bind(a)
                    .await
                    .expect("bind metrics"),
            ),
            None => None,
        };
        let running = glovebox_server::start_with_metrics(listener, metrics, state).expect("serve");
        Srv {
            running,
            dir,
            db,
            options,
        }
    }

    pub fn url(&self) -> String {
        self.running.url()
    }

    pub fn storage(&self) -> &dyn glovebox_server::Storage {
        self.running.state.storage.as_ref()
    }

    /// Another storage instance over this server's database (as another process would).
    pub fn open_storage(db: &ServerDb) -> Arc<dyn glovebox_server::Storage> {
        server_spec(db)
            .open(Arc::new(glovebox_server::stats::QueryStats::new()))
            .expect("storage")
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

    /// A consistent copy of the live database.
    pub async fn backup(&self) -> Backup {
        backup_db(&self.db, self.dir.path()).await
    }

    /// Stops the server and starts a new one (a new process: new sequence floor) on the
    /// same port, over the same database or, with `restore`, over the backup.
    pub async fn restart_from(self, restore: Option<Backup>) -> Srv {
        let addr = self.running.addr;
        self.running.stop().await.expect("stop");
        let db = match restore {
            None => self.db,
            Some(b) => restore_db(b, self.db),
        };
        Self::start_in(self.dir, db, self.options, addr).await
    }

    pub async fn restart(self) -> Srv {
        self.restart_from(None).await
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

/// A consistent copy of a live server database `db` (its SQLite copy goes in `dir`).
pub async fn backup_db(db: &ServerDb, dir: &Path) -> Backup {
    match db {
        ServerDb::Sqlite(path) => {
            let to = dir.join(format!("backup-{}.db", rand::random::<u32>()));
            let c = rusqlite::Connection::open(path).expect("open live db");
            c.execute("VACUUM INTO ?1", [to.to_string_lossy()])
                .expect("vacuum into");
            Backup::Sqlite(to)
        }
        ServerDb::Postgres(_) => {
            let copy = ServerDb::create(&Backend::from_env(), dir).await;
            let (from, to) = (Srv::open_storage(db), Srv::open_storage(&copy));
            glovebox_server::migrate_storage::copy(from.as_ref(), to.as_ref(), |_| {})
                .expect("copy");
            Backup::Postgres(copy)
        }
    }
}

/// The database a stopped server restarts on when `backup` is restored over `db`.
pub fn restore_db(backup: Backup, db: ServerDb) -> ServerDb {
    match (backup, db) {
        (Backup::Sqlite(copy), ServerDb::Sqlite(path)) => {
            for suffix in ["-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
            std::fs::copy(&copy, &path).expect("restore copy");
            ServerDb::Sqlite(path)
        }
        // The backup is another database; the old one is dropped with its guard.
        (Backup::Postgres(copy), _) => copy,
        (_, _) => panic!("a backup restores onto its own backend"),
    }
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
    /// The highest number the server gave this device (cursor or push answer), sent as
    /// the push's `known`.
    pub known: u64,
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
            known: 0,
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
        if self.known > 0 {
            body["known"] = json!(self.known);
        }
        let r = self
            .request(Endpoint::Push)
            .json(&body)
            .send()
            .await
            .expect("push");
        let resp: PushResponse = answer(r).await?;
        self.epoch = Some(resp.epoch.clone());
        self.known = self.known.max(resp.seq);
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
        self.known = self.known.max(page.cursor);
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
        self.known = 0;
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

/// A loopback HTTP balancer: each request goes, on a connection of its own, to a random
/// one of `upstreams` (as a load balancer in front of several server processes would).
pub struct Balancer {
    pub addr: SocketAddr,
    /// Requests each upstream received.
    pub served: Arc<std::sync::Mutex<Vec<u64>>>,
}

impl Balancer {
    pub async fn start(upstreams: Vec<SocketAddr>) -> Balancer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind balancer");
        let addr = listener.local_addr().expect("addr");
        let served = Arc::new(std::sync::Mutex::new(vec![0u64; upstreams.len()]));
        let counts = served.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let (upstreams, counts) = (upstreams.clone(), counts.clone());
                tokio::spawn(async move {
                    // Read one request: head, then Content-Length bytes of body.
                    let mut req = Vec::new();
                    let mut chunk = [0u8; 16 * 1024];
                    let head_end = loop {
                        let Ok(n) = client.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        req.extend_from_slice(&chunk[..n]);
                        if let Some(p) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&req[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while req.len() < head_end + len {
                        let Ok(n) = client.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        req.extend_from_slice(&chunk[..n]);
                    }
                    let i = rand::random::<usize>() % upstreams.len();
                    counts.lock().expect("counts")[i] += 1;
                    let Ok(mut up) = tokio::net::TcpStream::connect(upstreams[i]).await else {
                        return;
                    };
                    let line_end = req.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
                    let mut fwd = req[..line_end + 2].to_vec();
                    fwd.extend_from_slice(b"connection: close\r\n");
                    fwd.extend_from_slice(&req[line_end + 2..]);
                    if up.write_all(&fwd).await.is_err() {
                        return;
                    }
                    let mut resp = Vec::new();
                    let _ = up.read_to_end(&mut resp).await;
                    let _ = client.write_all(&resp).await;
                    let _ = client.shutdown().await;
                });
            }
        });
        Balancer { addr, served }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
