//! The garage overview's line per vehicle, built set-based: one read of every vehicle's
//! stored stats (store/stats.rs), one of every active reminder, and the vehicle list —
//! instead of a dashboard per vehicle.
//!
//! The stats hold what does not depend on "now" and are kept current by the write path
//! (`refresh`, called in the same transaction as the records it summarises). What depends
//! on "now" — "this year", the last three months' economy, reminder urgency — is worked
//! out here at read time from them, with the same code and in the same order as the
//! dashboard, so a headline equals the one its dashboard gives to the bit (the proptest
//! in reports/proptests.rs compares them after random writes). A vehicle without current
//! stats (a bulk import deferred them, an older build wrote them) is computed from its
//! records on the spot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDateTime};
use rusqlite::Connection;

use super::dashboard::{self, EconomyFigure};
use super::history::FuelHistory;
use super::overview::{GarageOverview, VehicleHeadline};
use crate::economy::{self, SegmentAt};
use crate::error::{Error, Result};
use crate::events::RecordKind;
use crate::reminders::Reminder;
use crate::store::stats::VehicleStats;
use crate::store::{self, Store};
use crate::time;
use crate::units::{Distance, Economy, Volume};
use crate::vehicles::Vehicle;

/// The stored recent segments reach this far before "now minus three months" at the time
/// they were computed, so the overview can answer from them while the clock moves on (and
/// for a clock set back by up to this much).
const RECENT_SLACK_DAYS: i64 = 31;

/// A vehicle's stats from its records at `now`.
pub(crate) fn stats_for(
    conn: &Connection,
    v: &Vehicle,
    now: NaiveDateTime,
    history: &FuelHistory,
) -> Result<VehicleStats> {
    let mut s = VehicleStats {
        odometer_max: None,
        odometer_min: None,
        economy_distance: 0.0,
        economy_fuel: 0.0,
        fuel_by_year: Vec::new(),
        service_by_year: Vec::new(),
        recent_from: 0,
        recent: Vec::new(),
    };
    set_odometer(conn, v, &mut s)?;
    set_service(conn, v, &mut s)?;
    set_fuel(now, history, &mut s);
    Ok(s)
}

fn set_odometer(conn: &Connection, v: &Vehicle, s: &mut VehicleStats) -> Result<()> {
    s.odometer_max = store::readings::highest(conn, &v.id)?;
    s.odometer_min = store::readings::lowest(conn, &v.id)?;
    Ok(())
}

fn set_service(conn: &Connection, v: &Vehicle, s: &mut VehicleStats) -> Result<()> {
    s.service_by_year = store::stats::service_by_year(conn, &v.id)?;
    Ok(())
}

fn set_fuel(now: NaiveDateTime, history: &FuelHistory, s: &mut VehicleStats) {
    let lifetime = history.analysis.lifetime();
    s.economy_distance = lifetime.distance.value;
    s.economy_fuel = lifetime.fuel.value;
    let mut years: BTreeMap<i32, i64> = BTreeMap::new();
    for f in &history.fills {
        *years.entry(f.occurred_at.year()).or_default() += f.total_cost_minor;
    }
    s.fuel_by_year = years.into_iter().collect();
    // The window a read at `now` (or at the last segment's end, when that is earlier:
    // data looked at "as of" a past day) would need, with slack; in whole seconds, as
    // stored: the tail holds every segment from there on. Without segments every window
    // is empty, so any start will do.
    let last_end = history.analysis.segments.iter().map(|seg| seg.end_at).max();
    s.recent_from = match last_end {
        None => i64::MIN,
        Some(end) => {
            time::to_sql(dashboard::recent_from(now.min(end)) - Duration::days(RECENT_SLACK_DAYS))
        }
    };
    let from = time::from_sql(s.recent_from);
    s.recent = history
        .analysis
        .segments
        .iter()
        .filter(|seg| seg.end_at >= from)
        .map(|seg| (time::to_sql(seg.end_at), seg.distance, seg.fuel))
        .collect();
}

