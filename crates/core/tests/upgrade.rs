//! A database written by an older Glovebox is upgraded in place, keeping every row exactly.
//!
//! tests/fixtures/schema-v2/garage.db was written by commit 05e338a (schema version 2, the
//! last before the storage rework of issue 10) with write_v2_fixture.rs.txt beside it:
//! every record kind, edits, tombstones (a deleted fill-up, odometer reading and whole
//! vehicle), an undone delete, a completed recurring and one-off reminder, an archived
//! vehicle, rows pulled from another device (clean, one of them a tombstone, one a newer
//! version of a local row), and local_meta with a device id and a sync cursor.
//! rows.json is that commit's dump of every stored row, column by column.

use std::collections::BTreeMap;

use glovebox_core::store::{schema_version, SUPPORTED_SCHEMA_VERSION};
use glovebox_core::{testing, Garage, Page};
use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v2");

fn expected() -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURE}/rows.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn open_copy(dir: &tempfile::TempDir) -> Garage {
    let path = dir.path().join("garage.db");
    std::fs::copy(format!("{FIXTURE}/garage.db"), &path).unwrap();
    Garage::open(&path).unwrap()
}

#[test]
fn every_row_of_a_schema_2_database_survives_the_upgrade_exactly() {
    let want = expected();
    assert_eq!(want["user_version"], 2);
    let dir = tempfile::tempdir().unwrap();
    let g = open_copy(&dir);
    let version = testing::inspect(&g, schema_version).unwrap();
    assert_eq!(version, SUPPORTED_SCHEMA_VERSION);

    let got = testing::all_rows(&g).unwrap();
    let tables = want["tables"].as_object().unwrap();
    assert_eq!(tables.len(), 6);
    for (table, rows) in tables {
        let rows = rows.as_array().unwrap();
        let stored = &got[table];
        assert_eq!(stored.len(), rows.len(), "{table}: row count");
        let by_id: BTreeMap<&str, &testing::Row> = stored
            .iter()
            .map(|r| (r["id"].as_str().unwrap(), r))
            .collect();
        for row in rows {
            let row = row.as_object().unwrap();
            let id = row["id"].as_str().unwrap();
            let now = by_id
                .get(id)
                .unwrap_or_else(|| panic!("{table} {id} is gone"));
            // Every column schema 2 had, with exactly its value (columns a later schema
            // added may come on top).
            for (column, value) in row {
                assert_eq!(now.get(column), Some(value), "{table} {id} column {column}");
            }
        }
    }
}

#[test]
fn the_upgraded_database_keeps_its_identity_settings_and_cursor() {
    let want = expected();
    let dir = tempfile::tempdir().unwrap();
    let g = open_copy(&dir);
    let meta = want["local_meta"].as_object().unwrap();
    assert_eq!(g.device_id(), meta["device_id"].as_str().unwrap());
    for (key, value) in meta {
        assert_eq!(
            g.local_setting(key).unwrap().as_deref(),
            value.as_str(),
            "local_meta {key}"
        );
    }
}

#[test]
fn the_upgraded_database_reads_and_writes_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let g = open_copy(&dir);
    let vehicles = g.vehicles(true).unwrap();
    let names: Vec<&str> = vehicles.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        ["Golf", "Remote van", "Leaf"],
        "live ones, archived last"
    );
    let golf = &vehicles[0];
    // Five fills were typed, one deleted; the first was replaced by a newer remote version.
    let fuel = g.fuel_records(&golf.id, Page::ALL).unwrap();
    assert_eq!(fuel.len(), 4);
    assert!(fuel.iter().any(|f| f.station == "edited on the laptop"));
    assert_eq!(
        g.current_odometer(&golf.id).unwrap().map(|d| d.value),
        Some(12_700.0)
    );
    assert_eq!(
        g.reminders(&golf.id).unwrap().len(),
        2,
        "the one-off is done"
    );
    assert_eq!(
        g.reminder_completions(&golf.id, None, Page::ALL)
            .unwrap()
            .len(),
        2
    );
    // And it takes new writes.
    let v = g
        .create_vehicle(&glovebox_core::vehicles::VehicleInput::new("New"))
        .unwrap();
    assert_eq!(g.vehicle(&v.id).unwrap().name, "New");
}

#[test]
fn an_upgraded_database_keeps_its_page_size_and_a_new_one_gets_the_larger_pages() {
    let dir = tempfile::tempdir().unwrap();
    let old = open_copy(&dir);
    assert_eq!(testing::page_size(&old).unwrap(), 4096);
    let new = Garage::open(dir.path().join("new.db")).unwrap();
    assert_eq!(testing::page_size(&new).unwrap(), 16 * 1024);
    // The benchmarks' baseline: a file made with the old page size keeps it.
    let path = dir.path().join("small-pages.db");
    testing::create_with_page_size(&path, 4096).unwrap();
    let small = Garage::open(&path).unwrap();
    assert_eq!(testing::page_size(&small).unwrap(), 4096);
    assert_eq!(
        testing::inspect(&small, schema_version).unwrap(),
        SUPPORTED_SCHEMA_VERSION
    );
}
