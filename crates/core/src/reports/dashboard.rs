//! The vehicle dashboard: everything the vehicle's home screen shows, in one value.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::history::FuelHistory;
use crate::economy::FillUp;
use crate::error::Result;
use crate::reminders::urgency::{self, ReminderStatus};
use crate::reminders::Reminder;
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

/// A vehicle's active reminders ranked at `now` (most pressing first), with how many are
/// due and how many past due: the dashboard shows the first few, the overview the first.
pub(crate) fn ranked_reminders(
    active: &[Reminder],
    now: NaiveDateTime,
    current: Option<f64>,
) -> (Vec<ReminderStatus>, u32, u32) {
    let mut statuses: Vec<ReminderStatus> = active
        .iter()
        .map(|r| urgency::status(r, now, current))
        .collect();
    urgency::sort_most_pressing(&mut statuses);
    let due = statuses.iter().filter(|s| s.urgency.is_due()).count() as u32;
    let past_due = statuses
        .iter()
        .filter(|s| s.urgency == urgency::Urgency::PastDue)
        .count() as u32;
    (statuses, due, past_due)
}

/// Where the "recent" economy window starts at `now`.
pub(crate) fn recent_from(now: NaiveDateTime) -> NaiveDateTime {
    now.checked_sub_months(Months::new(RECENT_ECONOMY_MONTHS))
        .unwrap_or(now)
}

pub(crate) fn year_start(now: NaiveDateTime) -> NaiveDateTime {
    month_start(now.year(), 1)
}

/// Computes the dashboard of `v` at `now` from `conn` (one consistent read snapshot) and
/// the vehicle's fuel history (read from the same commit).
pub(crate) fn compute(
    store: &Store,
    conn: &Connection,
    v: &Vehicle,
    now: NaiveDateTime,
    history: &FuelHistory,
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
    let (mut statuses, due_reminders, past_due_reminders) = ranked_reminders(&active, now, current);
    statuses.truncate(REMINDERS_SHOWN);

    let lifetime = history.analysis.lifetime();
    let recent = history
        .analysis
        .totals(&history.fills, recent_from(now), NaiveDateTime::MAX);

    let (cost_this_year, cost_lifetime) = costs(store, conn, v, &history.fills, year_start(now))?;

    let first = store.timed("report.q.first_odometer", || {
        store::readings::lowest(conn, &v.id)
    })?;
    let cost_per_distance_minor = cost_per_distance(cost_lifetime.total_minor, first, current);

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
        economy_lifetime: EconomyFigure::of(lifetime.average, v.economy_unit),
        cost_this_year,
        cost_lifetime,
        cost_per_distance_minor,
        fuel_cost_per_distance_minor: lifetime.cost_per_distance_minor(),
        distance_per_month,
    })
}

/// All spending over the distance the records span (lowest to highest reading).
pub(crate) fn cost_per_distance(
    total_minor: i64,
    lowest: Option<f64>,
    highest: Option<f64>,
) -> Option<f64> {
    match (lowest, highest) {
        (Some(a), Some(b)) if b > a => Some(total_minor as f64 / (b - a)),
        _ => None,
    }
}

/// Spending this year and over the vehicle's life, by category with fuel on its own.
fn costs(
    store: &Store,
    conn: &Connection,
    v: &Vehicle,
    fills: &[FillUp],
    year_start: NaiveDateTime,
) -> Result<(CostBreakdown, CostBreakdown)> {
    let (mut fuel_year, mut fuel_life) = (0i64, 0i64);
    for f in fills {
        fuel_life += f.total_cost_minor;
        if f.occurred_at >= year_start {
            fuel_year += f.total_cost_minor;
        }
    }
    let mut year: BTreeMap<String, i64> = BTreeMap::new();
    let mut life: BTreeMap<String, i64> = BTreeMap::new();
    if !fills.is_empty() {
        life.insert(FUEL_CATEGORY.to_owned(), fuel_life);
    }
    if fills.iter().any(|f| f.occurred_at >= year_start) {
        year.insert(FUEL_CATEGORY.to_owned(), fuel_year);
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
