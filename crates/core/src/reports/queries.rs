//! The SQL the reports run. Every statement is a per-vehicle range scan on one of the
//! `(vehicle_id, ...) WHERE deleted = 0` partial indexes (the plan tests assert it), so a
//! report's cost grows with that vehicle's history, never with the whole garage.

use chrono::NaiveDateTime;
use rusqlite::{params, Connection};

use crate::economy::FillUp;
use crate::error::Result;
use crate::service::{ServiceKind, ServiceRecord};
use crate::store::Store;
use crate::units::{Distance, Money};
use crate::vehicles::Vehicle;
use crate::{time, validate};

/// Every live fill-up of a vehicle with just the columns the economy engine needs, in
/// odometer order: one range scan of the covering index fuel_economy_by_vehicle
/// (migration 0002), no table lookups and no sort step.
pub const FUEL_FILLS: &str = "SELECT id, occurred_at, odometer, quantity, total_cost, is_full, \
     missed_previous FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY odometer";

/// The latest service/repair/upgrade records (index service_by_vehicle_date, read backwards;
/// only records sharing a timestamp are sorted by id, so LIMIT stops the scan early).
pub const RECENT_WORK: &str = "SELECT id, vehicle_id, kind, occurred_at, odometer, title, \
     category, cost, notes, tags FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 \
     ORDER BY occurred_at DESC, id DESC LIMIT ?2";

/// Service cost per (category, kind): lifetime and since ?2 (the start of this year).
pub const SERVICE_COSTS: &str = "SELECT category, kind, total(cost), \
     total(CASE WHEN occurred_at >= ?2 THEN cost ELSE 0 END) FROM service_records \
     WHERE vehicle_id = ?1 AND deleted = 0 GROUP BY category, kind";

/// Every reading at or after ?2 across the three kinds that carry one, oldest first; each
/// part is a range on its (vehicle_id, occurred_at) index.
pub const READINGS_SINCE: &str = "SELECT occurred_at, odometer FROM fuel_records \
       WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at >= ?2 \
     UNION ALL SELECT occurred_at, odometer FROM service_records \
       WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at >= ?2 AND odometer IS NOT NULL \
     UNION ALL SELECT occurred_at, odometer FROM odometer_records \
       WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at >= ?2 \
     ORDER BY 1, 2";

/// The highest of each kind's latest reading before ?2: where the distance-per-month
/// running maximum starts. One backwards seek per (vehicle_id, occurred_at) index.
pub const READING_BEFORE_WINDOW: &str = "SELECT max(\
       coalesce((SELECT odometer FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at < ?2 ORDER BY occurred_at DESC LIMIT 1), -1), \
       coalesce((SELECT odometer FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at < ?2 AND odometer IS NOT NULL ORDER BY occurred_at DESC LIMIT 1), -1), \
       coalesce((SELECT odometer FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0 AND occurred_at < ?2 ORDER BY occurred_at DESC LIMIT 1), -1))";

/// The lowest reading across kinds: with the current (highest) one it gives the distance
/// the records cover. One seek per (vehicle_id, odometer) index.
pub const FIRST_ODOMETER: &str = "SELECT min(\
       coalesce((SELECT odometer FROM fuel_records WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY odometer ASC LIMIT 1), 1e300), \
       coalesce((SELECT odometer FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 AND odometer IS NOT NULL ORDER BY odometer ASC LIMIT 1), 1e300), \
       coalesce((SELECT odometer FROM odometer_records WHERE vehicle_id = ?1 AND deleted = 0 ORDER BY odometer ASC LIMIT 1), 1e300))";

