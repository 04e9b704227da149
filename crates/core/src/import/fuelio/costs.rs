//! Fuelio's `## Costs`: each cost becomes a service record (category from
//! `## CostCategories`); reminders come from the same rows:
//! - `RemindDate` `2011-01-01` is Fuelio's "no reminder" date, `RemindOdo` 0 "no odometer";
//! - a cost dated after today is a plan Fuelio made for a repeating cost (zero cost, the
//!   next due date and odometer): a reminder, not a record;
//! - `isTemplate` rows are reminders only; `isIncome` rows are not costs and are left out;
//! - a past cost with a reminder not yet `read` keeps it; a repeating cost without a
//!   reminder date is due one period after it;
//! - one reminder per title: a plan wins over the past costs it was made from (so a
//!   repeating cost and its plan do not become two reminders), then the latest cost.
//!
//! The section is small (one row per bill), so it is read whole and then emitted in file
//! order.

use std::collections::HashMap;

use super::super::common::{Columns, DateParts, Event, Item, ItemKind, ParseCtx, Row, Sink};
use super::super::{DateOrder, ImportError, LeftOut, RowError};
use crate::service::ServiceKind;

/// Fuelio writes this date when a cost has no reminder date.
const NO_REMINDER_DATE: &str = "2011-01-01";

#[derive(Default)]
pub(super) struct Costs {
    categories: HashMap<String, String>,
    rows: Vec<(csv::StringRecord, Columns, u64)>,
    income: u64,
    dismissed: u64,
}

pub(super) fn fields(c: &Columns) -> Event {
    c.fields(&[
        ("occurred_at", c.find(&["date"])),
        ("odometer", c.find(&["odo"])),
        ("cost", c.find(&["cost"])),
        ("title", c.find(&["costtitle", "title"])),
        ("due_at", c.find(&["reminddate"])),
        ("due_odometer", c.find(&["remindodo"])),
        ("recur_months", c.find(&["repeatmonths"])),
        ("recur_distance", c.find(&["repeatodo"])),
    ])
}

/// A cost row as read.
struct Cost {
    line: u64,
    title: String,
    date: DateParts,
    odometer: Option<f64>,
    category: String,
    cost_minor: i64,
    notes: String,
    read: bool,
    remind_date: Option<DateParts>,
    remind_odo: Option<f64>,
    template: bool,
    every: Option<f64>,
    months: Option<u32>,
    upcoming: bool,
}

impl Cost {
    fn has_target(&self) -> bool {
        self.remind_date.is_some() || self.remind_odo.is_some()
    }
    fn repeats(&self) -> bool {
        self.every.is_some() || self.months.is_some()
    }
    /// How strongly this row stands for its title's reminder (0: it does not).
    fn reminder_rank(&self) -> u8 {
        if self.upcoming || (self.template && (self.has_target() || self.repeats())) {
            3
        } else if self.has_target() && !self.read {
            2
        } else if self.repeats() && !self.has_target() {
            1
        } else {
            0
        }
    }
}

impl Costs {
    pub(super) fn category(&mut self, r: &Row<'_>) {
        let c = r.cols;
        let id = r.text(c.find(&["costtypeid", "id"])).to_owned();
        // Fuelio keeps a BOM in some category names.
        let name = r
            .text(c.find(&["name"]))
            .trim_start_matches('\u{feff}')
            .trim()
            .to_owned();
        self.categories.insert(id, name);
    }

    pub(super) fn push(&mut self, rec: csv::StringRecord, cols: Columns, line: u64) {
        self.rows.push((rec, cols, line));
    }

    /// Emits the section's records and reminders, in file order.
    pub(super) fn finish(
        &mut self,
        ctx: &ParseCtx,
        sink: &mut Sink<'_>,
    ) -> Result<(), ImportError> {
        let rows = std::mem::take(&mut self.rows);
        let mut costs: Vec<Result<Cost, RowError>> = Vec::with_capacity(rows.len());
        for (rec, cols, line) in &rows {
            let row = Row::new(rec, cols, *line, ctx);
            match self.read(&row, ctx) {
                Ok(Some(c)) => costs.push(Ok(c)),
                Ok(None) => {}
                Err(e) => costs.push(Err(e)),
            }
        }
        // The row that stands for each title's reminder.
        let mut chosen: HashMap<String, (u8, Option<chrono::NaiveDateTime>, u64)> = HashMap::new();
        for c in costs.iter().flatten() {
            let rank = c.reminder_rank();
            if rank == 0 {
                if c.has_target() && c.read && !c.repeats() {
                    self.dismissed += 1;
                }
                continue;
            }
            let key = c.title.trim().to_lowercase();
            let when = resolve(&c.date);
            let better = chosen
                .get(&key)
                .is_none_or(|&(r, w, _)| (rank, when) > (r, w));
            if better {
                chosen.insert(key, (rank, when, c.line));
            }
        }
        for c in costs {
            let c = match c {
                Ok(c) => c,
                Err(e) => {
                    sink(Event::Bad(e))?;
                    continue;
                }
            };
            if !c.template && !c.upcoming {
                sink(Event::Item(Item::at(
                    c.line,
                    0,
                    ItemKind::Service {
                        kind: ServiceKind::Service,
                        date: c.date,
                        odometer: c.odometer,
                        title: if c.title.is_empty() {
                            if c.category.is_empty() {
                                "Cost".into()
                            } else {
                                c.category.clone()
                            }
                        } else {
                            c.title.clone()
                        },
                        category: c.category.clone(),
                        cost_minor: c.cost_minor,
                        notes: c.notes.clone(),
                        tags: Vec::new(),
                    },
                )))?;
            }
            let key = c.title.trim().to_lowercase();
            if chosen.get(&key).is_some_and(|&(_, _, line)| line == c.line) {
                sink(Event::Item(Item::at(c.line, 0, reminder(&c))))?;
            }
        }
        Ok(())
    }

