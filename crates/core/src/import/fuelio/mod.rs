//! Fuelio's backup CSV (`vehicle-N-sync.csv`, alone or in the `.zip` its Google Drive and
//! Dropbox backups write): one vehicle, in sections `## Vehicle`, `## Log` (fill-ups),
//! `## CostCategories` and `## Costs`; `## FavStations`, `## TripLog`, `## Pictures` and
//! others are skipped (trips and pictures are listed as left out).
//!
//! Generations of the sections (column names are matched, so added columns do no harm):
//! - Vehicle: `Name,Description,DistUnit,FuelUnit,ConsumptionUnit,ImportCSVDateFormat`,
//!   then `+VIN,Insurance,Plate,Make,Model,Year`, `+TankCount,Tank1Type,Tank2Type,Active`,
//!   `+Tank1Capacity,Tank2Capacity,FuelUnitTank2,FuelConsumptionTank2`, `+guid,lastupdated`.
//!   The oldest files have no Vehicle section at all: the units come from the Log header
//!   (`Odo (mi)`, `Fuel (us gallons)`).
//! - Log: `Data,Odo (km),Fuel (litres),Full,Price (optional),l/100km (optional),latitude,
//!   longitude,City,Notes,Missed`, then `+TankNumber,FuelType,VolumePrice,StationID,
//!   ExcludeDistance,UniqueId,TankCalc`, `+Weather`, `+guid,lastupdated`. `Price` is the
//!   total paid (empty: VolumePrice × quantity).
//!
//! Units: DistUnit 0 km, 1 mi; FuelUnit (and FuelUnitTank2) 0 litres, 1 US gallons, 2 imp
//! gallons, 4 kg (CNG); a code not known here is read from the tank's type (5xx CNG → kg,
//! 6xx electricity → kWh) or the Log header, else refused by name. Tank types: 1xx petrol,
//! 2xx diesel, 3xx ethanol, 4xx LPG, 5xx CNG, 6xx electricity.
//!
//! Two tanks (petrol + CNG, petrol + LPG): Glovebox keeps one fuel stream per vehicle, so
//! kg are never summed with litres: the tank the user picks (`ImportOptions::tank`,
//! default 1) is imported with its own unit and economy, and the other tank's fill-ups
//! are counted and listed as left out, with the reason.

mod costs;
mod vehicle;

use std::collections::HashMap;
use std::io::Read;

use super::common::{Columns, Event, Item, ItemKind, ParseCtx, ReadOpts, Row, Sink, VehicleDraft};
use super::format::{Format, Head};
use super::{BytesSource, FormatId, ImportError, LeftOut, RowError, Source};
use crate::units::DistanceUnit;
use vehicle::{economy_unit, header_unit, vehicle, volume_from_text, Tank, Vehicle};

pub struct Fuelio;

/// A Fuelio CSV inside a zip is small; this bounds a mislabelled or hostile file.
const MAX_CSV: u64 = 256 * 1024 * 1024;

impl Format for Fuelio {
    const NAME: FormatId = FormatId::Fuelio;
    const DATE_ORDER: Option<super::DateOrder> = Some(super::DateOrder::Ymd);
    /// Reads its zip backups too, so the pipeline's text checks are done here.
    const BINARY: bool = true;
    fn detect(head: &Head<'_>) -> u8 {
        if head.is_zip() {
            let name_at = |n: &[u8]| head.bytes.windows(n.len()).any(|w| w == n);
            return if name_at(b"-sync.csv") { 90 } else { 0 };
        }
        if head.text.contains("## vehicle") || head.text.contains("## log") {
            95
        } else {
            0
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        let head = super::head_of(src, 4).map_err(|e| match e {
            crate::Error::Import(i) => i,
            other => ImportError::Structure {
                line: 1,
                reason: other.to_string(),
            },
        })?;
        if head.starts_with(b"PK\x03\x04") {
            let csv = unzip(src)?;
            let ctx = ParseCtx {
                read: ReadOpts::sniff(&csv[..csv.len().min(super::HEAD_BYTES)]),
                ..*ctx
            };
            return parse(&BytesSource(&csv), &ctx, sink);
        }
        let head = super::head_of(src, super::HEAD_BYTES).map_err(|_| ImportError::Empty)?;
        if head.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::Empty);
        }
        if super::looks_binary(&head) {
            return Err(ImportError::NotText { line: 1 });
        }
        parse(src, ctx, sink)
    }
}

