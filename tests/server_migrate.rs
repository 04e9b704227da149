//! Moving a server (issue 13, 4): a populated SQLite server is copied with
//! migrate-storage to the backend GLOVEBOX_TEST_PG_URL selects (PostgreSQL in CI; another
//! SQLite file without it) and started on the same address. The devices go on syncing
//! with their tokens, epochs and cursors: they neither log in again nor re-push, nothing
//! is lost or doubled, and a new device receives everything.

use std::net::SocketAddr;

use glovebox_server::migrate_storage;
use glovebox_tests::backend::{Backend, ServerDb};
use glovebox_tests::server::Srv;
use glovebox_tests::sync::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_sync_on_after_the_server_moved_storage() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = ServerDb::create(&Backend::Sqlite, dir.path()).await;
    let start = |db: &ServerDb, addr: SocketAddr| {
        let spec = glovebox_server::StorageSpec::parse(&db.spec().to_string()).unwrap();
        async move {
            glovebox_server::start_storage(addr, &spec, Default::default())
                .await
                .expect("server")
        }
    };
    let srv = start(&sqlite, "127.0.0.1:0".parse().unwrap()).await;
    let addr = srv.addr;
    let hash = glovebox_server::auth::hash_password(PASSWORD).unwrap();
    srv.state.storage.add_user("ann", &hash).unwrap();
    srv.state.storage.add_user("bob", &hash).unwrap();
    let url = srv.url();
    let (a, b) = (
        Device::new(&url, "ann", "a").await,
        Device::new(&url, "ann", "b").await,
    );
    let bob = Device::new(&url, "bob", "bob").await;
    let v = add_vehicle(&a.garage, "Golf");
    for i in 0..30 {
        add_fuel(&a.garage, &v, 1000.0 + i as f64, "before");
    }
    a.sync().await;
    b.sync().await;
    let w = add_vehicle(&bob.garage, "Bob's");
    add_fuel(&bob.garage, &w, 10.0, "bob");
    bob.sync().await;
    let id = add_fuel(&b.garage, &v, 2000.0, "by b");
    b.sync().await;
    a.sync().await;
    // A restart before the move leaves a sequence gap behind; it moves too.
    srv.stop().await.unwrap();
    let srv = start(&sqlite, addr).await;
    add_fuel(&a.garage, &v, 3000.0, "after restart");
    a.sync().await;
    b.sync().await;
    srv.stop().await.unwrap();

    // Move.
    let target = ServerDb::create(&Backend::from_env(), &dir.path().join("new")).await;
    std::fs::create_dir_all(dir.path().join("new")).unwrap();
    let (from, to) = (Srv::open_storage(&sqlite), Srv::open_storage(&target));
    let report = migrate_storage::copy(from.as_ref(), to.as_ref(), |_| {}).unwrap();
    assert_eq!((report.accounts, report.devices, report.rows), (2, 3, 35));
    assert!(report.gaps >= 1, "{report:?}");
    // A second copy into the same destination is refused, not merged.
    assert!(migrate_storage::copy(from.as_ref(), to.as_ref(), |_| {}).is_err());
    drop((from, to));

    let srv = start(&target, addr).await;
    // Nothing to re-push, nothing new to pull: the move is invisible.
    for d in [&a, &b, &bob] {
        let r = d.sync().await;
        assert_eq!((r.pushed, r.pulled), (0, 0), "{r:?}");
    }
    edit_fuel(&a.garage, &v, &id, 2001.0, "edited after the move");
    add_fuel(&b.garage, &v, 4000.0, "added after the move");
    a.sync().await;
    b.sync().await;
    a.sync().await;
    assert_eq!(a.snapshot(), b.snapshot());
    let c = Device::new(&srv.url(), "ann", "c").await;
    c.sync().await;
    assert_eq!(
        c.snapshot(),
        a.snapshot(),
        "a new device receives every row"
    );
    assert_eq!(a.snapshot().len(), 1 + 30 + 1 + 1 + 1);
    assert_eq!(srv.state.storage.user("ann").unwrap().unwrap().rows, 34);
    srv.stop().await.unwrap();
}
