//! Checking a pulled (or restored) row with the same domain rules as typed input: its
//! `data` is decoded into the domain's input type (`VehicleInput`, `FuelInput`, ...) and
//! validated by that type's own `validate`. A value this build does not know (fuel kind
//! "hydrogen" from a newer Glovebox), a missing or mistyped column, or a broken rule is a
//! `Problem` with a stable code and a sentence naming the column — never a panic, and
//! never a row stored that would make a later read fail.
//!
//! Every rule here depends on the row alone, never on this device's state, so every
//! device of one version decides alike whatever order rows arrive in (the server's
//! sequence is last-writer-wins ordered: a fill-up can come pages before its vehicle):
//! - records are validated against a stand-in for their vehicle (the domain rules of a
//!   record do not depend on the vehicle's fields; the vehicle only lends its units), so
//!   an unknown vehicle is never a reason;
//! - "not in the future" is measured from the row's own stamp, not from this device's
//!   clock: the writer checked the date against its local wall clock, which is at most
//!   14 hours (the widest time zone) ahead of UTC, and its HLC is never behind its clock;
//! - the odometer typo guard is for typing and never runs here.

use chrono::{Datelike, NaiveDateTime};
use glovebox_protocol::rows::{is_row_id, RowProblem};
use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable};
use serde_json::{Map, Value};

use crate::fuel::FuelInput;
use crate::odometer::OdometerInput;
use crate::reminders::completion::{self, CompletionInput};
use crate::reminders::{ReminderInput, Schedule, Thresholds};
use crate::service::{ServiceInput, ServiceKind};
use crate::units::{Currency, DistanceUnit, EconomyUnit, FuelKind, VolumeUnit};
use crate::vehicles::{Vehicle, VehicleInput};
use crate::{time, validate, Error};

/// The widest local-time offset ahead of UTC (UTC+14, Kiribati).
const MAX_ZONE_AHEAD_SECS: i64 = 14 * 3600;

/// Why a row cannot be applied: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub reason: String,
}

impl Problem {
    pub(crate) fn new(code: &'static str, reason: impl Into<String>) -> Problem {
        Problem {
            code,
            reason: reason.into(),
        }
    }
}

impl From<RowProblem> for Problem {
    fn from(p: RowProblem) -> Problem {
        Problem::new(p.code(), p.to_string())
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

fn invalid(e: Error) -> Problem {
    match e {
        Error::Validation { field, reason } => {
            Problem::new("invalid", format!("{field}: {reason}"))
        }
        other => Problem::new("invalid", other.to_string()),
    }
}

/// Typed access to a row's columns, each error naming the column.
struct Data<'a>(&'a Map<String, Value>);

impl Data<'_> {
    fn present(&self, col: &str) -> Option<&Value> {
        self.0.get(col).filter(|v| !v.is_null())
    }

    fn missing(col: &str) -> Problem {
        Problem::new("missing_column", format!("{col}: missing"))
    }

    fn bad(col: &str, want: &str, got: &Value) -> Problem {
        let got = match got {
            Value::Null => "null".to_owned(),
            Value::String(s) => format!("{:?}", truncate(s, 40)),
            other => truncate(&other.to_string(), 40),
        };
        Problem::new("bad_value", format!("{col}: must be {want}, not {got}"))
    }

    /// A required text column.
    fn text(&self, col: &str) -> Result<String, Problem> {
        match self.0.get(col) {
            None => Err(Self::missing(col)),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(Self::bad(col, "text", v)),
        }
    }

