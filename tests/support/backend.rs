//! Which storage backend the test servers run on, chosen by the environment so the same
//! end-to-end tests (and the load bench) run against SQLite and against PostgreSQL:
//!
//! - unset `GLOVEBOX_TEST_PG_URL`: SQLite, one file per test server in its temp dir;
//! - `GLOVEBOX_TEST_PG_URL=postgres://user:pw@127.0.0.1:PORT/db`: PostgreSQL, one fresh
//!   database per test server (created through that URL, dropped when the server's
//!   [`ServerDb`] goes), so parallel tests never see each other's accounts.
//!
//! scripts/test.d/40-postgres.sh starts a throwaway cluster (scripts/pg-test-cluster.sh)
//! and sets the variable. When it is set, a test never falls back to SQLite: a server
//! without a PostgreSQL backend fails the test, naming the variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use glovebox_server::{LimitsConfig, RunningServer, Storage};

/// The variable that selects PostgreSQL, holding a URL whose role may create databases.
pub const PG_URL_VAR: &str = "GLOVEBOX_TEST_PG_URL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// The URL from [`PG_URL_VAR`] (its database is only used to create others).
    Postgres(String),
}

impl Backend {
    /// The backend the environment selects (see the module docs).
    pub fn from_env() -> Backend {
        match std::env::var(PG_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Backend::Postgres(url.trim().to_owned()),
            _ => Backend::Sqlite,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// The storage of one test server, kept across its restarts.
#[derive(Debug)]
pub enum ServerDb {
    Sqlite(PathBuf),
    Postgres(PgDatabase),
}

impl ServerDb {
    /// A fresh, empty store on `backend`; SQLite's file goes in `dir`.
    pub async fn create(backend: &Backend, dir: &Path) -> ServerDb {
        match backend {
            Backend::Sqlite => ServerDb::Sqlite(dir.join("server.db")),
            Backend::Postgres(url) => ServerDb::Postgres(
                PgDatabase::create(url)
                    .await
                    .unwrap_or_else(|e| panic!("{PG_URL_VAR}: creating a test database: {e}")),
            ),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        self.spec().backend_name()
    }

    /// What a server process is started with (the guard stays here).
    pub fn spec(&self) -> StorageSpec {
        match self {
            ServerDb::Sqlite(path) => StorageSpec::Sqlite(path.clone()),
            ServerDb::Postgres(pg) => StorageSpec::Postgres(pg.url.clone()),
        }
    }
}

/// Where a server keeps its data, in the `sqlite:PATH` / `postgres:URL` form that
/// `glovebox-server migrate-storage` takes (the bench passes it to its server processes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageSpec {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StorageSpec {
    pub fn parse(s: &str) -> Result<StorageSpec, String> {
        if let Some(path) = s.strip_prefix("sqlite:") {
            Ok(StorageSpec::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres:") || s.starts_with("postgresql:") {
            Ok(StorageSpec::Postgres(s.to_owned()))
        } else {
            Err(format!("{s:?}: expected sqlite:PATH or postgres://…"))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            StorageSpec::Sqlite(_) => "sqlite",
            StorageSpec::Postgres(_) => "postgres",
        }
    }
}

impl std::fmt::Display for StorageSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageSpec::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StorageSpec::Postgres(url) => f.write_str(url),
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Starts a server on `addr` over `db` (see [`start_spec`]).
pub async fn start_server(
    addr: SocketAddr,
    db: &ServerDb,
    limits: LimitsConfig,
) -> Result<RunningServer, BoxError> {
    start_spec(addr, &db.spec(), limits).await
}

/// Starts a server on `addr` over `spec`: with [`open_storage`], the one place the tests
/// and the bench wire a backend to the server.
pub async fn start_spec(
    addr: SocketAddr,
    spec: &StorageSpec,
    limits: LimitsConfig,
) -> Result<RunningServer, BoxError> {
    match spec {
        StorageSpec::Sqlite(path) => glovebox_server::start_sqlite(addr, path, limits).await,
        StorageSpec::Postgres(url) => glovebox_server::start_postgres(addr, url, limits).await,
    }
}

/// Opens `spec`'s storage directly (no HTTP), e.g. to mint device tokens for the bench.
pub fn open_storage(spec: &StorageSpec) -> Result<Arc<dyn Storage>, BoxError> {
    match spec {
        StorageSpec::Sqlite(path) => {
            let (storage, _stats) = glovebox_server::open_sqlite(path)?;
            Ok(storage)
        }
        StorageSpec::Postgres(url) => {
            let stats = Arc::new(glovebox_server::stats::QueryStats::new());
            let options = glovebox_server::PostgresOptions::new(url.clone());
            Ok(Arc::new(glovebox_server::PostgresStorage::open(
                &options, stats,
            )?))
        }
    }
}

/// A database of its own on the cluster behind [`PG_URL_VAR`], dropped on drop.
#[derive(Debug)]
pub struct PgDatabase {
    /// The URL the database was created through (the cluster's maintenance database).
    admin_url: String,
    pub name: String,
    /// `admin_url` with the database replaced by this one: what the server connects to.
    pub url: String,
}

impl PgDatabase {
    pub async fn create(admin_url: &str) -> Result<PgDatabase, tokio_postgres::Error> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // Unique across the test binaries that share the cluster at the same time.
        let name = format!(
            "gbt_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let client = connect(admin_url).await?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        Ok(PgDatabase {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        })
    }

    async fn drop_database(admin_url: &str, name: &str) -> Result<(), tokio_postgres::Error> {
        let client = connect(admin_url).await?;
        // FORCE: a server that is being torn down may still hold pooled connections.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the tests' runtime, which cannot block on a future; a thread of
        // its own with a small runtime does the work, and is joined so the database is gone
        // before the test returns (the chaos test makes hundreds).
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(PgDatabase::drop_database(&url, &name))
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!("dropping test database {}: {e}", self.name);
        }
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("test database connection: {e}");
        }
    });
    Ok(client)
}

/// `postgres://u:p@h:port/db?x=y` with `db` replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (head, rest) = url.split_at(authority_start);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let after = &rest[authority_end..];
    let query = after.find('?').map_or("", |i| &after[i..]);
    format!("{head}{}/{database}{query}", &rest[..authority_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_specs_round_trip_and_name_what_they_expect() {
        for s in ["sqlite:/tmp/x.db", "postgres://u:p@127.0.0.1:5432/db"] {
            assert_eq!(StorageSpec::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            StorageSpec::parse("sqlite:a.db").unwrap().backend_name(),
            "sqlite"
        );
        let e = StorageSpec::parse("mysql://x").unwrap_err();
        assert!(e.contains("sqlite:PATH"), "{e}");
    }

    #[test]
    fn the_database_of_a_url_is_replaced_and_the_rest_kept() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/glovebox", "gbt_1"),
            "postgres://u:p@127.0.0.1:5432/gbt_1"
        );
        assert_eq!(
            with_database("postgres://u@h:1/db?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
        assert_eq!(
            with_database("postgresql://u@h:1?connect_timeout=5", "x"),
            "postgresql://u@h:1/x?connect_timeout=5"
        );
    }

    /// The PostgreSQL half of the harness itself: a database per server, gone on drop.
    /// Needs the cluster, so scripts/test.d/40-postgres.sh runs it with --include-ignored.
    #[tokio::test]
    #[ignore = "needs GLOVEBOX_TEST_PG_URL (scripts/test.d/40-postgres.sh runs it)"]
    async fn a_test_database_is_created_empty_and_dropped_with_its_guard() {
        let Backend::Postgres(url) = Backend::from_env() else {
            panic!("{PG_URL_VAR} is not set");
        };
        let exists = |name: String| {
            let url = url.clone();
            async move {
                let c = connect(&url).await.unwrap();
                c.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                    .await
                    .unwrap()
                    .is_some()
            }
        };
        let db = PgDatabase::create(&url).await.unwrap();
        assert!(exists(db.name.clone()).await);
        let inside = connect(&db.url).await.unwrap();
        let tables: i64 = inside
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(tables, 0);
        let name = db.name.clone();
        drop(db);
        assert!(!exists(name).await, "dropped with its guard");
    }
}
