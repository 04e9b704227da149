//! Reminders: due by date and/or by odometer, optionally recurring, with per-reminder
//! urgency thresholds. Urgency lives in `urgency`, completion and re-arming in
//! `completion` (the transaction itself is `Garage::complete_reminder`).

pub mod completion;
pub mod urgency;

pub use completion::{Completion, CompletionInput, CompletionOutcome, CompletionService};
pub use urgency::{ReminderStatus, Urgency};

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::Distance;
use crate::vehicles::Vehicle;
use crate::{time, validate, SyncStamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Schedule {
    /// The next due point counts from the previous due point (e.g. every 1 January).
    Fixed,
    /// The next due point counts from when the work was actually done.
    #[default]
    FromCompletion,
}

impl Schedule {
    pub fn code(self) -> &'static str {
        match self {
            Schedule::Fixed => "fixed",
            Schedule::FromCompletion => "from_completion",
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "fixed" => Ok(Schedule::Fixed),
            "from_completion" => Ok(Schedule::FromCompletion),
            _ => Err(Error::validation(
                "schedule",
                format!("must be fixed or from_completion, not {s:?}"),
            )),
        }
    }
}

/// Custom urgency thresholds for one reminder; `None` falls back to the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Thresholds {
    pub urgent_days: Option<i64>,
    pub very_urgent_days: Option<i64>,
    /// In the vehicle's distance unit.
    pub urgent_distance: Option<f64>,
    pub very_urgent_distance: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReminderInput {
    pub vehicle_id: String,
    pub title: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub due_at: Option<NaiveDateTime>,
    /// In the vehicle's distance unit.
    #[serde(default)]
    pub due_odometer: Option<f64>,
    #[serde(default)]
    pub recur_months: Option<u32>,
    /// In the vehicle's distance unit.
    #[serde(default)]
    pub recur_distance: Option<f64>,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub thresholds: Thresholds,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reminder {
    pub id: String,
    pub vehicle_id: String,
    pub title: String,
    pub notes: String,
    pub due_at: Option<NaiveDateTime>,
    pub due_odometer: Option<Distance>,
    pub recur_months: Option<u32>,
    pub recur_distance: Option<Distance>,
    pub schedule: Schedule,
    pub thresholds: Thresholds,
    /// False once a non-recurring reminder is completed.
    pub active: bool,
}

impl ReminderInput {
    pub fn validate(&self, vehicle: &Vehicle) -> Result<Reminder> {
        let title = validate::required_text("title", &self.title)?;
        if self.due_at.is_none() && self.due_odometer.is_none() {
            return Err(Error::validation(
                "due_at",
                "give a due date, a due odometer, or both",
            ));
        }
        if let Some(d) = self.due_at {
            if d < validate::earliest_date() {
                return Err(Error::validation("due_at", "must not be before 1900-01-01"));
            }
        }
        let due_odometer = self
            .due_odometer
            .map(|o| validate::odometer("due_odometer", o))
            .transpose()?;
        if let Some(m) = self.recur_months {
            if !(1..=240).contains(&m) {
                return Err(Error::validation(
                    "recur_months",
                    "must be between 1 and 240",
                ));
            }
        }
        let recur_distance = self
            .recur_distance
            .map(|d| validate::positive("recur_distance", d, validate::MAX_ODOMETER))
            .transpose()?;
        if self.recur_months.is_some() && self.due_at.is_none() {
            return Err(Error::validation(
                "due_at",
                "a reminder recurring by months needs a due date",
            ));
        }
        if recur_distance.is_some() && due_odometer.is_none() {
            return Err(Error::validation(
                "due_odometer",
                "a reminder recurring by distance needs a due odometer",
            ));
        }
        let t = self.thresholds;
        for (field, v) in [
            ("urgent_days", t.urgent_days),
            ("very_urgent_days", t.very_urgent_days),
        ] {
            if matches!(v, Some(d) if !(0..=3650).contains(&d)) {
                return Err(Error::validation(field, "must be between 0 and 3650 days"));
            }
        }
        for (field, v) in [
            ("urgent_distance", t.urgent_distance),
            ("very_urgent_distance", t.very_urgent_distance),
        ] {
            if let Some(d) = v {
                validate::finite(field, d)?;
                if d < 0.0 {
                    return Err(Error::validation(field, "must not be negative"));
                }
            }
        }
        if let (Some(u), Some(v)) = (t.urgent_days, t.very_urgent_days) {
            if v > u {
                return Err(Error::validation(
                    "very_urgent_days",
                    "must not exceed urgent_days",
                ));
            }
        }
        if let (Some(u), Some(v)) = (t.urgent_distance, t.very_urgent_distance) {
            if v > u {
                return Err(Error::validation(
                    "very_urgent_distance",
                    "must not exceed urgent_distance",
                ));
            }
        }
        Ok(Reminder {
            id: String::new(),
            vehicle_id: vehicle.id.clone(),
            title,
            notes: validate::optional_text("notes", &self.notes, validate::MAX_NOTES)?,
            due_at: self.due_at,
            due_odometer: due_odometer.map(|o| Distance::new(o, vehicle.distance_unit)),
            recur_months: self.recur_months,
            recur_distance: recur_distance.map(|d| Distance::new(d, vehicle.distance_unit)),
            schedule: self.schedule,
            thresholds: t,
            active: true,
        })
    }
}

pub(crate) const INSERT: &str = "INSERT INTO reminders (id, vehicle_id, title, notes, due_at, \
     due_odometer, recur_months, recur_distance, schedule, urgent_days, very_urgent_days, \
     urgent_distance, very_urgent_distance, active, hlc, deleted, dirty, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, ?16, ?17)";

pub(crate) const UPDATE: &str = "UPDATE reminders SET title = ?3, notes = ?4, due_at = ?5, \
     due_odometer = ?6, recur_months = ?7, recur_distance = ?8, schedule = ?9, urgent_days = ?10, \
     very_urgent_days = ?11, urgent_distance = ?12, very_urgent_distance = ?13, active = ?14, \
     hlc = ?15, dirty = ?16, updated_at = ?17 WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0";

const SELECT: &str = "SELECT id, vehicle_id, title, notes, due_at, due_odometer, recur_months, \
     recur_distance, schedule, urgent_days, very_urgent_days, urgent_distance, \
     very_urgent_distance, active FROM reminders";

fn exec(conn: &Connection, sql: &str, r: &Reminder, s: &SyncStamp) -> Result<usize> {
    let t = &r.thresholds;
    Ok(conn.prepare_cached(sql)?.execute(params![
        r.id,
        r.vehicle_id,
        r.title,
        r.notes,
        r.due_at.map(time::to_sql),
        r.due_odometer.map(|d| d.value),
        r.recur_months,
        r.recur_distance.map(|d| d.value),
        r.schedule.code(),
        t.urgent_days,
        t.very_urgent_days,
        t.urgent_distance,
        t.very_urgent_distance,
        r.active,
        s.hlc,
        s.dirty,
        s.updated_at,
    ])?)
}

pub(crate) fn insert(conn: &Connection, r: &Reminder, s: &SyncStamp) -> Result<()> {
    exec(conn, INSERT, r, s)?;
    Ok(())
}

pub(crate) fn update(conn: &Connection, r: &Reminder, s: &SyncStamp) -> Result<()> {
    if exec(conn, UPDATE, r, s)? == 0 {
        return Err(Error::not_found("reminder", &r.id));
    }
    Ok(())
}

fn from_row(row: &Row<'_>, v: &Vehicle) -> rusqlite::Result<Reminder> {
    let schedule: String = row.get(8)?;
    Ok(Reminder {
        id: row.get(0)?,
        vehicle_id: row.get(1)?,
        title: row.get(2)?,
        notes: row.get(3)?,
        due_at: row.get::<_, Option<i64>>(4)?.map(time::from_sql),
        due_odometer: row
            .get::<_, Option<f64>>(5)?
            .map(|o| Distance::new(o, v.distance_unit)),
        recur_months: row.get(6)?,
        recur_distance: row
            .get::<_, Option<f64>>(7)?
            .map(|o| Distance::new(o, v.distance_unit)),
        schedule: schedule.parse().map_err(|e: Error| {
            rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e))
        })?,
        thresholds: Thresholds {
            urgent_days: row.get(9)?,
            very_urgent_days: row.get(10)?,
            urgent_distance: row.get(11)?,
            very_urgent_distance: row.get(12)?,
        },
        active: row.get(13)?,
    })
}

