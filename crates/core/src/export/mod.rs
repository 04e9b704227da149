//! Leaving or backing up: CSV per record kind with LubeLogger's columns (so a user can
//! move to LubeLogger and back, and Glovebox re-imports its own export), a full JSON
//! backup with restore into an empty database, and reminders as an iCalendar file.
//!
//! CSV text cells never run as spreadsheet formulas: a cell starting with `=`, `+`, `-`,
//! `@`, tab or CR gets a leading apostrophe (`lubelogger::escape`), which the importer
//! removes again when Glovebox reads its own export.

pub mod backup;
pub mod ics;

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::economy::{self, FillUp};
use crate::error::{Error, Result};
use crate::service::ServiceRecord;
use crate::units::Money;
use crate::{Garage, Page};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvKind {
    Fuel,
    Service,
    Odometer,
}

impl std::str::FromStr for CsvKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "fuel" => Ok(CsvKind::Fuel),
            "service" => Ok(CsvKind::Service),
            "odometer" => Ok(CsvKind::Odometer),
            _ => Err(format!("kind must be fuel, service or odometer, not {s:?}")),
        }
    }
}

use crate::import::lubelogger::escape;
/// The columns are LubeLogger's (their one home is `import::lubelogger`): Glovebox
/// re-imports its own export through the same format.
pub use crate::import::lubelogger::{
    FUEL_COLUMNS as FUEL_HEADER, ODOMETER_COLUMNS as ODOMETER_HEADER,
    SERVICE_COLUMNS as SERVICE_HEADER,
};

/// Dates as ISO 8601 (unambiguous in every locale LubeLogger runs in); the time only
/// when there is one.
fn date(t: chrono::NaiveDateTime) -> String {
    if t.time() == chrono::NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// Shortest text that reads back as the same f64.
fn num(v: f64) -> String {
    format!("{v}")
}

/// Money as a plain decimal with '.', no grouping ("1234.50").
pub fn amount(m: Money) -> String {
    let d = m.currency.minor_digits() as u32;
    if d == 0 {
        return m.minor.to_string();
    }
    let scale = 10i64.pow(d);
    let sign = if m.minor < 0 { "-" } else { "" };
    let a = m.minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        a / scale as u64,
        a % scale as u64,
        width = d as usize
    )
}

/// LubeLogger separates tags with spaces; a tag that has a space forces commas, which
/// Glovebox's importer reads too.
fn tags_text(tags: &[String]) -> String {
    if tags.iter().any(|t| t.contains(' ')) {
        tags.join(",")
    } else {
        tags.join(" ")
    }
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Writes one vehicle's records of one kind as CSV; returns the number of rows.
pub fn csv(garage: &Garage, vehicle_id: &str, kind: CsvKind, out: &mut dyn Write) -> Result<u64> {
    let v = garage.vehicle(vehicle_id)?;
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| Error::Other(format!("writing CSV: {e}"));
    let mut n = 0;
    match kind {
        CsvKind::Fuel => {
            w.write_record(FUEL_HEADER).map_err(io)?;
            let mut recs = garage.fuel_records(vehicle_id, Page::ALL)?;
            recs.reverse(); // oldest first, as people read a log
            let fills: Vec<FillUp> = recs.iter().map(FillUp::from).collect();
            let summary = economy::compute(&fills, v.distance_unit, v.volume_unit);
            let by_id: std::collections::HashMap<&str, f64> = summary
                .fills
                .iter()
                .filter(|f| matches!(f.role, economy::FillRole::Closes { .. }))
                .filter_map(|f| Some((f.id.as_str(), f.economy?.value_in(v.economy_unit)?)))
                .collect();
            for r in &recs {
                let eco = by_id
                    .get(r.id.as_str())
                    .map(|e| format!("{:.2}", e))
                    .unwrap_or_default();
                w.write_record([
                    date(r.occurred_at),
                    num(r.odometer.value),
                    num(r.quantity.value),
                    amount(r.total_cost),
                    eco,
                    bool_text(r.is_full).into(),
                    bool_text(r.missed_previous).into(),
                    escape(&r.notes).into_owned(),
                    escape(&tags_text(&r.tags)).into_owned(),
                    escape(&r.station).into_owned(),
                ])
                .map_err(io)?;
                n += 1;
            }
        }
        CsvKind::Service => {
            w.write_record(SERVICE_HEADER).map_err(io)?;
            let mut recs: Vec<ServiceRecord> =
                garage.service_records(vehicle_id, None, Page::ALL)?;
            recs.reverse();
            for r in &recs {
                w.write_record([
                    date(r.occurred_at),
                    r.odometer.map(|o| num(o.value)).unwrap_or_default(),
                    escape(&r.title).into_owned(),
                    amount(r.cost),
                    escape(&r.notes).into_owned(),
                    escape(&tags_text(&r.tags)).into_owned(),
                    r.kind.code().into(),
                    escape(&r.category).into_owned(),
                ])
                .map_err(io)?;
                n += 1;
            }
        }
        CsvKind::Odometer => {
            w.write_record(ODOMETER_HEADER).map_err(io)?;
            let mut recs = garage.odometer_records(vehicle_id, Page::ALL)?;
            recs.reverse();
            for r in &recs {
                w.write_record([
                    date(r.occurred_at),
                    num(r.odometer.value),
                    escape(&r.notes).into_owned(),
                ])
                .map_err(io)?;
                n += 1;
            }
        }
    }
    w.flush()?;
    Ok(n)
}

/// The id of the live vehicle with this name (names are what people type).
pub fn vehicle_by_name(garage: &Garage, name: &str) -> Result<crate::vehicles::Vehicle> {
    garage
        .vehicles(true)?
        .into_iter()
        .find(|v| v.name.trim().eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Error::not_found("vehicle", name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Currency;

    #[test]
    fn amounts_are_plain_decimals() {
        assert_eq!(amount(Money::new(123450, Currency::EUR)), "1234.50");
        assert_eq!(amount(Money::new(5, Currency::EUR)), "0.05");
        assert_eq!(amount(Money::new(-5, Currency::EUR)), "-0.05");
        assert_eq!(amount(Money::new(1500, "JPY".parse().unwrap())), "1500");
    }
}