/// The headline of `v` at `now` from its stats and active reminders (in list order), or
/// `None` when the stored recent segments do not reach back to this `now`'s window.
fn headline(
    v: &Vehicle,
    s: &VehicleStats,
    active: &[Reminder],
    now: NaiveDateTime,
) -> Option<VehicleHeadline> {
    let window = dashboard::recent_from(now);
    // Whole seconds on both sides: the same test as `from_sql(recent_from) > window`.
    if s.recent_from > time::to_sql(window) {
        return None;
    }
    // The same adder and the same order as the engine's window totals. Each segment's
    // own figure is worked out as the engine did (only best/worst would read it).
    let recent: Vec<SegmentAt> = s
        .recent
        .iter()
        .filter(|&&(end_at, _, _)| window <= time::from_sql(end_at))
        .filter_map(|&(end_at, distance, fuel)| {
            Some(SegmentAt {
                anchor: 0,
                closing: 0,
                end_at: time::from_sql(end_at),
                distance,
                fuel,
                cost_minor: 0,
                economy: Economy::from_distance_and_fuel(
                    Distance::new(distance, v.distance_unit),
                    Volume::new(fuel, v.volume_unit),
                )?,
            })
        })
        .collect();
    let recent = economy::totals(recent.iter(), 0, v.distance_unit, v.volume_unit);
    let lifetime = Economy::from_distance_and_fuel(
        Distance::new(s.economy_distance, v.distance_unit),
        Volume::new(s.economy_fuel, v.volume_unit),
    );
    let year = dashboard::year_start(now).year();
    let sum = |years: &[(i32, i64)], from: i32| -> i64 {
        years
            .iter()
            .filter(|(y, _)| *y >= from)
            .map(|(_, m)| m)
            .sum()
    };
    let cost_this_year = sum(&s.fuel_by_year, year) + sum(&s.service_by_year, year);
    let cost_lifetime = sum(&s.fuel_by_year, i32::MIN) + sum(&s.service_by_year, i32::MIN);
    let (statuses, due, past_due) = dashboard::ranked_reminders(active, now, s.odometer_max);
    Some(VehicleHeadline {
        vehicle_id: v.id.clone(),
        name: v.name.clone(),
        make: v.make.clone(),
        model: v.model.clone(),
        odometer: s.odometer_max.map(|o| Distance::new(o, v.distance_unit)),
        economy_recent: EconomyFigure::of(recent.average, v.economy_unit),
        economy_lifetime: EconomyFigure::of(lifetime, v.economy_unit),
        currency: v.currency,
        cost_this_year_minor: cost_this_year,
        cost_lifetime_minor: cost_lifetime,
        cost_per_distance_minor: dashboard::cost_per_distance(
            cost_lifetime,
            s.odometer_min,
            s.odometer_max,
        ),
        due_reminders: due,
        past_due_reminders: past_due,
        next_reminder: statuses
            .first()
            .map(|st| (st.reminder.title.clone(), st.urgency)),
    })
}

/// The overview at `now` from one read snapshot `conn`.
pub(crate) fn overview(
    store: &Store,
    conn: &Connection,
    now: NaiveDateTime,
) -> Result<GarageOverview> {
    let vehicles = store.timed("report.q.overview_vehicles", || {
        store::vehicles::list(conn, false)
    })?;
    let mut stats = store.timed("report.q.overview_stats", || store::stats::all(conn))?;
    let by_id: HashMap<&str, &Vehicle> = vehicles.iter().map(|v| (v.id.as_str(), v)).collect();
    let mut reminders = store.timed("report.q.overview_reminders", || {
        store::reminders::all_active(conn, &by_id)
    })?;
    let mut lines = Vec::with_capacity(vehicles.len());
    for v in &vehicles {
        let active = reminders.remove(&v.id).unwrap_or_default();
        lines.push(line(store, conn, v, stats.remove(&v.id), &active, now)?);
    }
    Ok(with_totals(now, lines))
}

