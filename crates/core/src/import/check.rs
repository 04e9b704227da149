//! The economy cross-check: a file's own economy column is never imported. Glovebox
//! recomputes economy with its own engine (`economy::compute`: full-to-full segments,
//! partial fills carried, a missed fill-up voiding its segment) and lists rows where the
//! file's figure differs by more than 1% — a sign of a mis-read unit, a missing row or a
//! typo worth a look.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::economy::{self, Analysis, FillRole, FillUp};
use crate::units::{DistanceUnit, Economy, EconomyUnit, VolumeUnit};

/// Relative difference above which a row is reported.
pub const TOLERANCE: f64 = 0.01;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

/// One fill-up, compactly: a million-row file with an economy column keeps one of these
/// per row (48 bytes) until the end of the pass, and nothing larger.
#[derive(Debug, Clone, Copy)]
pub struct Fill {
    pub at: NaiveDateTime,
    pub odometer: f64,
    pub quantity: f64,
    /// The file's figure, 0 when it has none.
    pub source: f64,
    pub line: u32,
    pub full: bool,
    pub missed: bool,
}

/// Fill-ups of one vehicle in the vehicle's units.
#[derive(Debug, Default)]
pub struct Fills {
    pub fills: Vec<Fill>,
}

impl Fills {
    pub fn push(&mut self, f: Fill) {
        self.fills.push(f);
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * b.abs()
}

/// Fills handed to the engine at a time: its per-fill output is far larger than `Fill`.
const WINDOW: usize = 8192;
/// Figures used to decide which unit the file's economy column is in.
const UNIT_SAMPLE: usize = 1000;
/// Mismatches listed in full (all are counted).
pub const MAX_LISTED: usize = 1000;

/// Compares the file's figures with Glovebox's for the fills that close a valid segment.
/// Files do not say their economy unit, so it is the unit most of the first figures agree
/// with (ties go to the vehicle's own unit). Returns the listed mismatches and the count.
pub fn compare(
    vehicle: &str,
    data: &mut Fills,
    distance: DistanceUnit,
    volume: VolumeUnit,
    own_unit: EconomyUnit,
) -> (Vec<EconomyMismatch>, u64) {
    let fills = &mut data.fills;
    let mut unit: Option<EconomyUnit> = None;
    let mut pending: Vec<(u32, f64, Economy)> = Vec::new();
    let mut out = Vec::new();
    let mut count = 0u64;
    let mut judge = |unit: EconomyUnit, (line, s, e): (u32, f64, Economy), out: &mut Vec<_>| {
        let Some(g) = e.value_in(unit) else { return };
        if !close(s, g) {
            count += 1;
            if out.len() < MAX_LISTED {
                out.push(EconomyMismatch {
                    line: line as u64,
                    vehicle: vehicle.to_owned(),
                    source: s,
                    glovebox: (g * 1000.0).round() / 1000.0,
                    unit,
                });
            }
        }
    };
    for_each_window(fills, distance, volume, &mut |window, analysis| {
        for pos in 0..analysis.order.len() {
            let (FillRole::Closes { .. }, Some(e)) = (analysis.roles[pos], analysis.economy[pos])
            else {
                continue;
            };
            let f = &window[analysis.order[pos] as usize];
            if f.source <= 0.0 {
                continue;
            }
            let item = (f.line, f.source, e);
            match unit {
                Some(u) => judge(u, item, &mut out),
                None => pending.push(item),
            }
            if unit.is_none() && pending.len() >= UNIT_SAMPLE {
                let u = pick_unit(&pending, volume, own_unit);
                unit = Some(u);
                for p in pending.drain(..) {
                    judge(u, p, &mut out);
                }
            }
        }
    });
    if unit.is_none() {
        let u = pick_unit(&pending, volume, own_unit);
        for p in pending.drain(..) {
            judge(u, p, &mut out);
        }
    }
    out.sort_by_key(|m| m.line);
    (out, count)
}

/// Runs the engine over `fills` in windows cut at full fills (sorted into the engine's
/// order first), so its per-fill output never holds a million rows at once; every segment
/// is in exactly one window, as one call over all fills would give it. The callback gets
/// the window and the engine's positional analysis of it (`order[pos]` indexes the
/// window): no per-fill summary with cloned ids, which was a third of a preview's time.
fn for_each_window(
    fills: &mut [Fill],
    distance: DistanceUnit,
    volume: VolumeUnit,
    f: &mut dyn FnMut(&[Fill], &Analysis),
) {
    // The engine's order (odometer, time, partial before full).
    fills.sort_by(|a, b| {
        a.odometer
            .total_cmp(&b.odometer)
            .then(a.at.cmp(&b.at))
            .then(a.full.cmp(&b.full))
    });
    let mut start = 0;
    while start < fills.len() {
        // Cut at a full fill further along than the one before it: it closes (or anchors)
        // in this window and anchors the next one, so nothing straddles the cut.
        let mut end = (start + WINDOW).min(fills.len() - 1);
        while end + 1 < fills.len()
            && !(fills[end].full && fills[end].odometer > fills[end - 1].odometer)
        {
            end += 1;
        }
        let window: Vec<FillUp> = fills[start..=end]
            .iter()
            .map(|f| FillUp {
                // Zero-padded so that the engine's tie-break on ids (equal odometer, time
                // and fullness) follows file order, as the imported records' time-ordered
                // ids will.
                id: padded_line(f.line),
                occurred_at: f.at,
                odometer: f.odometer,
                quantity: f.quantity,
                total_cost_minor: 0,
                is_full: f.full,
                missed_previous: f.missed,
            })
            .collect();
        let analysis = economy::analyse(&window, distance, volume);
        f(&fills[start..=end], &analysis);
        if end + 1 >= fills.len() {
            break;
        }
        start = end;
    }
}

/// `line` as ten digits, zero-padded, without `format!`'s machinery (a tenth of a
/// preview's instructions went to formatting these).
fn padded_line(line: u32) -> String {
    let mut digits = [b'0'; 10];
    let mut n = line;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// The lifetime average over these fills (the dashboard's figure: total distance over
/// total fuel of the valid segments) and the number of valid segments.
pub fn average(
    fills: &mut [Fill],
    distance: DistanceUnit,
    volume: VolumeUnit,
) -> (Option<Economy>, u64) {
    let (mut d, mut q, mut n) = (0.0, 0.0, 0u64);
    for_each_window(fills, distance, volume, &mut |_, a| {
        for seg in &a.segments {
            d += seg.distance;
            q += seg.fuel;
            n += 1;
        }
    });
    let e = Economy::from_distance_and_fuel(
        crate::units::Distance::new(d, distance),
        crate::units::Volume::new(q, volume),
    );
    (e, n)
}

fn pick_unit(pairs: &[(u32, f64, Economy)], volume: VolumeUnit, own: EconomyUnit) -> EconomyUnit {
    EconomyUnit::ALL
        .iter()
        .copied()
        .filter(|u| u.energy() == volume.energy())
        .max_by_key(|u| {
            let hits = pairs
                .iter()
                .filter(|(_, s, e)| e.value_in(*u).is_some_and(|g| close(*s, g)))
                .count();
            (hits, *u == own)
        })
        .unwrap_or(own)
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_ids_sort_in_line_order() {
        assert_eq!(super::padded_line(0), "0000000000");
        assert_eq!(super::padded_line(42), "0000000042");
        assert_eq!(super::padded_line(u32::MAX), "4294967295");
        assert!(super::padded_line(9) < super::padded_line(10));
    }

    use super::*;

    fn fill(data: &mut Fills, day: u32, odo: f64, qty: f64, full: bool, missed: bool, src: f64) {
        data.push(Fill {
            at: chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                + chrono::Duration::days(day as i64),
            odometer: odo,
            quantity: qty,
            source: src,
            line: day + 1,
            full,
            missed,
        });
    }

    #[test]
    fn partial_fills_add_up_and_a_wrong_figure_is_reported() {
        let mut d = Fills::default();
        fill(&mut d, 1, 1000.0, 40.0, true, false, 0.0);
        fill(&mut d, 2, 1200.0, 10.0, false, false, 0.0);
        // 500 km on 10 + 30 = 40 L -> 8 L/100km
        fill(&mut d, 3, 1500.0, 30.0, true, false, 8.0);
        // missed: a fresh anchor, no figure (the file's 7.0 is not compared)
        fill(&mut d, 4, 2000.0, 35.0, true, true, 7.0);
        // 400 km on 32 L -> 8 L/100km; the file says 8.4 (5% off)
        fill(&mut d, 5, 2400.0, 32.0, true, false, 8.4);
        fill(&mut d, 6, 2900.0, 40.0, true, false, 8.0);
        let (m, n) = compare(
            "car",
            &mut d,
            DistanceUnit::Kilometre,
            VolumeUnit::Litre,
            EconomyUnit::KmPerLitre,
        );
        assert_eq!((m.len(), n), (1, 1), "{m:?}");
        assert_eq!(m[0].line, 6);
        assert_eq!(m[0].unit, EconomyUnit::LitresPer100Km);
        assert_eq!(m[0].glovebox, 8.0);
    }

    /// Windows give the same answer as one engine call over everything, including a
    /// partial run and a missed fill-up across the window cuts.
    #[test]
    fn windows_match_a_single_engine_call() {
        let mut d = Fills::default();
        let mut odo = 0.0;
        for i in 0..(3 * WINDOW as u32 + 17) {
            odo += 400.0 + (i % 13) as f64;
            let full = i % 5 != 3;
            let missed = i % 997 == 0;
            let qty = 30.0 + (i % 7) as f64;
            fill(&mut d, i, odo, qty, full, missed, 0.0);
        }
        let all: Vec<FillUp> = d
            .fills
            .iter()
            .map(|f| FillUp {
                // Zero-padded so that the engine's tie-break on ids (equal odometer, time
                // and fullness) follows file order, as the imported records' time-ordered
                // ids will.
                id: padded_line(f.line),
                occurred_at: f.at,
                odometer: f.odometer,
                quantity: f.quantity,
                total_cost_minor: 0,
                is_full: f.full,
                missed_previous: f.missed,
            })
            .collect();
        let whole = economy::compute(&all, DistanceUnit::Kilometre, VolumeUnit::Litre);
        let mut expected = 0;
        for f in &whole.fills {
            if let (FillRole::Closes { .. }, Some(e)) = (f.role, f.economy) {
                let line: usize = f.id.parse().unwrap();
                let right = e.value_in(EconomyUnit::LitresPer100Km).unwrap();
                // Every figure 2% off for lines 7 mod 11, exact otherwise.
                let off = line % 11 == 7;
                d.fills[line - 1].source = if off { right * 1.02 } else { right };
                expected += off as u64;
            }
        }
        let (_, n) = compare(
            "car",
            &mut d,
            DistanceUnit::Kilometre,
            VolumeUnit::Litre,
            EconomyUnit::LitresPer100Km,
        );
        assert!(expected > 100);
        assert_eq!(n, expected);
    }
}
