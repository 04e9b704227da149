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

/// A valid segment by position in engine order: what [`Analysis`] keeps instead of
/// cloning ids (the reports read many fills and need few ids).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentAt {
    /// Positions (in engine order) of the anchor and the closing fill.
    pub anchor: usize,
    pub closing: usize,
    pub end_at: NaiveDateTime,
    /// Distance and fuel in the vehicle's units.
    pub distance: f64,
    pub fuel: f64,
    pub cost_minor: i64,
    pub economy: Economy,
}

/// The engine's result over a slice of fill-ups, by position: the slice sorted into
/// engine order (`order[pos]` is an index into the slice), each position's role and
/// figure, and the valid segments. Owns no fill data, so it can be kept beside the fills
/// it describes; every method takes that same slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub distance_unit: DistanceUnit,
    pub volume_unit: VolumeUnit,
    pub order: Vec<u32>,
    pub roles: Vec<FillRole>,
    pub economy: Vec<Option<Economy>>,
    pub segments: Vec<SegmentAt>,
    pub voided_segments: usize,
}

/// Totals over the valid segments closing in a window (or the whole history).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    pub segments: usize,
    pub voided_segments: usize,
    pub distance: Distance,
    pub fuel: Volume,
    pub cost_minor: i64,
    pub average: Option<Economy>,
    pub best: Option<Economy>,
    pub worst: Option<Economy>,
}

impl Totals {
    /// Minor currency units per distance unit over the valid segments.
    pub fn cost_per_distance_minor(&self) -> Option<f64> {
        (self.distance.value > 0.0).then(|| self.cost_minor as f64 / self.distance.value)
    }
}

/// Sums segments in order (the one place the engine adds them up, so every report that
/// totals the same segments gets the same bits).
pub(crate) fn totals<'s>(
    segments: impl Iterator<Item = &'s SegmentAt>,
    voided_segments: usize,
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
) -> Totals {
    let mut n = 0;
    let mut distance = 0.0;
    let mut fuel = 0.0;
    let mut cost_minor: i64 = 0;
    let mut best: Option<Economy> = None;
    let mut worst: Option<Economy> = None;
    for s in segments {
        n += 1;
        distance += s.distance;
        fuel += s.fuel;
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
    Totals {
        segments: n,
        voided_segments,
        distance,
        fuel,
        cost_minor,
        average: Economy::from_distance_and_fuel(distance, fuel),
        best,
        worst,
    }
}

/// Segments, per-fill roles and totals. O(n log n) for the sort, then one pass.
pub fn analyse(fills: &[FillUp], distance_unit: DistanceUnit, volume_unit: VolumeUnit) -> Analysis {
    let mut order: Vec<u32> = (0..fills.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| engine_order(&fills[a as usize], &fills[b as usize]));
    let at = |pos: usize| &fills[order[pos] as usize];

    let mut roles = vec![FillRole::BeforeFirstFull; fills.len()];
    let mut economies: Vec<Option<Economy>> = vec![None; fills.len()];
    let mut segments = Vec::new();
    let mut voided = 0;

    // Position of the current anchor in `order`; the open segment is (anchor, pos].
    let mut anchor: Option<usize> = None;
    let mut fuel = 0.0;
    let mut cost: i64 = 0;
    let mut missed = false;

    for pos in 0..fills.len() {
        let f = at(pos);
        let Some(a) = anchor else {
            if f.is_full {
                roles[pos] = FillRole::Anchor;
                anchor = Some(pos);
            }
            continue;
        };
        fuel += f.quantity;
        cost = cost.saturating_add(f.total_cost_minor);
        missed |= f.missed_previous;
        let anchor_fill = at(a);
        // Not full, or full at the anchor's odometer: carried into the segment.
        if !f.is_full || f.odometer == anchor_fill.odometer {
            continue;
        }
        let distance = f.odometer - anchor_fill.odometer;
        let economy = (!missed)
            .then(|| {
                Economy::from_distance_and_fuel(
                    Distance::new(distance, distance_unit),
                    Volume::new(fuel, volume_unit),
                )
            })
            .flatten();
        match economy {
            Some(economy) => {
                let number = segments.len();
                for m in a + 1..pos {
                    roles[m] = FillRole::InSegment { segment: number };
                    economies[m] = Some(economy);
                }
                roles[pos] = FillRole::Closes { segment: number };
                economies[pos] = Some(economy);
                segments.push(SegmentAt {
                    anchor: a,
                    closing: pos,
                    end_at: f.occurred_at,
                    distance,
                    fuel,
                    cost_minor: cost,
                    economy,
                });
            }
            None => {
                for role in &mut roles[a + 1..pos] {
                    *role = FillRole::Voided;
                }
                roles[pos] = FillRole::ClosesVoided;
                voided += 1;
            }
        }
        anchor = Some(pos);
        fuel = 0.0;
        cost = 0;
        missed = false;
    }
    if let Some(a) = anchor {
        for role in &mut roles[a + 1..] {
            *role = FillRole::Open;
        }
    }
    Analysis {
        distance_unit,
        volume_unit,
        order,
        roles,
        economy: economies,
        segments,
        voided_segments: voided,
    }
}

impl Analysis {
    /// The fill at engine position `pos` of `fills` (the slice this was computed from).
    pub fn fill<'f>(&self, fills: &'f [FillUp], pos: usize) -> &'f FillUp {
        &fills[self.order[pos] as usize]
    }

    /// Totals of the valid segments closing in `[from, to)`, and the voided segments
    /// closing there.
    pub fn totals(&self, fills: &[FillUp], from: NaiveDateTime, to: NaiveDateTime) -> Totals {
        let inside = |t: NaiveDateTime| from <= t && t < to;
        let voided = (0..self.order.len())
            .filter(|&p| {
                self.roles[p] == FillRole::ClosesVoided && inside(self.fill(fills, p).occurred_at)
            })
            .count();
        totals(
            self.segments.iter().filter(|s| inside(s.end_at)),
            voided,
            self.distance_unit,
            self.volume_unit,
        )
    }

    /// Valid segments closing in `[from, to)`, grouped by the month they close in.
    pub fn monthly(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<MonthEconomy> {
        monthly(
            self.segments
                .iter()
                .filter(|s| from <= s.end_at && s.end_at < to)
                .map(|s| (s.end_at, s.distance, s.fuel, s.cost_minor)),
            self.distance_unit,
            self.volume_unit,
        )
    }

    /// Totals over the whole history.
    pub fn lifetime(&self) -> Totals {
        totals(
            self.segments.iter(),
            self.voided_segments,
            self.distance_unit,
            self.volume_unit,
        )
    }

    /// The owned summary ([`compute`]'s result): clones every fill's id.
    pub fn summary(&self, fills: &[FillUp]) -> EconomySummary {
        let out: Vec<FillEconomy> = (0..self.order.len())
            .map(|p| {
                let f = self.fill(fills, p);
                FillEconomy {
                    id: f.id.clone(),
                    occurred_at: f.occurred_at,
                    odometer: f.odometer,
                    is_full: f.is_full,
                    role: self.roles[p],
                    economy: self.economy[p],
                }
            })
            .collect();
        let segments = self
            .segments
            .iter()
            .enumerate()
            .map(|(number, s)| {
                let anchor = self.fill(fills, s.anchor);
                let closing = self.fill(fills, s.closing);
                Segment {
                    number,
                    anchor_id: anchor.id.clone(),
                    closing_id: closing.id.clone(),
                    start_at: anchor.occurred_at,
                    end_at: s.end_at,
                    start_odometer: anchor.odometer,
                    end_odometer: closing.odometer,
                    distance: Distance::new(s.distance, self.distance_unit),
                    fuel: Volume::new(s.fuel, self.volume_unit),
                    cost_minor: s.cost_minor,
                    economy: s.economy,
                    fill_ids: (s.anchor + 1..=s.closing)
                        .map(|p| self.fill(fills, p).id.clone())
                        .collect(),
                }
            })
            .collect();
        summarise(
            out,
            segments,
            self.voided_segments,
            self.distance_unit,
            self.volume_unit,
        )
    }
}

