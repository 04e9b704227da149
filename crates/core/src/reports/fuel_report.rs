//! The fuel-efficiency report of one vehicle over a date range `[from, to)`.
//!
//! Segments are always found over the vehicle's whole history (a window's first fill may
//! close a segment anchored before the window), then cut to the window by the engine's
//! `within`: a segment belongs to the month and window its closing fill is in.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::dashboard::EconomyFigure;
use super::history::FuelHistory;
use crate::economy::{FillRole, FillUp};
use crate::units::{Currency, DistanceUnit, EconomyUnit, VolumeUnit};
use crate::vehicles::Vehicle;

/// One fill-up in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FuelRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub odometer: f64,
    pub quantity: f64,
    pub cost_minor: i64,
    /// Minor units per volume unit; `None` for a zero quantity.
    pub unit_price_minor: Option<f64>,
    pub is_full: bool,
    pub missed_previous: bool,
    pub role: FillRole,
    /// The economy of the valid segment this fill closes or is inside.
    pub economy: Option<EconomyFigure>,
}

/// One calendar month of the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FuelMonth {
    pub year: i32,
    pub month: u32,
    /// Distance over fuel of the valid segments closing this month.
    pub economy: Option<EconomyFigure>,
    pub segments: usize,
    /// Fill-ups dated this month, what they added up to and cost.
    pub fills: usize,
    pub quantity: f64,
    pub spent_minor: i64,
    /// Spent over quantity: the month's average price per volume unit.
    pub average_price_minor: Option<f64>,
}

/// A fill-up's price, for the price-over-time chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PricePoint {
    pub at: NaiveDateTime,
    pub price_minor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FuelReport {
    pub vehicle_id: String,
    pub vehicle_name: String,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub distance_unit: DistanceUnit,
    pub volume_unit: VolumeUnit,
    pub economy_unit: EconomyUnit,
    pub currency: Currency,
    /// Fill-ups dated in the window, in odometer order.
    pub rows: Vec<FuelRow>,
    pub months: Vec<FuelMonth>,
    pub average: Option<EconomyFigure>,
    pub best: Option<EconomyFigure>,
    pub worst: Option<EconomyFigure>,
    /// Valid segments closing in the window and their totals.
    pub segments: usize,
    pub voided_segments: usize,
    pub distance: f64,
    pub fuel: f64,
    pub segment_cost_minor: i64,
    /// Everything bought in the window, whether or not it counts in a segment yet.
    pub quantity: f64,
    pub spent_minor: i64,
    pub price_per_unit: Vec<PricePoint>,
    /// Segment cost over segment distance: minor units per distance unit.
    pub cost_per_distance_minor: Option<f64>,
}

fn unit_price(f: &FillUp) -> Option<f64> {
    (f.quantity > 0.0).then(|| f.total_cost_minor as f64 / f.quantity)
}

/// The report of `v` over `[from, to)` from its fuel history.
pub(crate) fn compute(
    v: &Vehicle,
    history: &FuelHistory,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> FuelReport {
    let inside = |t: NaiveDateTime| from <= t && t < to;
    let a = &history.analysis;
    let window = a.totals(&history.fills, from, to);
    let unit = v.economy_unit;

    let mut rows = Vec::new();
    let mut months: BTreeMap<(i32, u32), FuelMonth> = BTreeMap::new();
    let mut quantity = 0.0;
    let mut spent_minor: i64 = 0;
    for pos in 0..a.order.len() {
        let f = history.fill(pos);
        if !inside(f.occurred_at) {
            continue;
        }
        quantity += f.quantity;
        spent_minor = spent_minor.saturating_add(f.total_cost_minor);
        let m = months
            .entry((f.occurred_at.year(), f.occurred_at.month()))
            .or_insert_with(|| empty_month(f.occurred_at.year(), f.occurred_at.month()));
        m.fills += 1;
        m.quantity += f.quantity;
        m.spent_minor = m.spent_minor.saturating_add(f.total_cost_minor);
        rows.push(FuelRow {
            id: f.id.clone(),
            occurred_at: f.occurred_at,
            odometer: f.odometer,
            quantity: f.quantity,
            cost_minor: f.total_cost_minor,
            unit_price_minor: unit_price(f),
            is_full: f.is_full,
            missed_previous: f.missed_previous,
            role: a.roles[pos],
            economy: EconomyFigure::of(a.economy[pos], unit),
        });
    }
    for me in a.monthly(from, to) {
        let m = months
            .entry((me.year, me.month))
            .or_insert_with(|| empty_month(me.year, me.month));
        m.economy = EconomyFigure::of(Some(me.economy), unit);
        m.segments = me.segments;
    }
    for m in months.values_mut() {
        m.average_price_minor = (m.quantity > 0.0).then(|| m.spent_minor as f64 / m.quantity);
    }
    let mut price_per_unit: Vec<PricePoint> = rows
        .iter()
        .filter_map(|r| {
            r.unit_price_minor.map(|p| PricePoint {
                at: r.occurred_at,
                price_minor: p,
            })
        })
        .collect();
    price_per_unit.sort_by_key(|p| p.at);

    FuelReport {
        vehicle_id: v.id.clone(),
        vehicle_name: v.name.clone(),
        from,
        to,
        distance_unit: v.distance_unit,
        volume_unit: v.volume_unit,
        economy_unit: unit,
        currency: v.currency,
        rows,
        months: months.into_values().collect(),
        average: EconomyFigure::of(window.average, unit),
        best: EconomyFigure::of(window.best, unit),
        worst: EconomyFigure::of(window.worst, unit),
        segments: window.segments,
        voided_segments: window.voided_segments,
        distance: window.distance.value,
        fuel: window.fuel.value,
        segment_cost_minor: window.cost_minor,
        quantity,
        spent_minor,
        price_per_unit,
        cost_per_distance_minor: window.cost_per_distance_minor(),
    }
}

fn empty_month(year: i32, month: u32) -> FuelMonth {
    FuelMonth {
        year,
        month,
        economy: None,
        segments: 0,
        fills: 0,
        quantity: 0.0,
        spent_minor: 0,
        average_price_minor: None,
    }
}
