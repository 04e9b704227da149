//! The embedded SQLite backend. One writer connection on its own thread (SQLite has one
//! writer anyway, and one thread applying writes in queue order makes "commit order =
//! sequence order" true by construction: the sequence is bumped inside the write
//! transaction) plus a pool of readers for pulls and token checks, which WAL lets run
//! beside the writer on a committed snapshot.
//!
//! The writer runs with `synchronous=FULL`: in WAL mode every commit fsyncs the log
//! before it returns, so a push the server acknowledged survives a power cut. Writes
//! waiting together share one commit (`group_commit`), so the fsync is paid once per
//! group rather than once per push.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use glovebox_protocol::sync::RowOutcome;
use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::group_commit::GroupWriter;
use super::migrate::{self, MigrationError};
use super::{
    never_issued, new_epoch, next_seq, now_ms, to_i64, AccountRecord, Device, DeviceRecord,
    GapRecord, Inventory, LoginUser, PageLimits, Principal, Pull, PullPage, PullStep, PushRow,
    Pushed, Storage, StorageError, StorageResult, StoredRow, User,
};
use crate::stats::QueryStats;

const ADD_USER: &str =
    "INSERT INTO users (name, password_hash, created_at, epoch) VALUES (?1, ?2, ?3, ?4)";
const SET_PASSWORD: &str = "UPDATE users SET password_hash = ?2 WHERE name = ?1";
const REMOVE_USER: &str = "DELETE FROM users WHERE name = ?1";
const USER_COLUMNS: &str = "SELECT u.id, u.name, u.password_hash, \
     (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.revoked = 0), \
     (SELECT count(*) FROM rows r WHERE r.user_id = u.id) FROM users u";
const LOGIN_USER: &str = "SELECT id, password_hash FROM users WHERE name = ?1";
const ADD_DEVICE: &str =
    "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
const DEVICES: &str = "SELECT d.id, d.user_id, u.name, d.name, d.revoked, d.created_at \
     FROM devices d JOIN users u ON u.id = d.user_id \
     WHERE ?1 IS NULL OR u.name = ?1 ORDER BY u.name, d.created_at";
const REVOKE_DEVICE: &str = "UPDATE devices SET revoked = 1 WHERE id = ?1";
const AUTHENTICATE: &str = "SELECT d.user_id, d.id, u.epoch FROM devices d \
     JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?1 AND d.revoked = 0";
const ROW_HLC: &str = "SELECT hlc FROM rows WHERE user_id = ?1 AND tbl = ?2 AND id = ?3";
/// Stores a version only if it is newer than the stored one (canonical HLC text sorts like
/// the value, so a text comparison decides): one statement for the common case, a new row
/// or a newer version; the stored HLC is read only when nothing changed, to tell a
/// duplicate from a stale version.
const UPSERT_ROW: &str = "INSERT INTO rows (user_id, tbl, id, hlc, deleted, data, seq) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
     ON CONFLICT (user_id, tbl, id) DO UPDATE SET hlc = excluded.hlc, \
     deleted = excluded.deleted, data = excluded.data, seq = excluded.seq \
     WHERE excluded.hlc > rows.hlc";
const USER_SEQ: &str = "SELECT seq FROM users WHERE id = ?1";
const SET_USER_SEQ: &str = "UPDATE users SET seq = ?2 WHERE id = ?1";
const ADD_GAP: &str = "INSERT INTO seq_gaps (user_id, lo, hi) VALUES (?1, ?2, ?3)";
const IN_GAP: &str = "SELECT EXISTS (SELECT 1 FROM seq_gaps \
     WHERE user_id = ?1 AND lo < ?2 AND hi > ?2)";
const PULL: &str = "SELECT tbl, id, hlc, deleted, data, seq FROM rows \
     WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
const SERVER_EPOCH: &str = "SELECT epoch FROM server_state WHERE id = 1";
const EXPORT_ACCOUNTS: &str =
    "SELECT id, name, password_hash, seq, epoch, created_at FROM users ORDER BY id";
