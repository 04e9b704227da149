//! `glovebox import FILE`: shows what the file holds (preview), then imports it in one
//! transaction unless `--dry-run`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use glovebox_core::import::{
    self, DateOrder, Format, ImportError, ImportOptions, ImportReport, Progress,
};
use glovebox_core::units::Currency;
use glovebox_core::{Error, Garage};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file exported from LubeLogger, Fuelly, Fuelio or Drivvo.
    pub file: PathBuf,
    /// lubelogger-fuel, lubelogger-service, lubelogger-repair, lubelogger-upgrade,
    /// lubelogger-odometer, fuelly, fuelio or drivvo (default: detected from the content).
    #[arg(long)]
    pub format: Option<Format>,
    /// Import into this vehicle (existing, or created with this name).
    #[arg(long)]
    pub vehicle: Option<String>,
    /// Only show what would be imported.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the good rows and list the bad ones, instead of importing nothing.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// How to read dates like 01/02/2024: dmy, mdy or ymd.
    #[arg(long)]
    pub date_format: Option<DateOrder>,
    /// Currency of vehicles the import creates (default USD for miles, else EUR).
    #[arg(long)]
    pub currency: Option<Currency>,
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
}

pub fn run(args: ImportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = args.db.clone().unwrap_or_else(crate::default_db_path);
    let garage = Garage::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let opts = ImportOptions {
        format: args.format,
        vehicle: args.vehicle.clone(),
        date_format: args.date_format,
        skip_bad_rows: args.skip_bad_rows,
        currency: args.currency,
    };
    let result = if args.dry_run {
        import::preview(&garage, &args.file, &opts)
    } else {
        let cancel = AtomicBool::new(false);
        // A progress line for people watching a big import; never into `out` or a pipe.
        let tty = std::io::stderr().is_terminal();
        let progress = |p: Progress| {
            if tty && p.total > 0 {
                eprint!("\rimporting: {} / {} rows", p.done, p.total);
                if p.done == p.total {
                    eprintln!();
                }
            }
        };
        import::commit(&garage, &args.file, &opts, &progress, &cancel)
    };
    match result {
        Ok(report) => print_report(&report, out),
        Err(Error::Import(ImportError::BadRows { count, rows })) => {
            writeln!(out, "{count} bad row(s); nothing was imported:")?;
            for r in &rows {
                writeln!(out, "  {r}")?;
            }
            anyhow::bail!(
                "{count} bad row(s) in {}; fix them or use --skip-bad-rows",
                args.file.display()
            )
        }
        Err(e @ Error::Import(ImportError::AmbiguousDates { .. })) => Err(anyhow::anyhow!(
            "{e} (use --date-format dmy or --date-format mdy)"
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!("importing {}", args.file.display()))),
    }
}

fn print_report(r: &ImportReport, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "format: {}   dates: {:?}   rows: {}",
        r.format, r.date_order, r.rows
    )?;
    for v in &r.vehicles {
        let what = match (&v.existing_id, v.included) {
            (_, false) => "left out",
            (Some(_), true) => "existing",
            (None, true) => "new",
        };
        writeln!(
            out,
            "vehicle: {} ({what}; {} / {} / {})",
            v.name,
            v.distance_unit.label(),
            v.volume_unit.label(),
            v.currency
        )?;
    }
    let c = r.new_records;
    let verb = if r.committed {
        "imported"
    } else {
        "would import"
    };
    writeln!(
        out,
        "{verb}: {} vehicle(s), {} fuel, {} service, {} odometer, {} reminder(s); {} duplicate(s) skipped",
        c.vehicles, c.fuel, c.service, c.odometer, c.reminders, r.duplicates
    )?;
    if !r.first_rows.is_empty() {
        writeln!(out, "first rows:")?;
        for p in r.first_rows.iter().take(5) {
            writeln!(
                out,
                "  line {:>5}  {:<8?} {}  odo {:>9}  qty {:>7}  cost {}  {}",
                p.line,
                p.kind,
                p.date.format("%Y-%m-%d %H:%M"),
                p.odometer.map(|o| o.to_string()).unwrap_or_default(),
                p.quantity.map(|o| o.to_string()).unwrap_or_default(),
                p.cost_minor,
                p.text
            )?;
        }
    }
    if !r.bad_rows.is_empty() {
        let how = if r.skipped_bad_rows || !r.committed {
            "skipped"
        } else {
            "bad"
        };
        writeln!(out, "{} bad row(s) {how}:", r.bad_rows.len())?;
        for b in &r.bad_rows {
            writeln!(out, "  {b}")?;
        }
    }
    for m in &r.economy_mismatches {
        writeln!(
            out,
            "economy check: line {} ({}): file says {} {}, Glovebox computes {}",
            m.line,
            m.vehicle,
            m.source,
            m.unit.label(),
            m.glovebox
        )?;
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
