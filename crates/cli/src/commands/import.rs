//! `glovebox import FILE`: shows what the file holds (preview), then imports it in one
//! transaction unless `--dry-run`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use glovebox_core::import::{
    self, DateOrder, FormatId, ImportError, ImportOptions, ImportReport, Need, OdometerAction,
    OdometerDecision, Progress,
};
use glovebox_core::units::{Currency, DistanceUnit, EconomyUnit, VolumeUnit};
use glovebox_core::{Error, Garage};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file exported from LubeLogger (CSV or backup .zip), Fuelly, Fuelio, Drivvo, or
    /// Hammond's hammond.db.
    pub file: PathBuf,
    /// lubelogger-backup, lubelogger-fuel, lubelogger-service, lubelogger-repair,
    /// lubelogger-upgrade, lubelogger-tax, lubelogger-odometer, fuelly, fuelio, drivvo or
    /// hammond (default: detected from the content).
    #[arg(long)]
    pub format: Option<FormatId>,
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
    /// Odometer unit of vehicles the import creates: km or mi (required when the file
    /// does not say, e.g. LubeLogger CSVs).
    #[arg(long)]
    pub distance_unit: Option<DistanceUnit>,
    /// Fuel unit of vehicles the import creates: l, us_gal, imp_gal, kwh or kg.
    #[arg(long)]
    pub volume_unit: Option<VolumeUnit>,
    /// Economy unit of vehicles the import creates (default from the units), e.g.
    /// l_per_100km, mpg_us, mpg_uk, km_per_l, kwh_per_100km, mi_per_kwh, kg_per_100km.
    #[arg(long)]
    pub economy_unit: Option<EconomyUnit>,
    /// Currency of vehicles the import creates (ISO code such as USD, EUR, GBP).
    #[arg(long)]
    pub currency: Option<Currency>,
    /// LubeLogger backup: the server's UTC offset (e.g. -06:00, +05:30), when it cannot
    /// be told from the stored times.
    #[arg(long, value_parser = parse_offset, allow_hyphen_values = true)]
    pub server_utc_offset: Option<i32>,
    /// Fuelio two-tank vehicle: import the fills of this tank (1 or 2).
    #[arg(long)]
    pub tank: Option<u8>,
    /// Leave out the row at this line whose odometer reading was flagged (repeatable).
    #[arg(long, value_name = "LINE")]
    pub odometer_skip: Vec<u64>,
    /// Import the flagged row at this line as written (repeatable).
    #[arg(long, value_name = "LINE")]
    pub odometer_confirm: Vec<u64>,
    /// Import the flagged row at LINE with this reading instead, as LINE=READING
    /// (repeatable).
    #[arg(long, value_name = "LINE=READING", value_parser = parse_fix)]
    pub odometer_fix: Vec<(u64, f64)>,
    /// What to do with every flagged row not named by the options above: skip or confirm.
    #[arg(long, value_parser = parse_all)]
    pub odometer_all: Option<OdometerAction>,
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
}

fn parse_offset(s: &str) -> Result<i32, String> {
    let t = s.trim().trim_start_matches("UTC").trim_start_matches("utc");
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    match (h.parse::<i32>(), m.parse::<i32>()) {
        (Ok(h), Ok(m)) if h <= 14 && m < 60 => Ok(sign * (h * 60 + m)),
        _ => Err(format!(
            "{s:?} is not a UTC offset such as -06:00 or +05:30"
        )),
    }
}

fn parse_fix(s: &str) -> Result<(u64, f64), String> {
    let (l, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: write LINE=READING, e.g. 12=45210"))?;
    let line = l
        .trim()
        .parse()
        .map_err(|_| format!("{l:?} is not a line number"))?;
    let value = glovebox_core::units::parse_decimal(v)?;
    Ok((line, value))
}

fn parse_all(s: &str) -> Result<OdometerAction, String> {
    match s.trim() {
        "skip" => Ok(OdometerAction::Skip),
        "confirm" => Ok(OdometerAction::Confirm),
        _ => Err(format!("{s:?}: use skip or confirm")),
    }
}

/// The CLI flag that sets each option field a `Need::Units` names.
fn flag_for(field: &str) -> &'static str {
    match field {
        "distance_unit" => "--distance-unit km|mi",
        "volume_unit" => "--volume-unit l|us_gal|imp_gal|kwh|kg",
        "currency" => "--currency USD|EUR|GBP|…",
        _ => "",
    }
}

