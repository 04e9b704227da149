//! What the import tests share: a real garage in a temp dir, the fixtures, a snapshot of
//! everything in the database (to prove a refusal wrote nothing), and the figures a test
//! checks against its hand computation (totals, closing economies, the average).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use glovebox_core::economy::{self, FillRole, FillUp};
use glovebox_core::export::backup;
use glovebox_core::import::{self, BytesSource, ImportOptions, ImportReport};
use glovebox_core::units::{Currency, DistanceUnit, EconomyUnit, VolumeUnit};
use glovebox_core::vehicles::Vehicle;
use glovebox_core::{Garage, Page};

pub fn garage() -> (tempfile::TempDir, Garage) {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    (dir, g)
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

pub fn commit(g: &Garage, name: &str, opts: &ImportOptions) -> glovebox_core::Result<ImportReport> {
    import::commit(g, &fixture(name), opts, &|_| {}, &AtomicBool::new(false))
}

pub fn preview(
    g: &Garage,
    name: &str,
    opts: &ImportOptions,
) -> glovebox_core::Result<ImportReport> {
    import::preview(g, &fixture(name), opts)
}

pub fn commit_bytes(
    g: &Garage,
    bytes: &[u8],
    opts: &ImportOptions,
) -> glovebox_core::Result<ImportReport> {
    import::commit_source(
        g,
        &BytesSource(bytes),
        opts,
        &|_| {},
        &AtomicBool::new(false),
    )
}

/// Everything in the database, as the backup sees it (minus its timestamp).
pub fn snapshot(g: &Garage) -> String {
    let mut out = Vec::new();
    backup::write(g, &mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    let i = s.find("\"created_at\"").unwrap();
    // The first `,"` after the key ends its value (a timestamp).
    let j = i + s[i..].find(",\"").unwrap();
    format!("{}{}", &s[..i], &s[j + 1..])
}

pub fn vehicle(g: &Garage, name: &str) -> Vehicle {
    g.vehicles(true)
        .unwrap()
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vehicle {name}"))
}

fn summary(g: &Garage, v: &Vehicle) -> economy::EconomySummary {
    let mut fills: Vec<FillUp> = g
        .fuel_records(&v.id, Page::ALL)
        .unwrap()
        .iter()
        .map(FillUp::from)
        .collect();
    fills.reverse();
    economy::compute(&fills, v.distance_unit, v.volume_unit)
}

/// Economy of each fill that closes a valid segment, oldest first, in `unit`, to 3 places.
pub fn closing_economy(g: &Garage, v: &Vehicle, unit: EconomyUnit) -> Vec<f64> {
    summary(g, v)
        .fills
        .iter()
        .filter(|f| matches!(f.role, FillRole::Closes { .. }))
        .map(|f| {
            let e = f.economy.unwrap().value_in(unit).unwrap();
            (e * 1000.0).round() / 1000.0
        })
        .collect()
}

/// The lifetime average the dashboard shows (the engine over every stored fill), in `unit`.
pub fn average(g: &Garage, v: &Vehicle, unit: EconomyUnit) -> Option<f64> {
    summary(g, v).average.and_then(|e| e.value_in(unit))
}

pub fn total_cost(g: &Garage, v: &Vehicle) -> i64 {
    g.fuel_records(&v.id, Page::ALL)
        .unwrap()
        .iter()
        .map(|r| r.total_cost.minor)
        .sum()
}

pub fn service_total(g: &Garage, v: &Vehicle) -> i64 {
    g.service_records(&v.id, None, Page::ALL)
        .unwrap()
        .iter()
        .map(|r| r.cost.minor)
        .sum()
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

/// Options with the currency the fixtures' apps do not write down.
pub fn eur() -> ImportOptions {
    ImportOptions {
        currency: Some(Currency::EUR),
        ..ImportOptions::default()
    }
}

/// km, litres and euros, for files that carry no units (LubeLogger CSVs, Drivvo).
pub fn metric() -> ImportOptions {
    ImportOptions {
        distance_unit: Some(DistanceUnit::Kilometre),
        volume_unit: Some(VolumeUnit::Litre),
        ..eur()
    }
}
