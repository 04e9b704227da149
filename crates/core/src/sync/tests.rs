//! Database-side sync rules, without a server: LWW apply, cursor with the page, per-row
//! checks and quarantine, the HLC high-water mark, rejected versions held back, the
//! open-time checks (restored copy, upgrade), and dirty clearing that spares newer edits.

use chrono::NaiveDate;
use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable};

use super::rows::{self, clear_dirty, read_dirty};
use super::{cursor, quarantine, quarantined_rows, rejected};
use crate::fuel::FuelInput;
use crate::reminders::{ReminderInput, Schedule, Thresholds};
use crate::vehicles::VehicleInput;
use crate::{Garage, RecordKind, WriteOptions};

fn garage() -> (tempfile::TempDir, Garage) {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    (dir, g)
}

fn fuel(vehicle_id: &str, notes: &str) -> FuelInput {
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

fn dirty(g: &Garage) -> Vec<SyncRow> {
    g.store().read("t", |c| read_dirty(c, 1000)).unwrap()
}

fn pending(g: &Garage) -> u64 {
    super::pending_changes(g).unwrap()
}

fn saved_cursor(g: &Garage) -> u64 {
    g.store().read("t", cursor::load).unwrap().cursor
}

fn now_ms() -> u64 {
    crate::time::now_millis() as u64
}

/// Every row of `g` (as a backup sees it).
fn all_rows(g: &Garage) -> Vec<SyncRow> {
    g.store()
        .read("t", |c| {
            let mut out = Vec::new();
            super::for_each_row(c, |r| {
                out.push(r);
                Ok(())
            })?;
            Ok(out)
        })
        .unwrap()
}

fn hlc_of(g: &Garage, table: SyncTable, id: &str) -> Hlc {
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

// ----- the clock never goes backwards for a database ---------------------------------

/// Problem 1 of issue 9: a row from a peer whose clock runs 4 minutes ahead, then a
/// restart, then an edit: the edit must be stamped above the stored version.
#[test]
fn an_edit_after_a_restart_is_stamped_above_a_version_from_a_fast_peer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let (_d, a) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let mut rows = dirty(&a);
    let ahead = Hlc::new(now_ms() + 4 * 60_000, 0, "aaaa");
    rows[0].hlc = ahead.clone();
    {
        let b = Garage::open(&path).unwrap();
        b.apply_remote(&rows, 1).unwrap();
    }
    let b = Garage::open(&path).unwrap();
    b.update_vehicle(&v.id, &VehicleInput::new("Renamed"))
        .unwrap();
    let h = hlc_of(&b, SyncTable::Vehicles, &v.id);
    assert!(h > ahead, "{h} must be above {ahead}");
    // And so is every later write, of any row.
    let f = b
        .add_fuel(&fuel(&v.id, "x"), WriteOptions::CONFIRMED)
        .unwrap();
    assert!(hlc_of(&b, SyncTable::FuelRecords, &f.id) > h);
}

/// Two processes on one database (the desktop app and a CLI import): each write is
/// stamped above what the other wrote, although their clocks never talk.
#[test]
fn two_garages_on_one_file_stamp_above_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let one = Garage::open(&path).unwrap();
    let two = Garage::open(&path).unwrap();
    let (_d, peer) = garage();
    let pv = peer.create_vehicle(&VehicleInput::new("Peer")).unwrap();
    let mut rows = dirty(&peer);
    let ahead = Hlc::new(now_ms() + 4 * 60_000, 7, "aaaa");
    rows[0].hlc = ahead.clone();
    one.apply_remote(&rows, 1).unwrap();
    // `two` never saw that row, yet its next write goes above it.
    let v = two.create_vehicle(&VehicleInput::new("Mine")).unwrap();
    let h2 = hlc_of(&two, SyncTable::Vehicles, &v.id);
    assert!(h2 > ahead, "{h2} vs {ahead}");
    // And back: `one` goes above what `two` wrote.
    one.update_vehicle(&pv.id, &VehicleInput::new("Peer 2"))
        .unwrap();
    assert!(hlc_of(&one, SyncTable::Vehicles, &pv.id) > h2);
}

