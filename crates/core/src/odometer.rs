//! Odometer readings, and the vehicle's current odometer across every record kind.

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::Distance;
use crate::vehicles::Vehicle;
use crate::{time, validate, Page, SyncStamp};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OdometerInput {
    pub vehicle_id: String,
    pub occurred_at: NaiveDateTime,
    /// Reading in the vehicle's distance unit.
    pub odometer: f64,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OdometerRecord {
    pub id: String,
    pub vehicle_id: String,
    pub occurred_at: NaiveDateTime,
    pub odometer: Distance,
    pub notes: String,
}

impl OdometerInput {
    pub fn validate(&self, vehicle: &Vehicle, now: NaiveDateTime) -> Result<OdometerRecord> {
        Ok(OdometerRecord {
            id: String::new(),
            vehicle_id: vehicle.id.clone(),
            occurred_at: validate::record_date("occurred_at", self.occurred_at, now)?,
            odometer: Distance::new(
                validate::odometer("odometer", self.odometer)?,
                vehicle.distance_unit,
            ),
            notes: validate::optional_text("notes", &self.notes, validate::MAX_NOTES)?,
        })
    }
}

pub(crate) const INSERT: &str =
    "INSERT INTO odometer_records (id, vehicle_id, occurred_at, odometer, \
     notes, hlc, deleted, dirty, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)";

pub(crate) const UPDATE: &str = "UPDATE odometer_records SET occurred_at = ?3, odometer = ?4, \
     notes = ?5, hlc = ?6, dirty = ?7, updated_at = ?8 \
     WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0";

const SELECT: &str = "SELECT id, vehicle_id, occurred_at, odometer, notes FROM odometer_records";

fn exec(conn: &Connection, sql: &str, r: &OdometerRecord, s: &SyncStamp) -> Result<usize> {
    Ok(conn.prepare_cached(sql)?.execute(params![
        r.id,
        r.vehicle_id,
        time::to_sql(r.occurred_at),
        r.odometer.value,
        r.notes,
        s.hlc,
        s.dirty,
        s.updated_at,
    ])?)
}

pub(crate) fn insert(conn: &Connection, r: &OdometerRecord, s: &SyncStamp) -> Result<()> {
    exec(conn, INSERT, r, s)?;
    Ok(())
}

pub(crate) fn update(conn: &Connection, r: &OdometerRecord, s: &SyncStamp) -> Result<()> {
    if exec(conn, UPDATE, r, s)? == 0 {
        return Err(Error::not_found("odometer record", &r.id));
    }
    Ok(())
}

fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<OdometerRecord> {
    Ok(OdometerRecord {
        id: row.get(0)?,
        vehicle_id: row.get(1)?,
        occurred_at: time::from_sql(row.get(2)?),
        odometer: Distance::new(row.get(3)?, v.distance_unit),
        notes: row.get(4)?,
    })
}

pub(crate) fn vehicle_of(conn: &Connection, id: &str) -> Result<String> {
    conn.prepare_cached("SELECT vehicle_id FROM odometer_records WHERE id = ?1 AND deleted = 0")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found("odometer record", id))
}

pub fn get(conn: &Connection, v: &Vehicle, id: &str) -> Result<OdometerRecord> {
    conn.prepare_cached(&format!(
        "{SELECT} WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
    ))?
    .query_row(params![id, v.id], |r| from_row(r, v))
    .optional()?
    .ok_or_else(|| Error::not_found("odometer record", id))
}

pub(crate) const LIST_NEWEST_FIRST: &str = "SELECT id, vehicle_id, occurred_at, odometer, notes \
     FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0 \
     ORDER BY occurred_at DESC, id DESC LIMIT ?2 OFFSET ?3";

pub fn list(conn: &Connection, v: &Vehicle, page: Page) -> Result<Vec<OdometerRecord>> {
    let mut stmt = conn.prepare_cached(LIST_NEWEST_FIRST)?;
    let rows = stmt.query_map(params![v.id, page.limit, page.offset], |r| from_row(r, v))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The highest reading of each record kind; each is one seek on a (vehicle_id, odometer)
/// index. The current odometer is the largest of the three.
pub const CURRENT_ODOMETER: &str = "SELECT max(\
       coalesce((SELECT odometer FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY odometer DESC LIMIT 1), -1), \
       coalesce((SELECT odometer FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 AND odometer IS NOT NULL ORDER BY odometer DESC LIMIT 1), -1), \
       coalesce((SELECT odometer FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY odometer DESC LIMIT 1), -1))";

/// Current odometer in the vehicle's unit: the highest reading across all record kinds,
/// `None` when the vehicle has no reading yet.
pub fn current(conn: &Connection, vehicle_id: &str) -> Result<Option<f64>> {
    let v: f64 = conn
        .prepare_cached(CURRENT_ODOMETER)?
        .query_row([vehicle_id], |r| r.get(0))?;
    Ok((v >= 0.0).then_some(v))
}

/// A reading with its time, from whichever record kind holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: NaiveDateTime,
    pub odometer: f64,
}

