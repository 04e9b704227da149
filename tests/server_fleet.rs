//! Several server processes over one PostgreSQL (issue 13, 2): three servers, each with
//! its own connection pool, sequence floor and limiter, behind a balancer that sends
//! every request to a random one; 20 devices of 4 accounts edit and sync concurrently.
//! Every device converges on its account's rows, the server holds each row once, and no
//! puller skipped a row. Needs GLOVEBOX_TEST_PG_URL (several processes over one SQLite
//! file is not a supported setup).

use std::collections::BTreeMap;

use glovebox_tests::backend::{Backend, ServerDb, PG_URL_VAR};
use glovebox_tests::server::{Balancer, Srv};
use glovebox_tests::sync::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_twenty_devices_converge_with_nothing_skipped_or_doubled() {
    if Backend::from_env() == Backend::Sqlite {
        eprintln!("{PG_URL_VAR} is not set: skipping the several-processes test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = ServerDb::create(&Backend::from_env(), dir.path()).await;
    let mut servers = Vec::new();
    for _ in 0..3 {
        let spec = glovebox_server::StorageSpec::parse(&db.spec().to_string()).unwrap();
        let srv = glovebox_server::start_storage(
            "127.0.0.1:0".parse().unwrap(),
            &spec,
            glovebox_server::LimitsConfig {
                login_attempts_per_minute: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("server process");
        servers.push(srv);
        // Different start times: different sequence floors, as real processes have.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let lb = Balancer::start(servers.iter().map(|s| s.addr).collect()).await;
    let admin = Srv::open_storage(&db);
    let users = ["ann", "bob", "cy", "dee"];
    for u in users {
        let hash = glovebox_server::auth::hash_password(PASSWORD).unwrap();
        admin.add_user(u, &hash).unwrap();
    }
    let mut devices = Vec::new();
    for i in 0..20 {
        let user = users[i % users.len()];
        devices.push((user, Device::new(&lb.url(), user, &format!("dev{i}")).await));
    }
    // Each device: a vehicle, then rounds of fill-ups, edits and syncs, all devices at once.
    let tasks: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, (user, d))| {
            tokio::spawn(async move {
                let v = add_vehicle(&d.garage, &format!("car {i}"));
                let mut fills = Vec::new();
                for round in 0..4 {
                    for k in 0..3 {
                        let odo = 1000.0 + (round * 10 + k) as f64;
                        fills.push(add_fuel(&d.garage, &v, odo, &format!("{i}/{round}/{k}")));
                    }
                    if let Some(id) = fills.get(round) {
                        edit_fuel(&d.garage, &v, id, 5000.0 + round as f64, "edited");
                    }
                    d.sync_until_ok(5).await;
                }
                (user, d)
            })
        })
        .collect();
    let mut devices = Vec::new();
    for t in tasks {
        devices.push(t.await.unwrap());
    }
    // Faults are over: everyone syncs twice, one after the other.
    for _ in 0..2 {
        for (_, d) in &devices {
            d.sync_until_ok(5).await;
        }
    }
    let mut by_user: BTreeMap<&str, Vec<Snapshot>> = BTreeMap::new();
    for (user, d) in &devices {
        by_user.entry(user).or_default().push(d.snapshot());
    }
    for (user, snaps) in &by_user {
        for s in snaps {
            assert_eq!(s, &snaps[0], "{user}'s devices agree");
        }
        // 5 devices × (1 vehicle + 12 fill-ups).
        assert_eq!(snaps[0].len(), 5 * 13, "{user}: every row arrived");
        let rows = admin.user(user).unwrap().unwrap().rows;
        assert_eq!(rows, 5 * 13, "{user}: the server holds each row once");
    }
    let served = lb.served.lock().unwrap().clone();
    assert!(
        served.iter().all(|n| *n > 10),
        "every process served requests: {served:?}"
    );
    for s in servers {
        s.stop().await.unwrap();
    }
}
