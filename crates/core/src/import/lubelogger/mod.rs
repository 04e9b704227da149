//! LubeLogger: its CSV exports (one file per record kind) and its backup zip (`backup`).
//!
//! CSV header generations (hargata/lubelog, `StaticHelper.Write*ExportModel` and the
//! `GasRecordExportModel` history): fuel files are `Date,Odometer,FuelConsumed,Cost,
//! FuelEconomy` (January 2024), then `+IsFillToFull,MissedFuelUp` (15 January 2024), then
//! `+Notes,Tags` (February 2024), then `extrafield_*` columns (August 2024). Service,
//! repair and upgrade files are `Date,Odometer,Description,Cost,Notes,Tags[,extrafield_*]`,
//! tax files the same without `Odometer`, odometer files `Date,InitialOdometer,Odometer,
//! Notes,Tags`. Values follow the server's culture: `ToShortDateString()` dates (d/M/y,
//! M/d/y, d.M.y, y/M/d), decimal commas, costs of non-fuel records as `ToString("C")`
//! (`$1,234.56`, `1.234,56 €` with no-break spaces). Header names are matched with the
//! aliases of LubeLogger's own importer (`ImportMappers.cs`: odo, gallons/liters/…,
//! total cost, partial_fuelup, missed_fill, separate day/month/year columns, price ×
//! quantity when the cost is empty), so files people prepared for LubeLogger import too.
//!
//! These files carry no units and no currency: the importer asks for them (`Need::Units`).
//! Glovebox's own CSV export is this format (its column lists live here, once), plus a
//! `Type` column and `extrafield_Station`/`extrafield_Category`, so it re-imports without
//! loss; other `extrafield_*` values are kept in the record's notes.

pub mod backup;
mod bson;
mod litedb;

use super::api::FormatId;
use super::common::{Columns, Event, Item, ItemKind, ParseCtx, Row, Sink, VehicleDraft};
use super::dates::DateParts;
use super::format::{Format, Head};
use super::{ImportError, RowError, Source};
use crate::service::ServiceKind;

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
const PARTIAL: &[&str] = &["partialfuelup", "partialtank", "partialfill", "partial"];
const MISSED: &[&str] = &["missedfuelup", "missedfillup", "missedfill", "missed"];
const NOTES: &[&str] = &["notes", "note"];
const TAGS: &[&str] = &["tags", "tag"];
const ECONOMY: &[&str] = &["fueleconomy", "mpg", "economy"];
pub const DESCRIPTION: &[&str] = &["description", "title", "service"];
const TYPE: &[&str] = &["type", "kind"];
const STATION: &[&str] = &["extrafieldstation", "station"];
const CATEGORY: &[&str] = &["extrafieldcategory", "category"];
const DAY: &[&str] = &["day"];
const MONTH: &[&str] = &["month"];
const YEAR: &[&str] = &["year"];

/// Columns of LubeLogger's fuel export (its newest generation), which Glovebox's export
/// writes, plus the station as an extra field.
pub const FUEL_COLUMNS: [&str; 10] = [
    "Date",
    "Odometer",
    "FuelConsumed",
    "Cost",
    "FuelEconomy",
    "IsFillToFull",
    "MissedFuelUp",
    "Notes",
    "Tags",
    "extrafield_Station",
];
/// LubeLogger's service/repair/upgrade columns, plus the kind and the category.
pub const SERVICE_COLUMNS: [&str; 8] = [
    "Date",
    "Odometer",
    "Description",
    "Cost",
    "Notes",
    "Tags",
    "Type",
    "extrafield_Category",
];
/// LubeLogger's odometer columns.
pub const ODOMETER_COLUMNS: [&str; 3] = ["Date", "Odometer", "Notes"];

/// Which LubeLogger record kind a CSV holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fuel,
    Service(ServiceKind),
    Tax,
    Odometer,
}

