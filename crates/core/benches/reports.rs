//! Report benchmarks on the generator's fleet dataset (1,000 vehicles × 10 years).
//!
//!     cargo bench -p glovebox-core --bench reports
//!
//! `GLOVEBOX_BENCH_SIZE=demo|small|medium` runs on a smaller dataset; without `--bench`
//! (`cargo test --benches`, the test suite's smoke run) every block runs once, briefly.
//!
//! The dataset is built once and kept in target/bench-data/, keyed by size, seed, end date
//! and a fingerprint of the generator's source (building it takes minutes). "Cold" means our report cache is bypassed; SQLite's
//! page cache is warm, as it is in a running app. Results: docs/BENCHMARKS.md.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use criterion::Criterion;
use glovebox_core::generator::{self, DatasetSize, GeneratorConfig, Rng};
use glovebox_core::odometer::OdometerInput;
use glovebox_core::perf::Tracker;
use glovebox_core::reports::cache::{Params, Value};
use glovebox_core::reports::{CacheConfig, ReportCache, Reports};
use glovebox_core::{Garage, WriteOptions};

const SEED: u64 = 42;

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).expect("valid date")
}

/// "Now" for the reports: the dataset's last day, so "this year" and urgency are stable.
fn bench_now() -> NaiveDateTime {
    end().and_hms_opt(18, 0, 0).expect("valid time")
}

/// The generator's source: part of the dataset's cache key, so a changed generator gets a
/// fresh dataset instead of silently benchmarking the old one.
const GENERATOR_SOURCE: &str = include_str!("../src/generator.rs");

fn generator_fingerprint() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in GENERATOR_SOURCE.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
}

fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench-data")
}

/// The dataset's database, generated on first use. Generated under a temporary name and
/// renamed when complete, so an interrupted run never leaves a half dataset behind.
fn dataset(size: DatasetSize, name: &str) -> PathBuf {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    let stem = format!("{name}-{SEED}-{}-{}", end(), generator_fingerprint());
    let path = dir.join(format!("{stem}.db"));
    if !path.exists() {
        let tmp = dir.join(format!("{stem}.tmp.db"));
        let _ = std::fs::remove_file(&tmp);
        eprintln!(
            "generating the {name} dataset into {} (once)...",
            path.display()
        );
        let started = Instant::now();
        {
            let g = Garage::open(&tmp).expect("open dataset");
            let s = generator::generate(&g, &GeneratorConfig::new(size, SEED, end()))
                .expect("generate dataset");
            eprintln!("{} records in {:.0?}", s.records(), started.elapsed());
        }
        // The store's last connection to close is a read-only reader, which cannot fold the
        // WAL back into the file; do it here, so the renamed file is the whole dataset.
        let conn = rusqlite::Connection::open(&tmp).expect("reopen dataset");
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint dataset");
        drop(conn);
        std::fs::rename(&tmp, &path).expect("rename dataset");
    }
    path
}

