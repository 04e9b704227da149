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

use glovebox_protocol::{Hlc, MAX_CLOCK_DRIFT_MS};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::app_version;
use crate::{store, time};

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

pub(crate) fn record(
    conn: &Connection,
    table: &str,
    id: &str,
    hlc: &Hlc,
    code: &str,
    reason: &str,
) -> crate::Result<()> {
    store::rejected::record(
        conn,
        &store::rejected::Refusal {
            tbl: table,
            id,
            hlc: &hlc.to_string(),
            code,
            reason,
            rejected_at: time::now_millis(),
            app_version: app_version(),
        },
    )
}

/// Drops entries for versions that were acknowledged after all (a retry went through).
pub(crate) fn forget(conn: &Connection, table: &str, id: &str) -> crate::Result<()> {
    store::rejected::delete(conn, table, id)
}

pub(crate) fn clear_all(conn: &Connection) -> crate::Result<()> {
    store::rejected::clear_all(conn)
}

/// Releases every entry that may be pushed again (see the module docs). `server_now_ms`
/// is the server's clock as `/v1/status` reported it (or ours when it did not answer).
/// Returns how many were released.
pub(crate) fn release(conn: &Connection, server_now_ms: u64) -> crate::Result<usize> {
    let n = store::rejected::delete_other_builds(conn, app_version())?
        + store::rejected::delete_not_held(conn)?;
    let horizon = server_now_ms.saturating_add(MAX_CLOCK_DRIFT_MS);
    let mut due = 0;
    for (tbl, id, hlc) in store::rejected::clock_ahead(conn)? {
        if hlc.parse::<Hlc>().map_or(true, |h| h.millis <= horizon) {
            forget(conn, &tbl, &id)?;
            due += 1;
        }
    }
    Ok(n + due)
}

pub(crate) fn list(conn: &Connection) -> crate::Result<Vec<RejectedRow>> {
    store::rejected::list(conn)
}

pub(crate) fn count(conn: &Connection) -> crate::Result<u64> {
    store::rejected::count(conn)
}
