//! Issue 9, client side: one test per numbered problem and per client-side bullet of "more
//! of the same kind", each against a real server on loopback with real database files.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use glovebox_core::export::backup;
use glovebox_core::sync::{self, SyncError};
use glovebox_core::vehicles::VehicleInput;
use glovebox_core::{Garage, Page};
use glovebox_protocol::sync::RowOutcome;
use glovebox_protocol::Hlc;
use glovebox_server::LimitsConfig;
use glovebox_tests::server::{now_ms, Wire};
use glovebox_tests::sync::*;
use serde_json::{json, Value};

fn four_minutes_ahead() -> u64 {
    now_ms() + 4 * 60_000
}

fn ten_minutes_ahead() -> u64 {
    now_ms() + 10 * 60_000
}

fn ten_minutes_slow() -> u64 {
    now_ms() - 10 * 60_000
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn vehicle_row(id: &str, hlc: &Hlc, name: &str, fuel_kind: &str) -> Value {
    json!({"table": "vehicles", "id": id, "hlc": hlc.to_string(), "deleted": false,
           "data": {"name": name, "make": "", "model": "", "year": null, "plate": "", "vin": "",
                    "fuel_kind": fuel_kind, "distance_unit": "km", "volume_unit": "l",
                    "economy_unit": "l_per_100km", "currency": "EUR", "archived": 0}})
}

fn full_fuel_row(id: &str, vehicle_id: &str, hlc: &Hlc, notes: &str) -> Value {
    json!({"table": "fuel_records", "id": id, "hlc": hlc.to_string(), "deleted": false,
           "data": {"vehicle_id": vehicle_id, "occurred_at": 1_704_880_000, "odometer": 1234.5,
                    "quantity": 40.0, "total_cost": 6000, "is_full": 1, "missed_previous": 0,
                    "station": "", "notes": notes, "tags": ""}})
}

fn hlc_now(node: &str) -> Hlc {
    Hlc::new(now_ms(), 0, node)
}

fn fuel_count(d: &Device, v: &str) -> usize {
    d.garage.fuel_records(v, Page::ALL).map_or(0, |r| r.len())
}

fn quarantined_ids(d: &Device) -> Vec<String> {
    sync::quarantined_rows(&d.garage)
        .unwrap()
        .into_iter()
        .map(|q| q.id)
        .collect()
}

fn cli(db: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["glovebox", "sync", "--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut out = Vec::new();
    glovebox_cli::run(all, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn db_of(d: &Device) -> std::path::PathBuf {
    d.dir.path().join("garage.db")
}

/// Problem 1: B pulls a vehicle written by a peer 4 minutes ahead, restarts, renames it:
/// the rename must win on every device (it came back "stale" and was lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_1_an_edit_after_a_restart_wins_over_a_peer_four_minutes_ahead() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", Some(four_minutes_ahead)).await;
    let b = Device::minted(&srv, &url, "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    a.sync().await;
    b.sync().await;
    assert_eq!(b.garage.vehicle(&v).unwrap().name, "Golf");

    let b = b.restart(None).await;
    b.garage
        .update_vehicle(&v, &VehicleInput::new("Renamed"))
        .unwrap();
    let r = b.sync().await;
    assert_eq!((r.push_applied, r.push_stale), (1, 0), "{r:?}");
    a.sync().await;
    assert_eq!(a.garage.vehicle(&v).unwrap().name, "Renamed");
    let c = Device::minted(&srv, &url, "ann", None).await;
    c.sync().await;
    assert_eq!(c.garage.vehicle(&v).unwrap().name, "Renamed");
    assert_eq!(a.snapshot(), c.snapshot());
    assert_eq!(b.snapshot(), c.snapshot());
}

/// Problem 2: `{"table":"vehicles","data":{}}` from any signed-in client stopped every
/// device's pull for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_2_a_malformed_row_stops_no_device() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let b = Device::minted(&srv, &url, "ann", None).await;
    let mut hostile = Wire::new(&url, srv.mint("ann").0);
    let bad = new_id();
    let r = hostile
        .push(vec![
            json!({"table": "vehicles", "id": bad, "hlc": hlc_now("ee").to_string(),
                            "data": {}}),
        ])
        .await
        .unwrap();
    assert_eq!(
        r.results[0].result,
        RowOutcome::Applied,
        "flat, so the server keeps it"
    );
    // A good fill-up pushed afterwards reaches everyone.
    let v = add_vehicle(&a.garage, "Golf");
    add_fuel(&a.garage, &v, 100.0, "after the bad row");
    a.sync().await;
    let r = b.sync().await;
    assert_eq!(r.quarantined, 1);
    assert_eq!(fuel_count(&b, &v), 1);
    assert_eq!(b.garage.vehicles(true).unwrap().len(), 1);
    // Every later round goes through too.
    add_fuel(&a.garage, &v, 200.0, "later");
    a.sync().await;
    assert_eq!(b.sync().await.quarantined, 0, "quarantined once");
    assert_eq!(fuel_count(&b, &v), 2);
    assert_eq!(quarantined_ids(&a), std::slice::from_ref(&bad));
    assert_eq!(quarantined_ids(&b), std::slice::from_ref(&bad));
    let status = cli(&db_of(&b), &["status"]);
    assert!(
        status.contains("Quarantined (1)") && status.contains(&bad) && status.contains("name"),
        "{status}"
    );
    assert_eq!(a.snapshot(), b.snapshot());
}

/// Problem 3: a vehicle with a fuel kind this build does not know made every list fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_3_an_unknown_fuel_kind_keeps_every_list_readable() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let b = Device::minted(&srv, &url, "ann", None).await;
    let mut newer = Wire::new(&url, srv.mint("ann").0);
    let (v, f) = (new_id(), new_id());
    newer
        .push(vec![
            vehicle_row(&v, &hlc_now("ff"), "Mirai", "hydrogen"),
            full_fuel_row(&f, &v, &hlc_now("ff"), "first fill"),
        ])
        .await
        .unwrap();
    let r = b.sync().await;
    assert_eq!(
        (r.applied, r.quarantined),
        (1, 1),
        "the fill-up waits for its vehicle"
    );
    assert!(b.garage.vehicles(true).unwrap().is_empty());
    let q = sync::quarantined_rows(&b.garage).unwrap();
    assert!(q[0].reason.contains("hydrogen"), "{q:?}");
    let mut out = Vec::new();
    backup::write(&b.garage, &mut out).expect("backup works");
    // The newer device changes it to something this build knows: it appears, with its
    // fill-up, and leaves quarantine.
    newer
        .push(vec![vehicle_row(&v, &hlc_now("ff"), "Mirai", "other")])
        .await
        .unwrap();
    b.sync().await;
    assert_eq!(b.garage.vehicle(&v).unwrap().name, "Mirai");
    assert_eq!(fuel_count(&b, &v), 1);
    assert!(quarantined_ids(&b).is_empty());
}

/// Problem 4: a server restored from an older copy of its database: the rows pushed
/// after the copy came back clean on their devices and a new device never got them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_4_a_server_restored_from_an_older_copy_gets_every_row_back() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let b = Device::minted(&srv, &url, "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    a.sync().await;
    b.sync().await;
    let copy = srv.backup().await;
    for i in 0..5 {
        add_fuel(&a.garage, &v, 100.0 + f64::from(i), "after the copy");
    }
    a.sync().await;
    b.sync().await;
    assert_eq!(fuel_count(&b, &v), 5);

    let srv = srv.restore_from(copy).await;
    // B pushes first, more than was lost: the server still notices.
    for i in 0..6 {
        add_fuel(&b.garage, &v, 200.0 + f64::from(i), "after the restore");
    }
    let r = b.sync().await;
    assert!(r.reset.is_some(), "{r:?}");
    let r = a.sync().await;
    assert!(r.reset.is_some(), "{r:?}");
    let c = Device::minted(&srv, &url, "ann", None).await;
    c.sync().await;
    assert_eq!(fuel_count(&c, &v), 11, "nothing lost");
    a.sync().await;
    b.sync().await;
    assert_eq!(a.snapshot(), c.snapshot());
    assert_eq!(b.snapshot(), c.snapshot());
    assert_eq!(srv.rows_of("ann"), 12, "nothing duplicated");
    for d in [&a, &b, &c] {
        assert_eq!(sync::pending_changes(&d.garage).unwrap(), 0);
    }
}

/// The window the server alone cannot see: a device whose push was acknowledged (rows
/// marked clean) but whose pull never came (killed, offline) keeps its cursor from before
/// the server's copy was taken. Its next round probes the sequence number of that push,
/// which a restored server never issued: it resets and sends the rows again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_acknowledged_by_a_server_that_was_then_restored_is_sent_again() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let a = Device::minted(&srv, &proxy.url(), "ann", None).await;
    let b = Device::minted(&srv, &srv.url(), "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    a.sync().await;
    b.sync().await;
    let copy = srv.backup().await;
    for i in 0..4 {
        add_fuel(
            &a.garage,
            &v,
            10.0 + f64::from(i),
            "acknowledged, then forgotten",
        );
    }
    // The push goes through; every pull of the round fails.
    for _ in 0..3 {
        proxy.push_fault("/v1/pull", FaultKind::Error500);
    }
    assert!(a.handle.sync_now().await.is_err());
    assert_eq!(sync::pending_changes(&a.garage).unwrap(), 0, "marked clean");

    let srv = srv.restore_from(copy).await;
    add_fuel(&b.garage, &v, 99.0, "b after the restore");
    b.sync().await;
    let r = a.sync().await;
    assert!(r.reset.is_some(), "{r:?}");
    let c = Device::minted(&srv, &srv.url(), "ann", None).await;
    c.sync().await;
    assert_eq!(fuel_count(&c, &v), 5, "nothing lost");
    b.sync().await;
    a.sync().await;
    assert_eq!(a.snapshot(), c.snapshot());
    assert_eq!(b.snapshot(), c.snapshot());
}

/// The same when the probe itself fails (answered 413, which is not retried and only
/// logged): the round's pull then catches up below the sequence the push was answered
/// with, asks the server again, and the reset still comes. Found by the chaos test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_push_is_found_even_when_the_probe_fails() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let a = Device::minted(&srv, &proxy.url(), "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    a.sync().await;
    let copy = srv.backup().await;
    for i in 0..3 {
        add_fuel(
            &a.garage,
            &v,
            10.0 + f64::from(i),
            "acknowledged, then forgotten",
        );
    }
    for _ in 0..3 {
        proxy.push_fault("/v1/pull", FaultKind::Error500);
    }
    assert!(a.handle.sync_now().await.is_err());
    assert_eq!(sync::pending_changes(&a.garage).unwrap(), 0, "marked clean");

    let srv = srv.restore_from(copy).await;
    proxy.push_fault("/v1/pull", FaultKind::TooLarge);
    let r = a.sync().await;
    assert!(r.reset.is_some(), "{r:?}");
    let c = Device::minted(&srv, &srv.url(), "ann", None).await;
    c.sync().await;
    assert_eq!(fuel_count(&c, &v), 3, "nothing lost");
    assert_eq!(a.snapshot(), c.snapshot());
}

