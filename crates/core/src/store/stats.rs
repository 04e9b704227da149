//! The `vehicle_stats` table (migration 0005): per-vehicle figures the garage overview
//! needs that do not depend on "now", kept current by the write path. What they mean and
//! how they are computed is in reports/headline.rs; this is their storage.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{Error, Result};

/// Bumped whenever the meaning or computation of a stored figure changes: rows written
/// under another version are recomputed.
pub(crate) const VERSION: i64 = 1;

/// One vehicle's stored figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VehicleStats {
    /// Highest and lowest reading across every record kind.
    pub odometer_max: Option<f64>,
    pub odometer_min: Option<f64>,
    /// The economy engine's lifetime totals over valid segments, as it summed them.
    pub economy_distance: f64,
    pub economy_fuel: f64,
    /// Fuel and service costs per calendar year, in minor units.
    pub fuel_by_year: Vec<(i32, i64)>,
    pub service_by_year: Vec<(i32, i64)>,
    /// Every valid segment closing at or after `recent_from` (stored-time seconds), in
    /// engine order: (end_at seconds, distance, fuel).
    pub recent_from: i64,
    pub recent: Vec<(i64, f64, f64)>,
}

const UPSERT: &str = "INSERT INTO vehicle_stats (vehicle_id, version, odometer_max, \
     odometer_min, economy_distance, economy_fuel, fuel_by_year, service_by_year, recent_from, \
     recent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
     ON CONFLICT (vehicle_id) DO UPDATE SET version = excluded.version, \
     odometer_max = excluded.odometer_max, odometer_min = excluded.odometer_min, \
     economy_distance = excluded.economy_distance, economy_fuel = excluded.economy_fuel, \
     fuel_by_year = excluded.fuel_by_year, service_by_year = excluded.service_by_year, \
     recent_from = excluded.recent_from, recent = excluded.recent";

const DELETE: &str = "DELETE FROM vehicle_stats WHERE vehicle_id = ?1";

const COLUMNS: &str = "SELECT vehicle_id, odometer_max, odometer_min, economy_distance, \
     economy_fuel, fuel_by_year, service_by_year, recent_from, recent FROM vehicle_stats";

const GET: &str = "SELECT vehicle_id, odometer_max, odometer_min, economy_distance, \
     economy_fuel, fuel_by_year, service_by_year, recent_from, recent FROM vehicle_stats \
     WHERE vehicle_id = ?1 AND version = ?2";

/// Live vehicles without current stats (never computed, removed by a bulk write, or
/// computed by another version).
const MISSING: &str = "SELECT v.id FROM vehicles v LEFT JOIN vehicle_stats s \
     ON s.vehicle_id = v.id AND s.version = ?1 WHERE v.deleted = 0 AND s.vehicle_id IS NULL";

/// Service costs of a vehicle per calendar year of the record (times are stored as
/// wall-clock seconds, so 'unixepoch' gives back the wall-clock year).
pub(crate) const SERVICE_BY_YEAR: &str = "SELECT \
     CAST(strftime('%Y', occurred_at, 'unixepoch') AS INTEGER), total(cost) \
     FROM service_records WHERE vehicle_id = ?1 AND deleted = 0 GROUP BY 1 ORDER BY 1";