macro_rules! csv_format {
    ($(#[$m:meta])* $name:ident, $id:expr, $kind:expr) => {
        $(#[$m])*
        pub struct $name;
        impl Format for $name {
            const NAME: FormatId = $id;
            fn detect(head: &Head<'_>) -> u8 {
                detect($kind, head)
            }
            fn parse(
                src: &dyn Source,
                ctx: &ParseCtx,
                sink: &mut Sink<'_>,
            ) -> Result<(), ImportError> {
                parse(src, $kind, ctx, sink)
            }
        }
    };
}

csv_format!(
    /// Fuel ("gas") records.
    Fuel,
    FormatId::LubeloggerFuel,
    Kind::Fuel
);
csv_format!(
    /// Service records.
    Service,
    FormatId::LubeloggerService,
    Kind::Service(ServiceKind::Service)
);
csv_format!(
    /// Repair records (LubeLogger calls them collisions).
    Repair,
    FormatId::LubeloggerRepair,
    Kind::Service(ServiceKind::Repair)
);
csv_format!(
    /// Upgrade records.
    Upgrade,
    FormatId::LubeloggerUpgrade,
    Kind::Service(ServiceKind::Upgrade)
);
csv_format!(
    /// Tax records: service records of category "Tax" until cost kinds arrive.
    Tax,
    FormatId::LubeloggerTax,
    Kind::Tax
);
csv_format!(
    /// Odometer records.
    Odometer,
    FormatId::LubeloggerOdometer,
    Kind::Odometer
);

fn detect(kind: Kind, h: &Head<'_>) -> u8 {
    let dated = h.has(DATE) || (h.has(DAY) && h.has(MONTH) && h.has(YEAR));
    // Fuelly's own headers (car_name) make it Fuelly's, not a LubeLogger file.
    if !dated || h.has(&["carname"]) {
        return 0;
    }
    let (quantity, description, odometer) = (h.has(QUANTITY), h.has(DESCRIPTION), h.has(ODOMETER));
    match kind {
        Kind::Fuel if quantity => 80,
        Kind::Service(ServiceKind::Service) if description && odometer && !quantity => 60,
        // Same layout as service: only the user can tell.
        Kind::Service(_) if description && !quantity => 40,
        Kind::Tax if description && !odometer && !quantity => 65,
        Kind::Odometer if odometer && !description && !quantity => 70,
        _ => 0,
    }
}

fn parse(
    src: &dyn Source,
    kind: Kind,
    ctx: &ParseCtx,
    sink: &mut Sink<'_>,
) -> Result<(), ImportError> {
    let mut layout: Option<Layout> = None;
    super::common::read_records(src.open()?, ctx.delimiter, sink, &mut |rec, line, sink| {
        let Some(l) = &layout else {
            let cols = Columns::new(rec);
            let l = Layout::new(cols, kind, line)?;
            sink(Event::Vehicle(VehicleDraft::named("")))?;
            sink(l.cols.fields(&[
                ("occurred_at", l.date),
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
            Ok(kind) => sink(Event::Item(Item::at(line, 0, kind))),
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
    kind: Kind,
    date: Option<usize>,
    /// Separate day, month and year columns (one of LubeLogger's import aliases).
    dmy: Option<(usize, usize, usize)>,
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
    type_col: Option<usize>,
    station: Option<usize>,
    category: Option<usize>,
    /// `extrafield_*` columns other than the ones Glovebox reads back: (index, name).
    extra: Vec<(usize, String)>,
}

impl Layout {
    fn new(cols: Columns, kind: Kind, line: u64) -> Result<Layout, ImportError> {
        let date = cols.find(DATE);
        let dmy = match (cols.find(DAY), cols.find(MONTH), cols.find(YEAR)) {
            (Some(d), Some(m), Some(y)) if date.is_none() => Some((d, m, y)),
            _ => None,
        };
        if date.is_none() && dmy.is_none() {
            cols.require(DATE, line, "Date")?;
        }
        let odometer = match kind {
            Kind::Fuel | Kind::Odometer => Some(cols.require(ODOMETER, line, "Odometer")?),
            _ => cols.find(ODOMETER),
        };
        let quantity = match kind {
            Kind::Fuel => Some(cols.require(QUANTITY, line, "FuelConsumed")?),
            _ => None,
        };
        let description = match kind {
            Kind::Service(_) | Kind::Tax => Some(cols.require(DESCRIPTION, line, "Description")?),
            _ => None,
        };
        let station = cols.find(STATION);
        let category = cols.find(CATEGORY);
        let extra = (0..cols.names.len())
            .filter(|&i| Some(i) != station && Some(i) != category)
            .filter_map(|i| {
                let name = cols.name(i);
                let lower = name.to_ascii_lowercase();
                lower
                    .strip_prefix("extrafield_")
                    .map(|_| (i, name["extrafield_".len()..].to_owned()))
            })
            .collect();
        Ok(Layout {
            kind,
            date,
            dmy,
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
            type_col: cols.find(TYPE),
            station,
            category,
            extra,
            cols,
        })
    }

    fn date(&self, r: &Row<'_>) -> Result<DateParts, RowError> {
        if let Some((d, m, y)) = self.dmy {
            let num = |c: usize| -> Result<u32, RowError> {
                r.text(Some(c))
                    .parse()
                    .map_err(|_| r.err(Some(c), format!("{:?} is not a number", r.text(Some(c)))))
            };
            let (d, m, y) = (num(d)?, num(m)?, num(y)?);
            return DateParts::parse(&format!("{y:04}-{m:02}-{d:02}"))
                .ok_or_else(|| r.err(None, format!("{y}-{m}-{d} is not a date")));
        }
        r.date(self.date)
    }

    /// Notes with every extra field appended ("Name: value"), and Glovebox's own export's
    /// formula escaping undone.
    fn notes(&self, r: &Row<'_>) -> String {
        let mut notes = unescape(r.text(self.notes)).to_owned();
        for (i, name) in &self.extra {
            let v = r.text(Some(*i));
            if !v.is_empty() {
                if !notes.is_empty() {
                    notes.push('\n');
                }
                notes.push_str(&format!("{name}: {}", unescape(v)));
            }
        }
        notes
    }

    fn item(&self, r: &Row<'_>, ctx: &ParseCtx) -> Result<ItemKind, RowError> {
        let date = self.date(r)?;
        let notes = self.notes(r);
        let tags = r.tags(self.tags);
        match self.kind {
            Kind::Fuel => {
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
                    station: unescape(r.text(self.station)).to_owned(),
                    notes,
                    tags,
                    economy,
                    trip: None,
                })
            }
            Kind::Odometer => Ok(ItemKind::Odometer {
                date,
                odometer: r.number(self.odometer)?,
                notes,
            }),
            Kind::Service(_) | Kind::Tax => {
                // Glovebox's export names the kind; other files may use a Type column
                // for something else, so anything unrecognised keeps the chosen kind.
                let t = r.text(self.type_col).to_ascii_lowercase();
                let default = match self.kind {
                    Kind::Service(k) => k,
                    _ => ServiceKind::Service,
                };
                let kind = if t.contains("repair") {
                    ServiceKind::Repair
                } else if t.contains("upgrade") {
                    ServiceKind::Upgrade
                } else if t.contains("service") {
                    ServiceKind::Service
                } else {
                    default
                };
                let category = match (self.kind, unescape(r.text(self.category))) {
                    (Kind::Tax, "") => "Tax".to_owned(),
                    (_, c) => c.to_owned(),
                };
                Ok(ItemKind::Service {
                    kind,
                    date,
                    odometer: r.opt_number(self.odometer)?.filter(|o| *o > 0.0),
                    title: unescape(r.text(self.description)).to_owned(),
                    category,
                    cost_minor: r.money(self.cost, ctx.money_digits)?,
                    notes,
                    tags,
                })
            }
        }
    }
}

/// Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as Glovebox exports it: a leading formula character is escaped with an
/// apostrophe, so the cell stays text in a spreadsheet. Numbers are never escaped (they
/// are written by the exporter, not typed by the user).
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_START) || text.starts_with('\'') && unescape(text) != text {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Undoes [`escape`]: an apostrophe followed by a formula character is dropped. (A cell
/// that really starts with an apostrophe and a formula character was escaped again on
/// export, so it round-trips too.)
pub fn unescape(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_escaping_round_trips() {
        for t in [
            "=1+2",
            "+33 6 12",
            "-5 off",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'=already",
            "''",
            "plain",
            "it's fine",
            "",
        ] {
            let e = escape(t);
            assert!(!e.starts_with(FORMULA_START), "{t:?} -> {e:?}");
            assert_eq!(unescape(&e), t, "{t:?}");
        }
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("=1"), "'=1");
    }
}
