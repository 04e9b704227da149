//! Fuel (or charging) records.

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::{Distance, Money, Volume};
use crate::vehicles::Vehicle;
use crate::{time, validate, Page, SyncStamp};

/// What a user enters for a fill-up. Numbers are in the vehicle's own units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FuelInput {
    pub vehicle_id: String,
    pub occurred_at: NaiveDateTime,
    /// Odometer reading in the vehicle's distance unit.
    pub odometer: f64,
    /// Fuel (or kWh) put in, in the vehicle's volume unit.
    pub quantity: f64,
    /// Total paid, in minor units of the vehicle's currency.
    pub total_cost_minor: i64,
    /// Filled to full. A partial fill counts towards the next full one.
    pub is_full: bool,
    /// The previous fill-up was not recorded: the segment ending here has no figure.
    #[serde(default)]
    pub missed_previous: bool,
    #[serde(default)]
    pub station: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FuelRecord {
    pub id: String,
    pub vehicle_id: String,
    pub occurred_at: NaiveDateTime,
    pub odometer: Distance,
    pub quantity: Volume,
    pub total_cost: Money,
    pub is_full: bool,
    pub missed_previous: bool,
    pub station: String,
    pub notes: String,
    pub tags: Vec<String>,
}

impl FuelRecord {
    /// Price per unit of fuel in minor units (rounded), if the quantity is positive.
    pub fn unit_price_minor(&self) -> Option<f64> {
        (self.quantity.value > 0.0).then(|| self.total_cost.minor as f64 / self.quantity.value)
    }
}

impl FuelInput {
    pub fn validate(&self, vehicle: &Vehicle, now: NaiveDateTime) -> Result<FuelRecord> {
        let occurred_at = validate::record_date("occurred_at", self.occurred_at, now)?;
        let odometer = validate::odometer("odometer", self.odometer)?;
        let quantity = validate::positive("quantity", self.quantity, 10_000.0)?;
        let total_cost_minor = validate::non_negative_money("total_cost", self.total_cost_minor)?;
        Ok(FuelRecord {
            id: String::new(),
            vehicle_id: vehicle.id.clone(),
            occurred_at,
            odometer: Distance::new(odometer, vehicle.distance_unit),
            quantity: Volume::new(quantity, vehicle.volume_unit),
            total_cost: Money::new(total_cost_minor, vehicle.currency),
            is_full: self.is_full,
            missed_previous: self.missed_previous,
            station: validate::optional_text("station", &self.station, validate::MAX_TEXT)?,
            notes: validate::optional_text("notes", &self.notes, validate::MAX_NOTES)?,
            tags: validate::tags("tags", &self.tags)?,
        })
    }
}

pub(crate) const INSERT: &str = "INSERT INTO fuel_records (id, vehicle_id, occurred_at, odometer, \
     quantity, total_cost, is_full, missed_previous, station, notes, tags, hlc, deleted, dirty, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, ?13, ?14)";

pub(crate) const UPDATE: &str = "UPDATE fuel_records SET occurred_at = ?3, odometer = ?4, \
     quantity = ?5, total_cost = ?6, is_full = ?7, missed_previous = ?8, station = ?9, notes = ?10, \
     tags = ?11, hlc = ?12, dirty = ?13, updated_at = ?14 \
     WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0";

const GET: &str = "SELECT id, vehicle_id, occurred_at, odometer, quantity, total_cost, is_full, \
     missed_previous, station, notes, tags FROM fuel_records WHERE id = ?1 AND deleted = 0";

/// Newest first: the order the fuel tab shows.
pub(crate) const LIST_NEWEST_FIRST: &str =
    "SELECT id, vehicle_id, occurred_at, odometer, quantity, total_cost, \
     is_full, missed_previous, station, notes, tags FROM fuel_records \
     WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY occurred_at DESC, id DESC \
     LIMIT ?2 OFFSET ?3";

const COUNT: &str = "SELECT count(*) FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0";

fn exec(conn: &Connection, sql: &str, r: &FuelRecord, s: &SyncStamp) -> Result<usize> {
    Ok(conn.prepare_cached(sql)?.execute(params![
        r.id,
        r.vehicle_id,
        time::to_sql(r.occurred_at),
        r.odometer.value,
        r.quantity.value,
        r.total_cost.minor,
        r.is_full,
        r.missed_previous,
        r.station,
        r.notes,
        validate::tags_to_sql(&r.tags),
        s.hlc,
        s.dirty,
        s.updated_at,
    ])?)
}

pub(crate) fn insert(conn: &Connection, r: &FuelRecord, s: &SyncStamp) -> Result<()> {
    exec(conn, INSERT, r, s)?;
    Ok(())
}

pub(crate) fn update(conn: &Connection, r: &FuelRecord, s: &SyncStamp) -> Result<()> {
    if exec(conn, UPDATE, r, s)? == 0 {
        return Err(Error::not_found("fuel record", &r.id));
    }
    Ok(())
}

fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<FuelRecord> {
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
        tags: validate::tags_from_sql(&row.get::<_, String>(10)?),
    })
}

/// The vehicle id of a live record, or NotFound.
pub(crate) fn vehicle_of(conn: &Connection, id: &str) -> Result<String> {
    conn.prepare_cached("SELECT vehicle_id FROM fuel_records WHERE id = ?1 AND deleted = 0")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found("fuel record", id))
}

pub fn get(conn: &Connection, v: &Vehicle, id: &str) -> Result<FuelRecord> {
    conn.prepare_cached(GET)?
        .query_row([id], |r| from_row(r, v))
        .optional()?
        .filter(|r| r.vehicle_id == v.id)
        .ok_or_else(|| Error::not_found("fuel record", id))
}

pub fn list(conn: &Connection, v: &Vehicle, page: Page) -> Result<Vec<FuelRecord>> {
    let mut stmt = conn.prepare_cached(LIST_NEWEST_FIRST)?;
    let rows = stmt.query_map(params![v.id, page.limit, page.offset], |r| from_row(r, v))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection, vehicle_id: &str) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(COUNT)?
        .query_row([vehicle_id], |r| r.get(0))?;
    Ok(n as u64)
}
