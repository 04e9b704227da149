//! The `sync_rejected` table (migrations/0003_sync_safety.sql): local versions the server
//! refused, held back by their exact (table, id, hlc). When one may go again is the sync
//! engine's policy (sync/rejected.rs); this is its storage.

use glovebox_protocol::SyncTable;
use rusqlite::{params, Connection};

use super::sync_rows::{per_table, per_table_cells, PerTable};
use crate::sync::RejectedRow;

const RECORD: &str =
    "INSERT INTO sync_rejected (tbl, id, hlc, code, reason, rejected_at, app_version) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tbl, id) DO UPDATE SET hlc = excluded.hlc, \
     code = excluded.code, reason = excluded.reason, rejected_at = excluded.rejected_at, \
     app_version = excluded.app_version";
const LIST: &str = "SELECT tbl, id, hlc, code, reason, rejected_at FROM sync_rejected \
     ORDER BY rejected_at DESC, tbl, id";
const COUNT: &str = "SELECT count(*) FROM sync_rejected";
const CLOCK_AHEAD: &str = "SELECT tbl, id, hlc FROM sync_rejected WHERE code = 'clock_ahead'";
const DELETE_ONE: &str = "DELETE FROM sync_rejected WHERE tbl = ?1 AND id = ?2";
const DELETE_ALL: &str = "DELETE FROM sync_rejected";
const DELETE_OTHER_BUILDS: &str = "DELETE FROM sync_rejected WHERE app_version <> ?1";

/// A refused version: (table, id, hlc text, code, reason), at `rejected_at` by build
/// `app_version`.
pub(crate) struct Refusal<'a> {
    pub tbl: &'a str,
    pub id: &'a str,
    pub hlc: &'a str,
    pub code: &'a str,
    pub reason: &'a str,
    pub rejected_at: i64,
    pub app_version: &'a str,
}

pub(crate) fn record(conn: &Connection, r: &Refusal<'_>) -> crate::Result<()> {
    conn.prepare_cached(RECORD)?.execute(params![
        r.tbl,
        r.id,
        r.hlc,
        r.code,
        r.reason,
        r.rejected_at,
        r.app_version,
    ])?;
    Ok(())
}

pub(crate) fn delete(conn: &Connection, tbl: &str, id: &str) -> crate::Result<()> {
    conn.prepare_cached(DELETE_ONE)?.execute([tbl, id])?;
    Ok(())
}

pub(crate) fn clear_all(conn: &Connection) -> crate::Result<()> {
    conn.prepare_cached(DELETE_ALL)?.execute([])?;
    Ok(())
}

/// Drops entries recorded by another build than `app_version`.
pub(crate) fn delete_other_builds(conn: &Connection, app_version: &str) -> crate::Result<usize> {
    Ok(conn
        .prepare_cached(DELETE_OTHER_BUILDS)?
        .execute([app_version])?)
}

/// Drops entries whose exact version is no longer a dirty row (edited since: another
/// HLC; or no longer dirty): nothing left to hold back.
pub(crate) fn delete_not_held(conn: &Connection) -> crate::Result<usize> {
    static SQL: PerTable = per_table_cells();
    let mut n = 0;
    for table in SyncTable::ALL {
        let sql = per_table(&SQL, table, |t| {
            format!(
                "DELETE FROM sync_rejected WHERE tbl = '{t}' AND NOT EXISTS \
                 (SELECT 1 FROM {t} WHERE {t}.id = sync_rejected.id \
                  AND {t}.hlc = sync_rejected.hlc AND {t}.dirty = 1)"
            )
        });
        n += conn.prepare_cached(sql)?.execute([])?;
    }
    Ok(n)
}

/// (table, id, hlc text) of every entry refused as stamped too far ahead.
pub(crate) fn clock_ahead(conn: &Connection) -> crate::Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached(CLOCK_AHEAD)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn list(conn: &Connection) -> crate::Result<Vec<RejectedRow>> {
    let mut stmt = conn.prepare_cached(LIST)?;
    let rows = stmt.query_map([], |r| {
        Ok(RejectedRow {
            table: r.get(0)?,
            id: r.get(1)?,
            hlc: r.get(2)?,
            code: r.get(3)?,
            reason: r.get(4)?,
            rejected_at_ms: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn count(conn: &Connection) -> crate::Result<u64> {
    Ok(conn
        .prepare_cached(COUNT)?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}
