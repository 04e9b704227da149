//! LubeLogger CSV exports: one file per record kind (fuel; service, repair and upgrade
//! share one layout; odometer). Header names follow the aliases LubeLogger's own importer
//! accepts, so files people prepared for LubeLogger import here too. Glovebox's own CSV
//! export is this format (plus `Type` and `extrafield_*` columns LubeLogger ignores or
//! keeps as extra fields), so it re-imports losslessly.

use super::common::{Columns, Event, Item, ItemKind, ParseCtx, Row, Sink, VehicleDraft};
use super::{Format, ImportError};
use crate::service::ServiceKind;
use crate::units::{DistanceUnit, VolumeUnit};

// Normalised header aliases (see `common::norm`).
pub const DATE: &[&str] = &["date", "fuelupdate"];
pub const ODOMETER: &[&str] = &["odometer", "odo", "mileage"];
pub const QUANTITY: &[&str] = &[
    "fuelconsumed",
    "gallons",
    "liters",
    "litres",
    "consumption",
    "quantity",
    "qty",
    "volume",
];
const COST: &[&str] = &["cost", "totalcost", "totalprice", "total"];
const PRICE: &[&str] = &["price", "priceperunit", "unitprice"];
const FULL: &[&str] = &["isfilltofull", "filledup", "fulltank", "full"];
const PARTIAL: &[&str] = &["partialfuelup", "partialtank", "partial"];
const MISSED: &[&str] = &["missedfuelup", "missedfillup", "missed"];
const NOTES: &[&str] = &["notes", "note"];
const TAGS: &[&str] = &["tags", "tag"];
const ECONOMY: &[&str] = &["fueleconomy", "mpg", "economy"];
pub const DESCRIPTION: &[&str] = &["description", "title", "service"];
const TYPE: &[&str] = &["type", "kind"];
const STATION: &[&str] = &["extrafieldstation", "station"];
const CATEGORY: &[&str] = &["extrafieldcategory", "category"];

