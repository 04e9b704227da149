//! Fuelly's web export of services (`services.csv`): one row per service, expense or note,
//! with `service_date`, `odometer`, `price` (what it cost), `service_type` (`service`,
//! `expense`, `note`) and `sub_service_types` (`engine_oil,oil_filter`), names
//! separated by `", "` like the fill-up export. Services and expenses become service
//! records (title from the sub-types, category from the type); notes are not records and
//! are listed as left out. The file says no units: an existing vehicle of the same name
//! gives them, else they are asked for.

use super::super::common::{Columns, Event, ItemKind, ParseCtx, Row, VehicleDraft};
use super::super::{ImportError, RowError};
use super::Sheet;
use crate::service::ServiceKind;

pub(in super::super) struct Services {
    cols: Columns,
    car: Option<usize>,
    model: Option<usize>,
    date: usize,
    odometer: Option<usize>,
    cost: Option<usize>,
    kind: Option<usize>,
    sub: Option<usize>,
    notes: Option<usize>,
    tags: Option<usize>,
}

impl Services {
    pub(super) fn new(cols: Columns, line: u64) -> Result<Services, ImportError> {
        Ok(Services {
            car: cols.find(&["carname"]),
            model: cols.find(&["model"]),
            date: cols.require(&["servicedate"], line, "service_date")?,
            odometer: cols.find(&["odometer"]),
            cost: cols.find(&["price", "cost", "totalcost", "total"]),
            kind: cols.find(&["servicetype", "type"]),
            sub: cols.find(&["subservicetypes", "subservicetype", "services"]),
            notes: cols.find(&["notes", "note"]),
            tags: cols.find(&["tags"]),
            cols,
        })
    }
}

/// "engine_oil,oil_filter" -> "Engine oil, Oil filter".
fn title_of(sub: &str) -> String {
    sub.split(',')
        .map(|p| p.trim().replace('_', " "))
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(", ")
}

impl Sheet for Services {
    fn cols(&self) -> &Columns {
        &self.cols
    }
    fn fields(&self) -> Event {
        self.cols.fields(&[
            ("occurred_at", Some(self.date)),
            ("odometer", self.odometer),
            ("cost", self.cost),
            ("title", self.sub),
            ("notes", self.notes),
            ("tags", self.tags),
        ])
    }
    fn car(&self) -> Option<usize> {
        self.car
    }
    fn draft(&self, name: String, row: &Row<'_>) -> VehicleDraft {
        let mut d = VehicleDraft::named(name);
        d.model = row.text(self.model).to_owned();
        d
    }
    fn item(&self, r: &Row<'_>, ctx: &ParseCtx) -> Result<Option<ItemKind>, RowError> {
        let kind = r.text(self.kind).to_lowercase();
        if kind == "note" {
            return Ok(None);
        }
        let category = match kind.as_str() {
            "" | "service" => "Service".to_owned(),
            other => title_of(other),
        };
        let title = match title_of(r.text(self.sub)) {
            t if t.is_empty() => category.clone(),
            t => t,
        };
        Ok(Some(ItemKind::Service {
            kind: ServiceKind::Service,
            date: r.date(Some(self.date))?,
            odometer: r.opt_number(self.odometer)?.filter(|o| *o > 0.0),
            title,
            category,
            cost_minor: r.money(self.cost, ctx.money_digits)?,
            notes: r.text(self.notes).to_owned(),
            tags: r.tags(self.tags),
        }))
    }
    fn skipped(&self) -> (&'static str, &'static str) {
        (
            "notes (service_type note)",
            "a Fuelly note has no date-and-cost record in Glovebox",
        )
    }
}
