//! The vehicle dashboard: everything the vehicle's home screen shows, in one value.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::economy::{self, FillUp};
use crate::error::Result;
use crate::reminders::urgency::{self, ReminderStatus};
use crate::service::{ServiceKind, ServiceRecord};
use crate::store::{self, Store};
use crate::units::{Currency, Distance, Economy, EconomyUnit};
use crate::vehicles::Vehicle;

/// Service-type records shown on the dashboard.
pub const RECENT_WORK_SHOWN: u32 = 5;
/// Reminders shown on the dashboard.
pub const REMINDERS_SHOWN: usize = 5;
/// Months of the distance-per-month chart, the current one included.
pub const DISTANCE_MONTHS: u32 = 12;
/// The "recent" economy window.
pub const RECENT_ECONOMY_MONTHS: u32 = 3;
/// The category fuel is reported under.
pub const FUEL_CATEGORY: &str = "Fuel";

/// An economy figure in the vehicle's display unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EconomyFigure {
    pub value: f64,
    pub unit: EconomyUnit,
}

impl EconomyFigure {
    pub fn of(e: Option<Economy>, unit: EconomyUnit) -> Option<EconomyFigure> {
        let value = e?.value_in(unit)?;
        value.is_finite().then_some(EconomyFigure { value, unit })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CategoryCost {
    pub category: String,
    pub minor: i64,
}

/// Spending split by category, largest first; fuel is its own category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CostBreakdown {
    pub currency: Currency,
    pub total_minor: i64,
    pub categories: Vec<CategoryCost>,
}

impl CostBreakdown {
    fn from_map(currency: Currency, map: BTreeMap<String, i64>) -> CostBreakdown {
        let mut categories: Vec<CategoryCost> = map
            .into_iter()
            .filter(|(_, minor)| *minor != 0)
            .map(|(category, minor)| CategoryCost { category, minor })
            .collect();
        categories.sort_by(|a, b| b.minor.cmp(&a.minor).then(a.category.cmp(&b.category)));
        CostBreakdown {
            currency,
            total_minor: categories.iter().map(|c| c.minor).sum(),
            categories,
        }
    }
}

/// Distance covered in one calendar month, in the vehicle's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MonthDistance {
    pub year: i32,
    pub month: u32,
    pub distance: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dashboard {
    pub vehicle: Vehicle,
    /// The moment "this year" and the reminders' urgency refer to.
    pub as_of: NaiveDateTime,
    /// Highest reading across every record kind.
    pub odometer: Option<Distance>,
    /// Latest service, repair and upgrade records, newest first.
    pub recent_work: Vec<ServiceRecord>,
    /// The most pressing active reminders, worst first.
    pub reminders: Vec<ReminderStatus>,
    /// Active reminders that are urgent or worse / past due (all of them, not just shown).
    pub due_reminders: u32,
    pub past_due_reminders: u32,
    pub economy_recent: Option<EconomyFigure>,
    pub economy_lifetime: Option<EconomyFigure>,
    pub cost_this_year: CostBreakdown,
    pub cost_lifetime: CostBreakdown,
    /// All spending over the distance the records span, in minor units per distance unit.
    pub cost_per_distance_minor: Option<f64>,
    /// Fuel cost over valid full-to-full segments per distance unit (the engine's figure).
    pub fuel_cost_per_distance_minor: Option<f64>,
    /// Oldest first, the current month last.
    pub distance_per_month: Vec<MonthDistance>,
}

fn month_start(year: i32, month: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn category_of(category: &str, kind: ServiceKind) -> String {
    if category.is_empty() {
        match kind {
            ServiceKind::Service => "Service".to_owned(),
            ServiceKind::Repair => "Repair".to_owned(),
            ServiceKind::Upgrade => "Upgrade".to_owned(),
        }
    } else {
        category.to_owned()
    }
}

/// Computes the dashboard of `v` at `now` from `conn` (one consistent read snapshot).
pub(crate) fn compute(
    store: &Store,
    conn: &Connection,
    v: &Vehicle,
    now: NaiveDateTime,
) -> Result<Dashboard> {
    let current = store.timed("report.q.current_odometer", || {
        store::readings::highest(conn, &v.id)
    })?;
    let recent_work = store.timed("report.q.recent_work", || {
        store::service::list(conn, v, None, crate::Page::first(RECENT_WORK_SHOWN))
    })?;

    let active = store.timed("report.q.reminders_active", || {
        store::reminders::list_active(conn, v)
    })?;
    let mut statuses: Vec<ReminderStatus> = active
        .iter()
        .map(|r| urgency::status(r, now, current))
        .collect();
    urgency::sort_most_pressing(&mut statuses);
    let due_reminders = statuses.iter().filter(|s| s.urgency.is_due()).count() as u32;
    let past_due_reminders = statuses
        .iter()
        .filter(|s| s.urgency == urgency::Urgency::PastDue)
        .count() as u32;
    statuses.truncate(REMINDERS_SHOWN);

    let fills = store.timed("report.q.fuel_fills", || store::fuel::fills(conn, &v.id))?;
    let summary = store.timed("report.economy", || {
        economy::compute(&fills, v.distance_unit, v.volume_unit)
    });
    let recent_from = now
        .checked_sub_months(Months::new(RECENT_ECONOMY_MONTHS))
        .unwrap_or(now);
    let recent = summary.within(recent_from, NaiveDateTime::MAX);

    let year_start = month_start(now.year(), 1);
    let (cost_this_year, cost_lifetime) = costs(store, conn, v, &fills, year_start)?;

    let first = store.timed("report.q.first_odometer", || {
        store::readings::lowest(conn, &v.id)
    })?;
    let span = match (first, current) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    let cost_per_distance_minor = span.map(|d| cost_lifetime.total_minor as f64 / d);

    let distance_per_month = distance_per_month(store, conn, &v.id, now)?;

    Ok(Dashboard {
        vehicle: v.clone(),
        as_of: now,
        odometer: current.map(|o| Distance::new(o, v.distance_unit)),
        recent_work,
        reminders: statuses,
        due_reminders,
        past_due_reminders,
        economy_recent: EconomyFigure::of(recent.average, v.economy_unit),
        economy_lifetime: EconomyFigure::of(summary.average, v.economy_unit),
        cost_this_year,
        cost_lifetime,
        cost_per_distance_minor,
        fuel_cost_per_distance_minor: summary.cost_per_distance_minor(),
        distance_per_month,
    })
}

/// Spending this year and over the vehicle's life, by category with fuel on its own.
fn costs(
    store: &Store,
    conn: &Connection,
    v: &Vehicle,
    fills: &[FillUp],
    year_start: NaiveDateTime,
) -> Result<(CostBreakdown, CostBreakdown)> {
    let mut year: BTreeMap<String, i64> = BTreeMap::new();
    let mut life: BTreeMap<String, i64> = BTreeMap::new();
    for f in fills {
        *life.entry(FUEL_CATEGORY.to_owned()).or_default() += f.total_cost_minor;
        if f.occurred_at >= year_start {
            *year.entry(FUEL_CATEGORY.to_owned()).or_default() += f.total_cost_minor;
        }
    }
    let service = store.timed("report.q.service_costs", || {
        store::service::costs(conn, &v.id, year_start)
    })?;
    for c in service {
        let name = category_of(&c.category, c.kind);
        *life.entry(name.clone()).or_default() += c.lifetime_minor;
        *year.entry(name).or_default() += c.this_year_minor;
    }
    Ok((
        CostBreakdown::from_map(v.currency, year),
        CostBreakdown::from_map(v.currency, life),
    ))
}

/// Distance per calendar month for the last [`DISTANCE_MONTHS`] months. A month's distance
/// is the highest reading known by its end minus the highest known by its start (a running
/// maximum, so one mistyped low reading cannot make a month negative). Before the first
/// reading ever, a month starts from its own first reading.
fn distance_per_month(
    store: &Store,
    conn: &Connection,
    vehicle_id: &str,
    now: NaiveDateTime,
) -> Result<Vec<MonthDistance>> {
    let this_month = month_start(now.year(), now.month());
    let first = this_month
        .checked_sub_months(Months::new(DISTANCE_MONTHS - 1))
        .unwrap_or(this_month);
    let mut known = store.timed("report.q.reading_before", || {
        store::readings::highest_before(conn, vehicle_id, first)
    })?;
    let readings = store.timed("report.q.readings_since", || {
        store::readings::since(conn, vehicle_id, first)
    })?;
    let mut out = Vec::with_capacity(DISTANCE_MONTHS as usize);
    let mut next = readings.iter().peekable();
    for i in 0..DISTANCE_MONTHS {
        let start = first.checked_add_months(Months::new(i)).unwrap_or(first);
        let end = start.checked_add_months(Months::new(1)).unwrap_or(start);
        let mut start_value = known;
        let mut end_value = known;
        while let Some((at, odo)) = next.next_if(|(at, _)| *at < end) {
            debug_assert!(*at >= start);
            start_value = start_value.or(Some(*odo));
            end_value = Some(end_value.map_or(*odo, |e: f64| e.max(*odo)));
        }
        let distance = match (start_value, end_value) {
            (Some(s), Some(e)) if e > s => e - s,
            _ => 0.0,
        };
        out.push(MonthDistance {
            year: start.year(),
            month: start.month(),
            distance,
        });
        known = end_value;
    }
    Ok(out)
}
