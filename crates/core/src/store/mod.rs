//! The local SQLite database: one writer connection and a small pool of readers, so that
//! reports can read while sync or an import writes (WAL lets readers see the last commit).
//!
//! Every statement runs under a name (`store.read("fuel.list", ...)`) so the performance
//! tracker can time it; statements are prepared through `prepare_cached`, or once per
//! transaction through [`Prepared`] on the write path.
//!
//! Each synced table has its module here with its SQL and its one row mapping
//! (`row_to_fuel` & co., after Anki's rslib storage/); what the tables share — the sync
//! columns, tombstones, which vehicle owns a row — is in `records`, and readings across the
//! three kinds that carry an odometer in `readings`. The sync engine's generic rows (dirty
//! rows, row versions written by last-writer-wins) are in `sync_rows`, its quarantine and
//! refused versions in `quarantine` and `rejected`. Nothing outside this module writes SQL.

mod checkpoint;
pub(crate) mod completions;
mod decode;
pub(crate) mod fuel;
mod migrate;
pub(crate) mod odometer;
pub(crate) mod quarantine;
#[cfg(test)]
mod query_plans;
#[cfg(test)]
mod tests {
    #[test]
    fn a_multi_row_insert_renumbers_every_tuple() {
        let sql = super::renumbered("INSERT INTO t (a, b, c) VALUES (?1, ?2, 0, ?3)", 3);
        assert_eq!(
            sql,
            "INSERT INTO t (a, b, c) VALUES (?1, ?2, 0, ?3), (?4, ?5, 0, ?6), (?7, ?8, 0, ?9)"
        );
    }

    #[test]
    fn the_bulk_insert_of_every_table_fails_instead_of_journaling() {
        use crate::store::{multi_row_insert, ROWS_PER_INSERT};
        for sql in [
            multi_row_insert::<crate::fuel::FuelRecord>(),
            multi_row_insert::<crate::service::ServiceRecord>(),
            multi_row_insert::<crate::odometer::OdometerRecord>(),
            multi_row_insert::<crate::reminders::Reminder>(),
        ] {
            assert!(sql.starts_with("INSERT OR FAIL INTO "), "{sql}");
            assert_eq!(sql.matches("), (").count(), ROWS_PER_INSERT - 1);
        }
    }
}
pub(crate) mod readings;
pub(crate) mod records;
pub(crate) mod rejected;
pub(crate) mod reminders;
pub(crate) mod service;
pub(crate) mod stats;
pub(crate) mod sync_rows;
pub(crate) mod vehicles;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{
    CachedStatement, Connection, OpenFlags, OptionalExtension, Row, Statement, Transaction,
    TransactionBehavior,
};

pub use glovebox_perf::QueryObserver;
pub use migrate::{schema_version, SUPPORTED_SCHEMA_VERSION};

use crate::error::{Error, Result};
use crate::events::RecordKind;
use crate::vehicles::Vehicle;
use crate::SyncStamp;

/// Readers kept open; more are opened on demand and closed when returned past this count.
const MAX_IDLE_READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Page cache per connection, in KiB (negative = KiB for SQLite). SQLite's default of 2 MiB
/// makes a large garage re-read and re-write the same index pages on every transaction.
const CACHE_KIB: i64 = 32 * 1024;
/// Page size of a database this build creates (an existing file keeps its own: in WAL mode
/// only a rewrite of the whole file could change it). SQLite's default of 4 KiB makes a bulk
/// import pay a write system call and a WAL frame header per 4 KiB, twice (the WAL, then
/// the checkpoint into the file): a 1,000,000-row import wrote ~1 GB in 250,000 pieces.
/// 16 KiB pages cut that CPU by a quarter (docs/BENCHMARKS.md, "Import") while a
/// single-record edit still writes only a few small frames.
pub(crate) const PAGE_SIZE: i64 = 16 * 1024;

