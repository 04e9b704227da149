//! Database-side sync rules, without a server: LWW apply, cursor with the page, drift
//! refusal, and dirty clearing that spares newer edits.

use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::Hlc;

use super::rows::{self, clear_dirty, read_dirty};
use super::SyncError;
use crate::fuel::FuelInput;
use crate::vehicles::VehicleInput;
use crate::{Garage, WriteOptions};

fn garage() -> (tempfile::TempDir, Garage) {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    (dir, g)
}

fn fuel(vehicle_id: &str, notes: &str) -> FuelInput {
    FuelInput {
        vehicle_id: vehicle_id.into(),
        occurred_at: chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        odometer: 1000.0,
        quantity: 40.0,
        total_cost_minor: 5000,
        is_full: true,
        missed_previous: false,
        station: String::new(),
        notes: notes.into(),
        tags: vec![],
    }
}

fn dirty(g: &Garage) -> Vec<SyncRow> {
    g.store().read("t", |c| read_dirty(c, 1000)).unwrap()
}

fn pending(g: &Garage) -> u64 {
    super::pending_changes(g).unwrap()
}

#[test]
fn rows_read_on_one_device_apply_identically_on_another() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let f = a
        .add_fuel(&fuel(&v.id, "hi"), WriteOptions::CONFIRMED)
        .unwrap();
    let rows = dirty(&a);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].table, "vehicles", "vehicles go first");
    let out = b.apply_remote(&rows, 7).unwrap();
    assert_eq!(out.applied, 2);
    assert_eq!(b.fuel_record(&v.id, &f.id).unwrap(), f);
    assert_eq!(b.vehicle(&v.id).unwrap(), v);
    assert_eq!(pending(&b), 0, "applied rows are clean");
    assert_eq!(b.store().read("t", rows::cursor).unwrap(), 7);
}

#[test]
fn last_writer_wins_by_hlc_both_ways() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let f = a
        .add_fuel(&fuel(&v.id, "a1"), WriteOptions::CONFIRMED)
        .unwrap();
    b.apply_remote(&dirty(&a), 2).unwrap();
    let old = dirty(&a);
    // b edits later: a's old version must not overwrite it.
    b.clock().observe(&old[1].hlc).unwrap();
    b.update_fuel(&f.id, &fuel(&v.id, "b1"), WriteOptions::CONFIRMED)
        .unwrap();
    let out = b.apply_remote(&old, 3).unwrap();
    assert_eq!((out.applied, out.skipped), (0, 2));
    assert_eq!(b.fuel_record(&v.id, &f.id).unwrap().notes, "b1");
    assert_eq!(pending(&b), 1, "b's own edit still goes out");
    // A newer remote version overwrites b's dirty edit and leaves it clean.
    let mut newer = dirty(&b);
    newer[0].hlc = Hlc::new(newer[0].hlc.millis + 1, 0, "ff");
    newer[0].data.insert("notes".into(), "remote".into());
    assert_eq!(b.apply_remote(&newer, 4).unwrap().applied, 1);
    assert_eq!(b.fuel_record(&v.id, &f.id).unwrap().notes, "remote");
    assert_eq!(pending(&b), 0);
}

#[test]
fn a_clock_too_far_ahead_refuses_the_whole_page() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let mut rows = dirty(&a);
    let far = rows[0].hlc.millis + glovebox_protocol::MAX_CLOCK_DRIFT_MS + 60_000;
    rows[0].hlc = Hlc::new(far, 0, "ee");
    let err = b.apply_remote(&rows, 9).unwrap_err();
    assert!(matches!(err, SyncError::Clock(_)), "{err}");
    assert!(err.to_string().contains("check the date and time"), "{err}");
    assert!(b.vehicles(true).unwrap().is_empty());
    assert_eq!(
        b.store().read("t", rows::cursor).unwrap(),
        0,
        "cursor not moved"
    );
}

#[test]
fn clearing_an_acknowledged_version_keeps_a_newer_edit_dirty() {
    let (_d, g) = garage();
    let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let f = g
        .add_fuel(&fuel(&v.id, "v1"), WriteOptions::CONFIRMED)
        .unwrap();
    let in_flight: Vec<_> = dirty(&g)
        .into_iter()
        .map(|r| (r.table, r.id, r.hlc))
        .collect();
    // Edited while the push of v1 was in flight.
    g.update_fuel(&f.id, &fuel(&v.id, "v2"), WriteOptions::CONFIRMED)
        .unwrap();
    g.store()
        .write("t", |tx| clear_dirty(tx, &in_flight))
        .unwrap();
    let left = dirty(&g);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, f.id);
    assert_eq!(left[0].data["notes"], "v2");
}

#[test]
fn tombstones_travel_and_hide_the_record() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let f = a
        .add_fuel(&fuel(&v.id, "x"), WriteOptions::CONFIRMED)
        .unwrap();
    b.apply_remote(&dirty(&a), 1).unwrap();
    a.delete(crate::RecordKind::Fuel, &f.id).unwrap();
    let rows = dirty(&a);
    assert!(rows.iter().any(|r| r.id == f.id && r.deleted));
    b.apply_remote(&rows, 2).unwrap();
    assert!(b.fuel_record(&v.id, &f.id).is_err());
}

#[test]
fn keyset_reads_return_each_dirty_row_once_even_with_shared_hlcs() {
    let (_d, g) = garage();
    let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    for _ in 0..5 {
        g.add_fuel(&fuel(&v.id, "x"), WriteOptions::CONFIRMED)
            .unwrap();
    }
    // A vehicle delete stamps the vehicle and all five records with one HLC.
    g.delete_vehicle(&v.id).unwrap();
    let mut seen = Vec::new();
    let mut pos: Option<rows::DirtyPosition> = None;
    for _ in 0..10 {
        let batch = g
            .store()
            .read("t", |c| rows::read_dirty_after(c, 2, pos.as_ref()))
            .unwrap();
        let Some(last) = batch.last() else { break };
        pos = Some((last.table.clone(), last.hlc.to_string(), last.id.clone()));
        seen.extend(batch.into_iter().map(|r| r.id));
    }
    assert_eq!(seen.len(), 6);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "no row twice");
}
