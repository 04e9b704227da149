//! The `fuel_records` table: its SQL and its one row mapping.

use rusqlite::{params, Connection, Row};

use super::{Binder, OwnedRow, StoredRow};
use crate::economy::FillUp;
use crate::error::Result;
use crate::events::RecordKind;
use crate::fuel::FuelRecord;
use crate::units::{Distance, Money, Volume};
use crate::vehicles::Vehicle;
use crate::{time, validate, Page};

macro_rules! columns {
    () => {
        "id, vehicle_id, occurred_at, odometer, quantity, total_cost, is_full, \
         missed_previous, station, notes, tags"
    };
}

const GET: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM fuel_records WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
);

/// Newest first: the order the fuel tab shows.
pub(crate) const LIST_NEWEST_FIRST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 \
     ORDER BY occurred_at DESC, id DESC LIMIT ?2 OFFSET ?3"
);

/// Every live fill-up of a vehicle with just the columns the economy engine needs, in
/// odometer order: one range scan of the covering index fuel_economy_by_vehicle
/// (migration 0002), no table lookups and no sort step.
pub const FILLS: &str = "SELECT id, occurred_at, odometer, quantity, total_cost, is_full, \
     missed_previous FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY odometer";

impl StoredRow for FuelRecord {
    const KIND: RecordKind = RecordKind::Fuel;
    const INSERT: &'static str = concat!(
        "INSERT INTO fuel_records (",
        columns!(),
        ", hlc, deleted, dirty, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, ?13, ?14)"
    );
    const UPDATE: &'static str = "UPDATE fuel_records SET occurred_at = ?3, odometer = ?4, \
         quantity = ?5, total_cost = ?6, is_full = ?7, missed_previous = ?8, station = ?9, \
         notes = ?10, tags = ?11, hlc = ?12, dirty = ?13, updated_at = ?14 \
         WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0";

    fn id(&self) -> &str {
        &self.id
    }

    fn bind(&self, b: &mut Binder<'_, '_>) -> Result<()> {
        b.all(params![
            self.id,
            self.vehicle_id,
            time::to_sql(self.occurred_at),
            self.odometer.value,
            self.quantity.value,
            self.total_cost.minor,
            self.is_full,
            self.missed_previous,
            self.station,
            self.notes,
            validate::tags_to_sql(&self.tags),
        ])
    }
}

impl OwnedRow for FuelRecord {
    const LABEL: &'static str = "fuel record";
    const GET: &'static str = GET;
    /// The one mapping from a `fuel_records` row (columns in `columns!()` order), in the units
    /// of its vehicle `v`.
    fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<Self> {
        Ok(FuelRecord {
            id: row.get(0)?,
            vehicle_id: row.get(1)?,
            occurred_at: time::from_sql(row.get(2)?),
            odometer: Distance::new(row.get(3)?, v.distance_unit),
            quantity: Volume::new(row.get(4)?, v.volume_unit),
            total_cost: Money::new(row.get(5)?, v.currency),
            is_full: row.get(6)?,
            missed_previous: row.get(7)?,
            station: row.get(8)?,
            notes: row.get(9)?,
            tags: validate::tags_from_sql(row.get_ref(10)?.as_str()?),
        })
    }
}

pub(crate) fn list(conn: &Connection, v: &Vehicle, page: Page) -> Result<Vec<FuelRecord>> {
    super::list(
        conn,
        LIST_NEWEST_FIRST,
        params![v.id, page.limit, page.offset],
        v,
    )
}

/// A vehicle's fill-ups in odometer order, as the economy engine wants them.
pub(crate) fn fills(conn: &Connection, vehicle_id: &str) -> Result<Vec<FillUp>> {
    let mut stmt = conn.prepare_cached(FILLS)?;
    let rows = stmt.query_map([vehicle_id], |r| {
        Ok(FillUp {
            id: r.get(0)?,
            occurred_at: time::from_sql(r.get(1)?),
            odometer: r.get(2)?,
            quantity: r.get(3)?,
            total_cost_minor: r.get(4)?,
            is_full: r.get(5)?,
            missed_previous: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