/// The backup CSV in a Fuelio zip (`vehicle-1-sync.csv`).
fn unzip(src: &dyn Source) -> Result<Vec<u8>, ImportError> {
    let bytes = src.read_all(MAX_CSV)?;
    let bad = |e: String| ImportError::Structure { line: 1, reason: e };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable zip file: {e}")))?;
    let name = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.to_ascii_lowercase().ends_with(".csv"))
        .min_by_key(|n| !n.contains("-sync"))
        .ok_or_else(|| bad("the zip holds no .csv file: not a Fuelio backup".into()))?;
    let mut out = Vec::new();
    zip.by_name(&name)
        .map_err(|e| bad(format!("{name} in the zip: {e}")))?
        .take(MAX_CSV)
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("{name} in the zip is damaged: {e}")))?;
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Vehicle,
    Log,
    Categories,
    Costs,
    /// Skipped, with its rows listed as left out under this name.
    Listed(&'static str),
    Other,
}

fn section_of(name: &str) -> Section {
    match name.trim().to_ascii_lowercase().as_str() {
        "vehicle" => Section::Vehicle,
        "log" => Section::Log,
        "costcategories" => Section::Categories,
        "costs" => Section::Costs,
        "triplog" | "trips" => Section::Listed("trips (## TripLog)"),
        "pictures" => Section::Listed("pictures (## Pictures)"),
        _ => Section::Other,
    }
}

#[derive(Default)]
struct State {
    section: Option<Section>,
    cols: Option<Columns>,
    vehicle: Option<Vehicle>,
    /// The vehicle row, kept until the Log header can confirm its units.
    draft: Option<(VehicleDraft, u64)>,
    emitted: bool,
    seen_log: bool,
    /// Fill-ups of the tank(s) not imported, by tank number.
    other_tanks: std::collections::BTreeMap<u8, u64>,
    listed: std::collections::BTreeMap<&'static str, u64>,
    costs: costs::Costs,
}