/// More of the same kind: the pull left out a device's own versions, false after its
/// database is restored from a file backup. The restored database is noticed at open,
/// takes a new node id, and gets its own later rows back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_database_restored_from_a_file_copy_gets_its_own_rows_back() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    a.sync().await;
    let copy = a.dir.path().join("copy.db");
    glovebox_core::testing::copy_database(&a.garage, &copy).unwrap();
    for i in 0..3 {
        add_fuel(&a.garage, &v, 100.0 + f64::from(i), "after the copy");
    }
    a.sync().await;
    let node = a.garage.device_id();

    // The file is put back from the copy while the app is closed.
    let Device {
        garage,
        handle,
        dir,
    } = a;
    handle.stop().await;
    drop(garage);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("garage.db{suffix}")));
    }
    std::fs::copy(&copy, dir.path().join("garage.db")).unwrap();
    let a = Device::started(open_garage_with(&dir, None), dir).await;
    assert_ne!(a.garage.device_id(), node, "a new node id");
    assert!(sync::last_reset(&a.garage).unwrap().is_some());
    a.sync().await;
    assert_eq!(fuel_count(&a, &v), 3, "its own rows came back");
    assert_eq!(srv.rows_of("ann"), 4, "nothing duplicated");
    assert_eq!(sync::pending_changes(&a.garage).unwrap(), 0);
}

