//! Odometer readings across every record kind that carries one (fill-ups, service records
//! with a reading, odometer records), through the `readings` view (migration 0004).
//!
//! The view is a UNION ALL of the three tables' live rows. SQLite flattens it into each
//! query, so every query below is a MERGE of three per-vehicle index ranges (the plan
//! tests check it): `ORDER BY ... LIMIT 1` stops after one row of each, and nothing
//! scans a table. (An aggregate such as `max(odometer)` over the view would not flatten,
//! which is why the queries are written as ordered LIMITs.)

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;
use crate::time;

/// The highest reading: the vehicle's current odometer.
pub const HIGHEST: &str =
    "SELECT odometer FROM readings WHERE vehicle_id = ?1 ORDER BY odometer DESC LIMIT 1";

/// The lowest reading: with the highest it gives the distance the records span.
pub const LOWEST: &str =
    "SELECT odometer FROM readings WHERE vehicle_id = ?1 ORDER BY odometer ASC LIMIT 1";

/// The highest reading dated before ?2: the odometer as known at that moment. Walked
/// down each kind's (vehicle_id, odometer, occurred_at) index from the top, so it stops at
/// the first reading before ?2 (readings mostly grow with time). The unary `+` keeps the
/// planner from range-scanning the date index instead, which would read and sort the
/// vehicle's whole history before ?2.
pub const HIGHEST_BEFORE: &str = "SELECT odometer FROM readings \
     WHERE vehicle_id = ?1 AND +occurred_at < ?2 ORDER BY odometer DESC LIMIT 1";

/// The latest reading at or before ?2, other than record ?3 (the typo guard's neighbour).
pub const LATEST_AT_OR_BEFORE: &str = "SELECT occurred_at, odometer FROM readings \
     WHERE vehicle_id = ?1 AND occurred_at <= ?2 AND id <> ?3 \
     ORDER BY occurred_at DESC, odometer DESC LIMIT 1";

/// The earliest reading at or after ?2, other than record ?3.
pub const EARLIEST_AT_OR_AFTER: &str = "SELECT occurred_at, odometer FROM readings \
     WHERE vehicle_id = ?1 AND occurred_at >= ?2 AND id <> ?3 \
     ORDER BY occurred_at ASC, odometer ASC LIMIT 1";

/// Every reading at or after ?2, oldest first.
pub const SINCE: &str = "SELECT occurred_at, odometer FROM readings \
     WHERE vehicle_id = ?1 AND occurred_at >= ?2 ORDER BY occurred_at, odometer";

/// A reading with its time, from whichever record kind holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: NaiveDateTime,
    pub odometer: f64,
}

fn value(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Option<f64>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(p, |r| r.get(0))
        .optional()?)
}

/// The vehicle's current odometer (its highest reading), `None` without any reading.
pub(crate) fn highest(conn: &Connection, vehicle_id: &str) -> Result<Option<f64>> {
    value(conn, HIGHEST, [vehicle_id])
}

pub(crate) fn lowest(conn: &Connection, vehicle_id: &str) -> Result<Option<f64>> {
    value(conn, LOWEST, [vehicle_id])
}

pub(crate) fn highest_before(
    conn: &Connection,
    vehicle_id: &str,
    before: NaiveDateTime,
) -> Result<Option<f64>> {
    value(
        conn,
        HIGHEST_BEFORE,
        params![vehicle_id, time::to_sql(before)],
    )
}

fn reading(
    conn: &Connection,
    sql: &str,
    vehicle_id: &str,
    at: NaiveDateTime,
    exclude_id: &str,
) -> Result<Option<Reading>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![vehicle_id, time::to_sql(at), exclude_id], |r| {
            Ok(Reading {
                at: time::from_sql(r.get(0)?),
                odometer: r.get(1)?,
            })
        })
        .optional()?)
}

/// The readings either side of `at` (ignoring record `exclude_id`): what the odometer
/// typo guard compares a new reading with.
pub(crate) fn neighbours(
    conn: &Connection,
    vehicle_id: &str,
    at: NaiveDateTime,
    exclude_id: &str,
) -> Result<(Option<Reading>, Option<Reading>)> {
    Ok((
        reading(conn, LATEST_AT_OR_BEFORE, vehicle_id, at, exclude_id)?,
        reading(conn, EARLIEST_AT_OR_AFTER, vehicle_id, at, exclude_id)?,
    ))
}

/// (time, odometer) of every reading since `from`, oldest first.
pub(crate) fn since(
    conn: &Connection,
    vehicle_id: &str,
    from: NaiveDateTime,
) -> Result<Vec<(NaiveDateTime, f64)>> {
    let mut stmt = conn.prepare_cached(SINCE)?;
    let rows = stmt.query_map(params![vehicle_id, time::to_sql(from)], |r| {
        Ok((time::from_sql(r.get(0)?), r.get::<_, f64>(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
