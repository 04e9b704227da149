//! Per-row checks of pulled rows, and quarantine.

use glovebox_protocol::{Hlc, SyncTable};

use super::*;

// ----- per-row checks and quarantine ---------------------------------------------------

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
    b.sync_housekeeping(now_ms(), 0).unwrap();
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
                    &crate::sync::decode::Problem::new("unknown_value", "fuel_kind: unknown"),
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
    b.sync_housekeeping(now_ms(), 0).unwrap();
    let q = quarantined_rows(&b).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].app_version, crate::sync::app_version());
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
        // Reads no longer fail on it (store::decode falls back to Other), but an edit
        // would overwrite the unknown kind: the next open moves the row out of the way.
        assert_eq!(g.vehicles(true).unwrap().len(), 2);
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