pub(crate) struct Store {
    path: PathBuf,
    // Field order is drop order: readers close first, so the writer is the last
    // connection and folds the WAL back into the database file when it closes. Closed the
    // other way round, a read-only connection is last, cannot checkpoint, and leaves a
    // -wal file that a copy of the .db alone would silently lack. The checkpoint thread's
    // connection closes (its thread is joined) before the writer's for the same reason.
    idle_readers: Mutex<Vec<Connection>>,
    // Held for its Drop; read only by the test support's wait.
    #[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
    checkpointer: checkpoint::Checkpointer,
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
    // Plans must not depend on bound values. Without this guarantee SQLite marks a
    // statement whose plan looked at a parameter (LIMIT ?n, a partial index's WHERE) for
    // re-preparing whenever its bindings are cleared — which the statement cache does on
    // every return — so every cached hot query was compiled afresh on every use (12% of
    // a cold dashboard's instructions).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
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
        // Only takes effect on a new, empty file (before WAL mode writes its first page),
        // and must come before `cache_size`: SQLite turns a cache size in KiB into a page
        // count once, with the page size of that moment (4 KiB pages counted against 16 KiB
        // ones made the 32 MiB cache 125 MiB).
        writer.pragma_update(None, "page_size", PAGE_SIZE)?;
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
        let checkpointer = checkpoint::Checkpointer::start(&path, &mut writer)?;
        Ok(Store {
            path,
            checkpointer,
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

    /// Waits for the background checkpoint (see `checkpoint`) to have folded what was
    /// committed into the database file: the import bench times it apart from the commit.
    #[cfg(any(test, feature = "testing"))]
    pub fn wait_for_checkpoint(&self) {
        self.checkpointer.wait_idle();
    }

    /// Runs `f` on the writer connection outside a transaction (tests: ANALYZE).
    #[cfg(any(test, feature = "testing"))]
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        f(&mut conn)
    }

    /// Changes exactly when another connection — another process — committed to the
    /// database: SQLite's `data_version` on the writer, which its own commits never move
    /// (and this process's readers never write). Used by `App` to notice other processes.
    pub(crate) fn data_version(&self) -> Result<i64> {
        let conn = lock(&self.writer);
        Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
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
const META_DELETE: &str = "DELETE FROM local_meta WHERE key = ?1";
pub(crate) const META_SET: &str = "INSERT INTO local_meta (key, value) VALUES (?1, ?2) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(META_GET)?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(META_SET)?.execute([key, value])?;
    Ok(())
}

pub(crate) fn meta_delete(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached(META_DELETE)?.execute([key])?;
    Ok(())
}

/// A record type as stored: its table's INSERT and UPDATE, and the one place its fields
/// are bound to their parameters (the same order for both statements, the sync stamp
/// last).
pub(crate) trait StoredRow {
    const KIND: RecordKind;
    const INSERT: &'static str;
    const UPDATE: &'static str;
    fn id(&self) -> &str;
    /// Binds the row's own columns, in parameter order from ?1.
    fn bind(&self, b: &mut Binder<'_, '_>) -> Result<()>;
}

/// Runs `stmt` (`R`'s INSERT or UPDATE) for `r`: its columns, then the stamp (hlc, dirty,
/// updated_at). Returns the rows changed.
pub(crate) fn execute<R: StoredRow>(
    stmt: &mut Statement<'_>,
    r: &R,
    s: &SyncStamp,
) -> Result<usize> {
    let mut b = Binder { stmt, next: 1 };
    r.bind(&mut b)?;
    b.all(rusqlite::params![s.hlc, s.dirty, s.updated_at])?;
    debug_assert_eq!(b.next - 1, b.stmt.parameter_count(), "{}", R::INSERT);
    Ok(b.stmt.raw_execute()?)
}

/// A row owned by a vehicle, read in that vehicle's units: its one row mapping and its
/// get-by-id statement (?1 id, ?2 vehicle id, live rows only).
pub(crate) trait OwnedRow: Sized {
    const LABEL: &'static str;
    const GET: &'static str;
    fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<Self>;
}

/// Live row `id` of vehicle `v`, or NotFound.
pub(crate) fn get<R: OwnedRow>(conn: &Connection, v: &Vehicle, id: &str) -> Result<R> {
    decode::one(
        conn.prepare_cached(R::GET)?
            .query_row(rusqlite::params![id, v.id], |r| R::from_row(r, v))
            .optional(),
    )?
    .ok_or_else(|| Error::not_found(R::LABEL, id))
}

/// The rows `sql` selects for vehicle `v` (unreadable ones left out and logged).
pub(crate) fn list<R: OwnedRow>(
    conn: &Connection,
    sql: &'static str,
    params: impl rusqlite::Params,
    v: &Vehicle,
) -> Result<Vec<R>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| R::from_row(r, v))?;
    decode::readable(rows)
}

/// Rows per multi-row INSERT on the bulk path: one statement per this many rows instead
/// of one per row (a statement's setup — opening a cursor on the table and each of its
/// indexes, the statement journal — cost more than the row itself).
pub(crate) const ROWS_PER_INSERT: usize = 64;

