//! LubeLogger's CSV exports, every header generation since January 2024 and values in
//! the server's culture (hargata/lubelog `StaticHelper.Write*ExportModel`: gas costs with
//! `ToString()`, other costs with `ToString("C")`, dates with `ToShortDateString()`).
//! The `sample_*` fixtures are LubeLogger's own sample files (MIT); the others are written
//! to the export code's layout. Units are never assumed: these files carry none.

mod import_support;

use glovebox_core::import::{DateOrder, FormatId, ImportError, ImportOptions, Need};
use glovebox_core::service::ServiceKind;
use glovebox_core::units::{Currency, DistanceUnit, EconomyUnit, VolumeUnit};
use glovebox_core::{Error, Page};
use import_support::*;

fn lube(name: &str) -> String {
    format!("lubelogger/{name}")
}

fn us() -> ImportOptions {
    ImportOptions {
        vehicle: Some("Car".into()),
        distance_unit: Some(DistanceUnit::Mile),
        volume_unit: Some(VolumeUnit::UsGallon),
        currency: Some(Currency::USD),
        ..ImportOptions::default()
    }
}

fn eu() -> ImportOptions {
    ImportOptions {
        vehicle: Some("Car".into()),
        ..metric()
    }
}

/// LubeLogger's gas sample in its three January 2024 generations (`Date,Odometer,
/// FuelConsumed,Cost`; `+IsFillToFull,MissedFuelUp`; `+Notes`): 204 836 mi 8.331 gal
/// $16.24, 205 056 mi 11.913 gal $25.72: 220 mi on 11.913 gal = 18.467 mpg; $41.96.
#[test]
fn lubeloggers_own_gas_samples_of_every_january_2024_generation() {
    for name in [
        "sample_gas_2024-01-03.csv",
        "sample_gas_2024-01-15.csv",
        "sample_gas_2024-01-19.csv",
    ] {
        let (_d, g) = garage();
        let before = snapshot(&g);
        // No units in the file: refused until they are given, naming them.
        let e = commit(&g, &lube(name), &ImportOptions::default()).unwrap_err();
        let Error::Import(ImportError::UnitsRequired { fields, .. }) = &e else {
            panic!("{name}: {e}")
        };
        assert_eq!(
            fields,
            &["distance_unit", "volume_unit", "currency"],
            "{name}"
        );
        assert_eq!(snapshot(&g), before, "{name}");

        let r = commit(&g, &lube(name), &us()).unwrap();
        assert_eq!(r.format, FormatId::LubeloggerFuel, "{name}");
        assert_eq!(
            r.dates.order,
            Some(DateOrder::Mdy),
            "{name}: 5/30/2020 settles it"
        );
        assert_eq!(r.new_records.fuel, 2, "{name}");
        let v = vehicle(&g, "Car");
        assert_eq!(total_cost(&g, &v), 4_196, "{name}");
        assert_eq!(
            closing_economy(&g, &v, EconomyUnit::MpgUs),
            vec![18.467],
            "{name}"
        );
    }
}

/// The service and tax samples: every date (01/01/2020, 01/02/2020) reads both ways, so
/// the order is asked; $20.60 + $40.45 = $61.05 each. The odometer sample's one date
/// (1/1/2024) reads the same both ways: imported without asking.
#[test]
fn lubeloggers_own_service_tax_and_odometer_samples() {
    let (_d, g) = garage();
    let p = preview(&g, &lube("sample_service_2024-01-04.csv"), &us()).unwrap();
    assert_eq!(p.needs, vec![Need::DateOrder]);
    let e = commit(&g, &lube("sample_service_2024-01-04.csv"), &us()).unwrap_err();
    assert!(
        matches!(e, Error::Import(ImportError::AmbiguousDates { rows: 2 })),
        "{e}"
    );
    let opts = ImportOptions {
        date_format: Some(DateOrder::Mdy),
        ..us()
    };
    let r = commit(&g, &lube("sample_service_2024-01-04.csv"), &opts).unwrap();
    assert_eq!(r.format, FormatId::LubeloggerService);
    let v = vehicle(&g, "Car");
    assert_eq!(service_total(&g, &v), 6_105);
    let r = commit(&g, &lube("sample_tax_2024-01-04.csv"), &opts).unwrap();
    assert_eq!((r.format, r.new_records.tax), (FormatId::LubeloggerTax, 2));
    assert_eq!(service_total(&g, &v), 12_210);
    let r = commit(&g, &lube("sample_odometer_2024-01-20.csv"), &us()).unwrap();
    assert_eq!(
        (r.format, r.new_records.odometer),
        (FormatId::LubeloggerOdometer, 1)
    );
    let o = &g.odometer_records(&v.id, Page::ALL).unwrap()[0];
    assert_eq!(
        (o.odometer.value, o.notes.as_str()),
        (260_001.0, "test test")
    );
}

