//! Fuel economy engine (full-to-full segments). Pure code: no database, no clock.
//!
//! Rules (see `ARCHITECTURE.md`, "Fuel economy"):
//! - Fill-ups are ordered by odometer; ties by date/time, then partial before full (so a fill
//!   split into a partial and a full at the same odometer orders correctly), then id.
//! - The first full fill is the first anchor; fills before it count in nothing.
//! - A segment runs from an anchor (full fill) to the next full fill that is further along.
//!   Its fuel is every fill after the anchor up to and including the closing fill; its
//!   distance is closing odometer minus anchor odometer; its cost is those fills' costs.
//! - A full fill at the same odometer as the anchor does not close anything: its fuel is
//!   carried into the segment like a partial's, and the anchor stays.
//! - A "missed previous fill-up" flag on any fill inside a segment (partial, carried full or
//!   the closing fill) voids that segment; its closing fill is a fresh anchor with no figure.
//! - Partials after the last full fill are open: they count in nothing yet.
//! - Averages are total distance over total fuel of valid segments, never a mean of ratios.
//!
//! All quantities stay in the vehicle's own units; [`Economy::value_in`] converts for display.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::fuel::FuelRecord;
use crate::units::{Distance, DistanceUnit, Economy, Volume, VolumeUnit};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// One fill-up (or charge) as the engine sees it, in the vehicle's own units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillUp {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    /// Odometer reading in the vehicle's distance unit.
    pub odometer: f64,
    /// Fuel (or kWh) put in, in the vehicle's volume unit.
    pub quantity: f64,
    /// Total paid, in minor units of the vehicle's currency.
    pub total_cost_minor: i64,
    pub is_full: bool,
    /// The fill-up before this one was not recorded.
    pub missed_previous: bool,
}

impl From<&FuelRecord> for FillUp {
    /// Takes the raw numbers: records are stored in their vehicle's units, which is what
    /// [`compute`] expects.
    fn from(r: &FuelRecord) -> Self {
        FillUp {
            id: r.id.clone(),
            occurred_at: r.occurred_at,
            odometer: r.odometer.value,
            quantity: r.quantity.value,
            total_cost_minor: r.total_cost.minor,
            is_full: r.is_full,
            missed_previous: r.missed_previous,
        }
    }
}

/// What a fill-up is in the segment structure. `segment` is a segment's
/// [`Segment::number`]; find it with [`EconomySummary::segment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FillRole {
    /// Before the first full fill: counts in nothing.
    BeforeFirstFull,
    /// The first full fill: starts the first segment, has no figure of its own.
    Anchor,
    /// A partial (or a full fill at the anchor's odometer) whose fuel counts in a segment.
    InSegment { segment: usize },
    /// The full fill that closes a valid segment (and anchors the next).
    Closes { segment: usize },
    /// Inside a segment voided by a missed fill-up (or with no usable figure).
    Voided,
    /// Closes a voided segment: a fresh anchor with no figure of its own.
    ClosesVoided,
    /// After the last full fill: counts in nothing until the next full fill.
    Open,
}

/// A fill-up's row in a fuel report: its role and the economy of its segment, if valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillEconomy {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub odometer: f64,
    pub is_full: bool,
    pub role: FillRole,
    /// Economy of the valid segment this fill closes or is inside.
    pub economy: Option<Economy>,
}

/// A valid full-to-full segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Ordinal among the valid segments of the whole history (0-based), stable in windows.
    pub number: usize,
    pub anchor_id: String,
    pub closing_id: String,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub start_odometer: f64,
    pub end_odometer: f64,
    pub distance: Distance,
    pub fuel: Volume,
    pub cost_minor: i64,
    pub economy: Economy,
    /// Fills whose fuel counts here, in order: partials, carried fills, then the closing fill.
    pub fill_ids: Vec<String>,
}

/// Economy of the valid segments closing in one calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonthEconomy {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    pub economy: Economy,
    pub distance: Distance,
    pub fuel: Volume,
    pub cost_minor: i64,
    pub segments: usize,
}

