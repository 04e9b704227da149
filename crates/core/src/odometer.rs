//! Odometer readings, and the typo guard that checks a new reading (of any record kind)
//! against its neighbours. Readings across every kind are read in store/readings.rs.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::Distance;
use crate::validate;
use crate::vehicles::Vehicle;

pub use crate::store::readings::Reading;

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

/// Most a vehicle plausibly covers per day, in km (about 21 hours at 70 km/h).
pub const MAX_KM_PER_DAY: f64 = 1_500.0;

/// The odometer typo guard. A reading lower than an earlier one (`before`, the latest at
/// or before `at`), higher than a later one (`after`), or a jump implausible for the time
/// elapsed is refused unless the user confirmed it.
pub fn check_plausible(
    vehicle: &Vehicle,
    at: NaiveDateTime,
    reading_value: f64,
    before: Option<Reading>,
    after: Option<Reading>,
) -> Result<()> {
    match judge(vehicle.distance_unit, at, reading_value, before, after) {
        Some(reason) => Err(Error::OdometerNeedsConfirmation { reason }),
        None => Ok(()),
    }
}

/// The guard's rule as text: `before` is the latest reading at or before `at`, `after`
/// the earliest at or after it. Importers call it with a file's own rows as neighbours, so
/// a backwards reading in an import is judged exactly as a typed one.
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