    fn read(&mut self, r: &Row<'_>, ctx: &ParseCtx) -> Result<Option<Cost>, RowError> {
        let c = r.cols;
        if r.flag(c.find(&["isincome"]), false)? {
            self.income += 1;
            return Ok(None);
        }
        let date = r.date(c.find(&["date"]))?;
        let positive = |v: Option<f64>| v.filter(|o| *o > 0.0);
        let remind_date =
            match r.text(c.find(&["reminddate"])) {
                "" => None,
                t if t.starts_with(NO_REMINDER_DATE) => None,
                t => Some(DateParts::parse(t).ok_or_else(|| {
                    r.err(c.find(&["reminddate"]), format!("{t:?} is not a date"))
                })?),
            };
        let upcoming = resolve(&date).is_some_and(|d| d > ctx.now);
        Ok(Some(Cost {
            line: r.line,
            title: r.text(c.find(&["costtitle", "title"])).to_owned(),
            date,
            odometer: positive(r.opt_number(c.find(&["odo"]))?),
            category: self
                .categories
                .get(r.text(c.find(&["costtypeid"])))
                .cloned()
                .unwrap_or_default(),
            cost_minor: r.money(c.find(&["cost"]), ctx.money_digits)?,
            notes: r.text(c.find(&["notes"])).to_owned(),
            read: r.flag(c.find(&["read"]), false)?,
            remind_date,
            remind_odo: positive(r.opt_number(c.find(&["remindodo"]))?),
            template: r.flag(c.find(&["istemplate"]), false)?,
            every: positive(r.opt_number(c.find(&["repeatodo"]))?),
            months: positive(r.opt_number(c.find(&["repeatmonths"]))?).map(|m| m.round() as u32),
            upcoming,
        }))
    }

    pub(super) fn report(&self, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        if self.income > 0 {
            sink(Event::LeftOut(LeftOut {
                what: "income rows (## Costs, isIncome)".into(),
                count: self.income,
                reason: "Glovebox records what a vehicle costs, not what it earns".into(),
            }))?;
        }
        if self.dismissed > 0 {
            sink(Event::LeftOut(LeftOut {
                what: "reminders already marked read in Fuelio".into(),
                count: self.dismissed,
                reason: "done reminders do not repeat; their costs are imported".into(),
            }))?;
        }
        Ok(())
    }
}

fn resolve(d: &DateParts) -> Option<chrono::NaiveDateTime> {
    d.resolve(DateOrder::Ymd)
        .or_else(|| d.resolve(DateOrder::Dmy))
}

fn reminder(c: &Cost) -> ItemKind {
    let plan = c.template || c.upcoming;
    // Without a reminder date: a plan is due on its own date; a past repeating cost one
    // period after it.
    let (due, due_plus_months) = match (c.remind_date, plan) {
        (Some(d), _) => (Some(d), 0),
        (None, true) if c.upcoming => (Some(c.date), 0),
        (None, _) => match c.months {
            Some(m) => (Some(c.date), m),
            None => (None, 0),
        },
    };
    let due_odometer = c.remind_odo.or_else(|| match (plan, c.every) {
        (true, _) if c.upcoming => c.odometer,
        (_, Some(e)) => Some(c.odometer.unwrap_or(0.0) + e),
        _ => None,
    });
    ItemKind::Reminder {
        title: c.title.clone(),
        notes: if c.repeats() {
            "repeats in Fuelio".into()
        } else {
            c.notes.clone()
        },
        due,
        due_plus_months,
        due_odometer,
        recur_months: c.months,
        recur_distance: c.every,
        schedule: Default::default(),
        thresholds: Default::default(),
    }
}
