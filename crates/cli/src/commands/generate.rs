//! `glovebox generate`: a deterministic dataset for benchmarks.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::NaiveDate;
use glovebox_core::generator::{self, DatasetSize, GeneratorConfig};
use glovebox_core::Garage;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// demo (3 vehicles), small (10 × 5 years), medium (100 × 10 years), fleet (1,000 × 10 years)
    #[arg(long, default_value = "demo")]
    pub size: DatasetSize,
    /// Database file to create (must not exist yet).
    #[arg(long)]
    pub db: PathBuf,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last simulated day (YYYY-MM-DD). Fixed by default so datasets are reproducible.
    #[arg(long, default_value = "2026-06-30")]
    pub end: NaiveDate,
    /// Years of history instead of the size's own (e.g. a 1,000-vehicle fleet over one
    /// year for the GUI tests, which must stay quick).
    #[arg(long)]
    pub years: Option<u32>,
}

pub fn run(args: GenerateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.db.exists() {
        bail!(
            "{} already exists; generate into a new file",
            args.db.display()
        );
    }
    let garage =
        Garage::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let mut cfg = GeneratorConfig::new(args.size, args.seed, args.end);
    if let Some(y) = args.years {
        if y == 0 {
            bail!("--years must be at least 1");
        }
        cfg.years = y;
    }
    let started = Instant::now();
    let s = generator::generate(&garage, &cfg)?;
    let elapsed = started.elapsed();
    drop(garage);
    let size = std::fs::metadata(&args.db).map(|m| m.len()).unwrap_or(0);
    writeln!(
        out,
        "generated {} records ({} vehicles, {} fuel, {} service, {} odometer, {} reminders) in {:.1} s; {} is {:.1} MiB",
        s.records(),
        s.vehicles,
        s.fuel,
        s.service,
        s.odometer,
        s.reminders,
        elapsed.as_secs_f64(),
        args.db.display(),
        size as f64 / (1024.0 * 1024.0)
    )?;
    Ok(())
}
