//! Vehicles: what they are and which units and currency their records use (their SQL is
//! in store/vehicles.rs).

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::{Currency, DistanceUnit, EconomyUnit, Energy, FuelKind, VolumeUnit};
use crate::validate;

/// What a user enters to create or edit a vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VehicleInput {
    pub name: String,
    #[serde(default)]
    pub make: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub plate: String,
    #[serde(default)]
    pub vin: String,
    pub fuel_kind: FuelKind,
    pub distance_unit: DistanceUnit,
    pub volume_unit: VolumeUnit,
    /// Defaults from the distance and volume units when not given.
    #[serde(default)]
    pub economy_unit: Option<EconomyUnit>,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Vehicle {
    pub id: String,
    pub name: String,
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    pub plate: String,
    pub vin: String,
    pub fuel_kind: FuelKind,
    pub distance_unit: DistanceUnit,
    pub volume_unit: VolumeUnit,
    pub economy_unit: EconomyUnit,
    pub currency: Currency,
    pub archived: bool,
}

impl From<&Vehicle> for VehicleInput {
    /// The vehicle's fields as a form holds them: the start of an edit.
    fn from(v: &Vehicle) -> Self {
        VehicleInput {
            name: v.name.clone(),
            make: v.make.clone(),
            model: v.model.clone(),
            year: v.year,
            plate: v.plate.clone(),
            vin: v.vin.clone(),
            fuel_kind: v.fuel_kind,
            distance_unit: v.distance_unit,
            volume_unit: v.volume_unit,
            economy_unit: Some(v.economy_unit),
            currency: v.currency,
        }
    }
}

impl VehicleInput {
    /// A plain petrol car in km/L/EUR: a convenient starting point for forms and tests.
    pub fn new(name: impl Into<String>) -> Self {
        VehicleInput {
            name: name.into(),
            make: String::new(),
            model: String::new(),
            year: None,
            plate: String::new(),
            vin: String::new(),
            fuel_kind: FuelKind::Petrol,
            distance_unit: DistanceUnit::Kilometre,
            volume_unit: VolumeUnit::Litre,
            economy_unit: None,
            currency: Currency::EUR,
        }
    }

    /// Checks every rule and returns the normalised vehicle (without id).
    pub fn validate(&self, current_year: i32) -> Result<Vehicle> {
        let name = validate::required_text("name", &self.name)?;
        let make = validate::optional_text("make", &self.make, validate::MAX_TEXT)?;
        let model = validate::optional_text("model", &self.model, validate::MAX_TEXT)?;
        let plate = validate::optional_text("plate", &self.plate, 20)?;
        if let Some(year) = self.year {
            if !(1886..=current_year + 1).contains(&year) {
                return Err(Error::validation(
                    "year",
                    format!("must be between 1886 and {}", current_year + 1),
                ));
            }
        }
        let vin = self.vin.trim().to_ascii_uppercase();
        if !vin.is_empty() {
            if !vin.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::validation(
                    "vin",
                    "may contain only letters and digits",
                ));
            }
            if vin.len() > 17 {
                return Err(Error::validation("vin", "is longer than 17 characters"));
            }
            if vin.len() == 17 && vin.bytes().any(|b| matches!(b, b'I' | b'O' | b'Q')) {
                return Err(Error::validation(
                    "vin",
                    "a 17-character VIN never contains I, O or Q",
                ));
            }
        }
        let energy = self.volume_unit.energy();
        match self.fuel_kind {
            FuelKind::Electric if energy != Energy::Electric => {
                return Err(Error::validation(
                    "volume_unit",
                    "an electric vehicle is charged in kWh",
                ))
            }
            FuelKind::Cng if energy != Energy::Mass => {
                return Err(Error::validation(
                    "volume_unit",
                    "a CNG vehicle is filled in kg",
                ))
            }
            FuelKind::Petrol | FuelKind::Diesel | FuelKind::Lpg if energy != Energy::Liquid => {
                return Err(Error::validation(
                    "volume_unit",
                    format!(
                        "a {} vehicle is filled in litres or gallons",
                        self.fuel_kind.label().to_lowercase()
                    ),
                ))
            }
            _ => {}
        }
        let economy_unit = self
            .economy_unit
            .unwrap_or_else(|| EconomyUnit::default_for(self.distance_unit, self.volume_unit));
        if economy_unit.energy() != energy {
            return Err(Error::validation(
                "economy_unit",
                format!(
                    "{} does not fit fuel measured in {}",
                    economy_unit.label(),
                    self.volume_unit.label()
                ),
            ));
        }
        Ok(Vehicle {
            id: String::new(),
            name,
            make,
            model,
            year: self.year,
            plate,
            vin,
            fuel_kind: self.fuel_kind,
            distance_unit: self.distance_unit,
            volume_unit: self.volume_unit,
            economy_unit,
            currency: self.currency,
            archived: false,
        })
    }

    pub fn validate_now(&self) -> Result<Vehicle> {
        self.validate(crate::time::now_local().year())
    }
}
