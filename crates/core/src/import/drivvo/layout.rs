//! Where each field is in a Drivvo section, by name when the header is in one of the
//! languages below and by position otherwise (Drivvo translates every header into the
//! phone's language, but not the order of its columns).
//!
//! The positions, from real exports and the importers that read them:
//! - `##Refuelling`: 0 odometer, 1 date, 2 fuel, 3 price per unit, 4 total, 5 volume,
//!   6 full tank; 7–11 a second fuel (name, price, total, volume, full), 12–16 a third.
//!   After them, by generation: 19 columns (Programistyk/FuelioImport, 2019: notes 18),
//!   20 (AlfHou/hammond, 2022: station 17, reason 18, notes 19), 22 (17 consumption,
//!   18 distance, 19 station, 20 expense type, 21 notes), 29 (the Russian export in
//!   belyaevsa/TankBook, 2025: …, 23 station, 24 driver, 25 expense type, 26 payment,
//!   27 notes, 28 discount).
//! - `##Expense`: 0 odometer, 1 date, 2 total, 3 expense type; notes 5 (6 columns), 6 (7),
//!   8 (11, with a title in 9).
//! - `##Service`: 0 odometer, 1 date, 2 total, 3 service type, 4 the garage's name;
//!   notes 5 (6 columns), 7 (10, with a title in 8).

use super::super::common::Columns;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Refuelling,
    Service,
    Expense,
    /// Listed as left out (income, routes).
    Listed(&'static str),
    Other,
}

/// Section markers (without their one or two `#`, lower-case).
const SECTIONS: &[(&str, Section)] = &[
    ("refuelling", Section::Refuelling),
    ("refueling", Section::Refuelling),
    ("abastecimento", Section::Refuelling),
    ("abastecimentos", Section::Refuelling),
    ("reabastecimiento", Section::Refuelling),
    ("repostaje", Section::Refuelling),
    ("abastecimiento", Section::Refuelling),
    ("ravitaillement", Section::Refuelling),
    ("tanken", Section::Refuelling),
    ("rifornimento", Section::Refuelling),
    ("заправка", Section::Refuelling),
    ("tankowanie", Section::Refuelling),
    ("service", Section::Service),
    ("services", Section::Service),
    ("serviço", Section::Service),
    ("servico", Section::Service),
    ("servicio", Section::Service),
    ("entretien", Section::Service),
    ("wartung", Section::Service),
    ("servizio", Section::Service),
    ("сервис", Section::Service),
    ("обслуживание", Section::Service),
    ("serwis", Section::Service),
    ("expense", Section::Expense),
    ("expenses", Section::Expense),
    ("despesa", Section::Expense),
    ("gasto", Section::Expense),
    ("dépense", Section::Expense),
    ("ausgabe", Section::Expense),
    ("spesa", Section::Expense),
    ("расход", Section::Expense),
    ("wydatek", Section::Expense),
    ("income", Section::Listed("income rows (##Income)")),
    ("receita", Section::Listed("income rows (##Income)")),
    ("ingreso", Section::Listed("income rows (##Income)")),
    ("доход", Section::Listed("income rows (##Income)")),
    ("route", Section::Listed("routes (##Route)")),
    ("rota", Section::Listed("routes (##Route)")),
    ("ruta", Section::Listed("routes (##Route)")),
    ("маршрут", Section::Listed("routes (##Route)")),
];

/// The section a marker line names (`##Refuelling`, `#Reabastecimiento`).
pub(super) fn section_of(marker: &str) -> Section {
    let name = marker.trim_start_matches('#').trim().to_lowercase();
    SECTIONS
        .iter()
        .find(|(m, _)| *m == name)
        .map_or(Section::Other, |(_, s)| *s)
}

/// True when the head has a Drivvo section marker.
pub(super) fn has_marker(lower_text: &str) -> bool {
    lower_text.split(['\n', '\r']).any(|l| {
        let l = l.trim().trim_matches('"');
        l.starts_with('#') && !l.starts_with("## ") && section_of(l) != Section::Other
    })
}

// Normalised header names (`common::norm`) in the languages Drivvo exports in.
const DATE: &[&str] = &["date", "data", "fecha", "datum", "дата"];
const ODOMETER: &[&str] = &[
    "odometer",
    "odômetro",
    "odometro",
    "odómetro",
    "kilométrage",
    "kilometerstand",
    "одометр",
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
    "объем",
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
    "totalprice",
    "общаястоимость",
];
const PRICE: &[&str] = &[
    "price",
    "pricel",
    "pricegal",
    "priceperunit",
    "unitprice",
    "volumeprice",
    "preço",
    "preco",
    "precio",
    "prix",
    "preis",
];
const FULL: &[&str] = &[
    "fulltank",
    "tankfull",
    "fullfillup",
    "tanquecheio",
    "tanquelleno",
    "pleinréservoir",
    "plein",
    "volltank",
    "полныйбак",
];
const MISSED: &[&str] = &[
    "missedpreviousrefuelling",
    "previousrefuellingmissed",
    "missed",
    "esqueceuanterior",
    "abastecimentoanteriornaoregistrado",
];
/// Prefixes: "Gas station", "Posto de combustível", "Азс".
const STATION: &[&str] = &[
    "gasstation",
    "station",
    "posto",
    "gasolinera",
    "estación",
    "tankstelle",
    "азс",
    "stacja",
    "distributore",
];
const NOTES: &[&str] = &[
    "notes",
    "note",
    "observa",
    "nota",
    "bemerkung",
    "remarque",
    "commentaire",
    "примечание",
    "комментари",
    "uwagi",
    "notatk",
    "poznámk",
    "megjegyz",
    "opmerking",
    "bemærkning",
    "anmerkung",
    "notiz",
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
    "видсервиса",
    "видрасхода",
];
const TITLE: &[&str] = &["title", "título", "titulo", "titel", "titre", "заголовок"];
const PLACE: &[&str] = &[
    "servicename",
    "place",
    "local",
    "названиесервиса",
    "местныйрасход",
];

