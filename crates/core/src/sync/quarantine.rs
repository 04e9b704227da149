//! Pulled row versions this build could not apply, kept with their reason until they can
//! be (see migrations/0003_sync_safety.sql for the table).
//!
//! - A row goes here instead of into its table when it fails a check (`apply`); the pull
//!   cursor moves on, so one bad row never stops a device from receiving the rest.
//! - One entry per row: a newer version of the row replaces the entry; a version applied
//!   or written here that is at least as new makes it obsolete (dropped).
//! - Entries are retried after an upgrade (another `app_version`: the new build may know
//!   the value) and, for `clock_ahead`, once this device's clock has caught up.
//! - At the first open by a new build, live rows an older Glovebox applied unchecked and
//!   that no longer read (an unknown fuel kind, say) are moved here too, so that listing
//!   vehicles never fails.

use glovebox_protocol::rows::MAX_ROW_BYTES;
use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable, MAX_CLOCK_DRIFT_MS};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::apply::{apply_rows, ApplyCtx, ApplyOutcome};
use super::decode::{self, Problem};
use super::rows::{data_columns, row_from_sql, select_rows};
use super::{app_version, clock};
use crate::garage::Touched;
use crate::store::{meta_set, Store};
use crate::time;

/// A row version waiting in quarantine, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuarantinedRow {
    pub table: String,
    pub id: String,
    pub hlc: String,
    pub deleted: bool,
    /// Stable code: a `RowProblem` code (`not_flat`, `clock_ahead`, ...), or
    /// `missing_column`, `bad_value`, `unknown_value`, `invalid`, `db_refused`.
    pub code: String,
    pub reason: String,
    /// Millis since the Unix epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_at_ms: i64,
    /// The build that tried it last.
    pub app_version: String,
}

/// Raw data larger than this is not kept (the row is refused as too large anyway).
const MAX_KEPT_DATA: usize = 4 * MAX_ROW_BYTES;
/// Longest table name or id kept (hostile rows may carry anything).
const MAX_KEPT_NAME: usize = 64;

const PUT: &str = "INSERT INTO sync_quarantine \
     (tbl, id, hlc, deleted, data, code, reason, received_at, app_version) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (tbl, id) DO UPDATE SET hlc = excluded.hlc, deleted = excluded.deleted, \
     data = excluded.data, code = excluded.code, reason = excluded.reason, \
     received_at = excluded.received_at, app_version = excluded.app_version \
     WHERE excluded.hlc >= sync_quarantine.hlc";
const LIST: &str = "SELECT tbl, id, hlc, deleted, code, reason, received_at, app_version \
     FROM sync_quarantine ORDER BY received_at DESC, tbl, id";
/// Every entry (?1 = 1), or those a `Retry::Due` may take: tried by another build, or
/// waiting for the clock. The others are not even read: a newer Glovebox syncing a table
/// this one lacks can leave many here.
const ENTRIES: &str = "SELECT tbl, id, hlc, deleted, data, code, app_version \
     FROM sync_quarantine WHERE ?1 = 1 OR app_version <> ?2 OR code = 'clock_ahead'";
const DELETE_ONE: &str = "DELETE FROM sync_quarantine WHERE tbl = ?1 AND id = ?2";
const RETAG: &str = "UPDATE sync_quarantine SET app_version = ?3 WHERE tbl = ?1 AND id = ?2";
const META_RULES_VERSION: &str = "sync.rules_version";

pub(crate) fn put(conn: &Connection, row: &SyncRow, p: &Problem) -> crate::Result<()> {
    let mut data = serde_json::to_string(&row.data).unwrap_or_else(|_| "{}".into());
    let mut reason = p.reason.clone();
    if data.len() > MAX_KEPT_DATA {
        data = "{}".into();
        reason.push_str(" (its data was too large to keep)");
    }
    conn.prepare_cached(PUT)?.execute(params![
        decode::truncate(&row.table, MAX_KEPT_NAME),
        decode::truncate(&row.id, MAX_KEPT_NAME),
        row.hlc.to_string(),
        row.deleted,
        data,
        p.code,
        reason,
        time::now_millis(),
        app_version(),
    ])?;
    Ok(())
}

pub(crate) fn clear_all(conn: &Connection) -> crate::Result<()> {
    conn.prepare_cached("DELETE FROM sync_quarantine")?
        .execute([])?;
    Ok(())
}

pub(crate) fn is_empty(conn: &Connection) -> crate::Result<bool> {
    Ok(count(conn)? == 0)
}

pub(crate) fn count(conn: &Connection) -> crate::Result<u64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM sync_quarantine")?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}

/// Drops the entry for (table, id) if the table now holds a version at least as new.
pub(crate) fn drop_obsolete(conn: &Connection, table: SyncTable, id: &str) -> crate::Result<()> {
    let t = table.name();
    conn.prepare_cached(&format!(
        "DELETE FROM sync_quarantine WHERE tbl = '{t}' AND id = ?1 \
         AND hlc <= (SELECT hlc FROM {t} WHERE id = ?1)"
    ))?
    .execute([id])?;
    Ok(())
}

/// Drops every entry a local version has overtaken (an edit made here after the entry
/// arrived is stamped above it and wins everywhere).
pub(crate) fn drop_all_obsolete(conn: &Connection) -> crate::Result<usize> {
    let mut n = 0;
    for table in SyncTable::ALL {
        let t = table.name();
        n += conn
            .prepare_cached(&format!(
                "DELETE FROM sync_quarantine WHERE tbl = '{t}' \
                 AND hlc <= (SELECT hlc FROM {t} WHERE {t}.id = sync_quarantine.id)"
            ))?
            .execute([])?;
    }
    Ok(n)
}

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

