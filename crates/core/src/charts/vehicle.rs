//! A vehicle's charts, from its records: what the desktop app's Dashboard shows.

use std::collections::BTreeMap;

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use super::{ChartTheme, MonthCosts, SegmentPoint};
use crate::economy::{self, EconomySummary, FillUp};
use crate::error::{Error, Result};
use crate::garage::Garage;
use crate::units::DistanceUnit;
use crate::vehicles::Vehicle;
use crate::Page;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Economy,
    MonthlyCost,
    Odometer,
}

/// Months shown in the monthly cost chart.
const COST_MONTHS: usize = 12;
/// Segments in the economy chart's rolling average.
pub const ROLLING_SEGMENTS: usize = 5;

/// The economy engine over all of a vehicle's fill-ups (the chart needs every segment's
/// distance and fuel for its rolling average, which the fuel report does not carry).
fn economy_summary(garage: &Garage, v: &Vehicle) -> Result<EconomySummary> {
    let fills: Vec<FillUp> = garage
        .fuel_records(&v.id, Page::ALL)?
        .iter()
        .map(FillUp::from)
        .collect();
    Ok(economy::compute(&fills, v.distance_unit, v.volume_unit))
}

/// Draws one of a vehicle's charts as SVG.
pub fn vehicle_chart(
    garage: &Garage,
    vehicle_id: &str,
    kind: ChartKind,
    theme: ChartTheme,
) -> Result<String> {
    let v = garage.vehicle(vehicle_id)?;
    let svg = match kind {
        ChartKind::Odometer => {
            let mut readings: Vec<_> = garage
                .odometer_records(vehicle_id, Page::ALL)?
                .into_iter()
                .map(|r| (r.occurred_at, r.odometer.value))
                .chain(
                    garage
                        .fuel_records(vehicle_id, Page::ALL)?
                        .into_iter()
                        .map(|r| (r.occurred_at, r.odometer.value)),
                )
                .chain(
                    garage
                        .service_records(vehicle_id, None, Page::ALL)?
                        .into_iter()
                        .filter_map(|r| r.odometer.map(|o| (r.occurred_at, o.value))),
                )
                .collect();
            readings.sort_by_key(|a| a.0);
            let daily: Vec<_> = readings.into_iter().map(|(t, o)| (t.date(), o)).collect();
            let label = match v.distance_unit {
                DistanceUnit::Kilometre => "km",
                DistanceUnit::Mile => "mi",
            };
            super::odometer_over_time(&daily, label, theme)
        }
        ChartKind::MonthlyCost => {
            let today = garage.now().date();
            let first = (today.year() * 12 + today.month0() as i32) - (COST_MONTHS as i32 - 1);
            let mut months: BTreeMap<i32, BTreeMap<String, i64>> = (first
                ..first + COST_MONTHS as i32)
                .map(|m| (m, BTreeMap::new()))
                .collect();
            let key = |t: chrono::NaiveDateTime| t.year() * 12 + t.month0() as i32;
            for r in garage.fuel_records(vehicle_id, Page::ALL)? {
                if let Some(m) = months.get_mut(&key(r.occurred_at)) {
                    *m.entry("Fuel".into()).or_default() += r.total_cost.minor;
                }
            }
            for r in garage.service_records(vehicle_id, None, Page::ALL)? {
                if let Some(m) = months.get_mut(&key(r.occurred_at)) {
                    let cat = match r.kind.code() {
                        "service" => "Service",
                        "repair" => "Repair",
                        _ => "Upgrade",
                    };
                    *m.entry(cat.into()).or_default() += r.cost.minor;
                }
            }
            let order = ["Fuel", "Service", "Repair", "Upgrade"];
            let data: Vec<MonthCosts> = months
                .into_iter()
                .map(|(m, cats)| MonthCosts {
                    year: m.div_euclid(12),
                    month: m.rem_euclid(12) as u32 + 1,
                    by_category: order
                        .iter()
                        .filter_map(|c| cats.get(*c).map(|v| (c.to_string(), *v)))
                        .collect(),
                })
                .collect();
            super::monthly_cost(&data, v.currency.minor_digits(), theme)
        }
        ChartKind::Economy => {
            let segments: Vec<SegmentPoint> = economy_summary(garage, &v)?
                .segments
                .iter()
                .map(|s| SegmentPoint {
                    date: s.end_at.date(),
                    distance: s.distance,
                    fuel: s.fuel,
                })
                .collect();
            super::economy_over_time(&segments, v.economy_unit, ROLLING_SEGMENTS, theme)
        }
    };
    svg.map_err(Error::Other)
}