const EXPORT_DEVICES: &str =
    "SELECT id, user_id, name, token_hash, created_at, revoked FROM devices ORDER BY id";
const EXPORT_GAPS: &str = "SELECT user_id, lo, hi FROM seq_gaps ORDER BY user_id, lo";
const EXPORT_ROWS: &str = "SELECT user_id, tbl, id, hlc, deleted, data, seq FROM rows \
     WHERE (user_id, seq) > (?1, ?2) ORDER BY user_id, seq LIMIT ?3";
const IMPORT_ACCOUNT: &str = "INSERT INTO users (id, name, password_hash, seq, epoch, created_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const IMPORT_DEVICE: &str =
    "INSERT INTO devices (id, user_id, name, token_hash, created_at, revoked) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const IMPORT_ROW: &str = "INSERT INTO rows (user_id, tbl, id, hlc, deleted, data, seq) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const SET_SERVER_EPOCH: &str = "UPDATE server_state SET epoch = ?1 WHERE id = 1";

/// Enough idle readers for the blocking pool's concurrent pulls and token checks: closing
/// and reopening connections under load cost more than keeping them.
const MAX_IDLE_READERS: usize = 64;

/// How the SQLite backend is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// fsync the write-ahead log at every commit (`synchronous=FULL`), so an
    /// acknowledged push survives a power cut. Always on in `glovebox-server`; off only
    /// in the benchmark that measures what it costs.
    pub synchronous_full: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous_full: true,
        }
    }
}