/// More of the same kind: a database copied to a second machine shared its node id with
/// the original, so two different versions could carry one HLC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_copied_to_a_second_machine_takes_its_own_node_id() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    let f = add_fuel(&a.garage, &v, 100.0, "original");
    a.sync().await;
    let dir2 = tempfile::tempdir().unwrap();
    glovebox_core::testing::copy_database(&a.garage, &dir2.path().join("garage.db")).unwrap();
    // Second machine: the copy, logged in as a device of its own.
    let g2 = open_garage_with(&dir2, None);
    let (token, device_id) = srv.mint("ann");
    sync::save_credentials(
        &g2,
        &sync::Credentials {
            server_url: url.clone(),
            user: "ann".into(),
            device_name: "second".into(),
            device_id,
            token,
        },
    )
    .unwrap();
    assert_ne!(g2.device_id(), a.garage.device_id());
    let b = Device::started(g2, dir2).await;
    edit_fuel(&a.garage, &v, &f, 101.0, "edited on a");
    edit_fuel(&b.garage, &v, &f, 102.0, "edited on b");
    let (ha, hb) = (
        hlc_of(&a.garage, "fuel_records", &f),
        hlc_of(&b.garage, "fuel_records", &f),
    );
    assert_ne!(ha, hb);
    for _ in 0..2 {
        a.sync().await;
        b.sync().await;
    }
    let winner = if ha > hb {
        "edited on a"
    } else {
        "edited on b"
    };
    assert_eq!(a.garage.fuel_record(&v, &f).unwrap().notes, winner);
    assert_eq!(a.snapshot(), b.snapshot());
}