/// Which entries a retry takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Retry {
    /// Entries another build tried, and `clock_ahead` ones the clock (millis) has caught
    /// up with.
    Due { now_ms: u64 },
    /// Every entry (the user asked).
    All,
}

struct Entry {
    row: Option<SyncRow>,
    tbl: String,
    id: String,
    code: String,
    hlc: Option<Hlc>,
    app_version: String,
}

fn entries(conn: &Connection, which: Retry) -> crate::Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(ENTRIES)?;
    let all = matches!(which, Retry::All);
    let rows = stmt.query_map(params![all, app_version()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (tbl, id, hlc, deleted, data, code, app_version) = r?;
        let hlc = hlc.parse::<Hlc>().ok();
        let data = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&data).ok();
        let row = match (&hlc, data) {
            (Some(h), Some(data)) => Some(SyncRow {
                table: tbl.clone(),
                id: id.clone(),
                hlc: h.clone(),
                deleted,
                data,
            }),
            _ => None,
        };
        out.push(Entry {
            row,
            tbl,
            id,
            code,
            hlc,
            app_version,
        });
    }
    Ok(out)
}

/// Retries the entries `which` selects: applied ones leave quarantine, the others stay
/// with their (possibly new) reason and this build's version.
pub(crate) fn retry(
    conn: &Connection,
    which: Retry,
    ctx: &ApplyCtx,
    touched: &mut Touched,
) -> crate::Result<ApplyOutcome> {
    let current = app_version();
    let mut due: Vec<SyncRow> = Vec::new();
    for e in entries(conn, which)? {
        let take = match which {
            Retry::All => true,
            Retry::Due { now_ms } => {
                e.app_version != current
                    || (e.code == "clock_ahead"
                        && e.hlc
                            .as_ref()
                            .is_some_and(|h| h.millis <= now_ms.saturating_add(MAX_CLOCK_DRIFT_MS)))
            }
        };
        if !take {
            continue;
        }
        match e.row {
            Some(row) => {
                conn.prepare_cached(DELETE_ONE)?.execute([&e.tbl, &e.id])?;
                due.push(row);
            }
            // Nothing left to retry (the data was too large to keep): re-tag it so it is
            // not taken again by this build.
            None => {
                conn.prepare_cached(RETAG)?
                    .execute(params![e.tbl, e.id, current])?;
            }
        }
    }
    apply_rows(conn, &due, ctx, touched)
}

/// At open: when this build differs from the one that last opened the database, retries
/// what an older build quarantined and moves live rows that no longer read into
/// quarantine. A no-op (one meta read) otherwise.
pub(crate) fn at_open(store: &Store) -> crate::Result<()> {
    let current = app_version();
    if store.meta_get(META_RULES_VERSION)?.as_deref() == Some(current) {
        return Ok(());
    }
    store.write("sync.quarantine_upgrade", |tx| {
        let mark = clock::high_water(tx)?;
        let mut touched = Touched::default();
        let out = retry(
            tx,
            Retry::Due {
                now_ms: time::now_millis().max(0) as u64,
            },
            &ApplyCtx::sync(),
            &mut touched,
        )?;
        if let Some(seen) = out.max_seen {
            clock::raise_to(tx, seen, mark)?;
        }
        let swept = sweep_unreadable(tx)?;
        if out.applied + swept > 0 {
            tracing::info!(
                "quarantine after upgrade: {} applied, {swept} unreadable rows moved in",
                out.applied
            );
        }
        meta_set(tx, META_RULES_VERSION, current)?;
        Ok(())
    })
}

/// Moves live rows whose code columns this build cannot read into quarantine.
fn sweep_unreadable(conn: &Connection) -> crate::Result<usize> {
    let mut moved = 0;
    for table in SyncTable::ALL {
        let code_cols = decode::code_columns(table);
        if code_cols.is_empty() {
            continue;
        }
        let t = table.name();
        // Distinct values first: a column of a big table holds a handful of them.
        let mut bad: Vec<(&str, String, Problem)> = Vec::new();
        for col in code_cols {
            let mut stmt =
                conn.prepare_cached(&format!("SELECT DISTINCT {col} FROM {t} WHERE deleted = 0"))?;
            let values = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for v in values {
                let v = v?;
                if let Err(p) = decode::check_code(table, col, &v) {
                    bad.push((col, v, p));
                }
            }
        }
        if bad.is_empty() {
            continue;
        }
        let cols = data_columns(conn, table)?;
        for (col, value, p) in bad {
            let sql = format!(
                "{} WHERE deleted = 0 AND {col} = ?1",
                select_rows(table, &cols)
            );
            let rows: Vec<SyncRow> = {
                let mut stmt = conn.prepare(&sql)?;
                let mut q = stmt.query([&value])?;
                let mut rows = Vec::new();
                while let Some(r) = q.next()? {
                    rows.push(row_from_sql(r, table, &cols)?);
                }
                rows
            };
            for row in rows {
                put(conn, &row, &p)?;
                conn.prepare_cached(&format!("DELETE FROM {t} WHERE id = ?1"))?
                    .execute([&row.id])?;
                moved += 1;
            }
        }
    }
    Ok(moved)
}

/// Forgets which build last opened the database (tests simulate an upgrade with it).
#[cfg(test)]
pub(crate) fn forget_rules_version(conn: &Connection) -> crate::Result<()> {
    conn.execute(
        "DELETE FROM local_meta WHERE key = ?1",
        [META_RULES_VERSION],
    )?;
    Ok(())
}