/// Economy over a history (or a window of it). Totals count valid segments only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EconomySummary {
    /// Fills in odometer order.
    pub fills: Vec<FillEconomy>,
    /// Valid segments in odometer order.
    pub segments: Vec<Segment>,
    /// Segments with no figure: voided by a missed fill-up (or with no usable fuel).
    pub voided_segments: usize,
    pub distance: Distance,
    pub fuel: Volume,
    pub cost_minor: i64,
    /// Total distance over total fuel of the valid segments.
    pub average: Option<Economy>,
    /// The valid segment going furthest per unit of fuel.
    pub best: Option<Economy>,
    /// The valid segment going least far per unit of fuel.
    pub worst: Option<Economy>,
}

/// Engine order: odometer, then time, then partial before full, then id; the remaining
/// fields only make equal ids deterministic.
fn engine_order(a: &FillUp, b: &FillUp) -> Ordering {
    a.odometer
        .total_cmp(&b.odometer)
        .then_with(|| a.occurred_at.cmp(&b.occurred_at))
        .then_with(|| a.is_full.cmp(&b.is_full))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.quantity.total_cmp(&b.quantity))
        .then_with(|| a.total_cost_minor.cmp(&b.total_cost_minor))
        .then_with(|| a.missed_previous.cmp(&b.missed_previous))
}

/// Computes segments, per-fill roles and totals. O(n log n) for the sort, then one pass.
pub fn compute(
    fills: &[FillUp],
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
) -> EconomySummary {
    let mut order: Vec<&FillUp> = fills.iter().collect();
    order.sort_unstable_by(|a, b| engine_order(a, b));

    let mut out: Vec<FillEconomy> = order
        .iter()
        .map(|f| FillEconomy {
            id: f.id.clone(),
            occurred_at: f.occurred_at,
            odometer: f.odometer,
            is_full: f.is_full,
            role: FillRole::BeforeFirstFull,
            economy: None,
        })
        .collect();
    let mut segments = Vec::new();
    let mut voided = 0;

    // Position of the current anchor in `order`; the open segment is (anchor, pos].
    let mut anchor: Option<usize> = None;
    let mut fuel = 0.0;
    let mut cost: i64 = 0;
    let mut missed = false;

    for (pos, f) in order.iter().enumerate() {
        let Some(a) = anchor else {
            if f.is_full {
                out[pos].role = FillRole::Anchor;
                anchor = Some(pos);
            }
            continue;
        };
        fuel += f.quantity;
        cost = cost.saturating_add(f.total_cost_minor);
        missed |= f.missed_previous;
        let anchor_fill = order[a];
        // Not full, or full at the anchor's odometer: carried into the segment.
        if !f.is_full || f.odometer == anchor_fill.odometer {
            continue;
        }
        let distance = Distance::new(f.odometer - anchor_fill.odometer, distance_unit);
        let volume = Volume::new(fuel, volume_unit);
        let economy = (!missed)
            .then(|| Economy::from_distance_and_fuel(distance, volume))
            .flatten();
        let members = &mut out[a + 1..=pos];
        match economy {
            Some(economy) => {
                let number = segments.len();
                for m in members.iter_mut() {
                    m.role = FillRole::InSegment { segment: number };
                    m.economy = Some(economy);
                }
                out[pos].role = FillRole::Closes { segment: number };
                segments.push(Segment {
                    number,
                    anchor_id: anchor_fill.id.clone(),
                    closing_id: f.id.clone(),
                    start_at: anchor_fill.occurred_at,
                    end_at: f.occurred_at,
                    start_odometer: anchor_fill.odometer,
                    end_odometer: f.odometer,
                    distance,
                    fuel: volume,
                    cost_minor: cost,
                    economy,
                    fill_ids: order[a + 1..=pos].iter().map(|m| m.id.clone()).collect(),
                });
            }
            None => {
                for m in members.iter_mut() {
                    m.role = FillRole::Voided;
                }
                out[pos].role = FillRole::ClosesVoided;
                voided += 1;
            }
        }
        anchor = Some(pos);
        fuel = 0.0;
        cost = 0;
        missed = false;
    }
    if let Some(a) = anchor {
        for m in &mut out[a + 1..] {
            m.role = FillRole::Open;
        }
    }
    summarise(out, segments, voided, distance_unit, volume_unit)
}

