//! Hammond's SQLite database (`hammond.db`), read-only: vehicles, fill-ups and expenses.
//! Schema from akhilrex/hammond `server/db/dbModels.go` (GORM: snake_case columns, soft
//! deletes in `deleted_at`) and `server/db/enums.go` (fuel units 0 litre, 1 gallon
//! (imperial), 2 US gallon, 3 kg, 4 kWh, 5 minutes; distance units 0 miles, 1 km).
//! Fill-ups and expenses carry their own currency and distance unit; a vehicle takes its
//! first fill-up's (or expense's). Expenses become service records whose category is the
//! expense type. Users, passwords and settings are never read.

use rusqlite::{Connection, OpenFlags};

use super::api::FormatId;
use super::common::{DateParts, Event, Item, ItemKind, ParseCtx, Sink, VehicleDraft};
use super::format::{Format, Head};
use super::{ImportError, LeftOut, RowError, Source};
use crate::service::ServiceKind;
use crate::units::{Currency, DistanceUnit, FuelKind, VolumeUnit};

pub struct Hammond;

impl Format for Hammond {
    const NAME: FormatId = FormatId::Hammond;
    const DATE_ORDER: Option<super::DateOrder> = Some(super::DateOrder::Ymd);
    const BINARY: bool = true;
    fn detect(head: &Head<'_>) -> u8 {
        if !head.is_sqlite() {
            0
        } else if head.text.contains("fillups") && head.text.contains("expenses") {
            95
        } else {
            30
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        let tmp;
        let path = match src.path() {
            Some(p) => p.to_path_buf(),
            None => {
                // rusqlite opens files: bytes go to a private temporary copy.
                let dir =
                    std::env::temp_dir().join(format!("glovebox-hammond-{}", uuid::Uuid::now_v7()));
                std::fs::create_dir_all(&dir)?;
                let p = dir.join("hammond.db");
                std::fs::write(&p, src.read_all(1 << 30)?)?;
                tmp = TempDir(dir);
                let _ = &tmp;
                p
            }
        };
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| structure(format!("not a readable SQLite database: {e}")))?;
        read(&conn, ctx, sink)
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn structure(reason: impl Into<String>) -> ImportError {
    ImportError::Structure {
        line: 1,
        reason: reason.into(),
    }
}

fn sql(e: rusqlite::Error) -> ImportError {
    structure(format!("not a Hammond database: {e}"))
}

/// "2021-05-01 10:00:00+00:00" and its variants: the wall-clock part.
fn date(text: &str) -> Option<DateParts> {
    let t = text.trim();
    DateParts::parse(t.get(..19).unwrap_or(t).trim_end_matches('Z'))
}

fn volume_unit(code: i64) -> Option<VolumeUnit> {
    match code {
        0 => Some(VolumeUnit::Litre),
        1 => Some(VolumeUnit::ImpGallon),
        2 => Some(VolumeUnit::UsGallon),
        3 => Some(VolumeUnit::Kilogram),
        4 => Some(VolumeUnit::KilowattHour),
        _ => None,
    }
}

fn read(conn: &Connection, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let mut vs = conn
        .prepare(
            "SELECT id, nickname, registration, make, model, year_of_manufacture, fuel_unit, fuel_type, \
             (SELECT distance_unit FROM fillups f WHERE f.vehicle_id = v.id ORDER BY date LIMIT 1), \
             (SELECT currency FROM fillups f WHERE f.vehicle_id = v.id ORDER BY date LIMIT 1), \
             (SELECT distance_unit FROM expenses e WHERE e.vehicle_id = v.id ORDER BY date LIMIT 1), \
             (SELECT currency FROM expenses e WHERE e.vehicle_id = v.id ORDER BY date LIMIT 1) \
             FROM vehicles v WHERE deleted_at IS NULL ORDER BY created_at, id",
        )
        .map_err(sql)?;
    let rows = vs
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                r.get::<_, Option<i64>>(7)?.unwrap_or(0),
                r.get::<_, Option<i64>>(8)?.or(r.get::<_, Option<i64>>(10)?),
                r.get::<_, Option<String>>(9)?
                    .or(r.get::<_, Option<String>>(11)?),
            ))
        })
        .map_err(sql)?;
    let mut ids = Vec::new();
    let mut minutes = Vec::new();
    for row in rows {
        let (id, nick, plate, make, model, year, fuel_unit, fuel_type, dist, cur) =
            row.map_err(sql)?;
        let name = [nick.trim(), &format!("{} {}", make.trim(), model.trim())]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| plate.clone());
        let Some(volume) = volume_unit(fuel_unit) else {
            minutes.push(name);
            continue;
        };
        let mut d = VehicleDraft::named(name);
        d.make = make.trim().to_owned();
        d.model = model.trim().to_owned();
        d.year = year.map(|y| y as i32).filter(|y| *y > 0);
        d.plate = plate.trim().to_owned();
        d.volume_unit = Some(volume);
        d.distance_unit = dist.map(|u| {
            if u == 0 {
                DistanceUnit::Mile
            } else {
                DistanceUnit::Kilometre
            }
        });
        d.currency = cur.and_then(|c| c.parse::<Currency>().ok());
        d.fuel_kind = Some(match fuel_type {
            1 => FuelKind::Diesel,
            3 => FuelKind::Cng,
            4 => FuelKind::Electric,
            5 => FuelKind::Lpg,
            _ => FuelKind::Petrol,
        });
        sink(Event::Vehicle(d))?;
        ids.push(id);
    }
    if !minutes.is_empty() {
        sink(Event::LeftOut(LeftOut {
            what: format!("vehicles charged by the minute ({})", minutes.join(", ")),
            count: minutes.len() as u64,
            reason: "Glovebox measures fuel in volume, kWh or kg".into(),
        }))?;
    }
    let mut line = 0u64;
    let mut fill = conn
        .prepare(
            "SELECT id, date, odo_reading, fuel_quantity, per_unit_price, total_amount, is_tank_full, \
             has_missed_fillup, comments, filling_station FROM fillups \
             WHERE vehicle_id = ?1 AND deleted_at IS NULL ORDER BY date, id",
        )
        .map_err(sql)?;
    let mut exp = conn
        .prepare(
            "SELECT id, date, odo_reading, amount, comments, expense_type FROM expenses \
             WHERE vehicle_id = ?1 AND deleted_at IS NULL ORDER BY date, id",
        )
        .map_err(sql)?;
    let money = |v: f64| (v * 10f64.powi(ctx.money_digits as i32)).round() as i64;
    for (vi, vid) in ids.iter().enumerate() {
        let fills = fill
            .query_map([vid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<f64>>(2)?.unwrap_or(0.0),
                    r.get::<_, Option<f64>>(3)?.unwrap_or(0.0),
                    r.get::<_, Option<f64>>(4)?.unwrap_or(0.0),
                    r.get::<_, Option<f64>>(5)?,
                    r.get::<_, Option<bool>>(6)?.unwrap_or(true),
                    r.get::<_, Option<bool>>(7)?.unwrap_or(false),
                    r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(9)?.unwrap_or_default(),
                ))
            })
            .map_err(sql)?;
        for f in fills {
            let (id, when, odo, qty, price, total, full, missed, comments, station) =
                f.map_err(sql)?;
            line += 1;
            let location = format!("fillups {id}");
            let Some(d) = date(&when) else {
                sink(Event::Bad(bad(line, &location, "date", &when)))?;
                continue;
            };
            // float32 in Hammond: the total is rounded to the currency's digits.
            let cost = total.map(money).unwrap_or_else(|| money(price * qty));
            sink(Event::Item(Item {
                line,
                vehicle: vi,
                kind: ItemKind::Fuel {
                    date: d,
                    odometer: odo,
                    quantity: (qty * 1000.0).round() / 1000.0,
                    cost_minor: cost,
                    full,
                    missed,
                    station: station.trim().to_owned(),
                    notes: comments.trim().to_owned(),
                    tags: Vec::new(),
                    economy: None,
                    trip: None,
                },
                location: Some(location),
            }))?;
        }
        let expenses = exp
            .query_map([vid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<f64>>(2)?.unwrap_or(0.0),
                    r.get::<_, Option<f64>>(3)?.unwrap_or(0.0),
                    r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                ))
            })
            .map_err(sql)?;
        for e in expenses {
            let (id, when, odo, amount, comments, kind) = e.map_err(sql)?;
            line += 1;
            let location = format!("expenses {id}");
            let Some(d) = date(&when) else {
                sink(Event::Bad(bad(line, &location, "date", &when)))?;
                continue;
            };
            let kind = kind.trim();
            sink(Event::Item(Item {
                line,
                vehicle: vi,
                kind: ItemKind::Service {
                    kind: ServiceKind::Service,
                    date: d,
                    odometer: (odo > 0.0).then_some(odo),
                    title: if kind.is_empty() { "Expense" } else { kind }.to_owned(),
                    category: kind.to_owned(),
                    cost_minor: money(amount),
                    notes: comments.trim().to_owned(),
                    tags: Vec::new(),
                },
                location: Some(location),
            }))?;
        }
    }
    if ids.is_empty() && minutes.is_empty() {
        return Err(structure("the Hammond database holds no vehicles"));
    }
    Ok(())
}

fn bad(line: u64, location: &str, column: &str, value: &str) -> RowError {
    RowError {
        line,
        column: Some(column.to_owned()),
        reason: format!("{value:?} is not a date"),
        location: Some(location.to_owned()),
    }
}
