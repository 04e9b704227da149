//! What every synced table shares: the sync columns (`id`, `hlc`, `deleted`, `dirty`,
//! `updated_at`) and an owner (`vehicle_id`; a vehicle owns itself). The statements on
//! them — which vehicle a row belongs to, tombstoning, undoing a tombstone, tombstoning a
//! vehicle's records — are written once here, per table, not once per record module.

use rusqlite::{params, Connection, OptionalExtension, Statement};

use crate::error::{Error, Result};
use crate::events::RecordKind;
use crate::SyncStamp;

/// The statements of one table's sync columns.
pub(crate) struct TableSql {
    /// The owning vehicle of row ?1 in deleted state ?2.
    pub vehicle_of: &'static str,
    /// Sets row ?1 to deleted state ?2 (from the other state), stamped ?3..?5.
    pub set_deleted: &'static str,
    /// Tombstones every live row owned by vehicle ?1, stamped ?2..?4.
    pub tombstone_owned_by: &'static str,
}

macro_rules! table_sql {
    ($table:literal, $owner:literal) => {
        TableSql {
            vehicle_of: concat!(
                "SELECT ",
                $owner,
                " FROM ",
                $table,
                " WHERE id = ?1 AND deleted = ?2"
            ),
            set_deleted: concat!(
                "UPDATE ",
                $table,
                " SET deleted = ?2, hlc = ?3, dirty = ?4, updated_at = ?5 \
                 WHERE id = ?1 AND deleted <> ?2"
            ),
            tombstone_owned_by: concat!(
                "UPDATE ",
                $table,
                " SET deleted = 1, hlc = ?2, dirty = ?3, updated_at = ?4 \
                 WHERE ",
                $owner,
                " = ?1 AND deleted = 0"
            ),
        }
    };
}

const VEHICLES: TableSql = table_sql!("vehicles", "id");
const FUEL: TableSql = table_sql!("fuel_records", "vehicle_id");
const SERVICE: TableSql = table_sql!("service_records", "vehicle_id");
const ODOMETER: TableSql = table_sql!("odometer_records", "vehicle_id");
const REMINDERS: TableSql = table_sql!("reminders", "vehicle_id");
const COMPLETIONS: TableSql = table_sql!("reminder_completions", "vehicle_id");

pub(crate) fn table(kind: RecordKind) -> &'static TableSql {
    match kind {
        RecordKind::Vehicle => &VEHICLES,
        RecordKind::Fuel => &FUEL,
        RecordKind::Service => &SERVICE,
        RecordKind::Odometer => &ODOMETER,
        RecordKind::Reminder => &REMINDERS,
        RecordKind::ReminderCompletion => &COMPLETIONS,
    }
}

/// The vehicle owning row `id` of `kind` — live (`deleted` false) or a tombstone — or
/// NotFound.
pub(crate) fn vehicle_of(
    conn: &Connection,
    kind: RecordKind,
    id: &str,
    deleted: bool,
) -> Result<String> {
    conn.prepare_cached(table(kind).vehicle_of)?
        .query_row(params![id, deleted], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found(kind.label(), id))
}

/// Tombstones (`deleted` true) or restores row `id`; NotFound if it is not in the other
/// state.
pub(crate) fn set_deleted(
    stmt: &mut Statement<'_>,
    kind: RecordKind,
    id: &str,
    deleted: bool,
    s: &SyncStamp,
) -> Result<()> {
    let n = stmt.execute(params![id, deleted, s.hlc, s.dirty, s.updated_at])?;
    if n == 0 {
        return Err(Error::not_found(kind.label(), id));
    }
    Ok(())
}

/// Tombstones every live row of `kind` that belongs to vehicle `vehicle_id`.
pub(crate) fn tombstone_owned_by(
    stmt: &mut Statement<'_>,
    vehicle_id: &str,
    s: &SyncStamp,
) -> Result<usize> {
    Ok(stmt.execute(params![vehicle_id, s.hlc, s.dirty, s.updated_at])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_names_its_own_table() {
        for kind in RecordKind::ALL {
            let t = table(kind);
            for sql in [t.vehicle_of, t.set_deleted, t.tombstone_owned_by] {
                assert!(sql.contains(&format!(" {} ", kind.table())), "{sql}");
            }
        }
    }
}
