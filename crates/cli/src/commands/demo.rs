//! `glovebox demo`: the demo garage, and a short summary of each vehicle.

use std::io::Write;
use std::path::PathBuf;

use glovebox_core::economy::{self, FillUp};
use glovebox_core::generator::{self, DatasetSize, GeneratorConfig};
use glovebox_core::{Garage, Page};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

pub fn run(args: DemoArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = args.db.unwrap_or_else(crate::default_db_path);
    let app = crate::open_app(Some(path.clone()))?;
    let garage = app.garage();
    if garage.vehicles(true)?.is_empty() {
        let end = garage.now().date();
        let s = generator::generate(
            garage,
            &GeneratorConfig::new(DatasetSize::Demo, args.seed, end),
        )?;
        writeln!(
            out,
            "Created the demo garage in {}: {} records.",
            path.display(),
            s.records()
        )?;
    } else {
        writeln!(
            out,
            "{} already has vehicles; showing them.",
            path.display()
        )?;
    }
    print_summary(garage, out)
}

/// One line per vehicle: odometer, lifetime economy (full-to-full), total spent.
pub fn print_summary(garage: &Garage, out: &mut dyn Write) -> anyhow::Result<()> {
    for v in garage.vehicles(true)? {
        let odometer = garage
            .current_odometer(&v.id)?
            .map(|d| format!("{:.0} {}", d.value, d.unit.label()))
            .unwrap_or_else(|| "no reading".into());
        let fuel = garage.fuel_records(&v.id, Page::ALL)?;
        let services = garage.service_records(&v.id, None, Page::ALL)?;
        let spent: i64 = fuel.iter().map(|f| f.total_cost.minor).sum::<i64>()
            + services.iter().map(|s| s.cost.minor).sum::<i64>();
        let spent = glovebox_core::units::Money::new(spent, v.currency);
        let fills: Vec<FillUp> = fuel.iter().map(FillUp::from).collect();
        let summary = economy::compute(&fills, v.distance_unit, v.volume_unit);
        let lifetime = summary
            .average
            .and_then(|e| e.value_in(v.economy_unit))
            .map(|x| format!("{x:.2} {}", v.economy_unit.label()))
            .unwrap_or_else(|| "no economy yet".into());
        writeln!(
            out,
            "{:<20} {:>12}  {:>4} fill-ups  lifetime {:<18} spent {}",
            v.name,
            odometer,
            fuel.len(),
            lifetime,
            spent
        )?;
    }
    Ok(())
}
