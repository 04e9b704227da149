//! The record lists the vehicle tabs show, one call each, newest first and paged: only
//! the rows a tab shows travel to the window (a vehicle with 30,000 imported records sent
//! megabytes of JSON per refresh for a tab that shows 25), with the totals the tab prints
//! over every matching record.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::{lifetime, App};
use crate::error::Result;
use crate::fuel::FuelRecord;
use crate::odometer::OdometerRecord;
use crate::service::{ServiceKind, ServiceRecord};
use crate::Page;

/// A vehicle's newest fill-ups with the economy each one shows (the figure of the
/// full-to-full segment it closes), in one call for the Fuel tab.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FuelLog {
    /// Newest first, at most the limit asked for.
    pub records: Vec<FuelRecord>,
    /// Parallel to `records`: the economy shown on that row, in the vehicle's unit.
    pub economy: Vec<Option<f64>>,
    /// Every fill-up of the vehicle (the tab offers the older ones on demand).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

/// A vehicle's newest service, repair and upgrade records of one kind (or all) and one
/// tag (or any), for the Service tab.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServiceLog {
    /// Newest first, at most the limit asked for.
    pub records: Vec<ServiceRecord>,
    /// Records matching the kind and tag.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    /// Their cost, in minor units of the vehicle's currency.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cost_minor: i64,
    /// Every tag on records of this kind, sorted (the tag filter's choices).
    pub tags: Vec<String>,
}

/// A vehicle's newest separate odometer readings, for the Odometer tab.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OdometerLog {
    /// Newest first, at most the limit asked for.
    pub records: Vec<OdometerRecord>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

impl App {
    pub fn fuel_log(&self, vehicle_id: &str, limit: u32) -> Result<FuelLog> {
        let records = self.garage.fuel_records(vehicle_id, Page::first(limit))?;
        let (from, to) = lifetime();
        let report = self.reports.fuel_report(vehicle_id, from, to)?;
        let total = report.rows.len() as u64;
        let shown: HashMap<&str, Option<f64>> = report
            .rows
            .iter()
            .map(|r| {
                let closes = matches!(r.role, crate::economy::FillRole::Closes { .. });
                (
                    r.id.as_str(),
                    closes.then(|| r.economy.map(|e| e.value)).flatten(),
                )
            })
            .collect();
        let economy = records
            .iter()
            .map(|r| shown.get(r.id.as_str()).copied().flatten())
            .collect();
        Ok(FuelLog {
            records,
            economy,
            total,
        })
    }

    /// The totals and tags are over every matching record; the records themselves are
    /// the newest `limit`.
    pub fn service_log(
        &self,
        vehicle_id: &str,
        kind: Option<ServiceKind>,
        tag: Option<&str>,
        limit: u32,
    ) -> Result<ServiceLog> {
        let all = self.garage.service_records(vehicle_id, kind, Page::ALL)?;
        let tags: BTreeSet<&str> = all
            .iter()
            .flat_map(|r| r.tags.iter())
            .map(String::as_str)
            .collect();
        let tags = tags.into_iter().map(str::to_owned).collect();
        let matching = all
            .iter()
            .filter(|r| tag.is_none_or(|t| r.tags.iter().any(|x| x == t)));
        let (mut total, mut total_cost_minor) = (0u64, 0i64);
        let mut records = Vec::new();
        for r in matching {
            total += 1;
            total_cost_minor = total_cost_minor.saturating_add(r.cost.minor);
            if records.len() < limit as usize {
                records.push(r.clone());
            }
        }
        Ok(ServiceLog {
            records,
            total,
            total_cost_minor,
            tags,
        })
    }

    pub fn odometer_log(&self, vehicle_id: &str, limit: u32) -> Result<OdometerLog> {
        let mut records = self.garage.odometer_records(vehicle_id, Page::ALL)?;
        let total = records.len() as u64;
        records.truncate(limit as usize);
        Ok(OdometerLog { records, total })
    }
}
