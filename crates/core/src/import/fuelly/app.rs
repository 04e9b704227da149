//! The Fuelly app's export (its columns by position, as akhilrex/hammond
//! `server/service/importService.go` reads them): 0 Type (`Gas` or `Service`), 1 MPG,
//! 2 Date (`2021-05-31`), 3 Time (`15:04` or `3:04 PM`), 4 Vehicle, 5 Odometer,
//! 6 Filled Up (`Full`/`Partial`), 7 Cost/Gallon, 8 Gallons, 9 Total Cost (formatted,
//! `$45.67`), 10 Octane, 11 Gas Brand, 12 Location, 13 Tags, 14 Payment Type, 15 Tire
//! Pressure, 16 Notes, 17 Services. Columns are found by these names, by position when a
//! name is missing. Units: gallons or litres from the quantity column, miles or km from
//! the economy column (`MPG`, `L/100km`), else asked for.

use super::super::common::{Columns, DateParts, Event, ItemKind, ParseCtx, Row, VehicleDraft};
use super::super::{ImportError, RowError};
use super::Sheet;
use crate::service::ServiceKind;
use crate::units::{DistanceUnit, VolumeUnit};

const KIND: &[&str] = &["type", "entrytype"];
const VEHICLE: &[&str] = &["vehicle", "vehiclename", "car"];
const MARKS: &[&str] = &[
    "filledup",
    "totalcost",
    "costgallon",
    "costliter",
    "costlitre",
];

/// True when a (normalised) header is the app's.
pub(super) fn detect(header: &[String]) -> bool {
    let has = |names: &[&str]| header.iter().any(|h| names.contains(&h.as_str()));
    has(KIND) && has(VEHICLE) && has(MARKS)
}

pub(super) fn is_app(cols: &Columns) -> bool {
    cols.find(KIND).is_some() && cols.find(VEHICLE).is_some() && cols.find(MARKS).is_some()
}

pub(in super::super) struct App {
    cols: Columns,
    kind: Option<usize>,
    economy: Option<usize>,
    date: Option<usize>,
    time: Option<usize>,
    vehicle: Option<usize>,
    odometer: Option<usize>,
    filled: Option<usize>,
    per_unit: Option<usize>,
    quantity: Option<usize>,
    total: Option<usize>,
    brand: Option<usize>,
    location: Option<usize>,
    tags: Option<usize>,
    notes: Option<usize>,
    services: Option<usize>,
    distance: Option<DistanceUnit>,
    volume: Option<VolumeUnit>,
}

impl App {
    pub(super) fn new(cols: Columns, line: u64) -> Result<App, ImportError> {
        let n = cols.names.len();
        let find = |names: &[&str], at: usize| cols.find(names).or((at < n).then_some(at));
        let quantity = find(&["gallons", "liters", "litres", "quantity", "kwh"], 8);
        let economy = find(&["mpg", "l100km", "kml", "fueleconomy", "economy"], 1);
        let volume = match quantity.map(|q| cols.normed(q)) {
            Some("gallons") => Some(VolumeUnit::UsGallon),
            Some("liters" | "litres") => Some(VolumeUnit::Litre),
            Some("kwh") => Some(VolumeUnit::KilowattHour),
            _ => None,
        };
        let distance = match economy.map(|e| cols.normed(e)) {
            Some("mpg") => Some(DistanceUnit::Mile),
            Some("l100km" | "kml") => Some(DistanceUnit::Kilometre),
            _ => None,
        };
        let date = find(&["date"], 2);
        if date.is_none() {
            cols.require(&["date"], line, "Date")?;
        }
        Ok(App {
            kind: find(KIND, 0),
            economy,
            date,
            time: find(&["time"], 3),
            vehicle: find(VEHICLE, 4),
            odometer: find(&["odometer", "odo"], 5),
            filled: find(&["filledup", "full"], 6),
            per_unit: find(
                &[
                    "costgallon",
                    "costliter",
                    "costlitre",
                    "priceperunit",
                    "price",
                ],
                7,
            ),
            quantity,
            total: find(&["totalcost", "total", "cost"], 9),
            brand: find(&["gasbrand", "brand"], 11),
            location: find(&["location"], 12),
            tags: find(&["tags"], 13),
            notes: find(&["notes", "note"], 16),
            services: find(&["services", "service"], 17),
            distance,
            volume,
            cols,
        })
    }

    fn date(&self, r: &Row<'_>) -> Result<DateParts, RowError> {
        let (d, t) = (r.text(self.date), r.text(self.time));
        if t.is_empty() || d.contains(':') {
            return r.date(self.date);
        }
        let text = format!("{d} {t}");
        DateParts::parse(&text).ok_or_else(|| r.err(self.date, format!("{text:?} is not a date")))
    }
}

impl Sheet for App {
    fn cols(&self) -> &Columns {
        &self.cols
    }
    fn fields(&self) -> Event {
        self.cols.fields(&[
            ("occurred_at", self.date),
            ("odometer", self.odometer),
            ("quantity", self.quantity),
            ("total_cost", self.total),
            ("cost", self.total),
            ("title", self.services),
            ("notes", self.notes),
            ("tags", self.tags),
            ("station", self.brand),
        ])
    }
    fn car(&self) -> Option<usize> {
        self.vehicle
    }
    fn draft(&self, name: String, _row: &Row<'_>) -> VehicleDraft {
        let mut d = VehicleDraft::named(name);
        d.distance_unit = self.distance;
        d.volume_unit = self.volume;
        d
    }
    fn item(&self, r: &Row<'_>, ctx: &ParseCtx) -> Result<Option<ItemKind>, RowError> {
        let kind = r.text(self.kind).to_owned();
        let date = self.date(r)?;
        let total = r.opt_money(self.total, ctx.money_digits)?;
        let notes = r.text(self.notes).to_owned();
        let tags = r.tags(self.tags);
        if matches!(
            kind.to_lowercase().as_str(),
            "gas" | "fuel" | "fill-up" | "fillup" | "charge"
        ) {
            let quantity = r.number(self.quantity)?;
            let cost_minor = match total {
                Some(t) => t,
                None => {
                    let per = r.opt_number(self.per_unit)?.unwrap_or(0.0);
                    (per * quantity * 10f64.powi(ctx.money_digits as i32)).round() as i64
                }
            };
            let station = match r.text(self.brand) {
                "" => r.text(self.location),
                b => b,
            };
            return Ok(Some(ItemKind::Fuel {
                date,
                odometer: r.number(self.odometer)?,
                quantity,
                cost_minor,
                full: r.flag(self.filled, true)?,
                missed: false,
                station: station.to_owned(),
                notes,
                tags,
                economy: r
                    .opt_number(self.economy)
                    .ok()
                    .flatten()
                    .filter(|e| *e > 0.0),
                trip: None,
            }));
        }
        let services = r.text(self.services);
        let category = if kind.is_empty() {
            "Service".to_owned()
        } else {
            kind
        };
        Ok(Some(ItemKind::Service {
            kind: ServiceKind::Service,
            date,
            odometer: r.opt_number(self.odometer)?.filter(|o| *o > 0.0),
            title: if services.is_empty() {
                category.clone()
            } else {
                services.to_owned()
            },
            category,
            cost_minor: total.unwrap_or(0),
            notes,
            tags,
        }))
    }
}
