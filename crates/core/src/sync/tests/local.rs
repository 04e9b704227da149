//! The clock's high-water mark, rejected versions, a restored or copied database, backups.

use glovebox_protocol::sync::SyncRow;
use glovebox_protocol::{Hlc, SyncTable};

use super::*;

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
                    "DROP TABLE sync_quarantine; DROP TABLE sync_rejected; \
                     DROP VIEW readings; DROP TABLE vehicle_stats; \
                     PRAGMA user_version = 2;",
                )?;
                Ok(())
            })
            .unwrap();
    }
    let g = Garage::open(&path).unwrap();
    assert!(g.clock().tick() > Hlc::new(far, 3, "bb"));
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
    assert_eq!(crate::sync::rejected_rows(&g).unwrap().len(), 1);
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
    assert!(crate::sync::rejected_rows(&g).unwrap().is_empty());
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
        crate::sync::instance::adopt(g.store()).unwrap();
        g.store()
            .write("t", |tx| {
                cursor::save_cursor(tx, 40)?;
                crate::store::sync_rows::mark_all_dirty(tx)?;
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
        crate::sync::instance::advance(g.store()).unwrap();
        g.device_id()
    };
    // Nothing happened: reopening is not a restore.
    assert_eq!(Garage::open(&path).unwrap().device_id(), node);
    std::fs::copy(&copy, &path).unwrap();
    let g = Garage::open(&path).unwrap();
    assert_ne!(g.device_id(), node, "two databases never share a node id");
    assert_eq!(saved_cursor(&g), 0);
    assert_eq!(pending(&g), 1, "everything held goes out again");
    let r = crate::sync::last_reset(&g).unwrap().unwrap();
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
        crate::sync::instance::adopt(g.store()).unwrap();
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
    assert!(crate::sync::last_reset(&g)
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