pub struct SqliteStorage {
    path: std::path::PathBuf,
    writer: GroupWriter,
    readers: Arc<Mutex<Vec<Connection>>>,
    stats: Arc<QueryStats>,
    server_epoch: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.set_prepared_statement_cache_capacity(32);
    // Query-planner stability: without it SQLite (built with STAT4, as rusqlite bundles
    // it) marks statements whose plan might depend on a bound value — the token lookup,
    // the pull's range scan — and re-prepares them on every new binding, which was a
    // tenth of the server's instructions per request. The plans here do not depend on
    // the values (there are no statistics), so nothing is lost.
    c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Runs a statement without parameters or rows (BEGIN, COMMIT, SAVEPOINT …) from the
/// connection's statement cache: `execute_batch` would parse it again on every call.
pub(super) fn run_cached(c: &Connection, sql: &str) -> rusqlite::Result<()> {
    c.prepare_cached(sql)?.raw_execute()?;
    Ok(())
}

/// Applies the pending migrations, each in one IMMEDIATE transaction with its
/// `user_version` bump (re-read inside it: another process may have migrated meanwhile).
fn migrate(conn: &mut Connection) -> StorageResult<()> {
    for m in migrate::SQLITE {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if !migrate::pending(migrate::SQLITE, current)?.contains(m) {
            continue;
        }
        tracing::info!(
            version = m.version,
            name = m.name,
            "applying server migration"
        );
        let failed = |e: rusqlite::Error| MigrationError::Failed {
            name: m.name,
            message: e.to_string(),
        };
        tx.execute_batch(m.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(failed)?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteStorage {
    pub fn open(path: impl AsRef<Path>, stats: Arc<QueryStats>) -> StorageResult<Self> {
        Self::open_with(path, stats, SqliteOptions::default())
    }

    pub fn open_with(
        path: impl AsRef<Path>,
        stats: Arc<QueryStats>,
        options: SqliteOptions,
    ) -> StorageResult<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        let synchronous = if options.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        writer.pragma_update(None, "synchronous", synchronous)?;
        // 64 MiB page cache (negative = KiB) for the writer only: the row table outgrows
        // the 2 MiB default fast. Readers get a small one (see `read`): in WAL mode a
        // reader drops its whole cache whenever the database changed since its last
        // read, and truncating a large cache on every pull showed up under load.
        writer.pragma_update(None, "cache_size", -65536)?;
        let _: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        migrate(&mut writer)?;
        let server_epoch = writer.query_row(SERVER_EPOCH, [], |r| r.get(0))?;
        Ok(SqliteStorage {
            path,
            writer: GroupWriter::new(writer),
            readers: Arc::default(),
            stats,
            server_epoch,
        })
    }

    /// The writer's `PRAGMA synchronous` (2 = FULL: fsync at every commit).
    pub fn synchronous(&self) -> StorageResult<i64> {
        self.writer
            .write(|tx| Ok(tx.pragma_query_value(None, "synchronous", |r| r.get(0))?))
    }

    fn read<T>(
        &self,
        name: &'static str,
        f: impl FnOnce(&Connection) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let conn = self.reader()?;
        let out = self.stats.time(name, || f(&conn));
        put_reader(&self.readers, conn);
        out
    }

    fn write<T: Send + 'static>(
        &self,
        name: &'static str,
        f: impl FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    ) -> StorageResult<T> {
        self.stats.time(name, || self.writer.write(f))
    }

    /// One read transaction: the sequence, the gaps and the rows come from one snapshot.
    fn pull_in_snapshot(
        c: &Connection,
        user_id: i64,
        since: u64,
        limits: PageLimits,
    ) -> StorageResult<Pull> {
        Ok(match Self::start_page(c, user_id, since)? {
            Err(ahead) => ahead,
            Ok(mut page) => {
                let mut bytes = 0;
                Self::fill_page(c, user_id, &mut page, &mut bytes, limits, limits.rows)?;
                Pull::Page(page)
            }
        })
    }

    /// The checks before a page (in the pull's read transaction): an empty page at
    /// `since`, or [`Pull::CursorAhead`].
    fn start_page(
        c: &Connection,
        user_id: i64,
        since: u64,
    ) -> StorageResult<Result<PullPage, Pull>> {
        let seq: i64 = c
            .prepare_cached(USER_SEQ)?
            .query_row([user_id], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let seq = seq as u64;
        let in_gap: bool = c
            .prepare_cached(IN_GAP)?
            .query_row(params![user_id, to_i64(since)], |r| r.get(0))?;
        if never_issued(since, seq, in_gap) {
            return Ok(Err(Pull::CursorAhead { since, seq }));
        }
        Ok(Ok(PullPage {
            rows: Vec::new(),
            cursor: since,
            has_more: false,
        }))
    }

    /// Adds rows after `page.cursor` until `limits` say the page is full (then
    /// `has_more`), the rows run out, or `now` rows were added. True when the page is
    /// finished.
    fn fill_page(
        c: &Connection,
        user_id: i64,
        page: &mut PullPage,
        bytes: &mut usize,
        limits: PageLimits,
        now: usize,
    ) -> StorageResult<bool> {
        let after = i64::try_from(page.cursor).unwrap_or(i64::MAX);
        let wanted = limits.rows.saturating_sub(page.rows.len());
        let mut stmt = c.prepare_cached(PULL)?;
        // One extra row tells whether another page follows.
        let mut q = stmt.query(params![user_id, after, wanted.min(now) as i64 + 1])?;
        let mut added = 0;
        while let Some(r) = q.next()? {
            let row = StoredRow {
                table: r.get(0)?,
                id: r.get(1)?,
                hlc: r.get(2)?,
                deleted: r.get(3)?,
                data: r.get(4)?,
                seq: r.get::<_, i64>(5)? as u64,
            };
            let len = row.json_len() + 1;
            if page.rows.len() == limits.rows
                || (!page.rows.is_empty() && *bytes + len > limits.bytes)
            {
                page.has_more = true;
                return Ok(true);
            }
            if added == now {
                // Stopped for the caller, not for the limits: the next call goes on from
                // the cursor (this row is read again then).
                return Ok(false);
            }
            *bytes += len;
            page.cursor = row.seq;
            page.rows.push(row);
            added += 1;
        }
        Ok(true)
    }

    fn reader(&self) -> StorageResult<Connection> {
        if let Some(c) = lock(&self.readers).pop() {
            return Ok(c);
        }
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&c)?;
        c.pragma_update(None, "cache_size", -512)?;
        Ok(c)
    }
}

fn put_reader(pool: &Mutex<Vec<Connection>>, conn: Connection) {
    let mut idle = lock(pool);
    if idle.len() < MAX_IDLE_READERS {
        idle.push(conn);
    }
}

/// The rest of a pull page that [`Storage::pull_begin`] left for the blocking pool: the
/// reader with its read transaction still open, so it reads the same snapshot.
struct PullRest {
    readers: Arc<Mutex<Vec<Connection>>>,
    stats: Arc<QueryStats>,
    conn: Option<Connection>,
    user_id: i64,
    page: PullPage,
    bytes: usize,
    limits: PageLimits,
    started: std::time::Instant,
}

impl PullRest {
    fn run(mut self) -> StorageResult<Pull> {
        let Some(conn) = self.conn.take() else {
            return Err(StorageError::Unavailable("the pull lost its reader".into()));
        };
        let out = SqliteStorage::fill_page(
            &conn,
            self.user_id,
            &mut self.page,
            &mut self.bytes,
            self.limits,
            usize::MAX,
        );
        let end = run_cached(&conn, "COMMIT");
        put_reader(&self.readers, conn);
        self.stats.record("rows.pull", self.started.elapsed());
        out?;
        end?;
        Ok(Pull::Page(std::mem::replace(
            &mut self.page,
            PullPage {
                rows: Vec::new(),
                cursor: 0,
                has_more: false,
            },
        )))
    }
}

impl Drop for PullRest {
    fn drop(&mut self) {
        // Never run (the request went away): end the read transaction, keep the reader.
        if let Some(conn) = self.conn.take() {
            if run_cached(&conn, "ROLLBACK").is_ok() {
                put_reader(&self.readers, conn);
            }
        }
    }
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        password_hash: r.get(2)?,
        devices: r.get::<_, i64>(3)? as u64,
        rows: r.get::<_, i64>(4)? as u64,
    })
}