/// Builds a summary's totals from its valid segments.
fn summarise(
    fills: Vec<FillEconomy>,
    segments: Vec<Segment>,
    voided_segments: usize,
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
) -> EconomySummary {
    let mut distance = 0.0;
    let mut fuel = 0.0;
    let mut cost_minor: i64 = 0;
    let mut best: Option<Economy> = None;
    let mut worst: Option<Economy> = None;
    for s in &segments {
        distance += s.distance.value;
        fuel += s.fuel.value;
        cost_minor = cost_minor.saturating_add(s.cost_minor);
        let e = s.economy;
        if best.is_none_or(|b| e.km_per_base > b.km_per_base) {
            best = Some(e);
        }
        if worst.is_none_or(|w| e.km_per_base < w.km_per_base) {
            worst = Some(e);
        }
    }
    let distance = Distance::new(distance, distance_unit);
    let fuel = Volume::new(fuel, volume_unit);
    EconomySummary {
        fills,
        segments,
        voided_segments,
        distance,
        fuel,
        cost_minor,
        average: Economy::from_distance_and_fuel(distance, fuel),
        best,
        worst,
    }
}

impl EconomySummary {
    /// The valid segment with this [`Segment::number`], if it is in this summary.
    pub fn segment(&self, number: usize) -> Option<&Segment> {
        self.segments
            .binary_search_by_key(&number, |s| s.number)
            .ok()
            .map(|i| &self.segments[i])
    }

    /// Cost per distance over the valid segments: minor currency units per vehicle distance
    /// unit (e.g. cents per km). `None` without any valid segment.
    pub fn cost_per_distance_minor(&self) -> Option<f64> {
        (self.distance.value > 0.0).then(|| self.cost_minor as f64 / self.distance.value)
    }

    /// The summary of a date window `[from, to)`, e.g. "last 3 months": the valid and voided
    /// segments whose closing fill is in the window (whole, even if anchored before it), and
    /// the fills dated in the window with the roles and figures of the full history (so a
    /// fill may name a segment that closes outside the window).
    pub fn within(&self, from: NaiveDateTime, to: NaiveDateTime) -> EconomySummary {
        let inside = |t: NaiveDateTime| from <= t && t < to;
        let segments = self
            .segments
            .iter()
            .filter(|s| inside(s.end_at))
            .cloned()
            .collect();
        let voided = self
            .fills
            .iter()
            .filter(|f| f.role == FillRole::ClosesVoided && inside(f.occurred_at))
            .count();
        let fills = self
            .fills
            .iter()
            .filter(|f| inside(f.occurred_at))
            .cloned()
            .collect();
        summarise(fills, segments, voided, self.distance.unit, self.fuel.unit)
    }

    /// Valid segments grouped by the calendar month of their closing fill, oldest first.
    /// Each month's economy is its total distance over its total fuel.
    pub fn monthly(&self) -> Vec<MonthEconomy> {
        let mut months: BTreeMap<(i32, u32), (f64, f64, i64, usize)> = BTreeMap::new();
        for s in &self.segments {
            let key = (s.end_at.year(), s.end_at.month());
            let m = months.entry(key).or_insert((0.0, 0.0, 0, 0));
            m.0 += s.distance.value;
            m.1 += s.fuel.value;
            m.2 = m.2.saturating_add(s.cost_minor);
            m.3 += 1;
        }
        months
            .into_iter()
            .filter_map(|((year, month), (d, f, cost_minor, segments))| {
                let distance = Distance::new(d, self.distance.unit);
                let fuel = Volume::new(f, self.fuel.unit);
                Some(MonthEconomy {
                    year,
                    month,
                    economy: Economy::from_distance_and_fuel(distance, fuel)?,
                    distance,
                    fuel,
                    cost_minor,
                    segments,
                })
            })
            .collect()
    }
}
