//! Glovebox sync server: axum on tokio over a `Storage` (SQLite by default).
//! `glovebox-server serve` runs it; tests and benchmarks use [`start`] on an ephemeral
//! loopback port.

pub mod auth;
pub mod config;
pub mod handlers;
pub mod limiter;
pub mod stats;
pub mod storage;
pub mod wire;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::serve::ListenerExt;

pub use config::{Config, ConfigError, LimitsConfig};
pub use handlers::AppState;
pub use storage::{SqliteOptions, SqliteStorage, Storage, StorageError};

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
    pub state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the task.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Serves `state` on `listener` until [`RunningServer::stop`].
pub fn start(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
) -> std::io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = handlers::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to a reply
    // written in several segments: that alone dominated a 100k-row initial sync.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {e}");
        }
    });
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}

/// Opens SQLite at `db`, binds `addr` and serves: the one-call setup for tests.
pub async fn start_sqlite(
    addr: SocketAddr,
    db: impl AsRef<Path>,
    limits: LimitsConfig,
) -> Result<RunningServer, Box<dyn std::error::Error + Send + Sync>> {
    limits.validate()?;
    let (storage, stats) = open_sqlite(db)?;
    let state = Arc::new(AppState::new(storage, limits, stats));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(start(listener, state)?)
}
