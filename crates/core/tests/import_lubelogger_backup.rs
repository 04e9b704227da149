//! LubeLogger's own demo backup (hargata/lubelog `wwwroot/defaults/demo_default.zip` at
//! commit 95e811b7b071837b53210ba3b2db38e2c3abaf21, MIT, © 2024 Hargata Softworks), and
//! damaged zips that must be refused without a panic or a write.
//!
//! The expected figures were computed by hand from the database, independently of this
//! importer: the file's collections were dumped with the `vrc-get-litedb` crate (another
//! LiteDB reader) and the .NET decimals summed exactly with Python's `Fraction`:
//! - counts: vehicles 1, gasrecords 109 (all full, none missed), servicerecords 22,
//!   collisionrecords 34, upgraderecords 13, taxrecords 3, odometerrecords 110,
//!   reminderrecords 1 (supplyrecords 10 and 2 user accounts are left out);
//! - costs: fuel 14445/4 = $3,611.25, service $1,586.97, repair $1,763.83, upgrade
//!   $625.07, tax $210.50;
//! - economy: fills sorted by odometer, full to full: 108 segments from 204,836 to
//!   222,647 mi = 17,811 mi on 1,064.57 gal (all gallons but the first fill's 8.331) =
//!   16.7307 mpg (US).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use glovebox_core::economy::{self, FillUp};
use glovebox_core::import::{self, BytesSource, FormatId, ImportOptions, Need};
use glovebox_core::service::ServiceKind;
use glovebox_core::units::{Currency, DistanceUnit, EconomyUnit, VolumeUnit};
use glovebox_core::{Garage, Page};
use proptest::prelude::*;

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/lubelogger/demo_default.zip")
}

fn garage() -> (tempfile::TempDir, Garage) {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    (dir, g)
}

fn usd() -> ImportOptions {
    ImportOptions {
        currency: Some(Currency::USD),
        ..ImportOptions::default()
    }
}

#[test]
fn the_demo_backup_imports_every_record() {
    let (_d, g) = garage();
    let p = import::preview(&g, &demo(), &ImportOptions::default()).unwrap();
    assert_eq!(p.format, FormatId::LubeloggerBackup);
    assert!(p.detected[0].confidence >= 90);
    // LubeLogger has no currency setting: asked for, never assumed.
    assert_eq!(
        p.needs,
        vec![Need::Units {
            source_name: "1992 Jeep Cherokee".into(),
            fields: vec!["currency".into()]
        }]
    );
    assert!(p.odometer_flags.is_empty(), "{:?}", p.odometer_flags);
    let secrets = p
        .left_out
        .iter()
        .find(|l| l.what.contains("password"))
        .unwrap();
    assert_eq!(secrets.count, 2, "the user record and the root user's hash");
    assert!(p
        .left_out
        .iter()
        .any(|l| l.what.contains("supplies") && l.count == 10));
    assert_eq!(p.attachments.len(), 1);
    assert!(p.attachments[0].location.starts_with("/images/"));

    let r = import::commit(&g, &demo(), &usd(), &|_| {}, &AtomicBool::new(false)).unwrap();
    let c = r.new_records;
    assert_eq!(
        (
            c.vehicles,
            c.fuel,
            c.service,
            c.repair,
            c.upgrade,
            c.tax,
            c.odometer,
            c.reminders
        ),
        (1, 109, 72, 34, 13, 3, 110, 1)
    );
    assert_eq!(r.duplicates, 0);
    let v = &g.vehicles(true).unwrap()[0];
    assert_eq!(v.name, "1992 Jeep Cherokee");
    assert_eq!(
        (v.make.as_str(), v.model.as_str(), v.plate.as_str()),
        ("Jeep", "Cherokee", "MOMWAGON")
    );
    assert_eq!(v.distance_unit, DistanceUnit::Mile);
    assert_eq!(v.volume_unit, VolumeUnit::UsGallon);
    assert_eq!(v.economy_unit, EconomyUnit::MpgUs);
    assert_eq!(r.created_vehicle_ids(), vec![v.id.clone()]);

    let fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    assert_eq!(
        fuel.iter().map(|f| f.total_cost.minor).sum::<i64>(),
        361_125
    );
    // Exact decimals: 8.331 gal, $16.24 on the first fill; dated in the server's zone.
    let first = fuel.iter().find(|f| f.odometer.value == 204_836.0).unwrap();
    assert_eq!(first.quantity.value, 8.331);
    assert_eq!(first.total_cost.minor, 1624);
    assert_eq!(first.occurred_at.date().to_string(), "2020-05-07");
    let services = g.service_records(&v.id, None, Page::ALL).unwrap();
    let sum = |k: ServiceKind, tax: bool| -> i64 {
        services
            .iter()
            .filter(|s| s.kind == k && (s.category == "Tax") == tax)
            .map(|s| s.cost.minor)
            .sum()
    };
    assert_eq!(sum(ServiceKind::Service, false), 158_697);
    assert_eq!(sum(ServiceKind::Repair, false), 176_383);
    assert_eq!(sum(ServiceKind::Upgrade, false), 62_507);
    assert_eq!(sum(ServiceKind::Service, true), 21_050);
    let odo = g.odometer_records(&v.id, Page::ALL).unwrap();
    let auto = odo.iter().find(|o| o.odometer.value == 204_836.0).unwrap();
    assert_eq!(
        auto.occurred_at.date(),
        first.occurred_at.date(),
        "same local day"
    );

    let mut fills: Vec<FillUp> = fuel.iter().map(FillUp::from).collect();
    fills.reverse();
    let s = economy::compute(&fills, v.distance_unit, v.volume_unit);
    assert_eq!(s.segments.len(), 108);
    assert_eq!(s.distance.value, 17_811.0);
    assert!((s.fuel.value - 1064.57).abs() < 1e-9, "{}", s.fuel.value);
    let mpg = s.average.unwrap().value_in(EconomyUnit::MpgUs).unwrap();
    assert!((mpg - 16.7307).abs() < 1e-4, "{mpg}");

    let rem = g.reminders(&v.id).unwrap();
    assert_eq!(rem.len(), 1);
    assert_eq!(rem[0].title, "Oil Change");
    assert_eq!(rem[0].due_odometer.map(|d| d.value), Some(225_000.0));
    assert_eq!(rem[0].recur_distance.map(|d| d.value), Some(5_000.0));

    // Again: every record is already there.
    let again = import::commit(&g, &demo(), &usd(), &|_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(again.new_records.total(), 0);
    assert_eq!(again.duplicates, 109 + 72 + 110 + 1);
}

/// Everything in the database, to compare before and after a refused import.
fn count_all(g: &Garage) -> usize {
    g.vehicles(true).unwrap().len()
}

/// A zip holding `files` (stored, not deflated).
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in files {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

fn demo_db() -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(demo()).unwrap()).unwrap();
    let mut f = z.by_name("data/cartracker.db").unwrap();
    let mut buf = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut buf).unwrap();
    buf
}

