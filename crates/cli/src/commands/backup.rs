//! `glovebox backup FILE` and `glovebox restore FILE` (into an empty database).

use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use glovebox_core::app::App;
use glovebox_core::export::backup;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The JSON file to write (backup) or read (restore).
    pub file: PathBuf,
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
}

fn open(db: Option<PathBuf>) -> anyhow::Result<std::sync::Arc<App>> {
    crate::open_app(db)
}

pub fn run_backup(args: BackupArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let app = open(args.db)?;
    let garage = app.garage();
    let file = std::fs::File::create(&args.file)
        .with_context(|| format!("creating {}", args.file.display()))?;
    let mut w = BufWriter::new(file);
    let n = backup::write(garage, &mut w)?;
    w.flush()?;
    writeln!(out, "backed up {n} record(s) to {}", args.file.display())?;
    Ok(())
}

pub fn run_restore(args: BackupArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let app = open(args.db)?;
    let garage = app.garage();
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let s = backup::restore(garage, &mut BufReader::new(file))
        .with_context(|| format!("restoring {}", args.file.display()))?;
    writeln!(
        out,
        "restored {} vehicle(s), {} fuel, {} service, {} odometer, {} reminder(s), {} completion(s)",
        s.vehicles, s.fuel, s.service, s.odometer, s.reminders, s.completions
    )?;
    Ok(())
}