/// `## FavStations` comes after the Log, which names a station only by its id when the
/// City column is empty: the names are read first, in a quick pass of their own.
fn stations(src: &dyn Source, ctx: &ParseCtx) -> Result<HashMap<String, String>, ImportError> {
    let mut out = HashMap::new();
    let (mut inside, mut cols): (bool, Option<Columns>) = (false, None);
    super::common::read_records(src.open()?, &ctx.read, &mut |_| Ok(()), &mut |rec, _, _| {
        let first = rec.get(0).unwrap_or("").trim();
        if let Some(name) = first.strip_prefix("##") {
            inside = name.trim().eq_ignore_ascii_case("favstations");
            cols = None;
        } else if inside {
            match &cols {
                None => cols = Some(Columns::new(rec)),
                Some(c) => {
                    let get = |a: &[&str]| c.find(a).and_then(|i| rec.get(i)).unwrap_or("").trim();
                    let (id, name) = (get(&["stationid"]), get(&["namebrand", "name"]));
                    if !id.is_empty() && id != "0" && !name.is_empty() {
                        out.insert(id.to_owned(), name.to_owned());
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}

fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let stations = stations(src, ctx)?;
    let input = src.open()?;
    let mut st = State::default();
    super::common::read_records(input, &ctx.read, sink, &mut |rec, line, sink| {
        let first = rec
            .get(0)
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if let Some(name) = first.strip_prefix("##") {
            let next = section_of(name);
            if st.section == Some(Section::Costs) {
                st.costs.finish(ctx, sink)?;
            }
            match next {
                Section::Vehicle if st.seen_log => {
                    return Err(ImportError::Structure {
                        line,
                        reason: "## Vehicle comes after ## Log".into(),
                    })
                }
                Section::Costs if !st.emitted => {
                    return Err(ImportError::Structure {
                        line,
                        reason: format!("section {first} comes before ## Vehicle and ## Log"),
                    })
                }
                _ => {}
            }
            st.seen_log |= next == Section::Log;
            st.section = Some(next);
            st.cols = None;
            return Ok(());
        }
        let Some(section) = st.section else {
            return Err(ImportError::Structure {
                line,
                reason: "expected a section such as \"## Vehicle\"".into(),
            });
        };
        if section == Section::Other {
            return Ok(());
        }
        if let Section::Listed(what) = section {
            if st.cols.is_some() {
                *st.listed.entry(what).or_default() += 1;
            } else {
                st.cols = Some(Columns::new(rec));
            }
            return Ok(());
        }
        let Some(c) = &st.cols else {
            let c = Columns::new(rec);
            match section {
                Section::Log => {
                    log_header(&mut st, &c, line, ctx, sink)?;
                    sink(c.fields(&[
                        ("occurred_at", c.find(&["data", "date"])),
                        ("odometer", c.find_prefix(&["odo"])),
                        ("quantity", fuel_col(&c)),
                        ("total_cost", c.find_prefix(&["price"])),
                        ("notes", c.find_prefix(&["notes"])),
                        ("station", c.find_prefix(&["city"])),
                    ]))?
                }
                Section::Costs => sink(costs::fields(&c))?,
                _ => {}
            }
            st.cols = Some(c);
            return Ok(());
        };
        let row = Row::new(rec, c, line, ctx);
        match section {
            Section::Vehicle => {
                if st.draft.is_some() {
                    return Err(ImportError::Structure {
                        line,
                        reason: "a Fuelio backup holds one vehicle; found a second".into(),
                    });
                }
                let (draft, vehicle) = vehicle(&row)?;
                st.vehicle = Some(vehicle);
                st.draft = Some((draft, line));
                Ok(())
            }
            Section::Log => {
                if let Some(e) = row.truncated() {
                    return sink(Event::Bad(e));
                }
                let tank = match row.opt_number(c.find(&["tanknumber"])) {
                    Ok(t) => t.map_or(1, |t| t.round().clamp(1.0, 255.0) as u8),
                    Err(e) => return sink(Event::Bad(e)),
                };
                if tank != ctx.tank {
                    *st.other_tanks.entry(tank).or_default() += 1;
                    return Ok(());
                }
                match fill_up(&row, ctx, &stations) {
                    Ok(kind) => sink(Event::Item(Item::at(line, 0, kind))),
                    Err(e) => sink(Event::Bad(e)),
                }
            }
            Section::Categories => {
                st.costs.category(&row);
                Ok(())
            }
            Section::Costs => {
                if let Some(e) = row.truncated() {
                    return sink(Event::Bad(e));
                }
                st.costs.push(rec.clone(), c.clone(), line);
                Ok(())
            }
            Section::Other | Section::Listed(_) => Ok(()),
        }
    })?;
    if st.section == Some(Section::Costs) {
        st.costs.finish(ctx, sink)?;
    }
    if !st.emitted {
        // A Vehicle section without a Log: the vehicle still comes in (costs may follow
        // in another file), and an empty file is refused.
        match st.draft.take() {
            Some((draft, _)) => {
                check_tank(&st, ctx, 1)?;
                sink(Event::Vehicle(finish_draft(draft, &st, ctx)))?;
            }
            None => {
                return Err(ImportError::Structure {
                    line: 1,
                    reason: "no \"## Vehicle\" or \"## Log\" section: not a Fuelio backup".into(),
                })
            }
        }
    }
    report_left_out(&st, ctx, sink)
}

fn fuel_col(c: &Columns) -> Option<usize> {
    (0..c.names.len()).find(|&i| c.normed(i).starts_with("fuel") && c.normed(i) != "fueltype")
}

/// At the Log header the vehicle is complete: the Vehicle section's units, or for the
/// oldest files (no Vehicle section) the header's.
fn log_header(
    st: &mut State,
    c: &Columns,
    line: u64,
    ctx: &ParseCtx,
    sink: &mut Sink<'_>,
) -> Result<(), ImportError> {
    if st.emitted {
        return Ok(());
    }
    let header_distance = header_unit(c, c.find_prefix(&["odo"])).and_then(|u| match u.as_str() {
        "km" => Some(DistanceUnit::Kilometre),
        "mi" | "miles" => Some(DistanceUnit::Mile),
        _ => None,
    });
    let header_volume = header_unit(c, fuel_col(c)).and_then(|u| volume_from_text(&u));
    let draft = match st.draft.take() {
        Some((d, _)) => d,
        None => {
            let distance = header_distance.unwrap_or(DistanceUnit::Kilometre);
            let volume = header_volume.ok_or_else(|| ImportError::Structure {
                line,
                reason: "no ## Vehicle section and the Log header does not say the fuel unit"
                    .into(),
            })?;
            st.vehicle = Some(Vehicle {
                distance,
                tanks: vec![Tank {
                    volume,
                    kind: None,
                    economy: None,
                }],
                tank1_unsure: false,
                tank1_consumption: None,
            });
            VehicleDraft::named("Fuelio vehicle")
        }
    };
    // The header names tank 1's unit ("Fuel (kg)"); it settles a code that did not.
    if let (Some(v), Some(hv)) = (st.vehicle.as_mut(), header_volume) {
        if v.tank1_unsure && v.tanks[0].volume != hv {
            v.tanks[0].volume = hv;
            v.tanks[0].economy = economy_unit(v.tank1_consumption, hv);
        }
    }
    check_tank(st, ctx, line)?;
    st.emitted = true;
    sink(Event::Vehicle(finish_draft(draft, st, ctx)))
}

fn check_tank(st: &State, ctx: &ParseCtx, line: u64) -> Result<(), ImportError> {
    let n = st.vehicle.as_ref().map_or(1, |v| v.tanks.len());
    if ctx.tank as usize > n || ctx.tank == 0 {
        return Err(ImportError::Structure {
            line,
            reason: format!(
                "the vehicle has {n} tank(s); tank {} was chosen (choose 1{})",
                ctx.tank,
                if n > 1 { " or 2" } else { "" }
            ),
        });
    }
    Ok(())
}

/// The draft with the chosen tank's units.
fn finish_draft(mut d: VehicleDraft, st: &State, ctx: &ParseCtx) -> VehicleDraft {
    if let Some(v) = &st.vehicle {
        let tank = v.tanks[(ctx.tank as usize).saturating_sub(1).min(v.tanks.len() - 1)];
        d.distance_unit = Some(v.distance);
        d.volume_unit = Some(tank.volume);
        d.fuel_kind = tank.kind;
        d.economy_unit = tank.economy;
    }
    d
}

fn report_left_out(st: &State, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    for (&tank, &count) in &st.other_tanks {
        let what = match st
            .vehicle
            .as_ref()
            .and_then(|v| v.tanks.get(tank as usize - 1))
        {
            Some(t) => format!(
                "fill-ups of tank {tank} ({}, {})",
                t.kind.map_or("fuel", |k| k.label()),
                t.volume.label()
            ),
            None => format!("fill-ups of tank {tank}"),
        };
        sink(Event::LeftOut(LeftOut {
            what,
            count,
            reason: format!(
                "Glovebox keeps one fuel stream per vehicle and never adds one tank's fuel to \
                 another's: tank {} was imported; import the file again choosing tank {tank} \
                 (into another vehicle) to keep these",
                ctx.tank
            ),
        }))?;
    }
    for (&what, &count) in &st.listed {
        sink(Event::LeftOut(LeftOut {
            what: what.into(),
            count,
            reason: "Glovebox has no place for these yet".into(),
        }))?;
    }
    st.costs.report(sink)
}

fn fill_up(
    r: &Row<'_>,
    ctx: &ParseCtx,
    stations: &HashMap<String, String>,
) -> Result<ItemKind, RowError> {
    let c = r.cols;
    let date = r.date(c.find(&["data", "date"]))?;
    let fuel = fuel_col(c);
    let price = c.find_prefix(&["price"]);
    let quantity = r.number(fuel)?;
    let cost_minor = match r.opt_money(price, ctx.money_digits)? {
        Some(v) => v,
        None => {
            let per = r.opt_number(c.find(&["volumeprice"]))?.unwrap_or(0.0);
            (per * quantity * 10f64.powi(ctx.money_digits as i32)).round() as i64
        }
    };
    let economy = c.find_prefix(&[
        "l100km",
        "mpg",
        "kml",
        "kg100km",
        "kmkg",
        "kwh",
        "consumption",
    ]);
    Ok(ItemKind::Fuel {
        date,
        odometer: r.number(c.find_prefix(&["odo"]))?,
        quantity,
        cost_minor,
        full: r.flag(c.find(&["full"]), true)?,
        missed: r.flag(c.find(&["missed"]), false)?,
        station: match r.text(c.find_prefix(&["city"])) {
            "" => stations
                .get(r.text(c.find_prefix(&["stationid"])))
                .cloned()
                .unwrap_or_default(),
            city => city.to_owned(),
        },
        notes: r.text(c.find_prefix(&["notes"])).to_owned(),
        tags: Vec::new(),
        economy: r.opt_number(economy).ok().flatten().filter(|e| *e > 0.0),
        trip: None,
    })
}
