//! Vehicles: what they are and which units and currency their records use.

use chrono::Datelike;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::{Currency, DistanceUnit, EconomyUnit, Energy, FuelKind, VolumeUnit};
use crate::validate;
use crate::SyncStamp;

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

const COLUMNS: &str = "id, name, make, model, year, plate, vin, fuel_kind, distance_unit, \
     volume_unit, economy_unit, currency, archived";

pub(crate) const INSERT: &str = "INSERT INTO vehicles (id, name, make, model, year, plate, vin, \
     fuel_kind, distance_unit, volume_unit, economy_unit, currency, archived, hlc, deleted, dirty, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0, ?15, ?16)";

pub(crate) const UPDATE: &str = "UPDATE vehicles SET name = ?2, make = ?3, model = ?4, year = ?5, \
     plate = ?6, vin = ?7, fuel_kind = ?8, distance_unit = ?9, volume_unit = ?10, economy_unit = ?11, \
     currency = ?12, archived = ?13, hlc = ?14, dirty = ?15, updated_at = ?16 \
     WHERE id = ?1 AND deleted = 0";

fn select_live() -> String {
    format!("SELECT {COLUMNS} FROM vehicles WHERE id = ?1 AND deleted = 0")
}

pub(crate) fn insert(conn: &Connection, v: &Vehicle, s: &SyncStamp) -> Result<()> {
    conn.prepare_cached(INSERT)?.execute(params![
        v.id,
        v.name,
        v.make,
        v.model,
        v.year,
        v.plate,
        v.vin,
        v.fuel_kind.code(),
        v.distance_unit.code(),
        v.volume_unit.code(),
        v.economy_unit.code(),
        v.currency.code(),
        v.archived,
        s.hlc,
        s.dirty,
        s.updated_at,
    ])?;
    Ok(())
}

pub(crate) fn update(conn: &Connection, v: &Vehicle, s: &SyncStamp) -> Result<()> {
    let n = conn.prepare_cached(UPDATE)?.execute(params![
        v.id,
        v.name,
        v.make,
        v.model,
        v.year,
        v.plate,
        v.vin,
        v.fuel_kind.code(),
        v.distance_unit.code(),
        v.volume_unit.code(),
        v.economy_unit.code(),
        v.currency.code(),
        v.archived,
        s.hlc,
        s.dirty,
        s.updated_at,
    ])?;
    if n == 0 {
        return Err(Error::not_found("vehicle", &v.id));
    }
    Ok(())
}

fn parse<T: std::str::FromStr>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(idx)?;
    text.parse::<T>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Vehicle> {
    Ok(Vehicle {
        id: row.get(0)?,
        name: row.get(1)?,
        make: row.get(2)?,
        model: row.get(3)?,
        year: row.get(4)?,
        plate: row.get(5)?,
        vin: row.get(6)?,
        fuel_kind: parse(row, 7)?,
        distance_unit: parse(row, 8)?,
        volume_unit: parse(row, 9)?,
        economy_unit: parse(row, 10)?,
        currency: parse(row, 11)?,
        archived: row.get(12)?,
    })
}

/// A live (not deleted) vehicle, or NotFound.
pub fn get(conn: &Connection, id: &str) -> Result<Vehicle> {
    conn.prepare_cached(&select_live())?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found("vehicle", id))
}

/// Live vehicles, active ones by name (served in order by `vehicles_live_by_name`).
pub(crate) const LIST_ACTIVE: &str = "SELECT id, name, make, model, year, plate, vin, fuel_kind, \
     distance_unit, volume_unit, economy_unit, currency, archived FROM vehicles \
     WHERE archived = 0 AND deleted = 0 ORDER BY archived, name, id";

/// Live vehicles including archived ones, active first.
pub(crate) const LIST_ALL: &str = "SELECT id, name, make, model, year, plate, vin, fuel_kind, \
     distance_unit, volume_unit, economy_unit, currency, archived FROM vehicles \
     WHERE deleted = 0 ORDER BY archived, name, id";

pub fn list(conn: &Connection, include_archived: bool) -> Result<Vec<Vehicle>> {
    let sql = if include_archived {
        LIST_ALL
    } else {
        LIST_ACTIVE
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