#[test]
fn the_migration_seeds_the_high_water_mark_from_existing_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let far = now_ms() + 3 * 60_000;
    {
        let g = Garage::open(&path).unwrap();
        g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        // A database from before version 3: rows, but no mark.
        g.store()
            .write("t", |tx| {
                tx.execute(
                    "UPDATE vehicles SET hlc = ?1",
                    [Hlc::new(far, 3, "bb").to_string()],
                )?;
                tx.execute("DELETE FROM local_meta WHERE key = 'hlc.high_water'", [])?;
                tx.execute_batch(
                    "DROP TABLE sync_quarantine; DROP TABLE sync_rejected; PRAGMA user_version = 2;",
                )?;
                Ok(())
            })
            .unwrap();
    }
    let g = Garage::open(&path).unwrap();
    assert!(g.clock().tick() > Hlc::new(far, 3, "bb"));
}

// ----- per-row checks and quarantine ---------------------------------------------------

fn vehicle_row(g: &Garage) -> (String, SyncRow) {
    let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let row = dirty(g).into_iter().find(|r| r.id == v.id).unwrap();
    (v.id, row)
}

/// Problem 2 of issue 9: `{"data": {}}` must not stop anything.
#[test]
fn an_empty_row_is_quarantined_and_the_page_applies_around_it() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    a.add_fuel(&fuel(&v.id, "after"), WriteOptions::CONFIRMED)
        .unwrap();
    let mut rows = dirty(&a);
    let mut empty = rows[0].clone();
    empty.id = uuid::Uuid::now_v7().to_string();
    empty.data.clear();
    rows.insert(1, empty.clone());
    let out = b.apply_remote(&rows, 5).unwrap();
    assert_eq!((out.applied, out.quarantined), (2, 1));
    assert_eq!(b.vehicles(true).unwrap().len(), 1);
    assert_eq!(
        b.fuel_records(&v.id, crate::Page::ALL).unwrap().len(),
        1,
        "the fill-up after the bad row arrived"
    );
    let q = quarantined_rows(&b).unwrap();
    assert_eq!(
        (q[0].id.as_str(), q[0].code.as_str()),
        (empty.id.as_str(), "missing_column")
    );
    assert!(q[0].reason.contains("name"), "{}", q[0].reason);
    assert_eq!(saved_cursor(&b), 5);
}

/// Problem 3 of issue 9: an unknown fuel kind is a reason, and listing keeps working.
#[test]
fn an_unknown_fuel_kind_is_quarantined_not_stored() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let (id, mut row) = vehicle_row(&a);
    row.data.insert("fuel_kind".into(), "hydrogen".into());
    let out = b.apply_remote(&[row], 1).unwrap();
    assert_eq!(out.quarantined, 1);
    assert!(b.vehicles(true).unwrap().is_empty());
    let q = quarantined_rows(&b).unwrap();
    assert_eq!(q[0].id, id);
    assert_eq!(q[0].code, "unknown_value");
    assert!(q[0].reason.contains("hydrogen"), "{}", q[0].reason);
}

#[test]
fn each_kind_of_bad_value_has_its_reason() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    a.add_fuel(&fuel(&v.id, "x"), WriteOptions::CONFIRMED)
        .unwrap();
    let good = dirty(&a)
        .into_iter()
        .find(|r| r.table == "fuel_records")
        .unwrap();
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("odometer", "far".into(), "bad_value"),
        ("quantity", (-1.0).into(), "invalid"),
        ("quantity", serde_json::Value::Null, "bad_value"),
        ("total_cost", 1.5.into(), "bad_value"),
        ("is_full", 2.into(), "bad_value"),
        ("vehicle_id", "../../etc".into(), "bad_value"),
        ("occurred_at", 4_000_000_000i64.into(), "invalid"),
        ("notes", "x".repeat(20_000).into(), "invalid"),
    ];
    for (col, value, code) in cases {
        let mut r = good.clone();
        r.id = uuid::Uuid::now_v7().to_string();
        r.data.insert(col.into(), value);
        let out = b.apply_remote(std::slice::from_ref(&r), 1).unwrap();
        assert_eq!(out.quarantined, 1, "{col}");
        let q = quarantined_rows(&b)
            .unwrap()
            .into_iter()
            .find(|q| q.id == r.id)
            .unwrap();
        assert_eq!(q.code, code, "{col}: {}", q.reason);
        assert!(q.reason.contains(col), "{col}: {}", q.reason);
    }
    let mut unknown = good.clone();
    unknown.table = "tire_records".into();
    assert_eq!(b.apply_remote(&[unknown], 1).unwrap().quarantined, 1);
    assert!(quarantined_rows(&b)
        .unwrap()
        .iter()
        .any(|q| q.code == "unknown_table"));
}