fn refused_without_writing(bytes: &[u8]) {
    let (_d, g) = garage();
    let opts = ImportOptions {
        format: Some(FormatId::LubeloggerBackup),
        ..usd()
    };
    let src = BytesSource(bytes);
    let _ = import::preview_source(&g, &src, &opts);
    match import::commit_source(&g, &src, &opts, &|_| {}, &AtomicBool::new(false)) {
        Ok(r) => assert!(r.committed),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert_eq!(count_all(&g), 0, "a refused import wrote: {e}");
        }
    }
}

#[test]
fn damaged_backups_are_refused_with_a_reason() {
    let (_d, g) = garage();
    let opts = ImportOptions {
        format: Some(FormatId::LubeloggerBackup),
        ..usd()
    };
    let no_db = zip_of(&[("config/userConfig.json", b"{}")]);
    let e = import::commit_source(
        &g,
        &BytesSource(&no_db),
        &opts,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap_err();
    assert!(e.to_string().contains("cartracker.db"), "{e}");
    let not_lite = zip_of(&[("data/cartracker.db", &[7u8; 9000])]);
    let e = import::commit_source(
        &g,
        &BytesSource(&not_lite),
        &opts,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap_err();
    assert!(e.to_string().contains("LiteDB"), "{e}");
    let full = std::fs::read(demo()).unwrap();
    let e = import::commit_source(
        &g,
        &BytesSource(&full[..full.len() / 2]),
        &opts,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap_err();
    assert!(e.to_string().contains("zip"), "{e}");
    assert_eq!(count_all(&g), 0);
}

// Cases sized for CI; a longer run: PROPTEST_CASES=20000 cargo test --release -p
// glovebox-core --test import_lubelogger_backup (docs/IMPORT.md, "Fuzzing").
proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_bytes_never_panic_or_write(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        refused_without_writing(&bytes);
    }

    #[test]
    fn truncated_demo_zips_never_panic_or_write(cut in 0usize..76_032) {
        let full = std::fs::read(demo()).unwrap();
        refused_without_writing(&full[..cut.min(full.len())]);
    }

    #[test]
    fn damaged_databases_never_panic_or_write(
        flips in proptest::collection::vec((0usize..393_216, any::<u8>()), 1..24),
        cut in proptest::option::of(0usize..393_216),
    ) {
        let mut db = demo_db();
        for (at, b) in flips {
            let i = at % db.len();
            db[i] = b;
        }
        if let Some(c) = cut {
            db.truncate(c);
        }
        refused_without_writing(&zip_of(&[("data/cartracker.db", &db)]));
    }
}