pub fn parse(
    input: Box<dyn std::io::BufRead + Send + '_>,
    delimiter: u8,
    format: Format,
    ctx: &ParseCtx,
    sink: &mut Sink<'_>,
) -> Result<(), ImportError> {
    let mut layout: Option<Layout> = None;
    super::common::read_records(input, delimiter, sink, &mut |rec, line, sink| {
        let Some(l) = &layout else {
            let cols = Columns::new(rec);
            let l = Layout::new(cols, format, line)?;
            sink(Event::Vehicle(l.draft()))?;
            sink(l.cols.fields(&[
                ("occurred_at", Some(l.date)),
                ("odometer", l.odometer),
                ("quantity", l.quantity),
                ("total_cost", l.cost.or(l.price)),
                ("cost", l.cost),
                ("title", l.description),
                ("category", l.category),
                ("notes", l.notes),
                ("tags", l.tags),
                ("station", l.station),
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
        match l.item(&row, ctx) {
            Ok(kind) => sink(Event::Item(Item {
                line,
                vehicle: 0,
                kind,
            })),
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
    format: Format,
    date: usize,
    odometer: Option<usize>,
    quantity: Option<usize>,
    cost: Option<usize>,
    price: Option<usize>,
    full: Option<usize>,
    partial: Option<usize>,
    missed: Option<usize>,
    notes: Option<usize>,
    tags: Option<usize>,
    economy: Option<usize>,
    description: Option<usize>,
    kind: Option<usize>,
    station: Option<usize>,
    category: Option<usize>,
}

impl Layout {
    fn new(cols: Columns, format: Format, line: u64) -> Result<Layout, ImportError> {
        let date = cols.require(DATE, line, "Date")?;
        let odometer = match format {
            Format::LubeloggerFuel | Format::LubeloggerOdometer => {
                Some(cols.require(ODOMETER, line, "Odometer")?)
            }
            _ => cols.find(ODOMETER),
        };
        let quantity = match format {
            Format::LubeloggerFuel => Some(cols.require(QUANTITY, line, "FuelConsumed")?),
            _ => None,
        };
        let description = match format {
            Format::LubeloggerService | Format::LubeloggerRepair | Format::LubeloggerUpgrade => {
                Some(cols.require(DESCRIPTION, line, "Description")?)
            }
            _ => None,
        };
        Ok(Layout {
            date,
            odometer,
            quantity,
            cost: cols.find(COST),
            price: cols.find(PRICE),
            full: cols.find(FULL),
            partial: cols.find(PARTIAL),
            missed: cols.find(MISSED),
            notes: cols.find(NOTES),
            tags: cols.find(TAGS),
            economy: cols.find(ECONOMY),
            description,
            kind: cols.find(TYPE),
            station: cols.find(STATION),
            category: cols.find(CATEGORY),
            format,
            cols,
        })
    }

    /// LubeLogger files name no vehicle; a "gallons"/"liters" header hints at the units.
    fn draft(&self) -> VehicleDraft {
        let mut d = VehicleDraft::named("");
        if let Some(q) = self.quantity {
            match self.cols.normed(q) {
                "gallons" => {
                    d.volume_unit = Some(VolumeUnit::UsGallon);
                    d.distance_unit = Some(DistanceUnit::Mile);
                }
                "liters" | "litres" => d.volume_unit = Some(VolumeUnit::Litre),
                _ => {}
            }
        }
        d
    }

    fn item(&self, r: &Row<'_>, ctx: &ParseCtx) -> Result<ItemKind, super::RowError> {
        let date = r.date(Some(self.date))?;
        let notes = r.text(self.notes).to_owned();
        let tags = r.tags(self.tags);
        match self.format {
            Format::LubeloggerFuel => {
                let odometer = r.number(self.odometer)?;
                let quantity = r.number(self.quantity)?;
                let cost_minor = match (self.cost, self.price) {
                    (Some(c), _) if !r.text(Some(c)).is_empty() => {
                        r.money(Some(c), ctx.money_digits)?
                    }
                    (_, Some(p)) if !r.text(Some(p)).is_empty() => {
                        let price = r.number(Some(p))?;
                        (price * quantity * 10f64.powi(ctx.money_digits as i32)).round() as i64
                    }
                    _ => 0,
                };
                // IsFillToFull wins; else partial_fuelup is its inverse; else full.
                let full = match (self.full, self.partial) {
                    (Some(c), _) if !r.text(Some(c)).is_empty() => r.flag(Some(c), true)?,
                    (_, Some(c)) => !r.flag(Some(c), false)?,
                    _ => true,
                };
                let economy = r.opt_number(self.economy)?.filter(|e| *e > 0.0);
                Ok(ItemKind::Fuel {
                    date,
                    odometer,
                    quantity,
                    cost_minor,
                    full,
                    missed: r.flag(self.missed, false)?,
                    station: r.text(self.station).to_owned(),
                    notes,
                    tags,
                    economy,
                    trip: None,
                })
            }
            Format::LubeloggerOdometer => Ok(ItemKind::Odometer {
                date,
                odometer: r.number(self.odometer)?,
                notes,
            }),
            _ => {
                // Glovebox's export names the kind; other files may use a Type column
                // for something else, so anything unrecognised keeps the chosen kind.
                let t = r.text(self.kind).to_ascii_lowercase();
                let kind = if t.contains("repair") {
                    ServiceKind::Repair
                } else if t.contains("upgrade") {
                    ServiceKind::Upgrade
                } else if t.contains("service") {
                    ServiceKind::Service
                } else {
                    ctx.service_kind
                };
                Ok(ItemKind::Service {
                    kind,
                    date,
                    odometer: r.opt_number(self.odometer)?,
                    title: r.text(self.description).to_owned(),
                    category: r.text(self.category).to_owned(),
                    cost_minor: r.money(self.cost, ctx.money_digits)?,
                    notes,
                    tags,
                })
            }
        }
    }
}
