//! Fuelio backups: every generation of the Vehicle and Log sections, a bi-fuel car
//! (petrol + CNG in kg) whose tanks never mix, the zip backup, costs with Fuelio's
//! "no reminder" date, plans, templates, income, and the oldest files without a Vehicle
//! section. Figures are computed by hand in the comments.

mod import_support;

use std::io::Write;

use glovebox_core::import::{ImportError, ImportOptions};
use glovebox_core::units::{DistanceUnit, EconomyUnit, FuelKind, VolumeUnit};
use glovebox_core::{Error, Page};
use import_support::*;

/// `fuelio_cng_two_tanks.csv` (written from the layouts of Fuelio 8/9 backups: Vehicle
/// with TankCount/Tank1Type/Tank2Type/FuelUnitTank2/FuelConsumptionTank2/guid, Log with
/// TankNumber/FuelType/.../guid/lastupdated). Tank 1 petrol in litres (type 100, FuelUnit
/// 0), tank 2 CNG in kg (type 500, FuelUnitTank2 4).
///
/// Tank 1 fills: 10 000 km 40 L €72.00, 11 500 km 30 L €54.00, 12 700 km 18 L €32.40:
/// 1 500 km on 30 L = 2.0 L/100km, 1 200 km on 18 L = 1.5 L/100km; average 48 L over
/// 2 700 km = 1.7778 L/100km; fuel €158.40.
/// Tank 2 fills: 11 750 km 13.5 kg €20.25, 12 100 km 14 kg €21.00, 12 500 km 16 kg €24.00,
/// 12 900 km 12 kg €18.00: 350 km on 14 kg = 4.0 kg/100km, 400 km on 16 kg = 4.0,
/// 400 km on 12 kg = 3.0; average 42 kg over 1 150 km = 3.6522 kg/100km; fuel €83.25.
/// Costs: Oil change €120 (reminder 2025-02-10 / 26 900 km, every 12 months / 15 000 km),
/// Spark plugs €48 (read; its plan dated 2030-06-01 / 72 000 km, every 48 months /
/// 60 000 km is the reminder), Insurance €450 (RemindDate 2011-01-01: no reminder),
/// Tyre check €25 (a one-off reminder already read), Road tax (a template, every 12
/// months: a reminder due 2025-03-01, no record), Refund (income: left out).
/// Services €120 + €48 + €450 + €25 = €643.00; reminders 3.
const TWO_TANKS: &str = "fuelio_cng_two_tanks.csv";

fn left_out(r: &glovebox_core::import::ImportReport, what: &str) -> (u64, String) {
    r.left_out
        .iter()
        .find(|l| l.what.contains(what))
        .map(|l| (l.count, l.reason.clone()))
        .unwrap_or_else(|| panic!("nothing left out as {what:?}: {:?}", r.left_out))
}

#[test]
fn a_bi_fuel_car_imports_the_petrol_tank_and_reports_the_cng_fills() {
    let (_d, g) = garage();
    let p = preview(&g, TWO_TANKS, &eur()).unwrap();
    assert!(p.needs.is_empty(), "{:?}", p.needs);
    let (n, why) = left_out(&p, "tank 2");
    assert_eq!(n, 4);
    assert!(why.contains("tank 1 was imported"), "{why}");
    assert!(
        p.left_out.iter().any(|l| l.what.contains("CNG, kg")),
        "{:?}",
        p.left_out
    );
    assert_eq!(p.vehicles[0].volume_unit, Some(VolumeUnit::Litre));

    let r = commit(&g, TWO_TANKS, &eur()).unwrap();
    let c = r.new_records;
    assert_eq!((c.vehicles, c.fuel, c.service, c.reminders), (1, 3, 4, 3));
    assert!(
        r.economy_mismatches.is_empty(),
        "{:?}",
        r.economy_mismatches
    );
    assert_eq!(left_out(&r, "income").0, 1);
    assert_eq!(left_out(&r, "marked read").0, 1);
    assert_eq!(left_out(&r, "trips").0, 2);

    let v = vehicle(&g, "Zafira CNG");
    assert_eq!(
        (v.make.as_str(), v.model.as_str(), v.year),
        ("Opel", "Zafira Tourer", Some(2014))
    );
    assert_eq!(v.distance_unit, DistanceUnit::Kilometre);
    assert_eq!(v.volume_unit, VolumeUnit::Litre);
    assert_eq!(v.economy_unit, EconomyUnit::LitresPer100Km);
    assert_eq!(total_cost(&g, &v), 15_840);
    let q: f64 = g
        .fuel_records(&v.id, Page::ALL)
        .unwrap()
        .iter()
        .map(|f| f.quantity.value)
        .sum();
    assert!(close(q, 88.0), "only litres: {q}");
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::LitresPer100Km),
        vec![2.0, 1.5]
    );
    let avg = average(&g, &v, EconomyUnit::LitresPer100Km).unwrap();
    assert!(close(avg, 48.0 / 2700.0 * 100.0), "{avg}");

    assert_eq!(service_total(&g, &v), 64_300);
    let services = g.service_records(&v.id, None, Page::ALL).unwrap();
    let plugs = services.iter().find(|s| s.title == "Spark plugs").unwrap();
    assert_eq!(
        (plugs.category.as_str(), plugs.notes.as_str()),
        ("Service", "NGK")
    );
    assert!(services
        .iter()
        .all(|s| s.title != "Road tax" && s.title != "Refund"));
    let mut rem = g.reminders(&v.id).unwrap();
    rem.sort_by(|a, b| a.title.cmp(&b.title));
    let brief: Vec<_> = rem
        .iter()
        .map(|r| {
            (
                r.title.as_str(),
                r.due_at.map(|d| d.date().to_string()),
                r.due_odometer.map(|d| d.value),
                r.recur_months,
                r.recur_distance.map(|d| d.value),
            )
        })
        .collect();
    assert_eq!(
        brief,
        vec![
            (
                "Oil change",
                Some("2025-02-10".into()),
                Some(26_900.0),
                Some(12),
                Some(15_000.0)
            ),
            ("Road tax", Some("2025-03-01".into()), None, Some(12), None),
            (
                "Spark plugs",
                Some("2030-06-01".into()),
                Some(72_000.0),
                Some(48),
                Some(60_000.0)
            ),
        ]
    );

    // Re-importing adds nothing.
    let before = snapshot(&g);
    let again = commit(&g, TWO_TANKS, &eur()).unwrap();
    assert_eq!(again.new_records.total(), 0, "{:?}", again.new_records);
    assert_eq!(snapshot(&g), before);
}