/// `R`'s INSERT for [`ROWS_PER_INSERT`] rows: its VALUES tuple repeated with the
/// parameters renumbered (`?1..?P`, `?P+1..?2P`, ...). Built once per table.
///
/// It is `INSERT OR FAIL`: a statement that can abort half-way must first copy every page
/// it changes into a statement journal (a temporary file) so that it can undo itself —
/// with 16 KiB pages about 80 KiB per statement, more than the rows it writes. A failing
/// one instead stops where it is, leaving its earlier rows in the transaction, so a
/// caller must abandon the whole transaction on an error from it (a batch does: it is all
/// or nothing).
pub(crate) fn multi_row_insert<R: StoredRow>() -> &'static str {
    static BUILT: Mutex<Vec<(usize, &'static str)>> = Mutex::new(Vec::new());
    let key = R::INSERT.as_ptr() as usize;
    let mut built = lock(&BUILT);
    if let Some((_, sql)) = built.iter().find(|(k, _)| *k == key) {
        return sql;
    }
    let insert = R::INSERT
        .strip_prefix("INSERT INTO ")
        .expect("a plain INSERT");
    let sql = renumbered(&format!("INSERT OR FAIL INTO {insert}"), ROWS_PER_INSERT);
    let sql: &'static str = Box::leak(sql.into_boxed_str());
    built.push((key, sql));
    sql
}

/// `insert` (one `VALUES (...)` tuple of `?N` parameters) for `rows` rows.
fn renumbered(insert: &str, rows: usize) -> String {
    let at = insert.find(" VALUES ").expect("an INSERT with VALUES") + " VALUES ".len();
    let (head, tuple) = insert.split_at(at);
    let params = tuple.matches('?').count();
    let mut out = String::with_capacity(head.len() + rows * (tuple.len() + 8));
    out.push_str(head);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        let mut rest = tuple;
        while let Some(q) = rest.find('?') {
            out.push_str(&rest[..q]);
            let digits = rest[q + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - q - 1);
            let n: usize = rest[q + 1..q + 1 + digits]
                .parse()
                .expect("a numbered parameter");
            out.push_str(&format!("?{}", n + r * params));
            rest = &rest[q + 1 + digits..];
        }
        out.push_str(rest);
    }
    out
}

/// Runs `stmt` (a [`multi_row_insert`]) for exactly [`ROWS_PER_INSERT`] rows.
pub(crate) fn execute_rows<R: StoredRow>(
    stmt: &mut Statement<'_>,
    rows: &[(R, SyncStamp)],
) -> Result<usize> {
    debug_assert_eq!(rows.len(), ROWS_PER_INSERT);
    let mut b = Binder { stmt, next: 1 };
    for (r, s) in rows {
        r.bind(&mut b)?;
        b.all(rusqlite::params![s.hlc, s.dirty, s.updated_at])?;
    }
    debug_assert_eq!(b.next - 1, b.stmt.parameter_count());
    Ok(b.stmt.raw_execute()?)
}

/// Binds values to a statement's parameters in order.
pub(crate) struct Binder<'s, 'c> {
    stmt: &'s mut Statement<'c>,
    next: usize,
}

impl Binder<'_, '_> {
    pub(crate) fn all(&mut self, values: &[&dyn rusqlite::ToSql]) -> Result<()> {
        for v in values {
            self.stmt.raw_bind_parameter(self.next, v)?;
            self.next += 1;
        }
        Ok(())
    }
}

/// Statements a write transaction prepares once and keeps: a batch of a million rows
/// looks each one up by pointer, not by hashing its SQL text per row. The SQL is always a
/// `&'static str` constant of this module, so its address identifies it (two addresses
/// for equal text would only mean preparing it twice).
pub(crate) struct Prepared<'c> {
    conn: &'c Connection,
    stmts: Vec<(usize, CachedStatement<'c>)>,
}

impl<'c> Prepared<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Prepared {
            conn,
            stmts: Vec::with_capacity(8),
        }
    }

    pub(crate) fn conn(&self) -> &'c Connection {
        self.conn
    }

    pub(crate) fn get(&mut self, sql: &'static str) -> Result<&mut Statement<'c>> {
        let key = sql.as_ptr() as usize;
        let i = match self.stmts.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.stmts.push((key, self.conn.prepare_cached(sql)?));
                self.stmts.len() - 1
            }
        };
        Ok(&mut self.stmts[i].1)
    }
}

/// Poisoning only means another thread panicked mid-call; the SQLite connection itself
/// rolled back, so carrying on is safe.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
