//! `glovebox backup FILE` and `glovebox restore FILE` (into an empty database). The
//! backup keeps every row's HLC and tombstones, and replaces FILE only once the new
//! backup is complete on disk (see `glovebox_core::export::backup`).

use std::io::{BufReader, Write};
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
    let n = backup::write_file(app.garage(), &args.file)
        .with_context(|| format!("writing {}", args.file.display()))?;
    writeln!(
        out,
        "backed up {n} row(s) (deleted records included, as tombstones) to {}",
        args.file.display()
    )?;
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