#[test]
fn the_cng_tank_imports_in_kg_with_its_own_economy() {
    let (_d, g) = garage();
    let opts = ImportOptions {
        tank: Some(2),
        vehicle: Some("Zafira (CNG)".into()),
        ..eur()
    };
    let r = commit(&g, TWO_TANKS, &opts).unwrap();
    assert_eq!(r.new_records.fuel, 4);
    assert!(
        r.economy_mismatches.is_empty(),
        "{:?}",
        r.economy_mismatches
    );
    let (n, why) = left_out(&r, "tank 1");
    assert_eq!(n, 3);
    assert!(why.contains("tank 2 was imported"), "{why}");
    let v = vehicle(&g, "Zafira (CNG)");
    assert_eq!(v.volume_unit, VolumeUnit::Kilogram);
    assert_eq!(v.fuel_kind, FuelKind::Cng);
    assert_eq!(v.economy_unit, EconomyUnit::KgPer100Km);
    assert_eq!(total_cost(&g, &v), 8_325);
    // The CNG fills name their station by id only: its name comes from ## FavStations.
    let fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    assert!(fuel.iter().all(|f| f.station == "Metano Nord"), "{fuel:?}");
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::KgPer100Km),
        vec![4.0, 4.0, 3.0]
    );
    let avg = average(&g, &v, EconomyUnit::KgPer100Km).unwrap();
    assert!(close(avg, 42.0 / 1150.0 * 100.0), "{avg}");
}

#[test]
fn kg_are_never_added_to_a_litre_vehicle_and_a_missing_tank_is_refused() {
    let (_d, g) = garage();
    commit(&g, TWO_TANKS, &eur()).unwrap();
    let before = snapshot(&g);
    // Tank 2 into the petrol vehicle: refused, naming both units.
    let opts = ImportOptions {
        tank: Some(2),
        ..eur()
    };
    let e = commit(&g, TWO_TANKS, &opts).unwrap_err();
    assert!(
        matches!(&e, Error::Import(ImportError::Vehicle(m)) if m.contains("kg") && m.contains("L")),
        "{e}"
    );
    assert_eq!(snapshot(&g), before);
    let opts = ImportOptions {
        tank: Some(3),
        ..eur()
    };
    let e = commit(&g, TWO_TANKS, &opts).unwrap_err();
    assert!(
        e.to_string().contains("2 tank(s); tank 3 was chosen"),
        "{e}"
    );
    assert_eq!(snapshot(&g), before);
}

#[test]
fn the_zip_backup_imports_like_its_csv() {
    let (dir, g) = garage();
    let csv = std::fs::read(fixture(TWO_TANKS)).unwrap();
    let path = dir.path().join("vehicle-1-sync.csv.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    z.start_file(
        "vehicle-1-sync.csv",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(&csv).unwrap();
    z.finish().unwrap();
    let r = glovebox_core::import::commit(
        &g,
        &path,
        &eur(),
        &|_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(r.format, glovebox_core::import::FormatId::Fuelio);
    let c = r.new_records;
    assert_eq!((c.fuel, c.service, c.reminders), (3, 4, 3));
    assert_eq!(total_cost(&g, &vehicle(&g, "Zafira CNG")), 15_840);
}

/// `fuelio_old_imperial.csv`: the oldest generation, a Log section only, units in its
/// header (`Odo (mi)`, `Fuel (us gallons)`). 300 mi on 10 gal = 30 mpg, 360 mi on 12 gal
/// = 30 mpg (as the file says); $23.50 + $24.00 + $27.60 = $75.10.
#[test]
fn the_oldest_files_have_no_vehicle_section_and_say_their_units_in_the_log_header() {
    let (_d, g) = garage();
    let opts = ImportOptions {
        currency: Some("USD".parse().unwrap()),
        ..ImportOptions::default()
    };
    let r = commit(&g, "fuelio_old_imperial.csv", &opts).unwrap();
    assert_eq!(r.new_records.fuel, 3);
    assert!(
        r.economy_mismatches.is_empty(),
        "{:?}",
        r.economy_mismatches
    );
    let v = vehicle(&g, "Fuelio vehicle");
    assert_eq!(v.distance_unit, DistanceUnit::Mile);
    assert_eq!(v.volume_unit, VolumeUnit::UsGallon);
    assert_eq!(total_cost(&g, &v), 7_510);
    assert_eq!(
        closing_economy(&g, &v, EconomyUnit::MpgUs),
        vec![30.0, 30.0]
    );
}
