//! Glovebox sync server: axum on tokio over a `Storage` (SQLite by default, PostgreSQL for
//! several processes over one database). `glovebox-server serve` runs it; tests and
//! benchmarks use [`start`] on an ephemeral loopback port.

pub mod auth;
pub mod config;
pub mod handlers;
pub mod limiter;
pub mod migrate_storage;
pub mod serve;
pub mod stats;
pub mod storage;
pub mod wire;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

pub use config::{Config, ConfigError, HttpConfig, LimitsConfig, StorageKind};
pub use handlers::AppState;
pub use storage::{
    PostgresOptions, PostgresStorage, SqliteOptions, SqliteStorage, Storage, StorageError,
    StorageSpec,
};

use stats::QueryStats;

/// Opens the SQLite storage at `path` with a fresh query-stats collector.
pub fn open_sqlite(
    path: impl AsRef<Path>,
) -> Result<(Arc<SqliteStorage>, Arc<QueryStats>), StorageError> {
    let stats = Arc::new(QueryStats::new());
    let storage = Arc::new(SqliteStorage::open(path, stats.clone())?);
    Ok((storage, stats))
}

/// A server running in the background of the current tokio runtime.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// Where `/metrics` is served when `http.metrics_listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub state: Arc<AppState>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (within the shutdown grace), and
    /// waits for the listeners to close.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        for task in self.tasks.drain(..) {
            match task.await {
                Ok(r) => r?,
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
        Ok(())
    }
}

/// Serves `state` on `listener` until [`RunningServer::stop`].
pub fn start(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
) -> std::io::Result<RunningServer> {
    start_with_metrics(listener, None, state)
}

/// As [`start`], with `/metrics` on a listener of its own (and not on the main one).
pub fn start_with_metrics(
    listener: tokio::net::TcpListener,
    metrics: Option<tokio::net::TcpListener>,
    state: Arc<AppState>,
) -> std::io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let metrics_addr = metrics.as_ref().map(|l| l.local_addr()).transpose()?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let http = state.http.clone();
    let mut tasks = Vec::new();
    let main = handlers::router(state.clone(), metrics.is_none());
    tasks.push(tokio::spawn(serve::serve(
        listener,
        main,
        http.clone(),
        stopped(),
    )));
    if let Some(l) = metrics {
        let router = handlers::metrics_router(state.clone());
        tasks.push(tokio::spawn(serve::serve(l, router, http, stopped())));
    }
    Ok(RunningServer {
        addr,
        metrics_addr,
        state,
        shutdown: Some(tx),
        tasks,
    })
}

/// Opens `spec`, binds `addr` and serves with `limits`: the one-call setup for tests.
pub async fn start_storage(
    addr: SocketAddr,
    spec: &StorageSpec,
    limits: LimitsConfig,
) -> Result<RunningServer, Box<dyn std::error::Error + Send + Sync>> {
    limits.validate()?;
    let stats = Arc::new(QueryStats::new());
    let storage = spec.open(stats.clone())?;
    let state = Arc::new(AppState::new(storage, limits, stats));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(start(listener, state)?)
}

/// Opens SQLite at `db`, binds `addr` and serves.
pub async fn start_sqlite(
    addr: SocketAddr,
    db: impl AsRef<Path>,
    limits: LimitsConfig,
) -> Result<RunningServer, Box<dyn std::error::Error + Send + Sync>> {
    let spec = StorageSpec::Sqlite {
        path: db.as_ref().to_path_buf(),
        options: SqliteOptions::default(),
    };
    start_storage(addr, &spec, limits).await
}

/// Opens PostgreSQL at `url` (migrating it as needed), binds `addr` and serves.
pub async fn start_postgres(
    addr: SocketAddr,
    url: &str,
    limits: LimitsConfig,
) -> Result<RunningServer, Box<dyn std::error::Error + Send + Sync>> {
    start_storage(
        addr,
        &StorageSpec::Postgres(PostgresOptions::new(url)),
        limits,
    )
    .await
}