/// A German server's gas export, newest generation (Tags, an extra field): decimal
/// commas, `ToString()` costs, a note over two lines. 10 000 km 40.5 L €60.75, 10 450 km
/// 13.5 L €20.25 (partial), 10 900 km 22.5 L €33.75, 11 400 km 30 L €45, 12 000 km 36 L
/// €54 (missed the one before): 900 km on 13.5 + 22.5 L = 4.0 L/100km, 500 km on 30 L =
/// 6.0; the missed fill-up voids the last segment; average 66 L over 1 400 km; €213.75.
#[test]
fn a_german_gas_export_with_decimal_commas_and_line_breaks() {
    let (_d, g) = garage();
    let r = commit(&g, &lube("de_gas_2024-08.csv"), &eu()).unwrap();
    assert_eq!(r.dates.order, Some(DateOrder::Dmy));
    assert_eq!(r.new_records.fuel, 5);
    assert!(
        r.economy_mismatches.is_empty(),
        "{:?}",
        r.economy_mismatches
    );
    let v = vehicle(&g, "Car");
    assert_eq!(total_cost(&g, &v), 21_375);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::LitresPer100Km),
        vec![4.0, 6.0]
    );
    let avg = average(&g, &v, EconomyUnit::LitresPer100Km).unwrap();
    assert!(close(avg, 66.0 / 1400.0 * 100.0), "{avg}");
    let mut fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    fuel.reverse();
    assert_eq!(fuel[0].notes, "Shell, A1\nTankstelle: Shell");
    assert_eq!(fuel[2].notes, "Zeile eins\nZeile zwei\nTankstelle: Aral");
    assert_eq!(fuel[2].tags, vec!["urlaub", "arbeit"]);
    assert!(!fuel[1].is_full && fuel[4].missed_previous);
}

