//! The `sync_quarantine` table (migrations/0003_sync_safety.sql): pulled row versions this
//! build could not apply, one entry per (table, id). What goes in and when it is retried
//! is the sync engine's policy (sync/quarantine.rs); this is its storage.

use glovebox_protocol::SyncTable;
use rusqlite::OptionalExtension;
use rusqlite::{params, Connection};

use super::sync_rows::{per_table, per_table_cells, PerTable};
use crate::sync::QuarantinedRow;

/// An entry as stored. `data` is the row's data as JSON text.
pub(crate) struct Entry<'a> {
    pub tbl: &'a str,
    pub id: &'a str,
    pub hlc: &'a str,
    pub deleted: bool,
    pub data: &'a str,
    pub code: &'a str,
    pub reason: &'a str,
    pub received_at: i64,
    pub app_version: &'a str,
}

/// An entry read back for a retry (hlc and data still as stored text).
pub(crate) struct StoredEntry {
    pub tbl: String,
    pub id: String,
    pub hlc: String,
    pub deleted: bool,
    pub data: String,
    pub code: String,
    pub app_version: String,
}

/// A newer version of the row replaces its entry; an older one leaves it.
const PUT: &str = "INSERT INTO sync_quarantine \
     (tbl, id, hlc, deleted, data, code, reason, received_at, app_version) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (tbl, id) DO UPDATE SET hlc = excluded.hlc, deleted = excluded.deleted, \
     data = excluded.data, code = excluded.code, reason = excluded.reason, \
     received_at = excluded.received_at, app_version = excluded.app_version \
     WHERE excluded.hlc >= sync_quarantine.hlc";
const LIST: &str = "SELECT tbl, id, hlc, deleted, code, reason, received_at, app_version \
     FROM sync_quarantine ORDER BY received_at DESC, tbl, id";
/// Every entry (?1 = 1), or those tried by another build than ?2 or waiting for the clock.
/// The others are not even read: a newer Glovebox syncing a table this one lacks can
/// leave many here.
const ENTRIES: &str = "SELECT tbl, id, hlc, deleted, data, code, app_version \
     FROM sync_quarantine WHERE ?1 = 1 OR app_version <> ?2 OR code = 'clock_ahead'";
const DELETE_ONE: &str = "DELETE FROM sync_quarantine WHERE tbl = ?1 AND id = ?2";
const DELETE_ALL: &str = "DELETE FROM sync_quarantine";
const COUNT: &str = "SELECT count(*) FROM sync_quarantine";
const RETAG: &str = "UPDATE sync_quarantine SET app_version = ?3 WHERE tbl = ?1 AND id = ?2";

pub(crate) fn put(conn: &Connection, e: &Entry<'_>) -> crate::Result<()> {
    conn.prepare_cached(PUT)?.execute(params![
        e.tbl,
        e.id,
        e.hlc,
        e.deleted,
        e.data,
        e.code,
        e.reason,
        e.received_at,
        e.app_version,
    ])?;
    Ok(())
}

pub(crate) fn clear_all(conn: &Connection) -> crate::Result<()> {
    conn.prepare_cached(DELETE_ALL)?.execute([])?;
    Ok(())
}

pub(crate) fn count(conn: &Connection) -> crate::Result<u64> {
    Ok(conn
        .prepare_cached(COUNT)?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}

pub(crate) fn delete(conn: &Connection, tbl: &str, id: &str) -> crate::Result<()> {
    conn.prepare_cached(DELETE_ONE)?.execute([tbl, id])?;
    Ok(())
}

/// Marks an entry as tried by build `app_version`.
pub(crate) fn retag(
    conn: &Connection,
    tbl: &str,
    id: &str,
    app_version: &str,
) -> crate::Result<()> {
    conn.prepare_cached(RETAG)?
        .execute(params![tbl, id, app_version])?;
    Ok(())
}

/// Drops the entry for (table, id) if the table now holds a version at least as new.
pub(crate) fn drop_obsolete(conn: &Connection, table: SyncTable, id: &str) -> crate::Result<()> {
    static SQL: PerTable = per_table_cells();
    let sql = per_table(&SQL, table, |t| {
        format!(
            "DELETE FROM sync_quarantine WHERE tbl = '{t}' AND id = ?1 \
             AND hlc <= (SELECT hlc FROM {t} WHERE id = ?1)"
        )
    });
    conn.prepare_cached(sql)?.execute([id])?;
    Ok(())
}

/// Drops every entry its table holds a version at least as new of.
pub(crate) fn drop_all_obsolete(conn: &Connection) -> crate::Result<usize> {
    static SQL: PerTable = per_table_cells();
    let mut n = 0;
    for table in SyncTable::ALL {
        let sql = per_table(&SQL, table, |t| {
            format!(
                "DELETE FROM sync_quarantine WHERE tbl = '{t}' \
                 AND hlc <= (SELECT hlc FROM {t} WHERE {t}.id = sync_quarantine.id)"
            )
        });
        n += conn.prepare_cached(sql)?.execute([])?;
    }
    Ok(n)
}

/// Every entry for the UI, newest first.
pub(crate) fn list(conn: &Connection) -> crate::Result<Vec<QuarantinedRow>> {
    let mut stmt = conn.prepare_cached(LIST)?;
    let rows = stmt.query_map([], |r| {
        Ok(QuarantinedRow {
            table: r.get(0)?,
            id: r.get(1)?,
            hlc: r.get(2)?,
            deleted: r.get(3)?,
            code: r.get(4)?,
            reason: r.get(5)?,
            received_at_ms: r.get(6)?,
            app_version: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every entry (`all`), or those another build than `app_version` tried and those
/// waiting for the clock.
pub(crate) fn entries(
    conn: &Connection,
    all: bool,
    app_version: &str,
) -> crate::Result<Vec<StoredEntry>> {
    let mut stmt = conn.prepare_cached(ENTRIES)?;
    let rows = stmt.query_map(params![all, app_version], |r| {
        Ok(StoredEntry {
            tbl: r.get(0)?,
            id: r.get(1)?,
            hlc: r.get(2)?,
            deleted: r.get(3)?,
            data: r.get(4)?,
            code: r.get(5)?,
            app_version: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const DATA_OF: &str = "SELECT data FROM sync_quarantine WHERE tbl = ?1 AND id = ?2";

/// The data a quarantined row arrived with (its JSON text), if `tbl`/`id` is held.
pub(crate) fn data_of(conn: &Connection, tbl: &str, id: &str) -> crate::Result<Option<String>> {
    Ok(conn
        .prepare_cached(DATA_OF)?
        .query_row([tbl, id], |r| r.get(0))
        .optional()?)
}
