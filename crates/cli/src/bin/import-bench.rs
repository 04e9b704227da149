//! Import benchmark: writes a LubeLogger fuel CSV of N rows (default 1,000,000), then
//! times a preview (parse + validate + de-duplicate, nothing written) and a commit (the
//! same plus the one-transaction write path) into a fresh database, and prints rows/s
//! and the peak resident memory (VmHWM).
//!
//!     cargo run --release -p glovebox-cli --bin import-bench -- [ROWS]

use std::io::{BufWriter, Write};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use glovebox_core::import::{self, ImportOptions};
use glovebox_core::Garage;

/// CPU seconds (user + system, all threads) this process has used: on a shared machine
/// wall-clock rates swing with the neighbours' load, rows per CPU-second much less.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A realistic export: a fill every 15 minutes of simulated time from 1995 (dates stay in
/// the past), 9 km apart, every 10th a partial, the FuelEconomy column filled in L/100km
/// for full fills (so the cross-check runs), notes on some rows, quoted with commas.
fn write_file(path: &std::path::Path, rows: u64) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        w,
        "Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags"
    )?;
    let start = chrono::NaiveDate::from_ymd_opt(1995, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut since_full = 0.0f64;
    let mut last_full_odo: Option<u64> = None;
    for i in 0..rows {
        let at = start + chrono::Duration::minutes(15 * i as i64);
        let odo = 10_000 + 9 * i;
        let qty = 0.55 + (i % 7) as f64 * 0.05;
        let cost_minor = (qty * 175.0).round() as i64;
        let full = i % 10 != 9;
        since_full += qty;
        let eco = match (full, last_full_odo) {
            (true, Some(prev)) => format!("{:.3}", since_full * 100.0 / (odo - prev) as f64),
            _ => String::new(),
        };
        if full {
            last_full_odo = Some(odo);
            since_full = 0.0;
        }
        let notes = if i % 50 == 0 { "\"Shell, pump 3\"" } else { "" };
        writeln!(
            w,
            "{},{odo},{qty:.2},{}.{:02},{eco},{},False,{notes},",
            at.format("%Y-%m-%d %H:%M"),
            cost_minor / 100,
            cost_minor % 100,
            if full { "True" } else { "False" },
        )?;
    }
    w.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("fuel.csv");
    let t = Instant::now();
    write_file(&csv, rows)?;
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "generated {rows} rows ({:.1} MiB) in {:.2} s; VmHWM {} KiB",
        size as f64 / 1048576.0,
        t.elapsed().as_secs_f64(),
        vm_hwm_kib().unwrap_or(0)
    );

    let garage = Garage::open(dir.path().join("bench.db"))?;
    // LubeLogger CSVs carry no units: say them, as a user must.
    let opts = ImportOptions {
        vehicle: Some("Bench".into()),
        distance_unit: Some(glovebox_core::units::DistanceUnit::Kilometre),
        volume_unit: Some(glovebox_core::units::VolumeUnit::Litre),
        currency: Some(glovebox_core::units::Currency::EUR),
        ..Default::default()
    };
    let (t, c) = (Instant::now(), cpu_s());
    let p = import::preview(&garage, &csv, &opts)?;
    let preview_s = t.elapsed().as_secs_f64();
    let preview_cpu = cpu_s() - c;
    assert_eq!(p.new_records.fuel, rows, "{:?}", p.bad_rows.first());
    println!(
        "preview (scan + parse + validate + dedupe, no write): {:.2} s = {:.0} rows/s ({:.0} rows per CPU-s); economy mismatches {}; VmHWM {} KiB",
        preview_s,
        rows as f64 / preview_s,
        rows as f64 / preview_cpu,
        p.economy_mismatches.len(),
        vm_hwm_kib().unwrap_or(0)
    );

    let cancel = AtomicBool::new(false);
    let (t, c) = (Instant::now(), cpu_s());
    let r = import::commit(&garage, &csv, &opts, &|_| {}, &cancel)?;
    let commit_s = t.elapsed().as_secs_f64();
    let commit_cpu = cpu_s() - c;
    assert_eq!(r.new_records.fuel, rows);
    println!(
        "commit (scan + parse + validate + dedupe + one-transaction write): {:.2} s = {:.0} rows/s ({:.0} rows per CPU-s); VmHWM {} KiB",
        commit_s,
        rows as f64 / commit_s,
        rows as f64 / commit_cpu,
        vm_hwm_kib().unwrap_or(0)
    );
    // The WAL's copy into the database file runs on its own thread after the commit
    // (store/checkpoint.rs): timed here apart, so the next phase does not pay for it.
    let (t, c) = (Instant::now(), cpu_s());
    glovebox_core::testing::wait_for_checkpoint(&garage);
    let checkpoint_s = t.elapsed().as_secs_f64();
    println!(
        "  then the background checkpoint: {:.2} s more ({:.2} CPU-s after the commit returned); commit + checkpoint {:.2} s = {:.0} rows/s",
        checkpoint_s,
        cpu_s() - c,
        commit_s + checkpoint_s,
        rows as f64 / (commit_s + checkpoint_s),
    );
    // Same-run baseline: the same commit into a database with 4 KiB pages, the page size
    // of every database created before the store chose its own.
    let old_path = dir.path().join("bench-4k.db");
    glovebox_core::testing::create_with_page_size(&old_path, 4096)?;
    let old = Garage::open(&old_path)?;
    let (t, c) = (Instant::now(), cpu_s());
    let r = import::commit(&old, &csv, &opts, &|_| {}, &cancel)?;
    let old_s = t.elapsed().as_secs_f64();
    let old_cpu = cpu_s() - c;
    assert_eq!(r.new_records.fuel, rows);
    println!(
        "baseline: the same commit into a 4 KiB-page database: {:.2} s = {:.0} rows/s ({:.0} rows per CPU-s)",
        old_s,
        rows as f64 / old_s,
        rows as f64 / old_cpu
    );
    drop(old);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("bench-4k.db{suffix}")));
    }
    // The write path alone: the same records, already in memory, through write_batch.
    let g2 = Garage::open(dir.path().join("bench2.db"))?;
    let v = g2.create_vehicle(&glovebox_core::vehicles::VehicleInput::new("Bench"))?;
    let start = chrono::NaiveDate::from_ymd_opt(1995, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let records: Vec<glovebox_core::NewRecord> = (0..rows)
        .map(|i| glovebox_core::NewRecord::Fuel {
            id: None,
            input: glovebox_core::fuel::FuelInput {
                vehicle_id: v.id.clone(),
                occurred_at: start + chrono::Duration::minutes(15 * i as i64),
                odometer: (10_000 + 9 * i) as f64,
                quantity: 0.6,
                total_cost_minor: 105,
                is_full: true,
                missed_previous: false,
                station: String::new(),
                notes: String::new(),
                tags: Vec::new(),
            },
        })
        .collect();
    let (t, c) = (Instant::now(), cpu_s());
    g2.write_batch(records, glovebox_core::garage::BatchOptions::default())?;
    let write_s = t.elapsed().as_secs_f64();
    let write_cpu = cpu_s() - c;
    println!(
        "write path alone (write_batch of {rows} in-memory records, one transaction): {:.2} s = {:.0} rows/s ({:.0} rows per CPU-s)",
        write_s,
        rows as f64 / write_s,
        rows as f64 / write_cpu
    );
    // The floor under the write path: the same 64-row INSERT into the same schema,
    // prepared once, with rows, ids and clocks made up front: no validation, no stamping.
    // What is left between this and the write path is the write path's own work.
    let g3 = Garage::open(dir.path().join("bench3.db"))?;
    let v3 = g3.create_vehicle(&glovebox_core::vehicles::VehicleInput::new("Bench"))?;
    let made = glovebox_core::testing::floor_rows(&g3, &v3.id, rows);
    let c = cpu_s();
    let raw_s = glovebox_core::testing::insert_fills_floor(&g3, made)?;
    let raw_cpu = cpu_s() - c;
    println!(
        "SQLite floor (the same 64-row INSERT, prepared once, nothing else): {:.2} s = {:.0} rows/s ({:.0} rows per CPU-s)",
        raw_s,
        rows as f64 / raw_s,
        rows as f64 / raw_cpu
    );
    let db_size = std::fs::metadata(dir.path().join("bench.db"))?.len()
        + std::fs::metadata(dir.path().join("bench.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!("database + WAL: {:.1} MiB", db_size as f64 / 1048576.0);
    Ok(())
}
