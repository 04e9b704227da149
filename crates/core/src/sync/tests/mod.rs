//! Database-side sync rules, without a server: LWW apply, cursor with the page and dirty
//! clearing that spares newer edits (here); per-row checks and quarantine (`apply`); the
//! HLC high-water mark, rejected versions, a restored or copied database and backups
//! (`local`).

mod apply;
mod local;

use chrono::NaiveDate;
use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable};

use super::{cursor, quarantine, quarantined_rows, rejected};
use crate::fuel::FuelInput;
use crate::reminders::{ReminderInput, Schedule, Thresholds};
use crate::store::sync_rows::{self as rows, clear_dirty, read_dirty};
use crate::vehicles::VehicleInput;
use crate::{Garage, RecordKind, WriteOptions};

pub(super) fn garage() -> (tempfile::TempDir, Garage) {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    (dir, g)
}

pub(super) fn fuel(vehicle_id: &str, notes: &str) -> FuelInput {
    FuelInput {
        vehicle_id: vehicle_id.into(),
        occurred_at: NaiveDate::from_ymd_opt(2024, 3, 1)
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

pub(super) fn dirty(g: &Garage) -> Vec<SyncRow> {
    g.store().read("t", |c| read_dirty(c, 1000)).unwrap()
}

pub(super) fn pending(g: &Garage) -> u64 {
    super::pending_changes(g).unwrap()
}

pub(super) fn saved_cursor(g: &Garage) -> u64 {
    g.store().read("t", cursor::load).unwrap().cursor
}

pub(super) fn now_ms() -> u64 {
    crate::time::now_millis() as u64
}

/// Every row of `g` (as a backup sees it).
pub(super) fn all_rows(g: &Garage) -> Vec<SyncRow> {
    g.store()
        .read("t", |c| {
            let mut out = Vec::new();
            crate::sync::for_each_row(c, |r| {
                out.push(r);
                Ok(())
            })?;
            Ok(out)
        })
        .unwrap()
}

pub(super) fn hlc_of(g: &Garage, table: SyncTable, id: &str) -> Hlc {
    all_rows(g)
        .into_iter()
        .find(|r| r.table == table.name() && r.id == id)
        .unwrap()
        .hlc
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
    assert_eq!((out.applied, out.quarantined), (2, 0));
    assert_eq!(b.fuel_record(&v.id, &f.id).unwrap(), f);
    assert_eq!(b.vehicle(&v.id).unwrap(), v);
    assert_eq!(pending(&b), 0, "applied rows are clean");
    assert_eq!(saved_cursor(&b), 7);
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
fn a_row_stamped_too_far_ahead_is_quarantined_and_the_rest_applies() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    a.add_fuel(&fuel(&v.id, "x"), WriteOptions::CONFIRMED)
        .unwrap();
    let mut rows = dirty(&a);
    let far = now_ms() + glovebox_protocol::MAX_CLOCK_DRIFT_MS + 60_000;
    rows[1].hlc = Hlc::new(far, 0, "ee");
    let out = b.apply_remote(&rows, 9).unwrap();
    assert_eq!((out.applied, out.quarantined), (1, 1));
    assert_eq!(b.vehicles(true).unwrap().len(), 1);
    assert_eq!(saved_cursor(&b), 9, "the cursor moves on");
    let q = quarantined_rows(&b).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].code, "clock_ahead");
    assert!(q[0].reason.contains("check the date and time"), "{q:?}");
    // The far clock did not leak into ours.
    assert!(b.clock().tick().millis < far);
    // Nor does a counter no clock issues (it would push every later write ahead).
    let mut huge = dirty(&a).remove(1);
    huge.id = uuid::Uuid::now_v7().to_string();
    huge.hlc = Hlc::new(now_ms(), glovebox_protocol::hlc::MAX_COUNTER + 1, "ee");
    assert_eq!(b.apply_remote(&[huge], 10).unwrap().quarantined, 1);
    assert!(quarantined_rows(&b)
        .unwrap()
        .iter()
        .any(|q| q.code == "counter_too_large"));
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
        .map(|r| (SyncTable::from_name(&r.table).unwrap(), r.id, r.hlc))
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
    a.delete(RecordKind::Fuel, &f.id).unwrap();
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
        pos = Some((
            SyncTable::from_name(&last.table).unwrap(),
            last.hlc.to_string(),
            last.id.clone(),
        ));
        seen.extend(batch.into_iter().map(|r| r.id));
    }
    assert_eq!(seen.len(), 6);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "no row twice");
}

/// A new vehicle on `g` and its row as a push would send it.
pub(super) fn vehicle_row(g: &Garage) -> (String, SyncRow) {
    let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let row = dirty(g).into_iter().find(|r| r.id == v.id).unwrap();
    (v.id, row)
}