    /// A text column with a schema default of ''.
    fn text_or_empty(&self, col: &str) -> Result<String, Problem> {
        match self.0.get(col) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(Self::bad(col, "text", v)),
        }
    }

    fn opt_text(&self, col: &str) -> Result<Option<String>, Problem> {
        match self.present(col) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(Self::bad(col, "text", v)),
        }
    }

    fn int_of(col: &str, v: &Value) -> Result<i64, Problem> {
        match v {
            Value::Number(n) => n.as_i64().ok_or_else(|| Self::bad(col, "an integer", v)),
            Value::Bool(b) => Ok(i64::from(*b)),
            _ => Err(Self::bad(col, "an integer", v)),
        }
    }

    fn int(&self, col: &str) -> Result<i64, Problem> {
        match self.0.get(col) {
            None => Err(Self::missing(col)),
            Some(v) => Self::int_of(col, v),
        }
    }

    fn int_or(&self, col: &str, default: i64) -> Result<i64, Problem> {
        match self.0.get(col) {
            None => Ok(default),
            Some(v) => Self::int_of(col, v),
        }
    }

    fn opt_int(&self, col: &str) -> Result<Option<i64>, Problem> {
        self.present(col).map(|v| Self::int_of(col, v)).transpose()
    }

    fn real_of(col: &str, v: &Value) -> Result<f64, Problem> {
        v.as_f64().ok_or_else(|| Self::bad(col, "a number", v))
    }

    fn real(&self, col: &str) -> Result<f64, Problem> {
        match self.0.get(col) {
            None => Err(Self::missing(col)),
            Some(v) => Self::real_of(col, v),
        }
    }

    fn opt_real(&self, col: &str) -> Result<Option<f64>, Problem> {
        self.present(col).map(|v| Self::real_of(col, v)).transpose()
    }

    fn flag_of(col: &str, v: &Value) -> Result<bool, Problem> {
        match Self::int_of(col, v) {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            _ => Err(Self::bad(col, "0 or 1", v)),
        }
    }

    fn flag(&self, col: &str) -> Result<bool, Problem> {
        match self.0.get(col) {
            None => Err(Self::missing(col)),
            Some(v) => Self::flag_of(col, v),
        }
    }

    fn flag_or(&self, col: &str, default: bool) -> Result<bool, Problem> {
        match self.0.get(col) {
            None => Ok(default),
            Some(v) => Self::flag_of(col, v),
        }
    }

    /// A code such as a fuel kind: a value this build does not know is `unknown_value`.
    fn code<T: std::str::FromStr>(&self, col: &str) -> Result<T, Problem>
    where
        T::Err: std::fmt::Display,
    {
        parse_code(col, &self.text(col)?)
    }

    fn time_of(col: &str, secs: i64) -> Result<NaiveDateTime, Problem> {
        chrono::DateTime::from_timestamp(secs, 0)
            .map(|d| d.naive_utc())
            .ok_or_else(|| Problem::new("bad_value", format!("{col}: {secs} is not a time")))
    }

    fn time(&self, col: &str) -> Result<NaiveDateTime, Problem> {
        Self::time_of(col, self.int(col)?)
    }

    fn opt_time(&self, col: &str) -> Result<Option<NaiveDateTime>, Problem> {
        self.opt_int(col)?
            .map(|s| Self::time_of(col, s))
            .transpose()
    }

    /// A column holding another row's id.
    fn id(&self, col: &str) -> Result<String, Problem> {
        let id = self.text(col)?;
        check_id(col, &id)?;
        Ok(id)
    }

    fn opt_id(&self, col: &str) -> Result<Option<String>, Problem> {
        let id = self.opt_text(col)?;
        if let Some(id) = &id {
            check_id(col, id)?;
        }
        Ok(id)
    }
}

fn check_id(col: &str, id: &str) -> Result<(), Problem> {
    if is_row_id(id) {
        Ok(())
    } else {
        Err(Problem::new(
            "bad_value",
            format!("{col}: {:?} is not a row id", truncate(id, 40)),
        ))
    }
}

pub(crate) fn parse_code<T: std::str::FromStr>(col: &str, value: &str) -> Result<T, Problem>
where
    T::Err: std::fmt::Display,
{
    value.parse::<T>().map_err(|e| {
        let msg = e.to_string();
        let msg = if msg.starts_with(&format!("{col}:")) {
            msg
        } else {
            format!("{col}: {msg}")
        };
        Problem::new(
            "unknown_value",
            format!("{msg} (made by a newer Glovebox?)"),
        )
    })
}

pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The latest local time the row's writer could have had when it stamped the row.
fn writer_now(hlc: &Hlc) -> NaiveDateTime {
    let secs = i64::try_from(hlc.millis / 1000).unwrap_or(i64::MAX / 2);
    time::from_sql(secs.saturating_add(MAX_ZONE_AHEAD_SECS))
}

/// A record's vehicle as far as its own rules need one: its id and units. The units do
/// not take part in any record rule, so a stand-in is as good as the real vehicle.
fn stand_in(vehicle_id: String) -> Vehicle {
    Vehicle {
        id: vehicle_id,
        name: String::new(),
        make: String::new(),
        model: String::new(),
        year: None,
        plate: String::new(),
        vin: String::new(),
        fuel_kind: FuelKind::Other,
        distance_unit: DistanceUnit::Kilometre,
        volume_unit: VolumeUnit::Litre,
        economy_unit: EconomyUnit::LitresPer100Km,
        currency: Currency::EUR,
        archived: false,
    }
}

/// Checks `row` (whose table is `table`) with the domain rules. Returns the id of the
/// vehicle the row belongs to (itself for a vehicle).
pub(crate) fn check(table: SyncTable, row: &SyncRow) -> Result<String, Problem> {
    let d = Data(&row.data);
    let now = writer_now(&row.hlc);
    match table {
        SyncTable::Vehicles => {
            let input = VehicleInput {
                name: d.text("name")?,
                make: d.text_or_empty("make")?,
                model: d.text_or_empty("model")?,
                year: d
                    .opt_int("year")?
                    .map(|y| {
                        i32::try_from(y).map_err(|_| Problem::new("invalid", format!("year: {y}")))
                    })
                    .transpose()?,
                plate: d.text_or_empty("plate")?,
                vin: d.text_or_empty("vin")?,
                fuel_kind: d.code("fuel_kind")?,
                distance_unit: d.code("distance_unit")?,
                volume_unit: d.code("volume_unit")?,
                economy_unit: Some(d.code("economy_unit")?),
                currency: d.code("currency")?,
            };
            d.flag_or("archived", false)?;
            input.validate(now.year()).map_err(invalid)?;
            Ok(row.id.clone())
        }
        SyncTable::FuelRecords => {
            let input = FuelInput {
                vehicle_id: d.id("vehicle_id")?,
                occurred_at: d.time("occurred_at")?,
                odometer: d.real("odometer")?,
                quantity: d.real("quantity")?,
                total_cost_minor: d.int("total_cost")?,
                is_full: d.flag("is_full")?,
                missed_previous: d.flag_or("missed_previous", false)?,
                station: d.text_or_empty("station")?,
                notes: d.text_or_empty("notes")?,
                tags: validate::tags_from_sql(&d.text_or_empty("tags")?),
            };
            let v = stand_in(input.vehicle_id.clone());
            input.validate(&v, now).map_err(invalid)?;
            Ok(v.id)
        }
        SyncTable::ServiceRecords => {
            let input = ServiceInput {
                vehicle_id: d.id("vehicle_id")?,
                kind: parse_code::<ServiceKind>("kind", &d.text("kind")?)?,
                occurred_at: d.time("occurred_at")?,
                odometer: d.opt_real("odometer")?,
                title: d.text("title")?,
                category: d.text_or_empty("category")?,
                cost_minor: d.int_or("cost", 0)?,
                notes: d.text_or_empty("notes")?,
                tags: validate::tags_from_sql(&d.text_or_empty("tags")?),
            };
            let v = stand_in(input.vehicle_id.clone());
            input.validate(&v, now).map_err(invalid)?;
            Ok(v.id)
        }
        SyncTable::OdometerRecords => {
            let input = OdometerInput {
                vehicle_id: d.id("vehicle_id")?,
                occurred_at: d.time("occurred_at")?,
                odometer: d.real("odometer")?,
                notes: d.text_or_empty("notes")?,
            };
            let v = stand_in(input.vehicle_id.clone());
            input.validate(&v, now).map_err(invalid)?;
            Ok(v.id)
        }
        SyncTable::Reminders => {
            let days = |col: &str| d.opt_int(col);
            let input = ReminderInput {
                vehicle_id: d.id("vehicle_id")?,
                title: d.text("title")?,
                notes: d.text_or_empty("notes")?,
                due_at: d.opt_time("due_at")?,
                due_odometer: d.opt_real("due_odometer")?,
                recur_months: d
                    .opt_int("recur_months")?
                    .map(|m| {
                        u32::try_from(m).map_err(|_| {
                            Problem::new("invalid", "recur_months: must be between 1 and 240")
                        })
                    })
                    .transpose()?,
                recur_distance: d.opt_real("recur_distance")?,
                schedule: match d.opt_text("schedule")? {
                    Some(s) => parse_code::<Schedule>("schedule", &s)?,
                    None if d.0.contains_key("schedule") => {
                        return Err(Data::bad("schedule", "text", &Value::Null))
                    }
                    None => Schedule::default(),
                },
                thresholds: Thresholds {
                    urgent_days: days("urgent_days")?,
                    very_urgent_days: days("very_urgent_days")?,
                    urgent_distance: d.opt_real("urgent_distance")?,
                    very_urgent_distance: d.opt_real("very_urgent_distance")?,
                },
            };
            d.flag_or("active", true)?;
            let v = stand_in(input.vehicle_id.clone());
            input.validate(&v).map_err(invalid)?;
            Ok(v.id)
        }
        SyncTable::ReminderCompletions => {
            d.id("reminder_id")?;
            let vehicle_id = d.id("vehicle_id")?;
            d.opt_id("service_record_id")?;
            let completed_at = d.time("completed_at")?;
            validate::record_date("completed_at", completed_at, now).map_err(invalid)?;
            completion::validate_input(&CompletionInput {
                completed_at,
                odometer: d.opt_real("odometer")?,
                notes: d.text_or_empty("notes")?,
                service: None,
            })
            .map_err(invalid)?;
            Ok(vehicle_id)
        }
    }
}