/// More of the same kind: restoring an old backup on a synced device re-stamped every row
/// and dropped tombstones, so it overwrote newer edits everywhere and revived deletes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restoring_an_old_backup_never_overwrites_newer_edits_nor_revives_deletes() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    let f1 = add_fuel(&a.garage, &v, 100.0, "old");
    let f2 = add_fuel(&a.garage, &v, 200.0, "deleted later");
    let f3 = add_fuel(&a.garage, &v, 300.0, "deleted before the backup");
    delete_fuel(&a.garage, &f3);
    a.sync().await;
    let file = a.dir.path().join("backup.json");
    backup::write_file(&a.garage, &file).unwrap();
    edit_fuel(&a.garage, &v, &f1, 100.0, "newer");
    delete_fuel(&a.garage, &f2);
    a.sync().await;

    // Another machine, empty, restores the old backup and then syncs.
    let dir = tempfile::tempdir().unwrap();
    let g = open_garage_with(&dir, None);
    let s = backup::restore(&g, &mut std::fs::File::open(&file).unwrap()).unwrap();
    assert_eq!(s.fuel, 2);
    assert!(
        g.fuel_record(&v, &f3).is_err(),
        "the tombstone came back as one"
    );
    let (token, device_id) = srv.mint("ann");
    sync::save_credentials(
        &g,
        &sync::Credentials {
            server_url: url.clone(),
            user: "ann".into(),
            device_name: "restored".into(),
            device_id,
            token,
        },
    )
    .unwrap();
    let r = Device::started(g, dir).await;
    r.sync().await;
    a.sync().await;
    for d in [&a, &r] {
        assert_eq!(d.garage.fuel_record(&v, &f1).unwrap().notes, "newer");
        assert!(d.garage.fuel_record(&v, &f2).is_err(), "stays deleted");
        assert!(d.garage.fuel_record(&v, &f3).is_err(), "stays deleted");
    }
    assert_eq!(a.snapshot(), r.snapshot());
    // A restore goes into an empty database only.
    let e = backup::restore(&r.garage, &mut std::fs::File::open(&file).unwrap()).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
}