pub(crate) fn vehicle_of(conn: &Connection, id: &str) -> Result<String> {
    conn.prepare_cached("SELECT vehicle_id FROM reminders WHERE id = ?1 AND deleted = 0")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found("reminder", id))
}

pub fn get(conn: &Connection, v: &Vehicle, id: &str) -> Result<Reminder> {
    conn.prepare_cached(&format!(
        "{SELECT} WHERE id = ?1 AND vehicle_id = ?2 AND deleted = 0"
    ))?
    .query_row(params![id, v.id], |r| from_row(r, v))
    .optional()?
    .ok_or_else(|| Error::not_found("reminder", id))
}

/// Active reminders of a vehicle, soonest due date first (odometer-only ones last).
pub const LIST_ACTIVE: &str =
    "SELECT id, vehicle_id, title, notes, due_at, due_odometer, recur_months, \
     recur_distance, schedule, urgent_days, very_urgent_days, urgent_distance, \
     very_urgent_distance, active FROM reminders \
     WHERE vehicle_id = ?1 AND active = 1 AND deleted = 0 ORDER BY due_at IS NULL, due_at, id";

pub fn list_active(conn: &Connection, v: &Vehicle) -> Result<Vec<Reminder>> {
    let mut stmt = conn.prepare_cached(LIST_ACTIVE)?;
    let rows = stmt.query_map([&v.id], |r| from_row(r, v))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every reminder of a vehicle, active or done.
pub fn list_all(conn: &Connection, v: &Vehicle) -> Result<Vec<Reminder>> {
    let sql = format!("{SELECT} WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY active DESC, due_at IS NULL, due_at, id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([&v.id], |r| from_row(r, v))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
