//! Runs one cold report N times over a dataset, so callgrind can count its instructions
//! (docs/BENCHMARKS.md; the same file runs against the code before a change):
//!
//!     valgrind --tool=callgrind --collect-atstart=no \
//!         --toggle-collect='glovebox_core::reports::Reports::compute_dashboard' \
//!         target/release/examples/profile_reports DB dashboard 200
//!
//! WHAT is `dashboard` (rotating through the vehicles), `overview` or `fuel` (the 10-year
//! fuel report). "Now" is the fleet dataset's last day, as in the reports benchmark.

use std::hint::black_box;
use std::sync::Arc;

use chrono::NaiveDate;
use glovebox_core::reports::{CacheConfig, Reports};
use glovebox_core::Garage;

fn now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 6, 30)
        .and_then(|d| d.and_hms_opt(18, 0, 0))
        .expect("valid time")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (db, what, n) = match args.as_slice() {
        [_, db, what, n] => (db, what.as_str(), n.parse::<usize>().expect("N")),
        _ => panic!("usage: profile_reports DB dashboard|overview|fuel N"),
    };
    let g = Arc::new(Garage::open(db).expect("open").with_now(now));
    let reports = Reports::new(g.clone(), CacheConfig::default());
    let ids: Vec<String> = g
        .vehicles(false)
        .expect("vehicles")
        .into_iter()
        .map(|v| v.id)
        .collect();
    let from = now() - chrono::Duration::days(3653);
    let to = now() + chrono::Duration::days(1);
    let started = std::time::Instant::now();
    for i in 0..n {
        let v = &ids[i % ids.len()];
        match what {
            "dashboard" => {
                black_box(reports.compute_dashboard(v).expect("dashboard"));
            }
            "fuel" => {
                black_box(
                    reports
                        .compute_fuel_report(v, from, to)
                        .expect("fuel report"),
                );
            }
            "overview" => {
                black_box(reports.compute_garage_overview().expect("overview"));
            }
            other => panic!("unknown report {other}"),
        }
    }
    println!("{n} x {what} in {:.2?}", started.elapsed());
}
