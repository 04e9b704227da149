//! The `odometer_records` table: its SQL and its one row mapping. Readings across every
//! record kind are in `readings`.

use rusqlite::{params, Connection, Row};

use super::{Binder, OwnedRow, StoredRow};
use crate::error::Result;
use crate::events::RecordKind;
use crate::odometer::OdometerRecord;
use crate::units::Distance;
use crate::vehicles::Vehicle;
use crate::{time, Page};

macro_rules! columns {
    () => {
        "id, vehicle_id, occurred_at, odometer, notes"
    };
}

const GET: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM odometer_records WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
);

pub(crate) const LIST_NEWEST_FIRST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0 \
     ORDER BY occurred_at DESC, id DESC LIMIT ?2 OFFSET ?3"
);

impl StoredRow for OdometerRecord {
    const KIND: RecordKind = RecordKind::Odometer;
    const INSERT: &'static str = concat!(
        "INSERT INTO odometer_records (",
        columns!(),
        ", hlc, deleted, dirty, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)"
    );
    const UPDATE: &'static str = "UPDATE odometer_records SET occurred_at = ?3, odometer = ?4, \
         notes = ?5, hlc = ?6, dirty = ?7, updated_at = ?8 \
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
            self.notes,
        ])
    }
}

impl OwnedRow for OdometerRecord {
    const LABEL: &'static str = "odometer record";
    const GET: &'static str = GET;
    /// The one mapping from an `odometer_records` row, in the units of its vehicle `v`.
    fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<Self> {
        Ok(OdometerRecord {
            id: row.get(0)?,
            vehicle_id: row.get(1)?,
            occurred_at: time::from_sql(row.get(2)?),
            odometer: Distance::new(row.get(3)?, v.distance_unit),
            notes: row.get(4)?,
        })
    }
}

pub(crate) fn list(conn: &Connection, v: &Vehicle, page: Page) -> Result<Vec<OdometerRecord>> {
    super::list(
        conn,
        LIST_NEWEST_FIRST,
        params![v.id, page.limit, page.offset],
        v,
    )
}
