//! Fuelio's backup CSV: one vehicle, in sections "## Vehicle", "## Log" (fill-ups),
//! "## CostCategories" and "## Costs" (others, such as trips, are skipped). `Price` in the
//! log is the total paid. Costs that repeat (RepeatOdo / RepeatMonths) also become
//! recurring reminders. Rows may be in any date order.

use std::collections::HashMap;

use super::common::{Columns, DateParts, Event, Item, ItemKind, ParseCtx, Row, Sink, VehicleDraft};
use super::format::{Format, Head};
use super::{FormatId, ImportError, RowError, Source};
use crate::service::ServiceKind;
use crate::units::{DistanceUnit, VolumeUnit};

pub struct Fuelio;

impl Format for Fuelio {
    const NAME: FormatId = FormatId::Fuelio;
    const DATE_ORDER: Option<super::DateOrder> = Some(super::DateOrder::Ymd);
    fn detect(head: &Head<'_>) -> u8 {
        if head.text.contains("## vehicle") || head.text.contains("## log") {
            95
        } else {
            0
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        parse(src, ctx, sink)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Vehicle,
    Log,
    Categories,
    Costs,
    Other,
}

fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let (input, delimiter) = (src.open()?, ctx.delimiter);
    let mut section = Section::None;
    let mut cols: Option<Columns> = None;
    let mut have_vehicle = false;
    let mut categories: HashMap<String, String> = HashMap::new();
    let mut seen_costs = false;
    super::common::read_records(input, delimiter, sink, &mut |rec, line, sink| {
        let first = rec
            .get(0)
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if let Some(name) = first.strip_prefix("##") {
            section = match name.trim().to_ascii_lowercase().as_str() {
                "vehicle" => Section::Vehicle,
                "log" => Section::Log,
                "costcategories" => Section::Categories,
                "costs" => Section::Costs,
                _ => Section::Other,
            };
            let needs_vehicle = matches!(section, Section::Log | Section::Costs);
            if needs_vehicle && !have_vehicle {
                return Err(ImportError::Structure {
                    line,
                    reason: format!("section {first} comes before ## Vehicle"),
                });
            }
            if section == Section::Categories && seen_costs {
                return Err(ImportError::Structure {
                    line,
                    reason: "## CostCategories comes after ## Costs".into(),
                });
            }
            seen_costs |= section == Section::Costs;
            cols = None;
            return Ok(());
        }
        if section == Section::None {
            return Err(ImportError::Structure {
                line,
                reason: "expected a section such as \"## Vehicle\"".into(),
            });
        }
        if section == Section::Other {
            return Ok(());
        }
        let Some(c) = &cols else {
            let c = Columns::new(rec);
            match section {
                Section::Log => sink(c.fields(&[
                    ("occurred_at", c.find(&["data", "date"])),
                    ("odometer", c.find_prefix(&["odo"])),
                    ("quantity", c.find_prefix(&["fuel"])),
                    ("total_cost", c.find_prefix(&["price"])),
                    ("notes", c.find_prefix(&["notes"])),
                    ("station", c.find_prefix(&["city"])),
                ]))?,
                Section::Costs => sink(c.fields(&[
                    ("occurred_at", c.find(&["date"])),
                    ("odometer", c.find(&["odo"])),
                    ("cost", c.find(&["cost"])),
                    ("title", c.find(&["costtitle", "title"])),
                    ("due_at", c.find(&["reminddate"])),
                    ("due_odometer", c.find(&["remindodo"])),
                    ("recur_months", c.find(&["repeatmonths"])),
                    ("recur_distance", c.find(&["repeatodo"])),
                ]))?,
                _ => {}
            }
            cols = Some(c);
            return Ok(());
        };
        let row = Row { rec, cols: c, line };
        if matches!(section, Section::Log | Section::Costs) {
            if let Some(e) = row.truncated() {
                return sink(Event::Bad(e));
            }
        }
        match section {
            Section::Vehicle => {
                if have_vehicle {
                    return Err(ImportError::Structure {
                        line,
                        reason: "a Fuelio backup holds one vehicle; found a second".into(),
                    });
                }
                have_vehicle = true;
                sink(Event::Vehicle(vehicle(&row)?))
            }
            Section::Log => match fill_up(&row, ctx) {
                Ok(kind) => sink(Event::Item(Item::at(line, 0, kind))),
                Err(e) => sink(Event::Bad(e)),
            },
            Section::Categories => {
                let id = row.text(c.find(&["costtypeid", "id"])).to_owned();
                let name = row.text(c.find(&["name"])).to_owned();
                categories.insert(id, name);
                Ok(())
            }
            Section::Costs => match cost(&row, ctx, &categories) {
                Ok(items) => {
                    for kind in items {
                        sink(Event::Item(Item::at(line, 0, kind)))?;
                    }
                    Ok(())
                }
                Err(e) => sink(Event::Bad(e)),
            },
            Section::None | Section::Other => Ok(()),
        }
    })?;
    if !have_vehicle {
        return Err(ImportError::Structure {
            line: 1,
            reason: "no \"## Vehicle\" section: not a Fuelio backup".into(),
        });
    }
    Ok(())
}

fn vehicle(r: &Row<'_>) -> Result<VehicleDraft, ImportError> {
    let c = r.cols;
    let name = r.text(c.find(&["name"]));
    let mut d = VehicleDraft::named(if name.is_empty() {
        "Fuelio vehicle"
    } else {
        name
    });
    d.make = r.text(c.find(&["make"])).to_owned();
    d.model = r.text(c.find(&["model"])).to_owned();
    d.year = r.text(c.find(&["year"])).parse().ok().filter(|y| *y > 0);
    d.plate = r.text(c.find(&["plate"])).to_owned();
    d.vin = r.text(c.find(&["vin"])).to_owned();
    let unit = |aliases: &[&str]| r.text(c.find(aliases)).parse::<u8>().ok();
    d.distance_unit = match unit(&["distunit"]) {
        Some(1) => Some(DistanceUnit::Mile),
        Some(0) | None => Some(DistanceUnit::Kilometre),
        Some(n) => {
            return Err(ImportError::Structure {
                line: r.line,
                reason: format!("unknown DistUnit {n}"),
            })
        }
    };
    d.volume_unit = match unit(&["fuelunit"]) {
        Some(1) => Some(VolumeUnit::UsGallon),
        Some(2) => Some(VolumeUnit::ImpGallon),
        Some(0) | None => Some(VolumeUnit::Litre),
        Some(n) => {
            return Err(ImportError::Structure {
                line: r.line,
                reason: format!("unknown FuelUnit {n}"),
            })
        }
    };
    Ok(d)
}

fn fill_up(r: &Row<'_>, ctx: &ParseCtx) -> Result<ItemKind, RowError> {
    let c = r.cols;
    let date = r.date(c.find(&["data", "date"]))?;
    let odo = c.find_prefix(&["odo"]);
    let fuel = c
        .find_prefix(&["fuel"])
        .filter(|&i| c.normed(i) != "fueltype");
    let price = c.find_prefix(&["price"]);
    let economy = c.find_prefix(&["l100km", "mpg", "kml", "consumption"]);
    Ok(ItemKind::Fuel {
        date,
        odometer: r.number(odo)?,
        quantity: r.number(fuel)?,
        cost_minor: r.money(price, ctx.money_digits)?,
        full: r.flag(c.find(&["full"]), true)?,
        missed: r.flag(c.find(&["missed"]), false)?,
        station: r.text(c.find_prefix(&["city"])).to_owned(),
        notes: r.text(c.find_prefix(&["notes"])).to_owned(),
        tags: Vec::new(),
        economy: r.opt_number(economy)?.filter(|e| *e > 0.0),
        trip: None,
    })
}

/// A cost becomes a service record; a repeating one also a recurring reminder. Templates
/// (isTemplate) are reminders only; income rows are not costs and are skipped.
fn cost(
    r: &Row<'_>,
    ctx: &ParseCtx,
    categories: &HashMap<String, String>,
) -> Result<Vec<ItemKind>, RowError> {
    let c = r.cols;
    if r.flag(c.find(&["isincome"]), false)? {
        return Ok(Vec::new());
    }
    let title = r.text(c.find(&["costtitle", "title"])).to_owned();
    let date_col = c.find(&["date"]);
    let date = r.date(date_col)?;
    let odometer = r.opt_number(c.find(&["odo"]))?.filter(|o| *o > 0.0);
    let category = categories
        .get(r.text(c.find(&["costtypeid"])))
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    if !r.flag(c.find(&["istemplate"]), false)? {
        out.push(ItemKind::Service {
            kind: ServiceKind::Service,
            date,
            odometer,
            title: title.clone(),
            category,
            cost_minor: r.money(c.find(&["cost"]), ctx.money_digits)?,
            notes: r.text(c.find(&["notes"])).to_owned(),
            tags: Vec::new(),
        });
    }
    let months = r
        .opt_number(c.find(&["repeatmonths"]))?
        .filter(|m| *m > 0.0)
        .map(|m| m.round() as u32);
    let every = r.opt_number(c.find(&["repeatodo"]))?.filter(|d| *d > 0.0);
    if months.is_some() || every.is_some() {
        let remind_date = match r.text(c.find(&["reminddate"])) {
            "" => None,
            t => DateParts::parse(t),
        };
        let due_plus_months = if remind_date.is_none() {
            months.unwrap_or(0)
        } else {
            0
        };
        let due = remind_date.or_else(|| months.map(|_| date));
        let due_odometer = r
            .opt_number(c.find(&["remindodo"]))?
            .filter(|o| *o > 0.0)
            .or_else(|| every.map(|e| odometer.unwrap_or(0.0) + e));
        out.push(ItemKind::Reminder {
            title,
            notes: "repeats in Fuelio".into(),
            due,
            due_plus_months,
            due_odometer,
            recur_months: months,
            recur_distance: every,
            schedule: Default::default(),
            thresholds: Default::default(),
        });
    }
    Ok(out)
}
