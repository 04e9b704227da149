//! Sync benchmarks (loopback only, bounded in time and count). Results: docs/BENCHMARKS.md.
//!
//!   cargo bench -p glovebox-tests --bench sync -- initial [RECORDS]
//!   cargo bench -p glovebox-tests --bench sync -- load [DEVICES] [SECONDS] [THINK_MS] [full|normal|both]
//!
//! `initial`: device A holds RECORDS generated records (default 100,000); time A's push
//! through an in-process server and an empty device B's pull of all of it.
//! `load`: runs the server as a child process (this binary with `serve`) so the server's
//! CPU time can be told apart from the load generator's; DEVICES simulated devices (4 per
//! user) each push a batch of 20 new rows then pull what the family wrote, then wait
//! THINK_MS (±50 % jitter), until SECONDS have passed. Prints p50/p95/p99 latency per
//! request and the error rate. The last argument picks the server's SQLite durability:
//! `full` (the default and what glovebox-server runs: fsync at every commit), `normal`
//! (no fsync per commit), or `both` to measure what fsync costs, one after the other.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glovebox_core::generator::{self, GeneratorConfig};
use glovebox_core::sync::{self, Credentials, SyncConfig, SyncEngine, SyncOptions};
use glovebox_core::Garage;
use glovebox_protocol::sync::{PullResponse, PushRequest, PushResponse, SyncRow};
use glovebox_protocol::Hlc;
use glovebox_server::{auth, LimitsConfig};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let num = |i: usize, default: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("serve") => serve(
            args.get(1).expect("db path"),
            args.get(2).expect("port file"),
            args.get(3).map(String::as_str) != Some("normal"),
        ),
        Some("load") => {
            let modes: &[&str] = match args.get(4).map(String::as_str) {
                Some("both") => &["normal", "full"],
                Some("normal") => &["normal"],
                _ => &["full"],
            };
            for mode in modes {
                load(num(1, 1000) as usize, num(2, 20), num(3, 1000), mode);
            }
        }
        Some("initial") | None => initial(num(1, 100_000)),
        Some(other) => panic!("unknown benchmark {other:?}: use initial or load"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Mints a device token straight in storage (no argon2 per simulated device).
fn mint(storage: &dyn glovebox_server::Storage, user: &str) -> (String, String) {
    if storage.user(user).expect("q").is_none() {
        storage.add_user(user, "unused").expect("user");
    }
    let uid = storage.user(user).expect("q").expect("user").id;
    let token = auth::new_token();
    let device = storage
        .add_device(uid, "bench", &auth::token_hash(&token))
        .expect("device");
    (token, device)
}

/// Sums the time of every named local statement, to see where a sync spends it.
#[derive(Default)]
struct Totals(std::sync::Mutex<std::collections::BTreeMap<&'static str, (u64, Duration)>>);

impl glovebox_core::store::QueryObserver for Totals {
    fn observe(&self, name: &'static str, elapsed: Duration) {
        let mut m = self.0.lock().expect("totals");
        let e = m.entry(name).or_default();
        e.0 += 1;
        e.1 += elapsed;
    }
}

impl Totals {
    fn print(&self, who: &str) {
        for (name, (n, d)) in self.0.lock().expect("totals").iter() {
            if name.starts_with("sync.") {
                println!("  {who} {name}: {n} calls, {d:.2?}");
            }
        }
    }
}

fn initial(records: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime();
    rt.block_on(async {
        let srv = glovebox_server::start_sqlite(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            dir.path().join("server.db"),
            LimitsConfig::default(),
        )
        .await
        .expect("server");
        let storage = srv.state.storage.clone();
        let device = |name: &str| {
            let g = Arc::new(Garage::open(dir.path().join(name)).expect("garage"));
            let (token, device_id) = mint(storage.as_ref(), "bench");
            let credentials = Credentials {
                server_url: srv.url(),
                user: "bench".into(),
                device_name: name.into(),
                device_id,
                token,
            };
            sync::save_credentials(&g, &credentials).expect("save");
            let options = SyncOptions {
                interval: Duration::from_secs(3600),
                debounce: Duration::from_secs(3600),
                ..SyncOptions::default()
            };
            (g, SyncConfig { credentials, options })
        };
        let (a, ca) = device("a.db");
        // ~1,850 records per vehicle-decade in the fleet profile.
        let vehicles = (records / 1850).max(1) as usize;
        let end = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let mut cfg = GeneratorConfig::new(generator::DatasetSize::Fleet, 42, end);
        cfg.vehicles = vehicles;
        let t = Instant::now();
        let summary = generator::generate(&a, &cfg).expect("generate");
        let n = sync::pending_changes(&a).expect("pending");
        println!(
            "generated {} records ({} rows incl. completions) on A in {:.2?}",
            summary.records(),
            n,
            t.elapsed()
        );
        let ta = Arc::new(Totals::default());
        a.store().set_observer(ta.clone());
        let ha = SyncEngine::start(a.clone(), Some(ca));
        let cpu0 = cpu_seconds("self");
        let t0 = Instant::now();
        let ra = ha.sync_now().await.expect("push");
        let push = t0.elapsed();
        let (b, cb) = device("b.db");
        let tb = Arc::new(Totals::default());
        b.store().set_observer(tb.clone());
        let hb = SyncEngine::start(b.clone(), Some(cb));
        let t1 = Instant::now();
        let rb = hb.sync_now().await.expect("pull");
        let pull = t1.elapsed();
        let total = push + pull;
        // Client and server share this process: CPU time against wall time shows how much
        // of the machine the run actually got (other work on a shared box stretches wall).
        let cpu = cpu_seconds("self") - cpu0;
        assert_eq!(rb.applied as u64, n, "B received every row");
        // The engine's start-up round may push before sync_now does: count what was pending.
        println!(
            "A push: {n} rows in {push:.2?} ({:.0} rows/s; this sync_now pushed {})",
            n as f64 / push.as_secs_f64(),
            ra.pushed
        );
        println!("B pull: {} rows in {pull:.2?} ({:.0} rows/s)", rb.pulled, rb.pulled as f64 / pull.as_secs_f64());
        println!(
            "initial sync A -> server -> B: {n} rows in {total:.2?} = {:.0} records/s (target < 5 s)",
            n as f64 / total.as_secs_f64()
        );
        println!(
            "  process CPU (client + server) {cpu:.2} s over {:.2} s wall",
            total.as_secs_f64()
        );
        ta.print("A");
        tb.print("B");
        for q in srv.state.stats.queries() {
            println!(
                "  server {}: {} calls, mean {:.2} ms, p99 {:.2} ms",
                q.name,
                q.count,
                q.mean_us / 1000.0,
                q.p99_us as f64 / 1000.0
            );
        }
        ha.stop().await;
        hb.stop().await;
        srv.stop().await.expect("stop");
    });
}

fn serve(db: &str, port_file: &str, synchronous_full: bool) {
    let rt = runtime();
    rt.block_on(async {
        let stats = Arc::new(glovebox_server::stats::QueryStats::new());
        let storage = glovebox_server::SqliteStorage::open_with(
            db,
            stats.clone(),
            glovebox_server::SqliteOptions { synchronous_full },
        )
        .expect("storage");
        let state = Arc::new(glovebox_server::AppState::new(
            Arc::new(storage),
            LimitsConfig::default(),
            stats,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let srv = glovebox_server::start(listener, state).expect("server");
        std::fs::write(port_file, srv.addr.port().to_string()).expect("port file");
        // The parent kills us when done; stop by ourselves after an hour regardless.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|s| s.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn row(device: &str, n: u64) -> SyncRow {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    let data = serde_json::json!({
        "vehicle_id": "0190a000-0000-7000-8000-000000000001", "occurred_at": 1_700_000_000 + n,
        "odometer": 12345.6, "quantity": 41.2, "total_cost": 7345, "is_full": 1,
        "missed_previous": 0, "station": "Shell Main St", "notes": "", "tags": ""
    });
    SyncRow {
        table: "fuel_records".into(),
        // A UUID-form id unique per (device, n): device ids are 32 hex digits.
        id: format!(
            "{}-{}-{}-{}-{:012x}",
            &device[0..8],
            &device[8..12],
            &device[12..16],
            &device[16..20],
            n
        ),
        hlc: Hlc::new(millis, n as u32, device.to_owned()),
        deleted: false,
        data: data.as_object().expect("object").clone(),
    }
}

fn load(devices: usize, seconds: u64, think_ms: u64, synchronous: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let port_file = dir.path().join("port");
    // Make users and tokens before the server process opens the database.
    let tokens: Vec<(String, String)> = {
        let (storage, _) = glovebox_server::open_sqlite(&db).expect("storage");
        (0..devices)
            .map(|i| {
                let (token, id) = mint(storage.as_ref(), &format!("family{}", i / 4));
                (token, id)
            })
            .collect()
    };
    let exe = std::env::current_exe().expect("exe");
    let mut child = std::process::Command::new(exe)
        .args([
            "serve",
            &db.to_string_lossy(),
            &port_file.to_string_lossy(),
            synchronous,
        ])
        .spawn()
        .expect("spawn server");
    let mut port = None;
    for _ in 0..200 {
        if let Some(p) = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|s| s.parse::<u16>().ok())
        {
            port = Some(p);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("http://127.0.0.1:{}", port.expect("server started"));
    let server_pid = child.id().to_string();
    let rt = runtime();
    let (server_cpu0, client_cpu0) = (cpu_seconds(&server_pid), cpu_seconds("self"));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let results = rt.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(devices)
            .build()
            .expect("client");
        let mut tasks = Vec::new();
        for (i, (token, device)) in tokens.into_iter().enumerate() {
            let (http, url) = (http.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let (mut errors, mut cursor, mut n) = (0u64, 0u64, 0u64);
                // Spread the first requests over one think time.
                tokio::time::sleep(Duration::from_millis(
                    think_ms * (i as u64) / devices as u64,
                ))
                .await;
                while Instant::now() < deadline {
                    let rows: Vec<SyncRow> = (0..20)
                        .map(|_| {
                            n += 1;
                            row(&device, n)
                        })
                        .collect();
                    let t = Instant::now();
                    let r = http
                        .post(format!("{url}/v1/push"))
                        .bearer_auth(&token)
                        .json(&PushRequest { rows, epoch: None })
                        .send()
                        .await;
                    let ok = match r {
                        Ok(r) if r.status().is_success() => r.json::<PushResponse>().await.is_ok(),
                        _ => false,
                    };
                    if ok {
                        lat.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                    let t = Instant::now();
                    let r = http
                        .get(format!("{url}/v1/pull?since={cursor}&limit=500"))
                        .bearer_auth(&token)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => match r.json::<PullResponse>().await {
                            Ok(p) => {
                                cursor = p.cursor;
                                lat.push(t.elapsed());
                            }
                            Err(_) => errors += 1,
                        },
                        _ => errors += 1,
                    }
                    let jitter = 0.5 + rand::random::<f64>();
                    tokio::time::sleep(Duration::from_millis((think_ms as f64 * jitter) as u64))
                        .await;
                }
                (lat, errors)
            }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.expect("device task");
            all.extend(l);
            errors += e;
        }
        (all, errors)
    });
    let elapsed = started.elapsed();
    let (server_cpu, client_cpu) = (
        cpu_seconds(&server_pid) - server_cpu0,
        cpu_seconds("self") - client_cpu0,
    );
    let _ = child.kill();
    let _ = child.wait();
    let (mut lat, errors) = results;
    lat.sort();
    let q = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let total = lat.len() as u64 + errors;
    println!(
        "load (synchronous={synchronous}): {devices} devices, {seconds} s, think {think_ms} ms: {total} requests ({:.0}/s), \
         p50 {:.1?} p95 {:.1?} p99 {:.1?} max {:.1?}, errors {errors} ({:.3} %)",
        total as f64 / elapsed.as_secs_f64(),
        q(0.50),
        q(0.95),
        q(0.99),
        lat.last().copied().unwrap_or_default(),
        100.0 * errors as f64 / total.max(1) as f64
    );
    println!(
        "cpu over {:.1} s on {} cores: server {server_cpu:.1} s ({:.0} % of one core), load generator {client_cpu:.1} s ({:.0} %)",
        elapsed.as_secs_f64(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        100.0 * server_cpu / elapsed.as_secs_f64(),
        100.0 * client_cpu / elapsed.as_secs_f64()
    );
}
