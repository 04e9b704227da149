//! Random operations and sync interleavings across three devices: after everyone syncs,
//! all devices are identical and every record holds the write with the greatest HLC.
//!
//! 200 cases by default; a long run: `PROPTEST_CASES=20000 cargo test -p glovebox-tests
//! --release --test sync_proptest`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use glovebox_core::sync::{Credentials, SyncConfig, SyncEngine};
use glovebox_server::auth;
use glovebox_tests::sync::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Add { dev: usize },
    Edit { dev: usize, slot: usize },
    Delete { dev: usize, slot: usize },
    Sync { dev: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize).prop_map(|dev| Op::Add { dev }),
        (0..3usize, 0..8usize).prop_map(|(dev, slot)| Op::Edit { dev, slot }),
        (0..3usize, 0..8usize).prop_map(|(dev, slot)| Op::Delete { dev, slot }),
        (0..3usize).prop_map(|dev| Op::Sync { dev }),
    ]
}

/// One server for all cases (each case gets its own user, so cases cannot see each
/// other), on a runtime that outlives them.
fn shared() -> &'static (tokio::runtime::Runtime, TestServer) {
    static S: OnceLock<(tokio::runtime::Runtime, TestServer)> = OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let srv = rt.block_on(TestServer::start());
        (rt, srv)
    })
}

/// A device with a token minted straight in storage: argon2 logins would dominate a
/// 200-case run and are covered by the auth tests.
fn device(srv: &TestServer, user_id: i64, user: &str) -> Device {
    let token = auth::new_token();
    let storage = &srv.server.state.storage;
    let device_id = storage
        .add_device(user_id, "prop", &auth::token_hash(&token))
        .expect("device");
    let dir = tempfile::tempdir().expect("tempdir");
    let garage = open_garage(&dir);
    let credentials = Credentials {
        server_url: srv.url(),
        user: user.to_owned(),
        device_name: "prop".into(),
        device_id,
        token,
    };
    glovebox_core::sync::save_credentials(&garage, &credentials).expect("save");
    let handle = SyncEngine::start(
        garage.clone(),
        Some(SyncConfig {
            credentials,
            options: test_options(),
        }),
    );
    Device {
        garage,
        handle,
        dir,
    }
}

fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let (rt, srv) = shared();
    let user = format!(
        "case{}",
        CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    // The password hash is never checked here: no one logs in with a password.
    srv.server
        .state
        .storage
        .add_user(&user, "unused")
        .expect("user");
    let user_id = srv
        .server
        .state
        .storage
        .user(&user)
        .expect("q")
        .expect("user")
        .id;
    rt.block_on(async {
        let devs: Vec<Device> = (0..3).map(|_| device(srv, user_id, &user)).collect();
        let v = add_vehicle(&devs[0].garage, "Shared");
        for d in &devs {
            d.sync().await;
        }
        let mut ids: Vec<String> = Vec::new();
        // id → (greatest HLC written, notes or None when that write was a delete)
        let mut model: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        let mut n = 0;
        for op in ops {
            n += 1;
            match op {
                Op::Add { dev } => {
                    let g = &devs[dev].garage;
                    let notes = format!("add {n}");
                    let id = add_fuel(g, &v, f64::from(n), &notes);
                    model.insert(id.clone(), (hlc_of(g, "fuel_records", &id), Some(notes)));
                    ids.push(id);
                }
                Op::Edit { dev, slot } | Op::Delete { dev, slot } if !ids.is_empty() => {
                    let g = &devs[dev].garage;
                    let id = ids[slot % ids.len()].clone();
                    if g.fuel_record(&v, &id).is_err() {
                        continue; // not here yet, or deleted here
                    }
                    let after = if matches!(op, Op::Edit { .. }) {
                        let notes = format!("edit {n}");
                        edit_fuel(g, &v, &id, f64::from(n), &notes);
                        Some(notes)
                    } else {
                        delete_fuel(g, &id);
                        None
                    };
                    let h = hlc_of(g, "fuel_records", &id);
                    let e = model.get_mut(&id).expect("known id");
                    if h > e.0 {
                        *e = (h, after);
                    }
                }
                Op::Edit { .. } | Op::Delete { .. } => {}
                Op::Sync { dev } => {
                    devs[dev].sync().await;
                }
            }
        }
        for _ in 0..2 {
            for d in &devs {
                d.sync().await;
            }
        }
        let first = devs[0].snapshot();
        for d in &devs[1..] {
            prop_assert_eq!(&d.snapshot(), &first);
        }
        for d in &devs {
            prop_assert_eq!(
                glovebox_core::sync::pending_changes(&d.garage).expect("count"),
                0
            );
        }
        for (id, (_, notes)) in &model {
            let got = devs[1].garage.fuel_record(&v, id).ok().map(|r| r.notes);
            prop_assert_eq!(&got, notes, "record {}", id);
        }
        for d in devs {
            d.handle.stop().await;
        }
        Ok(())
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn three_devices_converge_to_the_latest_writes(ops in prop::collection::vec(op(), 1..30)) {
        run_case(ops)?;
    }
}

#[test]
fn shared_server_survives_between_cases() {
    // Guards the OnceLock set-up itself: two users, independent.
    run_case(vec![Op::Add { dev: 0 }, Op::Sync { dev: 0 }]).expect("case 1");
    run_case(vec![Op::Add { dev: 1 }, Op::Edit { dev: 1, slot: 0 }]).expect("case 2");
}
