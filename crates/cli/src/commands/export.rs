//! `glovebox export --kind fuel|service|odometer|reminders-ics --vehicle NAME --out FILE`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use glovebox_core::export::{self, CsvKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Fuel,
    Service,
    Odometer,
    RemindersIcs,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// The vehicle (by name). Optional for reminders-ics: all vehicles' reminders.
    #[arg(long)]
    pub vehicle: Option<String>,
    #[arg(long)]
    pub out: PathBuf,
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
}

pub fn run(args: ExportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let app = crate::open_app(args.db.clone())?;
    let garage = app.garage();
    let vehicle = args
        .vehicle
        .as_deref()
        .map(|n| export::vehicle_by_name(garage, n))
        .transpose()?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut w = BufWriter::new(file);
    let n = match args.kind {
        Kind::RemindersIcs => {
            export::ics::write(garage, vehicle.as_ref().map(|v| v.id.as_str()), &mut w)?
        }
        k => {
            let v = vehicle.context("--vehicle is required for CSV exports")?;
            let kind = match k {
                Kind::Fuel => CsvKind::Fuel,
                Kind::Service => CsvKind::Service,
                _ => CsvKind::Odometer,
            };
            export::csv(garage, &v.id, kind, &mut w)?
        }
    };
    w.flush()?;
    writeln!(out, "wrote {n} row(s) to {}", args.out.display())?;
    Ok(())
}
