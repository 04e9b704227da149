//! Drivvo's CSV export: one vehicle, in sections whose markers have one or two `#`
//! (`##Refuelling`, `#Reabastecimiento`, `##Service`, `#Servicio`, `##Expense`; `#Income`
//! and `#Route` rows are listed as left out), headers and yes/no values in the phone's
//! language (see `layout` for where each field is). Numbers are machine-written (`37.52`,
//! `491791.0`) even when the consumption column is localised (`6,414 л/100км`, not read).
//! iPhone exports end lines with a lone CR; headers may continue after a closing quote
//! (`"Полный бак" 2`).
//!
//! Expenses (parking, insurance, tolls…) become service records whose category is the
//! expense type. A visit with several services is several rows with the same date and
//! odometer: they stay separate records (the duplicate check includes the title).
//! The odometer header's unit (`(km)`, `(mi)`) and the price header's (`/ L`, `/ kg`) are
//! used when they say one; the currency is always asked for.
//!
//! Bi-fuel cars log a second (and third) fuel in the same row: Glovebox keeps one fuel
//! stream per vehicle, so the fuel the user picks (`ImportOptions::tank`, 1 to 3) is
//! imported and the other fuels' fills are counted as left out, never added together.

mod layout;

use std::collections::BTreeMap;

use layout::{header_distance, header_volume, section_of, Layout, Section};

use super::common::{Columns, Event, Item, ItemKind, ParseCtx, Row, Sink, VehicleDraft};
use super::format::{Format, Head};
use super::{FormatId, ImportError, LeftOut, RowError, Source};
use crate::service::ServiceKind;

pub struct Drivvo;

impl Format for Drivvo {
    const NAME: FormatId = FormatId::Drivvo;
    fn detect(head: &Head<'_>) -> u8 {
        if layout::has_marker(&head.text) {
            90
        } else {
            0
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        parse(src, ctx, sink)
    }
}

/// The vehicle as the Refuelling header describes it (a pass of its own: Service or
/// Expense may come first).
fn vehicle(src: &dyn Source, ctx: &ParseCtx) -> Result<VehicleDraft, ImportError> {
    let mut d = VehicleDraft::named("");
    let mut next_is_header = false;
    super::common::read_records(src.open()?, &ctx.read, &mut |_| Ok(()), &mut |rec, _, _| {
        let first = rec
            .get(0)
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if first.starts_with('#') {
            next_is_header = section_of(first) == Section::Refuelling && d.volume_unit.is_none();
        } else if next_is_header {
            next_is_header = false;
            let c = Columns::new(rec);
            let l = Layout::new(Section::Refuelling, &c);
            d.distance_unit = d.distance_unit.or(header_distance(&c, &l));
            d.volume_unit = header_volume(&c, &l);
        }
        Ok(())
    })?;
    Ok(d)
}

#[derive(Default)]
struct Counts {
    other_fuels: BTreeMap<usize, u64>,
    listed: BTreeMap<&'static str, u64>,
}

fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    sink(Event::Vehicle(vehicle(src, ctx)?))?;
    let mut section: Option<Section> = None;
    let mut cols: Option<(Columns, Layout)> = None;
    let mut any_section = false;
    let mut counts = Counts::default();
    super::common::read_records(src.open()?, &ctx.read, sink, &mut |rec, line, sink| {
        let first = rec
            .get(0)
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if first.starts_with('#') {
            section = Some(section_of(first));
            any_section = true;
            cols = None;
            return Ok(());
        }
        let Some(s) = section else {
            return Err(ImportError::Structure {
                line,
                reason: "expected a section such as \"##Refuelling\"".into(),
            });
        };
        if s == Section::Other {
            return Ok(());
        }
        let Some((c, l)) = &cols else {
            let c = Columns::new(rec);
            let l = Layout::new(s, &c);
            if l.by_name {
                if l.date.is_none() {
                    c.require(&[], line, "Date")?;
                }
                if s == Section::Refuelling && l.volume.is_none() {
                    c.require(&[], line, "Volume")?;
                }
            }
            sink(c.fields(&[
                ("occurred_at", l.date),
                ("odometer", l.odometer),
                ("quantity", l.volume),
                ("total_cost", l.total),
                ("cost", l.total),
                ("title", l.title.or(l.kind)),
                ("notes", l.notes),
                ("station", l.station),
            ]))?;
            cols = Some((c, l));
            return Ok(());
        };
        if let Section::Listed(what) = s {
            *counts.listed.entry(what).or_default() += 1;
            return Ok(());
        }
        let row = Row::new(rec, c, line, ctx);
        let result = match s {
            Section::Refuelling => refuel(&row, l, ctx, &mut counts),
            _ => cost(s, &row, l, ctx).map(Some),
        };
        match result {
            Ok(Some(kind)) => sink(Event::Item(Item::at(line, 0, kind))),
            Ok(None) => Ok(()),
            Err(e) => sink(Event::Bad(e)),
        }
    })?;
    if !any_section {
        return Err(ImportError::Empty);
    }
    for (&fuel, &count) in &counts.other_fuels {
        sink(Event::LeftOut(LeftOut {
            what: format!(
                "fill-ups of fuel {fuel} (Drivvo's {} fuel columns)",
                ordinal(fuel)
            ),
            count,
            reason: format!(
                "Glovebox keeps one fuel stream per vehicle and never adds one fuel to \
                 another: fuel {} was imported; import the file again choosing tank {fuel} \
                 (into another vehicle) to keep these",
                ctx.tank
            ),
        }))?;
    }
    for (&what, &count) in &counts.listed {
        sink(Event::LeftOut(LeftOut {
            what: what.into(),
            count,
            reason: "Glovebox has no place for these yet".into(),
        }))?;
    }
    Ok(())
}

