//! The economy cross-check: a file's own economy column is never imported. Glovebox
//! recomputes economy with its own engine (`economy::compute`: full-to-full segments,
//! partial fills carried, a missed fill-up voiding its segment) and lists rows where the
//! file's figure differs by more than 1% — a sign of a mis-read unit, a missing row or a
//! typo worth a look.

use serde::{Deserialize, Serialize};

use crate::economy::{self, FillRole, FillUp};
use crate::units::{DistanceUnit, EconomyUnit, VolumeUnit};

/// Relative difference above which a row is reported.
pub const TOLERANCE: f64 = 0.01;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EconomyMismatch {
    pub line: u64,
    pub vehicle: String,
    /// The file's figure.
    pub source: f64,
    /// Glovebox's figure in the same unit.
    pub glovebox: f64,
    /// The unit the file's figures were read in (the one most rows agree with).
    pub unit: EconomyUnit,
}

/// Fill-ups of one vehicle (id = the file line) and the file's figure for each line.
#[derive(Debug, Default)]
pub struct Fills {
    pub fills: Vec<FillUp>,
    pub source: Vec<(u64, f64)>,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * b.abs()
}

/// Compares the file's figures with Glovebox's for the fills that close a valid segment.
/// Files do not say their economy unit, so it is the unit that agrees with most rows
/// (ties go to the vehicle's own unit).
pub fn compare(
    vehicle: &str,
    data: &Fills,
    distance: DistanceUnit,
    volume: VolumeUnit,
    own_unit: EconomyUnit,
) -> Vec<EconomyMismatch> {
    let summary = economy::compute(&data.fills, distance, volume);
    let source: std::collections::HashMap<u64, f64> = data.source.iter().copied().collect();
    let pairs: Vec<(u64, f64, crate::units::Economy)> = summary
        .fills
        .iter()
        .filter(|f| matches!(f.role, FillRole::Closes { .. }))
        .filter_map(|f| {
            let line: u64 = f.id.parse().ok()?;
            Some((line, *source.get(&line)?, f.economy?))
        })
        .collect();
    let candidates = EconomyUnit::ALL
        .iter()
        .copied()
        .filter(|u| u.is_electric() == volume.is_electric());
    let unit = candidates
        .max_by_key(|u| {
            let hits = pairs
                .iter()
                .filter(|(_, s, e)| e.value_in(*u).is_some_and(|g| close(*s, g)))
                .count();
            (hits, *u == own_unit)
        })
        .unwrap_or(own_unit);
    pairs
        .into_iter()
        .filter_map(|(line, s, e)| {
            let g = e.value_in(unit)?;
            (!close(s, g)).then(|| EconomyMismatch {
                line,
                vehicle: vehicle.to_owned(),
                source: s,
                glovebox: (g * 1000.0).round() / 1000.0,
                unit,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(data: &mut Fills, day: u32, odo: f64, qty: f64, full: bool, missed: bool, src: f64) {
        let line = day as u64 + 1;
        data.fills.push(FillUp {
            id: line.to_string(),
            occurred_at: chrono::NaiveDate::from_ymd_opt(2024, 1, day)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            odometer: odo,
            quantity: qty,
            total_cost_minor: 0,
            is_full: full,
            missed_previous: missed,
        });
        if src > 0.0 {
            data.source.push((line, src));
        }
    }

    #[test]
    fn partial_fills_add_up_and_a_wrong_figure_is_reported() {
        let mut d = Fills::default();
        fill(&mut d, 1, 1000.0, 40.0, true, false, 0.0);
        fill(&mut d, 2, 1200.0, 10.0, false, false, 0.0);
        // 500 km on 10 + 30 = 40 L -> 12.5 km/L = 8 L/100km
        fill(&mut d, 3, 1500.0, 30.0, true, false, 8.0);
        // missed: a fresh anchor, no figure (the file's 7.0 is not compared)
        fill(&mut d, 4, 2000.0, 35.0, true, true, 7.0);
        // 400 km on 32 L -> 8 L/100km; the file says 8.4 (5% off)
        fill(&mut d, 5, 2400.0, 32.0, true, false, 8.4);
        // 500 km on 40 L -> 8 L/100km
        fill(&mut d, 6, 2900.0, 40.0, true, false, 8.0);
        let m = compare(
            "car",
            &d,
            DistanceUnit::Kilometre,
            VolumeUnit::Litre,
            EconomyUnit::KmPerLitre,
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].line, 6);
        assert_eq!(m[0].unit, EconomyUnit::LitresPer100Km);
        assert_eq!(m[0].glovebox, 8.0);
    }
}
