//! Login against a real server over loopback (issue 9: "the login limiter is keyed by the
//! TCP peer …", problem 5's caps): field caps before anything is stored, the address
//! budget first, X-Forwarded-For from trusted proxies only, backoff per (name, address)
//! so nobody can lock an account out for its owner, a bounded argon2 queue, and a
//! constant-cost lookup.

use std::net::IpAddr;

use glovebox_protocol::sync::{MAX_DEVICE_NAME_BYTES, MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES};
use glovebox_protocol::Endpoint;
use glovebox_server::limiter::FREE_FAILURES;
use glovebox_server::LimitsConfig;
use glovebox_tests::server::*;
use serde_json::{json, Value};

struct Attempt {
    status: u16,
    code: String,
    retry_after: Option<String>,
}

async fn login_from(
    http: &reqwest::Client,
    url: &str,
    forwarded: Option<&str>,
    user: &str,
    password: &str,
    device: &str,
) -> Attempt {
    let mut r = http
        .post(format!("{url}{}", Endpoint::Login.path()))
        .json(&json!({"user": user, "password": password, "device_name": device}));
    if let Some(f) = forwarded {
        r = r.header("x-forwarded-for", f);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let v: Value = r.json().await.unwrap();
    Attempt {
        status,
        code: v["code"].as_str().unwrap_or("").to_owned(),
        retry_after,
    }
}

fn options(per_minute: u32, trusted: &[&str]) -> SrvOptions {
    SrvOptions {
        limits: LimitsConfig {
            login_attempts_per_minute: per_minute,
            ..LimitsConfig::default()
        },
        trusted_proxies: trusted.iter().map(|t| t.parse().unwrap()).collect(),
        ..SrvOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_or_odd_fields_are_refused_before_anything_is_stored() {
    let srv = Srv::start_with(options(100, &[])).await;
    srv.add_user("ann");
    let (http, url) = (reqwest::Client::new(), srv.url());
    let long = |n| "a".repeat(n);
    let cases = [
        (
            long(MAX_USER_NAME_BYTES + 1),
            PASSWORD.to_owned(),
            "laptop".to_owned(),
            "user",
        ),
        (
            String::new(),
            PASSWORD.to_owned(),
            "laptop".to_owned(),
            "user",
        ),
        (
            "ann\u{0}".to_owned(),
            PASSWORD.to_owned(),
            "laptop".to_owned(),
            "user",
        ),
        (
            "ann".to_owned(),
            long(MAX_PASSWORD_BYTES + 1),
            "laptop".to_owned(),
            "password",
        ),
        (
            "ann".to_owned(),
            PASSWORD.to_owned(),
            long(MAX_DEVICE_NAME_BYTES + 1),
            "device_name",
        ),
        (
            "ann".to_owned(),
            PASSWORD.to_owned(),
            "   ".to_owned(),
            "device_name",
        ),
        (
            "ann".to_owned(),
            PASSWORD.to_owned(),
            "lap\ntop".to_owned(),
            "device_name",
        ),
    ];
    for (user, password, device, field) in cases {
        let r = http
            .post(format!("{url}{}", Endpoint::Login.path()))
            .json(&json!({"user": user, "password": password, "device_name": device}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{field}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "bad_login");
        assert!(v["message"].as_str().unwrap().starts_with(field), "{v}");
    }
    assert!(srv.storage().devices(Some("ann")).unwrap().is_empty());
    // Right at the caps it works.
    let ok = login_from(
        &http,
        &url,
        None,
        "ann",
        PASSWORD,
        &long(MAX_DEVICE_NAME_BYTES),
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_budget_is_charged_first_even_for_junk() {
    let srv = Srv::start_with(options(3, &[])).await;
    srv.add_user("ann");
    let (http, url) = (reqwest::Client::new(), srv.url());
    for body in ["junk", "{}", "[]"] {
        let r = http
            .post(format!("{url}{}", Endpoint::Login.path()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
    let a = login_from(&http, &url, None, "ann", PASSWORD, "laptop").await;
    assert_eq!((a.status, a.code.as_str()), (429, "rate_limited"));
    let wait: u64 = a.retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let srv = Srv::start_with(options(2, &["127.0.0.1"])).await;
    srv.add_user("ann");
    let (http, url) = (reqwest::Client::new(), srv.url());
    for _ in 0..2 {
        let a = login_from(&http, &url, Some("198.51.100.1"), "ann", "wrong", "x").await;
        assert_eq!(a.status, 401);
    }
    let a = login_from(&http, &url, Some("198.51.100.1"), "ann", PASSWORD, "x").await;
    assert_eq!(a.status, 429, "that client's budget is spent");
    // Everyone else behind the same proxy still logs in.
    let b = login_from(&http, &url, Some("198.51.100.2"), "ann", PASSWORD, "x").await;
    assert_eq!(b.status, 200);
    // A client cannot escape its budget by prepending forged hops.
    let c = login_from(
        &http,
        &url,
        Some("10.9.9.9, 198.51.100.1"),
        "ann",
        PASSWORD,
        "x",
    )
    .await;
    assert_eq!(c.status, 429);
    // IPv6 clients are counted per /64.
    for i in 0..2 {
        let a = login_from(
            &http,
            &url,
            Some(&format!("2001:db8:0:1::{i}")),
            "ann",
            "no",
            "x",
        )
        .await;
        assert_eq!(a.status, 401);
    }
    let a = login_from(
        &http,
        &url,
        Some("2001:db8:0:1:ffff::7"),
        "ann",
        PASSWORD,
        "x",
    )
    .await;
    assert_eq!(a.status, 429);
    let a = login_from(&http, &url, Some("2001:db8:0:2::1"), "ann", PASSWORD, "x").await;
    assert_eq!(a.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    // Only 127.0.0.1 is a proxy; this client connects from 127.0.0.2.
    let srv = Srv::start_with(options(2, &["127.0.0.1"])).await;
    srv.add_user("ann");
    let http = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let url = srv.url();
    for i in 0..2 {
        let fake = format!("198.51.100.{i}");
        assert_eq!(
            login_from(&http, &url, Some(&fake), "ann", "no", "x")
                .await
                .status,
            401
        );
    }
    let a = login_from(&http, &url, Some("198.51.100.99"), "ann", PASSWORD, "x").await;
    assert_eq!(a.status, 429, "the peer address counts, whatever it claims");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_can_lock_a_named_account_out_for_its_owner() {
    let srv = Srv::start_with(options(1000, &["127.0.0.1"])).await;
    srv.add_user("ann");
    let (http, url) = (reqwest::Client::new(), srv.url());
    let attacker = Some("203.0.113.66");
    let mut statuses = Vec::new();
    for _ in 0..FREE_FAILURES + 5 {
        statuses.push(
            login_from(&http, &url, attacker, "ann", "guess", "x")
                .await
                .status,
        );
    }
    assert_eq!(
        statuses[..FREE_FAILURES as usize],
        [401; FREE_FAILURES as usize]
    );
    assert!(
        statuses[FREE_FAILURES as usize..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    // The owner, from anywhere else, gets in at once.
    let owner = login_from(&http, &url, Some("198.51.100.5"), "ann", PASSWORD, "phone").await;
    assert_eq!(owner.status, 200);
    // An unknown name answers exactly like a known one: no hint which exist.
    let mut unknown = Vec::new();
    for _ in 0..FREE_FAILURES + 5 {
        unknown.push(
            login_from(&http, &url, attacker, "nobody", "guess", "x")
                .await
                .status,
        );
    }
    assert_eq!(unknown, statuses);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_queue_is_bounded_and_the_lookup_counts_nothing() {
    let srv = Srv::start_with(SrvOptions {
        limits: LimitsConfig {
            login_attempts_per_minute: 10_000,
            concurrent_logins: 1,
            ..LimitsConfig::default()
        },
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..SrvOptions::default()
    })
    .await;
    srv.add_user("ann");
    let url = srv.url();
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                let from = format!("198.51.{}.{}", i / 250, i % 250);
                login_from(&http, &url, Some(&from), "ann", "wrong", "x")
                    .await
                    .status
            })
        })
        .collect();
    let mut by_status = std::collections::BTreeMap::new();
    for t in tasks {
        *by_status.entry(t.await.unwrap()).or_insert(0) += 1;
    }
    assert!(
        by_status.keys().all(|s| *s == 401 || *s == 503),
        "{by_status:?}"
    );
    assert!(
        by_status.get(&503).copied().unwrap_or(0) > 0,
        "the queue is bounded: {by_status:?}"
    );
    // The login path looks the user up by its unique index only: no device or row counts.
    let ok = login_from(&http, &url, Some("192.0.2.200"), "ann", PASSWORD, "x").await;
    assert_eq!(ok.status, 200);
    let health: Value = reqwest::get(format!("{url}{}", Endpoint::Health.path()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = health["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"user.login"), "{names:?}");
    assert!(!names.contains(&"user.get"), "{names:?}");
}