/// Computes segments, per-fill roles and totals (owned: see [`analyse`] for the form that
/// keeps positions instead of ids).
pub fn compute(
    fills: &[FillUp],
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
) -> EconomySummary {
    analyse(fills, distance_unit, volume_unit).summary(fills)
}

/// Builds a summary's totals from its valid segments.
fn summarise(
    fills: Vec<FillEconomy>,
    segments: Vec<Segment>,
    voided_segments: usize,
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
) -> EconomySummary {
    let at: Vec<SegmentAt> = segments
        .iter()
        .map(|s| SegmentAt {
            anchor: 0,
            closing: 0,
            end_at: s.end_at,
            distance: s.distance.value,
            fuel: s.fuel.value,
            cost_minor: s.cost_minor,
            economy: s.economy,
        })
        .collect();
    let t = totals(at.iter(), voided_segments, distance_unit, volume_unit);
    EconomySummary {
        fills,
        segments,
        voided_segments,
        distance: t.distance,
        fuel: t.fuel,
        cost_minor: t.cost_minor,
        average: t.average,
        best: t.best,
        worst: t.worst,
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
        monthly(
            self.segments
                .iter()
                .map(|s| (s.end_at, s.distance.value, s.fuel.value, s.cost_minor)),
            self.distance.unit,
            self.fuel.unit,
        )
    }
}

/// Segments `(end_at, distance, fuel, cost)` grouped by the month they close in.
fn monthly(
    segments: impl Iterator<Item = (NaiveDateTime, f64, f64, i64)>,
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
) -> Vec<MonthEconomy> {
    let mut months: BTreeMap<(i32, u32), (f64, f64, i64, usize)> = BTreeMap::new();
    for (end_at, distance, fuel, cost_minor) in segments {
        let m = months
            .entry((end_at.year(), end_at.month()))
            .or_insert((0.0, 0.0, 0, 0));
        m.0 += distance;
        m.1 += fuel;
        m.2 = m.2.saturating_add(cost_minor);
        m.3 += 1;
    }
    months
        .into_iter()
        .filter_map(|((year, month), (d, f, cost_minor, segments))| {
            let distance = Distance::new(d, distance_unit);
            let fuel = Volume::new(f, volume_unit);
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
