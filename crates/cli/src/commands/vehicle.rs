//! `glovebox vehicle add|list|edit`: vehicles with their units and currency, through the
//! same write path (and the same validation) as the desktop app.

use std::io::Write;
use std::path::PathBuf;

use glovebox_core::export;
use glovebox_core::units::{Currency, DistanceUnit, EconomyUnit, FuelKind, VolumeUnit};
use glovebox_core::vehicles::{Vehicle, VehicleInput};

#[derive(Debug, clap::Args)]
pub struct VehicleArgs {
    /// Database file (default: $GLOVEBOX_DB or ./glovebox.db).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: VehicleCommand,
}

/// What a vehicle is; on `edit`, only the options given change.
#[derive(Debug, Default, clap::Args)]
pub struct Details {
    #[arg(long)]
    pub make: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub year: Option<i32>,
    #[arg(long)]
    pub plate: Option<String>,
    #[arg(long)]
    pub vin: Option<String>,
    /// petrol, diesel, electric, hybrid, lpg or other.
    #[arg(long)]
    pub fuel: Option<FuelKind>,
    /// How economy is shown: l_per_100km, km_per_l, mpg_us, mpg_uk, kwh_per_100km,
    /// mi_per_kwh, km_per_kwh (default: from the distance and volume units).
    #[arg(long)]
    pub economy_unit: Option<EconomyUnit>,
}

#[derive(Debug, clap::Subcommand)]
pub enum VehicleCommand {
    /// Add a vehicle; its units and currency are said, never guessed.
    Add {
        name: String,
        /// km or mi.
        #[arg(long)]
        distance_unit: DistanceUnit,
        /// l, us_gal, imp_gal or kwh.
        #[arg(long)]
        volume_unit: VolumeUnit,
        /// ISO 4217 code, e.g. EUR, USD, GBP.
        #[arg(long)]
        currency: Currency,
        #[command(flatten)]
        details: Details,
    },
    /// List the vehicles with their units and currency.
    List {
        /// Include archived vehicles.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Change a vehicle (found by name): only the options given change.
    Edit {
        name: String,
        /// A new name.
        #[arg(long)]
        rename: Option<String>,
        #[arg(long)]
        distance_unit: Option<DistanceUnit>,
        #[arg(long)]
        volume_unit: Option<VolumeUnit>,
        #[arg(long)]
        currency: Option<Currency>,
        #[command(flatten)]
        details: Details,
    },
}

fn apply(input: &mut VehicleInput, d: Details) {
    if let Some(x) = d.make {
        input.make = x;
    }
    if let Some(x) = d.model {
        input.model = x;
    }
    if d.year.is_some() {
        input.year = d.year;
    }
    if let Some(x) = d.plate {
        input.plate = x;
    }
    if let Some(x) = d.vin {
        input.vin = x;
    }
    if let Some(x) = d.fuel {
        input.fuel_kind = x;
    }
    if d.economy_unit.is_some() {
        input.economy_unit = d.economy_unit;
    }
}

fn describe(v: &Vehicle) -> String {
    format!(
        "{} — {} · {} · {} · {}{}",
        v.name,
        v.distance_unit.label(),
        v.volume_unit.label(),
        v.economy_unit.label(),
        v.currency,
        if v.archived { " (archived)" } else { "" }
    )
}

pub fn run(args: VehicleArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let app = crate::open_app(args.db)?;
    let garage = app.garage();
    match args.command {
        VehicleCommand::Add {
            name,
            distance_unit,
            volume_unit,
            currency,
            details,
        } => {
            let mut input = VehicleInput {
                distance_unit,
                volume_unit,
                currency,
                ..VehicleInput::new(name)
            };
            if volume_unit.is_electric() {
                input.fuel_kind = FuelKind::Electric;
            }
            apply(&mut input, details);
            let v = garage.create_vehicle(&input)?;
            writeln!(out, "added {}", describe(&v))?;
        }
        VehicleCommand::List { all, json } => {
            let list = garage.vehicles(all)?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else if list.is_empty() {
                writeln!(out, "No vehicles yet: `glovebox vehicle add NAME --distance-unit km --volume-unit l --currency EUR`.")?;
            } else {
                for v in &list {
                    writeln!(out, "{}", describe(v))?;
                }
            }
        }
        VehicleCommand::Edit {
            name,
            rename,
            distance_unit,
            volume_unit,
            currency,
            details,
        } => {
            let v = export::vehicle_by_name(garage, &name)?;
            let mut input = VehicleInput::from(&v);
            if let Some(n) = rename {
                input.name = n;
            }
            let units_changed = distance_unit.is_some() || volume_unit.is_some();
            if let Some(u) = distance_unit {
                input.distance_unit = u;
            }
            if let Some(u) = volume_unit {
                input.volume_unit = u;
            }
            if let Some(c) = currency {
                input.currency = c;
            }
            // New units without a new economy unit: follow them (as a new vehicle would).
            if units_changed && details.economy_unit.is_none() {
                input.economy_unit = None;
            }
            apply(&mut input, details);
            let v = garage.update_vehicle(&v.id, &input)?;
            writeln!(out, "changed {}", describe(&v))?;
        }
    }
    Ok(())
}
