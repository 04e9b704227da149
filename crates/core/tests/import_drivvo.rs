//! Drivvo exports in other languages: columns found by position inside a known section
//! when the headers are translated, markers with one or two `#`, lone-CR lines (iPhone),
//! text after a closing quote in a header, localised yes/no, several services of one
//! visit, a bi-fuel stop. Figures are computed by hand in the comments.

mod import_support;

use glovebox_core::import::{DateOrder, FormatId, ImportError, ImportOptions, Need, Origin};
use glovebox_core::units::{Currency, DistanceUnit, EconomyUnit, VolumeUnit};
use glovebox_core::{Error, Page};
use import_support::*;

fn rub() -> ImportOptions {
    ImportOptions {
        currency: "RUB".parse::<Currency>().ok(),
        vehicle: Some("Лада".into()),
        ..ImportOptions::default()
    }
}

/// `drivvo_ru.csv`: the 29-column layout of a 2025 Russian export (header names, order
/// and quirks as in belyaevsa/TankBook `Spike/ImportFixtures/drivvo/drivvo-ru-3sections.csv`,
/// values our own). Petrol fills: 12 000 km 40 L ₽2 160 (full), 12 500 km 10 L ₽540
/// (Нет: partial), 12 800 km 30 L ₽1 650, 13 300 km 40 L ₽2 200; a stop at 12 300 km filled
/// only the second fuel (Метан). 12 000→12 800 km on 10 + 30 L = 5.0 L/100km, 12 800→
/// 13 300 on 40 L = 8.0; average 80 L over 1 300 km = 6.1538 L/100km; fuel ₽6 550.00.
/// Expenses ₽1 500 (Парковка) + ₽12 000 (ОСАГО, no odometer), services of one visit
/// ₽3 500 + ₽800 + ₽800: ₽18 600.00 in 5 records. One income row, left out.
#[test]
fn a_russian_export_is_read_by_position_with_its_units_from_the_headers() {
    let (_d, g) = garage();
    let p = preview(&g, "drivvo_ru.csv", &rub()).unwrap();
    assert_eq!(p.format, FormatId::Drivvo);
    assert!(p.needs.is_empty(), "{:?}", p.needs);
    let t = &p.vehicles[0];
    assert_eq!(
        (t.distance_unit, t.distance_unit_from),
        (Some(DistanceUnit::Kilometre), Origin::File)
    );
    assert_eq!(
        (t.volume_unit, t.volume_unit_from),
        (Some(VolumeUnit::Litre), Origin::File)
    );

    let r = commit(&g, "drivvo_ru.csv", &rub()).unwrap();
    assert_eq!((r.new_records.fuel, r.new_records.service), (4, 5));
    assert_eq!(r.dates.order, Some(DateOrder::Ymd));
    assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
    let other = r
        .left_out
        .iter()
        .find(|l| l.what.contains("fuel 2"))
        .unwrap();
    assert_eq!(other.count, 1);
    assert!(other.reason.contains("never adds one fuel to another"));
    assert!(r
        .left_out
        .iter()
        .any(|l| l.what.contains("income") && l.count == 1));

    let v = vehicle(&g, "Лада");
    assert_eq!(v.currency.code(), "RUB");
    assert_eq!(total_cost(&g, &v), 655_000);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::LitresPer100Km),
        vec![5.0, 8.0]
    );
    let avg = average(&g, &v, EconomyUnit::LitresPer100Km).unwrap();
    assert!(close(avg, 80.0 / 1300.0 * 100.0), "{avg}");
    let mut fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    fuel.reverse();
    assert!(!fuel[1].is_full, "Нет is a partial fill");
    assert_eq!(
        (fuel[3].station.as_str(), fuel[3].notes.as_str()),
        ("Лукойл", "трасса")
    );

    assert_eq!(service_total(&g, &v), 1_860_000);
    let s = g.service_records(&v.id, None, Page::ALL).unwrap();
    let osago = s.iter().find(|s| s.title == "ОСАГО").unwrap();
    assert_eq!(
        (osago.category.as_str(), osago.odometer),
        ("Страхование", None)
    );
    let parking = s.iter().find(|s| s.title == "Парковка").unwrap();
    assert_eq!(parking.notes, "месяц");
    // One visit, three services (two with the same cost): three records.
    let visit: Vec<_> = s
        .iter()
        .filter(|s| s.odometer.map(|o| o.value) == Some(12_900.0))
        .collect();
    assert_eq!(visit.len(), 3, "{visit:?}");
    let oil = visit.iter().find(|s| s.title == "Замена масла").unwrap();
    assert_eq!(oil.notes, "синтетика\nАвтосервис №1");

    let before = snapshot(&g);
    let again = commit(&g, "drivvo_ru.csv", &rub()).unwrap();
    assert_eq!((again.new_records.total(), again.duplicates), (0, 9));
    assert_eq!(snapshot(&g), before);
}

