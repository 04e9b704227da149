//! The embedded SQLite backend. One writer connection (SQLite has one writer anyway, and
//! holding it in a mutex makes "commit order = sequence order" true by construction: the
//! sequence is bumped inside the write transaction) plus a pool of readers for pulls and
//! token checks, which WAL lets run beside the writer on a committed snapshot.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use glovebox_protocol::sync::{RowOutcome, RowResult, SyncRow};
use glovebox_protocol::Hlc;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::{Device, Principal, PullPage, Storage, StorageError, StorageResult, User};
use crate::stats::QueryStats;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    seq            INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS devices_by_user ON devices (user_id);
-- The user is the first key column: a guessed row id alone addresses nothing.
-- A rowid table (not WITHOUT ROWID): rows carry a few hundred bytes of JSON, too wide to
-- keep inside a key b-tree efficiently. `origin` is the device that pushed this version;
-- pulls skip a device's own versions (it already has them, or newer).
CREATE TABLE IF NOT EXISTS rows (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tbl      TEXT NOT NULL,
    id       TEXT NOT NULL,
    hlc      TEXT NOT NULL,
    deleted  INTEGER NOT NULL,
    data     TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    origin   TEXT NOT NULL,
    PRIMARY KEY (user_id, tbl, id)
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS rows_by_seq ON rows (user_id, seq);
";

const ADD_USER: &str = "INSERT INTO users (name, password_hash, created_at) VALUES (?1, ?2, ?3)";
const SET_PASSWORD: &str = "UPDATE users SET password_hash = ?2 WHERE name = ?1";
const REMOVE_USER: &str = "DELETE FROM users WHERE name = ?1";
const USER_COLUMNS: &str = "SELECT u.id, u.name, u.password_hash, \
     (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.revoked = 0), \
     (SELECT count(*) FROM rows r WHERE r.user_id = u.id) FROM users u";
const ADD_DEVICE: &str =
    "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
const DEVICES: &str = "SELECT d.id, d.user_id, u.name, d.name, d.revoked, d.created_at \
     FROM devices d JOIN users u ON u.id = d.user_id \
     WHERE ?1 IS NULL OR u.name = ?1 ORDER BY u.name, d.created_at";
const REVOKE_DEVICE: &str = "UPDATE devices SET revoked = 1 WHERE id = ?1";
const AUTHENTICATE: &str = "SELECT user_id, id FROM devices WHERE token_hash = ?1 AND revoked = 0";
const ROW_HLC: &str = "SELECT hlc FROM rows WHERE user_id = ?1 AND tbl = ?2 AND id = ?3";
const UPSERT_ROW: &str = "INSERT INTO rows (user_id, tbl, id, hlc, deleted, data, seq, origin) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
     ON CONFLICT (user_id, tbl, id) DO UPDATE SET hlc = excluded.hlc, \
     deleted = excluded.deleted, data = excluded.data, seq = excluded.seq, \
     origin = excluded.origin";
const USER_SEQ: &str = "SELECT seq FROM users WHERE id = ?1";
const SET_USER_SEQ: &str = "UPDATE users SET seq = ?2 WHERE id = ?1";
const PULL: &str = "SELECT tbl, id, hlc, deleted, data, seq FROM rows \
     WHERE user_id = ?1 AND seq > ?2 AND origin <> ?4 ORDER BY seq LIMIT ?3";

/// Enough idle readers for the blocking pool's concurrent pulls and token checks: closing
/// and reopening connections under load cost more than keeping them.
const MAX_IDLE_READERS: usize = 64;

pub struct SqliteStorage {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    stats: Arc<QueryStats>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.set_prepared_statement_cache_capacity(32);
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl SqliteStorage {
    pub fn open(path: impl AsRef<Path>, stats: Arc<QueryStats>) -> StorageResult<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let writer = Connection::open(&path)?;
        configure(&writer)?;
        // 64 MiB page cache (negative = KiB) for the writer only: the row table outgrows
        // the 2 MiB default fast. Readers get a small one (see `read`): in WAL mode a reader drops
        // its whole cache whenever the database changed since its last read, and
        // truncating a large cache on every pull showed up as the top cost under load.
        writer.pragma_update(None, "cache_size", -65536)?;
        let _: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        writer.execute_batch(SCHEMA)?;
        Ok(SqliteStorage {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            stats,
        })
    }

    fn read<T>(
        &self,
        name: &'static str,
        f: impl FnOnce(&Connection) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let conn = match lock(&self.readers).pop() {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                // Small caches for readers: each one is cleared whenever a push committed
                // since its last read, and clearing costs with the cache's size.
                c.pragma_update(None, "cache_size", -512)?;
                c
            }
        };
        let out = self.stats.time(name, || f(&conn));
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    fn write<T>(
        &self,
        name: &'static str,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let mut conn = lock(&self.writer);
        self.stats.time(name, || {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
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
    fn add_user(&self, name: &str, password_hash: &str) -> StorageResult<()> {
        self.write("user.add", |tx| {
            match tx
                .prepare_cached(ADD_USER)?
                .execute(params![name, password_hash, now_ms()])
            {
                Ok(_) => Ok(()),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Err(StorageError::UserExists(name.to_owned()))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn set_password(&self, name: &str, password_hash: &str) -> StorageResult<()> {
        self.write("user.passwd", |tx| {
            let n = tx
                .prepare_cached(SET_PASSWORD)?
                .execute(params![name, password_hash])?;
            if n == 0 {
                return Err(StorageError::NoSuchUser(name.to_owned()));
            }
            Ok(())
        })
    }

    fn remove_user(&self, name: &str) -> StorageResult<()> {
        self.write("user.remove", |tx| {
            if tx.prepare_cached(REMOVE_USER)?.execute([name])? == 0 {
                return Err(StorageError::NoSuchUser(name.to_owned()));
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

    fn add_device(&self, user_id: i64, name: &str, token_hash: &str) -> StorageResult<String> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        self.write("device.add", |tx| {
            tx.prepare_cached(ADD_DEVICE)?.execute(params![
                id,
                user_id,
                name,
                token_hash,
                now_ms()
            ])?;
            Ok(id.clone())
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
        self.write("device.revoke", |tx| {
            if tx.prepare_cached(REVOKE_DEVICE)?.execute([device_id])? == 0 {
                return Err(StorageError::NoSuchDevice(device_id.to_owned()));
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
                    })
                })
                .optional()?)
        })
    }

    fn push(
        &self,
        user_id: i64,
        device_id: &str,
        rows: &[SyncRow],
    ) -> StorageResult<(Vec<RowResult>, u64)> {
        self.write("rows.push", |tx| {
            let mut seq: i64 = tx
                .prepare_cached(USER_SEQ)?
                .query_row([user_id], |r| r.get(0))?;
            let mut results = Vec::with_capacity(rows.len());
            let mut get = tx.prepare_cached(ROW_HLC)?;
            let mut upsert = tx.prepare_cached(UPSERT_ROW)?;
            for row in rows {
                let stored: Option<String> = get
                    .query_row(params![user_id, row.table, row.id], |r| r.get(0))
                    .optional()?;
                let stored = stored
                    .map(|s| s.parse::<Hlc>())
                    .transpose()
                    .map_err(|e| StorageError::Corrupt(e.to_string()))?;
                let outcome = match stored {
                    Some(s) if s == row.hlc => RowOutcome::Duplicate,
                    Some(s) if s > row.hlc => RowOutcome::Stale,
                    _ => {
                        seq += 1;
                        let data = serde_json::to_string(&row.data)
                            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
                        upsert.execute(params![
                            user_id,
                            row.table,
                            row.id,
                            row.hlc.to_string(),
                            row.deleted,
                            data,
                            seq,
                            device_id
                        ])?;
                        RowOutcome::Applied
                    }
                };
                results.push(RowResult::new(row.table.clone(), row.id.clone(), outcome));
            }
            tx.prepare_cached(SET_USER_SEQ)?
                .execute(params![user_id, seq])?;
            Ok((results, seq as u64))
        })
    }

    fn pull(
        &self,
        user_id: i64,
        device_id: &str,
        since: u64,
        limit: usize,
    ) -> StorageResult<PullPage> {
        self.read("rows.pull", |c| {
            // One read transaction: the user's sequence and the rows come from the same
            // snapshot, so "caught up to seq" below is exact.
            c.execute_batch("BEGIN")?;
            let out = pull_in_snapshot(c, user_id, device_id, since, limit);
            c.execute_batch("COMMIT")?;
            out
        })
    }
}

fn pull_in_snapshot(
    c: &Connection,
    user_id: i64,
    device_id: &str,
    since: u64,
    limit: usize,
) -> StorageResult<PullPage> {
    let mut stmt = c.prepare_cached(PULL)?;
    // One extra row tells whether another page follows.
    let mut q = stmt.query(params![user_id, since as i64, limit as i64 + 1, device_id])?;
    let mut rows = Vec::new();
    let mut cursor = since;
    let mut has_more = false;
    while let Some(r) = q.next()? {
        if rows.len() == limit {
            has_more = true;
            break;
        }
        let hlc: String = r.get(2)?;
        let data: String = r.get(4)?;
        let corrupt = |e: String| StorageError::Corrupt(e);
        rows.push(SyncRow {
            table: r.get(0)?,
            id: r.get(1)?,
            hlc: hlc
                .parse()
                .map_err(|e: glovebox_protocol::HlcError| corrupt(e.to_string()))?,
            deleted: r.get(3)?,
            data: serde_json::from_str(&data).map_err(|e| corrupt(e.to_string()))?,
        });
        cursor = r.get::<_, i64>(5)? as u64;
    }
    if !has_more {
        // Everything up to the user's sequence was either sent or is this
        // device's own; jump past the latter so it is not scanned again.
        let seq: i64 = c
            .prepare_cached(USER_SEQ)?
            .query_row([user_id], |r| r.get(0))?;
        cursor = cursor.max(seq as u64);
    }
    Ok(PullPage {
        rows,
        cursor,
        has_more,
    })
}
