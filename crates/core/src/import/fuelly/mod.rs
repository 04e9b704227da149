//! Fuelly's exports, three layouts told apart by their headers:
//! - the web export of fill-ups (`fuelups.csv`): one row per fill-up, several vehicles
//!   (`car_name`), units in the header names (`miles`/`km`, `gallons`/`litres`,
//!   `mpg`/`l/100km`), names separated by `", "` (hargata/lubelog issue #2 has a real one:
//!   `car_name, model, l/100km,  odometer, km, litres, price, city_percentage,
//!   fuelup_date, date_added, tags, notes, missed_fuelup, partial_fuelup, latitude,
//!   longitude, brand`), dates ISO (`2024-01-03`) or month-first (`01/03/2024 8:15`). No
//!   total column: total = price per unit × quantity, rounded to minor units;
//! - the web export of services (`services.csv`, `services`);
//! - the app's export (`app`), one table of fill-ups and services.

use std::collections::HashMap;

use super::common::{Columns, Event, Item, ItemKind, ParseCtx, Row, Sink, VehicleDraft};
use super::format::{Format, Head};
use super::{FormatId, ImportError, LeftOut, RowError, Source};

mod app;
mod services;

use crate::units::{DistanceUnit, VolumeUnit};

pub struct Fuelly;

impl Format for Fuelly {
    const NAME: FormatId = FormatId::Fuelly;
    // Fuelly writes month-first (or ISO) dates: month-first when a file does not say.
    const DATE_ORDER: Option<super::DateOrder> = Some(super::DateOrder::Mdy);
    fn detect(head: &Head<'_>) -> u8 {
        if head.has(&["carname", "fuelupdate", "servicedate"]) || app::detect(&head.header) {
            90
        } else {
            0
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        parse(src, ctx, sink)
    }
}

/// One of Fuelly's layouts, as the parse loop sees it.
trait Sheet {
    fn cols(&self) -> &Columns;
    fn fields(&self) -> Event;
    /// The column naming the vehicle, when the layout has one (else the file is one
    /// vehicle, named after the file).
    fn car(&self) -> Option<usize>;
    fn draft(&self, name: String, row: &Row<'_>) -> VehicleDraft;
    /// `None`: a row that is not a record (a Fuelly note), counted as left out.
    fn item(&self, row: &Row<'_>, ctx: &ParseCtx) -> Result<Option<ItemKind>, RowError>;
    /// What the rows `item` passes over are, and why, for the preview.
    fn skipped(&self) -> (&'static str, &'static str) {
        ("rows", "not records")
    }
}

fn sheet(cols: Columns, line: u64) -> Result<Box<dyn Sheet>, ImportError> {
    let has = |names: &[&str]| cols.find(names).is_some();
    Ok(if has(&["servicedate"]) {
        Box::new(services::Services::new(cols, line)?)
    } else if app::is_app(&cols) {
        Box::new(app::App::new(cols, line)?)
    } else {
        Box::new(Layout::new(cols, line)?)
    })
}

fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let input = src.open()?;
    let mut layout: Option<Box<dyn Sheet>> = None;
    let mut vehicles: HashMap<String, usize> = HashMap::new();
    let mut skipped = 0u64;
    super::common::read_records(input, &ctx.read, sink, &mut |rec, line, sink| {
        let Some(l) = &layout else {
            let l = sheet(Columns::new(rec), line)?;
            sink(l.fields())?;
            layout = Some(l);
            return Ok(());
        };
        let row = Row::new(rec, l.cols(), line, ctx);
        if let Some(e) = row.truncated() {
            return sink(Event::Bad(e));
        }
        let name = match l.car() {
            Some(c) => {
                let name = row.text(Some(c)).to_owned();
                if name.is_empty() {
                    return sink(Event::Bad(row.err(Some(c), "the car name is empty")));
                }
                name
            }
            None => String::new(),
        };
        let next = vehicles.len();
        let vehicle = *vehicles.entry(name.clone()).or_insert_with(|| next);
        if vehicle == next {
            sink(Event::Vehicle(l.draft(name, &row)))?;
        }
        match l.item(&row, ctx) {
            Ok(Some(kind)) => sink(Event::Item(Item::at(line, vehicle, kind))),
            Ok(None) => {
                skipped += 1;
                Ok(())
            }
            Err(e) => sink(Event::Bad(e)),
        }
    })?;
    let Some(l) = layout else {
        return Err(ImportError::Empty);
    };
    if skipped > 0 {
        let (what, reason) = l.skipped();
        sink(Event::LeftOut(LeftOut {
            what: what.into(),
            count: skipped,
            reason: reason.into(),
        }))?;
    }
    Ok(())
}

struct Layout {
    cols: Columns,
    car: usize,
    model: Option<usize>,
    economy: Option<usize>,
    odometer: usize,
    trip: Option<usize>,
    quantity: usize,
    price: usize,
    date: usize,
    tags: Option<usize>,
    notes: Option<usize>,
    missed: Option<usize>,
    partial: Option<usize>,
    brand: Option<usize>,
    distance_unit: DistanceUnit,
    volume_unit: VolumeUnit,
}

impl Layout {
    fn new(cols: Columns, line: u64) -> Result<Layout, ImportError> {
        let quantity = cols.require(&["gallons", "litres", "liters"], line, "gallons or litres")?;
        let volume_unit = match cols.normed(quantity) {
            "gallons" => VolumeUnit::UsGallon,
            _ => VolumeUnit::Litre,
        };
        // The distance column (trip miles / km) only tells the unit; odometer is used.
        let trip = cols.find(&["miles", "km", "kilometers", "kilometres"]);
        let distance_unit = match trip {
            Some(i) if cols.normed(i) == "miles" => DistanceUnit::Mile,
            Some(_) => DistanceUnit::Kilometre,
            None if volume_unit == VolumeUnit::UsGallon => DistanceUnit::Mile,
            None => DistanceUnit::Kilometre,
        };
        Ok(Layout {
            car: cols.require(&["carname"], line, "car_name")?,
            model: cols.find(&["model"]),
            economy: cols.find(&["mpg", "l100km", "kml"]),
            odometer: cols.require(&["odometer"], line, "odometer")?,
            trip,
            quantity,
            price: cols.require(&["price", "priceperunit"], line, "price")?,
            date: cols.require(&["fuelupdate", "date"], line, "fuelup_date")?,
            tags: cols.find(&["tags"]),
            notes: cols.find(&["notes"]),
            missed: cols.find(&["missedfuelup"]),
            partial: cols.find(&["partialfuelup"]),
            brand: cols.find(&["brand"]),
            distance_unit,
            volume_unit,
            cols,
        })
    }