/// The server's sequence is LWW-ordered: a fill-up may come pages before its vehicle.
#[test]
fn records_before_their_vehicle_are_applied_and_appear_with_it() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let f = a
        .add_fuel(&fuel(&v.id, "early"), WriteOptions::CONFIRMED)
        .unwrap();
    let r = a
        .add_reminder(&ReminderInput {
            vehicle_id: v.id.clone(),
            title: "Oil".into(),
            notes: String::new(),
            due_at: None,
            due_odometer: Some(20_000.0),
            recur_months: None,
            recur_distance: Some(15_000.0),
            schedule: Schedule::FromCompletion,
            thresholds: Thresholds::default(),
        })
        .unwrap();
    let rows = dirty(&a);
    let (vehicle, records): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|r| r.table == "vehicles");
    let out = b.apply_remote(&records, 1).unwrap();
    assert_eq!((out.applied, out.quarantined), (2, 0));
    assert!(b.vehicles(true).unwrap().is_empty());
    b.apply_remote(&vehicle, 2).unwrap();
    assert_eq!(b.fuel_record(&v.id, &f.id).unwrap().notes, "early");
    assert_eq!(b.reminder(&v.id, &r.id).unwrap().title, "Oil");
    assert!(quarantined_rows(&b).unwrap().is_empty());
}

/// Dates are the writer's local wall clock: a device at UTC+14 writes "tomorrow" by
/// UTC; the typo guard (an odometer lower than the last) is for typing, not for sync.
#[test]
fn dates_are_judged_by_the_rows_own_stamp_and_the_typo_guard_does_not_apply() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    a.add_fuel(&fuel(&v.id, "x"), WriteOptions::CONFIRMED)
        .unwrap();
    let rows = dirty(&a);
    b.apply_remote(&rows, 1).unwrap();
    let template = rows
        .into_iter()
        .find(|r| r.table == "fuel_records")
        .unwrap();
    let stamp_secs = (template.hlc.millis / 1000) as i64;
    let make = |offset_secs: i64, odometer: f64| {
        let mut r = template.clone();
        r.id = uuid::Uuid::now_v7().to_string();
        r.data
            .insert("occurred_at".into(), (stamp_secs + offset_secs).into());
        r.data.insert("odometer".into(), odometer.into());
        r
    };
    // 14 hours ahead of UTC plus a day of slack: accepted, and so is a lower odometer.
    let east = make(14 * 3600 + 20 * 3600, 10.0);
    let typo = make(-86_400, 1.0);
    let future = make(3 * 86_400, 2000.0);
    let out = b.apply_remote(&[east, typo, future.clone()], 2).unwrap();
    assert_eq!((out.applied, out.quarantined), (2, 1));
    let q = quarantined_rows(&b).unwrap();
    assert_eq!(q[0].id, future.id);
    assert!(q[0].reason.contains("future"), "{}", q[0].reason);
}

#[test]
fn a_newer_good_version_replaces_a_quarantined_one() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let (id, row) = vehicle_row(&a);
    let mut bad = row.clone();
    bad.hlc = Hlc::new(row.hlc.millis + 5, 0, "cc");
    bad.data.insert("fuel_kind".into(), "hydrogen".into());
    b.apply_remote(&[bad], 1).unwrap();
    assert_eq!(quarantined_rows(&b).unwrap().len(), 1);
    // An older good version does not clear the entry (the bad one is the winner)...
    b.apply_remote(std::slice::from_ref(&row), 2).unwrap();
    assert_eq!(quarantined_rows(&b).unwrap().len(), 1);
    // ...a newer one does.
    let mut newer = row;
    newer.hlc = Hlc::new(newer.hlc.millis + 10, 0, "cc");
    b.apply_remote(&[newer], 3).unwrap();
    assert!(quarantined_rows(&b).unwrap().is_empty());
    assert_eq!(b.vehicle(&id).unwrap().name, "Golf");
}

#[test]
fn an_edit_made_after_seeing_a_quarantined_version_is_stamped_above_it() {
    let (_d1, a) = garage();
    let (_d2, b) = garage();
    let (id, row) = vehicle_row(&a);
    b.apply_remote(std::slice::from_ref(&row), 1).unwrap();
    let mut bad = row;
    bad.hlc = Hlc::new(now_ms() + 60_000, 0, "cc");
    bad.data.insert("currency".into(), "XXX".into());
    b.apply_remote(&[bad.clone()], 2).unwrap();
    b.update_vehicle(&id, &VehicleInput::new("Fixed")).unwrap();
    assert!(hlc_of(&b, SyncTable::Vehicles, &id) > bad.hlc);
    // The entry is obsolete now and goes at the next housekeeping.
    b.sync_housekeeping(now_ms()).unwrap();
    assert!(quarantined_rows(&b).unwrap().is_empty());
}

