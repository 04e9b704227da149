//! Desktop-app benchmarks through `App` (what the window calls), on real files and a real
//! server on loopback. Results: docs/BENCHMARKS.md, "Desktop".
//!
//!   cargo bench -p glovebox-tests --bench app -- import [ROWS]   (default 10,000)
//!   cargo bench -p glovebox-tests --bench app -- sync
//!
//! `import`: the wizard's preview of a ROWS-row LubeLogger fuel CSV (median of 5, the
//! same App), then its commit into a fresh database each time (median of 3).
//! `sync`: the demo garage's first sync from the app (sign in starts the engine, which
//! pushes everything), median of 3 fresh accounts; plus the rows sent.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use glovebox_core::app::{App, AppOptions, SignIn};
use glovebox_core::import::ImportOptions;
use glovebox_core::units::{Currency, DistanceUnit, VolumeUnit};
use glovebox_server::{auth, LimitsConfig};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("import") | None => import(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000)),
        Some("sync") => first_sync(),
        Some(other) => panic!("unknown benchmark {other:?}: use import or sync"),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn cpu_ms() -> f64 {
    // utime + stime of this process, from /proc (ticks of 1/100 s on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) * 10.0
}

fn csv(rows: usize) -> String {
    let mut s = String::from(
        "Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags\n",
    );
    let start = chrono::NaiveDate::from_ymd_opt(2001, 1, 13).unwrap();
    for i in 0..rows {
        let d = start + chrono::Duration::days(i as i64 / 4);
        s.push_str(&format!(
            "{},{},16.00,24.00,0,True,False,,\n",
            d.format("%m/%d/%Y"),
            10_000 + 200 * i
        ));
    }
    s
}

fn import(rows: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Golf.csv");
    std::fs::write(&file, csv(rows)).unwrap();
    let opts = ImportOptions {
        distance_unit: Some(DistanceUnit::Kilometre),
        volume_unit: Some(VolumeUnit::Litre),
        currency: Some(Currency::EUR),
        ..ImportOptions::default()
    };
    let app = App::open_db(dir.path().join("preview.db"), AppOptions::command_line()).unwrap();
    let cpu0 = cpu_ms();
    let previews: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let r = app.import_preview(&file, &opts).unwrap();
            assert!(r.needs.is_empty() && r.new_records.fuel == rows as u64);
            t.elapsed()
        })
        .collect();
    let preview_cpu = (cpu_ms() - cpu0) / 5.0;
    let cpu0 = cpu_ms();
    let commits: Vec<Duration> = (0..3)
        .map(|i| {
            let app = App::open_db(
                dir.path().join(format!("c{i}.db")),
                AppOptions::command_line(),
            )
            .unwrap();
            let t = Instant::now();
            let r = app.import_commit(&file, &opts).unwrap();
            assert_eq!(r.new_records.fuel, rows as u64);
            t.elapsed()
        })
        .collect();
    let commit_cpu = (cpu_ms() - cpu0) / 3.0;
    println!(
        "import {rows} rows: preview median {:.0} ms (runs {:?}; CPU {:.0} ms/run), commit median {:.0} ms (runs {:?}; CPU {:.0} ms/run)",
        median(previews.clone()).as_secs_f64() * 1e3,
        previews.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
        preview_cpu,
        median(commits.clone()).as_secs_f64() * 1e3,
        commits.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
        commit_cpu,
    );
}

fn first_sync() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = rt
        .block_on(glovebox_server::start_sqlite(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            dir.path().join("server.db"),
            LimitsConfig::default(),
        ))
        .unwrap();
    let hash = auth::hash_password("correct horse battery").unwrap();
    let mut runs = Vec::new();
    let mut rows = 0;
    for i in 0..3 {
        let user = format!("user{i}");
        server.state.storage.add_user(&user, &hash).unwrap();
        let app = App::open_db(
            dir.path().join(format!("app{i}.db")),
            AppOptions {
                sync: true,
                ..AppOptions::command_line()
            },
        )
        .unwrap();
        app.load_demo().unwrap();
        rows = glovebox_core::sync::pending_changes(app.garage()).unwrap();
        let t = Instant::now();
        app.block_on(app.sign_in(SignIn {
            server_url: server.url(),
            user,
            password: "correct horse battery".into(),
            device_name: "bench".into(),
            allow_insecure: false,
        }))
        .unwrap();
        // Sign-in starts the engine; "Sync now" returns once that first round is done.
        app.block_on(app.sync_now()).unwrap();
        assert_eq!(app.sync_status().pending, 0);
        runs.push(t.elapsed());
    }
    println!(
        "first sync of the demo garage ({rows} rows) from the app: median {:.0} ms (runs {:?}), sign-in included",
        median(runs.clone()).as_secs_f64() * 1e3,
        runs.iter().map(|d| d.as_millis()).collect::<Vec<_>>()
    );
    rt.block_on(server.stop()).unwrap();
}
