//! The local SQLite database: one writer connection and a small pool of readers, so that
//! reports can read while sync or an import writes (WAL lets readers see the last commit).
//!
//! Every statement runs under a name (`store.read("fuel.list", ...)`) so the performance
//! tracker can time it; statements are prepared through `prepare_cached`.

mod migrate;
pub mod query_plans;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use glovebox_perf::QueryObserver;
pub use migrate::{schema_version, SUPPORTED_SCHEMA_VERSION};

use crate::error::{Error, Result};

/// Readers kept open; more are opened on demand and closed when returned past this count.
const MAX_IDLE_READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Page cache per connection, in KiB (negative = KiB for SQLite). SQLite's default of 2 MiB
/// makes a large garage re-read and re-write the same index pages on every transaction.
const CACHE_KIB: i64 = 32 * 1024;

pub struct Store {
    path: PathBuf,
    // Field order is drop order: readers close first, so the writer is the last
    // connection and folds the WAL back into the database file when it closes. Closed the
    // other way round, a read-only connection is last, cannot checkpoint, and leaves a
    // -wal file that a copy of the .db alone would silently lack.
    idle_readers: Mutex<Vec<Connection>>,
    writer: Mutex<Connection>,
    observer: Mutex<Option<Arc<dyn QueryObserver>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applying pending migrations.
    /// A database from a newer Glovebox is refused without being touched.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        // Check the version before switching to WAL so a refused file is left untouched.
        migrate::refuse_newer(&writer)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Other(format!(
                "could not switch {} to WAL journaling (got {mode})",
                path.display()
            )));
        }
        migrate::migrate(&mut writer)?;
        Ok(Store {
            path,
            writer: Mutex::new(writer),
            idle_readers: Mutex::new(Vec::new()),
            observer: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn set_observer(&self, observer: Arc<dyn QueryObserver>) {
        *lock(&self.observer) = Some(observer);
    }

    /// Times `f` under `name` with the installed observer (if any).
    pub fn timed<T>(&self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let observer = lock(&self.observer).clone();
        match observer {
            None => f(),
            Some(obs) => {
                let start = Instant::now();
                let out = f();
                obs.observe(name, start.elapsed());
                out
            }
        }
    }

    fn open_reader(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&conn)?;
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(conn)
    }

    /// Runs a named read on a reader connection (never blocks behind the writer).
    pub fn read<T>(
        &self,
        name: &'static str,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let conn = match lock(&self.idle_readers).pop() {
            Some(c) => c,
            None => self.open_reader()?,
        };
        let out = self.timed(name, || f(&conn));
        let mut idle = lock(&self.idle_readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Runs a named write in one IMMEDIATE transaction: all of it commits, or none of it.
    pub fn write<T>(
        &self,
        name: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = lock(&self.writer);
        self.timed(name, || {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Reads on the writer connection, for reads that must see the writer's own state.
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        f(&mut conn)
    }

    /// Changes exactly when another connection — another process — committed to the
    /// database: SQLite's `data_version` on the writer, which its own commits never move
    /// (and this process's readers never write). Used by `App` to notice other processes.
    pub(crate) fn data_version(&self) -> Result<i64> {
        self.with_writer(|c| Ok(c.query_row("PRAGMA data_version", [], |r| r.get(0))?))
    }

    /// A local, unsynced setting (device id, sync cursor, preferences).
    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        self.read("meta.get", |c| meta_get(c, key))
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.write("meta.set", |tx| meta_set(tx, key, value))
    }
}

pub(crate) const META_GET: &str = "SELECT value FROM local_meta WHERE key = ?1";
pub(crate) const META_SET: &str = "INSERT INTO local_meta (key, value) VALUES (?1, ?2) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(META_GET)?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(META_SET)?.execute([key, value])?;
    Ok(())
}

/// Poisoning only means another thread panicked mid-call; the SQLite connection itself
/// rolled back, so carrying on is safe.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