    fn fuel(&self, r: &Row<'_>, ctx: &ParseCtx) -> Result<ItemKind, RowError> {
        let date = r.date(Some(self.date))?;
        // Fuelly users who log trip distance instead of the odometer export an empty (or
        // zero) odometer: it is rebuilt from the trips once all rows are read.
        let trip = r.opt_number(self.trip)?.filter(|t| *t > 0.0);
        let odometer = match (r.opt_number(Some(self.odometer))?, trip) {
            (None | Some(0.0), Some(_)) => f64::NAN,
            (Some(o), _) => o,
            (None, None) => r.number(Some(self.odometer))?,
        };
        let quantity = r.number(Some(self.quantity))?;
        let price = match r.text(Some(self.price)) {
            "" => 0.0,
            _ => r.number(Some(self.price))?,
        };
        if price < 0.0 {
            return Err(r.err(Some(self.price), "must not be negative"));
        }
        let cost_minor = (price * quantity * 10f64.powi(ctx.money_digits as i32)).round() as i64;
        Ok(ItemKind::Fuel {
            date,
            odometer,
            quantity,
            cost_minor,
            full: !r.flag(self.partial, false)?,
            missed: r.flag(self.missed, false)?,
            station: r.text(self.brand).to_owned(),
            notes: r.text(self.notes).to_owned(),
            tags: r.tags(self.tags),
            economy: r.opt_number(self.economy)?.filter(|e| *e > 0.0),
            trip,
        })
    }
}

impl Sheet for Layout {
    fn cols(&self) -> &Columns {
        &self.cols
    }
    fn fields(&self) -> Event {
        self.cols.fields(&[
            ("occurred_at", Some(self.date)),
            ("odometer", Some(self.odometer)),
            ("quantity", Some(self.quantity)),
            ("total_cost", Some(self.price)),
            ("notes", self.notes),
            ("tags", self.tags),
            ("station", self.brand),
        ])
    }
    fn car(&self) -> Option<usize> {
        Some(self.car)
    }
    fn draft(&self, name: String, row: &Row<'_>) -> VehicleDraft {
        let mut d = VehicleDraft::named(name);
        d.model = row.text(self.model).to_owned();
        d.distance_unit = Some(self.distance_unit);
        d.volume_unit = Some(self.volume_unit);
        d
    }
    fn item(&self, row: &Row<'_>, ctx: &ParseCtx) -> Result<Option<ItemKind>, RowError> {
        self.fuel(row, ctx).map(Some)
    }
}
