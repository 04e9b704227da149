//! A Fuelio vehicle's units: its Vehicle section's codes, checked against the Log header.

use super::super::common::{Columns, Row, VehicleDraft};
use super::super::ImportError;
use crate::units::{DistanceUnit, EconomyUnit, Energy, FuelKind, VolumeUnit};

/// One tank of the vehicle: its unit and what it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Tank {
    pub(super) volume: VolumeUnit,
    pub(super) kind: Option<FuelKind>,
    pub(super) economy: Option<EconomyUnit>,
}

/// What the parser knows of the vehicle once its section (or the Log header) is read.
pub(super) struct Vehicle {
    pub(super) distance: DistanceUnit,
    pub(super) tanks: Vec<Tank>,
    /// Tank 1's FuelUnit said "litres" or nothing: the Log header may say better.
    pub(super) tank1_unsure: bool,
    pub(super) tank1_consumption: Option<u32>,
}

/// The unit in a Log header's parentheses: "Odo (mi)", "Fuel (us gallons)".
pub(super) fn header_unit(c: &Columns, i: Option<usize>) -> Option<String> {
    let name = c.names.get(i?)?;
    let inner = name.split_once('(')?.1.split_once(')')?.0;
    Some(inner.trim().to_lowercase())
}

pub(super) fn volume_from_text(t: &str) -> Option<VolumeUnit> {
    match t {
        "litres" | "liters" | "l" => Some(VolumeUnit::Litre),
        "us gallons" | "gallons (us)" | "gal" => Some(VolumeUnit::UsGallon),
        "imp gallons" | "uk gallons" | "gallons (uk)" => Some(VolumeUnit::ImpGallon),
        "kg" => Some(VolumeUnit::Kilogram),
        "kwh" => Some(VolumeUnit::KilowattHour),
        _ => None,
    }
}

pub(super) fn tank_kind(code: Option<u32>) -> Option<FuelKind> {
    match code? / 100 {
        1 => Some(FuelKind::Petrol),
        2 => Some(FuelKind::Diesel),
        3 => Some(FuelKind::Other),
        4 => Some(FuelKind::Lpg),
        5 => Some(FuelKind::Cng),
        6 => Some(FuelKind::Electric),
        _ => None,
    }
}

/// A FuelUnit code, or what the tank's type implies when the code is not one Glovebox
/// knows.
pub(super) fn tank_volume(
    code: Option<u32>,
    kind: Option<FuelKind>,
    header: Option<VolumeUnit>,
    field: &str,
    line: u64,
) -> Result<VolumeUnit, ImportError> {
    let by_kind = match kind {
        Some(FuelKind::Cng) => Some(VolumeUnit::Kilogram),
        Some(FuelKind::Electric) => Some(VolumeUnit::KilowattHour),
        _ => None,
    };
    match code {
        Some(0) | None => Ok(header.or(by_kind).unwrap_or(VolumeUnit::Litre)),
        Some(1) => Ok(VolumeUnit::UsGallon),
        Some(2) => Ok(VolumeUnit::ImpGallon),
        Some(4) => Ok(VolumeUnit::Kilogram),
        Some(n) => by_kind.or(header).ok_or_else(|| ImportError::Structure {
            line,
            reason: format!(
                "unknown {field} {n} (known: 0 litres, 1 US gallons, 2 imp gallons, 4 kg)"
            ),
        }),
    }
}

/// Fuelio's ConsumptionUnit codes in the tank's kind of energy.
pub(super) fn economy_unit(code: Option<u32>, volume: VolumeUnit) -> Option<EconomyUnit> {
    use EconomyUnit::*;
    Some(match (code?, volume.energy()) {
        (0, Energy::Liquid) => LitresPer100Km,
        (1, Energy::Liquid) => MpgUs,
        (2, Energy::Liquid) => MpgUk,
        (3, Energy::Liquid) => KmPerLitre,
        (0, Energy::Mass) => KgPer100Km,
        (1 | 2, Energy::Mass) => MilesPerKg,
        (3, Energy::Mass) => KmPerKg,
        (0, Energy::Electric) => KwhPer100Km,
        (1 | 2, Energy::Electric) => MilesPerKwh,
        (3, Energy::Electric) => KmPerKwh,
        _ => return None,
    })
}

pub(super) fn vehicle(r: &Row<'_>) -> Result<(VehicleDraft, Vehicle), ImportError> {
    let c = r.cols;
    let name = r.text(c.find(&["name"]));
    let mut d = VehicleDraft::named(if name.is_empty() {
        "Fuelio vehicle"
    } else {
        name
    });
    d.make = r.text(c.find(&["make"])).to_owned();
    d.model = r.text(c.find(&["model"])).to_owned();
    d.year = r.text(c.find(&["year"])).parse().ok().filter(|y| *y > 0);
    d.plate = r.text(c.find(&["plate"])).to_owned();
    d.vin = r.text(c.find(&["vin"])).to_owned();
    let code = |aliases: &[&str]| -> Option<u32> {
        let t = r.text(c.find(aliases));
        t.parse::<f64>().ok().map(|v| v as u32)
    };
    let distance = match code(&["distunit"]) {
        Some(1) => DistanceUnit::Mile,
        Some(0) | None => DistanceUnit::Kilometre,
        Some(n) => {
            return Err(ImportError::Structure {
                line: r.line,
                reason: format!("unknown DistUnit {n} (known: 0 km, 1 miles)"),
            })
        }
    };
    let kind1 = tank_kind(code(&["tank1type"]));
    let volume1 = tank_volume(code(&["fuelunit"]), kind1, None, "FuelUnit", r.line)?;
    let mut tanks = vec![Tank {
        volume: volume1,
        kind: kind1,
        economy: economy_unit(code(&["consumptionunit"]), volume1),
    }];
    let two = code(&["tankcount"]).unwrap_or(1) >= 2 && code(&["tank2type"]).unwrap_or(0) > 0;
    if two {
        let kind2 = tank_kind(code(&["tank2type"]));
        let volume2 = tank_volume(
            code(&["fuelunittank2"]),
            kind2,
            None,
            "FuelUnitTank2",
            r.line,
        )?;
        tanks.push(Tank {
            volume: volume2,
            kind: kind2,
            economy: economy_unit(code(&["fuelconsumptiontank2"]), volume2),
        });
    }
    let tank1_unsure = matches!(code(&["fuelunit"]), Some(0) | None);
    Ok((
        d,
        Vehicle {
            distance,
            tanks,
            tank1_unsure,
            tank1_consumption: code(&["consumptionunit"]),
        },
    ))
}