/// Costs as `ToString("C")` writes them: `89,90 €` and `1.234,56 €` (de-DE, no-break
/// space), `1 234,56 €` (fr-FR, narrow no-break space grouping), `$1,234.56` (en-US),
/// `¤1,020.50` (the invariant culture of a Docker image). Service, repair, upgrade and tax
/// files, each kind named with `--format` where the header cannot tell.
#[test]
fn currency_formatted_costs_of_every_culture_and_record_kind() {
    let (_d, g) = garage();
    let r = commit(&g, &lube("de_service_2024-08.csv"), &eu()).unwrap();
    assert_eq!(
        (r.format, r.new_records.service),
        (FormatId::LubeloggerService, 2)
    );
    let v = vehicle(&g, "Car");
    // 89.90 + 1 234.56
    assert_eq!(service_total(&g, &v), 132_446);
    let s = g.service_records(&v.id, None, Page::ALL).unwrap();
    let oil = s.iter().find(|s| s.title == "Ölwechsel").unwrap();
    assert_eq!(oil.notes, "5W-30\n4,5 l\nWerkstatt: ATU");
    assert_eq!(oil.odometer.map(|o| o.value), Some(10_200.0));

    let kind = |format| ImportOptions {
        format: Some(format),
        ..eu()
    };
    let r = commit(
        &g,
        &lube("fr_repair_2024-08.csv"),
        &kind(FormatId::LubeloggerRepair),
    )
    .unwrap();
    assert_eq!((r.new_records.service, r.new_records.repair), (2, 2));
    let repairs: i64 = g
        .service_records(&v.id, Some(ServiceKind::Repair), Page::ALL)
        .unwrap()
        .iter()
        .map(|s| s.cost.minor)
        .sum();
    assert_eq!(repairs, 123_456 + 2_307);

    let opts = ImportOptions {
        format: Some(FormatId::LubeloggerUpgrade),
        vehicle: Some("Truck".into()),
        ..us()
    };
    let r = commit(&g, &lube("us_upgrade_2024-08.csv"), &opts).unwrap();
    assert_eq!(r.new_records.upgrade, 2);
    assert_eq!(service_total(&g, &vehicle(&g, "Truck")), 123_456 + 8_999);

    // Invariant culture: 01/02/2024 and 03/04/2024 read both ways, so the order is asked.
    let opts = ImportOptions {
        vehicle: Some("Truck".into()),
        ..us()
    };
    let p = preview(&g, &lube("invariant_tax_2024-08.csv"), &opts).unwrap();
    assert_eq!(
        (p.format, p.needs.clone()),
        (FormatId::LubeloggerTax, vec![Need::DateOrder])
    );
    let opts = ImportOptions {
        date_format: Some(DateOrder::Mdy),
        ..opts
    };
    let r = commit(&g, &lube("invariant_tax_2024-08.csv"), &opts).unwrap();
    assert_eq!(r.new_records.tax, 2);
    let truck = vehicle(&g, "Truck");
    let tax = g.service_records(&truck.id, None, Page::ALL).unwrap();
    let road = tax.iter().find(|s| s.title == "Road tax").unwrap();
    assert_eq!((road.cost.minor, road.category.as_str()), (102_050, "Tax"));
    assert_eq!(road.occurred_at.date().to_string(), "2024-03-04");

    // The first tax generation had an (empty) Odometer column.
    let opts = ImportOptions {
        format: Some(FormatId::LubeloggerTax),
        ..opts
    };
    let r = commit(&g, &lube("tax_2024-01-09.csv"), &opts).unwrap();
    assert_eq!(r.new_records.tax, 1);
}

#[test]
fn odometer_records_with_their_initial_reading_and_an_extra_field() {
    let (_d, g) = garage();
    let r = commit(&g, &lube("de_odometer_2024-08.csv"), &eu()).unwrap();
    assert_eq!(
        (r.format, r.new_records.odometer),
        (FormatId::LubeloggerOdometer, 2)
    );
    let v = vehicle(&g, "Car");
    let mut o = g.odometer_records(&v.id, Page::ALL).unwrap();
    o.reverse();
    assert_eq!(o[0].odometer.value, 10_150.0);
    assert_eq!(o[0].notes, "Pendeln\nFahrer: Anna");
    assert_eq!(o[0].occurred_at.date().to_string(), "2024-02-13");
}

/// LubeLogger's import aliases: separate Day/Month/Year columns, `Odo`, `Gallons`, a
/// `Price` per gallon and no total (cost = price × gallons: $35.00, $34.00, $18.00,
/// $24.00 = $111.00), `partial_fill`, `missed_fill`. 300 mi on 10 gal = 30 mpg; then 450 mi
/// on 5 + 7.5 gal = 36 mpg.
#[test]
fn lubeloggers_import_aliases() {
    let (_d, g) = garage();
    let r = commit(&g, &lube("aliases_day_month_year.csv"), &us()).unwrap();
    assert_eq!(
        (r.format, r.new_records.fuel),
        (FormatId::LubeloggerFuel, 4)
    );
    let v = vehicle(&g, "Car");
    assert_eq!(total_cost(&g, &v), 11_100);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::MpgUs),
        vec![30.0, 36.0]
    );
    let mut fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    fuel.reverse();
    assert!(!fuel[2].is_full);
    assert_eq!(fuel[0].occurred_at.date().to_string(), "2024-01-05");
}