/// More of the same kind: `backup` truncated its target in place; a crash destroyed the
/// last good backup. The target is only ever the old backup or the new one, complete.
#[test]
fn a_backup_replaces_its_file_only_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    let v = add_vehicle(&g, "Golf");
    let records = (0..3000).map(|i| glovebox_core::NewRecord::Fuel {
        id: None,
        input: fuel_input(&v, f64::from(i), &"n".repeat(50)),
    });
    g.write_batch(records, glovebox_core::garage::BatchOptions::default())
        .unwrap();
    let file = dir.path().join("backup.json");
    backup::write_file(&g, &file).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (file, done, reads) = (file.clone(), done.clone(), reads.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                let bytes = std::fs::read(&file).expect("the backup file is always there");
                let b: backup::Backup = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("a torn backup ({} bytes): {e}", bytes.len()));
                assert_eq!(b.rows.len(), 3001);
                reads.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    for _ in 0..5 {
        assert_eq!(backup::write_file(&g, &file).unwrap(), 3001);
    }
    done.store(true, Ordering::SeqCst);
    reader.join().unwrap();
    assert!(reads.load(Ordering::SeqCst) > 0);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");
}

/// More of the same kind: one row the server refuses (a clock more than 5 minutes fast,
/// an id from an old backup) failed the whole batch, and the engine returned before
/// pulling: that device never received anything again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_is_kept_visible_and_never_stops_the_pull() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let other = Device::minted(&srv, &url, "ann", None).await;
    let fast = Device::minted(&srv, &url, "ann", Some(ten_minutes_ahead)).await;
    let g = Device::minted(&srv, &url, "ann", None).await;
    let ov = add_vehicle(&other.garage, "Theirs");
    add_fuel(&other.garage, &ov, 10.0, "from the other device");
    other.sync().await;

    // A device whose clock runs 10 minutes fast: its rows are refused, its pull goes on.
    let fv = add_vehicle(&fast.garage, "Fast");
    let r = fast.sync().await;
    assert_eq!((r.push_rejected, r.pushed), (1, 0), "{r:?}");
    assert_eq!(fuel_count(&fast, &ov), 1, "it still receives");
    let rej = sync::rejected_rows(&fast.garage).unwrap();
    assert_eq!(
        (rej[0].id.as_str(), rej[0].code.as_str()),
        (fv.as_str(), "clock_ahead")
    );
    let r = fast.sync().await;
    assert_eq!(
        (r.pushed, r.push_rejected),
        (0, 0),
        "not re-sent in a loop: {r:?}"
    );
    assert_eq!(sync::pending_changes(&fast.garage).unwrap(), 0);
    let status = cli(&db_of(&fast), &["status"]);
    assert!(
        status.contains("Rejected by the server (1)") && status.contains("clock_ahead"),
        "{status}"
    );

    // A row whose id an old backup carried: never sent, listed, the rest of the batch goes.
    let v = add_vehicle(&g.garage, "Golf");
    add_fuel(&g.garage, &v, 20.0, "good");
    glovebox_core::testing::execute_raw(
        &g.garage,
        "INSERT INTO odometer_records (id, vehicle_id, occurred_at, odometer, hlc, dirty, updated_at) \
                 SELECT 'legacy-17', id, 1704880000, 5.0, hlc, 1, 0 FROM vehicles LIMIT 1",
    )
    .unwrap();
    let r = g.sync().await;
    assert_eq!((r.pushed, r.push_rejected), (2, 1), "{r:?}");
    assert_eq!(fuel_count(&g, &ov), 1);
    let rej = sync::rejected_rows(&g.garage).unwrap();
    assert_eq!(
        (rej[0].id.as_str(), rej[0].code.as_str()),
        ("legacy-17", "bad_id")
    );
    let r = g.sync().await;
    assert_eq!((r.pushed, r.push_rejected), (0, 0));
    other.sync().await;
    assert_eq!(fuel_count(&other, &v), 1);
}

/// A device whose clock runs 10 minutes slow sees everyone else's rows "ahead": it must
/// still take them (the server vouched for their stamps), or it would never agree with the
/// others; and its edits, stamped above what it saw, win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_clock_runs_slow_takes_what_everyone_took() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let slow = Device::minted(&srv, &url, "ann", Some(ten_minutes_slow)).await;
    let v = add_vehicle(&a.garage, "Golf");
    let f = add_fuel(&a.garage, &v, 100.0, "from a");
    a.sync().await;
    let r = slow.sync().await;
    assert_eq!((r.applied, r.quarantined), (2, 0), "{r:?}");
    edit_fuel(&slow.garage, &v, &f, 100.0, "edited on the slow one");
    let r = slow.sync().await;
    assert_eq!(r.push_applied, 1, "{r:?}");
    a.sync().await;
    assert_eq!(
        a.garage.fuel_record(&v, &f).unwrap().notes,
        "edited on the slow one"
    );
    assert_eq!(a.snapshot(), slow.snapshot());
}

