//! Fuelly's web export: one row per fill-up, several vehicles (car_name), units given by
//! the header (miles or km, gallons or litres, mpg or l/100km). There is no total column:
//! total = price per unit × quantity, rounded to minor units.

use std::collections::HashMap;

use super::common::{Columns, Event, Item, ItemKind, ParseCtx, Row, Sink, VehicleDraft};
use super::format::{Format, Head};
use super::{FormatId, ImportError, RowError, Source};
use crate::units::{DistanceUnit, VolumeUnit};

pub struct Fuelly;

impl Format for Fuelly {
    const NAME: FormatId = FormatId::Fuelly;
    // Fuelly's web export writes MM/DD/YYYY whatever the account's locale.
    const DATE_ORDER: Option<super::DateOrder> = Some(super::DateOrder::Mdy);
    fn detect(head: &Head<'_>) -> u8 {
        if head.has(&["carname", "fuelupdate"]) {
            90
        } else {
            0
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        parse(src, ctx, sink)
    }
}

fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let (input, delimiter) = (src.open()?, ctx.delimiter);
    let mut layout: Option<Layout> = None;
    let mut vehicles: HashMap<String, usize> = HashMap::new();
    super::common::read_records(input, delimiter, sink, &mut |rec, line, sink| {
        let Some(l) = &layout else {
            let l = Layout::new(Columns::new(rec), line)?;
            sink(l.cols.fields(&[
                ("occurred_at", Some(l.date)),
                ("odometer", Some(l.odometer)),
                ("quantity", Some(l.quantity)),
                ("total_cost", Some(l.price)),
                ("notes", l.notes),
                ("tags", l.tags),
                ("station", l.brand),
            ]))?;
            layout = Some(l);
            return Ok(());
        };
        let row = Row {
            rec,
            cols: &l.cols,
            line,
        };
        if let Some(e) = row.truncated() {
            return sink(Event::Bad(e));
        }
        let name = row.text(Some(l.car)).to_owned();
        if name.is_empty() {
            return sink(Event::Bad(row.err(Some(l.car), "the car name is empty")));
        }
        let next = vehicles.len();
        let vehicle = *vehicles.entry(name.clone()).or_insert_with(|| next);
        if vehicle == next {
            let mut d = VehicleDraft::named(name);
            d.model = row.text(l.model).to_owned();
            d.distance_unit = Some(l.distance_unit);
            d.volume_unit = Some(l.volume_unit);
            sink(Event::Vehicle(d))?;
        }
        match l.item(&row, ctx) {
            Ok(kind) => sink(Event::Item(Item::at(line, vehicle, kind))),
            Err(e) => sink(Event::Bad(e)),
        }
    })?;
    if layout.is_none() {
        return Err(ImportError::Empty);
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

    fn item(&self, r: &Row<'_>, ctx: &ParseCtx) -> Result<ItemKind, RowError> {
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
