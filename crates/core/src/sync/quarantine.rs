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
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::app_version;
use super::apply::{apply_rows, ApplyCtx, ApplyOutcome};
use super::decode::{self, Problem};
use crate::events::ChangeSource;
use crate::garage::Writer;
use crate::store::{self, meta_set, sync_rows};
use crate::{time, Garage};

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

const META_RULES_VERSION: &str = "sync.rules_version";

pub(crate) fn put(conn: &Connection, row: &SyncRow, p: &Problem) -> crate::Result<()> {
    let mut data = serde_json::to_string(&row.data).unwrap_or_else(|_| "{}".into());
    let mut reason = p.reason.clone();
    if data.len() > MAX_KEPT_DATA {
        data = "{}".into();
        reason.push_str(" (its data was too large to keep)");
    }
    store::quarantine::put(
        conn,
        &store::quarantine::Entry {
            tbl: &decode::truncate(&row.table, MAX_KEPT_NAME),
            id: &decode::truncate(&row.id, MAX_KEPT_NAME),
            hlc: &row.hlc.to_string(),
            deleted: row.deleted,
            data: &data,
            code: p.code,
            reason: &reason,
            received_at: time::now_millis(),
            app_version: app_version(),
        },
    )
}

pub(crate) fn clear_all(conn: &Connection) -> crate::Result<()> {
    store::quarantine::clear_all(conn)
}

pub(crate) fn is_empty(conn: &Connection) -> crate::Result<bool> {
    Ok(count(conn)? == 0)
}

pub(crate) fn count(conn: &Connection) -> crate::Result<u64> {
    store::quarantine::count(conn)
}

pub(crate) fn list(conn: &Connection) -> crate::Result<Vec<QuarantinedRow>> {
    store::quarantine::list(conn)
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
    let all = matches!(which, Retry::All);
    let mut out = Vec::new();
    for e in store::quarantine::entries(conn, all, app_version())? {
        let hlc = e.hlc.parse::<Hlc>().ok();
        let data = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&e.data).ok();
        let row = match (&hlc, data) {
            (Some(h), Some(data)) => Some(SyncRow {
                table: e.tbl.clone(),
                id: e.id.clone(),
                hlc: h.clone(),
                deleted: e.deleted,
                data,
            }),
            _ => None,
        };
        out.push(Entry {
            row,
            tbl: e.tbl,
            id: e.id,
            code: e.code,
            hlc,
            app_version: e.app_version,
        });
    }
    Ok(out)
}

/// Retries the entries `which` selects, through `w`'s transaction: applied ones leave
/// quarantine, the others stay with their (possibly new) reason and this build's version.
pub(crate) fn retry(
    w: &mut Writer<'_>,
    which: Retry,
    ctx: &ApplyCtx,
) -> crate::Result<ApplyOutcome> {
    let conn = w.conn();
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
                store::quarantine::delete(conn, &e.tbl, &e.id)?;
                due.push(row);
            }
            // Nothing left to retry (the data was too large to keep): re-tag it so it is
            // not taken again by this build.
            None => store::quarantine::retag(conn, &e.tbl, &e.id, current)?,
        }
    }
    apply_rows(w, &due, ctx)
}

/// After an open: when this build differs from the one that last opened the database,
/// retries what an older build quarantined and moves live rows that no longer read into
/// quarantine. A no-op (one meta read) otherwise.
pub(crate) fn at_open(garage: &Garage) -> crate::Result<()> {
    let current = app_version();
    if garage.store().meta_get(META_RULES_VERSION)?.as_deref() == Some(current) {
        return Ok(());
    }
    garage.transaction("sync.quarantine_upgrade", ChangeSource::Sync, |w| {
        let out = retry(
            w,
            Retry::Due {
                now_ms: time::now_millis().max(0) as u64,
            },
            &ApplyCtx::sync(),
        )?;
        // The transaction raises the high-water mark past what the clock has seen.
        garage.fold_seen(&out);
        let tx = w.conn();
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
        // Distinct values first: a column of a big table holds a handful of them.
        let mut bad: Vec<(&str, String, Problem)> = Vec::new();
        for col in decode::code_columns(table) {
            for v in sync_rows::live_values(conn, table, col)? {
                if let Err(p) = decode::check_code(table, col, &v) {
                    bad.push((col, v, p));
                }
            }
        }
        for (col, value, p) in bad {
            for row in sync_rows::live_rows_where(conn, table, col, &value)? {
                put(conn, &row, &p)?;
                sync_rows::remove(conn, table, &row.id)?;
                moved += 1;
            }
        }
    }
    Ok(moved)
}

/// Forgets which build last opened the database (tests simulate an upgrade with it).
#[cfg(test)]
pub(crate) fn forget_rules_version(conn: &Connection) -> crate::Result<()> {
    store::meta_delete(conn, META_RULES_VERSION)
}