#[test]
fn the_second_fuel_of_a_bi_fuel_car_is_its_own_stream() {
    let (_d, g) = garage();
    let opts = ImportOptions {
        tank: Some(2),
        ..rub()
    };
    let r = commit(&g, "drivvo_ru.csv", &opts).unwrap();
    assert_eq!(r.new_records.fuel, 1);
    let first = r
        .left_out
        .iter()
        .find(|l| l.what.contains("fuel 1"))
        .unwrap();
    assert_eq!(first.count, 4);
    let v = vehicle(&g, "Лада");
    // 15 at 25 a unit = ₽375.
    assert_eq!(total_cost(&g, &v), 37_500);
}

/// `drivvo_es_iphone.csv`: an iPhone export (lines end with a lone CR) in Spanish, with
/// Drivvo's older 19-column refuelling layout and one-`#` markers (`#Reabastecimiento`,
/// `#Servicio`, as Programistyk/FuelioImport reads them), day-first dates and Sí/No.
/// 30 000 km 40 L €60.00, 30 600 km 30 L €48.00, 31 000 km 20 L €31.00: 600 km on 30 L and
/// 400 km on 20 L, both 5.0 L/100km; fuel €139.00; one service €85.00.
#[test]
fn an_iphone_export_in_spanish_asks_only_for_what_it_does_not_say() {
    let (_d, g) = garage();
    let opts = ImportOptions {
        vehicle: Some("Ibiza".into()),
        ..eur()
    };
    let p = preview(&g, "drivvo_es_iphone.csv", &opts).unwrap();
    assert_eq!(
        p.needs,
        vec![Need::Units {
            source_name: "Ibiza".into(),
            fields: vec!["distance_unit".into()]
        }]
    );
    let before = snapshot(&g);
    let e = commit(&g, "drivvo_es_iphone.csv", &opts).unwrap_err();
    assert!(
        matches!(&e, Error::Import(ImportError::UnitsRequired { fields, .. }) if fields == &vec!["distance_unit".to_string()]),
        "{e}"
    );
    assert!(e.to_string().contains("distance_unit"), "{e}");
    assert_eq!(snapshot(&g), before);

    let opts = ImportOptions {
        distance_unit: Some(DistanceUnit::Kilometre),
        ..opts
    };
    let r = commit(&g, "drivvo_es_iphone.csv", &opts).unwrap();
    assert_eq!(r.dates.order, Some(DateOrder::Dmy));
    assert_eq!(r.dates.settled_by.as_ref().map(|s| s.line), Some(3));
    assert_eq!((r.new_records.fuel, r.new_records.service), (3, 1));
    let v = vehicle(&g, "Ibiza");
    assert_eq!(total_cost(&g, &v), 13_900);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::LitresPer100Km),
        vec![5.0, 5.0]
    );
    let fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    assert!(fuel.iter().any(|f| f.notes == "viaje, costa"));
    let s = &g.service_records(&v.id, None, Page::ALL).unwrap()[0];
    assert_eq!(
        (s.title.as_str(), s.notes.as_str(), s.cost.minor),
        ("Cambio de aceite", "5W30\nTaller Pepe", 8_500)
    );
}
