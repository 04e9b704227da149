//! Reminders: due by date and/or by odometer, optionally recurring, with per-reminder
//! urgency thresholds. Urgency lives in `urgency`, completion and re-arming in
//! `completion` (the transaction itself is `Garage::complete_reminder`). Their SQL is in
//! store/reminders.rs and store/completions.rs.

pub mod completion;
pub mod urgency;

pub use completion::{Completion, CompletionInput, CompletionOutcome, CompletionService};
pub use urgency::{ReminderStatus, Urgency};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::Distance;
use crate::validate;
use crate::vehicles::Vehicle;

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
