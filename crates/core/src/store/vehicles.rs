//! The `vehicles` table: its SQL and its one row mapping.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{decode, Binder, StoredRow};
use crate::error::{Error, Result};
use crate::events::RecordKind;
use crate::units::{EconomyUnit, FuelKind};
use crate::vehicles::Vehicle;

macro_rules! columns {
    () => {
        "id, name, make, model, year, plate, vin, fuel_kind, distance_unit, volume_unit, \
         economy_unit, currency, archived"
    };
}

const GET: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM vehicles WHERE id = ?1 AND deleted = 0"
);

/// Live vehicles, active ones by name (served in order by `vehicles_live_by_name`).
pub(crate) const LIST_ACTIVE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM vehicles WHERE archived = 0 AND deleted = 0 ORDER BY archived, name, id"
);

/// Live vehicles including archived ones, active first.
pub(crate) const LIST_ALL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM vehicles WHERE deleted = 0 ORDER BY archived, name, id"
);

impl StoredRow for Vehicle {
    const KIND: RecordKind = RecordKind::Vehicle;
    const INSERT: &'static str = concat!(
        "INSERT INTO vehicles (",
        columns!(),
        ", hlc, deleted, dirty, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0, ?15, ?16)"
    );
    const UPDATE: &'static str = "UPDATE vehicles SET name = ?2, make = ?3, model = ?4, \
         year = ?5, plate = ?6, vin = ?7, fuel_kind = ?8, distance_unit = ?9, \
         volume_unit = ?10, economy_unit = ?11, currency = ?12, archived = ?13, hlc = ?14, \
         dirty = ?15, updated_at = ?16 WHERE id = ?1 AND deleted = 0";

    fn id(&self) -> &str {
        &self.id
    }

    fn bind(&self, b: &mut Binder<'_, '_>) -> Result<()> {
        b.all(params![
            self.id,
            self.name,
            self.make,
            self.model,
            self.year,
            self.plate,
            self.vin,
            self.fuel_kind.code(),
            self.distance_unit.code(),
            self.volume_unit.code(),
            self.economy_unit.code(),
            self.currency.code(),
            self.archived,
        ])
    }
}

/// The one mapping from a `vehicles` row (columns in `columns!()` order) to a [`Vehicle`].
/// An unknown fuel kind reads as Other and an unknown economy unit as the default for the
/// units; unknown distance or volume units or currency make the row unreadable.
pub(crate) fn row_to_vehicle(row: &Row<'_>) -> rusqlite::Result<Vehicle> {
    let distance_unit = decode::code(row, 8, "vehicles")?;
    let volume_unit = decode::code(row, 9, "vehicles")?;
    Ok(Vehicle {
        id: row.get(0)?,
        name: row.get(1)?,
        make: row.get(2)?,
        model: row.get(3)?,
        year: row.get(4)?,
        plate: row.get(5)?,
        vin: row.get(6)?,
        fuel_kind: decode::code_or(row, 7, "vehicles", || FuelKind::Other)?,
        distance_unit,
        volume_unit,
        economy_unit: decode::code_or(row, 10, "vehicles", || {
            EconomyUnit::default_for(distance_unit, volume_unit)
        })?,
        currency: decode::code(row, 11, "vehicles")?,
        archived: row.get(12)?,
    })
}

const NAME_OF: &str = "SELECT name FROM vehicles WHERE id = ?1";

/// The name of vehicle `id`, tombstone or not (to tell people which vehicle a row is of).
pub(crate) fn name_of(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(NAME_OF)?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// A live (not deleted) vehicle, or NotFound.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Vehicle> {
    decode::one(
        conn.prepare_cached(GET)?
            .query_row([id], row_to_vehicle)
            .optional(),
    )?
    .ok_or_else(|| Error::not_found("vehicle", id))
}

pub(crate) fn list(conn: &Connection, include_archived: bool) -> Result<Vec<Vehicle>> {
    let sql = if include_archived {
        LIST_ALL
    } else {
        LIST_ACTIVE
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], row_to_vehicle)?;
    decode::readable(rows)
}
