//! Fuelly: the web export with `", "` separators and units in its header names (ISO and
//! month-first dates), the separate services export, and the app's export. Figures are
//! computed by hand in the comments.

mod import_support;

use glovebox_core::import::{FormatId, ImportOptions, Need};
use glovebox_core::units::{Currency, DistanceUnit, EconomyUnit, VolumeUnit};
use glovebox_core::Page;
use import_support::*;

fn usd() -> ImportOptions {
    ImportOptions {
        currency: Some(Currency::USD),
        ..ImportOptions::default()
    }
}

/// `fuelly_web_metric_spaced.csv`: the header of a real fuelly.com export (hargata/lubelog
/// issue #2: `car_name, model, l/100km,  odometer, km, litres, …`), ISO dates, our rows.
/// 100 500 km 40 L at €1.75 (€70.00), 101 000 km 30 L at €1.80 (€54.00), 101 400 km 22 L
/// at €1.90 (€41.80): 500 km on 30 L = 6.0 L/100km, 400 km on 22 L = 5.5; fuel €165.80.
#[test]
fn the_web_export_with_spaced_separators_and_metric_units() {
    let (_d, g) = garage();
    let r = commit(&g, "fuelly_web_metric_spaced.csv", &eur()).unwrap();
    assert_eq!(r.format, FormatId::Fuelly);
    assert_eq!(r.new_records.fuel, 3);
    assert!(
        r.economy_mismatches.is_empty(),
        "{:?}",
        r.economy_mismatches
    );
    let v = vehicle(&g, "Jazz");
    assert_eq!(
        (v.distance_unit, v.volume_unit),
        (DistanceUnit::Kilometre, VolumeUnit::Litre)
    );
    assert_eq!(v.model, "Honda Jazz");
    assert_eq!(total_cost(&g, &v), 16_580);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::LitresPer100Km),
        vec![6.0, 5.5]
    );
    let fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    assert!(
        fuel.iter().any(|f| f.notes == "Autobahn, \"fast\""),
        "{fuel:?}"
    );
    assert!(fuel.iter().any(|f| f.tags == vec!["winter"]));
}

/// `fuelly_web_us_spaced.csv`: `", "` between every value too, quoted values after the
/// space, month-first dates with AM/PM. 50 000 mi 20 gal at $3.10, 50 300 mi 20 gal at
/// $3.20, 50 500 mi 10 gal at $3.30 (partial), 50 800 mi 15 gal at $3.20: 300 mi on
/// 20 gal = 15 mpg, then 500 mi on 10 + 15 gal = 20 mpg; $62 + $64 + $33 + $48 = $207.00.
#[test]
fn the_web_export_with_spaces_before_quoted_values_and_month_first_dates() {
    let (_d, g) = garage();
    let r = commit(&g, "fuelly_web_us_spaced.csv", &usd()).unwrap();
    assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
    assert!(
        r.economy_mismatches.is_empty(),
        "{:?}",
        r.economy_mismatches
    );
    let v = vehicle(&g, "F-150");
    assert_eq!(
        (v.distance_unit, v.volume_unit),
        (DistanceUnit::Mile, VolumeUnit::UsGallon)
    );
    assert_eq!(total_cost(&g, &v), 20_700);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::MpgUs),
        vec![15.0, 20.0]
    );
    let mut fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    fuel.reverse();
    assert_eq!(fuel[1].occurred_at.to_string(), "2024-02-15 17:30:00");
    assert_eq!(fuel[1].tags, vec!["work", "tow"]);
    assert_eq!(fuel[1].notes, "Towing, heavy");
    assert!(!fuel[2].is_full);
}

/// `fuelly_services.csv`: an oil change with filter ($89.90), a car wash expense ($35.00)
/// and a note (left out): $124.90 in 2 records, into the vehicle the fill-ups created.
#[test]
fn the_services_export_imports_its_services() {
    let (_d, g) = garage();
    // Alone, the file says no units: they are asked for, nothing is refused outright.
    let p = preview(&g, "fuelly_services.csv", &eur()).unwrap();
    assert!(
        matches!(&p.needs[..], [Need::Units { fields, .. }] if fields == &vec!["distance_unit".to_string(), "volume_unit".to_string()]),
        "{:?}",
        p.needs
    );
    commit(&g, "fuelly_web_metric_spaced.csv", &eur()).unwrap();
    let r = commit(&g, "fuelly_services.csv", &eur()).unwrap();
    assert_eq!(r.format, FormatId::Fuelly);
    assert_eq!((r.new_records.vehicles, r.new_records.service), (0, 2));
    let note = r
        .left_out
        .iter()
        .find(|l| l.what.contains("notes"))
        .unwrap();
    assert_eq!(note.count, 1);
    let v = vehicle(&g, "Jazz");
    assert_eq!(service_total(&g, &v), 12_490);
    let s = g.service_records(&v.id, None, Page::ALL).unwrap();
    let oil = s.iter().find(|s| s.cost.minor == 8_990).unwrap();
    assert_eq!(
        (
            oil.title.as_str(),
            oil.category.as_str(),
            oil.notes.as_str()
        ),
        ("Engine oil, Oil filter", "Service", "5W-30")
    );
    assert_eq!(oil.odometer.map(|o| o.value), Some(100_700.0));
    let wash = s.iter().find(|s| s.cost.minor == 3_500).unwrap();
    assert_eq!(
        (wash.title.as_str(), wash.category.as_str()),
        ("Expense", "Expense")
    );
}

/// `fuelly_app.csv`: the app's layout (akhilrex/hammond importService.go): Gas rows
/// 20 000 mi 10 gal $34.99, 20 300 mi 10 gal $34.59 (30 mpg), 20 660 mi 5 gal $17.50
/// (Partial), 20 750 mi 7.5 gal $25.00: 450 mi on 12.5 gal = 36 mpg; fuel $112.08. A
/// Service row "Timing Belt, Water Pump" of $1,089.50.
#[test]
fn the_app_export_with_fill_ups_and_services_in_one_table() {
    let (_d, g) = garage();
    let r = commit(&g, "fuelly_app.csv", &usd()).unwrap();
    assert_eq!(r.format, FormatId::Fuelly);
    assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
    assert_eq!((r.new_records.fuel, r.new_records.service), (4, 1));
    assert!(
        r.economy_mismatches.is_empty(),
        "{:?}",
        r.economy_mismatches
    );
    let v = vehicle(&g, "Civic");
    assert_eq!(
        (v.distance_unit, v.volume_unit),
        (DistanceUnit::Mile, VolumeUnit::UsGallon)
    );
    assert_eq!(total_cost(&g, &v), 11_208);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::MpgUs),
        vec![30.0, 36.0]
    );
    let mut fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    fuel.reverse();
    assert_eq!(fuel[0].occurred_at.to_string(), "2021-05-01 08:15:00");
    assert_eq!(fuel[0].station, "Costco");
    assert_eq!(fuel[1].notes, "Long drive");
    assert!(!fuel[2].is_full);
    let s = &g.service_records(&v.id, None, Page::ALL).unwrap()[0];
    assert_eq!(
        (s.title.as_str(), s.cost.minor, s.notes.as_str()),
        ("Timing Belt, Water Pump", 108_950, "timing belt")
    );
}
