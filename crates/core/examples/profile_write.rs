//! Writes N fill-ups of one vehicle through `Garage::write_batch` (the write path an
//! import commits through) into a fresh database, so callgrind can count instructions per
//! row; the same file runs against the code before a change (docs/BENCHMARKS.md):
//!
//!     valgrind --tool=callgrind --collect-atstart=no \
//!         --toggle-collect='glovebox_core::garage::batch::<impl glovebox_core::garage::Garage>::write_batch' \
//!         target/release/examples/profile_write DIR 20000

use chrono::NaiveDate;
use glovebox_core::fuel::FuelInput;
use glovebox_core::garage::BatchOptions;
use glovebox_core::vehicles::VehicleInput;
use glovebox_core::{Garage, NewRecord};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, n) = match args.as_slice() {
        [_, dir, n] => (std::path::PathBuf::from(dir), n.parse::<u64>().expect("N")),
        _ => panic!("usage: profile_write DIR N"),
    };
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("write.db");
    let _ = std::fs::remove_file(&path);
    let g = Garage::open(&path).expect("open");
    let v = g
        .create_vehicle(&VehicleInput::new("Bench"))
        .expect("vehicle");
    let start = NaiveDate::from_ymd_opt(1995, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date");
    let records: Vec<NewRecord> = (0..n)
        .map(|i| NewRecord::Fuel {
            id: None,
            input: FuelInput {
                vehicle_id: v.id.clone(),
                occurred_at: start + chrono::Duration::minutes(15 * i as i64),
                odometer: (10_000 + 9 * i) as f64,
                quantity: 0.55 + (i % 7) as f64 * 0.05,
                total_cost_minor: 105 + (i % 13) as i64,
                is_full: i % 10 != 9,
                missed_previous: false,
                station: if i % 50 == 0 {
                    "Shell, pump 3".into()
                } else {
                    String::new()
                },
                notes: String::new(),
                tags: Vec::new(),
            },
        })
        .collect();
    let started = std::time::Instant::now();
    g.write_batch(records, BatchOptions::default())
        .expect("write");
    println!("{n} fill-ups in {:.2?}", started.elapsed());
}
