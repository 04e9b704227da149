//! Service, repair and upgrade records: work done on a vehicle and what it cost (their SQL
//! is in store/service.rs).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::{Distance, Money};
use crate::validate;
use crate::vehicles::Vehicle;

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
