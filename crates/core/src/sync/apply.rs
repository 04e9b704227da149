//! Applying rows from elsewhere (a pulled page, a quarantined row retried, a restored
//! backup): each row on its own, in three steps — decode and validate (`decode`), then
//! write by last-writer-wins — so one bad row never stops the others. A row that fails
//! goes to quarantine (sync) or fails the whole restore with its reason (restore).
//!
//! Steps per row:
//! 1. Held already? A local version with an HLC at least as high wins anyway: skip
//!    (pulling back versions this device pushed costs one key lookup each).
//! 2. `check_row`: table, id, shape, size, clock horizon, counter bound.
//! 3. `decode::check`: the domain rules of the row's type.
//! 4. the write routine's `Writer::put_version`: last writer wins, keeping the row's own
//!    HLC (store::sync_rows::Versions has the statement, prepared once per transaction,
//!    table and set of columns); the (vehicle, kind) is noted for the stats refresh and
//!    the change events after commit, as for a local write.

use std::collections::BTreeSet;

use glovebox_protocol::rows::{check_clock, check_row, encoded_len, is_row_id, RowProblem};
use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable};

use super::decode::{self, Problem};
use super::{cursor, quarantine, SyncError};
use crate::events::ChangeSource;
use crate::garage::{hlc_text, Writer};
use crate::store::{self, sync_rows::VersionError, sync_rows::Versions};
use crate::{time, Error, Garage, SyncStamp};

/// What to do with a row that cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnProblem {
    /// Keep it in quarantine and carry on (sync).
    Quarantine,
    /// Fail the whole transaction with the row's reason (restore: nothing is written).
    Fail,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ApplyCtx {
    /// This device's wall clock for the clock horizon; `None` skips it (a restore of the
    /// database's own rows, stamped whenever they were).
    pub now_ms: Option<u64>,
    /// Applied rows are marked dirty (a restore: they must reach the server) or clean.
    pub dirty: bool,
    pub on_problem: OnProblem,
}

impl ApplyCtx {
    /// Pulled rows, judged by this computer's clock.
    pub(crate) fn sync() -> ApplyCtx {
        Self::sync_at(time::now_millis().max(0) as u64)
    }

    /// Pulled rows, their clock horizon measured from `now_ms`.
    pub(crate) fn sync_at(now_ms: u64) -> ApplyCtx {
        ApplyCtx {
            now_ms: Some(now_ms),
            dirty: false,
            on_problem: OnProblem::Quarantine,
        }
    }
}

/// What applying rows did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Rows newer than the local version, now stored.
    pub applied: usize,
    /// Rows the local database already had in this or a newer version.
    pub skipped: usize,
    /// Rows that could not be applied and went to quarantine.
    pub quarantined: usize,
    /// Vehicles whose data changed.
    pub vehicles: BTreeSet<String>,
    /// The highest (millis, counter) among rows whose clock passed the horizon: the clock
    /// must move past it (a quarantined version counts too: an edit made after seeing it
    /// must win over it).
    pub(crate) max_seen: Option<(u64, u32)>,
    /// Clean local versions newer than what the server sent, marked dirty to go again.
    pub(crate) repushed: usize,
}

enum RowOutcome {
    Applied { vehicle: String, table: SyncTable },
    Skipped,
    Problem(Problem),
}

/// Applies one row. `Err` only for failures of the database itself.
fn apply_one(
    w: &mut Writer<'_>,
    versions: &mut Versions<'_>,
    row: &SyncRow,
    ctx: &ApplyCtx,
    out: &mut ApplyOutcome,
) -> crate::Result<RowOutcome> {
    let Some(table) = SyncTable::from_name(&row.table) else {
        return Ok(RowOutcome::Problem(
            RowProblem::UnknownTable(decode::truncate(&row.table, 64)).into(),
        ));
    };
    let now_ms = ctx.now_ms.unwrap_or(u64::MAX);
    if let Err(p) = check_clock(row, now_ms) {
        return Ok(RowOutcome::Problem(p.into()));
    }
    let seen = (row.hlc.millis, row.hlc.counter);
    out.max_seen = Some(out.max_seen.map_or(seen, |m| m.max(seen)));
    let hlc = hlc_text(&row.hlc);
    if is_row_id(&row.id) {
        if let Some(local) = versions.stored_hlc(table, &row.id)? {
            if local >= hlc {
                // The server sent an older version than one this device holds as clean
                // (on the server): the server lost ours (restored from an older copy, its
                // sequence since moved past what the probe can tell). Ours goes again.
                if local > hlc && !ctx.dirty && ctx.now_ms.is_some() {
                    out.repushed += versions.mark_dirty_if_clean(table, &row.id)?;
                }
                return Ok(RowOutcome::Skipped);
            }
        }
    }
    if let Err(p) = check_row(row, encoded_len(row), now_ms) {
        return Ok(RowOutcome::Problem(p.into()));
    }
    let vehicle = match decode::check(table, row) {
        Ok(v) => v,
        Err(p) => return Ok(RowOutcome::Problem(p)),
    };
    let stamp = SyncStamp {
        hlc,
        dirty: ctx.dirty,
        updated_at: time::now_millis(),
    };
    match w.put_version(versions, table, &vehicle, row, &stamp) {
        Ok(false) => Ok(RowOutcome::Skipped),
        Ok(true) => Ok(RowOutcome::Applied { vehicle, table }),
        Err(VersionError::Db(e)) => Err(e),
        Err(VersionError::NotFlat(column)) => {
            Ok(RowOutcome::Problem(RowProblem::NotFlat { column }.into()))
        }
        Err(VersionError::Refused(msg)) => Ok(RowOutcome::Problem(Problem::new(
            "db_refused",
            format!("the database refused it: {msg}"),
        ))),
    }
}