#[test]
fn quarantined_rows_are_retried_after_an_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let (_d, a) = garage();
    let (id, row) = vehicle_row(&a);
    {
        let b = Garage::open(&path).unwrap();
        // Quarantined by an older build (one that did not know what this one knows).
        b.store()
            .write("t", |tx| {
                quarantine::put(
                    tx,
                    &row,
                    &super::decode::Problem::new("unknown_value", "fuel_kind: unknown"),
                )?;
                tx.execute("UPDATE sync_quarantine SET app_version = '0.0.1'", [])?;
                quarantine::forget_rules_version(tx)
            })
            .unwrap();
    }
    let b = Garage::open(&path).unwrap();
    assert_eq!(b.vehicle(&id).unwrap().name, "Golf");
    assert!(quarantined_rows(&b).unwrap().is_empty());
    // Still bad after the retry: stays, tagged with this build, not retried again.
    let mut bad = row.clone();
    bad.id = uuid::Uuid::now_v7().to_string();
    bad.data.insert("fuel_kind".into(), "hydrogen".into());
    b.apply_remote(&[bad], 2).unwrap();
    b.store()
        .write("t", |tx| {
            tx.execute("UPDATE sync_quarantine SET app_version = '0.0.1'", [])?;
            Ok(())
        })
        .unwrap();
    b.sync_housekeeping(now_ms()).unwrap();
    let q = quarantined_rows(&b).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].app_version, super::app_version());
}

/// A database where an older Glovebox applied a vehicle with an unknown fuel kind: the
/// first open by this build moves it out of the way, so listing works again.
#[test]
fn unreadable_rows_an_older_build_stored_are_moved_to_quarantine_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let id = {
        let g = Garage::open(&path).unwrap();
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let keep = g.create_vehicle(&VehicleInput::new("Polo")).unwrap();
        g.add_fuel(&fuel(&keep.id, "x"), WriteOptions::CONFIRMED)
            .unwrap();
        g.store()
            .write("t", |tx| {
                tx.execute(
                    "UPDATE vehicles SET fuel_kind = 'hydrogen' WHERE id = ?1",
                    [&v.id],
                )?;
                quarantine::forget_rules_version(tx)
            })
            .unwrap();
        assert!(g.vehicles(true).is_err(), "the read fails as on old main");
        v.id
    };
    let g = Garage::open(&path).unwrap();
    let names: Vec<_> = g
        .vehicles(true)
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["Polo"]);
    let q = quarantined_rows(&g).unwrap();
    assert_eq!(
        (q[0].id.as_str(), q[0].code.as_str()),
        (id.as_str(), "unknown_value")
    );
}

// ----- rejected versions ----------------------------------------------------------------

#[test]
fn a_rejected_version_is_held_back_until_edited() {
    let (_d, g) = garage();
    let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let f = g
        .add_fuel(&fuel(&v.id, "x"), WriteOptions::CONFIRMED)
        .unwrap();
    let h = hlc_of(&g, SyncTable::FuelRecords, &f.id);
    g.store()
        .write("t", |tx| {
            rejected::record(
                tx,
                "fuel_records",
                &f.id,
                &h,
                "clock_ahead",
                "too far ahead",
            )
        })
        .unwrap();
    assert_eq!(pending(&g), 1, "only the vehicle is pending");
    assert_eq!(dirty(&g).len(), 1);
    assert_eq!(super::rejected_rows(&g).unwrap().len(), 1);
    // Housekeeping with the server's clock behind the stamp keeps it held back...
    g.store()
        .write("t", |tx| rejected::release(tx, h.millis - 10 * 60_000))
        .unwrap();
    assert_eq!(dirty(&g).len(), 1);
    // ...an edit sends it again.
    g.update_fuel(&f.id, &fuel(&v.id, "y"), WriteOptions::CONFIRMED)
        .unwrap();
    g.store().write("t", |tx| rejected::release(tx, 0)).unwrap();
    assert_eq!(dirty(&g).len(), 2);
    assert!(super::rejected_rows(&g).unwrap().is_empty());
}

#[test]
fn a_clock_ahead_rejection_is_released_once_the_server_caught_up() {
    let (_d, g) = garage();
    let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let h = hlc_of(&g, SyncTable::Vehicles, &v.id);
    g.store()
        .write("t", |tx| {
            rejected::record(tx, "vehicles", &v.id, &h, "clock_ahead", "ahead")
        })
        .unwrap();
    assert_eq!(pending(&g), 0);
    g.store()
        .write("t", |tx| rejected::release(tx, h.millis))
        .unwrap();
    assert_eq!(pending(&g), 1);
}

