//! Faults between devices and server: nothing is lost, nothing duplicated, and every
//! device ends identical.

use glovebox_core::sync::{SyncError, SyncState};
use glovebox_tests::sync::*;

fn count_fuel(d: &Device, v: &str) -> usize {
    d.garage
        .fuel_records(v, glovebox_core::Page::ALL)
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_at_start_then_back() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let a = Device::new(&srv.url(), "ann", "a").await;
    let b = Device::new(&srv.url(), "ann", "b").await;
    let stopped = srv.stop().await;

    let v = add_vehicle(&a.garage, "Golf");
    add_fuel(&a.garage, &v, 10.0, "offline");
    let err = a.handle.sync_now().await.unwrap_err();
    assert!(matches!(err, SyncError::Network(_)), "{err:?}");
    assert!(matches!(a.handle.status().state, SyncState::Offline { .. }));
    assert_eq!(a.handle.status().pending, 2, "local data kept for later");

    let srv = stopped.start().await;
    a.sync_until_ok(5).await;
    b.sync_until_ok(5).await;
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(srv.rows_of("ann"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_lost_after_commit_then_repush_is_a_no_op() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let a = Device::new(&proxy.url(), "ann", "a").await;
    let v = add_vehicle(&a.garage, "Golf");
    for i in 0..3 {
        add_fuel(&a.garage, &v, 10.0 + f64::from(i), "x");
    }
    // The server commits the push, then the connection dies before the reply is read.
    proxy.push_fault("/v1/push", FaultKind::CutResponse);
    let report = a.sync_until_ok(5).await;
    assert_eq!(proxy.pending_faults(), 0, "the fault was hit");
    assert_eq!(report.push_applied, 0, "already stored by the lost request");
    assert_eq!(report.push_duplicate, 4);
    assert_eq!(srv.rows_of("ann"), 4, "nothing duplicated");
    assert_eq!(glovebox_core::sync::pending_changes(&a.garage).unwrap(), 0);

    let b = Device::new(&srv.url(), "ann", "b").await;
    b.sync().await;
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(count_fuel(&b, &v), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_batches_change_nothing() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let a = Device::new(&srv.url(), "ann", "a").await;
    let v = add_vehicle(&a.garage, "Golf");
    add_fuel(&a.garage, &v, 10.0, "x");
    a.sync().await;
    // Mark everything dirty again, as a device that crashed before clearing would be.
    glovebox_core::testing::mark_all_dirty(&a.garage).unwrap();
    let before = a.snapshot();
    let r = a.sync().await;
    assert_eq!((r.pushed, r.push_duplicate, r.push_applied), (2, 2, 0));
    assert_eq!(r.applied, 0, "pulling our own rows back changes nothing");
    assert_eq!(a.snapshot(), before);
    assert_eq!(srv.rows_of("ann"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_between_pull_pages_resumes_from_the_saved_cursor() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let a = Device::new(&srv.url(), "ann", "a").await;
    let proxy = FaultProxy::start(srv.addr()).await;
    let mut opts = test_options();
    opts.pull_limit = 40;
    let b = Device::with_options(&proxy.url(), "ann", "b", opts).await;
    let v = add_vehicle(&a.garage, "Golf");
    for i in 0..149 {
        add_fuel(&a.garage, &v, f64::from(i) * 10.0, "x");
    }
    a.sync().await;

    // Two pages arrive; then the server fails every retry of the third and restarts.
    proxy.push_fault("/v1/pull", FaultKind::Pass);
    proxy.push_fault("/v1/pull", FaultKind::Pass);
    for _ in 0..3 {
        proxy.push_fault("/v1/pull", FaultKind::Error500);
    }
    let err = b.handle.sync_now().await.unwrap_err();
    assert!(
        matches!(err, SyncError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(b.snapshot().len(), 80, "two pages applied and kept");

    let srv = srv.restart().await;
    let r = b.sync_until_ok(5).await;
    assert_eq!(
        r.pulled, 70,
        "resumed after the last saved page, nothing fetched twice"
    );
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(srv.rows_of("ann"), 150);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_nothing_is_lost_or_duplicated() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let a = Device::new(&proxy.url(), "ann", "a").await;
    let b = Device::new(&proxy.url(), "ann", "b").await;
    let v = add_vehicle(&a.garage, "Golf");
    for i in 0..5 {
        add_fuel(&a.garage, &v, f64::from(i), "a");
    }
    // Two failures are absorbed inside one round by the request retries.
    proxy.push_fault("/v1/push", FaultKind::Error500);
    proxy.push_fault("/v1/push", FaultKind::Error500);
    let r = a.sync().await;
    assert_eq!(r.push_applied, 6);
    // Five in a row fail rounds; the engine's next rounds get through.
    for _ in 0..5 {
        proxy.push_fault("/v1/pull", FaultKind::Error500);
    }
    b.sync_until_ok(5).await;
    assert!(matches!(b.handle.status().state, SyncState::Idle));
    assert_eq!(proxy.pending_faults(), 0);
    add_fuel(&b.garage, &v, 99.0, "b");
    b.sync().await;
    a.sync().await;
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(srv.rows_of("ann"), 7);
    assert_eq!(count_fuel(&a, &v), 6);
}

/// A server restored from an older copy *between two push batches of one round*: the
/// second batch carries the number the first was given, which the restored server never
/// issued, so it refuses the batch (409 `cursor_ahead`) and the device starts over. Without
/// that check the second batch was stored under a number from the server's new life, the
/// probes vouched for it, and the first batch (here the vehicle) was lost for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_between_two_batches_of_one_round_is_noticed() {
    let srv = TestServer::start_with(glovebox_server::config::LimitsConfig {
        max_batch_rows: 1,
        ..Default::default()
    })
    .await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let a = Device::new(&proxy.url(), "ann", "a").await;
    let backup = srv.backup().await;

    // Two rows, so two batches: the vehicle, then its fill-up.
    let v = add_vehicle(&a.garage, "Golf");
    add_fuel(&a.garage, &v, 10.0, "second batch");
    proxy.push_fault("/v1/push", FaultKind::Pass);
    proxy.push_fault("/v1/push", FaultKind::Gate);
    let (round, srv) = tokio::join!(a.handle.sync_now(), async {
        assert!(
            proxy
                .wait_gated(1, std::time::Duration::from_secs(20))
                .await,
            "the second batch reaches the gate"
        );
        let srv = srv.restore_from(backup).await;
        proxy.open_gate();
        srv
    });
    // The round may end in the reset it ran or report it; either way the next ones agree.
    let _ = round;
    a.sync_until_ok(5).await;
    let b = Device::new(&proxy.url(), "ann", "b").await;
    b.sync_until_ok(5).await;
    assert_eq!(
        b.garage.vehicles(true).unwrap().len(),
        1,
        "the first batch's vehicle"
    );
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(srv.rows_of("ann"), 2);
}