fn open_reports(path: &PathBuf) -> Arc<Reports> {
    let g = Garage::open(path)
        .expect("open dataset")
        .with_now(bench_now);
    Reports::new(Arc::new(g), CacheConfig::default())
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat). The machine is shared, so
/// wall-clock medians include time spent waiting for a core; on-CPU time does not.
fn on_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Median and mean wall time of `f` over `n` calls, and mean on-CPU time (schedstat is
/// only updated at scheduler events, so it is trustworthy summed over many calls, not per
/// call), all in microseconds.
fn wall_and_cpu(n: usize, mut f: impl FnMut(usize)) -> (f64, f64, Option<f64>) {
    let mut wall = Vec::with_capacity(n);
    let c0 = on_cpu_ns();
    for i in 0..n {
        let t0 = Instant::now();
        f(i);
        wall.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    let cpu = c0
        .zip(on_cpu_ns())
        .map(|(a, b)| (b - a) as f64 / 1e3 / n as f64);
    let mean = wall.iter().sum::<f64>() / n as f64;
    wall.sort_by(f64::total_cmp);
    (wall[n / 2], mean, cpu)
}

/// Cold reports over every vehicle once: median wall vs on-CPU time per call.
fn cold_on_cpu(reports: &Arc<Reports>, vehicles: &[String]) {
    let now = bench_now();
    let from = now - chrono::Duration::days(3653);
    let to = now + chrono::Duration::days(1);
    let n = vehicles.len();
    let (w, m, c) = wall_and_cpu(n, |i| {
        black_box(reports.compute_dashboard(&vehicles[i]).expect("dashboard"));
    });
    println!("cold dashboard over {n} vehicles: wall median {w:.0} µs, mean {m:.0} µs; mean on-CPU {c:.0?} µs");
    let (w, m, c) = wall_and_cpu(n, |i| {
        black_box(
            reports
                .compute_fuel_report(&vehicles[i], from, to)
                .expect("fuel report"),
        );
    });
    println!("cold 10-year fuel report over {n} vehicles: wall median {w:.0} µs, mean {m:.0} µs; mean on-CPU {c:.0?} µs");
    let runs = if quick() { 2 } else { 50 };
    let (w, m, c) = wall_and_cpu(runs, |_| {
        black_box(reports.compute_garage_overview().expect("overview"));
    });
    println!("cold garage overview of {n} vehicles ({runs} runs): wall median {w:.0} µs, mean {m:.0} µs; mean on-CPU {c:.0?} µs");
    assert_eq!(
        reports.compute_garage_overview().expect("overview"),
        reports
            .compute_overview_from_dashboards()
            .expect("overview"),
        "the set-based overview equals the dashboards'"
    );
    let v0 = &vehicles[0];
    reports.dashboard(v0).expect("dashboard");
    let hits: usize = if quick() { 1_000 } else { 200_000 };
    let c0 = on_cpu_ns();
    let t0 = Instant::now();
    for _ in 0..hits {
        black_box(reports.dashboard(black_box(v0)).expect("dashboard"));
    }
    let wall = t0.elapsed().as_secs_f64() * 1e9 / hits as f64;
    let cpu = c0
        .zip(on_cpu_ns())
        .map(|(a, b)| (b - a) as f64 / hits as f64);
    println!("cached dashboard hit: mean wall {wall:.0} ns, mean on-CPU {cpu:.0?} ns");
}

fn benches(c: &mut Criterion, reports: &Arc<Reports>, vehicles: &[String]) {
    let now = bench_now();
    let ten_years_ago = now - chrono::Duration::days(3653);
    let to = now + chrono::Duration::days(1);
    let v0 = vehicles[0].clone();

    // Same-run baseline: one primary-key read (the machine's speed right now). The code
    // before a change is the other baseline: docs/BENCHMARKS.md runs both builds.
    let mut g = c.benchmark_group("baseline");
    g.bench_function("vehicle_get", |b| {
        b.iter(|| black_box(reports.garage().vehicle(black_box(&v0)).expect("vehicle")))
    });
    g.finish();

    let mut g = c.benchmark_group("dashboard");
    let mut i = 0usize;
    g.bench_function("cold", |b| {
        b.iter(|| {
            // Rotate through vehicles: no single vehicle's pages stay hottest.
            i = (i + 1) % vehicles.len();
            black_box(reports.compute_dashboard(&vehicles[i]).expect("dashboard"))
        })
    });
    reports.dashboard(&v0).expect("dashboard");
    g.bench_function("cached", |b| {
        b.iter(|| black_box(reports.dashboard(black_box(&v0)).expect("dashboard")))
    });
    g.finish();

    let mut g = c.benchmark_group("fuel_report_10y");
    let mut i = 0usize;
    g.bench_function("cold", |b| {
        b.iter(|| {
            i = (i + 1) % vehicles.len();
            black_box(
                reports
                    .compute_fuel_report(&vehicles[i], ten_years_ago, to)
                    .expect("fuel report"),
            )
        })
    });
    reports
        .fuel_report(&v0, ten_years_ago, to)
        .expect("fuel report");
    g.bench_function("cached", |b| {
        b.iter(|| {
            black_box(
                reports
                    .fuel_report(black_box(&v0), ten_years_ago, to)
                    .expect("fuel report"),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("garage_overview");
    g.bench_function("cold", |b| {
        b.iter(|| black_box(reports.compute_garage_overview().expect("overview")))
    });
    reports.garage_overview().expect("overview");
    let mut i = 0usize;
    g.bench_function("after_one_vehicle_changed", |b| {
        b.iter(|| {
            // The vehicle's keys and the overview key go stale without a change the
            // overview's log saw (as when an entry ages out): a rebuild of every line. A
            // write's refresh patches the vehicle's line instead; the mixed workload below
            // prints those patches' times.
            i = (i + 1) % vehicles.len();
            reports.cache().invalidate_vehicle(&vehicles[i]);
            black_box(reports.garage_overview().expect("overview"))
        })
    });
    g.bench_function("cached", |b| {
        b.iter(|| black_box(reports.garage_overview().expect("overview")))
    });
    g.finish();
    // The same-run baseline: the overview as 1,000 cold dashboards (how it was built
    // before the stored stats), which the set-based one must equal.
    let mut g = c.benchmark_group("garage_overview_baseline");
    g.sample_size(10);
    g.bench_function("cold_all_dashboards", |b| {
        b.iter(|| {
            black_box(
                reports
                    .compute_overview_from_dashboards()
                    .expect("overview"),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cache_hit_path");
    let cache = ReportCache::new(CacheConfig::default());
    let dash = Arc::new(reports.compute_dashboard(&v0).expect("dashboard"));
    cache
        .get_or_compute(Some(&v0), Params::Dashboard, || {
            Ok(Value::Dashboard(dash.clone()))
        })
        .expect("insert");
    g.bench_function("get_or_compute_hit", |b| {
        b.iter(|| {
            black_box(
                cache
                    .get_or_compute(Some(black_box(&v0)), Params::Dashboard, || {
                        unreachable!("benchmark expects a hit")
                    })
                    .expect("hit"),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("tracker");
    let tracker = Tracker::new();
    g.bench_function("baseline_two_instant_now", |b| {
        b.iter(|| {
            let start = Instant::now();
            black_box(start.elapsed())
        })
    });
    g.bench_function("record", |b| {
        b.iter(|| {
            tracker.record(
                black_box("bench.query"),
                black_box(Duration::from_micros(42)),
            )
        })
    });
    g.bench_function("time_closure", |b| {
        b.iter(|| tracker.time(black_box("bench.query"), || black_box(1)))
    });
    g.finish();
}

/// 95% reads / 5% writes on the fleet, after warming: reports the cache's hit rate, the
/// request-level hit rate, and the share of database queries the cache avoided compared
/// with computing every read afresh.
fn mixed_workload(reports: &Arc<Reports>, vehicles: &[String]) {
    let ops: usize = if quick() { 200 } else { 20_000 };
    // The vehicles a user looks at during a session (reads and writes both go there).
    let working_set: usize = vehicles.len().min(50);
    let now = bench_now();
    let from = now - chrono::Duration::days(3653);
    let to = now + chrono::Duration::days(1);
    let tracker = reports.tracker();
    let queries = || -> u64 {
        tracker
            .queries()
            .iter()
            .filter(|q| q.name.starts_with("report.q."))
            .map(|q| q.count)
            .sum()
    };
    // Queries one uncached computation of each report issues.
    let q0 = queries();
    reports.compute_dashboard(&vehicles[0]).expect("dashboard");
    let q_dashboard = queries() - q0;
    let q0 = queries();
    reports
        .compute_fuel_report(&vehicles[0], from, to)
        .expect("fuel report");
    let q_fuel = queries() - q0;
    let q0 = queries();
    reports.compute_garage_overview().expect("overview");
    let q_overview = queries() - q0;

    reports.warm().expect("warm");
    let set = &vehicles[..working_set];
    for v in set {
        reports.fuel_report(v, from, to).expect("fuel report");
    }
    let before = reports.cache_stats();
    let refreshes_before = reports.cache().refreshes();
    let waits_before = reports.cache().waits();
    let q_before = queries();
    let mut rng = Rng::new(7);
    let mut odometer: Vec<f64> = set
        .iter()
        .map(|v| {
            reports
                .garage()
                .current_odometer(v)
                .expect("odometer")
                .map_or(0.0, |d| d.value)
        })
        .collect();
    let (mut reads, mut writes, mut uncached_queries) = (0u64, 0u64, 0u64);
    let (mut req_hits, mut req_misses) = (0u64, 0u64);
    let started = Instant::now();
    for _ in 0..ops {
        let k = rng.below(working_set as u64) as usize;
        let v = &set[k];
        let roll = rng.unit();
        let misses_before = reports.cache_stats_light_misses();
        if roll < 0.05 {
            odometer[k] += 25.0;
            reports
                .garage()
                .add_odometer(
                    &OdometerInput {
                        vehicle_id: v.clone(),
                        occurred_at: now,
                        odometer: odometer[k],
                        notes: String::new(),
                    },
                    WriteOptions::CONFIRMED,
                )
                .expect("write");
            writes += 1;
            continue;
        }
        reads += 1;
        if roll < 0.05 + 0.95 * 0.60 {
            reports.dashboard(v).expect("dashboard");
            uncached_queries += q_dashboard;
        } else if roll < 0.05 + 0.95 * 0.85 {
            reports.fuel_report(v, from, to).expect("fuel report");
            uncached_queries += q_fuel;
        } else {
            reports.garage_overview().expect("overview");
            uncached_queries += q_overview;
        }
        if reports.cache_stats_light_misses() == misses_before {
            req_hits += 1;
        } else {
            req_misses += 1;
        }
    }
    let elapsed = started.elapsed();
    let refreshes = reports.cache().refreshes() - refreshes_before;
    let waits = reports.cache().waits() - waits_before;
    let after = reports.cache_stats();
    let hits = after.total.hits - before.total.hits;
    let misses = after.total.misses - before.total.misses;
    let actual_queries = queries() - q_before;
    println!("mixed 95/5 workload: {ops} ops ({reads} reads, {writes} writes) over a working set of {working_set} of {} vehicles in {elapsed:.2?} ({:.1} µs/op)",
        vehicles.len(), elapsed.as_secs_f64() * 1e6 / ops as f64);
    println!("  reads: 60% dashboard, 25% 10-year fuel report, 15% garage overview; writes: an odometer reading");
    println!(
        "  cache lookups (incl. the overview's per-vehicle dashboards): {hits} hits, {misses} misses, hit rate {:.2}%",
        100.0 * hits as f64 / (hits + misses).max(1) as f64
    );
    println!(
        "  requests: {req_hits} served without computing, {req_misses} computed, hit rate {:.2}%",
        100.0 * req_hits as f64 / (req_hits + req_misses).max(1) as f64
    );
    println!(
        "  background: {refreshes} reports refreshed ahead of their read; {waits} reads waited for a refresh in flight"
    );
    for (name, what) in [
        (
            "report.garage_overview_patch",
            "overview patches (the changed lines)",
        ),
        ("report.garage_overview", "overview rebuilds (every line)"),
    ] {
        if let Some(q) = tracker.queries().iter().find(|q| q.name == name) {
            println!(
                "  {what}: {} in all, mean {:.0} µs, p50 {} µs, p99 {} µs",
                q.count, q.mean_us, q.p50_us, q.p99_us
            );
        }
    }
    println!(
        "  database queries: {actual_queries} issued vs {uncached_queries} uncached ({q_dashboard} per dashboard, {q_fuel} per fuel report, {q_overview} per overview): {:.3}% avoided",
        100.0 * (1.0 - actual_queries as f64 / uncached_queries.max(1) as f64)
    );
}

trait LightMisses {
    fn cache_stats_light_misses(&self) -> u64;
}

impl LightMisses for Reports {
    /// Total misses so far (a computation happened somewhere in the request).
    fn cache_stats_light_misses(&self) -> u64 {
        self.cache().misses()
    }
}

/// Not a measurement (`cargo test --benches`): every block once, briefly, so none rots.
fn quick() -> bool {
    std::env::args().all(|a| a != "--bench")
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_secs(1));
    let name = std::env::var("GLOVEBOX_BENCH_SIZE").unwrap_or_else(|_| "fleet".into());
    let size: DatasetSize = name.parse().expect("GLOVEBOX_BENCH_SIZE");
    let path = dataset(size, &name);
    let reports = open_reports(&path);
    let vehicles = reports.garage().vehicles(false).expect("vehicles");
    let ids: Vec<String> = vehicles.into_iter().map(|v| v.id).collect();
    println!(
        "{name} dataset: {} ({} vehicles)",
        path.display(),
        ids.len()
    );
    benches(&mut c, &reports, &ids);
    if std::env::args().all(|a| a != "--list") {
        cold_on_cpu(&reports, &ids);
    }
    // The mixed workload runs on a fresh cache, so earlier benches do not flatter it.
    let reports = open_reports(&path);
    if std::env::args().all(|a| a != "--list") {
        mixed_workload(&reports, &ids);
    }
    c.final_summary();
}
