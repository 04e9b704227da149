//! Local versions the server refused (push outcome `rejected`, or a row this device knows
//! the server would refuse: larger than its limit, a single row answered 413).
//!
//! A rejected version is neither marked clean (it is not on the server; the user must see
//! that) nor pushed again in every round (it would be refused again, forever): its exact
//! (table, id, hlc) is held back. It goes out again when
//! - the user edits the record (a new HLC: the entry no longer matches and is dropped),
//! - this Glovebox is upgraded (another `app_version`: the rules may have changed),
//! - for `clock_ahead`, the server's clock has caught up with the row's stamp,
//! - the device resets with its server (a different server may take it).

use glovebox_protocol::{Hlc, SyncTable, MAX_CLOCK_DRIFT_MS};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::app_version;
use crate::time;

/// A version the server refused, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RejectedRow {
    pub table: String,
    pub id: String,
    pub hlc: String,
    /// The server's stable code (`glovebox_protocol::RowProblem::code`, or an HTTP error
    /// code such as `body_too_large`).
    pub code: String,
    pub reason: String,
    /// Millis since the Unix epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rejected_at_ms: i64,
}

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

pub(crate) fn record(
    conn: &Connection,
    table: &str,
    id: &str,
    hlc: &Hlc,
    code: &str,
    reason: &str,
) -> crate::Result<()> {
    conn.prepare_cached(RECORD)?.execute(params![
        table,
        id,
        hlc.to_string(),
        code,
        reason,
        time::now_millis(),
        app_version(),
    ])?;
    Ok(())
}

/// Drops entries for versions that were acknowledged after all (a retry went through).
pub(crate) fn forget(conn: &Connection, table: &str, id: &str) -> crate::Result<()> {
    conn.prepare_cached(DELETE_ONE)?.execute([table, id])?;
    Ok(())
}

pub(crate) fn clear_all(conn: &Connection) -> crate::Result<()> {
    conn.prepare_cached("DELETE FROM sync_rejected")?
        .execute([])?;
    Ok(())
}

/// Releases every entry that may be pushed again (see the module docs). `server_now_ms`
/// is the server's clock as `/v1/status` reported it (or ours when it did not answer).
/// Returns how many were released.
pub(crate) fn release(conn: &Connection, server_now_ms: u64) -> crate::Result<usize> {
    let mut n = conn
        .prepare_cached("DELETE FROM sync_rejected WHERE app_version <> ?1")?
        .execute([app_version()])?;
    for table in SyncTable::ALL {
        let t = table.name();
        // Edited since (another HLC) or no longer dirty: nothing left to hold back.
        n += conn
            .prepare_cached(&format!(
                "DELETE FROM sync_rejected WHERE tbl = '{t}' AND NOT EXISTS \
                 (SELECT 1 FROM {t} WHERE {t}.id = sync_rejected.id \
                  AND {t}.hlc = sync_rejected.hlc AND {t}.dirty = 1)"
            ))?
            .execute([])?;
    }
    let horizon = server_now_ms.saturating_add(MAX_CLOCK_DRIFT_MS);
    let due: Vec<(String, String)> = {
        let mut stmt = conn.prepare_cached(CLOCK_AHEAD)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut due = Vec::new();
        for r in rows {
            let (tbl, id, hlc) = r?;
            if hlc.parse::<Hlc>().map_or(true, |h| h.millis <= horizon) {
                due.push((tbl, id));
            }
        }
        due
    };
    for (tbl, id) in &due {
        forget(conn, tbl, id)?;
    }
    Ok(n + due.len())
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
