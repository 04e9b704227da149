//! Devices converge through a real server: concurrent offline edits, edit against delete,
//! and the same record edited on several devices.

use glovebox_core::events::ChangeSource;
use glovebox_core::sync::SyncState;
use glovebox_tests::sync::*;

async fn sync_all(devices: &[&Device]) {
    // Two passes: the first delivers everyone's pushes, the second brings them back.
    for _ in 0..2 {
        for d in devices {
            d.sync().await;
        }
    }
}

fn assert_identical(devices: &[&Device]) {
    let first = devices[0].snapshot();
    assert!(!first.is_empty());
    for d in &devices[1..] {
        assert_eq!(d.snapshot(), first, "devices differ");
    }
    for d in devices {
        assert_eq!(glovebox_core::sync::pending_changes(&d.garage).unwrap(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_converge_after_concurrent_offline_edits() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let a = Device::new(&srv.url(), "ann", "laptop").await;
    let b = Device::new(&srv.url(), "ann", "desktop").await;

    let v = add_vehicle(&a.garage, "Golf");
    let f1 = add_fuel(&a.garage, &v, 1000.0, "first");
    sync_all(&[&a, &b]).await;
    assert_eq!(b.garage.vehicles(false).unwrap().len(), 1);

    // Offline on both: edit the same fill-up, and add one each.
    edit_fuel(&a.garage, &v, &f1, 1000.0, "edited on a");
    edit_fuel(&b.garage, &v, &f1, 1000.0, "edited on b");
    let fa = add_fuel(&a.garage, &v, 1500.0, "a's own");
    let fb = add_fuel(&b.garage, &v, 2000.0, "b's own");
    let (ha, hb) = (
        hlc_of(&a.garage, "fuel_records", &f1),
        hlc_of(&b.garage, "fuel_records", &f1),
    );
    let winner = if ha > hb {
        "edited on a"
    } else {
        "edited on b"
    };

    sync_all(&[&a, &b]).await;
    assert_identical(&[&a, &b]);
    let rec = a.garage.fuel_record(&v, &f1).unwrap();
    assert_eq!(rec.notes, winner, "the later HLC wins");
    for id in [&fa, &fb] {
        assert!(a.garage.fuel_record(&v, id).is_ok());
        assert!(b.garage.fuel_record(&v, id).is_ok());
    }
    assert_eq!(a.handle.status().state, SyncState::Idle);
    assert!(a.handle.status().last_synced_at_ms.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_against_delete_resolves_by_hlc_both_ways() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let a = Device::new(&srv.url(), "ann", "a").await;
    let b = Device::new(&srv.url(), "ann", "b").await;
    let v = add_vehicle(&a.garage, "Van");
    let f1 = add_fuel(&a.garage, &v, 100.0, "one");
    let f2 = add_fuel(&a.garage, &v, 200.0, "two");
    sync_all(&[&a, &b]).await;

    // Offline devices with equal wall clocks can tie on the millisecond; to make "after"
    // certain without timing, the later writer first observes the earlier write's HLC,
    // as it would have had it seen that write.
    let observe = |to: &Device, from: &Device, id: &str| {
        let h: glovebox_core::Hlc = hlc_of(&from.garage, "fuel_records", id).parse().unwrap();
        to.garage.clock().observe(&h).unwrap();
    };
    // f1: a deletes first, b edits after: the edit is later, so the record lives.
    delete_fuel(&a.garage, &f1);
    observe(&b, &a, &f1);
    edit_fuel(&b.garage, &v, &f1, 100.0, "kept");
    // f2: b edits first, a deletes after: the delete is later, so it stays deleted.
    edit_fuel(&b.garage, &v, &f2, 200.0, "lost");
    observe(&a, &b, &f2);
    delete_fuel(&a.garage, &f2);

    sync_all(&[&a, &b]).await;
    assert_identical(&[&a, &b]);
    for d in [&a, &b] {
        assert_eq!(
            d.garage.fuel_record(&v, &f1).unwrap().notes,
            "kept",
            "later edit wins"
        );
        assert!(
            d.garage.fuel_record(&v, &f2).is_err(),
            "later tombstone wins"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_devices_editing_one_record_agree_on_the_latest() {
    let srv = TestServer::start().await;
    srv.add_user("fleet");
    let a = Device::new(&srv.url(), "fleet", "a").await;
    let b = Device::new(&srv.url(), "fleet", "b").await;
    let c = Device::new(&srv.url(), "fleet", "c").await;
    let v = add_vehicle(&a.garage, "Truck");
    let f = add_fuel(&a.garage, &v, 10.0, "start");
    sync_all(&[&a, &b, &c]).await;

    let mut best = (String::new(), String::new());
    for (i, d) in [&a, &b, &c].into_iter().enumerate() {
        for round in 0..3 {
            let notes = format!("device {i} round {round}");
            edit_fuel(&d.garage, &v, &f, 10.0, &notes);
            let h = hlc_of(&d.garage, "fuel_records", &f);
            if h > best.0 {
                best = (h, notes);
            }
        }
        // Each device also adds and deletes its own records.
        let own = add_fuel(&d.garage, &v, 100.0 * (i as f64 + 1.0), "own");
        add_fuel(&d.garage, &v, 1000.0 * (i as f64 + 1.0), "kept");
        delete_fuel(&d.garage, &own);
    }
    sync_all(&[&a, &b, &c]).await;
    assert_identical(&[&a, &b, &c]);
    assert_eq!(c.garage.fuel_record(&v, &f).unwrap().notes, best.1);
    assert_eq!(
        a.garage
            .fuel_records(&v, glovebox_core::Page::ALL)
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_rows_emit_sync_events_and_call_the_hook() {
    use std::sync::{Arc, Mutex};
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let a = Device::new(&srv.url(), "ann", "a").await;
    let hooked: Arc<Mutex<Vec<String>>> = Arc::default();
    let h2 = hooked.clone();
    let mut opts = test_options();
    opts.on_applied = Some(Arc::new(move |v: &[String]| {
        h2.lock().unwrap().extend_from_slice(v)
    }));
    let b = Device::with_options(&srv.url(), "ann", "b", opts).await;
    let events: Arc<Mutex<Vec<glovebox_core::ChangeEvent>>> = Arc::default();
    let e2 = events.clone();
    b.garage
        .subscribe(move |e| e2.lock().unwrap().push(e.clone()));

    let v = add_vehicle(&a.garage, "Golf");
    add_fuel(&a.garage, &v, 10.0, "x");
    let ra = a.sync().await;
    let report = b.sync().await;
    assert_eq!(
        report.applied,
        2,
        "{ra:?} {report:?} {:?}",
        events.lock().unwrap()
    );
    assert_eq!(report.vehicles, vec![v.clone()]);
    assert_eq!(*hooked.lock().unwrap(), vec![v.clone()]);
    let ev = events.lock().unwrap();
    assert_eq!(ev.len(), 2, "one event per (vehicle, kind): {ev:?}");
    assert!(ev
        .iter()
        .all(|e| e.source == ChangeSource::Sync && e.vehicle_id == v));
    // Applied rows are clean: nothing to push back.
    assert_eq!(glovebox_core::sync::pending_changes(&b.garage).unwrap(), 0);
}