pub fn run(args: ImportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = args.db.clone().unwrap_or_else(crate::default_db_path);
    let garage = Garage::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut odometer: Vec<OdometerDecision> = Vec::new();
    for &line in &args.odometer_skip {
        odometer.push(OdometerDecision {
            line,
            action: OdometerAction::Skip,
        });
    }
    for &line in &args.odometer_confirm {
        odometer.push(OdometerDecision {
            line,
            action: OdometerAction::Confirm,
        });
    }
    for &(line, value) in &args.odometer_fix {
        odometer.push(OdometerDecision {
            line,
            action: OdometerAction::Fix { odometer: value },
        });
    }
    let opts = ImportOptions {
        format: args.format,
        vehicle: args.vehicle.clone(),
        date_format: args.date_format,
        skip_bad_rows: args.skip_bad_rows,
        currency: args.currency,
        distance_unit: args.distance_unit,
        volume_unit: args.volume_unit,
        economy_unit: args.economy_unit,
        odometer,
        odometer_default: args.odometer_all,
        server_utc_offset_minutes: args.server_utc_offset,
        tank: args.tank,
        ..ImportOptions::default()
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
    let file = args.file.display();
    match result {
        Ok(report) => print_report(&report, out),
        Err(Error::Import(ImportError::BadRows { count, rows })) => {
            writeln!(out, "{count} bad row(s); nothing was imported:")?;
            for r in &rows {
                writeln!(out, "  {r}")?;
            }
            anyhow::bail!("{count} bad row(s) in {file}; fix them or use --skip-bad-rows")
        }
        Err(e @ Error::Import(ImportError::AmbiguousDates { .. })) => Err(anyhow::anyhow!(
            "{e} (use --date-format dmy or --date-format mdy)"
        )),
        Err(e @ Error::Import(ImportError::UnitsRequired { .. })) => {
            let Error::Import(ImportError::UnitsRequired { fields, .. }) = &e else {
                unreachable!()
            };
            let flags: Vec<&str> = fields.iter().map(|f| flag_for(f)).collect();
            Err(anyhow::anyhow!("{e}; pass {}", flags.join(" ")))
        }
        Err(e @ Error::Import(ImportError::OdometerDecisions { .. })) => Err(anyhow::anyhow!(
            "{e} (use --odometer-skip LINE, --odometer-confirm LINE, --odometer-fix LINE=READING or --odometer-all skip|confirm; --dry-run lists them)"
        )),
        Err(e @ Error::Import(ImportError::ServerUtcOffset { .. })) => Err(anyhow::anyhow!(
            "{e} (use --server-utc-offset, e.g. --server-utc-offset +13:00)"
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!("importing {file}"))),
    }
}

fn print_report(r: &ImportReport, out: &mut dyn Write) -> anyhow::Result<()> {
    let dates = match r.dates.order {
        Some(o) => format!("{o:?}"),
        None => "ambiguous (choose --date-format)".into(),
    };
    writeln!(
        out,
        "format: {}   dates: {dates}   rows: {}",
        r.format, r.rows
    )?;
    let unit = |u: Option<&str>| u.unwrap_or("?").to_owned();
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
            unit(v.distance_unit.map(|u| u.label())),
            unit(v.volume_unit.map(|u| u.label())),
            unit(v.currency.as_ref().map(|c| c.code()))
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
        "{verb}: {} vehicle(s), {} fuel, {} service ({} repair, {} upgrade, {} tax), {} odometer, {} reminder(s); {} duplicate(s) skipped",
        c.vehicles, c.fuel, c.service, c.repair, c.upgrade, c.tax, c.odometer, c.reminders, r.duplicates
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
        writeln!(out, "{} bad row(s) {how}:", r.bad_row_count)?;
        for b in &r.bad_rows {
            writeln!(out, "  {b}")?;
        }
    }
    for f in &r.odometer_flags {
        let at = f
            .location
            .clone()
            .unwrap_or_else(|| format!("line {}", f.line));
        let action = match f.action {
            None => "needs a decision".to_owned(),
            Some(OdometerAction::Skip) => "skipped".into(),
            Some(OdometerAction::Confirm) => "confirmed".into(),
            Some(OdometerAction::Fix { odometer }) => format!("fixed to {odometer}"),
        };
        writeln!(
            out,
            "odometer check: {at} ({}): {} [{action}]",
            f.vehicle, f.reason
        )?;
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
    for l in &r.left_out {
        writeln!(out, "left out: {} ({}): {}", l.what, l.count, l.reason)?;
    }
    if !r.attachments.is_empty() {
        writeln!(out, "attachments not imported yet: {}", r.attachments.len())?;
        for a in &r.attachments {
            writeln!(out, "  {}: {} ({})", a.record, a.name, a.location)?;
        }
    }
    for n in &r.needs {
        let text = match n {
            Need::DateOrder => "the date order (--date-format dmy|mdy)".to_owned(),
            Need::Units {
                source_name,
                fields,
            } => format!(
                "units of {source_name:?}: {}",
                fields.iter().map(|f| flag_for(f)).collect::<Vec<_>>().join(" ")
            ),
            Need::OdometerDecisions { lines } => format!(
                "a decision for {} flagged odometer reading(s) (--odometer-skip/-confirm/-fix, --odometer-all)",
                lines.len()
            ),
            Need::ServerUtcOffset { candidates } => format!(
                "the server's UTC offset (--server-utc-offset; candidates {})",
                candidates
                    .iter()
                    .map(|m| import::format_offset(*m))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        writeln!(out, "needs: {text}")?;
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
