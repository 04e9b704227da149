//! Service, repair and upgrade records: work done on a vehicle and what it cost.

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::{Distance, Money};
use crate::vehicles::Vehicle;
use crate::{time, validate, Page, SyncStamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ServiceKind {
    Service,
    Repair,
    Upgrade,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 3] = [
        ServiceKind::Service,
        ServiceKind::Repair,
        ServiceKind::Upgrade,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ServiceKind::Service => "service",
            ServiceKind::Repair => "repair",
            ServiceKind::Upgrade => "upgrade",
        }
    }
}

impl std::str::FromStr for ServiceKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ServiceKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| {
                Error::validation(
                    "kind",
                    format!("must be service, repair or upgrade, not {s:?}"),
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServiceInput {
    pub vehicle_id: String,
    pub kind: ServiceKind,
    pub occurred_at: NaiveDateTime,
    /// Odometer reading in the vehicle's distance unit, if known.
    #[serde(default)]
    pub odometer: Option<f64>,
    pub title: String,
    #[serde(default)]
    pub category: String,
    /// Cost in minor units of the vehicle's currency.
    #[serde(default)]
    pub cost_minor: i64,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServiceRecord {
    pub id: String,
    pub vehicle_id: String,
    pub kind: ServiceKind,
    pub occurred_at: NaiveDateTime,
    pub odometer: Option<Distance>,
    pub title: String,
    pub category: String,
    pub cost: Money,
    pub notes: String,
    pub tags: Vec<String>,
}

impl ServiceInput {
    pub fn validate(&self, vehicle: &Vehicle, now: NaiveDateTime) -> Result<ServiceRecord> {
        let occurred_at = validate::record_date("occurred_at", self.occurred_at, now)?;
        let odometer = self
            .odometer
            .map(|o| validate::odometer("odometer", o))
            .transpose()?;
        Ok(ServiceRecord {
            id: String::new(),
            vehicle_id: vehicle.id.clone(),
            kind: self.kind,
            occurred_at,
            odometer: odometer.map(|o| Distance::new(o, vehicle.distance_unit)),
            title: validate::required_text("title", &self.title)?,
            category: validate::optional_text("category", &self.category, 60)?,
            cost: Money::new(
                validate::non_negative_money("cost", self.cost_minor)?,
                vehicle.currency,
            ),
            notes: validate::optional_text("notes", &self.notes, validate::MAX_NOTES)?,
            tags: validate::tags("tags", &self.tags)?,
        })
    }
}

pub(crate) const INSERT: &str = "INSERT INTO service_records (id, vehicle_id, kind, occurred_at, \
     odometer, title, category, cost, notes, tags, hlc, deleted, dirty, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13)";

pub(crate) const UPDATE: &str = "UPDATE service_records SET kind = ?3, occurred_at = ?4, \
     odometer = ?5, title = ?6, category = ?7, cost = ?8, notes = ?9, tags = ?10, hlc = ?11, \
     dirty = ?12, updated_at = ?13 WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0";

const SELECT: &str = "SELECT id, vehicle_id, kind, occurred_at, odometer, title, category, cost, \
     notes, tags FROM service_records";

fn exec(conn: &Connection, sql: &str, r: &ServiceRecord, s: &SyncStamp) -> Result<usize> {
    Ok(conn.prepare_cached(sql)?.execute(params![
        r.id,
        r.vehicle_id,
        r.kind.code(),
        time::to_sql(r.occurred_at),
        r.odometer.map(|d| d.value),
        r.title,
        r.category,
        r.cost.minor,
        r.notes,
        validate::tags_to_sql(&r.tags),
        s.hlc,
        s.dirty,
        s.updated_at,
    ])?)
}

pub(crate) fn insert(conn: &Connection, r: &ServiceRecord, s: &SyncStamp) -> Result<()> {
    exec(conn, INSERT, r, s)?;
    Ok(())
}

pub(crate) fn update(conn: &Connection, r: &ServiceRecord, s: &SyncStamp) -> Result<()> {
    if exec(conn, UPDATE, r, s)? == 0 {
        return Err(Error::not_found("service record", &r.id));
    }
    Ok(())
}

fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<ServiceRecord> {
    let kind: String = row.get(2)?;
    Ok(ServiceRecord {
        id: row.get(0)?,
        vehicle_id: row.get(1)?,
        kind: kind.parse().map_err(|e: Error| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })?,
        occurred_at: time::from_sql(row.get(3)?),
        odometer: row
            .get::<_, Option<f64>>(4)?
            .map(|o| Distance::new(o, v.distance_unit)),
        title: row.get(5)?,
        category: row.get(6)?,
        cost: Money::new(row.get(7)?, v.currency),
        notes: row.get(8)?,
        tags: validate::tags_from_sql(&row.get::<_, String>(9)?),
    })
}

pub(crate) fn vehicle_of(conn: &Connection, id: &str) -> Result<String> {
    conn.prepare_cached("SELECT vehicle_id FROM service_records WHERE id = ?1 AND deleted = 0")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found("service record", id))
}

pub fn get(conn: &Connection, v: &Vehicle, id: &str) -> Result<ServiceRecord> {
    conn.prepare_cached(&format!(
        "{SELECT} WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
    ))?
    .query_row(params![id, v.id], |r| from_row(r, v))
    .optional()?
    .ok_or_else(|| Error::not_found("service record", id))
}

/// Newest first, optionally of one kind only.
pub(crate) const LIST_NEWEST_FIRST: &str =
    "SELECT id, vehicle_id, kind, occurred_at, odometer, title, \
     category, cost, notes, tags FROM service_records \
     WHERE vehicle_id = ?1 AND deleted = 0 AND (?2 IS NULL OR kind = ?2) \
     ORDER BY occurred_at DESC, id DESC LIMIT ?3 OFFSET ?4";

pub fn list(
    conn: &Connection,
    v: &Vehicle,
    kind: Option<ServiceKind>,
    page: Page,
) -> Result<Vec<ServiceRecord>> {
    let mut stmt = conn.prepare_cached(LIST_NEWEST_FIRST)?;
    let rows = stmt.query_map(
        params![v.id, kind.map(ServiceKind::code), page.limit, page.offset],
        |r| from_row(r, v),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