fn ordinal(n: usize) -> &'static str {
    match n {
        1 => "first",
        2 => "second",
        _ => "third",
    }
}

/// A refuelling row: the chosen fuel's fill, `None` when the row only filled another
/// fuel (counted).
fn refuel(
    r: &Row<'_>,
    l: &Layout,
    ctx: &ParseCtx,
    counts: &mut Counts,
) -> Result<Option<ItemKind>, RowError> {
    // Fuel 1 is columns (price, total, volume, full); fuels 2 and 3 follow.
    let fuels: Vec<[Option<usize>; 4]> = std::iter::once([l.price, l.total, l.volume, l.full])
        .chain(l.extra_fuels.iter().map(|f| f.map(Some)))
        .collect();
    let filled = |f: &[Option<usize>; 4]| -> bool {
        r.opt_number(f[2]).ok().flatten().is_some_and(|v| v > 0.0)
    };
    let chosen = (ctx.tank as usize).clamp(1, 3);
    for (i, f) in fuels.iter().enumerate() {
        if i + 1 != chosen && filled(f) {
            *counts.other_fuels.entry(i + 1).or_default() += 1;
        }
    }
    let Some(f) = fuels.get(chosen - 1) else {
        return Ok(None);
    };
    if chosen > 1 && !filled(f) {
        return Ok(None);
    }
    let [price, total, volume, full] = *f;
    let date = r.date(l.date)?;
    let quantity = r.number(volume)?;
    if chosen == 1 && quantity == 0.0 && fuels[1..].iter().any(filled) {
        // Only another fuel was filled at this stop (counted above).
        return Ok(None);
    }
    let cost_minor = match r.opt_money(total, ctx.money_digits)? {
        Some(v) => v,
        None => {
            let per = r.opt_number(price)?.unwrap_or(0.0);
            (per * quantity * 10f64.powi(ctx.money_digits as i32)).round() as i64
        }
    };
    Ok(Some(ItemKind::Fuel {
        date,
        odometer: r.number(l.odometer)?,
        quantity,
        cost_minor,
        full: r.flag(full, true)?,
        missed: r.flag(l.missed, false)?,
        station: r.text(l.station).to_owned(),
        notes: r.text(l.notes).to_owned(),
        tags: Vec::new(),
        economy: None,
        trip: None,
    }))
}

fn cost(s: Section, r: &Row<'_>, l: &Layout, ctx: &ParseCtx) -> Result<ItemKind, RowError> {
    let date = r.date(l.date)?;
    let kind_text = r.text(l.kind).to_owned();
    let title_text = r.text(l.title).to_owned();
    let mut notes = r.text(l.notes).to_owned();
    let place = r.text(l.place);
    if !place.is_empty() {
        if !notes.is_empty() {
            notes.push('\n');
        }
        notes.push_str(place);
    }
    let title = match (title_text.is_empty(), kind_text.is_empty(), s) {
        (false, _, _) => title_text,
        (true, false, _) => kind_text.clone(),
        (true, true, Section::Expense) => "Expense".to_owned(),
        (true, true, _) => "Service".to_owned(),
    };
    let category = match (s, kind_text.is_empty()) {
        (Section::Expense, true) => "Expense".to_owned(),
        (Section::Expense, false) => kind_text,
        _ => String::new(),
    };
    Ok(ItemKind::Service {
        kind: ServiceKind::Service,
        date,
        odometer: r.opt_number(l.odometer)?.filter(|o| *o > 0.0),
        title,
        category,
        cost_minor: r.money(l.total, ctx.money_digits)?,
        notes,
        tags: Vec::new(),
    })
}
