//! Fuel (or charging) records: what a user enters, the rules it must meet, and the stored
//! record (its SQL is in store/fuel.rs).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::units::{Distance, Money, Volume};
use crate::validate;
use crate::vehicles::Vehicle;

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