/// The columns whose stored value must parse for a row to be readable, per table. The
/// open-time sweep moves live rows that fail here into quarantine (they can only have
/// come from an older Glovebox that applied rows unchecked).
pub(crate) fn code_columns(table: SyncTable) -> &'static [&'static str] {
    match table {
        SyncTable::Vehicles => &[
            "fuel_kind",
            "distance_unit",
            "volume_unit",
            "economy_unit",
            "currency",
        ],
        SyncTable::ServiceRecords => &["kind"],
        SyncTable::Reminders => &["schedule"],
        SyncTable::FuelRecords | SyncTable::OdometerRecords | SyncTable::ReminderCompletions => &[],
    }
}

/// Whether `value` of code column `col` of `table` is one this build reads.
pub(crate) fn check_code(table: SyncTable, col: &str, value: &str) -> Result<(), Problem> {
    match (table, col) {
        (SyncTable::Vehicles, "fuel_kind") => parse_code::<FuelKind>(col, value).map(drop),
        (SyncTable::Vehicles, "distance_unit") => parse_code::<DistanceUnit>(col, value).map(drop),
        (SyncTable::Vehicles, "volume_unit") => parse_code::<VolumeUnit>(col, value).map(drop),
        (SyncTable::Vehicles, "economy_unit") => parse_code::<EconomyUnit>(col, value).map(drop),
        (SyncTable::Vehicles, "currency") => parse_code::<Currency>(col, value).map(drop),
        (SyncTable::ServiceRecords, "kind") => parse_code::<ServiceKind>(col, value).map(drop),
        (SyncTable::Reminders, "schedule") => parse_code::<Schedule>(col, value).map(drop),
        _ => Ok(()),
    }
}