// ----- a restored or copied database ----------------------------------------------------

#[test]
fn a_database_restored_from_an_older_copy_recovers_with_a_new_node_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let copy = dir.path().join("copy.db");
    let node = {
        let g = Garage::open(&path).unwrap();
        g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        super::instance::adopt(g.store()).unwrap();
        g.store()
            .write("t", |tx| {
                cursor::save_cursor(tx, 40)?;
                cursor::mark_all_dirty(tx)?;
                tx.execute("UPDATE vehicles SET dirty = 0", [])?;
                Ok(())
            })
            .unwrap();
        g.store()
            .with_writer(|c| {
                c.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])?;
                Ok(())
            })
            .unwrap();
        // Sync rounds go on after the copy was taken.
        super::instance::advance(g.store()).unwrap();
        g.device_id()
    };
    // Nothing happened: reopening is not a restore.
    assert_eq!(Garage::open(&path).unwrap().device_id(), node);
    std::fs::copy(&copy, &path).unwrap();
    let g = Garage::open(&path).unwrap();
    assert_ne!(g.device_id(), node, "two databases never share a node id");
    assert_eq!(saved_cursor(&g), 0);
    assert_eq!(pending(&g), 1, "everything held goes out again");
    let r = super::last_reset(&g).unwrap().unwrap();
    assert!(r.reason.contains("restored"), "{}", r.reason);
    // Recovered once; the next open is normal again.
    let again = g.device_id();
    drop(g);
    assert_eq!(Garage::open(&path).unwrap().device_id(), again);
}

#[test]
fn a_synced_database_copied_elsewhere_takes_a_new_node_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let other = dir.path().join("other.db");
    let node = {
        let g = Garage::open(&path).unwrap();
        super::instance::adopt(g.store()).unwrap();
        g.store()
            .with_writer(|c| {
                c.execute("VACUUM INTO ?1", [other.to_str().unwrap()])?;
                Ok(())
            })
            .unwrap();
        g.device_id()
    };
    let g = Garage::open(&other).unwrap();
    assert_ne!(g.device_id(), node);
    assert!(super::last_reset(&g)
        .unwrap()
        .unwrap()
        .reason
        .contains("copied"));
}

// ----- backup keeps HLCs and tombstones -------------------------------------------------

#[test]
fn backup_and_restore_keep_every_hlc_and_tombstone() {
    let (_d1, a) = garage();
    let v = a.create_vehicle(&VehicleInput::new("Golf")).unwrap();
    let f1 = a
        .add_fuel(&fuel(&v.id, "kept"), WriteOptions::CONFIRMED)
        .unwrap();
    let f2 = a
        .add_fuel(&fuel(&v.id, "deleted"), WriteOptions::CONFIRMED)
        .unwrap();
    a.delete(RecordKind::Fuel, &f2.id).unwrap();
    let mut buf = Vec::new();
    crate::export::backup::write(&a, &mut buf).unwrap();
    let (_d2, b) = garage();
    let s = crate::export::backup::restore(&b, &mut buf.as_slice()).unwrap();
    assert_eq!((s.vehicles, s.fuel), (1, 1));
    let strip = |rows: Vec<SyncRow>| -> Vec<SyncRow> { rows };
    assert_eq!(
        strip(all_rows(&b)),
        strip(all_rows(&a)),
        "same rows, HLCs, tombstones"
    );
    assert!(b.fuel_record(&v.id, &f2.id).is_err(), "stays deleted");
    assert_eq!(b.fuel_record(&v.id, &f1.id).unwrap().notes, "kept");
    assert_eq!(pending(&b), 3, "restored rows go to the server");
    // New writes go above the restored stamps.
    let h = hlc_of(&b, SyncTable::FuelRecords, &f2.id);
    assert!(b.clock().tick() > h);
}

#[test]
fn a_restore_with_one_bad_row_writes_nothing_and_names_the_row() {
    let (_d1, a) = garage();
    let (id, _) = vehicle_row(&a);
    let mut buf = Vec::new();
    crate::export::backup::write(&a, &mut buf).unwrap();
    let text = String::from_utf8(buf)
        .unwrap()
        .replace("\"fuel_kind\":\"petrol\"", "\"fuel_kind\":\"hydrogen\"");
    let (_d2, b) = garage();
    let e = crate::export::backup::restore(&b, &mut text.as_bytes()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&id) && msg.contains("hydrogen"), "{msg}");
    assert!(all_rows(&b).is_empty());
}