fn put_years(years: &[(i32, i64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(years.len() * 12);
    for (y, m) in years {
        out.extend_from_slice(&y.to_le_bytes());
        out.extend_from_slice(&m.to_le_bytes());
    }
    out
}

fn put_recent(recent: &[(i64, f64, f64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(recent.len() * 24);
    for (at, d, f) in recent {
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&d.to_le_bytes());
        out.extend_from_slice(&f.to_le_bytes());
    }
    out
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Blob,
        Box::new(Error::Corrupt(format!(
            "vehicle_stats.{what} has a partial entry"
        ))),
    )
}

fn take<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

fn get_years(b: &[u8]) -> rusqlite::Result<Vec<(i32, i64)>> {
    if !b.len().is_multiple_of(12) {
        return Err(corrupt("by_year"));
    }
    Ok(b.chunks_exact(12)
        .map(|c| {
            (
                i32::from_le_bytes(take(c)),
                i64::from_le_bytes(take(&c[4..])),
            )
        })
        .collect())
}

fn get_recent(b: &[u8]) -> rusqlite::Result<Vec<(i64, f64, f64)>> {
    if !b.len().is_multiple_of(24) {
        return Err(corrupt("recent"));
    }
    Ok(b.chunks_exact(24)
        .map(|c| {
            (
                i64::from_le_bytes(take(c)),
                f64::from_le_bytes(take(&c[8..])),
                f64::from_le_bytes(take(&c[16..])),
            )
        })
        .collect())
}

fn row_to_stats(row: &Row<'_>) -> rusqlite::Result<(String, VehicleStats)> {
    Ok((
        row.get(0)?,
        VehicleStats {
            odometer_max: row.get(1)?,
            odometer_min: row.get(2)?,
            economy_distance: row.get(3)?,
            economy_fuel: row.get(4)?,
            fuel_by_year: get_years(row.get_ref(5)?.as_blob()?)?,
            service_by_year: get_years(row.get_ref(6)?.as_blob()?)?,
            recent_from: row.get(7)?,
            recent: get_recent(row.get_ref(8)?.as_blob()?)?,
        },
    ))
}

pub(crate) fn put(conn: &Connection, vehicle_id: &str, s: &VehicleStats) -> Result<()> {
    conn.prepare_cached(UPSERT)?.execute(params![
        vehicle_id,
        VERSION,
        s.odometer_max,
        s.odometer_min,
        s.economy_distance,
        s.economy_fuel,
        put_years(&s.fuel_by_year),
        put_years(&s.service_by_year),
        s.recent_from,
        put_recent(&s.recent),
    ])?;
    Ok(())
}

/// Forgets a vehicle's stats (deleted vehicle, or recomputed later).
pub(crate) fn remove(conn: &Connection, vehicle_id: &str) -> Result<()> {
    conn.prepare_cached(DELETE)?.execute([vehicle_id])?;
    Ok(())
}

pub(crate) fn get(conn: &Connection, vehicle_id: &str) -> Result<Option<VehicleStats>> {
    Ok(conn
        .prepare_cached(GET)?
        .query_row(params![vehicle_id, VERSION], row_to_stats)
        .optional()?
        .map(|(_, s)| s))
}

/// Every vehicle's current stats, by vehicle id.
pub(crate) fn all(conn: &Connection) -> Result<HashMap<String, VehicleStats>> {
    let mut stmt = conn.prepare_cached(&format!("{COLUMNS} WHERE version = ?1"))?;
    let rows = stmt.query_map([VERSION], row_to_stats)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Live vehicles whose stats are missing or from another version.
pub(crate) fn missing(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(MISSING)?;
    let rows = stmt.query_map([VERSION], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Service costs per year (see [`SERVICE_BY_YEAR`]); total() sums whole minor units
/// exactly far beyond any vehicle's history, so rounding gives back the integer.
pub(crate) fn service_by_year(conn: &Connection, vehicle_id: &str) -> Result<Vec<(i32, i64)>> {
    let mut stmt = conn.prepare_cached(SERVICE_BY_YEAR)?;
    let rows = stmt.query_map([vehicle_id], |r| {
        Ok((r.get::<_, i32>(0)?, r.get::<_, f64>(1)?.round() as i64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_exactly() {
        let years = vec![(2019, 12_345), (2026, -1), (i32::MIN, i64::MAX)];
        assert_eq!(get_years(&put_years(&years)).unwrap(), years);
        let recent = vec![
            (1_780_000_000, 612.3, 41.17),
            (-5, f64::MIN_POSITIVE, 1e300),
        ];
        assert_eq!(get_recent(&put_recent(&recent)).unwrap(), recent);
        assert!(get_recent(&[0u8; 23]).is_err());
    }
}