/// `base` with the lines of `vehicles` figured again from `conn`, at `base.as_of` (every
/// line at one instant, as in a rebuild). Only records of these vehicles changed since
/// `base` (reports/overview_log.rs): a vehicle's own edits rebuild. `None` when a vehicle
/// is not where `base` has it (shown but now gone or archived, or live but not shown):
/// a rebuild decides then.
pub(crate) fn patch(
    store: &Store,
    conn: &Connection,
    base: &GarageOverview,
    vehicles: &HashSet<Arc<str>>,
) -> Result<Option<GarageOverview>> {
    let now = base.as_of;
    let mut lines = base.vehicles.clone();
    for id in vehicles {
        let v = match store::vehicles::get(conn, id) {
            Ok(v) => Some(v),
            Err(Error::NotFound { .. }) => None,
            Err(Error::Corrupt(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let shown = lines.iter().position(|l| *l.vehicle_id == **id);
        match (v, shown) {
            (Some(v), Some(i)) if !v.archived => {
                let active = store::reminders::list_active(conn, &v)?;
                let stats = store::stats::get(conn, id)?;
                lines[i] = line(store, conn, &v, stats, &active, now)?;
            }
            // Not shown before and not now (archived, or deleted): nothing to patch.
            (Some(v), None) if v.archived => {}
            (None, None) => {}
            _ => return Ok(None),
        }
    }
    Ok(Some(with_totals(now, lines)))
}

/// One vehicle's line at `now`: from its stored stats when they cover `now`, else from
/// its records.
fn line(
    store: &Store,
    conn: &Connection,
    v: &Vehicle,
    stats: Option<VehicleStats>,
    active: &[Reminder],
    now: NaiveDateTime,
) -> Result<VehicleHeadline> {
    if let Some(line) = stats.and_then(|s| headline(v, &s, active, now)) {
        return Ok(line);
    }
    let history = FuelHistory::read(store, conn, v)?;
    let s = stats_for(conn, v, now, &history)?;
    headline(v, &s, active, now)
        .ok_or_else(|| Error::Other("fresh vehicle stats do not cover their own window".into()))
}

fn with_totals(now: NaiveDateTime, lines: Vec<VehicleHeadline>) -> GarageOverview {
    GarageOverview {
        as_of: now,
        due_reminders: lines.iter().map(|l| l.due_reminders).sum(),
        past_due_reminders: lines.iter().map(|l| l.past_due_reminders).sum(),
        vehicles: lines,
    }
}

/// What a write transaction changed for one vehicle, as far as its stats go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    /// Odometer readings only.
    Readings,
    /// Service records (costs and readings).
    Service,
    /// Fill-ups or the vehicle itself (units, deletion): everything.
    All,
}

impl Change {
    pub(crate) fn of(kind: RecordKind) -> Option<Change> {
        match kind {
            RecordKind::Odometer => Some(Change::Readings),
            RecordKind::Service => Some(Change::Service),
            RecordKind::Fuel | RecordKind::Vehicle => Some(Change::All),
            RecordKind::Reminder | RecordKind::ReminderCompletion => None,
        }
    }
}

/// Brings the stored stats of `vehicle_id` up to date after `change`, inside the write
/// transaction `conn` (so they commit with the records, or not at all). `defer` drops them
/// instead, for a transaction that wrote so much of the vehicle's history that reading it
/// back belongs after the commit (`refresh_missing`).
pub(crate) fn refresh(
    conn: &Connection,
    vehicle_id: &str,
    change: Change,
    now: NaiveDateTime,
    defer: bool,
) -> Result<()> {
    let v = match store::vehicles::get(conn, vehicle_id) {
        Ok(v) => v,
        // Deleted (or unreadable by this build): nothing to show.
        Err(Error::NotFound { .. } | Error::Corrupt(_)) => {
            return store::stats::remove(conn, vehicle_id)
        }
        Err(e) => return Err(e),
    };
    if defer {
        return store::stats::remove(conn, vehicle_id);
    }
    let mut s = match (change, store::stats::get(conn, vehicle_id)?) {
        (Change::All, _) | (_, None) => {
            let history = FuelHistory::load(conn, &v)?;
            return store::stats::put(conn, vehicle_id, &stats_for(conn, &v, now, &history)?);
        }
        (_, Some(s)) => s,
    };
    set_odometer(conn, &v, &mut s)?;
    if change == Change::Service {
        set_service(conn, &v, &mut s)?;
    }
    store::stats::put(conn, vehicle_id, &s)
}

/// Computes the stats of every live vehicle that has none (after an upgrade, a deferred
/// bulk write, or a build with another stats version), in the write transaction `conn`.
/// Returns how many.
pub(crate) fn refresh_missing(conn: &Connection, now: NaiveDateTime) -> Result<usize> {
    let missing = store::stats::missing(conn)?;
    for id in &missing {
        refresh(conn, id, Change::All, now, false)?;
    }
    Ok(missing.len())
}