/// Fill-ups in odometer order, as the engine wants them.
pub fn fuel_fills(store: &Store, conn: &Connection, vehicle_id: &str) -> Result<Vec<FillUp>> {
    store.timed("report.q.fuel_fills", || {
        let mut stmt = conn.prepare_cached(FUEL_FILLS)?;
        let rows = stmt.query_map([vehicle_id], |r| {
            Ok(FillUp {
                id: r.get(0)?,
                occurred_at: time::from_sql(r.get(1)?),
                odometer: r.get(2)?,
                quantity: r.get(3)?,
                total_cost_minor: r.get(4)?,
                is_full: r.get(5)?,
                missed_previous: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

pub fn recent_work(
    store: &Store,
    conn: &Connection,
    v: &Vehicle,
    limit: u32,
) -> Result<Vec<ServiceRecord>> {
    store.timed("report.q.recent_work", || {
        let mut stmt = conn.prepare_cached(RECENT_WORK)?;
        let rows = stmt.query_map(params![v.id, limit], |row| {
            let kind: String = row.get(2)?;
            Ok(ServiceRecord {
                id: row.get(0)?,
                vehicle_id: row.get(1)?,
                kind: kind.parse().map_err(|e: crate::Error| {
                    rusqlite::Error::FromSqlConversionFailure(
                        2,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                occurred_at: time::from_sql(row.get(3)?),
                odometer: row
                    .get::<_, Option<f64>>(4)?
                    .map(|o| Distance::new(o, v.distance_unit)),
                title: row.get(5)?,
                category: row.get(6)?,
                cost: Money::new(row.get(7)?, v.currency),
                notes: row.get(8)?,
                tags: validate::tags_from_sql(&row.get::<_, String>(9)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

/// One (category, kind) group of service costs.
pub struct ServiceCost {
    pub category: String,
    pub kind: ServiceKind,
    pub lifetime_minor: i64,
    pub this_year_minor: i64,
}

pub fn service_costs(
    store: &Store,
    conn: &Connection,
    vehicle_id: &str,
    year_start: NaiveDateTime,
) -> Result<Vec<ServiceCost>> {
    store.timed("report.q.service_costs", || {
        let mut stmt = conn.prepare_cached(SERVICE_COSTS)?;
        let rows = stmt.query_map(params![vehicle_id, time::to_sql(year_start)], |r| {
            let kind: String = r.get(1)?;
            // total() sums in floating point; costs are whole minor units far below 2^53
            // in any one vehicle's history, so rounding gives back the exact integer.
            Ok((
                r.get::<_, String>(0)?,
                kind,
                r.get::<_, f64>(2)?.round() as i64,
                r.get::<_, f64>(3)?.round() as i64,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (category, kind, lifetime_minor, this_year_minor) = row?;
            out.push(ServiceCost {
                category,
                kind: kind.parse()?,
                lifetime_minor,
                this_year_minor,
            });
        }
        Ok(out)
    })
}

/// (time, odometer) readings since `from`, oldest first.
pub fn readings_since(
    store: &Store,
    conn: &Connection,
    vehicle_id: &str,
    from: NaiveDateTime,
) -> Result<Vec<(NaiveDateTime, f64)>> {
    store.timed("report.q.readings_since", || {
        let mut stmt = conn.prepare_cached(READINGS_SINCE)?;
        let rows = stmt.query_map(params![vehicle_id, time::to_sql(from)], |r| {
            Ok((time::from_sql(r.get(0)?), r.get::<_, f64>(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

/// The odometer known just before `before` (see [`READING_BEFORE_WINDOW`]).
pub fn reading_before(
    store: &Store,
    conn: &Connection,
    vehicle_id: &str,
    before: NaiveDateTime,
) -> Result<Option<f64>> {
    store.timed("report.q.reading_before", || {
        let v: f64 = conn
            .prepare_cached(READING_BEFORE_WINDOW)?
            .query_row(params![vehicle_id, time::to_sql(before)], |r| r.get(0))?;
        Ok((v >= 0.0).then_some(v))
    })
}

pub fn first_odometer(store: &Store, conn: &Connection, vehicle_id: &str) -> Result<Option<f64>> {
    store.timed("report.q.first_odometer", || {
        let v: f64 = conn
            .prepare_cached(FIRST_ODOMETER)?
            .query_row([vehicle_id], |r| r.get(0))?;
        Ok((v < 1e299).then_some(v))
    })
}

pub fn current_odometer(store: &Store, conn: &Connection, vehicle_id: &str) -> Result<Option<f64>> {
    store.timed("report.q.current_odometer", || {
        crate::odometer::current(conn, vehicle_id)
    })
}