/// Column of each field in one section.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    pub(super) odometer: Option<usize>,
    pub(super) date: Option<usize>,
    pub(super) volume: Option<usize>,
    pub(super) total: Option<usize>,
    pub(super) price: Option<usize>,
    pub(super) full: Option<usize>,
    pub(super) missed: Option<usize>,
    pub(super) station: Option<usize>,
    pub(super) notes: Option<usize>,
    /// Service or expense type.
    pub(super) kind: Option<usize>,
    pub(super) title: Option<usize>,
    pub(super) place: Option<usize>,
    /// Price, total, volume and full-tank columns of the second and third fuel.
    pub(super) extra_fuels: Vec<[usize; 4]>,
    /// The header is in a language above: fields were found by name.
    pub(super) by_name: bool,
}

impl Layout {
    pub(super) fn new(s: Section, c: &Columns) -> Layout {
        let prefixed = |names: &[&str]| c.find_prefix(names);
        let named_date = c.find(DATE).or_else(|| prefixed(DATE));
        let named_odo = c.find(ODOMETER).or_else(|| prefixed(ODOMETER));
        let n = c.names.len();
        // Real exports start odometer, date; a header that names both elsewhere (a file
        // made for Drivvo's importer, or an older layout) is read by its names.
        let by_name = match (named_date, named_odo) {
            (Some(d), Some(o)) => !(o == 0 && d == 1),
            _ => false,
        };
        let notes = c.find(NOTES).or_else(|| prefixed(NOTES));
        let title = c.find(TITLE).or_else(|| prefixed(TITLE));
        if by_name {
            return Layout {
                odometer: named_odo,
                date: named_date,
                volume: c.find(VOLUME),
                total: c.find(TOTAL),
                price: c.find(PRICE),
                full: c.find(FULL).or_else(|| prefixed(FULL)),
                missed: c.find(MISSED),
                station: prefixed(STATION),
                notes,
                kind: c.find(TYPE).or_else(|| prefixed(TYPE)),
                title,
                place: prefixed(PLACE),
                extra_fuels: Vec::new(),
                by_name: true,
            };
        }
        let at = |i: usize| (i < n).then_some(i);
        match s {
            Section::Refuelling => {
                let (station, notes_at) = match n {
                    0..=19 => (None, 18),
                    20 | 21 => (Some(17), 19),
                    22..=28 => (Some(19), 21),
                    _ => (Some(23), 27),
                };
                let mut extra_fuels = Vec::new();
                if n >= 12 {
                    extra_fuels.push([8, 9, 10, 11]);
                }
                if n >= 17 {
                    extra_fuels.push([13, 14, 15, 16]);
                }
                Layout {
                    odometer: at(0),
                    date: at(1),
                    price: at(3),
                    total: at(4),
                    volume: at(5),
                    full: at(6),
                    station: prefixed(STATION).or(station.and_then(at)),
                    notes: notes.or(at(notes_at)),
                    extra_fuels,
                    ..Layout::default()
                }
            }
            Section::Expense | Section::Service => {
                let notes_at = match (s, n) {
                    (_, 0..=6) => 5,
                    (Section::Expense, 7..=10) => 6,
                    (Section::Expense, _) => 8,
                    (_, _) => 7,
                };
                Layout {
                    odometer: at(0),
                    date: at(1),
                    total: at(2),
                    kind: at(3),
                    place: at(4).filter(|&i| i != notes_at && Some(i) != title),
                    notes: notes.or(at(notes_at)),
                    title,
                    ..Layout::default()
                }
            }
            Section::Listed(_) | Section::Other => Layout::default(),
        }
    }
}

/// The distance unit in an odometer header ("Одометр (км)", "Odometer (mi)").
pub(super) fn header_distance(c: &Columns, l: &Layout) -> Option<crate::units::DistanceUnit> {
    use crate::units::DistanceUnit;
    let name = c.names.get(l.odometer?)?.to_lowercase();
    let inner = name.split_once('(')?.1.split_once(')')?.0.trim().to_owned();
    match inner.as_str() {
        "km" | "км" | "kilometers" | "kilómetros" | "quilômetros" => {
            Some(DistanceUnit::Kilometre)
        }
        "mi" | "miles" | "миль" | "mile" => Some(DistanceUnit::Mile),
        _ => None,
    }
}

/// The volume unit in a price header ("Цена / л", "Price / L", "Preço / kg").
pub(super) fn header_volume(c: &Columns, l: &Layout) -> Option<crate::units::VolumeUnit> {
    use crate::units::VolumeUnit;
    let name = c.names.get(l.price?)?.to_lowercase();
    let unit = name.rsplit_once('/')?.1.trim().to_owned();
    match unit.as_str() {
        "l" | "л" | "lt" | "litro" | "liter" | "litre" => Some(VolumeUnit::Litre),
        "kg" | "кг" => Some(VolumeUnit::Kilogram),
        "kwh" | "квт·ч" | "квтч" => Some(VolumeUnit::KilowattHour),
        _ => None,
    }
}
