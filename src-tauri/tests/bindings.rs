//! The UI's TypeScript types (ui/src/lib/bindings/) are generated from the Rust types the
//! commands exchange. This test regenerates them and fails if the committed files differ,
//! so a change on one side cannot silently break the other. The same holds for the
//! catalog (catalog.ts: unit labels, currency digits, urgency order).
//!
//! Regenerate with: UPDATE_BINDINGS=1 cargo test -p glovebox-desktop --test bindings

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glovebox_core::charts::ChartTheme;
use glovebox_core::fuel::{FuelInput, FuelRecord};
use glovebox_core::odometer::{OdometerInput, OdometerRecord};
use glovebox_core::reminders::{Reminder, ReminderInput};
use glovebox_core::service::{ServiceInput, ServiceRecord};
use glovebox_core::vehicles::{Vehicle, VehicleInput};
use glovebox_core::{ErrorPayload, RecordKind, WriteOptions};
use ts_rs::TS;

fn generate(dir: &Path) {
    // Each call also writes the types these depend on (units, money, schedule, ...).
    let results = [
        Vehicle::export_all_to(dir),
        VehicleInput::export_all_to(dir),
        FuelInput::export_all_to(dir),
        FuelRecord::export_all_to(dir),
        ServiceInput::export_all_to(dir),
        ServiceRecord::export_all_to(dir),
        OdometerInput::export_all_to(dir),
        OdometerRecord::export_all_to(dir),
        ReminderInput::export_all_to(dir),
        Reminder::export_all_to(dir),
        RecordKind::export_all_to(dir),
        WriteOptions::export_all_to(dir),
        ErrorPayload::export_all_to(dir),
        ChartTheme::export_all_to(dir),
        glovebox_core::charts::ChartKind::export_all_to(dir),
        glovebox_core::reports::overview::GarageOverview::export_all_to(dir),
        glovebox_core::reports::dashboard::Dashboard::export_all_to(dir),
        glovebox_core::reports::fuel_report::FuelReport::export_all_to(dir),
        glovebox_core::reminders::urgency::ReminderStatus::export_all_to(dir),
        glovebox_core::reminders::completion::CompletionInput::export_all_to(dir),
        glovebox_core::perf::Health::export_all_to(dir),
        glovebox_core::app::Changed::export_all_to(dir),
        glovebox_core::app::SyncSettings::export_all_to(dir),
        glovebox_core::sync::SyncProblems::export_all_to(dir),
        glovebox_core::sync::Counts::export_all_to(dir),
        glovebox_core::app::SignIn::export_all_to(dir),
        glovebox_core::app::SignedOut::export_all_to(dir),
        glovebox_core::app::SyncSummary::export_all_to(dir),
        glovebox_core::app::FuelLog::export_all_to(dir),
        glovebox_core::app::ServiceLog::export_all_to(dir),
        glovebox_core::app::OdometerLog::export_all_to(dir),
        glovebox_core::app::Restored::export_all_to(dir),
        glovebox_core::import::ImportReport::export_all_to(dir),
        glovebox_core::import::ImportOptions::export_all_to(dir),
        glovebox_core::import::Progress::export_all_to(dir),
    ];
    for r in results {
        r.expect("ts-rs export");
    }
    // Not a type but data: unit labels, currency digits, urgency order (one home: Rust).
    std::fs::write(dir.join("catalog.ts"), glovebox_core::catalog::typescript()).unwrap();
    // ts-rs types i64/u64 as `bigint`, but serde_json sends them as JSON numbers, which
    // JavaScript parses as `number` (exact to 2^53: far beyond any amount in minor units,
    // count or duration here). Type them as what the UI really receives.
    for (name, text) in read_dir(dir) {
        if text.contains("bigint") {
            std::fs::write(dir.join(name), text.replace("bigint", "number")).unwrap();
        }
    }
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ts") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings")
}

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path());
    let fresh = read_dir(tmp.path());
    assert!(
        fresh.contains_key("Vehicle.ts") && fresh.contains_key("Currency.ts"),
        "{fresh:?}"
    );

    let committed_path = committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(&committed_path).unwrap();
        for (name, _) in read_dir(&committed_path) {
            if !fresh.contains_key(&name) {
                std::fs::remove_file(committed_path.join(name)).unwrap();
            }
        }
        for (name, text) in &fresh {
            std::fs::write(committed_path.join(name), text).unwrap();
        }
    }
    let committed = read_dir(&committed_path);
    let stale: Vec<&String> = fresh
        .keys()
        .chain(committed.keys())
        .filter(|n| fresh.get(*n) != committed.get(*n))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/lib/bindings is stale ({stale:?}); regenerate with \
         UPDATE_BINDINGS=1 cargo test -p glovebox-desktop --test bindings"
    );
}
