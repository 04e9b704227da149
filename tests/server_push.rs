//! Push and pull against a real server over loopback, including rows no Glovebox client
//! would send: each pushed row is checked and answered on its own, the rest of the batch
//! applies, and nothing stored can make a later pull fail (issue 9, problem 2 and "one
//! row the server refuses", "pull pages … no byte limit", "the pull leaves out versions
//! this device pushed").

use glovebox_protocol::rows::MAX_ROW_BYTES;
use glovebox_protocol::sync::{PullResponse, RowOutcome, MAX_LOGIN_BODY_BYTES};
use glovebox_protocol::{Endpoint, Hlc, MAX_CLOCK_DRIFT_MS};
use glovebox_server::LimitsConfig;
use glovebox_tests::server::*;
use serde_json::{json, Value};

fn hlc(node: &str) -> Hlc {
    Hlc::new(now_ms(), 0, node)
}

fn codes(r: &glovebox_protocol::sync::PushResponse) -> Vec<String> {
    r.results
        .iter()
        .map(|x| match x.result {
            RowOutcome::Rejected => x.code.clone().unwrap_or_default(),
            o => serde_json::to_value(o)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_rejected_one_by_one_and_the_rest_of_the_batch_applies() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let mut a = srv.wire("ann");
    let good = |n| fuel_row(&row_id(n), &hlc("aa"), "good");
    let id = row_id(99);
    let h = hlc("aa").to_string();
    let batch = vec![
        good(1),
        json!({"table": "users", "id": id, "hlc": h, "data": {}}),
        json!({"table": "vehicles", "id": "../../etc/passwd", "hlc": h, "data": {}}),
        json!({"table": "vehicles", "id": id, "hlc": h, "data": {"name": {"nested": 1}}}),
        json!({"table": "vehicles", "id": id, "hlc": h, "data": {"name": [1, 2]}}),
        json!({"table": "vehicles", "id": id, "hlc": h, "data": {"Name": "x"}}),
        json!({"table": "vehicles", "id": id, "hlc": h, "data": {"dirty": 1}}),
        json!({"table": "vehicles", "id": id, "hlc": h, "data": {"notes": "x".repeat(MAX_ROW_BYTES)}}),
        json!({"table": "vehicles", "id": id,
               "hlc": Hlc::new(now_ms() + MAX_CLOCK_DRIFT_MS + 60_000, 0, "aa").to_string(),
               "data": {}}),
        json!({"table": "vehicles", "id": id,
               "hlc": Hlc::new(now_ms(), u32::MAX, "aa").to_string(), "data": {}}),
        json!({"table": "vehicles", "id": id, "hlc": "yesterday", "data": {}}),
        json!({"table": "vehicles", "id": id, "hlc": h, "data": null}),
        json!({"table": "vehicles", "id": id, "hlc": h}),
        json!({"table": 7, "id": id, "hlc": h, "data": {}}),
        json!([1, 2, 3]),
        json!("just a string"),
        json!({"table": "vehicles", "id": id, "hlc": h, "data": {}, "deleted": "yes"}),
        good(2),
    ];
    let r = a.push(batch).await.unwrap();
    assert_eq!(
        codes(&r),
        [
            "applied",
            "unknown_table",
            "bad_id",
            "not_flat",
            "not_flat",
            "bad_column",
            "bad_column",
            "row_too_large",
            "clock_ahead",
            "counter_too_large",
            "malformed_row",
            "malformed_row",
            "malformed_row",
            "malformed_row",
            "malformed_row",
            "malformed_row",
            "malformed_row",
            "applied",
        ]
    );
    for x in &r.results {
        if x.result == RowOutcome::Rejected {
            assert!(!x.reason.as_deref().unwrap_or("").is_empty(), "{x:?}");
        }
    }
    assert_eq!(
        r.results[2].id, "../../etc/passwd",
        "rejected rows are named"
    );
    // Only the two good rows are stored, and every device pulls them without a fault.
    let mut b = srv.wire("ann");
    let got = b.pull_all().await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(srv.storage().user("ann").unwrap().unwrap().rows, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_json_allows_but_parsers_disagree_on_are_refused_or_kept_exactly() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let a = srv.wire("ann");
    let h = hlc("aa").to_string();
    let id = row_id(1);
    // Raw bodies: duplicate keys, numbers out of range, lone surrogates, deep nesting.
    let cases = [
        (
            format!(
                r#"{{"table":"vehicles","id":"{id}","hlc":"{h}","data":{{"name":"a","name":{{"x":1}}}}}}"#
            ),
            "malformed_row",
        ),
        (
            format!(
                r#"{{"table":"vehicles","id":"{id}","hlc":"{h}","data":{{"name":{{"x":1}},"name":"a"}}}}"#
            ),
            "malformed_row",
        ),
        (
            format!(
                r#"{{"table":"vehicles","id":"{id}","hlc":"{h}","data":{{"odometer":1e400}}}}"#
            ),
            "malformed_row",
        ),
        (
            format!(r#"{{"table":"vehicles","id":"{id}","hlc":"{h}","data":{{"name":"\ud800"}}}}"#),
            "malformed_row",
        ),
        (
            format!(r#"{{"table":"vehicles","id":"{id}","hlc":"{h}","hlc":"{h}","data":{{}}}}"#),
            "malformed_row",
        ),
        (
            format!(
                r#"{{"table":"vehicles","id":"{id}","hlc":"{h}","data":{{"name":{}}}}}"#,
                "[".repeat(200) + &"]".repeat(200)
            ),
            "malformed_row",
        ),
    ];
    for (row, code) in cases {
        let body = format!(r#"{{"rows":[{row}]}}"#);
        let r = a
            .request(Endpoint::Push)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{row}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["results"][0]["code"], code, "{row}: {v}");
    }
    // What is kept is sent back byte for byte: spacing, escapes, number spelling.
    let data = r#"{ "name" : "Gol\u0066 \"GTI\"\u0000",  "odometer":1.50e3, "notes":"€" }"#;
    let body =
        format!(r#"{{"rows":[{{"table":"vehicles","id":"{id}","hlc":"{h}","data":{data}}}]}}"#);
    let r = a
        .request(Endpoint::Push)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = a
        .request(Endpoint::Pull)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(data), "{text}");
    let page: PullResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(page.rows[0].data["name"], "Golf \"GTI\"\u{0}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_request_is_refused_only_for_what_splitting_or_resetting_fixes() {
    let limits = LimitsConfig {
        max_batch_rows: 3,
        ..LimitsConfig::default()
    };
    let srv = Srv::start_with(SrvOptions {
        limits,
        ..SrvOptions::default()
    })
    .await;
    srv.add_user("ann");
    assert_eq!(
        srv.status().await.limits.max_batch_rows,
        3,
        "status tells the limit"
    );
    let mut a = srv.wire("ann");
    let four: Vec<_> = (0..4)
        .map(|n| fuel_row(&row_id(n), &hlc("aa"), "x"))
        .collect();
    let e = a.push(four.clone()).await.unwrap_err();
    assert_eq!((e.status, e.body.code.as_str()), (413, "batch_too_large"));
    a.push(four[..3].to_vec()).await.unwrap();
    a.push(four[3..].to_vec()).await.unwrap();
    // A body over max_body_bytes: 413 before it is read.
    let big = LimitsConfig::default().max_body_bytes + 1;
    let r = a
        .request(Endpoint::Push)
        .header("content-type", "application/json")
        .body(vec![b' '; big])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Not JSON at all, or not the envelope: 400 with a code.
    for body in ["{not json", r#"{"rows": 5}"#, r#"{"rows": [], "epoch": 7}"#] {
        let r = a.request(Endpoint::Push).body(body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "bad_json");
    }
    let r = a
        .request(Endpoint::Pull)
        .query(&[("since", "-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_pages_stop_at_the_byte_limit_but_always_carry_a_row() {
    let limits = LimitsConfig {
        max_pull_bytes: MAX_ROW_BYTES,
        ..LimitsConfig::default()
    };
    let srv = Srv::start_with(SrvOptions {
        limits,
        ..SrvOptions::default()
    })
    .await;
    srv.add_user("ann");
    let mut a = srv.wire("ann");
    // Ten rows of ~40 KB: at most one fits a 64 KiB page, so each page carries one.
    let rows: Vec<_> = (0..10)
        .map(|n| fuel_row(&row_id(n), &hlc("aa"), &"é".repeat(20_000)))
        .collect();
    for chunk in rows.chunks(3) {
        let r = a.push(chunk.to_vec()).await.unwrap();
        assert!(r.results.iter().all(|x| x.result == RowOutcome::Applied));
    }
    let mut b = srv.wire("ann");
    let mut pages = 0;
    let mut got = 0;
    loop {
        let r = b
            .request(Endpoint::Pull)
            .query(&[("since", b.cursor.to_string()), ("limit", "1000".into())])
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(
            text.len() <= MAX_ROW_BYTES + 1024,
            "page of {} bytes",
            text.len()
        );
        let page: PullResponse = serde_json::from_str(&text).unwrap();
        assert!(!page.rows.is_empty() || !page.has_more);
        pages += 1;
        got += page.rows.len();
        b.cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!((got, pages), (10, 10));
    // Small rows share a page up to the row limit.
    let small: Vec<_> = (20..40)
        .map(|n| fuel_row(&row_id(n), &hlc("aa"), "s"))
        .collect();
    let mut big_limit = srv.wire("ann");
    for c in small.chunks(3) {
        big_limit.push(c.to_vec()).await.unwrap();
    }
    let page = b.pull_page(7).await.unwrap();
    assert_eq!((page.rows.len(), page.has_more), (7, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_receives_its_own_versions_back() {
    // A device restored from a file backup (or a copy on a second machine) pulls from
    // cursor 0 with the same token and must get back what it pushed.
    let srv = Srv::start().await;
    srv.add_user("ann");
    let mut a = srv.wire("ann");
    let rows: Vec<_> = (0..5)
        .map(|n| fuel_row(&row_id(n), &hlc("aa"), "mine"))
        .collect();
    a.push(rows).await.unwrap();
    let got = a.pull_all().await.unwrap();
    assert_eq!(got.len(), 5);
    a.cursor = 0;
    assert_eq!(
        a.pull_all().await.unwrap().len(),
        5,
        "again from a reset cursor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_writer_wins_by_hlc_and_duplicates_change_nothing() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let mut a = srv.wire("ann");
    let id = row_id(1);
    let t = now_ms();
    let (old, new) = (Hlc::new(t, 0, "aa"), Hlc::new(t, 1, "aa"));
    let r = a
        .push(vec![
            fuel_row(&id, &new, "new"),
            fuel_row(&id, &new, "new"),
            fuel_row(&id, &old, "old"),
        ])
        .await
        .unwrap();
    assert_eq!(codes(&r), ["applied", "duplicate", "stale"]);
    let seq = r.seq;
    let r = a.push(vec![fuel_row(&id, &new, "new")]).await.unwrap();
    assert_eq!((codes(&r), r.seq), (vec!["duplicate".to_owned()], seq));
    // Ties on time are broken by the node id, as on every device.
    let r = a
        .push(vec![fuel_row(&id, &Hlc::new(t, 1, "ab"), "b")])
        .await
        .unwrap();
    assert_eq!(codes(&r), ["applied"]);
    let rows = srv.wire("ann").pull_all().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].data["notes"], "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_1_clients_are_refused_clearly_and_newer_ones_too() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let a = srv.wire("ann");
    let status = srv.status().await;
    assert_eq!((status.min_protocol, status.max_protocol), (2, 2));
    for (version, code, http) in [
        ("1", "protocol_too_old", 426),
        ("3", "protocol_too_new", 400),
        ("x", "bad_protocol", 400),
    ] {
        for e in [Endpoint::Push, Endpoint::Pull, Endpoint::Login] {
            let url = format!("{}{}", srv.url(), e.path());
            let r = match e.method() {
                glovebox_protocol::Method::Get => a.http.get(url),
                glovebox_protocol::Method::Post => a.http.post(url),
            };
            let r = r
                .bearer_auth(&a.token)
                .header("glovebox-protocol", version)
                .json(&json!({"rows": []}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), http, "{e:?} v{version}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["code"], code);
            assert!(v["message"].as_str().unwrap().contains("protocol version"));
        }
    }
    // Two version headers are one too many.
    let r = a
        .request(Endpoint::Pull)
        .header("glovebox-protocol", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_a_json_body_even_for_strangers() {
    let srv = Srv::start().await;
    let c = reqwest::Client::new();
    let url = srv.url();
    let cases = [
        (c.get(format!("{url}/nope")), 404),
        (c.get(format!("{url}{}", Endpoint::Push.path())), 404),
        (c.post(format!("{url}{}", Endpoint::Pull.path())), 404),
        (
            c.post(format!("{url}{}", Endpoint::Push.path()))
                .bearer_auth("x"),
            401,
        ),
        (
            c.get(format!("{url}{}", Endpoint::Pull.path()))
                .bearer_auth("z".repeat(64)),
            401,
        ),
        (
            c.post(format!("{url}{}", Endpoint::Login.path()))
                .body(vec![b'x'; MAX_LOGIN_BODY_BYTES + 1]),
            413,
        ),
        (
            c.post(format!("{url}{}", Endpoint::Login.path()))
                .body("{}"),
            400,
        ),
    ];
    for (req, status) in cases {
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status);
        let v: Value = r.json().await.expect("JSON error body");
        assert!(v["code"].is_string() && v["message"].is_string(), "{v}");
    }
}