/// The latest reading at or before `at` (ignoring record `exclude_id`), across all kinds.
pub const READING_BEFORE: &str = "SELECT occurred_at, odometer FROM (\
       SELECT occurred_at, odometer FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at <= ?2 AND id <> ?3 \
         ORDER BY occurred_at DESC, odometer DESC LIMIT 1) \
     UNION ALL SELECT occurred_at, odometer FROM (\
       SELECT occurred_at, odometer FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at <= ?2 AND id <> ?3 AND odometer IS NOT NULL \
         ORDER BY occurred_at DESC, odometer DESC LIMIT 1) \
     UNION ALL SELECT occurred_at, odometer FROM (\
       SELECT occurred_at, odometer FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at <= ?2 AND id <> ?3 \
         ORDER BY occurred_at DESC, odometer DESC LIMIT 1) \
     ORDER BY occurred_at DESC, odometer DESC LIMIT 1";

/// The earliest reading at or after `at` (ignoring record `exclude_id`), across all kinds.
pub const READING_AFTER: &str = "SELECT occurred_at, odometer FROM (\
       SELECT occurred_at, odometer FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at >= ?2 AND id <> ?3 \
         ORDER BY occurred_at ASC, odometer ASC LIMIT 1) \
     UNION ALL SELECT occurred_at, odometer FROM (\
       SELECT occurred_at, odometer FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at >= ?2 AND id <> ?3 AND odometer IS NOT NULL \
         ORDER BY occurred_at ASC, odometer ASC LIMIT 1) \
     UNION ALL SELECT occurred_at, odometer FROM (\
       SELECT occurred_at, odometer FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at >= ?2 AND id <> ?3 \
         ORDER BY occurred_at ASC, odometer ASC LIMIT 1) \
     ORDER BY occurred_at ASC, odometer ASC LIMIT 1";

fn reading(
    conn: &Connection,
    sql: &str,
    vehicle_id: &str,
    at: NaiveDateTime,
    exclude_id: &str,
) -> Result<Option<Reading>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![vehicle_id, time::to_sql(at), exclude_id], |r| {
            Ok(Reading {
                at: time::from_sql(r.get(0)?),
                odometer: r.get(1)?,
            })
        })
        .optional()?)
}

/// Most a vehicle plausibly covers per day, in km (about 21 hours at 70 km/h).
pub const MAX_KM_PER_DAY: f64 = 1_500.0;

/// The odometer typo guard. A reading lower than an earlier one, higher than a later one,
/// or a jump implausible for the time elapsed is refused unless the user confirmed it.
pub fn check_plausible(
    conn: &Connection,
    vehicle: &Vehicle,
    at: NaiveDateTime,
    reading_value: f64,
    exclude_id: &str,
) -> Result<()> {
    let before = reading(conn, READING_BEFORE, &vehicle.id, at, exclude_id)?;
    let after = reading(conn, READING_AFTER, &vehicle.id, at, exclude_id)?;
    match judge(vehicle.distance_unit, at, reading_value, before, after) {
        Some(reason) => Err(Error::OdometerNeedsConfirmation { reason }),
        None => Ok(()),
    }
}

/// The guard's rule without the database: `before` is the latest reading at or before
/// `at`, `after` the earliest at or after it. Importers call it with a file's own rows as
/// neighbours, so a backwards reading in an import is judged exactly as a typed one.
pub fn judge(
    unit: crate::units::DistanceUnit,
    at: NaiveDateTime,
    reading_value: f64,
    before: Option<Reading>,
    after: Option<Reading>,
) -> Option<String> {
    let label = unit.label();
    if let Some(before) = before {
        if reading_value < before.odometer {
            return Some(format!(
                "{reading_value} {label} is lower than the {} {label} recorded on {}",
                before.odometer,
                before.at.format("%Y-%m-%d")
            ));
        }
        let days = ((at - before.at).num_seconds() as f64 / 86_400.0).max(1.0);
        let jump_km = unit.to_km(reading_value - before.odometer);
        if jump_km > MAX_KM_PER_DAY * days {
            return Some(format!(
                "{} {label} more than on {} is implausible in {} day(s)",
                reading_value - before.odometer,
                before.at.format("%Y-%m-%d"),
                days.round()
            ));
        }
    }
    if let Some(after) = after {
        if reading_value > after.odometer {
            return Some(format!(
                "{reading_value} {label} is higher than the {} {label} recorded later, on {}",
                after.odometer,
                after.at.format("%Y-%m-%d")
            ));
        }
    }
    None
}
