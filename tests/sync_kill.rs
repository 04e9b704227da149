//! `kill -9` of a real `glovebox sync now` process mid-push and mid-pull, then resumed:
//! everything converges, nothing lost, nothing duplicated.
//!
//! - mid-push: the server has stored (and fsynced) a batch whose answer the process never
//!   read; the resumed sync re-sends it (`duplicate`) and the rest;
//! - mid-pull: pages applied before the kill stay with their cursor, the rest follows;
//! - at random moments (a few trials here; a long run:
//!   `GLOVEBOX_KILL_TRIALS=200 cargo test -p glovebox-tests --release --test sync_kill`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use glovebox_core::garage::BatchOptions;
use glovebox_core::{sync, Garage, NewRecord, Page};
use glovebox_tests::sync::*;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_glovebox-test-cli");

fn spawn_sync(db: &Path) -> Child {
    Command::new(BIN)
        .args(["sync", "now", "--db"])
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn glovebox sync now")
}

/// Waits for the process to exit by itself; its stderr on failure.
async fn finish(mut child: Child) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            if status.success() {
                return Ok(());
            }
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            return Err(format!("{status}: {err}"));
        }
        if tokio::time::Instant::now() > deadline {
            let _ = child.kill();
            return Err("no exit within 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// SIGKILL, as `kill -9`: no destructor, no flush, no goodbye.
fn kill9(mut child: Child) {
    child.kill().expect("kill");
    child.wait().expect("reap");
}

/// A logged-in database file (closed again) with a vehicle and `n` fill-ups.
fn prepare(srv: &TestServer, url: &str, n: usize) -> (TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("garage.db");
    let g = Garage::open(&db).expect("open");
    let (token, device_id) = srv.mint("ann");
    sync::save_credentials(
        &g,
        &sync::Credentials {
            server_url: url.to_owned(),
            user: "ann".into(),
            device_name: "killed".into(),
            device_id,
            token,
        },
    )
    .expect("save credentials");
    let v = add_vehicle(&g, "Golf");
    fill(&g, &v, n, "before");
    (dir, db, v)
}

fn fill(g: &Garage, v: &str, n: usize, notes: &str) {
    let records = (0..n).map(|i| NewRecord::Fuel {
        id: None,
        input: fuel_input(v, i as f64, &format!("{notes} {i}")),
    });
    g.write_batch(records, BatchOptions::default())
        .expect("fill-ups");
}

fn pending(db: &Path) -> u64 {
    sync::pending_changes(&Garage::open(db).expect("reopen")).expect("pending")
}

fn snapshot_of(db: &Path) -> Snapshot {
    snapshot(&Garage::open(db).expect("reopen"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_push_then_resumed_loses_and_duplicates_nothing() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let (_dir, db, v) = prepare(&srv, &proxy.url(), 2400);
    // The first batch goes through; the second is stored by the server, its answer held.
    proxy.push_fault("/v1/push", FaultKind::Pass);
    proxy.push_fault("/v1/push", FaultKind::Hold);
    let child = spawn_sync(&db);
    assert!(
        proxy.wait_held(1, Duration::from_secs(60)).await,
        "the second push never reached the server"
    );
    kill9(child);
    assert_eq!(
        srv.rows_of("ann"),
        2000,
        "two batches stored before the kill"
    );
    assert!(pending(&db) >= 1000, "the held batch is still dirty here");

    proxy.clear_faults();
    finish(spawn_sync(&db))
        .await
        .expect("the resumed sync succeeds");
    assert_eq!(srv.rows_of("ann"), 2401, "every row once");
    assert_eq!(pending(&db), 0);
    let other = Device::minted(&srv, &srv.url(), "ann", None).await;
    other.sync().await;
    assert_eq!(
        other.garage.fuel_records(&v, Page::ALL).unwrap().len(),
        2400
    );
    assert_eq!(other.snapshot(), snapshot_of(&db));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_pull_then_resumed_loses_and_duplicates_nothing() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let proxy = FaultProxy::start(srv.addr()).await;
    let other = Device::minted(&srv, &srv.url(), "ann", None).await;
    let v = add_vehicle(&other.garage, "Golf");
    fill(&other.garage, &v, 1500, "pulled");
    other.sync().await;
    let (_dir, db, _) = prepare(&srv, &proxy.url(), 0);
    // Page 1 arrives; page 2 (fetched while page 1 is applied) is held.
    proxy.push_fault("/v1/pull", FaultKind::Pass);
    proxy.push_fault("/v1/pull", FaultKind::Hold);
    let child = spawn_sync(&db);
    assert!(proxy.wait_held(1, Duration::from_secs(60)).await);
    // Let the apply of page 1 run into the kill or finish before it: both must be safe.
    tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 50)).await;
    kill9(child);
    let partial = snapshot_of(&db).len();
    assert!(
        partial < 1502,
        "the kill came before the end ({partial} rows)"
    );

    proxy.clear_faults();
    finish(spawn_sync(&db))
        .await
        .expect("the resumed sync succeeds");
    other.sync().await;
    assert_eq!(snapshot_of(&db), other.snapshot());
    assert_eq!(srv.rows_of("ann"), 1501 + 1, "nothing duplicated");
    assert_eq!(pending(&db), 0);
}

fn trials() -> usize {
    std::env::var("GLOVEBOX_KILL_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// Kills at random moments of rounds that push and pull at once, with local edits in
/// between; then one round to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_then_resumed_converges() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let other = Device::minted(&srv, &srv.url(), "ann", None).await;
    let ov = add_vehicle(&other.garage, "Theirs");
    let (_dir, db, v) = prepare(&srv, &srv.url(), 0);
    let mut expected_rows = 2;
    for t in 0..trials() {
        {
            let g = Garage::open(&db).expect("open");
            fill(&g, &v, 400, &format!("mine {t}"));
        }
        fill(&other.garage, &ov, 400, &format!("theirs {t}"));
        other.sync().await;
        expected_rows += 800;
        let child = spawn_sync(&db);
        tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 400)).await;
        kill9(child);
    }
    finish(spawn_sync(&db))
        .await
        .expect("the resumed sync succeeds");
    other.sync().await;
    assert_eq!(snapshot_of(&db), other.snapshot());
    assert_eq!(srv.rows_of("ann"), expected_rows, "every row once");
    assert_eq!(pending(&db), 0);
}