/// Applies `rows` in order, each on its own (see the module docs), through the write
/// routine of `w`'s transaction.
pub(crate) fn apply_rows<'a>(
    w: &mut Writer<'_>,
    rows: impl IntoIterator<Item = &'a SyncRow>,
    ctx: &ApplyCtx,
) -> crate::Result<ApplyOutcome> {
    let conn = w.conn();
    let mut out = ApplyOutcome::default();
    let mut versions = Versions::new(conn);
    let quarantine_empty = quarantine::is_empty(conn)?;
    for row in rows {
        match apply_one(w, &mut versions, row, ctx, &mut out)? {
            RowOutcome::Applied { vehicle, table } => {
                out.applied += 1;
                out.vehicles.insert(vehicle);
                if !quarantine_empty {
                    store::quarantine::drop_obsolete(conn, table, &row.id)?;
                }
            }
            RowOutcome::Skipped => {
                out.skipped += 1;
                if let (false, Some(table)) = (quarantine_empty, SyncTable::from_name(&row.table)) {
                    store::quarantine::drop_obsolete(conn, table, &row.id)?;
                }
            }
            RowOutcome::Problem(p) => match ctx.on_problem {
                OnProblem::Quarantine => {
                    tracing::warn!(
                        "quarantined {} {} ({}): {}",
                        decode::truncate(&row.table, 64),
                        decode::truncate(&row.id, 64),
                        p.code,
                        p.reason
                    );
                    quarantine::put(conn, row, &p)?;
                    out.quarantined += 1;
                }
                OnProblem::Fail => {
                    return Err(Error::validation(
                        format!(
                            "{} {}",
                            decode::truncate(&row.table, 64),
                            decode::truncate(&row.id, 64)
                        ),
                        p.reason,
                    ))
                }
            },
        }
    }
    Ok(out)
}

impl Garage {
    /// Applies a pulled page and saves the pull cursor in the same transaction, so a crash
    /// either keeps both or neither. Each row wins only if its HLC is greater than the
    /// local one (last writer wins; the node id inside the HLC breaks ties). Applied rows
    /// are clean (not pushed back) and produce change events with source Sync; rows that
    /// cannot be applied go to quarantine and the cursor moves on.
    pub fn apply_remote(&self, rows: &[SyncRow], cursor: u64) -> Result<ApplyOutcome, SyncError> {
        self.apply_page(rows, cursor, "", 0)
    }

    /// `apply_remote` for a page of account `epoch` (saved with the cursor; a different
    /// saved epoch fails the page with a 409 `epoch_changed` and writes nothing), judged
    /// by the later of this device's clock and the server's (`server_ahead_ms`: how far
    /// the server's is ahead): the server already refused rows stamped ahead of its own
    /// clock, and a device whose clock runs slow must still take what everyone else took,
    /// or it would never agree with them.
    pub(crate) fn apply_page(
        &self,
        rows: &[SyncRow],
        cursor: u64,
        epoch: &str,
        server_ahead_ms: u64,
    ) -> Result<ApplyOutcome, SyncError> {
        let ctx = ApplyCtx::sync_at(self.now_for_sync(server_ahead_ms));
        let mut forgot = None;
        let r = self.transaction("sync.apply", ChangeSource::Sync, |w| {
            let tx = w.conn();
            if let Err(e) = cursor::adopt_epoch(tx, epoch) {
                return Err(match e {
                    cursor::EpochMismatch::Local(e) => e,
                    other => {
                        forgot = Some(other.to_string());
                        Error::Other("epoch changed".into())
                    }
                });
            }
            let out = apply_rows(w, rows, &ctx)?;
            self.fold_seen(&out);
            cursor::save_cursor(tx, cursor)?;
            Ok(out)
        });
        match (r, forgot) {
            (_, Some(message)) => Err(SyncError::server_forgot(
                glovebox_protocol::sync::ErrorCode::EpochChanged,
                message,
            )),
            (r, None) => Ok(r?),
        }
    }

    /// "Now" for the clock horizon of pulled rows: this device's wall clock, or the
    /// server's when that is ahead.
    pub(crate) fn now_for_sync(&self, server_ahead_ms: u64) -> u64 {
        self.clock().wall_millis().saturating_add(server_ahead_ms)
    }

    /// Moves the clock past every row `out` saw (the write's high-water mark follows).
    pub(crate) fn fold_seen(&self, out: &ApplyOutcome) {
        if let Some((millis, counter)) = out.max_seen {
            self.clock().seed(&Hlc::new(millis, counter, "0"));
        }
    }
}
