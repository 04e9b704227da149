//! `glovebox report [--vehicle NAME] [--json]`: a vehicle's dashboard (odometer, lifetime
//! and 3-month economy in its display unit, spending this year and lifetime by category,
//! cost per distance, due reminders), or the garage overview without `--vehicle`. Both
//! come from the same cached reports the desktop app shows.

use std::io::Write;
use std::path::PathBuf;

use glovebox_core::export;
use glovebox_core::reports::{CostBreakdown, Dashboard, EconomyFigure, GarageOverview};
use glovebox_core::units::{Currency, Money};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// One vehicle's dashboard (by name); without it, the garage overview.
    #[arg(long)]
    pub vehicle: Option<String>,
    /// Print the report as JSON (the same fields the desktop app receives).
    #[arg(long)]
    pub json: bool,
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
}

pub fn run(args: ReportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let app = crate::open_app(args.db)?;
    match args.vehicle {
        Some(name) => {
            let v = export::vehicle_by_name(app.garage(), &name)?;
            let d = app.reports().dashboard(&v.id)?;
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &*d)?;
                writeln!(out)?;
            } else {
                print_dashboard(&d, out)?;
            }
        }
        None => {
            let o = app.reports().garage_overview()?;
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &*o)?;
                writeln!(out)?;
            } else {
                print_overview(&o, out)?;
            }
        }
    }
    Ok(())
}

fn economy(e: Option<EconomyFigure>) -> String {
    e.map(|e| format!("{:.2} {}", e.value, e.unit.label()))
        .unwrap_or_else(|| "—".into())
}

fn money(minor: i64, c: Currency) -> String {
    Money::new(minor, c).to_string()
}

fn per_distance(minor: Option<f64>, d: &Dashboard) -> String {
    minor
        .map(|m| {
            format!(
                "{} per {}",
                money(m.round() as i64, d.vehicle.currency),
                d.vehicle.distance_unit.label()
            )
        })
        .unwrap_or_else(|| "—".into())
}

fn categories(title: &str, b: &CostBreakdown, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "{title:<22}{}", money(b.total_minor, b.currency))?;
    for c in &b.categories {
        writeln!(out, "  {:<20}{}", c.category, money(c.minor, b.currency))?;
    }
    Ok(())
}

pub fn print_dashboard(d: &Dashboard, out: &mut dyn Write) -> anyhow::Result<()> {
    let v = &d.vehicle;
    let what = [
        v.year.map(|y| y.to_string()).unwrap_or_default(),
        v.make.clone(),
        v.model.clone(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    writeln!(
        out,
        "{}{}",
        v.name,
        if what.is_empty() {
            String::new()
        } else {
            format!(" ({what})")
        }
    )?;
    let odo = d
        .odometer
        .map(|o| format!("{:.0} {}", o.value, o.unit.label()))
        .unwrap_or_else(|| "no reading".into());
    writeln!(out, "{:<22}{odo}", "Odometer")?;
    writeln!(
        out,
        "{:<22}{}",
        "Economy, lifetime",
        economy(d.economy_lifetime)
    )?;
    writeln!(
        out,
        "{:<22}{}",
        "Economy, 3 months",
        economy(d.economy_recent)
    )?;
    categories("Spent this year", &d.cost_this_year, out)?;
    categories("Spent, lifetime", &d.cost_lifetime, out)?;
    writeln!(
        out,
        "{:<22}{}",
        "Cost per distance",
        per_distance(d.cost_per_distance_minor, d)
    )?;
    writeln!(
        out,
        "{:<22}{}",
        "  fuel only",
        per_distance(d.fuel_cost_per_distance_minor, d)
    )?;
    writeln!(
        out,
        "{:<22}{} due ({} past due)",
        "Reminders", d.due_reminders, d.past_due_reminders
    )?;
    for r in d.reminders.iter().filter(|r| r.urgency.is_due()) {
        let mut when = Vec::new();
        if let Some(days) = r.days_left {
            when.push(if days < 0 {
                format!("{} days overdue", -days)
            } else {
                format!("in {days} days")
            });
        }
        if let Some(left) = r.distance_left {
            when.push(format!("{:.0} {} to go", left.value, left.unit.label()));
        }
        writeln!(
            out,
            "  {:<20}{} ({})",
            r.reminder.title,
            r.urgency.label(),
            when.join(", ")
        )?;
    }
    Ok(())
}

pub fn print_overview(o: &GarageOverview, out: &mut dyn Write) -> anyhow::Result<()> {
    if o.vehicles.is_empty() {
        writeln!(
            out,
            "No vehicles yet: `glovebox vehicle add` or `glovebox import FILE`."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<24} {:>12} {:>18} {:>16} {:>4}",
        "Vehicle", "Odometer", "Economy (life)", "Spent this year", "Due"
    )?;
    for h in &o.vehicles {
        let odo = h
            .odometer
            .map(|d| format!("{:.0} {}", d.value, d.unit.label()))
            .unwrap_or_else(|| "—".into());
        writeln!(
            out,
            "{:<24} {:>12} {:>18} {:>16} {:>4}",
            h.name,
            odo,
            economy(h.economy_lifetime),
            money(h.cost_this_year_minor, h.currency),
            h.due_reminders
        )?;
    }
    writeln!(
        out,
        "{} vehicle(s); {} reminder(s) due, {} past due",
        o.vehicles.len(),
        o.due_reminders,
        o.past_due_reminders
    )?;
    Ok(())
}
