//! Authentication, isolation between users, limits and error bodies, against a real
//! server over loopback HTTP.

use glovebox_protocol::sync::{ErrorBody, PullResponse, PushResponse, RowOutcome, StatusResponse};
use glovebox_protocol::Hlc;
use glovebox_server::LimitsConfig;
use glovebox_tests::sync::*;
use serde_json::json;

async fn login(url: &str, user: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/v1/login"))
        .json(&json!({"user": user, "password": password, "device_name": "test"}))
        .send()
        .await
        .unwrap()
}

async fn token(url: &str, user: &str) -> String {
    let r = login(url, user, PASSWORD).await;
    assert_eq!(r.status(), 200);
    r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn row(id: &str, millis: u64, notes: &str) -> serde_json::Value {
    json!({"table": "fuel_records", "id": id, "hlc": Hlc::new(millis, 0, "ab").to_string(),
           "deleted": false, "data": {"vehicle_id": "v1", "notes": notes}})
}

async fn push(url: &str, token: Option<&str>, rows: serde_json::Value) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .post(format!("{url}/v1/push"))
        .json(&json!({ "rows": rows }));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

async fn pull(url: &str, token: &str) -> PullResponse {
    let r = reqwest::Client::new()
        .get(format!("{url}/v1/pull?since=0&limit=100"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn expect_error(r: reqwest::Response, status: u16, code: &str) {
    assert_eq!(r.status().as_u16(), status);
    let body: ErrorBody = r.json().await.expect("JSON error body");
    assert_eq!(body.code, code);
    assert!(!body.message.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_wrong_and_revoked_tokens_get_401() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    expect_error(push(&url, None, json!([])).await, 401, "unauthorized").await;
    expect_error(
        push(&url, Some(&"0".repeat(64)), json!([])).await,
        401,
        "unauthorized",
    )
    .await;
    expect_error(
        login(&url, "ann", "wrong password").await,
        401,
        "unauthorized",
    )
    .await;
    expect_error(login(&url, "nobody", PASSWORD).await, 401, "unauthorized").await;

    let t = token(&url, "ann").await;
    assert_eq!(push(&url, Some(&t), json!([])).await.status(), 200);
    let r = reqwest::Client::new()
        .post(format!("{url}/v1/logout"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    expect_error(push(&url, Some(&t), json!([])).await, 401, "unauthorized").await;

    // Revoked by the admin (glovebox-server device revoke).
    let t2 = token(&url, "ann").await;
    let dev = srv.server.state.storage.devices(Some("ann")).unwrap();
    let live: Vec<_> = dev.iter().filter(|d| !d.revoked).collect();
    assert_eq!(live.len(), 1);
    srv.server.state.storage.revoke_device(&live[0].id).unwrap();
    expect_error(push(&url, Some(&t2), json!([])).await, 401, "unauthorized").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_cannot_read_or_overwrite_each_others_rows() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    srv.add_user("bob");
    let url = srv.url();
    let (ta, tb) = (token(&url, "ann").await, token(&url, "bob").await);
    // Second devices: a device is not sent back the versions it pushed itself.
    let (ta2, tb2) = (token(&url, "ann").await, token(&url, "bob").await);
    let id = "0190aaaa-0000-7000-8000-000000000001";
    assert_eq!(
        push(&url, Some(&ta), json!([row(id, 1000, "ann's")]))
            .await
            .status(),
        200
    );

    assert!(
        pull(&url, &tb2).await.rows.is_empty(),
        "bob sees nothing of ann's"
    );
    // Bob pushes the same id with a newer clock: it lands in bob's space only.
    let r: PushResponse = push(&url, Some(&tb), json!([row(id, 2000, "bob's")]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.results[0].result, RowOutcome::Applied);
    let ann = pull(&url, &ta2).await;
    assert_eq!(ann.rows.len(), 1);
    assert_eq!(ann.rows[0].data["notes"], "ann's");
    assert_eq!(ann.rows[0].hlc.millis, 1000);
    let bob = pull(&url, &tb2).await;
    assert_eq!(bob.rows[0].data["notes"], "bob's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_results_follow_the_hlc_rule() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let url = srv.url();
    let t = token(&url, "ann").await;
    let id = "0190aaaa-0000-7000-8000-000000000002";
    let results = |r: PushResponse| r.results.into_iter().map(|x| x.result).collect::<Vec<_>>();
    let r1: PushResponse = push(&url, Some(&t), json!([row(id, 2000, "b")]))
        .await
        .json()
        .await
        .unwrap();
    let r1_seq = r1.seq;
    assert_eq!(results(r1), [RowOutcome::Applied]);
    let r2: PushResponse = push(
        &url,
        Some(&t),
        json!([row(id, 2000, "b"), row(id, 1000, "a")]),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        results(r2.clone()),
        [RowOutcome::Duplicate, RowOutcome::Stale]
    );
    assert_eq!(r2.seq, r1_seq, "nothing new was sequenced");
    // Protocol 2: a device is sent its own versions too (a restored device needs them).
    let own = pull(&url, &t).await;
    assert_eq!((own.rows.len(), own.cursor), (1, r1_seq));
    let t2 = token(&url, "ann").await;
    let page = pull(&url, &t2).await;
    assert_eq!(
        (page.rows.len(), page.cursor, page.has_more),
        (1, r1_seq, false)
    );
    assert_eq!(page.rows[0].data["notes"], "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_errors_have_json_bodies() {
    let limits = LimitsConfig {
        max_body_bytes: glovebox_server::config::MIN_BODY_BYTES,
        max_batch_rows: 2,
        max_pull_limit: 10,
        login_attempts_per_minute: 3,
        ..LimitsConfig::default()
    };
    let srv = TestServer::start_with(limits).await;
    srv.add_user("ann");
    let url = srv.url();
    let t = token(&url, "ann").await;
    let c = reqwest::Client::new();

    let three: Vec<_> = (0..3).map(|i| row(&format!("id-{i}"), 1000, "x")).collect();
    expect_error(
        push(&url, Some(&t), json!(three)).await,
        413,
        "batch_too_large",
    )
    .await;
    let big = vec![row("id-big", 1000, &"x".repeat(80_000))];
    expect_error(
        push(&url, Some(&t), json!(big)).await,
        413,
        "body_too_large",
    )
    .await;
    let bad = c
        .post(format!("{url}/v1/push"))
        .bearer_auth(&t)
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(bad, 400, "bad_json").await;
    // Protocol 2: a row that breaks a rule is refused on its own (see server_push.rs).
    let unknown = vec![
        json!({"table": "users", "id": "x", "hlc": Hlc::new(1, 0, "ab").to_string(), "data": {}}),
        row("id-f", 32_000_000_000_000, "x"),
    ];
    let r: PushResponse = push(&url, Some(&t), json!(unknown))
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<_> = r.results.iter().map(|x| x.code.as_deref()).collect();
    assert_eq!(codes, [Some("unknown_table"), Some("bad_id")]);
    let old = c
        .get(format!("{url}/v1/pull"))
        .bearer_auth(&t)
        .header("glovebox-protocol", "0")
        .send()
        .await
        .unwrap();
    expect_error(old, 426, "protocol_too_old").await;
    expect_error(
        c.get(format!("{url}/v2/nothing")).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    // One login above; two more allowed, then 429.
    for _ in 0..2 {
        assert_eq!(login(&url, "ann", "wrong password").await.status(), 401);
    }
    expect_error(login(&url, "ann", PASSWORD).await, 429, "rate_limited").await;

    let status: StatusResponse = c
        .get(format!("{url}/v1/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status.limits.max_batch_rows, 2);
    assert_eq!((status.min_protocol, status.max_protocol), (2, 2));
    let health: serde_json::Value = c
        .get(format!("{url}/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let auth = health["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "device.authenticate")
        .expect("token checks are timed");
    assert!(auth["count"].as_u64().unwrap() > 0);
    assert_eq!(auth["rating"], "EXCELLENT");
    assert!(health["uptime_secs"].is_u64());
    let metrics = c
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("glovebox_logins_rate_limited_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("glovebox_query_duration_seconds{query=\"device.authenticate\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_only_mode_never_touches_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let garage = open_garage(&dir);
    assert!(glovebox_core::sync::load_config(&garage).unwrap().is_none());
    let h = glovebox_core::sync::SyncEngine::start(garage.clone(), None);
    assert_eq!(h.status().state, glovebox_core::sync::SyncState::LocalOnly);
    add_vehicle(&garage, "Golf");
    assert!(matches!(
        h.sync_now().await,
        Err(glovebox_core::sync::SyncError::NotConfigured)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_persist_with_a_private_token_file() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let dir = tempfile::tempdir().unwrap();
    let garage = open_garage(&dir);
    let creds = glovebox_core::sync::login(&srv.url(), "ann", PASSWORD, "laptop")
        .await
        .unwrap();
    assert!(
        !format!("{creds:?}").contains(&creds.token),
        "Debug hides the token"
    );
    glovebox_core::sync::save_credentials(&garage, &creds).unwrap();
    drop(garage);
    let garage = open_garage(&dir);
    assert_eq!(
        glovebox_core::sync::load_credentials(&garage).unwrap(),
        Some(creds)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(glovebox_core::sync::token_path(&garage))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    glovebox_core::sync::logout(&garage).await.unwrap();
    assert!(glovebox_core::sync::load_credentials(&garage)
        .unwrap()
        .is_none());
    assert!(srv
        .server
        .state
        .storage
        .devices(Some("ann"))
        .unwrap()
        .iter()
        .all(|d| d.revoked));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_login_now_status_logout() {
    let srv = TestServer::start().await;
    srv.add_user("ann");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db").to_string_lossy().into_owned();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    add_vehicle(&glovebox_core::Garage::open(&db).unwrap(), "Golf");
    let url = srv.url();
    let pw = pw.to_string_lossy().into_owned();
    let out = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let cli = |args: &[&str], out: &mut Vec<u8>| {
            let mut all = vec!["glovebox", "sync", "--db", &db];
            all.extend_from_slice(args);
            glovebox_cli::run(all, out).unwrap();
        };
        cli(&["status"], &mut out);
        cli(
            &[
                "login",
                "--server",
                &url,
                "--user",
                "ann",
                "--password-file",
                &pw,
                "--device",
                "cli",
            ],
            &mut out,
        );
        cli(&["status"], &mut out);
        cli(&["now"], &mut out);
        cli(&["status"], &mut out);
        cli(&["logout"], &mut out);
        cli(&["status"], &mut out);
        String::from_utf8(out).unwrap()
    })
    .await
    .unwrap();
    assert!(out.starts_with("Local only"), "{out}");
    assert!(out.contains("Logged in to"), "{out}");
    assert!(out.contains("Pending:     1 local changes"), "{out}");
    assert!(out.contains("Pushed 1 changes (1 new"), "{out}");
    assert!(out.contains("Pending:     0 local changes"), "{out}");
    assert!(
        out.trim_end()
            .ends_with("Local only: no sync server configured."),
        "{out}"
    );
    assert_eq!(srv.rows_of("ann"), 1);
}
