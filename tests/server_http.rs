//! HTTP hardening against a real server on loopback (issue 13, 5): slow or idle clients
//! are cut off, connections are capped, shutdown finishes the pushes in flight, and
//! `/metrics` is guarded.

use std::time::{Duration, Instant};

use glovebox_protocol::Endpoint;
use glovebox_protocol::Hlc;
use glovebox_server::HttpConfig;
use glovebox_tests::server::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn http(f: impl FnOnce(&mut HttpConfig)) -> SrvOptions {
    let mut h = HttpConfig::default();
    f(&mut h);
    SrvOptions {
        http: h,
        ..SrvOptions::default()
    }
}

/// Reads until the server closes (or `wait` passes): what came back.
async fn read_all(s: &mut TcpStream, wait: Duration) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_closed() {
    let srv = Srv::start_with(http(|h| h.header_timeout_secs = 1)).await;
    // Half a request line, then nothing (slowloris).
    let mut slow = TcpStream::connect(srv.running.addr).await.unwrap();
    slow.write_all(b"GET /v1/status HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    // And a connection that never sends a byte.
    let mut idle = TcpStream::connect(srv.running.addr).await.unwrap();
    let t = Instant::now();
    read_all(&mut slow, Duration::from_secs(10)).await;
    read_all(&mut idle, Duration::from_secs(10)).await;
    let took = t.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "closed after the header timeout, not {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let srv = Srv::start_with(http(|h| h.body_timeout_secs = 1)).await;
    srv.add_user("ann");
    let token = srv.mint("ann");
    let mut s = TcpStream::connect(srv.running.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"rows\":",
        Endpoint::Push.path()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let resp = read_all(&mut s, Duration::from_secs(10)).await;
    assert!(resp.starts_with("HTTP/1.1 503"), "{resp}");
    assert!(resp.contains("did not arrive"), "{resp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_answered_busy() {
    let srv = Srv::start_with(http(|h| h.max_connections = 3)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(srv.running.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(srv.running.addr).await.unwrap();
    let resp = read_all(&mut extra, Duration::from_secs(5)).await;
    assert!(resp.starts_with("HTTP/1.1 503"), "{resp}");
    assert!(resp.contains("\"code\":\"unavailable\""), "{resp}");
    // Freeing one lets the next in.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = reqwest::get(format!("{}{}", srv.url(), Endpoint::Status.path()))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_a_push_in_flight() {
    let srv = Srv::start().await;
    srv.add_user("ann");
    let token = srv.mint("ann");
    let body = serde_json::to_vec(&serde_json::json!({
        "rows": [fuel_row(&row_id(1), &Hlc::new(now_ms(), 0, "aa"), "in flight")]
    }))
    .unwrap();
    let mut s = TcpStream::connect(srv.running.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        Endpoint::Push.path(),
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Stop while the push is half-sent; the rest arrives after.
    let addr = srv.running.addr;
    let stopping = tokio::spawn(srv.running.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!stopping.is_finished(), "waits for the request in flight");
    // New connections are no longer accepted.
    assert!(TcpStream::connect(addr).await.is_err());
    s.write_all(&body[10..]).await.unwrap();
    let resp = read_all(&mut s, Duration::from_secs(10)).await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"applied\""), "{resp}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("stops once the push is answered")
        .unwrap()
        .unwrap();
    // The row is in the database.
    let storage = Srv::open_storage(&srv.db);
    assert_eq!(storage.user("ann").unwrap().unwrap().rows, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_token_or_a_local_unforwarded_caller() {
    let token = "m3tr1cs-t0ken-0123456789";
    let srv = Srv::start_with(http(|h| h.metrics_token = Some(token.into()))).await;
    let url = format!("{}{}", srv.url(), Endpoint::Metrics.path());
    let c = reqwest::Client::new();
    assert_eq!(c.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        c.get(&url)
            .bearer_auth("wrong-token-0123456789")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = c.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("glovebox_http_requests_total"));

    // No token: a local scrape works, the same request through a proxy does not.
    let open = Srv::start().await;
    let url = format!("{}{}", open.url(), Endpoint::Metrics.path());
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    let r = c
        .get(&url)
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // A listener of its own: /metrics moves there.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let split = Srv::start_with(http(|h| h.metrics_listen = Some(free))).await;
    let main = format!("{}{}", split.url(), Endpoint::Metrics.path());
    assert_eq!(c.get(&main).send().await.unwrap().status(), 404);
    let own = format!(
        "http://{}{}",
        split.running.metrics_addr.unwrap(),
        Endpoint::Metrics.path()
    );
    let r = c
        .get(&own)
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let other = format!(
        "http://{}{}",
        split.running.metrics_addr.unwrap(),
        Endpoint::Pull.path()
    );
    assert_eq!(
        c.get(&other).send().await.unwrap().status(),
        404,
        "only metrics there"
    );
}
