//! Drivvo's CSV export: one vehicle, sections "##Refuelling", "##Service" and "##Expense"
//! (other sections are skipped), headers and yes/no values in the app's language.
//! Expenses (parking, insurance, tolls…) become service records whose category is the
//! expense type, so their cost is kept.
//!
//! The header aliases cover the section and column names in the issue and their common
//! translations; they have not been checked against every language Drivvo exports in.
//! A file whose columns are not recognised is refused with the missing column named.

use super::common::{Columns, Event, Item, ItemKind, ParseCtx, Row, Sink, VehicleDraft};
use super::format::{Format, Head};
use super::{FormatId, ImportError, RowError, Source};
use crate::service::ServiceKind;

pub struct Drivvo;

impl Format for Drivvo {
    const NAME: FormatId = FormatId::Drivvo;
    fn detect(head: &Head<'_>) -> u8 {
        if SECTIONS
            .iter()
            .any(|(marker, _)| head.text.contains(marker))
        {
            90
        } else {
            0
        }
    }
    fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        parse(src, ctx, sink)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Refuelling,
    Service,
    Expense,
    Other,
}

/// Section markers (lower-case) in the languages Drivvo exports in.
pub const SECTIONS: &[(&str, Section)] = &[
    ("##refuelling", Section::Refuelling),
    ("##refueling", Section::Refuelling),
    ("##abastecimento", Section::Refuelling),
    ("##repostaje", Section::Refuelling),
    ("##abastecimiento", Section::Refuelling),
    ("##ravitaillement", Section::Refuelling),
    ("##tanken", Section::Refuelling),
    ("##service", Section::Service),
    ("##serviço", Section::Service),
    ("##servico", Section::Service),
    ("##servicio", Section::Service),
    ("##entretien", Section::Service),
    ("##wartung", Section::Service),
    ("##expense", Section::Expense),
    ("##despesa", Section::Expense),
    ("##gasto", Section::Expense),
    ("##dépense", Section::Expense),
    ("##ausgabe", Section::Expense),
];

const DATE: &[&str] = &["date", "data", "fecha", "datum"];
const ODOMETER: &[&str] = &[
    "odometer",
    "odômetro",
    "odometro",
    "odómetro",
    "kilométrage",
    "kilometerstand",
];
const VOLUME: &[&str] = &[
    "volume",
    "liters",
    "litres",
    "gallons",
    "quantity",
    "litros",
    "galões",
    "cantidad",
    "menge",
    "fuelamount",
];
const TOTAL: &[&str] = &[
    "totalcost",
    "total",
    "value",
    "valortotal",
    "valor",
    "costetotal",
    "costototal",
    "coûttotal",
    "montant",
    "gesamtkosten",
    "betrag",
    "cost",
];
const PRICE: &[&str] = &[
    "price",
    "pricel",
    "pricegal",
    "priceperunit",
    "unitprice",
    "preço",
    "preco",
    "precio",
    "prix",
    "preis",
];
const FULL: &[&str] = &[
    "fulltank",
    "tankfull",
    "tanquecheio",
    "tanquelleno",
    "pleinréservoir",
    "plein",
    "volltank",
];
const MISSED: &[&str] = &[
    "missedpreviousrefuelling",
    "previousrefuellingmissed",
    "missed",
    "esqueceuanterior",
    "abastecimentoanteriornaoregistrado",
];
const STATION: &[&str] = &["gasstation", "station", "posto", "gasolinera", "tankstelle"];
const NOTES: &[&str] = &[
    "notes",
    "note",
    "observation",
    "observação",
    "observacao",
    "notas",
    "bemerkung",
    "remarque",
];
const TYPE: &[&str] = &[
    "type",
    "servicetype",
    "expensetype",
    "services",
    "tipo",
    "tipodeserviço",
    "tipodedespesa",
    "typ",
    "art",
];

fn parse(src: &dyn Source, ctx: &ParseCtx, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let (input, delimiter) = (src.open()?, ctx.delimiter);
    let mut section: Option<Section> = None;
    let mut cols: Option<Columns> = None;
    let mut any_section = false;
    sink(Event::Vehicle(VehicleDraft::named("")))?;
    super::common::read_records(input, delimiter, sink, &mut |rec, line, sink| {
        let first = rec
            .get(0)
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if first.starts_with('#') {
            let marker = format!("##{}", first.trim_start_matches('#').trim().to_lowercase());
            section = Some(
                SECTIONS
                    .iter()
                    .find(|(m, _)| *m == marker)
                    .map(|(_, s)| *s)
                    .unwrap_or(Section::Other),
            );
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
        let Some(c) = &cols else {
            let c = Columns::new(rec);
            c.require(DATE, line, "Date")?;
            if s == Section::Refuelling {
                c.require(VOLUME, line, "Volume")?;
                c.require(ODOMETER, line, "Odometer")?;
            }
            sink(c.fields(&[
                ("occurred_at", c.find(DATE)),
                ("odometer", c.find(ODOMETER)),
                ("quantity", c.find(VOLUME)),
                ("total_cost", c.find(TOTAL)),
                ("cost", c.find(TOTAL)),
                ("title", c.find(TYPE)),
                ("notes", c.find(NOTES)),
                ("station", c.find(STATION)),
            ]))?;
            cols = Some(c);
            return Ok(());
        };
        let row = Row { rec, cols: c, line };
        match item(s, &row, ctx) {
            Ok(kind) => sink(Event::Item(Item::at(line, 0, kind))),
            Err(e) => sink(Event::Bad(e)),
        }
    })?;
    if !any_section {
        return Err(ImportError::Empty);
    }
    Ok(())
}

fn item(s: Section, r: &Row<'_>, ctx: &ParseCtx) -> Result<ItemKind, RowError> {
    let c = r.cols;
    let date = r.date(c.find(DATE))?;
    let notes = r.text(c.find(NOTES)).to_owned();
    if s == Section::Refuelling {
        let quantity = r.number(c.find(VOLUME))?;
        let cost_minor = match c.find(TOTAL) {
            Some(t) if !r.text(Some(t)).is_empty() => r.money(Some(t), ctx.money_digits)?,
            _ => {
                let price = r.opt_number(c.find(PRICE))?.unwrap_or(0.0);
                (price * quantity * 10f64.powi(ctx.money_digits as i32)).round() as i64
            }
        };
        return Ok(ItemKind::Fuel {
            date,
            odometer: r.number(c.find(ODOMETER))?,
            quantity,
            cost_minor,
            full: r.flag(c.find(FULL), true)?,
            missed: r.flag(c.find(MISSED), false)?,
            station: r.text(c.find(STATION)).to_owned(),
            notes,
            tags: Vec::new(),
            economy: None,
            trip: None,
        });
    }
    let kind_text = r.text(c.find(TYPE)).to_owned();
    let (title, category) = match (s, kind_text.is_empty()) {
        (Section::Expense, true) => ("Expense".to_owned(), "Expense".to_owned()),
        (Section::Expense, false) => (kind_text.clone(), kind_text),
        (_, true) => ("Service".to_owned(), String::new()),
        (_, false) => (kind_text, String::new()),
    };
    Ok(ItemKind::Service {
        kind: ServiceKind::Service,
        date,
        odometer: r.opt_number(c.find(ODOMETER))?.filter(|o| *o > 0.0),
        title,
        category,
        cost_minor: r.money(c.find(TOTAL), ctx.money_digits)?,
        notes,
        tags: Vec::new(),
    })
}
