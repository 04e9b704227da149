//! A server restored from an older copy of its database is noticed by every device that
//! synced after the copy was taken, whatever the other devices did first (issue 9,
//! problem 4), and a re-created account or a new database is noticed by its epoch.

use glovebox_protocol::sync::{RowOutcome, SyncRow};
use glovebox_protocol::Hlc;
use glovebox_tests::server::*;
use serde_json::Value;

fn rows(from: u64, n: u64, node: &str) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            fuel_row(
                &row_id(i),
                &Hlc::new(now_ms(), 0, node),
                &format!("row {i}"),
            )
        })
        .collect()
}

/// Every row a device holds, as it would re-push them after a reset.
fn as_push(rows: &[SyncRow]) -> Vec<Value> {
    rows.iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect()
}

fn ids(rows: &[SyncRow]) -> std::collections::BTreeSet<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_server_is_noticed_even_after_another_device_pushed_first() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let (mut a, mut b, mut d) = (srv.wire("ann"), srv.wire("ann"), srv.wire("ann"));
    a.push(rows(1, 3, "aa")).await.unwrap();
    let mut held_d = d.pull_all().await.unwrap();
    b.pull_all().await.unwrap();

    // The backup is taken here; then life goes on: D writes five fill-ups, A two.
    let copy = srv.backup().await;
    let r = d.push(rows(10, 5, "dd")).await.unwrap();
    assert!(r.results.iter().all(|x| x.result == RowOutcome::Applied));
    held_d.extend(d.pull_all().await.unwrap());
    a.push(rows(20, 2, "aa")).await.unwrap();
    let held_a = a.pull_all().await.unwrap();
    assert_eq!(ids(&held_d).len(), 8);

    // Restore the copy (a new server start), and let B push before anyone else syncs,
    // more rows than were lost: numbered one by one, the account's sequence would pass
    // the stale cursors again and nothing would look wrong.
    let srv = srv.restart_from(Some(copy)).await;
    b.push(rows(30, 10, "bb")).await.unwrap();

    // D, whose five fill-ups the server lost, is told so on its next pull.
    let e = d.pull_all().await.unwrap_err();
    assert_eq!(
        (e.status, e.body.code.as_str()),
        (409, "cursor_ahead"),
        "{e:?}"
    );
    // It resets, re-pushes everything it holds (idempotent) and pulls from the start.
    d.reset();
    let r = d.push(as_push(&held_d)).await.unwrap();
    let applied = r
        .results
        .iter()
        .filter(|x| x.result == RowOutcome::Applied)
        .count();
    assert_eq!(
        applied, 5,
        "exactly the lost rows are new again: {:?}",
        r.results
    );
    d.pull_all().await.unwrap();

    // A synced after the copy too: told the same way, recovers the same way.
    let e = a.pull_all().await.unwrap_err();
    assert_eq!(e.body.code, "cursor_ahead");
    a.reset();
    a.push(as_push(&held_a)).await.unwrap();
    a.pull_all().await.unwrap();

    // A new device receives every row: 3 + 5 + 2 + B's ten.
    let mut n = srv.wire("ann");
    let all = n.pull_all().await.unwrap();
    assert_eq!(ids(&all).len(), 20, "{:?}", ids(&all));
    assert_eq!(all.len(), 20, "nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_ahead_of_the_sequence_is_refused_and_a_fresh_one_is_not() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let mut a = srv.wire("ann");
    a.push(rows(1, 2, "aa")).await.unwrap();
    a.pull_all().await.unwrap();
    let copy = srv.backup().await;
    a.push(rows(5, 1, "aa")).await.unwrap();
    a.pull_all().await.unwrap();
    let srv = srv.restart_from(Some(copy)).await;
    // Nobody pushed after the restore: the cursor is above the account's sequence.
    let e = a.pull_page(10).await.unwrap_err();
    assert_eq!((e.status, e.body.code.as_str()), (409, "cursor_ahead"));
    // Same server, same database: the epoch did not change (it is the gap that tells).
    assert_eq!(
        a.epoch.as_deref().unwrap().split('.').next().unwrap(),
        srv.status().await.server_epoch
    );
    // A device that never synced past the copy is fine.
    let mut fresh = srv.wire("ann");
    assert_eq!(fresh.pull_all().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_knowing_a_number_the_restored_server_never_issued_stores_nothing() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let mut a = srv.wire("ann");
    a.push(rows(1, 2, "aa")).await.unwrap();
    let copy = srv.backup().await;
    // Acknowledged, then forgotten by the restore; the device has not pulled since.
    a.push(rows(5, 1, "aa")).await.unwrap();
    let srv = srv.restart_from(Some(copy)).await;
    // Another device pushes first, so the account's sequence passes the lost number
    // (which now lies in the gap).
    srv.wire("ann").push(rows(30, 1, "bb")).await.unwrap();
    let e = a.push(rows(6, 1, "aa")).await.unwrap_err();
    assert_eq!(
        (e.status, e.body.code.as_str()),
        (409, "cursor_ahead"),
        "{e:?}"
    );
    let mut fresh = srv.wire("ann");
    assert_eq!(
        fresh.pull_all().await.unwrap().len(),
        3,
        "row 6 was not stored"
    );
    // Reset and re-pushed, everything is there once.
    a.reset();
    let r = a
        .push(
            rows(1, 2, "aa")
                .into_iter()
                .chain(rows(5, 2, "aa"))
                .collect(),
        )
        .await;
    assert_eq!(r.unwrap().results.len(), 4);
    assert_eq!(srv.wire("ann").pull_all().await.unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_inside_a_gap_or_past_the_sequence_are_refused_on_a_live_server_too() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let mut a = srv.wire("ann");
    a.push(rows(1, 1, "aa")).await.unwrap();
    a.pull_all().await.unwrap();
    let first = a.cursor;
    let srv = srv.restart().await;
    let mut a = Wire::new(&srv.url(), a.token.clone());
    let r = a.push(rows(2, 1, "aa")).await.unwrap();
    assert!(r.seq > first + 1, "a new start jumps to its floor");
    for since in [first + 1, r.seq - 1, r.seq + 1, u64::MAX] {
        a.cursor = since;
        let e = a.pull_page(10).await.unwrap_err();
        assert_eq!(e.body.code, "cursor_ahead", "since {since}");
    }
    for since in [0, first, r.seq] {
        a.cursor = since;
        a.pull_page(10)
            .await
            .unwrap_or_else(|e| panic!("since {since}: {e:?}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epochs_name_the_database_and_the_account() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    srv.add_user("bob");
    let status = srv.status().await;
    assert_eq!(status.server_epoch.len(), 32);
    let (mut a, mut b) = (srv.wire("ann"), srv.wire("bob"));
    let ea = a.push(rows(1, 1, "aa")).await.unwrap().epoch;
    let eb = b.pull_page(10).await.unwrap().epoch;
    let (server, account) = ea.split_once('.').unwrap();
    assert_eq!(server, status.server_epoch);
    assert_ne!(ea, eb, "each account has its own");
    assert_eq!(a.pull_page(10).await.unwrap().epoch, ea, "stable");

    // Another epoch is refused on push and on pull.
    a.epoch = Some(format!("{server}.{}", "0".repeat(32)));
    assert_eq!(a.push(vec![]).await.unwrap_err().body.code, "epoch_changed");
    let e = a.pull_page(10).await.unwrap_err();
    assert_eq!((e.status, e.body.code.as_str()), (409, "epoch_changed"));

    // A re-created account: old tokens are gone, and a device logging in again with its
    // stored epoch is told the account is not the one it synced with.
    srv.storage().remove_user("ann").unwrap();
    srv.add_user("ann");
    a.epoch = Some(ea.clone());
    assert_eq!(a.pull_page(10).await.unwrap_err().status, 401);
    let mut again = srv.wire("ann");
    again.epoch = Some(ea.clone());
    assert_eq!(
        again.pull_page(10).await.unwrap_err().body.code,
        "epoch_changed"
    );
    again.reset();
    let fresh = again.pull_page(10).await.unwrap().epoch;
    assert_ne!(fresh.split_once('.').unwrap().1, account);

    // Another server database has another server epoch.
    let other = Srv::start().await;
    assert_ne!(other.status().await.server_epoch, status.server_epoch);
}
