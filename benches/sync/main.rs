//! Sync benchmarks (loopback only, bounded in time and count). Results: docs/BENCHMARKS.md.
//!
//!   cargo bench -p glovebox-tests --bench sync -- initial [RECORDS]
//!   cargo bench -p glovebox-tests --bench sync -- load [DEVICES] [SECONDS] [THINK_MS]
//!                                       [--processes N] [--perf] [--fsync-cost]
//!   cargo bench -p glovebox-tests --bench sync -- load-matrix [--repeat N] [--quick] [--perf]
//!   cargo bench -p glovebox-tests --bench sync -- instructions [ROUNDS] [--server-exe PATH]
//!
//! `initial`: device A holds RECORDS generated records (default 100,000); time A's push
//! through an in-process server and an empty device B's pull of all of it.
//! `load`: DEVICES simulated devices against server processes on loopback until SECONDS
//! have passed (load.rs says what a device does); PostgreSQL when `GLOVEBOX_TEST_PG_URL`
//! is set, with N server processes over one database. Prints p50/p95/p99 latency, errors,
//! on-CPU time per request of the server, PostgreSQL and the generator, and with --perf
//! where the server's CPU goes; with --fsync-cost (SQLite) first with `synchronous=NORMAL`,
//! then with the durable FULL the server runs, to show what fsync costs. `load-matrix`: the runs in one go (1,000 devices
//! every 1 s and 10,000 every 60 s; SQLite ×1, PostgreSQL ×1 and ×3) and a Markdown table.
//! `instructions`: the server's instructions per request under callgrind, for a fixed
//! sequential replay (count.rs). `--server-exe PATH` (load, instructions): the server
//! processes run another bench binary, e.g. a copy built from the baseline commit.

mod count;
mod load;
mod measure;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glovebox_core::generator::{self, GeneratorConfig};
use glovebox_core::sync::{self, Credentials, SyncConfig, SyncEngine, SyncOptions};
use glovebox_core::Garage;
use glovebox_server::{auth, LimitsConfig};
use glovebox_tests::backend::{self, Backend, StorageSpec};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let option = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse::<u64>().ok())
    };
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("--")
                && (*i == 0 || !["--processes", "--server-exe"].contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    let server_exe = args
        .iter()
        .position(|a| a == "--server-exe")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let num = |i: usize, default: u64| {
        positional
            .get(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    match positional.first().map(|s| s.as_str()) {
        Some("serve") => serve(
            positional.get(1).expect("storage spec"),
            positional.get(2).expect("port file"),
            positional.get(3).map(|s| s.as_str()) != Some("normal"),
        ),
        Some("load") => {
            // --fsync-cost (SQLite): first without an fsync per commit (synchronous=NORMAL),
            // then with the durable FULL the server runs, to show what the fsync costs.
            let modes: &[bool] = if flag("--fsync-cost") {
                &[false, true]
            } else {
                &[true]
            };
            for &synchronous_full in modes {
                let params = load::LoadParams {
                    devices: num(1, 1000) as usize,
                    seconds: num(2, 20),
                    think_ms: num(3, 1000),
                    backend: Backend::from_env(),
                    processes: option("--processes").unwrap_or(1) as usize,
                    perf: flag("--perf"),
                    synchronous_full,
                    server: load::ServerCommand {
                        exe: server_exe.clone(),
                        wrapper: Vec::new(),
                    },
                };
                if let Err(e) = load::load(&params) {
                    eprintln!("load: {e}");
                    std::process::exit(1);
                }
            }
        }
        Some("load-matrix") => load::matrix(
            flag("--quick"),
            flag("--perf"),
            option("--repeat").unwrap_or(1) as usize,
        ),
        Some("instructions") => {
            if let Err(e) = count::instructions(num(1, 40) as usize, server_exe) {
                eprintln!("instructions: {e}");
                std::process::exit(1);
            }
        }
        Some("initial") | None => initial(num(1, 100_000)),
        Some(other) => {
            panic!("unknown benchmark {other:?}: use initial, load, load-matrix or instructions")
        }
    }
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Mints a device token straight in storage (no argon2 per simulated device).
pub(crate) fn mint(storage: &dyn glovebox_server::Storage, user: &str) -> (String, String) {
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
        a.set_query_observer(ta.clone());
        let ha = SyncEngine::start(a.clone(), Some(ca));
        let cpu0 = measure::process_cpu(std::process::id());
        let t0 = Instant::now();
        let ra = ha.sync_now().await.expect("push");
        let push = t0.elapsed();
        let (b, cb) = device("b.db");
        let tb = Arc::new(Totals::default());
        b.set_query_observer(tb.clone());
        let hb = SyncEngine::start(b.clone(), Some(cb));
        let t1 = Instant::now();
        let rb = hb.sync_now().await.expect("pull");
        let pull = t1.elapsed();
        let total = push + pull;
        // Client and server share this process: CPU time against wall time shows how much
        // of the machine the run actually got (other work on a shared box stretches wall).
        let cpu = measure::process_cpu(std::process::id()) - cpu0;
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

/// A server process for `load`: serves `spec` on an ephemeral loopback port and writes the
/// port to `port_file`. `synchronous_full: false` runs SQLite without an fsync per commit
/// (only to measure what the fsync costs; glovebox-server always runs with it).
fn serve(spec: &str, port_file: &str, synchronous_full: bool) {
    let spec = StorageSpec::parse(spec).unwrap_or_else(|e| panic!("serve: {e}"));
    let rt = runtime();
    rt.block_on(async {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let srv = match &spec {
            StorageSpec::Sqlite(path) => {
                let server_spec = glovebox_server::StorageSpec::Sqlite {
                    path: path.clone(),
                    options: glovebox_server::SqliteOptions { synchronous_full },
                };
                glovebox_server::start_storage(addr, &server_spec, LimitsConfig::default()).await
            }
            _ => backend::start_spec(addr, &spec, LimitsConfig::default()).await,
        }
        .unwrap_or_else(|e| panic!("serve {}: {e}", spec.backend_name()));
        std::fs::write(port_file, srv.addr.port().to_string()).expect("port file");
        // The parent kills us when done; stop by ourselves after an hour regardless.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
}