impl Storage for SqliteStorage {
    fn server_epoch(&self) -> &str {
        &self.server_epoch
    }

    fn inline_reads(&self) -> bool {
        // A token check is an index lookup of a few microseconds, the start of a pull a few
        // more: cheaper inline on the async worker than a hand-off to the blocking pool and
        // back (the context switches were the largest kernel cost under load).
        true
    }

    fn export_inventory(&self) -> StorageResult<Inventory> {
        self.read("export.inventory", |c| {
            c.execute_batch("BEGIN")?;
            let out = (|| {
                let server_epoch = c.query_row(SERVER_EPOCH, [], |r| r.get(0))?;
                let accounts = c
                    .prepare(EXPORT_ACCOUNTS)?
                    .query_map([], |r| {
                        Ok(AccountRecord {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            password_hash: r.get(2)?,
                            seq: r.get::<_, i64>(3)? as u64,
                            epoch: r.get(4)?,
                            created_at_ms: r.get(5)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                let devices = c
                    .prepare(EXPORT_DEVICES)?
                    .query_map([], |r| {
                        Ok(DeviceRecord {
                            id: r.get(0)?,
                            user_id: r.get(1)?,
                            name: r.get(2)?,
                            token_hash: r.get(3)?,
                            created_at_ms: r.get(4)?,
                            revoked: r.get(5)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                let gaps = c
                    .prepare(EXPORT_GAPS)?
                    .query_map([], |r| {
                        Ok(GapRecord {
                            user_id: r.get(0)?,
                            lo: r.get::<_, i64>(1)? as u64,
                            hi: r.get::<_, i64>(2)? as u64,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(Inventory {
                    server_epoch,
                    accounts,
                    devices,
                    gaps,
                })
            })();
            c.execute_batch("COMMIT")?;
            out
        })
    }

    fn export_rows(&self, after: (i64, u64), limit: usize) -> StorageResult<Vec<(i64, StoredRow)>> {
        self.read("export.rows", |c| {
            let mut stmt = c.prepare_cached(EXPORT_ROWS)?;
            let rows = stmt.query_map(
                params![
                    after.0,
                    i64::try_from(after.1).unwrap_or(i64::MAX),
                    limit as i64
                ],
                |r| {
                    Ok((
                        r.get(0)?,
                        StoredRow {
                            table: r.get(1)?,
                            id: r.get(2)?,
                            hlc: r.get(3)?,
                            deleted: r.get(4)?,
                            data: r.get(5)?,
                            seq: r.get::<_, i64>(6)? as u64,
                        },
                    ))
                },
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn import_inventory(&self, inv: &Inventory) -> StorageResult<()> {
        let inv = inv.clone();
        self.write("import.inventory", move |tx| {
            let existing: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
            if existing > 0 {
                return Err(StorageError::NotEmpty(existing as u64));
            }
            for a in &inv.accounts {
                tx.prepare_cached(IMPORT_ACCOUNT)?.execute(params![
                    a.id,
                    a.name,
                    a.password_hash,
                    a.seq as i64,
                    a.epoch,
                    a.created_at_ms
                ])?;
            }
            for d in &inv.devices {
                tx.prepare_cached(IMPORT_DEVICE)?.execute(params![
                    d.id,
                    d.user_id,
                    d.name,
                    d.token_hash,
                    d.created_at_ms,
                    d.revoked
                ])?;
            }
            for g in &inv.gaps {
                tx.prepare_cached(ADD_GAP)?.execute(params![
                    g.user_id,
                    g.lo as i64,
                    g.hi as i64
                ])?;
            }
            Ok(())
        })
    }

    fn import_rows(&self, rows: Vec<(i64, StoredRow)>) -> StorageResult<()> {
        self.write("import.rows", move |tx| {
            let mut stmt = tx.prepare_cached(IMPORT_ROW)?;
            for (user_id, r) in &rows {
                stmt.execute(params![
                    user_id,
                    r.table,
                    r.id,
                    r.hlc,
                    r.deleted,
                    r.data,
                    r.seq as i64
                ])?;
            }
            Ok(())
        })
    }

    fn set_server_epoch(&self, epoch: &str) -> StorageResult<()> {
        let epoch = epoch.to_owned();
        self.write("server.set_epoch", move |tx| {
            tx.execute(SET_SERVER_EPOCH, [&epoch])?;
            Ok(())
        })
    }

    fn add_user(&self, name: &str, password_hash: &str) -> StorageResult<()> {
        let (name, password_hash) = (name.to_owned(), password_hash.to_owned());
        self.write("user.add", move |tx| {
            match tx.prepare_cached(ADD_USER)?.execute(params![
                name,
                password_hash,
                now_ms(),
                new_epoch()
            ]) {
                Ok(_) => Ok(()),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Err(StorageError::UserExists(name))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn set_password(&self, name: &str, password_hash: &str) -> StorageResult<()> {
        let (name, password_hash) = (name.to_owned(), password_hash.to_owned());
        self.write("user.passwd", move |tx| {
            let n = tx
                .prepare_cached(SET_PASSWORD)?
                .execute(params![name, password_hash])?;
            if n == 0 {
                return Err(StorageError::NoSuchUser(name));
            }
            Ok(())
        })
    }

    fn remove_user(&self, name: &str) -> StorageResult<()> {
        let name = name.to_owned();
        self.write("user.remove", move |tx| {
            if tx.prepare_cached(REMOVE_USER)?.execute([&name])? == 0 {
                return Err(StorageError::NoSuchUser(name));
            }
            Ok(())
        })
    }

    fn user(&self, name: &str) -> StorageResult<Option<User>> {
        self.read("user.get", |c| {
            let sql = format!("{USER_COLUMNS} WHERE u.name = ?1");
            Ok(c.prepare_cached(&sql)?
                .query_row([name], user_from_row)
                .optional()?)
        })
    }

    fn users(&self) -> StorageResult<Vec<User>> {
        self.read("user.list", |c| {
            let sql = format!("{USER_COLUMNS} ORDER BY u.name");
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([], user_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn login_user(&self, name: &str) -> StorageResult<Option<LoginUser>> {
        self.read("user.login", |c| {
            Ok(c.prepare_cached(LOGIN_USER)?
                .query_row([name], |r| {
                    Ok(LoginUser {
                        id: r.get(0)?,
                        password_hash: r.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    fn add_device(&self, user_id: i64, name: &str, token_hash: &str) -> StorageResult<String> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let (name, token_hash) = (name.to_owned(), token_hash.to_owned());
        self.write("device.add", move |tx| {
            tx.prepare_cached(ADD_DEVICE)?.execute(params![
                id,
                user_id,
                name,
                token_hash,
                now_ms()
            ])?;
            Ok(id)
        })
    }

    fn devices(&self, user: Option<&str>) -> StorageResult<Vec<Device>> {
        self.read("device.list", |c| {
            let mut stmt = c.prepare_cached(DEVICES)?;
            let rows = stmt.query_map([user], |r| {
                Ok(Device {
                    id: r.get(0)?,
                    user_id: r.get(1)?,
                    user: r.get(2)?,
                    name: r.get(3)?,
                    revoked: r.get(4)?,
                    created_at_ms: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn revoke_device(&self, device_id: &str) -> StorageResult<()> {
        let device_id = device_id.to_owned();
        self.write("device.revoke", move |tx| {
            if tx.prepare_cached(REVOKE_DEVICE)?.execute([&device_id])? == 0 {
                return Err(StorageError::NoSuchDevice(device_id));
            }
            Ok(())
        })
    }

    fn authenticate(&self, token_hash: &str) -> StorageResult<Option<Principal>> {
        self.read("device.authenticate", |c| {
            Ok(c.prepare_cached(AUTHENTICATE)?
                .query_row([token_hash], |r| {
                    Ok(Principal {
                        user_id: r.get(0)?,
                        device_id: r.get(1)?,
                        account_epoch: r.get(2)?,
                    })
                })
                .optional()?)
        })
    }

    fn push(
        &self,
        user_id: i64,
        rows: Vec<PushRow>,
        floor: u64,
        known: u64,
    ) -> StorageResult<Pushed> {
        // Formatted before the write: the writer's work is serialised, this is not.
        let hlcs: Vec<String> = rows.iter().map(|r| r.hlc.to_string()).collect();
        self.write("rows.push", move |tx| {
            let mut seq = tx
                .prepare_cached(USER_SEQ)?
                .query_row([user_id], |r| r.get::<_, i64>(0))? as u64;
            if known > 0 {
                let in_gap: bool = tx
                    .prepare_cached(IN_GAP)?
                    .query_row(params![user_id, to_i64(known)], |r| r.get(0))?;
                if never_issued(known, seq, in_gap) {
                    return Ok(Pushed::CursorAhead { known, seq });
                }
            }
            let mut outcomes = Vec::with_capacity(rows.len());
            let mut get = tx.prepare_cached(ROW_HLC)?;
            let mut upsert = tx.prepare_cached(UPSERT_ROW)?;
            for (row, hlc) in rows.iter().zip(&hlcs) {
                let table = row.table.name();
                let (next, gap) = next_seq(seq, floor);
                let changed = upsert.execute(params![
                    user_id,
                    table,
                    row.id,
                    hlc,
                    row.deleted,
                    row.data,
                    next as i64
                ])?;
                let outcome = if changed > 0 {
                    if let Some((lo, hi)) = gap {
                        tx.prepare_cached(ADD_GAP)?
                            .execute(params![user_id, lo as i64, hi as i64])?;
                    }
                    seq = next;
                    RowOutcome::Applied
                } else {
                    // Not newer than the stored version: the same one, or an older one.
                    let stored: String =
                        get.query_row(params![user_id, table, row.id], |r| r.get(0))?;
                    if stored == *hlc {
                        RowOutcome::Duplicate
                    } else {
                        RowOutcome::Stale
                    }
                };
                outcomes.push(outcome);
            }
            tx.prepare_cached(SET_USER_SEQ)?
                .execute(params![user_id, seq as i64])?;
            Ok(Pushed::Stored(outcomes, seq))
        })
    }

    fn pull_begin(
        &self,
        user_id: i64,
        since: u64,
        limits: PageLimits,
        inline_rows: usize,
    ) -> StorageResult<PullStep> {
        let started = std::time::Instant::now();
        let conn = self.reader()?;
        let step = (|| {
            run_cached(&conn, "BEGIN")?;
            let mut page = match Self::start_page(&conn, user_id, since)? {
                Ok(page) => page,
                Err(ahead) => return Ok(Err(ahead)),
            };
            let mut bytes = 0;
            let done = Self::fill_page(
                &conn,
                user_id,
                &mut page,
                &mut bytes,
                limits,
                inline_rows.max(1),
            )?;
            Ok::<_, StorageError>(Ok((page, bytes, done)))
        })();
        if let Ok(Ok((page, bytes, false))) = step {
            let rest = PullRest {
                readers: self.readers.clone(),
                stats: self.stats.clone(),
                conn: Some(conn),
                user_id,
                page,
                bytes,
                limits,
                started,
            };
            return Ok(PullStep::More(Box::new(move || rest.run())));
        }
        let end = run_cached(&conn, "COMMIT");
        put_reader(&self.readers, conn);
        self.stats.record("rows.pull", started.elapsed());
        let pull = match step? {
            Err(ahead) => ahead,
            Ok((page, _, _)) => Pull::Page(page),
        };
        end?;
        Ok(PullStep::Done(pull))
    }

    fn pull(&self, user_id: i64, since: u64, limits: PageLimits) -> StorageResult<Pull> {
        self.read("rows.pull", |c| {
            run_cached(c, "BEGIN")?;
            let out = Self::pull_in_snapshot(c, user_id, since, limits);
            run_cached(c, "COMMIT")?;
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_fsyncs_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let stats = Arc::new(QueryStats::new());
        let s = SqliteStorage::open(dir.path().join("s.db"), stats.clone()).unwrap();
        assert_eq!(s.synchronous().unwrap(), 2, "synchronous=FULL");
        drop(s);
        let normal = SqliteOptions {
            synchronous_full: false,
        };
        let s = SqliteStorage::open_with(dir.path().join("s.db"), stats, normal).unwrap();
        assert_eq!(s.synchronous().unwrap(), 1);
    }

    #[test]
    fn a_protocol_1_database_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(migrate::SQLITE[0].sql).unwrap();
            c.execute_batch(
                "INSERT INTO users (id, name, password_hash, seq, created_at)                      VALUES (1, 'ann', 'h', 2, 0);
                 INSERT INTO rows VALUES (1, 'vehicles', 'id-1', '000000000000005-00000000-ab',                      0, '{\"name\":\"Golf\"}', 2, 'dev');",
            )
            .unwrap();
        }
        let s = SqliteStorage::open(&path, Arc::new(QueryStats::new())).unwrap();
        assert_eq!(s.server_epoch().len(), 32);
        let limits = PageLimits {
            rows: 10,
            bytes: 1 << 20,
        };
        let Pull::Page(page) = s.pull(1, 0, limits).unwrap() else {
            panic!("page expected");
        };
        assert_eq!(page.rows[0].data, "{\"name\":\"Golf\"}");
        assert_eq!(page.cursor, 2);
        assert!(matches!(
            s.pull(1, 3, limits).unwrap(),
            Pull::CursorAhead { .. }
        ));
        drop(s);
        // A database from a newer server is refused, not written into.
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let e = SqliteStorage::open(&path, Arc::new(QueryStats::new()))
            .err()
            .expect("refused");
        assert!(e.to_string().contains("schema version 99"), "{e}");
    }
}
