//! Leaving and coming back: JSON backup → restore → backup is identical; Glovebox's CSV
//! export re-imports to the same records; reminders as iCalendar.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;
use glovebox_core::export::{self, backup, CsvKind};
use glovebox_core::generator::{self, DatasetSize, GeneratorConfig};
use glovebox_core::import::{self, BytesSource, ImportOptions};
use glovebox_core::reminders::CompletionInput;
use glovebox_core::service::ServiceKind;
use glovebox_core::{Garage, Page, WriteOptions};

fn garage() -> (tempfile::TempDir, Garage) {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    (dir, g)
}

fn without_timestamp(json: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(json).unwrap();
    v.as_object_mut().unwrap().remove("created_at");
    v
}

#[test]
fn backup_restore_backup_is_identical() {
    let (_d1, g) = garage();
    let s = generator::generate(
        &g,
        &GeneratorConfig::new(
            DatasetSize::Demo,
            7,
            NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        ),
    )
    .unwrap();
    assert!(s.reminders > 0);
    // A completion of one reminder, an archived vehicle and a user setting, so every part
    // of the backup is exercised.
    let v0 = &s.vehicle_ids[0];
    let reminder = g.reminders(v0).unwrap().remove(0);
    g.complete_reminder(
        &reminder.id,
        &CompletionInput {
            completed_at: NaiveDate::from_ymd_opt(2026, 5, 1)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
            odometer: None,
            notes: "done, finally".into(),
            service: None,
        },
        WriteOptions::CONFIRMED,
    )
    .unwrap();
    g.set_vehicle_archived(&s.vehicle_ids[2], true).unwrap();
    g.set_local_setting("pref.theme", "dark").unwrap();

    let mut first = Vec::new();
    let n = backup::write(&g, &mut first).unwrap();
    assert_eq!(n, s.records() + 1);
    let json = String::from_utf8(first.clone()).unwrap();
    assert!(json.contains("\"pref.theme\":\"dark\""));
    assert!(
        !json.contains("device_id"),
        "the device id stays with the installation"
    );

    let (_d2, g2) = garage();
    let restored = backup::restore(&g2, &mut first.as_slice()).unwrap();
    assert_eq!(restored.completions, 1);
    assert_eq!(restored.fuel, s.fuel);
    let mut second = Vec::new();
    backup::write(&g2, &mut second).unwrap();
    assert_eq!(without_timestamp(&first), without_timestamp(&second));

    // Restore only into an empty database.
    let e = backup::restore(&g2, &mut first.as_slice()).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let e = backup::restore(&g2, &mut b"{\"format\":\"other\"}".as_slice()).unwrap_err();
    assert_eq!(e.code(), "validation");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

#[test]
fn csv_export_reimports_to_the_same_records() {
    let (_d, g) = garage();
    let never = AtomicBool::new(false);
    let opts = eur();
    import::commit(&g, &fixture("fuelio.csv"), &opts, &|_| {}, &never).unwrap();
    import::commit(&g, &fixture("fuelly.csv"), &opts, &|_| {}, &never).unwrap();
    // Repairs too: the export's Type column keeps the kind across the round trip.
    let repair = ImportOptions {
        format: Some(import::FormatId::LubeloggerRepair),
        vehicle: Some("Octavia".into()),
        // Its readings do not fit Octavia's history: the typo guard flags them.
        odometer_default: Some(import::OdometerAction::Confirm),
        ..eur()
    };
    let r = import::commit(
        &g,
        &fixture("lubelogger_service.csv"),
        &repair,
        &|_| {},
        &never,
    )
    .unwrap();
    assert_eq!(r.new_records.service, 2);
    let (_d2, g2) = garage();
    for v in g.vehicles(true).unwrap() {
        // A CSV names no units (LubeLogger's neither): the user imports into a vehicle
        // set up with the same units, as they would when moving back from LubeLogger.
        g2.create_vehicle(&glovebox_core::vehicles::VehicleInput::from(&v))
            .unwrap();
        for kind in [CsvKind::Fuel, CsvKind::Service, CsvKind::Odometer] {
            let mut out = Vec::new();
            export::csv(&g, &v.id, kind, &mut out).unwrap();
            let opts = ImportOptions {
                vehicle: Some(v.name.clone()),
                format: Some(match kind {
                    CsvKind::Fuel => import::FormatId::LubeloggerFuel,
                    CsvKind::Service => import::FormatId::LubeloggerService,
                    CsvKind::Odometer => import::FormatId::LubeloggerOdometer,
                }),
                // The confirmed backwards reading above is in the export too.
                odometer_default: Some(import::OdometerAction::Confirm),
                ..eur()
            };
            let r = import::commit_source(&g2, &BytesSource(&out), &opts, &|_| {}, &never).unwrap();
            assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
            assert!(
                r.economy_mismatches.is_empty(),
                "our own economy column must agree with itself: {:?}",
                r.economy_mismatches
            );
        }
        let v2 = export::vehicle_by_name(&g2, &v.name).unwrap();
        let strip_fuel = |g: &Garage, id: &str| {
            let mut recs = g.fuel_records(id, Page::ALL).unwrap();
            for r in &mut recs {
                r.id.clear();
                r.vehicle_id.clear();
            }
            recs
        };
        assert_eq!(strip_fuel(&g, &v.id), strip_fuel(&g2, &v2.id));
        let strip_service = |g: &Garage, id: &str| {
            let mut recs = g.service_records(id, None, Page::ALL).unwrap();
            for r in &mut recs {
                r.id.clear();
                r.vehicle_id.clear();
            }
            recs.sort_by(|a, b| a.title.cmp(&b.title));
            recs
        };
        assert_eq!(strip_service(&g, &v.id), strip_service(&g2, &v2.id));
        if v.name == "Octavia" {
            let kinds: Vec<_> = strip_service(&g2, &v2.id).iter().map(|s| s.kind).collect();
            assert_eq!(
                kinds.iter().filter(|k| **k == ServiceKind::Repair).count(),
                2
            );
        }
        assert!(!g.fuel_records(&v.id, Page::ALL).unwrap().is_empty());
    }
}

#[test]
fn reminders_export_as_icalendar() {
    let (_d, g) = garage();
    let never = AtomicBool::new(false);
    import::commit(&g, &fixture("fuelio.csv"), &eur(), &|_| {}, &never).unwrap();
    let v = export::vehicle_by_name(&g, "Octavia").unwrap();
    let id = g.reminders(&v.id).unwrap()[0].id.clone();
    let mut out = Vec::new();
    assert_eq!(export::ics::write(&g, Some(&v.id), &mut out).unwrap(), 1);
    let ics = String::from_utf8(out).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(ics.contains(&format!("UID:{id}\r\n")));
    assert!(ics.contains("DTSTART;VALUE=DATE:20250210\r\n"));
    assert!(ics.contains("RRULE:FREQ=MONTHLY;INTERVAL=12\r\n"));
    assert!(ics.contains("SUMMARY:Octavia: Oil change\r\n"));
    assert!(ics.contains("DTSTAMP:"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
    }
}

/// Options with the currency the fixtures' apps do not write down (and, for files that
/// carry no units at all, the units: see `lube`).
fn eur() -> ImportOptions {
    ImportOptions {
        currency: Some(glovebox_core::units::Currency::EUR),
        ..ImportOptions::default()
    }
}