/// More of the same kind: the client ignored the limits in `/v1/status` (a server with
/// `max_batch_rows` below 500 refused every batch) and did not split a batch on 413.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_and_pages_follow_the_servers_limits_and_a_413_splits() {
    let srv = TestServer::start_with(LimitsConfig {
        max_batch_rows: 7,
        max_pull_limit: 5,
        // The smallest the server allows: with 5 KB rows a page holds about 13.
        max_pull_bytes: 65_536,
        ..LimitsConfig::default()
    })
    .await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let url = proxy.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let b = Device::minted(&srv, &url, "ann", None).await;
    let v = add_vehicle(&a.garage, "Golf");
    let notes = "x".repeat(5000);
    for i in 0..40 {
        add_fuel(&a.garage, &v, f64::from(i), &notes);
    }
    // The first push of 7 rows is answered 413 by something in between: halved, resent.
    proxy.push_fault("/v1/push", FaultKind::TooLarge);
    let r = a.sync().await;
    assert_eq!((r.pushed, r.push_rejected), (41, 0), "{r:?}");
    assert_eq!(proxy.pending_faults(), 0);
    let pushes = proxy
        .forwarded
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("/v1/push"))
        .count();
    assert!(
        pushes >= 41 / 7,
        "batches of at most 7 rows: {pushes} pushes"
    );
    b.sync().await;
    assert_eq!(fuel_count(&b, &v), 40);
    assert_eq!(a.snapshot(), b.snapshot());

    // A single row within every announced limit answered 413: something on the way has a
    // smaller limit. Not the row's fault: it stays pending, the round says why, and the
    // next round sends it again.
    let f = add_fuel(&a.garage, &v, 99.0, "one row");
    proxy.push_fault("/v1/push", FaultKind::TooLarge);
    let e = a.handle.sync_now().await.unwrap_err();
    assert!(e.is_too_large(), "{e:?}");
    assert_eq!(sync::pending_changes(&a.garage).unwrap(), 1);
    assert!(sync::rejected_rows(&a.garage).unwrap().is_empty());
    assert_eq!(a.sync().await.pushed, 1);
    b.sync().await;
    assert_eq!(b.garage.fuel_record(&v, &f).unwrap().notes, "one row");
}

/// The token store: the keychain where a Secret Service answers, else a 0600 file; the
/// shell can ask which. Logout removes it, and the sync state file with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_store_says_where_the_token_is_and_logout_removes_it() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let a = Device::minted(&srv, &url, "ann", None).await;
    let store = sync::token_store(&a.garage).unwrap().expect("logged in");
    // Where a Secret Service runs (`dbus-run-session` with gnome-keyring unlocked), say
    // which store must have been taken.
    if let Ok(want) = std::env::var("GLOVEBOX_EXPECT_TOKEN_STORE") {
        assert_eq!(format!("{store:?}").to_lowercase(), want);
    }
    let token_file = sync::token_path(&a.garage);
    match store {
        sync::TokenStore::File => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
        }
        sync::TokenStore::Keychain => assert!(!token_file.exists(), "no copy in a file"),
    }
    let creds = sync::load_credentials(&a.garage).unwrap().unwrap();
    assert_eq!(creds.user, "ann");
    let state = a.dir.path().join("garage.db.sync-state");
    assert!(state.exists());
    let status = cli(&db_of(&a), &["status"]);
    assert!(status.contains("Token:       kept in"), "{status}");
    sync::logout(&a.garage).await.unwrap();
    assert_eq!(sync::token_store(&a.garage).unwrap(), None);
    assert!(!token_file.exists() && !state.exists());
    assert!(sync::load_credentials(&a.garage).unwrap().is_none());
    assert!(matches!(
        a.handle.sync_now().await,
        Err(SyncError::Unauthorized(_))
    ));
}
